"""ID number checks (GB 11643-1999) for every card the reader can carry.

python-stdnum's ``stdnum.cn.ric`` checks checksum, birth date and region, but
its region table rejects numbers it should accept: the permit regions
810000/820000/830000 (for holders born before 1997/1999, i.e. nearly all),
counties created after the holder's birth (people re-numbered in 1999), and
the 2023 foreigner numbers that start with 9.  So stdnum decides where it
can, and the rules below cover the rest.

>>> from drivers.idcard.idnumber import check_id_number
>>> check_id_number("11010519491231002X").valid
True
>>> check_id_number("810000199001010019", card_type="hk_mo_tw_permit").valid
True
>>> check_id_number("11010519491231002X", card_type="hk_mo_tw_permit").problem
'a residence permit number must start with 810000, 820000 or 830000'

Only ASCII digits count as digits.  ``str.isdigit()``, ``int()`` and the
``\\d`` of a ``str`` regex also take superscripts (²), full-width (１２３) and
Arabic-Indic (١٢٣) digits, so every test here spells out ``[0-9]``:

>>> check_id_number("11010519491231002X".replace("4", "²")).problem
'must be ASCII digits (and X); it holds other characters, e.g. full-width or superscript digits'
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

PERMIT_REGIONS = {"810000": "Hong Kong", "820000": "Macau", "830000": "Taiwan"}
# The oldest card holders on record were born in the 1880s (cards were issued to them in the 2000s).
EARLIEST_BIRTH_YEAR = 1880
# A Pi has no RTC and may read 1970 before NTP: a birth date is "in the future" only after the later
# of the clock's today and this date, so a wrong clock never rejects a real card.
CLOCK_FLOOR = dt.date(2026, 1, 1)
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
NOT_ASCII = "must be ASCII digits (and X); it holds other characters, e.g. full-width or superscript digits"
_SHAPE18 = re.compile(r"[0-9]{17}[0-9X]")
_FOREIGNER_2017 = re.compile(r"[A-Z]{3}[0-9]{12}")


@dataclass(frozen=True)
class IdNumberCheck:
    """The verdict on one number; ``problem`` says why it is not valid (no digits of the number)."""

    valid: bool
    problem: str = ""
    birth_date: dt.date | None = None
    male: bool | None = None


def check_digit(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits; ValueError unless 17 ASCII digits."""
    if not re.fullmatch(r"[0-9]{17}", first17):
        raise ValueError("check_digit needs 17 ASCII digits")
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def _province_known(code2: str) -> bool:
    if not re.fullmatch(r"[0-9]{2}", code2):
        return False
    return bool(numdb.get("cn/loc").info(code2 + "0000")[0][1].get("province"))


def _region_known(code6: str) -> bool:
    """Region code present in stdnum's table at any time (ignoring its validity years)."""
    info = {k: v for _, props in numdb.get("cn/loc").info(code6) for k, v in props.items()}
    return "province" in info and "county" in info


def _date(text: str) -> dt.date | None:
    if not re.fullmatch(r"[0-9]{8}", text):  # strptime's %Y would take full-width digits
        return None
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        return None


def _birth_problem(born: dt.date | None, today: dt.date | None) -> str:
    if born is None or born.year < EARLIEST_BIRTH_YEAR:
        return "birth date inside the number is not a date"
    if born > max(today or dt.date.today(), CLOCK_FLOOR):
        return "birth date inside the number is in the future"
    return ""


def _check18(number: str, today: dt.date | None = None) -> tuple[str, dt.date | None]:
    """Shape, check digit and date of an 18-character number: (problem, birth date)."""
    if len(number) != 18:
        return f"must have 18 characters, has {len(number)}", None
    if not _SHAPE18.fullmatch(number):
        return "must be 17 digits and a digit or X", None
    if number[17] != check_digit(number[:17]):
        return "check digit does not match", None
    born = _date(number[6:14])
    problem = _birth_problem(born, today)
    return (problem, None) if problem else ("", born)


def _resident(number: str, today: dt.date | None) -> IdNumberCheck:
    problem, born = _check18(number, today)
    if problem:
        return IdNumberCheck(False, problem)
    male = int(number[16]) % 2 == 1
    try:
        ric.validate(number)
        return IdNumberCheck(True, birth_date=born, male=male)
    except ValidationError:
        pass  # checksum and date passed above, so stdnum objected to the region
    if number[:6] in PERMIT_REGIONS:
        return IdNumberCheck(False, "a permit region (810000/820000/830000) on a resident card",
                             birth_date=born, male=male)
    if _region_known(number[:6]):
        # stdnum ties counties to the years they existed; numbers were re-issued in 1999
        # with the then-current county, so a county newer than the birth date is normal.
        return IdNumberCheck(True, birth_date=born, male=male)
    return IdNumberCheck(False, "region code is not a known county", birth_date=born, male=male)


def _permit(number: str, today: dt.date | None) -> IdNumberCheck:
    problem, born = _check18(number, today)
    if problem:
        return IdNumberCheck(False, problem)
    if number[:6] not in PERMIT_REGIONS:
        return IdNumberCheck(False, "a residence permit number must start with 810000, 820000 or 830000",
                             birth_date=born)
    return IdNumberCheck(True, birth_date=born, male=int(number[16]) % 2 == 1)


def _foreigner_2023(number: str, today: dt.date | None) -> IdNumberCheck:
    # 9 | province of the accepting office (2) | nationality, ISO 3166 numeric (3) |
    # birth date (8) | sequence, odd for men (3) | check digit; same MOD 11-2 check.
    if len(number) != 18 or not number.startswith("9"):
        return IdNumberCheck(False, "a 2023 foreigner number has 18 characters and starts with 9")
    if not _SHAPE18.fullmatch(number):
        return IdNumberCheck(False, "must be 17 digits and a digit or X")
    if number[17] != check_digit(number[:17]):
        return IdNumberCheck(False, "check digit does not match")
    born = _date(number[6:14])
    problem = _birth_problem(born, today)
    if problem:
        return IdNumberCheck(False, problem)
    if not _province_known(number[1:3]):
        return IdNumberCheck(False, "province code of the issuing office is unknown", birth_date=born)
    return IdNumberCheck(True, birth_date=born, male=int(number[16]) % 2 == 1)


def _foreigner_2017(number: str) -> IdNumberCheck:
    # nationality, ISO 3166 alpha-3 (3) | province of the accepting office (2) |
    # birth date YYMMDD (6) | sequence (2) | check (1).  No public algorithm for
    # the last digit is known, so the structure, province and date are what we check.
    if not _FOREIGNER_2017.fullmatch(number):
        return IdNumberCheck(False, "a 2017 foreigner card number is 3 letters and 12 digits")
    if not _province_known(number[3:5]):
        return IdNumberCheck(False, "province code of the issuing office is unknown")
    return IdNumberCheck(True)


def check_id_number(number: str, *, card_type: str = "resident", today: dt.date | None = None) -> IdNumberCheck:
    """Validate the number the way its card type defines it (``today``: the clock's date by default).

    Anything but ASCII is refused before ``upper()``, which would turn 'ſ' into 'S' and 'ß' into 'SS'.
    """
    number = (number or "").strip()
    if not number.isascii():
        return IdNumberCheck(False, NOT_ASCII)
    number = number.upper()
    if card_type == "hk_mo_tw_permit":
        return _permit(number, today)
    if card_type == "foreigner_2023":
        return _foreigner_2023(number, today)
    if card_type == "foreigner_2017":
        return _foreigner_2017(number)
    if number.startswith("9") and len(number) == 18:
        return _foreigner_2023(number, today)
    return _resident(number, today)


def yymmdd_matches(number: str, birth: dt.date | None) -> bool:
    """Does a 2017 foreigner number's YYMMDD agree with the card's birth date?"""
    return birth is not None and number[5:11] == birth.strftime("%y%m%d")
