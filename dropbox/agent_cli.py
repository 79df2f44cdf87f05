"""``terminal dropbox``: run the drop-box agent (a systemd service, Type=notify).

It reads the terminal's configuration (role ``dropbox``), opens the store and the devices through
their factories (open_gpio, open_camera, open_receipt), locks the slot, reconciles the journal,
tells systemd READY=1 and pings the watchdog from its loop.  SIGTERM or Ctrl-C relocks, closes an
open visit and exits 0.  One agent per store: a second one is refused (exit 1) naming the lock file.

``TERMINAL_DROPBOX_HOLD_AT=<state>`` (tests only) makes the agent stop in that state and wait to be
killed: tests/test_dropbox_kill.py kills it with SIGKILL in every state.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import textwrap
from pathlib import Path

from images.provision import STATUS_NAME
from terminal import TerminalError
from terminal.config import ConfigError
from terminal.cliopts import example, timeout_option
from terminal.logs import get_logger

log = get_logger(__name__)

HOLD_ENV = "TERMINAL_DROPBOX_HOLD_AT"


def register(sub, common) -> None:
    """Add ``terminal dropbox`` to ``sub`` (the ``terminal`` parser's subparsers); ``common`` gives --config."""
    p = sub.add_parser(
        "dropbox", parents=[common], help="run the reimbursement drop-box agent (service)",
        description=textwrap.fill(
            "Run the drop box: scan reimbursement-form QR codes, open the slot for a valid claim, record the "
            "envelope, relock; courier collections with a printed manifest; alarms. Every record goes to "
            "central through the sync outbox ('terminal sync run' forwards it). SIGTERM relocks and exits 0.",
            78))
    timeout_option(p, default=None, help="stop by itself after this many seconds (for scripted runs)")
    example(p, "terminal dropbox --config /etc/service-terminals/terminal.toml")
    p.set_defaults(run=_run, service=True)


@contextlib.contextmanager
def single_agent(store_path):
    """Hold ``<store>.dropbox.lock`` while the agent runs; TerminalError when another agent holds it."""
    path = f"{store_path}.dropbox.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TerminalError(f"another drop-box agent is running on this store ({path} is locked); "
                                f"stop it first (systemctl stop terminal-dropbox)") from None
        yield
    finally:
        os.close(fd)


def _run(args) -> int:
    import threading

    from drivers.camera import open_camera
    from drivers.gpio import open_gpio
    from dropbox.agent import Agent
    from dropbox.feedback import Feedback
    from terminal.migrations import all_migrations
    from dropbox.machine import STATES
    from dropbox.settings import dropbox_values
    from sync.sdnotify import Notifier
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.settings_access import load_for_command

    try:
        cfg = load_for_command(args)
    except ConfigError:
        # A first boot that failed leaves no config: show it on the LEDs (default pins) instead of
        # crash-looping, as long as the provisioning status says why.
        from images.provision import STATE_DIR
        from images.provision_state import status

        ok, reason = status(STATE_DIR)
        if ok or not (Path(STATE_DIR) / STATUS_NAME).exists():
            raise
        return _wait_for_provisioning({"backend": "real"}, STATE_DIR, reason)
    provisioned, reason = _provisioning(cfg)
    if not provisioned:
        return _wait_for_provisioning(cfg.gpio, cfg.state_dir, reason)
    if cfg.role != "dropbox":
        raise TerminalError(f"this terminal's role is {cfg.role!r}; 'terminal dropbox' runs on a dropbox terminal "
                            f"(role = \"dropbox\" in {cfg.source})", exit_code=2)
    values = dropbox_values(cfg.get("dropbox"))
    hold_at = os.environ.get(HOLD_ENV) or None
    if hold_at is not None and hold_at not in STATES:
        raise TerminalError(f"{HOLD_ENV}={hold_at!r} is not a state ({', '.join(STATES)})", exit_code=2)
    stopping = threading.Event()

    def on_signal(signum, frame):
        stopping.set()

    old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
    notifier = Notifier()
    path = store_path(cfg)
    try:
        with open_store(path, all_migrations(), busy_timeout_s=cfg.store.busy_timeout_s) as store, \
                single_agent(path), open_gpio(cfg.gpio) as gpio, open_camera(cfg.camera) as camera:
            feedback = Feedback(gpio, display_path=values["display_path"],
                                receipt_section=cfg.receipt if "receipt" in cfg else None)
            agent = Agent(store, values, box_id=cfg.device_id, gpio=gpio, camera=camera, feedback=feedback,
                          hold_at=hold_at)
            agent.stop = stopping   # the signal handler's event ends the loop (and a hold)
            try:
                agent.start()
                notifier(ready=True, status=f"drop box {cfg.device_id}: {agent.box.state}")
                agent.run(timeout_s=args.timeout, on_tick=lambda: notifier(watchdog=True))
            finally:
                agent.close()
                log.info("dropbox.stopped", lock="locked" if gpio.lock.locked else "UNLOCKED")
    finally:
        notifier(stopping=True)
        for s, handler in old.items():
            signal.signal(s, handler)
    return 0


def _provisioning(cfg) -> tuple[bool, str]:
    """(ok, reason) from images.provision_state.provisioned: no status file means set up by hand."""
    from images.provision_state import provisioned

    return provisioned(cfg.state_dir)


def _wait_for_provisioning(gpio_section, state_dir: str, reason: str, *, check_every_s: float = 5.0) -> int:
    """Keep the slot locked and show the 'unprovisioned' LEDs until a first boot succeeds; then exit 0.

    systemd restarts the service, which then runs the agent.  SIGTERM ends the wait (exit 0).
    A board that cannot be opened is logged; the wait goes on (no crash loop).
    """
    import threading

    from drivers.errors import DeviceError
    from drivers.gpio import open_gpio
    from images.provision_state import status
    from sync.sdnotify import Notifier

    log.error("dropbox.not_provisioned", reason=reason,
              action="read terminal-provision-result.txt on the SD card; write a new seed and restart")
    stop = threading.Event()
    old = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGTERM, signal.SIGINT)}
    notifier = Notifier()
    with contextlib.ExitStack() as held:
        try:
            gpio = held.enter_context(open_gpio(gpio_section))   # the lock stays de-energised: fail-secure
            gpio.leds.show("unprovisioned")
            gpio.buzzer.sound("unprovisioned")
        except DeviceError as exc:
            log.error("dropbox.board_unavailable", error=str(exc))
        try:
            notifier(ready=True, status=f"not provisioned: {reason}"[:200])
            while not stop.wait(min(check_every_s, (notifier.watchdog_every_s or check_every_s) / 2)):
                notifier(watchdog=True)
                if status(state_dir)[0]:
                    log.info("dropbox.provisioned", action="restarting into the agent")
                    break
        finally:
            notifier(stopping=True)
            for s, handler in old.items():
                signal.signal(s, handler)
    return 0
