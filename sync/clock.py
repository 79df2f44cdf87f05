"""Time on a terminal without a real-time clock: honest stamps and a central-corrected clock.

A Pi boots at 1970 or at the fake-hwclock value until NTP syncs, so every
event carries four facts instead of trusting one::

    >>> from sync.clock import SystemClock
    >>> stamp = SystemClock().stamp()
    >>> sorted(stamp)
    ['boot_id', 'clock_synced', 'mono', 'wall']

``clock_synced`` comes from the kernel, not from a guess: ``ntp_adjtime(2)``
in read-only mode returns ``TIME_ERROR`` while the kernel's ``STA_UNSYNC``
status flag is set, which it is until an NTP client (systemd-timesyncd,
chrony, ntpd) has disciplined the clock.  That is the same flag
``timedatectl`` reports as "System clock synchronized".

Durations that decide anything (telemetry TTL, backoff, Retry-After) use the
monotonic clock within one boot; across boots they use the wall clock only
when it has been corrected against central's clock (``X-Server-Time`` on
every response), see :func:`age_s`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from dataclasses import dataclass
from functools import lru_cache

BOOT_ID_PATH = "/proc/sys/kernel/random/boot_id"
TIME_ERROR = 5          # ntp_adjtime return value: clock not synchronised
STA_UNSYNC = 0x0040     # struct timex .status flag: clock not synchronised


class _TimexHead(ctypes.Structure):
    """The leading fields of struct timex, laid out natively (64-bit and 32-bit ARM alike)."""

    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int)]


@lru_cache(maxsize=1)
def boot_id() -> str:
    """This boot's random id (changes on every boot); 'unknown' off Linux."""
    try:
        with open(BOOT_ID_PATH, encoding="ascii") as fh:
            return fh.read().strip()
    except OSError:
        return "unknown"


@lru_cache(maxsize=1)
def _libc():
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


def kernel_clock_synced() -> bool:
    """True when the kernel says NTP has synchronised the clock (False when it cannot tell)."""
    libc = _libc()
    fn = getattr(libc, "ntp_adjtime", None) or getattr(libc, "adjtimex", None)
    if fn is None:
        return False
    buf = ctypes.create_string_buffer(512)  # room for any struct timex; modes=0 only reads
    state = fn(buf)
    if state < 0:
        return False
    status = _TimexHead.from_buffer(buf).status
    return state != TIME_ERROR and not status & STA_UNSYNC


@dataclass
class SystemClock:
    """The machine's clocks.  Tests pass a subclass that jumps the wall clock."""

    def wall(self) -> float:
        """The wall clock: seconds since the epoch (may be wrong until NTP syncs)."""
        return time.time()

    def mono_ns(self) -> int:
        """The monotonic clock in nanoseconds (meaningful only within one boot)."""
        return time.monotonic_ns()

    def synced(self) -> bool:
        """True when the kernel says NTP has synchronised the wall clock."""
        return kernel_clock_synced()

    def boot_id(self) -> str:
        """This boot's id (/proc/sys/kernel/random/boot_id), to tell monotonic readings of different boots apart."""
        return boot_id()

    def stamp(self) -> dict:
        """All four readings at once: {"wall", "mono", "boot_id", "clock_synced"}."""
        return {"wall": self.wall(), "mono": self.mono_ns(), "boot_id": self.boot_id(),
                "clock_synced": self.synced()}


@dataclass
class JumpedClock(SystemClock):
    """A wall clock set ``offset_s`` away from the truth, as after a bad RTC or a 1970 boot."""

    offset_s: float = 0.0
    pretend_synced: bool | None = None

    def wall(self) -> float:
        """The true wall clock plus ``offset_s`` seconds."""
        return time.time() + self.offset_s

    def synced(self) -> bool:
        """``pretend_synced`` when given, else what the kernel says."""
        return kernel_clock_synced() if self.pretend_synced is None else self.pretend_synced


def age_s(event: dict, *, now_wall: float, now_mono_ns: int, now_boot_id: str,
          offset_s: float | None, now_synced: bool) -> float | None:
    """How old an event is, or None when nothing trustworthy says so.

    Same boot: the monotonic clock (exact, immune to jumps).  Another boot:
    the wall clocks, each corrected by central's offset when it was known,
    or raw when both ends were NTP-synchronised.  Otherwise unknown: the
    caller must not expire on a guess.
    """
    if event["boot_id"] == now_boot_id and event["mono_ns"] is not None:
        return max(0.0, (now_mono_ns - event["mono_ns"]) / 1e9)
    ref = event.get("ref_time")
    if ref is not None and (offset_s is not None or now_synced):
        return max(0.0, now_wall + (offset_s or 0.0) - ref)
    return None


def reference_time(wall: float, synced: bool, offset_s: float | None) -> float | None:
    """The event's time on central's clock, when anything vouches for it."""
    if offset_s is not None:
        return wall + offset_s
    if synced:
        return wall
    return None

