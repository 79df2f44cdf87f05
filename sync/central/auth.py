"""Who sent a request: device signatures (sync.wire) and consumer bearer tokens.

A device request is checked in two steps.  Before its body is read, from the
headers alone (:func:`read_device_headers`): every header is present and well
formed, and the timestamp is inside the replay window (``clock_skew``); then
the caller looks the device up (``unknown_device``).  After the body, the
HMAC must match (``bad_signature``, :func:`verify`), and storage checks the
nonce is new (``replayed``) inside the request's own transaction.  Every
identifier is matched whole (``fullmatch``): ``"DEV5\\n"`` is not ``DEV5``.

    >>> from sync.wire import sign_request
    >>> headers = sign_request(b"s" * 32, "GET", "/v1/reference/keys", b"", device_id="D1", timestamp=1000)
    >>> check_device_request(lambda d: b"s" * 32, "GET", "/v1/reference/keys", b"", headers, now=1100.0)  # doctest: +ELLIPSIS
    ('D1', ...)
    >>> check_device_request(lambda d: b"s" * 32, "GET", "/v1/reference/keys", b"", headers, now=2000.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sync.central.auth.AuthFailure: timestamp 1000 is 1000 s from central's clock (window 300 s); ...
    >>> is_device_id("DEV5"), is_device_id("DEV5\\n"), is_device_id("DEV５")
    (True, False, False)
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from sync import wire
from terminal import TerminalError

# Always used with fullmatch: '$' would also match before a trailing newline.  ASCII only.
NONCE_RE = re.compile(r"[A-Za-z0-9_-]{16,128}")
DEVICE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
SIGNATURE_RE = re.compile(r"[0-9a-f]{64}")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,200}")   # enrolment and consumer tokens (token_urlsafe + prefix)

DEVICE_ID_RULE = "1-64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"


def is_device_id(text) -> bool:
    """Whether ``text`` is a str that is a whole device id (DEVICE_ID_RULE); never raises."""
    return isinstance(text, str) and DEVICE_ID_RE.fullmatch(text) is not None


def is_token(text) -> bool:
    """Whether ``text`` is a str shaped like a token central issues (1-200 URL-safe characters)."""
    return isinstance(text, str) and TOKEN_RE.fullmatch(text) is not None


class AuthFailure(TerminalError):
    """A device request is not authenticated: 401 ``{"error": code, "detail", "server_time"}``.

    ``code`` is one of sync.wire's ``ERR_*`` (``bad_signature``, ``unknown_device``, ``replayed``,
    ``clock_skew``); ``device_id`` is only what the request claimed (None: not even that).
    """

    def __init__(self, code: str, detail: str, device_id: str | None = None):
        super().__init__(detail)
        self.code, self.detail, self.device_id = code, detail, device_id


@dataclass(frozen=True)
class DeviceHeaders:
    """The authentication headers of a device request, each checked for shape (not yet for the HMAC)."""

    device_id: str
    timestamp: int
    nonce: str
    signature: str


def read_device_headers(headers, *, now: float) -> DeviceHeaders:
    """Everything that can be checked before the body: shapes and the replay window; else AuthFailure."""
    missing = [h for h in (wire.H_DEVICE, wire.H_TIMESTAMP, wire.H_NONCE, wire.H_SIGNATURE) if not headers.get(h)]
    if missing:
        raise AuthFailure(wire.ERR_BAD_SIGNATURE, f"request is not signed: missing {', '.join(missing)}")
    device_id = headers[wire.H_DEVICE]
    if not is_device_id(device_id):
        raise AuthFailure(wire.ERR_UNKNOWN_DEVICE, "X-Device-Id is not a device id central issues")
    if NONCE_RE.fullmatch(headers[wire.H_NONCE]) is None:
        raise AuthFailure(wire.ERR_BAD_SIGNATURE, "X-Nonce must be 16-128 letters, digits, '-' or '_'", device_id)
    if TIMESTAMP_RE.fullmatch(headers[wire.H_TIMESTAMP]) is None:
        raise AuthFailure(wire.ERR_BAD_SIGNATURE, "X-Timestamp must be whole unix seconds in ASCII digits",
                          device_id)
    if SIGNATURE_RE.fullmatch(headers[wire.H_SIGNATURE]) is None:
        raise AuthFailure(wire.ERR_BAD_SIGNATURE, "X-Signature must be 64 lowercase hex digits", device_id)
    timestamp = int(headers[wire.H_TIMESTAMP])
    skew = timestamp - now
    if abs(skew) > wire.REPLAY_WINDOW_S:
        raise AuthFailure(wire.ERR_CLOCK_SKEW, f"timestamp {timestamp} is {abs(skew):.0f} s from central's clock "
                          f"(window {wire.REPLAY_WINDOW_S} s); sign with server_time", device_id)
    return DeviceHeaders(device_id, timestamp, headers[wire.H_NONCE], headers[wire.H_SIGNATURE])


def not_enrolled(device_id: str) -> AuthFailure:
    """The ``unknown_device`` failure for a device without a secret (returned, for the caller to raise)."""
    return AuthFailure(wire.ERR_UNKNOWN_DEVICE, f"device {device_id} is not enrolled; run "
                       f"'terminal sync enroll' with a token from 'terminal central token'")


def verify(secret: bytes, method: str, path: str, body: bytes, headers: DeviceHeaders) -> None:
    """Raise AuthFailure unless the HMAC over ``body`` (bytes as sent) matches."""
    signed = {wire.H_TIMESTAMP: str(headers.timestamp), wire.H_NONCE: headers.nonce,
              wire.H_SIGNATURE: headers.signature}
    if not wire.verify_signature(secret, method, path, body, signed):
        raise AuthFailure(wire.ERR_BAD_SIGNATURE, "signature does not match; the device secret may have been "
                          "rotated by a newer enrolment", headers.device_id)


def check_device_request(secret_for, method: str, path: str, body: bytes, headers, *,
                         now: float) -> tuple[str, str]:
    """(device_id, nonce) of a correctly signed request, else :class:`AuthFailure` (both steps at once).

    ``secret_for(device_id)`` returns the device's secret or None; ``path``
    includes ``?query`` exactly as sent; ``body`` is the bytes as sent.
    """
    checked = read_device_headers(headers, now=now)
    secret = secret_for(checked.device_id)
    if secret is None:
        raise not_enrolled(checked.device_id)
    verify(secret, method, path, body, checked)
    return checked.device_id, checked.nonce


def bearer_token(headers) -> str | None:
    """The token of ``Authorization: Bearer T``, or the password of ``Basic`` (what a browser sends)."""
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    token = token.strip()
    if scheme.lower() == "basic" and token:
        try:
            token = base64.b64decode(token, validate=True).decode("utf-8").partition(":")[2]
        except (binascii.Error, ValueError):
            return None
    elif scheme.lower() != "bearer":
        return None
    return token if is_token(token) else None
