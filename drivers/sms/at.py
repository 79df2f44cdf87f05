"""AT command responses (V.250 verbose form, TS 27.005/27.007 extensions): plain parsing, no I/O.

A response is the information lines a command produced plus its final result
code.  ``final_result`` recognises the final codes; the ``parse_*`` helpers read
the information lines of the health commands.  Anything malformed raises
:class:`~drivers.sms.errors.ModemProtocolError`.

>>> from drivers.sms.at import final_result, parse_csq, parse_registration, parse_cpin
>>> final_result("OK"), final_result("+CSQ: 20,99")
('OK', None)
>>> final_result("+CMS ERROR: 331")
('CMS', 331, 'no network service')
>>> parse_csq("+CSQ: 20,99").dbm, parse_registration("+CREG: 0,5", "+CREG").state
(-73, 'roaming')
>>> parse_cpin("+CPIN: SIM PIN")
'SIM PIN'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drivers.sms.errors import CME_MEANINGS, CMS_MEANINGS, ModemProtocolError, ModemResultError, modem_error

_ERROR = re.compile(r"^\+(CMS|CME) ERROR:\s*(.*)$")
FINAL_PLAIN = {"OK", "ERROR", "NO CARRIER", "NO DIALTONE", "BUSY", "NO ANSWER", "COMMAND NOT SUPPORT"}

REGISTRATION_STATES = {
    0: "not registered", 1: "home", 2: "searching", 3: "denied", 4: "unknown", 5: "roaming",
    6: "home (SMS only)", 7: "roaming (SMS only)", 8: "emergency only", 9: "home (CSFB not preferred)",
    10: "roaming (CSFB not preferred)", 11: "emergency bearer only",
}
REGISTERED = frozenset({1, 5, 6, 7, 9, 10})


def ascii_int(text: str, max_digits: int = 5) -> int | None:
    """``text`` as a whole number when it is 1..max_digits ASCII digits, else None.

    ``str.isdigit()`` is also true for '²', full-width '１２' and Arabic-Indic '١٢', and
    ``int()`` takes the last two: neither is a number a modem or a person meant here.

    >>> ascii_int("23"), ascii_int("²"), ascii_int("１２"), ascii_int("١٢"), ascii_int("-1"), ascii_int("123456")
    (23, None, None, None, None, None)
    """
    if isinstance(text, str) and 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None


def final_result(line: str):
    """``'OK'`` / ``'ERROR'`` / other plain final codes, ``('CMS'|'CME', code, meaning)``, or None."""
    if line in FINAL_PLAIN:
        return line
    m = _ERROR.match(line)
    if not m:
        return None
    kind, detail = m.group(1), m.group(2).strip()
    code = ascii_int(detail)
    if code is not None:
        table = CMS_MEANINGS if kind == "CMS" else CME_MEANINGS
        return (kind, code, table.get(code, "code not in the standard"))
    # AT+CMEE=2 verbose form: find the code by its standard wording where we can.
    table = CMS_MEANINGS if kind == "CMS" else CME_MEANINGS
    for code, meaning in table.items():
        if meaning.lower() == detail.lower():
            return (kind, code, meaning)
    return (kind, None, detail[:80] or "no detail")


def result_error(final) -> ModemResultError:
    """The typed error for a final result code that is not OK."""
    if isinstance(final, tuple):
        kind, code, meaning = final
        return modem_error(kind, code, meaning)
    return ModemResultError(None, f"the modem answered {final}",
                            hint="the command was not accepted; check the modem model supports it")


@dataclass(frozen=True)
class Signal:
    """Signal quality from +CSQ: ``rssi`` 0-31 (99 unknown) and ``ber`` bit error rate 0-7 (99 unknown)."""

    rssi: int          # 0-31, 99 unknown
    ber: int           # 0-7, 99 unknown

    @property
    def dbm(self) -> int | None:
        """The signal in dBm (-113 for rssi 0 to -51 for 31), or None when unknown."""
        return None if self.rssi == 99 else -113 + 2 * self.rssi

    @property
    def usable(self) -> bool:
        """True when there is enough signal to send (rssi 2 or more)."""
        return self.rssi != 99 and self.rssi >= 2

    def describe(self) -> str:
        """The signal in words with its dBm (``'excellent (-67 dBm)'``), or ``'no signal'``."""
        if self.rssi == 99:
            return "no signal"
        quality = "excellent" if self.rssi >= 20 else "good" if self.rssi >= 15 else \
            "fair" if self.rssi >= 10 else "poor"
        return f"{quality} ({self.dbm} dBm)"


@dataclass(frozen=True)
class Registration:
    """A registration answer: the ``command`` it came from (``+CREG``, ``+CEREG``, ``+CGREG``) and its ``stat``."""

    command: str       # "+CREG" / "+CEREG" / "+CGREG"
    stat: int

    @property
    def registered(self) -> bool:
        """True when registered (home or roaming, SMS-only included)."""
        return self.stat in REGISTERED

    @property
    def state(self) -> str:
        """The ``stat`` code in words (``'home'``, ``'searching'``, ...)."""
        return REGISTRATION_STATES.get(self.stat, f"state {self.stat}")


def _fields(line: str, prefix: str) -> list[str]:
    if not line.startswith(prefix + ":"):
        raise ModemProtocolError(f"expected a {prefix} line, got {line[:40]!r}")
    return [f.strip().strip('"') for f in line[len(prefix) + 1:].split(",")]


def _int(value: str, what: str, low: int, high: int) -> int:
    number = ascii_int(value)
    if number is None or not low <= number <= high:
        odd = next((ch for ch in value if ch.isnumeric() and not ch.isascii()), None)
        why = f" ({odd!r} is not an ASCII digit 0-9)" if odd else ""
        raise ModemProtocolError(f"{what} {value[:20]!r} is not a number in {low}-{high}{why}")
    return number


def parse_csq(line: str) -> Signal:
    """A ``+CSQ: rssi,ber`` line as a :class:`Signal`; raises :class:`ModemProtocolError` when malformed."""
    fields = _fields(line, "+CSQ")
    if len(fields) != 2:
        raise ModemProtocolError(f"+CSQ has {len(fields)} fields, expected 2")
    rssi = _int(fields[0], "signal (rssi)", 0, 99)
    ber = _int(fields[1], "bit error rate", 0, 99)
    if 31 < rssi < 99 or 7 < ber < 99:
        raise ModemProtocolError(f"+CSQ: {rssi},{ber} is out of range")
    return Signal(rssi, ber)


def parse_registration(line: str, prefix: str) -> Registration:
    """Both the query answer (``+CREG: n,stat[,...]``) and the unsolicited form (``+CREG: stat``)."""
    if not line.startswith(prefix + ":"):
        raise ModemProtocolError(f"expected a {prefix} line, got {line[:40]!r}")
    raw = [f.strip() for f in line[len(prefix) + 1:].split(",")]
    # The unsolicited form has stat first and a quoted area code second.
    stat = raw[0] if len(raw) == 1 or raw[1].startswith('"') else raw[1]
    return Registration(prefix, _int(stat, f"{prefix} state", 0, 11))


def parse_cpin(line: str) -> str:
    """The SIM state of a ``+CPIN: STATE`` line (``'READY'``, ``'SIM PIN'``, ...).

    Raises :class:`ModemProtocolError` when the line has no state.
    """
    fields = _fields(line, "+CPIN")
    if len(fields) != 1 or not fields[0]:
        raise ModemProtocolError(f"+CPIN line {line[:40]!r} has no state")
    return fields[0]


def parse_cmgs(line: str) -> int:
    """The message reference (0-255) of a ``+CMGS: mr`` line; raises :class:`ModemProtocolError` when malformed."""
    fields = _fields(line, "+CMGS")
    return _int(fields[0], "message reference", 0, 255)


def first_line(lines: list[str], prefix: str) -> str:
    """The first of ``lines`` starting ``PREFIX:``; raises :class:`ModemProtocolError` when there is none."""
    for line in lines:
        if line.startswith(prefix + ":"):
            return line
    raise ModemProtocolError(f"the modem answered OK but sent no {prefix} line")
