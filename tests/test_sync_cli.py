"""``terminal sync ...`` as operators use it: enrol, emit, run, status, errors a person can act on."""

import json
import os
import signal
import subprocess
import time

import pytest

from sync.state import all_state
from tests.helpers.central_double import CentralDouble
from tests.helpers.processes import terminal_cmd
from tests.helpers.sync_helpers import REPO, enroll, open_terminal_store, write_config

DEVICE = "KSK-T-0001"


@pytest.fixture
def config(tmp_path):
    return write_config(tmp_path / "t", DEVICE)


def test_enroll_keeps_url_and_secret_in_the_store_not_the_config(run_cli, central_double, config):
    before = config.read_text()
    enroll(run_cli, central_double, config, DEVICE)
    assert config.read_text() == before
    cfg, store = open_terminal_store(config)
    with store:
        state = all_state(store.conn)
    assert state["central_url"] == central_double.url and state["device_id"] == DEVICE
    assert len(__import__("base64").b64decode(state["secret"])) == 32


def test_enroll_with_a_used_or_wrong_token_says_what_to_do(run_cli, central_double, config):
    token = central_double.issue_token(DEVICE)
    assert run_cli("sync", "enroll", "--config", str(config), "--central", central_double.url, f"--token={token}")[0] == 0
    code, out, err = run_cli("sync", "enroll", "--config", str(config), "--central", central_double.url, f"--token={token}")
    assert code == 1 and "invalid_token" in err and "terminal central token" in err and "Traceback" not in err
    code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", "http://127.0.0.1:9",
                           "--token", "x")
    assert code == 1 and "cannot reach central" in err
    code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", central_double.url, "--token", "x",
                           "--ca", "/nonexistent/ca.pem")
    assert code == 2 and "--ca /nonexistent/ca.pem" in err


def test_commands_before_enrolment_say_enrol_first(run_cli, config):
    code, _, err = run_cli("sync", "run", "--once", "--config", str(config))
    assert code == 1 and "not enrolled" in err and "terminal sync enroll" in err
    code, _, err = run_cli("sync", "pull", "--config", str(config))
    assert code == 1 and "not enrolled" in err
    code, out, _ = run_cli("sync", "status", "--config", str(config))
    assert code == 0 and "NOT ENROLLED" in out


def test_emit_run_status_round_trip(run_cli, central_double, config):
    enroll(run_cli, central_double, config, DEVICE)
    code, out, _ = run_cli("sync", "emit", "--count", "12", "--config", str(config))
    assert code == 0 and "seq 1..12" in out
    code, out, _ = run_cli("sync", "emit", "--type", "device.health", "--count", "2", "--config", str(config),
                           "--payload", '{"device": "printer", "ok": true, "summary": "ready"}')
    assert code == 0
    status = json.loads(run_cli("sync", "status", "--json", "--config", str(config))[1])
    assert status["backlog"]["depth"] == 14 and status["backlog"]["by_priority"] == {"diagnostic": 12, "telemetry": 2}
    assert status["last_success"] is None
    code, _, _ = run_cli("sync", "run", "--once", "--config", str(config))
    assert code == 0
    status = json.loads(run_cli("sync", "status", "--json", "--config", str(config))[1])
    assert status["backlog"]["depth"] == 0 and status["forwarded_total"] == 14
    assert status["last_success"]["events"] == 14 and status["clock_offset_s"] is not None
    assert {"dead_letters", "last_error", "disk", "clock_synced", "dropped_telemetry"} <= set(status)
    assert [e["payload"]["n"] for e in central_double.events() if e["type"] == "sync.diagnostic"] == list(range(1, 13))


def test_emit_refuses_bad_input_clearly(run_cli, config):
    code, _, err = run_cli("sync", "emit", "--type", "kiosk.nope", "--config", str(config))
    assert code == 1 and "unknown event type" in err
    code, _, err = run_cli("sync", "emit", "--type", "device.health", "--config", str(config))
    assert code == 1 and "lacks device, ok, summary" in err
    code, _, err = run_cli("sync", "emit", "--payload", "[1]", "--config", str(config))
    assert code == 2 and "JSON object" in err


def test_requeue_needs_an_existing_id(run_cli, config):
    code, _, err = run_cli("sync", "requeue", "42", "--config", str(config))
    assert code == 1 and "no dead letter with id 42" in err
    code, _, err = run_cli("sync", "requeue", "--config", str(config))
    assert code == 2
    code, out, _ = run_cli("sync", "dead-letters", "--config", str(config))
    assert code == 0 and "no dead letters" in out


def test_corrupt_store_is_quarantined_and_reported(run_cli, config, tmp_path):
    db = tmp_path / "t" / "state" / "terminal.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    code, out, _ = run_cli("sync", "status", "--config", str(config))
    assert code == 0 and "QUARANTINED" in out and "ATTENTION" in out
    moved = [p for p in db.parent.iterdir() if ".corrupt-" in p.name]
    assert moved, "the corrupt file is kept aside, not deleted"
    code, out, _ = run_cli("sync", "emit", "--count", "1", "--config", str(config))
    assert code == 0  # a fresh store works at once


def test_sync_run_service_stops_cleanly_on_sigterm(run_cli, central_double, config):
    enroll(run_cli, central_double, config, DEVICE)
    run_cli("sync", "emit", "--count", "3", "--config", str(config))
    proc = subprocess.Popen(terminal_cmd("sync", "run", "--config", str(config)), cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while central_double.count() < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        code, _, err2 = run_cli("sync", "run", "--once", "--config", str(config))
        assert code == 1 and f"pid {proc.pid}" in err2 and "is forwarding this store" in err2
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    events = [json.loads(line)["event"] for line in out.splitlines() if line.startswith("{")]
    assert events[0] == "sync.forwarder_started" and events[-1] == "sync.forwarder_stopped"
    assert central_double.count() == 3


@pytest.fixture
def tls_files(tmp_path):
    """A throwaway CA and a server certificate for 127.0.0.1, made with the openssl command."""
    d = tmp_path / "pki"
    d.mkdir()
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run = lambda *a: subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True)  # noqa: E731
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test central CA")
    run("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "srv.pem", "-days", "2", "-extfile", "san.ext")
    return d


def test_tls_is_verified_against_the_given_ca(run_cli, config, tls_files):
    central = CentralDouble(tls=(str(tls_files / "srv.pem"), str(tls_files / "srv.key"))).start()
    try:
        token = central.issue_token(DEVICE)
        code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url,
                               f"--token={token}")
        assert code == 1 and "TLS" in err and "--ca FILE" in err  # unknown CA: refused, said clearly
        code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url,
                               f"--token={token}", "--ca", str(tls_files / "ca.pem"))
        assert code == 0, err
        run_cli("sync", "emit", "--count", "3", "--config", str(config))
        code, _, err = run_cli("sync", "run", "--once", "--config", str(config))
        assert code == 0, err
        assert central.count() == 3
    finally:
        central.close()


def test_a_quarantined_store_continues_above_central_seqs_after_re_enrolment(run_cli, central_double, config, tmp_path):
    enroll(run_cli, central_double, config, DEVICE)
    run_cli("sync", "emit", "--count", "5", "--config", str(config))
    assert run_cli("sync", "run", "--once", "--config", str(config))[0] == 0
    db = tmp_path / "t" / "state" / "terminal.db"
    for side in ("-wal", "-shm"):
        (tmp_path / "t" / "state" / f"terminal.db{side}").unlink(missing_ok=True)
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))  # the SD card corrupts the store
    code, out, err = run_cli("sync", "run", "--once", "--config", str(config))
    assert code == 1 and "not enrolled" in err  # the secret went with the old file: say so
    enroll(run_cli, central_double, config, DEVICE)
    code, out, _ = run_cli("sync", "emit", "--count", "2", "--config", str(config))
    assert "seq 6..7" in out
    assert run_cli("sync", "run", "--once", "--config", str(config))[0] == 0
    assert [e["seq"] for e in central_double.events()] == [1, 2, 3, 4, 5, 6, 7]


def test_requeue_never_drops_a_dead_letter_whose_event_is_already_queued(run_cli, config):
    from sync.state import EVENT_COLUMNS

    run_cli("sync", "emit", "--count", "1", "--config", str(config))
    cfg, store = open_terminal_store(config)
    cols = ", ".join(EVENT_COLUMNS)
    with store:
        with store.write():
            store.conn.execute(f"INSERT INTO sync_dead_letters ({cols}, code, reason, failed_at) "
                               f"SELECT {cols}, '422', 'test', 0 FROM sync_outbox")
    code, out, err = run_cli("sync", "requeue", "--all", "--config", str(config))
    assert code == 1 and "requeued 0" in out and "kept dead letter(s) 1" in err
    cfg, store = open_terminal_store(config)
    with store:
        assert store.conn.execute("SELECT COUNT(*) FROM sync_dead_letters").fetchone()[0] == 1


def test_enrolment_registers_the_terminal_signing_key_and_keeps_it(run_cli, central_double, config):
    from sync.keys import public_key, sign, verify

    enroll(run_cli, central_double, config, DEVICE)
    registered = central_double.public_key(DEVICE)
    cfg, store = open_terminal_store(config)
    with store:
        assert public_key(store.conn) == registered
        signature = sign(store.conn, b"CERT-2026-000042")
        dump = "\n".join(store.conn.iterdump())
    assert verify(registered, b"CERT-2026-000042", signature)
    assert not verify(registered, b"CERT-2026-000043", signature)
    enroll(run_cli, central_double, config, DEVICE)  # re-enrolment registers the same key again
    assert central_double.public_key(DEVICE) == registered
    assert "terminal_ed25519" in dump


def test_events_recorded_before_re_enrolling_a_fresh_store_are_not_dead_lettered(run_cli, central_double, config, tmp_path):
    # The store is lost, the kiosk keeps serving people (recording seq 1, 2 in the new store)
    # and only then is the terminal re-enrolled: those events must reach central above its
    # seqs, not collide with the old store's 1, 2 and end as 422 dead letters.
    enroll(run_cli, central_double, config, DEVICE)
    run_cli("sync", "emit", "--count", "5", "--config", str(config))
    assert run_cli("sync", "run", "--once", "--config", str(config))[0] == 0
    state = tmp_path / "t" / "state"
    for name in ("terminal.db", "terminal.db-wal", "terminal.db-shm"):
        (state / name).unlink(missing_ok=True)
    code, out, _ = run_cli("sync", "emit", "--count", "2", "--config", str(config))
    assert code == 0 and "seq 1..2" in out
    enroll(run_cli, central_double, config, DEVICE)
    assert run_cli("sync", "run", "--once", "--config", str(config))[0] == 0
    cfg, store = open_terminal_store(config)
    with store:
        dead = store.conn.execute("SELECT COUNT(*) FROM sync_dead_letters").fetchone()[0]
    assert dead == 0
    assert [e["seq"] for e in central_double.events()] == [1, 2, 3, 4, 5, 6, 7]
    code, out, _ = run_cli("sync", "emit", "--count", "1", "--config", str(config))
    assert "seq 8..8" in out
