"""``terminal hw receipt`` and ``terminal sim receipt``; selftest of the configured receipt printer."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from drivers.errors import ConfigurationError
from drivers.health import Health
from drivers.receipt.connection import FORMS
from terminal import TerminalError
from terminal.cliopts import example, listen_option, out_option, timeout_option, whole


def register_hw(hw_sub, common) -> None:
    """Add ``terminal hw receipt`` to ``hw_sub`` (argparse subparsers); ``common`` gives --config/--log-level."""
    p = hw_sub.add_parser("receipt", parents=[common], help="receipt printer: status, or print a test receipt")
    p.add_argument("--printer", metavar="URI", help=f"{FORMS} (default: [receipt] uri from the config)")
    p.add_argument("--test", action="store_true", help="print a test receipt (Chinese text, a QR code, a cut)")
    timeout_option(p, default=None, help="seconds to wait for each status answer "
                                         "(default: [receipt] status_timeout_s, else 1)", old=("--status-timeout",))
    example(p, "terminal hw receipt --printer tcp://192.168.1.50:9100 --test")
    p.set_defaults(run=_hw)


def register_sim(sim_sub, common) -> None:
    """Add ``terminal sim receipt`` to ``sim_sub`` (argparse subparsers); ``common`` gives --config/--log-level."""
    p = sim_sub.add_parser("receipt", parents=[common],
                           help="a TCP 9100 ESC/POS printer that renders each job to text and PNG")
    listen_option(p, default="127.0.0.1:9100", help="address the printer listens on (port 0: a free one)")
    p.add_argument("--serial", action="store_true",
                   help="be a serial printer on a pseudo-terminal instead (its serial:///dev/pts/N URI is logged)")
    out_option(p, default=None, help="write job-NNNN.txt and job-NNNN.png here")
    p.add_argument("--state", default="ok", choices=("ok", "paper-low", "paper-out", "cover-open", "offline", "silent"))
    p.add_argument("--paper-lines", type=whole, metavar="N", help="the roll runs out after N printed lines")
    p.add_argument("--width", type=_width, default=42, metavar="COLUMNS",
                   help="paper width in half-width columns, 8-288 (a Chinese character takes two; default 42)")
    example(p, "terminal sim receipt --listen 127.0.0.1:9100 --out /tmp/receipts --state paper-low")
    p.set_defaults(run=_sim, service=True)


def _width(text: str) -> int:
    """An argparse type: a paper width the renderer can draw (at least 2 dots per column)."""
    value = whole(text)
    if not 8 <= value <= 288:
        raise argparse.ArgumentTypeError(f"{value} is not a paper width of 8-288 columns")
    return value


def _printer(args):
    """The printer --printer names (no config needed), else the configured one, opened by open_receipt."""
    from drivers.receipt.printer import open_receipt

    if args.timeout is not None and not args.timeout > 0:
        raise TerminalError(f"--timeout must be a number of seconds above 0, got {args.timeout:g}", exit_code=2)
    overrides = {} if args.timeout is None else {"status_timeout_s": args.timeout}
    if args.printer:
        return open_receipt({"uri": args.printer}, **overrides)
    from terminal.settings_access import load_for_command

    cfg = load_for_command(args)
    if "receipt" not in cfg:
        raise ConfigurationError("receipt", "this terminal's config has no [receipt] section",
                                 hint="name the printer with --printer URI")
    return open_receipt(cfg.receipt, **overrides)


def _hw(args) -> int:
    from drivers.receipt.document import receipt_test_page

    with _printer(args) as printer:
        uri = printer.uri
        if args.test:
            after = printer.print(receipt_test_page(printer.width_chars, where=str(uri)))
            print(f"receipt: test receipt sent to {uri}")
        else:
            after = printer.status()
    if not after.answered and not uri.can_read_status:
        print(f"receipt: {after.note}")
        return 0
    if not after.ready:
        print(f"receipt: {uri}: {after.summary}", file=sys.stderr)
        return 1
    print(f"receipt: {uri}: {after.summary}")
    return 0


def _sim(args) -> int:
    from drivers.receipt.sim import ReceiptSimulator
    from terminal.logs import get_logger

    log = get_logger("drivers.receipt.sim")
    host, port = args.listen
    if args.paper_lines is not None and args.paper_lines < 0:
        raise TerminalError(f"--paper-lines must be 0 or more, got {args.paper_lines}", exit_code=2)
    control = None
    if args.out:
        from pathlib import Path

        control = Path(args.out) / "state"
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        sim = ReceiptSimulator(host, port, state=args.state, paper_lines=args.paper_lines, width=args.width,
                               out_dir=args.out, control_file=control, serial=args.serial)
    except OSError as exc:
        raise ConfigurationError("receipt", f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    with sim:
        log.info("receipt_sim.listening", uri=sim.uri, out=args.out or "", state=sim.state,
                 control=str(control or ""))
        stop.wait()
    log.info("receipt_sim.stopped", jobs=len(sim.jobs))
    return 0


def selftest(cfg) -> list[Health]:
    """The configured receipt printer's :class:`Health`, for ``terminal selftest``.

    ``cfg`` is the terminal config; an empty list when it has no ``[receipt]``.  Never raises.
    """
    if "receipt" not in cfg:
        return []
    from drivers.errors import DeviceError
    from drivers.receipt.printer import open_receipt

    try:
        with open_receipt(cfg.receipt) as printer:
            return [printer.health()]
    except DeviceError as exc:
        return [Health("receipt", ok=False, summary=exc.reason, details={"uri": cfg.receipt.uri})]
