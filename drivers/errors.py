"""Typed device errors, each with a message a technician can act on.

>>> from drivers.errors import DeviceTimeout
>>> err = DeviceTimeout("idcard", "no answer within 3.0 s", hint="check the USB cable")
>>> str(err)
'idcard: no answer within 3.0 s (check the USB cable)'
>>> isinstance(err, DeviceError)
True
"""

from __future__ import annotations

from terminal import TerminalError


class DeviceError(TerminalError):
    """Base of every device error: names the device, says what happened and what to do.

    ``device`` names the device (``"idcard"``), ``message`` says what happened
    (kept as ``reason``), ``hint`` what to do about it (may be empty); the
    text is ``"device: message (hint)"``.
    """

    def __init__(self, device: str, message: str, *, hint: str = ""):
        self.device = device
        self.reason = message
        self.hint = hint
        super().__init__(f"{device}: {message}" + (f" ({hint})" if hint else ""))


class DeviceUnavailable(DeviceError):
    """The device cannot be opened or has gone away (unplugged, wrong port, no permission)."""


class DeviceBusy(DeviceUnavailable):
    """Another program holds the device (an exclusive serial port): it is there, but not ours now."""


class DeviceTimeout(DeviceError):
    """The device did not answer in time."""


class ProtocolError(DeviceError):
    """The device answered with bytes that break its protocol (framing, checksum, length)."""


class DeviceRefused(DeviceError):
    """The device answered correctly but refused the request (a status code says why)."""


class OutOfPaper(DeviceRefused):
    """A printer has no paper or media left."""


class CoverOpen(DeviceRefused):
    """A printer's cover is open."""


class ConfigurationError(DeviceError):
    """A device setting is wrong; the message names the setting (exit code 2, like a bad config file)."""

    exit_code = 2
