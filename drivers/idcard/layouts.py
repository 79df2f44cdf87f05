"""The 256-byte text block: four layouts, UCS-2LE, padded with spaces.

Byte 248 picks the layout ('I', 'J', 'Y'; anything else is a resident card).
Offsets and sizes are bytes, two per character.  Only trailing spaces are
stripped (English names contain spaces).  ``encode_text`` is the inverse,
used by the simulator and the tests.

>>> from drivers.idcard.layouts import encode_text, decode_text
>>> block = encode_text("resident", name="张三", gender="2", nation="01", birth="19491231",
...                     address="北京市朝阳区某街道1号", id_number="11010519491231002X",
...                     authority="北京市公安局朝阳分局", valid_from="20150101", valid_to="长期")
>>> card = decode_text(block)
>>> card.card_type, card.nation, card.gender, card.valid_to, card.id_number_valid
('resident', '汉', 'female', None, True)
"""

from __future__ import annotations

import datetime as dt

from drivers.idcard.card import GENDERS, IdCard
from drivers.idcard.errors import CardDataError
from drivers.idcard.idnumber import check_id_number, yymmdd_matches
from drivers.idcard.nations import nation_name

TEXT_SIZE = 256
TYPE_OFFSET = 248
LONG_TERM = "长期"

# (field, offset, size in bytes) per layout; each sums to 256.
LAYOUTS: dict[str, tuple[tuple[str, int, int], ...]] = {
    "resident": (("name", 0, 30), ("gender", 30, 2), ("nation", 32, 4), ("birth", 36, 16),
                 ("address", 52, 70), ("id_number", 122, 36), ("authority", 158, 30),
                 ("valid_from", 188, 16), ("valid_to", 204, 16), ("reserved", 220, 36)),
    "hk_mo_tw_permit": (("name", 0, 30), ("gender", 30, 2), ("reserved1", 32, 4), ("birth", 36, 16),
                        ("address", 52, 70), ("id_number", 122, 36), ("authority", 158, 30),
                        ("valid_from", 188, 16), ("valid_to", 204, 16), ("pass_number", 220, 18),
                        ("issue_count", 238, 4), ("reserved2", 242, 6), ("type", 248, 2),
                        ("reserved3", 250, 6)),
    "foreigner_2017": (("name_en", 0, 120), ("gender", 120, 2), ("id_number", 122, 30),
                       ("nationality", 152, 6), ("name", 158, 30), ("valid_from", 188, 16),
                       ("valid_to", 204, 16), ("birth", 220, 16), ("version", 236, 4),
                       ("authority", 240, 8), ("type", 248, 2), ("reserved", 250, 6)),
    "foreigner_2023": (("name", 0, 30), ("gender", 30, 2), ("renewals", 32, 4), ("birth", 36, 16),
                       ("name_en1", 52, 70), ("id_number", 122, 36), ("reserved1", 158, 30),
                       ("valid_from", 188, 16), ("valid_to", 204, 16), ("name_en2", 220, 22),
                       ("nationality", 242, 6), ("type", 248, 2), ("previous", 250, 6)),
}
TYPE_CHARS = {"I": "foreigner_2017", "J": "hk_mo_tw_permit", "Y": "foreigner_2023"}
LAYOUT_CHAR = {v: k for k, v in TYPE_CHARS.items()}


def card_type_of(block: bytes) -> str:
    """The layout of a 256-byte text block, from byte 248: one of ``CARD_TYPES`` ('resident' for any other)."""
    return TYPE_CHARS.get(chr(block[TYPE_OFFSET]), "resident") if block[TYPE_OFFSET + 1] == 0 else "resident"


def _raw_fields(block: bytes, card_type: str) -> dict[str, str]:
    return {name: block[off:off + size].decode("utf-16-le", errors="replace")
            for name, off, size in LAYOUTS[card_type]}


def _strip(value: str) -> str:
    return value.rstrip(" \x00")


def _is_rare(text: str) -> bool:
    # Private Use Area: vendor-encoded rare Han; U+FFFD: a lone surrogate or unencodable character.
    return any("\ue000" <= ch <= "\uf8ff" or ch == "\ufffd" for ch in text)


def _date(value: str, field: str, *, long_term_ok: bool = False) -> dt.date | None:
    value = _strip(value)
    if long_term_ok and value == LONG_TERM:
        return None
    try:
        if len(value) == 8 and value.isascii() and value.isdigit():
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        pass
    # The value itself may be personal data (a birth date): name the field, not the value.
    raise CardDataError(f"card field {field} is not a date" + (" or 长期" if long_term_ok else ""),
                        hint="read the card again; if it repeats the card may be damaged")


def _gender(value: str) -> str:
    code = _strip(value)
    if code not in GENDERS:
        raise CardDataError("card field gender is not a GB/T 2261.1 code (0, 1, 2 or 9)",
                            hint="read the card again; if it repeats the card may be damaged")
    return GENDERS[code]


def _count(value: str, field: str) -> int | None:
    value = _strip(value).strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()):
        raise CardDataError(f"card field {field} is not a number")
    return int(value)


def decode_text(block: bytes) -> IdCard:
    """Decode a 256-byte text block; raise :class:`CardDataError` when a field is malformed."""
    block = bytes(block)
    if len(block) != TEXT_SIZE:
        raise CardDataError(f"text block has {len(block)} bytes, expected {TEXT_SIZE}")
    card_type = card_type_of(block)
    raw = _raw_fields(block, card_type)
    f = {k: _strip(v) for k, v in raw.items()}
    common = dict(card_type=card_type, gender=_gender(raw["gender"]), birth_date=_date(raw["birth"], "birth"),
                  valid_from=_date(raw["valid_from"], "valid_from"),
                  valid_to=_date(raw["valid_to"], "valid_to", long_term_ok=True), id_number=f["id_number"])
    if card_type == "resident":
        nation = nation_name(f["nation"])
        if nation is None:
            raise CardDataError("card field nation is not a GB 3304 code")
        card = IdCard(**common, name=f["name"], nation_code=f["nation"], nation=nation, address=f["address"],
                      authority=f["authority"], id_number_valid=False)
    elif card_type == "hk_mo_tw_permit":
        card = IdCard(**common, name=f["name"], address=f["address"], authority=f["authority"],
                      pass_number=f["pass_number"], issue_count=_count(raw["issue_count"], "issue_count"),
                      id_number_valid=False)
    elif card_type == "foreigner_2017":
        card = IdCard(**common, name=f["name"] or f["name_en"], name_en=f["name_en"],
                      nationality=f["nationality"], authority=f["authority"], card_version=f["version"] or None,
                      id_number_valid=False)
    else:
        card = IdCard(**common, name=f["name"] or _strip(raw["name_en1"] + raw["name_en2"]),
                      name_en=_strip(raw["name_en1"] + raw["name_en2"]), nationality=f["nationality"],
                      issue_count=_count(raw["renewals"], "renewals"), previous_number=f["previous"] or None,
                      id_number_valid=False)
    verdict = check_id_number(card.id_number, card_type=card_type)
    problem = verdict.problem
    if verdict.valid and verdict.birth_date and card.birth_date and verdict.birth_date != card.birth_date:
        problem = "birth date in the number differs from the card's birth date"
    if verdict.valid and verdict.male is not None and card.gender in ("male", "female") \
            and verdict.male != (card.gender == "male"):
        problem = "sex digit in the number differs from the card's gender"
    if verdict.valid and card_type == "foreigner_2017":
        if not yymmdd_matches(card.id_number, card.birth_date):
            problem = "birth date in the number differs from the card's birth date"
        elif card.nationality and card.id_number[:3] != card.nationality:
            problem = "nationality in the number differs from the card's nationality"
    card.id_number_valid = not problem
    card.id_number_problem = problem
    card.rare_characters = any(_is_rare(v) for v in (card.name, card.name_en or "", card.address or "",
                                                     card.authority or ""))
    return card


def encode_text(card_type: str, **values: str) -> bytes:
    """Build a text block (simulator side).  Missing fields are spaces; values too long raise ValueError."""
    block = bytearray(" ".encode("utf-16-le") * (TEXT_SIZE // 2))
    layout = {name: (off, size) for name, off, size in LAYOUTS[card_type]}
    if card_type in LAYOUT_CHAR:
        values.setdefault("type", LAYOUT_CHAR[card_type])
    for name, value in values.items():
        if name not in layout:
            raise ValueError(f"layout {card_type} has no field {name}")
        off, size = layout[name]
        data = value.encode("utf-16-le", errors="surrogatepass")
        if len(data) > size:
            raise ValueError(f"{name} needs {len(data)} bytes, the layout has {size}")
        block[off:off + len(data)] = data
    return bytes(block)
