"""A small but faithful loopback double of central, for the device side's tests and benchmark.

It speaks the contract in sync/wire.py over real HTTP/1.1 keep-alive
(http.server.ThreadingHTTPServer): enrolment with one-time tokens, HMAC
signature checks with a replay window and nonce memory, gzip batch ingest
deduplicated on (device_id, seq) with per-event results (422 for the same
seq with another key or payload), 400/401/413/429/503 with Retry-After, and
cursor-paged reference datasets with 410 for an expired cursor.  Its event
sink is SQLite (synchronous=FULL when given a file), so it survives a
restart on the same port.

Faults are queued with :meth:`CentralDouble.fail_next`.  Run standalone::

    python -m tests.helpers.central_double --listen 127.0.0.1:8740 --db /tmp/central.db --token KSK-1=tok
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import secrets
import sqlite3
import sys
import threading
import time
import zlib
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sync import wire

REPO = Path(__file__).resolve().parents[2]

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL, seq INTEGER NOT NULL, key TEXT NOT NULL, type TEXT NOT NULL,
    schema INTEGER NOT NULL, payload TEXT NOT NULL, wall_time REAL, boot_id TEXT, clock_synced INTEGER,
    UNIQUE (device_id, seq));
CREATE TABLE IF NOT EXISTS devices (device_id TEXT PRIMARY KEY, secret BLOB NOT NULL, last_backlog TEXT,
    last_seen REAL, public_key TEXT);
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, device_id TEXT NOT NULL);
"""


class CentralDouble:
    def __init__(self, db: str = ":memory:", host: str = "127.0.0.1", port: int = 0, *,
                 max_batch_events: int = 5000, max_body_bytes: int = 16_000_000,
                 tls: tuple[str, str] | None = None):
        self.db_path = db
        self.host, self.port = host, port
        self.max_batch_events = max_batch_events
        self.max_body_bytes = max_body_bytes
        self.tls = tls  # (certificate chain file, key file): serve HTTPS
        self.server_offset_s = 0.0       # central's clock vs this machine's
        self.faults: deque = deque()      # (status, headers, body) for the next /v1/events calls
        self.reject_seqs: dict[int, str] = {}
        self.poison_seqs: set[int] = set()   # a batch holding one of these gets a whole-batch 400
        self.huge_seqs: set[int] = set()     # a batch holding one of these gets 413
        self.requests: list[tuple[str, int]] = []  # (path, status) of every request
        self.batches: list[dict] = []   # per ingest call: size, encoding, peer port, raw bytes
        self.ingest_calls = 0           # successful ingest answers (cheap progress signal for tests)
        self.datasets: dict[str, dict] = {d: {"version": 0, "items": {}, "log": [], "min_version": 0}
                                          for d in wire.DATASETS}
        self.lock = threading.Lock()
        self.nonces: dict[str, float] = {}
        self.conn = self._open()
        self.httpd: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db_path, check_same_thread=False, isolation_level=None)
        if self.db_path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        conn.executescript(SCHEMA)
        return conn

    def start(self) -> "CentralDouble":
        handler = type("Handler", (_Handler,), {"central": self})
        self.httpd = _Server((self.host, self.port), handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        if self.tls:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None

    def restart(self) -> None:
        """Stop and start again on the same port and database (a central restart)."""
        self.stop()
        with self.lock:
            self.conn.close()
            self.conn = self._open()
        self.start()

    def close(self) -> None:
        self.stop()
        self.conn.close()

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    # -- test controls -------------------------------------------------------------------------
    def now(self) -> float:
        return time.time() + self.server_offset_s

    def issue_token(self, device_id: str, token: str | None = None) -> str:
        token = token or secrets.token_urlsafe(16)
        with self.lock:
            self.conn.execute("INSERT OR REPLACE INTO tokens VALUES (?, ?)", (token, device_id))
        return token

    def forget_device(self, device_id: str) -> None:
        with self.lock:
            self.conn.execute("DELETE FROM devices WHERE device_id = ?", (device_id,))

    def fail_next(self, status: int, headers: dict | None = None, body: dict | None = None, times: int = 1):
        for _ in range(times):
            self.faults.append((status, headers or {}, body or {"error": f"injected {status}"}))

    def events(self, device_id: str | None = None) -> list[dict]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT device_id, seq, key, type, payload FROM events"
                + (" WHERE device_id = ?" if device_id else "") + " ORDER BY n",
                (device_id,) if device_id else ()).fetchall()
        return [{"device_id": d, "seq": s, "key": k, "type": t, "payload": json.loads(p)}
                for d, s, k, t, p in rows]

    def count(self) -> int:
        with self.lock:
            return self.conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    def public_key(self, device_id: str) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT public_key FROM devices WHERE device_id = ?", (device_id,)).fetchone()
        return row[0] if row else None

    def last_backlog(self, device_id: str) -> dict | None:
        with self.lock:
            row = self.conn.execute("SELECT last_backlog FROM devices WHERE device_id = ?",
                                    (device_id,)).fetchone()
        return json.loads(row[0]) if row and row[0] else None

    def put_items(self, dataset: str, items: list[dict]) -> None:
        ds = self.datasets[dataset]
        with self.lock:
            for item in items:
                ds["version"] += 1
                ds["items"][item["id"]] = item
                ds["log"].append((ds["version"], item["id"], False))

    def delete_items(self, dataset: str, ids: list[str]) -> None:
        ds = self.datasets[dataset]
        with self.lock:
            for i in ids:
                ds["version"] += 1
                ds["items"].pop(i, None)
                ds["log"].append((ds["version"], i, True))

    def compact(self, dataset: str) -> None:
        """Forget the change log: every older cursor now gets 410 (forces a full resync)."""
        ds = self.datasets[dataset]
        with self.lock:
            ds["log"] = []
            ds["min_version"] = ds["version"]

    # -- request handling ----------------------------------------------------------------------
    def authenticate(self, method: str, target: str, body: bytes, headers) -> tuple[int, dict] | str:
        device = headers.get(wire.H_DEVICE, "")
        with self.lock:
            row = self.conn.execute("SELECT secret FROM devices WHERE device_id = ?", (device,)).fetchone()
        if row is None:
            return 401, {"error": "unknown_device"}
        if not wire.verify_signature(row[0], method, target, body, headers):
            return 401, {"error": "bad_signature"}
        now = self.now()
        try:
            ts = int(headers.get(wire.H_TIMESTAMP))
        except (TypeError, ValueError):
            return 401, {"error": "bad_signature"}
        if abs(now - ts) > wire.REPLAY_WINDOW_S:
            return 401, {"error": "clock_skew"}
        nonce = headers.get(wire.H_NONCE, "")
        with self.lock:
            for n, expiry in list(self.nonces.items()):
                if expiry < now:
                    del self.nonces[n]
            if nonce in self.nonces:
                return 401, {"error": "replayed"}
            self.nonces[nonce] = now + 2 * wire.REPLAY_WINDOW_S
        return device

    def enroll(self, body: bytes) -> tuple[int, dict]:
        try:
            req = json.loads(body)
            device, token = req["device_id"], req["token"]
        except (ValueError, KeyError, TypeError):
            return 400, {"error": "malformed", "detail": "expected {device_id, token}"}
        with self.lock:
            row = self.conn.execute("SELECT device_id FROM tokens WHERE token = ?", (token,)).fetchone()
            if row is None or row[0] != device:
                return 401, {"error": "invalid_token"}
            secret = secrets.token_bytes(32)
            self.conn.execute("DELETE FROM tokens WHERE token = ?", (token,))
            self.conn.execute("INSERT OR REPLACE INTO devices (device_id, secret, public_key) VALUES (?, ?, ?)",
                              (device, secret, req.get("public_key")))
            last = self.conn.execute("SELECT MAX(seq) FROM events WHERE device_id = ?", (device,)).fetchone()[0]
        return 200, {"device_id": device, "secret": base64.b64encode(secret).decode(), "server_time": self.now(),
                     "last_seq": last or 0}

    def ingest(self, device: str, body: bytes, headers) -> tuple[int, dict, dict]:
        if self.faults:
            status, extra, payload = self.faults.popleft()
            return status, payload, extra
        if len(body) > self.max_body_bytes:
            return 413, {"error": "too_large"}, {}
        try:
            raw = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
            req = json.loads(raw)
            events = req["events"]
            assert isinstance(events, list) and req["device_id"] == device
        except (OSError, EOFError, zlib.error):
            return 400, {"error": "malformed_gzip"}, {}
        except (ValueError, KeyError, TypeError, AssertionError):
            return 400, {"error": "malformed_json"}, {}
        if len(events) > self.max_batch_events or len(raw) > self.max_body_bytes:
            return 413, {"error": "too_large"}, {}
        seqs = {e.get("seq") for e in events}
        if seqs & self.poison_seqs:
            return 400, {"error": "malformed_event", "detail": "an event fails validation"}, {}
        if seqs & self.huge_seqs:
            return 413, {"error": "too_large"}, {}
        results = []
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                for e in events:
                    results.append(self._one(device, e))
                self.conn.execute("UPDATE devices SET last_backlog = ?, last_seen = ? WHERE device_id = ?",
                                  (json.dumps(req.get("backlog")), self.now(), device))
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        self.ingest_calls += 1
        return 200, {"results": results, "server_time": self.now()}, {}

    def _one(self, device: str, e: dict) -> dict:
        seq = e.get("seq")
        if seq in self.reject_seqs:
            return {"seq": seq, "status": "rejected", "code": "422", "reason": self.reject_seqs[seq]}
        problem = wire.check_event(e.get("type"), e.get("schema"), e.get("payload"))
        if problem:
            return {"seq": seq, "status": "rejected", "code": "unknown_type", "reason": problem}
        payload = json.dumps(e["payload"], sort_keys=True)
        row = self.conn.execute("SELECT key, payload FROM events WHERE device_id = ? AND seq = ?",
                                (device, seq)).fetchone()
        if row:
            if row[0] == e["key"] and row[1] == payload:
                return {"seq": seq, "status": "duplicate", "code": "", "reason": ""}
            return {"seq": seq, "status": "rejected", "code": "422",
                    "reason": "the same sequence number was sent with another key or payload"}
        self.conn.execute("INSERT INTO events (device_id, seq, key, type, schema, payload, wall_time, boot_id,"
                          " clock_synced) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                          (device, seq, e["key"], e["type"], e["schema"], payload, e.get("wall_time"),
                           e.get("boot_id"), int(bool(e.get("clock_synced")))))
        return {"seq": seq, "status": "accepted", "code": "", "reason": ""}

    def reference(self, dataset: str, query: dict) -> tuple[int, dict]:
        if dataset not in self.datasets:
            return 404, {"error": "unknown_dataset"}
        ds = self.datasets[dataset]
        limit = max(1, min(int(query.get("limit", ["500"])[0]), 10_000))
        cursor = query.get("cursor", [""])[0]
        with self.lock:
            if cursor.startswith("v"):
                since = int(cursor[1:])
                if since < ds["min_version"]:
                    return 410, {"error": "cursor_expired"}
                changes = [c for c in ds["log"] if c[0] > since][:limit]
                more = bool(changes) and changes[-1][0] < ds["version"]
                upto = changes[-1][0] if changes else since
                items = [ds["items"][i] for _, i, deleted in changes if not deleted and i in ds["items"]]
                deleted = [i for _, i, d in changes if d]
                return 200, {"dataset": dataset, "items": items, "deleted": deleted, "cursor": f"v{upto}",
                             "more": more, "full": False}
            # full snapshot: cursor "f<version>:<offset>" pages through a snapshot taken at <version>
            if cursor.startswith("f"):
                version, offset = (int(x) for x in cursor[1:].split(":"))
                if version != ds["version"]:
                    return 410, {"error": "snapshot_changed"}
            else:
                version, offset = ds["version"], 0
            ids = sorted(ds["items"])
            page = [ds["items"][i] for i in ids[offset:offset + limit]]
            more = offset + limit < len(ids)
            return 200, {"dataset": dataset, "items": page, "deleted": [],
                         "cursor": f"f{version}:{offset + limit}" if more else f"v{version}",
                         "more": more, "full": True}


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client killed mid-answer (the chaos test does that on purpose) is not an error here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    central: CentralDouble

    def log_message(self, fmt, *args):  # keep test output quiet
        return

    def _reply(self, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps({**body, "server_time": body.get("server_time", self.central.now())}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header(wire.H_SERVER_TIME, f"{self.central.now():.3f}")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        # Head and body in one write: two small writes meet delayed ACK and cost 40 ms per call.
        self._headers_buffer.extend([b"\r\n", data])
        self.flush_headers()
        self.central.requests.append((urlsplit(self.path).path, status))

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_POST(self):
        body = self._body()
        path = urlsplit(self.path).path
        if path == f"{wire.API_PREFIX}/enroll":
            return self._reply(*self.central.enroll(body))
        if path != f"{wire.API_PREFIX}/events":
            return self._reply(404, {"error": "not_found"})
        who = self.central.authenticate("POST", self.path, body, self.headers)
        if isinstance(who, tuple):
            return self._reply(*who)
        status, payload, headers = self.central.ingest(who, body, self.headers)
        self.central.batches.append({"status": status, "encoding": self.headers.get("Content-Encoding"),
                                     "port": self.client_address[1], "bytes": len(body),
                                     "events": len(payload.get("results", [])),
                                     "seqs": [r["seq"] for r in payload.get("results", [])]})
        self._reply(status, payload, headers)

    def do_GET(self):
        split = urlsplit(self.path)
        prefix = f"{wire.API_PREFIX}/reference/"
        if not split.path.startswith(prefix):
            return self._reply(404, {"error": "not_found"})
        who = self.central.authenticate("GET", self.path, b"", self.headers)
        if isinstance(who, tuple):
            return self._reply(*who)
        self._reply(*self.central.reference(split.path[len(prefix):], parse_qs(split.query)))


def wait_listening(proc, port: int, *, timeout_s: float, what: str) -> None:
    """Return once ``proc`` accepts connections on 127.0.0.1:``port``; raise if it dies or times out."""
    import socket as _socket

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            _socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{what} did not start on port {port}") from None
            time.sleep(0.02)


class DoubleProcess:
    """The double in its own process with a durable database: it can be kill -9ed and restarted."""

    def __init__(self, db: str, tokens: dict[str, str], port: int | None = None):
        import socket as _socket

        self.db, self.tokens = db, tokens
        if port is None:
            with _socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc = None

    def start(self) -> "DoubleProcess":
        import subprocess

        argv = [sys.executable, "-m", "tests.helpers.central_double", "--db", self.db,
                "--listen", f"127.0.0.1:{self.port}"]
        argv += [f"--token={d}={t}" for d, t in self.tokens.items()]
        # -m from the repo root: the tests package is importable there, with no sys.path edits.
        self.proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_listening(self.proc, self.port, timeout_s=30, what="central double")
        return self

    def token(self, device_id: str) -> str:
        return self.tokens[device_id]

    def kill(self) -> None:
        """SIGKILL: no goodbye, no flush - only what SQLite committed survives."""
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except Exception:
                self.kill()

    def _query(self, sql: str, args=()):
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, args).fetchall()
        finally:
            conn.close()

    def high_water(self) -> int:
        """A cheap progress signal: the last stored row number."""
        return self._query("SELECT COALESCE(MAX(n), 0) FROM events")[0][0]

    def events(self, device_id: str) -> list[dict]:
        rows = self._query("SELECT seq, payload FROM events WHERE device_id = ? ORDER BY n", (device_id,))
        return [{"seq": s, "payload": json.loads(p)} for s, p in rows]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--listen", default="127.0.0.1:8740")
    p.add_argument("--db", default=":memory:")
    p.add_argument("--token", action="append", default=[], metavar="DEVICE=TOKEN")
    args = p.parse_args(argv)
    host, port = args.listen.rsplit(":", 1)
    central = CentralDouble(args.db, host, int(port)).start()
    for pair in args.token:
        device, token = pair.split("=", 1)
        central.issue_token(device, token)
    print(f"central double on {central.url}", flush=True)
    import signal

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    central.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
