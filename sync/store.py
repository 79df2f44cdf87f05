"""The terminal's one SQLite database: durable, private, checked at start.

Open it with :func:`open_store`; every module that owns tables passes its
:class:`Migration` list, and the store applies what is missing, each in its own
transaction::

    >>> from sync.store import Migration, open_store
    >>> notes = [Migration("notes", 1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")]
    >>> store = open_store("/tmp/demo-store/terminal.db", notes)   # doctest: +SKIP
    >>> with store.write() as db:                                   # doctest: +SKIP
    ...     db["notes"].insert({"body": "hello"})
    >>> store.health()["ok"]                                        # doctest: +SKIP
    True

Durability: WAL with synchronous=FULL, so a COMMIT that returned survives a
power cut.  Privacy: the directory is 0700 and the files 0600.  A file that
fails ``PRAGMA quick_check`` is renamed aside (never deleted), a fresh one is
made, and a CRITICAL log line plus the health flag say so.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import sqlite3
import stat
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import sqlite_utils

from sync import quarantine as quarantine_mod
from sync import store_faults as faults
from terminal import TerminalError
from terminal.logs import get_logger

log = get_logger(__name__)

SIDE_FILES = ("-wal", "-shm", "-journal")


class StoreError(TerminalError):
    """The local database cannot be used; the message says what to do."""


class StoreUnavailable(StoreError):
    """The machine stops us using a healthy store (owner, mode, read-only or full file system,
    I/O error, a lock).  Nothing was moved; the message names the files, the user and the fix."""


@dataclass(frozen=True)
class Migration:
    """One forward-only schema step of one module: SQL text or a callable(conn)."""

    module: str
    version: int
    sql: str | Callable[[sqlite3.Connection], None]
    description: str = ""


class Store:
    """An open terminal database. Use :meth:`write` for every write transaction."""

    def __init__(self, path: Path, conn: sqlite3.Connection, quarantined: list[dict]):
        self.path = path
        self.conn = conn
        self.db = sqlite_utils.Database(conn)
        self.quarantined = quarantined

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction: BEGIN IMMEDIATE ... COMMIT, rolled back on any error.

        IMMEDIATE takes the write lock up front, so two processes sharing the
        file wait on busy_timeout instead of failing on a lock upgrade.
        sqlite-utils calls inside nest as savepoints.  Success is only
        reported to a user after this block has exited without error.
        """
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def schema_versions(self) -> dict[str, int]:
        """The applied schema version of each module: {module name: highest version}."""
        rows = self.conn.execute("SELECT module, MAX(version) FROM schema_migrations GROUP BY module")
        return dict(rows.fetchall())

    def health(self) -> dict:
        """What ``terminal store check`` prints: ok is False while a quarantine is unacknowledged.

        ``quarantined`` lists each moved-aside store, from this database's
        records and from the files found beside it (a record may have been
        lost to the fault that caused it), each with what that file still
        holds (:func:`sync.quarantine.peek`).
        """
        check = self.conn.execute("PRAGMA quick_check").fetchone()[0]
        events = self.quarantine_events()
        return {
            "ok": check == "ok" and not events,
            "path": str(self.path),
            "quick_check": check,
            "journal_mode": self.conn.execute("PRAGMA journal_mode").fetchone()[0],
            "synchronous": {0: "off", 1: "normal", 2: "full", 3: "extra"}[
                self.conn.execute("PRAGMA synchronous").fetchone()[0]
            ],
            "schema": self.schema_versions(),
            "size_bytes": _size(self.path),
            "quarantined": events,
        }

    def quarantine_events(self) -> list[dict]:
        """Unacknowledged quarantines: ``{"at", "original", "moved_to", "reason", "holds"}`` each."""
        acked = {r[0] for r in self.conn.execute("SELECT moved_to FROM store_quarantine_ack")}
        events = {
            row[2]: dict(zip(("at", "original", "moved_to", "reason"), row))
            for row in self.conn.execute("SELECT at, original, moved_to, reason FROM store_quarantine ORDER BY id")
        }
        for sibling in quarantine_mod.siblings(self.path):
            if str(sibling) not in events and str(sibling) not in acked:
                events[str(sibling)] = {"at": quarantine_mod.moved_at(sibling), "original": str(self.path),
                                        "moved_to": str(sibling),
                                        "reason": "found beside the store; the record of why was lost"}
        for event in events.values():
            moved = Path(event["moved_to"])
            event["holds"] = quarantine_mod.peek(moved) if moved.exists() else None
        return list(events.values())

    def acknowledge_quarantine(self) -> int:
        """Clear the quarantine flag once a technician has dealt with the old file(s)."""
        events = self.quarantine_events()
        with self.write():
            for event in events:
                self.conn.execute("INSERT OR IGNORE INTO store_quarantine_ack (moved_to, at) VALUES (?, ?)",
                                  (event["moved_to"], time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())))
            self.conn.execute("DELETE FROM store_quarantine")
        return len(events)

    def close(self) -> None:
        """Close the database connection."""
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


_BASE = [
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " module TEXT NOT NULL, version INTEGER NOT NULL, description TEXT NOT NULL DEFAULT '',"
    " applied_at TEXT NOT NULL, PRIMARY KEY (module, version))",
    "CREATE TABLE IF NOT EXISTS store_quarantine ("
    " id INTEGER PRIMARY KEY, at TEXT NOT NULL, original TEXT NOT NULL,"
    " moved_to TEXT NOT NULL, reason TEXT NOT NULL)",
    # Quarantined files a technician has dealt with; the files themselves stay (never deleted).
    "CREATE TABLE IF NOT EXISTS store_quarantine_ack (moved_to TEXT PRIMARY KEY, at TEXT NOT NULL)",
]


def open_store(
    path: str | os.PathLike,
    migrations: Iterable[Migration] = (),
    *,
    busy_timeout_s: float = 5.0,
) -> Store:
    """Open (creating, checking and migrating) the database at ``path``.

    Raises :class:`StoreUnavailable` (nothing moved) when the machine stops us
    using the file -- another owner, a read-only or full file system, an I/O
    error, a lock -- and :class:`StoreError` for a schema newer than this
    software.  Only a damaged file is quarantined (see the module doc).
    """
    path = Path(path)
    _prepare_directory(path.parent)
    quarantined: list[dict] = []
    if path.exists():
        _check_access(path)
        problem = _integrity_problem(path, busy_timeout_s)
        if problem:
            quarantined.append(_quarantine(path, problem))
    conn = _connect(path, busy_timeout_s)
    try:
        for sql in _BASE:
            conn.execute(sql)
        for event in quarantined:
            conn.execute(
                "INSERT INTO store_quarantine (at, original, moved_to, reason) VALUES (?, ?, ?, ?)",
                (event["at"], event["original"], event["moved_to"], event["reason"]),
            )
        _migrate(conn, path, list(migrations))
    except sqlite3.Error as exc:
        conn.close()
        raise StoreUnavailable(faults.environment_message(path, "cannot prepare the database", exc)) from None
    except BaseException:
        conn.close()
        raise
    return Store(path, conn, quarantined)


def _check_access(path: Path) -> None:
    """Refuse, moving nothing, when a root run or restore left files we cannot read and write."""
    blocked = faults.inaccessible(faults.store_files(path))
    if blocked:
        raise StoreUnavailable(faults.environment_message(path, "cannot use the database"))


def _prepare_directory(directory: Path) -> None:
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except PermissionError:
        raise StoreError(_access_message(directory, "cannot create")) from None
    if not os.access(directory, os.W_OK | os.X_OK):
        if faults.read_only_fs(directory):
            raise StoreUnavailable(faults.environment_message(directory / "terminal.db", "cannot write the database"))
        raise StoreError(_access_message(directory, "cannot write to"))
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077 and directory.stat().st_uid == os.geteuid():
        directory.chmod(0o700)  # personal data: nobody else may list or read it


def _access_message(directory: Path, what: str) -> str:
    user = _user()
    return (
        f"state directory {directory}: {what} it as user '{user}' (uid {os.geteuid()}); "
        f"give that user access, e.g. 'sudo install -d -m 0700 -o {user} {directory}', "
        f"or choose another state_dir"
    )


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.geteuid())


def _connect(path: Path, busy_timeout_s: float) -> sqlite3.Connection:
    created = False
    if not path.exists():
        try:
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise StoreUnavailable(faults.environment_message(path, "cannot create the database", exc)) from None
        created = True
    if stat.S_IMODE(path.stat().st_mode) != 0o600 and path.stat().st_uid == os.geteuid():
        path.chmod(0o600)
    try:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves (see Store.write).
        conn = sqlite3.connect(path, isolation_level=None, timeout=busy_timeout_s)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")  # SQLite counts in ms
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                raise StoreError(f"{path}: SQLite refused WAL mode (got {mode}); is the file on a network share?")
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
        except BaseException:
            conn.close()
            raise
    except sqlite3.Error as exc:
        if created:
            _remove_if_empty(path)  # leave no 0-byte store behind a full disk
        raise StoreUnavailable(faults.environment_message(path, "cannot open the database", exc)) from None
    return conn


def _remove_if_empty(path: Path) -> None:
    with contextlib.suppress(OSError):
        if path.stat().st_size == 0:
            for side in faults.store_files(path)[1:]:
                if side.stat().st_size == 0 or side.name.endswith("-shm"):
                    side.unlink()
            path.unlink()


def _integrity_problem(path: Path, busy_timeout_s: float = 5.0) -> str | None:
    """Why the file is damaged, or None when quick_check passes.

    Only SQLite's corrupt / not-a-database answers and a failed quick_check
    count; any other failure is the machine's and raises StoreUnavailable.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None,
                               timeout=busy_timeout_s)
    except sqlite3.Error as exc:
        if faults.is_corruption(exc):
            return f"cannot open: {exc}"
        raise StoreUnavailable(faults.environment_message(path, "cannot open the database", exc)) from None
    try:
        rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        if faults.is_corruption(exc):
            return str(exc)
        raise StoreUnavailable(faults.environment_message(path, "cannot read the database", exc)) from None
    finally:
        conn.close()
    if rows == ["ok"]:
        return None
    return "; ".join(rows[:5])


def _quarantine(path: Path, reason: str) -> dict:
    # A rename needs no free space: the moved file is the record that survives (sync/quarantine.py).
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    try:
        path.rename(target)
        for suffix in SIDE_FILES:
            side = Path(f"{path}{suffix}")
            if side.exists():
                side.rename(Path(f"{target}{suffix}"))
    except OSError as exc:
        raise StoreUnavailable(faults.environment_message(path, f"cannot move the damaged database aside ({reason})",
                                                          exc)) from None
    log.critical(
        "store.quarantined",
        path=str(path),
        moved_to=str(target),
        reason=reason,
        action="a fresh database was created; the old file is kept for recovery",
    )
    return {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "original": str(path),
            "moved_to": str(target), "reason": reason}


def _migrate(conn: sqlite3.Connection, path: Path, migrations: list[Migration]) -> None:
    known: dict[str, int] = {}
    for m in migrations:
        known[m.module] = max(known.get(m.module, 0), m.version)
    applied = dict(conn.execute("SELECT module, MAX(version) FROM schema_migrations GROUP BY module"))
    for module, version in applied.items():
        if version > known.get(module, 0):
            raise StoreError(
                f"{path}: schema '{module}' is at version {version}, newer than this software "
                f"knows ({known.get(module, 0)}); refusing to downgrade - install the newer "
                f"software or move the database aside"
            )
    done = set(conn.execute("SELECT module, version FROM schema_migrations"))
    for m in sorted(migrations, key=lambda m: (m.module, m.version)):
        if (m.module, m.version) in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if callable(m.sql):
                m.sql(conn)
            else:
                for statement in _statements(m.sql):
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (module, version, description, applied_at) VALUES (?, ?, ?, ?)",
                (m.module, m.version, m.description, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
            )
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"{path}: migration {m.module} v{m.version} failed: {exc}") from None
            raise
        log.info("store.migrated", module=m.module, version=m.version)


def _statements(sql: str) -> Iterator[str]:
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""
    if pending.strip():
        yield pending


def _size(path: Path) -> int:
    return sum(Path(f"{path}{s}").stat().st_size for s in ("",) + SIDE_FILES if Path(f"{path}{s}").exists())
