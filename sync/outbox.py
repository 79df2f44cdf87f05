"""The outbox: the only way data leaves a terminal.

:func:`record` writes an event in the *same* transaction as the business
record it describes, so both exist after COMMIT or neither does::

    >>> from sync.store import open_store
    >>> from sync.state import MIGRATIONS
    >>> from sync.outbox import record
    >>> import tempfile, os
    >>> store = open_store(os.path.join(tempfile.mkdtemp(), "t.db"), MIGRATIONS)
    >>> with store.write() as db:
    ...     # db["claims"].insert(...)  # the caller's business record goes here
    ...     event = record(db, "sync.diagnostic", {"n": 1})
    >>> event.seq
    1
    >>> store.close()

The sequence number is allocated inside the transaction from a counter row,
so a rolled-back transaction gives its number back: per device the numbers
central sees have no gaps except where telemetry was dropped by the full
policy or an event was dead-lettered (both are counted and reported).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass

from sync import wire
from sync.clock import SystemClock, reference_time
from sync.state import get_state
from terminal import TerminalError
from terminal.logs import get_logger
from terminal.pii import mask_field, mask_text

log = get_logger(__name__)

# Bytes an event adds to a batch beyond its payload (envelope fields, JSON punctuation).
ENVELOPE_BYTES = 220
MAX_EVENT_BYTES = 256_000
MAX_KEY_CHARS = 200  # central refuses longer idempotency keys

_clock = SystemClock()


class OutboxError(TerminalError):
    """The event was refused; nothing was recorded (the caller's transaction rolls back)."""


class OutboxFull(OutboxError):
    """The disk holding the store is full: nothing was recorded."""


@dataclass(frozen=True)
class Recorded:
    """What :func:`record` stored: the event's outbox ``seq``, its idempotency ``key`` and wire ``priority``."""
    seq: int
    key: str
    priority: int


def record(db, event_type: str, payload: dict, *, version: int = 1, key: str | None = None,
           clock: SystemClock | None = None) -> Recorded:
    """Add one event to the outbox inside the caller's open write transaction.

    ``db`` is what ``store.write()`` yields (or its sqlite3 connection).
    ``key`` is the idempotency key; give a derived one (e.g. the claim id)
    when the same business fact may be recorded twice, else a uuid4 is made.
    Raises :class:`OutboxError` for an event central would refuse, and
    :class:`OutboxFull` when the disk is full.
    """
    conn: sqlite3.Connection = getattr(db, "conn", db)
    if not conn.in_transaction:
        raise OutboxError("outbox.record must run inside the business record's write transaction "
                          "(with store.write() as db: ...)")
    problem = wire.check_event(event_type, version, payload)
    if problem:
        raise OutboxError(f"event refused before recording: {problem}")
    leak = _unmasked_field(payload)
    if leak is not None:
        raise OutboxError(f"event {event_type}: payload field {leak!r} carries personal data unmasked (an ID "
                          f"number, phone, name, address, photo or one-time code); events carry the employee "
                          f"number or a masked value only (terminal.pii)")
    try:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        size = len(body.encode()) + ENVELOPE_BYTES  # a lone surrogate fails here (UnicodeEncodeError)
    except (TypeError, ValueError) as exc:
        raise OutboxError(f"event {event_type}: payload is not plain JSON ({exc})") from None
    if size > MAX_EVENT_BYTES:
        raise OutboxError(f"event {event_type}: payload is {size} bytes, more than the {MAX_EVENT_BYTES} "
                          f"one event may carry; store the bulk elsewhere and send a reference")
    key = key or uuid.uuid4().hex
    if not isinstance(key, str) or len(key) > MAX_KEY_CHARS or "\x00" in key or not _encodable(key):
        raise OutboxError(f"event {event_type}: the idempotency key must be text of at most {MAX_KEY_CHARS} "
                          f"characters, without NUL or unpaired surrogates")
    if mask_text(key) != key:
        raise OutboxError(f"event {event_type}: the idempotency key carries an ID or phone number; derive it "
                          f"from a claim, session or employee number instead")
    clock = clock or _clock
    stamp = clock.stamp()
    priority = wire.EVENT_TYPES[(event_type, version)].priority
    try:
        ref = reference_time(stamp["wall"], stamp["clock_synced"], get_state(conn, "clock_offset"))
        # Insert first, then advance the counter: a refused insert (duplicate key) leaves no gap.
        seq = conn.execute(
            "INSERT INTO sync_outbox (seq, key, type, schema, priority, payload, size, wall_time, mono_ns,"
            " boot_id, clock_synced, ref_time) SELECT value + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? "
            "FROM sync_counter WHERE name = 'seq' RETURNING seq",
            (key, event_type, version, priority, body, size, stamp["wall"], stamp["mono"],
             stamp["boot_id"], int(stamp["clock_synced"]), ref),
        ).fetchone()[0]
        conn.execute("UPDATE sync_counter SET value = ? WHERE name = 'seq'", (seq,))
    except sqlite3.IntegrityError:
        raise OutboxError(f"event {event_type}: idempotency key {key!r} is already in the outbox") from None
    except sqlite3.OperationalError as exc:
        if "full" in str(exc):
            log.critical("sync.disk_full", event_type=event_type,
                         action="the business transaction was refused; free space on the state directory")
            raise OutboxFull(f"the terminal's disk is full, so {event_type} was not recorded and nothing "
                             f"was saved; the forwarder frees space as central acknowledges events - "
                             f"check 'terminal sync status' and free space on the state directory") from None
        raise
    return Recorded(seq, key, priority)


def _unmasked_field(value, key: str = "", path: str = "") -> str | None:
    """The path of the first value the log mask would change (i.e. personal data in the clear), or None."""
    if isinstance(value, dict):
        for k, v in value.items():
            found = _unmasked_field(v, str(k), f"{path}.{k}" if path else str(k))
            if found is not None:
                return found
        return None
    if isinstance(value, list):
        for i, v in enumerate(value):
            found = _unmasked_field(v, key, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # an ID number sent as a JSON number is still one
    if isinstance(value, str) and mask_field(key, value) != value:
        return path or "(payload)"
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def event_row_to_wire(row: dict) -> dict:
    """One outbox row as the ingest body carries it."""
    return {
        "seq": row["seq"], "key": row["key"], "type": row["type"], "schema": row["schema"],
        "priority": row["priority"], "payload": json.loads(row["payload"]),
        "wall_time": row["wall_time"], "mono_ns": row["mono_ns"], "boot_id": row["boot_id"],
        "clock_synced": bool(row["clock_synced"]),
    }
