"""A fault-injecting HTTP/1.1 proxy on loopback, between the forwarder and central.

For each request it reads from the client it picks one behaviour:

- ``pass``: forward, return the answer;
- ``timeout``: forward (central commits), then never answer (the client times out);
- ``reset``: forward, then reset the connection (RST) instead of answering;
- ``refuse_reset``: reset without forwarding;
- ``500`` / ``429``: answer itself without forwarding (429 carries ``Retry-After: 1``);
- ``slow``: forward, then dribble the answer a few bytes at a time;
- ``truncated``: forward, send half the answer, close.

The schedule starts with every fault once (so each is exercised), then draws
from a seeded random mix.  ``counts`` says what happened.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections import Counter

FAULTS = ("timeout", "reset", "refuse_reset", "500", "429", "slow", "truncated")


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], *, seed: int = 5, fault_rate: float = 0.3,
                 hold_s: float = 3.0, only_path: str = "/v1/events"):
        self.upstream = upstream
        self.rng = random.Random(seed)
        self.fault_rate = fault_rate
        self.hold_s = hold_s
        self.only_path = only_path
        self.pending = list(FAULTS)
        self.counts: Counter = Counter()
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.closing = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "FaultProxy":
        self.thread.start()
        return self

    def close(self) -> None:
        self.closing.set()
        self.sock.close()

    def _choose(self, path: str) -> str:
        if not path.startswith(self.only_path):
            return "pass"
        with self.lock:
            if self.pending:
                choice = self.pending.pop(0)
            elif self.rng.random() < self.fault_rate:
                choice = self.rng.choice(FAULTS)
            else:
                choice = "pass"
            self.counts[choice] += 1
            return choice

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        client.settimeout(30)
        buf = b""
        try:
            while True:
                request, buf = _read_message(client, buf)
                if request is None:
                    return
                path = request.split(b" ", 2)[1].decode()
                fault = self._choose(path)
                if fault == "refuse_reset":
                    return _reset(client)
                if fault == "500":
                    client.sendall(_canned(500, b'{"error":"injected"}'))
                    continue
                if fault == "429":
                    client.sendall(_canned(429, b'{"error":"slow down"}', b"Retry-After: 1\r\n"))
                    continue
                answer = _forward(self.upstream, request)
                if fault == "pass":
                    client.sendall(answer)
                elif fault == "timeout":
                    self.closing.wait(self.hold_s)
                    return
                elif fault == "reset":
                    return _reset(client)
                elif fault == "slow":
                    for i in range(0, len(answer), 16):
                        client.sendall(answer[i:i + 16])
                        time.sleep(0.003)
                elif fault == "truncated":
                    client.sendall(answer[: len(answer) // 2])
                    return
        except OSError:
            return
        finally:
            try:
                client.close()
            except OSError:
                pass


def _read_message(sock: socket.socket, buf: bytes) -> tuple[bytes | None, bytes]:
    """One HTTP message (head + Content-Length body) and the bytes after it; None at EOF."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None, b""
        rest += chunk
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


def _forward(upstream: tuple[str, int], request: bytes) -> bytes:
    with socket.create_connection(upstream, timeout=30) as up:
        up.sendall(request)
        answer, _ = _read_message(up, b"")
    if answer is None:
        raise OSError("upstream closed without an answer")
    return answer


def _canned(status: int, body: bytes, extra: bytes = b"") -> bytes:
    reason = {500: b"Internal Server Error", 429: b"Too Many Requests"}[status]
    return (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
            % (status, reason, len(body), extra)) + body


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
