"""Where a receipt printer is: a URI, parsed early, opened through python-escpos.

URIs a technician can type:

* ``tcp://HOST[:PORT]`` network printer, raw port (9100 when omitted)
* ``serial:///dev/ttyUSB0[?baud=19200]`` serial printer (8N1)
* ``usb://VID:PID`` USB printer (hex ids, e.g. ``usb://04b8:0202``)
* ``file:///dev/usb/lp0`` a device or plain file, write-only (no status)

>>> from drivers.receipt.connection import PrinterURI
>>> PrinterURI.parse("tcp://10.0.0.7")
PrinterURI(scheme='tcp', host='10.0.0.7', port=9100, path='', baud=19200, vid=0, pid=0)
>>> PrinterURI.parse("usb://04b8:0202").vid
1208

The :class:`Connection` is the seam: it writes bytes and reads status bytes
with a deadline.  Tests point it at the TCP 9100 simulator.
"""

from __future__ import annotations

import re
import select
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from drivers.errors import ConfigurationError, DeviceTimeout, DeviceUnavailable

DEVICE = "receipt"
FORMS = "tcp://HOST:PORT, serial:///dev/ttyX, usb://VID:PID or file:///path"
BAUDS = (9600, 19200, 38400, 57600, 115200)
# ASCII only: str.isdigit() and int() also take '²', '１' and '١', and \d matches the last two.
_ASCII_NUMBER = re.compile(r"[0-9]{1,7}")
_USB_ID = re.compile(r"[0-9A-Fa-f]{1,4}")


def check_host(host: str, bad) -> None:
    """Refuse a host name with digits that are not ASCII: '１０.０.０.７' would be read as 10.0.0.7
    by the resolver's IDNA step, a printer the technician may not have meant."""
    odd = next((ch for ch in host if ch.isnumeric() and not ch.isascii()), None)
    if odd is not None:
        raise bad(f"the host has {odd!r} (U+{ord(odd):04X}), which is not an ASCII digit 0-9")


@dataclass(frozen=True)
class PrinterURI:
    """A parsed printer URI: ``scheme`` (tcp, serial, usb, file) and the fields that scheme uses
    (``host``/``port``; ``path``/``baud``; ``vid``/``pid``).  ``str()`` gives it back as a URI."""

    scheme: str
    host: str = ""
    port: int = 9100
    path: str = ""
    baud: int = 19200
    vid: int = 0
    pid: int = 0

    @classmethod
    def parse(cls, uri: str) -> "PrinterURI":
        """``uri`` (one of ``FORMS``) as a :class:`PrinterURI`; raises :class:`ConfigurationError` saying why not."""
        def bad(why: str) -> ConfigurationError:
            return ConfigurationError(DEVICE, f"printer URI {uri!r}: {why}", hint=f"use {FORMS}")

        if not isinstance(uri, str) or "://" not in uri:
            raise bad("not a URI")
        parts = urlsplit(uri)
        scheme = parts.scheme.lower()
        if scheme == "tcp":
            try:
                host, port = parts.hostname, parts.port
            except ValueError:
                raise bad("the port is not a number from 1 to 65535") from None
            if not host:
                raise bad("no host")
            if port == 0:
                raise bad("the port is not a number from 1 to 65535")
            check_host(host, bad)
            return cls("tcp", host=host, port=port or 9100)
        if scheme == "serial":
            if not parts.path or parts.netloc:
                raise bad("expected serial:///dev/ttyX (three slashes)")
            baud = parse_qs(parts.query).get("baud", ["19200"])[0]
            if not _ASCII_NUMBER.fullmatch(baud) or int(baud) not in BAUDS:
                raise bad(f"baud {baud[:20]!r} is not 9600, 19200, 38400, 57600 or 115200 (digits 0-9)")
            return cls("serial", path=parts.path, baud=int(baud))
        if scheme == "usb":
            ids = (parts.netloc + parts.path).strip("/").split(":")
            if len(ids) != 2 or not all(_USB_ID.fullmatch(x) for x in ids):
                raise bad("expected usb://VID:PID with hex ids (0-9, a-f), e.g. usb://04b8:0202")
            vid, pid = (int(x, 16) for x in ids)
            if not (0 < vid <= 0xFFFF and 0 < pid <= 0xFFFF):
                raise bad("USB ids must be 0001..ffff")
            return cls("usb", vid=vid, pid=pid)
        if scheme == "file":
            if not parts.path or parts.netloc:
                raise bad("expected file:///path (three slashes)")
            return cls("file", path=parts.path)
        raise bad(f"unknown scheme {parts.scheme!r}")

    @property
    def can_read_status(self) -> bool:
        """False for a file: it can only be written to."""
        return self.scheme != "file"

    def __str__(self) -> str:
        return {"tcp": f"tcp://{self.host}:{self.port}", "serial": f"serial://{self.path}?baud={self.baud}",
                "usb": f"usb://{self.vid:04x}:{self.pid:04x}", "file": f"file://{self.path}"}[self.scheme]


class Connection:
    """An open python-escpos connection plus status reads with a deadline.

    python-escpos's own ``query_status`` blocks on the connection's timeout
    (60 s for a network printer) and its ``paper_status`` says "adequate" when
    nothing answers, so status bytes are read here instead.

    ``uri`` is where the printer is; ``timeout_s`` the seconds connecting and
    each write may take.  Raises :class:`DeviceUnavailable` when the printer
    cannot be opened (the hint says what to check for its kind of link).
    """

    def __init__(self, uri: PrinterURI, *, timeout_s: float = 5.0):
        from escpos import printer as escpos_printer
        from escpos.exceptions import DeviceNotFoundError

        self.uri = uri
        self.timeout_s = timeout_s
        try:
            if uri.scheme == "tcp":
                self.escpos = escpos_printer.Network(uri.host, port=uri.port, timeout=timeout_s)
            elif uri.scheme == "serial":
                self.escpos = escpos_printer.Serial(uri.path, baudrate=uri.baud, timeout=timeout_s)
            elif uri.scheme == "usb":
                self.escpos = escpos_printer.Usb(uri.vid, uri.pid, timeout=int(timeout_s * 1000))
            else:
                self.escpos = escpos_printer.File(uri.path)
            self.escpos.open()
        except DeviceNotFoundError as exc:
            detail = str(exc).replace("\n", " ")
            raise DeviceUnavailable(DEVICE, f"cannot open {uri}: {detail}",
                                    hint=_hint(uri)) from None
        except Exception as exc:  # e.g. pyusb missing a backend, permission denied
            raise DeviceUnavailable(DEVICE, f"cannot open {uri}: {exc}", hint=_hint(uri)) from None
        if self.escpos.device is None:
            raise DeviceUnavailable(DEVICE, f"cannot open {uri}", hint=_hint(uri))
        if uri.scheme == "serial":
            # pyserial writes without a timeout by default: a USB virtual-COM printer (ttyACM) that
            # is out of paper with a full buffer stops taking bytes and would block us for ever.
            self.escpos.device.write_timeout = timeout_s

    def write(self, data: bytes) -> None:
        """Send ``data`` to the printer; raises :class:`DeviceTimeout` when it stops taking bytes for
        ``timeout_s`` seconds, :class:`DeviceUnavailable` when the connection fails."""
        try:
            self.escpos._raw(data)
        except Exception as exc:
            if "timeout" in type(exc).__name__.lower():  # socket, serial.SerialTimeoutException, usb
                # The printer stopped reading (a full buffer while out of paper, cover open, offline).
                raise DeviceTimeout(DEVICE, f"{self.uri} stopped taking data for {self.timeout_s:g} s",
                                    hint="is it out of paper, its cover open or offline?") from None
            if isinstance(exc, OSError):
                raise DeviceUnavailable(DEVICE, f"connection to {self.uri} lost while sending: {exc}",
                                        hint=_hint(self.uri)) from None
            raise DeviceUnavailable(DEVICE, f"write to {self.uri} failed: {exc}", hint=_hint(self.uri)) from None

    def query(self, request: bytes, *, timeout_s: float) -> bytes:
        """Send a real-time request and return the one answer byte, or b'' when none came within ``timeout_s`` seconds.

        Raises :class:`DeviceUnavailable` when the connection fails, and as :meth:`write`.
        """
        if not self.uri.can_read_status:
            return b""
        self._drain()
        self.write(request)
        deadline = time.monotonic() + timeout_s
        device = self.escpos.device
        try:
            if self.uri.scheme == "tcp":
                while (left := deadline - time.monotonic()) > 0:
                    ready, _, _ = select.select([device], [], [], left)
                    if ready:
                        return device.recv(1)  # b'' means the printer closed the connection
                return b""
            if self.uri.scheme == "serial":
                device.timeout = timeout_s
                return device.read(1)
            # usb
            return bytes(device.read(self.escpos.in_ep, 1, int(timeout_s * 1000)))
        except OSError:
            return b""
        except Exception as exc:
            if "timeout" in type(exc).__name__.lower() or "timed out" in str(exc).lower():
                return b""
            raise DeviceUnavailable(DEVICE, f"status read from {self.uri} failed: {exc}") from None

    def _drain(self) -> None:
        """Drop stale bytes (a late answer to an earlier query must not be read as this one's)."""
        device = self.escpos.device
        try:
            if self.uri.scheme == "tcp":
                while select.select([device], [], [], 0)[0]:
                    if not device.recv(64):
                        return
            elif self.uri.scheme == "serial":
                device.reset_input_buffer()
        except OSError:
            pass

    def close(self) -> None:
        """Close the connection; calling it again does nothing."""
        escpos, self.escpos = getattr(self, "escpos", None), None
        if escpos is not None:
            try:
                escpos.close()
            except Exception:
                pass
            escpos._device = False  # python-escpos's Network.close leaves it set


def _hint(uri: PrinterURI) -> str:
    return {
        "tcp": "check the printer is on, its network cable, and its IP address and port 9100",
        "serial": "check the cable, the port name and that this user may open it (group dialout)",
        "usb": "check the USB cable and ids (lsusb), and the udev rule giving this user access",
        "file": "check the path exists and is writable",
    }[uri.scheme]
