"""Text layouts, nation and gender codes, ID-number checks, rare characters."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from drivers.idcard import JSON_KEYS, CardDataError, sample_card
from drivers.idcard.idnumber import check_digit, check_id_number
from drivers.idcard.layouts import LAYOUTS, TEXT_SIZE, decode_text, encode_text
from drivers.idcard.nations import NATIONS


def test_every_layout_covers_exactly_256_bytes():
    for card_type, fields in LAYOUTS.items():
        covered = sorted((off, off + size) for _, off, size in fields)
        assert covered[0][0] == 0 and covered[-1][1] == TEXT_SIZE, card_type
        assert all(a[1] == b[0] for a, b in zip(covered, covered[1:])), card_type


def test_resident_card_decodes_with_long_term_validity():
    card = decode_text(sample_card("resident").text)
    assert card.card_type == "resident"
    assert (card.name, card.gender, card.nation_code, card.nation) == ("测试甲", "female", "46", "德昂")
    assert card.birth_date == dt.date(1949, 12, 31)
    assert card.address == "北京市朝阳区测试路1号院2号楼3单元401室"
    assert card.id_number == "11010519491231002X" and card.id_number_valid
    assert card.authority == "北京市公安局朝阳分局"
    assert (card.valid_from, card.valid_to) == (dt.date(2015, 1, 1), None)
    assert card.to_dict(show_pii=True)["valid_to"] is None


def test_resident_card_with_a_dated_validity():
    card = decode_text(sample_card("resident-dated").text)
    assert (card.name, card.gender, card.nation, card.valid_to) == ("欧阳测试", "male", "汉", dt.date(2038, 1, 1))


def test_hk_macau_taiwan_permit():
    card = decode_text(sample_card("permit").text)
    assert card.card_type == "hk_mo_tw_permit"
    assert (card.nation_code, card.nation) == (None, None)
    assert (card.pass_number, card.issue_count) == ("H12345678", 1)
    assert card.id_number.startswith("810000") and card.id_number_valid


def test_foreigner_2017_card():
    card = decode_text(sample_card("foreigner2017").text)
    assert card.card_type == "foreigner_2017"
    assert card.name_en == "DOE, JOHN TEST"  # inner spaces kept, trailing padding stripped
    assert (card.name, card.nationality, card.authority, card.card_version) == ("杜约翰", "USA", "1500", "17")
    assert len(card.id_number) == 15 and card.id_number_valid
    assert (card.birth_date, card.valid_from, card.valid_to) == (
        dt.date(1980, 1, 1), dt.date(2017, 6, 1), dt.date(2027, 6, 1))


def test_foreigner_2023_card_joins_the_two_english_name_parts():
    card = decode_text(sample_card("foreigner2023").text)
    assert card.card_type == "foreigner_2023"
    assert card.name_en == "MONTGOMERY, ALEXANDRA CATHERINE JANE DOE"
    assert (card.name, card.gender, card.nationality, card.issue_count) == ("蒙测试", "female", "USA", 0)
    assert card.id_number.startswith("9") and card.id_number_valid


def test_json_keys_are_exactly_the_issues_and_masked_by_default():
    for name in ("resident", "permit", "foreigner2017", "foreigner2023"):
        card = decode_text(sample_card(name).text)
        masked, clear = card.to_dict(), card.to_dict(show_pii=True)
        assert tuple(masked) == JSON_KEYS == tuple(clear)
        assert masked["card_type"] in ("resident", "hk_mo_tw_permit", "foreigner_2017", "foreigner_2023")
        assert card.id_number not in json.dumps(masked, ensure_ascii=False)
        assert card.name not in json.dumps(masked, ensure_ascii=False)
        assert card.id_number not in repr(card) and card.name not in repr(card)
        assert clear["id_number"] == card.id_number and masked["photo_available"] is False


@pytest.mark.parametrize("code, gender", [("0", "unknown"), ("1", "male"), ("2", "female"), ("9", "unspecified")])
def test_gender_codes(code, gender):
    block = encode_text("resident", name="测试", gender=code, nation="01", birth="19900101",
                        id_number="110105199001010010", valid_from="20100101", valid_to="20200101")
    assert decode_text(block).gender == gender


def test_gender_outside_the_standard_is_a_card_data_error():
    block = encode_text("resident", name="测试", gender="5", nation="01", birth="19900101",
                        id_number="x", valid_from="20100101", valid_to="20200101")
    with pytest.raises(CardDataError, match="gender"):
        decode_text(block)


def test_nation_table_is_gb3304():
    assert len(NATIONS) == 58 and set(NATIONS) == {f"{i:02d}" for i in range(1, 57)} | {"97", "98"}
    assert NATIONS["46"] == "德昂" and NATIONS["56"] == "基诺" and NATIONS["29"] == "柯尔克孜"
    assert NATIONS["37"] == "仡佬" and NATIONS["32"] == "仫佬" and NATIONS["43"] == "乌孜别克"
    assert len(set(NATIONS.values())) == 58 and not any(v.endswith("族") for v in NATIONS.values())


def test_unknown_nation_code_is_a_card_data_error():
    block = encode_text("resident", name="测试", gender="1", nation="57", birth="19900101",
                        id_number="x", valid_from="20100101", valid_to="20200101")
    with pytest.raises(CardDataError, match="nation"):
        decode_text(block)


@pytest.mark.parametrize("field, value", [("birth", "19901301"), ("valid_from", "2010010"),
                                          ("valid_to", "长久"), ("birth", "长期")])
def test_bad_dates_name_the_field_not_the_value(field, value):
    values = dict(name="测试", gender="1", nation="01", birth="19900101", id_number="x",
                  valid_from="20100101", valid_to="20200101")
    values[field] = value
    with pytest.raises(CardDataError) as info:
        decode_text(encode_text("resident", **values))
    assert field in str(info.value) and value not in str(info.value)


def test_rare_characters_survive_decoding():
    card = decode_text(sample_card("rare").text)
    assert card.name == "测\ue863"        # Private Use Area kept as is
    assert "\ufffd" in card.address      # a lone surrogate becomes U+FFFD, not a crash
    assert card.rare_characters
    json.dumps(card.to_dict(show_pii=True), ensure_ascii=False).encode("utf-8")
    assert not decode_text(sample_card("resident").text).rare_characters


def test_characters_outside_the_bmp_decode_from_surrogate_pairs():
    block = encode_text("resident", name="𠀋测", gender="1", nation="01", birth="19900101",
                        id_number="110105199001010010", valid_from="20100101", valid_to="20200101")
    assert decode_text(block).name == "𠀋测"


def test_only_trailing_spaces_are_stripped():
    block = encode_text("foreigner_2017", name_en=" VAN DER BERG, ANNA ", gender="2", id_number="NLD310001010015",
                        nationality="NLD", valid_from="20170601", valid_to="20270601", birth="20000101")
    assert decode_text(block).name_en == " VAN DER BERG, ANNA"


def test_text_block_of_the_wrong_size():
    with pytest.raises(CardDataError):
        decode_text(bytes(255))


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=256, max_size=256))
def test_fuzz_random_text_blocks_give_a_card_or_a_card_data_error(block):
    try:
        card = decode_text(block)
    except CardDataError:
        return
    json.dumps(card.to_dict(show_pii=True), ensure_ascii=False).encode("utf-8", "surrogatepass")


# Digits that str.isdigit() accepts but int() or a check-digit table do not (issue 8, part 5).
OTHER_DIGITS = "²³¹" + "０１２３４５６７８９Ｘ" + "٠١٢٣٤٥٦٧٨٩" + "۰۱۲"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["resident", "permit", "foreigner2017", "foreigner2023", "rare"]),
       st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255)), max_size=8),
       st.lists(st.tuples(st.integers(0, TEXT_SIZE // 2 - 1), st.sampled_from(OTHER_DIGITS)), max_size=4))
# The field case: '²' (B2 00) for the sequence digit of the ID number crashed check_id_number.
@example("resident", [(154, 0xB2), (155, 0x00)], [])
@example("resident", [], [(61 + 16, "²")])
@example("foreigner2023", [], [(61 + i, "０") for i in (1, 5, 9)])
@example("foreigner2017", [], [(61 + 14, "١")])
def test_fuzz_mutated_sample_blocks_give_a_card_or_a_card_data_error(sample, flips, digits):
    block = bytearray(sample_card(sample).text)
    for pos, value in flips:
        block[pos] = value
    for char, digit in digits:   # a whole UTF-16 character, as a reader would deliver it
        block[2 * char:2 * char + 2] = digit.encode("utf-16-le")
    try:
        card = decode_text(bytes(block))
    except CardDataError:
        return
    assert card.card_type in ("resident", "hk_mo_tw_permit", "foreigner_2017", "foreigner_2023")
    if card.id_number_valid:
        assert card.id_number.isascii(), "a number with other digits passed its check"
    else:
        assert card.id_number_problem
    json.dumps(card.to_dict(), ensure_ascii=False).encode("utf-8")


# --- ID numbers --------------------------------------------------------------------------------

def number(first17: str) -> str:
    return first17 + check_digit(first17)


def test_check_digit_agrees_with_stdnum():
    for first17 in ("11010519491231002", "44030319880808123", "31011519900101001", "81000019900101001"):
        assert check_digit(first17) == ric.calc_check_digit(first17 + "0")


def test_resident_numbers():
    assert check_id_number("11010519491231002X").valid
    assert check_id_number("11010519491231002x").valid
    assert check_id_number("110105194912310021").problem == "check digit does not match"
    assert check_id_number(number("11010519491331002")).problem == "birth date inside the number is not a date"
    assert "18 characters" in check_id_number("1101051949123100").problem
    assert not check_id_number(number("99010519491231002")).valid  # no such region


@pytest.mark.parametrize("first17, card_type", [
    ("11010520990101001", "resident"),
    ("81000020990101001", "hk_mo_tw_permit"),
    ("93184020990101002", "foreigner_2023"),
])
def test_a_birth_date_in_the_future_is_not_valid(first17, card_type):
    verdict = check_id_number(number(first17), card_type=card_type)
    assert not verdict.valid and verdict.problem == "birth date inside the number is in the future"


def test_a_clock_that_lost_its_time_does_not_reject_real_birth_dates():
    # A Pi has no RTC: before NTP its clock may say 1970.  That must not make 1990 "the future".
    assert check_id_number(number("11010519900101001"), today=dt.date(1970, 1, 1)).valid
    assert not check_id_number(number("11010520990101001"), today=dt.date(1970, 1, 1)).valid


def test_a_county_newer_than_the_holder_is_accepted_where_stdnum_refuses():
    # Pudong (310115) dates from 1993; people born earlier were numbered there in 1999.
    n = number("31011519900101001")
    assert not ric.is_valid(n)
    assert check_id_number(n).valid


@pytest.mark.parametrize("region", ["810000", "820000", "830000"])
def test_permit_regions(region):
    n = number(region + "19700101002")
    assert not ric.is_valid(n)                       # stdnum refuses these
    verdict = check_id_number(n, card_type="hk_mo_tw_permit")
    assert verdict.valid and verdict.male is False
    assert not check_id_number(n, card_type="resident").valid  # a permit region on a resident card


def test_permit_needs_a_permit_region_and_a_good_check_digit():
    assert not check_id_number("11010519491231002X", card_type="hk_mo_tw_permit").valid
    bad = number("81000019900101001")[:-1] + "0"
    assert check_id_number(bad, card_type="hk_mo_tw_permit").problem == "check digit does not match"


def test_2023_foreigner_numbers_start_with_9():
    n = number("93184019850315002")
    assert not ric.is_valid(n)
    verdict = check_id_number(n, card_type="foreigner_2023")
    assert verdict.valid and verdict.birth_date == dt.date(1985, 3, 15)
    assert check_id_number(n).valid                 # recognised by its 9 even without the card type
    assert not check_id_number(number("99984019850315002"), card_type="foreigner_2023").valid  # province 99
    assert not check_id_number("11010519491231002X", card_type="foreigner_2023").valid
    assert not check_id_number(n[:-1] + ("0" if n[-1] != "0" else "1"), card_type="foreigner_2023").valid


def test_2017_foreigner_numbers_have_15_characters():
    assert check_id_number("USA318001010015", card_type="foreigner_2017").valid
    assert not check_id_number("US3318001010015", card_type="foreigner_2017").valid
    assert not check_id_number("USA998001010015", card_type="foreigner_2017").valid
    assert not check_id_number("USA31800101001", card_type="foreigner_2017").valid


def test_card_cross_checks_number_against_birth_date_gender_and_nationality():
    values = dict(name="测试", gender="2", nation="01", birth="19900101", id_number=number("11010519900101001"),
                  valid_from="20100101", valid_to="20200101")
    card = decode_text(encode_text("resident", **values))
    assert not card.id_number_valid and "sex" in card.id_number_problem
    values.update(gender="1", birth="19900102")
    assert "birth date" in decode_text(encode_text("resident", **values)).id_number_problem
    block = encode_text("foreigner_2017", name_en="DOE, JOHN", gender="1", id_number="GBR318001010015",
                        nationality="USA", valid_from="20170601", valid_to="20270601", birth="19800101")
    assert "nationality" in decode_text(block).id_number_problem
