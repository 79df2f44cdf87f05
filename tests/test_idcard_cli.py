"""``terminal hw idcard``, ``terminal sim idcard`` and the selftest, against the simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from drivers.errors import DeviceBusy
from drivers.idcard import JSON_KEYS, IdCardReader, IdCardSimulator, NoCard, sample_card
from drivers.idcard.cli import parse_fault
from terminal.schema import load_config
from tests.helpers.processes import free_ports, terminal_cmd


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_hw_idcard_prints_a_masked_card_without_any_config(idcard_sim, run_cli, monkeypatch):
    monkeypatch.setenv("TERMINAL_CONFIG", "/nonexistent/terminal.toml")
    idcard_sim.place(sample_card("resident"))
    code, out, err = run_cli("hw", "idcard", "--port", idcard_sim.port, "--timeout", "2")
    assert code == 0, err
    assert "1101**********002X" in out and "测**" in out and "德昂" in out
    assert "long-term (长期)" in out
    assert "11010519491231002X" not in out and "测试甲" not in out


@pytest.mark.parametrize("sample", ["resident", "permit", "foreigner2017", "foreigner2023"])
def test_hw_idcard_json_has_exactly_the_issue_keys(idcard_sim, run_cli, sample):
    idcard_sim.place(sample_card(sample))
    code, out, err = run_cli("hw", "idcard", "--port", idcard_sim.port, "--timeout", "2", "--json")
    assert code == 0, err
    card = json.loads(out)
    assert tuple(card) == JSON_KEYS
    assert card["id_number_valid"] is True and card["photo_available"] is False
    assert "*" in card["id_number"]


def test_hw_idcard_show_pii(idcard_sim, run_cli):
    idcard_sim.place(sample_card("foreigner2023"))
    code, out, _ = run_cli("hw", "idcard", "--port", idcard_sim.port, "--json", "--show-pii")
    card = json.loads(out)
    assert code == 0 and card["id_number"] == "931840198503150028"
    assert card["name_en"] == "MONTGOMERY, ALEXANDRA CATHERINE JANE DOE"
    assert card["valid_to"] == "2033-06-01" and card["birth_date"] == "1985-03-15"


@pytest.mark.parametrize("fault, words", [
    (None, "no card was placed on the reader within 1 s"),
    ("bad-checksum", "checksum"),
    ("unknown-card", "unknown card type"),
    ("silent", "reader silent"),
    ("truncated", "reply ended after"),
])
def test_hw_idcard_failures_are_one_line_and_exit_1(idcard_sim, run_cli, fault, words):
    if fault:
        idcard_sim.place(sample_card("resident"))
        idcard_sim.inject(fault)
    code, out, err = run_cli("hw", "idcard", "--port", idcard_sim.port, "--timeout", "1")
    assert code == 1 and out == ""
    line = one_error_line(err)
    assert line.startswith("terminal hw: idcard: ") and words in line


def test_hw_idcard_on_a_missing_port(tmp_path, run_cli):
    code, _, err = run_cli("hw", "idcard", "--port", str(tmp_path / "ttyUSB9"), "--timeout", "0.5")
    assert code == 1 and "cannot open" in one_error_line(err)


def test_hw_idcard_reads_the_port_from_the_config(sim_config, run_cli):
    path = sim_config("kiosk")
    port = load_config(path).idcard.port
    assert port.endswith("/sim/idcard.pty")
    with IdCardSimulator(port) as sim:
        sim.place(sample_card("permit"))
        code, out, err = run_cli("hw", "idcard", "--config", str(path), "--timeout", "2", "--json")
    assert code == 0, err
    assert json.loads(out)["card_type"] == "hk_mo_tw_permit"


def test_hw_idcard_without_port_or_config_says_so(run_cli, monkeypatch, tmp_path):
    monkeypatch.setenv("TERMINAL_CONFIG", str(tmp_path / "none.toml"))
    code, _, err = run_cli("hw", "idcard")
    assert code == 2 and "configuration file not found" in err


def test_selftest_passes_with_the_reader_and_fails_without(sim_config, run_cli):
    path = sim_config("kiosk")
    port = load_config(path).idcard.port
    with IdCardSimulator(port):
        code, out, err = run_cli("selftest", "--config", str(path), "--json")
    rows = {r["device"]: r for r in json.loads(out)}
    assert rows["idcard"]["ok"] and rows["idcard"]["summary"].startswith("SAM 05.01-")
    code, out, err = run_cli("selftest", "--config", str(path))
    assert code == 1
    row = next(line for line in out.splitlines() if line.startswith("idcard"))
    assert "FAIL" in row and "cannot open" in row


def test_selftest_reports_a_missing_photo_decoder(sim_config, run_cli, tmp_path):
    path = sim_config("kiosk")
    path.write_text(path.read_text().replace('photo_decoder = ""', f'photo_decoder = "{tmp_path}/wlt2bmp"'))
    with IdCardSimulator(load_config(path).idcard.port):
        code, out, _ = run_cli("selftest", "--config", str(path), "--json")
    rows = {r["device"]: r for r in json.loads(out)}
    assert code == 1 and rows["idcard"]["ok"] and not rows["idcard.photo_decoder"]["ok"]


def test_config_rejects_a_relative_photo_decoder(sim_config, run_cli):
    path = sim_config("kiosk")
    path.write_text(path.read_text().replace('photo_decoder = ""', 'photo_decoder = "wlt2bmp --fast"'))
    code, _, err = run_cli("config", "check", "--config", str(path))
    assert code == 2 and "idcard.photo_decoder" in err and "absolute path" in err


def test_config_rejects_a_photo_decoder_with_unbalanced_quotes(sim_config, run_cli):
    path = sim_config("kiosk")
    path.write_text(path.read_text().replace('photo_decoder = ""', """photo_decoder = "/opt/wlt/wlt2bmp '--fast" """))
    code, _, err = run_cli("config", "check", "--config", str(path))
    assert code == 2 and "idcard.photo_decoder" in err and "quot" in err


def test_hw_idcard_photo_decoder_with_unbalanced_quotes_is_a_one_line_usage_error(idcard_sim, run_cli):
    code, out, err = run_cli("hw", "idcard", "--port", idcard_sim.port, "--timeout", "1", "--photo-decoder", "/bin/cat 'x")
    assert code == 2 and not out and err.count("\n") == 1 and "photo_decoder" in err and "internal" not in err


def test_parse_fault():
    assert parse_fault("bad-checksum") == {"kind": "bad-checksum"}
    assert parse_fault("status=0x60@sam_statusx2") == {"kind": "status", "command": "sam_status", "sw3": 0x60,
                                                       "times": 2}
    for bad in ("meltdown", "status", "silent@print", "status=999"):
        with pytest.raises(Exception) as info:
            parse_fault(bad)
        assert getattr(info.value, "exit_code", None) == 2


def test_sim_cli_runs_until_sigterm_and_is_scripted_by_signals(tmp_path):
    link = tmp_path / "sim" / "idcard.pty"
    proc = subprocess.Popen(terminal_cmd("sim", "idcard", "--port", str(link), "--card", "foreigner2017"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not link.is_symlink():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        with IdCardReader(str(link), timeout_s=1.0) as reader:
            assert reader.read_card().card_type == "foreigner_2017"
            proc.send_signal(signal.SIGUSR1)  # lift the card
            with pytest.raises(NoCard):
                reader.wait_for_card(3.0)
            proc.send_signal(signal.SIGUSR1)  # and put it back
            assert reader.wait_for_card(3.0).card_type == "foreigner_2017"
            proc.send_signal(signal.SIGUSR1)  # lift it
            with pytest.raises(NoCard):
                reader.wait_for_card(1.0)
            proc.send_signal(signal.SIGUSR2)  # the next sample card (after foreigner2017)
            assert reader.wait_for_card(3.0).card_type == "foreigner_2023"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    events = [json.loads(line)["event"] for line in out.splitlines()]
    assert events[0] == "idcard_sim.plugged" and events[-1] == "idcard_sim.stopped"
    assert not os.path.lexists(link)


def test_sim_cli_rejects_a_bad_fault(run_cli, tmp_path):
    code, _, err = run_cli("sim", "idcard", "--port", str(tmp_path / "x"), "--fault", "meltdown")
    assert code == 2 and "meltdown" in err


def test_demo_runs_the_idcard_simulator_on_the_kiosks_configured_port(tmp_path):
    root = tmp_path / "demo"
    ports = [str(p) for pair in zip(("--central-port", "--receipt-port", "--a4-port", "--cr80-port"), free_ports(4))
             for p in pair]    # never the default ports: a 'make demo' may be running on this machine
    proc = subprocess.Popen(terminal_cmd("demo", "--dir", str(root), *ports), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        link = root / "kiosk" / "state" / "sim" / "idcard.pty"
        deadline = time.monotonic() + 30
        while not link.is_symlink():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        assert load_config(root / "kiosk" / "terminal.toml").idcard.port == str(link)
        try:
            with IdCardReader(str(link), timeout_s=1.0) as reader:
                assert reader.wait_for_card(5.0).card_type == "resident"
        except DeviceBusy as busy:  # the demo's own kiosk got there first: it reads the same simulator
            assert f"terminal kiosk --config {root / 'kiosk' / 'terminal.toml'}" in str(busy)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0 and "demo stopped" in err
    assert not os.path.lexists(link)


def test_sim_refuses_to_replace_a_real_file(run_cli, tmp_path):
    device = tmp_path / "ttyUSB0"
    device.write_bytes(b"")
    code, _, err = run_cli("sim", "idcard", "--port", str(device))
    assert code == 2 and "refusing to replace" in one_error_line(err)
    assert device.is_file() and not device.is_symlink()


@pytest.mark.timeout(30)
@pytest.mark.parametrize("value", ["0"])
def test_hw_idcard_refuses_a_wait_that_is_not_a_positive_number(idcard_sim, run_cli, value):
    code, out, err = run_cli("hw", "idcard", "--port", idcard_sim.port, "--timeout", value)
    assert code == 2 and out == "" and err.count("\n") == 1 and "--timeout" in err


@pytest.mark.timeout(30)
@pytest.mark.parametrize("value", ["-1", "nan", "inf"])
def test_hw_idcard_refuses_a_wait_that_is_not_a_number_of_seconds(idcard_sim, run_cli, capsys, value):
    """terminal.cliopts.seconds refuses these as the command line is read: a usage error (exit 2)."""
    with pytest.raises(SystemExit) as info:
        run_cli("hw", "idcard", "--port", idcard_sim.port, "--timeout", value)
    out, err = capsys.readouterr()
    assert info.value.code == 2 and out == "" and "--timeout" in err and "Traceback" not in err
