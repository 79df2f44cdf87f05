"""The drop box's GPIO configuration as one explicit, validated object.

The limits themselves live in the schema (:mod:`drivers.settings`): the pin
map's rule is :func:`drivers.settings.pin_problems`, and the debounce times are
checked against the ``[gpio]`` section's own bounds.  The lock's cap and
cool-down are checked by :class:`~drivers.gpio.lock.SlotLock`, which also
takes them directly from Python.

>>> from drivers.gpio.config import GpioConfig
>>> cfg = GpioConfig(pins={"lock": 17, "beam": 27, "door": 22, "led_green": 23, "led_red": 24, "buzzer": 17})
Traceback (most recent call last):
...
drivers.errors.ConfigurationError: gpio: pins.buzzer: GPIO17 is already used by pins.lock; every pin once only
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from drivers.errors import ConfigurationError
from drivers.gpio.pinfactory import FACTORIES
from drivers.settings import GPIO, GPIO_PINS, check_bounds, pin_problems

DEFAULT_PINS = {role: setting.default for role, setting in GPIO_PINS.settings.items()}
ROLES = tuple(DEFAULT_PINS)


def _default(key: str) -> Any:
    return GPIO.settings[key].default


@dataclass(frozen=True)
class GpioConfig:
    """Pins (BCM numbers by role) and the electrical and timing choices around them.

    Args (defaults are the ``[gpio]`` section's):
        pins: BCM number by role, every role of :data:`ROLES` once; no pin twice.
        pin_factory: ``auto``, ``lgpio``, ``rpigpio`` or ``mock`` (gpiozero's MockFactory).
        lock_active_high: false when the lock's relay board switches on a low input.
        lock_max_energised_s: the coil's hard cap, seconds (checked by SlotLock).
        lock_cooldown_s: the coil's rest between two unlocks, seconds (checked by SlotLock).
        inputs_pull_up: sensors close to ground against the internal pull-up.
        beam_bounce_s, door_bounce_s: how long a level must hold to count, seconds.
        signals_active_high: false when the LEDs and buzzer are wired active-low.

    Raises:
        ConfigurationError: a role missing or unknown, a pin off the header or used
        twice, an unknown pin factory, a debounce time outside the section's bounds.

    >>> GpioConfig(beam_bounce_s=0.7)
    Traceback (most recent call last):
    ...
    drivers.errors.ConfigurationError: gpio: beam_bounce_s 0.7 is out of range; use 0 to 0.5
    """

    pins: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PINS))
    pin_factory: str = _default("pin_factory")
    lock_active_high: bool = _default("lock_active_high")
    lock_max_energised_s: float = _default("lock_max_energised_s")
    lock_cooldown_s: float = _default("lock_cooldown_s")
    inputs_pull_up: bool = _default("inputs_pull_up")
    beam_bounce_s: float = _default("beam_bounce_s")
    door_bounce_s: float = _default("door_bounce_s")
    signals_active_high: bool = _default("signals_active_high")

    def __post_init__(self):
        missing = [r for r in ROLES if r not in self.pins]
        unknown = [r for r in self.pins if r not in ROLES]
        if missing or unknown:
            raise ConfigurationError("gpio", "pins: " + "; ".join(
                ([f"missing {', '.join(missing)}"] if missing else [])
                + ([f"unknown {', '.join(unknown)}"] if unknown else [])), hint=f"roles are {', '.join(ROLES)}")
        problems = pin_problems(self.pins)
        if problems:
            raise ConfigurationError("gpio", "; ".join(f"pins.{role}: {p}" for role, p in problems))
        if self.pin_factory not in FACTORIES:
            raise ConfigurationError("gpio", f"pin_factory {self.pin_factory!r} is unknown; use one of "
                                     + ", ".join(FACTORIES))
        for name in ("beam_bounce_s", "door_bounce_s"):
            check_bounds(GPIO, name, getattr(self, name), device="gpio", name=name)

    @classmethod
    def from_settings(cls, section: Mapping[str, Any]) -> "GpioConfig":
        """From the ``[gpio]`` section's values (all keys present); ``backend = "sim"`` means MockFactory.

        Raises :class:`ConfigurationError` as the constructor does.
        """
        return cls(
            pins=dict(section["pins"]),
            pin_factory="mock" if section["backend"] == "sim" else section["pin_factory"],
            lock_active_high=section["lock_active_high"],
            lock_max_energised_s=section["lock_max_energised_s"],
            lock_cooldown_s=section["lock_cooldown_s"],
            inputs_pull_up=section["inputs_pull_up"],
            beam_bounce_s=section["beam_bounce_s"],
            door_bounce_s=section["door_bounce_s"],
            signals_active_high=section["signals_active_high"],
        )
