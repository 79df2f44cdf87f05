"""Who holds a serial port: the answer to "Resource temporarily unavailable" on an exclusive open.

The drivers open serial ports with ``exclusive=True`` (TIOCEXCL and a flock), so a
second program gets EAGAIN or EBUSY.  That is not an unplugged reader: it is
another process, most often the kiosk service itself::

    >>> import errno
    >>> is_busy(OSError(errno.EAGAIN, "Resource temporarily unavailable"))
    True
    >>> is_busy(OSError(errno.ENOENT, "No such file or directory"))
    False
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

BUSY = (errno.EAGAIN, errno.EBUSY)


def is_busy(exc: BaseException) -> bool:
    """True when opening a port failed because another program holds it."""
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else getattr(exc, "errno", None)
    return code in BUSY


def holder(path: str | os.PathLike) -> str | None:
    """'pid 123 (terminal kiosk --config ...)' for the process(es) of ours that have ``path`` open, or None.

    A simulator keeps its own end of a pseudo-terminal open, so it is named only when no other
    process holds the port.  Only processes this user may inspect are seen (/proc/PID/fd); the
    current process is skipped.
    """
    try:
        target = os.path.realpath(path)
    except OSError:
        return None
    found = []
    for proc in Path("/proc").iterdir():
        if not (proc.name.isascii() and proc.name.isdigit()) or int(proc.name) == os.getpid():
            continue
        try:
            if any(os.readlink(fd) == target for fd in (proc / "fd").iterdir()):
                cmd = " ".join((proc / "cmdline").read_bytes().decode(errors="replace").split("\0")).strip()
                found.append((proc.name, " ".join(cmd.split())))
        except OSError:
            continue
    users = [f for f in found if " sim " not in f" {f[1]} "] or found
    return ", ".join(f"pid {pid} ({cmd[:100]})" for pid, cmd in users) or None


def busy_message(path: str) -> str:
    """The reason for a busy port: who holds it, when that can be seen."""
    who = holder(path)
    return f"in use by another program{': ' + who if who else ''}"


BUSY_HINT = ("only one program can use the port: stop the other one (the kiosk service: systemctl stop "
             "terminal-kiosk), or run the selftest from the kiosk's technician screen")
