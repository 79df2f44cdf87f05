"""The ``/status`` page: one row per terminal, worst news first, refreshing itself.

    >>> html = render_status([], now=0.0, engine="sqlite")
    >>> "No terminal has enrolled yet" in html
    True
"""

from __future__ import annotations

import html
import time

STALE_AFTER_S = 15 * 60       # a terminal silent this long is flagged
SKEW_WARN_S = 30.0            # a device clock this far off is flagged


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    seconds = max(0.0, seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit} ago"
    return f"{seconds:.0f} s ago"


def _row(t: dict, now: float) -> tuple[int, str]:
    seen_age = None if t["last_seen"] is None else now - t["last_seen"]
    problems = []
    if seen_age is None or seen_age > STALE_AFTER_S:
        problems.append("silent")
    offset = t["clock_offset_s"]
    if offset is not None and abs(offset) > SKEW_WARN_S:
        problems.append("clock")
    # An error the terminal has forwarded successfully since (e.g. the clock_skew 401 of every
    # RTC-less boot) stays visible but no longer flags the row.
    recovered = bool(t["last_error"]) and t["last_seen"] is not None and t["last_error_at"] is not None \
        and t["last_seen"] > t["last_error_at"]
    if t["last_error"] and not recovered:
        problems.append("error")
    backlog = t["backlog"]
    backlog_text = "-" if backlog is None else (
        f"{backlog['depth']} events, {backlog['bytes'] / 1e6:.1f} MB, oldest "
        + ("unknown" if backlog["oldest_age_s"] is None else f"{backlog['oldest_age_s']:.0f} s"))
    offset_text = "-" if offset is None else f"{offset:+.1f} s" + ("" if t["clock_synced"] else " (not NTP-synced)")
    error_text = "-" if not t["last_error"] else (f"{t['last_error']} ({_age(now - (t['last_error_at'] or now))}"
                                                  + ("; recovered since)" if recovered else ")"))
    selftest = t.get("selftest")
    if selftest is not None and not selftest["ok"]:
        problems.append("selftest")
    cells = [t["device_id"], _age(seen_age), backlog_text, offset_text, str(t["events_total"]),
             str(t["seq_gaps"]), error_text, _selftest_text(selftest, now)]
    css = "bad" if problems else "ok"
    body = "".join(f"<td>{html.escape(c)}</td>" for c in cells)
    return len(problems), f'<tr class="{css}">{body}</tr>'


def _selftest_text(s: dict | None, now: float) -> str:
    """The latest selftest in one cell: PASS or FAIL with the failing checks, and when central got it."""
    if s is None:
        return "none yet"
    when = _age(now - s["received_at"])
    total = s["passed"] + s["failed"]
    if s["ok"]:
        return f"PASS {s['passed']}/{total} ({when})"
    failing = "; ".join(f"{f['device']}: {f['summary']}" for f in s["failing"])
    return f"FAIL {s['failed']} of {total} ({when}): {failing}"


def _failed_auth(summary: dict | None, now: float) -> str:
    if not summary or not summary["total"]:
        return ""
    kinds = ", ".join(f"{html.escape(k)} {v}" for k, v in sorted(summary["by_error"].items()))
    latest = summary["recent"][0] if summary["recent"] else None
    last = "" if latest is None else (
        f"; latest from {html.escape(str(latest['client'] or '-'))}"
        + (f" naming {html.escape(latest['claimed_device_id'])}" if latest["claimed_device_id"] else "")
        + f" {_age(now - latest['last_at'])}")
    return (f'<p class="auth">{summary["total"]} refused authentication attempt(s) since central started '
            f"({kinds}){last}. They change no terminal's row.</p>")


def render_status(terminals: list[dict], *, now: float | None = None, engine: str = "",
                  failed_auth: dict | None = None) -> str:
    """The HTML page for ``terminals`` (:meth:`Storage.terminals`), ages counted from ``now`` (unix s).

    ``failed_auth`` is :meth:`sync.central.signals.FailedAuthCounter.summary` (shown apart).
    """
    now = time.time() if now is None else now
    rows = sorted((_row(t, now) for t in terminals), key=lambda r: -r[0])
    table = "\n".join(r[1] for r in rows) or '<tr><td colspan="8">No terminal has enrolled yet.</td></tr>'
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="10">
<title>Terminals - central status</title>
<style>
body {{ font: 14px system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .35em .6em; border-bottom: 1px solid #ddd; }}
tr.bad td:first-child {{ border-left: 4px solid #c62828; }}
tr.ok td:first-child {{ border-left: 4px solid #2e7d32; }}
</style></head><body>
<h1>Terminals</h1>
<p>{len(terminals)} enrolled &middot; central clock {html.escape(stamp)} &middot; storage {html.escape(engine)}
&middot; refreshes every 10 s &middot; JSON at <a href="/v1/status">/v1/status</a></p>
{_failed_auth(failed_auth, now)}
<table><thead><tr><th>terminal</th><th>last seen</th><th>backlog reported</th><th>clock offset</th>
<th>events</th><th>seq gaps</th><th>last error</th><th>latest selftest</th></tr></thead>
<tbody>
{table}
</tbody></table></body></html>
"""
