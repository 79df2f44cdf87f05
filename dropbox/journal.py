"""The drop box's journal: each step that matters after a power cut, committed with its outbox event.

Tables (migration module ``dropbox``):

* ``dropbox_visits``: one row per slot opening (its id is the envelope id), with the claim, its
  ``state`` (unlocked -> envelope_seen -> locked) and ``outcome`` (received, or why nothing fell).
* ``dropbox_journal``: every transition, alarm, refusal and collection, in order.
* ``dropbox_batches``: one row per collection, with its claim ids.

Commits, in the order a drop makes them (each one write transaction):

1. :func:`open_visit` -- journal scanned, validated, unlocked: written *before* the coil is energised,
   so a power cut while the slot is open always finds an open visit.
2. :func:`record_envelope` -- envelope seen: the visit, ``dropbox.received`` (and ``dropbox.near_full``
   when this envelope reaches the threshold).  Central knows at once.
3. :func:`close_visit` -- locked: the visit's end, with ``dropbox.no_drop`` when nothing fell.

At boot :func:`reconcile` closes the one visit a power cut left open, exactly once: an envelope already
journalled stays received, an unlocked visit becomes a no-drop with reason ``power_loss``.  Event keys
derive from the envelope id, and a claim is received at most once (a unique index), so nothing is ever
recorded twice.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass

from sync import wire
from sync.clock import SystemClock
from sync.outbox import record
from sync.store import Migration
from terminal.logs import get_logger

log = get_logger(__name__)

MIGRATIONS = [
    Migration("dropbox", 1, """
CREATE TABLE dropbox_visits (
    id TEXT PRIMARY KEY,
    claim_id TEXT NOT NULL,
    employee_no TEXT NOT NULL,
    amount_cents INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    checked TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('unlocked', 'envelope_seen', 'locked')),
    outcome TEXT,
    window_s REAL NOT NULL,
    batch_id TEXT,
    opened_at REAL NOT NULL,
    closed_at REAL,
    boot_id TEXT NOT NULL
);
CREATE UNIQUE INDEX dropbox_received_once ON dropbox_visits (claim_id) WHERE outcome = 'received';
CREATE INDEX dropbox_open ON dropbox_visits (state) WHERE state != 'locked';
CREATE INDEX dropbox_uncollected ON dropbox_visits (batch_id) WHERE outcome = 'received';
CREATE TABLE dropbox_journal (
    id INTEGER PRIMARY KEY,
    visit_id TEXT,
    step TEXT NOT NULL,
    wall_time REAL NOT NULL,
    mono_ns INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}',
    UNIQUE (visit_id, step)
);
CREATE TABLE dropbox_batches (
    id TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    claim_ids TEXT NOT NULL,
    authorised_by TEXT NOT NULL,
    nonce TEXT UNIQUE,
    collected_at REAL NOT NULL
);
""", "drop-box visits, journal and collection batches"),
]

_clock = SystemClock()
RECEIVED = "received"


@dataclass(frozen=True)
class Visit:
    """One open slot: ``id`` (the envelope id), the claim and how it was checked."""

    id: str
    claim_id: str
    employee_no: str
    amount_cents: int
    key_id: str
    checked: str
    window_s: float


def _journal(db, visit_id: str | None, step: str, **detail) -> None:
    stamp = _clock.stamp()
    db.conn.execute("INSERT INTO dropbox_journal (visit_id, step, wall_time, mono_ns, boot_id, detail) "
                    "VALUES (?, ?, ?, ?, ?, ?)", (visit_id, step, stamp["wall"], stamp["mono"], stamp["boot_id"],
                                                  json.dumps(detail, ensure_ascii=False)))


def new_envelope_id() -> str:
    """A fresh envelope id, unique across boots and stores: ``ENV-`` and 16 hex digits."""
    return f"ENV-{uuid.uuid4().hex[:16].upper()}"


def open_visit(store, verdict, *, window_s: float, envelope_id: str | None = None) -> Visit:
    """Commit 1: the scan, its validation and the unlock, before the coil is energised; returns the Visit."""
    visit = Visit(envelope_id or new_envelope_id(), verdict.claim_id, verdict.employee_no,
                  int(verdict.amount_cents), verdict.key_id, verdict.checked, float(window_s))
    with store.write() as db:
        stamp = _clock.stamp()
        db.conn.execute(
            "INSERT INTO dropbox_visits (id, claim_id, employee_no, amount_cents, key_id, checked, state, window_s,"
            " opened_at, boot_id) VALUES (?, ?, ?, ?, ?, ?, 'unlocked', ?, ?, ?)",
            (visit.id, visit.claim_id, visit.employee_no, visit.amount_cents, visit.key_id, visit.checked,
             visit.window_s, stamp["wall"], stamp["boot_id"]))
        _journal(db, visit.id, "scanned", claim_id=visit.claim_id)
        _journal(db, visit.id, "validated", checked=visit.checked, key_id=visit.key_id)
        _journal(db, visit.id, "unlocked", window_s=visit.window_s)
    return visit


def uncollected(conn) -> int:
    """Envelopes received since the last collection."""
    return conn.execute("SELECT COUNT(*) FROM dropbox_visits WHERE outcome = 'received' AND batch_id IS NULL"
                        ).fetchone()[0]


def near_full_at(capacity: int, percent: int) -> int:
    """The count at which dropbox.near_full goes out: ``percent`` of ``capacity``, rounded up, at least 1.

    >>> near_full_at(200, 80), near_full_at(10, 80), near_full_at(3, 80), near_full_at(1, 1)
    (160, 8, 3, 1)
    """
    return max(1, -(-capacity * percent // 100))


def record_envelope(store, envelope_id: str, *, capacity: int, near_full_percent: int) -> int:
    """Commit 2: the envelope fell; ``dropbox.received`` (and ``dropbox.near_full`` at the threshold).

    Returns the count since the last collection, this envelope included.  Does nothing (returns the
    count) when the visit is already past ``unlocked``.
    """
    with store.write() as db:
        row = db.conn.execute("SELECT claim_id, employee_no, amount_cents, key_id, checked, state "
                              "FROM dropbox_visits WHERE id = ?", (envelope_id,)).fetchone()
        if row is None or row[5] != "unlocked":
            return uncollected(db.conn)
        db.conn.execute("UPDATE dropbox_visits SET state = 'envelope_seen', outcome = 'received' WHERE id = ?",
                        (envelope_id,))
        count = uncollected(db.conn)
        _journal(db, envelope_id, "envelope_seen", count=count)
        record(db, "dropbox.received", {"claim_id": row[0], "envelope_id": envelope_id, "employee_no": row[1],
                                        "amount_cents": row[2], "key_id": row[3], "checked": row[4],
                                        "count": count}, key=f"dropbox.received:{envelope_id}")
        threshold = near_full_at(capacity, near_full_percent)
        if count == threshold:
            record(db, "dropbox.near_full", {"count": count, "capacity": capacity, "percent": near_full_percent},
                   key=f"dropbox.near_full:{envelope_id}")
    return count


def close_visit(store, envelope_id: str, outcome: str) -> bool:
    """Commit 3: the slot is locked again; ``dropbox.no_drop`` unless an envelope was received.

    ``outcome`` is the no-drop reason (sync.wire NO_DROP_*, ``beam_stuck``, ``lock_fault``) and is
    ignored when the visit already holds an envelope.  Returns False when the visit was already
    closed (nothing written): closing twice records nothing twice.
    """
    with store.write() as db:
        row = db.conn.execute("SELECT claim_id, state, outcome, window_s FROM dropbox_visits WHERE id = ?",
                              (envelope_id,)).fetchone()
        if row is None or row[1] == "locked":
            return False
        final = RECEIVED if row[2] == RECEIVED else outcome
        db.conn.execute("UPDATE dropbox_visits SET state = 'locked', outcome = ?, closed_at = ? WHERE id = ?",
                        (final, time.time(), envelope_id))
        _journal(db, envelope_id, "locked", outcome=final)
        if final != RECEIVED:
            record(db, "dropbox.no_drop", {"claim_id": row[0], "reason": final, "envelope_id": envelope_id,
                                           "window_s": row[3]}, key=f"dropbox.no_drop:{envelope_id}")
    return True


def open_visits(conn) -> list[tuple[str, str]]:
    """(envelope id, state) of every visit not yet locked, oldest first (at most one after a power cut)."""
    return conn.execute("SELECT id, state FROM dropbox_visits WHERE state != 'locked' ORDER BY opened_at"
                        ).fetchall()


def reconcile(store) -> list[dict]:
    """At boot, with the lock already in its fail-secure state: close every visit left open.

    Returns what was done, one ``{"envelope_id", "was", "outcome"}`` per visit: an envelope already
    journalled stays received (its dropbox.received went out in commit 2); an unlocked visit becomes
    a no-drop with reason ``power_loss``.  Running it again finds nothing to do.
    """
    done = []
    for envelope_id, state in open_visits(store.conn):
        close_visit(store, envelope_id, wire.NO_DROP_POWER_LOSS)
        outcome = store.conn.execute("SELECT outcome FROM dropbox_visits WHERE id = ?", (envelope_id,)).fetchone()[0]
        done.append({"envelope_id": envelope_id, "was": state, "outcome": outcome})
        log.warning("dropbox.reconciled", envelope_id=envelope_id, was=state, outcome=outcome)
    return done


def note(store, step: str, event_type: str | None = None, payload: dict | None = None, **detail) -> None:
    """One journal line (an alarm, a refusal) with its outbox event, in one commit."""
    with store.write() as db:
        _journal(db, None, step, **(payload or {}), **detail)
        if event_type:
            record(db, event_type, payload or {})


def received_claim(conn, claim_id: str) -> float | None:
    """When ``claim_id``'s envelope was received in this box (wall seconds), or None."""
    row = conn.execute("SELECT opened_at FROM dropbox_visits WHERE claim_id = ? AND outcome = 'received'",
                       (claim_id,)).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class CollectedBatch:
    """One collection: ``id``, ``claim_ids`` and ``envelope_ids`` in drop order, when and by whom."""

    id: str
    claim_ids: tuple[str, ...]
    envelope_ids: tuple[str, ...]
    authorised_by: str
    collected_at: float

    @property
    def count(self) -> int:
        """How many envelopes the batch holds."""
        return len(self.claim_ids)


def nonce_used(conn, nonce: str) -> bool:
    """Whether a collection code with ``nonce`` has already been used at this box."""
    return conn.execute("SELECT 1 FROM dropbox_batches WHERE nonce = ?", (nonce,)).fetchone() is not None


def collect(store, *, box_id: str, authorised_by: str, nonce: str | None = None) -> CollectedBatch:
    """Every envelope since the last collection becomes one batch, with ``dropbox.collected``; the count resets.

    One commit.  An empty box still gives a batch (count 0): the courier's visit is on record.
    ``nonce`` is the collection code's; a code is used once (sqlite3.IntegrityError the second time).
    """
    batch_id = f"BAT-{time.strftime('%Y%m%d', time.gmtime())}-{uuid.uuid4().hex[:8].upper()}"
    with store.write() as db:
        rows = db.conn.execute("SELECT id, claim_id FROM dropbox_visits WHERE outcome = 'received' AND batch_id "
                               "IS NULL ORDER BY opened_at, rowid").fetchall()
        envelopes, claims = tuple(r[0] for r in rows), tuple(r[1] for r in rows)
        now = time.time()
        db.conn.execute("UPDATE dropbox_visits SET batch_id = ? WHERE outcome = 'received' AND batch_id IS NULL",
                        (batch_id,))
        db.conn.execute("INSERT INTO dropbox_batches (id, count, claim_ids, authorised_by, nonce, collected_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", (batch_id, len(claims), json.dumps(claims), authorised_by,
                                                      nonce, now))
        _journal(db, None, "collected", batch_id=batch_id, count=len(claims))
        record(db, "dropbox.collected", {"batch_id": batch_id, "count": len(claims), "claim_ids": list(claims),
                                         "authorised_by": authorised_by, "box_id": box_id},
               key=f"dropbox.collected:{batch_id}")
    return CollectedBatch(batch_id, claims, envelopes, authorised_by, now)
