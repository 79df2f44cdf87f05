"""Retry pacing: capped exponential backoff with full jitter, a retry budget, Retry-After.

    >>> from sync.backoff import JitteredBackoff, RetryBudget, parse_retry_after
    >>> b = JitteredBackoff(base_s=0.5, cap_s=60)
    >>> all(0 <= b.next_delay() <= 60 for _ in range(20))
    True
    >>> budget = RetryBudget(capacity=10, retry_cost=5)
    >>> budget.spend(), budget.spend(), budget.spend()
    (True, True, False)
    >>> parse_retry_after("7", max_s=300)
    7.0

Full jitter (AWS Architecture Blog): sleep = uniform(0, min(cap, base * 2**n)),
so a fleet that failed together does not retry together.  The budget is the
AWS SDK's: each retry spends tokens (more for a timeout), each success
refunds one; an empty budget means central is struggling and retries stop
(``--once`` gives up, the service falls back to one probe per cap interval).
"""

from __future__ import annotations

import email.utils
import random


class JitteredBackoff:
    """Capped exponential backoff with full jitter: the n-th delay is uniform(0, min(cap_s, base_s * 2**n)) seconds.

    ``base_s`` and ``cap_s`` are seconds; ``rng`` makes the delays
    reproducible in tests.  Unrelated to drivers.idcard.port.Backoff, which
    doubles deterministically between reopen attempts of a serial port.
    """
    def __init__(self, base_s: float, cap_s: float, rng: random.Random | None = None):
        self.base_s = base_s
        self.cap_s = cap_s
        self.failures = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        """The next sleep in seconds (0 to the current ceiling) after one more failure."""
        ceiling = min(self.cap_s, self.base_s * 2 ** min(self.failures, 30))
        self.failures += 1
        return self.rng.uniform(0, ceiling)

    def reset(self) -> None:
        """Forget the failures (after a success): the next delay starts from ``base_s`` again."""
        self.failures = 0


class RetryBudget:
    """The AWS SDK's retry token bucket: ``capacity`` tokens; a retry costs ``retry_cost``, a timeout ``timeout_cost``.

    Each success gives back ``refund`` tokens (up to ``capacity``).
    """
    def __init__(self, capacity: int = 500, retry_cost: int = 5, timeout_cost: int = 10, refund: int = 1):
        self.capacity = capacity
        self.tokens = capacity
        self.retry_cost = retry_cost
        self.timeout_cost = timeout_cost
        self.refund = refund

    def spend(self, *, timeout: bool = False) -> bool:
        """Take the cost of one retry; False (nothing taken) when the budget cannot pay."""
        cost = self.timeout_cost if timeout else self.retry_cost
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True

    def succeed(self) -> None:
        """Refund ``refund`` tokens after a success (never above ``capacity``)."""
        self.tokens = min(self.capacity, self.tokens + self.refund)

    @property
    def exhausted(self) -> bool:
        """True when the budget cannot pay for one more ordinary retry."""
        return self.tokens < self.retry_cost


def parse_retry_after(value: str | None, *, max_s: float, server_now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header, clamped to [0, max_s]; None when absent or unreadable.

    delta-seconds is preferred.  An HTTP-date is measured against the
    server's own clock (its Date / X-Server-Time header), never the device's,
    which may still think it is 1970; without a server clock it is clamped.
    """
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit() also accepts '²', which int() refuses
        return float(min(int(value), max_s))
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if server_now is None:
        return float(max_s)
    return float(min(max(0.0, when - server_now), max_s))
