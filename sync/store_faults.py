"""Tell an environment fault from a damaged database, and word the fix.

Only SQLite's SQLITE_CORRUPT and SQLITE_NOTADB answers (or a failed
``quick_check``) mean the file is damaged.  Everything else that stops a
terminal opening its store -- a file owned by another user, a read-only or
full file system, an I/O error, a lock held by another process -- is the
machine's fault, and the file must stay where it is::

    >>> import sqlite3
    >>> is_corruption(sqlite3.DatabaseError("file is not a database"))
    False
    >>> import os, tempfile
    >>> junk = os.path.join(tempfile.mkdtemp(), "junk.db")
    >>> _ = open(junk, "wb").write(b"not sqlite" * 1000)
    >>> try:  # a real SQLite answer carries its result code
    ...     sqlite3.connect(junk).execute("PRAGMA quick_check")
    ... except sqlite3.DatabaseError as e:
    ...     (e.sqlite_errorname, is_corruption(e))
    ('SQLITE_NOTADB', True)
"""

from __future__ import annotations

import getpass
import grp
import os
import pwd
import stat
from pathlib import Path

from terminal import TerminalError


class LockUnavailable(TerminalError):
    """A lock file beside the store cannot be opened (another owner, a full disk); nothing was changed."""


# Primary result codes (https://sqlite.org/rescode.html); extended codes keep these in the low byte.
SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26
SQLITE_PERM = 3

# Below this a store cannot grow its WAL and index files; an I/O error then means "disk full".
LOW_SPACE_BYTES = 1024 * 1024


def is_corruption(exc: BaseException) -> bool:
    """True only for SQLite's own "damaged file" answers."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and (code & 0xFF) in (SQLITE_CORRUPT, SQLITE_NOTADB)


def store_files(path: Path) -> list[Path]:
    """The database and those of its -wal, -shm and -journal files that exist."""
    return [f for f in (path, *(Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal"))) if f.exists()]


def running_user() -> tuple[str, int]:
    """This process's user name and uid (the uid as the name when it has no passwd entry)."""
    try:
        return getpass.getuser(), os.geteuid()
    except (KeyError, OSError):
        return str(os.geteuid()), os.geteuid()


def describe(path: Path) -> str:
    """'terminal.db (owner root:root, mode 0600)' -- who may use a file."""
    try:
        st = path.stat()
    except OSError as exc:
        return f"{path.name} ({exc.strerror.lower()})"
    return f"{path.name} (owner {_name(pwd.getpwuid, st.st_uid)}:{_name(grp.getgrgid, st.st_gid)}, " \
           f"mode {stat.S_IMODE(st.st_mode):04o})"


def inaccessible(files: list[Path]) -> list[Path]:
    """The files this process cannot both read and write."""
    return [f for f in files if not os.access(f, os.R_OK | os.W_OK)]


def free_bytes(directory: Path) -> int | None:
    """Bytes free for this user on the file system holding ``directory``; None when it cannot be asked."""
    try:
        st = os.statvfs(directory)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def read_only_fs(directory: Path) -> bool:
    """True when ``directory`` is on a file system mounted read-only (False when it cannot be asked)."""
    try:
        return bool(os.statvfs(directory).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def ownership_message(path: Path, files: list[Path], what: str = "cannot use the database") -> str:
    """The one line for store files at ``path`` this user cannot use: who owns ``files``, and the fix.

    The fix is the chown (or chmod) to run; ``what`` says what failed (e.g. "cannot use the database").
    """
    user, uid = running_user()
    shown = ", ".join(describe(f) for f in files)
    # A root run leaves several files (-wal, -shm, lock): name every one not ours, so one chown fixes all.
    others = sorted({*files, *(f for f in path.parent.glob(f"{glob_escape(path.name)}*") if _not_ours(f))})
    names = " ".join(str(f) for f in others)
    if not any(_not_ours(f) for f in others):  # ours, but someone took our read/write bits away
        return (f"{path}: {what} as user '{user}' (uid {uid}): {shown} in {path.parent}. "
                f"Nothing was moved or changed; fix: chmod 600 " + " ".join(str(f) for f in files))
    return (f"{path}: {what} as user '{user}' (uid {uid}): {shown} in {path.parent}. "
            f"Nothing was moved or changed. This happens after a root run or a restore by root; "
            f"fix: sudo chown {user}: {names} (and run terminal commands as '{user}', "
            f"e.g. sudo -u {user} terminal ...)")


def _not_ours(f: Path) -> bool:
    try:
        return f.stat().st_uid != os.geteuid()
    except OSError:
        return False


def glob_escape(name: str) -> str:
    """``name`` with glob's special characters (* ? [) quoted, to glob for files that start with it."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def environment_message(path: Path, what: str, exc: BaseException | None = None) -> str:
    """The one line for a fault of the machine, not of the file: cause, facts and fix."""
    directory = path.parent
    user, uid = running_user()
    files = ", ".join(describe(f) for f in store_files(path)) or f"{path.name} (not there)"
    detail = (f" ({exc})" if exc is not None else "") + f" [{files}; running as '{user}' (uid {uid})]"
    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
    errno_ = getattr(exc, "errno", None)
    if read_only_fs(directory) or errno_ == 30:
        return (f"{path}: {what}{detail}: the file system holding {directory} is read-only. "
                f"Nothing was moved or changed; remount it read-write "
                f"(sudo mount -o remount,rw {_mount_point(directory)}) or check the SD card for errors (dmesg)")
    blocked = inaccessible(store_files(path))
    if blocked or code in (SQLITE_PERM, SQLITE_READONLY) or errno_ in (13, 1):
        return ownership_message(path, blocked or store_files(path) or [path], what)
    free = free_bytes(directory)
    if code == SQLITE_FULL or errno_ == 28 or (free is not None and free < LOW_SPACE_BYTES):
        return (f"{path}: {what}{detail}: the file system holding {directory} is full "
                f"({_size(free)} free). Nothing was moved or changed; free space there "
                f"(df -h {directory}; e.g. sudo journalctl --vacuum-size=50M, remove old files) and run again")
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return (f"{path}: {what}{detail}: another process holds the database locked. "
                f"Nothing was moved or changed; wait for it or stop it (e.g. systemctl stop terminal-sync) "
                f"and run again")
    return (f"{path}: {what}{detail}. The file was left as it is: this is the machine's fault, "
            f"not a damaged database; check the storage (dmesg, df -h {directory}) and run again")


def _mount_point(directory: Path) -> str:
    probe = Path(os.path.abspath(directory))
    while not os.path.ismount(probe) and probe != probe.parent:
        probe = probe.parent
    return str(probe)


def _size(free: int | None) -> str:
    if free is None:
        return "unknown space"
    return f"{free} bytes" if free < 1024 else f"{free // 1024} KiB"


def _name(lookup, ident: int) -> str:
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


