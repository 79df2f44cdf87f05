"""``terminal hw`` and ``terminal sim``, and the device checks ``terminal selftest`` runs.

Each device package under drivers/ that has a ``cli`` module takes part:

* ``register_hw(hw_sub, common)`` adds ``terminal hw <device>``;
* ``register_sim(sim_sub, common)`` adds ``terminal sim <device>``;
* ``selftest(cfg) -> list[Health]`` checks the devices the config names
  (an empty list when the terminal has none of them); ``terminal selftest``
  (terminal/selftest.py) runs them with the store check.

Discovery keeps this file untouched when a device is added.
"""

from __future__ import annotations

import importlib
import pkgutil

import drivers
from drivers.health import Health
from terminal.cliopts import example


def device_cli_modules() -> list:
    """The ``drivers.<device>.cli`` modules, sorted by device; an error inside one is raised, not skipped."""
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
    """Add ``terminal hw`` and ``terminal sim`` to ``sub``, each with every device's subcommand.

    ``sub`` is the ``terminal`` command's subparsers, ``common`` the parent
    parser giving ``--config``.
    """
    modules = device_cli_modules()
    hw = sub.add_parser("hw", help="talk to one device directly (technician tools)")
    hw_sub = hw.add_subparsers(dest="hw_device", metavar="DEVICE", required=True)
    example(hw, "terminal hw camera --device /dev/video0 --snapshot /tmp/frame.png")
    sim = sub.add_parser("sim", help="run a device simulator (used by make demo and the tests)")
    sim_sub = sim.add_subparsers(dest="sim_device", metavar="DEVICE", required=True)
    example(sim, "terminal sim camera --out /tmp/camera --qr DBX-ENV-0001")
    for module in modules:
        if hasattr(module, "register_hw"):
            module.register_hw(hw_sub, common)
        if hasattr(module, "register_sim"):
            module.register_sim(sim_sub, common)


def run_selftest(cfg) -> list[Health]:
    """Every device module's ``selftest(cfg)``, in device order: one :class:`Health` per configured device."""
    results: list[Health] = []
    for module in device_cli_modules():
        if hasattr(module, "selftest"):
            results.extend(module.selftest(cfg))
    return results
