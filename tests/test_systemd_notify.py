"""Type=notify for real: each service program, run under a notify socket the test binds (NOTIFY_SOCKET,
WATCHDOG_USEC), sends READY=1 and then WATCHDOG=1 from its main loop; when the loop hangs the pings
stop (systemd then kills and restarts it), and SIGTERM ends it with STOPPING=1 and exit 0.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from sync.sdnotify import Notifier
from tests.helpers.processes import terminal_cmd
from tests.helpers.sync_helpers import REPO, enroll, write_config


class NotifySocket:
    """A Unix datagram socket bound in the abstract namespace, as systemd's $NOTIFY_SOCKET is."""

    def __init__(self):
        self.name = f"service-terminals-test-{secrets.token_hex(8)}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name)
        self.messages: list[str] = []

    def env(self, watchdog_usec: int) -> dict:
        return {"NOTIFY_SOCKET": "@" + self.name, "WATCHDOG_USEC": str(watchdog_usec)}

    def wait_for(self, line: str, count: int = 1, *, timeout_s: float = 120.0, proc=None) -> list[str]:
        """Receive until ``line`` has come ``count`` times in all; every message so far."""
        deadline = time.monotonic() + timeout_s
        while self.count(line) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{line} came {self.count(line)} of {count} times; got {self.messages}")
            if proc is not None and proc.poll() is not None:
                raise AssertionError(f"the program exited ({proc.returncode}) after {self.messages}")
            self.sock.settimeout(min(left, 1.0))
            try:
                self.messages.extend(self.sock.recv(4096).decode().split("\n"))
            except TimeoutError:
                continue
        return self.messages

    def drain(self) -> list[str]:
        """Whatever is queued now, without waiting."""
        self.sock.setblocking(False)
        try:
            while True:
                self.messages.extend(self.sock.recv(4096).decode().split("\n"))
        except BlockingIOError:
            return self.messages
        finally:
            self.sock.setblocking(True)

    def count(self, line: str) -> int:
        return self.messages.count(line)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def notify_socket():
    s = NotifySocket()
    yield s
    s.close()


def start(argv: list[str], log: Path, env: dict) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(argv, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", **env})


def stop(proc: subprocess.Popen, log: Path, timeout_s: float = 60.0) -> int:
    """SIGTERM, as systemctl stop sends; the exit code (a program that ignores it is killed: AssertionError)."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"SIGTERM did not stop it:\n{log.read_text()[-2000:]}") from None


def wait_for_line(log: Path, pattern: str, proc, timeout_s: float = 120.0) -> re.Match:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = re.search(pattern, log.read_text())
        if found:
            return found
        assert proc.poll() is None, f"exited ({proc.returncode}):\n{log.read_text()[-3000:]}"
        time.sleep(0.02)
    raise AssertionError(f"no {pattern!r} in:\n{log.read_text()[-3000:]}")


# -- the ping helper's contract (sync/sdnotify.py) ---------------------------------------------------

def test_the_notifier_pings_only_when_the_loop_calls_it_and_at_most_every_quarter_period(notify_socket):
    """It has no timer or thread of its own: a loop that stops calling stops the pings."""
    threads = threading.active_count()
    notifier = Notifier(env=notify_socket.env(3_600_000_000))    # one hour: the second call is never due
    assert notifier(ready=True, status="up") is True
    assert notifier(watchdog=True) is True
    assert notifier(watchdog=True) is False                       # not due yet: nothing sent
    assert threading.active_count() == threads
    assert notify_socket.wait_for("WATCHDOG=1") == ["READY=1", "STATUS=up", "WATCHDOG=1"]
    assert notify_socket.drain() == ["READY=1", "STATUS=up", "WATCHDOG=1"]


@pytest.mark.parametrize("usec", ["", "0", "²", "１０００", "-5", "1e6"])
def test_the_notifier_sends_no_watchdog_ping_without_a_valid_period(notify_socket, usec):
    env = {**notify_socket.env(1), "WATCHDOG_USEC": usec}
    assert Notifier(env=env)(watchdog=True) is False
    assert notify_socket.drain() == []


def test_outside_systemd_or_with_the_socket_gone_the_notifier_does_nothing(notify_socket):
    assert Notifier(env={})(ready=True, watchdog=True) is False
    gone = Notifier(env={"NOTIFY_SOCKET": "@service-terminals-test-nobody-listens", "WATCHDOG_USEC": "1000000"})
    assert gone(ready=True, watchdog=True) is False               # never raises


# -- terminal dropbox ------------------------------------------------------------------------------

CLAIMS = [{"id": "CLM-2026-0001", "employee_no": "E1001", "amount_cents": 1001, "status": "awaiting_envelope"}]


@pytest.fixture
def dropbox_config(sim_config, receipt_sim):
    from sync.store_cli import store_path
    from terminal.schema import load_config
    from drivers.camera.scene import write_scene
    from tests.helpers.dropbox_box import Central, open_box_store

    config = sim_config("dropbox")
    config.write_text(re.sub(r'uri = "tcp://127\.0\.0\.1:\d+"', f'uri = "{receipt_sim.uri}"', config.read_text()))
    cfg = load_config(config)
    central = Central()
    with open_box_store(store_path(cfg)) as store:
        central.sync_into(store, CLAIMS)
    write_scene(Path(cfg.camera.sim_source), frames=2)
    return config, Path(cfg.camera.sim_source), central


def test_terminal_dropbox_sends_ready_then_watchdog_pings_from_its_loop_and_stops_on_sigterm(
        tmp_path, notify_socket, dropbox_config):
    config, _, _ = dropbox_config
    log = tmp_path / "dropbox.log"
    proc = start(terminal_cmd("dropbox", "--config", str(config)), log, notify_socket.env(400_000))
    try:
        messages = notify_socket.wait_for("WATCHDOG=1", 5, proc=proc)
        assert messages[0] == "READY=1"
        assert "dropbox.booted" in log.read_text()                 # ready only after the boot's reconcile
    finally:
        code = stop(proc, log, timeout_s=20)
    assert code == 0
    assert "STOPPING=1" in notify_socket.drain()


@pytest.mark.slow
def test_a_hung_dropbox_loop_stops_pinging_so_systemd_restarts_it(tmp_path, notify_socket, dropbox_config):
    """The agent's hold seam (TERMINAL_DROPBOX_HOLD_AT) stops the loop mid-dispatch, as a hang would."""
    from drivers.camera.scene import write_qr

    config, camera, central = dropbox_config
    log = tmp_path / "dropbox.log"
    period_s = 0.4
    proc = start(terminal_cmd("dropbox", "--config", str(config)), log,
                 {**notify_socket.env(int(period_s * 1e6)), "TERMINAL_DROPBOX_HOLD_AT": "scanned"})
    try:
        notify_socket.wait_for("WATCHDOG=1", 3, proc=proc)        # alive and pinging
        write_qr(tmp_path / "staging", central.form("CLM-2026-0001", "E1001", 1001)).replace(camera / "qr-form.png")
        wait_for_line(log, r'"event": "dropbox.holding".*"state": "scanned"', proc)
        notify_socket.drain()                                      # pings sent before the hold
        pings = notify_socket.count("WATCHDOG=1")
        # Five whole watchdog periods with the loop held: systemd would have killed it after one.
        notify_socket.sock.settimeout(5 * period_s)
        with pytest.raises(TimeoutError):
            notify_socket.messages.append(notify_socket.sock.recv(4096).decode())
        assert notify_socket.count("WATCHDOG=1") == pings
        assert proc.poll() is None                                 # hung, not exited: only the watchdog sees it
    finally:
        proc.kill()
        proc.wait()


# -- terminal sync run -----------------------------------------------------------------------------

@pytest.mark.slow
def test_terminal_sync_run_sends_ready_then_repeated_watchdog_pings(tmp_path, notify_socket, central_double, run_cli):
    config = write_config(tmp_path / "kiosk")
    enroll(run_cli, central_double, config)
    log = tmp_path / "sync.log"
    proc = start(terminal_cmd("sync", "run", "--config", str(config)), log, notify_socket.env(60_000_000))
    try:
        # The second ping comes from a later pass of the loop (housekeeping runs every 10 s).
        messages = notify_socket.wait_for("WATCHDOG=1", 2, proc=proc, timeout_s=120)
        assert messages[0] == "READY=1"
    finally:
        code = stop(proc, log, timeout_s=20)
    assert code == 0
    assert "STOPPING=1" in notify_socket.drain()


def test_an_unenrolled_sync_run_keeps_pinging_while_it_waits_for_enrolment(tmp_path, notify_socket):
    config = write_config(tmp_path / "kiosk")
    log = tmp_path / "sync.log"
    proc = start(terminal_cmd("sync", "run", "--config", str(config)), log, notify_socket.env(1_000_000))
    try:
        notify_socket.wait_for("READY=1", proc=proc)
        wait_for_line(log, r'"event": "sync.not_enrolled"', proc)
        notify_socket.wait_for("WATCHDOG=1", 2, proc=proc, timeout_s=5)
    finally:
        stop(proc, log)


# -- terminal kiosk --------------------------------------------------------------------------------

def test_terminal_kiosk_sends_ready_and_watchdog_from_the_qt_loop_and_stops_on_sigterm(
        tmp_path, notify_socket, sim_config):
    config = sim_config("kiosk")
    log = tmp_path / "kiosk.log"
    proc = start(terminal_cmd("kiosk", "--config", str(config)), log,
                 {**notify_socket.env(1_000_000), "QT_QPA_PLATFORM": "offscreen"})
    try:
        wait_for_line(log, r'"event": "kiosk.started"', proc)
        messages = notify_socket.wait_for("WATCHDOG=1", 3, proc=proc, timeout_s=5)
        assert messages[0] == "READY=1"
    finally:
        code = stop(proc, log, timeout_s=20)
    assert code == 0
    assert "STOPPING=1" in notify_socket.drain()
