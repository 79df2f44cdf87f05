"""Central's service measures: from the kiosks' events (kiosk.session_ended's done/failures, the anonymous
service.rated) to the status page's small charts, per terminal and per day, on the reference central."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess

import pytest

from sync.central.client import make_event
from sync.central.measures import percentile, service_measures
from sync.central.status_page import render_measures
from tests.central.conftest import RunningCentral

DEVICE = "KSK-T-0001"


@pytest.fixture
def central(tmp_path):
    from sync.central.app import create_app
    from sync.central.storage import open_storage

    storage = open_storage(str(tmp_path / "central.db"))
    running = RunningCentral(create_app(storage), storage)
    yield running
    running.stop()
    storage.close()


def _event(seq, type_, payload, wall):
    e = make_event(seq, type=type_, payload=payload)
    e["wall_time"] = wall
    return e


def _visit(session, done=(), failures=(), seconds=60.0):
    payload = {"session_id": session, "reason": "exit", "seconds": seconds}
    if done:
        payload["done"] = [{"service": s, "seconds": t} for s, t in done]
    if failures:
        payload["failures"] = list(failures)
    return payload


def _send(central, device_id, payloads, wall):
    client = central.device(device_id)
    events = [_event(i + 1, t, p, wall) for i, (t, p) in enumerate(payloads)]
    assert client.post_events(events).status_code == 200


def test_measures_per_terminal_and_day_from_the_kiosk_events(central):
    now = central.storage.now()
    today = datetime.datetime.fromtimestamp(now, datetime.timezone(datetime.timedelta(hours=8))).date().isoformat()
    times = [40, 50, 60, 70, 80, 90, 100, 110, 120, 150]
    payloads = [("kiosk.session_ended", _visit(f"s{i}", done=[("cert_income", t)])) for i, t in enumerate(times)]
    payloads += [("kiosk.session_ended", _visit("b1", done=[("badge_replacement", 95.0)])),
                 ("kiosk.session_ended", _visit("f1", failures=["print_out_of_paper", "offline"])),
                 ("kiosk.session_ended", _visit("f2", failures=["print_out_of_paper"])),
                 ("kiosk.session_ended", _visit("menu-only")),                        # no service: not counted
                 ("service.rated", {"service": "cert_income", "rating": "satisfied"}),
                 ("service.rated", {"service": "cert_income", "rating": "satisfied"}),
                 ("service.rated", {"service": "badge_replacement", "rating": "satisfied"}),
                 ("service.rated", {"service": "cert_income", "rating": "unsatisfied"})]
    _send(central, DEVICE, payloads, now)
    _send(central, "KSK-T-0002", [("service.rated", {"service": "cert_employment", "rating": "neutral"})], now)
    rows = service_measures(central.storage, now=now)
    mine = next(r for r in rows if r["device_id"] == DEVICE)
    assert mine["day"] == today
    assert mine["services"] == {"cert_income": 10, "badge_replacement": 1} and mine["done"] == 11
    assert mine["median_s"] == 90.0 and mine["p90_s"] == 120.0                     # 11 values, nearest rank
    assert mine["failures"] == {"print_out_of_paper": 2, "offline": 1}
    assert mine["ratings"] == {"satisfied": 3, "neutral": 0, "unsatisfied": 1}
    other = next(r for r in rows if r["device_id"] == "KSK-T-0002")
    assert other["done"] == 0 and other["median_s"] is None and other["ratings"]["neutral"] == 1

    page = central.status("/status")
    assert page.status_code == 200
    text = page.text
    assert "<h2>Services</h2>" in text and text.count("<svg") >= 5                 # drawn, not only numbers
    assert 'aria-label="median 90 s, p90 120 s"' in text
    assert 'aria-label="satisfied / neutral / not satisfied 75% / 0% / 25%"' in text
    assert "out of paper" in text and "central offline" in text and "income cert." in text
    assert not re.search(r"s\d+\b", re.sub(r"<[^>]+>", " ", text).replace("KSK-T-000", ""))  # no session ids


def test_events_older_than_the_window_and_malformed_ones_are_left_out(central):
    now = central.storage.now()
    _send(central, DEVICE, [("kiosk.session_ended", {"session_id": "x", "reason": "exit",
                                                     "done": [{"service": "cert_income", "seconds": "soon"},
                                                              "not a dict"], "failures": [7, ""]})], now)
    [row] = service_measures(central.storage, now=now)
    assert row["services"] == {"cert_income": 1} and row["median_s"] is None and row["failures"] == {}
    assert service_measures(central.storage, now=now + 8 * 86400) == []


def test_the_page_says_when_there_is_nothing_to_show():
    assert "No kiosk service in the last 7 days." in render_measures([])
    assert percentile([5.0], 0.9) == 5.0 and percentile([1, 2, 3, 4], 0.5) == 2


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian's chromium is not installed")
def test_the_status_page_with_its_charts_in_a_real_browser(central, tmp_path):
    now = central.storage.now()
    _send(central, DEVICE, [("kiosk.session_ended", _visit("s1", done=[("cert_income", 48.0)])),
                            ("kiosk.session_ended", _visit("s2", failures=["payment_timed_out"])),
                            ("service.rated", {"service": "cert_income", "rating": "satisfied"})], now)
    html = central.status("/status").text
    (tmp_path / "status.html").write_text(html, encoding="utf-8")
    shot = tmp_path / "status.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={shot}",
                    "--window-size=1280,900", (tmp_path / "status.html").as_uri()],
                   check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 10_000
