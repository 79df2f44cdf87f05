"""Reference data: per-dataset resumable cursors, atomic pages, full resync on 410, HMAC directory."""

import base64
import json

import pytest

from sync import wire
from sync.client import CentralClient, Credentials, Retryable
from sync.pull import Puller, ReferenceDataError, central_public_keys, directory_lookup, id_hmac, reference_items
from sync.state import all_state
from tests.helpers.sync_helpers import enroll, open_terminal_store, write_config

DEVICE = "DBX-T-0001"
KEY = b"deployment-key-0123456789abcdef!"


@pytest.fixture
def setup(tmp_path, central_double, run_cli):
    config = write_config(tmp_path / "t", DEVICE, role="dropbox")
    enroll(run_cli, central_double, config, DEVICE)
    cfg, store = open_terminal_store(config)
    client = CentralClient(Credentials.from_state(all_state(store.conn)))
    yield cfg, store, client
    client.close()
    store.close()


def employees(n, start=0):
    return [{"id": f"E{i:05d}", "id_hmac": id_hmac(KEY, f"1101051949123{i:05d}"), "name_masked": f"Z*{i}"}
            for i in range(start, start + n)]


def ids(store, dataset):
    return [i["id"] for i in reference_items(store.conn, dataset)]


def test_first_pull_takes_a_snapshot_of_every_dataset_then_deltas(setup, central_double, run_cli):
    cfg, store, client = setup
    central_double.put_items("directory", employees(25))
    central_double.put_items("keys", [{"id": "deployment-hmac", "kind": "hmac-sha256", "key": base64.b64encode(KEY).decode()}])
    central_double.put_items("claims", [{"id": "C-1", "employee_no": "E00001", "amount_cents": 1200}])
    puller = Puller(store, page_limit=10)
    counts = puller.pull_all(client)
    assert counts["directory"] == 25 and counts["keys"] == 1 and counts["claims"] == 1
    assert set(counts) == set(wire.DATASETS)
    central_double.put_items("directory", employees(3, start=100))
    central_double.delete_items("directory", ["E00000", "E00001"])
    central_double.put_items("directory", [{**employees(1, start=5)[0], "name_masked": "W*5"}])
    assert puller.pull(client, "directory") == 6
    got = ids(store, "directory")
    assert len(got) == 26 and "E00000" not in got and "E00102" in got
    assert json.loads(store.conn.execute("SELECT data FROM sync_ref_items WHERE id = 'E00005'").fetchone()[0]
                      )["name_masked"] == "W*5"
    code, out, _ = run_cli("sync", "pull", "--config", str(cfg.source))
    assert code == 0 and "directory" in out and "26 items held" in out


def test_directory_is_looked_up_by_hmac_and_never_holds_an_id_number(setup, central_double):
    cfg, store, client = setup
    central_double.put_items("keys", [{"id": "deployment-hmac", "kind": "hmac-sha256", "key": base64.b64encode(KEY).decode()}])
    central_double.put_items("directory", employees(3) + [{"id": "E09999", "id_hmac": "ff", "id_number": "110105194912310021"}])
    central_double.put_items("keys", [{"id": "central-ed25519-abc", "kind": "ed25519", "public_key": "cHVi"},
                                      {"id": "central-ed25519-old", "kind": "ed25519", "public_key": "b2xk",
                                       "status": "retired", "retired_at": 1764500000}])
    Puller(store).pull_all(client)
    assert central_public_keys(store.conn) == {"central-ed25519-abc": "cHVi"}  # a retired key verifies nothing
    found = directory_lookup(store.conn, "11010519491230000 1".replace(" ", ""))
    assert found and found["id"] == "E00001"
    assert directory_lookup(store.conn, "110105194912399999") is None
    dump = "\n".join(line for line in store.conn.iterdump())
    assert "110105194912310021" not in dump and "1101051949123" not in dump


def test_lookup_before_the_key_arrives_says_what_to_do(setup):
    cfg, store, client = setup
    with pytest.raises(ReferenceDataError, match="run 'terminal sync pull'"):
        directory_lookup(store.conn, "110105194912310021")


def test_410_forces_a_full_resync_that_replaces_the_copy_atomically(setup, central_double):
    cfg, store, client = setup
    central_double.put_items("directory", employees(12))
    puller = Puller(store, page_limit=5)
    puller.pull(client, "directory")
    central_double.delete_items("directory", [f"E{i:05d}" for i in range(6)])
    central_double.put_items("directory", employees(2, start=50))
    central_double.compact("directory")  # old cursors now get 410
    # the snapshot's second page fails: the old copy must still be whole and readable
    original = central_double.reference
    calls = {"n": 0}

    def flaky(dataset, query):
        calls["n"] += 1
        if calls["n"] == 3:
            return 503, {"error": "busy"}
        return original(dataset, query)

    central_double.reference = flaky
    with pytest.raises(Retryable):
        puller.pull(client, "directory")
    assert len(ids(store, "directory")) == 12  # untouched while the snapshot is staged
    central_double.reference = original
    puller.pull(client, "directory")  # resumes the staged snapshot from its cursor
    got = ids(store, "directory")
    assert got == [f"E{i:05d}" for i in range(6, 12)] + ["E00050", "E00051"]
    row = store.conn.execute("SELECT full_resyncs, staging FROM sync_ref_cursor WHERE dataset = 'directory'").fetchone()
    assert row == (1, 0)
    assert store.conn.execute("SELECT COUNT(*) FROM sync_ref_stage").fetchone()[0] == 0


def test_each_dataset_keeps_its_own_cursor(setup, central_double):
    cfg, store, client = setup
    central_double.put_items("templates", [{"id": "T1", "body": "a"}])
    central_double.put_items("revoked_badges", [{"id": "B1"}, {"id": "B2"}])
    puller = Puller(store)
    puller.pull_all(client)
    central_double.compact("templates")
    central_double.put_items("templates", [{"id": "T2", "body": "b"}])
    central_double.compact("templates")
    central_double.put_items("revoked_badges", [{"id": "B3"}])
    puller.pull_all(client)
    cursors = dict(store.conn.execute("SELECT dataset, full_resyncs FROM sync_ref_cursor"))
    assert cursors["templates"] == 1 and cursors["revoked_badges"] == 0
    assert ids(store, "templates") == ["T1", "T2"] and ids(store, "revoked_badges") == ["B1", "B2", "B3"]


def test_malformed_page_is_refused_without_changing_anything(setup, central_double):
    cfg, store, client = setup
    central_double.put_items("config", [{"id": "screen", "timeout_s": 30}])
    Puller(store).pull(client, "config")
    central_double.reference = lambda dataset, query: (200, {"items": [{"no_id": 1}], "cursor": "v9"})
    with pytest.raises(ReferenceDataError, match="malformed page"):
        Puller(store).pull(client, "config")
    assert ids(store, "config") == ["screen"]


def test_sync_run_pulls_reference_data_between_batches(tmp_path, central_double, run_cli):
    import threading

    from sync.forwarder import Forwarder

    config = write_config(tmp_path / "r", "DBX-T-0002", role="dropbox", pull_interval_s=300.0)
    enroll(run_cli, central_double, config, "DBX-T-0002")
    central_double.put_items("revoked_badges", [{"id": "B9"}])
    cfg, store = open_terminal_store(config)
    stop = threading.Event()
    with store:
        f = Forwarder(store, cfg.sync, device_id=cfg.device_id, stop=stop, puller=Puller(store))
        original = stop.wait
        stop.wait = lambda timeout=None: (stop.set(), original(0))[1]  # stop at the first idle wait
        assert f.run(once=False) == 0
        assert ids(store, "revoked_badges") == ["B9"]


def test_central_answering_410_to_everything_is_an_error_not_a_request_storm(setup, central_double):
    cfg, store, client = setup
    calls = {"n": 0}

    def always_gone(dataset, query):
        calls["n"] += 1
        return 410, {"error": "resync"}

    central_double.reference = always_gone
    with pytest.raises(ReferenceDataError, match="410"):
        Puller(store, page_limit=5).pull(client, "directory")
    assert calls["n"] <= 3  # not thousands of back-to-back requests


def test_a_stop_request_ends_a_long_pull_between_pages_and_it_resumes(setup, central_double):
    import threading

    cfg, store, client = setup
    central_double.put_items("directory", employees(30))
    stop = threading.Event()
    original = central_double.reference
    calls = {"n": 0}

    def counting(dataset, query):
        calls["n"] += 1
        stop.set()  # SIGTERM arrives while the first page is in flight
        return original(dataset, query)

    central_double.reference = counting
    puller = Puller(store, page_limit=5, stop=stop)
    assert puller.pull(client, "directory") == 5
    assert calls["n"] == 1 and ids(store, "directory") == []  # the snapshot is staged, not half-applied
    stop.clear()
    central_double.reference = original
    assert Puller(store, page_limit=5).pull(client, "directory") == 25  # resumes from the staged cursor
    assert len(ids(store, "directory")) == 30


def test_an_id_number_under_any_field_name_is_never_kept_in_the_directory(setup, central_double):
    cfg, store, client = setup
    central_double.put_items("directory", [
        {"id": "E1", "id_hmac": "aa", "name_masked": "Z*", "id_card": "110105194912310021"},
        {"id": "E2", "id_hmac": "bb", "身份证号": "11010519491231002X", "phone": "13800138000"},
        {"id": "E3", "id_hmac": "cc", "extra": {"old_id": "110105491231002"}},
    ])
    Puller(store).pull(client, "directory")
    items = {i["id"]: i for i in reference_items(store.conn, "directory")}
    assert set(items) == {"E1", "E2", "E3"}
    assert items["E1"] == {"id": "E1", "id_hmac": "aa", "name_masked": "Z*"}
    assert items["E2"] == {"id": "E2", "id_hmac": "bb", "phone": "13800138000"}  # the phone sends SMS codes
    assert items["E3"] == {"id": "E3", "id_hmac": "cc"}
    dump = "\n".join(store.conn.iterdump())
    assert "1101051949" not in dump and "110105491231" not in dump
