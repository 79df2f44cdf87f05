"""selftest.result: 'terminal selftest' queues it, the forwarder carries it, and central's status (JSON and
page) shows each terminal's latest -- newest by seq, so one delivered late never hides a newer one.
Runs on SQLite and PostgreSQL like the rest of central's suite.
"""

from __future__ import annotations

import json

import pytest

from sync import wire
from sync.central.client import make_event

PASS = {"ok": True, "passed": 2, "failed": 0, "software": "0.1.0",
        "results": [{"device": "store", "ok": True, "summary": "ok"}, {"device": "idcard", "ok": True, "summary": "ok"}]}
FAIL = {"ok": False, "passed": 1, "failed": 1, "software": "0.1.0",
        "results": [{"device": "store", "ok": True, "summary": "ok"},
                    {"device": "sms", "ok": False, "summary": "no SIM card <inserted>"}]}


def selftest_event(seq: int, payload: dict) -> dict:
    return make_event(seq, type="selftest.result", payload=payload, key=f"selftest-{seq}")


def latest(central, device_id: str) -> dict | None:
    (terminal,) = [t for t in central.status("/v1/status").json()["terminals"] if t["device_id"] == device_id]
    return terminal["selftest"]


def test_status_shows_the_latest_selftest_and_flags_a_failed_one(reference_central):
    device = reference_central.device()
    assert latest(reference_central, device.device_id) is None
    assert "none yet" in reference_central.status("/status").text
    assert device.post_events([selftest_event(1, PASS)]).status_code == 200
    summary = latest(reference_central, device.device_id)
    assert summary["ok"] is True and (summary["passed"], summary["failed"], summary["failing"]) == (2, 0, [])
    assert summary["software"] == "0.1.0" and summary["received_at"] > 0
    page = reference_central.status("/status").text
    assert "PASS 2/2" in page and 'class="ok"' in page
    assert device.post_events([selftest_event(2, FAIL)]).status_code == 200
    summary = latest(reference_central, device.device_id)
    assert summary["ok"] is False and summary["failing"] == [{"device": "sms", "summary": "no SIM card <inserted>"}]
    page = reference_central.status("/status").text
    assert "FAIL 1 of 2" in page and "sms: no SIM card &lt;inserted&gt;" in page   # escaped, and flagged
    assert 'class="bad"' in page


def test_a_selftest_delivered_late_never_hides_a_newer_one(reference_central):
    device = reference_central.device()
    # One batch holding both (newest wins), then an older one arriving alone afterwards.
    assert device.post_events([selftest_event(2, FAIL), selftest_event(3, PASS)]).status_code == 200
    assert device.post_events([selftest_event(1, FAIL)]).status_code == 200
    assert latest(reference_central, device.device_id)["ok"] is True


def test_each_terminal_has_its_own_latest(reference_central):
    kiosk, box = reference_central.device("KSK-T-0001"), reference_central.device("DBX-T-0001")
    kiosk.post_events([selftest_event(1, PASS)])
    box.post_events([selftest_event(1, FAIL)])
    assert latest(reference_central, "KSK-T-0001")["ok"] is True
    assert latest(reference_central, "DBX-T-0001")["ok"] is False


@pytest.mark.parametrize("payload, reason", [
    ({"results": []}, "payload lacks ok"),
    ({"ok": "yes", "results": []}, "field ok must be true or false"),
    ({"ok": True, "results": [{"device": "", "ok": True, "summary": ""}]}, "field results must be a list of"),
    ({"ok": True, "results": [{"device": "sms", "ok": 1, "summary": ""}]}, "field results must be a list of"),
    ({"ok": True, "results": ["store"]}, "field results must be a list of"),
])
def test_a_malformed_selftest_is_rejected_with_the_reason_and_changes_nothing(reference_central, payload, reason):
    device = reference_central.device()
    (result,) = device.post_events([selftest_event(1, payload)]).json()["results"]
    assert result["status"] == wire.REJECTED and reason in result["reason"]
    assert latest(reference_central, device.device_id) is None


def test_terminal_selftest_result_travels_to_centrals_status_page(tmp_path, reference_central, run_cli):
    """The technician's last step, end to end: selftest queues it, sync run --once forwards it."""
    from tests.helpers.sync_helpers import write_config

    config = write_config(tmp_path / "kiosk", device_id="KSK-T-0042")
    token = reference_central.storage.create_token("KSK-T-0042", ttl_s=600)
    code, _, err = run_cli("sync", "enroll", "--config", str(config), "--central", reference_central.url,
                           f"--token={token}")
    assert code == 0, err
    code, out, err = run_cli("selftest", "--config", str(config), "--json")
    rows = json.loads(out)
    assert "selftest result queued for central (outbox seq 1" in err
    code_sync, _, err_sync = run_cli("sync", "run", "--once", "--config", str(config))
    assert code_sync == 0, err_sync
    summary = latest(reference_central, "KSK-T-0042")
    failed = [r for r in rows if not r["ok"]]
    assert summary["ok"] is (code == 0) is (not failed)
    assert (summary["passed"], summary["failed"]) == (len(rows) - len(failed), len(failed))
    assert [f["device"] for f in summary["failing"]] == [r["device"] for r in failed]
    page = reference_central.status("/status").text
    assert "KSK-T-0042" in page and (f"FAIL {len(failed)} of {len(rows)}" if failed else "PASS") in page


def test_the_result_carries_masked_summaries_and_no_details():
    from drivers.health import Health
    from terminal.selftest import result_payload

    payload = result_payload([Health("idcard", False, "card 110105194912310021 of 欧阳娜娜 unreadable",
                                     details={"raw": "110105194912310021"})], "0.1.0")
    (row,) = payload["results"]
    assert "110105194912310021" not in json.dumps(payload, ensure_ascii=False)
    assert row == {"device": "idcard", "ok": False, "summary": row["summary"]} and "1101" in row["summary"]
    assert wire.check_event("selftest.result", 1, payload) is None


def test_a_store_that_failed_its_check_is_not_written_to(sim_config):
    from drivers.health import Health
    from sync.store_cli import store_path
    from terminal.schema import load_config
    from terminal.selftest import queue_result

    cfg = load_config(sim_config("kiosk"))
    note = queue_result(cfg, [Health("store", False, "1 quarantined store(s)")])
    assert note == "selftest result not queued for central: the store failed its check (see the store row)"
    assert not store_path(cfg).exists()
