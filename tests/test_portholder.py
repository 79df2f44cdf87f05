"""A serial port another program holds is named as in use, with that program, never as unplugged.

Field case: with 'make demo' running, 'terminal selftest' and 'terminal hw idcard' said
"Resource temporarily unavailable (start the simulator ...)" while the simulator ran and the
demo's kiosk held the port.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from drivers.errors import DeviceBusy
from drivers.idcard import IdCardSimulator, open_idcard
from drivers.sms import ModemSimulator, open_sms

HOLD = ("import serial, sys, time; s = serial.Serial(sys.argv[1], exclusive=True); "
        "print('holding', flush=True); sys.stdin.read()")


def _hold(path):
    """A child process holding ``path`` exclusively until its stdin closes."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "holding"
    return proc


@pytest.mark.parametrize("backend", ["sim", "real"])
def test_a_reader_held_by_another_program_names_it(tmp_path, backend):
    with IdCardSimulator(tmp_path / "idcard.pty") as sim:
        holder = _hold(sim.port)
        try:
            with pytest.raises(DeviceBusy) as busy:
                open_idcard({"backend": backend, "port": str(sim.port)})
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
    message = str(busy.value)
    assert f"in use by another program: pid {holder.pid} (" in message
    assert "start the simulator" not in message and "systemctl stop terminal-kiosk" in message


def test_a_modem_held_by_another_program_names_it(tmp_path):
    with ModemSimulator(tmp_path / "modem.pty") as sim:
        holder = _hold(sim.port)
        try:
            with pytest.raises(DeviceBusy) as busy:
                open_sms({"backend": "sim", "transport": "modem", "port": str(sim.port)})
        finally:
            holder.stdin.close()
            holder.wait(timeout=30)
    assert f"in use by another program: pid {holder.pid} (" in str(busy.value)
    assert "start the simulator" not in str(busy.value)
