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
