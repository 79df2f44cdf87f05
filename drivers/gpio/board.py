"""All of the drop box's GPIO devices, built from one :class:`GpioConfig`.

>>> from drivers.gpio import DropBoxGpio, GpioConfig
>>> with DropBoxGpio(GpioConfig(pin_factory="mock")) as gpio:
...     print([h.device for h in gpio.health_all()])
['slot-lock', 'envelope-beam', 'collection-door', 'status-leds', 'buzzer']

From the terminal's configuration, :func:`drivers.gpio.open_gpio` builds it
(and, with ``backend = "sim"``, the simulator around it).  This module knows
nothing of the simulator: :class:`~drivers.gpio.sim.GpioSimulator` drives the
board's pins from outside.
"""

from __future__ import annotations

from drivers.base import Device
from drivers.gpio.config import GpioConfig
from drivers.gpio.lock import SlotLock
from drivers.gpio.pinfactory import make_pin_factory
from drivers.gpio.sensors import CollectionDoor, EnvelopeBeam
from drivers.gpio.signals import Buzzer, StatusLeds
from drivers.health import Health


class DropBoxGpio(Device):
    """``lock``, ``beam``, ``door``, ``leds`` and ``buzzer`` on one pin factory.

    Args:
        config: the pins and timings (:class:`GpioConfig`).
        pin_factory: a gpiozero pin factory to use instead of the configured
            one (tests pass a MockFactory); the board closes only a factory it
            made itself.

    Raises :class:`ConfigurationError` or :class:`DeviceUnavailable` when a pin
    or the pin library cannot be had; the devices already built are released
    first.  ``simulator`` is what :func:`~drivers.gpio.open_gpio` put in front
    of the inputs with ``backend = "sim"`` (None otherwise); :meth:`close`
    stops it before releasing the pins.

    >>> from drivers.gpio import GpioConfig, GpioSimulator
    >>> with DropBoxGpio(GpioConfig(pin_factory="mock")) as gpio, GpioSimulator(gpio):
    ...     _ = gpio.door.wait_for(is_closed=True, timeout_s=2)
    ...     _ = gpio.beam.wait_for(is_closed=True, timeout_s=2)
    ...     print(gpio.health().ok, gpio.lock.locked)
    True True
    """

    name = "gpio"

    def __init__(self, config: GpioConfig, *, pin_factory=None):
        super().__init__()
        self.config = config
        self.simulator = None
        self._own_factory = pin_factory is None
        self.factory = pin_factory if pin_factory is not None else make_pin_factory(config.pin_factory)
        pins, f = config.pins, self.factory
        self._devices: list[Device] = []
        try:
            self.lock = self._add(SlotLock(pins["lock"], active_high=config.lock_active_high,
                                           max_energised_s=config.lock_max_energised_s,
                                           cooldown_s=config.lock_cooldown_s, pin_factory=f))
            self.beam = self._add(EnvelopeBeam(pins["beam"], pull_up=config.inputs_pull_up,
                                               bounce_s=config.beam_bounce_s, pin_factory=f))
            self.door = self._add(CollectionDoor(pins["door"], pull_up=config.inputs_pull_up,
                                                 bounce_s=config.door_bounce_s, pin_factory=f))
            self.leds = self._add(StatusLeds(pins["led_green"], pins["led_red"],
                                             active_high=config.signals_active_high, pin_factory=f))
            self.buzzer = self._add(Buzzer(pins["buzzer"], active_high=config.signals_active_high, pin_factory=f))
        except BaseException:
            self.close()
            raise

    def _add(self, device):
        self._devices.append(device)
        return device

    @property
    def is_mock(self) -> bool:
        """The pins are gpiozero's MockFactory (tests and ``backend = "sim"``)."""
        return type(self.factory).__name__ == "MockFactory"

    def health_all(self) -> list[Health]:
        """One :class:`Health` per device: lock, beam, door, LEDs, buzzer.  Never raises."""
        return [d.health() for d in self._devices]

    def health(self) -> Health:
        """One :class:`Health` for the board: ok when every device is; never raises."""
        results = self.health_all()
        failed = [h for h in results if not h.ok]
        summary = "; ".join(f"{h.device}: {h.summary}" for h in (failed or results))
        return Health(self.name, not failed, summary, {h.device: h.details for h in results})

    def close(self) -> None:
        """Stop the simulator, release every device (the lock last, relocked) and our pin factory; idempotent."""
        if self._closed:
            return
        if self.simulator is not None:
            self.simulator.close()
        for device in reversed(getattr(self, "_devices", [])):
            device.close()  # the lock goes last: it relocks before its pin is released
        if getattr(self, "_own_factory", False) and getattr(self, "factory", None) is not None:
            self.factory.close()
        super().close()
