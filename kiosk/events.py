"""The kiosk flow's inputs: small frozen dataclasses, one per thing that can happen.

The UI sends the touch events; :class:`kiosk.runner.Runner` turns device
results into the others.  Nothing here holds a code value: the keypad sends
one key at a time and the flow keeps only a count on its view.

>>> from kiosk.events import KeyPressed
>>> KeyPressed("ok"), KeyPressed("7")
(KeyPressed(key='ok'), KeyPressed(key='<digit>'))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

KEYS = tuple("0123456789") + ("back", "ok")


# -- from the UI (touches) -------------------------------------------------------------------------

@dataclass(frozen=True)
class Touch:
    """Any touch anywhere: resets the idle timer."""


@dataclass(frozen=True)
class LanguageChosen:
    """The language switch: ``lang`` is 'zh' or 'en'."""
    lang: str


@dataclass(frozen=True)
class KeyPressed:
    """One key of the on-screen keypad: '0'..'9', 'back' or 'ok'."""
    key: str

    def __repr__(self) -> str:  # a digit is part of a code: never in a log line or a traceback
        return f"KeyPressed(key={self.key!r})" if self.key in ("back", "ok") else "KeyPressed(key='<digit>')"


@dataclass(frozen=True)
class ResendPressed:
    """'Send the code again'."""


@dataclass(frozen=True)
class FallbackChosen:
    """One of ``view()['fallbacks']``: 'face_only' or 'service_desk'."""
    id: str


@dataclass(frozen=True)
class ServiceChosen:
    """A menu tile; 'my_records' opens the employee's records."""
    id: str


@dataclass(frozen=True)
class TechnicianGesture:
    """The hidden gesture that asks for the technician PIN."""


@dataclass(frozen=True)
class PinEntered:
    """A whole technician PIN at once (same as its digits then 'ok')."""
    pin: str = field(repr=False)


@dataclass(frozen=True)
class SelftestPressed:
    """Technician screen: run the selftest."""


@dataclass(frozen=True)
class TryAgain:
    """Face screen: try the face check again after a failed attempt."""


@dataclass(frozen=True)
class Back:
    """Back / cancel on the current screen."""


@dataclass(frozen=True)
class Exit:
    """'Finish': the employee ends the session."""


@dataclass(frozen=True)
class Tick:
    """A timer tick; ``now`` is monotonic seconds (informational: the flow reads its own clock)."""
    now: float | None = None


# -- from the runner (devices) ---------------------------------------------------------------------

@dataclass(frozen=True)
class CardPlaced:
    """A card was read.  ``fresh`` False: it was already on the reader when the kiosk started."""
    card: Any = field(repr=False)          # drivers.idcard.IdCard
    fresh: bool = True


@dataclass(frozen=True)
class CardLifted:
    """The card was taken off the reader."""


@dataclass(frozen=True)
class CardUnreadable:
    """A card is on the reader but cannot be used: ``reason`` 'unknown_type' or 'unreadable'."""
    reason: str
    message: str = ""


@dataclass(frozen=True)
class ReaderFault:
    """The reader failed: ``kind`` 'unplugged' | 'sam' | 'silent' | 'other'; ``message`` for the log."""
    kind: str
    message: str = ""


@dataclass(frozen=True)
class ReaderOk:
    """The reader answers again after a fault."""


@dataclass(frozen=True)
class SmsSent:
    """The code of OTP record ``otp_id`` was handed to the SMS transport."""
    otp_id: int


@dataclass(frozen=True)
class SmsFailed:
    """The code could not be sent: ``kind`` 'modem_down' | 'central_down' | 'rate_limited' | 'other'."""
    otp_id: int
    kind: str
    message: str = ""


@dataclass(frozen=True)
class PhotoLoaded:
    """The HR photo arrived and its matcher is built (kiosk.face.FaceMatcher; it holds the photo, memory only)."""
    matcher: Any = field(repr=False)


@dataclass(frozen=True)
class PhotoFailed:
    """Central could not serve the HR photo."""
    message: str = ""


@dataclass(frozen=True)
class FaceChecked:
    """One face check: ``reason`` 'match' | 'no_face' | 'two_faces' | 'no_match' | 'not_live' | 'error'."""
    ok: bool
    reason: str
    distance: float | None = None


@dataclass(frozen=True)
class RecordsLoaded:
    """Central's part of 'my records' (list of {when, kind, status}); ``central_ok`` False when unreachable."""
    records: tuple = ()
    central_ok: bool = False


@dataclass(frozen=True)
class HealthLoaded:
    """Technician screen: ``rows`` list of {device, ok, summary}; ``log_lines`` masked."""
    rows: tuple = ()
    log_lines: tuple = ()


@dataclass(frozen=True)
class SelftestDone:
    """Selftest finished: ``rows`` list of {device, ok, summary}."""
    rows: tuple = ()


# -- part 2: the services (touches) ----------------------------------------------------------------

@dataclass(frozen=True)
class ReasonChosen:
    """badge_reason screen: why a replacement is needed, 'lost' or 'damaged'."""
    reason: str


@dataclass(frozen=True)
class PrintPressed:
    """Preview screen: print it.  On print_failed: print the same document again (no new serial or charge)."""


@dataclass(frozen=True)
class RatingChosen:
    """The one-tap rating after a service: 'satisfied' | 'neutral' | 'unsatisfied'."""
    rating: str


# -- part 2: the services (from the runner) --------------------------------------------------------

@dataclass(frozen=True)
class ServicesLoaded:
    """What the menu may offer now: ``certificates`` {kind: reason key or ''}; ``badge`` {'id':
    'badge_first' | 'badge_replacement', 'reason_key': '' or why not, 'fees_cents': {...}, 'currency'}."""
    certificates: Any = None
    badge: Any = None


@dataclass(frozen=True)
class CertificateReady:
    """A certificate was issued (serial allocated, recorded): its PDF (memory only) and the preview PNG path."""
    serial: str
    pdf: bytes = field(repr=False)
    preview: str = field(default="", repr=False)


@dataclass(frozen=True)
class ServiceFailed:
    """A service step could not be done: ``reason`` a service_failed reason (offline, busy, no_data, ...)."""
    service: str
    reason: str
    message: str = ""


@dataclass(frozen=True)
class BadgeOrdered:
    """A badge job after ordering / polling / cancelling: ``state`` (kiosk.badges.store states) and what the
    payment screen shows (``code_url``, ``qr`` PNG path, amount); ``request_id`` names the job."""
    request_id: str
    state: str
    order_id: str = ""
    amount_cents: int = 0
    currency: str = "CNY"
    qr: str = field(default="", repr=False)
    reason: str = ""


@dataclass(frozen=True)
class BadgePreviewReady:
    """The paid badge's card was drawn: the preview PNG path."""
    request_id: str
    preview: str = field(default="", repr=False)


@dataclass(frozen=True)
class PrintProgress:
    """The printer's state reasons while a job runs (e.g. ['media-empty'])."""
    job: str
    reasons: tuple = ()


@dataclass(frozen=True)
class PrintDone:
    """The job ``job`` (a serial or a badge request id) completed: the document is in the tray."""
    job: str


@dataclass(frozen=True)
class PrintJobFailed:
    """The job ``job`` failed: ``cause`` out_of_paper | jam | cover_open | offline | timeout | other."""
    job: str
    cause: str
    message: str = ""
