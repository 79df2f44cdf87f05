"""Central's signing keys (rotate, retire, the keys dataset), the codes it issues, and the drop box's events."""

from __future__ import annotations

import datetime
import json

import pytest

from sync import codes
from sync.central.client import make_event
from sync.central.signing import IssueError, issue_collection_code, issue_form_code
from sync.central.storage import KeyNotFound

NOW = 1_796_000_000          # 2026-11-30 UTC
CLAIMS = [
    {"id": "CLM-2026-0001", "employee_no": "E1001", "amount_cents": 12850, "status": "awaiting_envelope"},
    {"id": "CLM-2026-0002", "employee_no": "E1002", "amount_cents": 48000},
    {"id": "CLM-2026-0009", "employee_no": "E1009", "amount_cents": 900, "status": "received"},
    {"id": "clm-lower", "employee_no": "E1", "amount_cents": 5},
    {"id": "CLM-NO-AMOUNT", "employee_no": "E1"},
]


@pytest.fixture
def seeded(storage):
    storage.load_reference("claims", CLAIMS)
    return storage


def ring_of(storage) -> codes.KeyRing:
    """The key ring a terminal builds after pulling ``keys`` (a full snapshot page)."""
    return codes.KeyRing(storage.reference_page("keys", None, 100)["items"])


def refusal(text, ring, **kw) -> str:
    with pytest.raises(codes.CodeRefused) as info:
        codes.verify(text, ring, **kw)
    return info.value.reason


# -- keys ------------------------------------------------------------------------------------------
def test_a_new_central_has_one_active_key_published_with_its_code_key_id(storage):
    [key] = storage.signing_keys()
    assert key["status"] == "active" and key["retired_at"] is None
    assert key["code_key_id"] == codes.key_id(key["public_key"]) and key["id"] == storage.signing_key()[0]
    kinds = sorted(i["kind"] for i in storage.reference_page("keys", None, 100)["items"])
    assert kinds == ["ed25519", "hmac-sha256"]


def test_after_rotation_old_codes_verify_until_their_key_is_retired(seeded):
    old = issue_form_code(seeded, "CLM-2026-0001", now=NOW)
    new_kid = seeded.rotate_key()
    new = issue_form_code(seeded, "CLM-2026-0002", now=NOW)
    assert new.key_id != old.key_id and seeded.signing_key()[0] == new_kid
    assert [k["status"] for k in seeded.signing_keys()] == ["verifying", "active"]
    ring = ring_of(seeded)
    assert codes.verify_form(old.text, ring).claim_id == "CLM-2026-0001"
    assert codes.verify_form(new.text, ring).claim_id == "CLM-2026-0002"

    assert seeded.retire_key(old.key_id) is True           # by the 8-character id the code carries
    assert [k["status"] for k in seeded.signing_keys()] == ["retired", "active"]
    ring = ring_of(seeded)
    assert refusal(old.text, ring) == codes.RETIRED_KEY
    assert codes.verify_form(new.text, ring).claim_id == "CLM-2026-0002"
    assert seeded.retire_key(seeded.signing_keys()[0]["id"]) is False      # by its full id: already retired


def test_rotating_twice_keeps_every_unretired_key_verifying(storage):
    first = storage.signing_key()[0]
    storage.rotate_key()
    third = storage.rotate_key()
    assert [k["status"] for k in storage.signing_keys()] == ["verifying", "verifying", "active"]
    assert storage.signing_keys()[0]["id"] == first and storage.signing_key()[0] == third


def test_rotation_on_a_clock_that_stood_still_still_makes_the_new_key_the_signer(db_url):
    from sync.central.storage import open_storage

    storage = open_storage(db_url, now=lambda: float(NOW))
    try:
        new = storage.rotate_key()
        assert storage.signing_key()[0] == new and storage.signing_keys()[-1]["status"] == "active"
    finally:
        storage.close()


@pytest.mark.parametrize("kid, words", [("nope", "has no Ed25519 key"), ("deployment-hmac", "has no Ed25519 key"),
                                        ("", "has no Ed25519 key")])
def test_retiring_a_key_central_does_not_have(storage, kid, words):
    with pytest.raises(KeyNotFound, match=words):
        storage.retire_key(kid)


def test_the_key_central_signs_with_cannot_be_retired(storage):
    with pytest.raises(KeyNotFound, match="rotate-key"):
        storage.retire_key(storage.signing_key()[0])
    with pytest.raises(KeyNotFound, match="rotate-key"):
        storage.retire_key(storage.signing_keys()[0]["code_key_id"])


def test_a_schema_1_database_gains_retirement_and_republishes_its_keys(db_url):
    from sync.central.storage import open_storage

    storage = open_storage(db_url)
    kid = storage.signing_key()[0]
    with storage.engine.transaction(serialise=True) as c:   # back to what schema 1 wrote
        c.execute("ALTER TABLE central_keys DROP COLUMN retired_at")
        c.execute("DELETE FROM central_schema")
        c.execute("INSERT INTO central_schema (version, applied_at) VALUES (1, 0)")
        c.execute("UPDATE ref_items SET data = '{\"id\": \"x\"}' WHERE dataset = 'keys' AND id <> 'deployment-hmac'")
    storage.close()
    storage = open_storage(db_url)
    try:
        [key] = storage.signing_keys()
        assert key["id"] == kid and key["status"] == "active"
        storage.rotate_key()
        assert storage.retire_key(kid) is True
    finally:
        storage.close()


# -- issuing ---------------------------------------------------------------------------------------
def test_a_form_code_carries_the_claim_and_todays_date_on_centrals_clock(seeded):
    issued = issue_form_code(seeded, "CLM-2026-0001", now=NOW)
    got = codes.verify_form(issued.text, ring_of(seeded))
    assert (got.claim_id, got.employee_no, got.amount_cents) == ("CLM-2026-0001", "E1001", 12850)
    assert got.issued == issued.issued == datetime.date(2026, 11, 30)


@pytest.mark.parametrize("claim_id, words", [
    ("CLM-2026-9999", "no claim 'CLM-2026-9999'"),
    ("CLM-2026-0009", "'received', not 'awaiting_envelope'"),
    ("clm-lower", "claim id 'clm-lower' cannot go into a code"),
    ("CLM-NO-AMOUNT", "amount must be whole cents"),
])
def test_a_claim_that_cannot_get_a_form_code(seeded, claim_id, words):
    with pytest.raises(IssueError, match=words):
        issue_form_code(seeded, claim_id, now=NOW)


def test_a_collection_code_lives_its_ttl_on_the_box(storage):
    issued = issue_collection_code(storage, "DBX-SHA-0001", ttl_s=900, now=NOW)
    ring = ring_of(storage)
    assert issued.not_after == NOW + 900
    got = codes.verify_collection(issued.text, ring, now=NOW + 900, box_id="DBX-SHA-0001")
    assert got.nonce == issued.nonce and got.box_id == "DBX-SHA-0001"
    assert refusal(issued.text, ring, now=NOW + 901, box_id="DBX-SHA-0001") == codes.EXPIRED
    assert refusal(issued.text, ring, now=NOW, box_id="DBX-SHA-0002") == codes.WRONG_BOX
    anybox = issue_collection_code(storage, "*", now=NOW)
    assert anybox.box_id is None and codes.verify(anybox.text, ring, now=NOW, box_id="DBX-X").box_id is None


@pytest.mark.parametrize("ttl", [0, -1, 7 * 86_400 + 1, float("nan")])
def test_a_collection_code_lifetime_out_of_bounds(storage, ttl):
    with pytest.raises(IssueError, match="at most 604800 seconds"):
        issue_collection_code(storage, "DBX-SHA-0001", ttl_s=ttl, now=NOW)


# -- a terminal learns both keys through sync -------------------------------------------------------
def test_a_terminal_pulls_the_keys_and_learns_rotation_and_retirement(reference_central, seeded, run_cli, tmp_path):
    from sync.client import CentralClient, Credentials
    from sync.pull import Puller, reference_items
    from sync.state import all_state
    from tests.helpers.sync_helpers import open_terminal_store, write_config

    config = write_config(tmp_path / "box", "DBX-T-0001", role="dropbox")
    token = seeded.create_token("DBX-T-0001", ttl_s=600)
    code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", reference_central.url,
                           f"--token={token}")
    assert code == 0, err
    _, store = open_terminal_store(config)
    client = CentralClient(Credentials.from_state(all_state(store.conn)))
    try:
        old = issue_form_code(seeded, "CLM-2026-0001", now=NOW)
        Puller(store).pull_all(client)
        assert codes.verify_form(old.text, reference_items(store.conn, "keys")).claim_id == "CLM-2026-0001"

        seeded.rotate_key()
        new = issue_form_code(seeded, "CLM-2026-0002", now=NOW)
        assert refusal(new.text, reference_items(store.conn, "keys")) == codes.UNKNOWN_KEY     # not pulled yet
        Puller(store).pull(client, "keys")
        both = reference_items(store.conn, "keys")
        assert codes.verify(old.text, both) and codes.verify(new.text, both)

        seeded.retire_key(old.key_id)
        Puller(store).pull(client, "keys")
        after = reference_items(store.conn, "keys")
        assert refusal(old.text, after) == codes.RETIRED_KEY
        assert codes.verify_form(new.text, after).claim_id == "CLM-2026-0002"
    finally:
        client.close()
        store.close()


# -- the drop box's events reach the feed ------------------------------------------------------------
DROPBOX_EVENTS = [
    ("dropbox.received", {"claim_id": "CLM-2026-0001", "envelope_id": "V-1", "employee_no": "E1001",
                          "amount_cents": 12850, "key_id": "ABCDEFGH", "checked": "claims", "count": 1}),
    ("dropbox.no_drop", {"claim_id": "CLM-2026-0002", "reason": "timeout", "envelope_id": "V-2", "window_s": 10}),
    ("dropbox.refused", {"reason": "retired_key", "claim_id": "CLM-2026-0003"}),
    ("dropbox.alarm", {"kind": "beam_stuck", "detail": "beam blocked for 30 s"}),
    ("dropbox.near_full", {"count": 80, "capacity": 100, "percent": 80}),
    ("dropbox.collected", {"batch_id": "B-20261130-1", "count": 2, "claim_ids": ["CLM-2026-0001", "CLM-2026-0004"],
                           "authorised_by": "code:ABCDEFGH", "box_id": "DBX-T-0001"}),
]


def test_central_accepts_every_drop_box_event_and_the_feed_shows_each_batch(reference_central, storage):
    device = reference_central.device("DBX-T-0001")
    events = [make_event(i + 1, type=t, payload=p) for i, (t, p) in enumerate(DROPBOX_EVENTS)]
    results = device.post_events(events).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * len(DROPBOX_EVENTS)
    feed, _ = storage.feed()
    batches = {e["payload"]["batch_id"]: e["payload"]["claim_ids"] for e in feed if e["type"] == "dropbox.collected"}
    assert batches == {"B-20261130-1": ["CLM-2026-0001", "CLM-2026-0004"]}


@pytest.mark.parametrize("event_type, payload, words", [
    ("dropbox.collected", {"batch_id": "B-1", "count": "2", "claim_ids": []}, "count must be a whole number"),
    ("dropbox.collected", {"batch_id": "B-1", "count": 2, "claim_ids": "CLM-1,CLM-2"}, "claim_ids must be a list"),
    ("dropbox.collected", {"batch_id": "B-1", "count": 1, "claim_ids": [""]}, "claim_ids must be a list"),
    ("dropbox.collected", {"collection_id": "C", "courier": "x", "envelope_count": 1}, "lacks batch_id"),
    ("dropbox.received", {"claim_id": "", "envelope_id": "V-1"}, "claim_id must be a non-empty string"),
    ("dropbox.received", {"claim_id": "C", "envelope_id": "V-1", "amount_cents": True}, "amount_cents must be"),
    ("dropbox.near_full", {"count": 80}, "lacks capacity"),
    ("dropbox.alarm", {"kind": 3}, "kind must be a non-empty string"),
    ("dropbox.refused", {}, "lacks reason"),
])
def test_central_refuses_a_drop_box_event_out_of_its_schema(reference_central, event_type, payload, words):
    [result] = reference_central.device("DBX-T-0001").post_events(
        [make_event(1, type=event_type, payload=payload)]).json()["results"]
    assert result["status"] == "rejected" and words in result["reason"]


# -- terminal central ... ---------------------------------------------------------------------------
def test_cli_keys_rotate_and_retire(run_cli, db_url):
    code, out, _ = run_cli("central", "keys", "--db", db_url, "--json")
    [first] = json.loads(out)
    assert code == 0 and first["status"] == "active"
    code, out, _ = run_cli("central", "rotate-key", "--db", db_url, "--json")
    assert code == 0 and json.loads(out)["status"] == "active"
    code, out, _ = run_cli("central", "retire-key", "--db", db_url, first["code_key_id"])
    assert code == 0 and "retired" in out
    code, out, _ = run_cli("central", "retire-key", "--db", db_url, first["id"])
    assert code == 0 and "already retired" in out
    code, out, _ = run_cli("central", "keys", "--db", db_url)
    assert [line.split()[-1] for line in out.splitlines()] == ["retired", "active"]
    code, _, err = run_cli("central", "retire-key", "--db", db_url, "nope")
    assert code == 2 and "has no Ed25519 key 'nope'" in err and "Traceback" not in err


def test_cli_form_code_prints_the_code_and_writes_a_form(run_cli, seeded, db_url, tmp_path):
    code, out, err = run_cli("central", "form-code", "--db", db_url, "--claim", "CLM-2026-0001")
    assert code == 0, err
    assert codes.verify_form(out.strip(), ring_of(seeded)).claim_id == "CLM-2026-0001"
    code, out, err = run_cli("central", "form-code", "--db", db_url, "--claim", "CLM-2026-0001",
                             "--pdf", str(tmp_path / "f.pdf"), "--json")
    got = json.loads(out)
    assert code == 0 and got["pdf"] == str(tmp_path / "f.pdf") and (tmp_path / "f.pdf").read_bytes()[:5] == b"%PDF-"
    assert got["amount_cents"] == 12850 and got["code"].startswith("RF1.CLM-2026-0001.")


@pytest.mark.parametrize("argv, words", [
    (["--claim", "CLM-2026-9999"], "no claim 'CLM-2026-9999'"),
    (["--claim", "CLM-2026-0009"], "'received'"),
    (["--claim", "CLM-2026-0001", "--pdf", "/nonexistent/dir/f.pdf"], "cannot write the form to /nonexistent"),
])
def test_cli_form_code_refusals(run_cli, seeded, db_url, argv, words):
    code, _, err = run_cli("central", "form-code", "--db", db_url, *argv)
    assert code in (1, 2) and words in err and "Traceback" not in err


def test_cli_collection_code_with_a_png(run_cli, storage, db_url, tmp_path):
    from PIL import Image

    from dropbox.qr import decode

    code, out, err = run_cli("central", "collection-code", "--db", db_url, "--box", "DBX-SHA-0001", "--ttl", "60",
                             "--png", str(tmp_path / "c.png"), "--json")
    assert code == 0, err
    got = json.loads(out)
    import numpy as np

    [read] = decode(np.asarray(Image.open(tmp_path / "c.png").convert("L")))
    assert read.payload == got["code"]
    checked = codes.verify_collection(got["code"], ring_of(storage), now=got["not_after"], box_id="DBX-SHA-0001")
    assert checked.nonce == got["nonce"]


@pytest.mark.parametrize("argv, words", [
    (["--box", "DBX-1", "--ttl", "0"], "at most 604800 seconds"),
    (["--box", "DBX-1", "--ttl", "１０"], "digits 0-9"),
    (["--box", "DBX-1", "--ttl", "nan"], "digits 0-9"),
    (["--box", "bad box"], "is not a device id"),
])
def test_cli_collection_code_refusals(run_cli, capsys, db_url, argv, words):
    try:
        code, _, err = run_cli("central", "collection-code", "--db", db_url, *argv)
    except SystemExit as exc:               # argparse refuses a value by exiting 2 with a usage line
        code, err = exc.code, capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err


def test_cli_load_names_claims_no_form_code_can_carry(run_cli, db_url, tmp_path):
    path = tmp_path / "claims.jsonl"
    path.write_text("\n".join(json.dumps(c) for c in CLAIMS) + "\n")
    code, _, err = run_cli("central", "load", "--db", db_url, "--dataset", "claims", str(path))
    assert code == 0 and "2 claim(s) cannot get a form code" in err and "clm-lower, CLM-NO-AMOUNT" in err


def test_the_printed_form_is_one_a4_page_whose_code_a_box_reads_back(seeded, tmp_path):
    # pdftoppm (poppler-utils, apt-packages.txt) rasterises the PDF as a printer would.
    import subprocess

    import numpy as np
    from PIL import Image

    from dropbox.qr import decode
    from sync.central.formpdf import render_form

    issued = issue_form_code(seeded, "CLM-2026-0001", now=NOW)
    render_form(tmp_path / "form.pdf", issued)
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(tmp_path / "form.pdf"), str(tmp_path / "page")],
                   check=True, timeout=60)
    [page] = sorted(tmp_path.glob("page*.png"))
    image = Image.open(page).convert("L")
    assert abs(image.width - 1240) <= 2 and abs(image.height - 1754) <= 2          # A4 at 150 dpi
    [read] = decode(np.asarray(image))
    assert read.payload == issued.text
    assert codes.verify_form(read.payload, ring_of(seeded)).amount_cents == 12850


def test_the_demo_central_issues_a_form_for_each_awaiting_claim_and_a_courier_code(tmp_path):
    import time

    from sync.central.demo import CLAIMS as DEMO_CLAIMS
    from sync.central.demo import central_db, demo_collection_code, demo_form_codes, prepare_central
    from sync.central.storage import open_storage

    prepare_central(tmp_path, {"dropbox": "DBX-DEMO-0001"})
    forms = demo_form_codes(tmp_path, pdf_dir=tmp_path / "forms")
    courier = demo_collection_code(tmp_path, "DBX-DEMO-0001")
    storage = open_storage(central_db(tmp_path))
    try:
        ring = ring_of(storage)
    finally:
        storage.close()
    assert sorted(forms) == sorted(c["id"] for c in DEMO_CLAIMS if c["status"] == "awaiting_envelope")
    assert all(codes.verify_form(text, ring).claim_id == claim for claim, text in forms.items())
    assert sorted(p.name for p in (tmp_path / "forms").iterdir()) == [f"{c}.pdf" for c in sorted(forms)]
    assert codes.verify_collection(courier, ring, now=time.time(), box_id="DBX-DEMO-0001").box_id == "DBX-DEMO-0001"


def test_a_received_envelope_settles_its_claim_for_every_box_and_a_collection_names_its_batch(
        reference_central, seeded):
    box = reference_central.device("DBX-T-0001")
    other = reference_central.device("DBX-T-0002")
    before = other.reference("claims").json()["cursor"]
    results = box.post_events([
        make_event(1, type="dropbox.received", payload={"claim_id": "CLM-2026-0001", "envelope_id": "V-1"}),
        make_event(2, type="dropbox.received", payload={"claim_id": "CLM-OFFLINE-1", "envelope_id": "V-2",
                                                        "checked": "signature"}),
        make_event(3, type="dropbox.collected", payload={"batch_id": "B-1", "count": 2,
                                                         "claim_ids": ["CLM-2026-0001", "CLM-OFFLINE-1"]}),
    ]).json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 3
    delta = other.reference("claims", before).json()
    assert [(i["id"], i["status"], i["box_id"], i["envelope_id"], i["batch_id"]) for i in delta["items"]] == [
        ("CLM-2026-0001", "received", "DBX-T-0001", "V-1", "B-1")]
    with pytest.raises(IssueError, match="'received'"):
        issue_form_code(seeded, "CLM-2026-0001", now=NOW)
    # the same batch again (a retry) is a duplicate and changes nothing
    again = box.post_events([make_event(1, type="dropbox.received",
                                        payload={"claim_id": "CLM-2026-0001", "envelope_id": "V-1"})]).json()
    assert again["results"][0]["status"] == "duplicate"
    assert other.reference("claims", delta["cursor"]).json()["items"] == []
