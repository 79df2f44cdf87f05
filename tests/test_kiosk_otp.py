"""The SMS code: lock-out after 5 wrong, surviving a restart; resend cooldown; hourly cap; expiry;
SMS down on each transport (modem simulator, the reference central over HTTP), and never a hang."""

from __future__ import annotations

import base64
import json

import pytest

from drivers.sms.central import CentralSms
from kiosk import events as ev
from kiosk.devices import SignedAuth
from kiosk.testing import PEOPLE, KioskRig, sim_card

GOOD = PEOPLE["E1001"]


@pytest.fixture
def rig(tmp_path, idcard_sim, modem_sim):
    r = KioskRig(tmp_path, idcard_sim, modem_sim)
    r.poll()
    yield r
    r.close()


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def test_the_code_is_six_digits_and_stored_only_as_a_salted_hash(rig):
    rig.place(GOOD)
    code = rig.last_code()
    assert len(code) == 6 and code.isdigit()
    row = rig.store.conn.execute("SELECT salt, digest, sms_key FROM kiosk_otp").fetchone()
    assert len(row[0]) == 16 and len(row[1]) == 32 and row[2].startswith("kiosk-otp-")
    dump = "\n".join(rig.store.conn.iterdump())
    assert code not in dump.replace(row[1].hex(), "").replace(row[0].hex(), "")
    assert all(code not in json.dumps(p) for _, p in rig.events())


def test_five_wrong_codes_lock_the_employee_and_the_lock_survives_a_restart(rig):
    rig.place(GOOD)
    code = rig.last_code()
    for left in (4, 3, 2, 1):
        v = rig.type(wrong(code))
        assert (v["screen"], v["text"], v["attempts_left"]) == ("code_entry", "code_entry.wrong", left)
    v = rig.type(wrong(code))
    assert v["screen"] == "code_locked" and v["locked_until_s"] == 900
    assert rig.type(code)["screen"] == "code_locked"             # the right code does nothing now
    locked = [p for t, p in rig.events() if t == "kiosk.locked"]
    assert locked == [{"scope": "code", "employee_no": "E1001", "session_id": locked[0]["session_id"],
                       "lock_s": 900}]
    rig.lift()
    rig.restart()                                                  # a kiosk restart
    rig.clock.advance(60)
    rig.poll()
    v = rig.place(GOOD)
    assert v["screen"] == "code_locked" and v["locked_until_s"] == 840
    assert len(rig.modem.messages) == 1                           # locked: no new code sent
    rig.lift()
    rig.clock.advance(840)
    v = rig.place(GOOD)
    assert v["screen"] == "code_entry" and v["attempts_left"] == 5
    assert rig.type(rig.last_code())["screen"] == "menu"


def test_wrong_codes_count_across_a_restart(rig):
    rig.place(GOOD)
    for _ in range(4):
        rig.type(wrong(rig.last_code()))
    rig.lift()
    rig.restart()
    rig.poll()
    v = rig.place(GOOD)
    assert v["attempts_left"] == 1
    assert rig.type(wrong(rig.last_code()))["screen"] == "code_locked"


def test_a_restart_does_not_send_the_code_twice(rig):
    rig.place(GOOD)
    code = rig.last_code()
    rig.lift()
    rig.restart()
    rig.clock.advance(20)
    rig.poll()
    v = rig.place(GOOD)
    assert v["screen"] == "code_entry" and v["resend_in_s"] == 40
    assert len(rig.modem.messages) == 1
    assert rig.type(code)["screen"] == "menu"


def test_a_code_sent_before_a_reboot_is_not_accepted_after_it(rig):
    """Across a reboot the monotonic clock restarts: no trusted age, so the old code is refused (not counted
    as wrong) and a new one may be sent once the cooldown has passed on the wall clock."""
    rig.place(GOOD)
    code = rig.last_code()
    rig.lift()
    rig.clock.reboot("boot-2")
    rig.restart()
    rig.poll()
    v = rig.place(GOOD)
    assert (v["screen"], v["text"], v["resend_in_s"]) == ("code_entry", "code_entry.expired", 60)
    assert len(rig.modem.messages) == 1
    v = rig.type(code)
    assert (v["text"], v["attempts_left"]) == ("code_entry.expired", 5)
    rig.clock.advance(60)
    rig.send(ev.ResendPressed())
    assert len(rig.modem.messages) == 2
    assert rig.type(rig.last_code())["screen"] == "menu"


def test_resend_waits_out_its_cooldown(rig):
    rig.place(GOOD)
    first = rig.last_code()
    rig.clock.advance(10)
    v = rig.send(ev.ResendPressed())
    assert v["screen"] == "code_entry" and v["resend_in_s"] == 50 and len(rig.modem.messages) == 1
    rig.clock.advance(50)
    v = rig.send(ev.ResendPressed())
    assert (v["screen"], v["text"]) == ("code_entry", "code_entry.resent") and len(rig.modem.messages) == 2
    assert v["resend_in_s"] == 60
    second = rig.last_code()
    if first != second:                      # (one chance in a million that the new code is the same)
        v = rig.type(first)                  # superseded by the new one: it is a wrong code now
        assert (v["text"], v["attempts_left"]) == ("code_entry.wrong", 4)
    assert rig.type(second)["screen"] == "menu"


def test_at_most_five_codes_an_hour(rig):
    rig.place(GOOD)
    for _ in range(4):
        rig.clock.advance(60)
        rig.send(ev.ResendPressed())
    assert len(rig.modem.messages) == 5
    rig.clock.advance(60)
    v = rig.send(ev.ResendPressed())
    assert (v["screen"], v["text"]) == ("sms_unavailable", "sms_unavailable.hourly_limit")
    assert v["fallbacks"] == ["service_desk"] and len(rig.modem.messages) == 5
    rig.clock.advance(3600 - 4 * 60)                               # the first send leaves the hour
    assert rig.send(ev.ResendPressed())["screen"] == "code_entry" and len(rig.modem.messages) == 6


def test_a_code_expires_after_five_minutes(rig):
    rig.place(GOOD)
    code = rig.last_code()
    rig.clock.advance(299)
    rig.send(ev.Touch())
    rig.clock.advance(1)
    v = rig.type(code)
    assert (v["screen"], v["text"], v["attempts_left"]) == ("code_entry", "code_entry.expired", 5)
    rig.send(ev.ResendPressed())
    assert rig.type(rig.last_code())["screen"] == "menu"


def test_the_keypad_back_key_and_stray_keys(rig):
    rig.place(GOOD)
    rig.type("12")
    assert rig.send(ev.KeyPressed("back"))["digits_entered"] == 1
    assert rig.send(ev.KeyPressed("ok"))["digits_entered"] == 1       # ok with fewer than 6: nothing
    assert rig.send(ev.KeyPressed("x"), ev.KeyPressed("٣"))["digits_entered"] == 1   # not a 0-9 key
    assert repr(ev.KeyPressed("7")) == "KeyPressed(key='<digit>')"


def test_an_employee_without_a_phone_on_file_gets_the_fallbacks(rig):
    v = rig.place(PEOPLE["E1010"])
    assert (v["screen"], v["text"], v["fallbacks"]) == ("sms_unavailable", "sms_unavailable.no_phone",
                                                         ["service_desk"])
    v = rig.send(ev.FallbackChosen("service_desk"))
    assert (v["screen"], v["text"]) == ("goodbye", "goodbye.service_desk") and rig.flow.session is None


# -- SMS down, on each transport -------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["no-sim", "no-signal", "cms-error"])
def test_modem_down_offers_the_fallbacks(rig, fault):
    rig.modem.set_fault(fault)
    v = rig.place(GOOD)
    assert (v["screen"], v["text"]) == ("sms_unavailable", "sms_unavailable.modem_down")
    assert v["masked_phone"] == "138****8001"
    sent = [p for t, p in rig.events() if t == "kiosk.code_sent"]
    assert sent[-1]["ok"] is False and sent[-1]["reason"] == "modem_down"
    rig.modem.set_fault(None)
    v = rig.send(ev.ResendPressed())                   # a failed send is no send: retry at once
    assert v["screen"] == "code_entry"
    assert rig.type(rig.last_code())["screen"] == "menu"


def test_a_modem_that_could_not_be_opened_is_modem_down(tmp_path, idcard_sim):
    from kiosk.devices import Devices
    rig = KioskRig(tmp_path, idcard_sim, None, sms=None)
    rig.extra_devices = {"problems": {"sms": "sms: cannot open /dev/ttyUSB2 (unplugged)"}}
    rig.restart()
    try:
        rig.poll()
        v = rig.place(GOOD)
        assert (v["screen"], v["text"]) == ("sms_unavailable", "sms_unavailable.modem_down")
        assert isinstance(rig.flow.devices, Devices)
    finally:
        rig.close()


def test_a_modem_that_hangs_never_freezes_the_screen(tmp_path, idcard_sim, modem_sim):
    """Threaded runner: the send hangs on the modem; the flow's own deadline offers the fallbacks."""
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, kiosk={"sms_wait_s": 5})
    try:
        rig.restart(threaded=True)
        modem_sim.set_fault("hang-on-submit")
        assert rig.flow.runner.first_poll_done.wait(10)
        idcard_sim.place(sim_card(GOOD))
        assert rig.flow.wait_until(lambda v: v["screen"] == "sms_sending", 10)
        rig.clock.advance(5)
        rig.send(ev.Tick())
        v = rig.view
        assert (v["screen"], v["text"]) == ("sms_unavailable", "sms_unavailable.timeout")
        assert "service_desk" in v["fallbacks"]
    finally:
        rig.close()


@pytest.fixture
def central(tmp_path):
    """The reference central (sync/central) on loopback, with its simulated SMS gateway."""
    from sync.central.app import create_app
    from sync.central.storage import open_storage
    from tests.central.conftest import RunningCentral

    storage = open_storage(str(tmp_path / "central.db"))
    outbox = tmp_path / "central-sms.jsonl"
    c = RunningCentral(create_app(storage, sms_outbox=str(outbox)), storage)
    c.outbox = outbox
    yield c
    c.stop()
    storage.close()


def central_sender(central, tmp_path, *, device_id="KSK-T-0001"):
    from sync.client import enroll
    state = enroll(central.url, device_id, central.storage.create_token(device_id, ttl_s=600))
    auth = SignedAuth(device_id, base64.b64decode(state["secret"]))
    return CentralSms(central.url, auth=auth, attempts=1, backoff_s=0, timeout_s=5)


def central_code(central) -> str:
    import re
    lines = central.outbox.read_text().splitlines()
    return re.search(r"\d{6}", json.loads(lines[-1])["text"]).group()


def test_transport_central_works_end_to_end(tmp_path, idcard_sim, central):
    rig = KioskRig(tmp_path, idcard_sim, None, sms=central_sender(central, tmp_path))
    try:
        rig.poll()
        assert rig.place(GOOD)["screen"] == "code_entry"
        assert rig.type(central_code(central))["screen"] == "menu"
        assert [p["transport"] for t, p in rig.events() if t == "kiosk.code_requested"] == ["central"]
    finally:
        rig.close()


def test_central_rate_limit_429_says_so(tmp_path, idcard_sim, central):
    sms = central_sender(central, tmp_path)
    sms.send(GOOD.phone, "another kiosk's code 000000", key="elsewhere-1")   # this number's one a minute
    rig = KioskRig(tmp_path, idcard_sim, None, sms=sms)
    try:
        rig.poll()
        v = rig.place(GOOD)
        assert (v["screen"], v["text"]) == ("sms_unavailable", "sms_unavailable.rate_limited")
        assert [p.get("reason") for t, p in rig.events() if t == "kiosk.code_sent"] == ["rate_limited"]
    finally:
        rig.close()


def test_central_down_says_so(tmp_path, idcard_sim, central):
    sms = central_sender(central, tmp_path)
    central.stop()
    rig = KioskRig(tmp_path, idcard_sim, None, sms=sms)
    try:
        rig.poll()
        v = rig.place(GOOD)
        assert (v["screen"], v["text"]) == ("sms_unavailable", "sms_unavailable.central_down")
    finally:
        rig.close()


def test_central_without_a_gateway_is_central_down(tmp_path, idcard_sim):
    from sync.central.app import create_app
    from sync.central.storage import open_storage
    from tests.central.conftest import RunningCentral
    storage = open_storage(str(tmp_path / "central.db"))
    c = RunningCentral(create_app(storage), storage)          # POST /v1/sms answers 503 no_gateway
    try:
        rig = KioskRig(tmp_path, idcard_sim, None, sms=central_sender(c, tmp_path))
        try:
            rig.poll()
            v = rig.place(GOOD)
            assert (v["screen"], v["text"]) == ("sms_unavailable", "sms_unavailable.central_down")
        finally:
            rig.close()
    finally:
        c.stop()
        storage.close()
