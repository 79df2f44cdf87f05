"""What several benches share: a free loopback port, and a reference central serving on it.

Not a bench itself (``make bench`` runs the ``bench_*`` modules only).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    """A loopback TCP port the OS says is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_central(db: str, port: int, log_path: Path) -> subprocess.Popen:
    """``terminal central serve`` on 127.0.0.1:``port`` with ``db``, its output in ``log_path``; returns once
    /healthz answers.  Raises RuntimeError (with the log's end) when it does not start within 30 s."""
    log = open(log_path, "wb")
    process = subprocess.Popen([sys.executable, "-m", "terminal", "central", "serve", "--db", db,
                                "--listen", f"127.0.0.1:{port}", "--log-level", "warning"],
                               stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"central did not start: {log_path.read_text()[-500:]}")
