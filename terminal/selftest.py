"""``terminal selftest``: every configured device, and the local store, PASS or FAIL.

Lives above drivers/ and sync/ because it checks both (drivers/ never imports sync/).
Exit 0 only when every row passes.
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
                              help="check every configured device and the local store; exit 0 only when all pass")
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


def _selftest(args) -> int:
    from drivers.cli import run_selftest

    cfg = load_for_command(args)
    results = run_selftest(cfg) + [store_health(cfg)]
    if args.json:
        print(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        width = max([len(r.device) for r in results] + [6])
        for device, verdict, summary in (r.as_row() for r in results):
            print(f"{device:<{width}}  {verdict:<4}  {summary}")
    failed = [r for r in results if not r.ok]
    if failed:
        print(f"{len(failed)} of {len(results)} checks failed", file=sys.stderr)
    return 1 if failed else 0
