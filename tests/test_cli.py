import os
import signal
import subprocess
import sys
import time

from conftest import terminal_cmd


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


def test_demo_starts_and_stops_cleanly_on_ctrl_c(tmp_path):
    proc = subprocess.Popen(terminal_cmd("demo", "--dir", str(tmp_path / "demo")),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    line = ""
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "press Ctrl-C" in line or not line:
            break
    assert "press Ctrl-C" in line
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "demo stopped" in err and "Traceback" not in err
    assert (tmp_path / "demo" / "kiosk" / "terminal.toml").exists()
    assert (tmp_path / "demo" / "dropbox" / "state" / "terminal.db").exists()
