"""``terminal hw print`` and ``terminal sim printer``; selftest of the A4 and badge printers."""

from __future__ import annotations

import signal
import threading

from drivers.errors import ConfigurationError, DeviceError
from drivers.health import Health
from terminal.cliopts import number as ascii_float, whole as ascii_int

SECTIONS = (("printer", "a4"), ("badge_printer", "cr80"))


def register_hw(hw_sub, common) -> None:
    p = hw_sub.add_parser("print", parents=[common],
                          help="print a PDF or image on an IPP printer or CUPS queue and wait for the result")
    p.add_argument("file", metavar="FILE", help="a PDF, or an image (scaled into the printable area)")
    p.add_argument("--printer", metavar="URI",
                   help="ipp://HOST:PORT/PATH or a CUPS queue name (default: the configured printer for --media)")
    p.add_argument("--media", choices=("a4", "cr80"), default="a4", help="A4 paper or CR80 badge cards")
    p.add_argument("--timeout", type=ascii_float, metavar="S",
                   help="give up (and cancel) after this many seconds")
    p.add_argument("--cups-server", metavar="HOST:PORT", help="CUPS server for queue names (default localhost:631)")
    p.set_defaults(run=_hw_print)


def register_sim(sim_sub, common) -> None:
    p = sim_sub.add_parser("printer", parents=[common],
                           help="a real IPP Everywhere printer (ippeveprinter) for A4 or CR80 cards")
    p.add_argument("--media", choices=("a4", "cr80"), default="a4")
    p.add_argument("--port", type=ascii_int, default=0, metavar="PORT", help="TCP port (default: a free one)")
    p.add_argument("--dir", metavar="DIR", help="keep job files (spool/) and the fault switch here")
    p.set_defaults(run=_sim_printer, service=True)


def _hw_print(args) -> int:
    from drivers.printer.printer import DocumentPrinter

    section = "printer" if args.media == "a4" else "badge_printer"
    target, server, timeout = args.printer, args.cups_server or "localhost:631", args.timeout or 120.0
    if not target:
        from terminal.settings_access import load_for_command

        cfg = load_for_command(args)
        if section not in cfg:
            raise ConfigurationError(section, f"this terminal's config has no [{section}] section",
                                     hint="name the printer with --printer URI")
        target = cfg[section].uri
        server = args.cups_server or cfg[section].cups_server
        timeout = args.timeout or cfg[section].job_timeout_s
    printer = DocumentPrinter(target, media=args.media, cups_server=server, job_timeout=timeout, name=section)
    with printer:
        result = printer.print_file(args.file, job_name="terminal hw print")
    note = f"; printer: {result.warnings}" if result.warnings else ""
    print(f"{section}: job {result.job_id} completed on {printer.uri} in {result.elapsed_s:.2f} s{note}")
    return 0


def _sim_printer(args) -> int:
    from drivers.printer.sim import IppPrinterSimulator
    from terminal.logs import get_logger

    log = get_logger("drivers.printer.sim")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with IppPrinterSimulator(media=args.media, port=args.port, spool_dir=args.dir) as sim:
        log.info("printer_sim.listening", uri=sim.uri, media=args.media, fault_file=str(sim.fault_file))
        while not stop.is_set():
            if sim.process is None or sim.process.poll() is not None:
                log.error("printer_sim.exited", log=str(sim.log_path))
                return 1
            stop.wait(0.5)
    return 0


def selftest(cfg) -> list[Health]:
    from drivers.printer.printer import DocumentPrinter

    results = []
    for section, media in SECTIONS:
        if section not in cfg:
            continue
        s = cfg[section]
        try:
            with DocumentPrinter(s.uri, media=media, cups_server=s.cups_server, job_timeout=s.job_timeout_s,
                                 name=section) as printer:
                results.append(printer.health())
        except DeviceError as exc:
            results.append(Health(section, ok=False, summary=exc.reason, details={"uri": s.uri}))
    return results

