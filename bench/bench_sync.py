"""Store-and-forward figures: durable enqueue, backlog drain, forwarder memory with a huge backlog.

The receiver is the reference central, ``terminal central serve --db FILE
--listen 127.0.0.1:PORT`` (durable SQLite, synchronous=FULL) in its own process,
with a token from ``terminal central token --db FILE --device-id D``.
``BENCH_SYNC_CENTRAL=double`` measures against the loopback test double
(tests/central_double.py) instead
(``BENCH_SYNC_TERMINAL=/path/to/terminal`` picks another installation's command).
``BENCH_SYNC_QUICK=1`` shrinks the backlogs (for a smoke run).
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from bench.loopback import free_port

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

QUICK = os.environ.get("BENCH_SYNC_QUICK") == "1"
DRAIN_N = 10_000 if QUICK else 100_000
RSS_N = 100_000 if QUICK else 1_000_000
RSS_RUN_S = 8.0
BENCH_SYNC = {"drain_start_jitter_s": 0, "drain_max_events_per_s": 0, "pull_interval_s": 0,
              "batch_max_events": 500, "idle_poll_s": 0.05}


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "terminal", *args]


def _central(*args: str) -> list[str]:
    """``terminal central ...``; BENCH_SYNC_TERMINAL names another ``terminal`` executable to use."""
    other = os.environ.get("BENCH_SYNC_TERMINAL")
    return [other, "central", *args] if other else _cli("central", *args)



class Receiver:
    """A durable central on loopback, in its own process."""

    def __init__(self, directory: Path, device_id: str):
        self.db = directory / "central.db"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.kind = os.environ.get("BENCH_SYNC_CENTRAL", "terminal")
        if self.kind == "terminal":
            argv = _central("serve", "--db", str(self.db), "--listen", f"127.0.0.1:{self.port}")
        else:
            self.token = "bench-token-" + device_id
            argv = [sys.executable, str(REPO / "tests" / "central_double.py"), "--db", str(self.db),
                    "--listen", f"127.0.0.1:{self.port}", "--token", f"{device_id}={self.token}"]
        self.proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"receiver {argv} did not start")
                time.sleep(0.05)
        if self.kind == "terminal":
            out = subprocess.run(_central("token", "--db", str(self.db), "--device-id", device_id),
                                 cwd=REPO, capture_output=True, text=True, check=True).stdout
            self.token = out.strip().split()[-1]

    def count(self) -> int:
        """Events the receiver holds (read from its database after the fact, not timed)."""
        if self.kind == "double":
            with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
                return conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
        out = subprocess.run(_central("events", "--db", str(self.db), "--json"), cwd=REPO,
                             capture_output=True, text=True, check=True).stdout
        return sum(1 for line in out.splitlines() if line.startswith("{"))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _terminal(directory: Path, device_id: str, **sync):
    from sync_helpers import open_terminal_store, write_config

    config = write_config(directory, device_id, **{**BENCH_SYNC, **sync})
    return config, open_terminal_store(config)


def _fill(store, n: int, chunk: int = 10_000) -> None:
    from sync.outbox import record

    for start in range(0, n, chunk):
        with store.write() as db:
            for i in range(start, min(n, start + chunk)):
                # Transactions: never dropped by the telemetry cap, so the whole backlog is forwarded.
                record(db, "dropbox.received", {"claim_id": f"C-{i:08d}", "envelope_id": f"E-{i:08d}"})


def bench_enqueue(tmp: Path) -> None:
    from sync.outbox import record

    _, (cfg, store) = _terminal(tmp / "enqueue", "KSK-B-0001")
    with store:
        n = 3000
        started = time.perf_counter()
        for i in range(n):
            with store.write() as db:  # one durable COMMIT per event, as a kiosk transaction does
                record(db, "dropbox.received", {"claim_id": f"C-{i}", "envelope_id": f"E-{i}"})
        elapsed = time.perf_counter() - started
    print(f"sync single-event durable enqueue: {n / elapsed:,.0f} events/s "
          f"({n} record() calls, each its own COMMIT, WAL synchronous=FULL; target >= 3,000)")


def _enroll(config: Path, receiver: Receiver) -> None:
    subprocess.run(_cli("sync", "enroll", "--config", str(config), "--central", receiver.url,
                        f"--token={receiver.token}"), cwd=REPO, check=True, capture_output=True)


def bench_drain(tmp: Path) -> None:
    device = "KSK-B-0002"
    config, (cfg, store) = _terminal(tmp / "drain", device)
    with store:
        _fill(store, DRAIN_N)
    receiver = Receiver(tmp / "drain", device)
    try:
        _enroll(config, receiver)
        started = time.perf_counter()
        proc = subprocess.run(_cli("sync", "run", "--once", "--config", str(config), "--log-level", "error"),
                              cwd=REPO, capture_output=True, text=True)
        elapsed = time.perf_counter() - started
        held = receiver.count()
    finally:
        receiver.stop()
    ok = "ok" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr.strip()[-200:]}"
    check = f", receiver holds {held:,}"
    print(f"sync backlog drain: {elapsed:.2f} s for {DRAIN_N:,} events = {DRAIN_N / elapsed:,.0f} events/s "
          f"(sync run --once incl. process start, batches of 500, gzip, durable on both ends, "
          f"receiver {receiver.kind}{check}; {ok}; target <= 10 s)")


def bench_rss(tmp: Path) -> None:
    device = "KSK-B-0003"
    config, (cfg, store) = _terminal(tmp / "rss", device)
    started = time.perf_counter()
    with store:
        _fill(store, RSS_N, chunk=50_000)
    fill_s = time.perf_counter() - started
    receiver = Receiver(tmp / "rss", device)
    try:
        _enroll(config, receiver)
        proc = subprocess.Popen(_cli("sync", "run", "--config", str(config), "--log-level", "error"), cwd=REPO,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # VmHWM is the peak RSS of the forwarder's own address space. (wait4's ru_maxrss is not:
        # Linux carries the forked parent's RSS across exec into it.)
        peak_kb = 0
        deadline = time.monotonic() + RSS_RUN_S
        while time.monotonic() < deadline and proc.poll() is None:
            peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
            time.sleep(0.1)
        peak_kb = max(peak_kb, _vm_hwm_kb(proc.pid))
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        drained = receiver.count()
    finally:
        receiver.stop()
    peak_mb = peak_kb / 1024
    took = f", drained {drained:,} in {RSS_RUN_S:.0f} s"
    print(f"sync forwarder peak RSS: {peak_mb:.1f} MB (backlog {RSS_N:,} events, filled in {fill_s:.0f} s{took}; "
          f"exit {proc.returncode} on SIGTERM; target <= 80 MB)")


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        tmp = Path(tmp)
        bench_enqueue(tmp)
        bench_drain(tmp)
        bench_rss(tmp)


if __name__ == "__main__":
    main()
