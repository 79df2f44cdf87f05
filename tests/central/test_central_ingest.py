"""Signed batch ingest: exactly-once per (device, seq), per-event results, bad input refused whole.

Every test runs on SQLite and on PostgreSQL (see conftest.py).
"""

from __future__ import annotations

import gzip
import json
import threading
import time

import pytest
import requests

from sync import wire
from sync.central.client import DeviceClient, batch_body, make_event


def feed(storage, device_id=None):
    return storage.feed(0, 100_000, device_id)[0]


def results(response):
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_batch_is_stored_once_and_a_retry_is_all_duplicates(reference_central):
    device = reference_central.device()
    first = results(device.post_events([make_event(s) for s in range(1, 11)]))
    assert [r["status"] for r in first] == ["accepted"] * 10
    assert [r["code"] for r in first] == [wire.CODE_ACCEPTED] * 10
    again = results(device.post_events([make_event(s) for s in range(1, 11)]))
    assert [r["status"] for r in again] == ["duplicate"] * 10
    stored = feed(reference_central.storage)
    assert [(e["device_id"], e["seq"]) for e in stored] == [("KSK-T-0001", s) for s in range(1, 11)]
    assert stored[3]["payload"] == {"n": 4} and stored[3]["type"] == "sync.diagnostic"


def test_a_batch_mixing_far_apart_seqs_is_deduplicated_per_seq(reference_central):
    # Priorities drain first, so one batch can carry seq 3 next to seq 900000.
    device = reference_central.device()
    batch = [make_event(900_000), make_event(3), make_event(2 ** 40)]
    assert [r["status"] for r in results(device.post_events(batch))] == ["accepted"] * 3
    assert [r["status"] for r in results(device.post_events(batch + [make_event(4)]))] == [
        "duplicate", "duplicate", "duplicate", "accepted"]
    assert sorted(e["seq"] for e in feed(reference_central.storage)) == [3, 4, 900_000, 2 ** 40]


def test_unknown_backlog_age_and_missing_boot_id_are_accepted(reference_central):
    # After a reboot without NTP a device cannot tell its oldest event's age; say so with null.
    device = reference_central.device()
    doc = json.loads(batch_body(device.device_id, [make_event(1, boot_id="")], backlog_depth=7))
    doc["backlog"]["oldest_age_s"] = None
    doc["sent_at"]["boot_id"] = ""
    assert results(_post_raw(device, json.dumps(doc).encode()))[0]["status"] == "accepted"
    (terminal,) = reference_central.status("/v1/status").json()["terminals"]
    assert terminal["backlog"] == {"depth": 7, "bytes": 0, "oldest_age_s": None}
    assert "unknown" in reference_central.status("/status").text


def test_uncompressed_batch_is_accepted(reference_central):
    device = reference_central.device()
    assert results(device.post_events([make_event(1)], gzipped=False))[0]["status"] == "accepted"


def test_key_and_payload_conflicts_are_rejected_with_422(reference_central):
    device = reference_central.device()
    results(device.post_events([make_event(1, payload={"n": 1}), make_event(2, key="k-2")]))
    out = results(device.post_events([
        make_event(1, payload={"n": 999}),                 # same seq, other payload
        make_event(2, key="k-other"),                      # same seq, other key
        make_event(3, key="k-2", payload={"n": 3}),        # same key as seq 2, other payload
        make_event(4, key="k-2", payload={"n": 2}),        # same key and payload as seq 2: already stored
        make_event(5),
    ]))
    assert [(r["status"], r["code"]) for r in out] == [
        ("rejected", 422), ("rejected", 422), ("rejected", 422), ("duplicate", 200), ("accepted", 201)]
    assert "different payload" in out[0]["reason"] and "different key" in out[1]["reason"]
    assert [e["seq"] for e in feed(reference_central.storage)] == [1, 2, 5]
    assert feed(reference_central.storage)[0]["payload"] == {"n": 1}


def test_the_same_seq_twice_in_one_batch_is_stored_once(reference_central):
    device = reference_central.device()
    out = results(device.post_events([make_event(7), make_event(7), make_event(7, payload={"n": 0})]))
    assert [r["status"] for r in out] == ["accepted", "duplicate", "rejected"]
    assert len(feed(reference_central.storage)) == 1


def test_unknown_type_or_schema_version_is_rejected_per_event_with_400(reference_central):
    device = reference_central.device()
    out = results(device.post_events([
        make_event(1),
        make_event(2, type="kiosk.teleported", payload={}),
        make_event(3, schema=7),
        make_event(4, type="dropbox.received", payload={"claim_id": "C1"}),   # lacks envelope_id
        make_event(5),
    ]))
    assert [(r["status"], r["code"]) for r in out] == [
        ("accepted", 201), ("rejected", 400), ("rejected", 400), ("rejected", 400), ("accepted", 201)]
    assert "unknown event type" in out[1]["reason"]
    assert "unknown schema version 7" in out[2]["reason"]
    assert "envelope_id" in out[3]["reason"]
    assert [e["seq"] for e in feed(reference_central.storage)] == [1, 5]


def test_an_event_with_a_wrongly_typed_field_is_rejected_alone(reference_central):
    device = reference_central.device()
    bad = make_event(2)
    bad["mono_ns"] = "yesterday"
    out = results(device.post_events([make_event(1), bad]))
    assert [r["status"] for r in out] == ["accepted", "rejected"]
    assert "mono_ns" in out[1]["reason"]


def _refused(response, status: int, error: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["detail"]
    return body


def _post_raw(device: DeviceClient, body: bytes, **headers):
    return device.signed("POST", "/v1/events", body, {"Content-Type": "application/json", **headers})


def test_malformed_json_is_refused_and_nothing_stored(reference_central):
    device = reference_central.device()
    good = batch_body(device.device_id, [make_event(1)])
    _refused(_post_raw(device, good[:-5]), 400, "malformed_json")
    _refused(_post_raw(device, b'{"device_id": NaN}'), 400, "malformed_json")
    _refused(_post_raw(device, "{\"a\": \"\xff\"}".encode("latin-1")), 400, "malformed_json")
    assert feed(reference_central.storage) == []


def test_malformed_or_truncated_gzip_is_refused_and_nothing_stored(reference_central):
    device = reference_central.device()
    packed = gzip.compress(batch_body(device.device_id, [make_event(1)]))
    _refused(_post_raw(device, b"not gzip at all", **{"Content-Encoding": "gzip"}), 400, "malformed_gzip")
    _refused(_post_raw(device, packed[: len(packed) // 2], **{"Content-Encoding": "gzip"}), 400, "malformed_gzip")
    _refused(_post_raw(device, packed + b"junk", **{"Content-Encoding": "gzip"}), 400, "malformed_gzip")
    _refused(_post_raw(device, packed, **{"Content-Encoding": "br"}), 415, "unsupported_encoding")
    assert feed(reference_central.storage) == []


def test_a_batch_of_the_wrong_shape_is_refused_whole(reference_central):
    device = reference_central.device()
    _refused(_post_raw(device, b"[]"), 400, "bad_batch")
    other = batch_body("DBX-SOMEONE-ELSE", [make_event(1)])
    assert "differs from the signed" in _refused(_post_raw(device, other), 400, "bad_batch")["detail"]
    doc = json.loads(batch_body(device.device_id, [make_event(1), make_event(2)]))
    doc["events"][1]["seq"] = -4
    assert "events[1].seq" in _refused(_post_raw(device, json.dumps(doc).encode()), 400, "bad_batch")["detail"]
    del doc["backlog"]
    _refused(_post_raw(device, json.dumps(doc).encode()), 400, "bad_batch")
    assert feed(reference_central.storage) == []


def test_oversized_batches_are_refused_with_413_and_nothing_stored(reference_central):
    device = reference_central.device()
    too_many = [make_event(s) for s in range(1, wire.MAX_BATCH_EVENTS + 2)]
    _refused(device.post_events(too_many), 413, "too_large")
    # A small gzip that inflates beyond the limit (a "gzip bomb").
    bomb = gzip.compress(b" " * (wire.MAX_BODY_BYTES + 1024))
    assert len(bomb) < 100_000
    _refused(_post_raw(device, bomb, **{"Content-Encoding": "gzip"}), 413, "too_large")
    _refused(_post_raw(device, b" " * (wire.MAX_BODY_BYTES + 1)), 413, "too_large")
    assert feed(reference_central.storage) == []


def test_wrong_signature_is_refused_and_nothing_stored(reference_central):
    device = reference_central.device()
    forged = DeviceClient(reference_central.url, device.device_id, b"x" * 32)
    body = _refused(forged.post_events([make_event(1)]), 401, "bad_signature")
    assert isinstance(body["server_time"], float)
    # A body changed after signing fails too.
    signed = wire.sign_request(device.secret, "POST", "/v1/events", b"{}", device_id=device.device_id)
    r = requests.post(reference_central.url + "/v1/events", data=batch_body(device.device_id, [make_event(1)]),
                      headers=signed, timeout=10)
    _refused(r, 401, "bad_signature")
    r = requests.post(reference_central.url + "/v1/events", data=batch_body(device.device_id, [make_event(1)]),
                      timeout=10)
    assert "missing" in _refused(r, 401, "bad_signature")["detail"]
    assert feed(reference_central.storage) == []


def test_unknown_device_is_refused(reference_central):
    stranger = DeviceClient(reference_central.url, "KSK-NOBODY-0001", b"s" * 32)
    assert "enrol" in _refused(stranger.post_events([make_event(1)]), 401, "unknown_device")["detail"]
    assert feed(reference_central.storage) == []


def test_a_replayed_request_is_refused_and_stored_only_once(reference_central):
    device = reference_central.device()
    body = gzip.compress(batch_body(device.device_id, [make_event(1)]))
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    ts = time.time()
    first = device.signed("POST", "/v1/events", body, headers, timestamp=ts, nonce="n" * 32)
    assert results(first)[0]["status"] == "accepted"
    replay = device.signed("POST", "/v1/events", body, headers, timestamp=ts, nonce="n" * 32)
    _refused(replay, 401, "replayed")
    assert len(feed(reference_central.storage)) == 1


def test_clock_skew_is_refused_with_server_time_and_a_corrected_retry_works(reference_central):
    device = reference_central.device()
    r = device.signed("POST", "/v1/events", batch_body(device.device_id, [make_event(1)]),
                      timestamp=time.time() - wire.REPLAY_WINDOW_S - 60)
    body = _refused(r, 401, "clock_skew")
    assert abs(body["server_time"] - time.time()) < 60
    assert abs(float(r.headers[wire.H_SERVER_TIME]) - time.time()) < 60
    # A device whose wall clock says 1970 signs with the offset it learnt from server_time.
    device.clock_offset = body["server_time"] - 0.0
    assert results(device.signed("POST", "/v1/events", batch_body(device.device_id, [make_event(1)]),
                                 timestamp=0.0 + device.clock_offset))[0]["status"] == "accepted"


def test_storage_failure_mid_batch_stores_nothing_and_asks_for_a_retry(reference_central, storage):
    # A trigger makes the 250th insert fail inside the transaction.
    if storage.name == "sqlite":
        ddl = ["CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.seq = 250 "
               "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"]
        drop = "DROP TRIGGER boom"
    else:
        ddl = ["CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN IF NEW.seq = 250 THEN "
               "RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
               "CREATE TRIGGER boom BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION boom()"]
        drop = "DROP TRIGGER boom ON events"
    with storage.engine.transaction() as c:
        for statement in ddl:
            c.execute(statement)
    device = reference_central.device()
    events = [make_event(s) for s in range(1, 501)]
    r = device.post_events(events)
    assert r.status_code == 503 and r.json()["error"] == "storage_error"
    assert int(r.headers["Retry-After"]) > 0
    assert feed(reference_central.storage) == []
    with storage.engine.transaction() as c:
        c.execute(drop)
    assert [x["status"] for x in results(device.post_events(events))] == ["accepted"] * 500
    assert len(feed(reference_central.storage)) == 500


def test_every_response_carries_server_time(reference_central):
    for r in (requests.get(reference_central.url + "/healthz", timeout=10),
              requests.get(reference_central.url + "/no/such/path", timeout=10),
              requests.post(reference_central.url + "/v1/events", data=b"{}", timeout=10)):
        assert float(r.headers[wire.H_SERVER_TIME]) > 1e9
    assert requests.get(reference_central.url + "/no/such/path", timeout=10).json()["error"] == "not_found"


def test_status_reports_backlog_clock_offset_and_last_error(reference_central):
    device = reference_central.device()
    results(device.post_events([make_event(1), make_event(3)], backlog_depth=42, wall=time.time() - 100))
    results(device.post_events([make_event(4, type="kiosk.teleported", payload={})]))
    status = reference_central.status("/v1/status").json()
    (terminal,) = status["terminals"]
    assert terminal["device_id"] == device.device_id
    assert terminal["backlog"]["depth"] == 0           # the latest report wins
    assert terminal["events_total"] == 2 and terminal["max_seq"] == 3 and terminal["seq_gaps"] == 1
    assert abs(terminal["clock_offset_s"]) < 30
    assert "kiosk.teleported" in terminal["last_error"]
    assert terminal["last_seen"] is not None
    page = reference_central.status("/status")
    assert page.status_code == 200 and device.device_id in page.text and "kiosk.teleported" in page.text


def test_clock_offset_is_central_time_minus_device_wall_clock(reference_central):
    device = reference_central.device()
    results(device.post_events([make_event(1)], backlog_depth=42, wall=time.time() - 100))
    (terminal,) = reference_central.status("/v1/status").json()["terminals"]
    assert 95 < terminal["clock_offset_s"] < 130
    assert terminal["backlog"]["depth"] == 42


def _hold_ingest_lock(storage):
    """Block every ingest transaction from outside central (another writer holding the lock)."""
    from sync.central.engines import INGEST_LOCK_KEY

    if storage.name == "sqlite":
        import sqlite3

        conn = sqlite3.connect(storage.engine.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return lambda: (conn.execute("ROLLBACK"), conn.close())
    import psycopg

    conn = psycopg.connect(storage.engine.url, autocommit=True)
    conn.execute("SELECT pg_advisory_lock(%s)", (INGEST_LOCK_KEY,))
    return lambda: (conn.execute("SELECT pg_advisory_unlock(%s)", (INGEST_LOCK_KEY,)), conn.close())


def test_overload_is_answered_503_with_retry_after(make_central, storage):
    central = make_central(max_active=1, max_waiting=0)
    device = central.device()
    release = _hold_ingest_lock(storage)
    first: dict = {}
    worker = threading.Thread(target=lambda: first.update(r=device.post_events([make_event(1)])))
    try:
        worker.start()
        deadline = time.monotonic() + 10
        while central.app.state.admission.pending < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        second = DeviceClient(central.url, device.device_id, device.secret).post_events([make_event(2)])
        assert second.status_code == 503
        assert second.json()["error"] == "overloaded"
        assert int(second.headers["Retry-After"]) >= 1
    finally:
        release()
        worker.join(timeout=30)
    assert results(first["r"])[0]["status"] == "accepted"
    assert [e["seq"] for e in feed(storage)] == [1]


def test_a_consumer_following_the_feed_during_concurrent_ingest_misses_nothing(make_central, storage):
    # Feed ids must become visible in order: a consumer that has seen cursor N
    # must never later find an event below N appear (it would skip it forever).
    central = make_central(max_active=4)
    devices = [central.device(f"KSK-T-{i:04d}") for i in range(4)]
    done = threading.Event()
    seen: list[dict] = []

    def send(device):
        for start in range(1, 301, 25):
            assert all(r["status"] == "accepted" for r in results(
                device.post_events([make_event(s) for s in range(start, start + 25)])))

    def consume():
        after = 0
        while True:
            finished = done.is_set()
            items, _ = storage.feed(after, 1000)
            seen.extend(items)
            after = int(items[-1]["cursor"]) if items else after
            if finished and not items:
                return

    consumer = threading.Thread(target=consume)
    consumer.start()
    senders = [threading.Thread(target=send, args=(d,)) for d in devices]
    for t in senders:
        t.start()
    for t in senders:
        t.join()
    done.set()
    consumer.join(timeout=60)
    assert len(seen) == 4 * 300
    assert [e["cursor"] for e in seen] == [e["cursor"] for e in feed(storage)]
    for d in devices:
        assert [e["seq"] for e in seen if e["device_id"] == d.device_id] == list(range(1, 301))


@pytest.mark.parametrize("field, value, answer", [
    ("sent_at.wall", 10 ** 400, 400),            # overflows a float
    ("sent_at.mono", 10 ** 400, 400),
    ("events.0.wall_time", 10 ** 400, 400),
    ("backlog.oldest_age_s", 2 ** 70, 200),      # a fine float; SQLite could not bind it as an int
])
def test_the_engines_agree_on_numbers_near_the_limits(reference_central, field, value, answer):
    # Before, SQLite answered 503 storage_error (retried for ever) where PostgreSQL stored it,
    # and overflowing numbers were a 503 on both instead of a clear 400.
    device = reference_central.device()
    doc = json.loads(batch_body(device.device_id, [make_event(1)]))
    head, name = field.rsplit(".", 1)
    target = doc
    for part in head.split("."):
        target = target[int(part)] if part.isdigit() else target[part]
    target[name] = value
    response = _post_raw(device, json.dumps(doc).encode())
    if answer == 200:
        assert results(response)[0]["status"] == "accepted"
        assert len(feed(reference_central.storage)) == 1
        return
    if field.startswith("events."):  # one event's problem: that event is rejected, the batch answered
        assert results(response)[0]["status"] == "rejected" and results(response)[0]["code"] == 400
    else:
        assert field in _refused(response, 400, "bad_batch")["detail"]
    assert feed(reference_central.storage) == []
    assert results(device.post_events([make_event(1)]))[0]["status"] == "accepted"


def test_a_body_that_trickles_in_cannot_hold_an_ingest_slot_for_ever(make_central, storage):
    # A stalled upload (a dying cellular link, or someone who knows a device id) used to keep one of
    # the few admission slots until the socket died: enough of them and every terminal got 503.
    # Headers that pass every check before the body now wait for the body outside any slot.
    import socket
    from urllib.parse import urlsplit

    central = make_central(max_active=1, max_waiting=0, body_timeout_s=0.5)
    device = central.device()
    url = urlsplit(central.url)
    forged = wire.sign_request(b"x" * 32, "POST", "/v1/events", b"", device_id=device.device_id)
    head = "".join(f"{k}: {v}\r\n" for k, v in forged.items())
    slow = socket.create_connection((url.hostname, url.port), timeout=15)
    try:
        slow.sendall(f"POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n{head}"
                     f"Content-Length: 1000\r\n\r\n{{\"device_id\":".encode())
        # While it trickles, the one working slot is free for a signed ingest.
        assert results(device.post_events([make_event(1)]))[0]["status"] == "accepted"
        answer = ""
        while "}" not in answer:  # headers and the JSON body may come in separate segments
            chunk = slow.recv(4096).decode(errors="replace")
            if not chunk:
                break
            answer += chunk
    finally:
        slow.close()
    assert answer.startswith("HTTP/1.1 408") and "body_timeout" in answer
    assert results(device.post_events([make_event(2)]))[0]["status"] == "accepted"


def test_a_held_ingest_lock_is_a_503_to_retry_not_a_hang(db_url, monkeypatch):
    # On PostgreSQL the ingest lock (pg_advisory_xact_lock) waited without any limit: one stuck
    # transaction and every ingest thread hung for good. Both engines now give up and say retry.
    from sync.central import engines
    from sync.central.app import create_app
    from sync.central.storage import open_storage
    from tests.central.conftest import RunningCentral

    monkeypatch.setattr(engines, "SQLITE_BUSY_TIMEOUT_MS", 300)
    monkeypatch.setattr(engines, "POSTGRES_LOCK_TIMEOUT_MS", 300)
    storage = open_storage(db_url)
    central = RunningCentral(create_app(storage), storage)
    try:
        device = central.device()
        release = _hold_ingest_lock(storage)
        try:
            refused = device.post_events([make_event(1)])
        finally:
            release()
        assert refused.status_code == 503 and refused.json()["error"] == "storage_error"
        assert refused.headers["Retry-After"]
        assert results(device.post_events([make_event(1)]))[0]["status"] == "accepted"
        assert [e["seq"] for e in feed(storage)] == [1]
    finally:
        central.stop()
        storage.close()


def test_the_status_page_flags_an_error_only_until_the_terminal_recovers():
    # Every Pi without an RTC boots, gets one 401 clock_skew, corrects itself and forwards: that
    # terminal must not stay red on the status page for ever.
    from sync.central.status_page import render_status

    now = 1_800_000_000.0
    base = {"device_id": "KSK-1", "clock_offset_s": 0.2, "clock_synced": True, "backlog": None,
            "events_total": 5, "seq_gaps": 0}
    recovered = {**base, "last_seen": now - 5, "last_error": "401 clock_skew: ...", "last_error_at": now - 60}
    failing = {**base, "device_id": "KSK-2", "last_seen": now - 60, "last_error": "401 bad_signature: ...",
               "last_error_at": now - 5}
    page = render_status([recovered, failing], now=now)
    rows = {line.split("<td>")[1].split("</td>")[0]: line for line in page.splitlines() if line.startswith("<tr class")}
    assert rows["KSK-1"].startswith('<tr class="ok">') and "recovered since" in rows["KSK-1"]
    assert rows["KSK-2"].startswith('<tr class="bad">') and "recovered since" not in rows["KSK-2"]


def test_a_storage_failure_on_feed_enrol_or_status_is_a_json_503_not_a_bare_500(reference_central, storage):
    token = storage.create_consumer_token("approvals")
    enrol_token = storage.create_token("KSK-T-0009", ttl_s=600)
    with storage.engine.transaction() as c:
        for table in ("events", "enrol_tokens", "devices"):
            c.execute(f"ALTER TABLE {table} RENAME TO {table}_away")
    try:
        answers = [
            requests.get(reference_central.url + "/v1/feed", headers={"Authorization": f"Bearer {token}"}, timeout=10),
            requests.post(reference_central.url + "/v1/enroll", json={"device_id": "KSK-T-0009", "token": enrol_token},
                          timeout=10),
            reference_central.status("/v1/status"),
        ]
    finally:
        with storage.engine.transaction() as c:
            for table in ("events", "enrol_tokens", "devices"):
                c.execute(f"ALTER TABLE {table}_away RENAME TO {table}")
    for r in answers:
        assert r.status_code == 503, r.text
        assert r.json()["error"] == "storage_error" and int(r.headers["Retry-After"]) > 0
