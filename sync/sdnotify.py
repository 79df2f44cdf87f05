"""systemd's notify protocol (Type=notify, WatchdogSec=) without a dependency.

    >>> from sync.sdnotify import Notifier
    >>> Notifier(env={}).notify(ready=True)   # outside systemd: does nothing
    False
"""

from __future__ import annotations

import os
import socket
import time


class Notifier:
    """Sends systemd notify messages to $NOTIFY_SOCKET; pings the watchdog at half of $WATCHDOG_USEC.

    ``env`` replaces os.environ (for tests).  Outside systemd every call does nothing.
    """
    def __init__(self, env=None):
        env = os.environ if env is None else env
        self.address = env.get("NOTIFY_SOCKET", "")
        usec = env.get("WATCHDOG_USEC", "")
        # ASCII only: str.isdigit() is also true for '²', which int() refuses.  Ping at half the timeout.
        self.watchdog_every_s = int(usec) / 2e6 if usec.isascii() and usec.isdigit() and int(usec) else None
        self._last_ping = 0.0

    def notify(self, *, ready: bool = False, status: str | None = None, watchdog: bool = False,
               stopping: bool = False) -> bool:
        """Send READY=1, STOPPING=1, STATUS=``status`` (cut to 200 characters) and, when due, WATCHDOG=1.

        Returns True when a message was sent; False when there was nothing to
        send, no socket, or the send failed (never raises).
        """
        lines = []
        if ready:
            lines.append("READY=1")
        if stopping:
            lines.append("STOPPING=1")
        if status:
            lines.append(f"STATUS={status[:200]}")
        if watchdog and self.watchdog_every_s is not None:
            now = time.monotonic()
            if now - self._last_ping >= self.watchdog_every_s / 2:
                lines.append("WATCHDOG=1")
                self._last_ping = now
        if not lines or not self.address:
            return False
        address = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(address)
                sock.sendall("\n".join(lines).encode())
            return True
        except OSError:
            return False

    __call__ = notify
