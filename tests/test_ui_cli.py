"""terminal kiosk (--screenshots, --size, refusals), terminal demo --tour, the demo's console lines,
and the kiosk window's lockdown."""

from __future__ import annotations

import re
import sys

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QGuiApplication, QKeyEvent

from ui.fixtures import FixedFlow, gallery


def test_screenshots_render_every_screen_in_both_languages(run_cli, tmp_path, qapp):
    code, out, err = run_cli("kiosk", "--screenshots", str(tmp_path / "shots"))
    assert code == 0, err
    files = sorted(p.name for p in (tmp_path / "shots").iterdir())
    assert len(files) == 2 * len(gallery("zh")) and out.startswith(f"{len(files)} screenshots (1280x800)")
    for name in files:
        assert re.fullmatch(r"\d\d_[a-z_]+(-[a-z_]+)?_(zh|en)\.png", name), name
    from PySide6.QtGui import QImage
    image = QImage(str(tmp_path / "shots" / "01_attract_zh.png"))
    assert (image.width(), image.height()) == (1280, 800)
    assert {n.rsplit("_", 1)[0] for n in files if n.endswith("_zh.png")} == \
        {n.rsplit("_", 1)[0] for n in files if n.endswith("_en.png")}


@pytest.mark.parametrize("size", ["12x3", "1280*800", "１２８０x800", "99999x1"])
def test_a_wrong_size_is_a_usage_error(run_cli, size, capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli("kiosk", "--screenshots", "/tmp/never", "--size", size)
    assert stop.value.code == 2
    assert "expected WIDTHxHEIGHT such as 1280x800" in capsys.readouterr().err


def test_no_display_says_how_to_get_one(run_cli, sim_config, monkeypatch):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    code, out, err = run_cli("kiosk", "--config", str(sim_config("kiosk")))
    assert code == 2 and "no display: run the kiosk under cage" in err and "--screenshots DIR" in err


def test_a_drop_box_config_is_refused(run_cli, sim_config):
    code, out, err = run_cli("kiosk", "--config", str(sim_config("dropbox")))
    assert code == 2 and "terminal kiosk needs role = \"kiosk\"" in err


@pytest.mark.slow
def test_the_tour_writes_a_numbered_storyboard_of_one_visit(run_cli, tmp_path, qapp):
    code, out, err = run_cli("demo", "--tour", str(tmp_path / "tour"))
    assert code == 0, err
    names = [line.rsplit("/", 1)[1] for line in out.splitlines()]
    assert names[:16] == ["01-kiosk-attract.png", "02-kiosk-code-sent.png", "03-kiosk-typing-the-code.png",
                          "04-kiosk-menu.png", "05-kiosk-my-records.png", "06-kiosk-still-there.png",
                          "07-kiosk-certificate-preview.png", "08-kiosk-certificate-printed.png",
                          "09-kiosk-rated.png", "10-kiosk-badge-why.png", "11-kiosk-badge-pay.png",
                          "12-kiosk-badge-preview.png", "13-kiosk-badge-printed.png",
                          "14-kiosk-goodbye.png", "15-kiosk-take-your-card.png", "16-kiosk-attract-again.png"]
    assert all((tmp_path / "tour" / n).stat().st_size > 5000 for n in names)
    assert "{" not in err                                    # no JSON log lines on a one-shot command


# -- the demo's console --------------------------------------------------------------------------------

def test_the_demo_console_shows_one_readable_line_per_event():
    import io
    import os
    import threading

    from terminal.demo_console import relay

    read, write = os.pipe()
    out = io.StringIO()
    with os.fdopen(write, "wb") as w:
        thread = relay(os.fdopen(read, "rb"), "kiosk", out)
        w.write(b'{"ts": "2026-11-30T14:02:11.000Z", "level": "info", "logger": "kiosk.flow", '
                b'"event": "kiosk.started", "windowed": true, "screen": "attract"}\n')
        w.write(b'{"ts": "2026-11-30T14:02:12.000Z", "level": "warning", "logger": "kiosk.devices", '
                b'"event": "kiosk.device_unavailable", "device": "sms", "reason": "no SIM"}\n')
        w.write("半行 not json\n".encode())
    thread.join(timeout=10)
    assert not thread.is_alive() and isinstance(thread, threading.Thread)
    assert out.getvalue().splitlines() == [
        "14:02:11  kiosk             started: windowed=true screen=attract",
        '14:02:12  kiosk             WARNING device unavailable: device=sms reason="no SIM"',
        "          kiosk             半行 not json"]


def test_the_demo_runs_the_kiosk_offscreen_without_a_display(monkeypatch, tmp_path):
    from terminal.demo import DemoLayout, _kiosk_service

    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    service = _kiosk_service(DemoLayout(tmp_path))
    assert service.env == {"QT_QPA_PLATFORM": "offscreen"} and service.argv[-4:] == [
        "kiosk", "--config", str(tmp_path / "kiosk" / "terminal.toml"), "--windowed"]
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert _kiosk_service(DemoLayout(tmp_path)).env == {}


# -- lockdown ------------------------------------------------------------------------------------------

@pytest.fixture
def locked(qapp):
    from ui.app import KioskWindow

    flow = FixedFlow()
    window = KioskWindow(flow, kiosk=True, tick_s=None)
    window.show()
    yield flow, window
    window.close()


def test_the_kiosk_window_has_no_way_out(locked):
    flow, window = locked
    view = window.view
    assert view.flags() & Qt.FramelessWindowHint
    assert QGuiApplication.overrideCursor().shape() == Qt.BlankCursor
    assert view.close() is False and view.isVisible()                       # Alt-F4 / a close request
    for key, mods in ((Qt.Key_F4, Qt.AltModifier), (Qt.Key_Q, Qt.ControlModifier), (Qt.Key_Escape, Qt.NoModifier),
                      (Qt.Key_F1, Qt.ControlModifier | Qt.AltModifier)):
        event = QKeyEvent(QEvent.KeyPress, key, mods)
        assert window._filter.eventFilter(view, event) is True               # swallowed
    menu = QContextMenuEvent(QContextMenuEvent.Mouse, QPoint(10, 10), QPoint(10, 10))
    assert window._filter.eventFilter(view, menu) is True


def test_every_press_counts_as_a_touch(locked):
    from PySide6.QtTest import QTest

    from kiosk import events as ev

    flow, window = locked
    QTest.mouseClick(window.view, Qt.LeftButton, Qt.NoModifier, QPoint(640, 400))
    assert ev.Touch() in flow.events


def test_windowed_mode_keeps_the_keyboard_and_cursor(qapp):
    from ui.app import KioskWindow

    window = KioskWindow(FixedFlow(), kiosk=False, tick_s=None)
    try:
        event = QKeyEvent(QEvent.KeyPress, Qt.Key_F4, Qt.AltModifier)
        assert window._filter.eventFilter(window.view, event) is False
        assert not window.view.flags() & Qt.FramelessWindowHint
    finally:
        window.close()


def test_the_hidden_gesture_is_five_taps_in_the_corner(locked):
    from PySide6.QtTest import QTest

    from kiosk import events as ev

    flow, window = locked
    for n in range(5):
        QTest.mouseClick(window.view, Qt.LeftButton, Qt.NoModifier, QPoint(20, 20))
        window.settle()
        assert (ev.TechnicianGesture() in flow.events) == (n == 4)


# -- the Qt binding itself -----------------------------------------------------------------------------

def test_pyside_keeps_its_references(qapp):
    """PySide6 6.12.0 on Python 3.11 dropped a reference to True on every emit and to None on every void
    call, and the kiosk aborted (bool_dealloc) within minutes: refuse such a release here."""
    from PySide6.QtCore import QObject, Signal

    class Probe(QObject):
        fired = Signal()

    probe = Probe()
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(200):
        probe.fired.emit()
        probe.setObjectName("x")
        qapp.processEvents()
    assert (sys.getrefcount(True), sys.getrefcount(None)) >= (before[0] - 5, before[1] - 5)


def test_an_unprovisioned_kiosk_shows_why_and_does_not_start_the_flow(sim_config, tmp_path):
    """terminal kiosk (not --windowed) on a state directory no first boot has finished: the not-provisioned
    screen with first boot's reason, no store opened, no card read; SIGTERM stops it cleanly."""
    import os
    import selectors
    import signal
    import subprocess
    import time

    from images.provision_state import write_status

    config = sim_config("kiosk")
    # A first boot that failed says so in the state directory (no status file at all: set up by hand).
    write_status(tmp_path / "kiosk-state", "not_provisioned", "not provisioned: central refused the enrolment token")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "terminal", "kiosk", "--config", str(config),
                             "--log-level", "info"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    seen = b""
    try:
        selector = selectors.DefaultSelector()
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + 60
        while b"kiosk.not_provisioned" not in seen and time.monotonic() < deadline and proc.poll() is None:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                seen += os.read(proc.stdout.fileno(), 65536)
        assert b"kiosk.not_provisioned" in seen, seen.decode(errors="replace")
        assert b"central refused the enrolment token" in seen
        assert b"kiosk.started" not in seen
        assert not (tmp_path / "kiosk-state" / "terminal.db").exists()     # the flow and its store never opened
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0


def test_the_not_provisioned_screen_names_the_result_file(qapp):
    from ui.app import KioskWindow
    from ui.driver import ScreenDriver

    flow = FixedFlow({"screen": "not_provisioned", "lang": "en", "text": "not_provisioned",
                      "detail": "not provisioned: provisioning did not finish (power lost?)"})
    window = KioskWindow(flow, tick_s=None)
    try:
        window.show()
        shown = ScreenDriver(window).texts()
        assert "Technician: read terminal-provision-result.txt on the SD card" in shown
        assert "not provisioned: provisioning did not finish (power lost?)" in shown
    finally:
        window.close()
