"""``terminal hw``, ``terminal sim`` and ``terminal selftest``.

Each device package under drivers/ that has a ``cli`` module takes part:

* ``register_hw(hw_sub, common)`` adds ``terminal hw <device>``;
* ``register_sim(sim_sub, common)`` adds ``terminal sim <device>``;
* ``selftest(cfg) -> list[Health]`` checks the devices the config names
  (an empty list when the terminal has none of them).

Discovery keeps this file untouched when a device is added.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys

import drivers
from drivers.health import Health
from terminal.settings_access import load_for_command


def device_cli_modules() -> list:
    modules = []
    for info in sorted(pkgutil.iter_modules(drivers.__path__), key=lambda i: i.name):
        if info.ispkg:
            try:
                modules.append(importlib.import_module(f"drivers.{info.name}.cli"))
            except ModuleNotFoundError as exc:
                if exc.name != f"drivers.{info.name}.cli":
                    raise
    return modules


def register(sub, common) -> None:
    modules = device_cli_modules()
    hw = sub.add_parser("hw", help="talk to one device directly (technician tools)")
    hw_sub = hw.add_subparsers(dest="hw_device", metavar="DEVICE", required=True)
    sim = sub.add_parser("sim", help="run a device simulator (used by make demo and the tests)")
    sim_sub = sim.add_subparsers(dest="sim_device", metavar="DEVICE", required=True)
    for module in modules:
        if hasattr(module, "register_hw"):
            module.register_hw(hw_sub, common)
        if hasattr(module, "register_sim"):
            module.register_sim(sim_sub, common)
    selftest = sub.add_parser("selftest", parents=[common],
                              help="check every configured device; exit 0 only when all pass")
    selftest.add_argument("--json", action="store_true", help="print the results as JSON")
    selftest.set_defaults(run=_selftest)


def run_selftest(cfg) -> list[Health]:
    results: list[Health] = []
    for module in device_cli_modules():
        if hasattr(module, "selftest"):
            results.extend(module.selftest(cfg))
    return results


def _selftest(args) -> int:
    cfg = load_for_command(args)
    results = run_selftest(cfg)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        if not results:
            print("no devices configured")
        width = max([len(r.device) for r in results] + [6])
        for device, verdict, summary in (r.as_row() for r in results):
            print(f"{device:<{width}}  {verdict:<4}  {summary}")
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"{len(failed)} of {len(results)} checks failed", file=sys.stderr)
    return 1 if failed else 0
