"""Who sent a request: device signatures (sync.wire) and consumer bearer tokens.

A device request passes four checks, in this order, each with its own 401
code so the device knows what to do: the device is enrolled
(``unknown_device``), the HMAC matches (``bad_signature``), the timestamp is
inside the replay window (``clock_skew``), and the nonce is new
(``replayed``, checked by storage inside the request's own transaction).

    >>> from sync.wire import sign_request
    >>> headers = sign_request(b"s" * 32, "GET", "/v1/reference/keys", b"", device_id="D1", timestamp=1000)
    >>> check_device_request(lambda d: b"s" * 32, "GET", "/v1/reference/keys", b"", headers, now=1100.0)  # doctest: +ELLIPSIS
    ('D1', ...)
    >>> check_device_request(lambda d: b"s" * 32, "GET", "/v1/reference/keys", b"", headers, now=2000.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    sync.central.auth.AuthFailure: timestamp 1000 is 1000 s from central's clock (window 300 s); ...
"""

from __future__ import annotations

import re

from sync import wire

NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,128}$")
DEVICE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class AuthFailure(Exception):
    """401 with JSON ``{"error": code, "detail": ..., "server_time": ...}``."""

    def __init__(self, code: str, detail: str, device_id: str | None = None):
        super().__init__(detail)
        self.code, self.detail, self.device_id = code, detail, device_id


def check_device_request(secret_for, method: str, path: str, body: bytes, headers, *,
                         now: float) -> tuple[str, str]:
    """(device_id, nonce) of a correctly signed request, else :class:`AuthFailure`.

    ``secret_for(device_id)`` returns the device's secret or None; ``path``
    includes ``?query`` exactly as sent; ``body`` is the bytes as sent.
    """
    missing = [h for h in (wire.H_DEVICE, wire.H_TIMESTAMP, wire.H_NONCE, wire.H_SIGNATURE) if not headers.get(h)]
    if missing:
        raise AuthFailure(wire.ERR_BAD_SIGNATURE, f"request is not signed: missing {', '.join(missing)}")
    device_id = headers[wire.H_DEVICE]
    if not DEVICE_ID_RE.match(device_id):
        raise AuthFailure(wire.ERR_UNKNOWN_DEVICE, "X-Device-Id is not a device id central issues")
    nonce = headers[wire.H_NONCE]
    if not NONCE_RE.match(nonce):
        raise AuthFailure(wire.ERR_BAD_SIGNATURE, "X-Nonce must be 16-128 letters, digits, '-' or '_'", device_id)
    try:
        timestamp = int(headers[wire.H_TIMESTAMP])
    except ValueError:
        raise AuthFailure(wire.ERR_BAD_SIGNATURE, "X-Timestamp must be whole unix seconds", device_id) from None
    secret = secret_for(device_id)
    if secret is None:
        raise AuthFailure(wire.ERR_UNKNOWN_DEVICE, f"device {device_id} is not enrolled; run "
                          f"'terminal sync enroll' with a token from 'terminal central token'")
    if not wire.verify_signature(secret, method, path, body, headers):
        raise AuthFailure(wire.ERR_BAD_SIGNATURE, "signature does not match; the device secret may have been "
                          "rotated by a newer enrolment", device_id)
    skew = timestamp - now
    if abs(skew) > wire.REPLAY_WINDOW_S:
        raise AuthFailure(wire.ERR_CLOCK_SKEW, f"timestamp {timestamp} is {abs(skew):.0f} s from central's clock "
                          f"(window {wire.REPLAY_WINDOW_S} s); sign with server_time", device_id)
    return device_id, nonce


def bearer_token(headers) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None
