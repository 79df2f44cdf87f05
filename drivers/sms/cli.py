"""``terminal hw sms``, ``terminal hw modem``, ``terminal sim modem`` and the SMS selftest.

``terminal hw sms --to N --text T --port P`` needs no config file; without
``--port`` (or ``--central``) it uses the terminal config's ``[sms]`` section.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import signal
import threading

from drivers.errors import DeviceError
from drivers.health import Health
from drivers.sms.errors import DEVICE
from drivers.sms.factory import open_sms
from drivers.sms.sim import FAULTS, PROMPTS
from terminal import TerminalError
from terminal.cliopts import example, json_option, port_option, seconds, timeout_option, whole
from terminal.logs import get_logger
from terminal.pii import mask_phone

log = get_logger(__name__)


def register_hw(hw_sub, common) -> None:
    """Add ``terminal hw sms`` and ``terminal hw modem`` to ``hw_sub``; ``common`` gives --config/--log-level."""
    p = hw_sub.add_parser("sms", parents=[common], help="send one SMS (through a modem or central)")
    p.add_argument("--to", required=True, metavar="NUMBER", help="recipient, e.g. +8613800138000")
    p.add_argument("--text", required=True, help="message text (Chinese is sent as UCS2; long text in parts)")
    _transport_args(p)
    p.add_argument("--key", help="idempotency key (default: a new one); the same key is never sent twice")
    json_option(p, help="print the result as JSON")
    example(p, 'terminal hw sms --port /dev/ttyUSB2 --to +8613800138000 --text "验证码 123456"')
    p.set_defaults(run=_hw_sms)

    m = hw_sub.add_parser("modem", parents=[common], help="check the SMS modem: SIM, signal, registration")
    _transport_args(m)
    json_option(m, help="print the result as JSON")
    example(m, "terminal hw modem --port /dev/ttyUSB2 --json")
    m.set_defaults(run=_hw_modem)


def _transport_args(p) -> None:
    port_option(p, help="modem serial port (no config file needed)")
    p.add_argument("--baudrate", type=whole, default=115200, help="with --port: serial speed (default 115200)")
    timeout_option(p, default=5.0, help="with --port: seconds per AT command")
    p.add_argument("--send-timeout", type=seconds, default=60.0, metavar="S",
                   help="with --port: seconds for the network to accept a part (default 60)")
    p.add_argument("--central", metavar="URL", help="send through central's SMS API at URL instead")
    p.add_argument("--ca-bundle", default="", help="with --central: CA bundle for central's TLS certificate")


def register_sim(sim_sub, common) -> None:
    """Add ``terminal sim modem`` to ``sim_sub`` (argparse subparsers); ``common`` gives --config/--log-level."""
    p = sim_sub.add_parser("modem", parents=[common], help="a 4G modem speaking AT on a pseudo-terminal")
    port_option(p, required=True, help="path of the symlink to the pty")
    p.add_argument("--fault", choices=FAULTS, help="misbehave: no SIM, no signal, CMS errors, or hang")
    p.add_argument("--prompt", choices=PROMPTS, default="space", metavar="FORM",
                   help="the form of the > prompt after AT+CMGS, as real modems send it: "
                        + "; ".join(f"{name} = {_shown(raw)}" for name, raw in PROMPTS.items())
                        + " (default: space)")
    p.add_argument("--cms-code", type=whole, default=500, help="with --fault cms-error: the code (default 500)")
    p.add_argument("--signal", type=whole, default=23, choices=range(0, 32), metavar="0-31",
                   help="signal strength reported by AT+CSQ (default 23)")
    p.add_argument("--roaming", action="store_true", help="register as roaming")
    p.add_argument("--record", metavar="FILE", help="append each received message to this JSON-lines file")
    example(p, "terminal sim modem --port /tmp/modem.pty --prompt crlf --record /tmp/inbox.jsonl")
    p.set_defaults(run=_sim_modem, service=True)


def _shown(raw: bytes) -> str:
    """b'\\r\\n> ' as 'CR LF "> "', for the help text."""
    parts = raw.replace(b"\r\n", b"\0").split(b"\0")
    words = []
    for i, part in enumerate(parts):
        if part:
            words.append(f'"{part.decode()}"')
        if i < len(parts) - 1:
            words.append("CR LF")
    return " ".join(words)


def _open(args):
    """The sender the command line names, else the configured one."""
    for option, value in (("--timeout", args.timeout), ("--send-timeout", args.send_timeout)):
        if not (math.isfinite(value) and value > 0):       # nan would never time out
            raise TerminalError(f"{option} must be a number of seconds above 0, got {value:g}", exit_code=2)
    if args.port:
        return open_sms({"transport": "modem", "port": args.port, "baudrate": args.baudrate,
                         "command_timeout_s": args.timeout, "send_timeout_s": args.send_timeout})
    if args.central:
        return open_sms({"transport": "central", "central_url": args.central, "ca_bundle": args.ca_bundle})
    from terminal.settings_access import load_for_command

    cfg = load_for_command(args)
    if "sms" not in cfg:
        raise DeviceError(DEVICE, f"{cfg.source} has no [sms] section", hint="name the modem with --port")
    return open_sms(cfg.sms)


@contextlib.contextmanager
def _quiet(args):
    """The failure is the command's one line on stderr; the driver's warnings would only repeat it."""
    logger = logging.getLogger("drivers.sms")
    before = logger.level
    if not args.log_level:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(before)


def _hw_sms(args) -> int:
    from drivers.sms.pdu import normalize_number

    normalize_number(args.to)            # a bad number is reported before any port is opened
    with _quiet(args), _open(args) as sender:
        result = sender.send(args.to, args.text, key=args.key)
    if args.json:
        print(json.dumps({**result.to_dict(), "to": mask_phone(args.to)}, ensure_ascii=False))
    else:
        refs = ", ".join(result.references)
        what = "already sent earlier (same key); nothing sent now" if result.duplicate else "sent"
        print(f"{what}: {result.parts} part{'s' if result.parts != 1 else ''} to {mask_phone(args.to)} "
              f"via {result.transport} (reference {refs}; key {result.key})")
    return 0


def _hw_modem(args) -> int:
    with _quiet(args), _open(args) as sender:
        health = sender.health()
    if args.json:
        print(json.dumps(health.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(f"{'PASS' if health.ok else 'FAIL'}  {health.summary}")
    return 0 if health.ok else 1


def _sim_modem(args) -> int:
    from drivers.sms.sim import ModemSimulator

    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with ModemSimulator(args.port, fault=args.fault, cms_code=args.cms_code, signal=args.signal,
                            roaming=args.roaming, record=args.record, prompt=args.prompt) as sim:
            log.info("sms.sim_ready", port=sim.port, pty=sim.pty, fault=args.fault or "none", prompt=sim.prompt)
            while not stop.wait(0.2):
                pass
            log.info("sms.sim_stopped", port=sim.port, messages=len(sim.messages))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def selftest(cfg) -> list[Health]:
    """The configured sender's :class:`Health` (SIM, signal and registration, or central's answer).

    ``cfg`` is the terminal config; an empty list when it has no ``[sms]``.  Never raises.
    """
    if "sms" not in cfg:
        return []
    try:
        with open_sms(cfg.sms) as sender:
            return [sender.health()]
    except DeviceError as exc:
        return [Health(DEVICE, False, exc.reason + (f" ({exc.hint})" if exc.hint else ""),
                       {"transport": cfg.sms.transport})]
