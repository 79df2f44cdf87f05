"""Core subcommands: ``config init``, ``config check`` and ``demo``."""

from __future__ import annotations

import argparse
import json
import sys

from terminal.cliopts import example, json_option, timeout_option
from terminal.config import ConfigError, resolve_path
from terminal.demo import DemoPorts as DemoPortsDefaults
from terminal.schema import ROLES, load_config

DEMO_PORT_FLAGS = DemoPortsDefaults.FLAGS
DEMO_PORT_HELP = {"central": "reference central", "receipt": "receipt printer simulator",
                  "a4": "A4 IPP printer simulator", "cr80": "CR80 badge IPP printer simulator"}


def register(sub, common) -> None:
    """Add ``terminal config init | check`` and ``terminal demo`` to ``sub``; ``common`` gives --config, --log-level."""
    config = sub.add_parser("config", help="create or check a terminal configuration")
    example(config, "terminal config check --config /etc/service-terminals/terminal.toml")
    config_sub = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)

    init = config_sub.add_parser("init", parents=[common],
                                 help="print a complete, commented configuration to start from")
    init.add_argument("--role", required=True, choices=ROLES)
    init.add_argument("--state-dir", required=True, metavar="DIR",
                      help="where the database and state live (e.g. /var/lib/service-terminals)")
    init.add_argument("--device-id", metavar="D", help="this terminal's id (default: an example id)")
    init.add_argument("--site", metavar="S", help="site code (default: an example site)")
    init.add_argument("--sim", action="store_true", help="every device simulated (for a laptop or the demo)")
    example(init, "terminal config init --role kiosk --state-dir /var/lib/service-terminals "
                  "--device-id KSK-SHA-0001 --site sha-hq > /etc/service-terminals/terminal.toml")
    init.set_defaults(run=_init)

    check = config_sub.add_parser("check", parents=[common], help="validate a configuration and say what is wrong")
    json_option(check, help="print the verdict and every problem as JSON")
    example(check, "terminal config check --config config/kiosk.toml")
    check.set_defaults(run=_check)

    # --dir stays: it is the demo's state folder (configs, databases, enrolment), reused by the next
    # run, not a folder of results to collect, which is what --out names.
    demo = sub.add_parser("demo", parents=[common],
                          help="run the whole terminal set in simulation on this machine (Ctrl-C stops it)")
    demo.add_argument("--dir", default=".demo", metavar="DIR",
                      help="the demo's state folder, reused by the next run (default .demo)")
    timeout_option(demo, default=None, help="stop by itself after this many seconds (for scripted runs)",
                   old=("--for",))
    for name, flag in DEMO_PORT_FLAGS.items():
        demo.add_argument(flag, dest=f"{name}_port", type=tcp_port, default=getattr(DemoPortsDefaults, name),
                          metavar="PORT", help=f"loopback port of the demo's {DEMO_PORT_HELP[name]} "
                                               f"(default {getattr(DemoPortsDefaults, name)})")
    example(demo, "terminal demo --dir /tmp/demo2 --central-port 8750 --receipt-port 19110 --timeout 60")
    demo.set_defaults(run=_demo, service=True)


def tcp_port(text: str) -> int:
    """argparse type: a TCP port 1-65535 in ASCII digits ('８７４０' is refused).

    Returns the port as an int; raises argparse.ArgumentTypeError otherwise.
    """
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) < 65536:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port (1-65535)")
    return int(text)


def _init(args) -> int:
    from terminal.config_init import render_config

    text = render_config(args.role, state_dir=args.state_dir, device_id=args.device_id,
                         site=args.site, sim=args.sim)
    sys.stdout.write(text)
    return 0


def _check(args) -> int:
    path = resolve_path(args.config)
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        if args.json:
            print(json.dumps({"path": str(path), "ok": False, "problems": exc.problems}, ensure_ascii=False))
            return 2
        print(f"{path}: INVALID ({len(exc.problems)} problem{'s' if len(exc.problems) != 1 else ''})", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    devices = {k: v.backend for k, v in cfg.items() if hasattr(v, "get") and "backend" in v}
    if args.json:
        print(json.dumps({"path": str(path), "ok": True, "role": cfg.role, "device_id": cfg.device_id,
                          "devices": devices, "deprecations": list(cfg.deprecations)}, ensure_ascii=False))
        return 0
    summary = ", ".join(f"{d}={backend}" for d, backend in devices.items()) or "no devices"
    print(f"{path}: OK (role {cfg.role}, device {cfg.device_id}, {summary})")
    for note in cfg.deprecations:
        print(f"  note: {note}", file=sys.stderr)
    return 0


def _demo(args) -> int:
    from terminal.demo import run_demo

    ports = DemoPortsDefaults(**{name: getattr(args, f"{name}_port") for name in DEMO_PORT_FLAGS})
    return run_demo(args.dir, timeout_s=args.timeout, ports=ports)
