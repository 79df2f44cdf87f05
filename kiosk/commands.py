"""What the flow asks the runner to do: device calls and central calls, each a small dataclass.

Their reprs never show personal data: a command may end up in a log line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SendSms:
    """Send ``text`` to ``to`` under idempotency ``key``; answers SmsSent / SmsFailed for ``otp_id``."""
    otp_id: int
    to: str = field(repr=False)
    text: str = field(repr=False)
    key: str = field(repr=False)


@dataclass(frozen=True)
class FetchPhoto:
    """Ask central for the employee's HR photo; answers PhotoLoaded / PhotoFailed."""
    employee_no: str


@dataclass(frozen=True)
class CheckFace:
    """Grab ``frames`` camera frames and check them with ``matcher``; answers FaceChecked."""
    matcher: Any = field(repr=False)
    frames: int = 5


@dataclass(frozen=True)
class LoadRecords:
    """Central's records for the employee; answers RecordsLoaded."""
    employee_no: str


@dataclass(frozen=True)
class LoadHealth:
    """Device health, sync backlog and recent log lines; answers HealthLoaded."""


@dataclass(frozen=True)
class RunSelftest:
    """Run every device's selftest; answers SelftestDone."""


# -- part 2: the services.  Each runs on a worker with its own store connection (SQLite is per thread). --

@dataclass(frozen=True)
class LoadServices:
    """What the menu may offer: certificates (templates, printer, central) and the badge policy; ServicesLoaded."""
    employee_no: str
    kinds: tuple = ()


@dataclass(frozen=True)
class IssueCertificate:
    """Fetch the data now, issue (serial, record, event in one commit), draw the preview into ``folder``;
    answers CertificateReady or ServiceFailed."""
    session_id: str
    employee_no: str
    kind: str
    lang: str
    folder: str = field(repr=False)


@dataclass(frozen=True)
class PrintCertificate:
    """Print ``pdf`` (held by the session) on the document printer and record it printed; PrintDone / PrintJobFailed.
    A reprint is the same command again: same bytes, same serial."""
    session_id: str
    serial: str
    pdf: bytes = field(repr=False)
    folder: str = field(repr=False)
    title: str = ""


@dataclass(frozen=True)
class StartBadge:
    """Order a badge at central (``reason`` first | lost | damaged); the payment QR drawn into ``folder``."""
    session_id: str
    employee_no: str
    reason: str
    folder: str = field(repr=False)


@dataclass(frozen=True)
class PollBadge:
    """Ask central once whether the order is paid (``waited_s`` since the QR showed); BadgeOrdered."""
    request_id: str
    waited_s: float


@dataclass(frozen=True)
class CancelBadge:
    """The employee cancels at the QR; BadgeOrdered (paid when the payer was quicker)."""
    request_id: str


@dataclass(frozen=True)
class PrepareBadge:
    """Photo (HR, else a framed camera capture) and the card drawn at the printer's area; BadgePreviewReady."""
    request_id: str
    holder: Any = field(repr=False)
    folder: str = field(repr=False)


@dataclass(frozen=True)
class PrintBadge:
    """Print the paid badge (kiosk.badges.service.print_badge; again after a failure at no charge); the framed
    photo PrepareBadge left in ``folder`` goes on it."""
    request_id: str
    holder: Any = field(repr=False)
    folder: str = field(default="", repr=False)


@dataclass(frozen=True)
class CloseBadges:
    """The session ended: close its open badge jobs (unpaid cancelled, paid refunded).  No answer."""
    session_id: str


@dataclass(frozen=True)
class ReconcileBadges:
    """Once at kiosk start: close every job a previous run left open.  No answer."""


@dataclass(frozen=True)
class PrintReceipt:
    """The optional ESC/POS receipt (kiosk.receipts): ``what``, ``reference`` (serial or order), amount.  No answer."""
    what: str
    reference: str
    amount_cents: int | None = None
    note: str = ""
