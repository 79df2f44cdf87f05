"""Central's badge orders: who may order, how often, the fee, one charge per order, the simulated payer,
and what ingested badge and payment events change (revoked_badges), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from sync.central import orders
from sync.central.reference import to_item

PEOPLE = [{"employee_no": "E1001", "id_number": "11010519491231002X", "name": "测试甲", "department": "Finance"},
          {"employee_no": "E1004", "id_number": "USA318001010015", "name": "杜约翰", "department": "Legal"},
          {"employee_no": "E1009", "id_number": "110105198001010016", "name": "离职乙", "department": "IT",
           "status": "left"}]


@pytest.fixture
def seeded(storage):
    key = storage.deployment_key()
    storage.load_reference("directory", [to_item("directory", dict(p), deployment_key=key) for p in PEOPLE])
    storage.load_reference("config", [{"id": "badges", "currency": "CNY", "max_replacements_per_year": 2,
                                       "fees_cents": {"first": 0, "lost": 2000, "damaged": 1000},
                                       "payment_timeout_s": 180}])
    orders.put_badge(storage, "BDG-E1001-1", "E1001")
    return storage


def test_a_first_badge_is_free_and_paid_at_once_and_a_replacement_waits_for_its_fee(seeded):
    first = orders.create_order(seeded, "KSK-T-0001", "req-first-0001", "E1004", "first")
    assert (first["status"], first["amount_cents"], first["code_url"], first["badge_id"], first["replaces"]) == \
        ("paid", 0, None, "BDG-E1004-1", None)
    lost = orders.create_order(seeded, "KSK-T-0001", "req-lost-00001", "E1001", "lost")
    assert (lost["status"], lost["amount_cents"], lost["badge_id"], lost["replaces"]) == \
        ("created", 2000, "BDG-E1001-2", "BDG-E1001-1")
    assert lost["code_url"].startswith("weixin://wxpay/bizpayurl?pr=")
    assert lost["access_code"].startswith("BDG-E1001-2.") and len(lost["access_code"]) == len("BDG-E1001-2.") + 10
    damaged = orders.create_order(seeded, "KSK-T-0002", "req-damaged-01", "E1001", "damaged")
    assert damaged["amount_cents"] == 1000 and damaged["badge_id"] == "BDG-E1001-3"   # never reused
    assert orders.get_order(seeded, lost["order_id"])["status"] == "cancelled"       # superseded, unpaid


def test_the_same_request_id_answers_the_same_order_never_a_second_one(seeded):
    a = orders.create_order(seeded, "KSK-T-0001", "req-again-0001", "E1001", "lost")
    b = orders.create_order(seeded, "KSK-T-0001", "req-again-0001", "E1001", "lost")
    assert a["order_id"] == b["order_id"] and a["access_code"] == b["access_code"]


@pytest.mark.parametrize("employee_no, reason, code", [
    ("E1004", "lost", "no_badge"),          # a new hire's first badge is free, not a replacement
    ("E1001", "first", "has_badge"),
    ("E1009", "first", "not_eligible"),     # has left
    ("E9999", "first", "no_employee"),
])
def test_who_may_order_what(seeded, employee_no, reason, code):
    refusal = orders.create_order(seeded, "KSK-T-0001", "req-refused-01", employee_no, reason)
    assert isinstance(refusal, orders.Refusal) and refusal.code == code
    assert "E1" not in refusal.detail                                 # no employee number in the words


def test_how_often_replacements_a_year_and_never_while_a_paid_one_is_unprinted(seeded):
    one = orders.create_order(seeded, "KSK-T-0001", "req-often-0001", "E1001", "lost")
    orders.pay(seeded, one["order_id"])
    assert orders.create_order(seeded, "KSK-T-0001", "req-often-0002", "E1001", "lost").code == "open_order"
    _settle(seeded, "KSK-T-0001", ("badge.printed", {"session_id": "s", "employee_no": "E1001", "reason": "lost",
                                                      "badge_id": one["badge_id"], "order_id": one["order_id"],
                                                      "replaces": "BDG-E1001-1"}))
    two = orders.create_order(seeded, "KSK-T-0001", "req-often-0003", "E1001", "damaged")
    orders.pay(seeded, two["order_id"])
    _settle(seeded, "KSK-T-0001", ("badge.printed", {"session_id": "s", "employee_no": "E1001",
                                                      "reason": "damaged", "badge_id": two["badge_id"],
                                                      "order_id": two["order_id"], "replaces": one["badge_id"]}))
    refusal = orders.create_order(seeded, "KSK-T-0001", "req-often-0004", "E1001", "lost")
    assert refusal.code == "limit" and "2 replacement" in refusal.detail


def test_a_second_payment_and_a_payment_after_cancel_or_expiry_are_refused(seeded):
    order = orders.create_order(seeded, "KSK-T-0001", "req-paytwice-1", "E1001", "lost")
    assert orders.pay(seeded, order["order_id"])["status"] == "paid"
    with pytest.raises(orders.OrderError, match="is paid; nothing was charged"):
        orders.pay(seeded, order["order_id"])
    assert orders.cancel(seeded, order["order_id"])["status"] == "paid"      # the payer was quicker
    late = orders.create_order(seeded, "KSK-T-0001", "req-paylate-01", "E1004", "first")
    assert late["status"] == "paid"
    seeded.load_reference("config", [{"id": "badges", "max_replacements_per_year": 5}])
    other = orders.create_order(seeded, "KSK-T-0002", "req-cancelled1", "E1001", "damaged")
    assert other.code == "open_order"                                        # the paid one first
    with pytest.raises(orders.OrderError) as caught:
        orders.pay(seeded, "ORD-NOSUCHORDER")
    assert caught.value.code == "no_order"


def test_an_unpaid_order_expires_at_its_timeout(seeded):
    clock = [seeded.now()]
    seeded.now = lambda: clock[0]
    order = orders.create_order(seeded, "KSK-T-0001", "req-expire-001", "E1001", "lost")
    clock[0] += 181
    assert orders.get_order(seeded, order["order_id"])["status"] == "expired"
    with pytest.raises(orders.OrderError, match="is expired"):
        orders.pay(seeded, order["order_id"])


def _settle(storage, device_id, *events):
    with storage.engine.transaction(serialise=True) as c:
        orders.settle_events(storage, c, device_id, [(t, json.dumps(p)) for t, p in events])


def test_badge_printed_revokes_the_badge_it_replaces_and_refunds_close_orders(seeded):
    paid = orders.create_order(seeded, "KSK-T-0001", "req-settle-001", "E1001", "lost")
    orders.pay(seeded, paid["order_id"])
    _settle(seeded, "KSK-T-0001", ("badge.printed", {"session_id": "s", "employee_no": "E1001", "reason": "lost",
                                                      "badge_id": paid["badge_id"], "order_id": paid["order_id"],
                                                      "replaces": "BDG-E1001-1"}))
    assert orders.get_order(seeded, paid["order_id"])["status"] == "fulfilled"
    revoked = seeded.reference_item("revoked_badges", "BDG-E1001-1")
    assert revoked["replaced_by"] == paid["badge_id"] and revoked["reason"] == "replaced (lost)"
    assert {b["badge_id"]: b["status"] for b in orders.badges_of(seeded, "E1001")} == \
        {"BDG-E1001-1": "revoked", "BDG-E1001-2": "active"}

    refund = orders.create_order(seeded, "KSK-T-0001", "req-settle-002", "E1004", "first")
    unpaid = orders.create_order(seeded, "KSK-T-0002", "req-settle-003", "E1001", "damaged")
    _settle(seeded, "KSK-T-0001", ("payment.refund_requested", {"request_id": "req-settle-002", "amount_cents": 0,
                                                                 "reason": "print_failed"}))
    _settle(seeded, "KSK-T-0002", ("payment.refund_requested", {"request_id": "req-settle-003",
                                                                 "amount_cents": 1000, "reason": "abandoned"}))
    assert orders.get_order(seeded, refund["order_id"])["status"] == "refunded"
    assert orders.get_order(seeded, unpaid["order_id"])["status"] == "cancelled"     # never paid: cancelled
    # Another terminal's event cannot close this terminal's order.
    third = orders.create_order(seeded, "KSK-T-0001", "req-settle-004", "E1001", "damaged")
    _settle(seeded, "KSK-T-0002", ("payment.cancelled", {"request_id": "req-settle-004", "reason": "abandoned"}))
    assert orders.get_order(seeded, third["order_id"])["status"] == "created"


def _get(device, path):
    return device.signed("GET", path)


def _post(device, path, body):
    return device.signed("POST", path, json.dumps(body).encode(), {"Content-Type": "application/json"})


def test_the_signed_routes_make_follow_and_cancel_an_order_for_its_own_terminal_only(seeded, make_central):
    central = make_central()
    device, other = central.device("KSK-T-0001"), central.device("KSK-T-0002")
    standing = _get(device, "/v1/badges/E1001").json()
    assert standing["may"] == {"first": False, "lost": True, "damaged": True} and standing["current"] == "BDG-E1001-1"
    made = _post(device, "/v1/orders", {"request_id": "req-http-00001", "employee_no": "E1001", "reason": "lost"})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    order = made.json()
    assert order["status"] == "created" and order["amount_cents"] == 2000
    assert _get(device, f"/v1/orders/{order['order_id']}").json()["status"] == "created"
    assert _get(other, f"/v1/orders/{order['order_id']}").status_code == 404
    orders.pay(seeded, order["order_id"])
    after = _get(device, f"/v1/orders/{order['order_id']}").json()
    assert after["status"] == "paid" and after["code_url"] is None
    refused = _post(device, "/v1/orders", {"request_id": "req-http-00002", "employee_no": "E1004",
                                              "reason": "lost"}).json()
    assert refused == {"status": "refused", "refusal": "no_badge",
                       "detail": "no badge was issued before; the first badge is free"}
    bad = _post(device, "/v1/orders", {"request_id": "short", "employee_no": "E1001", "reason": "lost"})
    assert bad.status_code == 400 and "request_id" in bad.json()["detail"]
    assert _post(device, "/v1/orders", [1, 2]).status_code == 400
    assert _get(device, "/v1/badges/E1001%20x").status_code == 400


def test_terminal_central_pay_plays_the_payer(seeded, run_cli, db_url):
    order = orders.create_order(seeded, "KSK-T-0001", "req-cli-000001", "E1001", "lost")
    code, out, err = run_cli("central", "pay", "--db", db_url, order["order_id"].lower())
    assert code == 0 and out.strip() == f"{order['order_id']}: paid (20.00 CNY)"
    code, out, err = run_cli("central", "pay", "--db", db_url, order["order_id"])
    assert code == 2 and "is paid; nothing was charged" in err
    other = orders.create_order(seeded, "KSK-T-0002", "req-cli-000002", "E1004", "first")
    code, _, err = run_cli("central", "pay", "--db", db_url, "--cancel", other["order_id"])
    assert code == 2 and "is paid; nothing changed" in err
    code, _, err = run_cli("central", "pay", "--db", db_url, "12345")
    assert code == 2 and "not an order id" in err and "Traceback" not in err
