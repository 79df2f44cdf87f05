"""Central ingest: events/s stored durably, posted as signed 500-event gzip batches over loopback.

`terminal central serve` runs as its own process (as in production); this
process plays one device with a keep-alive requests Session.  Batches are
built and gzipped before the clock starts, so the figure is central's: read,
authenticate, gunzip, parse, check, deduplicate, COMMIT (SQLite WAL +
synchronous=FULL; PostgreSQL fsync + synchronous_commit on), answer.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
import tempfile
import time
from pathlib import Path


from sync import wire
from sync.central.client import DeviceClient, batch_body, make_event
from bench.loopback import free_port, serve_central

BATCH = 500
EVENTS = 100_000
WARMUP_BATCHES = 4



def _token(db: str, device_id: str) -> str:
    out = subprocess.run([sys.executable, "-m", "terminal", "central", "token", "--db", db,
                          "--device-id", device_id], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def measure(db: str, workdir: Path) -> tuple[float, int]:
    port = free_port()
    process = serve_central(db, port, workdir / f"central-{port}.log")
    try:
        client = DeviceClient.enroll(f"http://127.0.0.1:{port}", "BENCH-0001", _token(db, "BENCH-0001"))
        payload = {"n": 0, "note": "diagnostic event of a realistic size " + "x" * 120}
        bodies = []
        for start in range(1, EVENTS + WARMUP_BATCHES * BATCH + 1, BATCH):
            events = [make_event(s, payload={**payload, "n": s}) for s in range(start, start + BATCH)]
            bodies.append(gzip.compress(batch_body(client.device_id, events), compresslevel=1))
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        for body in bodies[:WARMUP_BATCHES]:
            client.signed("POST", "/v1/events", body, headers).raise_for_status()
        accepted = 0
        started = time.perf_counter()
        for body in bodies[WARMUP_BATCHES:]:
            r = client.signed("POST", "/v1/events", body, headers)
            r.raise_for_status()
            accepted += sum(1 for x in r.json()["results"] if x["status"] == wire.ACCEPTED)
        elapsed = time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(timeout=30)
    if accepted != EVENTS:
        raise RuntimeError(f"only {accepted} of {EVENTS} events were accepted")
    return accepted / elapsed, len(bodies) - WARMUP_BATCHES


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        rate, batches = measure(str(workdir / "central.db"), workdir)
        print(f"central ingest sqlite: {rate:,.0f} events/s ({batches} signed gzip batches of {BATCH} "
              f"over loopback, WAL + synchronous=FULL, one device)", flush=True)
        try:
            from sync.central.pgcluster import ThrowawayCluster

            with ThrowawayCluster() as cluster:
                rate, batches = measure(cluster.create_database("bench"), workdir)
            print(f"central ingest postgresql: {rate:,.0f} events/s ({batches} signed gzip batches of {BATCH} "
                  f"over loopback, fsync + synchronous_commit on, throwaway local cluster)", flush=True)
        except Exception as exc:  # the SQLite figure stands on its own
            print(f"central ingest postgresql: not measured ({type(exc).__name__}: {exc})", flush=True)
