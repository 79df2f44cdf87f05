import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tests.helpers.processes import free_ports, terminal_cmd


def test_help_lists_the_subcommands():
    out = subprocess.run(terminal_cmd("--help"), capture_output=True, text=True, check=True).stdout
    for command in ("config", "store", "demo", "hw", "sim", "selftest"):
        assert f"    {command}" in out


def test_console_script_is_installed():
    bindir = os.path.dirname(sys.executable)
    out = subprocess.run([os.path.join(bindir, "terminal"), "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("terminal ")


def test_internal_errors_never_show_a_traceback(run_cli, monkeypatch, sim_config):
    import sync.store_cli

    def boom(args):
        raise RuntimeError("disk on fire for 13812345678")

    monkeypatch.setattr(sync.store_cli, "_check", boom)
    code, out, err = run_cli("store", "check", "--config", str(sim_config("kiosk")))
    assert code == 1
    assert "internal error (RuntimeError" in err and "Traceback" not in err
    assert "13812345678" not in err


def test_demo_runs_the_terminal_set_end_to_end_and_stops_cleanly_on_ctrl_c(tmp_path):
    """make demo's promise: central, simulators and sync start; an event travels; Ctrl-C stops it all."""
    demo = tmp_path / "demo"
    log = open(tmp_path / "demo.log", "w")
    # Never the default ports: a 'make demo' may be running on this machine.
    ports = dict(zip(("--central-port", "--receipt-port", "--a4-port", "--cr80-port"), free_ports(4)))
    flags = [str(x) for item in ports.items() for x in item]
    proc = subprocess.Popen(terminal_cmd("demo", "--dir", str(demo), *flags), stdout=log, stderr=subprocess.PIPE,
                            text=True)
    try:
        deadline = time.monotonic() + 90
        line = ""
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if "press Ctrl-C" in line or not line:
                break
        assert "press Ctrl-C" in line
        kiosk = str(demo / "kiosk" / "terminal.toml")
        assert not (demo / "kiosk" / "enrolment-token").exists()  # spent: the kiosk enrolled
        text = (demo / "kiosk" / "terminal.toml").read_text()
        assert f'uri = "tcp://127.0.0.1:{ports["--receipt-port"]}"' in text
        assert f'uri = "ipp://127.0.0.1:{ports["--cr80-port"]}/ipp/print"' in text
        subprocess.run(terminal_cmd("sync", "emit", "--config", kiosk, "--count", "3"), check=True,
                       capture_output=True)
        seqs: list[int] = []
        deadline = time.monotonic() + 60
        while len(seqs) < 3 and time.monotonic() < deadline:
            out = subprocess.run(terminal_cmd("central", "events", "--db", str(demo / "central" / "central.db"),
                                              "--device-id", "KSK-DEMO-0001", "--json"),
                                 capture_output=True, text=True, check=True).stdout
            seqs = [json.loads(x)["seq"] for x in out.splitlines() if x.startswith("{")]
            time.sleep(0.3)
        assert seqs == [1, 2, 3]
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        log.close()
    assert proc.returncode == 0, err
    assert "demo stopped" in err and "Traceback" not in err
    assert (demo / "dropbox" / "state" / "terminal.db").exists()


@pytest.mark.parametrize("flag, words", [("--central-port", "central"), ("--receipt-port", "receipt"),
                                         ("--a4-port", "A4 printer"), ("--cr80-port", "CR80 printer")])
def test_demo_names_a_taken_port_its_holder_and_the_flag_to_choose_another(tmp_path, flag, words):
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    others = [str(x) for pair in zip([f for f in ("--central-port", "--receipt-port", "--a4-port", "--cr80-port")
                                      if f != flag], free_ports(3)) for x in pair]
    try:
        done = subprocess.run(terminal_cmd("demo", "--dir", str(tmp_path / "d"), flag, str(port), *others,
                                           "--timeout", "1"), capture_output=True, text=True, timeout=60)
    finally:
        holder.close()
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1, for the demo's {words}, is taken by pid {os.getpid()} (" in done.stderr
    assert f"choose another port: terminal demo {flag} " in done.stderr
    assert not (tmp_path / "d").exists()  # refused before anything started


@pytest.mark.parametrize("value", ["８７４０", "8740\n", "²", "0", "65536", "-1", "http"])
def test_demo_port_flags_take_only_ascii_port_numbers(value):
    done = subprocess.run(terminal_cmd("demo", "--central-port", value, "--timeout", "0"), capture_output=True,
                          text=True)
    assert done.returncode == 2 and "is not a TCP port (1-65535)" in done.stderr


def _parsers(parser: argparse.ArgumentParser, name: str = "terminal"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


OURS = ("terminal config", "terminal store", "terminal sync", "terminal selftest", "terminal demo")


def test_every_core_and_sync_command_help_ends_with_an_example():
    from terminal.cli import build_parser

    checked, missing = 0, []
    for name, parser in _parsers(build_parser()):
        if name == "terminal" or name.startswith(OURS):
            checked += 1
            if "\nexample:\n  terminal " not in parser.format_help():
                missing.append(name)
    assert checked >= 17 and missing == []


def test_demo_for_still_works_for_one_release_with_a_deprecation_warning(capsys):
    from terminal.cli import build_parser

    assert build_parser().parse_args(["demo", "--timeout", "2.5"]).timeout == 2.5
    assert capsys.readouterr().err == ""
    assert build_parser().parse_args(["demo", "--for", "2.5"]).timeout == 2.5
    assert "--for is deprecated and will be removed in the next release; use --timeout" in capsys.readouterr().err


@pytest.mark.parametrize("value", ["１", "-1", "nan", "inf", "1_0"])
def test_demo_timeout_takes_seconds_in_ascii_digits(run_cli, value):
    with pytest.raises(SystemExit) as info:
        run_cli("demo", "--timeout", value)
    assert info.value.code == 2


def test_config_check_json_gives_the_verdict_and_every_problem(run_cli, sim_config, tmp_path):
    path = sim_config("kiosk")
    code, out, _ = run_cli("config", "check", "--config", str(path), "--json")
    verdict = json.loads(out)
    assert code == 0 and verdict["ok"] is True and verdict["role"] == "kiosk" and verdict["devices"]["idcard"] == "sim"
    bad = tmp_path / "bad.toml"
    bad.write_text(path.read_text().replace('role = "kiosk"', 'role = "kiosk"\nbogus = 1'))
    code, out, _ = run_cli("config", "check", "--config", str(bad), "--json")
    verdict = json.loads(out)
    assert code == 2 and verdict["ok"] is False
    assert any("bogus: unknown key" in problem for problem in verdict["problems"])
