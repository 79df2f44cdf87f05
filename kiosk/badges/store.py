"""The badge journal: one row per badge order, each state change in the same commit as its outbox event.

States (``badge_jobs.state``)::

    ordering --central answered--> awaiting_payment --paid--> paid --> printing --> printed
        |                               |                       ^          |
        |                               |                       |          v
        |                               |                       +--- print_failed (reprint: no new order)
        v                               v
    cancelled  <-- cancel / timeout / central down        refund_requested <-- paid, never printed

``ordering`` is committed *before* central is asked, so a kiosk killed while
the request is in flight still knows the ``request_id`` (central's idempotency
key) and can close the order.  The QR is only ever shown from a journalled
``awaiting_payment`` row.  :func:`close_job` ends a job that will not print
(session over, kiosk restarted): unpaid -> ``payment.cancelled``; paid or maybe
paid -> ``payment.refund_requested`` (central refunds a paid order and cancels
an unpaid one), so an order is printed once or refunded, never charged twice.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, fields

from sync.outbox import record
from sync.store import Migration
from terminal import TerminalError

MIGRATIONS = [
    Migration("badges", 1, """
CREATE TABLE badge_jobs (
    request_id TEXT PRIMARY KEY,      -- the kiosk's idempotency key for central's order
    session_id TEXT NOT NULL,
    employee_no TEXT NOT NULL,
    reason TEXT NOT NULL,             -- first | lost | damaged
    state TEXT NOT NULL,
    order_id TEXT,
    amount_cents INTEGER,
    currency TEXT,
    badge_id TEXT,
    replaces TEXT,
    access_code TEXT,                 -- cleared once printed or closed
    code_url TEXT,                    -- the WeChat Pay QR while awaiting payment
    prints INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    detail TEXT,                      -- the last failure in words (no personal data)
    created_wall REAL NOT NULL,
    updated_wall REAL NOT NULL
);
CREATE INDEX badge_jobs_open ON badge_jobs (state, employee_no);
""", "badge orders journalled with their payment state, so a restart prints once or refunds"),
]

FINAL = ("printed", "cancelled", "refund_requested")
UNPAID = ("ordering", "awaiting_payment")
PAID = ("paid", "printing", "print_failed")


class BadgeJobError(TerminalError):
    """A badge job that does not exist, or a step its state does not allow (the message names both)."""


@dataclass(frozen=True)
class BadgeJob:
    """One journalled badge order (a row of ``badge_jobs``); ``amount_cents`` None until central answered."""

    request_id: str
    session_id: str
    employee_no: str
    reason: str
    state: str
    order_id: str | None
    amount_cents: int | None
    currency: str | None
    badge_id: str | None
    replaces: str | None
    access_code: str | None
    code_url: str | None
    prints: int
    attempts: int
    detail: str | None
    created_wall: float
    updated_wall: float

    @property
    def final(self) -> bool:
        """Printed, cancelled or refund requested: nothing more happens to it."""
        return self.state in FINAL


_COLUMNS = ", ".join(f.name for f in fields(BadgeJob))


def job(conn, request_id: str) -> BadgeJob:
    """The job ``request_id``; :class:`BadgeJobError` when there is none."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM badge_jobs WHERE request_id = ?", (request_id,)).fetchone()
    if row is None:
        raise BadgeJobError(f"no badge job {request_id[:40]!r} on this terminal")
    return BadgeJob(*row)


def open_jobs(conn, *, session_id: str | None = None, employee_no: str | None = None) -> list[BadgeJob]:
    """Jobs not yet printed, cancelled or refunded (of one session or employee when given), oldest first."""
    sql = f"SELECT {_COLUMNS} FROM badge_jobs WHERE state NOT IN ({', '.join('?' * len(FINAL))})"
    params: list = list(FINAL)
    for column, value in (("session_id", session_id), ("employee_no", employee_no)):
        if value is not None:
            sql += f" AND {column} = ?"
            params.append(value)
    return [BadgeJob(*r) for r in conn.execute(sql + " ORDER BY created_wall", params).fetchall()]


def begin(store, *, session_id: str, employee_no: str, reason: str) -> BadgeJob:
    """Journal a new order (``ordering``) before central is asked; the job (its ``request_id`` is the key).

    An employee with an open job on this kiosk gets that job back instead (a paid one is printed
    again, never ordered again).
    """
    existing = open_jobs(store.conn, employee_no=employee_no)
    if existing:
        return existing[0]
    request_id = "req-" + uuid.uuid4().hex
    now = time.time()
    with store.write() as db:
        db["badge_jobs"].insert({"request_id": request_id, "session_id": session_id, "employee_no": employee_no,
                                 "reason": reason, "state": "ordering", "created_wall": now, "updated_wall": now})
    return job(store.conn, request_id)


def _move(store, request_id: str, allowed: tuple[str, ...], changes: dict, event: tuple[str, dict, str] | None):
    """Change one job from a state in ``allowed``, with its outbox ``event`` (type, payload, key), in one commit."""
    with store.write() as db:
        current = job(store.conn, request_id)
        if current.state not in allowed:
            raise BadgeJobError(f"badge job {request_id} is {current.state}; it cannot become {changes.get('state')}")
        sets = {**changes, "updated_wall": time.time()}
        store.conn.execute(f"UPDATE badge_jobs SET {', '.join(f'{k} = ?' for k in sets)} WHERE request_id = ?",
                           (*sets.values(), request_id))
        if event is not None:
            record(db, event[0], {k: v for k, v in event[1].items() if v is not None}, key=event[2])
    return job(store.conn, request_id)


def ordered(store, request_id: str, order) -> BadgeJob:
    """Central made ``order`` (kiosk.badges.central.Order): awaiting payment, or paid when free; payment.order_created."""
    j = job(store.conn, request_id)
    state = "paid" if order.status == "paid" else "awaiting_payment"
    payload = {"session_id": j.session_id, "request_id": request_id, "order_id": order.order_id,
               "employee_no": j.employee_no, "reason": order.reason, "amount_cents": order.amount_cents,
               "currency": order.currency, "badge_id": order.badge_id, "replaces": order.replaces}
    return _move(store, request_id, ("ordering",),
                 {"state": state, "order_id": order.order_id, "amount_cents": order.amount_cents,
                  "currency": order.currency, "badge_id": order.badge_id, "replaces": order.replaces,
                  "access_code": order.access_code, "code_url": order.code_url if state != "paid" else None},
                 ("payment.order_created", payload, f"payment.order_created:{request_id}"))


def paid(store, request_id: str) -> BadgeJob:
    """The order is paid (seen at central): ``paid`` with payment.paid."""
    j = job(store.conn, request_id)
    return _move(store, request_id, ("awaiting_payment",), {"state": "paid", "code_url": None},
                 ("payment.paid", {"session_id": j.session_id, "request_id": request_id, "order_id": j.order_id,
                                   "amount_cents": j.amount_cents}, f"payment.paid:{request_id}"))


def printing(store, request_id: str) -> BadgeJob:
    """A print job is about to be sent (committed first: a restart then knows a card may be coming out)."""
    j = job(store.conn, request_id)
    return _move(store, request_id, ("paid", "print_failed"), {"state": "printing", "attempts": j.attempts + 1},
                 None)


def printed(store, request_id: str) -> BadgeJob:
    """The card's job completed: ``printed`` with badge.printed (central revokes the badge it replaces)."""
    j = job(store.conn, request_id)
    payload = {"session_id": j.session_id, "employee_no": j.employee_no, "reason": j.reason,
               "badge_id": j.badge_id, "order_id": j.order_id, "request_id": request_id, "replaces": j.replaces,
               "prints": j.prints + 1}
    return _move(store, request_id, ("printing",), {"state": "printed", "prints": j.prints + 1,
                                                    "access_code": None, "detail": None},
                 ("badge.printed", payload, f"badge.printed:{j.badge_id}"))


def print_failed(store, request_id: str, detail: str) -> BadgeJob:
    """The job failed (out of cards, jam, ...): ``print_failed``; the same paid order may print again."""
    return _move(store, request_id, ("printing",), {"state": "print_failed", "detail": detail[:300]}, None)


def cancelled(store, request_id: str, reason: str) -> BadgeJob:
    """Closed unpaid (``cancelled`` | ``timed_out`` | ``abandoned``): payment.cancelled."""
    j = job(store.conn, request_id)
    return _move(store, request_id, UNPAID, {"state": "cancelled", "code_url": None, "access_code": None},
                 ("payment.cancelled", {"session_id": j.session_id, "request_id": request_id,
                                        "order_id": j.order_id, "reason": reason},
                  f"payment.cancelled:{request_id}"))


def refund_requested(store, request_id: str, reason: str, detail: str = "") -> BadgeJob:
    """Paid (or maybe paid) and no badge will come of it: payment.refund_requested; central refunds."""
    j = job(store.conn, request_id)
    return _move(store, request_id, UNPAID + PAID, {"state": "refund_requested", "code_url": None,
                                                    "access_code": None, "detail": detail[:300] or j.detail},
                 ("payment.refund_requested", {"session_id": j.session_id, "request_id": request_id,
                                               "order_id": j.order_id, "amount_cents": j.amount_cents or 0,
                                               "reason": reason, "detail": detail[:300] or None},
                  f"payment.refund_requested:{request_id}"))


def close_job(store, request_id: str, reason: str, *, central_status: str | None = None) -> BadgeJob:
    """End a job that will not print, whatever its state (the session ended, or the kiosk restarted).

    ``central_status`` is the order's status at central when the caller could ask (after a
    cancel): ``cancelled``/``expired`` close it unpaid.  Otherwise an order that may have been
    paid gets a refund request, never a silent end.  A final job is returned as it is.
    """
    j = job(store.conn, request_id)
    if j.final:
        return j
    if j.state == "ordering" or (j.state == "awaiting_payment" and central_status in ("cancelled", "expired")):
        return cancelled(store, request_id, reason)     # "ordering": the QR was never shown, nobody could pay
    if j.state == "printing":
        reason = "print_interrupted"                      # a card may have come out; it stays inactive
    return refund_requested(store, request_id, reason, f"closed while {j.state.replace('_', ' ')}")
