"""A minimal signed client of central: for probing a deployment, the tests and the benchmark.

Terminals use the forwarder (the device side); this speaks the same wire
contract with nothing but requests and :mod:`sync.wire`, so central's tests
exercise exactly the bytes a device sends.

    >>> client = DeviceClient.enroll("http://127.0.0.1:8740", "KSK-0001", token)   # doctest: +SKIP
    >>> client.post_events([make_event(1)]).json()["results"][0]["status"]        # doctest: +SKIP
    'accepted'
"""

from __future__ import annotations

import base64
import gzip
import json
import time

import requests

from sync import wire

TIMEOUT_S = 30


def make_event(seq: int, *, type: str = "sync.diagnostic", schema: int = 1, payload: dict | None = None,
               key: str | None = None, boot_id: str = "boot-1") -> dict:
    """One event as a device sends it (a diagnostic one unless told otherwise)."""
    return {"seq": seq, "key": key or f"evt-{seq}", "type": type, "schema": schema,
            "priority": wire.PRIORITY_DIAGNOSTIC, "payload": {"n": seq} if payload is None else payload,
            "wall_time": time.time(), "mono_ns": time.monotonic_ns(), "boot_id": boot_id, "clock_synced": True}


def batch_body(device_id: str, events: list[dict], *, backlog_depth: int = 0, wall: float | None = None) -> bytes:
    """The JSON bytes of a ``POST /v1/events`` body (``wall``: the sent-at unix seconds, default now)."""
    doc = {"device_id": device_id,
           "sent_at": {"wall": time.time() if wall is None else wall, "mono": time.monotonic(),
                       "boot_id": "boot-1", "clock_synced": True},
           "backlog": {"depth": backlog_depth, "bytes": 0, "oldest_age_s": 0.0},
           "events": events}
    return json.dumps(doc).encode()


class DeviceClient:
    """Signs every request with the device secret, over one keep-alive session."""

    def __init__(self, base_url: str, device_id: str, secret: bytes, *, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.device_id = device_id
        self.secret = secret
        self.session = session or requests.Session()
        self.clock_offset = 0.0

    @classmethod
    def enroll(cls, base_url: str, device_id: str, token: str) -> "DeviceClient":
        """A client for ``device_id``, enrolled with one-time ``token``; requests.HTTPError when refused."""
        r = requests.post(f"{base_url.rstrip('/')}/v1/enroll", json={"device_id": device_id, "token": token},
                          timeout=TIMEOUT_S)
        r.raise_for_status()
        return cls(base_url, device_id, base64.b64decode(r.json()["secret"]))

    def signed(self, method: str, path: str, body: bytes = b"", headers: dict | None = None, *,
               timestamp: float | None = None, nonce: str | None = None) -> requests.Response:
        """Send ``body`` (bytes as they go on the wire) to ``path`` (with its ?query), signed."""
        ts = time.time() + self.clock_offset if timestamp is None else timestamp
        signature = wire.sign_request(self.secret, method, path, body, device_id=self.device_id,
                                      timestamp=int(ts), nonce=nonce)
        return self.session.request(method, self.base_url + path, data=body,
                                    headers={**signature, **(headers or {})}, timeout=TIMEOUT_S)

    def post_events(self, events: list[dict], *, gzipped: bool = True, **batch) -> requests.Response:
        """POST ``events`` as one signed batch (``batch``: :func:`batch_body`'s options); the raw response."""
        body = batch_body(self.device_id, events, **batch)
        headers = {"Content-Type": "application/json"}
        if gzipped:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        return self.signed("POST", "/v1/events", body, headers)

    def reference(self, dataset: str, cursor: str | None = None, limit: int | None = None) -> requests.Response:
        """GET one signed page of ``dataset`` after ``cursor`` (None: a snapshot); the raw response."""
        query = "&".join(f"{k}={v}" for k, v in (("cursor", cursor), ("limit", limit)) if v is not None)
        return self.signed("GET", f"/v1/reference/{dataset}" + (f"?{query}" if query else ""))
