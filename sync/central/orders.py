"""Central's badge orders, its simulated payment provider, and the badge register behind ``revoked_badges``.

Every badge a kiosk prints is an *order* here, so badge ids are allotted in
one place and no employee is charged twice:

- a first badge (an employee with no badge on record) costs nothing: its order
  is ``paid`` when made and has no ``code_url``;
- a replacement (``lost`` or ``damaged``) costs the fee the ``config`` item
  ``badges`` names; its order waits for the payer (``created``) until paid,
  cancelled or past ``expires_at``.

Order states::

    created --pay--> paid --badge.printed--> fulfilled
       |               \\--payment.refund_requested--> refunded
       \\--cancel / expiry / superseded / payment.cancelled / payment.refund_requested--> cancelled | expired

The provider is simulated (demo and tests): :func:`pay` plays the payer
(``terminal central pay ORDER``), :func:`cancel` the payer walking away (``--cancel``);
a refund is immediate.  No merchant key exists anywhere: a real deployment
replaces :func:`_new_code_url` and :func:`_refund` with the provider's API,
called from here, never from a kiosk.

When central stores a ``badge.printed`` event (:func:`settle_events`, called in
the ingest transaction), the new badge becomes active and the one it
``replaces`` is revoked: it joins the ``revoked_badges`` dataset that every
terminal pulls.

    >>> access_code("BDG-E1001-2", "K7Q2M4XP9A")
    'BDG-E1001-2.K7Q2M4XP9A'
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass

from terminal import TerminalError
from terminal.logs import get_logger
from sync.central.tables import schema_once

log = get_logger(__name__)

EMPLOYEE_NO_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
REQUEST_ID_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
ORDER_ID_RE = re.compile(r"ORD-[A-Z0-9]{12}")
REASONS = ("first", "lost", "damaged")
LEFT = ("left", "inactive", "terminated", "resigned")
OPEN = ("created",)
CHARGED = ("paid", "fulfilled")
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"     # no 0/O or 1/I: read aloud at a service desk

# The policy when central's config has no ``badges`` item (the demo seeds one: sync/central/demo.py).
DEFAULT_POLICY = {"id": "badges", "currency": "CNY", "fees_cents": {"first": 0, "lost": 2000, "damaged": 1000},
                  "max_replacements_per_year": 3, "payment_timeout_s": 180, "access_code": "qr"}

_DDL = [
    """CREATE TABLE IF NOT EXISTS badge_orders (
        order_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, request_id TEXT NOT NULL, employee_no TEXT NOT NULL,
        reason TEXT NOT NULL, amount_cents BIGINT NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL,
        code_url TEXT, badge_id TEXT NOT NULL UNIQUE, replaces TEXT, access_code TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL, expires_at DOUBLE PRECISION NOT NULL,
        paid_at DOUBLE PRECISION, closed_at DOUBLE PRECISION, close_reason TEXT,
        UNIQUE (device_id, request_id))""",
    "CREATE INDEX IF NOT EXISTS badge_orders_by_employee ON badge_orders (employee_no, created_at)",
    """CREATE TABLE IF NOT EXISTS badges (
        badge_id TEXT PRIMARY KEY, employee_no TEXT NOT NULL, status TEXT NOT NULL, access_code TEXT,
        device_id TEXT, printed_at DOUBLE PRECISION, replaced_by TEXT)""",
    "CREATE INDEX IF NOT EXISTS badges_by_employee ON badges (employee_no)",
]


class OrderError(TerminalError):
    """An order that cannot be made, paid or cancelled; ``code`` names why (the API's ``error``)."""

    exit_code = 2

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Refusal:
    """Why central will not make a badge order: ``code`` (not_eligible, has_badge, no_badge, limit,
    open_order, unknown_reason, no_employee) and ``detail`` in plain words (no personal data)."""

    code: str
    detail: str


def access_code(badge_id: str, secret: str) -> str:
    """The text a badge's QR carries: ``<badge_id>.<secret>`` (a door reader looks the secret up)."""
    return f"{badge_id}.{secret}"


# Create the order and badge tables (idempotent; once per storage object).
ensure_schema = schema_once(_DDL)


def policy(storage) -> dict:
    """Central's badge policy: the ``config`` item ``badges`` over :data:`DEFAULT_POLICY`."""
    item = storage.reference_item("config", "badges") or {}
    merged = {**DEFAULT_POLICY, **item}
    merged["fees_cents"] = {**DEFAULT_POLICY["fees_cents"], **(item.get("fees_cents") or {})}
    return merged


def _rows(c, q, sql: str, params) -> list[dict]:
    cur = c.execute(q(sql), params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


_ORDER_COLUMNS = ("order_id, device_id, request_id, employee_no, reason, amount_cents, currency, status, code_url, "
                  "badge_id, replaces, access_code, created_at, expires_at, paid_at, closed_at, close_reason")


def _expire(c, q, now: float) -> None:
    """Orders past ``expires_at`` and still unpaid become ``expired`` (lazily, before any read or change)."""
    c.execute(q("UPDATE badge_orders SET status = 'expired', closed_at = ?, close_reason = 'timed_out' "
                "WHERE status = 'created' AND expires_at <= ?"), (now, now))


def get_order(storage, order_id: str, *, device_id: str | None = None) -> dict | None:
    """The order ``order_id`` (of ``device_id`` when given) as a dict of its columns, or None."""
    ensure_schema(storage)
    q = storage.engine.sql
    with storage.engine.transaction() as c:
        _expire(c, q, storage.now())
        rows = _rows(c, q, f"SELECT {_ORDER_COLUMNS} FROM badge_orders WHERE order_id = ?", (order_id,))
    if not rows or (device_id is not None and rows[0]["device_id"] != device_id):
        return None
    return rows[0]


def badges_of(storage, employee_no: str) -> list[dict]:
    """The badges central knows for ``employee_no``: [{badge_id, status (active | revoked), printed_at}]."""
    ensure_schema(storage)
    with storage.engine.connection() as c:
        return _rows(c, storage.engine.sql, "SELECT badge_id, status, printed_at FROM badges WHERE employee_no = ? "
                     "ORDER BY badge_id", (employee_no,))


def standing(storage, employee_no: str) -> dict:
    """What ``employee_no`` may order now: {employee_no, current (active badge id or None), may: {reason: bool},
    fees_cents, currency, refusals: {reason: code}}; the kiosk's menu shows it."""
    rules = policy(storage)
    may, refusals = {}, {}
    for reason in REASONS:
        refusal = _refusal(storage, employee_no, reason, rules)
        may[reason] = refusal is None
        if refusal is not None:
            refusals[reason] = refusal.code
    active = [b["badge_id"] for b in badges_of(storage, employee_no) if b["status"] == "active"]
    return {"employee_no": employee_no, "current": active[-1] if active else None, "may": may,
            "fees_cents": {r: int(rules["fees_cents"].get(r, 0)) for r in REASONS}, "currency": rules["currency"],
            "refusals": refusals}


def _refusal(storage, employee_no: str, reason: str, rules: dict, now: float | None = None) -> Refusal | None:
    """Why ``employee_no`` may not order a ``reason`` badge now, or None (who may, how often)."""
    if reason not in REASONS:
        return Refusal("unknown_reason", f"reason must be one of {', '.join(REASONS)}")
    person = storage.reference_item("directory", employee_no)
    if person is None:
        return Refusal("no_employee", "central's directory has no such employee")
    if person.get("status") in LEFT or person.get("left_on"):
        return Refusal("not_eligible", "the employee has left; badges are for current staff")
    known = badges_of(storage, employee_no)
    if reason == "first" and known:
        return Refusal("has_badge", "a badge was issued before; order a replacement (lost or damaged)")
    if reason != "first" and not known:
        return Refusal("no_badge", "no badge was issued before; the first badge is free")
    limit = rules.get("max_replacements_per_year")
    if reason != "first" and isinstance(limit, int):
        since = (storage.now() if now is None else now) - 365 * 86400
        with storage.engine.connection() as c:
            count = c.execute(storage.engine.sql(
                "SELECT COUNT(*) FROM badge_orders WHERE employee_no = ? AND reason <> 'first' "
                "AND status IN ('paid', 'fulfilled') AND created_at >= ?"), (employee_no, since)).fetchone()[0]
        if count >= limit:
            return Refusal("limit", f"at most {limit} replacement badge(s) a year; the service desk can help")
    return None


def create_order(storage, device_id: str, request_id: str, employee_no: str, reason: str) -> dict | Refusal:
    """Make (or, for a ``request_id`` this device used before, return again) a badge order.

    Returns the order's columns, or a :class:`Refusal`.  A replacement order cancels the
    employee's unpaid open orders first (a kiosk left at the QR screen); a paid order not yet
    printed refuses a new one (``open_order``): it is printed or refunded first, never paid twice.
    Raises ValueError for a malformed request id, employee number or reason.
    """
    if not isinstance(request_id, str) or not REQUEST_ID_RE.fullmatch(request_id):
        raise ValueError("request_id must be 8-64 of [A-Za-z0-9_-]")
    if not isinstance(employee_no, str) or not EMPLOYEE_NO_RE.fullmatch(employee_no):
        raise ValueError("employee_no must be 1-32 of [A-Za-z0-9_-]")
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {', '.join(REASONS)}")
    ensure_schema(storage)
    q, now, rules = storage.engine.sql, storage.now(), policy(storage)
    with storage.engine.transaction(serialise=True) as c:
        _expire(c, q, now)
        again = _rows(c, q, f"SELECT {_ORDER_COLUMNS} FROM badge_orders WHERE device_id = ? AND request_id = ?",
                      (device_id, request_id))
        if again:
            return again[0]
    refusal = _refusal(storage, employee_no, reason, rules, now)
    if refusal is not None:
        return refusal
    with storage.engine.transaction(serialise=True) as c:
        _expire(c, q, now)
        if _rows(c, q, "SELECT order_id FROM badge_orders WHERE employee_no = ? AND status = 'paid'",
                 (employee_no,)):
            return Refusal("open_order", "a paid badge of this employee has not been printed yet; it is "
                                         "printed again or refunded first")
        c.execute(q("UPDATE badge_orders SET status = 'cancelled', closed_at = ?, close_reason = 'superseded' "
                    "WHERE employee_no = ? AND status = 'created'"), (now, employee_no))
        badge_id = _next_badge_id(c, q, employee_no)
        current = [r["badge_id"] for r in _rows(c, q, "SELECT badge_id FROM badges WHERE employee_no = ? AND "
                                                      "status = 'active' ORDER BY badge_id", (employee_no,))]
        amount = int(rules["fees_cents"].get(reason, 0))
        order_id = "ORD-" + "".join(secrets.choice(_ALPHABET) for _ in range(12))
        free = amount == 0
        row = {"order_id": order_id, "device_id": device_id, "request_id": request_id, "employee_no": employee_no,
               "reason": reason, "amount_cents": amount, "currency": rules["currency"],
               "status": "paid" if free else "created", "code_url": None if free else _new_code_url(order_id),
               "badge_id": badge_id, "replaces": current[-1] if current and reason != "first" else None,
               "access_code": access_code(badge_id, "".join(secrets.choice(_ALPHABET) for _ in range(10))),
               "created_at": now, "expires_at": now + float(rules["payment_timeout_s"]),
               "paid_at": now if free else None, "closed_at": None, "close_reason": None}
        c.execute(q(f"INSERT INTO badge_orders ({_ORDER_COLUMNS}) VALUES ({', '.join('?' * len(row))})"),
                  tuple(row.values()))
    log.info("central.badge_order", device_id=device_id, order_id=order_id, reason=reason, amount_cents=amount)
    return row


def _next_badge_id(c, q, employee_no: str) -> str:
    """``BDG-<employee_no>-<n>``, n above every badge and order of the employee (ids are never reused)."""
    prefix = f"BDG-{employee_no}-"
    ids = [r[0] for r in c.execute(q("SELECT badge_id FROM badges WHERE employee_no = ? UNION "
                                     "SELECT badge_id FROM badge_orders WHERE employee_no = ?"),
                                   (employee_no, employee_no)).fetchall()]
    numbers = [int(i[len(prefix):]) for i in ids if i.startswith(prefix) and i[len(prefix):].isascii()
               and i[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1}"


def _new_code_url(order_id: str) -> str:
    """The simulated provider's WeChat Pay native code URL (the shape ``weixin://wxpay/bizpayurl?pr=...``)."""
    return f"weixin://wxpay/bizpayurl?pr={secrets.token_urlsafe(9)}&sim={order_id}"


def _refund(order: dict) -> None:
    """The simulated provider refunds at once (a real one: its refund API, with central's merchant key)."""
    log.info("central.badge_refund", order_id=order["order_id"], amount_cents=order["amount_cents"])


def _change(storage, order_id: str, allowed: dict[str, str], *, device_id: str | None = None,
            reason: str = "") -> tuple[dict, bool]:
    """Move order ``order_id`` from one of ``allowed`` (status -> new status); (the order after, whether it moved).

    Raises :class:`OrderError` (``no_order``, or ``not_<new>`` naming its status) otherwise.
    """
    ensure_schema(storage)
    q, now = storage.engine.sql, storage.now()
    with storage.engine.transaction(serialise=True) as c:
        _expire(c, q, now)
        rows = _rows(c, q, f"SELECT {_ORDER_COLUMNS} FROM badge_orders WHERE order_id = ?", (order_id,))
        if not rows or (device_id is not None and rows[0]["device_id"] != device_id):
            raise OrderError("no_order", f"central has no order {order_id[:40]!r}; 'terminal central events' "
                                         f"shows the payment.order_created events")
        order = rows[0]
        new = allowed.get(order["status"])
        if new is None:
            return order, False
        stamp = "paid_at" if new == "paid" else "closed_at"
        c.execute(q(f"UPDATE badge_orders SET status = ?, {stamp} = ?, close_reason = COALESCE(?, close_reason) "
                    f"WHERE order_id = ?"), (new, now, reason or None, order_id))
        order.update(status=new, **{stamp: now})
    return order, True


def pay(storage, order_id: str) -> dict:
    """The payer pays ``order_id`` (simulated provider); the order after.

    Raises :class:`OrderError` ``not_payable`` when it is not waiting for payment (already paid,
    cancelled, expired) -- a second payment is refused, never taken -- or ``no_order``.
    """
    order, moved = _change(storage, order_id, {"created": "paid"})
    if not moved:
        raise OrderError("not_payable", f"order {order_id} is {order['status']}; nothing was charged")
    log.info("central.badge_paid", order_id=order_id, amount_cents=order["amount_cents"])
    return order


def cancel(storage, order_id: str, *, device_id: str | None = None, reason: str = "cancelled") -> dict:
    """Cancel ``order_id`` if it is still unpaid; the order after (``paid`` when the payer was quicker).

    Raises :class:`OrderError` ``no_order``.
    """
    return _change(storage, order_id, {"created": "cancelled"}, device_id=device_id, reason=reason)[0]


def as_answer(order: dict, now: float) -> dict:
    """The order as a kiosk sees it (the ``POST /v1/orders`` and ``GET /v1/orders/{id}`` answer)."""
    keys = ("order_id", "request_id", "employee_no", "reason", "amount_cents", "currency", "status", "code_url",
            "badge_id", "replaces", "access_code", "expires_at")
    answer = {k: order[k] for k in keys}
    answer["server_time"] = now
    if answer["status"] not in ("created",):
        answer["code_url"] = None          # nothing left to pay: the QR is not shown again
    return answer


# -- what ingested events change (called inside the ingest transaction) ---------------------------

def settle_events(storage, c, device_id: str, events: list[tuple[str, str]]) -> None:
    """Apply newly stored badge and payment events (type, payload JSON) of ``device_id`` in transaction ``c``.

    ``badge.printed``: the badge becomes active, its order ``fulfilled``, and the badge it
    ``replaces`` revoked (``revoked_badges`` gains it).  ``payment.refund_requested``: a paid order
    is refunded, an unpaid one cancelled.  ``payment.cancelled``: an unpaid order is cancelled.
    """
    wanted = [(t, json.loads(p)) for t, p in events
              if t in ("badge.printed", "payment.refund_requested", "payment.cancelled")]
    if not wanted:
        return
    q, now = storage.engine.sql, storage.now()
    for statement in _DDL:
        c.execute(statement)
    _expire(c, q, now)
    revoked = []
    for event_type, payload in wanted:
        order = _order_of(c, q, device_id, payload)
        if event_type == "badge.printed":
            revoked += _printed(c, q, device_id, payload, order, now)
        elif order is not None and order["status"] == "paid" and event_type == "payment.refund_requested":
            c.execute(q("UPDATE badge_orders SET status = 'refunded', closed_at = ?, close_reason = ? "
                        "WHERE order_id = ?"), (now, str(payload.get("reason", "")), order["order_id"]))
            _refund(order)
        elif order is not None and order["status"] == "created":
            c.execute(q("UPDATE badge_orders SET status = 'cancelled', closed_at = ?, close_reason = ? "
                        "WHERE order_id = ?"), (now, str(payload.get("reason", "")), order["order_id"]))
    if revoked:
        storage._apply_reference(c, "revoked_badges", revoked, replace=False)


def _order_of(c, q, device_id: str, payload: dict) -> dict | None:
    if isinstance(payload.get("order_id"), str):
        rows = _rows(c, q, f"SELECT {_ORDER_COLUMNS} FROM badge_orders WHERE order_id = ? AND device_id = ?",
                     (payload["order_id"], device_id))
    else:
        rows = _rows(c, q, f"SELECT {_ORDER_COLUMNS} FROM badge_orders WHERE request_id = ? AND device_id = ?",
                     (str(payload.get("request_id", "")), device_id))
    return rows[0] if rows else None


def _printed(c, q, device_id: str, payload: dict, order: dict | None, now: float) -> list[dict]:
    badge_id, employee_no = payload["badge_id"], payload["employee_no"]
    code = order["access_code"] if order is not None and order["badge_id"] == badge_id else None
    c.execute(q("INSERT INTO badges (badge_id, employee_no, status, access_code, device_id, printed_at) "
                "VALUES (?, ?, 'active', ?, ?, ?) ON CONFLICT (badge_id) DO NOTHING"),
              (badge_id, employee_no, code, device_id, now))
    if order is not None and order["status"] == "paid":
        c.execute(q("UPDATE badge_orders SET status = 'fulfilled', closed_at = ? WHERE order_id = ?"),
                  (now, order["order_id"]))
    old = payload.get("replaces")
    if not isinstance(old, str) or old == badge_id:
        return []
    c.execute(q("UPDATE badges SET status = 'revoked', replaced_by = ? WHERE badge_id = ?"), (badge_id, old))
    reason = order["reason"] if order is not None else payload.get("reason", "replaced")
    return [{"id": old, "employee_no": employee_no, "reason": f"replaced ({reason})", "replaced_by": badge_id,
             "revoked_at": now}]


# -- the demo's badges -------------------------------------------------------------------------------

DEMO_BADGES = [("BDG-E1001-1", "E1001", "active"), ("BDG-E1002-1", "E1002", "active"),
               ("BDG-E1003-1", "E1003", "revoked"), ("BDG-E1003-2", "E1003", "active"),
               ("BDG-E1005-1", "E1005", "active")]          # E1004 is a new hire: no badge yet


def put_badge(storage, badge_id: str, employee_no: str, status: str = "active") -> None:
    """Record a badge issued before central knew badges (idempotent); ``status`` active or revoked."""
    ensure_schema(storage)
    with storage.engine.transaction() as c:
        c.execute(storage.engine.sql("INSERT INTO badges (badge_id, employee_no, status) VALUES (?, ?, ?) "
                                     "ON CONFLICT (badge_id) DO NOTHING"), (badge_id, employee_no, status))


def seed_demo_badges(storage) -> int:
    """The demo employees' badges (the revoked one is also in the demo's ``revoked_badges``); how many."""
    for badge_id, employee_no, status in DEMO_BADGES:
        put_badge(storage, badge_id, employee_no, status)
    return len(DEMO_BADGES)
