"""``terminal store check | acknowledge | restore``: the local database's health and its quarantines."""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path

from terminal import TerminalError
from terminal.cliopts import example, json_option
from terminal.settings_access import load_for_command


def register(sub, common) -> None:
    """Add ``terminal store check | acknowledge | restore`` to ``sub`` (``common`` gives --config, --log-level)."""
    store = sub.add_parser("store", help="the terminal's local database")
    example(store, "terminal store check --config /etc/service-terminals/terminal.toml")
    store_sub = store.add_subparsers(dest="store_command", metavar="ACTION", required=True)
    check = store_sub.add_parser("check", parents=[common],
                                 help="open the database (migrating it) and print its health")
    json_option(check, help="print the health as JSON")
    check.add_argument("--db", metavar="FILE", help="check this database file instead of the configured one")
    example(check, "terminal store check --json", "terminal store check --db /var/lib/service-terminals/terminal.db")
    check.set_defaults(run=_check)
    ack = store_sub.add_parser("acknowledge", parents=[common],
                               help="clear the quarantine warning once the moved-aside files are dealt with "
                                    "(they are kept)")
    ack.add_argument("--db", metavar="FILE", help="this database file instead of the configured one")
    example(ack, "terminal store acknowledge --config /etc/service-terminals/terminal.toml")
    ack.set_defaults(run=_acknowledge)
    restore = store_sub.add_parser(
        "restore", parents=[common],
        help="put a quarantined store back in place when it passes quick_check (stop terminal-sync first)",
        description="Put a moved-aside store (terminal.db.corrupt-TIME) back in place. It must pass "
                    "quick_check, and the store in place must hold no events of its own; that store is "
                    "kept as terminal.db.replaced-TIME.")
    restore.add_argument("file", metavar="FILE", help="the quarantined store to put back")
    restore.add_argument("--db", metavar="FILE", help="the database path to restore to instead of the configured one")
    example(restore, "terminal store restore /var/lib/service-terminals/terminal.db.corrupt-20261130T141950")
    restore.set_defaults(run=_restore)


def _target(args) -> tuple[Path, float]:
    if args.db:
        return Path(args.db), 5.0
    cfg = load_for_command(args)
    return store_path(cfg), cfg.store.busy_timeout_s


def _open(args):
    from sync.store import open_store
    from terminal.migrations import all_migrations

    path, timeout = _target(args)
    return open_store(path, all_migrations(), busy_timeout_s=timeout)


def enrolled(conn) -> bool | None:
    """Whether this store holds central credentials (None when it has no sync tables)."""
    try:
        return conn.execute("SELECT 1 FROM sync_state WHERE key = 'secret'").fetchone() is not None
    except sqlite3.OperationalError:
        return None


def _check(args) -> int:
    from sync.quarantine import report_lines

    with _open(args) as store:
        health = store.health()
        is_enrolled = enrolled(store.conn)
    if args.json:
        print(json.dumps({**health, "enrolled": is_enrolled}, indent=2))
    else:
        print(f"database      {health['path']}")
        print(f"status        {'OK' if health['ok'] else 'ATTENTION'}")
        print(f"quick_check   {health['quick_check']}")
        print(f"journal       {health['journal_mode']}, synchronous={health['synchronous']}")
        print(f"size          {health['size_bytes']} bytes")
        schema = ", ".join(f"{m} v{v}" for m, v in sorted(health["schema"].items())) or "(no modules)"
        print(f"schema        {schema}")
        for line in report_lines(health["quarantined"], enrolled=is_enrolled):
            print(line)
    return 0 if health["ok"] else 1


def _acknowledge(args) -> int:
    with _open(args) as store:
        n = store.acknowledge_quarantine()
    print(f"acknowledged {n} quarantined store(s); the files are kept" if n else "nothing to acknowledge")
    return 0


def _restore(args) -> int:
    from sync.forwarder import single_forwarder
    from sync.quarantine import peek, summary
    from sync.store import SIDE_FILES

    path, _ = _target(args)
    source = Path(args.file)
    if not source.is_file():
        raise TerminalError(f"{source}: no such file")
    info = peek(source)
    if not info["readable"] or info["quick_check"] != "ok":
        raise TerminalError(f"{source} cannot be restored: it {summary(info)}; keep it for a specialist")
    with single_forwarder(path):  # refuses while 'terminal sync run' uses the store
        if path.exists():
            with _open(args) as store:
                own = store.conn.execute("SELECT (SELECT COUNT(*) FROM sync_outbox) + "
                                         "(SELECT COUNT(*) FROM sync_dead_letters)").fetchone()[0]
            if own:
                raise TerminalError(f"{path} holds {own} events of its own, recorded since the quarantine; "
                                    f"restoring would hide them. Let 'terminal sync run' forward them first, "
                                    f"then restore")
            stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
            for suffix in ("",) + SIDE_FILES:
                if os.path.exists(f"{path}{suffix}"):
                    os.rename(f"{path}{suffix}", f"{path}.replaced-{stamp}{suffix}")
        for suffix in SIDE_FILES:
            if os.path.exists(f"{source}{suffix}"):
                os.rename(f"{source}{suffix}", f"{path}{suffix}")
        os.rename(source, path)
    with _open(args) as store:
        health = store.health()
    print(f"restored {source} to {path}: {summary(peek(path))}; store {'OK' if health['ok'] else 'ATTENTION'}")
    return 0 if health["ok"] else 1


def store_path(cfg) -> Path:
    """The database file of the configuration ``cfg``: ``[store] path``, else ``<state_dir>/terminal.db``."""
    return Path(cfg.store.path) if cfg.store.path else Path(cfg.state_dir) / "terminal.db"
