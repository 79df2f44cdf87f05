"""Opening the reader's serial port, and finding it again after a replug.

USB-serial readers re-enumerate after unplug (ttyUSB0 may come back as
ttyUSB1); the /dev/serial/by-id link names the same reader every time.  So
the driver remembers the by-id link of the port it opened, reopens by that
link, and spaces attempts out with a capped exponential backoff.

>>> from drivers.idcard.port import Backoff
>>> b = Backoff(initial_s=0.1, cap_s=1.0)
>>> [b.failed() for _ in range(6)]
[0.1, 0.2, 0.4, 0.8, 1.0, 1.0]
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import serial

BY_ID_DIR = "/dev/serial/by-id"
BAUD = 115200

SerialFactory = Callable[[str, float], serial.Serial]


def open_serial(path: str, timeout_s: float) -> serial.Serial:
    """The real link: 115200 8N1, no flow control, locked against a second user."""
    return serial.Serial(path, BAUD, bytesize=serial.EIGHTBITS, parity=serial.PARITY_NONE,
                         stopbits=serial.STOPBITS_ONE, timeout=timeout_s, write_timeout=timeout_s,
                         exclusive=True)


def by_id_link(port: str, by_id_dir: str | os.PathLike = BY_ID_DIR) -> str:
    """The stable by-id link for ``port`` if there is one, else ``port`` itself."""
    directory = Path(by_id_dir)
    if Path(port).parent == directory:
        return port
    try:
        target = os.path.realpath(port)
        for link in sorted(directory.iterdir()):
            if os.path.realpath(link) == target:
                return str(link)
    except OSError:
        pass
    return port


class Backoff:
    """Delays between reopen attempts: doubling from ``initial_s`` up to ``cap_s``."""

    def __init__(self, *, initial_s: float = 0.2, cap_s: float = 5.0):
        self.initial_s = initial_s
        self.cap_s = cap_s
        self.delay_s = 0.0

    def failed(self) -> float:
        """Record a failed reopen; return the seconds to wait before the next attempt."""
        self.delay_s = self.initial_s if not self.delay_s else min(self.cap_s, self.delay_s * 2)
        return self.delay_s

    def succeeded(self) -> None:
        """Record a successful open: the next failure waits ``initial_s`` again."""
        self.delay_s = 0.0
