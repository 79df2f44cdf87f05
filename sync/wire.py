"""The wire contract between a terminal and central: request signing and event types.

Both sides import only this module from each other's world.

Signing (why HMAC and not mTLS: the secret comes from the one-time enrolment
exchange, needs no certificate authority or renewal on thousands of Pis, and
survives TLS-terminating proxies in front of central; TLS still protects the
channel and is verified against the configured CA bundle)::

    >>> from sync.wire import sign_request, verify_signature
    >>> h = sign_request(b"k" * 32, "POST", "/v1/events", b"{}", device_id="D1", timestamp=1700000000, nonce="ab" * 16)
    >>> verify_signature(b"k" * 32, "POST", "/v1/events", b"{}", h)
    True

The signed string is ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nSHA256HEX(BODY)``
where BODY is the exact bytes sent (after gzip, when the request is gzipped).
Central accepts a timestamp within ``REPLAY_WINDOW_S`` of its own clock and
each nonce once within that window.  A device whose clock is off gets 401
``{"error": "clock_skew", "server_time": T}`` and signs with T-corrected time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

API_PREFIX = "/v1"
REPLAY_WINDOW_S = 300

H_DEVICE = "X-Device-Id"
H_TIMESTAMP = "X-Timestamp"
H_NONCE = "X-Nonce"
H_SIGNATURE = "X-Signature"
H_SERVER_TIME = "X-Server-Time"

# Per-event result statuses in an ingest response.
ACCEPTED = "accepted"      # stored now
DUPLICATE = "duplicate"    # already stored with the same key and payload: done
REJECTED = "rejected"      # permanent: dead-letter it with the reason (code 422 for a key conflict)

# Priorities: lower number drains first. Audit and transactions are never dropped.
PRIORITY_AUDIT = 0
PRIORITY_TRANSACTION = 1
PRIORITY_TELEMETRY = 5
PRIORITY_DIAGNOSTIC = 9


@dataclass(frozen=True)
class EventType:
    """A known event type at one schema version.

    ``required`` fields must be present; ``fields`` gives the kind of each
    named field (required or optional) when present: "str" (non-empty),
    "int" (not bool), "number", "bool", "list[str]" or "list[check]" (selftest
    rows).  Fields not named are allowed (a newer terminal may add some).
    """

    name: str
    version: int
    required: tuple[str, ...]
    priority: int
    fields: tuple[tuple[str, str], ...] = ()


# --- The drop box's events (payload schemas v1) ---
# dropbox.received   an envelope fell past the beam for a validated claim.
#   claim_id, envelope_id (the visit's id, unique per drop: the idempotency key),
#   employee_no, amount_cents, key_id (which central key signed the form),
#   checked ("claims": found awaiting in the synced claims; "signature": offline,
#   unknown but validly signed, central reconciles), count (envelopes since the
#   last collection, this one included).
# dropbox.no_drop    the slot opened and no envelope fell within the window.
#   claim_id, reason (NO_DROP_*), envelope_id, window_s.
# dropbox.refused    a scanned code was refused; claim_id when the code named one.
#   reason (a sync.codes reason, or REFUSED_*), claim_id, detail (plain words, no personal data).
# dropbox.alarm      a fault or tamper: kind (ALARM_*), detail.
# dropbox.near_full  count reached near_full_percent of capacity: count, capacity, percent.
# dropbox.collected  a courier emptied the box: batch_id, count, claim_ids (every
#   envelope of the batch, in drop order), authorised_by ("code:<key_id>" or
#   "badge:<masked>"), box_id.
NO_DROP_TIMEOUT = "timeout"            # the window passed with no beam break
NO_DROP_POWER_LOSS = "power_loss"      # reconciled at boot: unlocked, no envelope journalled
REFUSED_ALREADY_RECEIVED = "already_received"
REFUSED_FULL = "full"
REFUSED_NOT_AWAITING = "not_awaiting"          # signed, but central lists no such claim awaiting an envelope
REFUSED_UNKNOWN_OFFLINE = "unknown_offline"    # not in the synced claims, and config refuses unknown ones
ALARM_BEAM_WITHOUT_SCAN = "beam_without_scan"
ALARM_BEAM_STUCK = "beam_stuck"                # kept locked; a fault until the beam clears
ALARM_DOOR_FORCED = "door_forced"              # collection door opened without authority
ALARM_LOCK_FAULT = "lock_fault"

_DROPBOX = [
    EventType("dropbox.received", 1, ("claim_id", "envelope_id"), PRIORITY_TRANSACTION,
              (("claim_id", "str"), ("envelope_id", "str"), ("employee_no", "str"), ("amount_cents", "int"),
               ("key_id", "str"), ("checked", "str"), ("count", "int"))),
    EventType("dropbox.no_drop", 1, ("claim_id", "reason"), PRIORITY_TRANSACTION,
              (("claim_id", "str"), ("reason", "str"), ("envelope_id", "str"), ("window_s", "number"))),
    EventType("dropbox.refused", 1, ("reason",), PRIORITY_AUDIT,
              (("reason", "str"), ("claim_id", "str"), ("detail", "str"))),
    EventType("dropbox.alarm", 1, ("kind",), PRIORITY_AUDIT, (("kind", "str"), ("detail", "str"))),
    EventType("dropbox.near_full", 1, ("count", "capacity"), PRIORITY_TRANSACTION,
              (("count", "int"), ("capacity", "int"), ("percent", "number"))),
    EventType("dropbox.collected", 1, ("batch_id", "count", "claim_ids"), PRIORITY_TRANSACTION,
              (("batch_id", "str"), ("count", "int"), ("claim_ids", "list[str]"), ("authorised_by", "str"),
               ("box_id", "str"))),
]


# --- The kiosk's events (payload schemas v1); masked identifiers only, never a code value ---
# kiosk.verified           the employee is verified: method "sms" | "sms+face" | "face" | "technician_card".
# kiosk.verification_failed  identification or verification failed: reason (unknown_person, employee_left,
#                          card_expired, invalid_id, code_locked, face_denied, ...); employee_no when known.
# kiosk.code_requested     an SMS code was made (its salted hash stored): otp_id, transport.
# kiosk.code_sent          the transport's answer: ok, reason (modem_down, central_down, rate_limited, ...).
# kiosk.code_checked       one code entry: ok, attempts_left.
# kiosk.locked             a lock-out began: scope "code" (employee_no) or "technician_pin", lock_s.
# kiosk.face_checked       one face check: ok, reason (match, no_face, two_faces, no_match, not_live), attempt.
# kiosk.session_ended      reason (exit, idle, card_swapped, reader_fault, denied, ...), seconds.
# kiosk.technician         technician access: what ("pin" | "card"), ok, attempts_left.
_KIOSK = [
    EventType("kiosk.verified", 1, ("session_id", "employee_no", "method"), PRIORITY_AUDIT,
              (("session_id", "str"), ("employee_no", "str"), ("method", "str"))),
    EventType("kiosk.verification_failed", 1, ("session_id", "reason"), PRIORITY_AUDIT,
              (("session_id", "str"), ("reason", "str"), ("employee_no", "str"))),
    EventType("kiosk.code_requested", 1, ("session_id", "employee_no", "otp_id", "transport"), PRIORITY_AUDIT,
              (("session_id", "str"), ("employee_no", "str"), ("otp_id", "int"), ("transport", "str"))),
    EventType("kiosk.code_sent", 1, ("session_id", "employee_no", "otp_id", "ok"), PRIORITY_AUDIT,
              (("session_id", "str"), ("employee_no", "str"), ("otp_id", "int"), ("ok", "bool"),
               ("reason", "str"))),
    EventType("kiosk.code_checked", 1, ("session_id", "employee_no", "ok", "attempts_left"), PRIORITY_AUDIT,
              (("session_id", "str"), ("employee_no", "str"), ("ok", "bool"), ("attempts_left", "int"))),
    EventType("kiosk.locked", 1, ("scope", "lock_s"), PRIORITY_AUDIT,
              (("scope", "str"), ("lock_s", "int"), ("employee_no", "str"), ("session_id", "str"))),
    EventType("kiosk.face_checked", 1, ("session_id", "employee_no", "ok", "reason", "attempt"), PRIORITY_AUDIT,
              (("session_id", "str"), ("employee_no", "str"), ("ok", "bool"), ("reason", "str"),
               ("attempt", "int"), ("distance", "number"))),
    EventType("kiosk.session_ended", 1, ("session_id", "reason"), PRIORITY_AUDIT,
              (("session_id", "str"), ("reason", "str"), ("seconds", "number"))),
    EventType("kiosk.technician", 1, ("what", "ok"), PRIORITY_AUDIT,
              (("what", "str"), ("ok", "bool"), ("attempts_left", "int"))),
]


# --- Certificates (kiosk/certificates; payload schemas v1); the holder's name masked, never an ID number ---
# certificate.issued   a certificate was made: its serial allocated in the same commit.  serial (unique
#   over every terminal: "<device_id>-<6 digits>"), kind (employment | income | social_insurance),
#   employee_no, holder (masked name), issued_on (YYYY-MM-DD, central's date), terminal (device id),
#   text_hash (base32 of the first 15 bytes of SHA-256 over the visible text, whitespace dropped), code (the
#   signed verification code the QR carries), template ("<id>@<version>"), lang ("zh" | "zh+en").
# certificate.printed  its print job completed: session_id, employee_no, kind, verification_code (the code),
#   serial; reprints of one serial carry the same serial.
_CERTIFICATES = [
    EventType("certificate.issued", 1, ("serial", "kind", "employee_no", "issued_on", "terminal", "text_hash",
                                        "code"), PRIORITY_TRANSACTION,
              (("session_id", "str"), ("serial", "str"), ("kind", "str"), ("employee_no", "str"), ("holder", "str"),
               ("issued_on", "str"), ("terminal", "str"), ("text_hash", "str"), ("code", "str"),
               ("template", "str"), ("lang", "str"))),
    EventType("certificate.printed", 1, ("session_id", "employee_no", "kind", "verification_code"),
              PRIORITY_TRANSACTION,
              (("session_id", "str"), ("employee_no", "str"), ("kind", "str"), ("verification_code", "str"),
               ("serial", "str"))),
]


# --- Badges and their payment (kiosk/badges; payload schemas v1); no name, never an ID number ---
# Every badge is an order at central (a first badge: amount 0, paid at creation).  ``request_id`` is the
# kiosk's idempotency key for one order (its journal row), known before central answers; ``order_id`` is
# central's, once it answered.
# payment.order_created   central made the order: request_id, order_id, employee_no, reason (first | lost |
#   damaged), amount_cents, currency, badge_id (the new badge), replaces (the badge it replaces, if any).
# payment.paid            the kiosk saw the order paid: request_id, order_id, amount_cents.
# payment.cancelled       closed unpaid: request_id, order_id?, reason (cancelled | timed_out | abandoned).
# payment.refund_requested  paid but no badge will come of it: request_id, order_id?, amount_cents, reason
#   (print_failed | abandoned | kiosk_restarted | print_interrupted); central refunds a paid order and
#   cancels one that was not paid yet (a kiosk that could not ask central records this to close either way).
# badge.printed           the card's print job completed: session_id, employee_no, reason, badge_id, order_id,
#   request_id, replaces (the old badge, whose access code central then revokes), prints (1, 2 on a reprint).
_BADGES = [
    EventType("badge.printed", 1, ("session_id", "employee_no", "reason", "badge_id"), PRIORITY_TRANSACTION,
              (("session_id", "str"), ("employee_no", "str"), ("reason", "str"), ("badge_id", "str"),
               ("order_id", "str"), ("request_id", "str"), ("replaces", "str"), ("prints", "int"))),
    EventType("payment.order_created", 1, ("request_id", "order_id", "employee_no", "reason", "amount_cents"),
              PRIORITY_TRANSACTION,
              (("session_id", "str"), ("request_id", "str"), ("order_id", "str"), ("employee_no", "str"),
               ("reason", "str"), ("amount_cents", "int"), ("currency", "str"), ("badge_id", "str"),
               ("replaces", "str"))),
    EventType("payment.paid", 1, ("request_id", "order_id", "amount_cents"), PRIORITY_TRANSACTION,
              (("session_id", "str"), ("request_id", "str"), ("order_id", "str"), ("amount_cents", "int"))),
    EventType("payment.cancelled", 1, ("request_id", "reason"), PRIORITY_TRANSACTION,
              (("session_id", "str"), ("request_id", "str"), ("order_id", "str"), ("reason", "str"))),
    EventType("payment.refund_requested", 1, ("request_id", "amount_cents", "reason"), PRIORITY_TRANSACTION,
              (("session_id", "str"), ("request_id", "str"), ("order_id", "str"), ("amount_cents", "int"),
               ("reason", "str"), ("detail", "str"))),
]


EVENT_TYPES: dict[tuple[str, int], EventType] = {
    (t.name, t.version): t
    for t in [
        *_KIOSK,
        *_CERTIFICATES,
        *_BADGES,
        *_DROPBOX,
        EventType("device.health", 1, ("device", "ok", "summary"), PRIORITY_TELEMETRY),
        # selftest.result  'terminal selftest' ran (a technician's last step on site): ok (every check
        #   passed), passed, failed, results (one {"device", "ok", "summary"} per check, the summary
        #   masked), software (the terminal's version).  Never dropped: it is the record of the install.
        EventType("selftest.result", 1, ("ok", "results"), PRIORITY_TRANSACTION,
                  (("ok", "bool"), ("passed", "int"), ("failed", "int"), ("results", "list[check]"),
                   ("software", "str"))),
        EventType("sync.diagnostic", 1, ("n",), PRIORITY_DIAGNOSTIC),
        # service.rated  the one-tap rating after a kiosk service, anonymous (no session, employee or
        #   serial): service (cert_employment | cert_income | cert_social_insurance | badge_first |
        #   badge_replacement), rating (satisfied | neutral | unsatisfied).
        EventType("service.rated", 1, ("service", "rating"), PRIORITY_TELEMETRY,
                  (("service", "str"), ("rating", "str"))),
    ]
}

# Reference datasets central serves (GET /v1/reference/{name}?cursor=...).
# terminal_keys: every enrolled terminal's Ed25519 public key (id = device id), made by central, so a
# certificate's verification code can be checked offline on any terminal.
DATASETS = ("directory", "claims", "templates", "config", "revoked_badges", "keys", "terminal_keys")


def body_hash(body: bytes) -> str:
    """The SHA-256 of a request body, lowercase hex: the body part of the signed string."""
    return hashlib.sha256(body).hexdigest()


_TIMESTAMP = re.compile(r"[0-9]{1,12}")   # ASCII digits only: int() would also take '١٧٠٠', ' 17', '1_7'


def canonical(method: str, path: str, timestamp: int | str, nonce: str, body: bytes) -> bytes:
    """The signed string; a text timestamp must be ASCII digits (ValueError otherwise)."""
    if isinstance(timestamp, str) and _TIMESTAMP.fullmatch(timestamp) is None:
        raise ValueError(f"timestamp {timestamp[:20]!r} is not whole unix seconds in ASCII digits")
    return "\n".join([method.upper(), path, str(int(timestamp)), nonce, body_hash(body)]).encode()


def sign_request(secret: bytes, method: str, path: str, body: bytes, *, device_id: str,
                 timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """Headers that authenticate one request (path includes the query string)."""
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    nonce = nonce or secrets.token_hex(16)
    mac = hmac.new(secret, canonical(method, path, timestamp, nonce, body), hashlib.sha256).hexdigest()
    return {H_DEVICE: device_id, H_TIMESTAMP: str(timestamp), H_NONCE: nonce, H_SIGNATURE: mac}


def verify_signature(secret: bytes, method: str, path: str, body: bytes, headers) -> bool:
    """Constant-time check of the signature alone (window and nonce are central's job)."""
    try:
        expected = hmac.new(secret, canonical(method, path, headers[H_TIMESTAMP], headers[H_NONCE], body),
                            hashlib.sha256).hexdigest()
    except (KeyError, ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, str(headers.get(H_SIGNATURE, "")))


def check_event(event_type: str, version: int, payload) -> str | None:
    """Why an event cannot be accepted, or None.  Both sides call it."""
    spec = EVENT_TYPES.get((event_type, version))
    if spec is None:
        known = sorted({f"{n} v{v}" for n, v in EVENT_TYPES})
        if any(n == event_type for n, _ in EVENT_TYPES):
            return f"unknown schema version {version} for {event_type} (known: {', '.join(known)})"
        return f"unknown event type {event_type!r}"
    if not isinstance(payload, dict):
        return "payload must be a JSON object"
    missing = [f for f in spec.required if f not in payload]
    if missing:
        return f"{event_type} v{version} payload lacks {', '.join(missing)}"
    for name, kind in spec.fields:
        if name in payload and not _is_kind(kind, payload[name]):
            return f"{event_type} v{version} field {name} must be {_KIND_WORDS[kind]}"
    return None


_KIND_WORDS = {"str": "a non-empty string", "int": "a whole number", "number": "a number",
               "bool": "true or false", "list[str]": "a list of non-empty strings",
               "list[check]": 'a list of {"device": non-empty string, "ok": true or false, "summary": string}'}


def _is_kind(kind: str, value) -> bool:
    """Whether ``value`` (decoded JSON) is of the schema ``kind``; bool is never a number."""
    if kind == "str":
        return isinstance(value, str) and value != ""
    if kind == "bool":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "int":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, (int, float)) and value == value and abs(value) != float("inf")
    if kind == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) and v for v in value)
    if kind == "list[check]":
        return isinstance(value, list) and all(
            isinstance(v, dict) and isinstance(v.get("device"), str) and v["device"]
            and isinstance(v.get("ok"), bool) and isinstance(v.get("summary"), str) for v in value)
    raise ValueError(f"unknown schema kind {kind!r}")


# --- Limits and error codes central enforces (added with the reference central) ---

# A whole ingest request: at most this many bytes as sent and, after gzip, this
# many bytes decompressed; at most this many events.  Larger -> 413.
MAX_BODY_BYTES = 8 * 1024 * 1024
MAX_BATCH_EVENTS = 5000

# Per-event result codes in an ingest response (``code`` of each result).
CODE_ACCEPTED = 201        # stored now
CODE_DUPLICATE = 200       # already stored with the same key and payload
CODE_INVALID = 400         # unknown type or schema version, or an invalid event: dead-letter
CODE_CONFLICT = 422        # same seq or key already stored with something else: dead-letter

# ``error`` of a whole-request refusal (JSON body {"error": ..., "detail": ...}).
ERR_BAD_SIGNATURE = "bad_signature"        # 401: re-enrol or fix the secret
ERR_UNKNOWN_DEVICE = "unknown_device"      # 401: enrol first
ERR_REPLAYED = "replayed"                  # 401: nonce already used; sign again with a new nonce
ERR_CLOCK_SKEW = "clock_skew"              # 401: re-sign with server_time-corrected time
ERR_INVALID_TOKEN = "invalid_token"        # 401 on /v1/enroll: unknown, used or expired token
ERR_MALFORMED_JSON = "malformed_json"      # 400
ERR_MALFORMED_GZIP = "malformed_gzip"      # 400
ERR_BAD_BATCH = "bad_batch"                # 400: the batch's shape is wrong (detail says where)
ERR_TOO_LARGE = "too_large"                # 413: split the batch
ERR_RESYNC = "resync"                      # 410 on a reference pull: drop the cursor, pull a full snapshot
ERR_OVERLOADED = "overloaded"              # 503 with Retry-After (delta-seconds)


def directory_id_hmac(deployment_key: bytes, id_number: str) -> str:
    """How the directory is keyed: HMAC-SHA256(deployment key, ID number) in hex.

    Both sides normalise the same way (surrounding space dropped, check letter
    upper-cased), so a card read on a terminal finds the row central computed::

        >>> directory_id_hmac(b"k" * 32, " 11010519491231002x ") == directory_id_hmac(b"k" * 32, "11010519491231002X")
        True
    """
    return hmac.new(deployment_key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


# Field names that mean "the plain ID number" (as terminal.pii.ID_KEYS), and the number itself
# (18 characters ending in a digit or X, or the old 15 digits) under any other name.
PLAIN_ID_FIELDS = frozenset({"id_number", "idcard", "id_card_number", "id_no", "id_card", "pass_number",
                             "card_number"})
# Deliberately Unicode \d: this finds personal data to drop, and a number typed in full-width or
# Arabic-Indic digits is still someone's ID number (validation elsewhere is ASCII-only).
_PLAIN_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[0-9Xx]|\d{15})(?![0-9A-Za-z])")


def plain_id_fields(item: dict) -> list[str]:
    """The fields of a directory item that carry a plain ID number, by name or by value.

    Neither central nor a terminal keeps them (the directory is keyed by ``id_hmac``)::

        >>> plain_id_fields({"id": "E1", "phone": "13800138000", "身份证": "11010519491231002X"})
        ['身份证']
    """
    found = []
    for key, value in item.items():
        if key.lower() in PLAIN_ID_FIELDS:
            found.append(key)
        elif not isinstance(value, (int, float, str)) or isinstance(value, bool):
            if value is not None and _PLAIN_ID_NUMBER.search(json.dumps(value, ensure_ascii=False)):
                found.append(key)
        elif _PLAIN_ID_NUMBER.search(str(value)):
            found.append(key)
    return found
