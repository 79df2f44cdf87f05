"""``terminal hw print`` and ``terminal sim printer``; selftest of the A4 and badge printers."""

from __future__ import annotations

import signal
import threading

from drivers.errors import ConfigurationError, DeviceError
from drivers.health import Health
from terminal import TerminalError
from terminal.cliopts import deprecated_alias, example, listen_address, listen_option, out_option, timeout_option, whole

SECTIONS = (("printer", "a4"), ("badge_printer", "cr80"))
LOOPBACK = ("127.0.0.1", "localhost")


def register_hw(hw_sub, common) -> None:
    """Add ``terminal hw print`` to ``hw_sub`` (argparse subparsers); ``common`` gives --config/--log-level."""
    p = hw_sub.add_parser("print", parents=[common],
                          help="print a PDF or image on an IPP printer or CUPS queue and wait for the result")
    p.add_argument("file", metavar="FILE", help="a PDF, or an image (scaled into the printable area)")
    p.add_argument("--printer", metavar="URI",
                   help="ipp://HOST:PORT/PATH or a CUPS queue name (default: the configured printer for --media)")
    p.add_argument("--media", choices=("a4", "cr80"), default="a4", help="A4 paper or CR80 badge cards")
    timeout_option(p, default=None, help="seconds before the job is given up and cancelled "
                                         "(default: the section's job_timeout_s, else 120)")
    p.add_argument("--cups-server", metavar="HOST:PORT", help="CUPS server for queue names (default localhost:631)")
    example(p, "terminal hw print certificate.pdf --printer ipp://192.168.1.20/ipp/print --timeout 60")
    p.set_defaults(run=_hw_print)


def register_sim(sim_sub, common) -> None:
    """Add ``terminal sim printer`` to ``sim_sub`` (argparse subparsers); ``common`` gives --config/--log-level."""
    p = sim_sub.add_parser("printer", parents=[common],
                           help="a real IPP Everywhere printer (ippeveprinter) for A4 or CR80 cards")
    p.add_argument("--media", choices=("a4", "cr80"), default="a4", help="A4 paper or CR80 badge cards")
    listen_option(p, default="127.0.0.1:0", help="loopback address to listen on (port 0: a free one)")
    # The old --port N took a bare TCP port; read as 127.0.0.1:N (its digits checked by whole()).
    deprecated_alias(p, "--port", "--listen HOST:PORT", dest="listen",
                     type=lambda text: listen_address(f"127.0.0.1:{whole(text)}"))
    out_option(p, default=None, help="keep job files (spool/) and the fault switch here "
                                     "(default: a temporary folder)", old=("--dir",))
    example(p, "terminal sim printer --media cr80 --listen 127.0.0.1:8632 --out /tmp/cards")
    p.set_defaults(run=_sim_printer, service=True)


def _hw_print(args) -> int:
    from drivers.printer.printer import open_printer

    if args.timeout is not None and not args.timeout > 0:
        raise TerminalError(f"--timeout must be a number of seconds above 0, got {args.timeout:g}", exit_code=2)
    section = "printer" if args.media == "a4" else "badge_printer"
    overrides = {} if args.timeout is None else {"job_timeout_s": args.timeout}
    if args.cups_server:
        overrides["cups_server"] = args.cups_server
    if args.printer:
        values = {"uri": args.printer}
    else:
        from terminal.settings_access import load_for_command

        cfg = load_for_command(args)
        if section not in cfg:
            raise ConfigurationError(section, f"this terminal's config has no [{section}] section",
                                     hint="name the printer with --printer URI")
        values = cfg[section]
    with open_printer(values, media=args.media, name=section, **overrides) as printer:
        result = printer.print_file(args.file, job_name="terminal hw print")
    note = f"; printer: {result.warnings}" if result.warnings else ""
    print(f"{section}: job {result.job_id} completed on {printer.uri} in {result.elapsed_s:.2f} s{note}")
    return 0


def _sim_printer(args) -> int:
    from drivers.printer.sim import PrinterSimulator
    from terminal.logs import get_logger

    log = get_logger("drivers.printer.sim")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    host, port = args.listen
    if host not in LOOPBACK:
        raise TerminalError(f"--listen {host}:{port}: the simulated printer listens on loopback only; "
                            f"use 127.0.0.1:{port}", exit_code=2)
    with PrinterSimulator(media=args.media, port=port, spool_dir=args.out) as sim:
        log.info("printer_sim.listening", uri=sim.uri, media=args.media, fault_file=str(sim.fault_file))
        while not stop.is_set():
            if sim.process is None or sim.process.poll() is not None:
                log.error("printer_sim.exited", log=str(sim.log_path))
                return 1
            stop.wait(0.5)
    return 0


def selftest(cfg) -> list[Health]:
    """The :class:`Health` of the A4 and badge printers the config names, for ``terminal selftest``.

    ``cfg`` is the terminal config; an empty list when it names neither.  Never raises.
    """
    from drivers.printer.printer import open_printer

    results = []
    for section, media in SECTIONS:
        if section not in cfg:
            continue
        try:
            with open_printer(cfg[section], media=media, name=section) as printer:
                results.append(printer.health())
        except DeviceError as exc:
            results.append(Health(section, ok=False, summary=exc.reason, details={"uri": cfg[section].uri}))
    return results
