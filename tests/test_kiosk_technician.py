"""Technician mode: hidden gesture + PIN (hashed, rate-limited, surviving a restart) or a technician card;
device health, selftest and masked log lines; no way out but back to attract."""

from __future__ import annotations

import logging

import pytest

from drivers.health import Health
from kiosk import events as ev
from kiosk.secret import check_pin, hash_pin, pin_hash_problem
from kiosk.testing import PEOPLE, KioskRig

PIN = "482916"
PIN_HASH = hash_pin(PIN)


@pytest.fixture
def rig(tmp_path, idcard_sim, modem_sim):
    selftests = []

    def selftest():
        selftests.append(1)
        return [rig_.reader.health(), rig_.sms.health(), Health("receipt", False, "no paper (load a roll)")]

    rig_ = KioskRig(tmp_path, idcard_sim, modem_sim, kiosk={"technician_pin_hash": PIN_HASH}, selftest=selftest,
                    sync_status=lambda: {"backlog": {"events": 3}, "last_error": None})
    rig_.selftests = selftests
    rig_.poll()
    yield rig_
    rig_.close()


def test_gesture_and_pin_open_the_technician_screen_with_health(rig):
    logging.getLogger("kiosk.test").error("modem sent to 13800138001 for 11010519491231002X")
    assert rig.send(ev.TechnicianGesture())["screen"] == "technician_pin"
    v = rig.send(*[ev.KeyPressed(d) for d in PIN])
    assert v["digits_entered"] == 6
    v = rig.send(ev.KeyPressed("ok"))
    assert v["screen"] == "technician"
    rows = {r["device"]: r for r in v["health"]}
    assert rows["idcard"]["ok"] and rows["idcard"]["summary"].startswith("SAM ")
    assert rows["sms"]["ok"] and "sync" in rows and "backlog 3 events" in rows["sync"]["summary"]
    assert not any("13800138001" in line or "11010519491231002X" in line for line in v["log_lines"])
    assert any("138****8001" in line and "1101**********002X" in line for line in v["log_lines"])
    v = rig.send(ev.SelftestPressed())
    assert rig.selftests == [1]
    assert {r["device"]: r["ok"] for r in v["health"]} == {"idcard": True, "sms": True, "receipt": False}
    assert rig.send(ev.Exit())["screen"] == "attract"                  # the only way out: attract


def test_the_pin_is_never_in_the_config_or_the_view(rig):
    assert PIN not in PIN_HASH and check_pin(PIN, PIN_HASH) and not check_pin("482917", PIN_HASH)
    rig.send(ev.TechnicianGesture(), *[ev.KeyPressed(d) for d in PIN[:3]])
    assert all(PIN[:3] not in str(v) for v in rig.views)


@pytest.mark.parametrize("value, ok", [("", True), (PIN_HASH, True), ("482916", False), ("scrypt$zz$00", False),
                                       ("bcrypt$00$00", False)])
def test_a_bad_pin_hash_is_named(value, ok):
    assert (pin_hash_problem(value) is None) is ok


def test_a_pin_brute_force_locks_technician_access_across_a_restart(rig):
    rig.send(ev.TechnicianGesture())
    for left in (4, 3, 2, 1):
        v = rig.send(ev.PinEntered(f"{left:06d}"))
        assert (v["text"], v["attempts_left"]) == ("technician_pin.wrong", left)
    v = rig.send(ev.PinEntered("000000"))
    assert (v["text"], v["locked_until_s"]) == ("technician_pin.locked", 900)
    v = rig.send(ev.PinEntered(PIN))                                    # the right PIN, but locked
    assert (v["screen"], v["text"]) == ("technician_pin", "technician_pin.locked")
    rig.send(ev.Back())
    rig.restart()
    rig.poll()
    rig.clock.advance(600)
    v = rig.send(ev.TechnicianGesture())
    assert (v["text"], v["locked_until_s"]) == ("technician_pin.locked", 300)
    assert rig.send(ev.PinEntered(PIN))["screen"] == "technician_pin"
    rig.clock.advance(300)
    assert rig.send(ev.PinEntered(PIN))["screen"] == "technician"
    locks = [p for t, p in rig.events() if t == "kiosk.locked"]
    assert locks == [{"scope": "technician_pin", "lock_s": 900}]
    tries = [p["ok"] for t, p in rig.events() if t == "kiosk.technician"]
    assert tries == [False] * 5 + [True]                               # a locked try is not even checked


def test_without_a_configured_pin_the_gesture_does_nothing(tmp_path, idcard_sim, modem_sim):
    rig = KioskRig(tmp_path, idcard_sim, modem_sim)
    try:
        rig.poll()
        assert rig.send(ev.TechnicianGesture())["screen"] == "attract"
    finally:
        rig.close()


def test_the_gesture_is_ignored_during_a_visit(rig):
    rig.place(PEOPLE["E1001"])
    assert rig.send(ev.TechnicianGesture())["screen"] == "code_entry"


def test_a_technician_card_opens_technician_mode_without_sms(rig):
    v = rig.place(PEOPLE["T0001"])
    assert v["screen"] == "technician" and not rig.modem.messages
    assert ("kiosk.technician", {"what": "card", "ok": True}) in rig.events()
    assert rig.send(ev.Exit())["screen"] == "attract" and rig.flow.session is None


@pytest.mark.parametrize("screen", ["technician_pin", "technician"])
def test_idle_leaves_technician_mode(rig, screen):
    rig.send(ev.TechnicianGesture())
    if screen == "technician":
        rig.send(ev.PinEntered(PIN))
    rig.send(*[ev.KeyPressed(d) for d in "12"]) if screen == "technician_pin" else None
    assert rig.advance(60)["screen"] == "idle_warning"
    assert rig.advance(10)["screen"] == "attract"
    assert rig.flow._pin == bytearray()


def test_a_card_placed_on_the_pin_screen_starts_a_visit(rig):
    rig.send(ev.TechnicianGesture(), ev.KeyPressed("4"))
    assert rig.place(PEOPLE["E1001"])["screen"] == "code_entry"
    assert rig.flow._pin == bytearray()
