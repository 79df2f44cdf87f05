"""Switch contacts on input pins, debounced the same way whatever the pin library.

RPi.GPIO's bouncetime ignores edges for a while after one, lgpio's debounce
waits for a stable level, and gpiozero's MockFactory ignores bounce
altogether; so the debounce is done here, once, with lgpio's meaning: a
level counts only after it has held for ``bounce_s``.

Sensors are wired normally closed: the contact is closed while all is well
(beam intact, door shut), so a cut wire reads as open, the alarm state.

>>> from gpiozero.pins.mock import MockFactory
>>> from drivers.gpio.contacts import Contact
>>> factory = MockFactory()
>>> contact = Contact(5, pin_factory=factory)   # nothing connected: the pull-up reads "open"
>>> contact.is_closed
False
>>> contact.close(); factory.close()
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from gpiozero import DigitalInputDevice, GPIOZeroError

from drivers.base import Device
from drivers.errors import ConfigurationError, DeviceUnavailable
from drivers.health import Health
from terminal.logs import get_logger

log = get_logger(__name__)


class Debouncer:
    """The settled level of a bouncing input (pure logic; the caller supplies the clock).

    >>> d = Debouncer(False, bounce_s=0.05)
    >>> d.edge(True, now=1.00); d.edge(False, now=1.01); d.edge(True, now=1.02)
    >>> d.settle(now=1.05) is None     # only 30 ms since the last edge
    True
    >>> d.settle(now=1.07)
    True
    """

    def __init__(self, level: bool, bounce_s: float):
        """Start settled at ``level``; a new level must hold ``bounce_s`` seconds to count."""
        self.stable = self.raw = bool(level)
        self.bounce_s = bounce_s
        self.changed_at = 0.0

    def edge(self, level: bool, now: float) -> None:
        """Note the raw ``level`` seen at ``now`` (seconds, the caller's clock); returns nothing."""
        if bool(level) != self.raw:
            self.raw = bool(level)
            self.changed_at = now

    def due(self) -> float | None:
        """When (on the caller's clock, seconds) the pending level may be accepted; None when nothing is pending."""
        return None if self.raw == self.stable else self.changed_at + self.bounce_s

    def settle(self, now: float) -> bool | None:
        """The new stable level if it changed at ``now`` (seconds, the caller's clock), else None."""
        if self.raw != self.stable and now >= self.changed_at + self.bounce_s:
            self.stable = self.raw
            return self.stable
        return None


def gpio_call(device: str, role: str, pin: int, build: Callable):
    """``build()`` (a gpiozero constructor) and its result; its errors become typed errors naming the pin.

    ``device`` and ``role`` name the device and its ``[gpio.pins]`` key in the
    message.  Raises :class:`ConfigurationError` when gpiozero refuses the pin
    (taken in this process, a fixed pull, no such pin) and
    :class:`DeviceUnavailable` when the pin library cannot claim it (another
    process holds it, no permission).
    """
    try:
        return build()
    except GPIOZeroError as exc:  # pin taken in this process, fixed pull, no such pin...
        raise ConfigurationError(device, f"pins.{role} = {pin}: {exc}",
                                 hint="choose another pin in [gpio.pins]") from None
    except Exception as exc:  # the pin library's own error (lgpio.error "GPIO busy", OSError)
        raise DeviceUnavailable(device, f"pins.{role} = GPIO{pin} cannot be claimed: {exc}",
                                hint="another process may hold it: is the drop-box service running?") from None


class Contact(Device):
    """A normally-closed contact between ``pin`` and ground (pull-up) or 3V3 (``pull_up=False``).

    Args:
        pin: BCM number.
        pull_up: the contact closes to ground against the internal pull-up (false: to 3V3).
        bounce_s: how long a level must hold to count, seconds.
        pin_factory: a gpiozero pin factory (None: gpiozero's default).

    ``is_closed`` is the debounced state of the circuit (``closed``, as on
    every device, says whether the contact was released);
    ``when_changed(is_closed)`` runs on a background thread after each settled
    change.  Raises :class:`ConfigurationError` or :class:`DeviceUnavailable`
    when the pin cannot be claimed (see :func:`gpio_call`).

    >>> from gpiozero.pins.mock import MockFactory
    >>> factory = MockFactory()
    >>> with Contact(5, bounce_s=0.01, pin_factory=factory) as contact:
    ...     factory.pin(5).drive_low()             # the contact closes to ground
    ...     print(contact.wait_for(is_closed=True, timeout_s=2), contact.is_closed, contact.closed)
    True True False
    >>> factory.close()
    """

    name = "contact"
    role = "contact"

    def __init__(self, pin: int, *, pull_up: bool = True, bounce_s: float = 0.01, pin_factory=None):
        super().__init__()
        self.pin = pin
        self.when_changed: Callable[[bool], None] | None = None
        self._input = gpio_call(self.name, self.role, pin,
                                lambda: DigitalInputDevice(pin, pull_up=pull_up, pin_factory=pin_factory))
        self._debouncer = Debouncer(self._input.is_active, bounce_s)
        self.changed_at = time.monotonic()
        self._cond = threading.Condition()
        self._settled = threading.Condition()
        self._input.when_activated = lambda: self._edge(True)
        self._input.when_deactivated = lambda: self._edge(False)
        self._thread = threading.Thread(target=self._settle_loop, name=f"{self.name}-debounce", daemon=True)
        self._thread.start()
        # An edge between the first read and the callbacks above fired nothing: read once more.
        self._edge(bool(self._input.is_active))

    @property
    def is_closed(self) -> bool:
        """The circuit is closed (debounced): beam intact, door shut."""
        return self._debouncer.stable

    @property
    def raw_is_closed(self) -> bool:
        """The circuit right now, before debouncing (for ``terminal hw gpio``)."""
        return bool(self._input.is_active)

    def _edge(self, level: bool) -> None:
        with self._cond:
            self._debouncer.edge(level, time.monotonic())
            self._cond.notify()

    def _settle_loop(self) -> None:
        while True:
            with self._cond:
                due = self._debouncer.due()
                while not self._closed and due is None:
                    self._cond.wait()
                    due = self._debouncer.due()
                if self._closed:
                    return
                wait = due - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                now = time.monotonic()
                # Re-read the pin: under load an edge callback can be missed.
                self._debouncer.edge(bool(self._input.is_active), now)
                settled = self._debouncer.settle(now)
            if settled is not None:
                self.changed_at = now
                self._changed(settled)
                with self._settled:
                    self._settled.notify_all()

    def wait_for(self, *, is_closed: bool, timeout_s: float) -> bool:
        """Block until the settled state is ``is_closed``, at most ``timeout_s`` seconds; False on timeout."""
        with self._settled:
            return self._settled.wait_for(lambda: self.is_closed == is_closed, timeout_s)

    def _changed(self, is_closed: bool) -> None:
        self._call(self.when_changed, is_closed)

    def _call(self, callback, *args) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception as exc:  # a faulty handler must not stop the debounce thread
            log.error("gpio.callback_failed", device=self.name, error=repr(exc))

    def health(self) -> Health:
        """The contact's state, ``ok`` whatever it is (a sensor subclass judges it); never raises."""
        state = "closed" if self.is_closed else "open"
        return Health(self.name, True, f"{state} (GPIO{self.pin})", {"is_closed": self.is_closed})

    def close(self) -> None:
        """Stop the debounce thread and release the pin (idempotent)."""
        if self._closed or not hasattr(self, "_thread"):  # closed, or the constructor failed early
            self._closed = True
            return
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout=1.0)
        self._input.close()
