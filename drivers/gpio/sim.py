"""A simulated drop box around the GPIO devices: the wiring and the people, on MockFactory pins.

MockFactory pins live inside one process, so the simulator runs in the
process that uses the devices (the drop-box agent with ``backend = "sim"``,
the tests, ``terminal hw gpio --sim``), not as a separate ``terminal sim``
process.  It wires the sensors as installed (beam intact, door shut) and,
when ``drop_after_unlock_s`` is set, plays a person who drops an envelope
through the slot that long after the lock opens.

>>> from drivers.gpio import DropBoxGpio, GpioConfig, SimulatedDropBox
>>> gpio = DropBoxGpio(GpioConfig(pin_factory="mock", lock_cooldown_s=0))
>>> sim = SimulatedDropBox(gpio, drop_after_unlock_s=0.05)
>>> _ = gpio.lock.unlock(hold_s=1.0)
>>> gpio.beam.wait_for_pass(timeout=3, after=0)
True
>>> sim.close(); gpio.close()
"""

from __future__ import annotations

import threading
import time

from drivers.errors import ConfigurationError
from drivers.gpio.board import DropBoxGpio
from terminal.logs import get_logger

log = get_logger(__name__)

BREAK_S = 0.15  # an envelope takes this long to fall through the beam


class SimulatedDropBox:
    """Drives the input pins of a MockFactory-backed :class:`DropBoxGpio`."""

    def __init__(self, gpio: DropBoxGpio, *, drop_after_unlock_s: float = 0.0):
        if not gpio.is_mock:
            raise ConfigurationError("gpio", "the drop-box simulator needs the mock pin factory (backend = \"sim\")")
        self.gpio = gpio
        self.drop_after_unlock_s = drop_after_unlock_s
        self.drops = 0
        self._pull_up = gpio.config.inputs_pull_up
        self._stop = threading.Event()
        self.connect("beam")
        self.connect("door")
        self._thread = None
        gpio.simulator = self
        if drop_after_unlock_s > 0:
            self._thread = threading.Thread(target=self._person, name="sim-dropbox", daemon=True)
            self._thread.start()

    def _pin(self, role: str):
        return self.gpio.factory.pin(self.gpio.config.pins[role])

    def _contact(self, role: str, closed: bool) -> None:
        pin = self._pin(role)
        # A closed contact pulls the pin against its pull resistor.
        (pin.drive_low if closed == self._pull_up else pin.drive_high)()

    def connect(self, role: str) -> None:
        """Wire the sensor as installed: contact closed (beam intact, door shut)."""
        self._contact(role, True)

    def cut_wire(self, role: str) -> None:
        """The wire to a sensor is cut: its pull resistor takes over."""
        self._contact(role, False)

    def open_door(self) -> None:
        self._contact("door", False)

    def shut_door(self) -> None:
        self._contact("door", True)

    def drop_envelope(self, break_s: float = BREAK_S) -> None:
        """An envelope falls through the beam."""
        self._contact("beam", False)
        time.sleep(break_s)
        self._contact("beam", True)
        self.drops += 1
        log.info("gpio.sim_envelope_dropped", drops=self.drops)

    def bounce(self, role: str, edges: int, *, end_closed: bool) -> None:
        """A chattering contact: ``edges`` quick changes, ending closed or open."""
        closed = not end_closed if edges % 2 else end_closed
        for _ in range(edges):
            closed = not closed
            self._contact(role, closed)

    def _person(self) -> None:
        while not self._stop.is_set():
            if self.gpio.lock.energised:
                if self._stop.wait(self.drop_after_unlock_s):
                    return
                if self.gpio.lock.energised:
                    self.drop_envelope()
                # One envelope per unlock: wait for the lock to close again.
                while self.gpio.lock.energised and not self._stop.is_set():
                    self._stop.wait(0.02)
            self._stop.wait(0.02)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
