"""The last log lines, masked, for the technician screen.

A logging handler keeps the newest :data:`SIZE` records as one masked line
each (the same mask as journald's: terminal.logs.MaskPersonalData), in
memory only.

>>> import logging; install(); logging.getLogger("kiosk.x").error("phone 13800138000")
>>> recent_lines()[-1].endswith("phone 138****8000")
True
"""

from __future__ import annotations

import logging
from collections import deque

from terminal.logs import MaskPersonalData

SIZE = 50
_lines: deque = deque(maxlen=SIZE)


class _Ring(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields = getattr(record, "fields", None) or {}
            extra = " ".join(f"{k}={v}" for k, v in fields.items())
            _lines.append(f"{record.levelname.lower()} {record.name}: {record.getMessage()}"
                          + (f" {extra}" if extra else ""))
        except Exception:
            pass


_handler: _Ring | None = None


def install() -> None:
    """Attach the ring to the root logger once (idempotent); records are masked before they are kept.

    It keeps what the root logger's level lets through (terminal.logs.setup_logging sets it)."""
    global _handler
    if _handler is None:
        _handler = _Ring(logging.INFO)
        _handler.addFilter(MaskPersonalData())
        logging.getLogger().addHandler(_handler)


def recent_lines(n: int = 20) -> list[str]:
    """The newest ``n`` masked lines, oldest first."""
    return list(_lines)[-n:]
