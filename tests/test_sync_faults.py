"""Proofs: a fault-injecting proxy, and kill -9 of the forwarder many times during a drain."""

import os
import random
import signal
import subprocess
import time

import pytest

from sync.forwarder import Forwarder
from sync.outbox import record
from sync.state import set_state
from tests.helpers.central_double import CentralDouble
from tests.helpers.fault_proxy import FAULTS, FaultProxy
from tests.helpers.processes import terminal_cmd
from tests.helpers.sync_helpers import REPO, e2e_central, enroll, open_terminal_store, outbox_head, write_config


def fill(store, n, chunk=1000):
    for start in range(0, n, chunk):
        with store.write() as db:  # big transactions keep set-up fast; record() is the same call
            for i in range(start, min(n, start + chunk)):
                record(db, "sync.diagnostic", {"n": i + 1})


def assert_exactly_once_in_order(central, device, n):
    events = central.events(device)
    seqs = [e["seq"] for e in events]
    assert len(seqs) == n, f"{n - len(seqs)} events missing"
    assert len(set(seqs)) == n, "an event was stored twice"
    assert seqs == sorted(seqs), "events arrived out of order"
    assert [e["payload"]["n"] for e in events] == list(range(1, n + 1))


def test_every_network_fault_in_one_run_loses_and_doubles_nothing(tmp_path, run_cli):
    device = "KSK-F-0001"
    central = e2e_central(str(tmp_path / "central.db"), [device])
    proxy = FaultProxy(("127.0.0.1", central.port), seed=11, fault_rate=0.3, hold_s=2.0).start()
    try:
        config = write_config(tmp_path / "t", device, batch_max_events=40, read_timeout_s=0.6,
                              retry_base_s=0.01, retry_cap_s=0.1, retry_budget=100_000)
        code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url,
                               f"--token={central.token(device)}")
        assert code == 0, err
        cfg, store = open_terminal_store(config)
        with store:
            with store.write():
                set_state(store.conn, "central_url", proxy.url)  # route the forwarder through the proxy
            fill(store, 1200)
            f = Forwarder(store, cfg.sync, device_id=cfg.device_id)
            assert f.run(once=True) == 0
            assert store.conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == 0
            assert store.conn.execute("SELECT COUNT(*) FROM sync_dead_letters").fetchone()[0] == 0
        assert_exactly_once_in_order(central, device, 1200)
        assert all(proxy.counts[fault] >= 1 for fault in FAULTS), proxy.counts
        assert f.result.duplicate > 0  # answers were lost after central committed, and that was handled
    finally:
        proxy.close()
        central.stop()


@pytest.mark.slow
def test_kill_9_the_forwarder_50_times_during_a_20000_event_drain(tmp_path):
    """The issue's chaos test. Central (in its own process, durable) is kill -9ed a few times too.

    The receiver is the reference central (SYNC_E2E_CENTRAL=double: the test double).
    """
    device = "KSK-C-0001"
    central = e2e_central(str(tmp_path / "central.db"), [device])
    # Every restart finds an old backlog (outage_after_s=0), so the drain is paced at 4,000 events/s:
    # that keeps 50 random kills inside the drain while the final catch-up stays quick.
    config = write_config(tmp_path / "t", device, batch_max_events=40, read_timeout_s=2.0,
                          retry_base_s=0.01, retry_cap_s=0.1, retry_budget=100_000, outage_after_s=0,
                          drain_max_events_per_s=4000)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(terminal_cmd("sync", "enroll", "--config", str(config), "--central", central.url,
                            f"--token={central.token(device)}"), cwd=REPO, env=env, check=True,
                   capture_output=True)
    cfg, store = open_terminal_store(config)
    with store:
        fill(store, 20_000)
    rng = random.Random(2026)
    kills = central_kills = 0
    proc = None
    try:
        while kills < 50:
            before = outbox_head(config)
            proc = subprocess.Popen(terminal_cmd("sync", "run", "--config", str(config), "--log-level", "error"),
                                    cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while outbox_head(config) == before and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.005)  # wait until this forwarder is mid-drain ...
            time.sleep(rng.uniform(0, 0.08))  # ... then kill it at a random instant
            if kills % 16 == 15:  # now and then central dies first, mid-batch, and comes back
                central.kill()
                central_kills += 1
                time.sleep(rng.uniform(0, 0.2))
                central.start()
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        assert outbox_head(config) is not None, "the kills must land during the drain"
        proc = subprocess.run(terminal_cmd("sync", "run", "--once", "--config", str(config)), cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert_exactly_once_in_order(central, device, 20_000)
        cfg, store = open_terminal_store(config)
        with store:
            assert store.conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0] == 0
            assert store.health()["ok"]
        assert central_kills == 3
    finally:
        if isinstance(proc, subprocess.Popen) and proc.poll() is None:  # a failed run leaves no forwarder
            proc.kill()
            proc.wait()
        central.stop()


def test_disk_full_on_the_device_recovers_when_space_returns(tmp_path, run_cli):
    central = CentralDouble().start()
    try:
        config = write_config(tmp_path / "t", "KSK-D-0001", batch_max_events=100)
        enroll(run_cli, central, config, "KSK-D-0001")
        cfg, store = open_terminal_store(config)
        from sync.outbox import OutboxFull
        with store:
            fill(store, 200)
            pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
            store.conn.execute(f"PRAGMA max_page_count = {pages}")  # the disk is now full
            with pytest.raises(OutboxFull, match="disk is full"):
                for i in range(2000):
                    with store.write() as db:
                        record(db, "sync.diagnostic", {"n": 10_000 + i, "pad": "z" * 400})
            accepted_while_full = store.conn.execute("SELECT COUNT(*) FROM sync_outbox").fetchone()[0]
            # the forwarder still drains (deletes need no new pages) and so frees space
            assert Forwarder(store, cfg.sync, device_id=cfg.device_id).run(once=True) == 0
            assert central.count() == accepted_while_full
            with store.write() as db:
                record(db, "sync.diagnostic", {"n": 99_999})  # space is back
            assert store.conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    finally:
        central.close()



@pytest.mark.parametrize("jump_s", [-1_795_000_000, 365 * 86400], ids=["1970", "plus-1-year"])
def test_a_jumped_device_clock_is_corrected_by_central_end_to_end(tmp_path, run_cli, jump_s):
    from sync.clock import JumpedClock
    from sync.state import get_state

    device = "KSK-J-0001"
    central = e2e_central(str(tmp_path / "central.db"), [device])
    try:
        config = write_config(tmp_path / "t", device)
        code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url,
                               f"--token={central.token(device)}")
        assert code == 0, err
        cfg, store = open_terminal_store(config)
        clock = JumpedClock(offset_s=jump_s, pretend_synced=False)
        with store:
            with store.write():
                store.conn.execute("DELETE FROM sync_state WHERE key = 'clock_offset'")  # nothing known yet
            with store.write() as db:
                for i in range(1, 4):
                    record(db, "sync.diagnostic", {"n": i}, clock=clock)
            assert Forwarder(store, cfg.sync, device_id=cfg.device_id, clock=clock).run(once=True) == 0
            assert abs(get_state(store.conn, "clock_offset") + jump_s) < 5
        assert_exactly_once_in_order(central, device, 3)
    finally:
        central.stop()


def test_an_answer_that_trickles_in_for_ever_is_a_timeout_not_a_hang():
    # requests' read timeout is per socket read: a proxy dribbling a byte now and then kept the
    # forwarder (and its SIGTERM) waiting for as long as it liked. The whole answer now has a deadline.
    import socket
    import threading

    from sync.client import CentralClient, Credentials, Retryable

    server = socket.create_server(("127.0.0.1", 0))
    seen = {"gave_up": False}

    def dribble():
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n")
                for _ in range(600):  # at most 60 s, far beyond the client's deadline
                    conn.sendall(b" ")
                    time.sleep(0.1)
            except OSError:
                seen["gave_up"] = True

    worker = threading.Thread(target=dribble, daemon=True)
    worker.start()
    creds = Credentials(f"http://127.0.0.1:{server.getsockname()[1]}", "KSK-T-0001", b"s" * 32)
    client = CentralClient(creds, connect_timeout_s=0.5, read_timeout_s=0.5)
    try:
        with pytest.raises(Retryable, match="did not answer in time") as exc:
            client.post_events(b"{}")
        assert exc.value.timeout
    finally:
        client.close()
    worker.join(timeout=70)
    server.close()
    assert seen["gave_up"]
