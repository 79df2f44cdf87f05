"""Drop-box GPIO through gpiozero: slot lock, envelope beam, collection door, LEDs, buzzer.

Pin factories: lgpio or RPi.GPIO on a Raspberry Pi, gpiozero's MockFactory
in tests and simulation (see :mod:`drivers.gpio.factory`).

>>> from drivers.gpio import DropBoxGpio, GpioConfig
>>> with DropBoxGpio(GpioConfig(pin_factory="mock")) as gpio:
...     gpio.leds.show("attention")
...     print(gpio.lock.locked, gpio.door.is_open)    # unwired inputs read as open: fail-safe
True True
"""

from drivers.gpio.board import DropBoxGpio, open_gpio
from drivers.gpio.config import DEFAULT_PINS, ROLES, GpioConfig
from drivers.gpio.contacts import Contact, Debouncer
from drivers.gpio.factory import make_pin_factory
from drivers.gpio.lock import SlotLock
from drivers.gpio.sensors import CollectionDoor, EnvelopeBeam
from drivers.gpio.signals import PATTERNS, Buzzer, StatusLeds
from drivers.gpio.sim import SimulatedDropBox

__all__ = ["DEFAULT_PINS", "PATTERNS", "ROLES", "Buzzer", "CollectionDoor", "Contact", "Debouncer", "DropBoxGpio",
           "EnvelopeBeam", "GpioConfig", "SimulatedDropBox", "SlotLock", "StatusLeds", "make_pin_factory",
           "open_gpio"]
