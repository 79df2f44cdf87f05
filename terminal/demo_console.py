"""The demo's console: one readable line per event, instead of the services' JSON.

Each demo service logs JSON lines (what journald wants).  When the demo runs
on a terminal, their output is read line by line and each JSON event is
shown as ``time  role  what happened  key=value ...``; a line that is not
JSON (a traceback, a library's print) is shown as is, after the role.  Under
journald or a pipe the JSON passes through untouched.

>>> readable('{"ts": "2026-11-30T14:02:11.120Z", "level": "info", "logger": "sync.forwarder", '
...          '"event": "sync.batch_sent", "count": 3, "to": "138****1234"}', "sync-kiosk")
'14:02:11  sync-kiosk        batch sent: count=3 to=138****1234'
>>> readable('{"ts": "2026-11-30T14:02:12.000Z", "level": "error", "logger": "kiosk.flow", '
...          '"event": "kiosk.flow_error", "error": "KeyError"}', "kiosk")
'14:02:12  kiosk             ERROR flow error: error=KeyError'
>>> readable("Traceback (most recent call last):", "central")
'          central           Traceback (most recent call last):'
"""

from __future__ import annotations

import json
import logging
import threading
from typing import IO

ROLE_WIDTH = 16


def _what(event: str) -> str:
    """``sync.batch_sent`` -> ``batch sent`` (the area is the role already)."""
    return event.rpartition(".")[2].replace("_", " ") or event


def _value(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return f'"{text}"' if (" " in text and isinstance(value, str)) else text


def readable(line: str, role: str) -> str:
    """One console line for a service's output ``line`` (a JSON log event, or anything else)."""
    line = line.rstrip("\n")
    try:
        event = json.loads(line)
    except ValueError:
        event = None
    if not isinstance(event, dict) or "event" not in event:
        return f"{'':8}  {role:<{ROLE_WIDTH}}  {line}"
    clock = str(event.get("ts", ""))[11:19]
    level = str(event.get("level", "info")).lower()
    mark = "" if level in ("info", "debug") else f"{level.upper()} "
    fields = " ".join(f"{k}={_value(v)}" for k, v in event.items() if k not in ("ts", "level", "logger", "event"))
    return f"{clock:<8}  {role:<{ROLE_WIDTH}}  {mark}{_what(str(event['event']))}{': ' + fields if fields else ''}"


class ReadableLines(logging.Formatter):
    """The demo's own log records, as :func:`readable` shows the services' (role ``demo``)."""

    def __init__(self, base: logging.Formatter):
        super().__init__()
        self.base = base

    def format(self, record: logging.LogRecord) -> str:
        """The record as one readable line (role, what happened) instead of JSON."""
        return readable(self.base.format(record), "demo")


def relay(stream: IO[bytes], role: str, out: IO[str]) -> threading.Thread:
    """Start a daemon thread copying ``stream`` (a child's stdout) to ``out``, one readable line per line."""
    def run() -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                out.write(readable(raw.decode("utf-8", "replace"), role) + "\n")
                out.flush()

    thread = threading.Thread(target=run, name=f"demo-console-{role}", daemon=True)
    thread.start()
    return thread
