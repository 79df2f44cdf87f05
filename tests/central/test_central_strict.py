"""Every input parsed strictly with a 400 that names it; unauthenticated requests change nothing;
identifiers matched whole; expected network events are not errors; the status page needs a token.

The examples of issue 9 (sections 2-6) with their right values, and the other members of each kind.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
import socket
import time

import pytest
import requests

from sync import wire
from sync.central.client import DeviceClient, batch_body, make_event

WAIT_S = 15


def _strict_json(text: str):
    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _feed(central, token, query: str) -> requests.Response:
    return requests.get(central.url + "/v1/feed" + query, headers={"Authorization": f"Bearer {token}"},
                        timeout=WAIT_S)


# -- 2. every input parsed strictly, with a 400 ----------------------------------------------------

def test_deep_nesting_at_enrolment_is_a_400_not_a_500(reference_central, caplog):
    # 4,000 levels of '[' got a plain-text 500 and a RecursionError traceback in the log.
    caplog.set_level(logging.INFO)
    r = requests.post(reference_central.url + "/v1/enroll", data=b"[" * 4000, timeout=WAIT_S)
    assert r.status_code == 400 and r.json()["error"] == "malformed_json"
    assert "nested too deeply" in r.json()["detail"]
    assert not [x for x in caplog.records if x.levelno >= logging.ERROR or x.exc_info]


@pytest.mark.parametrize("body", [b'{"device_id": "K1", "token": NaN}', b'{"device_id": "K1", "token": 1e999}',
                                  b"\xff\xfe{}", b'{"device_id": "K1", "token": "\\ud800"}',
                                  b'{"device_id": "K1", "token": "enr_x", "public_key": "\xd9\xa1"}'])
def test_odd_enrolment_bodies_are_refused_with_a_4xx(reference_central, body):
    r = requests.post(reference_central.url + "/v1/enroll", data=body, timeout=WAIT_S)
    assert r.status_code in (400, 401) and r.json()["error"] in ("malformed_json", "bad_request", "invalid_token")


def test_a_number_beyond_a_float_is_refused_per_event_and_the_feed_stays_json(reference_central):
    # {"n": 1, "x": 1e999} was accepted, and /v1/feed then served "x": Infinity.
    device = reference_central.device()
    body = batch_body(device.device_id, [make_event(1), make_event(2, payload={"n": 2, "x": 0})])
    body = body.replace(b'"x": 0', b'"x": 1e999')
    r = device.signed("POST", "/v1/events", body, {"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    first, second = r.json()["results"]
    assert first["status"] == "accepted"
    assert (second["status"], second["code"]) == ("rejected", 400) and "payload.x" in second["reason"]
    page = _feed(reference_central, reference_central.consumer_token(), "")
    assert [item["seq"] for item in _strict_json(page.text)["items"]] == [1]


def test_a_feed_cursor_beyond_64_bits_is_a_400_naming_after(reference_central):
    # It got '503 storage_error', "central could not read its database", and an OverflowError in the log.
    r = _feed(reference_central, reference_central.consumer_token(), "?after=9223372036854775808")
    assert r.status_code == 400 and r.json()["error"] == "bad_request"
    assert "after" in r.json()["detail"] and "9223372036854775807" in r.json()["detail"]
    assert _feed(reference_central, reference_central.consumer_token(), "?after=9223372036854775807").status_code == 200


@pytest.mark.parametrize("query, name", [
    ("?after=%C2%B2", "after"),                 # '²': str.isdigit() is True
    ("?after=%EF%BC%91%EF%BC%92", "after"),     # full-width '１２'
    ("?after=%D9%A1%D9%A2", "after"),           # Arabic-Indic '١٢'
    ("?after=+5", "after"), ("?after=%205", "after"), ("?after=5_0", "after"), ("?after=-1", "after"),
    ("?after=", "after"),
    ("?limit=0", "limit"), ("?limit=10001", "limit"), ("?limit=%EF%BC%91", "limit"),
    ("?device_id=DEV5%0A", "device_id"), ("?device_id=DEV%EF%BC%95", "device_id"),
])
def test_odd_feed_parameters_are_a_400_naming_the_parameter(reference_central, query, name):
    r = _feed(reference_central, reference_central.consumer_token(), query)
    assert r.status_code == 400, r.text
    assert name in r.json()["detail"]


@pytest.mark.parametrize("query", ["limit=0", "limit=5001", "limit=%C2%B2", "limit=%EF%BC%95", "limit=1_0"])
def test_odd_reference_page_sizes_are_a_400_naming_limit(reference_central, query):
    r = reference_central.device().signed("GET", f"/v1/reference/claims?{query}")
    assert r.status_code == 400 and "limit" in r.json()["detail"]


@pytest.mark.parametrize("cursor", ["%C2%B2.1", "1.%EF%BC%91", "%D9%A1.1", "99999999999999999999.1"])
def test_a_reference_cursor_in_other_digits_is_a_resync_not_a_storage_error(reference_central, cursor):
    # int('²') raised inside the page read: a 503 'storage_error' for a client's odd value.
    r = reference_central.device().signed("GET", f"/v1/reference/claims?cursor={cursor}")
    assert r.status_code == 410 and r.json()["error"] == "resync"


def test_a_timestamp_in_other_digits_is_refused():
    # int() takes '١٧٠٠٠٠٠٠٠٠'; the wire contract is ASCII digits.
    headers = wire.sign_request(b"k" * 32, "GET", "/v1/reference/keys", b"", device_id="D1", timestamp=1700000000)
    arabic = dict(headers, **{wire.H_TIMESTAMP: "١٧٠٠٠٠٠٠٠٠"})
    assert wire.verify_signature(b"k" * 32, "GET", "/v1/reference/keys", b"", headers)
    assert not wire.verify_signature(b"k" * 32, "GET", "/v1/reference/keys", b"", arabic)
    from sync.central.auth import AuthFailure, read_device_headers

    for odd in ("١٧٠٠٠٠٠٠٠٠", "１７００", "1_700000000", " 1700000000", "+1700000000"):
        with pytest.raises(AuthFailure) as refused:
            read_device_headers(dict(headers, **{wire.H_TIMESTAMP: odd}), now=1700000000.0)
        assert refused.value.code == wire.ERR_BAD_SIGNATURE and "ASCII" in refused.value.detail


# -- 3. unauthenticated requests change no state -----------------------------------------------------

def _forged(device, **override):
    headers = wire.sign_request(device.secret, "POST", "/v1/events", b"{}", device_id=device.device_id)
    return {**headers, **override}


@pytest.mark.parametrize("form", ["any-signature", "another-secret", "clock-skew", "replayed", "not-signed"])
def test_an_unauthenticated_request_naming_a_device_changes_nothing_it_owns(reference_central, form):
    # With no secret, any signature set the device's last error to '401 bad_signature ... rotated',
    # and its status row turned bad: an attacker could keep a healthy fleet red.
    device = reference_central.device()
    assert device.post_events([make_event(1)]).status_code == 200
    before = reference_central.status().json()["terminals"][0]
    body = gzip.compress(batch_body(device.device_id, [make_event(2)]))
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    if form == "replayed":
        signed = wire.sign_request(device.secret, "POST", "/v1/events", body, device_id=device.device_id)
        assert requests.post(reference_central.url + "/v1/events", data=body, headers={**signed, **headers},
                             timeout=WAIT_S).status_code == 200
        headers.update(signed)
    elif form == "any-signature":
        headers.update(_forged(device, **{wire.H_SIGNATURE: "ab" * 32}))
    elif form == "another-secret":
        headers.update(wire.sign_request(b"s" * 32, "POST", "/v1/events", body, device_id=device.device_id))
    elif form == "clock-skew":
        headers.update(wire.sign_request(b"s" * 32, "POST", "/v1/events", body, device_id=device.device_id,
                                         timestamp=int(time.time()) - 3600))
    else:
        headers[wire.H_DEVICE] = device.device_id
    r = requests.post(reference_central.url + "/v1/events", data=body, headers=headers, timeout=WAIT_S)
    assert r.status_code == 401, r.text
    status = reference_central.status().json()
    after = status["terminals"][0]
    if form == "replayed":   # the genuine request was stored; its replay added nothing
        before = {**before, "events_total": 2, "max_seq": 2}
    for field in ("last_error", "last_error_at", "events_total", "max_seq"):
        assert after[field] == before[field], field
    assert after["last_error"] is None
    assert status["failed_auth"]["total"] >= 1
    assert r.json()["error"] in status["failed_auth"]["by_error"]
    assert status["failed_auth"]["recent"][0]["claimed_device_id"] in (device.device_id, None)
    page = reference_central.status("/status").text
    assert '<tr class="ok">' in page and "refused authentication attempt" in page


def test_a_replayed_bad_batch_leaves_the_device_row_alone(reference_central):
    # A captured request can be resent by anyone: only its first use is the device speaking.
    device = reference_central.device()
    body = b'{"not": "a batch"}'
    signed = wire.sign_request(device.secret, "POST", "/v1/events", body, device_id=device.device_id)
    first = requests.post(reference_central.url + "/v1/events", data=body, headers=signed, timeout=WAIT_S)
    assert first.status_code == 400 and first.json()["error"] == "bad_batch"
    noted = reference_central.status().json()["terminals"][0]
    assert "bad_batch" in noted["last_error"]
    again = requests.post(reference_central.url + "/v1/events", data=body, headers=signed, timeout=WAIT_S)
    assert again.status_code == 401 and again.json()["error"] == "replayed"
    assert reference_central.status().json()["terminals"][0]["last_error_at"] == noted["last_error_at"]


# -- 4. identifiers validated whole --------------------------------------------------------------------

def test_a_device_id_with_a_trailing_newline_gets_no_token(run_cli, tmp_path):
    # `terminal central token --device-id $'DEV5\n'` exited 0.
    for odd in ("DEV5\n", "DEV５", "DEV5 ", "-DEV5", "D" * 65, "DEV\u00b2"):
        code, out, err = run_cli("central", "token", "--db", str(tmp_path / "c.db"), f"--device-id={odd}")
        assert code == 2 and out == "" and "--device-id" in err, odd


@pytest.mark.parametrize("device_id", ["DEV5\n", "DEV5\r\n", "DEV５", "DEV\u0665"])
def test_enrolment_of_a_device_id_that_is_not_whole_is_refused(reference_central, storage, device_id):
    # With a token made for it, POST /v1/enroll created device "DEV5\n".
    token = storage.create_token(device_id, ttl_s=600)
    r = requests.post(reference_central.url + "/v1/enroll", json={"device_id": device_id, "token": token},
                      timeout=WAIT_S)
    assert r.status_code == 400 and "device_id" in r.json()["detail"]
    assert storage.terminals() == []


def test_the_status_table_keeps_one_row_per_terminal_for_an_old_odd_id(run_cli, db_url, storage):
    with storage.engine.transaction() as c:
        c.execute(storage._q("INSERT INTO devices (device_id, secret, enrolled_at) VALUES (?, ?, ?)"),
                  ("DEV5\n", "eA==", 1.0))
    code, out, _ = run_cli("central", "status", "--db", db_url)
    assert code == 0 and out.splitlines()[0].startswith("'DEV5\\n'") and len(out.splitlines()) == 1


@pytest.mark.parametrize("argv, what", [
    (["events", "--after", "١٢"], "--after"), (["events", "--after", "²"], "--after"),
    (["events", "--after", "１２"], "--after"), (["events", "--after", "9223372036854775808"], "--after"),
    (["events", "--device-id", "DEV5\n"], "--device-id"), (["events", "--limit", "0"], "--limit"),
    (["consumer-token", "--name", "ops\n"], "--name"),
])
def test_cli_numbers_and_ids_are_ascii_and_whole(run_cli, tmp_path, argv, what):
    code, _, err = run_cli("central", *argv, "--db", str(tmp_path / "c.db"))
    assert code == 2 and what in err


@pytest.mark.parametrize("listen", ["127.0.0.1:８７４０", "127.0.0.1:²", "127.0.0.1:8740\n", "127.0.0.1:+80"])
def test_listen_port_must_be_ascii_digits(listen):
    from sync.central.cli import parse_listen
    from terminal import TerminalError

    with pytest.raises(TerminalError):
        parse_listen(listen)


# -- 5. expected network events are not errors -------------------------------------------------------

def test_a_client_hanging_up_mid_upload_is_logged_at_info_without_a_traceback(reference_central, caplog):
    # Each one logged an error-level 'Exception in ASGI application ... ClientDisconnect' traceback.
    caplog.set_level(logging.INFO)
    device = reference_central.device()
    forged = "".join(f"{k}: {v}\r\n" for k, v in _forged(device).items())
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", reference_central.port), timeout=WAIT_S) as sock:
            sock.sendall(f"POST /v1/events HTTP/1.1\r\nHost: c\r\n{forged}Content-Length: 5000\r\n\r\n".encode()
                         + b"{" * 100)
    deadline = time.monotonic() + WAIT_S
    while not any(r.getMessage() == "central.client_gone" for r in caplog.records):
        assert time.monotonic() < deadline, "central never noticed the hang-up"
        time.sleep(0.01)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    gone = [r for r in caplog.records if r.getMessage() == "central.client_gone"]
    assert {r.levelno for r in gone} == {logging.INFO} and len(gone) == 1   # one line per source and minute


def test_wrong_enrolment_tokens_warn_once_per_source_and_are_counted(reference_central, caplog):
    # Each one logged a warning: anyone could flood the log.
    caplog.set_level(logging.INFO)
    for n in range(20):
        r = requests.post(reference_central.url + "/v1/enroll",
                          json={"device_id": "KSK-T-0001", "token": f"enr_wrong{n}"}, timeout=WAIT_S)
        assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    warned = [r for r in caplog.records if r.getMessage() == "central.enroll_refused"]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    assert reference_central.status().json()["failed_auth"]["by_error"] == {"invalid_token": 20}


def test_uvicorn_warning_for_malformed_requests_is_rate_limited():
    from sync.central.server import _OncePerWindow

    t = [0.0]
    only_once = _OncePerWindow(window_s=60, now=lambda: t[0])

    def record():
        return logging.LogRecord("uvicorn.error", logging.WARNING, __file__, 1, "Invalid HTTP request received.",
                                 (), None)

    passed = [only_once.filter(record()) for _ in range(50)]
    assert passed.count(True) == 1
    t[0] = 61.0
    summary = record()
    assert only_once.filter(summary) and "49 more" in summary.getMessage() and summary.levelno == logging.INFO


# -- 6. the status page is an operator's page -------------------------------------------------------

@pytest.mark.parametrize("path", ["/v1/status", "/status"])
def test_status_needs_a_consumer_token(reference_central, path):
    reference_central.device()
    anonymous = requests.get(reference_central.url + path, timeout=WAIT_S)
    assert anonymous.status_code == 401 and "KSK-T-0001" not in anonymous.text
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic" if path == "/status" else "Bearer")
    wrong = requests.get(reference_central.url + path, headers={"Authorization": "Bearer feed_wrong"}, timeout=WAIT_S)
    assert wrong.status_code == 401
    token = reference_central.consumer_token()
    bearer = requests.get(reference_central.url + path, headers={"Authorization": f"Bearer {token}"}, timeout=WAIT_S)
    basic = requests.get(reference_central.url + path, auth=("ops", token), timeout=WAIT_S)   # what a browser sends
    assert bearer.status_code == basic.status_code == 200 and "KSK-T-0001" in bearer.text


@pytest.mark.parametrize("path", ["/v1/status", "/status"])
def test_public_status_opts_out(make_central, path):
    central = make_central(public_status=True)
    central.device()
    r = requests.get(central.url + path, timeout=WAIT_S)
    assert r.status_code == 200 and "KSK-T-0001" in r.text


def test_openapi_says_which_status_needs_a_token():
    from sync.central.app import create_app

    paths = create_app(None).openapi()["paths"]
    assert paths["/v1/status"]["get"]["security"] == [{"consumerToken": []}]
    assert "security" not in create_app(None, public_status=True).openapi()["paths"]["/v1/status"]["get"]


# -- issue 8 part 3 and 5: the directory file a person edited ------------------------------------------

DIRECTORY_LINE = '{"employee_no": "E1", "id_number": "11010519491231002X", "name": "测试"}'


def _load(run_cli, db_url, path):
    return run_cli("central", "load", "--db", db_url, "--dataset", "directory", str(path))


def test_load_accepts_a_utf8_byte_order_mark(run_cli, db_url, storage, tmp_path):
    path = tmp_path / "people.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + DIRECTORY_LINE.encode() + b"\r\n")    # Notepad's UTF-8 with BOM
    code, out, err = _load(run_cli, db_url, path)
    assert code == 0, err
    assert "1 added" in out


@pytest.mark.parametrize("content, where, what", [
    (b'{"employee_no": "E1", "id_number": "11010519491231002X", "name": "Z\xfcrich"}\n', ":1:", "UTF-8"),
    (("\n" + DIRECTORY_LINE + "\n").encode("utf-16"), ": ", "UTF-16"),
    (DIRECTORY_LINE.encode() + b'\n{"employee_no": "E2", "id_number": "1101051949123100\n', ":2:",
     "not valid JSON"),
    ((DIRECTORY_LINE + '\n{"employee_no": "E2", "id_number": "110105194912310029", "x": 1e999}\n').encode(),
     ":2:", "beyond the range"),
    ((DIRECTORY_LINE + '\n{"employee_no": "E2", "id_number": "110105194912310029", "x": NaN}\n').encode(),
     ":2:", "NaN"),
    ((DIRECTORY_LINE + '\n{"employee_no": "E2", "id_number": "１１０１０５１９４９１２３１００２Ｘ"}\n').encode(),
     ":2:", "not ASCII"),
    ((DIRECTORY_LINE + '\n{"employee_no": "E2", "id_number": "11010519491231002\u00b2"}\n').encode(),
     ":2:", "not ASCII"),
    ((DIRECTORY_LINE + '\n{"employee_no": "E2", "id_number": "1101051949"}\n').encode(), ":2:", "18 digits"),
])
def test_load_names_the_file_line_and_a_fix(run_cli, db_url, storage, tmp_path, content, where, what):
    path = tmp_path / "people.jsonl"
    path.write_bytes(content)
    code, out, err = _load(run_cli, db_url, path)
    assert code == 2 and f"{path}{where}" in err and what in err and "nothing was loaded" in err, err
    assert "Traceback" not in err
    assert storage.reference_page("directory", None, 10)["items"] == []


def test_a_full_width_id_number_under_another_column_is_still_dropped(storage):
    from sync.central.reference import to_item

    item = to_item("directory", {"employee_no": "E1", "id_number": "11010519491231002X",
                                 "备注": "１１０１０５１９４９１２３１００２Ｘ"}, deployment_key=b"k" * 32)
    assert "备注" not in item


def test_bearer_token_takes_basic_password_and_only_token_shapes():
    from sync.central.auth import bearer_token

    basic = "Basic " + base64.b64encode(b"ops:feed_abc-DEF_1").decode()
    assert bearer_token({"authorization": basic}) == "feed_abc-DEF_1"
    assert bearer_token({"authorization": "Bearer feed_abc"}) == "feed_abc"
    assert bearer_token({"authorization": "Bearer feed\u0661"}) is None
    assert bearer_token({"authorization": "Basic !!"}) is None
    assert bearer_token({"authorization": "Digest x"}) is None


def test_device_client_still_enrols_and_sends(reference_central):
    # The strict checks refuse nothing a real device sends.
    device = DeviceClient.enroll(reference_central.url, "KSK-T-0002",
                                 reference_central.storage.create_token("KSK-T-0002", 60))
    assert device.post_events([make_event(1)]).json()["results"][0]["status"] == "accepted"
    assert device.reference("claims", limit=5).status_code == 200


@pytest.mark.parametrize("option", [["--header-timeout", "0"], ["--header-timeout", "nan"],
                                    ["--max-connections-per-client", "-1"]])
def test_serve_refuses_odd_limits_before_listening(run_cli, tmp_path, option):
    code, _, err = run_cli("central", "serve", "--db", str(tmp_path / "c.db"), "--listen", "127.0.0.1:1", *option)
    assert code == 2 and option[0] in err and "--max" not in err.replace(option[0], "")


# -- the one signed-request helper: signature first, then the query, then a slot and the nonce ---------------

def test_a_signed_route_checks_the_signature_before_its_query_and_a_bad_query_spends_no_nonce(reference_central):
    device = reference_central.device()
    path = "/v1/reference/claims?limit=0"
    headers = wire.sign_request(device.secret, "GET", path, b"", device_id=device.device_id)
    forged = {**headers, wire.H_SIGNATURE: "0" * 64}
    r = requests.get(reference_central.url + path, headers=forged, timeout=WAIT_S)
    assert r.status_code == 401 and r.json()["error"] == "bad_signature"
    for _ in range(2):   # the same nonce twice: a refused query never reached the nonce
        r = requests.get(reference_central.url + path, headers=headers, timeout=WAIT_S)
        assert r.status_code == 400 and "limit" in r.json()["detail"]
    good = "/v1/reference/claims?limit=1"
    headers = wire.sign_request(device.secret, "GET", good, b"", device_id=device.device_id)
    assert requests.get(reference_central.url + good, headers=headers, timeout=WAIT_S).status_code == 200
    r = requests.get(reference_central.url + good, headers=headers, timeout=WAIT_S)
    assert r.status_code == 401 and r.json()["error"] == "replayed"
