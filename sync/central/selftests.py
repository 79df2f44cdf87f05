"""Each terminal's latest ``selftest.result`` (the technician's last step on site), for the status page.

Kept in its own small table (created with central's others: storage._ddl), updated in the ingest
transaction, so the status page reads one row per
terminal instead of searching the event log::

    selftests (device_id PK, seq, ok, passed, failed, failing JSON [{"device", "summary"}],
               software, wall_time, received_at)

The newest by the terminal's ``seq`` wins, so a result delivered late never hides a newer one.
"""

from __future__ import annotations

import json

DDL = [
    """CREATE TABLE IF NOT EXISTS selftests (
        device_id TEXT PRIMARY KEY, seq BIGINT NOT NULL, ok INTEGER NOT NULL, passed INTEGER NOT NULL,
        failed INTEGER NOT NULL, failing TEXT NOT NULL, software TEXT, wall_time DOUBLE PRECISION,
        received_at DOUBLE PRECISION NOT NULL)""",
]
TYPE = "selftest.result"


def record_selftests(storage, c, device_id: str, events: list[tuple[int, str, str, float | None]]) -> None:
    """Keep ``device_id``'s newest selftest from newly stored events (seq, type, payload JSON, wall time).

    Runs in the ingest transaction ``c``; payloads were checked against the wire schema already.
    """
    wanted = [(seq, json.loads(payload), wall) for seq, t, payload, wall in events if t == TYPE]
    if not wanted:
        return
    q = storage.engine.sql
    seq, payload, wall = max(wanted, key=lambda w: w[0])
    failing = [{"device": r["device"], "summary": r["summary"]} for r in payload["results"] if not r["ok"]]
    passed = payload.get("passed", sum(r["ok"] for r in payload["results"]))
    c.execute(q(
        "INSERT INTO selftests (device_id, seq, ok, passed, failed, failing, software, wall_time, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET seq = excluded.seq, "
        "ok = excluded.ok, passed = excluded.passed, failed = excluded.failed, failing = excluded.failing, "
        "software = excluded.software, wall_time = excluded.wall_time, received_at = excluded.received_at "
        "WHERE selftests.seq < excluded.seq"),
        (device_id, seq, int(bool(payload["ok"])), int(passed), len(failing), json.dumps(failing, ensure_ascii=False),
         payload.get("software"), wall, storage.now()))


def latest_selftests(storage) -> dict[str, dict]:
    """{device_id: {"ok", "passed", "failed", "failing": [{"device", "summary"}], "software", "wall_time",
    "received_at"}} for every terminal that has sent a selftest (times in unix seconds)."""
    with storage.engine.connection() as c:
        rows = c.execute("SELECT device_id, ok, passed, failed, failing, software, wall_time, received_at "
                         "FROM selftests").fetchall()
    return {r[0]: {"ok": bool(r[1]), "passed": r[2], "failed": r[3], "failing": json.loads(r[4]),
                   "software": r[5], "wall_time": r[6], "received_at": r[7]} for r in rows}
