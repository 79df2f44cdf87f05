"""The public verification page /verify/<code> on the reference central: what it says for a valid, a revoked,
a forged and a not-yet-recorded certificate, what it shows (masked holder, nothing more), its rate limit,
terminal central revoke-cert, /verify/keys.json, and the page in a real headless Chromium at 360 px.

Certificates come from a terminal key registered at enrolment and certificate.issued events ingested
through the signed API, as a kiosk sends them.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import certcode
from sync.central.client import DeviceClient, make_event
from sync.central.routes.verify import RateLimit, revoke

DEVICE = "KSK-V-0001"


class Terminal:
    """A terminal with its own Ed25519 key, enrolled with central, issuing certificates as events."""

    def __init__(self, central, device_id: str = DEVICE):
        self.key = Ed25519PrivateKey.generate()
        public = base64.b64encode(self.key.public_key().public_bytes_raw()).decode()
        token = central.storage.create_token(device_id, ttl_s=600)
        r = requests.post(central.url + "/v1/enroll", json={"device_id": device_id, "token": token,
                                                            "public_key": public}, timeout=10)
        assert r.status_code == 200, r.text
        self.client = DeviceClient(central.url, device_id, base64.b64decode(r.json()["secret"]))
        self.device_id, self.seq, self.central = device_id, 0, central

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.key.sign(message)).decode()

    def issue(self, kind: str = "income", *, send: bool = True) -> str:
        """A certificate code (its URL at central); its certificate.issued event sent unless ``send`` is False."""
        self.seq += 1
        serial = f"{self.device_id}-{self.seq:06d}"
        code = certcode.make_code(kind, "2026-11-30", serial, certcode.text_hash(f"收入证明 {serial}"), self.sign)
        if send:
            payload = {"session_id": "s", "serial": serial, "kind": kind, "employee_no": "E1002", "holder": "欧阳**",
                       "issued_on": "2026-11-30", "terminal": self.device_id,
                       "text_hash": code.split(".")[-3], "code": code}
            event = make_event(self.seq, type="certificate.issued", payload=payload, key=f"certificate.issued:{serial}")
            assert self.client.post_events([event]).status_code == 200
        return certcode.verify_url(self.central.url, code)


def headline(response) -> str:
    return re.search(r"<h1>([^<]+)<small>([^<]+)</small>", response.text).group(2)


@pytest.fixture
def central(make_central):
    return make_central()


def test_each_outcome_is_said_with_the_fields_it_may_show(central):
    terminal = Terminal(central)
    valid = terminal.issue()
    revoked = terminal.issue("employment")
    assert revoke(central.storage, f"{DEVICE}-000002", "left the company") is True
    unconfirmed = terminal.issue(send=False)
    stranger = Ed25519PrivateKey.generate()
    forged = certcode.verify_url(central.url, certcode.make_code(
        "income", "2026-11-30", f"{DEVICE}-000009", certcode.text_hash("x"),
        lambda m: base64.b64encode(stranger.sign(m)).decode()))
    edited = valid.replace(".I.", ".E.")

    page = requests.get(valid, timeout=10)
    assert page.status_code == 200 and headline(page) == "Valid"
    assert "欧阳**" in page.text and f"{DEVICE}-000001" in page.text and "2026-11-30" in page.text
    assert "E1002" not in page.text and "收入证明" in page.text           # kind yes, employee number no
    assert page.headers["Cache-Control"] == "no-store" and "width=device-width" in page.text
    assert headline(requests.get(revoked, timeout=10)) == "Revoked"
    assert headline(requests.get(unconfirmed, timeout=10)) == "Not confirmed yet"
    for url in (forged, edited, central.url + "/verify/hello", central.url + "/verify/CV1.E.1"):
        page = requests.get(url, timeout=10)
        assert page.status_code == 200 and headline(page) == "Not issued by us", url
        assert DEVICE + "-0" not in page.text          # nothing from an unproven code is echoed back


def test_revoke_cert_from_the_command_line(central, run_cli, db_url):
    terminal = Terminal(central)
    url = terminal.issue()
    db = db_url
    code, out, _ = run_cli("central", "revoke-cert", "--db", db, f"{DEVICE}-000001")
    assert code == 0 and out.strip() == f"{DEVICE}-000001: revoked"
    code, out, _ = run_cli("central", "revoke-cert", "--db", db, f"{DEVICE}-000001")
    assert code == 0 and "already revoked" in out
    code, _, err = run_cli("central", "revoke-cert", "--db", db, f"{DEVICE}-000404")
    assert code == 2 and "no record of certificate" in err
    assert headline(requests.get(url, timeout=10)) == "Revoked"


def test_keys_json_lists_every_terminal_key(central):
    terminal = Terminal(central)
    keys = requests.get(central.url + "/verify/keys.json", timeout=10).json()["keys"]
    assert keys == [{"device_id": DEVICE,
                     "public_key": base64.b64encode(terminal.key.public_key().public_bytes_raw()).decode()}]


def test_one_address_is_rate_limited_with_retry_after():
    t = [0.0]
    limit = RateLimit(60.0, 3, now=lambda: t[0])
    assert [limit.wait_s("a") for _ in range(4)] == [0, 0, 0, 60]
    assert limit.wait_s("b") == 0                     # another address is not held back
    t[0] = 60.5
    assert limit.wait_s("a") == 0


def test_the_page_answers_429_beyond_the_limit(make_central):
    from sync.central.app import create_app
    from sync.central.routes import verify

    central = make_central()
    central.app.state.verify_limit.allowed = 2
    answers = [requests.get(central.url + "/verify/CV1.x", timeout=10) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) >= 1 and "try again in" in answers[2].text
    del create_app, verify


def test_the_page_in_a_real_headless_chromium_at_360_px(central, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian's chromium is not installed (apt-packages.txt lists it; run make)")
    if central.storage.name != "sqlite":
        pytest.skip("one engine is enough for the browser")
    terminal = Terminal(central)
    shots = {}
    for name, url in (("valid", terminal.issue()), ("not-ours", central.url + "/verify/CV1.E.nothing")):
        shot = tmp_path / f"verify-{name}.png"
        done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                               "--window-size=360,640", f"--screenshot={shot}", url],
                              capture_output=True, text=True, timeout=120)
        if not shot.exists():
            pytest.skip(f"chromium could not start here: {done.stderr.strip()[-300:]}")
        shots[name] = shot
    from PIL import Image

    for name, shot in shots.items():
        image = Image.open(shot).convert("RGB")
        assert image.size == (360, 640)
        green = sum(1 for p in image.getdata() if p[1] > 110 and p[0] < 60 and p[2] < 90)
        red = sum(1 for p in image.getdata() if p[0] > 150 and p[1] < 70 and p[2] < 70)
        assert (green > 500) == (name == "valid") and (red > 500) == (name == "not-ours"), (name, green, red)
        keep = os.environ.get("CERT_SCREENSHOTS")    # a folder to keep them in, to look at
        if keep:
            shutil.copy(shot, keep)
