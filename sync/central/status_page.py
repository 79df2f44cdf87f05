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


# -- service measures: small inline SVG charts (no script, no external file) -------------------------

SERVICE_NAMES = {"cert_employment": "employment cert.", "cert_income": "income cert.",
                 "cert_social_insurance": "social ins. cert.", "badge_first": "first badge",
                 "badge_replacement": "replacement badge"}
FAILURE_NAMES = {"print_out_of_paper": "out of paper", "print_jam": "paper jam", "print_cover_open": "cover open",
                 "print_offline": "printer offline", "print_timeout": "printer too slow",
                 "print_other": "printer error", "offline": "central offline", "busy": "central busy",
                 "no_data": "no data at central", "not_enrolled": "not enrolled", "refused": "badge refused",
                 "limit": "yearly limit", "payment_timed_out": "payment timed out",
                 "payment_cancelled": "payment cancelled", "error": "other error"}
RATING_COLOURS = (("satisfied", "#2e7d32"), ("neutral", "#9e9e9e"), ("unsatisfied", "#c62828"))
TIME_TARGET_S = 120          # the issue: a verified employee leaves within two minutes


def _bars(counts: dict, colour: str, names: dict | None = None, width: int = 240) -> str:
    """Horizontal bars, one per key (largest first), with the label and count."""
    if not counts:
        return '<span class="none">none</span>'
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top, row, label_w = max(counts.values()), 16, 120
    parts = []
    for i, (key, n) in enumerate(items):
        y = i * row
        w = max(2, round((width - label_w - 30) * n / top))
        label = html.escape((names or {}).get(key, key))
        parts.append(f'<text x="0" y="{y + 12}">{label}</text><rect x="{label_w}" y="{y + 3}" width="{w}" '
                     f'height="11" fill="{colour}"/><text x="{label_w + w + 4}" y="{y + 12}">{n}</text>')
    return (f'<svg class="chart" width="{width}" height="{row * len(items)}" role="img" '
            f'aria-label="{html.escape(", ".join(f"{k} {v}" for k, v in items))}">' + "".join(parts) + "</svg>")


def _times(median_s: float | None, p90_s: float | None, width: int = 230) -> str:
    """Median and p90 (card to document in hand) as two bars against the 2-minute target line."""
    if median_s is None:
        return '<span class="none">none</span>'
    scale = max(TIME_TARGET_S * 1.25, p90_s or 0)
    x = lambda s: round(50 + (width - 95) * s / scale)                        # noqa: E731
    # a value's words go right of the target line when they would cross it
    at = lambda s: x(s) + 4 if x(s) > x(TIME_TARGET_S) or x(s) + 40 < x(TIME_TARGET_S) else x(TIME_TARGET_S) + 4  # noqa: E731
    over = "#c62828" if (p90_s or 0) > TIME_TARGET_S else "#1f5f8b"
    return (f'<svg class="chart" width="{width}" height="36" role="img" aria-label="median {median_s:.0f} s, '
            f'p90 {p90_s:.0f} s">'
            f'<text x="0" y="12">median</text><rect x="50" y="3" width="{x(median_s) - 50}" height="11" '
            f'fill="#1f5f8b"/><text x="{at(median_s)}" y="12">{median_s:.0f} s</text>'
            f'<text x="0" y="30">p90</text><rect x="50" y="21" width="{x(p90_s) - 50}" height="11" fill="{over}"/>'
            f'<text x="{at(p90_s)}" y="30">{p90_s:.0f} s</text>'
            f'<line x1="{x(TIME_TARGET_S)}" y1="0" x2="{x(TIME_TARGET_S)}" y2="36" stroke="#555" '
            f'stroke-dasharray="2,2"><title>2 min target</title></line></svg>')


def _ratings(ratings: dict, width: int = 200) -> str:
    """The rating shares as one stacked bar (green satisfied, grey neutral, red not satisfied)."""
    total = sum(ratings.values())
    if not total:
        return '<span class="none">no ratings</span>'
    x, parts = 0.0, []
    for key, colour in RATING_COLOURS:
        w = width * ratings.get(key, 0) / total
        if w:
            parts.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="14" fill="{colour}">'
                         f'<title>{key} {ratings[key]}</title></rect>')
        x += w
    shares = " / ".join(f"{100 * ratings.get(k, 0) / total:.0f}%" for k, _ in RATING_COLOURS)
    return (f'<svg class="chart" width="{width}" height="14" role="img" aria-label="satisfied / neutral / '
            f'not satisfied {shares}">' + "".join(parts) + f'</svg><small>{shares} of {total}</small>')


def render_measures(rows: list[dict]) -> str:
    """The service measures table (``sync.central.measures.service_measures`` rows), or a line saying none."""
    if not rows:
        return '<h2>Services</h2><p class="none">No kiosk service in the last 7 days.</p>'
    body = "\n".join(
        f'<tr><td>{html.escape(r["device_id"])}</td><td>{html.escape(r["day"])}</td>'
        f'<td>{r["done"]}<br>{_bars(r["services"], "#1f5f8b", SERVICE_NAMES)}</td>'
        f'<td>{_times(r["median_s"], r["p90_s"])}</td><td>{_bars(r["failures"], "#c62828", FAILURE_NAMES)}</td>'
        f'<td>{_ratings(r["ratings"])}</td></tr>' for r in rows)
    return ("<h2>Services</h2><p>Per terminal and day (China time), the last 7 days: documents and cards "
            "handed out by kind, time from the card on the reader to the document in hand (dashed line: the "
            "2-minute target), failures by cause, and the one-tap ratings (anonymous).</p>"
            '<table class="measures"><thead><tr><th>terminal</th><th>day</th><th>services done</th>'
            "<th>card to document</th><th>failures</th><th>ratings</th></tr></thead><tbody>"
            f"{body}</tbody></table>")


def render_status(terminals: list[dict], *, now: float | None = None, engine: str = "",
                  failed_auth: dict | None = None, measures: list[dict] | None = None) -> str:
    """The HTML page for ``terminals`` (:meth:`Storage.terminals`), ages counted from ``now`` (unix s).

    ``failed_auth`` is :meth:`sync.central.signals.FailedAuthCounter.summary` (shown apart);
    ``measures`` the kiosks' service measures (:func:`sync.central.measures.service_measures`; None: not shown).
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
table.measures td {{ vertical-align: top; }}
svg.chart {{ font: 11px system-ui, sans-serif; display: block; margin-top: .2em; overflow: visible; }}
.none {{ color: #777; }}
</style></head><body>
<h1>Terminals</h1>
<p>{len(terminals)} enrolled &middot; central clock {html.escape(stamp)} &middot; storage {html.escape(engine)}
&middot; refreshes every 10 s &middot; JSON at <a href="/v1/status">/v1/status</a></p>
{_failed_auth(failed_auth, now)}
<table><thead><tr><th>terminal</th><th>last seen</th><th>backlog reported</th><th>clock offset</th>
<th>events</th><th>seq gaps</th><th>last error</th><th>latest selftest</th></tr></thead>
<tbody>
{table}
</tbody></table>
{"" if measures is None else render_measures(measures)}
</body></html>
"""
