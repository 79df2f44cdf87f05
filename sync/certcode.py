"""Certificate verification codes: the signed payload a certificate's QR carries, read by terminals and central.

The kiosk signs a code with its own Ed25519 key (:func:`sync.keys.sign`);
whoever holds the terminal's registered public key checks it offline
(``terminal cert verify``), and central's page ``/verify/<code>`` checks it
online.  One code is::

    CV1.<kind>.<yyyymmdd>.<serial>.<text_hash>.<check>.<signature>

- ``kind``: ``E`` employment, ``I`` income, ``S`` social insurance and housing fund;
- ``yyyymmdd``: the issue date (central's date at request time);
- ``serial``: ``<device_id>-<6+ digits>``, unique over every terminal; the device id names the key;
- ``text_hash``: base32 of the first 15 bytes of SHA-256 over the certificate's visible text with
  every whitespace character dropped (:func:`text_hash`): a changed word changes it;
- ``check``: 4 base32 characters of SHA-256 of the signed text: no security, but it tells an edited
  genuine code (a changed field) from one signed by some other key;
- ``signature``: Ed25519 over the text up to and including ``text_hash``, base32 without padding.

ASCII, about 170 characters: with a 30-character URL in front it fits a QR of version 10 at level M.
The QR carries ``<base URL>/verify/<code>`` so a phone camera opens central's page.

    >>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    >>> import base64
    >>> private = Ed25519PrivateKey.generate()
    >>> public = base64.b64encode(private.public_key().public_bytes_raw()).decode()
    >>> sign = lambda message: base64.b64encode(private.sign(message)).decode()
    >>> code = make_code("employment", "2026-11-30", "KSK-SHA-0001-000001", text_hash("在职证明 ..."), sign)
    >>> check_code(code, {"KSK-SHA-0001": [public]}).serial
    'KSK-SHA-0001-000001'
    >>> try:
    ...     check_code(code.replace(".E.", ".I."), {"KSK-SHA-0001": [public]})
    ... except CodeInvalid as refusal:
    ...     print(refusal.reason)
    changed_field
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from terminal import TerminalError

VERSION = "CV1"
KINDS = {"employment": "E", "income": "I", "social_insurance": "S"}
KIND_OF_LETTER = {v: k for k, v in KINDS.items()}
URL_PATH = "/verify/"

# Why a code is not valid (CodeInvalid.reason); the CLI and the page name them.
MALFORMED = "malformed"              # not a certificate code, or a field out of its shape
UNKNOWN_VERSION = "unknown_version"  # CV<n> that this software does not read
UNKNOWN_KEY = "unknown_key"          # the terminal named by the serial is not among the known keys
CHANGED_FIELD = "changed_field"      # a genuine code with a field edited
FORGED = "forged"                    # a well-formed code whose signature no key of that terminal made
TEXT_CHANGED = "text_changed"        # the PDF's visible text is not the text that was signed
REASONS = (MALFORMED, UNKNOWN_VERSION, UNKNOWN_KEY, CHANGED_FIELD, FORGED, TEXT_CHANGED)

SERIAL_RE = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]{0,63})-([0-9]{6,12})")
_HASH_RE = re.compile(r"[A-Z2-7]{24}")
_CHECK_RE = re.compile(r"[A-Z2-7]{4}")
_SIGNATURE_RE = re.compile(r"[A-Z2-7]{103}")
_DATE_RE = re.compile(r"[0-9]{8}")
_VERSION_RE = re.compile(r"CV[0-9]{1,3}")
MAX_CODE_CHARS = 260      # longer is never ours: refused before any parsing


class CodeInvalid(TerminalError):
    """A certificate code that is not valid; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason


@dataclass(frozen=True)
class CertCode:
    """A parsed certificate code: kind (``employment`` ...), issued_on (date), serial, terminal, text_hash, text."""

    kind: str
    issued_on: datetime.date
    serial: str
    terminal: str
    text_hash: str
    text: str


def text_hash(visible_text: str) -> str:
    """Base32 (24 characters) of the first 15 bytes of SHA-256 over ``visible_text`` normalised.

    Normalised: Unicode NFKC, then every whitespace character dropped, so the hash of a PDF's
    extracted text matches the text drawn whatever line breaks or spacing the extractor gives::

        >>> text_hash("收入 证明\\n12 000") == text_hash("收入证明12000")
        True
    """
    flat = "".join(unicodedata.normalize("NFKC", visible_text).split())
    return base64.b32encode(hashlib.sha256(flat.encode()).digest()[:15]).decode()


def make_code(kind: str, issued_on: str | datetime.date, serial: str, hashed_text: str,
              sign: Callable[[bytes], str]) -> str:
    """The signed code for one certificate.

    ``kind`` is a key of :data:`KINDS`; ``issued_on`` a date or ``YYYY-MM-DD``; ``serial`` matches
    SERIAL_RE; ``hashed_text`` is :func:`text_hash` of the visible text; ``sign(message) -> base64
    signature`` is the terminal's key (``functools.partial(sync.keys.sign, conn)``).  Raises
    ValueError for a field out of its shape.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown certificate kind {kind!r}; known: {', '.join(KINDS)}")
    day = issued_on if isinstance(issued_on, datetime.date) else datetime.date.fromisoformat(issued_on)
    if not SERIAL_RE.fullmatch(serial):
        raise ValueError(f"serial {serial[:80]!r} is not <device id>-<6 to 12 digits>")
    if not _HASH_RE.fullmatch(hashed_text):
        raise ValueError("text hash must be 24 base32 characters (text_hash())")
    signed = ".".join([VERSION, KINDS[kind], day.strftime("%Y%m%d"), serial, hashed_text])
    signature = _b32(base64.b64decode(sign(signed.encode("ascii"))))
    return f"{signed}.{_check(signed)}.{signature}"


def code_from_text(text: str) -> str:
    """The code in a scanned QR text: a ``.../verify/<code>`` URL or the bare code, surrounding space dropped."""
    text = text.strip()
    if URL_PATH in text:
        text = text.rsplit(URL_PATH, 1)[1]
    return text.split("?", 1)[0].split("#", 1)[0].rstrip("/")


def verify_url(base_url: str, code: str) -> str:
    """The URL a certificate's QR carries: ``<base_url>/verify/<code>``."""
    return base_url.rstrip("/") + URL_PATH + code


def parse_code(text: str) -> tuple[CertCode, str, str]:
    """(the code's fields, its check, its signature in base32) without checking the signature.

    Raises :class:`CodeInvalid` (``malformed`` or ``unknown_version``).
    """
    code = code_from_text(text) if isinstance(text, str) else ""
    if not code or len(code) > MAX_CODE_CHARS or not code.isascii():
        raise CodeInvalid(MALFORMED, "this is not a certificate verification code")
    head, _, rest = code.partition(".")
    if head != VERSION:
        if _VERSION_RE.fullmatch(head):
            raise CodeInvalid(UNKNOWN_VERSION, f"code version {head} is newer than this software reads; "
                                               f"update it or check the code on central's page")
        raise CodeInvalid(MALFORMED, "this is not a certificate verification code (it does not start with CV1.)")
    parts = code.split(".")
    if len(parts) < 7:
        raise CodeInvalid(MALFORMED, "the code is cut short: a field is missing")
    kind, day, serial, hashed, check, signature = parts[1], parts[2], ".".join(parts[3:-3]), *parts[-3:]
    match = SERIAL_RE.fullmatch(serial)
    shapes = [(kind in KIND_OF_LETTER, "the kind"), (_DATE_RE.fullmatch(day), "the date"),
              (match, "the serial"), (_HASH_RE.fullmatch(hashed), "the text hash"),
              (_CHECK_RE.fullmatch(check), "the check"), (_SIGNATURE_RE.fullmatch(signature), "the signature")]
    for ok, what in shapes:
        if not ok:
            raise CodeInvalid(MALFORMED, f"{what} is not in the shape a certificate code has")
    try:
        issued_on = datetime.datetime.strptime(day, "%Y%m%d").date()
    except ValueError:
        raise CodeInvalid(MALFORMED, "the date is not a calendar date") from None
    signed = ".".join([VERSION, kind, day, serial, hashed])
    return CertCode(KIND_OF_LETTER[kind], issued_on, serial, match.group(1), hashed, signed), check, signature


def check_code(text: str, keys: Mapping[str, Iterable[str]]) -> CertCode:
    """The code's fields when one of its terminal's public keys signed it.

    ``keys`` maps a device id to its Ed25519 public keys (base64 of the 32 raw bytes; a terminal
    may have had several).  Raises :class:`CodeInvalid`: ``malformed``, ``unknown_version``,
    ``unknown_key`` (the terminal is not among ``keys``), ``changed_field`` (a genuine code
    edited: its check no longer matches) or ``forged`` (no key of that terminal signed it).
    """
    code, check, signature = parse_code(text)
    publics = list(keys.get(code.terminal) or ())
    if not publics:
        raise CodeInvalid(UNKNOWN_KEY, f"signed by terminal {code.terminal}, whose key is not among the known "
                                       f"keys: not issued by us, or pull terminal_keys / pass --keys")
    raw = _unb32(signature)
    for public in publics:
        try:
            Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(raw, code.text.encode("ascii"))
            return code
        except (InvalidSignature, ValueError):
            continue
    if check != _check(code.text):
        raise CodeInvalid(CHANGED_FIELD, "a field of the code was changed after signing "
                                         "(kind, date, serial or text hash)")
    raise CodeInvalid(FORGED, f"the signature was not made by terminal {code.terminal}'s key: not issued by us")


def keys_from_items(items: Iterable[dict]) -> dict[str, list[str]]:
    """``terminal_keys`` items (``device_id``, ``public_key``; ``status`` "retired" skipped) -> {device id: keys}."""
    keys: dict[str, list[str]] = {}
    for item in items:
        if not isinstance(item, dict) or item.get("status") == "retired":
            continue
        device, public = item.get("device_id"), item.get("public_key")
        if isinstance(device, str) and isinstance(public, str):
            keys.setdefault(device, []).append(public)
    return keys


def _check(signed: str) -> str:
    return _b32(hashlib.sha256(signed.encode("ascii")).digest())[:4]


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=")


def _unb32(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))
