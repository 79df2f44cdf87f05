"""Structured logging: one JSON object per line on stdout, personal data masked.

>>> from terminal.logs import get_logger, setup_logging
>>> setup_logging("info")                                   # doctest: +SKIP
>>> log = get_logger("kiosk.flow")
>>> log.info("kiosk.card_read", id_number="11010519491231002X")   # doctest: +SKIP
{"ts": "...", "level": "info", "logger": "kiosk.flow", "event": "kiosk.card_read", "id_number": "1101**********002X"}

The mask runs in a filter on the handler, so it covers every logger that
propagates to the root - ours and third-party ones alike.
"""

from __future__ import annotations

import json
import logging
import sys
import time
import traceback
from typing import Any

from terminal.pii import mask_field, mask_text

_RESERVED = {"ts", "level", "logger", "event"}


class EventLogger:
    """A logger whose calls are an event name plus keyword fields."""

    def __init__(self, logger: logging.Logger):
        self.logger = logger
        self.name = logger.name

    def _log(self, level: int, event: str, fields: dict[str, Any], exc_info=None) -> None:
        if self.logger.isEnabledFor(level):
            self.logger.log(level, event, extra={"fields": fields}, exc_info=exc_info, stacklevel=3)

    def debug(self, event: str, **fields: Any) -> None:
        """Log ``event`` (a dotted name, e.g. ``sync.batch_sent``) at DEBUG with ``fields`` as JSON keys."""
        self._log(logging.DEBUG, event, fields)

    def info(self, event: str, **fields: Any) -> None:
        """Log ``event`` at INFO with ``fields`` (masked by the handler's filter); returns None."""
        self._log(logging.INFO, event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        """Log ``event`` at WARNING with ``fields``; returns None."""
        self._log(logging.WARNING, event, fields)

    def error(self, event: str, **fields: Any) -> None:
        """Log ``event`` at ERROR with ``fields``; returns None."""
        self._log(logging.ERROR, event, fields)

    def critical(self, event: str, **fields: Any) -> None:
        """Log ``event`` at CRITICAL with ``fields``; returns None."""
        self._log(logging.CRITICAL, event, fields)

    def exception(self, event: str, **fields: Any) -> None:
        """Log ``event`` at ERROR with ``fields`` and the exception being handled (its traceback is masked too)."""
        self._log(logging.ERROR, event, fields, exc_info=True)


def get_logger(name: str) -> EventLogger:
    """The :class:`EventLogger` for ``name`` (a dotted module or area name, e.g. ``__name__``)."""
    return EventLogger(logging.getLogger(name))


class MaskPersonalData(logging.Filter):
    """Rewrites every record so that no ID number, phone or name leaves unmasked."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask ID numbers, phones and names in the record's fields, message and traceback; always True."""
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: mask_field(k, v) for k, v in fields.items()}
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format in a third-party call must not lose the line
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = mask_text(str(message)), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = mask_text("".join(traceback.format_exception(*record.exc_info)))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        return True


class JsonLines(logging.Formatter):
    """Formats a record as one JSON object: ts (UTC, ms), level, logger, event, then the event's fields."""
    def format(self, record: logging.LogRecord) -> str:
        """The JSON line for ``record`` (no newline); a field named like a reserved key becomes ``field_<key>``."""
        line: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in (getattr(record, "fields", None) or {}).items():
            line[f"field_{key}" if key in _RESERVED else key] = value
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def setup_logging(level: str = "info", stream=None) -> logging.Handler:
    """Send every logger's records, masked, as JSON lines to ``stream`` (default stdout).

    ``level`` is debug, info, warning, error or critical (case-insensitive).
    Replaces a handler an earlier call installed, so calling it twice does not
    duplicate lines.  Returns the installed handler; raises ValueError for an
    unknown level name.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_service_terminals", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler._service_terminals = True  # type: ignore[attr-defined]
    handler.addFilter(MaskPersonalData())
    handler.setFormatter(JsonLines())
    root.addHandler(handler)
    root.setLevel(level.upper())
    logging.captureWarnings(True)
    return handler
