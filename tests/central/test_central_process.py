"""Central as a real process: HTTPS, and SIGKILL at random instants during ingest (both engines)."""

from __future__ import annotations

import datetime
import ipaddress
import random
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from sync import wire
from sync.central.client import DeviceClient, make_event


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(db: str, port: int, *extra: str, scheme: str = "http", verify=True) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "terminal", "central", "serve", "--db", db,
                                "--listen", f"127.0.0.1:{port}", "--log-level", "warning", *extra],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{scheme}://127.0.0.1:{port}/healthz", timeout=2, verify=verify).raise_for_status()
            return process
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"central did not start: {process.stderr.read().decode()[-800:]}")
            time.sleep(0.05)


def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "central test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "central.pem", tmp_path / "central.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_is_served_and_verified_against_the_given_ca(tmp_path, run_cli):
    cert, key = _self_signed(tmp_path)
    port = _free_port()
    process = _start(str(tmp_path / "c.db"), port, "--tls-cert", str(cert), "--tls-key", str(key),
                     scheme="https", verify=str(cert))
    try:
        assert requests.get(f"https://127.0.0.1:{port}/healthz", verify=str(cert), timeout=10).json()["ok"]
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"https://127.0.0.1:{port}/healthz", timeout=10)   # not in the system bundle
    finally:
        process.terminate()
        process.wait(timeout=30)
    code, _, err = run_cli("central", "serve", "--db", str(tmp_path / "c.db"), "--tls-cert", str(cert),
                           "--tls-key", str(cert))
    assert code == 2 and "cannot use them" in err


KILLS = 6
EVENTS = 12_000
BATCH = 100


def test_central_killed_at_random_instants_keeps_every_acknowledged_event_exactly_once(db_url):
    """SIGKILL central repeatedly while a device retries: nothing acknowledged is lost, nothing doubles."""
    import threading

    from sync.central.storage import open_storage

    rng = random.Random(5)
    storage = open_storage(db_url)
    token = storage.create_token("KSK-T-0001", ttl_s=600)
    storage.close()
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    current = {"process": _start(db_url, port)}
    sending = threading.Event()
    finished = threading.Event()
    kills = []

    def killer():
        instants = random.Random(7)
        sending.wait()
        while len(kills) < KILLS and not finished.is_set():
            time.sleep(instants.uniform(0.02, 0.25))
            current["process"].send_signal(signal.SIGKILL)   # at a random instant: mid-request, mid-COMMIT...
            current["process"].wait()
            kills.append(time.monotonic())
            current["process"] = _start(db_url, port)

    thread = threading.Thread(target=killer)
    thread.start()
    acknowledged: set[int] = set()
    try:
        device = DeviceClient.enroll(url, "KSK-T-0001", token)
        sending.set()
        seq = 1
        while seq <= EVENTS or len(kills) < KILLS:
            if seq <= EVENTS:
                events = [make_event(s) for s in range(seq, min(seq + BATCH, EVENTS + 1))]
            else:   # all sent: keep retrying acknowledged batches (they must come back duplicate)
                start = rng.randrange(1, EVENTS, BATCH)
                events = [make_event(s) for s in range(start, start + BATCH)]
            try:
                r = device.post_events(events)
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError):
                # Lost in flight, central down, or killed mid-response: the same events go again, fresh nonce.
                time.sleep(0.02)
                device.session.close()
                continue
            if r.status_code == 200:
                statuses = {x["status"] for x in r.json()["results"]}
                assert statuses <= {wire.ACCEPTED, wire.DUPLICATE}, r.text
                if seq <= EVENTS:
                    acknowledged.update(e["seq"] for e in events)
                    seq += len(events)
                else:
                    assert statuses == {wire.DUPLICATE}, r.text
            else:
                assert r.status_code == 503, r.text
    finally:
        finished.set()
        thread.join(timeout=120)
        process = current["process"]
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
    assert len(kills) == KILLS
    storage = open_storage(db_url)
    try:
        items, more = storage.feed(0, 2 * EVENTS, "KSK-T-0001")
    finally:
        storage.close()
    seqs = [i["seq"] for i in items]
    assert not more and sorted(seqs) == list(range(1, EVENTS + 1))   # each exactly once
    assert seqs == sorted(seqs)                                      # in order: one device, FIFO
    assert acknowledged == set(seqs)
