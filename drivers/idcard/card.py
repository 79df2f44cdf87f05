"""The card as the kiosk sees it: one dataclass for all four layouts.

``to_dict()`` gives exactly the JSON keys of ``terminal hw idcard --json``,
masked unless ``show_pii=True``.  ``repr()`` is masked too, so a card that
ends up in a log line or a traceback leaks nothing.

>>> import datetime as dt
>>> from drivers.idcard.card import IdCard
>>> card = IdCard(card_type="resident", name="张三", gender="female", nation_code="01", nation="汉",
...               birth_date=dt.date(1949, 12, 31), address="北京市朝阳区某街道1号",
...               id_number="11010519491231002X", id_number_valid=True, authority="北京市公安局朝阳分局",
...               valid_from=dt.date(2015, 1, 1), valid_to=None)
>>> card.to_dict()["id_number"], card.to_dict(show_pii=True)["valid_to"]
('1101**********002X', None)
>>> card
IdCard(card_type='resident', name='张*', id_number='1101**********002X')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from terminal.pii import mask_address, mask_id_number, mask_name

CARD_TYPES = ("resident", "hk_mo_tw_permit", "foreigner_2017", "foreigner_2023")
GENDERS = {"0": "unknown", "1": "male", "2": "female", "9": "unspecified"}
JSON_KEYS = ("card_type", "name", "name_en", "gender", "nation_code", "nation", "birth_date", "address",
             "id_number", "id_number_valid", "authority", "valid_from", "valid_to", "pass_number",
             "nationality", "photo_available")


@dataclass(eq=True)
class IdCard:
    """One card as read: personal fields (str), dates (``datetime.date``, None when absent) and checks.

    ``valid_to`` None means long-term (长期); ``id_number_valid`` and
    ``id_number_problem`` give the number's check; ``photo_wlt`` is the 1024
    raw WLT bytes and ``photo_image`` the decoded image (None without a decoder).
    ``repr()`` is masked.
    """

    card_type: str
    name: str
    gender: str
    birth_date: dt.date | None
    id_number: str
    id_number_valid: bool
    valid_from: dt.date | None
    valid_to: dt.date | None          # None: long-term (长期)
    name_en: str | None = None
    nation_code: str | None = None
    nation: str | None = None
    address: str | None = None
    authority: str | None = None
    pass_number: str | None = None
    nationality: str | None = None
    # Beyond the JSON keys: what the layouts carry, and the raw photo.
    id_number_problem: str = ""
    issue_count: int | None = None     # 'J' permits: times issued; 'Y' cards: renewals
    card_version: str | None = None    # 'I' cards
    previous_number: str | None = None  # 'Y' cards: link to the 15-character 2017 number
    rare_characters: bool = False      # Private Use Area or unencodable characters in a text field
    photo_wlt: bytes = field(default=b"", repr=False)
    photo_image: bytes | None = field(default=None, repr=False)  # decoded by the plug-in, if any
    fingerprint: bytes | None = field(default=None, repr=False)

    @property
    def photo_available(self) -> bool:
        """True only when a decoder plug-in turned the WLT bytes into an image."""
        return self.photo_image is not None

    @property
    def masked_id_number(self) -> str:
        """The ID number masked for logs and screens (``1101**********002X``)."""
        return mask_id_number(self.id_number)

    def to_dict(self, *, show_pii: bool = False) -> dict[str, Any]:
        """The card as the JSON keys of ``terminal hw idcard --json`` (``JSON_KEYS``, in order).

        Dates are ISO strings (None when absent); the personal fields are masked
        unless ``show_pii`` is True.  Returns a new dict; never raises.
        """
        values = {
            "card_type": self.card_type, "name": self.name, "name_en": self.name_en, "gender": self.gender,
            "nation_code": self.nation_code, "nation": self.nation,
            "birth_date": _iso(self.birth_date), "address": self.address, "id_number": self.id_number,
            "id_number_valid": self.id_number_valid, "authority": self.authority,
            "valid_from": _iso(self.valid_from), "valid_to": _iso(self.valid_to),
            "pass_number": self.pass_number, "nationality": self.nationality,
            "photo_available": self.photo_available,
        }
        if not show_pii:
            values.update(masked_fields(self))
        return values

    def __repr__(self) -> str:
        return (f"IdCard(card_type={self.card_type!r}, name={mask_name(self.name)!r}, "
                f"id_number={self.masked_id_number!r})")


def masked_fields(card: IdCard) -> dict[str, Any]:
    """The personal fields, masked: what logs and screens without consent may show."""
    return {
        "name": mask_name(card.name) if card.name else card.name,
        "name_en": mask_name(card.name_en) if card.name_en else card.name_en,
        "birth_date": f"{card.birth_date.year:04d}-**-**" if card.birth_date else None,
        "address": mask_address(card.address) if card.address else card.address,
        "id_number": mask_id_number(card.id_number),
        "pass_number": mask_id_number(card.pass_number) if card.pass_number else card.pass_number,
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None
