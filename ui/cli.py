"""``terminal kiosk``: the HR/admin kiosk's touch screens, full screen and locked down.

``--windowed`` is for development (a normal window, the keyboard works, the
window closes).  ``--screenshots DIR`` renders every screen and message in
both languages to PNG offscreen and exits (see ui.screenshots).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
from pathlib import Path

from terminal import TerminalError
from terminal.config import ConfigError
from terminal.cliopts import example
from terminal.logs import get_logger

log = get_logger("ui.cli")


def window_size(text: str) -> tuple[int, int]:
    """argparse type: ``WIDTHxHEIGHT`` in ASCII digits, each 320-7680 (``1280x800``) -> (width, height)."""
    match = re.fullmatch(r"\s*([0-9]{3,4})[xX]([0-9]{3,4})\s*", text)
    if match and all(320 <= int(n) <= 7680 for n in match.groups()):
        return int(match[1]), int(match[2])
    raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 1280x800 (each 320-7680); got {text!r}")


def register(sub, common) -> None:
    """Add ``terminal kiosk`` to ``sub`` and ``--tour DIR`` to ``terminal demo`` (registered earlier)."""
    p = sub.add_parser("kiosk", parents=[common], help="run the HR/admin kiosk's touch screens (full screen)",
                       description="Run the kiosk: the ID-card, SMS-code and face steps, the menu and the "
                                   "technician mode, full screen with no way out to a desktop. Stop it with "
                                   "SIGTERM (systemctl stop terminal-kiosk).")
    p.add_argument("--windowed", action="store_true",
                   help="a normal window with decorations and keyboard (development only)")
    p.add_argument("--screenshots", metavar="DIR",
                   help="render every screen and message in Chinese and English to DIR as PNG, then exit")
    p.add_argument("--size", type=window_size, default=(1280, 800), metavar="WxH",
                   help="window size for --windowed and --screenshots (default 1280x800)")
    example(p, "terminal kiosk --config /etc/service-terminals/terminal.toml",
            "terminal kiosk --screenshots /tmp/kiosk-screens --size 800x480")
    p.set_defaults(run=_run, service=True)
    _add_tour(sub)


def _add_tour(sub) -> None:
    """``terminal demo --tour DIR``: the demo's parser is terminal.commands'; the tour is ours."""
    demo = sub.choices.get("demo")
    if demo is None:
        return
    demo.add_argument("--tour", metavar="DIR",
                      help="play one employee's whole visit on the simulators offscreen and write a numbered "
                           "storyboard of PNGs to DIR, then exit")
    run_demo = demo.get_default("run")

    def run(args):
        if args.tour:  # a one-shot command: warnings only, on stderr, unless --log-level says otherwise
            from terminal.demo import run_tour
            from terminal.logs import setup_logging
            setup_logging(args.log_level or "warning", sys.stderr)
            return run_tour(args.dir, args.tour)
        return run_demo(args)

    demo.set_defaults(run=run)
    demo.epilog = (demo.epilog or "") + "\n  terminal demo --tour /tmp/tour"


def _run(args) -> int:
    if args.screenshots:
        from ui.screenshots import render_all
        written = render_all(args.screenshots, size=args.size)
        print(f"{len(written)} screenshots ({args.size[0]}x{args.size[1]}) in {args.screenshots}")
        return 0
    from terminal.config import resolve_path
    from terminal.schema import load_config

    try:
        cfg = load_config(resolve_path(args.config))
    except ConfigError:
        # A first boot that failed leaves no config: show why on the screen instead of crash-looping.
        from images.provision import STATE_DIR, STATUS_NAME
        from images.provision_state import status

        ok, reason = status(STATE_DIR)
        if ok or args.windowed or not (Path(STATE_DIR) / STATUS_NAME).exists():
            raise
        check_display()
        return show_not_provisioned(reason, size=args.size, state_dir=STATE_DIR)
    if cfg.role != "kiosk":
        raise TerminalError(f"this terminal's role is {cfg.role!r}; terminal kiosk needs role = \"kiosk\" "
                            f"in {resolve_path(args.config)}", exit_code=2)
    check_display()
    if not args.windowed:        # --windowed is development: no first boot has run there
        from images.provision_state import provisioned

        ok, reason = provisioned(cfg.state_dir)   # no status file: set up by hand, which is fine
        if not ok:
            return show_not_provisioned(reason, size=args.size, state_dir=cfg.state_dir)
    return run_kiosk(cfg, windowed=args.windowed, size=args.size)


def show_not_provisioned(reason: str, *, size: tuple[int, int] = (1280, 800), kiosk: bool = True,
                         state_dir: str | None = None, check_every_s: float = 5.0) -> int:
    """Show only the 'not provisioned' screen (first boot's reason, and where its result file is) until
    SIGTERM/SIGINT, or until ``state_dir``'s provisioning status turns good (checked every
    ``check_every_s`` seconds; systemd then restarts the kiosk into the flow).  The flow is not
    started, so no card is read and nothing is recorded.  Tells systemd READY and pings its
    watchdog from the Qt loop.  Returns 0."""
    from PySide6.QtCore import QTimer

    from sync.sdnotify import Notifier
    from ui.app import KioskWindow, application
    from ui.fixtures import FixedFlow

    app = application()
    notifier = Notifier()
    flow = FixedFlow({"screen": "not_provisioned", "lang": "zh", "text": "not_provisioned", "detail": reason})
    window = KioskWindow(flow, size=size, kiosk=kiosk, tick_s=None)
    try:
        _quit_on_signals(app, notifier)
        if state_dir is not None:
            from images.provision_state import provisioned

            recheck = QTimer(app)
            recheck.timeout.connect(lambda: provisioned(state_dir)[0] and app.exit(0))
            recheck.start(int(check_every_s * 1000))
            app._provision_timer = recheck
        window.show()
        log.error("kiosk.not_provisioned", reason=reason)   # after the handlers: SIGTERM from here quits cleanly
        notifier(ready=True, status=f"not provisioned: {reason}"[:200])
        app.exec()
    finally:
        notifier(stopping=True)
        window.close()
    return 0


def check_display() -> None:
    """Raise TerminalError (exit 2) when Qt would have nowhere to draw, naming the ways to give it one."""
    if os.environ.get("QT_QPA_PLATFORM") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY"):
        return
    raise TerminalError("no display: run the kiosk under cage (see systemd/terminal-kiosk.service), set "
                        "QT_QPA_PLATFORM=offscreen for a headless trial, or render the screens with "
                        "terminal kiosk --screenshots DIR", exit_code=2)


def run_kiosk(cfg, *, windowed: bool = False, size: tuple[int, int] = (1280, 800)) -> int:
    """Open the store and devices, bind the flow to the window and run until SIGTERM/SIGINT; return 0."""
    from kiosk.clock import KioskClock
    from kiosk.devices import Devices
    from kiosk.flow import KioskFlow
    from sync.store import open_store
    from sync.store_cli import store_path
    from sync.sdnotify import Notifier
    from terminal.migrations import all_migrations
    from ui.app import KioskWindow, application

    app = application()
    notifier = Notifier()
    with open_store(store_path(cfg), _with_kiosk_tables(all_migrations())) as store:
        devices = Devices.open(cfg, store)
        # threaded: the reader is polled and every device call runs on worker threads, never on Qt's
        flow = KioskFlow(store, cfg, clock=KioskClock(store), devices=devices, threaded=True)
        window = None
        try:
            window = KioskWindow(flow, size=size, kiosk=not windowed)
            _quit_on_signals(app, notifier)
            window.show()
            log.info("kiosk.started", windowed=windowed, screen=flow.view().get("screen"))
            notifier(ready=True, status="kiosk showing " + str(flow.view().get("screen")))
            app.exec()
        finally:
            notifier(stopping=True)
            if window is not None:
                window.close()
            flow.close()
            devices.close()
    log.info("kiosk.stopped")
    return 0


def _with_kiosk_tables(migrations: list) -> list:
    """``migrations`` plus the kiosk's own (a no-op once terminal.migrations lists them)."""
    from kiosk.store import MIGRATIONS

    have = {(m.module, m.version) for m in migrations}
    return migrations + [m for m in MIGRATIONS if (m.module, m.version) not in have]


def _quit_on_signals(app, notifier=None) -> None:
    """SIGTERM (systemd) and SIGINT end the Qt loop; a 200 ms timer lets Python see them while Qt waits.

    The same timer pings systemd's watchdog from the Qt loop (``notifier``: a sync.sdnotify.Notifier,
    which sends WATCHDOG=1 at most at half of WATCHDOG_USEC), so a hung loop is restarted.
    """
    from PySide6.QtCore import QTimer

    # exit(), not quit(): Qt 6's quit() asks each window to close first, and the locked kiosk window
    # refuses (it ignores Close so Alt-F4 cannot end it) -- systemd's SIGTERM was refused with it.
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: app.exit(0))
    timer = QTimer(app)
    timer.timeout.connect((lambda: notifier(watchdog=True)) if notifier is not None else (lambda: None))
    timer.start(200)
    app._signal_timer = timer  # keep it alive with the app


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run it as: terminal kiosk")
