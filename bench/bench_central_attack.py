"""Central under a slow-connection attack: how many unauthenticated connections it holds while a
signed ingest still answers within 1 s, and its memory then.

`terminal central serve` runs as its own process (as in production, default
limits: 64 connections per client address, 10 s to send a request head).  The
attack, all on loopback, comes from many source addresses (127.0.1.x,
127.0.2.x, ... -- Linux routes all of 127/8 to lo), at most 50 connections
each, so the per-address cap does not simply refuse it:

- half are slow uploads with headers that pass every check central can make
  before the body (an enrolled device id, a fresh timestamp, a well-formed
  nonce and signature, Content-Length 100000) and one body byte, then nothing;
- a quarter are idle (connected, nothing sent);
- a quarter sent half a request head.

With each round open, a device that knows its secret posts a signed batch at
once (while central is still taking the connections in: printed, not judged),
then, once a request sent after them all is answered, 5 more on fresh
connections, each with a 1 s timeout.  Rounds grow until one of those misses
the second, or the descriptor limit (this process raises its soft limit to the
hard one, as `central serve` does) leaves no room.
"""

from __future__ import annotations

import gzip
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from sync import wire
from sync.central.client import DeviceClient, batch_body, make_event
from bench.loopback import free_port, serve_central

ROUNDS = (1_000, 2_000, 4_000, 8_000, 16_000)
PER_ADDRESS = 50
PROBES = 5
BOUND_S = 1.0



def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _attack(port: int, count: int, device_id: str) -> list[socket.socket]:
    forged = wire.sign_request(b"not the secret" * 3, "POST", "/v1/events", b"", device_id=device_id)
    upload = ("POST /v1/events HTTP/1.1\r\nHost: central\r\nContent-Type: application/json\r\n"
              + "".join(f"{k}: {v}\r\n" for k, v in forged.items())
              + "Content-Length: 100000\r\n\r\n{").encode()
    half = b"POST /v1/events HTTP/1.1\r\nHost: central\r\nX-Devi"
    held = []
    for n in range(count):
        address = f"127.{1 + n // (PER_ADDRESS * 250)}.{1 + (n // PER_ADDRESS) % 250}.1"
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((address, 0))
        sock.connect(("127.0.0.1", port))
        kind = n % 4
        if kind in (0, 1):
            sock.sendall(upload)
        elif kind == 2:
            sock.sendall(half)
        held.append(sock)
    return held


def _still_open(held: list[socket.socket]) -> int:
    """Connections central has not closed (a closed one reads as EOF at once)."""
    open_count = 0
    for sock in held:
        try:
            if sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT):
                open_count += 1   # an answer waiting on a connection still open
        except BlockingIOError:
            open_count += 1       # nothing to read: open and waiting
        except OSError:
            pass
    return open_count


def _probe(device: DeviceClient, seq: int) -> float | None:
    """Seconds a signed ingest took on a fresh connection, or None past the 1 s bound."""
    device.session.close()
    body = gzip.compress(batch_body(device.device_id, [make_event(seq)]))
    signed = wire.sign_request(device.secret, "POST", "/v1/events", body, device_id=device.device_id)
    started = time.perf_counter()
    try:
        r = requests.post(device.base_url + "/v1/events", data=body, timeout=BOUND_S,
                          headers={**signed, "Content-Type": "application/json", "Content-Encoding": "gzip"})
    except requests.RequestException:
        return None
    elapsed = time.perf_counter() - started
    return elapsed if r.status_code == 200 and r.json()["results"][0]["status"] == "accepted" else None


def _room_for(count: int) -> bool:
    """Raise this process's descriptor limit as central raises its own; False when the hard limit is short."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = count + 256
    if soft < need <= hard or (hard == resource.RLIM_INFINITY and soft < need):
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
        return True
    return need <= soft


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "central.db")
        port = free_port()
        process = serve_central(db, port, Path(tmp) / "central.log")
        try:
            token = subprocess.run([sys.executable, "-m", "terminal", "central", "token", "--db", db,
                                    "--device-id", "BENCH-0001"], capture_output=True, text=True,
                                   check=True).stdout.strip()
            device = DeviceClient.enroll(f"http://127.0.0.1:{port}", "BENCH-0001", token)
            seq = 1
            print(f"central under attack: idle RSS {_rss_mb(process.pid):.0f} MB", flush=True)
            survived = None
            for count in ROUNDS:
                if not _room_for(count):
                    print(f"central under attack: {count:,} connections not tried (raise 'ulimit -Hn')", flush=True)
                    break
                held = _attack(port, count, device.device_id)
                try:
                    burst = _probe(device, seq)     # while central is still taking the connections in
                    # Then held: once a request sent after them all is answered, central has them all.
                    requests.get(f"http://127.0.0.1:{port}/healthz", timeout=60)
                    times = []
                    for n in range(PROBES):
                        times.append(_probe(device, seq + 1 + n))
                    seq += PROBES + 1
                    still = _still_open(held)
                    rss = _rss_mb(process.pid)
                finally:
                    for sock in held:
                        sock.close()
                ok = all(t is not None for t in times)
                worst = "missed 1 s" if not ok else f"slowest {max(times) * 1000:.0f} ms"
                worst += ("; during the connection burst: " +
                          ("missed 1 s" if burst is None else f"{burst * 1000:.0f} ms"))
                print(f"central under attack: {count:,} unauthenticated connections ({still:,} still open), "
                      f"signed ingest {sum(t is not None for t in times)}/{PROBES} within 1 s ({worst}), "
                      f"central RSS {rss:.0f} MB", flush=True)
                if not ok:
                    break
                survived = (count, rss)
            if survived:
                print(f"central under attack: survives {survived[0]:,} unauthenticated slow connections with "
                      f"signed ingest < 1 s (RSS {survived[1]:.0f} MB; fd soft limit raised to the hard limit "
                      f"by 'central serve')", flush=True)
        finally:
            process.terminate()
            process.wait(timeout=30)
