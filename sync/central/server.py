"""How central meets the network: uvicorn with limits on what a client can hold without credentials.

uvicorn alone closes a keep-alive connection only after a response, so a
client that connects and sends nothing, or half a request head, or the first
byte of a body it was already refused for, keeps its socket for ever.
:class:`GuardedH11Protocol` adds, per connection:

- a head deadline: the request line and headers must be complete within
  ``header_timeout_s`` of connecting or of the previous response;
- a drain deadline: after an early answer (a 401 before the body), the rest of
  the body must arrive within ``linger_s`` (it is discarded), else the
  connection is closed;
- a cap on open connections per client address and in total; a connection
  beyond it gets ``503`` and is closed at once.

Bodies are the app's business (:mod:`sync.central.app` reads them only after
the headers authenticate, with its own deadline).  Everything here runs on the
event loop: no thread, no working slot.
"""

from __future__ import annotations

import logging
import resource
import time
from dataclasses import dataclass, field

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from sync.central.signals import SourceLog
from terminal.logs import get_logger

log = get_logger(__name__)

HEADER_TIMEOUT_S = 10.0
LINGER_S = 5.0
KEEP_ALIVE_S = 5
MAX_PER_CLIENT = 64
FD_RESERVE = 64           # descriptors kept for the database, logs and the listening socket

_REFUSE = (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 10\r\n"
           b"connection: close\r\ncontent-length: %d\r\n\r\n%s")


@dataclass
class ConnectionLimits:
    """Shared by every connection of one server; counts live connections per client address.

    ``header_timeout_s`` and ``linger_s`` are seconds; ``max_per_client`` 0 is no cap;
    ``max_total`` 0 is derived from the file-descriptor limit (less FD_RESERVE).
    """

    header_timeout_s: float = HEADER_TIMEOUT_S
    linger_s: float = LINGER_S
    max_per_client: int = MAX_PER_CLIENT    # 0: no cap (behind a proxy every client is the proxy)
    max_total: int = 0                      # 0: derived from the file-descriptor limit
    per_client: dict = field(default_factory=dict)
    total: int = 0
    refused: int = 0
    timed_out: int = 0
    source_log: SourceLog = field(default_factory=SourceLog)

    def __post_init__(self):
        if not self.max_total:
            soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
            self.max_total = max(16, soft - FD_RESERVE) if soft != resource.RLIM_INFINITY else 1_000_000


def guarded_protocol(limits: ConnectionLimits) -> type:
    """An H11Protocol class bound to ``limits`` (uvicorn's ``http=`` takes a class)."""

    class Guarded(GuardedH11Protocol):
        pass

    Guarded.limits = limits
    return Guarded


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a head deadline, a drain deadline and connection caps (``limits``).

    Use :func:`guarded_protocol` to bind it to one server's :class:`ConnectionLimits`.
    """

    limits: ConnectionLimits

    _deadline = None
    _deadline_kind = None
    _counted = False

    def connection_made(self, transport) -> None:
        """Count the connection, or answer 503 and close it when its address or the server is at the cap."""
        super().connection_made(transport)
        limits = self.limits
        host = self.client[0] if self.client else "-"
        if limits.total >= limits.max_total or (
                limits.max_per_client and limits.per_client.get(host, 0) >= limits.max_per_client):
            limits.refused += 1
            limits.source_log("info", "central.connection_refused", host,
                              open_from_client=limits.per_client.get(host, 0), open_total=limits.total,
                              reason="too many connections")
            body = (b'{"error": "overloaded", "detail": "too many connections from this address; close idle ones '
                    b'or retry later"}')
            transport.write(_REFUSE % (len(body), body))
            transport.close()
            return
        self._counted = True
        limits.total += 1
        limits.per_client[host] = limits.per_client.get(host, 0) + 1
        self._guard()

    def connection_lost(self, exc) -> None:
        """Stop its deadline and uncount it."""
        self._disarm()
        if self._counted:
            self._counted = False
            limits, host = self.limits, self.client[0] if self.client else "-"
            limits.total -= 1
            left = limits.per_client.get(host, 1) - 1
            if left > 0:
                limits.per_client[host] = left
            else:
                limits.per_client.pop(host, None)
        super().connection_lost(exc)

    def handle_events(self) -> None:
        """uvicorn's handling of the bytes received, then the deadline that fits the new state."""
        super().handle_events()
        self._guard()

    def on_response_complete(self) -> None:
        """After an answer: the head deadline of the next request (or the drain deadline)."""
        super().on_response_complete()
        self._guard()

    # -- deadlines ---------------------------------------------------------------
    def _guard(self) -> None:
        """Arm the deadline that fits the connection's state now (at most one at a time)."""
        if self.transport is None or self.transport.is_closing():
            self._disarm()
            return
        their, our = self.conn.their_state, self.conn.our_state
        if our is h11.SEND_RESPONSE and their in (h11.SEND_BODY, h11.DONE):
            self._disarm()                                   # the app is at work; it bounds the body itself
        elif our is h11.DONE and their is h11.SEND_BODY:
            self._arm("drain", self.limits.linger_s)       # answered early; the rest is discarded
        elif their is h11.IDLE:
            self._arm("head", self.limits.header_timeout_s)

    def _arm(self, kind: str, seconds: float) -> None:
        if self._deadline_kind == kind:
            return                                           # a deadline is never extended by more bytes
        self._disarm()
        self._deadline_kind = kind
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self._deadline_kind = None

    def _expired(self) -> None:
        kind = self._deadline_kind
        self._deadline = self._deadline_kind = None
        if self.transport.is_closing():
            return
        self.limits.timed_out += 1
        what = "request head" if kind == "head" else "rest of a refused body"
        self.limits.source_log("info", "central.connection_timeout", self.client[0] if self.client else "-",
                               waiting_for=what)
        self.transport.close()


class _OncePerWindow(logging.Filter):
    """uvicorn warns once per malformed request ('Invalid HTTP request received.'): anyone could flood
    the log with it.  Keep the first per window and count the rest into it."""

    def __init__(self, window_s: float = 60.0, now=time.monotonic):
        super().__init__()
        self.window_s, self.now = window_s, now
        self._last: dict[str, list] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.ERROR or not record.getMessage().startswith("Invalid HTTP request"):
            return True
        t = self.now()
        seen = self._last.get(record.msg)
        if seen is not None and t - seen[0] < self.window_s:
            seen[1] += 1
            return False
        suppressed = 0 if seen is None else seen[1]
        self._last[record.msg] = [t, 0]
        record.levelno, record.levelname = logging.INFO, "INFO"
        if suppressed:
            record.msg = f"{record.getMessage()} ({suppressed} more in the last {self.window_s:.0f} s)"
            record.args = ()
        return True


def quiet_uvicorn_warnings() -> None:
    """Log uvicorn's 'Invalid HTTP request' warnings once per minute, at info (idempotent)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _OncePerWindow) for f in logger.filters):
        logger.addFilter(_OncePerWindow())


def raise_fd_limit() -> tuple[int, int]:
    """Soft RLIMIT_NOFILE raised to the hard limit (each connection is a descriptor).

    Returns (soft limit before, after); a refusal leaves it as it was (never raises).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard and (hard == resource.RLIM_INFINITY or soft < hard):
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            return soft, soft
        return soft, target
    return soft, soft


def server_config(app, *, limits: ConnectionLimits | None = None, keep_alive_s: int = KEEP_ALIVE_S, **options):
    """A uvicorn.Config serving ``app`` through :class:`GuardedH11Protocol`; ``options`` go to uvicorn.

    ``limits`` default to ``ConnectionLimits()``; ``keep_alive_s``: seconds an idle
    keep-alive connection stays open.  The limits are also ``config.connection_limits``.
    """
    import uvicorn

    quiet_uvicorn_warnings()
    limits = limits or ConnectionLimits()
    # ws="none": an Upgrade would hand the connection to a protocol without these deadlines (and central
    # serves no WebSocket).
    config = uvicorn.Config(app, http=guarded_protocol(limits), ws="none", log_config=None, access_log=False,
                            server_header=False, timeout_keep_alive=keep_alive_s, **options)
    config.connection_limits = limits
    return config
