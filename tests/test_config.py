from pathlib import Path

import pytest

from terminal.config import ConfigError, validate_config
from terminal.schema import load_config, parse_config
from terminal.config_init import render_config

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("role", ["kiosk", "dropbox"])
def test_example_configs_load_and_match_the_schema(role):
    path = REPO / "config" / f"{role}.toml"
    cfg = load_config(path)
    assert cfg.role == role
    expected = render_config(role, state_dir="/var/lib/service-terminals",
                             device_id=cfg.device_id, site=cfg.site)
    assert path.read_text() == expected, "examples are stale: run 'make examples'"


@pytest.mark.parametrize("role", ["kiosk", "dropbox"])
@pytest.mark.parametrize("sim", [True, False])
def test_config_init_renders_a_valid_config(role, sim, tmp_path):
    text = render_config(role, state_dir=str(tmp_path), device_id="T-0001", site="x", sim=sim)
    cfg = parse_config(text)
    assert cfg.role == role and cfg.device_id == "T-0001" and cfg.state_dir == str(tmp_path)
    for name, value in cfg.items():
        if hasattr(value, "get") and "backend" in value:
            assert value.backend == ("sim" if sim else "real"), name


def test_defaults_fill_absent_core_sections():
    # The drop box's own devices (camera, gpio, receipt) are required for its role; the core sections are not.
    cfg = parse_config('role = "dropbox"\ndevice_id = "DBX-1"\nsite = "s"\n'
                       '[camera]\nbackend = "sim"\nsim_source = "/srv/frames"\n[gpio]\nbackend = "sim"\n' + RECEIPT)
    assert cfg.log.level == "info"
    assert cfg.store.busy_timeout_s == 5.0
    assert "idcard" not in cfg  # an absent device is simply not configured


# Other sections a kiosk requires, appended last so that the line numbers above stay put.
RECEIPT = '\n[receipt]\nbackend = "sim"\nuri = "tcp://127.0.0.1:19100"\n'  # never dialled
KIOSK_TAIL = ('\n[sms]\nbackend = "sim"\n' + RECEIPT
              + '[printer]\nbackend = "sim"\nuri = "certificates"\n[badge_printer]\nbackend = "sim"\nuri = "badges"\n')


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text + KIOSK_TAIL, path="/etc/t.toml")
    assert info.value.exit_code == 2
    return info.value.problems


BASE = 'role = "kiosk"\ndevice_id = "KSK-1"\nsite = "s"\n'
IDCARD = '[idcard]\nbackend = "sim"\n'


def test_malformed_toml_names_file_and_line():
    (msg,) = problems('role = "kiosk"\n\n[idcard\nbackend = 1\n')
    assert msg.startswith("/etc/t.toml:3: malformed TOML")


def test_unknown_key_names_file_line_and_key():
    (msg,) = problems(BASE + IDCARD + "baud = 9600\n")
    assert msg.startswith("/etc/t.toml:6: idcard.baud: unknown key")
    assert "timeout_s" in msg  # says what is known


def test_wrong_type_named_with_line():
    (msg,) = problems(BASE + IDCARD + 'timeout_s = "fast"\n')
    assert msg == "/etc/t.toml:6: idcard.timeout_s: expected a number, got 'fast'"


def test_bool_is_not_an_integer():
    (msg,) = problems(BASE + IDCARD + "[store]\nbusy_timeout_s = true\n")
    assert "store.busy_timeout_s: expected a number, got true" in msg
    with pytest.raises(ConfigError) as info:
        parse_config(BASE + IDCARD + KIOSK_TAIL.replace('[sms]\nbackend = "sim"\n', '[sms]\nbackend = "sim"\n'
                                                        'max_parts = true\n'))
    (msg,) = info.value.problems
    assert "sms.max_parts: expected an integer, got true" in msg


def test_out_of_range_and_bad_choice():
    found = problems(BASE + '[idcard]\nbackend = "fake"\ntimeout_s = 0.01\n')
    assert any("idcard.backend: 'fake' is not one of 'real' | 'sim'" in p for p in found)
    assert any("idcard.timeout_s: 0.01 is below the minimum 0.2" in p for p in found)


def test_missing_required_key_and_role_section():
    found = problems('role = "kiosk"\nsite = "s"\n')
    assert any("device_id: missing required key" in p for p in found)
    assert any("[idcard]: missing section, required for role 'kiosk'" in p for p in found)


def test_missing_device_backend():
    found = problems(BASE + '[idcard]\nport = "/dev/ttyUSB0"\n')
    assert any(p.startswith("/etc/t.toml:4: idcard.backend: missing required key") for p in found)


def test_pattern_is_enforced():
    found = problems('role = "dropbox"\ndevice_id = "a b"\nsite = "s"\n')
    assert any("device_id: 'a b' does not match" in p for p in found)


def test_section_given_as_value():
    found = problems(BASE + 'idcard = "yes"\n')
    assert any("idcard: expected a table" in p for p in found)


def test_missing_file_says_how_to_create_one(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "none.toml")
    assert "configuration file not found" in str(info.value)
    assert "terminal config init" in str(info.value)


def test_env_var_chooses_the_file(tmp_path, monkeypatch):
    path = tmp_path / "t.toml"
    path.write_text(BASE + IDCARD + KIOSK_TAIL)
    monkeypatch.setenv("TERMINAL_CONFIG", str(path))
    assert load_config().source == path


def test_cli_config_check(run_cli, tmp_path, sim_config):
    code, out, _ = run_cli("config", "check", "--config", str(sim_config("kiosk")))
    assert code == 0 and "OK (role kiosk" in out
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE + IDCARD + "timeout_s = -1\n" + KIOSK_TAIL)
    code, out, err = run_cli("config", "check", "--config", str(bad))
    assert code == 2
    assert "INVALID (1 problem)" in err and f"{bad}:6: idcard.timeout_s" in err


def test_cli_config_error_exits_2_in_any_command(run_cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("role = \n")
    code, _, err = run_cli("store", "check", "--config", str(bad))
    assert code == 2
    assert f"{bad}:1: malformed TOML" in err
    assert "Traceback" not in err


def test_cli_config_init_prints_valid_sim_config(run_cli, tmp_path):
    code, out, _ = run_cli("config", "init", "--role", "dropbox", "--state-dir", str(tmp_path),
                           "--device-id", "DBX-9", "--sim")
    assert code == 0
    cfg = parse_config(out)
    assert cfg.device_id == "DBX-9" and cfg.role == "dropbox"
    assert out.count("\n# ") > 5  # commented


def test_section_check_reports_cross_key_problems():
    from terminal.settings_model import Section, Setting

    def no_reuse(values):
        return [("b", f"pin {values['b']} is already used by a")] if values["a"] == values["b"] else []

    schema = Section("t", {"pins": Section("p", {"a": Setting(int, "a"), "b": Setting(int, "b")},
                                           optional=False, check=no_reuse)}, optional=False)
    with pytest.raises(ConfigError) as info:
        validate_config("[pins]\na = 17\nb = 17\n", path="p.toml", schema=schema)
    assert info.value.problems == ["p.toml:3: pins.b: pin 17 is already used by a"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_non_finite_numbers_are_refused(value):
    (msg,) = problems(BASE + IDCARD + f"timeout_s = {value}\n")
    assert msg.startswith("/etc/t.toml:6: idcard.timeout_s: expected a finite number")


# --- files as people save them (issue 8, part 3) -------------------------------------------------

def _saved(tmp_path, data: bytes):
    path = tmp_path / "bad.toml"
    path.write_bytes(data)
    return path


def test_a_leading_utf8_bom_is_accepted_and_loads_identical_values(run_cli, tmp_path, sim_config):
    plain = sim_config("kiosk")
    text = plain.read_bytes()
    with_bom = _saved(tmp_path, b"\xef\xbb\xbf" + text)
    assert load_config(with_bom).to_dict() == load_config(plain).to_dict()
    code, out, err = run_cli("config", "check", "--config", str(with_bom))
    assert (code, err) == (0, "") and "OK (role kiosk" in out


def test_a_bom_in_text_handed_to_parse_config_is_dropped():
    assert parse_config("\ufeff" + BASE + IDCARD + KIOSK_TAIL).device_id == "KSK-1"


def test_crlf_line_endings_load_and_keep_line_numbers(run_cli, tmp_path, sim_config):
    plain = sim_config("kiosk")
    crlf = _saved(tmp_path, b"\xef\xbb\xbf" + plain.read_bytes().replace(b"\n", b"\r\n"))
    assert load_config(crlf).to_dict() == load_config(plain).to_dict()
    bad = _saved(tmp_path, (BASE + IDCARD + "timeout_s = -1\n" + KIOSK_TAIL).replace("\n", "\r\n").encode())
    code, _, err = run_cli("config", "check", "--config", str(bad))
    assert code == 2 and f"{bad}:6: idcard.timeout_s: -1.0 is below the minimum" in err


def test_a_latin1_byte_is_named_with_file_line_column_and_the_fix(run_cli, tmp_path):
    # 'Zürich' saved as Latin-1 (0xFC) on line 3, column 9.
    bad = _saved(tmp_path, BASE.replace('site = "s"', 'site = "Z\xfcrich"').encode("latin-1") + IDCARD.encode())
    with pytest.raises(ConfigError) as info:
        load_config(bad)
    assert info.value.exit_code == 2
    assert info.value.problems == [f"{bad}:3:10: not UTF-8 (byte 0xFC); save the file as UTF-8 "
                                   "(in Notepad: File > Save as > Encoding: UTF-8)"]
    code, _, err = run_cli("config", "check", "--config", str(bad))
    assert code == 2 and f"{bad}:3:10: not UTF-8 (byte 0xFC)" in err and "save the file as UTF-8" in err
    assert "Traceback" not in err and "position" not in err   # no bare byte offset any more


@pytest.mark.parametrize("encoding, words", [
    ("utf-16", "the file is UTF-16, not UTF-8"),          # PowerShell 5 '>' redirection
    ("utf-16-le", "NUL bytes (UTF-16 without a byte-order mark?)"),
    ("utf-32", "the file is UTF-32, not UTF-8"),
])
def test_utf16_and_utf32_files_get_a_clear_message(run_cli, tmp_path, sim_config, encoding, words):
    bad = _saved(tmp_path, sim_config("kiosk").read_text().encode(encoding))
    code, _, err = run_cli("config", "check", "--config", str(bad))
    assert code == 2 and str(bad) in err and words in err and "save the file as UTF-8" in err
    assert "Traceback" not in err
    code, _, err = run_cli("store", "check", "--config", str(bad))   # any command, same refusal
    assert code == 2 and words in err


def test_an_unreadable_config_is_named_without_a_traceback(run_cli, tmp_path):
    code, _, err = run_cli("config", "check", "--config", str(tmp_path))
    assert code == 2 and f"{tmp_path}: cannot read configuration" in err and "Traceback" not in err


# -- keys renamed so every duration ends in _s: the old name works for one release ------------

@pytest.mark.parametrize("old, new, value, expected", [
    ("[store]\nbusy_timeout_ms = 2500", "store.busy_timeout_s", 2500, 2.5),
    ("[gpio]\nbackend = \"sim\"\nbeam_bounce_ms = 20", "gpio.beam_bounce_s", 20, 0.02),
    ("[gpio]\nbackend = \"sim\"\ndoor_bounce_ms = 100", "gpio.door_bounce_s", 100, 0.1),
    ("validity_minutes = 15", "sms.validity_s", 15, 900),
])
def test_an_old_millisecond_or_minute_key_still_works_with_a_note(old, new, value, expected):
    if old.startswith("validity"):  # [sms] is in the kiosk's tail
        text = BASE + IDCARD + KIOSK_TAIL.replace('[sms]\nbackend = "sim"\n', f'[sms]\nbackend = "sim"\n{old}\n')
        old = "[sms]\n" + old
    else:
        text = BASE + IDCARD + old + "\n" + KIOSK_TAIL
    cfg = parse_config(text, path="old.toml")
    section, key = new.split(".")
    assert cfg[section][key] == expected
    (note,) = cfg.deprecations
    old_key = old.rsplit("\n", 1)[1].split(" = ")[0]
    assert note.startswith("old.toml:") and f"{section}.{old_key} is deprecated" in note
    assert f"write {key} = {expected!r}" in note


def test_old_and_new_name_together_is_a_problem():
    (msg,) = problems(BASE + IDCARD + "[store]\nbusy_timeout_ms = 2500\nbusy_timeout_s = 2.5\n")
    assert "store.busy_timeout_ms: give only store.busy_timeout_s" in msg


def test_config_check_shows_the_deprecation_note(run_cli, tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(BASE + IDCARD + "[store]\nbusy_timeout_ms = 2500\n" + KIOSK_TAIL)
    code, out, err = run_cli("config", "check", "--config", str(path))
    assert code == 0 and "OK" in out
    assert "store.busy_timeout_ms is deprecated" in err and "write busy_timeout_s = 2.5" in err
