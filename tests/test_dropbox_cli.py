"""``terminal dropbox``: refusals before anything starts, SIGTERM relocks and exits 0, one agent per store."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest

from drivers.camera.scene import write_scene
from tests.helpers.processes import terminal_cmd
from tests.helpers.sync_helpers import REPO
from tests.test_dropbox_kill import wait_for_line


def test_help_ends_with_an_example(run_cli, capsys):
    with pytest.raises(SystemExit) as exit:
        run_cli("dropbox", "--help")
    assert exit.value.code == 0
    assert capsys.readouterr().out.rstrip().endswith("example:\n  terminal dropbox --config "
                                                     "/etc/service-terminals/terminal.toml")


def test_a_kiosk_config_is_refused_with_the_role_named(run_cli, sim_config):
    code, out, err = run_cli("dropbox", "--config", str(sim_config("kiosk")))
    assert code == 2 and "role is 'kiosk'" in err and "Traceback" not in err


def test_a_bad_hold_state_is_a_usage_error(run_cli, sim_config, monkeypatch):
    monkeypatch.setenv("TERMINAL_DROPBOX_HOLD_AT", "asleep")
    code, _, err = run_cli("dropbox", "--config", str(sim_config("dropbox")))
    assert code == 2 and "'asleep' is not a state" in err


@pytest.fixture
def dropbox_config(tmp_path, sim_config, receipt_sim):
    config = sim_config("dropbox")
    config.write_text(re.sub(r'uri = "tcp://127\.0\.0\.1:\d+"', f'uri = "{receipt_sim.uri}"', config.read_text()))
    write_scene(tmp_path / "dropbox-state" / "sim" / "camera", frames=2)
    return config


def test_sigterm_relocks_and_exits_0_and_a_second_agent_is_refused(tmp_path, dropbox_config):
    log = tmp_path / "agent.log"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    with open(log, "w") as out:
        proc = subprocess.Popen(terminal_cmd("dropbox", "--config", str(dropbox_config)), cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_line(log, r'"event": "dropbox.booted"', proc)
        second = subprocess.run(terminal_cmd("dropbox", "--config", str(dropbox_config), "--timeout", "1"),
                                cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 1 and "another drop-box agent is running" in second.stderr
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert re.search(r'"event": "dropbox.stopped".*"lock": "locked"', log.read_text())
