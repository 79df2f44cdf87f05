"""Form and collection QR codes: the payload format both central and the drop box import.

A **form code** is printed on a reimbursement form; an employee holds it to a
drop box's camera.  A **collection code** authorises a courier to empty a box.
Both are signed by central's Ed25519 key and verified on the box with the
public keys synced in the ``keys`` dataset::

    RF1.<claim_id>.<employee_no>.<amount_cents>.<yyyymmdd>.<key_id>.<check>.<signature>
    RC1.<box_id or *>.<nonce>.<not_after>.<key_id>.<check>.<signature>

Why this shape: every character is in the QR *alphanumeric* set (0-9 A-Z
space $%*+-./:), so a code packs 5.5 bits a character instead of 8 and the
printed symbol stays at QR version <= 8 (level M) with room to spare: bigger
modules at the same print size decode better.  ASCII only, because zbar
garbles UTF-8.  ``signature`` is the 64-byte Ed25519 signature in base32
without padding (103 characters) over the text up to and including
``key_id``.  ``key_id`` is 8 base32 characters of the public key's SHA-256,
so a terminal finds the key from the public key alone.  ``check`` is 4
base32 characters of the SHA-256 of the same signed text: not security (a
forger recomputes it) but it tells an *edited* genuine code (tampered) from
one signed with some other key (forged).

Round trip::

    >>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    >>> private = Ed25519PrivateKey.generate()
    >>> ring = KeyRing([key_item(private.public_key())])
    >>> text = sign_form(private, "CLM-2026-0001", "E1001", 12850, datetime.date(2026, 11, 30))
    >>> verify_form(text, ring).amount_cents
    12850

Every refusal is a :class:`CodeRefused` whose ``reason`` is one of
:data:`REASONS`; its message says what to do and never repeats the payload
(it names an employee).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from terminal import TerminalError

FORM_V1 = "RF1"
COLLECTION_V1 = "RC1"

# Refusal reasons (CodeRefused.reason); also the ``reason`` of a dropbox.refused event.
MALFORMED = "malformed"              # not a code of ours, or a field out of its shape
UNKNOWN_VERSION = "unknown_version"  # looks like ours (R<letter><digits>.) but a version this box does not read
WRONG_KIND = "wrong_kind"            # a collection code where a form was expected, or back
UNKNOWN_KEY = "unknown_key"          # signed with a key the box has not synced (pull keys, or forged)
RETIRED_KEY = "retired_key"          # signed with a key central has retired: reissue the form
TAMPERED = "tampered"                # a genuine code with a field edited
FORGED = "forged"                    # the signature does not verify
EXPIRED = "expired"                  # a collection code past its not_after
WRONG_BOX = "wrong_box"              # a collection code for another box
REASONS = (MALFORMED, UNKNOWN_VERSION, WRONG_KIND, UNKNOWN_KEY, RETIRED_KEY, TAMPERED, FORGED, EXPIRED,
           WRONG_BOX)

# Field shapes.  ASCII classes spelled out: \d and str.isdigit() also take '١٢' and '１２'.
ID_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,23}")          # claim id, box id: up to 24
EMPLOYEE_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,15}")    # up to 16
AMOUNT_RE = re.compile(r"[1-9][0-9]{0,9}")              # whole cents, 1 .. 9,999,999,999, no leading zero
DATE_RE = re.compile(r"[0-9]{8}")
NONCE_RE = re.compile(r"[A-Z2-7]{10}")
SECONDS_RE = re.compile(r"[1-9][0-9]{0,11}")
KEY_ID_RE = re.compile(r"[A-Z2-7]{8}")
CHECK_RE = re.compile(r"[A-Z2-7]{4}")
SIGNATURE_RE = re.compile(r"[A-Z2-7]{103}")
VERSION_RE = re.compile(r"R[A-Z][0-9]{1,3}")
DEVICE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")    # as central's enrolment (sync.central.auth)
HASHED_BOX_RE = re.compile(r"%[A-Z2-7]{12}")
MAX_AMOUNT_CENTS = 9_999_999_999
MAX_PAYLOAD_CHARS = 200               # longer is never ours: refused before any parsing


class CodeError(TerminalError):
    """A code cannot be made from these fields (central side: the claim or box id is out of shape)."""


class CodeRefused(TerminalError):
    """A scanned code is refused; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class FormCode:
    """A verified form code: amount in whole cents, ``issued`` the form's issue date, ``key_id`` its signer."""
    claim_id: str
    employee_no: str
    amount_cents: int
    issued: datetime.date
    key_id: str
    payload: str


@dataclass(frozen=True)
class CollectionCode:
    """A verified collection code: ``box_id`` None means any box, else :func:`box_field` of it;
    ``not_after`` unix seconds; ``nonce`` to accept once."""
    box_id: str | None
    nonce: str
    not_after: int
    key_id: str
    payload: str


# -- keys ---------------------------------------------------------------------------------------
def key_id(public_key: Ed25519PublicKey | str | bytes) -> str:
    """The 8-character id a code names its key by: base32 of the raw public key's SHA-256, first 40 bits.

    ``public_key`` is a key object, base64 text of the 32 raw bytes (as in the ``keys`` dataset), or raw bytes.
    """
    raw = _raw_public(public_key)
    return _b32(hashlib.sha256(raw).digest()[:5])


def key_item(public_key: Ed25519PublicKey, *, item_id: str | None = None, status: str = "active",
             retired_at: float | None = None) -> dict:
    """A ``keys`` dataset item for a central Ed25519 public key, as central serves it."""
    raw = _raw_public(public_key)
    return {"id": item_id or f"central-ed25519-{key_id(raw).lower()}", "kind": "ed25519",
            "public_key": base64.b64encode(raw).decode(), "code_key_id": key_id(raw), "status": status,
            "retired_at": retired_at,
            "use": "verifies reimbursement-form QR codes and courier collection codes"}


class KeyRing:
    """Central's Ed25519 public keys as a terminal holds them, by code key id.

    Built from ``keys`` dataset items (``sync.pull.reference_items(conn, "keys")``);
    items of another kind, or with a public key that is not 32 bytes of
    base64, are skipped.  An item with ``status`` "retired" (or a
    ``retired_at``) still identifies its key, so a code signed with it is
    refused as retired rather than unknown.
    """

    def __init__(self, items: Iterable[dict]):
        self._keys: dict[str, tuple[Ed25519PublicKey, bool]] = {}
        for item in items:
            if not isinstance(item, dict) or item.get("kind") != "ed25519":
                continue
            try:
                raw = base64.b64decode(str(item.get("public_key", "")), validate=True)
                public = Ed25519PublicKey.from_public_bytes(raw)
            except ValueError:
                continue
            retired = item.get("status") == "retired" or item.get("retired_at") is not None
            self._keys[key_id(raw)] = (public, retired)

    def __len__(self) -> int:
        return len(self._keys)

    def get(self, kid: str) -> tuple[Ed25519PublicKey, bool] | None:
        """(public key, retired) for a code key id, or None."""
        return self._keys.get(kid)


# -- signing (central) -------------------------------------------------------------------------
def sign_form(private: Ed25519PrivateKey | bytes, claim_id: str, employee_no: str, amount_cents: int,
              issued: datetime.date) -> str:
    """The form code text for a claim; raises :class:`CodeError` for a field out of its shape.

    ``private`` is a key object or its 32 raw bytes; ``amount_cents`` whole cents (1 .. 9,999,999,999).
    """
    private = _private(private)
    _need(ID_RE, claim_id, "claim id", "1-24 of A-Z, 0-9 and '-', starting with a letter or digit")
    _need(EMPLOYEE_RE, employee_no, "employee number", "1-16 of A-Z, 0-9 and '-', starting with a letter or digit")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) \
            or not 1 <= amount_cents <= MAX_AMOUNT_CENTS:
        raise CodeError(f"amount must be whole cents from 1 to {MAX_AMOUNT_CENTS}, not {amount_cents!r}")
    if not isinstance(issued, datetime.date):
        raise CodeError(f"issue date must be a date, not {issued!r}")
    # Not strftime("%Y"): it writes year 1 as "1" on Linux, and the field is always 8 digits.
    fields = [FORM_V1, claim_id, employee_no, str(amount_cents), f"{issued.year:04d}{issued.month:02d}{issued.day:02d}"]
    return _seal(private, fields)


def sign_collection(private: Ed25519PrivateKey | bytes, box_id: str | None, not_after: int,
                    nonce: str | None = None) -> str:
    """The collection code text for one box (``None`` or "*": any box) valid until ``not_after`` unix seconds.

    ``nonce`` (10 base32 characters) is made when not given; the box accepts each nonce once.
    Raises :class:`CodeError` for a field out of its shape.
    """
    private = _private(private)
    box = box_field(box_id)
    nonce = nonce or _b32(secrets.token_bytes(7))[:10]
    _need(NONCE_RE, nonce, "nonce", "10 of A-Z and 2-7")
    if isinstance(not_after, bool) or not isinstance(not_after, int) or SECONDS_RE.fullmatch(str(not_after)) is None:
        raise CodeError(f"not_after must be whole unix seconds, not {not_after!r}")
    return _seal(private, [COLLECTION_V1, box, nonce, str(not_after)])


# -- verifying (the box) -----------------------------------------------------------------------
def verify(payload: str, keys: KeyRing | Iterable[dict], *, now: float | None = None,
           box_id: str | None = None) -> FormCode | CollectionCode:
    """Parse and verify any code of ours: a :class:`FormCode` or a :class:`CollectionCode`.

    ``keys``: a :class:`KeyRing` or the ``keys`` dataset items.  A collection
    code needs ``now`` (unix seconds on a clock something vouches for; see
    :func:`verify_collection`).  Raises :class:`CodeRefused`.
    """
    if _split(payload)[0] == FORM_V1:
        return verify_form(payload, keys)
    return verify_collection(payload, keys, now=now, box_id=box_id)


def verify_form(payload: str, keys: KeyRing | Iterable[dict], *, now: float | None = None) -> FormCode:
    """Parse and verify a form code; raises :class:`CodeRefused`.

    ``now`` is accepted and unused (forms do not expire), so every verify takes the same arguments.
    """
    fields = _split(payload)
    if fields[0] != FORM_V1:
        raise CodeRefused(WRONG_KIND, "this is a courier collection code, not a reimbursement form")
    if len(fields) != 8:
        raise _malformed(f"a form code has 8 fields, this has {len(fields)}")
    _, claim_id, employee_no, amount, date, kid, check, signature = fields
    _field(ID_RE, claim_id, "claim id")
    _field(EMPLOYEE_RE, employee_no, "employee number")
    _field(AMOUNT_RE, amount, "amount")
    _field(DATE_RE, date, "issue date")
    try:
        issued = datetime.date(int(date[:4]), int(date[4:6]), int(date[6:]))
    except ValueError:
        raise _malformed("the issue date is not a calendar date") from None
    _check_seal(fields, keys)
    return FormCode(claim_id, employee_no, int(amount), issued, kid, ".".join(fields))


def verify_collection(payload: str, keys: KeyRing | Iterable[dict], *, now: float | None,
                      box_id: str | None = None) -> CollectionCode:
    """Parse and verify a courier collection code; raises :class:`CodeRefused`.

    ``now``: unix seconds from a clock something vouches for (NTP-synced, or
    corrected by central's offset: ``sync.clock``); None (no trusted time)
    refuses the code as expired, because a Pi without a real-time clock may
    think it is any day.  ``box_id``: this box; a code for another box is
    refused.  The nonce is returned for the caller to accept only once.
    """
    fields = _split(payload)
    if fields[0] != COLLECTION_V1:
        raise CodeRefused(WRONG_KIND, "this is a reimbursement form, not a courier collection code")
    if len(fields) != 7:
        raise _malformed(f"a collection code has 7 fields, this has {len(fields)}")
    _, box, nonce, not_after, kid, check, signature = fields
    if box != "*" and ID_RE.fullmatch(box) is None and HASHED_BOX_RE.fullmatch(box) is None:
        raise _malformed("the box id is out of shape")
    _field(NONCE_RE, nonce, "nonce")
    _field(SECONDS_RE, not_after, "expiry")
    _check_seal(fields, keys)
    if now is None:
        raise CodeRefused(EXPIRED, "this box has no trusted time yet (clock not synchronised), so it cannot check "
                                   "the collection code's expiry; sync the box's clock, then scan again")
    if now > int(not_after):
        raise CodeRefused(EXPIRED, "the collection code has expired; ask central for a new one "
                                   "('terminal central collection-code')")
    if box != "*" and box_id is not None and box != box_field(box_id):
        named = "another box" if box.startswith("%") else f"box {box}"
        raise CodeRefused(WRONG_BOX, f"the collection code is for {named}, not this box ({box_id})")
    return CollectionCode(None if box == "*" else box, nonce, int(not_after), kid, ".".join(fields))


def box_field(box_id: str | None) -> str:
    """How a collection code names a box: "*" for any box (None), the id itself when it is 1-24 of
    A-Z, 0-9 and '-', else "%" and 12 base32 characters of its SHA-256 (device ids may hold lower
    case, '.' and '_', which are outside the QR alphanumeric set).  CodeError for a non-device id.
    """
    if box_id is None or box_id == "*":
        return "*"
    if not isinstance(box_id, str) or DEVICE_ID_RE.fullmatch(box_id) is None:
        raise CodeError(f"box id {str(box_id)[:40]!r} is not a device id: 1-64 ASCII letters, digits, '.', '_' "
                        f"or '-', starting with a letter or digit (or '*' for any box)")
    if ID_RE.fullmatch(box_id):
        return box_id
    return "%" + _b32(hashlib.sha256(box_id.encode("ascii")).digest())[:12]


# -- internals ----------------------------------------------------------------------------------
def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def _raw_public(public_key) -> bytes:
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    if isinstance(public_key, str):
        public_key = base64.b64decode(public_key, validate=True)
    if len(public_key) != 32:
        raise CodeError("an Ed25519 public key is 32 bytes")
    return bytes(public_key)


def _private(private) -> Ed25519PrivateKey:
    if isinstance(private, Ed25519PrivateKey):
        return private
    try:
        return Ed25519PrivateKey.from_private_bytes(bytes(private))
    except (TypeError, ValueError):
        raise CodeError("the signing key is not 32 raw bytes of an Ed25519 private key") from None


def _need(pattern: re.Pattern, value, what: str, shape: str) -> None:
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise CodeError(f"{what} {str(value)[:40]!r} cannot go into a code: it must be {shape}")


def _seal(private: Ed25519PrivateKey, fields: list[str]) -> str:
    """Append key id, check and signature to ``fields``; return the payload text."""
    signed = ".".join([*fields, key_id(private.public_key())])
    return ".".join([signed, _check(signed), _b32(private.sign(signed.encode("ascii")))])


def _check(signed: str) -> str:
    return _b32(hashlib.sha256(signed.encode("ascii")).digest()[:3])[:4]


def _split(payload) -> list[str]:
    """Fields of a payload that is plausibly ours with a version this box reads; else CodeRefused."""
    if not isinstance(payload, str):
        raise _malformed("the code is not text")
    if len(payload) > MAX_PAYLOAD_CHARS:
        raise _malformed(f"the code is {len(payload)} characters, longer than any of ours")
    # A scanner in keyboard mode ends a read with CR/LF; the spaces are not part of what was signed.
    fields = payload.strip(" \t\r\n").split(".")
    if VERSION_RE.fullmatch(fields[0]) is None:
        raise _malformed("it does not start with a version such as RF1 or RC1")
    if fields[0] not in (FORM_V1, COLLECTION_V1):
        raise CodeRefused(UNKNOWN_VERSION, f"code version {fields[0]} is not one this box reads "
                                           f"({FORM_V1}, {COLLECTION_V1}); update the box's software")
    return fields


def _malformed(why: str) -> CodeRefused:
    return CodeRefused(MALFORMED, f"not a reimbursement-form or collection code: {why}")


def _field(pattern: re.Pattern, value: str, what: str) -> None:
    if pattern.fullmatch(value) is None:
        raise _malformed(f"the {what} is out of shape")


def _check_seal(fields: list[str], keys) -> None:
    kid, check, signature = fields[-3:]
    _field(KEY_ID_RE, kid, "key id")
    _field(CHECK_RE, check, "check")
    _field(SIGNATURE_RE, signature, "signature")
    ring = keys if isinstance(keys, KeyRing) else KeyRing(keys)
    held = ring.get(kid)
    if held is None:
        raise CodeRefused(UNKNOWN_KEY, f"signed with key {kid}, which this box does not hold; "
                                       f"run 'terminal sync pull' (if it persists, the code is forged)")
    public, retired = held
    signed = ".".join(fields[:-2])
    if check != _check(signed):
        raise CodeRefused(TAMPERED, "a field of this code was changed after central signed it")
    try:
        raw = _unb32(signature)
        if _b32(raw) != signature:      # unused low bits set: another spelling of the same signature
            raise ValueError("signature is not in canonical base32")
        public.verify(raw, signed.encode("ascii"))
    except (InvalidSignature, ValueError):
        raise CodeRefused(FORGED, "the signature does not verify: this code was not issued by central") from None
    if retired:
        raise CodeRefused(RETIRED_KEY, f"signed with key {kid}, which central has retired; "
                                       f"ask for the form to be reissued")
