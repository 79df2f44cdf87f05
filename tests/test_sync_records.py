"""The device side of "my records": sync.client.get_records / fetch_records against the reference central
(uvicorn, SQLite).  One kiosk's events travel through its outbox and the real forwarder; another kiosk,
with its own enrolment, reads the employee's records back."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from sync.client import (CentralCallFailed, CentralClient, Credentials, CredentialsRejected, Retryable,
                         fetch_records, get_records)
from tests.central.conftest import RunningCentral
from tests.helpers.sync_helpers import open_terminal_store, write_config

SERIAL = "KSK-T-0001-000042"
VISIT = [
    ("kiosk.code_checked", {"session_id": "s1", "employee_no": "E1001", "ok": True, "attempts_left": 4}),
    ("kiosk.verified", {"session_id": "s1", "employee_no": "E1001", "method": "sms"}),
    ("certificate.printed", {"session_id": "s1", "employee_no": "E1001", "kind": "employment",
                             "verification_code": "CODEVALUE", "serial": SERIAL}),
    ("kiosk.verified", {"session_id": "s2", "employee_no": "E1002", "method": "sms"}),
]


@pytest.fixture
def central(tmp_path):
    from sync.central.app import create_app
    from sync.central.storage import open_storage

    storage = open_storage(str(tmp_path / "central.db"))
    running = RunningCentral(create_app(storage), storage)
    yield running
    running.stop()
    storage.close()


def kiosk(tmp_path, central, run_cli, device_id: str, *, enrol: bool = True):
    config = write_config(tmp_path / device_id, device_id)
    if enrol:
        token = central.storage.create_token(device_id, ttl_s=600)
        code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url, f"--token={token}")
        assert code == 0, err
    return open_terminal_store(config)


def client_of(central, device_id: str) -> CentralClient:
    device = central.device(device_id)
    return CentralClient(Credentials(central.url, device.device_id, device.secret), connect_timeout_s=5,
                         read_timeout_s=10)


def test_another_kiosk_reads_what_one_kiosk_forwarded(tmp_path, central, run_cli):
    from sync.forwarder import Forwarder
    from sync.outbox import record

    cfg, store = kiosk(tmp_path, central, run_cli, "KSK-T-0001")
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with store:
        with store.write() as db:
            for event_type, payload in VISIT:
                record(db, event_type, payload)
        assert Forwarder(store, cfg.sync, device_id=cfg.device_id).run(once=True) == 0
    after = dt.datetime.now(dt.timezone.utc)
    cfg2, store2 = kiosk(tmp_path, central, run_cli, "KSK-T-0002")
    with store2:
        got = fetch_records(store2, cfg2, "E1001")
        assert [(r["kind"], r["status"], r["device_id"], r["ref"]) for r in got] == [
            ("certificate.printed", "printed", "KSK-T-0001", SERIAL),
            ("kiosk.verified", "verified", "KSK-T-0001", None)]
        for r in got:                      # central's clock, ISO 8601 UTC, as the kiosk writes its own
            assert r["when"].endswith("+00:00") and before <= dt.datetime.fromisoformat(r["when"]) <= after
        assert got[0]["when"] >= got[1]["when"]
        assert [r["kind"] for r in fetch_records(store2, cfg2, "E1001", limit=1)] == ["certificate.printed"]
        assert fetch_records(store2, cfg2, "E9999") == []


def test_limit_is_passed_and_bounded(central):
    from sync.central.client import make_event

    device = central.device("KSK-T-0001")
    events = [make_event(i, type="kiosk.verified", payload={"session_id": f"s{i}", "employee_no": "E1001",
                                                             "method": "sms"}) for i in range(1, 31)]
    assert device.post_events(events).status_code == 200
    c = client_of(central, "KSK-T-0002")
    assert len(get_records(c, "E1001")) == 20
    assert len(get_records(c, "E1001", 25)) == 25
    assert len(get_records(c, "E1001", limit=1)) == 1
    c.close()


@pytest.mark.parametrize("employee_no", ["", "E 1", "E1001/../x", "Ｅ1001", "E1" * 17, "E1001\n", None, 1001])
def test_a_bad_employee_number_is_refused_before_any_request(central, employee_no):
    c = client_of(central, "KSK-T-0001")
    c.base = "http://127.0.0.1:9"          # nothing listens: a request would fail differently
    with pytest.raises(ValueError, match="is not 1-32 ASCII letters"):
        get_records(c, employee_no)


@pytest.mark.parametrize("limit", [0, 101, -1, True, 2.0, "5", None])
def test_a_limit_out_of_range_is_refused_before_any_request(central, limit):
    c = client_of(central, "KSK-T-0001")
    c.base = "http://127.0.0.1:9"
    with pytest.raises(ValueError, match="limit"):
        get_records(c, "E1001", limit)


def test_central_unreachable_is_retryable(central):
    c = client_of(central, "KSK-T-0001")
    with socket.socket() as s:             # bound and never listening: the connection is refused
        s.bind(("127.0.0.1", 0))
        c.base = f"http://127.0.0.1:{s.getsockname()[1]}"
        with pytest.raises(Retryable, match="cannot reach central"):
            get_records(c, "E1001")


def test_a_device_central_does_not_know_must_enrol_again(central):
    device = central.device("KSK-T-0001")
    c = CentralClient(Credentials(central.url, device.device_id, b"y" * 32), connect_timeout_s=5, read_timeout_s=10)
    with pytest.raises(CredentialsRejected):
        get_records(c, "E1001")


@pytest.mark.parametrize("answer", [
    {"employee_no": "E1001"},
    {"employee_no": "E1002", "records": []},
    {"employee_no": "E1001", "records": {"when": "x"}},
    {"employee_no": "E1001", "records": [{"when": "2027-01-15T07:43:25+00:00", "kind": "kiosk.verified",
                                          "status": "verified", "device_id": "K", "ref": 5}]},
    {"employee_no": "E1001", "records": [{"when": "", "kind": "kiosk.verified", "status": "verified",
                                          "device_id": "K", "ref": None}]},
    {"employee_no": "E1001", "records": [{"when": "t", "kind": "k", "status": "s", "device_id": "K" * 65,
                                          "ref": None}]},
    {"employee_no": "E1001", "records": [None]},
    ["not", "an", "object"],
])
def test_an_answer_that_is_not_records_is_not_taken_for_them(central, monkeypatch, answer):
    c = client_of(central, "KSK-T-0001")
    monkeypatch.setattr(c, "_classify", lambda response: answer)
    with pytest.raises(Retryable, match="records answer"):
        get_records(c, "E1001")


def test_a_kiosk_that_is_not_enrolled_is_told_so(tmp_path, central, run_cli):
    cfg, store = kiosk(tmp_path, central, run_cli, "KSK-T-0003", enrol=False)
    with store, pytest.raises(CentralCallFailed, match="not enrolled"):
        fetch_records(store, cfg, "E1001")
