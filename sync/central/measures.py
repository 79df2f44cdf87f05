"""The kiosks' service measures for the status page, read from ingested events, per terminal and per day.

Sources (both kiosk events, see sync/wire.py):

- ``kiosk.session_ended``: ``done`` [{service, seconds}] -- each document or card in the
  employee's hand, with the seconds from the card on the reader to the end of its print job --
  and ``failures`` [cause] (print_out_of_paper, offline, payment_timed_out, ...);
- ``service.rated``: {service, rating}, anonymous.

Days are China time (Asia/Shanghai, where the kiosks stand), from the event's wall time
(the terminal's clock, central-corrected), else the time central received it::

    >>> percentile([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9)
    90
"""

from __future__ import annotations

import datetime
import json
import math
import statistics
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Asia/Shanghai")
TYPES = ("kiosk.session_ended", "service.rated")
RATINGS = ("satisfied", "neutral", "unsatisfied")


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q`` quantile (0 < q <= 1) of ``values`` (not empty)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def service_measures(storage, *, now: float, days: int = 7) -> list[dict]:
    """Per terminal and day (newest day first, terminals by id), for events received in the last ``days``:

    {"device_id", "day" (YYYY-MM-DD), "services" {service: count}, "done" (int), "median_s" and "p90_s"
    (card to document in hand, seconds, None without any), "failures" {cause: count}, "ratings"
    {satisfied|neutral|unsatisfied: count}}.  Malformed payloads are skipped, never fatal.
    """
    q = storage.engine.sql
    with storage.engine.connection() as c:
        rows = c.execute(q("SELECT device_id, type, payload, wall_time, received_at FROM events "
                           "WHERE type IN (?, ?) AND received_at >= ?"), (*TYPES, now - days * 86400)).fetchall()
    cells: dict[tuple[str, str], dict] = defaultdict(lambda: {"services": Counter(), "seconds": [],
                                                              "failures": Counter(), "ratings": Counter()})
    for device_id, kind, payload, wall, received in rows:
        try:
            body = json.loads(payload)
        except ValueError:
            continue
        if not isinstance(body, dict):
            continue
        day = datetime.datetime.fromtimestamp(wall if wall else received, TIMEZONE).date().isoformat()
        cell = cells[(device_id, day)]
        if kind == "service.rated":
            if body.get("rating") in RATINGS:
                cell["ratings"][body["rating"]] += 1
            continue
        for done in body.get("done") or []:
            if isinstance(done, dict) and isinstance(done.get("service"), str):
                cell["services"][done["service"]] += 1
                seconds = done.get("seconds")
                if isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and 0 <= seconds < 86400:
                    cell["seconds"].append(float(seconds))
        for cause in body.get("failures") or []:
            if isinstance(cause, str) and cause:
                cell["failures"][cause[:40]] += 1
    out = []
    for (device_id, day), cell in cells.items():
        if not (cell["services"] or cell["failures"] or cell["ratings"]):
            continue                  # visits that only looked at the menu are not services
        secs = cell["seconds"]
        out.append({"device_id": device_id, "day": day, "services": dict(cell["services"]),
                    "done": sum(cell["services"].values()),
                    "median_s": statistics.median(secs) if secs else None,
                    "p90_s": percentile(secs, 0.9) if secs else None,
                    "failures": dict(cell["failures"]), "ratings": {r: cell["ratings"].get(r, 0) for r in RATINGS}})
    return sorted(sorted(out, key=lambda r: r["device_id"]), key=lambda r: r["day"], reverse=True)
