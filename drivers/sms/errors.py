"""Typed SMS errors: each says what went wrong and what a person can do about it.

Modem result codes (+CMS ERROR from 3GPP TS 27.005, +CME ERROR from TS 27.007)
become errors whose message carries the code *and* its meaning in words:

>>> from drivers.sms.errors import modem_error, SimNotReady, CmsError
>>> err = modem_error("CMS", 38)
>>> isinstance(err, CmsError), err.code, err.transient
(True, 38, True)
>>> str(err)
'sms: modem refused: +CMS ERROR: 38 (network out of order) (the network is having trouble; try again in a minute)'
>>> isinstance(modem_error("CME", 10), SimNotReady)
True
"""

from __future__ import annotations

from drivers.errors import DeviceError, DeviceRefused, DeviceUnavailable, ProtocolError

DEVICE = "sms"

# 3GPP TS 24.011 / 23.040 causes and TS 27.005 §3.2.5 codes.
CMS_MEANINGS = {
    1: "unassigned (unallocated) number", 8: "operator determined barring", 10: "call barred",
    21: "short message transfer rejected", 27: "destination out of service", 28: "unidentified subscriber",
    29: "facility rejected", 30: "unknown subscriber", 38: "network out of order", 41: "temporary failure",
    42: "congestion", 47: "resources unavailable, unspecified", 50: "requested facility not subscribed",
    69: "requested facility not implemented", 81: "invalid short message transfer reference value",
    95: "invalid message, unspecified", 96: "invalid mandatory information", 97: "message type non-existent",
    98: "message not compatible with short message protocol state", 99: "information element non-existent",
    111: "protocol error, unspecified", 127: "interworking, unspecified",
    128: "telematic interworking not supported", 129: "short message type 0 not supported",
    130: "cannot replace short message", 143: "unspecified TP-PID error",
    144: "data coding scheme (alphabet) not supported", 145: "message class not supported",
    159: "unspecified TP-DCS error", 160: "command cannot be actioned", 161: "command unsupported",
    175: "unspecified TP-command error", 176: "TPDU not supported", 192: "SC busy",
    193: "no SC subscription", 194: "SC system failure", 195: "invalid SME address",
    196: "destination SME barred", 197: "SM rejected - duplicate SM", 198: "TP-VPF not supported",
    199: "TP-VP not supported", 208: "SIM SMS storage full", 209: "no SMS storage capability in SIM",
    210: "error in MS", 211: "memory capacity exceeded", 212: "SIM application toolkit busy",
    213: "SIM data download error", 255: "unspecified error cause", 300: "ME failure",
    301: "SMS service of ME reserved", 302: "operation not allowed", 303: "operation not supported",
    304: "invalid PDU mode parameter", 305: "invalid text mode parameter", 310: "SIM not inserted",
    311: "SIM PIN required", 312: "PH-SIM PIN required", 313: "SIM failure", 314: "SIM busy",
    315: "SIM wrong", 316: "SIM PUK required", 317: "SIM PIN2 required", 318: "SIM PUK2 required",
    320: "memory failure", 321: "invalid memory index", 322: "memory full", 330: "SMSC address unknown",
    331: "no network service", 332: "network timeout", 340: "no +CNMA acknowledgement expected",
    500: "unknown error",
}

CME_MEANINGS = {
    0: "phone failure", 1: "no connection to phone", 2: "phone adaptor link reserved",
    3: "operation not allowed", 4: "operation not supported", 5: "PH-SIM PIN required",
    6: "PH-FSIM PIN required", 7: "PH-FSIM PUK required", 10: "SIM not inserted", 11: "SIM PIN required",
    12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy", 15: "SIM wrong", 16: "incorrect password",
    17: "SIM PIN2 required", 18: "SIM PUK2 required", 20: "memory full", 21: "invalid index",
    22: "not found", 23: "memory failure", 24: "text string too long", 25: "invalid characters in text string",
    26: "dial string too long", 27: "invalid characters in dial string", 30: "no network service",
    31: "network timeout", 32: "network not allowed - emergency calls only", 100: "unknown",
}

# Codes that say "try again later" rather than "this will never work".
TRANSIENT_CMS = frozenset({38, 41, 42, 47, 192, 194, 314, 331, 332, 500})
TRANSIENT_CME = frozenset({14, 30, 31, 100})
SIM_CMS = frozenset(range(310, 319))
SIM_CME = frozenset({5, 10, 11, 12, 13, 14, 15, 16, 17, 18})
NETWORK_CMS = frozenset({331, 332})
NETWORK_CME = frozenset({30, 31, 32})
RECIPIENT_CMS = frozenset({1, 28, 30, 195, 196})


class SmsError(DeviceError):
    """Base of every SMS error."""

    def __init__(self, message: str, *, hint: str = "", device: str = DEVICE):
        super().__init__(device, message, hint=hint)


class InvalidMessage(SmsError):
    """The recipient or the text cannot be sent (bad number, empty or too long text)."""



class KeyConflict(InvalidMessage):
    """An idempotency key was reused for a different message."""


class ModemResultError(SmsError, DeviceRefused):
    """The modem answered a command with +CMS ERROR / +CME ERROR / ERROR."""

    kind = "ERROR"

    def __init__(self, code: int | None, meaning: str, *, hint: str = "", transient: bool = False):
        self.code = code
        self.meaning = meaning
        self.transient = transient
        shown = f"+{self.kind} ERROR: {code} ({meaning})" if code is not None else f"{self.kind} ({meaning})"
        super().__init__(f"modem refused: {shown}", hint=hint)


class CmsError(ModemResultError):
    """+CMS ERROR: a message-service failure (TS 27.005)."""

    kind = "CMS"


class CmeError(ModemResultError):
    """+CME ERROR: an equipment failure (TS 27.007)."""

    kind = "CME"


class SimNotReady(SmsError, DeviceUnavailable):
    """No SIM card, or the SIM is locked (PIN/PUK) or failing."""

    def __init__(self, message: str, *, code: int | None = None, hint: str = ""):
        self.code = code
        self.transient = code in (14, 314)
        super().__init__(message, hint=hint or "check that a SIM card is inserted and has no PIN lock")


class NoNetwork(SmsError, DeviceUnavailable):
    """The modem has no signal or is not registered on a network."""

    def __init__(self, message: str, *, code: int | None = None, hint: str = ""):
        self.code = code
        self.transient = True
        super().__init__(message, hint=hint or "check the antenna and the SIM's service; try again later")


class ModemProtocolError(SmsError, ProtocolError):
    """The modem's answer breaks the AT command syntax."""


class PduError(SmsError, ProtocolError):
    """A PDU cannot be decoded (truncated, bad hex, bad field)."""


class CentralError(SmsError):
    """Base of errors from the central platform's SMS API."""

    def __init__(self, message: str, *, status: int | None = None, hint: str = ""):
        self.status = status
        super().__init__(message, hint=hint)


class CentralRejected(CentralError, DeviceRefused):
    """Central refused the message for good (4xx): retrying the same request will not help."""


class CentralRateLimited(CentralRejected):
    """Central's flow control refused the message (429); ``retry_after_s`` says when to try."""

    def __init__(self, message: str, *, retry_after_s: float | None = None, hint: str = ""):
        self.retry_after_s = retry_after_s
        super().__init__(message, status=429, hint=hint)


class CentralUnavailable(CentralError, DeviceUnavailable):
    """Central could not be reached or failed (network, TLS, 5xx) after every retry."""


def _hint_for(kind: str, code: int) -> str:
    if kind == "CMS" and code in RECIPIENT_CMS:
        return "check the recipient's number"
    if kind == "CMS" and code == 330:
        return "the SIM has no SMS centre number; set it with AT+CSCA or ask the operator"
    if kind == "CMS" and code in (38, 41, 42, 47, 192, 194, 500):
        return "the network is having trouble; try again in a minute"
    if kind == "CMS" and code in (8, 10, 50, 193, 21):
        return "the SIM's subscription does not allow sending SMS; ask the operator"
    if kind == "CMS" and code in (96, 144, 159, 176, 304):
        return "the modem did not accept the PDU; report this with the modem model"
    return "see the modem's manual for this code"


def modem_error(kind: str, code: int | None, text: str = "") -> SmsError:
    """The typed error for ``+CMS ERROR: code`` / ``+CME ERROR: code`` (or a verbose text form)."""
    table = CMS_MEANINGS if kind == "CMS" else CME_MEANINGS
    meaning = table.get(code, text or "code not in the standard") if code is not None else (text or "no detail")
    sim = SIM_CMS if kind == "CMS" else SIM_CME
    network = NETWORK_CMS if kind == "CMS" else NETWORK_CME
    shown = f"+{kind} ERROR: {code}" if code is not None else f"+{kind} ERROR"
    if code in sim:
        return SimNotReady(f"SIM not ready: {shown} ({meaning})", code=code)
    if code in network:
        return NoNetwork(f"no network: {shown} ({meaning})", code=code)
    transient = code in (TRANSIENT_CMS if kind == "CMS" else TRANSIENT_CME)
    cls = CmsError if kind == "CMS" else CmeError
    hint = _hint_for(kind, code) if code is not None else ""
    return cls(code, meaning, hint=hint, transient=transient)
