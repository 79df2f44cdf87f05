"""SMS-SUBMIT PDU codec: known vectors, round trips, splitting, and fuzzing of the decoder."""

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drivers.sms.errors import InvalidMessage, PduError
from drivers.sms.pdu import (
    count_parts,
    decode_submit,
    encode_address,
    encode_submit,
    normalize_number,
    relative_validity,
)

# Published by another implementation (node-sms-pdu's README), with no validity period.
KNOWN = [
    ("09012345678", "How are you doing?", "0001000B819010325476F8000012C8F71D14969741F9771D447EA7DDE71F", 29),
    ("09012345678", "こんにちわ", "0001000B819010325476F800080A30533093306B3061308F", 23),
]


@pytest.mark.parametrize("to, text, pdu, length", KNOWN)
def test_encoder_matches_pdus_made_elsewhere(to, text, pdu, length):
    (part,) = encode_submit(to, text, validity_s=None)
    assert (part.hex, part.tpdu_length) == (pdu, length)
    decoded = decode_submit(pdu)
    assert decoded.recipient == to and decoded.text == text


def test_international_and_national_numbers():
    assert encode_address("+8613800138000").hex().upper() == "0D91683108108300F0"
    assert encode_address("008613800138000").hex().upper() == "0D91683108108300F0"
    assert encode_address("13800138000").hex().upper() == "0B813108108300F0"
    assert encode_address("10086").hex().upper() == "05810180F6"
    assert normalize_number("+86 (138) 0013-8000") == ("8613800138000", True)


@pytest.mark.parametrize("bad", ["", "abc", "+", "12", "+86 138 0013 800x", "1" * 21, "++8613800138000"])
def test_bad_numbers_are_refused_without_showing_them(bad):
    with pytest.raises(InvalidMessage) as info:
        encode_address(bad)
    assert "13800138000" not in str(info.value)


def test_chinese_text_uses_ucs2_and_splits_at_67():
    text = "您的验证码是123456，10分钟内有效。请勿向任何人透露。" * 5          # 150 characters
    parts = encode_submit("+8613800138000", text, reference=200)
    decoded = [decode_submit(p.hex) for p in parts]
    assert len(parts) == 3 == count_parts(text)
    assert [d.concat for d in decoded] == [(200, 3, 1), (200, 3, 2), (200, 3, 3)]
    assert [len(d.text) for d in decoded] == [67, 67, 16]
    assert all(d.encoding == "ucs2" for d in decoded)
    assert "".join(d.text for d in decoded) == text
    assert all(p.hex[2:4] == "51" for p in parts)  # SUBMIT + relative VP + UDHI
    assert all(p.tpdu_length <= 140 + 15 for p in parts)


def test_limits_of_a_single_part():
    assert len(encode_submit("10086", "中" * 70)) == 1
    assert len(encode_submit("10086", "中" * 71)) == 2
    assert len(encode_submit("10086", "A" * 160)) == 1
    assert len(encode_submit("10086", "A" * 161)) == 2
    assert count_parts("{" * 80) == 1 and count_parts("{" * 81) == 2      # an escape takes two septets


def test_gsm_escape_and_surrogate_pairs_are_never_split():
    text = "A" * 152 + "€" + "B" * 10
    parts = [decode_submit(p.hex).text for p in encode_submit("10086", text)]
    assert parts == ["A" * 152, "€" + "B" * 10]
    emoji = "中" * 66 + "😀" + "文" * 5
    parts = [decode_submit(p.hex).text for p in encode_submit("10086", emoji)]
    assert parts == ["中" * 66, "😀" + "文" * 5]


def test_gsm7_with_header_fill_bits_round_trips():
    text = "Your code is 123456. It expires in 10 minutes. [Shared Services] " * 4
    parts = encode_submit("+8613800138000", text, reference=1)
    assert len(parts) == 2
    assert "".join(decode_submit(p.hex).text for p in parts) == text


def test_validity_period():
    minute = 60  # relative_validity takes seconds; the network counts in 5-minute steps and up
    assert relative_validity(5 * minute) == 0 and relative_validity(10 * minute) == 1
    assert relative_validity(720 * minute) == 143
    assert relative_validity(750 * minute) == 144 and relative_validity(2 * 1440 * minute) == 168
    assert relative_validity(31 * 1440 * minute) == 197
    assert relative_validity(1) == 0  # rounded up to the first step
    assert decode_submit(encode_submit("10086", "x", validity_s=600)[0].hex).validity == 1
    with pytest.raises(InvalidMessage):
        relative_validity(0)


def test_too_many_parts_and_empty_text_are_refused():
    with pytest.raises(InvalidMessage, match="needs 3 SMS parts; at most 2"):
        encode_submit("10086", "中" * 150, max_parts=2)
    with pytest.raises(InvalidMessage, match="empty"):
        encode_submit("10086", "")


@pytest.mark.parametrize("pdu, words", [
    ("", "empty"),
    ("0", "even number"),
    ("zz", "even number"),
    ("00", "before the first TPDU"),
    ("0004", "not SMS-SUBMIT"),
    ("0001000B81", "ends inside the recipient"),
    ("0001001981", "claims 25 digits"),
    ("0001000B019010325476F80000", "lacks its high bit"),
    ("0001000B819010325476F800F400", "8-bit data"),
    ("0001000B819010325476F8008001", "reserved coding group"),
    ("0001000B819010325476F8000803305330", "odd number of octets"),
    ("0001000B819010325476F8000805300530", "the length field says 5"),
    ("0001000B819010325476F800080230533000", "octets follow"),
    ("0041000B819010325476F8000806050003010102", "part 2 of 1"),
    ("0041000B819010325476F80008050400030100", "is truncated"),
    ("0041000B819010325476F80008050500030100", "header is longer"),
])
def test_malformed_pdus_raise_pdu_error_with_a_reason(pdu, words):
    with pytest.raises(PduError, match=words):
        decode_submit(pdu)


texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=400)
numbers = st.from_regex(r"\A\+?[0-9]{3,20}\Z")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(to=numbers, text=texts, reference=st.integers(0, 255))
def test_round_trip_any_text(to, text, reference):
    parts = encode_submit(to, text, reference=reference)
    decoded = [decode_submit(p.hex) for p in parts]
    assert "".join(d.text for d in decoded) == text
    digits, international = normalize_number(to)
    assert all(d.recipient == ("+" if international else "") + digits for d in decoded)
    assert len(parts) == count_parts(text)
    for p in parts:
        assert len(p.hex) // 2 - 1 == p.tpdu_length
        assert p.tpdu_length <= 164


def _decode_or_pdu_error(pdu):
    try:
        result = decode_submit(pdu)
    except PduError as exc:
        assert str(exc).startswith("sms: ")
        return None
    assert isinstance(result.text, str) and isinstance(result.recipient, str)
    return result


@settings(max_examples=400, deadline=None)
@given(st.binary(max_size=180))
def test_fuzz_random_bytes(data):
    _decode_or_pdu_error(data.hex())


@settings(max_examples=200, deadline=None)
@example("0０")
@example("00²1")
@given(st.one_of(st.text(max_size=80), st.text(alphabet="0123456789ABCDEF²³１２３٠١٢٣", max_size=80)))
def test_fuzz_random_text(text):
    _decode_or_pdu_error(text)


# -- digits that are not ASCII: '²' (isdigit, but int() fails), full-width and Arabic-Indic (int() reads them)

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("number, odd", [
    ("13800138²00", "²"), ("+86１３８００１３８０００", "１"), ("١٣٨٠٠١٣٨٠٠٠", "١"), ("１２３", "１"), ("١٢٣", "١"),
    ("²", "²"), ("+86 138 0013 800" + "٨", "٨"),
])
def test_numbers_in_other_digits_are_refused_with_the_reason_and_masked(number, odd):
    with pytest.raises(InvalidMessage, match=f"{odd!r} .U\\+{ord(odd):04X}. is not an ASCII digit 0-9") as info:
        encode_address(number)
    shown = str(info.value)
    for digits in ("13800138", "13800138".translate(FULLWIDTH), "13800138".translate(ARABIC_INDIC)):
        assert digits not in shown


@settings(max_examples=300, deadline=None)
@example("13800138²00")
@example("１３８００１３８０００")
@example("١٣٨٠٠١٣٨٠٠٠")
@given(st.text(alphabet="+0123456789 -²³¹１２３４５٠١٢٣٤۴߀०", min_size=0, max_size=24))
def test_fuzz_numbers_are_valid_only_in_ascii_digits(number):
    try:
        digits, _ = normalize_number(number)
    except InvalidMessage as exc:
        assert str(exc).startswith("sms: recipient ")
        return
    assert digits.isascii() and digits.isdigit()
    assert not any(ch.isnumeric() and not ch.isascii() for ch in number)


@pytest.mark.parametrize("pdu", ["0０", "00²1", "٠٠", "0001000B819010325476F80000１２"])
def test_a_pdu_with_other_digits_is_a_pdu_error_that_names_the_character(pdu):
    odd = next(ch for ch in pdu if not ch.isascii())
    with pytest.raises(PduError, match=f"{odd!r} at character {pdu.index(odd)} is not one"):
        decode_submit(pdu)


_VALID = [p.hex for p in encode_submit("+8613800138000", "验证码 123456 " * 12, reference=3)] + \
         [p.hex for p in encode_submit("10086", "Code {123456} €" * 12, reference=4)] + [KNOWN[0][2], KNOWN[1][2]]


@settings(max_examples=400, deadline=None)
@given(pdu=st.sampled_from(_VALID), data=st.data())
def test_fuzz_mutated_valid_pdus(pdu, data):
    raw = bytearray(bytes.fromhex(pdu))
    for _ in range(data.draw(st.integers(1, 4))):
        action = data.draw(st.sampled_from(["flip", "cut", "insert", "set"]))
        at = data.draw(st.integers(0, max(0, len(raw) - 1)))
        if action == "flip" and raw:
            raw[at] ^= 1 << data.draw(st.integers(0, 7))
        elif action == "cut":
            del raw[at:]
        elif action == "insert":
            raw.insert(at, data.draw(st.integers(0, 255)))
        elif raw:
            raw[at] = data.draw(st.sampled_from([0x00, 0xFF, 0x7F, 0x80, 0x1B, 0x08, 0x40]))
    _decode_or_pdu_error(raw.hex())
