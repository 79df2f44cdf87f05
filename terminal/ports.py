"""Loopback ports the demo listens on: is one free, and if not, who holds it.

>>> import socket
>>> s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
>>> port = s.getsockname()[1]
>>> holder = port_holder(port)
>>> holder is None or holder[0] == __import__("os").getpid()
True
>>> s.close()
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a listener could bind ``host:port`` now (SO_REUSEADDR, as servers do)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            return False
        raise
    finally:
        s.close()
    return True


def port_holder(port: int) -> tuple[int, str] | None:
    """(pid, command line) of the process listening on TCP ``port``, when /proc tells us."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isascii() or not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    cmd = " ".join((proc / "cmdline").read_bytes().decode(errors="replace").split())
                    return int(proc.name), cmd
        except OSError:  # gone, or not ours to look at
            continue
    return None
