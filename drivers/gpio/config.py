"""The drop box's GPIO configuration as one explicit, validated object.

>>> from drivers.gpio.config import GpioConfig
>>> cfg = GpioConfig(pins={"lock": 17, "beam": 27, "door": 22, "led_green": 23, "led_red": 24, "buzzer": 17})
Traceback (most recent call last):
...
drivers.errors.ConfigurationError: gpio: pins.buzzer: GPIO17 is already used by pins.lock; every pin once only
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.errors import ConfigurationError
from drivers.gpio.factory import FACTORIES

ROLES = ("lock", "beam", "door", "led_green", "led_red", "buzzer")
DEFAULT_PINS = {"lock": 17, "beam": 27, "door": 22, "led_green": 23, "led_red": 24, "buzzer": 25}
MIN_PIN, MAX_PIN = 2, 27  # 0/1 are the HAT EEPROM bus; 28+ are not on the 40-pin header


def pin_problems(pins: dict[str, int]) -> list[tuple[str, str]]:
    """(role, problem) for every pin out of range or used twice."""
    used: dict[int, str] = {}
    problems = []
    for role, pin in pins.items():
        if isinstance(pin, bool) or not isinstance(pin, int) or not MIN_PIN <= pin <= MAX_PIN:
            problems.append((role, f"{pin!r} is not a header GPIO; use a BCM number {MIN_PIN} to {MAX_PIN}"))
        elif pin in used:
            problems.append((role, f"GPIO{pin} is already used by pins.{used[pin]}; every pin once only"))
        else:
            used[pin] = role
    return problems


@dataclass(frozen=True)
class GpioConfig:
    """Pins (BCM numbers by role) and the electrical and timing choices around them."""

    pins: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PINS))
    pin_factory: str = "auto"              # auto | lgpio | rpigpio | mock
    lock_active_high: bool = True
    lock_max_energised_s: float = 3.0
    lock_cooldown_s: float = 2.0
    inputs_pull_up: bool = True
    beam_bounce_s: float = 0.010
    door_bounce_s: float = 0.050
    signals_active_high: bool = True

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
        if not 0.1 <= self.lock_max_energised_s <= 10.0:
            raise ConfigurationError("gpio", f"lock_max_energised_s {self.lock_max_energised_s} is out of range; "
                                     "use 0.1 to 10")
        if not 0.0 <= self.lock_cooldown_s <= 60.0:
            raise ConfigurationError("gpio", f"lock_cooldown_s {self.lock_cooldown_s} is out of range; use 0 to 60")
        for name in ("beam_bounce_s", "door_bounce_s"):
            if not 0.0 <= getattr(self, name) <= 2.0:
                raise ConfigurationError("gpio", f"{name} {getattr(self, name)} is out of range; use 0 to 2")

    @classmethod
    def from_settings(cls, section) -> "GpioConfig":
        """From the ``[gpio]`` section; ``backend = "sim"`` means gpiozero's MockFactory."""
        return cls(
            pins=dict(section["pins"]),
            pin_factory="mock" if section["backend"] == "sim" else section["pin_factory"],
            lock_active_high=section["lock_active_high"],
            lock_max_energised_s=section["lock_max_energised_s"],
            lock_cooldown_s=section["lock_cooldown_s"],
            inputs_pull_up=section["inputs_pull_up"],
            beam_bounce_s=section["beam_bounce_ms"] / 1000,
            door_bounce_s=section["door_bounce_ms"] / 1000,
            signals_active_high=section["signals_active_high"],
        )
