"""Drop-box GPIO through gpiozero: slot lock, envelope beam, collection door, LEDs, buzzer.

Pin factories: lgpio or RPi.GPIO on a Raspberry Pi, gpiozero's MockFactory
in tests and simulation (see :mod:`drivers.gpio.factory`).

>>> from drivers.gpio import DropBoxGpio, GpioConfig
>>> with DropBoxGpio(GpioConfig(pin_factory="mock")) as gpio:
...     gpio.leds.show("attention")
...     print(gpio.lock.locked, gpio.door.is_open)    # unwired inputs read as open: fail-safe
True True
"""

from drivers.lazy import lazy_exports

_EXPORTS = {
    "DropBoxGpio": "drivers.gpio.board",
    "open_gpio": "drivers.gpio.board",
    "DEFAULT_PINS": "drivers.gpio.config",
    "ROLES": "drivers.gpio.config",
    "GpioConfig": "drivers.gpio.config",
    "Contact": "drivers.gpio.contacts",
    "Debouncer": "drivers.gpio.contacts",
    "make_pin_factory": "drivers.gpio.factory",
    "SlotLock": "drivers.gpio.lock",
    "CollectionDoor": "drivers.gpio.sensors",
    "EnvelopeBeam": "drivers.gpio.sensors",
    "PATTERNS": "drivers.gpio.signals",
    "Buzzer": "drivers.gpio.signals",
    "StatusLeds": "drivers.gpio.signals",
    "SimulatedDropBox": "drivers.gpio.sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["DEFAULT_PINS", "PATTERNS", "ROLES", "Buzzer", "CollectionDoor", "Contact", "Debouncer", "DropBoxGpio",
           "EnvelopeBeam", "GpioConfig", "SimulatedDropBox", "SlotLock", "StatusLeds", "make_pin_factory",
           "open_gpio"]
