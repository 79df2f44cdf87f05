"""One-time codes and the technician PIN: random from ``secrets``, stored only as salted hashes.

A code is 6 digits from :func:`secrets.randbelow`; it is kept as
HMAC-SHA256(per-record 16-byte salt, code) and checked with
:func:`hmac.compare_digest`, so the store never holds it and a check takes
the same time whatever the digits.  The PIN is hashed with scrypt (slow on
purpose: a PIN has few digits) as ``scrypt$<salt hex>$<hash hex>``.

>>> salt, digest = hash_code("123456")
>>> check_code("123456", salt, digest), check_code("123457", salt, digest)
(True, False)
>>> h = hash_pin("2468"); check_pin("2468", h), check_pin("1357", h)
(True, False)
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sys

CODE_DIGITS = 6
_SCRYPT = dict(n=2 ** 14, r=8, p=1)


def new_code() -> str:
    """A fresh 6-digit code (leading zeros kept) from the OS's CSPRNG."""
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


def hash_code(code: str) -> tuple[bytes, bytes]:
    """``(salt, digest)`` for ``code``: a new 16-byte salt and HMAC-SHA256(salt, code)."""
    salt = secrets.token_bytes(16)
    return salt, hmac.new(salt, code.encode(), hashlib.sha256).digest()


def check_code(code: str, salt: bytes, digest: bytes) -> bool:
    """Whether ``code`` is the one hashed as ``(salt, digest)``; constant time in the digits."""
    return hmac.compare_digest(hmac.new(salt, code.encode(), hashlib.sha256).digest(), digest)


def hash_pin(pin: str) -> str:
    """The config value for technician PIN ``pin`` (4-12 ASCII digits; ValueError otherwise)."""
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 12):
        raise ValueError("the technician PIN must be 4-12 digits 0-9")
    salt = secrets.token_bytes(16)
    return f"scrypt${salt.hex()}${hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT).hex()}"


def check_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` matches the ``scrypt$salt$hash`` value ``stored`` (False for a malformed value)."""
    try:
        kind, salt_hex, hash_hex = stored.split("$")
        salt, want = bytes.fromhex(salt_hex), bytes.fromhex(hash_hex)
    except ValueError:
        return False
    if kind != "scrypt" or not salt or not want:
        return False
    return hmac.compare_digest(hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT), want)


def pin_hash_problem(stored: str) -> str | None:
    """Why ``stored`` is not a usable technician_pin_hash, or None (empty means PIN access is off)."""
    if stored == "":
        return None
    parts = stored.split("$")
    if len(parts) != 3 or parts[0] != "scrypt":
        return "kiosk.technician_pin_hash must look like scrypt$<salt hex>$<hash hex>; make one with python -m kiosk.secret"
    try:
        bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
    except ValueError:
        return "kiosk.technician_pin_hash: salt and hash must be hex; make one with python -m kiosk.secret"
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.secret``: read a PIN from the terminal (not echoed), print its config value."""
    import getpass
    pin = getpass.getpass("technician PIN (4-12 digits): ")
    try:
        print(hash_pin(pin))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
