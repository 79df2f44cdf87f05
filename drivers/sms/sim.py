"""A 4G/GSM modem simulator on a pseudo-terminal, speaking AT byte for byte.

It echoes (until ATE0), answers the health commands, gives the ``> `` prompt
for AT+CMGS, decodes every PDU it receives (the same codec the driver uses,
checked in the tests against PDUs made by other implementations), reassembles
concatenated parts and records whole messages.  ``prompt`` picks which form of
the AT+CMGS prompt it sends (:data:`PROMPTS`).  It can be told to have no SIM,
no signal, to answer CMGS with a +CMS ERROR, or to hang (all input ignored;
or ``hang-on-submit``: stuck after the PDU until ESC).

>>> from drivers.sms.sim import ModemSimulator
>>> from drivers.sms.modem import ModemSms
>>> with ModemSimulator() as sim, ModemSms(sim.port, timeout_s=2) as sms:
...     _ = sms.send("+8613800138000", "验证码 123456，10分钟内有效")
...     sim.messages[0].recipient, sim.messages[0].text
('+8613800138000', '验证码 123456，10分钟内有效')
"""

from __future__ import annotations

import json
import os
import re
import select
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from drivers.errors import ConfigurationError
from drivers.simport import PseudoSerialPort
from drivers.sms.at import ascii_int
from drivers.sms.errors import CME_MEANINGS, CMS_MEANINGS, PduError
from drivers.sms.pdu import decode_submit
from terminal.logs import get_logger

log = get_logger(__name__)

FAULTS = ("no-sim", "no-signal", "cms-error", "hang", "hang-on-submit")
# The forms of the AT+CMGS prompt real modems send (what follows the echo of the command, if any).
PROMPTS = {
    "space": b"\r\n> ",               # 3GPP TS 27.005 3.5.1; SIM7600, Quectel EC2x, Telit
    "crlf": b"\r\n>\r\n",           # SIMCom SIM7670G (2382B02SIM767XM5A, gammu issue 1176)
    "bare": b"\r\n>",                 # ">" with nothing after it
    "space-crlf": b"\r\n> \r\n",    # "> " ended as a line
    "tight-space": b"> ",              # the forms above without the leading CR LF
    "tight-crlf": b">\r\n",
    "tight-bare": b">",
    "tight-space-crlf": b"> \r\n",
}
CTRL_Z, ESC = 0x1A, 0x1B
_TEXT_NUMBER = re.compile(r"\+?[0-9*#]{1,20}")      # ASCII only: [0-9], never \d


@dataclass(frozen=True)
class ReceivedSms:
    """A whole message as the network would deliver it."""

    recipient: str
    text: str
    parts: int
    encoding: str
    reference: int | None
    received_at: float = field(default_factory=time.time)


class ModemSimulator:
    """A SIM7600-like modem on a pty.  ``port`` is the path a driver opens.

    ``link``: also make this path a symlink to the pty (as udev makes
    /dev/serial/by-id/... links).  ``record``: append each received message to
    this JSON-lines file (the simulated handset's inbox).  ``fault`` one of
    ``FAULTS`` (None: behave), ``cms_code`` the code 'cms-error' answers,
    ``signal`` the +CSQ rssi (0-31), ``roaming`` register as roaming,
    ``service_centre`` the SIM's SMS centre number ('' = none), ``prompt``
    the AT+CMGS prompt form (a ``PROMPTS`` key).  It starts at once; a
    context manager that closes on exit.  Raises :class:`ConfigurationError`
    for an unknown fault or prompt, a ``record`` file it cannot append to,
    or a ``link`` that exists and is not a symlink.

    >>> from drivers.sms.modem import Modem
    >>> with ModemSimulator(fault="no-sim") as sim, Modem(sim.port, timeout_s=2) as modem:
    ...     modem.health().summary
    'SIM not ready: +CME ERROR: 10 (SIM not inserted) (check that a SIM card is inserted and has no PIN lock)'
    """

    model = "SIM7600G-H"

    def __init__(self, link: str | os.PathLike | None = None, *, fault: str | None = None,
                 cms_code: int = 500, signal: int = 23, roaming: bool = False,
                 service_centre: str = "+8613800100500", record: str | os.PathLike | None = None,
                 prompt: str = "space"):
        if prompt not in PROMPTS:
            raise ConfigurationError("modem-sim", f"unknown prompt form {prompt!r}; choose one of "
                                                  f"{', '.join(PROMPTS)}")
        self.prompt = prompt
        self.messages: list[ReceivedSms] = []
        self.commands: list[str] = []          # every command line received, for tests
        self.aborted = 0                       # CMGS prompts cancelled with ESC
        self.record = Path(record) if record else None
        if self.record is not None:
            try:  # find out now, not when the first message arrives and the thread has no one to tell
                self.record.parent.mkdir(parents=True, exist_ok=True)
                with self.record.open("a", encoding="utf-8"):
                    pass
            except OSError as exc:
                raise ConfigurationError("modem-sim", f"cannot append received messages to {self.record}: "
                                                      f"{exc.strerror or exc}",
                                         hint="name a writable --record file") from None
        self.signal = signal
        self.service_centre = service_centre
        self.roaming = roaming
        self.cms_code = cms_code
        self.fault: str | None = None
        self.set_fault(fault, cms_code=cms_code)
        self._echo = True
        self._cmee = 0
        self._cmgf = 0
        self._creg_n = {"+CREG": 0, "+CEREG": 0, "+CGREG": 0}
        self._mr = 0
        self._pending: dict[tuple, dict[int, str]] = {}
        self._mode = "command"                 # "command" | "pdu" | "text" | "stuck"
        self._cmgs: object = None
        self._line = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._pty = PseudoSerialPort(link, device="modem-sim")
        # Non-blocking, so a client that never reads cannot wedge the thread in write() past close().
        os.set_blocking(self._pty.master, False)
        self.pty = self._pty.slave_name
        self.port = self._pty.port
        self._thread = threading.Thread(target=self._run, name="modem-sim", daemon=True)
        self._thread.start()

    # -- scripting -----------------------------------------------------------------------------

    def set_fault(self, fault: str | None, *, cms_code: int | None = None) -> None:
        """Misbehave from now on: ``fault`` one of ``FAULTS`` (None: behave).

        ``cms_code`` is the +CMS ERROR code 'cms-error' answers (None: keep it).

        Raises :class:`ConfigurationError` for an unknown fault.
        """
        if fault is not None and fault not in FAULTS:
            raise ConfigurationError("modem-sim", f"unknown fault {fault!r}; choose one of {', '.join(FAULTS)}")
        self.fault = fault
        if cms_code is not None:
            self.cms_code = cms_code

    def restart(self, *, saved_text_mode: bool = False) -> None:
        """Act out a modem that restarted behind the driver's back (a watchdog reset on a UART link):
        echo on, numeric errors off, and the message format its saved profile holds."""
        with self._lock:
            self._echo, self._cmee, self._cmgf = True, 0, 1 if saved_text_mode else 0
            self._mode, self._line = "command", bytearray()

    def close(self) -> None:
        """Stop answering and release the pty and its link; calling it again does nothing."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._pty.close()  # removes the link only while it still leads to our pty

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- pty plumbing ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._pty.master], [], [], 0.1)
                if not ready:
                    continue
                data = os.read(self._pty.master, 4096)
            except OSError:
                if self._stop.is_set():
                    return
                time.sleep(0.05)
                continue
            with self._lock:
                for byte in data:
                    self._feed(byte)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._stop.is_set():
            try:
                view = view[os.write(self._pty.master, view):]
            except BlockingIOError:              # the client is not reading: wait, but stay stoppable
                select.select([], [self._pty.master], [], 0.1)
            except OSError:
                return

    def _reply(self, *lines: str) -> None:
        self._write(b"".join(b"\r\n" + line.encode() + b"\r\n" for line in lines))

    # -- the modem -------------------------------------------------------------------------------

    def _feed(self, byte: int) -> None:
        if self.fault == "hang":
            return
        if self._mode == "stuck":
            if byte == ESC:                     # the driver's recovery aborts the stuck submit
                self._mode = "command"
                self.aborted += 1
            return
        if self._echo and byte not in (CTRL_Z, ESC):
            self._write(bytes([byte]))
        if self._mode in ("pdu", "text"):
            if byte == ESC:
                self._mode, self._line = "command", bytearray()
                self.aborted += 1
                self._reply("OK")
            elif byte == CTRL_Z:
                body, self._line = self._line.decode("ascii", errors="replace"), bytearray()
                mode, self._mode = self._mode, "command"
                self._submit(mode, body.strip())
            elif byte not in (0x0D, 0x0A) or self._mode == "text":
                self._line.append(byte)
            return
        if byte == 0x0D:
            line, self._line = self._line.decode("ascii", errors="replace").strip(), bytearray()
            if line:
                self.commands.append(line)
                self._command(line)
        elif byte not in (0x0A, ESC, CTRL_Z):
            self._line.append(byte)
            if len(self._line) > 1024:          # a real modem drops an overlong line
                self._line = bytearray()
                self._reply("ERROR")

    def _error(self, kind: str, code: int) -> None:
        if self._cmee == 0:
            self._reply("ERROR")
        elif self._cmee == 2:
            table = CMS_MEANINGS if kind == "CMS" else CME_MEANINGS
            self._reply(f"+{kind} ERROR: {table.get(code, 'unknown')}")
        else:
            self._reply(f"+{kind} ERROR: {code}")

    def _registration(self) -> int:
        if self.fault == "no-sim":
            return 0
        if self.fault == "no-signal":
            return 2
        return 5 if self.roaming else 1

    def _command(self, line: str) -> None:
        cmd = line.upper()
        if not cmd.startswith("AT"):
            self._reply("ERROR")
            return
        body = cmd[2:]
        if body in ("", "Z", "&F"):
            if body:
                self._echo, self._cmee, self._cmgf = True, 0, 0
            self._reply("OK")
        elif body in ("E0", "E1"):
            self._echo = body == "E1"
            self._reply("OK")
        elif body in ("I", "+CGMM"):
            self._reply(f"SIMCOM_{self.model}", "OK")
        elif body == "+CGMI":
            self._reply("SIMCOM INCORPORATED", "OK")
        elif body == "+CGMR":
            self._reply("+CGMR: LE20B04SIM7600G22", "OK")
        elif body.startswith("+CMEE="):
            value = body[6:]
            if value in ("0", "1", "2"):
                self._cmee = int(value)
                self._reply("OK")
            else:
                self._reply("ERROR")
        elif body == "+CPIN?":
            if self.fault == "no-sim":
                self._error("CME", 10)
            else:
                self._reply("+CPIN: READY", "OK")
        elif body == "+CSQ":
            rssi = 99 if self.fault in ("no-sim", "no-signal") else self.signal
            self._reply(f"+CSQ: {rssi},99", "OK")
        elif body in ("+CREG?", "+CEREG?", "+CGREG?"):
            name = body[:-1]
            self._reply(f"{name}: {self._creg_n[name]},{self._registration()}", "OK")
        elif body.split("=")[0] in ("+CREG", "+CEREG", "+CGREG") and "=" in body:
            name, value = body.split("=", 1)
            if value in ("0", "1", "2"):
                self._creg_n[name] = int(value)
                self._reply("OK")
            else:
                self._reply("ERROR")
        elif body.startswith("+CMGF="):
            if body[6:] in ("0", "1"):
                self._cmgf = int(body[6:])
                self._reply("OK")
            else:
                self._reply("ERROR")
        elif body == "+CSCA?":
            if self.fault == "no-sim":
                self._error("CMS", 310)
            else:
                toa = 145 if self.service_centre.startswith("+") else 129
                self._reply(f'+CSCA: "{self.service_centre}",{toa}', "OK")
        elif body == "+CMGF?":
            self._reply(f"+CMGF: {self._cmgf}", "OK")
        elif body.startswith("+CMGS="):
            self._cmgs_command(line[8:].strip())
        else:
            self._reply("ERROR")

    def _cmgs_command(self, argument: str) -> None:
        if self.fault == "no-sim":
            self._error("CMS", 310)
            return
        if self._cmgf == 0:
            length = ascii_int(argument, 3)
            if length is None or not 7 <= length <= 164:
                self._error("CMS", 304)
                return
            self._cmgs, self._mode = length, "pdu"
        else:
            number = argument.split(",")[0].strip().strip('"')
            if not _TEXT_NUMBER.fullmatch(number):
                self._error("CMS", 305)
                return
            self._cmgs, self._mode = number, "text"
        self._write(PROMPTS[self.prompt])

    def _submit(self, mode: str, body: str) -> None:
        if self.fault == "hang-on-submit":
            self._mode = "stuck"
            return
        if self.fault == "no-signal":
            self._error("CMS", 331)
            return
        if not self.service_centre and body[:2] == "00":     # no SMSC in the PDU nor on the SIM
            self._error("CMS", 330)
            return
        if self.fault == "cms-error":
            self._error("CMS", self.cms_code)
            return
        if mode == "text":
            self._deliver(ReceivedSms(str(self._cmgs), body, 1, "gsm7", None))
        else:
            try:
                data_len = len(body) // 2
                smsc = int(body[:2], 16) if len(body) >= 2 else 0
                if data_len - 1 - smsc != self._cmgs:
                    raise PduError(f"PDU has {data_len - 1 - smsc} TPDU octets, AT+CMGS said {self._cmgs}")
                sms = decode_submit(body)
            except (PduError, ValueError) as exc:
                log.warning("sms.sim_bad_pdu", reason=str(exc))
                self._error("CMS", 304)
                return
            self._accept_part(sms)
        self._mr = (self._mr + 1) % 256
        self._reply(f"+CMGS: {self._mr}", "OK")

    def _accept_part(self, sms) -> None:
        if sms.concat is None:
            self._deliver(ReceivedSms(sms.recipient, sms.text, 1, sms.encoding, None))
            return
        reference, total, seq = sms.concat
        parts = self._pending.setdefault((sms.recipient, reference, total), {})
        parts[seq] = sms.text
        if len(parts) == total:
            del self._pending[(sms.recipient, reference, total)]
            text = "".join(parts[i] for i in range(1, total + 1))
            self._deliver(ReceivedSms(sms.recipient, text, total, sms.encoding, reference))

    def _deliver(self, sms: ReceivedSms) -> None:
        self.messages.append(sms)
        log.info("sms.sim_received", to=sms.recipient, parts=sms.parts, chars=len(sms.text))
        if self.record is not None:
            try:
                self.record.parent.mkdir(parents=True, exist_ok=True)
                with self.record.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(asdict(sms), ensure_ascii=False) + "\n")
            except OSError as exc:   # the modem keeps answering; only the inbox file misses this one
                log.warning("sms.sim_record_failed", path=str(self.record), error=exc.strerror or str(exc))
