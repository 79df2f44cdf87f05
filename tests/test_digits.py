"""Digits that are not ASCII (issue 8, part 5): a number is valid only in the digits 0-9.

``str.isdigit()``, ``int()``, ``float()`` and a ``str`` regex's ``\\d`` also take
superscripts (², which int() then cannot read), full-width digits (１２３, which
int() reads as 123) and Arabic-Indic digits (١٢٣, likewise).  Each place below
that reads a number from a card, a person, a file or the command line gets all
three: the answer is "invalid, and why", never a crash and never "valid".
"""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from drivers.camera.config import CameraConfig, backend_for_device, parse_resolution
from drivers.camera.opencv import device_path
from drivers.errors import ConfigurationError
from drivers.idcard import CardDataError
from drivers.idcard.cli import parse_fault
from drivers.idcard.idnumber import NOT_ASCII, check_digit, check_id_number
from drivers.idcard.layouts import decode_text, encode_text
from drivers.printer.ipp import printer_uri
from drivers.printer.sim import _job_number
from terminal import TerminalError
from terminal.cliopts import number as ascii_float, whole as ascii_int
from terminal.config import ConfigError
from terminal.config_init import render_config
from terminal.pii import mask_field, mask_phone, mask_text
from terminal.schema import TERMINAL, parse_config
from terminal.settings_model import Section, Setting

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def variants(number: str) -> dict[str, str]:
    """The ASCII ``number`` with one digit made '²', and wholly full-width and Arabic-Indic."""
    i = next(i for i, ch in enumerate(number) if ch.isdigit() and ch != "2")
    return {"superscript": number[:i] + "²" + number[i + 1:], "fullwidth": number.translate(FULLWIDTH),
            "arabic-indic": number.translate(ARABIC_INDIC)}


def other_digits(number: str):
    return pytest.mark.parametrize("kind, text", list(variants(number).items()), ids=list(variants(number)))


def test_the_three_kinds_fool_isdigit_but_not_ascii():
    for text in variants("123").values():
        assert text.isdigit() and not re.fullmatch(r"[0-9]+", text)


# -- ID numbers, every card kind ------------------------------------------------------------------

VALID = [("11010519491231002X", "resident"), ("810000199001010019", "hk_mo_tw_permit"),
         ("931840198503150028", "foreigner_2023"), ("USA318001010015", "foreigner_2017")]


@pytest.mark.parametrize("number, card_type", VALID, ids=[c for _, c in VALID])
def test_id_numbers_in_other_digits_are_invalid_with_a_reason(number, card_type):
    assert check_id_number(number, card_type=card_type).valid
    for kind, text in variants(number).items():
        verdict = check_id_number(text, card_type=card_type)
        assert (verdict.valid, verdict.problem) == (False, NOT_ASCII), kind
        assert verdict.birth_date is None and verdict.male is None


def test_the_field_case_superscript_two_in_a_resident_number():
    # It crashed check_digit with "invalid literal for int()".
    verdict = check_id_number("1101051949123100²X")
    assert not verdict.valid and "ASCII digits" in verdict.problem


def test_other_digits_do_not_pass_as_a_2023_foreigner_number_by_their_leading_9():
    verdict = check_id_number("９31840198503150028")
    assert not verdict.valid and verdict.problem == NOT_ASCII


def test_letters_that_upper_case_into_ascii_are_not_letters_of_a_2017_number():
    # 'ſ'.upper() == 'S' and 'ı'.upper() == 'I': the number must be ASCII before it is upper-cased.
    assert check_id_number("usa318001010015", card_type="foreigner_2017").valid
    for text in ("uſa318001010015", "USA318001010015".replace("S", "ſ"), "ıTA318001010015"):
        assert check_id_number(text, card_type="foreigner_2017").problem == NOT_ASCII


def test_a_2017_number_with_a_trailing_newline_inside_is_not_valid():
    # The old pattern ended in $, which matches before a final newline; the field keeps inner characters.
    assert not check_id_number("USA318001010015\nX", card_type="foreigner_2017").valid


def test_check_digit_refuses_anything_but_17_ascii_digits():
    assert check_digit("11010519491231002") == "X"
    for text in variants("11010519491231002").values():
        with pytest.raises(ValueError, match="17 ASCII digits"):
            check_digit(text)


CARD = dict(name="测试", gender="1", nation="01", birth="19900101", valid_from="20100101", valid_to="20200101")


@other_digits("110105199001010010")
def test_a_card_whose_number_field_holds_other_digits_reads_as_invalid(kind, text):
    card = decode_text(encode_text("resident", id_number=text, **CARD))
    assert not card.id_number_valid and card.id_number_problem == NOT_ASCII


@other_digits("19900101")
def test_card_dates_in_other_digits_are_card_data_errors(kind, text):
    with pytest.raises(CardDataError, match="birth is not a date"):
        decode_text(encode_text("resident", id_number="x", **{**CARD, "birth": text}))


@other_digits("10")
def test_a_permit_issue_count_in_other_digits_is_a_card_data_error(kind, text):
    block = encode_text("hk_mo_tw_permit", name="测试", gender="1", birth="19900101", id_number="x",
                        valid_from="20100101", valid_to="20200101", issue_count=text)
    with pytest.raises(CardDataError, match="issue_count is not a number"):
        decode_text(block)


@other_digits("1")
def test_gender_and_nation_codes_in_other_digits_are_card_data_errors(kind, text):
    with pytest.raises(CardDataError, match="gender"):
        decode_text(encode_text("resident", id_number="x", **{**CARD, "gender": text}))
    with pytest.raises(CardDataError, match="nation"):
        decode_text(encode_text("resident", id_number="x", **{**CARD, "nation": "0" + text}))


ID_CHARS = "0123456789X" + "²³¹" + "０１２３４５６７８９Ｘ" + "٠١٢٣٤٥٦٧٨٩" + "ſıUSA"


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ID_CHARS, min_size=14, max_size=19),
       st.sampled_from(["resident", "hk_mo_tw_permit", "foreigner_2017", "foreigner_2023"]))
@example("1101051949123100²X", "resident")
@example("81000019900101001²", "hk_mo_tw_permit")
@example("9318401985031500²8", "foreigner_2023")
@example("USA31800101001²", "foreigner_2017")
def test_fuzz_an_id_number_is_valid_only_in_ascii(text, card_type):
    verdict = check_id_number(text, card_type=card_type)   # never raises
    if verdict.valid:
        assert text.isascii()
    else:
        assert verdict.problem


# -- ID-card simulator faults (terminal sim idcard --fault) -----------------------------------------

@pytest.mark.parametrize("spec", ["status=²", "status=６５", "status=٦٥", "truncatedx²", "truncatedx１",
                                  "truncatedx١", "status=65\nx"])
def test_fault_numbers_in_other_digits_are_refused_by_name(spec):
    with pytest.raises(TerminalError, match="expected KIND") as info:
        parse_fault(spec)
    assert info.value.exit_code == 2


def test_a_decimal_sw3_with_a_leading_zero_is_read_as_decimal():
    # int(x, 0) refused "065" with a ValueError (a crash); 0x.. stays hexadecimal.
    assert parse_fault("status=065")["sw3"] == 65 and parse_fault("status=0x41")["sw3"] == 0x41


# -- command-line numbers --------------------------------------------------------------------------

@other_digits("12")
def test_cli_number_types_take_only_ascii(kind, text):
    import argparse

    assert ascii_float("2.5") == 2.5 and ascii_int(" 42 ") == 42 and ascii_int("-3") == -3
    for parse in (ascii_float, ascii_int):
        with pytest.raises(argparse.ArgumentTypeError, match="digits 0-9"):
            parse(text)


@pytest.mark.parametrize("argv", [
    ("hw", "idcard", "--port", "/dev/null", "--timeout", "１２"),
    ("sim", "idcard", "--port", "/tmp/x", "--latency", "²"),
    ("hw", "gpio", "--sim", "--seconds", "٢"),
    ("hw", "print", "x.pdf", "--printer", "q", "--timeout", "１２０"),
    ("sim", "printer", "--port", "１８６３１"),
    ("hw", "camera", "--sim-source", "/tmp/x", "--fps", "１５"),
    ("sim", "camera", "--folder", "/tmp/x", "--frames", "٨"),
])
def test_cli_numbers_in_other_digits_exit_2_with_the_reason(run_cli, capsys, argv):
    with pytest.raises(SystemExit) as info:
        run_cli(*argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "digits 0-9" in err and "Traceback" not in err


@other_digits("17")
def test_gpio_pin_override_in_other_digits_exits_2(run_cli, monkeypatch, kind, text):
    monkeypatch.delenv("TERMINAL_CONFIG", raising=False)
    code, _, err = run_cli("hw", "gpio", "--sim", "--pin", f"lock={text}")
    assert code == 2 and "digits 0-9" in err and "Traceback" not in err and "internal error" not in err


# -- camera ------------------------------------------------------------------------------------------

@other_digits("640x480")
def test_camera_resolution_in_other_digits_is_refused(kind, text):
    with pytest.raises(ConfigurationError, match="digits 0-9"):
        parse_resolution(text)
    with pytest.raises(ConfigurationError, match="resolution"):
        CameraConfig(backend="sim", device="/srv/frames", resolution=text)
    with pytest.raises(ConfigurationError, match="resolution"):
        CameraConfig(backend="sim", device="/srv/frames", resolution=tuple(text.split("x")))


@other_digits("10")
def test_csi_and_video_device_numbers_in_other_digits(kind, text):
    with pytest.raises(ConfigurationError, match="digits 0-9"):
        backend_for_device(f"csi:{text}")
    assert device_path(text) != device_path("10") and str(device_path(text)) == text  # a path, never /dev/video10


def _set(text: str, section: str, **values: str) -> str:
    """The config text with ``key = value`` lines of ``[section]`` replaced (values as TOML)."""
    start = text.index(f"[{section}]\n")
    end = text.find("\n[", start + 1) % (len(text) + 1)
    body = text[start:end]
    for key, value in values.items():
        body, n = re.subn(rf"(?m)^{key} = .*$", lambda _: f"{key} = {value}", body, count=1)
        assert n == 1, (section, key)
    return text[:start] + body + text[end:]


@other_digits("640x480")
def test_config_file_camera_resolution_in_other_digits(sim_config, kind, text):
    with pytest.raises(ConfigError, match="camera.resolution"):
        parse_config(_set(sim_config("dropbox").read_text(), "camera", resolution=f'"{text}"'))


@other_digits("0")
def test_config_file_csi_number_in_other_digits(sim_config, kind, text):
    cfg = _set(sim_config("dropbox").read_text(), "camera", backend='"real"', device=f'"csi:{text}"')
    with pytest.raises(ConfigError, match="camera.device: .*digits 0-9"):
        parse_config(cfg)


# -- printers -----------------------------------------------------------------------------------------

@other_digits("18631")
def test_ipp_ports_in_other_digits_are_refused(kind, text):
    with pytest.raises(ConfigurationError, match="port is not a number"):
        printer_uri(f"ipp://127.0.0.1:{text}/ipp/print")
    with pytest.raises(ConfigurationError, match="CUPS server"):
        printer_uri("certificates", cups_server=f"localhost:{text}")
    assert printer_uri("certificates", cups_server="[::1]:631") == "ipp://[::1]:631/printers/certificates"


@other_digits("18631")
def test_config_file_printer_ports_in_other_digits(sim_config, kind, text):
    with pytest.raises(ConfigError, match="printer.uri: .*port is not a number"):
        parse_config(_set(sim_config("kiosk").read_text(), "printer", uri=f'"ipp://127.0.0.1:{text}/ipp/print"'))
    with pytest.raises(ConfigError, match="printer.cups_server"):
        parse_config(_set(sim_config("kiosk").read_text(), "printer", cups_server=f'"localhost:{text}"'))


@pytest.mark.parametrize("uri", ["tcp://127.0.0.1:１９１００", "serial:///dev/ttyUSB0?baud=²",
                                 "serial:///dev/ttyUSB0?baud=١٩٢٠٠", "usb://０４b8:0202"])
def test_config_file_receipt_uri_numbers_in_other_digits(sim_config, uri):
    text = _set(sim_config("kiosk").read_text(), "receipt", backend='"real"', uri=f'"{uri}"')
    with pytest.raises(ConfigError, match="receipt.uri: must be written in ASCII"):
        parse_config(text)


def test_kept_ipp_jobs_sort_by_an_ascii_job_number_only(tmp_path):
    from pathlib import Path

    assert [_job_number(Path(n)) for n in ("12-cert.pdf", "²-x.pdf", "１２-x.pdf", "x.pdf")] == [12, 0, 0, 0]


# -- the configuration file ----------------------------------------------------------------------------

def _patterns(section: Section, prefix=()):
    for key, spec in section.settings.items():
        if isinstance(spec, Section):
            yield from _patterns(spec, prefix + (key,))
        elif isinstance(spec, Setting) and spec.pattern:
            yield ".".join(prefix + (key,)), spec


def test_no_pattern_in_the_schema_uses_unicode_digits():
    found = dict(_patterns(TERMINAL))
    assert "camera.resolution" in found and "device_id" in found
    for dotted, spec in found.items():
        assert "\\d" not in spec.pattern, f"{dotted}: use [0-9], \\d also matches '１' and '١'"
        sample = spec.example if isinstance(spec.example, str) else spec.default
        if any(ch.isdigit() for ch in str(sample)) and "\\S" not in spec.pattern:
            for text in variants(sample).values():
                assert not re.fullmatch(spec.pattern, text), (dotted, text)


@other_digits("0001")
def test_config_device_id_in_other_digits_is_refused(kind, text):
    cfg = render_config("kiosk", state_dir="/tmp/s", device_id="KSK-0001", site="x", sim=True)
    with pytest.raises(ConfigError, match="device_id: .* does not match"):
        parse_config(cfg.replace('device_id = "KSK-0001"', f'device_id = "KSK-{text}"'))


@other_digits("5000")
def test_a_toml_number_in_other_digits_says_numbers_are_0_9(sim_config, kind, text):
    cfg = _set(sim_config("kiosk").read_text(), "store", busy_timeout_s=text)
    with pytest.raises(ConfigError) as info:
        parse_config(cfg, path="k.toml")
    (problem,) = info.value.problems
    assert "malformed TOML" in problem and "numbers are written with the digits 0-9" in problem


# -- masking in logs: more is safe, less is a leak ---------------------------------------------------

@pytest.mark.parametrize("number, masked", [("11010519491231002X", "1101**********002X"),
                                            ("110105491231002", "1101*******1002")])
def test_id_numbers_in_other_digits_are_masked_in_free_text(number, masked):
    for table in (FULLWIDTH, ARABIC_INDIC):
        assert mask_text(f"card {number.translate(table)} read") == f"card {masked.translate(table)} read"
    # ASCII digits typed with a full-width X (an IME does that) leaked completely before.
    assert mask_text("card 11010519491231002Ｘ") == "card 1101**********002Ｘ"


@pytest.mark.parametrize("phone", ["13812345678", "+86 138 1234 5678", "008613812345678", "138-1234-5678"])
def test_phones_in_other_digits_are_masked_in_free_text_and_by_key(phone):
    for table in (FULLWIDTH, ARABIC_INDIC):
        typed = phone.translate(table).replace("+", "＋")
        # As much is masked as for ASCII digits (0086... is 15 digits: masked as an old ID number).
        assert mask_text(f"to {typed} now") == mask_text(f"to {phone} now").translate(table)
        assert mask_phone(typed) == mask_field("phone", typed) == "138****5678"
        assert mask_field("note", f"call {typed}") == mask_field("note", f"call {phone}").translate(table)
