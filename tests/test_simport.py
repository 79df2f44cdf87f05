"""The simulators' shared pseudo-terminal: link publishing, link removal, unplug/replug, close."""

import os
import stat

import pytest
import serial

from drivers.errors import ConfigurationError, DeviceUnavailable
from drivers.simport import PseudoSerialPort


def open_fds() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/fd")}


def test_bytes_cross_the_pair_both_ways_unaltered():
    with PseudoSerialPort() as pty, serial.Serial(pty.port, 115200, timeout=1) as driver:
        raw = bytes(range(256))  # raw mode: no echo, no CR/LF translation, no ^C/^S handling
        os.write(pty.master, raw)
        assert driver.read(256) == raw
        driver.write(b"\x03\r\n\x11\x13\x1a")
        driver.flush()
        assert os.read(pty.master, 64) == b"\x03\r\n\x11\x13\x1a"


def test_without_a_link_the_port_is_the_slave(tmp_path):
    with PseudoSerialPort() as pty:
        assert pty.link is None
        assert pty.port == pty.slave_name and pty.slave_name.startswith("/dev/pts/")
        assert stat.S_ISCHR(os.stat(pty.port).st_mode)


def test_publishes_a_link_making_its_directory(tmp_path):
    link = tmp_path / "by-id" / "usb-Sim_0001-if00-port0"
    with PseudoSerialPort(link) as pty:
        assert pty.port == str(link)
        assert os.readlink(link) == pty.slave_name
        assert not link.with_name(link.name + ".new").exists()  # the temporary link was renamed into place
    assert not os.path.lexists(link)


def test_replaces_a_stale_link_from_an_earlier_run(tmp_path):
    link = tmp_path / "modem.pty"
    link.symlink_to("/dev/pts/gone-long-ago")
    with PseudoSerialPort(link) as pty:
        assert os.readlink(link) == pty.slave_name


@pytest.mark.parametrize("kind", ["file", "directory"])
def test_refuses_to_replace_what_is_not_a_symlink_and_keeps_nothing_open(tmp_path, kind):
    taken = tmp_path / "ttyUSB0"
    if kind == "file":
        taken.write_bytes(b"precious")
    else:
        taken.mkdir()
    before = open_fds()
    with pytest.raises(ConfigurationError) as caught:
        PseudoSerialPort(taken, device="modem-sim")
    message = str(caught.value)
    assert message.startswith("modem-sim: refusing to replace ") and str(taken) in message
    assert "exists and is not a symlink" in message
    assert open_fds() == before
    assert not taken.is_symlink()
    if kind == "file":
        assert taken.read_bytes() == b"precious"


def test_refuses_a_device_node():
    # /dev/null stands in for /dev/ttyUSB0 named by mistake as the simulated port.
    with pytest.raises(ConfigurationError, match="refusing to replace /dev/null"):
        PseudoSerialPort("/dev/null")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_close_leaves_a_link_that_someone_else_took_over(tmp_path):
    link = tmp_path / "idcard.pty"
    first = PseudoSerialPort(link)
    with PseudoSerialPort(link) as second:  # a second simulator started on the same path
        assert os.readlink(link) == second.slave_name
        first.close()
        assert os.readlink(link) == second.slave_name
    assert not os.path.lexists(link)


def test_close_leaves_a_link_pointing_elsewhere(tmp_path):
    link = tmp_path / "idcard.pty"
    with PseudoSerialPort(link):
        link.unlink()
        link.symlink_to("/dev/ttyS0")  # a technician re-pointed it meanwhile
    assert os.readlink(link) == "/dev/ttyS0"


def test_close_is_idempotent_and_releases_the_pair(tmp_path):
    before = open_fds()
    pty = PseudoSerialPort(tmp_path / "p.pty")
    assert len(open_fds() - before) == 2
    pty.close()
    pty.close()
    with pty:
        pass
    assert open_fds() == before
    assert pty.master == -1 and not pty.plugged
    with pytest.raises(DeviceUnavailable, match="closed"):
        pty.replug()


def test_unplug_fails_the_driver_and_replug_gives_a_new_slave_behind_the_same_link(tmp_path):
    link = tmp_path / "by-id" / "usb-Sim_0001-if00-port0"
    with PseudoSerialPort(link) as pty:
        old_name = pty.slave_name
        with serial.Serial(pty.port, 115200, timeout=1) as driver:
            pty.unplug()
            pty.unplug()  # idempotent
            assert not pty.plugged and not os.path.lexists(link)
            assert pty.slave_name == old_name  # still says what was unplugged
            with pytest.raises(serial.SerialException):
                driver.write(b"x")
                driver.read(1)
            spare = os.openpty()  # something else takes the old /dev/pts number meanwhile
            try:
                pty.replug()
                pty.replug()  # already plugged: no second pair
            finally:
                os.close(spare[0])
                os.close(spare[1])
        assert pty.plugged and pty.slave_name != old_name
        assert os.readlink(link) == pty.slave_name
        with serial.Serial(pty.port, 115200, timeout=1) as driver:
            os.write(pty.master, b"back")
            assert driver.read(4) == b"back"
