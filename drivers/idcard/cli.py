"""``terminal hw idcard``, ``terminal sim idcard`` and the reader's selftest.

``terminal hw idcard --port P`` needs no config file (a technician's laptop
has none); without ``--port`` it reads the terminal config's ``[idcard]``.
``terminal sim idcard --port LINK`` runs a simulated reader until SIGTERM or
SIGINT; SIGUSR1 lifts the card / puts it back.  Both build the reader with
:func:`~drivers.idcard.reader.open_idcard`, as the kiosk does.
"""

from __future__ import annotations

import json
import re
import signal
import threading

from drivers.errors import ConfigurationError, DeviceError
from drivers.health import Health
from drivers.idcard.card import IdCard
from drivers.idcard.photo import PhotoDecoder
from drivers.idcard.reader import IdCardReader, open_idcard
from drivers.idcard.samples import SAMPLES, sample_card
from drivers.idcard.sim import COMMAND_KEYS, FAULTS, IdCardSimulator
from terminal import TerminalError
from terminal.cliopts import example, json_option, port_option, seconds, timeout_option
from terminal.logs import get_logger
from terminal.settings_access import load_for_command

log = get_logger(__name__)

DEFAULT_WAIT_S = 30.0
DEFAULT_COMMAND_TIMEOUT_S = 3.0   # [idcard] timeout_s's default, for a reader named with --port alone
# [0-9], not \d: int() would take full-width digits and crash on '²'; fullmatch, as $ allows a final newline.
_FAULT = re.compile(r"(?P<kind>[a-z-]+)(=(?P<sw3>0x[0-9a-fA-F]{1,2}|[0-9]{1,3}))?(@(?P<command>[a-z_]+))?"
                    r"(x(?P<times>[0-9]+))?")


def register_hw(hw_sub, common) -> None:
    """Add ``terminal hw idcard`` to ``hw_sub`` (argparse subparsers); ``common`` gives --config/--log-level."""
    p = hw_sub.add_parser("idcard", parents=[common], help="wait for one ID card and print it",
                          description="Wait for one card on the ID-card reader and print it (personal data "
                                      "masked unless --show-pii). Exit 1 with one line when the read fails.")
    port_option(p, help="serial port of the reader (no config file needed); default: idcard.port from the config")
    timeout_option(p, default=DEFAULT_WAIT_S, help="seconds to wait for a card")
    json_option(p, help="print the card as one JSON object")
    p.add_argument("--show-pii", action="store_true", help="print names, numbers, address and birth date unmasked")
    p.add_argument("--fingerprint", action="store_true", help="also read the fingerprint block")
    p.add_argument("--photo-decoder", metavar="CMD", help="WLT photo decoder command (overrides the config)")
    example(p, "terminal hw idcard --port /dev/ttyUSB0 --timeout 10 --json")
    p.set_defaults(run=_run_hw)


def _reader_for(args) -> IdCardReader:
    if not args.timeout > 0:
        raise TerminalError(f"--timeout must be a number of seconds above 0, got {args.timeout:g}", exit_code=2)
    values: dict = {}
    if args.port is None or args.config:
        cfg = load_for_command(args)
        if "idcard" not in cfg:
            raise TerminalError(f"{cfg.source}: no [idcard] section; name the reader with --port", exit_code=2)
        values = dict(cfg.idcard)
    if args.port:
        values["port"] = args.port
    if args.photo_decoder is not None:
        values["photo_decoder"] = args.photo_decoder
    if args.fingerprint:
        values["read_fingerprint"] = True
    # One command never waits longer than the whole read may.
    command_timeout_s = min(values.get("timeout_s", DEFAULT_COMMAND_TIMEOUT_S), args.timeout)
    return open_idcard(values, timeout_s=command_timeout_s)


def format_card(card: IdCard, *, show_pii: bool) -> str:
    """``card`` as aligned ``key  value`` lines (masked unless ``show_pii``), plus notes on rare characters
    and a failed ID-number check; returns the text without a final newline."""
    values = card.to_dict(show_pii=show_pii)
    width = max(map(len, values))
    if card.valid_to is None:
        values["valid_to"] = "long-term (长期)"
    lines = [f"{key:<{width}}  {_show(value)}" for key, value in values.items() if value is not None]
    if card.rare_characters:
        lines.append("note: the card holds rare characters the reader cannot show exactly; check them by eye")
    if not card.id_number_valid:
        lines.append(f"note: ID number failed its check: {card.id_number_problem}")
    return "\n".join(lines)


def _show(value) -> str:
    return ("yes" if value else "no") if isinstance(value, bool) else str(value)


def _run_hw(args) -> int:
    with _reader_for(args) as reader:
        card = reader.wait_for_card(args.timeout)
    if args.json:
        print(json.dumps(card.to_dict(show_pii=args.show_pii), ensure_ascii=False))
    else:
        print(format_card(card, show_pii=args.show_pii))
    return 0


# --- terminal sim idcard ---------------------------------------------------------------------

def register_sim(sim_sub, common) -> None:
    """Add ``terminal sim idcard`` to ``sim_sub`` (argparse subparsers); ``common`` gives --config/--log-level."""
    kinds = ", ".join(FAULTS)
    p = sim_sub.add_parser("idcard", parents=[common], help="simulated ID-card reader on a pseudo-terminal",
                           description="Run a simulated ID-card reader on a pseudo-terminal until SIGTERM or "
                                       "SIGINT. The reader's port is a symlink at --port. SIGUSR1 lifts the "
                                       "card off the reader, or puts it back; SIGUSR2 puts the next sample "
                                       "card on it.")
    port_option(p, help="symlink to create for the pty (default: idcard.port from the config)")
    p.add_argument("--card", choices=sorted(SAMPLES), help="card placed on the reader at start (default: none)")
    p.add_argument("--cycle", type=seconds, metavar="S",
                   help="lift the card and put it back every S seconds (a stream of visitors)")
    p.add_argument("--fault", action="append", default=[], metavar="KIND[=SW3][@COMMAND][xTIMES]",
                   help=f"script a fault; KIND is one of: {kinds}; COMMAND one of: "
                        f"{', '.join(COMMAND_KEYS.values())} (e.g. bad-checksum, unknown-card, silent, "
                        f"status=0x60@sam_status, truncatedx1)")
    p.add_argument("--latency", type=seconds, default=0.0, metavar="S", help="seconds before each reply")
    p.add_argument("--pace", action="store_true", help="send replies at the real 115200-baud rate")
    p.add_argument("--halt-after-read", action="store_true",
                   help="behave like readers that report a card they have read as absent until it is replaced")
    example(p, "terminal sim idcard --port /tmp/idcard.pty --card resident --fault silent@find")
    p.set_defaults(run=_run_sim, service=True)


def parse_fault(text: str) -> dict:
    """``--fault KIND[=SW3][@COMMAND][xTIMES]`` as :meth:`IdCardSimulator.inject` keyword arguments.

    Returns ``{"kind": ..., "command": ..., "sw3": ..., "times": ...}`` (only the parts given);
    raises :class:`TerminalError` (exit code 2) naming what is wrong.
    """
    m = _FAULT.fullmatch(text.strip())
    if not m or m["kind"] not in FAULTS:
        raise TerminalError(f"--fault {text!r}: expected KIND[=SW3][@COMMAND][xTIMES] with KIND one of "
                            f"{', '.join(FAULTS)}", exit_code=2)
    options: dict = {}
    if m["command"]:
        if m["command"] not in COMMAND_KEYS.values():
            raise TerminalError(f"--fault {text!r}: unknown command {m['command']!r}; have: "
                                f"{', '.join(COMMAND_KEYS.values())}", exit_code=2)
        options["command"] = m["command"]
    if m["sw3"]:
        sw3 = int(m["sw3"], 16) if m["sw3"].startswith("0x") else int(m["sw3"])  # base 0 refuses "010"
        if sw3 > 0xFF:
            raise TerminalError(f"--fault {text!r}: SW3 must be a byte", exit_code=2)
        options["sw3"] = sw3
    elif m["kind"] == "status":
        raise TerminalError(f"--fault {text!r}: 'status' needs =SW3, e.g. status=0x41", exit_code=2)
    if m["times"]:
        options["times"] = int(m["times"])
    return {"kind": m["kind"], **options}


def _run_sim(args) -> int:
    port = args.port
    if port is None:
        cfg = load_for_command(args)
        if "idcard" not in cfg:
            raise TerminalError(f"{cfg.source}: no [idcard] section; name the link with --port", exit_code=2)
        port = cfg.idcard.port
    faults = [parse_fault(f) for f in args.fault]
    if args.cycle is not None and (args.cycle <= 0 or not args.card):
        raise TerminalError("--cycle needs --card and a period above 0 seconds", exit_code=2)
    stop = threading.Event()
    toggle = threading.Event()
    swap = threading.Event()
    names = sorted(SAMPLES)
    sim = IdCardSimulator(port, latency_s=args.latency, pace_baud=115200 if args.pace else None,
                          halt_after_read=args.halt_after_read)
    for fault in faults:
        sim.inject(**fault)
    card = sample_card(args.card) if args.card else None
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    previous[signal.SIGUSR1] = signal.signal(signal.SIGUSR1, lambda *_: toggle.set())
    previous[signal.SIGUSR2] = signal.signal(signal.SIGUSR2, lambda *_: swap.set())
    try:
        try:
            sim.start()
        except ConfigurationError as exc:
            raise TerminalError(str(exc), exit_code=2) from None
        with sim:
            if card:
                sim.place(card)
            log.info("idcard_sim.started", port=sim.port, card=args.card or "none",
                     faults=[f["kind"] for f in faults])
            current = args.card
            while not stop.wait(args.cycle or 0.2):
                if swap.is_set():
                    swap.clear()
                    current = names[(names.index(current) + 1) % len(names)] if current else names[0]
                    card = sample_card(current)
                    sim.place(card)
                    log.info("idcard_sim.card", present=True, card=current)
                    continue
                if toggle.is_set() or args.cycle:
                    toggle.clear()
                    if sim.card is not None:
                        sim.lift()
                    elif card is not None:
                        sim.place(card)
                    log.info("idcard_sim.card", present=sim.card is not None)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("idcard_sim.stopped", port=port, requests=len(sim.requests))
    return 0


# --- terminal selftest -----------------------------------------------------------------------

def selftest(cfg) -> list[Health]:
    """The reader's :class:`Health` (SAM status and ID) and the photo decoder's, for ``terminal selftest``.

    ``cfg`` is the terminal config; an empty list when it has no ``[idcard]``.  Never raises.
    """
    if "idcard" not in cfg:
        return []
    section = cfg.idcard
    results: list[Health] = []
    try:
        with open_idcard(section) as reader:
            results.append(reader.health())
    except DeviceError as exc:
        results.append(Health("idcard", ok=False, summary=exc.reason + (f" ({exc.hint})" if exc.hint else ""),
                              details={"port": section.port, "error": type(exc).__name__}))
    if section.photo_decoder:
        try:
            problem = PhotoDecoder(section.photo_decoder).problem_with_command()
        except ConfigurationError as exc:
            problem = exc.reason
        results.append(Health("idcard.photo_decoder", ok=not problem,
                              summary=problem or f"decoder {section.photo_decoder.split()[0]} present"))
    return results
