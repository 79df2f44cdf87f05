"""The forwarder against the loopback central double: outcomes, ordering, backoff, budget, time."""

import email.utils
import gzip
import json
import threading

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from sync import wire
from sync.clock import JumpedClock
from sync.forwarder import Forwarder
from sync.outbox import record
from sync.state import get_state
from tests.helpers.sync_helpers import enroll, open_terminal_store, write_config
from terminal import TerminalError

DEVICE = "KSK-T-0001"


class RecordingStop(threading.Event):
    """A stop event whose waits return at once and are recorded (the forwarder's intended sleeps)."""

    def __init__(self, stop_after_waits: int | None = None):
        super().__init__()
        self.waits: list[float] = []
        self.stop_after_waits = stop_after_waits

    def wait(self, timeout=None):
        self.waits.append(timeout)
        if self.stop_after_waits is not None and len(self.waits) >= self.stop_after_waits:
            self.set()
        return self.is_set()


@pytest.fixture
def terminal(tmp_path, central_double, run_cli):
    """(make) -> (cfg, store) for an enrolled terminal with [sync] overrides."""
    opened = []

    def make(device_id=DEVICE, **sync):
        config = write_config(tmp_path / f"t{len(opened)}", device_id, **sync)
        enroll(run_cli, central_double, config, device_id)
        cfg, store = open_terminal_store(config)
        opened.append(store)
        return cfg, store

    yield make
    for s in opened:
        s.close()


def emit(store, n, type_="sync.diagnostic", start=0, clock=None, **extra):
    payloads = {
        "sync.diagnostic": lambda i: {"n": i},
        "kiosk.verified": lambda i: {"session_id": f"s{i}", "employee_no": f"E{i}", "method": "card"},
        "dropbox.received": lambda i: {"claim_id": f"C{i}", "envelope_id": f"V{i}"},
        "device.health": lambda i: {"device": "printer", "ok": True, "summary": f"ok {i}"},
    }
    for i in range(start, start + n):
        with store.write() as db:
            record(db, type_, {**payloads[type_](i), **extra}, clock=clock)


def forwarder(cfg, store, stop=None, **kw):
    return Forwarder(store, cfg.sync, device_id=cfg.device_id, stop=stop or RecordingStop(), **kw)


def depth(store):
    return store.conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0]


def test_drains_everything_once_in_priority_then_fifo_order(terminal, central_double):
    cfg, store = terminal()
    emit(store, 5, "device.health")
    emit(store, 5, "dropbox.received")
    emit(store, 5, "kiosk.verified")
    emit(store, 5, "sync.diagnostic")
    assert forwarder(cfg, store).run(once=True) == 0
    got = central_double.events(DEVICE)
    assert [e["type"] for e in got] == (["kiosk.verified"] * 5 + ["dropbox.received"] * 5
                                        + ["device.health"] * 5 + ["sync.diagnostic"] * 5)
    for kind in {e["type"] for e in got}:
        seqs = [e["seq"] for e in got if e["type"] == kind]
        assert seqs == sorted(seqs)
    assert depth(store) == 0
    assert get_state(store.conn, "forwarded_total") == 20


def test_batches_are_capped_gzipped_and_share_one_connection(terminal, central_double):
    cfg, store = terminal(batch_max_events=7, batch_max_bytes=10_000)
    emit(store, 30, pad="y" * 1500)  # ~1.7 kB per event: the byte cap bites first (5 per batch)
    assert forwarder(cfg, store).run(once=True) == 0
    sizes = [b["events"] for b in central_double.batches]
    assert sum(sizes) == 30 and max(sizes) <= 5
    assert {b["encoding"] for b in central_double.batches} == {"gzip"}
    assert len({b["port"] for b in central_double.batches}) == 1  # keep-alive: one TCP connection

    cfg2, store2 = terminal(device_id="KSK-T-0002", batch_max_events=7)
    central_double.batches.clear()
    emit(store2, 30)
    assert forwarder(cfg2, store2).run(once=True) == 0
    assert max(b["events"] for b in central_double.batches) == 7


def test_backlog_is_reported_to_central(terminal, central_double):
    cfg, store = terminal(batch_max_events=10)
    emit(store, 25)
    forwarder(cfg, store).run(once=True)
    backlog = central_double.last_backlog(DEVICE)
    assert backlog == {"depth": 0, "bytes": 0, "oldest_age_s": None}  # nothing behind the last batch
    seen = []
    original = central_double.ingest

    def spy(device, body, headers):
        seen.append(json.loads(gzip.decompress(body))["backlog"])
        return original(device, body, headers)

    central_double.ingest = spy
    emit(store, 25)
    forwarder(cfg, store).run(once=True)
    assert [b["depth"] for b in seen] == [15, 5, 0]
    assert seen[0]["bytes"] > seen[1]["bytes"] > 0 and seen[0]["oldest_age_s"] >= 0


def test_duplicates_after_a_lost_answer_count_as_done(terminal, central_double):
    cfg, store = terminal()
    emit(store, 3)
    rows = store.conn.execute("SELECT seq, key, payload FROM sync_outbox").fetchall()
    with central_double.lock:  # central already holds them (its answer was lost)
        for seq, key, payload in rows:
            central_double.conn.execute("INSERT INTO events (device_id, seq, key, type, schema, payload) "
                                 "VALUES (?, ?, ?, 'sync.diagnostic', 1, ?)",
                                 (DEVICE, seq, key, json.dumps(json.loads(payload), sort_keys=True)))
    f = forwarder(cfg, store)
    assert f.run(once=True) == 0
    assert f.result.duplicate == 3 and central_double.count() == 3 and depth(store) == 0


def test_rejected_event_is_dead_lettered_and_can_be_requeued(terminal, central_double, run_cli):
    cfg, store = terminal()
    emit(store, 4)
    central_double.reject_seqs[2] = "payload field n out of range"
    assert forwarder(cfg, store).run(once=True) == 0
    assert [e["seq"] for e in central_double.events()] == [1, 3, 4]
    code, out, _ = run_cli("sync", "dead-letters", "--config", str(cfg.source))
    assert code == 0 and "payload field n out of range" in out and "sync.diagnostic v1" in out
    code, out, _ = run_cli("sync", "status", "--json", "--config", str(cfg.source))
    assert json.loads(out)["dead_letters"] == 1
    del central_double.reject_seqs[2]
    code, out, _ = run_cli("sync", "requeue", "1", "--config", str(cfg.source))
    assert code == 0 and "requeued 1" in out
    assert forwarder(cfg, store).run(once=True) == 0
    assert sorted(e["seq"] for e in central_double.events()) == [1, 2, 3, 4]
    assert store.conn.execute("SELECT COUNT(*) FROM sync_dead_letters").fetchone()[0] == 0


def test_413_halves_the_batch_and_a_single_huge_event_is_dead_lettered(terminal, central_double):
    cfg, store = terminal(batch_max_events=16)
    emit(store, 16)
    central_double.huge_seqs = {11}
    assert forwarder(cfg, store).run(once=True) == 0
    assert sorted(e["seq"] for e in central_double.events()) == [s for s in range(1, 17) if s != 11]
    code, reason = store.conn.execute("SELECT code, reason FROM sync_dead_letters").fetchone()
    assert code == "413" and "larger than central accepts" in reason


def test_400_isolates_the_one_bad_event(terminal, central_double):
    cfg, store = terminal(batch_max_events=32)
    emit(store, 32)
    central_double.poison_seqs = {20}
    assert forwarder(cfg, store).run(once=True) == 0
    assert sorted(e["seq"] for e in central_double.events()) == [s for s in range(1, 33) if s != 20]
    seq, code, reason = store.conn.execute("SELECT seq, code, reason FROM sync_dead_letters").fetchone()
    assert (seq, code) == (20, "400") and "malformed_event" in reason


def test_5xx_backs_off_with_full_jitter_under_the_cap(terminal, central_double):
    cfg, store = terminal(retry_base_s=0.5, retry_cap_s=4)
    emit(store, 3)
    central_double.fail_next(503, times=8)
    stop = RecordingStop()
    assert forwarder(cfg, store, stop).run(once=True) == 0
    assert len(stop.waits) == 8 and all(0 <= w <= 4 for w in stop.waits)
    assert central_double.count() == 3
    assert "503" in get_state(store.conn, "last_error")["message"]
    from sync.status import collect, render
    assert "(recovered since)" in render(collect(store, cfg))


def test_retry_after_delta_seconds_is_honoured(terminal, central_double):
    cfg, store = terminal()
    emit(store, 1)
    central_double.fail_next(429, {"Retry-After": "7"})
    central_double.fail_next(503, {"Retry-After": "3"})
    stop = RecordingStop()
    assert forwarder(cfg, store, stop).run(once=True) == 0
    assert stop.waits == [7.0, 3.0]


def test_retry_after_http_date_is_measured_on_central_clock_when_device_is_in_1970(terminal, central_double):
    cfg, store = terminal(retry_after_max_s=120)
    emit(store, 1)
    in_20s = email.utils.formatdate(central_double.now() + 20, usegmt=True)
    next_year = email.utils.formatdate(central_double.now() + 365 * 86400, usegmt=True)
    central_double.fail_next(503, {"Retry-After": in_20s})
    central_double.fail_next(503, {"Retry-After": next_year})
    stop = RecordingStop()
    clock = JumpedClock(offset_s=-1_795_000_000, pretend_synced=False)
    assert forwarder(cfg, store, stop, clock=clock).run(once=True) == 0
    assert 17 <= stop.waits[0] <= 21     # against central's clock, not the 1970 device clock
    assert stop.waits[1] == 120          # clamped
    assert central_double.count() == 1


def test_spent_retry_budget_ends_once_with_1_and_keeps_the_events(terminal, central_double):
    cfg, store = terminal(retry_budget=20)
    emit(store, 5)
    central_double.fail_next(500, times=100)
    f = forwarder(cfg, store)
    assert f.run(once=True) == 1
    assert depth(store) == 5 and central_double.count() == 0
    assert f.result.failures == 5  # 20 tokens / 5 per retry -> 4 retries after the first failure


def test_network_failure_is_retried_until_central_comes_back(terminal, central_double, tmp_path):
    cfg, store = terminal()
    emit(store, 10)
    central_double.stop()
    stop = RecordingStop()
    restarted = {}

    def wait(timeout=None):
        stop.waits.append(timeout)
        if len(stop.waits) == 3 and not restarted:
            central_double.start()  # same port
            restarted["yes"] = True
        return False

    stop.wait = wait
    assert forwarder(cfg, store, stop).run(once=True) == 0
    assert central_double.count() == 10 and len(stop.waits) >= 3
    assert "cannot reach central" in get_state(store.conn, "last_error")["message"]


def test_unknown_device_stops_with_a_re_enrol_message(terminal, central_double):
    cfg, store = terminal()
    emit(store, 2)
    central_double.forget_device(DEVICE)
    with pytest.raises(TerminalError, match="enrol it again"):
        forwarder(cfg, store).run(once=True)
    assert depth(store) == 2
    assert get_state(store.conn, "last_error")["code"] == "credentials"
    # as a service it waits for a new enrolment instead of spinning
    stop = RecordingStop(stop_after_waits=3)
    assert forwarder(cfg, store, stop).run(once=False) == 0
    assert central_double.requests.count(("/v1/events", 401)) == 2  # one per run, no retry loop


def test_service_picks_up_a_new_enrolment_after_rejection(terminal, central_double, run_cli):
    cfg, store = terminal()
    emit(store, 2)
    central_double.forget_device(DEVICE)
    stop = RecordingStop()

    def wait(timeout=None):
        stop.waits.append(timeout)
        if len(stop.waits) == 1:
            enroll(run_cli, central_double, cfg.source, DEVICE)
        if central_double.count() == 2:
            stop.set()
        return stop.is_set()

    stop.wait = wait
    assert forwarder(cfg, store, stop).run(once=False) == 0
    assert central_double.count() == 2


def test_device_clock_in_1970_or_a_year_ahead_is_corrected_by_central(terminal, central_double):
    for n, offset in enumerate((-1_795_000_000, 365 * 86400)):
        cfg, store = terminal(device_id=f"KSK-T-000{n + 5}")
        emit(store, 3)
        clock = JumpedClock(offset_s=offset, pretend_synced=False)
        store.conn.execute("DELETE FROM sync_state WHERE key = 'clock_offset'")
        assert forwarder(cfg, store, clock=clock).run(once=True) == 0
        assert abs(get_state(store.conn, "clock_offset") + offset) < 5
    assert central_double.count() == 6
    assert ("/v1/events", 401) in central_double.requests  # the first try was refused as clock_skew


def test_telemetry_ttl_uses_the_monotonic_clock_and_never_touches_audit(terminal, central_double):
    cfg, store = terminal(telemetry_ttl_s=3600)
    emit(store, 3, "device.health")
    emit(store, 2, "kiosk.verified")
    # two hours pass on the monotonic clock (same boot)
    store.conn.execute("UPDATE sync_outbox SET mono_ns = mono_ns - 7200 * 1000000000")
    emit(store, 1, "device.health", start=10)
    # a wall clock jumped a year ahead must not expire fresh telemetry
    clock = JumpedClock(offset_s=365 * 86400)
    central_double.stop()
    stop = RecordingStop(stop_after_waits=1)
    forwarder(cfg, store, stop, clock=clock).run(once=False)
    left = store.conn.execute("SELECT type, COUNT(*) FROM sync_outbox GROUP BY type").fetchall()
    assert dict(left) == {"device.health": 1, "kiosk.verified": 2}
    assert get_state(store.conn, "dropped")["ttl"] == 3


def test_telemetry_from_an_earlier_boot_expires_only_on_a_trusted_clock(terminal):
    cfg, store = terminal(telemetry_ttl_s=3600)
    emit(store, 2, "device.health")
    store.conn.execute("UPDATE sync_outbox SET boot_id = 'old-boot', ref_time = NULL WHERE seq = 1")
    store.conn.execute("UPDATE sync_outbox SET boot_id = 'old-boot', ref_time = ref_time - 7200 WHERE seq = 2")
    from sync.backlog import enforce
    enforce(store, cfg.sync, JumpedClock())
    assert [r[0] for r in store.conn.execute("SELECT seq FROM sync_outbox")] == [1]  # unknown age: kept


def test_telemetry_cap_drops_the_oldest_telemetry_only(terminal):
    cfg, store = terminal(telemetry_max_events=100)
    emit(store, 5, "kiosk.verified")
    emit(store, 150, "device.health")
    from sync.backlog import enforce
    from sync.clock import SystemClock
    report = enforce(store, cfg.sync, SystemClock())
    assert report["dropped"]["cap"] == 50
    kept = store.conn.execute("SELECT MIN(seq) FROM sync_outbox WHERE type = 'device.health'").fetchone()[0]
    assert kept == 56  # oldest 50 telemetry (seq 6..55) went
    assert store.conn.execute("SELECT COUNT(*) FROM sync_outbox WHERE type = 'kiosk.verified'").fetchone()[0] == 5


def test_disk_budget_alert_at_80_percent_and_telemetry_dropped_over_budget(terminal, run_cli):
    cfg, store = terminal(disk_budget_mb=1)
    from sync.backlog import enforce
    from sync.clock import SystemClock
    emit(store, 50, "dropbox.received", pad="t" * 17_000)      # ~850 kB of transactions: over 80%
    report = enforce(store, cfg.sync, SystemClock())
    assert report["alert"] and not any(report["dropped"].values())
    code, out, _ = run_cli("sync", "status", "--config", str(cfg.source))
    assert "ALERT" in out
    emit(store, 40, "device.health", pad="h" * 17_000)          # telemetry pushes it over the budget
    report = enforce(store, cfg.sync, SystemClock())
    assert report["dropped"]["budget"] > 0 and report["used_bytes"] <= 1024 * 1024
    assert store.conn.execute("SELECT COUNT(*) FROM sync_outbox WHERE type = 'dropbox.received'").fetchone()[0] == 50


def test_after_an_outage_the_drain_starts_late_and_is_paced(terminal, central_double):
    cfg, store = terminal(drain_start_jitter_s=30, drain_max_events_per_s=100, outage_after_s=0,
                          batch_max_events=50)
    emit(store, 200)
    stop = RecordingStop()
    assert forwarder(cfg, store, stop).run(once=True) == 0
    assert 0 <= stop.waits[0] <= 30                      # the random start delay
    paced = stop.waits[1:]
    assert len(paced) == 4 and all(0 < w <= 0.5 for w in paced)  # 50 events at 100/s -> up to 0.5 s each
    assert central_double.count() == 200


def test_no_start_delay_without_an_outage(terminal, central_double):
    cfg, store = terminal(drain_start_jitter_s=30, drain_max_events_per_s=100, outage_after_s=3600)
    emit(store, 20)
    stop = RecordingStop()
    assert forwarder(cfg, store, stop).run(once=True) == 0
    assert stop.waits == []


def test_missing_results_keep_events_queued(terminal, central_double):
    cfg, store = terminal()
    emit(store, 3)
    central_double.fail_next(200, body={"results": [{"seq": 1, "status": "accepted"}]})
    stop = RecordingStop()
    assert forwarder(cfg, store, stop).run(once=True) == 0
    # seq 1 was "accepted" by the lying answer and deleted; 2 and 3 were resent and stored
    assert sorted(e["seq"] for e in central_double.events()) == [2, 3]
    assert len(stop.waits) == 1


def test_request_body_is_the_contract(terminal, central_double):
    cfg, store = terminal()
    emit(store, 1)
    seen = {}
    original = central_double.ingest

    def spy(device, body, headers):
        seen["body"] = json.loads(gzip.decompress(body))
        return original(device, body, headers)

    central_double.ingest = spy
    forwarder(cfg, store).run(once=True)
    body = seen["body"]
    assert set(body) == {"device_id", "sent_at", "backlog", "events"}
    assert set(body["sent_at"]) == {"wall", "mono", "boot_id", "clock_synced"}
    assert set(body["events"][0]) == {"seq", "key", "type", "schema", "priority", "payload", "wall_time",
                                      "mono_ns", "boot_id", "clock_synced"}
    assert body["events"][0]["priority"] == wire.PRIORITY_DIAGNOSTIC and body["device_id"] == DEVICE


def test_a_locked_store_after_central_committed_is_resent_as_duplicates(terminal, central_double):
    import sqlite3

    from sync.store import open_store
    from terminal.migrations import all_migrations

    cfg, first = terminal()
    emit(first, 4)
    store = open_store(first.path, all_migrations(), busy_timeout_s=0.1)
    other = sqlite3.connect(first.path, isolation_level=None, check_same_thread=False)
    original = central_double.ingest

    def ingest_then_lock(device, body, headers):
        answer = original(device, body, headers)
        if not other.in_transaction and central_double.ingest_calls == 1:
            other.execute("BEGIN IMMEDIATE")  # e.g. the kiosk holds the write lock too long
        return answer

    central_double.ingest = ingest_then_lock
    stop = RecordingStop()
    stop.wait = lambda timeout=None: (other.in_transaction and other.execute("ROLLBACK"),
                                      stop.waits.append(timeout))[0] and False
    f = forwarder(cfg, store, stop)
    assert f.run(once=True) == 0
    assert central_double.count() == 4 and f.result.duplicate == 4 and depth(store) == 0
    assert f.result.failures == 1 and len(stop.waits) == 1  # one pause, then the resend
    store.close()
    other.close()


def test_central_refusing_everything_does_not_dead_letter_the_backlog(terminal, central_double):
    cfg, store = terminal(batch_max_events=4, retry_budget=50)
    emit(store, 40)
    central_double.poison_seqs = set(range(1, 41))  # e.g. a broken proxy answering 400 to every request
    f = forwarder(cfg, store)
    assert f.run(once=True) == 1  # gives up on the budget, not on the events
    dead = store.conn.execute("SELECT COUNT(*) FROM sync_dead_letters").fetchone()[0]
    assert dead == 10 and depth(store) == 30
    assert "not dead-lettering more" in get_state(store.conn, "last_error")["message"]


def test_a_cap_far_exceeded_is_enforced_in_short_chunks(terminal):
    from sync.backlog import CHUNK, enforce
    from sync.clock import SystemClock

    cfg, store = terminal(telemetry_max_events=100)
    with store.write() as db:
        for i in range(2 * CHUNK + 300):
            record(db, "device.health", {"device": "printer", "ok": True, "summary": str(i)})
        record(db, "kiosk.verified", {"session_id": "s", "employee_no": "E1", "method": "card"})
    commits = []
    store.conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    report = enforce(store, cfg.sync, SystemClock())
    store.conn.set_trace_callback(None)
    assert report["dropped"]["cap"] == 2 * CHUNK + 200
    assert len(commits) >= 3  # several short transactions, not one long one
    left = dict(store.conn.execute("SELECT type, COUNT(*) FROM sync_outbox GROUP BY type"))
    assert left == {"device.health": 100, "kiosk.verified": 1}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["accepted", "duplicate", "rejected", "missing", "garbage"]),
                min_size=1, max_size=30))
def test_every_per_event_answer_lands_each_event_in_exactly_one_place(terminal, central_double, answers):
    cfg, store = terminal(device_id=f"KSK-H-{len(central_double.requests):04d}")
    emit(store, len(answers))
    f = forwarder(cfg, store)
    f._connect(True)
    f._housekeeping(force=True)
    batch = f._next_batch()
    results = []
    for seq, answer in zip(batch.seqs, answers):
        if answer == "missing":
            continue
        status = {"garbage": "maybe"}.get(answer, answer)
        results.append({"seq": seq, "status": status, "code": "422", "reason": "test"})
    f._apply(batch, {"results": results}, False)
    queued = {r[0] for r in store.conn.execute("SELECT seq FROM sync_outbox")}
    dead = {r[0] for r in store.conn.execute("SELECT seq FROM sync_dead_letters")}
    done = {seq for seq, a in zip(batch.seqs, answers) if a in ("accepted", "duplicate")}
    assert dead == {seq for seq, a in zip(batch.seqs, answers) if a == "rejected"}
    assert queued == {seq for seq, a in zip(batch.seqs, answers) if a in ("missing", "garbage")}
    assert not (queued & dead) and not (done & (queued | dead)) and queued | dead | done == set(batch.seqs)
    central_double.requests.append(("hypothesis", 0))
    f.client.close()


def test_a_400_that_is_not_centrals_answer_dead_letters_nothing(terminal):
    # A proxy's own 400 (e.g. nginx "plain HTTP request was sent to HTTPS port") says nothing
    # about the events: before, the forwarder split down to single events and dead-lettered
    # ten audit/transaction events that central never looked at.
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Proxy400(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"<html><body><h1>400 Bad Request</h1>The plain HTTP request was sent to HTTPS port</body></html>"
            self.send_response(400)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy400)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cfg, store = terminal(batch_max_events=4, retry_budget=50)
        emit(store, 8, "kiosk.verified")
        with store.write():
            store.conn.execute("UPDATE sync_state SET value = ? WHERE key = 'central_url'",
                               (json.dumps(f"http://127.0.0.1:{server.server_address[1]}"),))
        assert forwarder(cfg, store).run(once=True) == 1  # the budget ends it; the events wait
    finally:
        server.shutdown()
        server.server_close()
    assert store.conn.execute("SELECT COUNT(*) FROM sync_dead_letters").fetchone()[0] == 0
    assert depth(store) == 8
    message = get_state(store.conn, "last_error")["message"]
    assert "400" in message and "not central's" in message and "central URL" in message


def test_the_disk_budget_is_enforced_without_rescanning_the_outbox_per_chunk(terminal):
    # Over budget by thousands of events, housekeeping summed the whole outbox again after
    # every 1000 rows dropped: with a large backlog that stalled the forwarder for minutes.
    from sync.backlog import enforce
    from sync.clock import SystemClock

    cfg, store = terminal(disk_budget_mb=1)
    with store.write() as db:
        for i in range(12_000):
            record(db, "device.health", {"device": "printer", "ok": True, "summary": f"{i:08d}" + "x" * 40})
        record(db, "kiosk.verified", {"session_id": "s", "employee_no": "E1", "method": "card"})
    sums = []
    store.conn.set_trace_callback(lambda sql: sums.append(sql) if "SUM(size)" in sql else None)
    report = enforce(store, cfg.sync, SystemClock())
    store.conn.set_trace_callback(None)
    used = store.conn.execute("SELECT SUM(size) FROM sync_outbox").fetchone()[0]
    assert report["dropped"]["budget"] > 5000 and report["used_bytes"] == used <= 1024 * 1024
    assert len(sums) <= 2  # measured once (and once more to report), not once per chunk
    assert store.conn.execute("SELECT COUNT(*) FROM sync_outbox WHERE type = 'kiosk.verified'").fetchone()[0] == 1
