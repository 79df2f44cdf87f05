"""Badges end to end on the device side: the reference central (uvicorn, SQLite) with its simulated payer,
the CR80 card printer simulator (ippeveprinter), an enrolled kiosk store, events through the real forwarder.

Each order ends printed once or refunded; central charges it at most once.
"""

from __future__ import annotations

import glob
import uuid

import numpy as np
import pytest
from PIL import Image

from kiosk.badges import central as badge_central, service, store as journal
from kiosk.badges.render import Holder, PhotoUnusable, card_pixels, frame_capture, frame_photo
from sync.central import orders
from sync.central.demo import CONFIG
from tests.central.conftest import RunningCentral
from tests.helpers.sync_helpers import write_config

DEVICE = "KSK-T-0001"
PEOPLE = [{"employee_no": "E1001", "id_number": "11010519491231002X", "name": "测试甲", "department": "Finance"},
          {"employee_no": "E1004", "id_number": "USA318001010015", "name": "杜约翰", "department": "Legal"}]
FACES = sorted(glob.glob("/work/shared/testdata/faces/*.jpg"))


@pytest.fixture
def central(tmp_path):
    from sync.central.app import create_app
    from sync.central.reference import to_item
    from sync.central.storage import open_storage

    storage = open_storage(str(tmp_path / "central.db"))
    key = storage.deployment_key()
    storage.load_reference("directory", [to_item("directory", dict(p), deployment_key=key) for p in PEOPLE])
    storage.load_reference("config", CONFIG)
    storage.load_reference("revoked_badges", [{"id": "BDG-E1003-1", "employee_no": "E1003"}])
    orders.put_badge(storage, "BDG-E1001-1", "E1001")
    running = RunningCentral(create_app(storage), storage)
    yield running
    running.stop()
    storage.close()


class Kiosk:
    def __init__(self, cfg, store):
        self.cfg, self.store = cfg, store
        self.session = uuid.uuid4().hex

    def client(self):
        return badge_central.client_for(self.store, self.cfg.sync)

    def pull(self):
        from sync.pull import Puller

        client = self.client()
        try:
            Puller(self.store).pull_all(client)
        finally:
            client.close()

    def forward(self):
        from sync.forwarder import Forwarder

        assert Forwarder(self.store, self.cfg.sync, device_id=self.cfg.device_id).run(once=True) == 0

    def events(self, type_prefix=""):
        import json

        rows = self.store.conn.execute("SELECT type, payload FROM sync_outbox ORDER BY seq").fetchall()
        return [(t, json.loads(p)) for t, p in rows if t.startswith(type_prefix)]


@pytest.fixture
def kiosk(tmp_path, central, run_cli):
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.migrations import all_migrations
    from terminal.schema import load_config

    config = write_config(tmp_path / "kiosk", DEVICE)
    token = central.storage.create_token(DEVICE, ttl_s=600)
    code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url, f"--token={token}")
    assert code == 0, err
    cfg = load_config(config)
    store = open_store(store_path(cfg), all_migrations())
    k = Kiosk(cfg, store)
    k.config = config
    k.pull()
    yield k
    store.close()


@pytest.fixture(scope="module")
def card_printer():
    from drivers.printer import PrinterSimulator, open_printer

    with PrinterSimulator(media="cr80") as sim:
        printer = open_printer({"uri": sim.uri}, media="cr80", name="badge_printer", job_timeout_s=20,
                               poll_interval_s=0.05)
        sim.printer = printer
        yield sim
        printer.close()


def photo():
    return frame_photo(open(FACES[0], "rb").read()) if FACES else None


def charged(central, employee_no):
    """Orders central holds for the employee, by status."""
    with central.storage.engine.connection() as c:
        rows = c.execute("SELECT status FROM badge_orders WHERE employee_no = ?", (employee_no,)).fetchall()
    return sorted(r[0] for r in rows)


# -- first badge and paid replacement -----------------------------------------------------------------

def test_a_new_hires_first_badge_is_free_prints_on_the_card_printer_and_goes_out_as_badge_printed(
        kiosk, central, card_printer, tmp_path):
    client = kiosk.client()
    job = service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1004", reason="first")
    assert (job.state, job.amount_cents, job.code_url, job.badge_id) == ("paid", 0, None, "BDG-E1004-1")
    before = len(card_printer.kept_jobs())
    done = service.print_badge(kiosk.store, card_printer.printer, job.request_id,
                               Holder("杜约翰", "E1004", "Legal"), photo())
    assert (done.state, done.prints, done.access_code) == ("printed", 1, None)
    assert len(card_printer.kept_jobs()) == before + 1
    assert [t for t, _ in kiosk.events("badge.")] == ["badge.printed"]
    kiosk.forward()
    assert charged(central, "E1004") == ["fulfilled"]
    assert [b["status"] for b in orders.badges_of(central.storage, "E1004")] == ["active"]


def test_the_card_is_drawn_at_the_printers_imageable_area_and_looks_right(kiosk, card_printer, tmp_path):
    from kiosk.badges.render import render_badge

    size = card_pixels(card_printer.printer)
    assert size == (626, 999)            # the simulated printer's CR80 area, 52.98 x 84.6 mm at 300 dpi
    image = render_badge(Holder("欧阳测试", "E1002", "HR"), photo(), "BDG-E1002-2.K7Q2M4XP9A", size)
    assert image.size == size
    image.save(tmp_path / "badge.png")  # looked at by hand: band, photo, name, department, number, QR + id
    import cv2

    text, _, _ = cv2.QRCodeDetector().detectAndDecode(np.array(image))
    assert text == "BDG-E1002-2.K7Q2M4XP9A"


def test_a_paid_replacement_waits_for_the_payer_then_prints_and_central_revokes_the_old_badge(
        kiosk, central, card_printer, run_cli):
    client = kiosk.client()
    job = service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1001", reason="lost")
    assert job.state == "awaiting_payment" and job.amount_cents == 2000 and job.replaces == "BDG-E1001-1"
    assert job.code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    assert service.poll(kiosk.store, client, job.request_id, waited_s=2).state == "awaiting_payment"
    code, out, _ = run_cli("central", "pay", "--db", central.storage.engine.url, job.order_id)
    assert code == 0, out
    job = service.poll(kiosk.store, client, job.request_id, waited_s=4)
    assert job.state == "paid"
    job = service.print_badge(kiosk.store, card_printer.printer, job.request_id,
                              Holder("测试甲", "E1001", "Finance"), photo())
    assert job.state == "printed"
    assert [t for t, _ in kiosk.events("payment.")] == ["payment.order_created", "payment.paid"]
    kiosk.forward()
    assert charged(central, "E1001") == ["fulfilled"]
    # The old code is revoked through sync: the terminal pulls it.
    kiosk.pull()
    from sync.pull import reference_item

    assert reference_item(kiosk.store.conn, "revoked_badges", "BDG-E1001-1")["replaced_by"] == "BDG-E1001-2"


# -- timeout, cancel, out of paper, central offline ------------------------------------------------------

def test_payment_timeout_cancels_the_order_and_nothing_is_charged(kiosk, central):
    client = kiosk.client()
    job = service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1001", reason="damaged")
    job = service.poll(kiosk.store, client, job.request_id, waited_s=181)       # the policy's 180 s passed
    assert job.state == "cancelled"
    assert kiosk.events("payment.cancelled")[0][1]["reason"] == "timed_out"
    with pytest.raises(orders.OrderError, match="is cancelled; nothing was charged"):
        orders.pay(central.storage, job.order_id)
    assert charged(central, "E1001") == ["cancelled"]


def test_cancel_at_the_qr_screen_and_a_payment_that_came_first_still_prints(kiosk, central):
    client = kiosk.client()
    job = service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1001", reason="lost")
    assert service.cancel(kiosk.store, client, job.request_id).state == "cancelled"
    again = service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1001", reason="lost")
    assert again.request_id != job.request_id
    orders.pay(central.storage, again.order_id)                       # paid just before the tap on cancel
    assert service.cancel(kiosk.store, client, again.request_id).state == "paid"


def test_out_of_cards_mid_job_then_a_reprint_with_no_second_charge(kiosk, central, card_printer):
    from drivers.printer import open_printer

    client = kiosk.client()
    job = service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1001", reason="lost")
    orders.pay(central.storage, job.order_id)
    job = service.poll(kiosk.store, client, job.request_id, waited_s=1)
    impatient = open_printer({"uri": card_printer.uri}, media="cr80", name="badge_printer", job_timeout_s=3,
                             poll_interval_s=0.05)
    card_printer.set_fault("media-empty-mid-job")
    seen = []
    with pytest.raises(service.PrintFailed) as failed:
        service.print_badge(kiosk.store, impatient, job.request_id, Holder("测试甲", "E1001", "Finance"),
                            photo(), on_progress=seen.append)
    assert failed.value.cause == "out_of_paper" and "print again at no charge" in str(failed.value)
    assert any("media-empty" in r for r in seen)                       # the screen could say so at once
    assert journal.job(kiosk.store.conn, job.request_id).state == "print_failed"
    card_printer.reload()
    job = service.print_badge(kiosk.store, card_printer.printer, job.request_id,
                              Holder("测试甲", "E1001", "Finance"), photo())
    assert (job.state, job.attempts, job.prints) == ("printed", 2, 1)
    assert [t for t, _ in kiosk.events("payment.")] == ["payment.order_created", "payment.paid"]
    kiosk.forward()
    assert charged(central, "E1001") == ["fulfilled"]                   # one order, charged once


def test_a_print_failure_the_employee_walks_away_from_is_refunded(kiosk, central, card_printer):
    from drivers.printer import open_printer

    client = kiosk.client()
    job = service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1001", reason="lost")
    orders.pay(central.storage, job.order_id)
    service.poll(kiosk.store, client, job.request_id, waited_s=1)
    card_printer.set_fault("media-jam")
    try:
        with pytest.raises(service.PrintFailed) as failed:
            service.print_badge(kiosk.store, card_printer.printer, job.request_id,
                                Holder("测试甲", "E1001", "Finance"), None)
    finally:
        card_printer.reload()
    assert failed.value.cause in ("jam", "other")
    [closed] = service.close_session(kiosk.store, kiosk.session, client)
    assert closed.state == "refund_requested"
    assert kiosk.events("payment.refund_requested")[0][1]["reason"] == "abandoned"
    kiosk.forward()
    assert charged(central, "E1001") == ["refunded"]


def test_central_offline_names_why_and_records_nothing_open(kiosk, central):
    client = kiosk.client()
    central.stop()
    with pytest.raises(badge_central.BadgesUnavailable, match="central is unreachable"):
        service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1001", reason="lost")
    assert journal.open_jobs(kiosk.store.conn) == []
    assert kiosk.events("payment.cancelled")[0][1]["reason"] == "abandoned"   # central cancels what it made


def test_central_going_offline_while_the_qr_shows_waits_then_closes_with_a_refund_request(kiosk, central):
    client = kiosk.client()
    job = service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1001", reason="lost")
    central.stop()
    assert service.poll(kiosk.store, client, job.request_id, waited_s=10).state == "awaiting_payment"
    job = service.poll(kiosk.store, client, job.request_id, waited_s=200)
    assert job.state == "refund_requested" and "central is unreachable" in job.detail


def test_refused_orders_say_why(kiosk):
    client = kiosk.client()
    with pytest.raises(badge_central.OrderRefused) as refused:
        service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1004", reason="lost")
    assert refused.value.code == "no_badge"
    with pytest.raises(ValueError, match="employee number"):
        service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E 1", reason="first")
    assert journal.open_jobs(kiosk.store.conn) == []


def test_the_synced_policy_gives_the_fees_and_timeout(kiosk):
    policy = service.policy(kiosk.store.conn)
    assert policy.fees_cents["lost"] == 2000 and policy.payment_timeout_s == 180 and policy.currency == "CNY"


# -- photos ------------------------------------------------------------------------------------------------

@pytest.mark.skipif(not FACES, reason="../shared/testdata/faces is not there")
def test_a_camera_capture_is_framed_on_the_face_at_3_by_4():
    from kiosk.face_sim import visit

    frame = visit(FACES[0], n=1)[0]
    framed = frame_capture(frame)
    assert abs(framed.width / framed.height - 0.75) < 0.01 and framed.width < frame.shape[1]


def test_a_capture_without_one_face_is_refused_and_without_a_detector_centre_cropped():
    blank = np.full((480, 640), 128, np.uint8)
    with pytest.raises(PhotoUnusable) as no_face:
        frame_capture(blank, find_faces=lambda grey: [])
    assert no_face.value.reason == "no_face"
    with pytest.raises(PhotoUnusable) as two:
        frame_capture(blank, find_faces=lambda grey: [1, 2])
    assert two.value.reason == "two_faces"
    with pytest.raises(PhotoUnusable):
        frame_photo(b"GIF89a not a photo")
    import kiosk.badges.render as render

    original = render._face_finder
    render._face_finder = lambda: None
    try:
        assert frame_capture(blank).size == (360, 480)
    finally:
        render._face_finder = original


# -- receipts ----------------------------------------------------------------------------------------------

def test_the_receipt_says_what_was_done_by_order_number_without_personal_identifiers(kiosk, central):
    from drivers.receipt import ReceiptSimulator
    from kiosk import receipts

    client = kiosk.client()
    job = service.start(kiosk.store, client, session_id=kiosk.session, employee_no="E1001", reason="lost")
    with ReceiptSimulator() as sim:
        receipts.print_receipt({"uri": sim.uri}, receipts.badge_receipt(job, DEVICE, when=1767225600))
        [printed] = sim.wait_for_jobs(1)
    text = printed.text
    assert job.order_id in text and DEVICE in text and "2026-01-01 08:00" in text and "¥20.00" in text
    assert "E1001" not in text and "测试甲" not in text
    for bad in ("11010519491231002X", "13800138001", "E1001"):
        with pytest.raises(ValueError, match="personal identifier"):
            receipts.service_receipt("补办工牌", bad, DEVICE, when=0)
