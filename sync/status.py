"""What ``terminal sync status`` reports: read-only, from the store alone (works with central down)."""

from __future__ import annotations

import time

from sync import backlog as backlog_mod
from sync import wire
from sync.clock import SystemClock
from sync.quarantine import report_lines
from sync.state import all_state

PRIORITY_NAMES = {wire.PRIORITY_AUDIT: "audit", wire.PRIORITY_TRANSACTION: "transaction",
                  wire.PRIORITY_TELEMETRY: "telemetry", wire.PRIORITY_DIAGNOSTIC: "diagnostic"}


def collect(store, cfg, clock: SystemClock | None = None) -> dict:
    """What ``terminal sync status`` shows, as a dict: enrolment, backlog, last success and error, clock offset.

    ``store`` is the open sync.store.Store, ``cfg`` the terminal's Config;
    ``clock`` is for tests.  Raises sqlite3.Error when the store cannot be read.
    """
    clock = clock or SystemClock()
    conn = store.conn
    state = all_state(conn)
    offset = state.get("clock_offset")
    b = backlog_mod.measure(conn, clock, offset)
    dead = conn.execute("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM sync_dead_letters").fetchone()
    budget = cfg.sync.disk_budget_mb * 1024 * 1024
    used = b.bytes + dead[1]
    health = store.health()
    central_now = clock.wall() + (offset or 0.0)
    last_success = state.get("last_success")
    if last_success:
        last_success = {**last_success, "age_s": round(central_now - last_success.get("central_time", 0), 1)}
    return {
        "device_id": state.get("device_id") or cfg.device_id,
        "enrolled": bool(state.get("secret")),
        "central_url": state.get("central_url"),
        "backlog": {**b.wire(), "by_priority": {PRIORITY_NAMES.get(p, str(p)): n for p, n in b.by_priority.items()}},
        "last_success": last_success,
        "last_error": state.get("last_error"),
        "dead_letters": dead[0],
        "dropped_telemetry": state.get("dropped", {"ttl": 0, "cap": 0, "budget": 0}),
        "forwarded_total": state.get("forwarded_total", 0),
        "clock_offset_s": None if offset is None else round(offset, 3),
        "clock_synced": clock.synced(),
        "disk": {"used_bytes": used, "budget_bytes": budget, "percent": round(100.0 * used / budget, 1),
                 "alert": used >= budget * cfg.sync.disk_alert_percent / 100},
        "reference": {d: {"items": n, "synced_at": at} for d, n, at in conn.execute(
            "SELECT c.dataset, (SELECT COUNT(*) FROM sync_ref_items i WHERE i.dataset = c.dataset), c.synced_at "
            "FROM sync_ref_cursor c ORDER BY c.dataset")},
        "store": {"ok": health["ok"], "path": health["path"], "quarantined": health["quarantined"]},
    }


def _not_enrolled(info: dict) -> str:
    lost = [q for q in info["store"]["quarantined"] if (q.get("holds") or {}).get("enrolled")]
    if lost:
        return f"NOT ENROLLED, but the quarantined {lost[-1]['moved_to']} holds an enrolment (see below)"
    return "NOT ENROLLED (terminal sync enroll --central URL --token T)"


def render(info: dict) -> str:
    """The status ``info`` (from :func:`collect`) as text for a person, one fact per line."""
    def when(at):
        return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(at)) if at else "never"

    b = info["backlog"]
    prio = ", ".join(f"{k} {v}" for k, v in sorted(info["backlog"]["by_priority"].items())) or "empty"
    oldest = "-" if b["oldest_age_s"] is None else f"{b['oldest_age_s']:.0f} s"
    lines = [
        f"device        {info['device_id']}",
        f"central       {info['central_url'] or _not_enrolled(info)}",
        f"backlog       {b['depth']} events, {b['bytes']} bytes, oldest {oldest} ({prio})",
    ]
    ls = info["last_success"]
    lines.append(f"last success  {when(ls['at']) + ' (' + str(ls['age_s']) + ' s ago)' if ls else 'never'}")
    le = info["last_error"]
    recovered = le and ls and ls["at"] >= le["at"]
    lines.append(f"last error    {when(le['at']) + ': ' + le['message'] if le else 'none'}"
                 + (" (recovered since)" if recovered else ""))
    lines.append(f"dead letters  {info['dead_letters']}" + (" (see 'terminal sync dead-letters')"
                                                             if info["dead_letters"] else ""))
    d = info["dropped_telemetry"]
    lines.append(f"dropped       ttl {d.get('ttl', 0)}, cap {d.get('cap', 0)}, budget {d.get('budget', 0)} "
                 f"(telemetry only)")
    off = info["clock_offset_s"]
    lines.append(f"clock offset  {'unknown' if off is None else f'{off:+.3f} s'} (central minus device); "
                 f"NTP synced: {'yes' if info['clock_synced'] else 'no'}")
    disk = info["disk"]
    lines.append(f"disk budget   {disk['used_bytes']} of {disk['budget_bytes']} bytes ({disk['percent']}%)"
                 + ("  ALERT" if disk["alert"] else ""))
    store = info["store"]
    lines.append(f"store         {'OK' if store['ok'] else 'ATTENTION'} {store['path']}")
    lines.extend(report_lines(store["quarantined"], enrolled=info["enrolled"]))
    return "\n".join(lines) + "\n"
