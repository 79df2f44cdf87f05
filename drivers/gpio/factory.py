"""``open_gpio(section)``: the drop box's GPIO as its configuration names it (drivers/README.md, point 1).

>>> from drivers.gpio import open_gpio
>>> with open_gpio({"backend": "sim", "sim_drop_after_unlock_s": 0}) as gpio:
...     print(gpio.is_mock, gpio.simulator is not None)
True True
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drivers.gpio.board import DropBoxGpio
from drivers.gpio.config import GpioConfig
from drivers.gpio.sim import GpioSimulator
from drivers.settings import GPIO, section_values


def open_gpio(section: Mapping[str, Any], **overrides: Any) -> DropBoxGpio:
    """The drop box's GPIO from the ``[gpio]`` config section (``cfg.gpio``, or a dict of some of its keys).

    ``overrides`` replace keys of the section (``pins={...}``,
    ``backend="sim"``, ``pin_factory=...``); keys left out take the schema's
    defaults.  With ``backend = "sim"`` the board is on MockFactory pins and a
    :class:`GpioSimulator` wires the sensors and, after
    ``sim_drop_after_unlock_s`` seconds, drops an envelope through each
    unlocked slot; it is ``gpio.simulator`` and stops when the board closes.

    Returns an open :class:`DropBoxGpio`.  Raises :class:`ConfigurationError`
    for an unknown or bad setting, :class:`DeviceUnavailable` when the pins
    cannot be had.
    """
    values = section_values(GPIO, section, overrides, device="gpio")
    gpio = DropBoxGpio(GpioConfig.from_settings(values))
    if values["backend"] == "sim":
        try:
            gpio.simulator = GpioSimulator(gpio, drop_after_unlock_s=values["sim_drop_after_unlock_s"])
        except BaseException:
            gpio.close()
            raise
    return gpio
