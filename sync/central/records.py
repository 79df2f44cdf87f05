"""Each employee's terminal transactions, indexed at ingest, for the kiosk's "my records".

One row per stored event that is an employee's transaction, written in the
ingest transaction (:func:`index_records`), so the index never lags the event
log and a rolled-back batch leaves no row::

    employee_records (id, employee_no, at (central's clock, unix s), kind (event type), status,
                      device_id, ref (certificate serial, order or badge id; NULL), seq)
    UNIQUE (device_id, seq): one row per event, whichever way it arrives (ingest or backfill)

Which events are transactions, and their ``status``:

- ``kiosk.verified`` -> "verified"; ``kiosk.verification_failed`` (with employee_no) -> its reason;
  ``kiosk.locked`` (scope code) -> "locked".  The steps of one verification (code_requested,
  code_sent, code_checked, face_checked) are not: their outcome is one of these, and a visit's
  dozen steps would push everything else out of the list.
- ``certificate.issued`` -> "issued", ``certificate.printed`` -> "printed" (ref: the serial).
- ``badge.printed`` -> "printed" (ref: badge id); ``payment.order_created`` -> "created",
  ``payment.paid`` -> "paid", ``payment.cancelled`` -> its reason, ``payment.refund_requested``
  -> "refund_requested" (ref: the order id).  The last three carry no employee number: central
  finds it in its own order (``badge_orders``, by order id or the terminal's request id).

A status taken from a payload reason must be a short lower-case word, else the event's own word
stands; a ref must be a plain id, else it is left out; an ``employee_no`` that is not one (or
looks like an ID number) is not indexed -- the index holds no personal data but the number.
Events stored before this index existed are indexed by :func:`backfill` (schema 3).

    >>> central_time(100.0, True, "b1", 200.0), central_time(100.0, False, "b1", 200.0)
    (100.0, 200.0)
    >>> central_time(100.0, False, "b1", 200.0, {"wall": 150.0, "boot_id": "b1", "clock_synced": False})
    150.0
"""

from __future__ import annotations

import datetime as dt
import json
import re

from sync import wire
from sync.central.orders import EMPLOYEE_NO_RE

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
FETCH_LIMIT = (3600, 240)        # (window seconds, record lists one terminal may fetch in it)
_WORD = re.compile(r"[a-z][a-z0-9_]{0,39}")
_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")

DDL = [
    """CREATE TABLE IF NOT EXISTS employee_records (
        id {ident}, employee_no TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, kind TEXT NOT NULL,
        status TEXT NOT NULL, device_id TEXT NOT NULL, ref TEXT, seq BIGINT NOT NULL,
        UNIQUE (device_id, seq))""",
    "CREATE INDEX IF NOT EXISTS employee_records_newest ON employee_records (employee_no, at, id)",
    """CREATE TABLE IF NOT EXISTS record_fetches (device_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS record_fetches_by_device ON record_fetches (device_id, at)",
]

# type -> (status word, the payload field whose word replaces it, the payload field that is the ref)
TRANSACTIONS = {
    "kiosk.verified": ("verified", None, None),
    "kiosk.verification_failed": ("failed", "reason", None),
    "kiosk.locked": ("locked", None, None),
    "certificate.issued": ("issued", None, "serial"),
    "certificate.printed": ("printed", None, "serial"),
    "badge.printed": ("printed", None, "badge_id"),
    "payment.order_created": ("created", None, "order_id"),
    "payment.paid": ("paid", None, "order_id"),
    "payment.cancelled": ("cancelled", "reason", "order_id"),
    "payment.refund_requested": ("refund_requested", None, "order_id"),
}
_BY_ORDER = ("payment.paid", "payment.cancelled", "payment.refund_requested")


def ddl(ident: str) -> list[str]:
    """The statements that make the index's tables (``ident``: the engine's auto-numbered key type)."""
    return [s.replace("{ident}", ident) for s in DDL]


def central_time(wall: float, synced: bool, boot_id: str, received: float, sent: dict | None = None) -> float:
    """When an event happened on central's clock (unix seconds), never after ``received``.

    ``wall``/``synced``/``boot_id`` are the event's stamp; ``sent`` the batch's ``sent_at``.
    An NTP-synchronised stamp is central's time; an unsynchronised one is corrected by the offset
    the batch shows when it was sent in the same boot, still unsynchronised (the clock cannot have
    been stepped by NTP in between); otherwise nothing vouches for it and ``received`` stands.
    """
    if synced:
        t = wall
    elif sent is not None and not sent.get("clock_synced") and sent.get("boot_id") == boot_id:
        t = wall + (received - float(sent["wall"]))
    else:
        return received
    return min(max(t, 0.0), received)


def iso(at: float) -> str:
    """``at`` (unix seconds) as the kiosk writes its own records' times: ``2026-11-30T09:15:02+00:00``."""
    return dt.datetime.fromtimestamp(at, dt.timezone.utc).isoformat(timespec="seconds")


def _employee(value) -> str | None:
    if not isinstance(value, str) or not EMPLOYEE_NO_RE.fullmatch(value):
        return None
    return None if wire.plain_id_fields({"employee_no": value}) else value


def _row(c, q, device_id: str, event_type: str, payload: dict) -> tuple[str, str, str | None] | None:
    """(employee_no, status, ref) when the event is an employee's transaction, else None."""
    spec = TRANSACTIONS.get(event_type)
    if spec is None or (event_type == "kiosk.locked" and payload.get("scope") != "code"):
        return None
    word, status_field, ref_field = spec
    status = payload.get(status_field) if status_field else word
    status = status if isinstance(status, str) and _WORD.fullmatch(status) else word
    ref = payload.get(ref_field) if ref_field else None
    employee_no = payload.get("employee_no")
    if event_type in _BY_ORDER:
        order = _order(c, q, device_id, payload)
        if order is None:
            return None
        employee_no, ref = order
    ref = ref if isinstance(ref, str) and _REF.fullmatch(ref) else None
    employee_no = _employee(employee_no)
    return None if employee_no is None else (employee_no, status, ref)


def _order(c, q, device_id: str, payload: dict) -> tuple[str, str] | None:
    """(employee_no, order_id) of the terminal's order a payment event names, or None."""
    if isinstance(payload.get("order_id"), str):
        row = c.execute(q("SELECT employee_no, order_id FROM badge_orders WHERE order_id = ? AND device_id = ?"),
                        (payload["order_id"], device_id)).fetchone()
    else:
        row = c.execute(q("SELECT employee_no, order_id FROM badge_orders WHERE request_id = ? AND device_id = ?"),
                        (str(payload.get("request_id", "")), device_id)).fetchone()
    return None if row is None else (row[0], row[1])


def index_records(storage, c, device_id: str, events: list, received: float, sent: dict | None) -> int:
    """Index newly stored events of ``device_id`` in the ingest transaction ``c``; how many rows.

    ``events``: (seq, type, payload JSON, wall_time, boot_id, clock_synced) in seq order;
    ``received``: central's time now; ``sent``: the batch's ``sent_at``.  Payloads were checked
    against the wire schema already.
    """
    q = storage.engine.sql
    if any(e[1] in _BY_ORDER for e in events):
        from sync.central.orders import _DDL as orders_ddl   # a central that never made an order lacks it

        for statement in orders_ddl:
            c.execute(statement)
    rows = []
    for seq, event_type, payload_text, wall, boot_id, synced in events:
        if event_type not in TRANSACTIONS:
            continue
        found = _row(c, q, device_id, event_type, json.loads(payload_text))
        if found is not None:
            at = central_time(float(wall or 0.0), bool(synced), boot_id or "", received, sent)
            rows.append((found[0], at, event_type, found[1], device_id, found[2], seq))
    if rows:
        storage.engine.executemany(c, q(
            "INSERT INTO employee_records (employee_no, at, kind, status, device_id, ref, seq) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, seq) DO NOTHING"), rows)
    return len(rows)


def backfill(storage, c) -> int:
    """Index every stored event (schema 3's migration, in its transaction ``c``); how many rows.

    The batches' ``sent_at`` was not kept, so an unsynchronised stamp gets the time central
    received it.
    """
    clause, params = storage.engine.in_list("type", sorted(TRANSACTIONS), "text")
    rows = c.execute(storage.engine.sql(
        f"SELECT device_id, seq, type, payload, wall_time, boot_id, clock_synced, received_at FROM events "
        f"WHERE {clause} ORDER BY id"), params).fetchall()
    count = 0
    for device_id, seq, event_type, payload, wall, boot_id, synced, received in rows:
        count += index_records(storage, c, device_id, [(seq, event_type, payload, wall, boot_id, synced)],
                               received, None)
    return count


def records_of(storage, employee_no: str, limit: int = DEFAULT_LIMIT) -> list[dict]:
    """``employee_no``'s newest ``limit`` transactions over every terminal, newest first.

    Each is {when (ISO 8601 UTC, central's clock), kind (event type), status, device_id, ref (or None)}.
    """
    with storage.engine.connection() as c:
        return _read(c, storage.engine.sql, employee_no, limit)


def _read(c, q, employee_no: str, limit: int) -> list[dict]:
    rows = c.execute(q("SELECT at, kind, status, device_id, ref FROM employee_records WHERE employee_no = ? "
                       "ORDER BY at DESC, id DESC LIMIT ?"), (employee_no, limit)).fetchall()
    return [{"when": iso(r[0]), "kind": r[1], "status": r[2], "device_id": r[3], "ref": r[4]} for r in rows]


def fetch_counted(storage, device_id: str, employee_no: str, limit: int, now: float) -> list[dict] | int:
    """:func:`records_of`, counted against ``device_id``'s hourly budget (FETCH_LIMIT).

    Returns the records, or the whole seconds to wait when the budget is spent (nothing read):
    a kiosk serves people one at a time, a terminal walking the employee numbers does not.
    """
    q = storage.engine.sql
    window_s, allowed = FETCH_LIMIT
    with storage.engine.transaction() as c:
        c.execute(q("DELETE FROM record_fetches WHERE at <= ?"), (now - window_s,))
        times = [r[0] for r in c.execute(q("SELECT at FROM record_fetches WHERE device_id = ? ORDER BY at"),
                                         (device_id,)).fetchall()]
        if len(times) >= allowed:
            return max(1, int(times[-allowed] + window_s - now + 0.999))
        c.execute(q("INSERT INTO record_fetches (device_id, at) VALUES (?, ?)"), (device_id, now))
        return _read(c, q, employee_no, limit)
