"""The outbox: one transaction with the business record, gap-free seqs, honest time stamps."""

import json
import re
import sqlite3

import pytest

from sync import wire
from sync.clock import BOOT_ID_PATH, JumpedClock, kernel_clock_synced
from sync.outbox import OutboxError, OutboxFull, record
from sync.state import MIGRATIONS
from sync.store import Migration, open_store

BUSINESS = [Migration("claims_test", 1, "CREATE TABLE claims (id INTEGER PRIMARY KEY, claim_id TEXT NOT NULL)")]


@pytest.fixture
def store(tmp_path):
    s = open_store(tmp_path / "t.db", MIGRATIONS + BUSINESS)
    yield s
    s.close()


def outbox(store):
    return store.conn.execute("SELECT seq, key, type, priority FROM sync_outbox ORDER BY seq").fetchall()


def test_event_and_business_record_commit_together(store):
    with store.write() as db:
        db["claims"].insert({"claim_id": "C-1"})
        rec = record(db, "dropbox.received", {"claim_id": "C-1", "envelope_id": "E-1"}, key="claim-C-1")
    assert rec.seq == 1 and rec.key == "claim-C-1"
    assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 1
    assert outbox(store) == [(1, "claim-C-1", "dropbox.received", wire.PRIORITY_TRANSACTION)]


def test_rollback_takes_both_and_gives_the_seq_back(store):
    with pytest.raises(RuntimeError):
        with store.write() as db:
            db["claims"].insert({"claim_id": "C-1"})
            record(db, "dropbox.received", {"claim_id": "C-1", "envelope_id": "E-1"})
            raise RuntimeError("printer jammed before commit")
    assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    assert outbox(store) == []
    with store.write() as db:
        assert record(db, "sync.diagnostic", {"n": 1}).seq == 1  # no gap


def test_bad_event_raises_at_the_caller_and_nothing_is_kept(store):
    with pytest.raises(OutboxError, match="lacks envelope_id"):
        with store.write() as db:
            db["claims"].insert({"claim_id": "C-1"})
            record(db, "dropbox.received", {"claim_id": "C-1"})
    with pytest.raises(OutboxError, match="unknown event type"):
        with store.write() as db:
            record(db, "dropbox.exploded", {})
    with pytest.raises(OutboxError, match="unknown schema version 7"):
        with store.write() as db:
            record(db, "sync.diagnostic", {"n": 1}, version=7)
    with pytest.raises(OutboxError, match="not plain JSON"):
        with store.write() as db:
            record(db, "sync.diagnostic", {"n": object()})
    with pytest.raises(OutboxError, match="at most 200 characters"):
        with store.write() as db:
            record(db, "sync.diagnostic", {"n": 1}, key="k" * 201)
    with pytest.raises(OutboxError, match="more than the"):
        with store.write() as db:
            record(db, "sync.diagnostic", {"n": 1, "blob": "x" * 300_000})
    assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    assert outbox(store) == []


def test_record_outside_a_transaction_is_refused(store):
    with pytest.raises(OutboxError, match="inside the business record's write transaction"):
        record(store.db, "sync.diagnostic", {"n": 1})


def test_same_idempotency_key_twice_is_refused(store):
    with store.write() as db:
        record(db, "sync.diagnostic", {"n": 1}, key="k1")
    with pytest.raises(OutboxError, match="already in the outbox"):
        with store.write() as db:
            record(db, "sync.diagnostic", {"n": 2}, key="k1")
    assert len(outbox(store)) == 1
    with store.write() as db:
        assert record(db, "sync.diagnostic", {"n": 3}).seq == 2  # the refusal used no number


def test_every_event_carries_time_facts_and_priority(store):
    with store.write() as db:
        record(db, "kiosk.verified", {"session_id": "s", "employee_no": "E1", "method": "card"})
        record(db, "device.health", {"device": "printer", "ok": True, "summary": "ready"})
    rows = store.conn.execute("SELECT type, priority, wall_time, mono_ns, boot_id, clock_synced, key, payload "
                              "FROM sync_outbox ORDER BY seq").fetchall()
    boot = open(BOOT_ID_PATH).read().strip()
    assert [r[1] for r in rows] == [wire.PRIORITY_AUDIT, wire.PRIORITY_TELEMETRY]
    for _, _, wall, mono, boot_id, synced, key, payload in rows:
        assert wall > 1_600_000_000 and mono > 0 and boot_id == boot
        assert bool(synced) == kernel_clock_synced()
        assert len(key) == 32
        assert json.loads(payload)
    assert rows[0][3] < rows[1][3]  # monotonic order


def test_wall_clock_at_1970_is_recorded_as_is_and_flagged(store):
    clock = JumpedClock(offset_s=-1_795_000_000, pretend_synced=False)
    with store.write() as db:
        record(db, "sync.diagnostic", {"n": 1}, clock=clock)
    wall, synced, ref = store.conn.execute("SELECT wall_time, clock_synced, ref_time FROM sync_outbox").fetchone()
    assert wall < 10_000_000 and synced == 0
    assert ref is None  # nothing vouches for the time: no TTL decision may use it


def test_seqs_from_two_connections_are_unique_and_gap_free(tmp_path):
    path = tmp_path / "t.db"
    a, b = open_store(path, MIGRATIONS), open_store(path, MIGRATIONS)
    for i in range(50):
        for s in (a, b):
            with s.write() as db:
                record(db, "sync.diagnostic", {"n": i})
    seqs = [r[0] for r in a.conn.execute("SELECT seq FROM sync_outbox ORDER BY seq")]
    assert seqs == list(range(1, 101))
    a.close()
    b.close()


def test_disk_full_refuses_the_transaction_cleanly(store):
    with store.write() as db:
        record(db, "sync.diagnostic", {"n": 0})
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
    recorded = 0
    with pytest.raises(OutboxFull, match="disk is full"):
        for i in range(10_000):
            with store.write() as db:
                db["claims"].insert({"claim_id": f"C-{i}"})
                record(db, "sync.diagnostic", {"n": i, "pad": "x" * 500})
            recorded += 1
    assert store.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    claims = store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0]
    assert claims == recorded  # the refused transaction left no business record behind
    assert store.conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == recorded + 1
    assert not store.conn.in_transaction


def test_other_sqlite_errors_are_not_disguised(store):
    store.conn.execute("DROP TABLE sync_counter")
    with pytest.raises(sqlite3.OperationalError):
        with store.write() as db:
            record(db, "sync.diagnostic", {"n": 1})


def test_text_central_could_never_take_is_refused_at_record_time(store):
    # A lone surrogate (e.g. from a badly decoded card field) or a NUL in the key would
    # otherwise escape as a raw UnicodeEncodeError or end as a dead letter central refuses.
    with pytest.raises(OutboxError, match="not plain JSON"):
        with store.write() as db:
            db["claims"].insert({"claim_id": "C-1"})
            record(db, "sync.diagnostic", {"n": 1, "note": "bad \ud800 text"})
    for bad_key in ("k\x00", "k\udc80"):
        with pytest.raises(OutboxError, match="idempotency key"):
            with store.write() as db:
                record(db, "sync.diagnostic", {"n": 1}, key=bad_key)
    assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    assert outbox(store) == []


def test_personal_data_never_enters_an_event(store):
    # Events leave the terminal for central and its feed: "full ID numbers never leave the
    # reader's memory", and phones, names and one-time codes do not travel unmasked either.
    verified = {"session_id": "s-1", "employee_no": "E1001", "method": "card"}
    leaks = [
        ({**verified, "id_number": "11010519491231002X"}, "id_number"),
        ({**verified, "holder": {"name": "Li Lei"}}, "holder.name"),
        ({**verified, "notes": ["ok", "called 138 1234 5678 back"]}, "notes[1]"),
        ({**verified, "sms_code": "493817"}, "sms_code"),
        ({**verified, "card": 110105194912310021}, "card"),
    ]
    for payload, field in leaks:
        with pytest.raises(OutboxError, match=rf"payload field '{re.escape(field)}' carries personal data") as exc:
            with store.write() as db:
                db["claims"].insert({"claim_id": "C-1"})
                record(db, "kiosk.verified", payload)
        assert "1101051949" not in str(exc.value) and "1234" not in str(exc.value)
        assert "Li Lei" not in str(exc.value) and "493817" not in str(exc.value)
    with pytest.raises(OutboxError, match="idempotency key carries an ID or phone number") as exc:
        with store.write() as db:
            record(db, "kiosk.verified", verified, key="verify-11010519491231002X")
    assert "1101051949" not in str(exc.value)
    assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    assert outbox(store) == []
    with store.write() as db:  # masked identifiers, long plain numbers and amounts travel
        record(db, "kiosk.verified", {**verified, "id_number": "1101**********002X", "name": "李*",
                                      "phone": "138****5678", "amount_cents": 12345678901, "n": 1.5})
    assert len(outbox(store)) == 1
