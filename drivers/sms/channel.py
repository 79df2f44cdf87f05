"""The AT command channel to a modem on a serial port: timeouts, echo, prompts, recovery.

Every command has a deadline.  When one passes, the channel recovers the port
before raising: ESC (aborts a pending AT+CMGS prompt), flush, probe with
``AT``; if the modem still says nothing, close and reopen the port and probe
again.  A channel that could not recover tries again before its next command.

>>> from drivers.sms.channel import AtChannel
>>> from drivers.sms.sim import ModemSimulator
>>> with ModemSimulator() as sim, AtChannel(sim.port, timeout_s=2) as at:
...     at.command("AT+CSQ")
['+CSQ: 23,99']
"""

from __future__ import annotations

import math
import os
import threading
import time

import serial

from drivers.errors import ConfigurationError, DeviceBusy, DeviceError, DeviceTimeout, DeviceUnavailable
from drivers.portholder import BUSY_HINT, busy_message, is_busy
from drivers.sms.at import final_result, result_error
from drivers.sms.errors import DEVICE, ModemProtocolError
from terminal.logs import get_logger

log = get_logger(__name__)

CTRL_Z, ESC = b"\x1a", b"\x1b"
MAX_LINE = 4096
INIT_COMMANDS = ("ATE0", "AT+CMEE=1")   # no echo; numeric +CME/+CMS codes


def check_seconds(setting: str, value) -> float:
    """A timeout setting as float seconds; anything but a finite number above 0 is refused by name."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(DEVICE, f"{setting} must be a number of seconds above 0, got {value!r}")
    return float(value)


class AtChannel:
    """Commands in, (information lines, final result) out, over one serial port.

    >>> from drivers.sms.sim import ModemSimulator
    >>> with ModemSimulator() as sim, AtChannel(sim.port, timeout_s=2) as at:
    ...     at.command("AT+CREG?"), at.command("AT+CGMI")
    (['+CREG: 0,1'], ['SIMCOM INCORPORATED'])
    """

    def __init__(self, port: str, *, baudrate: int = 115200, timeout_s: float = 5.0,
                 init_commands: tuple[str, ...] = INIT_COMMANDS):
        self.port = port
        self.baudrate = baudrate
        # nan would make every deadline unreachable; 0 or less would time out before the modem can answer.
        self.timeout_s = check_seconds("command timeout_s", timeout_s)
        self.init_commands = init_commands
        self.generation = 0          # +1 after every (re)initialisation: callers redo their mode setup
        self._serial: serial.Serial | None = None
        self._buffer = b""
        self._lock = threading.RLock()
        self._needs_recovery = False
        self._closed = False
        try:
            self._open()
            self._initialise()
        except BaseException:
            self.close()
            raise

    # -- public ------------------------------------------------------------------------------

    def command(self, cmd: str, *, timeout_s: float | None = None) -> list[str]:
        """Send one command; return its information lines or raise the typed error of its result."""
        with self._lock:
            self._ready()
            return self._command(cmd, timeout_s or self.timeout_s)

    def send_pdu(self, tpdu_length: int, pdu_hex: str, *, timeout_s: float) -> list[str]:
        """AT+CMGS=<length>, wait for the ``>`` prompt, send the PDU and Ctrl-Z, wait for the result.

        The prompt is taken in every form modems send: ``>`` with or without a
        space after it, with or without CR LF before and after it, after an echo
        of the command or not (TS 27.005 says CR LF ``> ``; SIMCom SIM7670G
        firmwares send CR LF ``>`` CR LF).
        """
        cmd = f"AT+CMGS={tpdu_length}"
        with self._lock:
            self._ready()
            self._write(cmd.encode() + b"\r")
            self._await(cmd, time.monotonic() + self.timeout_s, prompt=True)
            self._write(pdu_hex.encode() + CTRL_Z)
            return self._await(cmd, time.monotonic() + timeout_s, echo=pdu_hex)

    def recover(self) -> bool:
        """Bring a silent or confused modem back; True when it answers ``AT`` again."""
        with self._lock:
            if self._closed:
                return False
            for reopen in (False, True):
                try:
                    if reopen or self._serial is None:
                        self._reopen()
                    self._serial.write(ESC)                  # abort a pending CMGS prompt
                    self._drain(0.15)
                    self._command("AT", min(1.0, self.timeout_s), recovering=True)
                    self._initialise(recovering=True)
                    self._needs_recovery = False
                    log.info("sms.modem_recovered", port=self.port, reopened=reopen)
                    return True
                except (DeviceError, serial.SerialException, OSError):
                    continue
            self._needs_recovery = True
            return False

    def close(self) -> None:
        """Release the port for good: later commands fail instead of reopening it."""
        with self._lock:
            self._closed = True
            self._close_port()

    def _close_port(self) -> None:
        with self._lock:
            if self._serial is not None:
                try:
                    self._serial.close()
                except (serial.SerialException, OSError):
                    pass
                self._serial = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------

    def _open(self) -> None:
        try:
            self._serial = serial.Serial(self.port, self.baudrate, timeout=0.05,
                                         write_timeout=self.timeout_s, exclusive=True)
        except (serial.SerialException, OSError, ValueError) as exc:
            self._serial = None
            if is_busy(exc):
                raise DeviceBusy(DEVICE, f"cannot open modem port {self.port}: {busy_message(self.port)}",
                                 hint=BUSY_HINT) from None
            code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else getattr(exc, "errno", None)
            reason = os.strerror(code) if isinstance(code, int) else str(exc)
            raise DeviceUnavailable(DEVICE, f"cannot open modem port {self.port}: {reason}",
                                    hint="check the USB cable, the port name (prefer /dev/serial/by-id/...) "
                                         "and that this user is in the dialout group") from None
        self._buffer = b""

    def _reopen(self) -> None:
        self._close_port()
        self._open()

    def _initialise(self, *, recovering: bool = False) -> None:
        for cmd in self.init_commands:
            self._command(cmd, self.timeout_s, recovering=recovering)
        self.generation += 1

    def _ready(self) -> None:
        if self._closed:
            raise DeviceUnavailable(DEVICE, f"the modem on {self.port} has been closed",
                                    hint="open the modem again")
        if self._serial is None or self._needs_recovery:
            if not self.recover():
                raise DeviceTimeout(DEVICE, f"the modem on {self.port} is not answering",
                                    hint="power-cycle the modem or check its cable")

    def _command(self, cmd: str, timeout_s: float, *, recovering: bool = False) -> list[str]:
        self._write(cmd.encode() + b"\r")
        return self._await(cmd, time.monotonic() + timeout_s, recovering=recovering)

    def _write(self, data: bytes) -> None:
        try:
            self._serial.write(data)
        except serial.SerialTimeoutException:
            self._needs_recovery = True
            raise DeviceTimeout(DEVICE, f"the modem on {self.port} does not take data",
                                hint="check the modem's power and flow control") from None
        except (serial.SerialException, OSError) as exc:
            self._needs_recovery = True
            raise DeviceUnavailable(DEVICE, f"lost the modem on {self.port}: {exc}",
                                    hint="check the USB cable; the port is reopened on the next try") from None

    def _read(self) -> bytes:
        try:
            return self._serial.read(self._serial.in_waiting or 1)
        except (serial.SerialException, OSError) as exc:
            self._needs_recovery = True
            raise DeviceUnavailable(DEVICE, f"lost the modem on {self.port}: {exc}",
                                    hint="check the USB cable; the port is reopened on the next try") from None

    def _drain(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._read()
        self._serial.reset_input_buffer()
        self._buffer = b""

    def _await(self, cmd: str, deadline: float, *, prompt: bool = False, echo: str = "",
               recovering: bool = False) -> list[str]:
        """Read lines until the final result (or, with ``prompt``, the ``>`` of AT+CMGS)."""
        lines: list[str] = []
        while True:
            while True:
                line = self._next_line()
                if line is None:
                    break
                text = line.replace("\x1a", "").strip()
                if not text or text == cmd or (echo and text.lstrip("> ").strip() == echo):
                    continue                                   # blank, or the modem echoing us
                if prompt and text == ">":                     # ">" CR LF or "> " CR LF (SIM7670G)
                    return lines
                final = final_result(text)
                if final == "OK" and not prompt:
                    return lines
                if final is not None:
                    raise result_error(final)
                lines.append(text)
            if prompt and self._buffer.lstrip().startswith(b">"):   # "> " or ">" with no line end yet
                self._buffer = self._buffer.lstrip()[1:]
                return lines
            if time.monotonic() >= deadline:
                if recovering:
                    raise DeviceTimeout(DEVICE, f"no answer to {cmd}")
                self._timed_out(cmd, prompt, after_pdu=bool(echo))
            self._buffer += self._read()
            if len(self._buffer) > MAX_LINE:
                self._buffer = b""
                raise ModemProtocolError(f"the modem sent {MAX_LINE} bytes without a line break")

    def _next_line(self) -> str | None:
        ends = [i for i in (self._buffer.find(b"\r"), self._buffer.find(b"\n")) if i >= 0]
        if not ends:
            return None
        index = min(ends)
        raw = self._buffer[:index]
        self._buffer = self._buffer[index + (2 if self._buffer[index:index + 2] == b"\r\n" else 1):]
        return raw.decode("ascii", errors="replace")

    def _timed_out(self, cmd: str, prompt: bool, *, after_pdu: bool):
        name = cmd.split("=")[0]
        what = f"no > prompt after {name}" if prompt else f"no answer to {name}"
        log.warning("sms.modem_timeout", port=self.port, command=name)
        if after_pdu:
            what = "the network did not confirm the message in time; it may or may not have been sent"
        else:
            what += f" within {self.timeout_s:g} s"
        if self.recover():
            raise DeviceTimeout(DEVICE, what, hint="the port was recovered; try again")
        raise DeviceTimeout(DEVICE, f"the modem on {self.port} is not answering ({what})",
                            hint="power-cycle the modem or check its cable")
