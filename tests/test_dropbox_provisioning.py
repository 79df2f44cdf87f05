"""A drop box whose first boot failed waits, locked, with its own LED pattern, until a seed succeeds."""

from __future__ import annotations

import os
import subprocess

from gpiozero.pins.mock import MockFactory

from drivers.gpio.signals import StatusLeds
from images.provision_state import write_status
from tests.helpers.processes import terminal_cmd
from tests.helpers.sync_helpers import REPO
from tests.test_dropbox_kill import wait_for_line


def test_the_unprovisioned_pattern_is_green_steady_with_red_blinking():
    factory = MockFactory()
    with StatusLeds(23, 24, pin_factory=factory) as leds:
        leds.show("unprovisioned")
        assert leds.green.is_lit and leds.red._blink_thread is not None  # red blinks, green stays on
        assert leds.health().details["pattern"] == "unprovisioned"


def test_a_failed_first_boot_keeps_the_box_locked_until_a_seed_succeeds(tmp_path, sim_config):
    config = sim_config("dropbox")
    state = tmp_path / "dropbox-state"
    state.mkdir(parents=True, exist_ok=True)
    write_status(state, "not_provisioned", "not provisioned: central refused the enrolment token")
    log = tmp_path / "agent.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(terminal_cmd("dropbox", "--config", str(config)), cwd=REPO,
                                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
                                stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_line(log, r'"event": "dropbox.not_provisioned"', proc)
        assert "central refused the enrolment token" in log.read_text()
        assert '"dropbox.booted"' not in log.read_text()        # the agent never ran: nothing unlocked
        write_status(state, "provisioned", "provisioned as DBX-T-0001 (dropbox) at site test")
        assert proc.wait(timeout=60) == 0                        # systemd restarts it into the agent
        assert '"event": "dropbox.provisioned"' in log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_box_set_up_by_hand_has_no_status_file_and_runs(tmp_path, sim_config):
    from dropbox.agent_cli import _provisioning
    from terminal.schema import load_config

    cfg = load_config(sim_config("dropbox"))
    assert _provisioning(cfg) == (True, "set up by hand (no provisioning status file)")
    write_status(cfg.state_dir, "provisioning", "started")
    ok, reason = _provisioning(cfg)
    assert not ok and "did not finish" in reason


def test_no_config_after_a_failed_first_boot_waits_instead_of_crash_looping(tmp_path, monkeypatch, run_cli, caplog):
    import threading

    import images.provision

    state = tmp_path / "state"
    write_status(state, "not_provisioned", "not provisioned: the seed names no central")
    monkeypatch.setattr(images.provision, "STATE_DIR", str(state))
    seen = threading.Event()

    def fix_it_later():  # a technician writes a good seed; first boot succeeds
        seen.wait(30)
        write_status(state, "provisioned", "provisioned as DBX-T-0001 (dropbox) at site test")

    helper = threading.Thread(target=fix_it_later)
    helper.start()
    monkeypatch.setattr("dropbox.agent_cli.log.error",
                        lambda event, **kw: seen.set() if event == "dropbox.not_provisioned" else None)
    try:
        code, _, err = run_cli("dropbox", "--config", str(tmp_path / "missing.toml"))
    finally:
        seen.set()
        helper.join()
    assert code == 0 and "Traceback" not in err


def test_no_config_on_a_terminal_never_provisioned_is_still_a_config_error(tmp_path, monkeypatch, run_cli):
    import images.provision

    monkeypatch.setattr(images.provision, "STATE_DIR", str(tmp_path / "nothing-here"))
    code, _, err = run_cli("dropbox", "--config", str(tmp_path / "missing.toml"))
    assert code == 2 and "configuration file not found" in err
