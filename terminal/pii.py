"""Masking of personal data: ID numbers, phone numbers, names, addresses.

>>> from terminal.pii import mask_text, mask_name
>>> mask_text("id 11010519491231002X phone 13812345678")
'id 1101**********002X phone 138****5678'
>>> mask_name("欧阳娜娜"), mask_name("张三")
('欧阳**', '张*')

Free text is scanned for ID and phone numbers; names and addresses cannot be
found in free text, so structured log fields carry them under known keys
(see ``NAME_KEYS``) and are masked by key.

Numbers typed with full-width (１３８...) or other scripts' digits are personal
data too: the scan reads every Unicode digit as its ASCII value, so they are
masked like ASCII ones (the characters kept are the original ones):

>>> mask_text("phone １３８１２３４５６７８")
'phone １３８****５６７８'
"""

from __future__ import annotations

import re
import unicodedata

# These run on folded text (see _fold), where every digit is ASCII, so [0-9] sees them all.
# 18-character resident/permit/foreigner numbers and the old 15-digit numbers.
_ID18 = re.compile(r"(?<![0-9A-Za-z])([0-9]{4})[0-9]{10}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
_ID15 = re.compile(r"(?<![0-9A-Za-z])([0-9]{4})[0-9]{7}([0-9]{4})(?![0-9A-Za-z])")
# Mainland mobile numbers, with or without +86 / 0086 and separators.
_PHONE = re.compile(
    r"(?<![0-9A-Za-z])((?:\+|00)?86[ -]?)?(1[3-9][0-9])[ -]?[0-9]{4}[ -]?([0-9]{4})(?![0-9A-Za-z])"
)
_UNICODE_DIGIT = re.compile(r"(?![0-9])\d")   # \d on str: every Unicode decimal digit
# Full-width X, plus and hyphen, and the ideographic space, as an IME types them.
_FULLWIDTH = str.maketrans({"Ｘ": "X", "ｘ": "x", "＋": "+", "－": "-", "\u3000": " "})

# Compound (two-character) surnames, so 欧阳娜娜 keeps 欧阳 rather than 欧.
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 "
    "端木 独孤 南宫 万俟 闻人 澹台 公冶 太史 申屠 濮阳 钟离 赫连 呼延 西门 东郭".split()
)

NAME_KEYS = frozenset({"name", "name_zh", "name_en", "full_name", "employee_name", "holder", "chinese_name"})
ID_KEYS = frozenset({"id_number", "id_no", "idcard", "id_card", "pass_number", "card_number"})
PHONE_KEYS = frozenset({"phone", "mobile", "phone_number", "msisdn", "to"})
ADDRESS_KEYS = frozenset({"address", "home_address"})
DROP_KEYS = frozenset({"photo", "photo_wlt", "fingerprint", "face", "face_encoding", "image",
                       "otp", "otp_code", "sms_code", "pin", "secret", "token"})


def mask_id_number(value: str) -> str:
    """Keep the first 4 and last 4 characters of an ID number."""
    value = value.strip()
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def _fold(text: str) -> str:
    """The same text, one character for one, with every digit ASCII (so match offsets carry over)."""
    if text.isascii():
        return text
    text = _UNICODE_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)
    return text.translate(_FULLWIDTH)


def _sub(pattern: re.Pattern, text: str, keep) -> str:
    """``pattern.sub`` matched on the folded text; ``keep(match, text)`` builds each replacement."""
    folded = _fold(text)
    if folded is text:
        return pattern.sub(lambda m: keep(m, text), text)
    out, last = [], 0
    for m in pattern.finditer(folded):
        out += [text[last:m.start()], keep(m, text)]
        last = m.end()
    return "".join(out) + text[last:]


def mask_phone(value: str) -> str:
    """Keep the first 3 and last 4 digits of a phone number."""
    digits = re.sub(r"[^0-9]", "", _fold(value))
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    elif digits.startswith("0086") and len(digits) == 15:
        digits = digits[4:]
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str) -> str:
    """Keep the surname of a Chinese name; initials of a Latin-script name."""
    value = value.strip()
    if not value:
        return value
    if _is_han(value[0]):
        keep = 2 if value[:2] in COMPOUND_SURNAMES and len(value) > 2 else 1
        return value[:keep] + "*" * (len(value) - keep)
    return " ".join(part[0] + "." for part in re.split(r"[\s,]+", value) if part)


def mask_address(value: str) -> str:
    """Keep the first 6 characters (province and city), mask the rest."""
    value = value.strip()
    return value[:6] + ("*" * 4 if len(value) > 6 else "")


def mask_text(text: str) -> str:
    """Mask every ID number and phone number found in free text."""
    def part(m: re.Match, text: str, group: int) -> str:
        return text[m.start(group):m.end(group)]

    text = _sub(_ID18, text, lambda m, t: part(m, t, 1) + "*" * 10 + part(m, t, 2))
    text = _sub(_ID15, text, lambda m, t: part(m, t, 1) + "*" * 7 + part(m, t, 2))
    return _sub(_PHONE, text, lambda m, t: part(m, t, 2) + "****" + part(m, t, 3))


def mask_field(key: str, value):
    """Mask one structured value by what its key says it is."""
    k = key.lower()
    if k in DROP_KEYS and value not in (None, "", b""):
        size = len(value) if hasattr(value, "__len__") else "?"
        return f"<{k} withheld, {size} bytes>" if isinstance(value, (bytes, bytearray)) else f"<{k} withheld>"
    if isinstance(value, str):
        if k in NAME_KEYS:
            return mask_name(value)
        if k in ID_KEYS:
            return mask_id_number(value)
        if k in PHONE_KEYS:
            return mask_phone(value) if re.search(r"\d{7}", re.sub(r"[ +\-＋－\u3000]", "", value)) \
                else mask_text(value)
        if k in ADDRESS_KEYS:
            return mask_address(value)
        return mask_text(value)
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        return {str(sk): mask_field(str(sk), sv) for sk, sv in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_field(key, v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) >= 11:
        return mask_field(key, str(value))
    return value


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\U00020000" <= ch <= "\U0003134f"
