"""Scripted cards for the simulator: every layout, plus rare characters.

All people here are made up; the numbers are built to pass (or, where named,
fail) their checks.

>>> from drivers.idcard.samples import SAMPLES, sample_card
>>> sorted(SAMPLES)
['foreigner2017', 'foreigner2023', 'permit', 'rare', 'resident', 'resident-dated']
>>> len(sample_card("permit").text), len(sample_card("permit").photo)
(256, 1024)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from drivers.idcard.layouts import encode_text


def _filler(seed: str, size: int = 1024) -> bytes:
    out = b""
    block = seed.encode()
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block
    return out[:size]


@dataclass
class SimCard:
    """What a card holds: the 256-byte text, the 1024-byte WLT photo, a fingerprint, an extra address."""

    text: bytes = field(repr=False)
    photo: bytes = field(repr=False)
    fingerprint: bytes | None = field(default=None, repr=False)
    extra_address: str | None = None
    label: str = ""


def _card(label: str, card_type: str, **values: str) -> SimCard:
    return SimCard(encode_text(card_type, **values), _filler("photo:" + label),
                   _filler("finger:" + label), label=label)


SAMPLES = {
    "resident": lambda: _card(
        "resident", "resident", name="测试甲", gender="2", nation="46", birth="19491231",
        address="北京市朝阳区测试路1号院2号楼3单元401室", id_number="11010519491231002X",
        authority="北京市公安局朝阳分局", valid_from="20150101", valid_to="长期"),
    "resident-dated": lambda: _card(
        "resident-dated", "resident", name="欧阳测试", gender="1", nation="01", birth="19880808",
        address="广东省深圳市福田区测试大道88号", id_number="440303198808081231",
        authority="深圳市公安局福田分局", valid_from="20180101", valid_to="20380101"),
    "permit": lambda: _card(
        "permit", "hk_mo_tw_permit", name="测试乙", gender="1", birth="19900101",
        address="广东省深圳市南山区测试街5号", id_number="810000199001010019",
        authority="深圳市公安局", valid_from="20200601", valid_to="20250601", pass_number="H12345678",
        issue_count="01"),
    "foreigner2017": lambda: _card(
        "foreigner2017", "foreigner_2017", name_en="DOE, JOHN TEST", gender="1", id_number="USA318001010015",
        nationality="USA", name="杜约翰", valid_from="20170601", valid_to="20270601", birth="19800101",
        version="17", authority="1500"),
    "foreigner2023": lambda: _card(
        "foreigner2023", "foreigner_2023", name="蒙测试", gender="2", renewals="00", birth="19850315",
        name_en1="MONTGOMERY, ALEXANDRA CATHERINE JAN", name_en2="E DOE", id_number="931840198503150028",
        valid_from="20230601", valid_to="20330601", nationality="USA"),
    # A Private Use Area character (a vendor-encoded rare Han) and an unencodable one (a lone surrogate).
    "rare": lambda: _card(
        "rare", "resident", name="测\ue863", gender="1", nation="01", birth="19880808",
        address="广东省深圳市\ud840测试路1号", id_number="440303198808081231",
        authority="深圳市公安局福田分局", valid_from="20180101", valid_to="20380101"),
}


def sample_card(name: str) -> SimCard:
    """A fresh :class:`SimCard` of the sample ``name`` (see ``SAMPLES``); raises ValueError for an unknown name."""
    try:
        return SAMPLES[name]()
    except KeyError:
        raise ValueError(f"no sample card {name!r}; have: {', '.join(sorted(SAMPLES))}") from None
