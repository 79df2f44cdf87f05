"""Jittered backoff, retry budget and Retry-After parsing, fuzzed."""

import email.utils
import random

from hypothesis import example, given, settings, strategies as st

from sync.backoff import JitteredBackoff, RetryBudget, parse_retry_after


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.text(max_size=40), st.integers(0, 10**9).map(str),
                 st.floats(-1e10, 4e9, allow_nan=False).map(lambda t: email.utils.formatdate(max(t, 0), usegmt=True))),
       st.floats(1, 86400), st.one_of(st.none(), st.floats(0, 4e9)))
@example("²", 1.0, None)  # a Unicode digit: str.isdigit() says yes, int() says no
def test_retry_after_is_never_negative_nor_above_the_cap(value, cap, server_now):
    got = parse_retry_after(value, max_s=cap, server_now=server_now)
    assert got is None or 0 <= got <= cap


def test_retry_after_forms():
    assert parse_retry_after("120", max_s=60) == 60
    assert parse_retry_after("soon", max_s=60) is None
    date = "Wed, 21 Oct 2026 07:28:00 GMT"
    now = email.utils.parsedate_to_datetime(date).timestamp() - 30
    assert parse_retry_after(date, max_s=600, server_now=now) == 30
    assert parse_retry_after(date, max_s=600, server_now=None) == 600  # no trusted clock: clamp


@settings(max_examples=100, deadline=None)
@given(st.floats(0.001, 10), st.floats(0.01, 600), st.integers(0, 2**32))
def test_full_jitter_stays_under_the_growing_ceiling_and_the_cap(base, cap, seed):
    b = JitteredBackoff(base, cap, random.Random(seed))
    for n in range(40):
        assert 0 <= b.next_delay() <= min(cap, base * 2 ** n)
    b.reset()
    assert b.next_delay() <= base


def test_budget_spends_more_on_timeouts_and_refunds_on_success():
    budget = RetryBudget(capacity=30, retry_cost=5, timeout_cost=10)
    assert budget.spend(timeout=True) and budget.tokens == 20
    assert budget.spend() and budget.tokens == 15
    budget.succeed()
    assert budget.tokens == 16
    while budget.spend():
        pass
    assert budget.exhausted and budget.tokens == 1
    for _ in range(100):
        budget.succeed()
    assert budget.tokens == 30
