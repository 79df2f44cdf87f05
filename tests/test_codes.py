"""sync/codes: the form and collection QR codes, every refusal reason, and the QR size bound."""

from __future__ import annotations

import datetime

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sync import codes
from sync.codes import CodeError, CodeRefused, KeyRing
from terminal import TerminalError

# Fixed keys: deterministic payloads, so a failing example can be pasted into @example.
CENTRAL = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
RING = KeyRing([codes.key_item(CENTRAL.public_key())])
DAY = datetime.date(2026, 11, 30)
NOW = 1_790_000_000


def form(claim="CLM-2026-0001", employee="E1001", amount=12850, issued=DAY, key=CENTRAL) -> str:
    return codes.sign_form(key, claim, employee, amount, issued)


def refused(payload, keys=RING, **kw) -> CodeRefused:
    with pytest.raises(CodeRefused) as info:
        codes.verify(payload, keys, **kw)
    return info.value


def reseal_check(fields: list[str]) -> str:
    """A payload whose check matches its fields (what a forger who knows the format makes)."""
    signed = ".".join(fields[:-2])
    return ".".join([signed, codes._check(signed), fields[-1]])


# -- round trips -------------------------------------------------------------------------------------
def test_a_form_code_round_trips_with_every_field():
    text = form()
    assert text.startswith("RF1.CLM-2026-0001.E1001.12850.20261130.")
    got = codes.verify_form(text, RING)
    assert (got.claim_id, got.employee_no, got.amount_cents, got.issued) == ("CLM-2026-0001", "E1001", 12850, DAY)
    assert got.key_id == codes.key_id(CENTRAL.public_key()) and got.payload == text
    assert codes.verify(text, RING) == got


def test_a_collection_code_round_trips_for_one_box_and_for_any_box():
    one = codes.sign_collection(CENTRAL, "DBX-SHA-0001", NOW + 600, nonce="ABCDEFGHIJ")
    assert one.startswith("RC1.DBX-SHA-0001.ABCDEFGHIJ.1790000600.")
    got = codes.verify_collection(one, RING, now=NOW, box_id="DBX-SHA-0001")
    assert (got.box_id, got.nonce, got.not_after) == ("DBX-SHA-0001", "ABCDEFGHIJ", NOW + 600)
    anybox = codes.verify(codes.sign_collection(CENTRAL, None, NOW + 600), RING, now=NOW, box_id="DBX-SHA-0002")
    assert anybox.box_id is None and len(anybox.nonce) == 10


def test_two_collection_codes_get_different_nonces():
    a, b = (codes.verify_collection(codes.sign_collection(CENTRAL, "*", NOW + 60), RING, now=NOW) for _ in "ab")
    assert a.nonce != b.nonce


def test_the_keys_dataset_items_work_as_a_key_ring():
    # The agent passes sync.pull.reference_items(conn, "keys") straight in; the HMAC item is skipped.
    items = [{"id": "deployment-hmac", "kind": "hmac-sha256", "key": "a2V5"}, codes.key_item(CENTRAL.public_key()),
             {"id": "junk", "kind": "ed25519", "public_key": "not base64!"}, "not a dict"]
    assert codes.verify_form(form(), items).claim_id == "CLM-2026-0001"
    assert len(KeyRing(items)) == 1


def test_a_scanner_line_ending_is_not_part_of_the_code():
    assert codes.verify_form(form() + "\r\n", RING).payload == form()


# -- every refusal, with its reason ------------------------------------------------------------------
def test_every_reason_is_a_terminal_error_with_its_own_name():
    assert len(set(codes.REASONS)) == len(codes.REASONS) == 9
    assert issubclass(CodeRefused, TerminalError) and issubclass(CodeError, TerminalError)


@pytest.mark.parametrize("index, value", [(1, "CLM-2026-0009"), (2, "E1009"), (3, "92850"), (4, "20261201")])
def test_a_genuine_code_with_a_field_edited_is_tampered(index, value):
    fields = form().split(".")
    fields[index] = value
    assert refused(".".join(fields)).reason == codes.TAMPERED


def test_a_collection_code_with_its_expiry_pushed_out_is_tampered():
    fields = codes.sign_collection(CENTRAL, "DBX-SHA-0001", NOW + 60).split(".")
    fields[3] = str(NOW + 86_400 * 365)
    assert refused(".".join(fields), now=NOW).reason == codes.TAMPERED


def test_a_code_signed_by_another_key_naming_centrals_key_is_forged():
    fields = form(key=OTHER).split(".")
    fields[5] = codes.key_id(CENTRAL.public_key())
    assert refused(reseal_check(fields)).reason == codes.FORGED


def test_an_edited_code_with_its_check_recomputed_is_forged():
    fields = form().split(".")
    fields[3] = "92850"
    assert refused(reseal_check(fields)).reason == codes.FORGED


def test_a_second_spelling_of_the_same_signature_is_forged():
    # 64 bytes in 103 base32 characters leave 3 unused bits in the last one: 8 characters decode alike.
    text = form()
    signature = text.rsplit(".", 1)[1]
    twins = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
             if c != text[-1] and codes._unb32(signature[:-1] + c) == codes._unb32(signature)]
    assert len(twins) == 7
    for c in twins:
        assert refused(text[:-1] + c).reason == codes.FORGED


@pytest.mark.parametrize("version", ["RF2", "RC2", "RF10", "RX1"])
def test_a_version_this_box_does_not_read(version):
    text = version + form()[3:]
    error = refused(text)
    assert error.reason == codes.UNKNOWN_VERSION and "update the box's software" in str(error)


def test_a_key_the_box_has_not_synced_is_unknown():
    error = refused(form(key=OTHER))
    assert error.reason == codes.UNKNOWN_KEY and "terminal sync pull" in str(error)
    assert refused(form(), keys=[]).reason == codes.UNKNOWN_KEY


@pytest.mark.parametrize("item", [{"status": "retired"}, {"retired_at": 1_780_000_000.0}])
def test_a_retired_key_is_refused_as_retired(item):
    ring = KeyRing([{**codes.key_item(CENTRAL.public_key()), **item}])
    error = refused(form(), keys=ring)
    assert error.reason == codes.RETIRED_KEY and "reissued" in str(error)


def test_a_forgery_naming_a_retired_key_is_still_forged():
    ring = KeyRing([codes.key_item(CENTRAL.public_key(), status="retired")])
    fields = form(key=OTHER).split(".")
    fields[5] = codes.key_id(CENTRAL.public_key())
    assert refused(reseal_check(fields), keys=ring).reason == codes.FORGED


@pytest.mark.parametrize("payload", [
    "", "hello", "http://example.com/RF1", "RF1", "RF1.CLM-1", b"RF1.CLM-1", None,
    form() + ".EXTRA",                                             # a field too many
    form().replace("12850", "012850"),                             # a second spelling of the amount
    form().replace("12850", "0"),
    form().replace("12850", "１２８５０"),                          # full-width digits: int() reads them
    form().replace("12850", "١٢٨٥٠"),                              # Arabic-Indic digits
    form().replace("20261130", "20261131"),                        # no 31 November
    form().replace("20261130", "２０２６１１３０"),
    form().replace("CLM-2026-0001", "clm-2026-0001"),              # lower case: not the QR alphanumeric set
    form().replace("CLM-2026-0001", "-CLM"),
    form().replace("E1001", "E1001 "),
    form().replace("CLM-2026-0001", "CLM-" + "9" * 30),            # longer than a claim id may be
    form()[:-1],                                                   # signature one character short
    form()[:-1] + "1",                                             # '1' is not base32
    form() + "A" * 100,                                            # longer than any code of ours
    "RF1." + "é" * 10,
])
def test_malformed_codes(payload):
    assert refused(payload).reason == codes.MALFORMED


@pytest.mark.parametrize("field, value", [(2, "１２"), (2, "0017"), (3, "1e9"), (3, "-5")])
def test_a_collection_code_out_of_shape_is_malformed(field, value):
    fields = codes.sign_collection(CENTRAL, "DBX-SHA-0001", NOW + 60).split(".")
    fields[field] = value
    assert refused(".".join(fields), now=NOW).reason == codes.MALFORMED


def test_an_expired_collection_code():
    text = codes.sign_collection(CENTRAL, "DBX-SHA-0001", NOW)
    assert codes.verify_collection(text, RING, now=NOW).not_after == NOW     # valid through its last second
    error = refused(text, now=NOW + 1)
    assert error.reason == codes.EXPIRED and "terminal central collection-code" in str(error)


def test_a_box_with_no_trusted_time_refuses_collection_codes_as_expired():
    # A Pi without an RTC may think it is any day: no trusted time is no valid collection code.
    error = refused(codes.sign_collection(CENTRAL, "DBX-SHA-0001", NOW + 60), now=None)
    assert error.reason == codes.EXPIRED and "clock" in str(error)


def test_a_collection_code_for_another_box():
    error = refused(codes.sign_collection(CENTRAL, "DBX-SHA-0001", NOW + 60), now=NOW, box_id="DBX-SHA-0002")
    assert error.reason == codes.WRONG_BOX and "DBX-SHA-0001" in str(error)


@pytest.mark.parametrize("box_id", ["dbx.sha.0001", "box_7", "DBX-" + "9" * 60])
def test_a_device_id_outside_the_qr_set_is_named_by_its_hash(box_id):
    text = codes.sign_collection(CENTRAL, box_id, NOW + 60)
    assert segno.make(text, error="m", micro=False).mode == "alphanumeric"
    assert codes.verify_collection(text, RING, now=NOW, box_id=box_id).box_id == codes.box_field(box_id)
    error = refused(text, now=NOW, box_id="dbx.sha.0002")
    assert error.reason == codes.WRONG_BOX and "another box" in str(error)


def test_a_code_of_the_other_kind():
    with pytest.raises(CodeRefused) as info:
        codes.verify_form(codes.sign_collection(CENTRAL, "*", NOW + 60), RING)
    assert info.value.reason == codes.WRONG_KIND
    with pytest.raises(CodeRefused) as info:
        codes.verify_collection(form(), RING, now=NOW)
    assert info.value.reason == codes.WRONG_KIND


def test_refusals_never_repeat_the_employee_number():
    text = form(employee="E7654321")
    fields = text.split(".")
    fields[3] = "1"
    for payload in (".".join(fields), text.replace("RF1", "RF9"), text + "X", text):
        for keys in (RING, []):
            try:
                codes.verify(payload, keys)
            except CodeRefused as exc:
                assert "E7654321" not in str(exc)


# -- signing refuses fields that cannot go into a code ---------------------------------------------
@pytest.mark.parametrize("kw", [
    {"claim": "clm-1"}, {"claim": ""}, {"claim": "C" * 25}, {"claim": "CLM 1"}, {"claim": "CLM.1"},
    {"claim": "ＣＬＭ-1"}, {"employee": "E" * 17}, {"employee": "e1001"}, {"amount": 0}, {"amount": -1},
    {"amount": 10 ** 10}, {"amount": True}, {"amount": 12.5}, {"amount": "12850"}, {"issued": "2026-11-30"},
])
def test_signing_refuses_a_field_out_of_shape(kw):
    with pytest.raises(CodeError):
        form(**kw)


@pytest.mark.parametrize("box, not_after, nonce", [
    ("DBX 1", NOW, None), ("", NOW, None), ("ＤＢＸ-1", NOW, None), ("-DBX", NOW, None), ("D" * 65, NOW, None),
    ("DBX-1", 0, None), ("DBX-1", -1, None), ("DBX-1", 1.5, None),
    ("DBX-1", True, None), ("DBX-1", NOW, "short"), ("DBX-1", NOW, "abcdefghij"),
])
def test_signing_a_collection_code_refuses_a_field_out_of_shape(box, not_after, nonce):
    with pytest.raises(CodeError):
        codes.sign_collection(CENTRAL, box, not_after, nonce=nonce)


def test_signing_with_a_key_that_is_not_one():
    with pytest.raises(CodeError, match="32 raw bytes"):
        codes.sign_form(b"short", "CLM-1", "E1", 1, DAY)


# -- the QR size bound -------------------------------------------------------------------------------
def longest(key=CENTRAL) -> list[str]:
    return [codes.sign_form(key, "C" * 24, "E" * 16, codes.MAX_AMOUNT_CENTS, datetime.date(2099, 12, 31)),
            codes.sign_collection(key, "B" * 24, 10 ** 12 - 1)]


@pytest.mark.parametrize("which", [0, 1])
def test_the_longest_legal_code_fits_qr_version_8_at_level_m(which):
    qr = segno.make(longest()[which], error="m", micro=False)
    assert qr.version <= 8 and qr.mode == "alphanumeric" and qr.error == "M"


def test_a_typical_form_code_is_version_7():
    assert segno.make(form(), error="m", micro=False).version == 7


def test_codes_are_ascii_in_the_qr_alphanumeric_set():
    alphabet = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    for text in [form(), *longest(), codes.sign_collection(CENTRAL, "*", NOW)]:
        assert set(text) <= alphabet


ids = st.from_regex(codes.ID_RE, fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(claim=ids, employee=st.from_regex(codes.EMPLOYEE_RE, fullmatch=True),
       amount=st.integers(1, codes.MAX_AMOUNT_CENTS), issued=st.dates())
@example(claim="C" * 24, employee="E" * 16, amount=codes.MAX_AMOUNT_CENTS, issued=datetime.date(9999, 12, 31))
@example(claim="0", employee="0", amount=1, issued=datetime.date(1, 1, 1))
def test_any_legal_form_round_trips_and_fits_version_8(claim, employee, amount, issued):
    text = codes.sign_form(CENTRAL, claim, employee, amount, issued)
    got = codes.verify_form(text, RING)
    assert (got.claim_id, got.employee_no, got.amount_cents, got.issued) == (claim, employee, amount, issued)
    assert segno.make(text, error="m", micro=False).version <= 8


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-.*"))
@example(0, "X")
def test_no_one_character_change_of_a_genuine_code_is_accepted(position, char):
    text = form()
    position %= len(text)
    changed = text[:position] + char + text[position + 1:]
    if changed == text:
        return
    with pytest.raises(CodeRefused):
        codes.verify(changed, RING, now=NOW)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=250) | st.from_regex(r"R[FC]1(\.[A-Z0-9-]{0,12}){5,8}", fullmatch=True))
@example("RF1........")
@example("RC1.*.AAAAAAAAAA.1.AAAAAAAA.AAAA." + "A" * 103)
def test_any_text_is_refused_with_a_reason_never_a_crash(text):
    with pytest.raises(CodeRefused) as info:
        codes.verify(text, RING, now=NOW)
    assert info.value.reason in codes.REASONS
