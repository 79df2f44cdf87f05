"""Reading an ingest request body: bounded gunzip, JSON, and the batch's shape.

Whole-request problems raise :class:`BatchError` (nothing is stored); a
problem with one event (unknown type or schema version, a missing field) is
kept on that event and answered per event with code 400.

    >>> batch = parse_batch(b'{"device_id": "D1", "sent_at": {"wall": 1.0, "mono": 2.0, "boot_id": "b", '
    ...                     b'"clock_synced": true}, "backlog": {"depth": 0, "bytes": 0, "oldest_age_s": 0}, '
    ...                     b'"events": []}', "D1")
    >>> batch.events
    []
    >>> parse_batch(b'{"device_id": "D2"}', "D1")
    Traceback (most recent call last):
    ...
    sync.central.ingest.BatchError: device_id 'D2' in the body differs from the signed X-Device-Id 'D1'
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
import zlib
from dataclasses import dataclass

from sync import wire
from sync.central.inputs import BadInput, non_finite_path
from sync.central.storage import canonical_json

MAX_KEY_CHARS = 200
MAX_BOOT_ID_CHARS = 100


class BatchError(BadInput):
    """The whole request is refused: HTTP ``status`` with JSON ``{"error": code, "detail": ...}``."""


@dataclass
class IngestEvent:
    """One event of a batch, checked; ``problem`` (a 400 reason) when it is invalid (then only ``seq`` is set).

    ``payload`` is canonical JSON text and ``payload_hash`` its SHA-256 hex; times as sent
    (``wall_time`` unix seconds, ``mono_ns`` nanoseconds).
    """

    seq: int
    key: str = ""
    type: str = ""
    schema: int = 0
    priority: int = 0
    payload: str = ""
    payload_hash: str = ""
    wall_time: float = 0.0
    mono_ns: int = 0
    boot_id: str = ""
    clock_synced: bool = False
    problem: str | None = None


@dataclass
class IngestBatch:
    """A checked batch: the signed device id, its ``sent_at`` and ``backlog`` objects, and its events."""

    device_id: str
    sent_at: dict
    backlog: dict
    events: list[IngestEvent]

    @property
    def max_seq(self) -> int:
        """The highest seq of the valid events (0: none)."""
        return max((e.seq for e in self.events if e.problem is None), default=0)


def decode_body(raw: bytes, content_encoding: str | None) -> bytes:
    """The JSON bytes of a request: gunzipped when sent gzipped, never above MAX_BODY_BYTES.

    Raises BatchError: 415 for another Content-Encoding, 400 for broken gzip, 413 when too large.
    """
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("identity", ""):
        data = raw
    elif encoding == "gzip":
        data = _gunzip(raw)
    else:
        raise BatchError(415, "unsupported_encoding",
                         f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding")
    if len(data) > wire.MAX_BODY_BYTES:
        raise BatchError(413, wire.ERR_TOO_LARGE, f"body is {len(data)} bytes, above the limit of "
                         f"{wire.MAX_BODY_BYTES}; send smaller batches")
    return data


def _gunzip(raw: bytes) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        # Bounded: a small "gzip bomb" cannot make central allocate gigabytes.
        data = inflater.decompress(raw, wire.MAX_BODY_BYTES + 1)
    except zlib.error as exc:
        raise BatchError(400, wire.ERR_MALFORMED_GZIP, f"body is not valid gzip: {exc}") from None
    if len(data) > wire.MAX_BODY_BYTES:
        raise BatchError(413, wire.ERR_TOO_LARGE, f"body inflates to more than {wire.MAX_BODY_BYTES} bytes; "
                         f"send smaller batches")
    if not inflater.eof:
        raise BatchError(400, wire.ERR_MALFORMED_GZIP, "gzip body is truncated")
    if inflater.unused_data:
        raise BatchError(400, wire.ERR_MALFORMED_GZIP, "gzip body has trailing bytes after its end")
    return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def parse_batch(data: bytes, device_id: str) -> IngestBatch:
    """The batch in ``data`` (JSON bytes), checked against the signed ``device_id``.

    Raises BatchError (400 ``malformed_json`` or ``bad_batch``, 413 above MAX_BATCH_EVENTS);
    a problem with one event is kept on that event instead.
    """
    try:
        doc = json.loads(data, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise BatchError(400, wire.ERR_MALFORMED_JSON, f"body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise _bad("body must be a JSON object")
    if doc.get("device_id") != device_id:
        raise _bad(f"device_id {doc.get('device_id')!r} in the body differs from the signed "
                   f"X-Device-Id {device_id!r}")
    sent_at = _object(doc, "sent_at", {"wall": _is_number, "mono": _is_number,
                                       "boot_id": _is_text(MAX_BOOT_ID_CHARS, empty=True),
                                       "clock_synced": _is_bool})
    backlog = _object(doc, "backlog", {"depth": _is_count, "bytes": _is_count, "oldest_age_s": _is_age})
    # Stored in DOUBLE PRECISION columns: bind floats, so both engines take every value that passed.
    sent_at = {**sent_at, "wall": float(sent_at["wall"]), "mono": float(sent_at["mono"])}
    if backlog["oldest_age_s"] is not None:
        backlog = {**backlog, "oldest_age_s": float(backlog["oldest_age_s"])}
    events = doc.get("events")
    if not isinstance(events, list):
        raise _bad("events must be a list")
    if len(events) > wire.MAX_BATCH_EVENTS:
        raise BatchError(413, wire.ERR_TOO_LARGE, f"batch has {len(events)} events, above the limit of "
                         f"{wire.MAX_BATCH_EVENTS}; send smaller batches")
    return IngestBatch(device_id, sent_at, backlog, [_event(i, e) for i, e in enumerate(events)])


def _bad(detail: str) -> BatchError:
    return BatchError(400, wire.ERR_BAD_BATCH, detail)


def _is_number(v) -> bool:
    # Finite and a float: 1e999 parses as inf, and an int beyond a float (or beyond SQLite's
    # 64 bits, which PostgreSQL would take) must be a 400 on both engines, not a 503 from storage.
    if type(v) is float:
        return math.isfinite(v)
    if type(v) is int:
        return -_FLOAT_MAX < v < _FLOAT_MAX
    return False


_FLOAT_MAX = int(sys.float_info.max)


def _is_int(v) -> bool:
    # 64-bit, because both databases store it in a BIGINT.
    return isinstance(v, int) and not isinstance(v, bool) and -2 ** 63 <= v < 2 ** 63


def _is_age(v) -> bool:
    return v is None or (_is_number(v) and v >= 0)   # null: the device cannot tell (another boot, no NTP)


def _is_text(limit: int, *, empty: bool = False):
    def check(v) -> bool:
        if not isinstance(v, str) or not (0 if empty else 1) <= len(v) <= limit or "\x00" in v:
            return False
        try:
            v.encode()
        except UnicodeEncodeError:  # a lone surrogate from a \ud800 escape
            return False
        return True

    return check


def _is_count(v) -> bool:
    return _is_int(v) and v >= 0


def _is_bool(v) -> bool:
    return isinstance(v, bool)


def _object(doc: dict, name: str, fields: dict) -> dict:
    value = doc.get(name)
    if not isinstance(value, dict):
        raise _bad(f"{name} must be an object with {', '.join(fields)}")
    for field, ok in fields.items():
        if not ok(value.get(field)):
            raise _bad(f"{name}.{field} is missing or has the wrong type")
    return value


_EVENT_FIELDS = (
    ("key", _is_text(MAX_KEY_CHARS), f"a non-empty text of at most {MAX_KEY_CHARS} characters"),
    ("type", lambda v: isinstance(v, str), "a string"),
    ("schema", _is_int, "an integer"),
    ("priority", lambda v: _is_int(v) and 0 <= v <= 99, "an integer 0-99"),
    ("payload", lambda v: isinstance(v, dict), "an object"),
    ("wall_time", _is_number, "a number"),
    ("mono_ns", _is_int, "an integer"),
    ("boot_id", _is_text(MAX_BOOT_ID_CHARS, empty=True), f"a text of at most {MAX_BOOT_ID_CHARS} characters"),
    ("clock_synced", _is_bool, "true or false"),
)


def _plain_text(v, limit: int) -> bool:
    return type(v) is str and len(v) <= limit and v.isascii() and "\x00" not in v


def _well_formed(raw: dict) -> bool:
    """The common case in one expression (JSON gives exact types, so ``type() is`` suffices)."""
    mono = raw.get("mono_ns")
    priority = raw.get("priority")
    return (_plain_text(raw.get("key"), MAX_KEY_CHARS) and len(raw["key"]) > 0
            and type(raw.get("type")) is str and type(raw.get("schema")) is int
            and type(priority) is int and 0 <= priority <= 99
            and type(raw.get("payload")) is dict and _is_number(raw.get("wall_time"))
            and type(mono) is int and -2 ** 63 <= mono < 2 ** 63
            and _plain_text(raw.get("boot_id"), MAX_BOOT_ID_CHARS) and type(raw.get("clock_synced")) is bool)


def _event(index: int, raw) -> IngestEvent:
    if type(raw) is not dict:
        raise _bad(f"events[{index}] is not an object")
    seq = raw.get("seq")
    if type(seq) is not int or seq < 1 or seq >= 2 ** 63:
        raise _bad(f"events[{index}].seq must be a positive integer")
    if not _well_formed(raw):   # find which field, and say so
        for name, ok, what in _EVENT_FIELDS:
            if not ok(raw.get(name)):
                return IngestEvent(seq, problem=f"event seq {seq}: {name} must be {what}")
    problem = wire.check_event(raw["type"], raw["schema"], raw["payload"])
    if problem:
        return IngestEvent(seq, problem=problem)
    beyond = non_finite_path(raw["payload"])
    if beyond:   # 1e999 parses as inf, and the feed would serve "Infinity", which is not JSON
        return IngestEvent(seq, problem=f"event seq {seq}: {beyond} is a number beyond the range of a float")
    payload = canonical_json(raw["payload"])
    return IngestEvent(seq, raw["key"], raw["type"], raw["schema"], raw["priority"], payload,
                       hashlib.sha256(payload.encode()).hexdigest(), float(raw["wall_time"]),
                       raw["mono_ns"], raw["boot_id"], raw["clock_synced"])
