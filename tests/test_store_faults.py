"""Issue 8, part 1: an ordinary fault of the machine never looks like corruption.

Field cases: a store chown'd to root by a root run, and a full disk when the
store is opened.  The kind: ownership and mode of every file beside the store,
read-only and full file systems, locks; only SQLite's corrupt / not-a-database
answers or a failed quick_check quarantine.  The commands run as an
unprivileged user (uid 65534, in a forked child, as tests/test_store.py does)
and on a small tmpfs that is filled up; both need root and skip without it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import pytest

from sync.outbox import record
from sync.state import all_state, set_state
from sync.store import StoreUnavailable, open_store
from sync.store_faults import is_corruption
from terminal.config_init import render_config
from terminal.migrations import all_migrations

NOBODY = 65534
ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown files and drop to another uid")


# -- set-up helpers -----------------------------------------------------------------

@pytest.fixture
def public_dir():
    """A directory uid 65534 can reach (pytest's tmp_path is 0700 under root)."""
    path = Path(tempfile.mkdtemp(prefix="st-faults-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def small_fs():
    """A 1 MiB tmpfs to fill up; unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    mnt = Path(tempfile.mkdtemp(prefix="st-small-"))
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0755", "tmpfs", str(mnt)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        os.rmdir(mnt)
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)
    os.rmdir(mnt)


def enrolled_terminal(root: Path, events: int) -> tuple[Path, Path]:
    """A config and an enrolled store holding ``events`` unsent events and a signing key."""
    from sync.keys import ensure_terminal_key

    state = root / "state"
    config = root / "t.toml"
    config.write_text(render_config("kiosk", state_dir=str(state), device_id="KSK-T-0001", site="t", sim=True))
    db = state / "terminal.db"
    with open_store(db, all_migrations()) as store:
        ensure_terminal_key(store)
        with store.write() as tx:
            set_state(store.conn, "secret", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXM=")
            set_state(store.conn, "central_url", "http://127.0.0.1:9")
            set_state(store.conn, "device_id", "KSK-T-0001")
            for n in range(events):
                record(tx, "sync.diagnostic", {"n": n})
    return config, db


def fill(fs: Path) -> Path:
    """Fill the file system to the last byte."""
    filler = fs / "filler"
    with open(filler, "wb", buffering=0) as fh:
        for chunk in (65536, 4096, 1):  # down to the last byte
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * chunk)
    assert os.statvfs(fs).f_bavail == 0
    return filler


def holdings(db: Path) -> dict:
    """What a store file holds, read without SQLite's help to change it (as root)."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        state = all_state(conn)
        return {"events": conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0],
                "enrolled": bool(state.get("secret")), "signing_key": "terminal_ed25519" in state}
    finally:
        conn.close()


def run_cli_as(uid: int | None, *argv: str) -> tuple[int, str, str]:
    """Run ``terminal ARGV`` in a forked child, as ``uid`` when given; return (code, stdout, stderr)."""
    from terminal import cli

    cli.build_parser()  # import every command module before the fork: the child may not read the repo
    import sync.forwarder, sync.pull, sync.sdnotify, sync.status, terminal.selftest  # noqa: F401,E401
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(read_fd)
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(list(argv))
            os.write(write_fd, json.dumps([code, out.getvalue(), err.getvalue()]).encode())
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    return tuple(json.loads(data))


def siblings(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if ".corrupt-" in p.name or ".replaced-" in p.name)


# -- the field case: a store owned by root ------------------------------------------

@ROOT_ONLY
@pytest.mark.parametrize("command", [("sync", "status"), ("store", "check"), ("sync", "emit"),
                                     ("sync", "run", "--once"), ("sync", "dead-letters")])
def test_root_owned_store_is_refused_with_the_fix_and_never_moved(public_dir, command):
    config, db = enrolled_terminal(public_dir, 3)
    os.chown(db.parent, NOBODY, NOBODY)          # the service user's state directory ...
    os.chown(db, 0, 0)                           # ... holding a file a root run made
    os.chmod(db, 0o600)
    code, out, err = run_cli_as(NOBODY, *command, "--config", str(config))
    assert code != 0
    assert "NOT ENROLLED" not in out and "backlog" not in out
    assert f"{db}: cannot use the database as user " in err
    assert "terminal.db (owner root:root, mode 0600)" in err
    assert f"fix: sudo chown " in err and str(db) in err.split("fix:")[1]
    assert "Nothing was moved" in err
    assert siblings(db) == []
    assert holdings(db) == {"events": 3, "enrolled": True, "signing_key": True}


@ROOT_ONLY
@pytest.mark.parametrize("side", ["-wal", "-shm", ".forwarder.lock"])
def test_every_file_beside_the_store_made_by_root_is_named(public_dir, side):
    config, db = enrolled_terminal(public_dir, 3)
    for f in [db.parent, *db.parent.iterdir()]:
        os.chown(f, NOBODY, NOBODY)
    other = Path(f"{db}{side}")
    other.write_bytes(b"")
    os.chown(other, 0, 0)
    os.chmod(other, 0o600)
    code, _, err = run_cli_as(NOBODY, "sync", "run", "--once", "--config", str(config))
    assert code != 0
    assert f"{other.name} (owner root:root, mode 0600)" in err
    assert f"sudo chown nobody: " in err and str(other) in err
    assert siblings(db) == []
    os.chown(other, NOBODY, NOBODY)              # the fix the message gives works
    code, _, err = run_cli_as(NOBODY, "store", "check", "--config", str(config))
    assert code == 0, err


@ROOT_ONLY
def test_own_file_without_write_permission_gets_chmod(public_dir):
    config, db = enrolled_terminal(public_dir, 1)
    for f in [db.parent, *db.parent.iterdir()]:
        os.chown(f, NOBODY, NOBODY)
    os.chmod(db, 0o400)
    code, _, err = run_cli_as(NOBODY, "sync", "status", "--config", str(config))
    assert code != 0 and f"fix: chmod 600 {db}" in err and "mode 0400" in err
    assert siblings(db) == []


# -- the field case: a full disk --------------------------------------------------

@pytest.mark.parametrize("command", [("store", "check"), ("sync", "emit"), ("sync", "status"),
                                     ("selftest",)])
def test_full_disk_refuses_moves_nothing_and_recovers(small_fs, command):
    config, db = enrolled_terminal(small_fs, 5)
    filler = fill(small_fs)
    code, out, err = run_cli_as(None, *command, "--config", str(config))
    assert code != 0
    text = out + err
    assert "is full (0 bytes free)" in text and "free space there" in text
    assert "Nothing was moved" in text and "running as 'root'" in text
    assert siblings(db) == [] and db.stat().st_size > 0
    filler.unlink()
    code, out, err = run_cli_as(None, "store", "check", "--config", str(config))
    assert code == 0 and "status        OK" in out, err
    code, out, _ = run_cli_as(None, "sync", "status", "--config", str(config))
    assert "http://127.0.0.1:9" in out and "backlog       5 events" in out


def test_forwarder_lock_holds_on_a_full_disk(small_fs):
    from sync.forwarder import single_forwarder

    _, db = enrolled_terminal(small_fs, 1)
    fill(small_fs)
    with single_forwarder(db):   # the pid cannot be written; the flock still is the lock
        pass


def test_read_only_file_system_is_named(small_fs):
    config, db = enrolled_terminal(small_fs, 2)
    subprocess.run(["mount", "-o", "remount,ro", str(small_fs)], check=True)
    try:
        code, _, err = run_cli_as(None, "store", "check", "--config", str(config))
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_fs)], check=True)
    assert code != 0 and "is read-only" in err and "mount -o remount,rw" in err
    assert siblings(db) == [] and holdings(db)["events"] == 2


def test_damaged_store_on_a_full_disk_is_still_remembered(small_fs):
    """The quarantine is a rename (no space needed); its record in a fresh database may not be."""
    config, db = enrolled_terminal(small_fs, 1)
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8192)
    for side in ("-wal", "-shm"):
        Path(f"{db}{side}").unlink(missing_ok=True)
    filler = fill(small_fs)
    code, _, err = run_cli_as(None, "store", "check", "--config", str(config))
    assert code != 0 and "is full" in err
    assert len([s for s in siblings(db) if s.endswith(tuple("0123456789"))]) == 1
    filler.unlink()
    code, out, _ = run_cli_as(None, "store", "check", "--config", str(config))
    assert code == 1 and "status        ATTENTION" in out and "QUARANTINED" in out
    assert "found beside the store" in out


# -- corruption is still corruption, and nothing else is --------------------------

def test_only_corrupt_and_notadb_answers_mean_corruption(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 500)
    with pytest.raises(sqlite3.DatabaseError) as notadb:
        sqlite3.connect(junk).execute("PRAGMA quick_check")
    assert is_corruption(notadb.value)
    with pytest.raises(sqlite3.OperationalError) as cantopen:
        sqlite3.connect(f"{tmp_path.as_uri()}?mode=rw", uri=True).execute("SELECT 1")
    assert not is_corruption(cantopen.value)          # a directory: SQLITE_CANTOPEN
    good = tmp_path / "good.db"
    sqlite3.connect(good).execute("CREATE TABLE t (x)").connection.close()
    ro = sqlite3.connect(f"{good.as_uri()}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as readonly:
        ro.execute("INSERT INTO t VALUES (1)")
    assert readonly.value.sqlite_errorname == "SQLITE_READONLY" and not is_corruption(readonly.value)
    assert not is_corruption(sqlite3.DatabaseError("database disk image is malformed"))  # no code: not SQLite's


def test_damaged_page_is_quarantined(tmp_path):
    db = tmp_path / "t.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.commit()
    conn.close()
    data = bytearray(db.read_bytes())
    data[4096 * 3: 4096 * 3 + 64] = b"\xee" * 64        # scribble over a b-tree page header
    db.write_bytes(bytes(data))
    with open_store(db) as store:
        (event,) = store.health()["quarantined"]
    assert event["moved_to"].startswith(f"{db}.corrupt-")


def test_directory_in_place_of_the_store_is_not_corruption(tmp_path):
    (tmp_path / "terminal.db").mkdir()
    with pytest.raises(StoreUnavailable, match="Nothing was moved|left as it is"):
        open_store(tmp_path / "terminal.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["terminal.db"]


# -- a quarantined sibling is loud everywhere, and recoverable --------------------

@pytest.fixture
def lost_enrolment(tmp_path):
    """An enrolled store that was moved aside (as a quarantine does), and a fresh one in its place."""
    config, db = enrolled_terminal(tmp_path, 5)
    moved = db.with_name("terminal.db.corrupt-20261130T141950")
    db.rename(moved)
    for side in ("-wal", "-shm"):
        if Path(f"{db}{side}").exists():
            Path(f"{db}{side}").rename(Path(f"{moved}{side}"))
    return config, db, moved


def test_lost_enrolment_is_loud_in_store_check_status_selftest_and_run(run_cli, lost_enrolment):
    config, db, moved = lost_enrolment
    code, out, _ = run_cli("store", "check", "--config", str(config))
    assert code == 1 and "status        ATTENTION" in out
    assert (f"that file passes quick_check; holds 5 unsent events, the enrolment with central (KSK-T-0001), "
            f"the signing key") in out
    assert f"THIS STORE IS NOT ENROLLED" in out and f"terminal store restore {moved}" in out
    code, out, _ = run_cli("sync", "status", "--config", str(config))
    assert f"NOT ENROLLED, but the quarantined {moved} holds an enrolment" in out
    assert "store         ATTENTION" in out and "THIS STORE IS NOT ENROLLED" in out
    code, out, _ = run_cli("selftest", "--config", str(config))
    (row,) = [line for line in out.splitlines() if line.startswith("store ")]
    assert code == 1 and "FAIL" in row and "THIS STORE IS NOT ENROLLED" in row and str(moved) in row
    code, _, err = run_cli("sync", "run", "--once", "--config", str(config))
    assert code == 1 and f"quarantined store {moved} holds its enrolment" in err
    code, out, _ = run_cli("store", "check", "--config", str(config), "--json")
    (q,) = json.loads(out)["quarantined"]
    assert q["holds"]["unsent_events"] == 5 and "secret" not in json.dumps(q["holds"]).lower().replace(
        '"enrolled"', "")


def test_restore_puts_the_store_back_and_keeps_the_fresh_one(run_cli, lost_enrolment):
    config, db, moved = lost_enrolment
    run_cli("store", "check", "--config", str(config))      # the fresh store now exists
    code, out, err = run_cli("store", "restore", str(moved), "--config", str(config))
    assert code == 0, err
    assert "holds 5 unsent events" in out and "store OK" in out
    assert not moved.exists() and [s for s in siblings(db) if ".replaced-" in s]
    code, out, _ = run_cli("sync", "status", "--config", str(config))
    assert "http://127.0.0.1:9" in out and "backlog       5 events" in out and "store         OK" in out


def test_restore_refuses_a_damaged_file_and_a_store_with_its_own_events(run_cli, lost_enrolment, tmp_path):
    config, db, moved = lost_enrolment
    junk = tmp_path / "state" / "terminal.db.corrupt-20261130T000000"
    junk.write_bytes(b"junk" * 1000)
    code, _, err = run_cli("store", "restore", str(junk), "--config", str(config))
    assert code == 1 and "cannot be restored" in err and junk.exists()
    run_cli("sync", "emit", "--count", "2", "--config", str(config))
    code, _, err = run_cli("store", "restore", str(moved), "--config", str(config))
    assert code == 1 and "holds 2 events of its own" in err and moved.exists()


def test_acknowledge_quiets_the_warning_and_keeps_the_files(run_cli, lost_enrolment):
    config, db, moved = lost_enrolment
    code, out, _ = run_cli("store", "acknowledge", "--config", str(config))
    assert code == 0 and "acknowledged 1" in out
    code, out, _ = run_cli("store", "check", "--config", str(config))
    assert code == 0 and "status        OK" in out and moved.exists()
