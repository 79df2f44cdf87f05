"""How many device calls central works on at once, and the device secrets it checks them against.

- :class:`Admission`: at most ``max_active`` calls in working slots and
  ``max_waiting`` queued for one; the rest are refused with
  :class:`Overloaded` (a 503 with ``Retry-After``).
- :class:`SecretCache`: device secrets by id, so that checking a request's
  headers costs no thread and no query while thousands of connections do the
  same.

    >>> import asyncio
    >>> gate = Admission(max_active=1, max_waiting=0)
    >>> async def two_at_once():
    ...     async with gate.slot():
    ...         async with gate.slot():
    ...             pass
    >>> asyncio.run(two_at_once())
    Traceback (most recent call last):
    ...
    sync.central.admission.Overloaded: central is busy; retry after 2 s
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable

from starlette.concurrency import run_in_threadpool

from terminal import TerminalError

SECRET_CACHE_S = 10.0          # a device secret read from storage is reused this long ...
SECRET_RECHECK_S = 1.0         # ... but a mismatch re-reads it (another central may have re-enrolled it)
SECRET_CACHE_MAX = 100_000


class Overloaded(TerminalError):
    """Every working slot is taken and the queue is full: answer 503 with ``Retry-After: retry_after`` (s)."""

    def __init__(self, retry_after: int):
        super().__init__(f"central is busy; retry after {retry_after} s")
        self.retry_after = retry_after


class StorageFailed(TerminalError):
    """Central's own database failed while authenticating: a 503, never the client's fault."""

    def __init__(self, cause: Exception):
        super().__init__(repr(cause))
        self.cause = cause


class Admission:
    """At most ``max_active`` device calls at work and ``max_waiting`` queued; the rest get 503.

    ``pending`` counts the calls at work or queued (tests and the status read it).
    """

    def __init__(self, max_active: int = 4, max_waiting: int = 32):
        """``max_active`` >= 1 working slots; ``max_waiting`` >= 0 calls queued for one."""
        self.max_active, self.max_waiting = max_active, max_waiting
        self._semaphore = asyncio.Semaphore(max_active)
        self.pending = 0

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one working slot for the ``async with`` body, waiting in the queue for it.

        Raises :class:`Overloaded` at once (without queueing) when the queue is full; its
        ``retry_after`` grows with the queue, 1-30 s.
        """
        if self.pending >= self.max_active + self.max_waiting:
            raise Overloaded(min(30, 1 + self.pending // max(1, self.max_active)))
        self.pending += 1
        try:
            async with self._semaphore:
                yield
        finally:
            self.pending -= 1


class SecretCache:
    """Device secrets by id; only enrolled devices are kept (at most ``SECRET_CACHE_MAX``, oldest dropped).

    ``lookup(device_id)`` returns the secret (bytes) or None; it runs in a worker thread.
    """

    def __init__(self, lookup: Callable[[str], bytes | None] | None, *,
                 now: Callable[[], float] = time.monotonic):
        """``lookup``: storage's ``device_secret``; ``now``: a monotonic clock in seconds."""
        self.lookup, self.now = lookup, now
        self._entries: dict[str, tuple[bytes, float]] = {}

    async def get(self, device_id: str, *, max_age_s: float = SECRET_CACHE_S) -> tuple[bytes | None, float]:
        """(secret or None when not enrolled, its age in seconds): cached if younger than ``max_age_s``.

        Raises :class:`StorageFailed` when the lookup fails.
        """
        entry = self._entries.get(device_id)
        if entry is not None and self.now() - entry[1] < max_age_s:
            return entry[0], self.now() - entry[1]
        try:
            secret = await run_in_threadpool(self.lookup, device_id)
        except Exception as exc:
            raise StorageFailed(exc) from None
        if secret is None:
            self._entries.pop(device_id, None)
        else:
            if len(self._entries) >= SECRET_CACHE_MAX:
                self._entries.pop(next(iter(self._entries)))
            self._entries[device_id] = (secret, self.now())
        return secret, 0.0

    def forget(self, device_id: str) -> None:
        """Drop ``device_id``'s cached secret (it was just re-enrolled); no error if none is cached."""
        self._entries.pop(device_id, None)
