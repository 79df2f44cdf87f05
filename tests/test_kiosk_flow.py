"""The kiosk flow without Qt: a good card, every identify error, card swap, idle at every step, records.

Every test drives the real reader driver against the ID-card simulator and
the real modem driver against the modem simulator, with fake time.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk import events as ev
from kiosk.testing import PEOPLE, KioskRig, sim_card

GOOD = PEOPLE["E1001"]


@pytest.fixture
def rig(tmp_path, idcard_sim, modem_sim):
    r = KioskRig(tmp_path, idcard_sim, modem_sim)
    r.poll()  # the first poll: an empty reader
    yield r
    r.close()


def test_a_good_card_reaches_the_menu_and_leaves_through_goodbye(rig):
    v = rig.place(GOOD)
    assert v["screen"] == "code_entry"
    assert v["masked_phone"] == "138****8001" and v["masked_name"] == "测**"
    assert v["digits_entered"] == 0 and v["attempts_left"] == 5 and v["resend_in_s"] == 60
    code = rig.last_code()
    assert rig.type(code[:3])["digits_entered"] == 3
    v = rig.type(code[3:])
    assert v["screen"] == "menu"
    # Not enrolled with central (no templates, no orders): each service says why it is unavailable.
    assert {s["id"]: (s["available"], s["reason_key"]) for s in v["services"]} == {
        "cert_employment": (False, "service.no_template"), "cert_income": (False, "service.no_template"),
        "cert_social_insurance": (False, "service.no_template"),
        "badge_replacement": (False, "service.not_enrolled"), "my_records": (True, "")}
    assert rig.send(ev.Exit())["screen"] == "goodbye"
    assert rig.advance(3)["screen"] == "card_left"          # the card is still on the reader
    assert rig.lift()["screen"] == "attract"
    assert [t for t, _ in rig.events()] == ["kiosk.code_requested", "kiosk.code_sent", "kiosk.code_checked",
                                            "kiosk.verified", "kiosk.session_ended"]
    assert rig.events()[3][1]["method"] == "sms"


def test_the_sms_says_the_code_and_its_life_in_the_chosen_language(rig):
    rig.send(ev.LanguageChosen("en"))
    rig.place(GOOD)
    text = rig.modem.messages[-1].text
    assert "valid for 5 minutes" in text and rig.last_code() in text
    assert rig.view["lang"] == "en"


@pytest.mark.parametrize("card, screen, text", [
    (sim_card(id_number="110105197007070023", name="陌生人"), "unknown_person", "unknown_person"),
    (sim_card(PEOPLE["E1009"]), "employee_left", "employee_left"),
    (sim_card(GOOD, valid_from="20050101", valid_to="20251231"), "card_expired", "card_expired"),
    (sim_card(GOOD, valid_from="20270101", valid_to="20370101"), "card_expired", "card_expired.not_yet_valid"),
    (sim_card(id_number="110105197007070024"), "invalid_id", "invalid_id"),     # wrong check digit
], ids=["unknown_person", "employee_left", "expired", "not_yet_valid", "invalid_id"])
def test_each_identify_error_has_its_own_screen_and_event(rig, card, screen, text):
    v = rig.place(card)
    assert (v["screen"], v["text"]) == (screen, text)
    assert rig.flow.session is None                          # nothing kept for a refused card
    assert "masked_phone" not in v and "masked_name" not in v
    failed = [p for t, p in rig.events() if t == "kiosk.verification_failed"]
    assert [p["reason"] for p in failed] == [screen]
    assert not rig.modem.messages
    assert rig.lift()["screen"] == "attract"


def test_a_card_expiring_today_is_still_valid(rig):
    rig.clock.today_value = dt.date(2026, 11, 30)
    assert rig.place(sim_card(GOOD, valid_from="20161130", valid_to="20261130"))["screen"] == "code_entry"


def test_without_a_trusted_date_expiry_is_not_judged(rig):
    rig.clock.today_value = None      # no NTP, no central offset: a 1970 clock must not refuse everyone
    assert rig.place(sim_card(GOOD, valid_from="20050101", valid_to="20251231"))["screen"] == "code_entry"


def test_a_kiosk_that_has_not_pulled_the_directory_says_so(tmp_path, idcard_sim, modem_sim):
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, seed=False)
    try:
        rig.poll()
        v = rig.place(GOOD)
        assert (v["screen"], v["text"]) == ("unknown_person", "unknown_person.directory_missing")
    finally:
        rig.close()


@pytest.mark.parametrize("fault, text", [
    (dict(kind="unknown-card"), "invalid_id.unknown_type"),
    (dict(kind="status", sw3=0x41, command="read"), "invalid_id.unreadable"),
], ids=["not_an_id_card", "unreadable"])
def test_a_card_that_cannot_be_used_says_what_to_do(rig, fault, text):
    rig.sim.inject(**fault)
    v = rig.place(GOOD)
    assert (v["screen"], v["text"]) == ("invalid_id", text)
    rig.sim.clear_faults()
    assert rig.lift()["screen"] == "attract"


def test_a_card_left_on_the_reader_when_the_kiosk_starts_is_not_a_visit(tmp_path, idcard_sim, modem_sim):
    idcard_sim.place(sim_card(GOOD))
    rig = KioskRig(tmp_path, idcard_sim, modem_sim)
    try:
        v = rig.poll()
        assert (v["screen"], v["text"]) == ("card_left", "card_left.at_start")
        assert not rig.modem.messages and rig.flow.session is None
        assert rig.poll()["screen"] == "card_left"          # still there: no second read
        assert rig.lift()["screen"] == "attract"
        assert rig.place(GOOD)["screen"] == "code_entry"    # placed again: a visit
    finally:
        rig.close()


def test_a_card_left_after_the_session_shows_card_left_until_lifted(rig):
    rig.place(GOOD)
    rig.type(rig.last_code())
    rig.send(ev.Exit())
    assert rig.advance(3)["screen"] == "card_left"
    assert rig.poll()["screen"] == "card_left"              # the reader does not hand the same card out again
    assert rig.advance(60)["screen"] == "idle_warning"
    assert rig.advance(10)["screen"] == "attract"


@pytest.mark.parametrize("act, kind", [
    (lambda sim: sim.unplug(), "unplugged"),
    (lambda sim: sim.inject("status", sw3=0x60, command=None), "sam"),
    (lambda sim: sim.inject("silent", command=None), "silent"),
], ids=["unplugged", "sam_fault", "silent"])
def test_each_reader_fault_has_a_screen_and_ends_a_visit(rig, act, kind):
    rig.place(GOOD)
    assert rig.flow.session is not None
    act(rig.sim)
    v = rig.poll()
    assert (v["screen"], v["text"]) == ("reader_fault", f"reader_fault.{kind}")
    assert rig.flow.session is None
    assert ("kiosk.session_ended", "reader_fault") in [(t, p.get("reason")) for t, p in rig.events()]
    assert rig.poll()["screen"] == "reader_fault"            # said once, stays until the reader answers


def test_the_reader_coming_back_returns_to_attract(rig):
    rig.sim.inject("silent", command=None)
    assert rig.poll()["screen"] == "reader_fault"
    rig.sim.clear_faults()
    assert rig.poll()["screen"] == "attract"


def test_a_card_swapped_mid_session_ends_it_and_starts_the_new_one(rig):
    rig.place(GOOD)
    first = rig.flow.session.id
    rig.type("12")
    assert rig.lift()["screen"] == "code_entry"             # lifting alone keeps the visit
    v = rig.place(PEOPLE["E1002"])
    assert v["screen"] == "code_entry" and v["masked_phone"] == "138****8002" and v["digits_entered"] == 0
    ended = [p for t, p in rig.events() if t == "kiosk.session_ended"]
    assert ended == [{"session_id": first, "reason": "card_swapped", "seconds": 0.0}]


def test_the_same_card_put_back_keeps_the_visit(rig):
    rig.place(GOOD)
    session = rig.flow.session.id
    rig.type("12")
    rig.lift()
    v = rig.place(GOOD)
    assert rig.flow.session.id == session and v["digits_entered"] == 2
    assert len(rig.modem.messages) == 1


def test_a_card_swapped_after_verification_ends_the_verified_visit(rig):
    rig.place(GOOD)
    rig.type(rig.last_code())
    assert rig.view["screen"] == "menu"
    rig.lift()
    assert rig.place(PEOPLE["E1002"])["screen"] == "code_entry"
    assert rig.flow.session.employee_no == "E1002"


# -- idle timeout at every step --------------------------------------------------------------------

def _to_code_entry(rig):
    rig.place(GOOD)


def _to_menu(rig):
    rig.place(GOOD)
    rig.type(rig.last_code())


def _to_records(rig):
    _to_menu(rig)
    rig.send(ev.ServiceChosen("my_records"))


def _to_locked(rig):
    rig.place(GOOD)
    for _ in range(5):
        rig.type("000000" if rig.last_code() != "000000" else "111111")


def _to_sms_unavailable(rig):
    rig.modem.set_fault("no-sim")
    rig.place(GOOD)


def _to_unknown(rig):
    rig.place(sim_card(id_number="110105197007070023"))


STEPS = {"code_entry": _to_code_entry, "menu": _to_menu, "my_records": _to_records, "code_locked": _to_locked,
         "sms_unavailable": _to_sms_unavailable, "unknown_person": _to_unknown}


@pytest.mark.parametrize("screen", sorted(STEPS))
def test_idle_at_every_step_warns_then_ends_the_visit(rig, screen):
    STEPS[screen](rig)
    assert rig.view["screen"] == screen
    assert rig.advance(59)["screen"] == screen
    v = rig.advance(1)
    assert v["screen"] == "idle_warning" and v["countdown_s"] == 10
    assert rig.advance(4)["countdown_s"] == 6
    assert rig.send(ev.Touch())["screen"] == screen          # a touch: back where they were
    rig.advance(60)
    v = rig.advance(10)
    assert v["screen"] in ("goodbye", "card_left", "attract")
    assert rig.flow.session is None
    v = rig.advance(3)
    assert v["screen"] == "card_left"                        # their card is still on the reader
    assert "masked_phone" not in v and "masked_name" not in v


def test_typing_counts_as_activity(rig):
    rig.place(GOOD)
    rig.advance(50)
    rig.type("1")
    assert rig.advance(50)["screen"] == "code_entry"


def test_central_config_sets_the_idle_timeout(tmp_path, idcard_sim, modem_sim):
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, config={"idle_timeout_s": 30})
    try:
        rig.poll()
        rig.place(GOOD)
        assert rig.advance(30)["screen"] == "idle_warning"
    finally:
        rig.close()


def test_a_nonsense_central_idle_timeout_falls_back_to_the_file(tmp_path, idcard_sim, modem_sim):
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, config={"idle_timeout_s": 0})
    try:
        rig.poll()
        rig.place(GOOD)
        assert rig.advance(30)["screen"] == "code_entry"
        assert rig.advance(30)["screen"] == "idle_warning"
    finally:
        rig.close()


# -- my records ------------------------------------------------------------------------------------

def test_my_records_shows_local_history_and_central_feed(tmp_path, idcard_sim, modem_sim):
    central = [{"when": "2026-10-01T09:00:00+00:00", "kind": "certificate", "status": "printed"}]
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, fetch_records=lambda employee_no: central)
    try:
        rig.poll()
        _to_records(rig)
        v = rig.view
        assert v["records_central"] is True
        assert [r["kind"] for r in v["records"]] == ["certificate", "verification"]   # newest first
        assert rig.send(ev.Back())["screen"] == "menu"
    finally:
        rig.close()


def test_my_records_without_central_shows_local_history(tmp_path, idcard_sim, modem_sim):
    def down(employee_no):
        raise ConnectionError("central unreachable")
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, fetch_records=down)
    try:
        rig.poll()
        _to_records(rig)
        v = rig.view
        assert v["records_central"] is False and [r["status"] for r in v["records"]] == ["verified"]
    finally:
        rig.close()


def test_a_service_not_built_yet_says_so(rig):
    _to_menu(rig)
    assert rig.send(ev.ServiceChosen("cert_income"))["text"] == "menu.unavailable"
