"""What central tells its operator about clients it refused, without letting them flood anything.

- :class:`FailedAuthCounter` counts refused authentication attempts (device 401s,
  wrong enrolment or consumer tokens) in memory, apart from any device's
  state: an unauthenticated request must change nothing a terminal owns, but
  a burst of them is worth seeing on the status page.
- :class:`SourceLog` writes at most one line per (event, source) per window
  and counts the rest into the next line, so a client cannot flood the log.

    >>> t = [0.0]
    >>> f = FailedAuthCounter(now=lambda: t[0])
    >>> f.note("bad_signature", client="10.0.0.9", device_id="KSK-1"); f.note("bad_signature", client="10.0.0.9")
    >>> f.summary()["total"], f.summary()["by_error"]
    (2, {'bad_signature': 2})
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from terminal.logs import get_logger

MAX_SOURCES = 4096      # bounded memory whatever the number of addresses that try
RECENT_SHOWN = 20
LOG_WINDOW_S = 60.0


class FailedAuthCounter:
    """Counts of refused authentication attempts since central started: by error and by source."""

    def __init__(self, *, now=time.time, max_sources: int = MAX_SOURCES):
        self.now, self.max_sources = now, max_sources
        self.started = now()
        self.total = 0
        self.by_error: dict[str, int] = {}
        self._sources: OrderedDict[tuple, dict] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, error: str, *, client: str | None = None, device_id: str | None = None) -> None:
        """Count one refusal: ``error`` code, from address ``client``, naming (unproven) ``device_id``."""
        key = (client or "-", device_id or "-", error)
        with self._lock:
            self.total += 1
            self.by_error[error] = self.by_error.get(error, 0) + 1
            entry = self._sources.pop(key, None) or {"client": client, "claimed_device_id": device_id,
                                                      "error": error, "count": 0}
            entry["count"] += 1
            entry["last_at"] = self.now()
            self._sources[key] = entry          # most recent last
            while len(self._sources) > self.max_sources:
                self._sources.popitem(last=False)

    def summary(self) -> dict:
        """``{"since", "total", "by_error", "recent": [{client, claimed_device_id, error, count, last_at}]}``."""
        with self._lock:
            recent = [dict(e) for e in reversed(self._sources.values())][:RECENT_SHOWN]
            return {"since": self.started, "total": self.total, "by_error": dict(self.by_error), "recent": recent}


class SourceLog:
    """Log an event at most once per ``window_s`` per source; the next line carries ``suppressed=N``."""

    def __init__(self, logger=None, *, window_s: float = LOG_WINDOW_S, now=time.monotonic,
                 max_sources: int = MAX_SOURCES):
        self.log = logger or get_logger("sync.central")
        self.window_s, self.now, self.max_sources = window_s, now, max_sources
        self._last: OrderedDict[tuple, list] = OrderedDict()   # key -> [last logged at, suppressed since]
        self._lock = threading.Lock()

    def __call__(self, level: str, event: str, source: str | None, **fields) -> bool:
        """True when the line was written."""
        key = (event, source or "-")
        t = self.now()
        with self._lock:
            seen = self._last.get(key)
            if seen is not None and t - seen[0] < self.window_s:
                seen[1] += 1
                return False
            suppressed = 0 if seen is None else seen[1]
            self._last.pop(key, None)
            self._last[key] = [t, 0]
            while len(self._last) > self.max_sources:
                self._last.popitem(last=False)
        if suppressed:
            fields["suppressed"] = suppressed
        getattr(self.log, level)(event, client=source, **fields)
        return True
