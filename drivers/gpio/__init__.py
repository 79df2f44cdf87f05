"""Drop-box GPIO through gpiozero: slot lock, envelope beam, collection door, LEDs, buzzer.

:func:`open_gpio` builds the board its ``[gpio]`` section names; pin
factories are lgpio or RPi.GPIO on a Raspberry Pi, gpiozero's MockFactory in
tests and simulation (see :mod:`drivers.gpio.pinfactory`), where
:class:`GpioSimulator` plays the wiring and the people.

>>> from drivers.gpio import open_gpio
>>> with open_gpio({"backend": "sim"}) as gpio:
...     gpio.leds.show("attention")
...     print(gpio.lock.locked, gpio.door.wait_for(is_closed=True, timeout_s=2))
True True
"""

from drivers.lazy import lazy_exports

_EXPORTS = {
    "DropBoxGpio": "drivers.gpio.board",
    "DEFAULT_PINS": "drivers.gpio.config",
    "ROLES": "drivers.gpio.config",
    "GpioConfig": "drivers.gpio.config",
    "Contact": "drivers.gpio.contacts",
    "Debouncer": "drivers.gpio.contacts",
    "open_gpio": "drivers.gpio.factory",
    "SlotLock": "drivers.gpio.lock",
    "make_pin_factory": "drivers.gpio.pinfactory",
    "CollectionDoor": "drivers.gpio.sensors",
    "EnvelopeBeam": "drivers.gpio.sensors",
    "PATTERNS": "drivers.gpio.signals",
    "Buzzer": "drivers.gpio.signals",
    "StatusLeds": "drivers.gpio.signals",
    "GpioSimulator": "drivers.gpio.sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
