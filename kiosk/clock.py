"""The kiosk's clocks: monotonic seconds for every timer, central-corrected time for dates.

A Pi has no real-time clock, so a card's expiry is judged on central's
clock (the store's ``clock_offset``) or an NTP-synchronised one, and not at
all when neither vouches for the date (``today()`` returns None).

>>> c = FakeClock(mono=100.0)
>>> c.advance(5); c.monotonic()
105.0
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sync.clock import SystemClock, boot_id, kernel_clock_synced


class KioskClock:
    """The machine's clocks.  ``offset_s()`` is central's offset (None: not known); give it the store."""

    def __init__(self, store=None):
        self.store = store

    def monotonic(self) -> float:
        """Monotonic seconds (timers, within one boot)."""
        return time.monotonic()

    def wall(self) -> float:
        """Wall-clock seconds since the epoch (may be wrong until NTP or central corrects it)."""
        return time.time()

    def boot_id(self) -> str:
        """This boot's id, to tell monotonic readings of different boots apart."""
        return boot_id()

    def synced(self) -> bool:
        """True when the kernel says NTP has synchronised the wall clock."""
        return kernel_clock_synced()

    def offset_s(self) -> float | None:
        """Central's clock minus ours, in seconds, as the sync process last learned it (None: unknown)."""
        if self.store is None:
            return None
        from sync.state import get_state
        return get_state(self.store.conn, "clock_offset")

    def central_now(self) -> float | None:
        """Wall time on central's clock, or None when nothing vouches for our wall clock."""
        offset = self.offset_s()
        if offset is not None:
            return self.wall() + offset
        return self.wall() if self.synced() else None

    def today(self) -> dt.date | None:
        """Today's local date on central-corrected time; None when the date cannot be trusted."""
        now = self.central_now()
        return None if now is None else dt.datetime.fromtimestamp(now).date()

    def stamp_clock(self) -> SystemClock:
        """A sync.clock.SystemClock view of these clocks, for outbox stamps."""
        outer = self

        @dataclass
        class _Stamp(SystemClock):
            def wall(self) -> float:
                return outer.wall()

            def mono_ns(self) -> int:
                return int(outer.monotonic() * 1e9)

            def boot_id(self) -> str:
                return outer.boot_id()

            def synced(self) -> bool:
                return outer.synced()

        return _Stamp()


class FakeClock(KioskClock):
    """Clocks a test moves by hand: ``advance(s)`` moves monotonic and wall time together.

    ``today_value`` is what ``today()`` returns (None: the date is not trusted).
    """

    def __init__(self, mono: float = 1000.0, wall: float = 1_790_000_000.0, *, boot: str = "boot-1",
                 today: dt.date | None = dt.date(2026, 11, 30)):
        super().__init__(None)
        self._mono, self._wall, self._boot, self.today_value = mono, wall, boot, today

    def monotonic(self) -> float:
        """The fake monotonic time, seconds."""
        return self._mono

    def wall(self) -> float:
        """The fake wall-clock time, seconds since the epoch."""
        return self._wall

    def boot_id(self) -> str:
        """The fake boot id."""
        return self._boot

    def synced(self) -> bool:
        """True when the fake clock has a trusted date."""
        return self.today_value is not None

    def today(self) -> dt.date | None:
        """The trusted date, or None when the clock is not synced."""
        return self.today_value

    def advance(self, seconds: float) -> None:
        """Move both clocks ``seconds`` forward."""
        self._mono += seconds
        self._wall += seconds

    def reboot(self, boot: str) -> None:
        """A new boot: the monotonic clock restarts near zero under a new boot id."""
        self._boot, self._mono = boot, 5.0
