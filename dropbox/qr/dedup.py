"""Repeated sightings of one code are one scan: a code held to the camera is in view for many frames.

A sighting is a new scan when its payload was not seen in the last
``window_s`` seconds; each sighting, new or not, extends the window, so a
code held in view for a minute is still one scan, and the same code shown
again after ``window_s`` out of view is a second scan (the state machine
decides what a second scan of a received claim means).

>>> now = [100.0]
>>> w = SightingWindow(window_s=2.0, clock=lambda: now[0])
>>> w.is_new("CLAIM-1"), w.is_new("CLAIM-1")
(True, False)
>>> now[0] += 1.9; w.is_new("CLAIM-1")       # still in view: the window moves on
False
>>> now[0] += 2.1; w.is_new("CLAIM-1")       # out of view longer than the window
True
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable

DEFAULT_WINDOW_S = 3.0


class SightingWindow:
    """Tells new scans from repeated sightings; ``clock`` (monotonic seconds) is the tests' seam.

    Memory is one entry per payload seen within the window (older ones are
    dropped on each call). ValueError for a window that is not > 0 s.
    """

    def __init__(self, window_s: float = DEFAULT_WINDOW_S, clock: Callable[[], float] = time.monotonic):
        if not window_s > 0:
            raise ValueError(f"the sighting window must be more than 0 s, got {window_s!r}")
        self.window_s = float(window_s)
        self._clock = clock
        self._last: dict[Hashable, float] = {}

    def is_new(self, payload: Hashable) -> bool:
        """Record a sighting of ``payload`` now; True when it starts a new scan."""
        now = self._clock()
        self._expire(now)
        new = payload not in self._last
        self._last[payload] = now
        return new

    def new_scans(self, found: Iterable) -> list:
        """Of one frame's decodes (anything with ``.payload``), those that are new scans, in order."""
        return [d for d in found if self.is_new(d.payload)]

    def forget(self, payload: Hashable) -> None:
        """Let the next sighting of ``payload`` count as a new scan (e.g. after a refusal was shown)."""
        self._last.pop(payload, None)

    def __len__(self) -> int:
        self._expire(self._clock())
        return len(self._last)

    def _expire(self, now: float) -> None:
        stale = [p for p, t in self._last.items() if now - t > self.window_s]
        for p in stale:
            del self._last[p]
