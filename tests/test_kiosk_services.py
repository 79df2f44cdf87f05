"""The services end to end, as an employee meets them: card, SMS code, then a certificate or a badge,
tapped on the real screens (pytest-qt) through the simulators -- the reference central (uvicorn, SQLite)
with its simulated payer, the IPP printers (ippeveprinter, A4 and CR80), the ESC/POS receipt printer.

Each certificate kind is printed and then checked offline (``terminal cert verify`` on the very file
the printer got) and on central's page; a first badge and a paid replacement print once and charge
once; payment timeout and cancel charge nothing; out of paper mid-job is printed again with the same
serial; central offline says so on the menu.  Time is the rig's fake clock, the runner inline.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests

from kiosk.testing import PEOPLE, KioskRig, Person, live_objects_holding, seed_directory, sim_card
from sync.central import orders
from sync.central.demo import CONFIG
from sync.central.routes.certdata import DEMO_CERT_DATA, DEMO_TEMPLATES, put_certdata
from tests.central.conftest import RunningCentral
from tests.helpers.sync_helpers import write_config
from tests.test_ui_kiosk import UiRig

DEVICE = "KSK-T-0001"
PDF_HEAD = "\u00e2%\n4.1-FDP%"    # Qt's PDF header, "%PDF-1.4\n%\u00e2...", reversed for live_objects_holding
CERT = PEOPLE["E1002"]                        # central holds certificate data for E1002
OLD_HAND = PEOPLE["E1001"]                    # has badge BDG-E1001-1: may order a replacement
NEW_HIRE = Person("E1004", "110105199505050016", "新员丁", "13800138004", "19950505")
CENTRAL_PEOPLE = [{"employee_no": p.employee_no, "id_number": p.id_number, "name": p.name, "department": "HR"}
                  for p in (CERT, OLD_HAND, NEW_HIRE)]


@pytest.fixture
def central(tmp_path):
    from sync.central.app import create_app
    from sync.central.reference import to_item
    from sync.central.storage import open_storage

    storage = open_storage(str(tmp_path / "central.db"))
    key = storage.deployment_key()
    storage.load_reference("directory", [to_item("directory", dict(p), deployment_key=key) for p in CENTRAL_PEOPLE])
    storage.load_reference("templates", DEMO_TEMPLATES)
    storage.load_reference("config", CONFIG)
    put_certdata(storage, "E1002", DEMO_CERT_DATA["E1002"])
    orders.put_badge(storage, "BDG-E1001-1", "E1001")
    running = RunningCentral(create_app(storage), storage)
    yield running
    running.stop()
    storage.close()


@pytest.fixture(scope="module")
def printers():
    """The A4 and CR80 simulators with drivers that follow jobs quickly (shared by the module)."""
    from drivers.printer import PrinterSimulator, open_printer

    with PrinterSimulator(media="a4") as a4, PrinterSimulator(media="cr80") as cr80:
        a4.driver = open_printer({"uri": a4.uri}, media="a4", name="printer", job_timeout_s=4,
                                 poll_interval_s=0.05)
        cr80.driver = open_printer({"uri": cr80.uri}, media="cr80", name="badge_printer", job_timeout_s=4,
                                   poll_interval_s=0.05)
        yield a4, cr80
        a4.driver.close()
        cr80.driver.close()


class Services(UiRig):
    """An enrolled kiosk on the simulators, shown and tapped."""

    def login(self, person) -> dict:
        v = self.place(person)
        assert v["screen"] == "code_entry", v
        v = self.screen.type(self.rig.last_code())
        assert v["screen"] == "menu", v
        return v

    def tiles(self) -> dict:
        return {t["id"]: (t["available"], t["reason_key"]) for t in self.view["services"]}

    def events(self, prefix: str) -> list[tuple[str, dict]]:
        return [(t, json.loads(p)) for t, p in self.rig.store.conn.execute(
            "SELECT type, payload FROM sync_outbox WHERE type LIKE ? ORDER BY seq", (prefix + "%",))]

    def forward(self) -> None:
        from sync.forwarder import Forwarder

        assert Forwarder(self.rig.store, self.cfg.sync, device_id=DEVICE).run(once=True) == 0


@pytest.fixture
def kiosk(tmp_path, central, printers, receipt_sim, idcard_sim, modem_sim, run_cli, qapp):
    from sync.pull import Puller
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.migrations import all_migrations
    from terminal.schema import load_config
    from kiosk.certificates import data

    a4, cr80 = printers
    config = write_config(tmp_path / "kiosk", DEVICE)
    token = central.storage.create_token(DEVICE, ttl_s=600)
    code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url, f"--token={token}")
    assert code == 0, err
    cfg = load_config(config)
    store = open_store(store_path(cfg), all_migrations())
    client = data.client_for(store, cfg.sync)
    try:
        data.fetch(client, "employment", "E1002")      # central publishes the terminal's key with its first answer
        Puller(store).pull_all(client)
    finally:
        client.close()
    seed_directory(store, [*PEOPLE.values(), NEW_HIRE])    # the cards' directory, as the test deployment keys it
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, store=store, seed=False,
                   printers={"printer": a4.driver, "badge_printer": cr80.driver},
                   receipt={"uri": receipt_sim.uri}, device_id=DEVICE, badge_poll_s=2.0,
                   sync_settings=cfg.sync)
    rig.poll()
    u = Services(rig)
    u.cfg, u.central, u.a4, u.cr80, u.receipts = cfg, central, a4, cr80, receipt_sim
    yield u
    u.close()
    rig.close()


def _printed_pdf(a4, before: int):
    jobs = a4.kept_jobs()
    assert len(jobs) == before + 1, jobs
    return jobs[-1]


# -- certificates ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["employment", "income", "social_insurance"])
def test_each_certificate_kind_prints_and_verifies_offline_and_on_the_page(kiosk, kind, run_cli, tmp_path):
    kiosk.login(CERT)
    assert kiosk.tiles()[f"cert_{kind}"] == (True, "")
    before = len(kiosk.a4.kept_jobs())
    v = v_preview = kiosk.tap(f"service_cert_{kind}")
    assert v["screen"] == "cert_preview" and v["preview_url"].endswith("-preview.png"), v
    serial = v["reference"]
    assert re.fullmatch(rf"{DEVICE}-\d{{6}}", serial)
    kiosk.assert_no_personal_data_on_screen(CERT)  # the page is a picture; the words on screen are masked
    v = kiosk.tap("print")
    assert v["screen"] == "rating" and v["reference"] == serial, v
    printed = _printed_pdf(kiosk.a4, before)
    assert printed.read_bytes().startswith(b"%PDF-")
    # offline, against central's published keys, on the file the printer got
    keys = tmp_path / "keys.json"
    keys.write_text(requests.get(kiosk.central.url + "/verify/keys.json", timeout=10).text)
    code, out, err = run_cli("cert", "verify", str(printed), "--keys", str(keys))
    assert code == 0, out + err
    assert serial in out
    # on the page, once the kiosk's events reached central
    [(_, issued)] = kiosk.events("certificate.issued")
    kiosk.forward()
    url = f"{kiosk.central.url}/verify/{issued['code']}"
    page = requests.get(url, timeout=10).text
    assert "<h1>有效<small>Valid</small></h1>" in page, page[:400]
    # the one-tap rating is anonymous
    v = kiosk.tap("rate_satisfied")
    assert v["text"] == "rating.thanks" and not kiosk.shows("Satisfied") and not kiosk.shows("满意")
    [(_, rated)] = kiosk.events("service.rated")
    assert rated == {"service": f"cert_{kind}", "rating": "satisfied"}
    # the receipt names the serial and no identifier
    [job] = kiosk.receipts.wait_for_jobs(1)
    receipt = job.text
    assert serial in receipt and "Kiosk" in receipt
    assert CERT.employee_no not in receipt and CERT.name not in receipt and CERT.phone not in receipt
    preview = v_preview["preview_url"][len("file://"):]
    assert Path(preview).exists() and live_objects_holding(PDF_HEAD)   # the session holds the PDF until...
    kiosk.tap("finish")
    [(_, ended)] = kiosk.events("kiosk.session_ended")
    assert [d["service"] for d in ended["done"]] == [f"cert_{kind}"] and ended["done"][0]["seconds"] >= 0
    assert not Path(preview).parent.exists()                      # the visit's folder (PDF, preview) went with it
    assert live_objects_holding(PDF_HEAD) == []                  # no copy of the PDF is held anywhere


def test_out_of_paper_mid_job_then_a_reprint_with_the_same_serial(kiosk):
    kiosk.login(CERT)
    v = kiosk.tap("service_cert_employment")
    serial = v["reference"]
    kiosk.a4.set_fault("media-empty-mid-job")
    try:
        v = kiosk.tap("print")
        assert (v["screen"], v["text"]) in (("print_failed", "print_failed.out_of_paper"),
                                            ("print_failed", "print_failed.timeout")), v
        assert kiosk.shows("编号不变")
    finally:
        kiosk.a4.reload()
    v = kiosk.tap("choice_print")
    assert v["screen"] == "rating" and v["reference"] == serial
    rows = kiosk.rig.store.conn.execute("SELECT serial, prints FROM cert_issued").fetchall()
    assert rows == [(serial, 1)]                                  # one certificate, one serial, printed once
    kiosk.tap("finish")
    [(_, ended)] = kiosk.events("kiosk.session_ended")
    assert ended["failures"] and ended["failures"][0].startswith("print_")


def test_central_offline_says_which_services_cannot_be_done_and_why(kiosk):
    kiosk.central.stop()
    kiosk.login(CERT)
    tiles = kiosk.tiles()
    assert tiles["cert_employment"] == (False, "service.offline")
    assert tiles["cert_income"] == (False, "service.offline")
    assert tiles["badge_replacement"] == (False, "service.offline")
    assert tiles["my_records"] == (True, "")
    assert kiosk.shows("总部暂时无法连接")


# -- badges ------------------------------------------------------------------------------------------

def _charged(central, employee_no):
    with central.storage.engine.connection() as c:
        rows = c.execute("SELECT status FROM badge_orders WHERE employee_no = ?", (employee_no,)).fetchall()
    return sorted(r[0] for r in rows)


def test_a_first_badge_is_free_and_prints(kiosk):
    kiosk.login(NEW_HIRE)
    assert kiosk.tiles()["badge_first"] == (True, "")
    before = len(kiosk.cr80.kept_jobs())
    v = kiosk.tap("service_badge_first")
    assert v["screen"] == "badge_preview", v
    v = kiosk.tap("print")
    assert v["screen"] == "rating" and v["text"] == "rating.badge"
    assert len(kiosk.cr80.kept_jobs()) == before + 1
    kiosk.forward()
    assert _charged(kiosk.central, "E1004") == ["fulfilled"]


def test_a_paid_replacement_shows_the_qr_waits_for_the_payer_and_prints_once(kiosk):
    kiosk.login(OLD_HAND)
    assert kiosk.tiles()["badge_replacement"] == (True, "")
    kiosk.tap("service_badge_replacement")
    v = kiosk.tap("reason_lost")
    assert v["screen"] == "payment" and v["amount_cents"] == 2000 and v["qr_url"].endswith(".png"), v
    order = v["reference"]
    assert kiosk.advance(2)["screen"] == "payment"               # polled: not paid yet
    orders.pay(kiosk.central.storage, order)                      # terminal central pay ORDER
    v = kiosk.advance(2)
    assert v["screen"] == "badge_preview", v
    v = kiosk.tap("print")
    assert v["screen"] == "rating"
    kiosk.tap("finish")
    types = [t for t, _ in kiosk.events("payment.")]
    assert types == ["payment.order_created", "payment.paid"]
    [(_, printed)] = kiosk.events("badge.printed")
    assert printed["replaces"] == "BDG-E1001-1"
    kiosk.forward()
    assert _charged(kiosk.central, "E1001") == ["fulfilled"]     # one order, charged once
    revoked = kiosk.central.storage.reference_item("revoked_badges", "BDG-E1001-1")
    assert revoked is not None                                    # the old badge no longer opens doors


def test_payment_timeout_cancels_and_charges_nothing(kiosk):
    kiosk.login(OLD_HAND)
    kiosk.tap("service_badge_replacement")
    v = kiosk.tap("reason_damaged")
    assert v["screen"] == "payment" and v["countdown_s"] == 180
    for _ in range(100):                                          # the QR stays until the policy's timeout
        v = kiosk.advance(2)
        if v["screen"] != "payment":
            break
    assert (v["screen"], v["text"]) == ("service_failed", "service_failed.payment_timed_out"), v
    assert _charged(kiosk.central, "E1001") == ["cancelled"]


def test_cancel_at_the_qr_charges_nothing(kiosk):
    kiosk.login(OLD_HAND)
    kiosk.tap("service_badge_replacement")
    kiosk.tap("reason_lost")
    v = kiosk.tap("cancel")
    assert (v["screen"], v["text"]) == ("service_failed", "service_failed.payment_cancelled"), v
    assert _charged(kiosk.central, "E1001") == ["cancelled"]
    assert kiosk.tap("choice_back")["screen"] == "menu"


def test_a_paid_badge_out_of_cards_is_printed_again_at_no_charge(kiosk):
    kiosk.login(OLD_HAND)
    kiosk.tap("service_badge_replacement")
    order = kiosk.tap("reason_lost")["reference"]
    orders.pay(kiosk.central.storage, order)
    assert kiosk.advance(2)["screen"] == "badge_preview"
    kiosk.cr80.set_fault("media-empty-mid-job")
    try:
        v = kiosk.tap("print")
        assert v["screen"] == "print_failed" and v["paid"] is True, v
    finally:
        kiosk.cr80.reload()
    assert kiosk.tap("choice_print")["screen"] == "rating"
    kiosk.forward()
    assert _charged(kiosk.central, "E1001") == ["fulfilled"]


def test_a_paid_badge_left_unprinted_is_refunded_and_the_screen_says_what_happens(kiosk):
    kiosk.login(OLD_HAND)
    kiosk.tap("service_badge_replacement")
    order = kiosk.tap("reason_lost")["reference"]
    orders.pay(kiosk.central.storage, order)
    assert kiosk.advance(2)["screen"] == "badge_preview"
    v = kiosk.tap("finish")
    assert v["screen"] == "refund_requested" and v["amount_cents"] == 2000, v
    assert kiosk.shows("¥20.00")
    assert [p["reason"] for _, p in kiosk.events("payment.refund_requested")] == ["abandoned"]
    kiosk.forward()
    assert _charged(kiosk.central, "E1001") == ["refunded"]
    assert kiosk.advance(20)["screen"] in ("card_left", "attract")


# -- the kiosk's own mode: device and central calls on worker threads, the Qt thread never waits ------

def test_threaded_a_certificate_is_issued_and_printed_off_the_qt_thread(kiosk):
    """As terminal kiosk runs it: the runner's worker threads (each with its own store connection) issue,
    render and print; the flow only ever sees their answers as events."""
    import threading

    rig = kiosk.rig
    flow = rig.restart(threaded=True)
    kiosk.rebind()
    qt_thread = threading.get_ident()
    waited = []
    flow.subscribe(lambda view: waited.append(threading.get_ident()))

    def until(screen, timeout_s=60):
        assert flow.wait_until(lambda v: v["screen"] == screen, timeout_s), flow.view()
        return kiosk.view

    rig.sim.place(sim_card(CERT))
    until("code_entry")
    kiosk.screen.type(rig.last_code())
    until("menu")
    assert flow.wait_until(lambda v: all(t["reason_key"] != "service.checking" for t in v["services"]), 60)
    kiosk.tap("service_cert_income")
    until("cert_preview")
    kiosk.tap("print")
    assert until("rating")["reference"].startswith(DEVICE)
    kiosk.tap("finish")
    until("goodbye")
    assert set(waited) == {qt_thread}                                # every view was made on the Qt thread
    assert rig.store.conn.execute("SELECT state, prints FROM cert_issued").fetchall() == [("printed", 1)]


def test_a_kiosk_killed_after_payment_refunds_the_paid_order_when_it_starts_again(kiosk):
    """kill -9 between payment and print: nothing closed the visit; the next flow reconciles once."""
    from kiosk.devices import Devices
    from kiosk.flow import KioskFlow

    kiosk.login(OLD_HAND)
    kiosk.tap("service_badge_replacement")
    order = kiosk.tap("reason_lost")["reference"]
    orders.pay(kiosk.central.storage, order)
    assert kiosk.advance(2)["screen"] == "badge_preview"
    before = len(kiosk.cr80.kept_jobs())
    # the process is gone without a word: a new flow on the same store, as the restarted kiosk builds it
    again = KioskFlow(kiosk.rig.store, kiosk.rig.cfg, clock=kiosk.rig.clock,
                      devices=Devices(printers={"badge_printer": kiosk.cr80.driver}, sync_settings=kiosk.cfg.sync),
                      threaded=False)
    try:
        assert [p["reason"] for _, p in kiosk.events("payment.refund_requested")] == ["kiosk_restarted"]
        assert len(kiosk.cr80.kept_jobs()) == before                  # never printed
        kiosk.forward()
        assert _charged(kiosk.central, "E1001") == ["refunded"]        # refunded once, never charged twice
    finally:
        again.runner.close()


def test_closing_the_kiosk_mid_payment_cancels_the_order_at_central(kiosk):
    kiosk.login(OLD_HAND)
    kiosk.tap("service_badge_replacement")
    assert kiosk.tap("reason_lost")["screen"] == "payment"
    kiosk.rig.flow.close()                                             # SIGTERM: the window and flow close
    assert _charged(kiosk.central, "E1001") == ["cancelled"]
    assert [p["reason"] for _, p in kiosk.events("payment.cancelled")] == ["abandoned"]
