"""The two SQL engines central runs on, behind one small seam.

:class:`Engine` hands out pooled connections and transactions; the SQL itself
is written once (with ``?`` placeholders) in :mod:`sync.central.storage`.
SQLite is the embedded default (WAL, synchronous=FULL: a COMMIT that returned
survives a power cut); PostgreSQL (psycopg 3) is the path for a fleet that
outgrows one machine.

    >>> engine = engine_for_url("postgresql://central:s3cret@db.example:5432/central")
    >>> engine.name, engine.describe()      # no password in anything printed
    ('postgresql', 'postgresql://db.example:5432/central')
"""

from __future__ import annotations

import abc
import contextlib
import os
import queue
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

from terminal import TerminalError

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 10
# Like SQLite's busy_timeout: a lock (the ingest lock included) or a statement that takes longer
# fails the request with a 503 to retry, instead of parking a worker thread for good.
POSTGRES_LOCK_TIMEOUT_MS = 10_000
POSTGRES_STATEMENT_TIMEOUT_MS = 60_000
# One key for the whole ingest path: PostgreSQL assigns feed ids in commit order
# only when ingests are serialised (a sequence alone hands out ids before commit).
INGEST_LOCK_KEY = 0x5E57_CE47


class StorageError(TerminalError):
    """Central's database cannot be used; the message says what to do."""


class Engine(abc.ABC):
    """Connections for one database URL; subclasses know their dialect."""

    name = ""
    placeholder = "?"

    def __init__(self, url: str, pool_size: int = 8):
        self.url = url
        self._idle: queue.LifoQueue = queue.LifoQueue()
        self._pool_size = pool_size
        self._all: list = []
        self._lock = threading.Lock()
        self._closed = False

    # -- dialect ---------------------------------------------------------------
    def sql(self, text: str) -> str:
        """The statement ``text`` (``?`` placeholders) in this engine's placeholder style."""
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    @abc.abstractmethod
    def id_column(self) -> str:
        """The column type of an auto-numbered primary key."""

    @abc.abstractmethod
    def connect(self):
        """A new autocommit connection (transactions are begun explicitly)."""

    @abc.abstractmethod
    def begin(self, conn, *, serialise: bool) -> None:
        """Start a write transaction on ``conn``."""

    def executemany(self, conn, sql: str, rows: list) -> None:
        """Run ``sql`` once per row of ``rows`` on ``conn`` (inside the caller's transaction)."""
        conn.executemany(sql, rows)

    def in_list(self, column: str, values: list, sql_type: str) -> tuple[str, list]:
        """(SQL condition, its parameters): ``column`` is one of ``values`` (``sql_type``: PostgreSQL's cast)."""
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)

    # -- pooling and transactions ---------------------------------------------
    @contextlib.contextmanager
    def connection(self) -> Iterator:
        """A pooled connection for the ``with`` body; StorageError once closed or when it cannot connect.

        A connection that failed with a disconnect is discarded, not pooled again.
        """
        if self._closed:
            raise StorageError(f"{self.describe()}: storage is closed")
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            conn = self.connect()
            with self._lock:
                self._all.append(conn)
        broken = False
        try:
            yield conn
        except BaseException as exc:
            broken = self.is_disconnect(exc)
            raise
        finally:
            if broken or self._closed or self._idle.qsize() >= self._pool_size:
                self._discard(conn)
            else:
                self._idle.put(conn)

    @contextlib.contextmanager
    def transaction(self, *, serialise: bool = False) -> Iterator:
        """BEGIN ... COMMIT on a pooled connection, rolled back on any error.

        ``serialise`` takes the ingest lock so feed ids become visible in order.
        """
        with self.connection() as conn:
            self.begin(conn, serialise=serialise)
            try:
                yield conn
            except BaseException:
                with contextlib.suppress(Exception):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def is_disconnect(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the connection is gone (then it is not pooled again)."""
        return False

    def _discard(self, conn) -> None:
        with self._lock:
            if conn in self._all:
                self._all.remove(conn)
        with contextlib.suppress(Exception):
            conn.close()

    def close(self) -> None:
        """Close every connection; later use raises StorageError.  Idempotent."""
        self._closed = True
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with contextlib.suppress(Exception):
                conn.close()

    def describe(self) -> str:
        """The database for messages and logs (never a password)."""
        return self.url


class SqliteEngine(Engine):
    """A SQLite file (WAL, synchronous=FULL); created 0600 in a 0700 folder when missing (else StorageError)."""
    name = "sqlite"

    def __init__(self, path: Path, pool_size: int = 8):
        super().__init__(str(path), pool_size)
        self.path = path
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise StorageError(f"{path}: cannot create the central database ({exc.strerror}); "
                               f"choose a --db path this user can write") from None

    def id_column(self) -> str:
        """SQLite's auto-numbered primary key: ``INTEGER PRIMARY KEY``."""
        return "INTEGER PRIMARY KEY"

    def connect(self):
        """A new autocommit connection in WAL mode; StorageError when the file cannot be used."""
        try:
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                   timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
            conn.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                conn.close()
                raise StorageError(f"{self.path}: SQLite refused WAL mode (got {mode}); "
                                   f"put the database on a local disk")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"{self.path}: cannot open the central database: {exc}") from None
        return conn

    def begin(self, conn, *, serialise: bool) -> None:
        """``BEGIN IMMEDIATE``: SQLite has one writer, so every write transaction is serialised."""
        # IMMEDIATE takes the (single) write lock up front: writers queue on busy_timeout.
        conn.execute("BEGIN IMMEDIATE")


class PostgresEngine(Engine):
    """A PostgreSQL database by URL (psycopg 3, imported only here); connects lazily."""
    name = "postgresql"
    placeholder = "%s"

    def __init__(self, url: str, pool_size: int = 8):
        super().__init__(url, pool_size)
        import psycopg  # imported here: terminals never load it

        self._psycopg = psycopg

    def id_column(self) -> str:
        """PostgreSQL's auto-numbered primary key: a BIGINT identity column."""
        return "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"

    def connect(self):
        """A new autocommit connection with lock and statement timeouts; StorageError when it cannot connect."""
        try:
            conn = self._psycopg.connect(self.url, autocommit=True, connect_timeout=POSTGRES_CONNECT_TIMEOUT_S,
                                         keepalives=1, keepalives_idle=30, keepalives_interval=10,
                                         keepalives_count=3)
        except self._psycopg.Error as exc:
            raise StorageError(f"{self.describe()}: cannot connect to PostgreSQL: "
                               f"{str(exc).strip().splitlines()[0]}") from None
        try:
            conn.execute(f"SET lock_timeout = {int(POSTGRES_LOCK_TIMEOUT_MS)}")
            conn.execute(f"SET statement_timeout = {int(POSTGRES_STATEMENT_TIMEOUT_MS)}")
            return conn
        except self._psycopg.Error as exc:
            conn.close()
            raise StorageError(f"{self.describe()}: cannot connect to PostgreSQL: "
                               f"{str(exc).strip().splitlines()[0]}") from None

    def begin(self, conn, *, serialise: bool) -> None:
        """``BEGIN``; with ``serialise``, also the ingest advisory lock (feed ids in commit order)."""
        conn.execute("BEGIN")
        if serialise:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (INGEST_LOCK_KEY,))

    def executemany(self, conn, sql: str, rows: list) -> None:
        """Run ``sql`` once per row, pipelined: one round trip, not one per row."""
        with conn.cursor() as cur:
            cur.executemany(sql, rows)  # psycopg pipelines these: one round trip, not one per row

    def in_list(self, column: str, values: list, sql_type: str) -> tuple[str, list]:
        """(``column = ANY(?::sql_type[])``, [values]): one parameter whatever the number of values."""
        # The cast keeps the index usable (a Python int list would arrive as numeric[]).
        return f"{column} = ANY(?::{sql_type}[])", [list(values)]

    def is_disconnect(self, exc: BaseException) -> bool:
        """Whether ``exc`` is psycopg's OperationalError (the connection is gone)."""
        return isinstance(exc, self._psycopg.OperationalError)

    def describe(self) -> str:
        """``postgresql://host[:port]/database``: the URL without user or password."""
        # Never print a password that may be in the URL.
        from urllib.parse import urlsplit

        parts = urlsplit(self.url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        return f"postgresql://{host}{port}{parts.path}"


def engine_for_url(url: str) -> Engine:
    """``postgresql://...`` (or ``postgres://``) -> PostgreSQL; a path or ``sqlite:///path`` -> SQLite."""
    url = str(url).strip()
    if not url:
        raise StorageError("no database given: pass --db with a SQLite path or a postgresql:// URL",
                           exit_code=2)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresEngine(url)
    if url.startswith("sqlite:///"):
        return SqliteEngine(Path(url[len("sqlite://"):]))
    if "://" in url:
        raise StorageError(f"--db {url.split('://')[0]}://...: unsupported database; "
                           f"use a SQLite path or a postgresql:// URL", exit_code=2)
    return SqliteEngine(Path(url))
