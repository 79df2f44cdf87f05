import json
import re
import os
import sqlite3
import stat

import pytest

from sync.store import Migration, StoreError, open_store

NOTES = [
    Migration("notes", 1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"),
    Migration("notes", 2, "ALTER TABLE notes ADD COLUMN at TEXT;\nCREATE INDEX notes_at ON notes(at);"),
]


def test_pragmas_and_permissions(tmp_path):
    path = tmp_path / "state" / "terminal.db"
    with open_store(path, NOTES) as store:
        conn = store.conn
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        with store.write() as db:
            db["notes"].insert({"body": "x"})
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        wal = path.with_name(path.name + "-wal")
        assert wal.exists() and stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_loose_directory_mode_is_tightened(tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    os.chmod(state, 0o755)
    open_store(state / "t.db").close()
    assert stat.S_IMODE(state.stat().st_mode) == 0o700


def test_migrations_apply_once_in_order(tmp_path):
    path = tmp_path / "t.db"
    with open_store(path, NOTES[:1]) as store:
        assert store.schema_versions() == {"notes": 1}
    with open_store(path, NOTES) as store:
        assert store.schema_versions() == {"notes": 2}
        assert "at" in store.db["notes"].columns_dict
    with open_store(path, NOTES) as store:  # idempotent
        assert store.conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == 2


def test_failed_migration_rolls_back_whole_step(tmp_path):
    path = tmp_path / "t.db"
    broken = NOTES[:1] + [Migration("notes", 2, "CREATE TABLE extra (x);\nINSERT INTO nowhere VALUES (1);")]
    with pytest.raises(StoreError, match="migration notes v2 failed"):
        open_store(path, broken)
    with open_store(path, NOTES[:1]) as store:
        assert store.schema_versions() == {"notes": 1}
        assert not store.db["extra"].exists()


def test_newer_schema_is_refused_not_downgraded(tmp_path):
    path = tmp_path / "t.db"
    open_store(path, NOTES).close()
    with pytest.raises(StoreError, match="newer than this software knows .1.; refusing to downgrade"):
        open_store(path, NOTES[:1])
    with open_store(path, NOTES) as store:  # untouched
        assert store.schema_versions() == {"notes": 2}


def test_write_rolls_back_on_error(tmp_path):
    with open_store(tmp_path / "t.db", NOTES) as store:
        with pytest.raises(RuntimeError):
            with store.write() as db:
                db["notes"].insert({"body": "a"})
                db["notes"].insert({"body": "b"})
                raise RuntimeError("power cut simulated")
        assert store.db["notes"].count == 0


def test_corrupt_database_is_quarantined_never_deleted(tmp_path, caplog):
    path = tmp_path / "t.db"
    with open_store(path, NOTES) as store:
        with store.write() as db:
            db["notes"].insert_all({"body": "x" * 500} for _ in range(200))
    raw = bytearray(path.read_bytes())
    raw[4096:8192] = b"\x5a" * 4096  # smash a b-tree page
    path.write_bytes(bytes(raw))
    with open_store(path, NOTES) as store:
        health = store.health()
        assert health["ok"] is False
        (event,) = health["quarantined"]
        assert event["original"] == str(path)
        assert store.db["notes"].count == 0
    moved = tmp_path / os.path.basename(event["moved_to"])
    assert moved.exists() and moved.read_bytes() == bytes(raw)


def test_not_a_database_is_quarantined(tmp_path):
    path = tmp_path / "t.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with open_store(path, NOTES) as store:
        assert store.health()["quarantined"][0]["reason"]
        store.acknowledge_quarantine()
        assert store.health()["ok"] is True


def test_quarantine_logs_critical(tmp_path, capsys):
    import io
    import logging

    from terminal.logs import setup_logging

    stream = io.StringIO()
    handler = setup_logging("info", stream)
    try:
        path = tmp_path / "t.db"
        path.write_bytes(b"garbage" * 1000)
        open_store(path).close()
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert any(r["level"] == "critical" and r["event"] == "store.quarantined" for r in lines)


def test_store_check_cli(run_cli, sim_config, tmp_path):
    cfg = sim_config("kiosk")
    code, out, _ = run_cli("store", "check", "--config", str(cfg))
    assert code == 0 and "status        OK" in out and "synchronous=full" in out
    code, out, _ = run_cli("store", "check", "--config", str(cfg), "--json")
    assert code == 0 and json.loads(out)["journal_mode"] == "wal"
    db = tmp_path / "kiosk-state" / "terminal.db"
    db.write_bytes(b"junk" * 4000)
    code, out, _ = run_cli("store", "check", "--config", str(cfg))
    assert code == 1 and "QUARANTINED" in out


def _open_as_nobody_if_root(directory) -> tuple[int, str]:
    """Open a store in a forked child; as root, drop to uid 65534 first (root ignores modes)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 0
        try:
            os.close(read_fd)
            if os.geteuid() == 0:
                os.setgid(65534)
                os.setuid(65534)
            try:
                open_store(directory / "terminal.db")
                message = "opened"
            except StoreError as exc:
                message, code = str(exc), 3
            os.write(write_fd, message.encode())
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        message = fh.read()
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), message


def test_unwritable_state_directory_names_directory_and_user(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o555)
    os.chmod(tmp_path, 0o755)
    code, message = _open_as_nobody_if_root(locked)
    assert code == 3, message
    assert re.match(rf"state directory {re.escape(str(locked))}: cannot (write to|create) it as user '\w+'", message)
    assert "install -d -m 0700" in message


def test_concurrent_writers_wait_instead_of_failing(tmp_path):
    import threading

    path = tmp_path / "t.db"
    a = open_store(path, NOTES)
    b_done = threading.Event()
    errors = []

    def writer_b():
        try:
            with open_store(path, NOTES, busy_timeout_s=5.0) as b, b.write() as db:
                db["notes"].insert({"body": "b"})
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
        b_done.set()

    with a.write() as db:
        db["notes"].insert({"body": "a"})
        thread = threading.Thread(target=writer_b)
        thread.start()
        assert not b_done.wait(0.3)  # b is waiting for a's lock, not failing
    thread.join(10)
    assert not errors and b_done.is_set()
    assert [r["body"] for r in a.db["notes"].rows] == ["a", "b"]
    a.close()


def test_sqlite_errors_are_not_swallowed(tmp_path):
    with open_store(tmp_path / "t.db", NOTES) as store:
        with pytest.raises(sqlite3.IntegrityError):
            with store.write() as db:
                db.execute("INSERT INTO notes (id, body) VALUES (1, NULL)")
