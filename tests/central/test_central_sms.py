"""POST /v1/sms on the reference central: the device's own CentralSms end to end, per-number flow
control, idempotency per device and key, the simulated gateway's file, and every refusal.

Runs on SQLite and PostgreSQL (the db_url fixture).  Time is central's injected clock, never a sleep.
"""

from __future__ import annotations

import json

import pytest
import requests

from drivers.sms import open_sms
from drivers.sms.errors import CentralRateLimited, CentralRejected, CentralUnavailable, KeyConflict
from sync import wire
from sync.central.routes.sms import LIMITS, read_outbox, sms_parts

PHONE = "+8613800138000"
OTHER = "+8613900139000"


class Clock:
    def __init__(self, t: float = 1_800_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


class Signer(requests.auth.AuthBase):
    """Signs like a terminal (sync.wire.sign_request), at central's clock."""

    def __init__(self, device, clock):
        self.device, self.clock = device, clock

    def __call__(self, request):
        from urllib.parse import urlsplit

        url = urlsplit(request.url)
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        request.headers.update(wire.sign_request(self.device.secret, request.method,
                                                 url.path + (f"?{url.query}" if url.query else ""), body,
                                                 device_id=self.device.device_id, timestamp=int(self.clock())))
        return request


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def outbox(tmp_path):
    return tmp_path / "sms-outbox.jsonl"


@pytest.fixture
def central(make_central, clock, outbox):
    return make_central(now=clock, sms_outbox=str(outbox))


def sender(central, clock, device_id="KSK-T-0001", *, device=None, **options):
    """The kiosk's sender as the config builds it: transport central, signed with the enrolment."""
    device = device or central.device(device_id)
    section = {"transport": "central", "central_url": central.url}
    return open_sms(section, auth=Signer(device, clock), attempts=2, backoff_s=0.01, **options)


def post(central, clock, body, headers=None, *, device=None, nonce=None) -> requests.Response:
    """One signed POST /v1/sms of ``body`` (a JSON value) at central's clock."""
    device = device or central.device()
    return device.signed("POST", "/v1/sms", json.dumps(body).encode(), headers, timestamp=clock(), nonce=nonce)


def test_transport_central_sends_through_the_reference_central(central, clock, outbox):
    with sender(central, clock) as sms:
        result = sms.send(PHONE, "【人事服务】验证码 482913，5 分钟内有效。", key="otp-1")
        assert sms.health().ok
    assert (result.transport, result.parts, result.duplicate) == ("central", 1, False)
    (message,) = read_outbox(outbox)
    assert message["to"] == PHONE and "482913" in message["text"] and message["id"] == result.references[0]
    assert oct(outbox.stat().st_mode & 0o777) == "0o600"


def test_the_same_key_again_is_a_duplicate_and_sends_nothing(central, clock, outbox):
    with sender(central, clock) as sms:
        first = sms.send(PHONE, "验证码 111111", key="otp-2")
    with sender(central, clock, device_id="KSK-T-0001") as after_restart:   # a new process, same device
        again = after_restart.send(PHONE, "验证码 111111", key="otp-2")
    assert again.duplicate and again.references == first.references
    assert len(read_outbox(outbox)) == 1


def test_a_key_used_for_another_message_is_a_conflict(central, clock, outbox):
    with sender(central, clock) as sms:
        sms.send(PHONE, "验证码 111111", key="otp-3")
        clock.t += 3600
        with pytest.raises(KeyConflict):
            sms.send(PHONE, "验证码 222222", key="otp-3")
    assert len(read_outbox(outbox)) == 1


def test_keys_belong_to_their_device(central, clock, outbox):
    """Two kiosks may both use key 'otp-1': each is its own message."""
    with sender(central, clock, "KSK-T-0001") as a, sender(central, clock, "KSK-T-0002") as b:
        a.send(PHONE, "验证码 111111", key="otp-1")
        clock.t += 61
        assert not b.send(OTHER, "验证码 222222", key="otp-1").duplicate
    assert [m["device_id"] for m in read_outbox(outbox)] == ["KSK-T-0001", "KSK-T-0002"]


def test_one_message_a_minute_per_number(central, clock, outbox):
    with sender(central, clock) as sms:
        sms.send(PHONE, "验证码 1", key="m-1")
        clock.t += 20
        with pytest.raises(CentralRateLimited) as info:
            sms.send(PHONE, "验证码 2", key="m-2")
        assert info.value.retry_after_s == 40
        assert sms.send(OTHER, "验证码 3", key="m-3").parts == 1      # another number is not limited
        clock.t += 40
        assert not sms.send(PHONE, "验证码 2", key="m-2").duplicate   # the refused key is still free
    assert len(read_outbox(outbox)) == 3


def test_five_an_hour_then_ten_a_day_per_number(central, clock, outbox):
    (_, per_minute), (_, per_hour), (_, per_day) = LIMITS
    start = clock.t
    with sender(central, clock) as sms:
        for n in range(per_hour):
            sms.send(PHONE, f"验证码 {n}", key=f"h-{n}")
            clock.t += 61
        with pytest.raises(CentralRateLimited, match="rate_limited") as info:
            sms.send(PHONE, "one too many", key="h-x")
        assert info.value.retry_after_s == pytest.approx(start + 3600 - clock.t, abs=1)
        clock.t = start + 3601
        for n in range(per_hour, per_day):
            sms.send(PHONE, f"验证码 {n}", key=f"d-{n}")
            clock.t += 721          # 5 an hour
        with pytest.raises(CentralRateLimited):
            sms.send(PHONE, "one too many today", key="d-x")
    raw = post(central, clock, {"key": "d-y", "to": PHONE, "text": "x"}, device=central.device("KSK-T-0009"))
    assert raw.status_code == 429 and "10 message(s) to this number per day" in raw.json()["detail"]
    assert int(raw.headers["Retry-After"]) > 3600
    assert len(read_outbox(outbox)) == per_day


def test_a_retry_of_a_sent_key_is_never_rate_limited(central, clock):
    """The device's retry after a lost answer must get 'duplicate', not 429, inside the minute."""
    with sender(central, clock) as sms:
        sms.send(PHONE, "验证码 1", key="r-1")
        clock.t += 5
        assert sms.send(PHONE, "验证码 1", key="r-1").duplicate


@pytest.mark.parametrize("body, words", [
    ({"key": "k", "to": "13800138000"}, "text"),
    ({"key": "k", "to": "138-0013-8000", "text": "x"}, "to: give the number"),
    ({"key": "k", "to": "١٣٨٠٠١٣٨٠٠٠", "text": "x"}, "to: give the number"),    # not ASCII digits
    ({"key": "k", "to": "+8613800138000", "text": "  "}, "text"),
    ({"key": "k", "to": "+8613800138000", "text": "码" * 671}, "above the limit of 670"),
    ({"key": "bad key", "to": "+8613800138000", "text": "x"}, "key: give"),
    ({"key": "", "to": "+8613800138000", "text": "x"}, "key: give"),
    ([1, 2], "JSON object"),
])
def test_bad_messages_are_refused_with_the_field(central, clock, body, words):
    response = post(central, clock, body, {"Content-Type": "application/json"})
    assert response.status_code == 400 and words in response.json()["detail"]


def test_the_header_key_must_match_the_body_key(central, clock):
    response = post(central, clock, {"key": "a", "to": PHONE, "text": "x"}, {"Idempotency-Key": "b"})
    assert response.status_code == 400 and "differ" in response.json()["detail"]


def test_a_bad_number_reaches_the_kiosk_as_rejected_not_retried(central, clock):
    with sender(central, clock) as sms, pytest.raises(CentralRejected, match="HTTP 400"):
        sms.send(PHONE, "码" * 671)


def test_unsigned_and_replayed_requests_are_refused_and_send_nothing(central, clock, outbox):
    body = {"key": "u", "to": PHONE, "text": "验证码 1"}
    assert requests.post(central.url + "/v1/sms", json=body, timeout=10).status_code == 401
    device = central.device()
    first = post(central, clock, body, device=device, nonce="n" * 32)
    again = post(central, clock, body, device=device, nonce="n" * 32)
    assert first.status_code == 201 and again.status_code == 401 and again.json()["error"] == "replayed"
    assert len(read_outbox(outbox)) == 1
    with sender(central, clock) as sms:
        sms.session.auth = None
        with pytest.raises(CentralRejected, match="credentials"):
            sms.send(PHONE, "验证码 2")


def test_without_a_gateway_central_says_how_to_start_one(make_central, clock):
    central = make_central(now=clock)
    with sender(central, clock) as sms:
        health = sms.health()
        with pytest.raises(CentralUnavailable, match="HTTP 503 no_gateway"):
            sms.send(PHONE, "验证码 1", key="g-1")
    assert not health.ok and "no_gateway" in health.summary


def test_a_gateway_that_cannot_write_frees_the_key_for_the_retry(make_central, clock, tmp_path):
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the outbox's folder should be")
    central = make_central(now=clock, sms_outbox=str(blocked / "outbox.jsonl"))
    with sender(central, clock) as sms:
        with pytest.raises(CentralUnavailable, match="503 gateway_failed"):
            sms.send(PHONE, "验证码 1", key="w-1")
        blocked.unlink()
        result = sms.send(PHONE, "验证码 1", key="w-1")       # neither the key nor the minute was spent
    assert not result.duplicate and len(read_outbox(blocked / "outbox.jsonl")) == 1


def test_central_keeps_no_code_and_logs_the_number_masked(central, clock, caplog):
    caplog.set_level("INFO")
    with sender(central, clock) as sms:
        sms.send(PHONE, "验证码 482913", key="p-1")
    with central.storage.engine.connection() as c:
        rows = c.execute("SELECT * FROM sms_messages").fetchall()
    stored = json.dumps([list(map(str, r)) for r in rows])
    assert "482913" not in stored and "13800138000" not in stored
    central_records = [r for r in caplog.records if r.name.startswith("sync.central")]
    logged = repr([(r.getMessage(), getattr(r, "fields", None)) for r in central_records])
    assert "central.sms_sent" in logged and "482913" not in logged and "13800138000" not in logged


@pytest.mark.parametrize("text, parts", [("验证码 123456", 1), ("码" * 70, 1), ("码" * 71, 2), ("码" * 134, 2),
                                         ("码" * 135, 3), ("a" * 160, 1), ("a" * 161, 2), ("😀" * 35, 1),
                                         ("😀" * 36, 2)])
def test_parts_are_counted_as_the_network_does(text, parts):
    assert sms_parts(text) == parts


def test_terminal_central_serve_takes_the_outbox_file(capsys):
    import argparse

    from sync.central.cli import register

    parser = argparse.ArgumentParser(prog="terminal")
    register(parser.add_subparsers(dest="command"), None)
    args = parser.parse_args(["central", "serve", "--db", "c.db", "--sms-outbox", "/tmp/sms.jsonl"])
    assert args.sms_outbox == "/tmp/sms.jsonl"
    with pytest.raises(SystemExit):
        parser.parse_args(["central", "serve", "--help"])
    assert "--sms-outbox FILE" in capsys.readouterr().out


def test_a_send_in_flight_is_waited_for_and_one_cut_short_by_a_crash_is_never_sent_again(central, clock, outbox):
    """A key still 'sending' (another request of the same key is at the gateway): 503 in_progress with
    Retry-After.  Still 'sending' long after (central died mid-send): the message may have gone, so the
    answer is 'duplicate', never a second message."""
    from sync.central.routes.sms import STALE_SENDING_S

    device = central.device()
    with sender(central, clock, device=device) as sms:
        sms.send(OTHER, "验证码 0", key="warm-up")           # creates the table
        with central.storage.engine.transaction() as c:
            c.execute(central.storage.engine.sql(
                "INSERT INTO sms_messages (device_id, key, number_mac, text_hash, id, parts, status, created_at) "
                "SELECT device_id, 'flight', number_mac, text_hash, 'sms-flight', 1, 'sending', ? "
                "FROM sms_messages WHERE key = 'warm-up'"), (clock(),))
        raw = post(central, clock, {"key": "flight", "to": OTHER, "text": "验证码 0"}, device=device)
        assert raw.status_code == 503 and raw.json()["error"] == "in_progress" and raw.headers["Retry-After"] == "1"
        clock.t += STALE_SENDING_S + 1
        result = sms.send(OTHER, "验证码 0", key="flight")
    assert result.duplicate and result.references == ("sms-flight",)
    assert len(read_outbox(outbox)) == 1
