"""terminal hw sms / hw modem / sim modem / selftest, with and without a config file."""

import json
import signal
import subprocess
import time

import pytest
from tests.helpers.processes import terminal_cmd

from drivers.sms.sim import PROMPTS, ModemSimulator
from terminal.schema import load_config

PHONE = "+8613800138000"


def test_hw_sms_with_port_needs_no_config(run_cli, modem_sim, monkeypatch):
    monkeypatch.setenv("TERMINAL_CONFIG", "/nonexistent/terminal.toml")
    code, out, err = run_cli("hw", "sms", "--port", modem_sim.port, "--to", PHONE, "--text", "验" * 100,
                             "--key", "cli-1")
    assert code == 0, err
    assert out.startswith("sent: 2 parts to 138****8000 via modem") and "key cli-1" in out
    assert "13800138000" not in out + err
    assert [m.text for m in modem_sim.messages] == ["验" * 100]


def test_hw_sms_json(run_cli, modem_sim):
    code, out, _ = run_cli("hw", "sms", "--port", modem_sim.port, "--to", PHONE, "--text", "hi", "--json")
    result = json.loads(out)
    assert code == 0 and result["parts"] == 1 and result["to"] == "138****8000"


@pytest.mark.parametrize("fault, words", [
    ("no-sim", "SIM not inserted"),
    ("no-signal", "not registered on a network (searching)"),
    ("cms-error", "+CMS ERROR: 500 (unknown error)"),
])
def test_hw_sms_failure_is_one_line_and_exit_1(run_cli, modem_sim, fault, words):
    modem_sim.set_fault(fault)
    code, out, err = run_cli("hw", "sms", "--port", modem_sim.port, "--to", PHONE, "--text", "hi")
    assert code == 1 and not out
    assert err.count("\n") == 1 and err.startswith("terminal hw: sms: ") and words in err
    assert "Traceback" not in err and "13800138000" not in err


def test_hw_sms_hang_is_a_timeout(run_cli, modem_sim):
    modem_sim.set_fault("hang")
    code, _, err = run_cli("hw", "sms", "--port", modem_sim.port, "--timeout", "0.3", "--to", PHONE, "--text", "hi")
    assert code == 1 and "not answering" in err and err.count("\n") == 1


def test_hw_sms_bad_number_is_refused_before_the_port(run_cli, tmp_path):
    code, _, err = run_cli("hw", "sms", "--port", str(tmp_path / "none"), "--to", "12ab", "--text", "hi")
    assert code == 1 and "is not a phone number" in err


def test_hw_sms_and_modem_from_the_config(run_cli, sim_config):
    path = sim_config("kiosk")
    cfg = load_config(path)
    with ModemSimulator(cfg.sms.port) as sim:
        code, out, err = run_cli("hw", "sms", "--config", str(path), "--to", PHONE, "--text", "hello")
        assert code == 0, err
        assert [m.text for m in sim.messages] == ["hello"]
        code, out, _ = run_cli("hw", "modem", "--config", str(path))
        assert code == 0 and out.startswith("PASS  ready: SIM ready, home network")
        sim.set_fault("no-sim")
        code, out, _ = run_cli("hw", "modem", "--config", str(path), "--json")
        assert code == 1 and json.loads(out)["ok"] is False


def test_selftest_row(run_cli, sim_config):
    path = sim_config("kiosk")
    cfg = load_config(path)
    code, out, _ = run_cli("selftest", "--config", str(path))
    assert "sms" in out and "FAIL" in out.split("sms", 1)[1].splitlines()[0]
    assert "cannot open modem port" in out and "terminal sim modem --port" in out
    with ModemSimulator(cfg.sms.port):
        code, out, _ = run_cli("selftest", "--config", str(path), "--json")
    (row,) = [r for r in json.loads(out) if r["device"] == "sms"]
    assert row["ok"] and row["details"]["sim"] == "READY"


def test_selftest_without_sms_section(sim_config):
    from drivers.sms.cli import selftest

    cfg = load_config(sim_config("dropbox"))
    assert selftest(cfg) == []


def test_sim_modem_runs_until_sigterm_and_records(tmp_path):
    link, record = tmp_path / "sim" / "modem.pty", tmp_path / "inbox.jsonl"
    proc = subprocess.Popen(terminal_cmd("sim", "modem", "--port", str(link), "--record", str(record),
                                         "--prompt", "crlf"),        # SIM7670G: CR LF ">" CR LF
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not link.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert link.exists()
        sent = subprocess.run(terminal_cmd("hw", "sms", "--port", str(link), "--to", PHONE, "--text", "验证码 1"),
                              capture_output=True, text=True, timeout=30)
        assert sent.returncode == 0, sent.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert not link.exists()                      # the link is removed on exit
    events = [json.loads(line) for line in out.splitlines()]
    assert events[0]["event"] == "sms.sim_ready" and events[-1]["event"] == "sms.sim_stopped"
    assert events[0]["prompt"] == "crlf"
    assert "13800138000" not in out
    (message,) = [json.loads(line) for line in record.read_text().splitlines()]
    assert (message["recipient"], message["text"]) == (PHONE, "验证码 1")


def test_sim_refuses_a_path_that_is_not_a_link(run_cli, tmp_path):
    taken = tmp_path / "file"
    taken.write_text("x")
    code, _, err = run_cli("sim", "modem", "--port", str(taken))
    assert code == 2 and "exists and is not a symlink" in err


@pytest.mark.timeout(60)
@pytest.mark.parametrize("option, value", [("--timeout", "0"), ("--send-timeout", "0")])
def test_hw_sms_refuses_a_timeout_that_is_not_a_positive_number(run_cli, modem_sim, option, value):
    modem_sim.set_fault("hang")
    code, out, err = run_cli("hw", "sms", "--port", modem_sim.port, option, value, "--to", PHONE, "--text", "hi")
    assert code == 2 and not out and err.count("\n") == 1 and option in err


@pytest.mark.timeout(60)
@pytest.mark.parametrize("option, value", [("--timeout", "nan"), ("--timeout", "-1"), ("--send-timeout", "nan")])
def test_hw_sms_refuses_a_timeout_that_is_not_seconds_as_a_usage_error(run_cli, capsys, modem_sim, option, value):
    """terminal.cliopts.seconds refuses these as the command line is read (exit 2), before any port is opened."""
    modem_sim.set_fault("hang")
    with pytest.raises(SystemExit) as info:
        run_cli("hw", "sms", "--port", modem_sim.port, option, value, "--to", PHONE, "--text", "hi")
    out, err = capsys.readouterr()
    assert info.value.code == 2 and not out and f"argument {option}: " in err and "Traceback" not in err


# -- modem dialects ------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt", PROMPTS)
def test_hw_sms_through_every_prompt_form(run_cli, prompt):
    with ModemSimulator(prompt=prompt) as sim:
        code, out, err = run_cli("hw", "sms", "--port", sim.port, "--to", PHONE, "--text", "验" * 100)
        assert code == 0, err
        assert out.startswith("sent: 2 parts to 138****8000 via modem")
        assert [m.text for m in sim.messages] == ["验" * 100]


def test_sim_modem_help_documents_every_prompt_form(run_cli, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "1000")              # one line per option: no wrapping to undo
    with pytest.raises(SystemExit) as info:
        run_cli("sim", "modem", "--help")
    out = capsys.readouterr().out
    assert info.value.code == 0
    for name in PROMPTS:
        assert f"{name} = " in out
    assert 'space = CR LF "> "' in out and 'crlf = CR LF ">" CR LF' in out and 'tight-bare = ">"' in out


def test_sim_modem_refuses_an_unknown_prompt_form(run_cli, capsys, tmp_path):
    with pytest.raises(SystemExit) as info:
        run_cli("sim", "modem", "--port", str(tmp_path / "m"), "--prompt", "nope")
    assert info.value.code == 2 and "invalid choice: 'nope'" in capsys.readouterr().err


# -- digits that are not ASCII -------------------------------------------------------------------

NOT_ASCII = ["²", "１２３", "١٢٣"]


@pytest.mark.parametrize("to", ["13800138²00", "１３８００１３８０００", "+86١٣٨٠٠١٣٨٠٠٠", "²", "１２３", "١٢٣"])
def test_hw_sms_refuses_a_number_in_other_digits_before_the_port(run_cli, tmp_path, to):
    code, out, err = run_cli("hw", "sms", "--port", str(tmp_path / "none"), "--to", to, "--text", "hi")
    assert code == 1 and not out and err.count("\n") == 1
    assert "is not a phone number" in err and "is not an ASCII digit 0-9" in err
    assert "13800138" not in err and "１３８００１３８" not in err and "١٣٨٠٠١٣٨" not in err


@pytest.mark.parametrize("digits", NOT_ASCII)
@pytest.mark.parametrize("argv", [
    ("hw", "sms", "--to", PHONE, "--text", "hi", "--port", "/dev/null", "--baudrate"),
    ("hw", "sms", "--to", PHONE, "--text", "hi", "--port", "/dev/null", "--timeout"),
    ("hw", "sms", "--to", PHONE, "--text", "hi", "--port", "/dev/null", "--send-timeout"),
    ("hw", "modem", "--port", "/dev/null", "--baudrate"),
    ("sim", "modem", "--port", "/nonexistent/m", "--signal"),
    ("sim", "modem", "--port", "/nonexistent/m", "--cms-code"),
], ids=["baudrate", "timeout", "send-timeout", "modem-baudrate", "signal", "cms-code"])
def test_numeric_options_in_other_digits_are_refused_by_name(run_cli, capsys, argv, digits):
    """int() and float() read '１２３' and '١٢٣' as 123, and '²' makes int() fail: none is a number here."""
    with pytest.raises(SystemExit) as info:
        run_cli(*argv, digits)
    err = capsys.readouterr().err
    assert info.value.code == 2 and f"argument {argv[-1]}: " in err and repr(digits) in err and "digits 0-9" in err
