"""The terminal's own Ed25519 key: made at enrolment, its public half registered at central.

The kiosk signs certificate verification codes with it; central (or anyone
holding the public key it registered) verifies them.  The private key stays
in the terminal's store (file mode 0600, directory 0700) and never leaves it::

    >>> import os, tempfile
    >>> from sync.store import open_store
    >>> from sync.state import MIGRATIONS
    >>> from sync.keys import ensure_terminal_key, sign, verify
    >>> store = open_store(os.path.join(tempfile.mkdtemp(), "t.db"), MIGRATIONS)
    >>> public = ensure_terminal_key(store)
    >>> verify(public, b"CERT-2026-0001", sign(store.conn, b"CERT-2026-0001"))
    True
    >>> store.close()
"""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from sync.state import get_state, set_state
from terminal import TerminalError

STATE_KEY = "terminal_ed25519"


class SigningKeyUnavailable(TerminalError):
    """The terminal has no signing key yet, or it is unreadable."""


def ensure_terminal_key(store) -> str:
    """Make the key once (kept across re-enrolments); return the public half, base64 of 32 raw bytes."""
    with store.write():
        held = get_state(store.conn, STATE_KEY)
        if held is None:
            private = Ed25519PrivateKey.generate()
            raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                        serialization.NoEncryption())
            held = {"private": base64.b64encode(raw).decode(), "public": _public_b64(private)}
            set_state(store.conn, STATE_KEY, held)
    return held["public"]


def public_key(conn) -> str:
    """This terminal's Ed25519 public key, base64 of 32 raw bytes; raises SigningKeyUnavailable before enrolment."""
    held = get_state(conn, STATE_KEY)
    if held is None:
        raise SigningKeyUnavailable("this terminal has no signing key yet; it is made by 'terminal sync enroll'")
    return held["public"]


def sign(conn, message: bytes) -> str:
    """An Ed25519 signature of ``message`` by this terminal, base64."""
    held = get_state(conn, STATE_KEY)
    if held is None:
        raise SigningKeyUnavailable("this terminal has no signing key yet; it is made by 'terminal sync enroll'")
    private = Ed25519PrivateKey.from_private_bytes(base64.b64decode(held["private"]))
    return base64.b64encode(private.sign(message)).decode()


def verify(public_b64: str, message: bytes, signature_b64: str) -> bool:
    """True when ``signature_b64`` is ``public_b64``'s Ed25519 signature of ``message``; else False (never raises)."""
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64)).verify(
            base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _public_b64(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()
