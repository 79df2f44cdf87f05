"""The one SMS interface every backend implements.

``send(to, text, key=...)`` returns a :class:`SendResult` or raises a typed
:class:`~drivers.sms.errors.SmsError`; it never returns on failure.  ``key`` is
the message's idempotency key: a caller that retries a message (after a crash,
a timeout, a restart) passes the same key, and a backend that has already sent
it does not send it again.  Without a key, each call is a new message.  A
sender sends one message at a time, so two threads with one key send it once.

>>> from drivers.sms.sender import SmsSender, SendResult
>>> from drivers.health import Health
>>> class Outbox(SmsSender):
...     transport = "memory"
...     def _send(self, to, text, key): return SendResult(key, self.transport, parts=1, references=("1",))
...     def health(self): return Health("sms", True, "ready")
>>> with Outbox() as sms: sms.send("+8613800138000", "验证码 123456", key="k1").parts
1
"""

from __future__ import annotations

import abc
import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass, replace

from drivers.base import Device
from drivers.sms.errors import InvalidMessage, KeyConflict
from drivers.sms.pdu import normalize_number

MAX_TEXT = 1000      # characters; far beyond any verification message, well below abuse


@dataclass(frozen=True)
class SendResult:
    """What a backend reports for one sent message (no phone number: it is personal data)."""

    key: str
    transport: str                 # "modem" | "central"
    parts: int
    references: tuple[str, ...]    # modem message references, or central's message id
    duplicate: bool = False        # True: this key had already been sent; nothing was sent now

    def to_dict(self) -> dict:
        """The result as a JSON-ready dict (``references`` as a list); no phone number."""
        return {"key": self.key, "transport": self.transport, "parts": self.parts,
                "references": list(self.references), "duplicate": self.duplicate}


def new_key() -> str:
    """A fresh idempotency key: 32 random hex characters."""
    return uuid.uuid4().hex


def fingerprint(to: str, text: str) -> str:
    """A SHA-256 hex digest of the normalised number and ``text``: what a key was used for, without the number."""
    digits, international = normalize_number(to)
    return hashlib.sha256(f"{'+' if international else ''}{digits}\n{text}".encode()).hexdigest()


class SmsSender(Device):
    """Sends one text message to one phone number; ``health()`` says whether it can."""

    name = "sms"
    transport = "sms"
    remembered_keys = 512

    def __init__(self) -> None:
        super().__init__()
        self._sent: OrderedDict[str, tuple[str, SendResult]] = OrderedDict()
        # Held from the key check to recording the result: two callers with one key must not both send.
        self._sent_lock = threading.Lock()

    def send(self, to: str, text: str, *, key: str | None = None) -> SendResult:
        """Send ``text`` to ``to`` once per ``key``; raise a typed error when it cannot be sent."""
        if self.closed:
            raise InvalidMessage(f"the {self.transport} SMS sender is closed")
        normalize_number(to)
        if not isinstance(text, str) or not text.strip():
            raise InvalidMessage("the message text is empty")
        if len(text) > MAX_TEXT:
            raise InvalidMessage(f"the message has {len(text)} characters; at most {MAX_TEXT} are allowed")
        key = key or new_key()
        if not (0 < len(key) <= 128) or not key.isprintable():
            raise InvalidMessage("the idempotency key must be 1-128 printable characters")
        digest = fingerprint(to, text)
        with self._sent_lock:
            earlier = self._sent.get(key)
            if earlier is not None:
                if earlier[0] != digest:
                    raise KeyConflict(f"key {key!r} was already used for a different message",
                                      hint="use a new key for a new message")
                return replace(earlier[1], duplicate=True)
            result = self._send(to, text, key)
            self._sent[key] = (digest, result)
            while len(self._sent) > self.remembered_keys:
                self._sent.popitem(last=False)
        return result

    @abc.abstractmethod
    def _send(self, to: str, text: str, key: str) -> SendResult:
        """Send for real (arguments already checked)."""
