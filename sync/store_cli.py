"""``terminal store check``: the local database's health."""

from __future__ import annotations

import json
from pathlib import Path

from terminal.settings_access import load_for_command


def register(sub, common) -> None:
    store = sub.add_parser("store", help="the terminal's local database")
    store_sub = store.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    check = store_sub.add_parser("check", parents=[common],
                                 help="open the database (migrating it) and print its health")
    check.add_argument("--json", action="store_true", help="print the health as JSON")
    check.add_argument("--db", metavar="FILE", help="check this database file instead of the configured one")
    check.set_defaults(run=_check)


def _check(args) -> int:
    from sync.store import open_store
    from terminal.migrations import all_migrations

    if args.db:
        path, timeout = Path(args.db), 5000
    else:
        cfg = load_for_command(args)
        path, timeout = store_path(cfg), cfg.store.busy_timeout_ms
    with open_store(path, all_migrations(), busy_timeout_ms=timeout) as store:
        health = store.health()
    if args.json:
        print(json.dumps(health, indent=2))
    else:
        print(f"database      {health['path']}")
        print(f"status        {'OK' if health['ok'] else 'ATTENTION'}")
        print(f"quick_check   {health['quick_check']}")
        print(f"journal       {health['journal_mode']}, synchronous={health['synchronous']}")
        print(f"size          {health['size_bytes']} bytes")
        schema = ", ".join(f"{m} v{v}" for m, v in sorted(health["schema"].items())) or "(no modules)"
        print(f"schema        {schema}")
        for q in health["quarantined"]:
            print(f"QUARANTINED   {q['at']}: {q['original']} moved to {q['moved_to']} ({q['reason']})")
    return 0 if health["ok"] else 1


def store_path(cfg) -> Path:
    return Path(cfg.store.path) if cfg.store.path else Path(cfg.state_dir) / "terminal.db"
