"""ESC/POS real-time status (DLE EOT n) decoded into what a technician needs.

Each DLE EOT answer is one byte whose bits 1 and 4 are set and bits 0 and 7
clear; anything else is not a status byte.  No answer is *unknown*, never
"paper OK".

>>> from drivers.receipt.status import ReceiptStatus
>>> s = ReceiptStatus.decode(printer=0x12, offline=0x12, paper=0x72)
>>> s.paper, s.ready, s.problem
('out', False, 'out of paper')
>>> ReceiptStatus.no_answer("no answer within 1.0 s").problem
'no answer within 1.0 s (printer off, offline or not an ESC/POS printer)'
"""

from __future__ import annotations

from dataclasses import dataclass

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER = 1, 2, 3, 4

# n=1 printer status
BIT_OFFLINE = 0x08
# n=2 offline cause
BIT_COVER_OPEN = 0x04
BIT_STOPPED_PAPER_END = 0x20
BIT_ERROR = 0x40
# n=4 paper roll sensor
BITS_NEAR_END = 0x0C
BITS_PAPER_END = 0x60


def is_status_byte(value: int) -> bool:
    """True when ``value`` (0-255) has the fixed bits of a DLE EOT answer (bits 1 and 4 set, 0 and 7 clear)."""
    return value & 0x93 == 0x12


@dataclass(frozen=True)
class ReceiptStatus:
    """What the printer said.  ``answered`` False means nothing is known."""

    answered: bool
    online: bool | None = None
    cover_open: bool | None = None
    paper: str = "unknown"  # ok | low | out | unknown
    error: bool | None = None
    note: str = ""

    @classmethod
    def decode(cls, *, printer: int, offline: int, paper: int) -> "ReceiptStatus":
        """The status from the answers to DLE EOT 1 (``printer``), 2 (``offline``) and 4 (``paper``), each a byte."""
        if paper & BITS_PAPER_END:
            state = "out"
        elif paper & BITS_NEAR_END:
            state = "low"
        else:
            state = "ok"
        if offline & BIT_STOPPED_PAPER_END:
            state = "out"
        return cls(answered=True, online=not printer & BIT_OFFLINE, cover_open=bool(offline & BIT_COVER_OPEN),
                   paper=state, error=bool(offline & BIT_ERROR))

    @classmethod
    def no_answer(cls, note: str) -> "ReceiptStatus":
        """The status of a printer that did not answer; ``note`` says what was asked (shown to the technician)."""
        return cls(answered=False, note=f"{note} (printer off, offline or not an ESC/POS printer)")

    @classmethod
    def not_readable(cls, note: str) -> "ReceiptStatus":
        """The status of a connection that cannot read status (a file); ``note`` says so."""
        return cls(answered=False, note=note)

    @property
    def ready(self) -> bool:
        """True only when the printer answered and can print now."""
        return bool(self.answered and self.online and not self.cover_open and self.paper in ("ok", "low")
                    and not self.error)

    @property
    def problem(self) -> str:
        """One phrase naming what stops printing ('' when ready)."""
        if not self.answered:
            return self.note or "no answer"
        if self.cover_open:
            return "cover open"
        if self.paper == "out":
            return "out of paper"
        if self.error:
            return "printer error (cutter jam or head overheated)"
        if not self.online:
            return "offline"
        return ""

    @property
    def summary(self) -> str:
        """One line for a technician: 'ready, paper ok', the problem, or 'status unknown: ...'."""
        if not self.answered:
            return f"status unknown: {self.problem}"
        if self.ready:
            return "ready, paper low (replace the roll soon)" if self.paper == "low" else "ready, paper ok"
        return self.problem

    def to_dict(self) -> dict:
        """The status as a JSON-ready dict, with its ``summary``."""
        return {"answered": self.answered, "online": self.online, "cover_open": self.cover_open,
                "paper": self.paper, "error": self.error, "summary": self.summary}
