"""The runner and the devices: opened through the device contract from a sim config, real threads,
every device error turned into an event; the [kiosk] settings."""

from __future__ import annotations

import re

import pytest

from kiosk import events as ev
from kiosk.devices import Devices
from kiosk.settings import KIOSK, kiosk_settings
from kiosk.testing import PEOPLE, KioskRig, open_kiosk_store, seed_directory, sim_card

GOOD = PEOPLE["E1001"]


def test_devices_open_from_a_sim_config_and_a_visit_runs_on_real_threads(tmp_path, sim_config):
    from drivers.idcard import IdCardSimulator
    from drivers.sms import ModemSimulator
    from kiosk.clock import FakeClock
    from kiosk.flow import KioskFlow
    from terminal.schema import load_config

    cfg = load_config(sim_config("kiosk"))
    with IdCardSimulator(cfg.idcard.port) as card_sim, ModemSimulator(cfg.sms.port) as modem:
        devices = Devices.open(cfg)
        store = open_kiosk_store(tmp_path / "k.db")
        seed_directory(store)
        flow = KioskFlow(store, cfg, clock=FakeClock(), devices=devices, threaded=True)
        woken = []
        flow.set_waker(lambda: woken.append(1))
        try:
            assert devices.problems == {} and devices.reader is not None and devices.sms is not None
            assert flow.runner.first_poll_done.wait(10)
            card_sim.place(sim_card(GOOD))
            assert flow.wait_until(lambda v: v["screen"] == "code_entry", 15)
            assert woken                                  # the worker threads asked the owner to pump
            code = re.search(r"\d{6}", modem.messages[-1].text).group()
            for digit in code:
                flow.handle(ev.KeyPressed(digit))
            assert flow.view()["screen"] == "menu"
            card_sim.lift()
            flow.handle(ev.Exit())
            assert flow.view()["screen"] == "goodbye"
        finally:
            flow.close()
            devices.close()
            store.close()


def test_devices_that_cannot_be_opened_are_named_not_raised(tmp_path, sim_config):
    from terminal.schema import load_config
    cfg = load_config(sim_config("kiosk"))          # no simulators running: nothing to open
    devices = Devices.open(cfg)
    try:
        assert devices.reader is None and devices.sms is None
        assert "terminal sim idcard" in devices.problems["idcard"]
        assert "terminal sim modem" in devices.problems["sms"]
    finally:
        devices.close()


def test_no_reader_is_a_reader_fault_screen(tmp_path, idcard_sim, modem_sim):
    rig = KioskRig(tmp_path, idcard_sim, modem_sim)
    try:
        rig.reader.close()
        rig.reader = None
        rig.extra_devices = {"problems": {"idcard": "idcard: cannot open /dev/ttyUSB0"}}
        rig.restart()
        v = rig.poll()
        assert (v["screen"], v["text"]) == ("reader_fault", "reader_fault.unplugged")
    finally:
        rig.close()


def test_the_runner_never_lets_an_exception_into_the_flow(tmp_path, idcard_sim, modem_sim):
    def broken(employee_no):
        raise RuntimeError("records service exploded for 13800138001")
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, fetch_records=broken)
    try:
        rig.poll()
        rig.place(GOOD)
        rig.type(rig.last_code())
        v = rig.send(ev.ServiceChosen("my_records"))
        assert v["screen"] == "my_records" and v["records_central"] is False
    finally:
        rig.close()


def test_kiosk_settings_defaults_and_checks():
    s = kiosk_settings({})
    assert (s.idle_timeout_s, s.otp_ttl_s, s.otp_max_failures, s.otp_lock_s, s.resend_cooldown_s,
            s.max_sends_per_hour, s.face_attempts, s.after_face_failures) == (60, 300, 5, 900, 60, 5, 3, "sms_only")
    assert kiosk_settings({"kiosk": {"idle_timeout_s": 90}}).idle_timeout_s == 90
    with pytest.raises(ValueError, match="kiosk.fallbacks: unknown fallback 'sms_again'"):
        kiosk_settings({"kiosk": {"fallbacks": ["sms_again"]}})


def test_the_kiosk_section_validates_like_every_other_section():
    from terminal.config import ConfigError, validate_config
    from terminal.settings_model import Section
    schema = Section("t", {"kiosk": KIOSK})
    cfg = validate_config('[kiosk]\nidle_timeout_s = 45\nafter_face_failures = "deny"\n', schema=schema)
    assert kiosk_settings(cfg).idle_timeout_s == 45 and kiosk_settings(cfg).after_face_failures == "deny"
    with pytest.raises(ConfigError, match="idle_timeout_s"):
        validate_config("[kiosk]\nidle_timeout_s = 5\n", schema=schema)
    with pytest.raises(ConfigError, match="after_face_failures"):
        validate_config('[kiosk]\nafter_face_failures = "allow"\n', schema=schema)
