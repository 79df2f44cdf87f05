"""SMS-SUBMIT PDUs (3GPP TS 23.040) for PDU mode (AT+CMGF=0), both directions.

Text that fits the GSM 7-bit alphabet (TS 23.038, via the ``gsm0338`` codec)
goes as 7-bit; anything else (Chinese) as UCS2, DCS 0x08.  A message longer
than one PDU becomes concatenated parts with an 8-bit reference UDH (IEI 0x00):
70 UCS2 / 160 GSM characters in one part, 67 / 153 per part when split.

>>> from drivers.sms.pdu import encode_submit, decode_submit
>>> (part,) = encode_submit("+8613800138000", "验证码 123456", validity_s=None)
>>> part.tpdu_length, part.hex
(34, '0001000D91683108108300F00008149A8C8BC178010020003100320033003400350036')
>>> msg = decode_submit(part.hex)
>>> msg.recipient, msg.text, msg.encoding
('+8613800138000', '验证码 123456', 'ucs2')
>>> parts = encode_submit("13800138000", "你" * 140, reference=7)
>>> len(parts), [decode_submit(p.hex).concat for p in parts]
(3, [(7, 3, 1), (7, 3, 2), (7, 3, 3)])

Every decoding failure is a :class:`~drivers.sms.errors.PduError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import gsm0338  # noqa: F401  (registers the 'gsm03.38' codec)

from drivers.sms.errors import InvalidMessage, PduError

GSM = "gsm03.38"
ESC = 0x1B

UCS2_SINGLE, UCS2_PART = 70, 67          # characters (UTF-16 code units)
GSM_SINGLE, GSM_PART = 160, 153          # septets (an extension character takes two)
MAX_PARTS = 255

_NUMBER = re.compile(r"^(\+|00)?([0-9]{3,20})$")
_SEPARATORS = re.compile(r"[\s\-().]")


@dataclass(frozen=True)
class SubmitPdu:
    """One PDU to send: ``AT+CMGS=<tpdu_length>`` then ``hex`` and Ctrl-Z."""

    tpdu_length: int
    hex: str


@dataclass(frozen=True)
class DecodedSubmit:
    """What an SMS-SUBMIT PDU says.  ``concat`` is (reference, total, sequence) or None."""

    recipient: str
    text: str
    encoding: str                      # "gsm7" | "ucs2"
    concat: tuple[int, int, int] | None
    message_reference: int
    validity: int | None               # the raw TP-VP octet (relative format), if any


# -- addresses -------------------------------------------------------------------------------

def normalize_number(number: str) -> tuple[str, bool]:
    """(digits, international) of a phone number; raises :class:`InvalidMessage`.

    >>> normalize_number("+86 138-0013-8000"), normalize_number("10086")
    (('8613800138000', True), ('10086', False))
    """
    if not isinstance(number, str):
        raise InvalidMessage(f"recipient must be text, not {type(number).__name__}",
                             hint="use digits 0-9, optionally with a leading + and country code")
    compact = _SEPARATORS.sub("", number)
    m = _NUMBER.match(compact)
    if not m:
        # '²', '１' and '١' are digits to str.isdigit() but not to the network: name the first one.
        odd = next((ch for ch in compact if ch.isnumeric() and not ch.isascii()), None)
        why = f": {odd!r} (U+{ord(odd):04X}) is not an ASCII digit 0-9" if odd else ""
        raise InvalidMessage(f"recipient {_shown(compact)!r} is not a phone number{why}",
                             hint="use digits 0-9, optionally with a leading + and country code")
    return m.group(2), m.group(1) is not None


def _shown(compact: str) -> str:
    """A refused number as it may be shown: masked once it has as many digits (of any script) as a phone."""
    if sum(ch.isnumeric() for ch in compact) < 7:
        return compact[:20]
    if all(ch.isascii() for ch in compact if ch.isnumeric()):
        from terminal.pii import mask_phone

        return mask_phone(compact)
    return compact[:3] + "*" * max(1, len(compact) - 7) + compact[-4:]


def encode_address(number: str) -> bytes:
    """TP-DA: digit count, type of address (0x91 international, 0x81 unknown/national), BCD."""
    digits, international = normalize_number(number)
    toa = 0x91 if international else 0x81
    padded = digits + ("F" if len(digits) % 2 else "")
    swapped = bytes(int(padded[i + 1] + padded[i], 16) for i in range(0, len(padded), 2))
    return bytes([len(digits), toa]) + swapped


_BCD = "0123456789*#abc"


def _decode_address(data: bytes, pos: int) -> tuple[str, int]:
    if pos + 2 > len(data):
        raise PduError("PDU ends inside the recipient address")
    count, toa = data[pos], data[pos + 1]
    if count > 20:
        raise PduError(f"recipient address claims {count} digits (at most 20)")
    octets = (count + 1) // 2
    raw = data[pos + 2:pos + 2 + octets]
    if len(raw) < octets:
        raise PduError("PDU ends inside the recipient address")
    if not toa & 0x80:
        raise PduError(f"type-of-address octet {toa:#04x} lacks its high bit")
    if (toa >> 4) & 0x07 == 0b101:  # alphanumeric, GSM 7-bit packed
        septets = count * 4 // 7
        return "".join(_gsm_decode(_unpack_septets(raw, septets, 0))), pos + 2 + octets
    digits = []
    for octet in raw:
        for nibble in (octet & 0x0F, octet >> 4):
            if nibble == 0x0F:
                continue
            digits.append(_BCD[nibble])
    number = "".join(digits)[:count]
    if len(number) != count:
        raise PduError("recipient address has filler in the middle")
    international = (toa >> 4) & 0x07 == 0b001
    return ("+" if international else "") + number, pos + 2 + octets


# -- user data -------------------------------------------------------------------------------

def _gsm_septets(text: str) -> list[int] | None:
    """The text as GSM 7-bit septets, or None when it needs UCS2."""
    if "\x1b" in text:                     # a literal ESC cannot travel in 7-bit: it starts an escape
        return None
    try:
        return list(text.encode(GSM))
    except UnicodeEncodeError:
        return None


def _gsm_decode(septets: list[int]) -> list[str]:
    try:
        return [bytes(septets).decode(GSM)]
    except UnicodeDecodeError as exc:
        raise PduError(f"GSM 7-bit text has an invalid sequence at septet {exc.start}") from None


def _pack_septets(septets: list[int], fill_bits: int) -> bytes:
    value, bit = 0, fill_bits
    for s in septets:
        value |= (s & 0x7F) << bit
        bit += 7
    return value.to_bytes((bit + 7) // 8, "little")


def _unpack_septets(data: bytes, count: int, skip_septets: int) -> list[int]:
    value = int.from_bytes(data, "little")
    return [(value >> (7 * (skip_septets + i))) & 0x7F for i in range(count)]


def _split_gsm(septets: list[int], size: int) -> list[list[int]]:
    parts, current = [], []
    i = 0
    while i < len(septets):
        unit = septets[i:i + 2] if septets[i] == ESC else septets[i:i + 1]  # never split an escape
        if len(current) + len(unit) > size:
            parts.append(current)
            current = []
        current.extend(unit)
        i += len(unit)
    if current:
        parts.append(current)
    return parts


def _split_ucs2(text: str, size: int) -> list[bytes]:
    data = text.encode("utf-16-be")
    units = [data[i:i + 2] for i in range(0, len(data), 2)]
    parts, current = [], []
    i = 0
    while i < len(units):
        unit = units[i:i + 2] if 0xD8 <= units[i][0] <= 0xDB else units[i:i + 1]  # keep surrogate pairs
        if len(current) + len(unit) > size:
            parts.append(b"".join(current))
            current = []
        current.extend(unit)
        i += len(unit)
    if current:
        parts.append(b"".join(current))
    return parts


def count_parts(text: str) -> int:
    """How many SMS parts the text takes.

    >>> count_parts("A" * 160), count_parts("A" * 161), count_parts("中" * 70), count_parts("中" * 71)
    (1, 2, 1, 2)
    """
    septets = _gsm_septets(text)
    if septets is not None:
        return 1 if len(septets) <= GSM_SINGLE else len(_split_gsm(septets, GSM_PART))
    units = len(text.encode("utf-16-be")) // 2
    return 1 if units <= UCS2_SINGLE else len(_split_ucs2(text, UCS2_PART))


# -- validity period ---------------------------------------------------------------------------

def relative_validity(seconds: int) -> int:
    """TP-VP (relative) octet for at least ``seconds`` (5 minutes .. 63 weeks; the network counts
    in 5-minute, 30-minute, day and week steps, so the time is rounded up to the next step).

    Raises :class:`InvalidMessage` for a time that is not positive.

    >>> relative_validity(600), relative_validity(86400), relative_validity(3 * 86400)
    (1, 167, 169)
    """
    if seconds <= 0:
        raise InvalidMessage(f"validity {seconds} s must be positive")
    minutes = -(-seconds // 60)
    if minutes <= 720:
        return max(0, -(-minutes // 5) - 1)
    if minutes <= 1440:
        return 143 + -(-(minutes - 720) // 30)
    days = -(-minutes // 1440)
    if days <= 30:
        return 166 + days
    return min(255, 192 + -(-days // 7))


# -- SMS-SUBMIT ------------------------------------------------------------------------------

def encode_submit(to: str, text: str, *, reference: int = 0, validity_s: int | None = 86400,
                  max_parts: int = MAX_PARTS) -> list[SubmitPdu]:
    """The PDUs that send ``text`` to ``to``; one unless the text needs concatenation.

    ``reference`` (0-255) ties the parts of one message together; use a new
    one per message.  The SMSC is taken from the SIM (a zero-length SMSC field).
    """
    if not text:
        raise InvalidMessage("the message text is empty")
    if not 0 <= reference <= 255:
        raise InvalidMessage(f"concatenation reference {reference} is not 0-255")
    address = encode_address(to)
    septets = _gsm_septets(text)
    if septets is not None:
        dcs = 0x00
        chunks = [septets] if len(septets) <= GSM_SINGLE else _split_gsm(septets, GSM_PART)
    else:
        dcs = 0x08
        units = len(text.encode("utf-16-be")) // 2
        chunks = [text.encode("utf-16-be")] if units <= UCS2_SINGLE else _split_ucs2(text, UCS2_PART)
    if len(chunks) > max_parts:
        raise InvalidMessage(f"the text needs {len(chunks)} SMS parts; at most {max_parts} are allowed",
                             hint="shorten the message")
    total = len(chunks)
    pdus = []
    for seq, chunk in enumerate(chunks, start=1):
        udh = bytes([0x05, 0x00, 0x03, reference, total, seq]) if total > 1 else b""
        first = 0x01 | (0x10 if validity_s is not None else 0) | (0x40 if udh else 0)
        tpdu = bytearray([first, 0x00]) + address + bytes([0x00, dcs])
        if validity_s is not None:
            tpdu.append(relative_validity(validity_s))
        if dcs == 0x00:
            fill = (7 - (len(udh) * 8) % 7) % 7
            header_septets = (len(udh) * 8 + fill) // 7
            tpdu.append(header_septets + len(chunk))
            tpdu += udh + _pack_septets(chunk, fill)
        else:
            tpdu.append(len(udh) + len(chunk))
            tpdu += udh + chunk
        pdus.append(SubmitPdu(len(tpdu), "00" + tpdu.hex().upper()))
    return pdus


def decode_submit(pdu: str) -> DecodedSubmit:
    """Decode one SMS-SUBMIT PDU as sent after AT+CMGS (SMSC field first)."""
    if not isinstance(pdu, str):
        raise PduError("a PDU must be text (hex digits)")
    pdu = pdu.strip()
    bad = re.search(r"[^0-9A-Fa-f]", pdu)              # ASCII hex only: '１' and '١' are not hex digits
    if bad:
        raise PduError(f"a PDU must be an even number of hex digits 0-9 A-F; {bad.group()!r} at "
                       f"character {bad.start()} is not one")
    if len(pdu) % 2:
        raise PduError("a PDU must be an even number of hex digits")
    data = bytes.fromhex(pdu)
    if not data:
        raise PduError("the PDU is empty")
    pos = 1 + data[0]                      # skip the SMSC address
    if pos >= len(data):
        raise PduError("PDU ends before the first TPDU octet")
    first = data[pos]
    if first & 0x03 != 0x01:
        raise PduError(f"message type {first & 0x03} is not SMS-SUBMIT (1)")
    udhi, vpf = bool(first & 0x40), (first >> 3) & 0x03
    if pos + 1 >= len(data):
        raise PduError("PDU ends before the message reference")
    mr = data[pos + 1]
    recipient, pos = _decode_address(data, pos + 2)
    if pos + 2 > len(data):
        raise PduError("PDU ends before the protocol identifier and coding scheme")
    dcs = data[pos + 1]
    pos += 2
    encoding = _alphabet(dcs)
    validity = None
    if vpf == 2:
        if pos >= len(data):
            raise PduError("PDU ends inside the validity period")
        validity = data[pos]
        pos += 1
    elif vpf in (1, 3):
        pos += 7
    if pos >= len(data):
        raise PduError("PDU ends before the user data length")
    udl = data[pos]
    ud = data[pos + 1:]
    ud_octets = (udl * 7 + 7) // 8 if encoding == "gsm7" else udl
    if len(ud) < ud_octets:
        raise PduError(f"user data is {len(ud)} octets; the length field says {ud_octets}")
    if len(ud) > ud_octets:
        raise PduError(f"{len(ud) - ud_octets} octets follow the user data")
    concat, header_len = None, 0
    if udhi:
        if not ud:
            raise PduError("user data header flagged but absent")
        header_len = ud[0] + 1
        if header_len > len(ud):
            raise PduError("user data header is longer than the user data")
        concat = _concat_info(ud[1:header_len])
    if encoding == "gsm7":
        header_septets = (header_len * 8 + 6) // 7
        if header_septets > udl:
            raise PduError("user data header is longer than the user data")
        text = "".join(_gsm_decode(_unpack_septets(ud, udl - header_septets, header_septets)))
    else:
        body = ud[header_len:]
        if len(body) % 2:
            raise PduError("UCS2 text has an odd number of octets")
        text = body.decode("utf-16-be", errors="replace")  # a lone surrogate shows as U+FFFD
    return DecodedSubmit(recipient, text, encoding, concat, mr, validity)


def _alphabet(dcs: int) -> str:
    group = dcs >> 4
    if group <= 0x03 or 0x04 <= group <= 0x07:        # general data coding (maybe compressed/marked)
        if dcs & 0x20:
            raise PduError(f"DCS {dcs:#04x} says the text is compressed, which is not supported")
        alphabet = (dcs >> 2) & 0x03
    elif group == 0x0F:
        alphabet = 1 if dcs & 0x04 else 0
    elif group in (0x0C, 0x0D):
        alphabet = 0
    elif group == 0x0E:
        alphabet = 2
    else:
        raise PduError(f"DCS {dcs:#04x} is a reserved coding group")
    if alphabet == 0:
        return "gsm7"
    if alphabet == 2:
        return "ucs2"
    raise PduError(f"DCS {dcs:#04x} carries 8-bit data, not text")


def _concat_info(header: bytes) -> tuple[int, int, int] | None:
    pos, concat = 0, None
    while pos < len(header):
        if pos + 2 > len(header):
            raise PduError("user data header ends inside an information element")
        iei, length = header[pos], header[pos + 1]
        value = header[pos + 2:pos + 2 + length]
        if len(value) != length:
            raise PduError(f"information element {iei:#04x} is truncated")
        if iei == 0x00 and length == 3:
            concat = (value[0], value[1], value[2])
        elif iei == 0x08 and length == 4:
            concat = ((value[0] << 8) | value[1], value[2], value[3])
        elif iei in (0x00, 0x08):
            raise PduError(f"concatenation element {iei:#04x} has length {length}")
        pos += 2 + length
    if concat is not None and (concat[1] == 0 or not 1 <= concat[2] <= concat[1]):
        raise PduError(f"concatenation part {concat[2]} of {concat[1]} is impossible")
    return concat
