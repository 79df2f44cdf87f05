"""The GPIO simulator: the drop box's wiring and the people at it, on MockFactory pins.

MockFactory pins live inside one process, so the simulator runs in the
process that uses the devices (the drop-box agent with ``backend = "sim"``,
the tests, ``terminal hw gpio --sim``), not as a separate ``terminal sim``
process.  It wraps a board from outside: it drives the board's input pins
as the sensors would (beam intact, door shut) and, when
``drop_after_unlock_s`` is set, plays a person who drops an envelope through
the slot that long after the lock opens.  The board knows nothing of it;
:func:`drivers.gpio.open_gpio` puts the two together for ``backend = "sim"``.

>>> from drivers.gpio import DropBoxGpio, GpioConfig, GpioSimulator
>>> with DropBoxGpio(GpioConfig(pin_factory="mock", lock_cooldown_s=0)) as gpio, \\
...         GpioSimulator(gpio, drop_after_unlock_s=0.05) as sim:
...     _ = gpio.lock.unlock(hold_s=1.0)
...     print(gpio.beam.wait_for_pass(timeout_s=3, after=0), sim.drops)
True 1
"""

from __future__ import annotations

import threading
import time

from drivers.errors import ConfigurationError
from drivers.gpio.board import DropBoxGpio
from terminal.logs import get_logger

log = get_logger(__name__)

BREAK_S = 0.15  # an envelope takes this long to fall through the beam


class GpioSimulator:
    """Drives the input pins of a MockFactory-backed :class:`DropBoxGpio`, as its sensors and a person would.

    Args:
        gpio: the board; its pin factory must be gpiozero's MockFactory.
        drop_after_unlock_s: a simulated person drops an envelope this many
            seconds after each unlock (0: nobody does).

    Raises :class:`ConfigurationError` when the board is on real pins.  A
    context manager; :meth:`close` stops the person (the board stays open).
    """

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
        """Wire the sensor ``role`` (``beam`` or ``door``) as installed: contact closed (beam intact, door shut)."""
        self._contact(role, True)

    def cut_wire(self, role: str) -> None:
        """The wire to sensor ``role`` (``beam`` or ``door``) is cut: its pull resistor takes over."""
        self._contact(role, False)

    def open_door(self) -> None:
        """Someone opens the collection door (its reed contact opens)."""
        self._contact("door", False)

    def shut_door(self) -> None:
        """Someone shuts the collection door (its reed contact closes)."""
        self._contact("door", True)

    def drop_envelope(self, break_s: float = BREAK_S) -> None:
        """An envelope falls through the beam, breaking it for ``break_s`` seconds; blocks that long."""
        self._contact("beam", False)
        time.sleep(break_s)
        self._contact("beam", True)
        self.drops += 1
        log.info("gpio.sim_envelope_dropped", drops=self.drops)

    def bounce(self, role: str, edges: int, *, end_closed: bool) -> None:
        """A chattering contact on sensor ``role``: ``edges`` quick changes, ending closed or open."""
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
        """Stop the simulated person (waits at most 2 s for its thread); idempotent, the board stays open."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def __enter__(self) -> "GpioSimulator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
