"""GET /v1/records/{employee_no}: each employee's transactions, indexed in the ingest transaction, served
newest first to any signed terminal -- on SQLite and PostgreSQL, events sent through the real signed path."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pytest
import requests

from sync import wire
from sync.central import orders, records
from sync.central.client import make_event

NOW = 1_800_000_000.0          # central's clock in these tests
FIELDS = {"when", "kind", "status", "device_id", "ref"}


class Clock:
    def __init__(self, t: float = NOW):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def central(make_central, storage, clock):
    storage.now = clock                 # the ingest stamps with it too
    return make_central(now=clock)


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).isoformat(timespec="seconds")


def event(seq: int, type: str, payload: dict, *, wall: float | None = None, synced: bool = True,
          boot_id: str = "boot-1") -> dict:
    e = make_event(seq, type=type, payload=payload, key=f"{type}-{seq}", boot_id=boot_id)
    e.update(wall_time=NOW - 1000 + seq if wall is None else wall, clock_synced=synced,
             priority=wire.PRIORITY_TRANSACTION)
    return e


def send(device, events, *, sent_wall: float = NOW, sent_synced: bool = True) -> list[dict]:
    """POST one signed, gzipped batch (sent_at as given) and return the per-event results."""
    doc = {"device_id": device.device_id,
           "sent_at": {"wall": sent_wall, "mono": 1.0, "boot_id": "boot-1", "clock_synced": sent_synced},
           "backlog": {"depth": 0, "bytes": 0, "oldest_age_s": 0.0}, "events": events}
    response = device.signed("POST", "/v1/events", gzip.compress(json.dumps(doc).encode()),
                             {"Content-Type": "application/json", "Content-Encoding": "gzip"}, timestamp=NOW)
    assert response.status_code == 200, response.text
    return response.json()["results"]


def get(device, path: str, *, timestamp: float = NOW, **kw) -> requests.Response:
    return device.signed("GET", path, timestamp=timestamp, **kw)


def records_of(device, employee_no: str, query: str = "", *, timestamp: float = NOW) -> list[dict]:
    response = get(device, f"/v1/records/{employee_no}{query}", timestamp=timestamp)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["employee_no"] == employee_no and all(set(r) == FIELDS for r in body["records"])
    return body["records"]


VISIT = [
    ("kiosk.code_requested", {"session_id": "s1", "employee_no": "E1001", "otp_id": 1, "transport": "modem"}),
    ("kiosk.code_checked", {"session_id": "s1", "employee_no": "E1001", "ok": True, "attempts_left": 4}),
    ("kiosk.verified", {"session_id": "s1", "employee_no": "E1001", "method": "sms"}),
    ("certificate.issued", {"session_id": "s1", "serial": "KSK-T-0001-000007", "kind": "employment",
                            "employee_no": "E1001", "holder": "张*", "issued_on": "2027-01-15",
                            "terminal": "KSK-T-0001", "text_hash": "ABCDEFGH", "code": "SECRETCODEVALUE"}),
    ("certificate.printed", {"session_id": "s1", "employee_no": "E1001", "kind": "employment",
                             "verification_code": "SECRETCODEVALUE", "serial": "KSK-T-0001-000007"}),
    ("kiosk.session_ended", {"session_id": "s1", "reason": "exit", "seconds": 42.0}),
    ("kiosk.verified", {"session_id": "s2", "employee_no": "E1002", "method": "sms+face"}),
]


def test_another_kiosk_sees_the_employee_s_transactions_newest_first(central):
    kiosk, other = central.device("KSK-T-0001"), central.device("KSK-T-0002")
    results = send(kiosk, [event(i + 1, t, p) for i, (t, p) in enumerate(VISIT)])
    assert {r["status"] for r in results} == {wire.ACCEPTED}
    got = records_of(other, "E1001")
    assert got == [
        {"when": iso(NOW - 1000 + 5), "kind": "certificate.printed", "status": "printed",
         "device_id": "KSK-T-0001", "ref": "KSK-T-0001-000007"},
        {"when": iso(NOW - 1000 + 4), "kind": "certificate.issued", "status": "issued",
         "device_id": "KSK-T-0001", "ref": "KSK-T-0001-000007"},
        {"when": iso(NOW - 1000 + 3), "kind": "kiosk.verified", "status": "verified",
         "device_id": "KSK-T-0001", "ref": None},
    ]
    # The steps of a verification are not transactions; nothing of the payloads travels.
    text = get(other, "/v1/records/E1001").text
    assert "张" not in text and "SECRETCODEVALUE" not in text and "sms" not in text and "E1002" not in text
    assert records_of(kiosk, "E1002")[0]["kind"] == "kiosk.verified"
    assert records_of(other, "E9999") == []


def test_the_times_are_central_s_clock(central):
    kiosk = central.device()
    send(kiosk, [
        event(1, "kiosk.verified", {"session_id": "a", "employee_no": "E1", "method": "sms"}, wall=NOW - 600),
        # Unsynchronised, same boot as the batch and still unsynchronised: corrected by the batch's offset.
        event(2, "kiosk.verified", {"session_id": "b", "employee_no": "E2", "method": "sms"},
              wall=86_400.0 - 60, synced=False),
        # Unsynchronised from another boot: nothing vouches for the stamp, central's arrival time stands.
        event(3, "kiosk.verified", {"session_id": "c", "employee_no": "E3", "method": "sms"},
              wall=5.0, synced=False, boot_id="boot-0"),
        # Stamps beyond reason never land in the future or before 1970.
        event(4, "kiosk.verified", {"session_id": "d", "employee_no": "E4", "method": "sms"}, wall=1e18),
        event(5, "kiosk.verified", {"session_id": "e", "employee_no": "E5", "method": "sms"}, wall=-1e18),
    ], sent_wall=86_400.0, sent_synced=False)
    when = {n: records_of(kiosk, n)[0]["when"] for n in ("E1", "E2", "E3", "E4", "E5")}
    assert when == {"E1": iso(NOW - 600), "E2": iso(NOW - 60), "E3": iso(NOW), "E4": iso(NOW),
                    "E5": "1970-01-01T00:00:00+00:00"}


def test_a_batch_sent_twice_is_indexed_once(central):
    kiosk = central.device()
    batch = [event(i + 1, t, p) for i, (t, p) in enumerate(VISIT)]
    send(kiosk, batch)
    assert {r["status"] for r in send(kiosk, batch)} == {wire.DUPLICATE}
    assert len(records_of(kiosk, "E1001")) == 3


def test_payments_are_found_through_central_s_own_order(central):
    storage = central.storage
    storage.load_reference("directory", [{"id": "E1001", "employee_no": "E1001", "status": "active"}])
    kiosk, other = central.device("KSK-T-0001"), central.device("KSK-T-0002")
    first = orders.create_order(storage, "KSK-T-0001", "req-first-0001", "E1001", "first")
    order_id, badge_id = first["order_id"], first["badge_id"]
    send(kiosk, [
        event(1, "payment.order_created", {"request_id": "req-first-0001", "order_id": order_id,
                                           "employee_no": "E1001", "reason": "first", "amount_cents": 0}),
        event(2, "payment.paid", {"request_id": "req-first-0001", "order_id": order_id, "amount_cents": 0}),
        event(3, "badge.printed", {"session_id": "s", "employee_no": "E1001", "reason": "first",
                                   "badge_id": badge_id, "order_id": order_id}),
        # Named by the kiosk's request id alone (central's answer never reached it).
        event(4, "payment.refund_requested", {"request_id": "req-first-0001", "amount_cents": 0,
                                              "reason": "print_failed"}),
        # An order central never made: no employee to file it under.
        event(5, "payment.cancelled", {"request_id": "req-unknown-01", "reason": "timed_out"}),
    ])
    # Another terminal cannot file its events under this kiosk's order.
    send(other, [event(1, "payment.cancelled", {"request_id": "req-first-0001", "order_id": order_id,
                                                "reason": "cancelled"})])
    got = [(r["kind"], r["status"], r["ref"], r["device_id"]) for r in records_of(other, "E1001")]
    assert got == [("payment.refund_requested", "refund_requested", order_id, "KSK-T-0001"),
                   ("badge.printed", "printed", badge_id, "KSK-T-0001"),
                   ("payment.paid", "paid", order_id, "KSK-T-0001"),
                   ("payment.order_created", "created", order_id, "KSK-T-0001")]


def test_payment_events_on_a_central_that_never_made_an_order(central):
    kiosk = central.device()
    results = send(kiosk, [event(1, "payment.paid", {"request_id": "req-0000001", "order_id": "ORD-AAAAAAAAAAAA",
                                                     "amount_cents": 100})])
    assert results[0]["status"] == wire.ACCEPTED
    assert central.storage.event_count() == 1


@pytest.mark.parametrize("type, payload, expected", [
    # A reason that is not a plain word does not become the status.
    ("kiosk.verification_failed", {"session_id": "s", "reason": "code_locked", "employee_no": "E7"},
     ("code_locked", None)),
    ("kiosk.verification_failed", {"session_id": "s", "reason": "call 13800138000", "employee_no": "E7"},
     ("failed", None)),
    ("payment.cancelled", {"request_id": "r", "reason": "x" * 41}, None),       # no order: not indexed
    ("kiosk.locked", {"scope": "code", "lock_s": 900, "employee_no": "E7"}, ("locked", None)),
    ("kiosk.locked", {"scope": "technician_pin", "lock_s": 900, "employee_no": "E7"}, None),
    # A ref that is not a plain id is left out; the record stays.
    ("certificate.printed", {"session_id": "s", "employee_no": "E7", "kind": "income",
                             "verification_code": "C", "serial": "张三 0001"}, ("printed", None)),
    # Not an employee number, or an ID number under that name: never an index key.
    ("kiosk.verified", {"session_id": "s", "employee_no": "11010519491231002X", "method": "sms"}, None),
    ("kiosk.verified", {"session_id": "s", "employee_no": "E 7", "method": "sms"}, None),
    ("kiosk.verification_failed", {"session_id": "s", "reason": "unknown_person"}, None),
    ("dropbox.received", {"claim_id": "CLM-1", "envelope_id": "ENV-1", "employee_no": "E7"}, None),
])
def test_what_becomes_a_record(central, type, payload, expected):
    kiosk = central.device()
    assert send(kiosk, [event(1, type, payload)])[0]["status"] == wire.ACCEPTED
    employee_no = payload.get("employee_no", "E7")
    got = records_of(kiosk, employee_no) if orders.EMPLOYEE_NO_RE.fullmatch(employee_no) else []
    assert [(r["status"], r["ref"]) for r in got] == ([expected] if expected else [])
    with central.storage.engine.connection() as c:
        count = c.execute("SELECT COUNT(*) FROM employee_records").fetchone()[0]
    assert count == (1 if expected else 0)


def test_unsigned_forged_and_replayed_requests_get_401(central):
    kiosk = central.device()
    send(kiosk, [event(1, *VISIT[2])])
    assert requests.get(central.url + "/v1/records/E1001", timeout=10).status_code == 401
    forged = central.device("KSK-T-0002")
    forged.secret = b"x" * 32
    response = get(forged, "/v1/records/E1001")
    assert response.status_code == 401 and response.json()["error"] == wire.ERR_BAD_SIGNATURE
    assert "records" not in response.json()
    stranger = central.device("KSK-T-0003")
    stranger.device_id = "KSK-T-9999"        # never enrolled
    assert get(stranger, "/v1/records/E1001").json()["error"] == wire.ERR_UNKNOWN_DEVICE
    # A signature over another path does not open this one.
    headers = wire.sign_request(kiosk.secret, "GET", "/v1/records/E1002", b"", device_id=kiosk.device_id,
                                timestamp=int(NOW))
    response = requests.get(central.url + "/v1/records/E1001", headers=headers, timeout=10)
    assert response.status_code == 401 and response.json()["error"] == wire.ERR_BAD_SIGNATURE
    assert get(kiosk, "/v1/records/E1001", nonce="n" * 32).status_code == 200
    again = get(kiosk, "/v1/records/E1001", nonce="n" * 32)
    assert again.status_code == 401 and again.json()["error"] == wire.ERR_REPLAYED


@pytest.mark.parametrize("path", ["/v1/records/E%201", "/v1/records/%EF%BC%A51001", "/v1/records/E1001%0A",
                                  "/v1/records/" + "E" * 33, "/v1/records/E.1", "/v1/records/E1001%00"])
def test_what_is_not_an_employee_number_is_a_400_naming_the_field(central, path):
    response = get(central.device(), path)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request" and "employee_no" in response.json()["detail"]


def test_a_slash_in_the_number_finds_no_route(central):
    response = get(central.device(), "/v1/records/E1001%2F..")
    assert response.status_code == 404 and response.json()["error"] == "not_found"


@pytest.mark.parametrize("query", ["?limit=0", "?limit=101", "?limit=%EF%BC%91%EF%BC%92", "?limit=+5",
                                   "?limit=%205", "?limit=5_0", "?limit=1e2", "?limit=", "?limit=-1",
                                   "?limit=99999999999999999999999", "?limit=5&limit=6"])
def test_a_limit_out_of_bounds_or_not_ascii_digits_is_a_400_naming_it(central, query):
    response = get(central.device(), "/v1/records/E1001" + query)
    assert response.status_code == 400, response.text
    assert "limit" in response.json()["detail"]


def test_limit_bounds_and_the_default(central):
    kiosk = central.device()
    send(kiosk, [event(i, "kiosk.verified", {"session_id": f"s{i}", "employee_no": "E1001", "method": "sms"})
                 for i in range(1, records.MAX_LIMIT + 6)])
    assert len(records_of(kiosk, "E1001")) == records.DEFAULT_LIMIT == 20
    newest = records_of(kiosk, "E1001", "?limit=1")
    assert newest == [{"when": iso(NOW - 1000 + records.MAX_LIMIT + 5), "kind": "kiosk.verified",
                       "status": "verified", "device_id": kiosk.device_id, "ref": None}]
    assert len(records_of(kiosk, "E1001", f"?limit={records.MAX_LIMIT}")) == records.MAX_LIMIT


def test_one_terminal_cannot_walk_every_employee_s_records(central, clock, monkeypatch):
    monkeypatch.setattr(records, "FETCH_LIMIT", (3600, 3))
    kiosk, other = central.device("KSK-T-0001"), central.device("KSK-T-0002")
    for n in range(3):
        records_of(kiosk, f"E{n}")
    refused = get(kiosk, "/v1/records/E9")
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    records_of(other, "E9")                     # another terminal has its own budget
    clock.t += 3600
    records_of(kiosk, "E9", timestamp=clock.t)


def test_a_schema_2_database_indexes_the_events_it_already_holds(db_url):
    from sync.central.ingest import parse_batch
    from sync.central.storage import open_storage

    storage = open_storage(db_url, now=Clock())
    doc = {"device_id": "KSK-T-0001", "sent_at": {"wall": NOW, "mono": 1.0, "boot_id": "boot-1",
                                                  "clock_synced": True},
           "backlog": {"depth": 0, "bytes": 0, "oldest_age_s": 0.0},
           "events": [event(i + 1, t, p) for i, (t, p) in enumerate(VISIT)]}
    storage.ingest("KSK-T-0001", "nonce-0000000001", parse_batch(json.dumps(doc).encode(), "KSK-T-0001"))
    with storage.engine.transaction(serialise=True) as c:        # back to what schema 2 held
        c.execute("DROP TABLE employee_records")
        c.execute("DELETE FROM central_schema")
        c.execute("INSERT INTO central_schema (version, applied_at) VALUES (2, 0)")
    storage.close()
    for _ in range(2):                          # the second open changes nothing
        storage = open_storage(db_url, now=Clock())
        try:
            got = [(r["kind"], r["ref"], r["when"]) for r in records.records_of(storage, "E1001")]
            assert got == [("certificate.printed", "KSK-T-0001-000007", iso(NOW - 1000 + 5)),
                           ("certificate.issued", "KSK-T-0001-000007", iso(NOW - 1000 + 4)),
                           ("kiosk.verified", None, iso(NOW - 1000 + 3))]
        finally:
            storage.close()


def test_openapi_names_the_route_as_signed():
    from sync.central.app import create_app

    operation = create_app(None).openapi()["paths"]["/v1/records/{employee_no}"]["get"]
    assert operation["security"] and {"200", "400", "401", "429"} <= set(operation["responses"])
