"""A 4G/GSM modem on a serial port: its health, and sending SMS through it in PDU mode.

:class:`Modem` is the device (SIM, signal, registration); :class:`ModemSms` is
the :class:`~drivers.sms.sender.SmsSender` that sends through one.

>>> from drivers.sms.sim import ModemSimulator
>>> from drivers.sms.modem import Modem
>>> with ModemSimulator() as sim, Modem(sim.port, timeout_s=2) as modem:
...     modem.health().summary
'ready: SIM ready, home network, signal excellent (-67 dBm), SIMCOM_SIM7600G-H'
"""

from __future__ import annotations

import random
import threading

from drivers.base import Device
from drivers.errors import ConfigurationError, DeviceError
from drivers.health import Health
from drivers.sms.at import Registration, Signal, first_line, parse_cmgs, parse_cpin, parse_csq, parse_registration
from drivers.sms.channel import AtChannel, check_seconds
from drivers.sms.errors import DEVICE, ModemProtocolError, ModemResultError, NoNetwork, SimNotReady
from drivers.sms.pdu import encode_submit
from drivers.sms.sender import SendResult, SmsSender
from terminal.logs import get_logger

log = get_logger(__name__)


class Modem(Device):
    """The modem itself: opens the port, then answers what state it is in.

    ``port`` is the modem's AT serial port, ``baudrate`` its speed (USB
    modems ignore it), ``timeout_s`` the seconds every AT command may take.
    The constructor fails (and releases the port) with
    :class:`DeviceUnavailable` when the port cannot be opened,
    :class:`DeviceTimeout` when the modem is silent, and
    :class:`ConfigurationError` for a timeout that is not a number of
    seconds above 0.

    >>> from drivers.sms.sim import ModemSimulator
    >>> with ModemSimulator(fault="no-signal") as sim, Modem(sim.port, timeout_s=2) as modem:
    ...     modem.sim_state(), modem.signal().describe(), modem.registration().state
    ('READY', 'no signal', 'searching')
    """

    name = DEVICE

    def __init__(self, port: str, *, baudrate: int = 115200, timeout_s: float = 5.0):
        super().__init__()
        self.port = port
        self.channel = AtChannel(port, baudrate=baudrate, timeout_s=timeout_s)

    def command(self, cmd: str, **kw) -> list[str]:
        """Send the AT command ``cmd`` and return its information lines (the final OK left out).

        Keyword arguments go to :meth:`AtChannel.command` (``timeout_s=`` seconds).  Raises
        :class:`ModemResultError` (or a subclass) for an error result, :class:`DeviceTimeout`
        when the modem does not answer, :class:`ModemProtocolError` for a broken answer.
        """
        return self.channel.command(cmd, **kw)

    def sim_state(self) -> str:
        """``READY``, or what the SIM waits for (``SIM PIN``, ``SIM PUK``, ...)."""
        return parse_cpin(first_line(self.command("AT+CPIN?"), "+CPIN"))

    def signal(self) -> Signal:
        """The signal quality (+CSQ) as a :class:`Signal`; raises as :meth:`command`."""
        return parse_csq(first_line(self.command("AT+CSQ"), "+CSQ"))

    def registration(self) -> Registration:
        """Circuit-switched (+CREG) registration, or LTE (+CEREG) where CREG is not registered."""
        creg = parse_registration(first_line(self.command("AT+CREG?"), "+CREG"), "+CREG")
        if creg.registered:
            return creg
        try:
            cereg = parse_registration(first_line(self.command("AT+CEREG?"), "+CEREG"), "+CEREG")
        except ModemResultError:       # a 2G/3G-only modem has no +CEREG
            return creg
        return cereg if cereg.registered else creg

    def service_centre(self) -> str | None:
        """The SMS centre number on the SIM ("" when unset), or None if the modem cannot say."""
        try:
            line = first_line(self.command("AT+CSCA?"), "+CSCA")
        except (ModemResultError, ModemProtocolError):
            return None
        return line[len("+CSCA:"):].split(",")[0].strip().strip('"')

    def model(self) -> str:
        """The modem's model (+CGMM), or ``'unknown model'`` when it will not say; else raises as :meth:`command`."""
        try:
            lines = self.command("AT+CGMM")
        except ModemResultError:
            return "unknown model"
        return lines[0] if lines else "unknown model"

    def check_ready(self) -> None:
        """Raise :class:`SimNotReady` or :class:`NoNetwork` unless the modem can send now."""
        state = self.sim_state()
        if state != "READY":
            raise SimNotReady(f"the SIM card is locked ({state})",
                              hint="unlock the SIM in a phone (remove its PIN) and put it back")
        registration = self.registration()
        if not registration.registered:
            raise NoNetwork(f"the modem is not registered on a network ({registration.state})")

    def health(self) -> Health:
        """SIM, signal, registration, model and SMS centre as a :class:`Health`; never raises (``ok=False``)."""
        details: dict = {"port": self.port}
        try:
            state = self.sim_state()
            details["sim"] = state
            signal = self.signal()
            details.update(signal_rssi=signal.rssi, signal_dbm=signal.dbm)
            registration = self.registration()
            details["registration"] = registration.state
            details["model"] = self.model()
            details["service_centre"] = smsc = self.service_centre() if state == "READY" else None
        except DeviceError as exc:
            return Health(self.name, False, exc.reason + (f" ({exc.hint})" if exc.hint else ""), details)
        if state != "READY":
            return Health(self.name, False, f"SIM not ready ({state})", details)
        if not registration.registered:
            return Health(self.name, False, f"not registered ({registration.state}); signal: {signal.describe()}",
                          details)
        if smsc == "":
            return Health(self.name, False, "the SIM has no SMS centre number (set it with AT+CSCA or ask "
                          "the operator)", details)
        network = "home network" if registration.state.startswith("home") else "roaming"
        ok = signal.usable
        return Health(self.name, ok, f"{'ready' if ok else 'weak'}: SIM ready, {network}, signal "
                      f"{signal.describe()}, {details['model']}", details)

    def close(self) -> None:
        """Release the serial port; calling it again does nothing."""
        if not self.closed and hasattr(self, "channel"):
            self.channel.close()
        super().close()


class ModemSms(SmsSender):
    """Sends SMS through a :class:`Modem` in PDU mode (UCS2 for Chinese, concatenated when long).

    ``port``, ``baudrate`` and ``timeout_s`` (seconds per AT command) are
    the :class:`Modem`'s; ``send_timeout_s`` bounds the network's answer to
    each part, in seconds; ``validity_s`` is how long (seconds) the network
    keeps trying to deliver (None: the network's default); ``sign`` is put
    in front of every message (e.g. ``【人事服务】``); ``max_parts`` is the
    longest message in parts (1-255).  Raises :class:`ConfigurationError`
    for a bad setting (before the port is opened) and the :class:`Modem`'s
    errors.  :meth:`send` raises :class:`SimNotReady`, :class:`NoNetwork`,
    :class:`CmsError` and the other :class:`SmsError` types.

    >>> from drivers.sms.sim import ModemSimulator
    >>> with ModemSimulator() as sim, ModemSms(sim.port, sign="【人事服务】") as sms:
    ...     sms.send("+8613800138000", "验证码 123456" * 10, key="otp-42").parts
    ...     sim.messages[0].text[:16]
    2
    '【人事服务】验证码 123456'
    """

    transport = "modem"

    def __init__(self, port: str, *, baudrate: int = 115200, timeout_s: float = 5.0,
                 send_timeout_s: float = 60.0, validity_s: int | None = 600, sign: str = "",
                 max_parts: int = 10):
        super().__init__()
        self.send_timeout_s = check_seconds("send_timeout_s", send_timeout_s)
        check_seconds("command timeout_s", timeout_s)      # before the port is opened
        if not _whole(max_parts) or not 1 <= max_parts <= 255:
            raise ConfigurationError(DEVICE, f"max_parts must be a whole number 1-255, got {max_parts!r}")
        if validity_s is not None and (not _whole(validity_s) or validity_s < 1):
            raise ConfigurationError(DEVICE, f"validity_s must be a whole number of seconds above 0, got "
                                             f"{validity_s!r}")
        self.validity_s = validity_s
        self.sign = sign
        self.max_parts = max_parts
        self._reference = random.randrange(256)
        self._lock = threading.Lock()
        self.modem = Modem(port, baudrate=baudrate, timeout_s=timeout_s)

    def health(self) -> Health:
        """The modem's :meth:`Modem.health`; never raises."""
        return self.modem.health()

    def _send(self, to: str, text: str, key: str) -> SendResult:
        with self._lock:
            self._reference = (self._reference + 1) % 256
            pdus = encode_submit(to, self.sign + text, reference=self._reference,
                                 validity_s=self.validity_s, max_parts=self.max_parts)
            self.modem.check_ready()
            channel = self.modem.channel
            # Every message, not once per connection: a modem that restarted behind the open port (or
            # that another program switched) may be in text mode, where AT+CMGS=<length> would send
            # the hex PDU as text to the phone number <length>.
            channel.command("AT+CMGF=0")
            references = []
            for number, pdu in enumerate(pdus, start=1):
                try:
                    lines = channel.send_pdu(pdu.tpdu_length, pdu.hex, timeout_s=self.send_timeout_s)
                    references.append(str(parse_cmgs(first_line(lines, "+CMGS"))))
                except DeviceError as exc:
                    if number > 1:
                        exc.args = (f"{exc}; {number - 1} of {len(pdus)} parts had been sent",)
                    exc.parts_sent = number - 1
                    log.warning("sms.send_failed", to=to, key=key, part=number, parts=len(pdus),
                                error=type(exc).__name__, reason=exc.reason)
                    raise
        log.info("sms.sent", to=to, key=key, transport=self.transport, parts=len(pdus))
        return SendResult(key, self.transport, len(pdus), tuple(references))

    def close(self) -> None:
        """Release the modem's port; calling it again does nothing."""
        if not self.closed and hasattr(self, "modem"):
            self.modem.close()
        super().close()


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
