"""The result of a device's ``health()`` check, shared by the admin screen and selftest.

>>> from drivers.health import Health
>>> h = Health("idcard", ok=True, summary="SAM 05.01-20180528-0012345678-1234567890")
>>> h.ok, h.as_row()
(True, ('idcard', 'PASS', 'SAM 05.01-20180528-0012345678-1234567890'))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Health:
    """One device's check: ``device`` name, ``ok``, a one-line ``summary`` for people, and ``details`` for JSON.

    Made by ``health()`` on every device, which never raises: a failure is ``ok=False`` with the reason.
    """

    device: str
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_row(self) -> tuple[str, str, str]:
        """``(device, "PASS" | "FAIL", summary)``: a row of ``terminal selftest``'s table."""
        return (self.device, "PASS" if self.ok else "FAIL", self.summary)

    def to_dict(self) -> dict[str, Any]:
        """The check as a JSON-ready dict: ``device``, ``ok``, ``summary``, ``details``."""
        return {"device": self.device, "ok": self.ok, "summary": self.summary, "details": self.details}
