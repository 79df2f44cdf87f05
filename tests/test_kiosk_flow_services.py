"""The services' part of the flow on its own (no central, no printers): what the menu says, answers that
come too late, one rating per service, the wipe of the visit's document, bad values ignored."""

from __future__ import annotations

import json
import os

import pytest

from kiosk import events as ev
from kiosk.testing import PEOPLE, KioskRig

GOOD = PEOPLE["E1001"]


@pytest.fixture
def rig(tmp_path, idcard_sim, modem_sim):
    r = KioskRig(tmp_path, idcard_sim, modem_sim)
    r.poll()
    yield r
    r.close()


def _menu(rig):
    rig.place(GOOD)
    v = rig.type(rig.last_code())
    assert v["screen"] == "menu", v
    return v


def _events(rig, prefix):
    return [(t, json.loads(p)) for t, p in rig.store.conn.execute(
        "SELECT type, payload FROM sync_outbox WHERE type LIKE ? ORDER BY seq", (prefix + "%",))]


def test_an_unenrolled_kiosk_says_why_each_service_is_unavailable_and_refuses_a_tap(rig):
    v = _menu(rig)
    reasons = {t["id"]: t["reason_key"] for t in v["services"]}
    assert reasons == {"cert_employment": "service.no_template", "cert_income": "service.no_template",
                       "cert_social_insurance": "service.no_template", "badge_replacement": "service.not_enrolled",
                       "my_records": ""}
    assert rig.send(ev.ServiceChosen("cert_income"))["text"] == "menu.unavailable"
    assert rig.send(ev.ServiceChosen("no_such_service"))["text"] == "menu.unavailable"


def test_central_config_chooses_the_certificates_and_an_unknown_name_is_skipped(tmp_path, idcard_sim, modem_sim):
    r = KioskRig(tmp_path, idcard_sim, modem_sim, config={"certificates": ["income", "payslip"]})
    try:
        r.poll()
        v = _menu(r)
        assert [t["id"] for t in v["services"]] == ["cert_income", "badge_replacement", "my_records"]
    finally:
        r.close()


def test_a_service_central_cannot_do_says_why_and_goes_back_to_the_menu(rig):
    _menu(rig)
    rig.send(ev.ServicesLoaded({"employment": "", "income": "", "social_insurance": ""},
                               {"id": "badge_replacement", "reason_key": ""}))
    v = rig.send(ev.ServiceChosen("cert_employment"))    # inline: not enrolled, so the issue fails at once
    assert (v["screen"], v["text"]) == ("service_failed", "service_failed.not_enrolled"), v
    assert rig.send(ev.Back())["screen"] == "menu"
    rig.send(ev.Exit())
    [(_, ended)] = _events(rig, "kiosk.session_ended")
    assert ended["failures"] == ["not_enrolled"] and "done" not in ended


def test_answers_that_come_after_the_visit_moved_on_are_dropped(rig):
    _menu(rig)
    v = rig.send(ev.CertificateReady("KSK-T-0001-000001", b"%PDF-1.4 late", "/tmp/nowhere.png"))
    assert v["screen"] == "menu" and len(rig.flow.session.document) == 0
    for late in (ev.PrintDone("X"), ev.PrintJobFailed("X", "jam"), ev.BadgeOrdered("R", "paid"),
                 ev.BadgePreviewReady("R", "/tmp/x.png"), ev.ServiceFailed("badge", "offline"),
                 ev.PrintProgress("X", ("media-empty",))):
        assert rig.send(late)["screen"] == "menu", late


def _printed(rig, service="cert_income", serial="KSK-T-0001-000007"):
    """The flow as it stands when a print job has completed (the runner's answer injected)."""
    s = rig.flow.session
    s.service.update(id=service, serial=serial)
    s.document[:] = b"%PDF-1.4 the certificate"
    rig.flow._show("printing")
    return rig.send(ev.PrintDone(serial))


def test_one_rating_per_service_anonymous_and_bad_values_ignored(rig):
    _menu(rig)
    v = _printed(rig)
    assert (v["screen"], v["text"], v["rated"]) == ("rating", "rating", False)
    assert rig.send(ev.RatingChosen("great"))["text"] == "rating"          # not a rating: ignored
    v = rig.send(ev.RatingChosen("neutral"))
    assert (v["text"], v["rated"]) == ("rating.thanks", True)
    rig.send(ev.RatingChosen("satisfied"))                                  # a second tap counts nothing
    assert [p for _, p in _events(rig, "service.rated")] == [{"service": "cert_income", "rating": "neutral"}]


def test_the_printers_waits_show_while_the_job_runs_and_a_failure_offers_the_same_document(rig):
    _menu(rig)
    s = rig.flow.session
    s.service.update(id="cert_income", serial="KSK-T-0001-000009")
    rig.flow._show("printing")
    assert rig.send(ev.PrintProgress("KSK-T-0001-000009", ("media-empty-error",)))["text"] == "printing.out_of_paper"
    assert rig.send(ev.PrintProgress("KSK-T-0001-000009", ("media-jam",)))["text"] == "printing.jam"
    assert rig.send(ev.PrintProgress("KSK-T-0001-000009", ()))["text"] == "printing"
    v = rig.send(ev.PrintJobFailed("KSK-T-0001-000009", "melted"))
    assert (v["screen"], v["text"], v["paid"]) == ("print_failed", "print_failed.other", False)


def test_every_way_out_wipes_the_visits_document(rig):
    _menu(rig)
    _printed(rig)
    s = rig.flow.session
    folder = s.temp_dir()
    document = s.document
    rig.advance(60)                          # idle on the rating screen ...
    v = rig.advance(10)                      # ... and the countdown runs out
    assert v["screen"] == "goodbye" and rig.flow.session is None
    assert bytes(document) == b"" and not os.path.exists(folder)
    [(_, ended)] = _events(rig, "kiosk.session_ended")
    assert ended["reason"] == "idle" and [d["service"] for d in ended["done"]] == ["cert_income"]


def test_a_paid_badge_left_on_any_exit_shows_the_refund(rig):
    _menu(rig)
    s = rig.flow.session
    s.service.update(id="badge_replacement", request_id="R1", order_id="ORD-ABCDEFGHJKLM", amount_cents=1000,
                     currency="CNY", paid=True)
    rig.flow._show("print_failed", "print_failed.jam")
    v = rig.send(ev.Back())                  # on a paid card's failure, leaving means a refund
    assert (v["screen"], v["amount_cents"], v["reference"]) == ("refund_requested", 1000, "ORD-ABCDEFGHJKLM")
    assert rig.flow.session is None
    assert rig.advance(15)["screen"] == "card_left"                          # then as after goodbye


def _awaiting(rig):
    s = rig.flow.session
    rig.flow._show("preparing", "preparing.order")
    s.service.update(id="badge_replacement", reason="lost")
    return rig.send(ev.BadgeOrdered("R1", "awaiting_payment", "ORD-ABCDEFGHJKLM", 2000, "CNY", "/tmp/qr.png"))


def test_the_payment_screen_counts_down_and_a_poll_answered_after_cancel_does_not_bring_it_back(rig):
    _menu(rig)
    v = _awaiting(rig)
    assert (v["screen"], v["amount_cents"], v["countdown_s"]) == ("payment", 2000, 180)
    asked = []
    rig.flow.runner.submit = asked.append                # the runner's answers are given by hand below
    assert rig.advance(30)["countdown_s"] == 150
    assert [type(c).__name__ for c in asked] == ["PollBadge"] and asked[0].waited_s == 30
    v = rig.send(ev.Back())
    assert (v["screen"], v["text"]) == ("preparing", "preparing.cancel")
    v = rig.send(ev.BadgeOrdered("R1", "awaiting_payment", "ORD-ABCDEFGHJKLM", 2000))   # a late poll
    assert (v["screen"], v["text"]) == ("preparing", "preparing.cancel")
    v = rig.send(ev.BadgeOrdered("R1", "cancelled", "ORD-ABCDEFGHJKLM", 2000))
    assert (v["screen"], v["text"]) == ("service_failed", "service_failed.payment_cancelled")


def test_a_payment_that_came_first_still_makes_the_badge_and_another_orders_answer_is_ignored(rig):
    _menu(rig)
    _awaiting(rig)
    rig.flow.runner.submit = lambda command: None
    rig.send(ev.Back())
    assert rig.send(ev.BadgeOrdered("R2", "paid"))["text"] == "preparing.cancel"        # not this order
    v = rig.send(ev.BadgeOrdered("R1", "paid", "ORD-ABCDEFGHJKLM", 2000))
    assert (v["screen"], v["text"]) == ("preparing", "preparing.badge")
