"""Enrolment, reference datasets with cursors, and the consumer feed (both engines)."""

from __future__ import annotations

import base64
import json

import requests

from sync import wire
from sync.central.client import DeviceClient, make_event


def _enroll(central, device_id, token):
    return requests.post(central.url + "/v1/enroll", json={"device_id": device_id, "token": token}, timeout=10)


def test_enrolment_token_works_once_and_only_for_its_device(reference_central, storage):
    token = storage.create_token("KSK-T-0001", ttl_s=600)
    wrong = _enroll(reference_central, "KSK-T-9999", token)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_token"
    r = _enroll(reference_central, "KSK-T-0001", token)
    assert r.status_code == 200
    body = r.json()
    assert body["device_id"] == "KSK-T-0001" and len(base64.b64decode(body["secret"])) == 32
    assert abs(body["server_time"] - float(r.headers[wire.H_SERVER_TIME])) < 5
    again = _enroll(reference_central, "KSK-T-0001", token)
    assert again.status_code == 401 and again.json()["error"] == "invalid_token"
    assert _enroll(reference_central, "KSK-T-0001", "enr_made_up").status_code == 401


def test_enrolment_registers_the_terminal_public_key(reference_central, storage):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    raw = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw,
                                                                 serialization.PublicFormat.Raw)
    token = storage.create_token("KSK-T-0001", ttl_s=600)
    bad = requests.post(reference_central.url + "/v1/enroll", json={"device_id": "KSK-T-0001", "token": token,
                                                          "public_key": "bm90IGEga2V5"}, timeout=10)
    assert bad.status_code == 400 and "Ed25519" in bad.json()["detail"]
    key = base64.b64encode(raw).decode()
    r = requests.post(reference_central.url + "/v1/enroll", json={"device_id": "KSK-T-0001", "token": token,
                                                        "public_key": key}, timeout=10)
    assert r.status_code == 200
    (terminal,) = reference_central.status("/v1/status").json()["terminals"]
    assert terminal["public_key"] == key


def test_expired_token_is_refused(reference_central, storage):
    token = storage.create_token("KSK-T-0001", ttl_s=-1)
    assert _enroll(reference_central, "KSK-T-0001", token).json()["error"] == "invalid_token"
    assert not storage.is_enrolled("KSK-T-0001")


def test_malformed_enrolment_requests_are_refused(reference_central):
    r = requests.post(reference_central.url + "/v1/enroll", data=b"{nope", timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "malformed_json"
    r = requests.post(reference_central.url + "/v1/enroll", json={"device_id": "../etc", "token": "x"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"] == "bad_request"


def test_re_enrolment_rotates_the_secret(reference_central, storage):
    old = reference_central.device("KSK-T-0001")
    assert old.post_events([make_event(1)]).status_code == 200
    new = reference_central.device("KSK-T-0001")
    assert new.secret != old.secret
    assert old.post_events([make_event(2)]).json()["error"] == "bad_signature"
    assert new.post_events([make_event(2)]).json()["results"][0]["status"] == "accepted"


def test_keys_dataset_carries_the_deployment_key_and_central_public_key(reference_central):
    page = reference_central.device().reference("keys").json()
    by_kind = {item["kind"]: item for item in page["items"]}
    assert len(base64.b64decode(by_kind["hmac-sha256"]["key"])) == 32
    assert len(base64.b64decode(by_kind["ed25519"]["public_key"])) == 32
    assert page["full"] is True and page["more"] is False


def test_directory_is_keyed_by_hmac_and_never_carries_the_id_number(reference_central, storage):
    from sync.central.reference import to_item

    key = storage.deployment_key()
    lines = [{"employee_no": "E1001", "id_number": "11010519491231002X", "name": "Li Lei", "phone": "13800138000"},
             {"employee_no": "E1002", "id_number": "110105194912310037", "name": "Han Meimei"}]
    storage.load_reference("directory", [to_item("directory", x, deployment_key=key) for x in lines])
    device = reference_central.device()
    r = device.reference("directory")
    assert "11010519491231002X" not in r.text and "110105194912310037" not in r.text
    items = {i["id"]: i for i in r.json()["items"]}
    keys = {i["kind"]: i for i in device.reference("keys").json()["items"]}
    synced_key = base64.b64decode(keys["hmac-sha256"]["key"])
    assert items["E1001"]["id_hmac"] == wire.directory_id_hmac(synced_key, "11010519491231002x")
    assert items["E1001"]["phone"] == "13800138000"


def test_the_directory_drops_an_id_number_under_any_column_name(storage):
    # An HR export with the number twice ("id_card", or a column named in Chinese) must not
    # put the plain number into central's store or onto every terminal.
    from sync.central.reference import to_item

    item = to_item("directory", {"employee_no": "E1", "id_number": "11010519491231002X", "name": "Li Lei",
                                 "id_card": "11010519491231002X", "身份证号": "11010519491231002X",
                                 "phone": "13800138000"}, deployment_key=storage.deployment_key())
    assert "1101051949" not in json.dumps(item, ensure_ascii=False)
    assert item["phone"] == "13800138000" and item["name"] == "Li Lei" and item["id_hmac"]


def _load(storage, dataset, items, **kw):
    return storage.load_reference(dataset, items, **kw)


def _pull_all(device, dataset, cursor=None, limit=1000):
    """Follow pages until more is false: (items by id, deleted ids, last cursor, pages)."""
    items, deleted, pages = {}, set(), []
    while True:
        r = device.reference(dataset, cursor, limit)
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        for item in page["items"]:
            items[item["id"]] = item
            deleted.discard(item["id"])
        for gone in page["deleted"]:
            items.pop(gone, None)
            deleted.add(gone)
        cursor = page["cursor"]
        if not page["more"]:
            return items, deleted, cursor, pages


def test_snapshot_pages_then_deltas_carry_changes_and_deletions(reference_central, storage):
    _load(storage, "templates", [{"id": f"T{i}", "title": f"template {i}"} for i in range(5)])
    device = reference_central.device()
    items, _, cursor, pages = _pull_all(device, "templates", limit=2)
    assert sorted(items) == [f"T{i}" for i in range(5)]
    assert len(pages) == 3 and all(p["full"] for p in pages)
    # Nothing changed: an empty delta.
    r = device.reference("templates", cursor).json()
    assert (r["items"], r["deleted"], r["full"], r["cursor"]) == ([], [], False, cursor)
    counts = _load(storage, "templates", [{"id": "T1", "title": "changed"}, {"id": "T9", "title": "new"},
                                          {"id": "T3", "deleted": True}, {"id": "T0", "title": "template 0"}])
    assert (counts["added"], counts["changed"], counts["deleted"], counts["unchanged"]) == (1, 1, 1, 1)
    delta = device.reference("templates", cursor).json()
    assert {i["id"]: i["title"] for i in delta["items"]} == {"T1": "changed", "T9": "new"}
    assert delta["deleted"] == ["T3"] and delta["full"] is False


def test_replace_deletes_what_the_file_no_longer_has(reference_central, storage):
    _load(storage, "revoked_badges", [{"id": "B1"}, {"id": "B2"}])
    device = reference_central.device()
    _, _, cursor, _ = _pull_all(device, "revoked_badges")
    _load(storage, "revoked_badges", [{"id": "B2"}, {"id": "B3"}], replace=True)
    delta = device.reference("revoked_badges", cursor).json()
    assert [i["id"] for i in delta["items"]] == ["B3"] and delta["deleted"] == ["B1"]


def test_changes_during_a_paged_snapshot_reach_the_device_with_the_next_delta(reference_central, storage):
    _load(storage, "claims", [{"id": f"C{i}", "amount_cents": i} for i in range(4)])
    device = reference_central.device()
    first = device.reference("claims", limit=2).json()
    assert first["more"] and first["full"] and [i["id"] for i in first["items"]] == ["C0", "C1"]
    # While the device pages: C0 (already sent) is deleted, C1 (already sent) changes, C5 appears.
    _load(storage, "claims", [{"id": "C0", "deleted": True}, {"id": "C1", "amount_cents": 100},
                              {"id": "C5", "amount_cents": 5}])
    # A device stages snapshot pages (items only) and swaps them in at the end...
    copy = {i["id"]: i for i in first["items"]}
    cursor = first["cursor"]
    while True:
        page = device.reference("claims", cursor, limit=2).json()
        assert page["full"] and page["deleted"] == []
        copy.update({i["id"]: i for i in page["items"]})
        cursor = page["cursor"]
        if not page["more"]:
            break
    # ...then the first delta brings what changed while it paged, the deletion included.
    delta = device.reference("claims", cursor).json()
    assert delta["full"] is False and delta["deleted"] == ["C0"]
    copy.update({i["id"]: i for i in delta["items"]})
    for gone in delta["deleted"]:
        copy.pop(gone, None)
    assert {k: v["amount_cents"] for k, v in copy.items()} == {"C1": 100, "C2": 2, "C3": 3, "C5": 5}
    assert device.reference("claims", delta["cursor"]).json()["items"] == []


def test_resync_is_asked_with_410_after_a_rebuild_a_compaction_or_a_foreign_cursor(reference_central, storage):
    _load(storage, "config", [{"id": "kiosk", "idle_timeout_s": 60}])
    device = reference_central.device()
    _, _, cursor, _ = _pull_all(device, "config")
    for bad in ("garbage", "1.99999", "7.0"):
        r = device.reference("config", bad)
        assert r.status_code == 410 and r.json()["error"] == "resync", bad
    storage.force_resync("config")
    r = device.reference("config", cursor)
    assert r.status_code == 410 and r.json()["error"] == "resync"
    items, _, cursor, _ = _pull_all(device, "config")
    assert list(items) == ["kiosk"]
    _load(storage, "config", [{"id": "kiosk", "deleted": True}])
    assert storage.compact_reference("config") == 1
    assert device.reference("config", cursor).status_code == 410


def test_reference_pulls_are_signed_and_unknown_datasets_refused(reference_central):
    assert requests.get(reference_central.url + "/v1/reference/keys", timeout=10).status_code == 401
    device = reference_central.device()
    r = device.reference("salaries")
    assert r.status_code == 404 and r.json()["error"] == "unknown_dataset"
    stranger = DeviceClient(reference_central.url, "KSK-NOBODY-0001", b"s" * 32)
    assert stranger.reference("keys").json()["error"] == "unknown_device"


def test_feed_needs_a_consumer_token_and_pages_in_commit_order(reference_central, storage):
    a, b = reference_central.device("KSK-T-0001"), reference_central.device("DBX-T-0001")
    a.post_events([make_event(1), make_event(2)])
    b.post_events([make_event(1)])
    a.post_events([make_event(3)])
    assert requests.get(reference_central.url + "/v1/feed", timeout=10).status_code == 401
    r = requests.get(reference_central.url + "/v1/feed", headers={"Authorization": "Bearer feed_wrong"}, timeout=10)
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    auth = {"Authorization": f"Bearer {storage.create_consumer_token('reimbursement-approval')}"}
    page = requests.get(reference_central.url + "/v1/feed?limit=3", headers=auth, timeout=10).json()
    assert [(i["device_id"], i["seq"]) for i in page["items"]] == [
        ("KSK-T-0001", 1), ("KSK-T-0001", 2), ("DBX-T-0001", 1)]
    assert page["more"] is True
    rest = requests.get(reference_central.url + f"/v1/feed?after={page['cursor']}", headers=auth, timeout=10).json()
    assert [(i["device_id"], i["seq"]) for i in rest["items"]] == [("KSK-T-0001", 3)]
    assert rest["more"] is False and rest["items"][0]["payload"] == {"n": 3}
    only_b = requests.get(reference_central.url + "/v1/feed?device_id=DBX-T-0001", headers=auth, timeout=10).json()
    assert [(i["device_id"], i["seq"]) for i in only_b["items"]] == [("DBX-T-0001", 1)]
    bad = requests.get(reference_central.url + "/v1/feed?after=minus-one", headers=auth, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"] == "bad_request"


def test_load_refuses_a_bad_file_whole(tmp_path, storage):
    from sync.central.reference import ReferenceFileError, read_items

    path = tmp_path / "directory.jsonl"
    path.write_text(json.dumps({"employee_no": "E1", "id_number": "11010519491231002X"}) + "\n"
                    + json.dumps({"employee_no": "E2"}) + "\n")
    try:
        read_items("directory", path, deployment_key=storage.deployment_key())
    except ReferenceFileError as exc:
        assert f"{path}:2" in str(exc) and "id_number" in str(exc)
    else:
        raise AssertionError("a directory line without id_number was accepted")
    assert storage.reference_page("directory", None, 10)["items"] == []


def test_enrolment_tells_a_re_enrolled_terminal_where_its_seqs_stand(reference_central, storage):
    import requests

    first = requests.post(f"{reference_central.url}/v1/enroll", timeout=10, json={
        "device_id": "KSK-T-0002", "token": storage.create_token("KSK-T-0002", ttl_s=60)}).json()
    assert first["last_seq"] == 0
    device = reference_central.device("KSK-T-0002")
    assert device.post_events([make_event(s) for s in (1, 2, 7)]).status_code == 200
    again = requests.post(f"{reference_central.url}/v1/enroll", timeout=10, json={
        "device_id": "KSK-T-0002", "token": storage.create_token("KSK-T-0002", ttl_s=60)}).json()
    assert again["last_seq"] == 7  # a terminal with a fresh store continues at 8, not at a colliding 1
