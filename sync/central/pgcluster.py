"""A throwaway PostgreSQL cluster on loopback: for central's tests, its benchmark, and trying it out.

It runs the Debian ``postgresql`` package's own binaries from a temporary
directory (as the ``postgres`` user when started as root, since PostgreSQL
refuses to run as root), on a free 127.0.0.1 port, with the server's default
durability (fsync on, synchronous_commit on).  :meth:`stop` shuts it down
and removes every file.

    >>> with ThrowawayCluster() as cluster:                           # doctest: +SKIP
    ...     url = cluster.create_database("central_test")
    ...     url
    'postgresql://postgres@127.0.0.1:43117/central_test'
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from terminal import TerminalError

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0


class ClusterError(TerminalError):
    """The throwaway cluster could not be made; the message says what is missing."""


def _version(initdb: str) -> int:
    # ASCII digits only: '²'.isdigit() is True and int('²') raises.
    name = Path(initdb).parent.parent.name
    return int(name) if name.isascii() and name.isdigit() else 0


def postgres_bin_dir() -> Path:
    """Where initdb and postgres live (the newest /usr/lib/postgresql/N/bin, else $PATH)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version)
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise ClusterError("PostgreSQL server binaries not found; install the Debian package 'postgresql' "
                       "(it is in apt-packages.txt: run 'make setup')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayCluster:
    """A private PostgreSQL server on a free loopback port, in a temporary folder deleted by :meth:`stop`.

    Creating it finds the binaries and picks the port (ClusterError without them); :meth:`start`
    runs it.  As root it runs as the ``postgres`` user.
    """

    def __init__(self):
        self.bin = postgres_bin_dir()
        self.root = Path(tempfile.mkdtemp(prefix="central-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self._as = {}
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterError("running as root but there is no 'postgres' user to run PostgreSQL as; "
                                   "install the Debian package 'postgresql'") from None
            os.chown(self.root, user.pw_uid, user.pw_gid)
            self._as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _run(self, *argv: str) -> None:
        result = subprocess.run(argv, cwd=self.root, capture_output=True, text=True, timeout=120, **self._as)
        if result.returncode != 0:
            raise ClusterError(f"{Path(argv[0]).name} failed ({result.returncode}): "
                               f"{(result.stderr or result.stdout).strip()[-500:]}")

    def start(self) -> "ThrowawayCluster":
        """initdb and start the server; returns self once it accepts connections, else ClusterError."""
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--no-sync", "--no-instructions")
        log = open(self.root / "postgres.log", "wb")
        try:
            self.process = subprocess.Popen(
                [str(self.bin / "postgres"), "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.port),
                 "-k", str(self.root), "-c", "max_connections=60", "-c", "shared_buffers=64MB",
                 "-c", "fsync=on", "-c", "synchronous_commit=on"],
                cwd=self.root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **self._as)
        finally:
            log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise ClusterError(f"postgres exited ({self.process.returncode}): {self.log_tail()}")
            try:
                psycopg.connect(self.url(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise ClusterError(f"postgres did not accept connections in {START_TIMEOUT_S:.0f} s") from None
                time.sleep(0.1)

    def log_tail(self) -> str:
        """The last 800 characters of the server's log (for an error message)."""
        try:
            return (self.root / "postgres.log").read_text(errors="replace")[-800:]
        except OSError:
            return "(no log)"

    def url(self, database: str = "postgres") -> str:
        """The ``postgresql://`` URL of ``database`` on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create database ``name`` (a plain identifier) and return its URL; psycopg's error when it exists."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server (fast shutdown, killed after STOP_TIMEOUT_S) and delete its folder; idempotent."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # "fast" shutdown: roll back clients, checkpoint, exit
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "ThrowawayCluster":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
