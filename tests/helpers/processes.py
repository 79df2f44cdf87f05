"""Command lines and ports for tests that run ``terminal`` in a subprocess."""

from __future__ import annotations

import socket
import sys


def terminal_cmd(*args: str) -> list[str]:
    """The argv that runs ``terminal ARGS`` with this interpreter (``python -m terminal ARGS``)."""
    return [sys.executable, "-m", "terminal", *args]


def free_ports(n: int) -> list[int]:
    """``n`` distinct loopback TCP ports the OS says are free now (tests never use fixed ports)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()
