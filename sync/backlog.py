"""What the outbox holds, and the full policy that keeps it inside its budget.

Policy, in order (Greengrass's OverwriteOldestData, but only for what may be
lost): telemetry and diagnostics (priority >= telemetry) expire after
``telemetry_ttl_s`` on the monotonic or central-corrected clock, are capped at
``telemetry_max_events`` and are dropped oldest-first while the outbox is over
``disk_budget_mb``.  Audit and transaction events are never dropped: if they
alone fill the disk, ``outbox.record`` refuses the *new* business transaction
with a clear error, so nothing acknowledged to a person is ever lost.
Every drop is counted in the state and logged; an alert is logged once each
time the outbox crosses ``disk_alert_percent`` of the budget.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sync import wire
from sync.clock import SystemClock, age_s
from sync.state import get_state, set_state
from terminal.logs import get_logger

log = get_logger(__name__)

DROPPABLE = wire.PRIORITY_TELEMETRY  # this priority and above may be dropped
CHUNK = 5000                          # rows per deleting transaction


@dataclass
class OutboxBacklog:
    """What the outbox holds: ``depth`` events, ``bytes`` of payload, the oldest's age in seconds (None: unknown).

    ``by_priority`` maps a wire priority to its number of events.
    """
    depth: int
    bytes: int
    oldest_age_s: float | None
    by_priority: dict[int, int]

    def wire(self) -> dict:
        """The backlog as sent to central in each batch: {"depth", "bytes", "oldest_age_s"} (age rounded to ms)."""
        age = None if self.oldest_age_s is None else round(self.oldest_age_s, 3)
        return {"depth": self.depth, "bytes": self.bytes, "oldest_age_s": age}


def measure(conn: sqlite3.Connection, clock: SystemClock, offset_s: float | None) -> OutboxBacklog:
    """Measure the outbox in ``conn`` now: an :class:`OutboxBacklog`.

    ``clock`` gives the device's clocks; ``offset_s`` is central's time minus
    the device's (seconds; None when unknown), used to age events stamped
    before a boot.  Raises sqlite3.Error when the store cannot be read.
    """
    by_priority = dict(conn.execute("SELECT priority, COUNT(*) FROM sync_outbox GROUP BY priority"))
    total_bytes = conn.execute("SELECT COALESCE(SUM(size), 0) FROM sync_outbox").fetchone()[0]
    row = conn.execute("SELECT mono_ns, boot_id, ref_time FROM sync_outbox ORDER BY seq LIMIT 1").fetchone()
    age = None
    if row:
        age = age_s({"mono_ns": row[0], "boot_id": row[1], "ref_time": row[2]}, now_wall=clock.wall(),
                    now_mono_ns=clock.mono_ns(), now_boot_id=clock.boot_id(), offset_s=offset_s,
                    now_synced=clock.synced())
    return OutboxBacklog(sum(by_priority.values()), total_bytes, age, by_priority)


def enforce(store, settings, clock: SystemClock) -> dict:
    """Apply TTL, cap and budget; return what was dropped and the budget use.

    Deletions run in chunks of ``CHUNK`` rows, each its own short transaction,
    so a kiosk transaction never waits long for the write lock and memory
    stays flat even when a lowered cap drops most of a huge backlog.
    """
    conn = store.conn
    dropped = {"ttl": 0, "cap": 0, "budget": 0}
    offset = get_state(conn, "clock_offset")
    ttl_ns = int(settings.telemetry_ttl_s * 1e9)
    dropped["ttl"] += _chunked(store, "priority >= ? AND boot_id = ? AND mono_ns < ?",
                               (DROPPABLE, clock.boot_id(), clock.mono_ns() - ttl_ns))
    if offset is not None or clock.synced():
        central_now = clock.wall() + (offset or 0.0)
        dropped["ttl"] += _chunked(store, "priority >= ? AND boot_id != ? AND ref_time IS NOT NULL AND ref_time < ?",
                                   (DROPPABLE, clock.boot_id(), central_now - settings.telemetry_ttl_s))
    count = conn.execute("SELECT COUNT(*) FROM sync_outbox WHERE priority >= ?", (DROPPABLE,)).fetchone()[0]
    excess = count - settings.telemetry_max_events
    while excess > 0:
        with store.write():
            freed, _ = _drop_oldest(conn, min(excess, CHUNK))
        if not freed:
            break
        dropped["cap"] += freed
        excess -= freed
    budget = settings.disk_budget_mb * 1024 * 1024
    used = _used_bytes(conn)
    while used > budget:
        with store.write():
            freed, freed_bytes = _drop_oldest(conn, 1000)
        if not freed:
            break
        dropped["budget"] += freed
        used -= freed_bytes  # not a fresh SUM over the whole outbox per chunk
    percent = 100.0 * used / budget
    alert = percent >= settings.disk_alert_percent
    with store.write():
        was = get_state(conn, "disk_alert", False)
        if alert != was:
            set_state(conn, "disk_alert", alert)
        if any(dropped.values()):
            totals = get_state(conn, "dropped", {"ttl": 0, "cap": 0, "budget": 0})
            for k, v in dropped.items():
                totals[k] = totals.get(k, 0) + v
            set_state(conn, "dropped", totals)
    if any(dropped.values()):
        log.warning("sync.telemetry_dropped", **dropped, policy="drop oldest telemetry; audit and "
                    "transactions are kept")
    if alert and not was:
        log.critical("sync.disk_budget_alert", used_bytes=used, budget_bytes=budget, percent=round(percent, 1),
                     action="central has not taken events for a while; check the network and "
                            "'terminal sync status'")
    elif was and not alert:
        log.info("sync.disk_budget_ok", used_bytes=used, budget_bytes=budget, percent=round(percent, 1))
    return {"dropped": dropped, "used_bytes": used, "budget_bytes": budget, "percent": percent,
            "alert": alert}


def _chunked(store, where: str, args: tuple) -> int:
    total = 0
    while True:
        with store.write():
            n = store.conn.execute(f"DELETE FROM sync_outbox WHERE seq IN (SELECT seq FROM sync_outbox "
                                   f"WHERE {where} ORDER BY seq LIMIT {CHUNK})", args).rowcount
        total += n
        if n < CHUNK:
            return total


def _drop_oldest(conn: sqlite3.Connection, n: int) -> tuple[int, int]:
    """Drop the ``n`` oldest droppable events; (how many, their bytes)."""
    sizes = conn.execute(
        "DELETE FROM sync_outbox WHERE seq IN (SELECT seq FROM sync_outbox WHERE priority >= ? "
        "ORDER BY seq LIMIT ?) RETURNING size", (DROPPABLE, n)).fetchall()
    return len(sizes), sum(size for (size,) in sizes)


def _used_bytes(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT (SELECT COALESCE(SUM(size), 0) FROM sync_outbox)"
                        " + (SELECT COALESCE(SUM(size), 0) FROM sync_dead_letters)").fetchone()[0]
