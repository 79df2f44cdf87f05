"""The drop box's two sensors, in the domain's terms.

>>> from gpiozero.pins.mock import MockFactory
>>> from drivers.gpio.sensors import EnvelopeBeam
>>> factory = MockFactory()
>>> beam = EnvelopeBeam(27, bounce_s=0.01, pin_factory=factory)
>>> beam.broken                      # nothing connected: the pull-up reads as broken
True
>>> factory.pin(27).drive_low()      # beam intact: the sensor's contact pulls the pin low
>>> beam.wait_for(is_closed=True, timeout_s=2), beam.broken, beam.passes
(True, False, 0)
>>> beam.close(); factory.close()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from drivers.gpio.contacts import Contact
from drivers.health import Health

WIRE_HINT = "or its wire is cut"


class EnvelopeBeam(Contact):
    """A beam-break sensor across the envelope slot (output closed while the beam is intact).

    Args: ``pin``, ``pull_up``, ``bounce_s`` (seconds) and ``pin_factory`` as
    for :class:`~drivers.gpio.contacts.Contact`; ``blocked_after_s``: a beam
    broken longer than this many seconds fails :meth:`health` (an envelope
    stuck in the slot, a dirty lens, or a cut wire).  Raises
    :class:`ConfigurationError` or :class:`DeviceUnavailable` when the pin
    cannot be claimed.

    ``when_broken`` / ``when_cleared`` run on every settled change; each
    broken-then-cleared cycle counts one envelope in ``passes``.

    >>> from drivers.gpio import GpioConfig, GpioSimulator, DropBoxGpio
    >>> with DropBoxGpio(GpioConfig(pin_factory="mock")) as gpio, GpioSimulator(gpio) as sim:
    ...     _ = gpio.beam.wait_for(is_closed=True, timeout_s=2)
    ...     sim.drop_envelope()
    ...     print(gpio.beam.wait_for_pass(timeout_s=2, after=0), gpio.beam.passes)
    True 1
    """

    name = "envelope-beam"
    role = "beam"

    def __init__(self, pin: int, *, pull_up: bool = True, bounce_s: float = 0.01, blocked_after_s: float = 10.0,
                 pin_factory=None):
        self.when_broken: Callable[[], None] | None = None
        self.when_cleared: Callable[[], None] | None = None
        self.passes = 0
        self._break_seen = False  # a beam broken since start-up is not an envelope
        self.blocked_after_s = blocked_after_s
        self._passed = threading.Condition()
        super().__init__(pin, pull_up=pull_up, bounce_s=bounce_s, pin_factory=pin_factory)

    @property
    def broken(self) -> bool:
        """The beam is interrupted (an envelope passing) or its wire is cut."""
        return not self.is_closed

    def _changed(self, is_closed: bool) -> None:
        if is_closed:
            with self._passed:
                if self._break_seen:
                    self.passes += 1
                self._passed.notify_all()
            self._call(self.when_cleared)
        else:
            self._break_seen = True
            self._call(self.when_broken)
        super()._changed(is_closed)

    def wait_for_pass(self, timeout_s: float, *, after: int | None = None) -> bool:
        """Wait at most ``timeout_s`` seconds until ``passes`` exceeds ``after`` (default: its value now).

        Returns True when an envelope passed, False on timeout.
        """
        with self._passed:
            start = self.passes if after is None else after
            return self._passed.wait_for(lambda: self.passes > start, timeout_s)

    def health(self) -> Health:
        """Clear or briefly broken: ok; broken longer than ``blocked_after_s``: not ok.  Never raises."""
        details = {"broken": self.broken, "passes": self.passes, "pin": self.pin}
        if not self.broken:
            return Health(self.name, True, f"clear, {self.passes} passes (GPIO{self.pin})", details)
        for_s = time.monotonic() - self.changed_at
        if for_s > self.blocked_after_s:
            return Health(self.name, False, f"blocked for {for_s:.0f} s: envelope stuck in the slot, "
                                            f"dirty sensor, {WIRE_HINT} (GPIO{self.pin})", details)
        return Health(self.name, True, f"broken (envelope passing) (GPIO{self.pin})", details)


class CollectionDoor(Contact):
    """The collection door's reed switch, normally closed: a cut wire reads "open", never "shut".

    Args and errors as for :class:`~drivers.gpio.contacts.Contact` (``bounce_s``
    in seconds).  ``when_opened`` / ``when_closed`` run on every settled change.

    >>> from gpiozero.pins.mock import MockFactory
    >>> factory = MockFactory()
    >>> with CollectionDoor(22, bounce_s=0.01, pin_factory=factory) as door:
    ...     factory.pin(22).drive_low()                # magnet at the reed: door shut
    ...     print(door.wait_for(is_closed=True, timeout_s=2), door.is_open)
    True False
    >>> factory.close()
    """

    name = "collection-door"
    role = "door"

    def __init__(self, pin: int, *, pull_up: bool = True, bounce_s: float = 0.05, pin_factory=None):
        self.when_opened: Callable[[], None] | None = None
        self.when_closed: Callable[[], None] | None = None
        super().__init__(pin, pull_up=pull_up, bounce_s=bounce_s, pin_factory=pin_factory)

    @property
    def is_open(self) -> bool:
        """The door is open, or its wire is cut (the two read the same)."""
        return not self.is_closed

    def _changed(self, is_closed: bool) -> None:
        self._call(self.when_closed if is_closed else self.when_opened)
        super()._changed(is_closed)

    def health(self) -> Health:
        """Shut: ok; open (or a cut wire): not ok.  Never raises."""
        details = {"open": self.is_open, "pin": self.pin}
        if self.is_open:
            return Health(self.name, False, f"open, {WIRE_HINT} (GPIO{self.pin})", details)
        return Health(self.name, True, f"shut (GPIO{self.pin})", details)
