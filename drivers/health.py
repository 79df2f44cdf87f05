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
    device: str
    ok: bool
    summary: str
    details: dict[str, Any] = field(default_factory=dict)

    def as_row(self) -> tuple[str, str, str]:
        return (self.device, "PASS" if self.ok else "FAIL", self.summary)

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "ok": self.ok, "summary": self.summary, "details": self.details}
