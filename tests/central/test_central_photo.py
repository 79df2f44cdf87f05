"""GET /v1/photo/{employee_no} on the reference central, through the device's own client
(sync.client.get_photo / fetch_photo), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib

import pytest
import requests

from sync.central.routes.photo import (PHOTO_LIMIT, PhotoRefused, demo_photo, image_type, load_photos, put_photo,
                                       seed_demo_photos)
from sync.client import CentralClient, Credentials, NoPhoto, Retryable, get_photo

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Clock:
    def __init__(self, t: float = 1_800_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t

    def wall(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def central(make_central, clock):
    return make_central(now=clock)


def client(central, clock, device_id="KSK-T-0001") -> CentralClient:
    device = central.device(device_id)
    return CentralClient(Credentials(central.url, device.device_id, device.secret), clock=clock,
                         connect_timeout_s=5, read_timeout_s=10)


def test_the_kiosk_gets_the_photo_bytes_it_was_given(central, clock):
    put_photo(central.storage, "E1001", JPEG)
    c = client(central, clock)
    assert get_photo(c, "E1001") == JPEG
    put_photo(central.storage, "E1001", PNG)          # HR replaced it
    assert get_photo(c, "E1001") == PNG
    c.close()


def test_the_answer_is_not_cached_and_says_its_type(central, clock):
    put_photo(central.storage, "E1001", JPEG)
    device = central.device()
    response = device.signed("GET", "/v1/photo/E1001", timestamp=clock())
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert body["content_type"] == "image/jpeg" and base64.b64decode(body["image_b64"]) == JPEG
    assert body["sha256"] == hashlib.sha256(JPEG).hexdigest()


def test_no_photo_is_its_own_outcome(central, clock):
    with pytest.raises(NoPhoto, match="no HR photo for employee E404"):
        get_photo(client(central, clock), "E404")


@pytest.mark.parametrize("employee_no", ["", "E 1", "E1001/../x", "Ｅ1001", "E1" * 17, "E1001\n", None])
def test_a_bad_employee_number_is_refused_before_any_request(central, clock, employee_no):
    c = client(central, clock)
    with pytest.raises(ValueError, match="is not 1-32 ASCII letters"):
        get_photo(c, employee_no)


@pytest.mark.parametrize("path", ["/v1/photo/E%201", "/v1/photo/%EF%BC%A51001", "/v1/photo/" + "E" * 33])
def test_central_refuses_what_is_not_an_employee_number(central, clock, path):
    response = central.device().signed("GET", path, timestamp=clock())
    assert response.status_code == 400 and "employee_no" in response.json()["detail"]


def test_unsigned_and_replayed_requests_get_no_photo(central, clock):
    put_photo(central.storage, "E1001", JPEG)
    assert requests.get(central.url + "/v1/photo/E1001", timeout=10).status_code == 401
    device = central.device()
    assert device.signed("GET", "/v1/photo/E1001", timestamp=clock(), nonce="r" * 32).status_code == 200
    again = device.signed("GET", "/v1/photo/E1001", timestamp=clock(), nonce="r" * 32)
    assert again.status_code == 401 and again.json()["error"] == "replayed"


def test_one_terminal_cannot_scrape_every_photo(central, clock):
    put_photo(central.storage, "E1001", JPEG)
    window_s, allowed = PHOTO_LIMIT
    c = client(central, clock)
    for _ in range(allowed):
        get_photo(c, "E1001")
    with pytest.raises(Retryable) as info:
        get_photo(c, "E1001")
    assert info.value.status == 429 and 0 < info.value.retry_after_s <= window_s
    assert get_photo(client(central, clock, "KSK-T-0002"), "E1001") == JPEG     # another terminal is not limited
    clock.t += window_s
    assert get_photo(c, "E1001") == JPEG


def test_a_damaged_answer_is_not_taken_for_a_photo(central, clock, monkeypatch):
    put_photo(central.storage, "E1001", JPEG)
    c = client(central, clock)
    real = c._classify

    def tamper(response):
        answer = real(response)
        answer["image_b64"] = base64.b64encode(JPEG[:-1]).decode()
        return answer

    monkeypatch.setattr(c, "_classify", tamper)
    with pytest.raises(Retryable, match="damaged"):
        get_photo(c, "E1001")


@pytest.mark.parametrize("employee_no, data, words", [
    ("E1001", b"GIF89a....", "not a JPEG or PNG"),
    ("E 1001", JPEG, "employee number"),
    ("E1001", b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024), "above the limit"),
])
def test_central_stores_only_photos_it_can_serve(storage, employee_no, data, words):
    with pytest.raises(PhotoRefused, match=words):
        put_photo(storage, employee_no, data)


def test_load_photos_names_the_file_it_cannot_store(storage, tmp_path):
    (tmp_path / "E1001.jpg").write_bytes(JPEG)
    (tmp_path / "E1002.png").write_bytes(PNG)
    (tmp_path / "notes.txt").write_text("ignored")
    assert load_photos(storage, tmp_path) == ["E1001", "E1002"]
    (tmp_path / "E1003.jpg").write_bytes(b"not a picture")
    with pytest.raises(PhotoRefused, match="E1003.jpg: the photo for E1003 is not a JPEG"):
        load_photos(storage, tmp_path)
    with pytest.raises(PhotoRefused, match="not a folder"):
        load_photos(storage, tmp_path / "E1001.jpg")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PhotoRefused, match="no .jpg, .jpeg or .png files"):
        load_photos(storage, tmp_path / "empty")


def test_demo_photos_come_from_the_test_portraits(storage, tmp_path):
    assert seed_demo_photos(storage, ["E1001", "E1002"]) == 2
    assert seed_demo_photos(storage, ["E1001", "E1002"]) == 0       # idempotent: an existing photo is kept
    synthetic = demo_photo("E1001", faces=tmp_path)                  # no test data: a drawn picture
    assert image_type(synthetic) == "image/jpeg"


def test_terminal_central_photos_loads_a_folder(run_cli, tmp_path):
    from sync.central.storage import open_storage

    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "E1001.jpg").write_bytes(JPEG)
    db = tmp_path / "central.db"
    code, out, err = run_cli("central", "photos", "--db", str(db), str(folder))
    assert (code, out.strip()) == (0, f"1 HR photo(s) loaded from {folder}"), err
    storage = open_storage(str(db))
    try:
        with storage.engine.connection() as c:
            assert c.execute("SELECT employee_no FROM hr_photos").fetchall() == [("E1001",)]
    finally:
        storage.close()
    (folder / "E1002.jpg").write_bytes(b"GIF89a")
    code, out, err = run_cli("central", "photos", "--db", str(db), str(folder))
    assert code == 2 and "E1002.jpg: the photo for E1002 is not a JPEG or PNG file" in err


def test_the_demo_central_has_a_usable_photo_for_every_demo_employee(tmp_path):
    """make demo: each directory person's HR photo is a face the kiosk's matcher accepts as a reference."""
    from kiosk.face import FaceMatcher
    from sync.central.demo import DIRECTORY, prepare_central
    from sync.central.storage import open_storage

    db = prepare_central(tmp_path, {"kiosk": "KSK-DEMO-0001"})
    storage = open_storage(str(db))
    try:
        with storage.engine.connection() as c:
            rows = dict(c.execute("SELECT employee_no, data FROM hr_photos").fetchall())
    finally:
        storage.close()
    assert sorted(rows) == sorted(p["employee_no"] for p in DIRECTORY)
    from sync.central.routes.photo import shared_faces

    if shared_faces().is_dir():          # without the test portraits the photos are drawn: no face on purpose
        for data in rows.values():
            FaceMatcher(base64.b64decode(data)).wipe()


def test_fetch_photo_with_the_kiosk_s_enrolment_and_config(run_cli, sim_config, make_central):
    """The kiosk's own path: the store's enrolment and the [sync] settings, against the reference central."""
    import argparse

    from sync.cli import _open
    from sync.client import CentralCallFailed, fetch_photo

    central = make_central()
    put_photo(central.storage, "E1001", JPEG)
    config = sim_config("kiosk")
    args = argparse.Namespace(config=str(config))
    cfg, store = _open(args)
    with store:
        with pytest.raises(CentralCallFailed, match="not enrolled"):
            fetch_photo(store, cfg, "E1001")
    token = central.storage.create_token(cfg.device_id, ttl_s=600)
    code, out, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url, "--token", token)
    assert code == 0, err
    cfg, store = _open(args)
    with store:
        assert fetch_photo(store, cfg, "E1001") == JPEG
        with pytest.raises(NoPhoto):
            fetch_photo(store, cfg, "E1002")
