"""Damaged stores moved aside, found again from the file system.

A quarantine is a rename: it needs no free space, so it works on a full disk
where writing a record of it into the fresh database may not.  The renamed
file itself is therefore the record that survives; :func:`siblings` finds it
and :func:`peek` says, read-only, what it still holds::

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "terminal.db.corrupt-20261130T141950").write_bytes(b"junk")
    >>> [p.name for p in siblings(d / "terminal.db")]
    ['terminal.db.corrupt-20261130T141950']
    >>> peek(d / "terminal.db.corrupt-20261130T141950")["readable"]
    False
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

from sync.store_faults import glob_escape

_STAMP = re.compile(r"\.corrupt-(\d{8}T\d{6})(-\d+)?\Z", re.ASCII)


def siblings(path: Path) -> list[Path]:
    """Files named ``<path>.corrupt-<time>[-n]`` beside the store, oldest first (not their -wal/-shm)."""
    found = [p for p in path.parent.glob(f"{glob_escape(path.name)}.corrupt-*")
             if _STAMP.search(p.name) and p.name.startswith(path.name)]
    return sorted(found, key=lambda p: p.name)


def moved_at(sibling: Path) -> str:
    """The UTC time in the name, as ISO 8601 (the time of the quarantine)."""
    m = _STAMP.search(sibling.name)
    if not m:
        return ""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.strptime(m.group(1), "%Y%m%dT%H%M%S"))


def peek(sibling: Path) -> dict:
    """What a moved-aside store holds, read without changing it.

    Returns ``{"readable", "quick_check", "unsent_events", "enrolled", "device_id",
    "signing_key"}``; a file SQLite cannot read gives ``readable: False`` and the reason.
    Secrets are only reported as present, never shown.
    """
    info: dict = {"readable": False, "quick_check": None, "unsent_events": None, "enrolled": None,
                  "device_id": None, "signing_key": None}
    try:
        conn = sqlite3.connect(f"{sibling.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        info["quick_check"] = str(exc)
        return info
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
        info["quick_check"] = "; ".join(rows[:3])
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        info["readable"] = True
        if "sync_outbox" in tables:
            info["unsent_events"] = conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0]
        if "sync_state" in tables:
            keys = {k: v for k, v in conn.execute(
                "SELECT key, value FROM sync_state WHERE key IN ('secret', 'device_id', 'terminal_ed25519')")}
            info["enrolled"] = "secret" in keys
            info["device_id"] = (keys.get("device_id") or "").strip('"') or None
            info["signing_key"] = "terminal_ed25519" in keys
    except sqlite3.Error as exc:
        info["quick_check"] = info["quick_check"] or str(exc)
    finally:
        conn.close()
    return info


def summary(info: dict) -> str:
    """One line: 'passes quick_check; holds 5 unsent events, the enrolment (KSK-1), the signing key'."""
    if not info["readable"]:
        return f"unreadable ({info['quick_check']})"
    check = "passes quick_check" if info["quick_check"] == "ok" else f"fails quick_check ({info['quick_check']})"
    held = []
    if info["unsent_events"]:
        held.append(f"{info['unsent_events']} unsent events")
    if info["enrolled"]:
        held.append(f"the enrolment with central ({info['device_id'] or 'device id unknown'})")
    if info["signing_key"]:
        held.append("the signing key")
    return f"{check}; holds " + (", ".join(held) if held else "no events and no enrolment")


def report_lines(events: list[dict], *, enrolled: bool | None) -> list[str]:
    """The loud lines ``store check``, ``sync status`` and ``selftest`` print for quarantines."""
    lines = []
    for q in events:
        lines.append(f"QUARANTINED   {q['at']}: {q['original']} moved to {q['moved_to']} ({q['reason']})")
        holds = q.get("holds")
        lines.append(f"              that file {summary(holds) if holds else 'is no longer there'}")
        if enrolled is False and holds and holds["readable"] and (holds["enrolled"] or holds["unsent_events"]):
            lines.append(f"              THIS STORE IS NOT ENROLLED, and that file holds what it lost. Recover it: "
                         f"stop terminal-sync, then 'terminal store restore {q['moved_to']}'")
    if events:
        lines.append("              when dealt with: 'terminal store acknowledge' (the files are kept)")
    return lines
