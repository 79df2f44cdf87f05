"""One visit's personal data, in one object with one :meth:`Session.wipe`.

The card, the directory entry (name, phone), the digits being typed, the HR
photo and the face matcher live here and nowhere else in the flow; the view
model gets masked copies.  Every exit path calls ``wipe()``: byte buffers are
overwritten, dicts cleared, the card's personal fields blanked (so a stray
reference elsewhere holds nothing), the matcher wiped and the session's
temporary directory removed.

>>> s = Session.start(now=10.0, lang="zh")
>>> s.digits.extend(b"12"); s.wipe(); bytes(s.digits), s.card
(b'', None)
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from typing import Any

from terminal.pii import mask_name, mask_phone

_BLANK = {str: "", bytes: b""}


@dataclass(eq=False)
class Session:
    """A visit: ``id`` (uuid hex, the events' session_id), ``started`` (monotonic s) and the personal data."""

    id: str
    started: float
    lang: str = "zh"
    card: Any = field(default=None, repr=False)          # drivers.idcard.IdCard while the visit lasts
    id_hmac: str = field(default="", repr=False)         # the directory key of the card (to spot a swap)
    employee: dict = field(default_factory=dict, repr=False)
    digits: bytearray = field(default_factory=bytearray, repr=False)   # code or PIN being typed
    photo: bytearray = field(default_factory=bytearray, repr=False)    # HR photo, memory only
    matcher: Any = field(default=None, repr=False)       # kiosk.face.FaceMatcher for this visit
    otp_id: int | None = None
    face_attempts: int = 0
    sms_verified: bool = False
    # part 2: the service under way (ids, state, file paths in the temp folder; no personal data of its own),
    # the certificate's PDF (memory only), and what the visit did (for kiosk.session_ended's measures).
    service: dict = field(default_factory=dict, repr=False)
    document: bytearray = field(default_factory=bytearray, repr=False)
    holder: Any = field(default=None, repr=False)        # kiosk.badges.render.Holder for the card
    done: list = field(default_factory=list)             # [{"service", "seconds"}]: documents in hand
    failures: list = field(default_factory=list)         # ["print_out_of_paper", "offline", ...]
    _tmp: str | None = field(default=None, repr=False)

    @classmethod
    def start(cls, *, now: float, lang: str) -> "Session":
        """A new empty session begun at monotonic ``now``."""
        return cls(id=uuid.uuid4().hex, started=now, lang=lang)

    @property
    def employee_no(self) -> str:
        """The employee number (the join key central uses; not personal data on its own)."""
        return str(self.employee.get("employee_no", ""))

    @property
    def masked_name(self) -> str:
        """The name as a screen may show it (张*)."""
        name = self.employee.get("name") or (self.card.name if self.card is not None else "")
        return mask_name(name) if name else ""

    @property
    def masked_phone(self) -> str:
        """The phone on file as 138****1234 ('' when none)."""
        phone = self.employee.get("phone") or ""
        return mask_phone(phone) if phone else ""

    def temp_dir(self) -> str:
        """A private temporary directory for this visit (made on first use, removed by wipe)."""
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="kiosk-session-")
        return self._tmp

    def wipe(self) -> None:
        """Forget every personal datum of the visit (idempotent)."""
        for buf in (self.digits, self.photo, self.document):
            buf[:] = bytes(len(buf))
            del buf[:]
        if self.card is not None and dataclasses.is_dataclass(self.card):
            for f in dataclasses.fields(self.card):
                value = getattr(self.card, f.name)
                if isinstance(value, (str, bytes)):
                    object.__setattr__(self.card, f.name, _BLANK[type(value)])
                elif value is not None and f.name in ("photo_image", "fingerprint", "birth_date", "valid_to",
                                                      "valid_from"):
                    object.__setattr__(self.card, f.name, None)
        self.card = None
        self.employee.clear()
        self.service.clear()
        self.holder = None
        self.id_hmac = ""
        if self.matcher is not None:
            try:
                self.matcher.wipe()
            finally:
                self.matcher = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
