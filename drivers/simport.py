"""The serial port a simulator offers a driver: a raw pseudo-terminal pair.

The simulator reads and writes ``master``; the driver opens ``port`` like
any serial device.  ``port`` is the slave's /dev/pts path, or ``link``, a
symlink to it published the way udev publishes /dev/serial/by-id/... links.
``unplug()`` and ``replug()`` act out pulling the USB cable and putting it
back: the slave comes back under a new name and only the link leads to it.
"""

from __future__ import annotations

import os
import tty
from pathlib import Path

from drivers.errors import ConfigurationError, DeviceUnavailable


class PseudoSerialPort:
    """A raw pty pair, opened now, optionally published at ``link``.

    ``link`` is a path (or None); ``device`` names the simulator in errors
    (e.g. ``"modem-sim"``).  Opening raises :class:`OSError` when no pty can
    be had.  An
    existing symlink at ``link`` (a stale one from an earlier run) is
    replaced; a real file or device node there is refused with
    :class:`~drivers.errors.ConfigurationError` and nothing is left open.

    >>> import os, serial
    >>> from drivers.simport import PseudoSerialPort
    >>> with PseudoSerialPort() as pty, serial.Serial(pty.port, 115200, timeout=1) as driver_side:
    ...     _ = os.write(pty.master, b"OK\\r\\n")
    ...     driver_side.read(4)
    b'OK\\r\\n'
    """

    def __init__(self, link: str | os.PathLike | None = None, *, device: str = "serial-sim"):
        self.link = Path(link) if link else None
        self.device = device
        self.master = -1
        self.slave_name = ""   # the current slave, or the last one while unplugged
        self._slave = -1
        self._closed = False
        self._open()

    @property
    def port(self) -> str:
        """The path a driver opens: the link if there is one, else the slave."""
        return str(self.link) if self.link else self.slave_name

    @property
    def plugged(self) -> bool:
        """The pair is open (not unplugged, not closed)."""
        return self.master >= 0

    def unplug(self) -> None:
        """Close the pair (the driver's next read or write fails with EIO) and remove our link."""
        if not self.plugged:
            return
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master = self._slave = -1
        if self.link is not None:
            try:
                # Like udev removing the by-id link; only our own: another simulator may own the path now.
                if self.link.is_symlink() and os.readlink(self.link) == self.slave_name:
                    self.link.unlink()
            except OSError:
                pass

    def replug(self) -> None:
        """Open a new pair (a new /dev/pts number, like ttyUSB0 coming back as ttyUSB1) and relink.

        Does nothing while plugged; raises :class:`DeviceUnavailable` once closed.
        """
        if self._closed:
            raise DeviceUnavailable(self.device, "the simulated port is closed; make a new one")
        if not self.plugged:
            self._open()

    def close(self) -> None:
        """Unplug for good: close the pair and remove our link; idempotent (``replug()`` is refused after)."""
        self._closed = True
        self.unplug()

    def __enter__(self) -> "PseudoSerialPort":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self) -> None:
        if self.link is not None and self.link.exists() and not self.link.is_symlink():
            # e.g. --port /dev/ttyUSB0 by mistake: never replace a real device node or file.
            raise ConfigurationError(self.device, f"refusing to replace {self.link}: it exists and is not a "
                                                  f"symlink; name a new path for the simulated port")
        master, slave = os.openpty()
        try:
            tty.setraw(slave)
            name = os.ttyname(slave)
            if self.link is not None:
                self._publish(name)
        except BaseException:
            os.close(master)
            os.close(slave)
            raise
        self.master, self._slave, self.slave_name = master, slave, name

    def _publish(self, target: str) -> None:
        self.link.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.link.with_name(self.link.name + ".new")
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        tmp.symlink_to(target)
        os.replace(tmp, self.link)  # atomic: never a moment without the link
