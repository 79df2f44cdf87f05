"""The sync module's tables and its small key-value state (credentials, clock offset, status).

Everything lives in the terminal's one store, so a config file never holds a
secret and a crash never leaves two sources of truth.  Values are JSON.
"""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from sync.store import Migration

MIGRATIONS = [
    Migration("sync", 1, """
CREATE TABLE sync_counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT INTO sync_counter (name, value) VALUES ('seq', 0);
CREATE TABLE sync_outbox (
    seq INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    schema INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    payload TEXT NOT NULL,
    size INTEGER NOT NULL,
    wall_time REAL NOT NULL,
    mono_ns INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    clock_synced INTEGER NOT NULL,
    ref_time REAL
);
CREATE INDEX sync_outbox_order ON sync_outbox (priority, seq);
CREATE TABLE sync_dead_letters (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL,
    key TEXT NOT NULL,
    type TEXT NOT NULL,
    schema INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    payload TEXT NOT NULL,
    size INTEGER NOT NULL,
    wall_time REAL NOT NULL,
    mono_ns INTEGER NOT NULL,
    boot_id TEXT NOT NULL,
    clock_synced INTEGER NOT NULL,
    ref_time REAL,
    code TEXT NOT NULL,
    reason TEXT NOT NULL,
    failed_at REAL NOT NULL
);
CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE sync_ref_items (dataset TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
                             PRIMARY KEY (dataset, id)) WITHOUT ROWID;
CREATE INDEX sync_ref_items_hmac ON sync_ref_items (dataset, json_extract(data, '$.id_hmac'));
CREATE TABLE sync_ref_stage (dataset TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
                             PRIMARY KEY (dataset, id)) WITHOUT ROWID;
CREATE TABLE sync_ref_cursor (
    dataset TEXT PRIMARY KEY,
    cursor TEXT,
    stage_cursor TEXT,
    staging INTEGER NOT NULL DEFAULT 0,
    synced_at REAL,
    full_resyncs INTEGER NOT NULL DEFAULT 0
);
""", "outbox, dead letters, sync state and reference-data cache"),
]

# Columns an outbox row and a dead letter share, in one order.
EVENT_COLUMNS = ("seq", "key", "type", "schema", "priority", "payload", "size", "wall_time", "mono_ns",
                 "boot_id", "clock_synced", "ref_time")


def get_state(conn: sqlite3.Connection, key: str, default: Any = None) -> Any:
    """The JSON value kept under ``key`` in sync_state, or ``default`` when it is not there."""
    row = conn.execute("SELECT value FROM sync_state WHERE key = ?", (key,)).fetchone()
    return default if row is None else json.loads(row[0])


def set_state(conn: sqlite3.Connection, key: str, value: Any) -> None:
    """Set one value; call inside a write transaction (or it autocommits alone)."""
    conn.execute("INSERT INTO sync_state (key, value) VALUES (?, ?) "
                 "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, json.dumps(value)))


def all_state(conn: sqlite3.Connection) -> dict[str, Any]:
    """Every key of sync_state with its JSON value, as a dict."""
    return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM sync_state")}


def note_error(conn: sqlite3.Connection, message: str, *, code: str = "") -> None:
    """Remember the last error for ``sync status`` (its own small commit)."""
    set_state(conn, "last_error", {"at": time.time(), "message": message, "code": code})
