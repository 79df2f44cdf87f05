"""The envelope-slot lock: fail-secure, with a hard cap on energised time.

The solenoid is fail-secure: unpowered it is locked, and energising it
unlocks.  A coil left energised overheats, so every unlock is ended by a
watchdog timer on its own thread at ``max_energised_s`` at the latest,
whatever the caller does (forgets, raises, or its thread dies).  After each
relock the coil rests for ``cooldown_s``.  When the process exits without
closing the lock, an exit hook relocks it (gpiozero's own hook only closes
devices on its default pin factory, and RPi.GPIO leaves an output driven
after the process ends).  A process killed outright relies on the relay
board: it drops when the pin is released or floats.

>>> from gpiozero.pins.mock import MockFactory
>>> from drivers.gpio.lock import SlotLock
>>> factory = MockFactory()
>>> with SlotLock(17, max_energised_s=0.5, cooldown_s=0, pin_factory=factory) as lock:
...     opened_for = lock.unlock(hold_s=0.1)
...     print(lock.energised, lock.wait_locked(timeout_s=2), lock.energised)
True True False
>>> factory.close()
"""

from __future__ import annotations

import atexit
import threading
import time
import weakref
from collections.abc import Callable

from gpiozero import DigitalOutputDevice

from drivers.base import Device
from drivers.errors import DeviceRefused
from drivers.gpio.contacts import gpio_call
from drivers.health import Health
from drivers.settings import GPIO, check_bounds
from terminal.logs import get_logger

log = get_logger(__name__)


class SlotLock(Device):
    """A fail-secure solenoid lock on a relay.

    Args:
        pin: BCM number of the relay's input.
        active_high: false when the relay board switches on a low input.
        max_energised_s: the coil's hard cap, seconds (the ``[gpio]`` section's
            ``lock_max_energised_s`` bounds, 0.1 to 10).
        cooldown_s: the coil's rest between two unlocks, seconds (0 to 60).
        pin_factory: a gpiozero pin factory (None: gpiozero's default).

    Raises :class:`ConfigurationError` for a cap or cool-down outside the
    section's bounds (the same Setting a configuration file is checked
    against) or a pin gpiozero refuses, :class:`DeviceUnavailable` when the
    pin library cannot claim the pin.

    * ``unlock(hold_s)`` energises for ``hold_s`` seconds (at most the cap);
      ``unlock()`` without ``hold_s`` holds until :meth:`lock` or the cap.
    * Reaching the cap is reported: a warning in the log, ``cap_trips``
      counts it and ``when_capped(energised_s)`` is called.
    * ``unlock()`` during the cool-down raises :class:`DeviceRefused`.

    >>> from drivers.gpio import DropBoxGpio, GpioConfig
    >>> with DropBoxGpio(GpioConfig(pin_factory="mock", lock_max_energised_s=0.2)) as gpio:
    ...     print(gpio.lock.unlock(hold_s=60), gpio.lock.wait_locked(timeout_s=2), gpio.lock.cap_trips)
    0.2 True 1
    """

    name = "slot-lock"

    def __init__(self, pin: int, *, active_high: bool = True, max_energised_s: float = 3.0,
                 cooldown_s: float = 2.0, pin_factory=None):
        super().__init__()
        self._mutex = threading.Lock()
        # The bounds are the schema's: a lock built from Python meets the same limits as a config file.
        self.max_energised_s = check_bounds(GPIO, "lock_max_energised_s", max_energised_s, device=self.name)
        self.cooldown_s = check_bounds(GPIO, "lock_cooldown_s", cooldown_s, device=self.name)
        self.pin = pin
        self.cap_trips = 0
        self.unlocks = 0
        self.when_unlocked: Callable[[], None] | None = None
        self.when_locked: Callable[[str], None] | None = None   # reason: "lock", "hold", "cap", "close"
        self.when_capped: Callable[[float], None] | None = None
        self._locked = threading.Event()
        self._locked.set()
        self._timer: threading.Timer | None = None
        self._energised_at: float | None = None
        self._relocked_at = float("-inf")
        # initial_value=False: the relay stays off from the moment the pin is claimed.
        self._output = gpio_call(self.name, "lock", pin, lambda: DigitalOutputDevice(
            pin, active_high=active_high, initial_value=False, pin_factory=pin_factory))
        self._exit_hook = _relock_at_exit(self)

    @property
    def energised(self) -> bool:
        """The coil is powered (the slot is unlocked)."""
        return not self._closed and bool(self._output.value)  # close() relocks before releasing the pin

    @property
    def locked(self) -> bool:
        """The coil is unpowered (the slot is locked); also true once closed."""
        return not self.energised

    def unlock(self, hold_s: float | None = None) -> float:
        """Energise the lock for ``hold_s`` seconds (None: until :meth:`lock`), never past the cap.

        Returns how long, in seconds, it will stay open at most (the time left
        when it is already open).  Raises :class:`DeviceRefused` when the lock
        is closed or its coil is still cooling down.
        """
        with self._mutex:
            if self._closed:
                raise DeviceRefused(self.name, "lock is closed")
            if self._energised_at is not None:
                return self._remaining()
            rest = self._relocked_at + self.cooldown_s - time.monotonic()
            if rest > 0:
                raise DeviceRefused(self.name, f"coil cooling down; try again in {rest:.1f} s")
            capped = hold_s is None or hold_s >= self.max_energised_s
            duration = self.max_energised_s if capped else max(0.0, float(hold_s))
            if hold_s is not None and hold_s > self.max_energised_s:
                log.warning("gpio.lock_hold_capped", requested_s=hold_s, cap_s=self.max_energised_s)
            # The watchdog runs before the coil is energised: if it cannot start, nothing would end the
            # unlock.  (It cannot fire early: its relock waits for this mutex.)
            timer = threading.Timer(duration, self._expire, args=("cap" if capped else "hold",))
            timer.name = "slot-lock-watchdog"
            timer.daemon = True
            timer.start()
            try:
                self._output.on()
            except BaseException:
                timer.cancel()
                raise
            self._timer = timer
            self._locked.clear()
            self._energised_at = time.monotonic()
            self.unlocks += 1
        log.info("gpio.lock_unlocked", hold_s=round(duration, 3))
        self._call(self.when_unlocked)
        return duration

    def lock(self) -> None:
        """De-energise now (idempotent)."""
        self._relock("lock")

    def wait_locked(self, timeout_s: float | None = None) -> bool:
        """Block until the lock is de-energised, at most ``timeout_s`` seconds (None: no limit); False on timeout."""
        return self._locked.wait(timeout_s)

    def _remaining(self) -> float:
        return max(0.0, self._energised_at + self.max_energised_s - time.monotonic())

    def _expire(self, reason: str) -> None:
        self._relock(reason, watchdog=threading.current_thread())

    def _relock(self, reason: str, watchdog: threading.Thread | None = None) -> None:
        with self._mutex:
            if self._energised_at is None:
                return
            if watchdog is not None and watchdog is not self._timer:
                return  # the watchdog of an earlier unlock, fired as lock() cancelled it
            self._output.off()
            energised_s = time.monotonic() - self._energised_at
            self._energised_at = None
            self._relocked_at = time.monotonic()
            timer, self._timer = self._timer, None
            if reason == "cap":
                self.cap_trips += 1
            self._locked.set()
        if timer is not None and timer is not threading.current_thread():
            timer.cancel()
        if reason == "cap":
            log.warning("gpio.lock_cap_reached", energised_s=round(energised_s, 3), cap_s=self.max_energised_s,
                        cap_trips=self.cap_trips)
            self._call(self.when_capped, energised_s)
        else:
            log.info("gpio.lock_locked", reason=reason, energised_s=round(energised_s, 3))
        self._call(self.when_locked, reason)

    def _call(self, callback, *args) -> None:
        if callback is None:
            return
        try:
            callback(*args)
        except Exception as exc:
            log.error("gpio.callback_failed", device=self.name, error=repr(exc))

    def health(self) -> Health:
        """Locked or unlocked, with the cap and its trips: ok while open for use; never raises."""
        if self._closed:
            return Health(self.name, False, f"closed: GPIO{self.pin} released, coil unpowered", {"pin": self.pin})
        details = {"energised": self.energised, "cap_trips": self.cap_trips, "unlocks": self.unlocks,
                   "pin": self.pin}
        state = "unlocked (energised)" if self.energised else "locked"
        trips = f", {self.cap_trips} cap trips" if self.cap_trips else ""
        return Health(self.name, True, f"{state}, cap {self.max_energised_s:g} s{trips} (GPIO{self.pin})", details)

    def close(self) -> None:
        """Refuse further unlocks, relock, then release the pin (idempotent)."""
        with self._mutex:
            if self._closed:
                return
            # Refuse unlock() from here on, before relocking: a when_locked callback (or another
            # thread) must not energise a coil whose pin is about to be released.
            self._closed = True
        if hasattr(self, "_output"):
            self._relock("close")
            self._output.close()
        hook = getattr(self, "_exit_hook", None)
        if hook is not None:
            atexit.unregister(hook)


def _relock_at_exit(lock: SlotLock):
    """An exit hook that closes (so relocks) ``lock`` if it is still open; holds no strong reference."""
    ref = weakref.ref(lock)

    def hook() -> None:
        current = ref()
        if current is not None:
            current.close()

    atexit.register(hook)
    return hook
