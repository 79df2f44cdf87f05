"""Status LEDs and the buzzer, driven by named patterns rather than raw on/off.

>>> from gpiozero.pins.mock import MockFactory
>>> from drivers.gpio.signals import StatusLeds
>>> factory = MockFactory()
>>> with StatusLeds(23, 24, pin_factory=factory) as leds:
...     leds.show("ok")
...     print(leds.pattern, leds.green.is_lit, leds.red.is_lit)
ok True False
>>> factory.close()
"""

from __future__ import annotations

from gpiozero import LED
from gpiozero import Buzzer as _GpioBuzzer

from drivers.base import Device
from drivers.errors import ConfigurationError
from drivers.gpio.contacts import gpio_call
from drivers.health import Health

PATTERNS = ("off", "ok", "error", "attention", "unprovisioned")


def _check(pattern: str, device: str) -> None:
    if pattern not in PATTERNS:
        raise ConfigurationError(device, f"pattern {pattern!r} is unknown; use one of {', '.join(PATTERNS)}")


class StatusLeds(Device):
    """A green and a red LED.  ok: green steady; error: red fast blink; attention: both blink slowly;
    unprovisioned: green steady with red blinking once a second (the box waits for a provisioning seed).

    Args: ``green_pin``, ``red_pin`` (BCM numbers), ``active_high`` (false when
    wired active-low), ``pin_factory`` (a gpiozero pin factory).  Raises
    :class:`ConfigurationError` or :class:`DeviceUnavailable` when a pin cannot
    be claimed (the green LED is released again if the red one fails).

    >>> from drivers.gpio import GpioConfig, DropBoxGpio
    >>> with DropBoxGpio(GpioConfig(pin_factory="mock")) as gpio:
    ...     gpio.leds.show("error")
    ...     print(gpio.leds.health().summary)
    showing error (GPIO23, GPIO24)
    """

    name = "status-leds"

    def __init__(self, green_pin: int, red_pin: int, *, active_high: bool = True, pin_factory=None):
        super().__init__()
        self.pattern = "off"
        self.pins = (green_pin, red_pin)
        self.green = gpio_call(self.name, "led_green", green_pin,
                               lambda: LED(green_pin, active_high=active_high, pin_factory=pin_factory))
        try:
            self.red = gpio_call(self.name, "led_red", red_pin,
                                 lambda: LED(red_pin, active_high=active_high, pin_factory=pin_factory))
        except BaseException:
            self.green.close()
            raise

    def show(self, pattern: str) -> None:
        """Show ``pattern`` (one of :data:`PATTERNS`) from now on; :class:`ConfigurationError` for another."""
        _check(pattern, self.name)
        self.green.off()
        self.red.off()
        if pattern == "ok":
            self.green.on()
        elif pattern == "error":
            self.red.blink(on_time=0.15, off_time=0.15)
        elif pattern == "attention":
            self.green.blink(on_time=0.5, off_time=0.5)
            self.red.blink(on_time=0.5, off_time=0.5)
        elif pattern == "unprovisioned":
            self.green.on()
            self.red.blink(on_time=0.5, off_time=0.5)
        self.pattern = pattern

    def health(self) -> Health:
        """The pattern shown; always ok (an LED cannot be read back).  Never raises."""
        return Health(self.name, True, f"showing {self.pattern} (GPIO{self.pins[0]}, GPIO{self.pins[1]})",
                      {"pattern": self.pattern})

    def close(self) -> None:
        """Switch both LEDs off and release their pins (idempotent)."""
        if not self._closed:
            for led in (getattr(self, "red", None), getattr(self, "green", None)):
                if led is not None:
                    led.close()
        super().close()


class Buzzer(Device):
    """A buzzer.  ok: one short beep; error: three fast beeps; attention: two long beeps.

    Args: ``pin`` (BCM number), ``active_high`` (false when wired active-low),
    ``pin_factory`` (a gpiozero pin factory).  Raises
    :class:`ConfigurationError` or :class:`DeviceUnavailable` when the pin
    cannot be claimed.

    >>> from gpiozero.pins.mock import MockFactory
    >>> factory = MockFactory()
    >>> with Buzzer(25, pin_factory=factory) as buzzer:
    ...     buzzer.sound("ok", wait=True)
    ...     print(buzzer.sounding, [s.state for s in factory.pin(25).states])
    False [False, True, False]
    >>> factory.close()
    """

    name = "buzzer"
    BEEPS = {"ok": (0.08, 0.0, 1), "error": (0.1, 0.1, 3), "attention": (0.4, 0.3, 2),
             "unprovisioned": (0.4, 0.3, 2)}  # once, at start: someone on site should look at the box

    def __init__(self, pin: int, *, active_high: bool = True, pin_factory=None):
        super().__init__()
        self.last_pattern = "off"
        self._buzzer = gpio_call(self.name, "buzzer", pin,
                                 lambda: _GpioBuzzer(pin, active_high=active_high, pin_factory=pin_factory))
        self.pin = pin

    @property
    def sounding(self) -> bool:
        """The buzzer is on at this moment."""
        return bool(self._buzzer.value)

    def sound(self, pattern: str, *, wait: bool = False) -> None:
        """Play ``pattern`` (one of :data:`PATTERNS`), in the background unless ``wait``; ``off`` silences it.

        Raises :class:`ConfigurationError` for an unknown pattern.
        """
        _check(pattern, self.name)
        self.last_pattern = pattern
        if pattern == "off":
            self._buzzer.off()
            return
        on, off, n = self.BEEPS[pattern]
        self._buzzer.beep(on_time=on, off_time=off, n=n, background=not wait)

    def health(self) -> Health:
        """Sounding or quiet: ok until closed.  Never raises."""
        if self._closed:
            return Health(self.name, False, f"closed: GPIO{self.pin} released", {"last_pattern": self.last_pattern})
        return Health(self.name, True, f"{'sounding' if self.sounding else 'quiet'} (GPIO{self.pin})",
                      {"last_pattern": self.last_pattern})

    def close(self) -> None:
        """Silence the buzzer and release its pin (idempotent)."""
        if not self._closed and hasattr(self, "_buzzer"):
            self._buzzer.close()
        super().close()
