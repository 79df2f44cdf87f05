"""``terminal hw receipt`` and ``terminal sim receipt``; selftest of the configured receipt printer."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import threading

from drivers.errors import ConfigurationError
from drivers.health import Health
from drivers.receipt.connection import FORMS, PrinterURI, check_host


def register_hw(hw_sub, common) -> None:
    p = hw_sub.add_parser("receipt", parents=[common], help="receipt printer: status, or print a test receipt")
    p.add_argument("--printer", metavar="URI", help=f"{FORMS} (default: [receipt] uri from the config)")
    p.add_argument("--test", action="store_true", help="print a test receipt (Chinese text, a QR code, a cut)")
    p.add_argument("--status-timeout", type=_seconds, metavar="S", help="seconds to wait for each status answer")
    p.set_defaults(run=_hw)


def register_sim(sim_sub, common) -> None:
    p = sim_sub.add_parser("receipt", parents=[common],
                           help="a TCP 9100 ESC/POS printer that renders each job to text and PNG")
    p.add_argument("--listen", default="127.0.0.1:9100", metavar="HOST:PORT")
    p.add_argument("--serial", action="store_true",
                   help="be a serial printer on a pseudo-terminal instead (its serial:///dev/pts/N URI is logged)")
    p.add_argument("--out", metavar="DIR", help="write job-NNNN.txt and job-NNNN.png here")
    p.add_argument("--state", default="ok", choices=("ok", "paper-low", "paper-out", "cover-open", "offline", "silent"))
    p.add_argument("--paper-lines", type=_whole, metavar="N", help="the roll runs out after N printed lines")
    p.add_argument("--width", type=_width, default=42, metavar="COLUMNS",
                   help="paper width in half-width columns, 8-288 (a Chinese character takes two; default 42)")
    p.set_defaults(run=_sim, service=True)


def _whole(text: str) -> int:
    """An argparse type: a whole number in ASCII digits (int() would also take '١٢' and '１２')."""
    if not (0 < len(text) <= 7 and text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a whole number in digits 0-9")
    return int(text)


def _width(text: str) -> int:
    """An argparse type: a paper width the renderer can draw (at least 2 dots per column)."""
    value = _whole(text)
    if not 8 <= value <= 288:
        raise argparse.ArgumentTypeError(f"{value} is not a paper width of 8-288 columns")
    return value


def _seconds(text: str) -> float:
    """An argparse type: seconds above 0, written in ASCII (float() would also take '١٢')."""
    try:
        value = float(text) if text.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text[:20]!r} is not a number of seconds above 0 in digits 0-9")
    return value


def _listen(text: str) -> tuple[str, int]:
    """--listen HOST:PORT as (host, port 0-65535; 0 picks a free port), ASCII digits only."""
    host, _, port = text.rpartition(":")
    if not host or not (0 < len(port) <= 5 and port.isascii() and port.isdigit()) or int(port) > 65535:
        raise ConfigurationError("receipt", f"--listen {text!r}: expected HOST:PORT with a port 0-65535 in "
                                            "digits 0-9", hint="e.g. --listen 127.0.0.1:9100")
    check_host(host, lambda why: ConfigurationError("receipt", f"--listen {text!r}: {why}",
                                                     hint="e.g. --listen 127.0.0.1:9100"))
    return host.strip("[]"), int(port)


def _settings(args):
    """(uri, status timeout, io timeout, width) from --printer or the config."""
    if args.printer:
        return PrinterURI.parse(args.printer), args.status_timeout or 1.0, 5.0, 42
    from terminal.settings_access import load_for_command

    cfg = load_for_command(args)
    if "receipt" not in cfg:
        raise ConfigurationError("receipt", "this terminal's config has no [receipt] section",
                                 hint="name the printer with --printer URI")
    r = cfg.receipt
    return PrinterURI.parse(r.uri), args.status_timeout or r.status_timeout_s, r.io_timeout_s, r.width_chars


def _hw(args) -> int:
    from drivers.receipt.document import receipt_test_page
    from drivers.receipt.printer import ReceiptPrinter

    uri, status_timeout, io_timeout, width = _settings(args)
    with ReceiptPrinter(uri, status_timeout=status_timeout, io_timeout=io_timeout, width_chars=width) as printer:
        if args.test:
            after = printer.print(receipt_test_page(width, where=str(uri)))
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
    host, port = _listen(args.listen)
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
        raise ConfigurationError("receipt", f"cannot listen on {args.listen}: {exc.strerror or exc}") from None
    with sim:
        log.info("receipt_sim.listening", uri=sim.uri, out=args.out or "", state=sim.state,
                 control=str(control or ""))
        stop.wait()
    log.info("receipt_sim.stopped", jobs=len(sim.jobs))
    return 0


def selftest(cfg) -> list[Health]:
    if "receipt" not in cfg:
        return []
    from drivers.errors import DeviceError
    from drivers.receipt.printer import ReceiptPrinter

    r = cfg.receipt
    try:
        with ReceiptPrinter(r.uri, status_timeout=r.status_timeout_s, io_timeout=r.io_timeout_s,
                            width_chars=r.width_chars) as printer:
            return [printer.health()]
    except DeviceError as exc:
        return [Health("receipt", ok=False, summary=exc.reason, details={"uri": r.uri})]
