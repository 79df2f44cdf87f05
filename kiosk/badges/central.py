"""Central's badge answers over the signed channel: what an employee may order, the order, its payment state.

Every call is bounded (the employee is waiting) and fails as one of two
errors the flow turns into a screen: :class:`BadgesUnavailable` (central cannot
answer now: offline, busy, not enrolled) or :class:`OrderRefused` (central
answered no: who may, how often)::

    >>> str(OrderRefused("limit", "at most 3 replacement badge(s) a year"))
    'no badge order: at most 3 replacement badge(s) a year'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sync.client import CentralClient, Credentials, CredentialsRejected, Retryable, tls_verify
from sync.state import all_state
from terminal import TerminalError

TIMEOUT_S = 8.0
_EMPLOYEE_NO = re.compile(r"[A-Za-z0-9_-]{1,32}")
_ORDER_ID = re.compile(r"ORD-[A-Z0-9]{12}")

OFFLINE = "central is unreachable"
NOT_ENROLLED = "this terminal is not enrolled with central"


class BadgesUnavailable(TerminalError):
    """Central cannot answer a badge call now; the message says why in plain words (no personal data)."""


class OrderRefused(TerminalError):
    """Central will not make this badge order: ``code`` (not_eligible, has_badge, no_badge, limit, open_order,
    no_employee, unknown_reason) and ``detail`` in words."""

    def __init__(self, code: str, detail: str):
        super().__init__(f"no badge order: {detail}")
        self.code, self.detail = code, detail


@dataclass(frozen=True)
class Order:
    """Central's order: ids, reason, amount (cents) and currency, status (created | paid | cancelled | expired |
    fulfilled | refunded), ``code_url`` (the WeChat Pay QR, while created), the new badge, the one it replaces,
    its access code, and ``expires_at`` (central's unix seconds)."""

    order_id: str
    request_id: str
    employee_no: str
    reason: str
    amount_cents: int
    currency: str
    status: str
    code_url: str | None
    badge_id: str
    replaces: str | None
    access_code: str
    expires_at: float

    @classmethod
    def from_answer(cls, answer) -> "Order":
        """The order in central's answer; :class:`BadgesUnavailable` when it is malformed."""
        try:
            order = cls(**{f: answer[f] for f in cls.__dataclass_fields__})
        except (KeyError, TypeError):
            raise BadgesUnavailable("central's order answer is malformed") from None
        if not (isinstance(order.order_id, str) and _ORDER_ID.fullmatch(order.order_id)
                and type(order.amount_cents) is int and order.amount_cents >= 0
                and isinstance(order.badge_id, str) and isinstance(order.access_code, str)):
            raise BadgesUnavailable("central's order answer is malformed")
        return order


def client_for(store, sync_settings=None, *, timeout_s: float = TIMEOUT_S) -> CentralClient:
    """A signed client with this terminal's enrolment and ``[sync]`` settings; BadgesUnavailable when not enrolled."""
    state = all_state(store.conn)
    creds = Credentials.from_state(state)
    if creds is None:
        raise BadgesUnavailable(f"{NOT_ENROLLED}; a technician runs 'terminal sync enroll'")
    connect = min(getattr(sync_settings, "connect_timeout_s", timeout_s), timeout_s)
    read = min(getattr(sync_settings, "read_timeout_s", timeout_s), timeout_s)
    return CentralClient(creds, verify=tls_verify(creds.ca_file, getattr(sync_settings, "ca_bundle", "")),
                         connect_timeout_s=connect, read_timeout_s=read, clock_offset_s=state.get("clock_offset"))


def _call(client: CentralClient, method: str, path: str, body: dict | None = None) -> dict:
    raw = b"" if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    try:
        answer = client._signed(method, path, raw, headers)
    except Retryable as exc:
        if exc.status is None:
            raise BadgesUnavailable(OFFLINE + (" (no answer in time)" if exc.timeout else "")) from None
        if exc.status in (429, 503):
            raise BadgesUnavailable("central is busy; try again in a few minutes") from None
        raise BadgesUnavailable(f"central answered {exc.status}") from None
    except CredentialsRejected:
        raise BadgesUnavailable("central refused this terminal; a technician must enrol it again") from None
    if not isinstance(answer, dict):
        raise BadgesUnavailable("central's answer is malformed")
    return answer


def _employee(employee_no: str) -> str:
    """``employee_no`` when it is 1-32 of [A-Za-z0-9_-]; ValueError naming it otherwise."""
    if not isinstance(employee_no, str) or not _EMPLOYEE_NO.fullmatch(employee_no):
        raise ValueError(f"employee number {str(employee_no)[:40]!r} is not 1-32 ASCII letters, digits, _ or -")
    return employee_no


def standing(client: CentralClient, employee_no: str) -> dict:
    """What ``employee_no`` may order now: {current, may: {first, lost, damaged}, fees_cents, currency, refusals}."""
    return _call(client, "GET", f"/v1/badges/{_employee(employee_no)}")


def create_order(client: CentralClient, request_id: str, employee_no: str, reason: str) -> Order:
    """Ask central for an order (the same ``request_id`` again answers the same order).

    Raises :class:`OrderRefused` (central said no), :class:`BadgesUnavailable`, ValueError (a bad number).
    """
    answer = _call(client, "POST", "/v1/orders",
                   {"request_id": request_id, "employee_no": _employee(employee_no), "reason": reason})
    if answer.get("status") == "refused":
        raise OrderRefused(str(answer.get("refusal", "refused")), str(answer.get("detail", "central refused it")))
    return Order.from_answer(answer)


def get_order(client: CentralClient, order_id: str) -> Order:
    """The order as central has it now; :class:`BadgesUnavailable` when central cannot say."""
    return Order.from_answer(_call(client, "GET", f"/v1/orders/{order_id}"))


def cancel_order(client: CentralClient, order_id: str) -> Order:
    """Cancel an unpaid order; the order after (``paid`` when the payer was quicker: then it prints)."""
    return Order.from_answer(_call(client, "POST", f"/v1/orders/{order_id}/cancel"))
