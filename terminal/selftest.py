"""``terminal selftest``: every configured device, and the local store, PASS or FAIL.

Lives above drivers/ and sync/ because it checks both (drivers/ never imports sync/).
Exit 0 only when every row passes.  The result is also queued for central as a
``selftest.result`` event (``terminal sync run`` sends it; central's status page
shows each terminal's latest), unless the store itself failed its check.

    >>> from drivers.health import Health
    >>> result_payload([Health("store", True, "ok"), Health("sms", False, "no SIM for 13812345678")], "0.1.0")
    {'ok': False, 'passed': 1, 'failed': 1, 'results': [{'device': 'store', 'ok': True, 'summary': 'ok'}, \
{'device': 'sms', 'ok': False, 'summary': 'no SIM for 138****5678'}], 'software': '0.1.0'}
"""

from __future__ import annotations

import json
import sys

from drivers.health import Health
from terminal.cliopts import example, json_option
from terminal.settings_access import load_for_command

# Devices, the store and the migrations load only when selftest runs, so that every
# other command starts without sqlite-utils (which pulls in numpy) or pyserial.


def register(sub, common) -> None:
    """Add ``terminal selftest [--json]`` to ``sub`` (``common`` gives --config, --log-level)."""
    selftest = sub.add_parser("selftest", parents=[common],
                              help="check every configured device and the local store; exit 0 only when all pass "
                                   "(the result is queued for central)")
    json_option(selftest, help="print the results as JSON")
    example(selftest, "terminal selftest --config /etc/service-terminals/terminal.toml --json")
    selftest.set_defaults(run=_selftest)


def store_health(cfg) -> Health:
    """The store's selftest row for the configuration ``cfg``: a drivers.health.Health, never an exception.

    FAIL when the store cannot be opened, fails quick_check, or holds an
    unacknowledged quarantine (the summary says what to run next).
    """
    from sync.quarantine import summary
    from sync.store import StoreError, open_store
    from sync.store_cli import enrolled, store_path
    from terminal.migrations import all_migrations

    path = store_path(cfg)
    try:
        with open_store(path, all_migrations(), busy_timeout_s=cfg.store.busy_timeout_s) as store:
            health = store.health()
            is_enrolled = enrolled(store.conn)
    except StoreError as exc:
        return Health("store", ok=False, summary=str(exc), details={"path": str(path)})
    if health["quarantined"]:
        q = health["quarantined"][-1]
        held = summary(q["holds"]) if q.get("holds") else "is no longer there"
        action = (f"THIS STORE IS NOT ENROLLED; recover with 'terminal store restore {q['moved_to']}'"
                  if is_enrolled is False and (q.get("holds") or {}).get("enrolled")
                  else "see 'terminal store check'; then 'terminal store acknowledge'")
        return Health("store", ok=False,
                      summary=f"{len(health['quarantined'])} quarantined store(s): {q['moved_to']} {held}; {action}",
                      details={"path": str(path), "quarantined": health["quarantined"], "enrolled": is_enrolled})
    if not health["ok"]:
        return Health("store", ok=False, summary=f"{path}: quick_check says {health['quick_check']}",
                      details={"path": str(path)})
    return Health("store", ok=True, summary=f"{path} ok ({health['size_bytes']} bytes"
                  f"{', enrolled' if is_enrolled else ', not enrolled yet'})",
                  details={"path": str(path), "enrolled": is_enrolled})


SUMMARY_MAX_CHARS = 300   # per row in the event; the full text stays in the technician's output


def result_payload(results: list[Health], software: str) -> dict:
    """The ``selftest.result`` v1 payload for ``results``: counts and one masked row per check (no details)."""
    from terminal.pii import mask_text

    rows = [{"device": r.device, "ok": bool(r.ok), "summary": mask_text(r.summary)[:SUMMARY_MAX_CHARS]}
            for r in results]
    failed = sum(not r["ok"] for r in rows)
    return {"ok": failed == 0, "passed": len(rows) - failed, "failed": failed, "results": rows,
            "software": software}


def queue_result(cfg, results: list[Health]) -> str:
    """Record the ``selftest.result`` event in the store's outbox; one line saying what happened.

    Nothing is written when the store row failed (a quarantined, unreadable or full store is not
    written to); never raises for a store or outbox problem, which the line names instead.
    """
    import sqlite3

    from sync.outbox import OutboxError, record
    from sync.store import StoreError, open_store
    from sync.store_cli import store_path
    from terminal import __version__
    from terminal.migrations import all_migrations

    if not all(r.ok for r in results if r.device == "store"):
        return "selftest result not queued for central: the store failed its check (see the store row)"
    try:
        with open_store(store_path(cfg), all_migrations(), busy_timeout_s=cfg.store.busy_timeout_s) as store:
            with store.write() as db:
                done = record(db, "selftest.result", result_payload(results, __version__))
    except (StoreError, OutboxError, sqlite3.Error) as exc:
        return f"selftest result not queued for central: {exc}"
    return f"selftest result queued for central (outbox seq {done.seq}; terminal sync run sends it)"


def _selftest(args) -> int:
    from drivers.cli import run_selftest

    cfg = load_for_command(args)
    results = run_selftest(cfg) + [store_health(cfg)]
    note = queue_result(cfg, results)
    if args.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        width = max([len(r.device) for r in results] + [6])
        for device, verdict, summary in (r.as_row() for r in results):
            print(f"{device:<{width}}  {verdict:<4}  {summary}")
    print(note, file=sys.stderr)
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"{len(failed)} of {len(results)} checks failed", file=sys.stderr)
    return 1 if failed else 0
