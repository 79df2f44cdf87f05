"""The central-API backend against a small real HTTP(S) server on loopback that keeps the contract."""

import json
import shutil
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from drivers.errors import ConfigurationError
from drivers.sms.central import CentralSms
from drivers.sms.errors import CentralRateLimited, CentralRejected, CentralUnavailable, KeyConflict

PHONE = "+8613800138000"


class Central:
    """Central's side of POST /v1/sms: one message per key, plus scripted misbehaviour."""

    def __init__(self):
        self.messages = {}          # key -> (to, text, id)
        self.requests = []          # (headers, body) of every POST
        self.script = []            # behaviours for the next POSTs: "drop", "slow", or (status, body, headers)
        self.require_header = None
        self.healthy = True

    def handle_post(self, handler, body):
        self.requests.append((dict(handler.headers), body))
        if self.require_header and handler.headers.get(self.require_header[0]) != self.require_header[1]:
            return 401, {"error": "bad signature"}, {}
        data = json.loads(body)
        behaviour = self.script.pop(0) if self.script else None
        if isinstance(behaviour, tuple):
            return behaviour
        if behaviour == "slow":
            time.sleep(0.6)
        to = data.get("to", "").removeprefix("+")
        if not (to.isascii() and to.isdigit()):           # isdigit() alone takes '²' and '١'
            return 400, {"error": "invalid phone number"}, {}
        earlier = self.messages.get(data["key"])
        if earlier and earlier[:2] != (data["to"], data["text"]):
            return 409, {"error": "key reused for another message"}, {}
        if earlier:
            answer = (200, {"id": earlier[2], "status": "duplicate", "parts": 1}, {})
        else:
            self.messages[data["key"]] = (data["to"], data["text"], f"m{len(self.messages) + 1}")
            answer = (201, {"id": f"m{len(self.messages)}", "status": "sent", "parts": 1}, {})
        if behaviour == "drop":         # the message is taken, then the answer is lost
            return None
        if behaviour == "cut":          # the message is taken, then the answer breaks off mid-body
            return "cut"
        return answer


@pytest.fixture
def central():
    yield from _serve(None)


def _serve(tls_context):
    state = Central()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/v1/sms":
                return self._answer(404, {"error": "no such endpoint"}, {})
            answer = state.handle_post(self, body)
            if answer is None:
                self.close_connection = True
                self.connection.close()
                return
            if answer == "cut":
                return self._cut()
            self._answer(*answer)

        def _cut(self):
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "50")
            self.end_headers()
            self.wfile.write(b'{"id": "m')
            self.wfile.flush()
            self.close_connection = True
            self.connection.close()

        def do_GET(self):
            if state.healthy == "cut":
                return self._cut()
            if self.path == "/v1/sms/health":
                return self._answer(200 if state.healthy else 503, {"ok": state.healthy}, {})
            self._answer(404, {"error": "no such endpoint"}, {})

        def _answer(self, status, payload, headers):
            data = json.dumps(payload).encode()
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    scheme = "https" if tls_context else "http"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def client(central, **kw):
    kw = {"timeout_s": 0.3, "connect_timeout_s": 0.3, "attempts": 3, "backoff_s": 0.01, **kw}
    return CentralSms(central.url, **kw)


def test_request_shape_and_result(central):
    with client(central) as sms:
        result = sms.send("+86 138 0013 8000", "验证码 123456", key="k-1")
    assert (result.key, result.transport, result.references, result.duplicate) == ("k-1", "central", ("m1",), False)
    ((headers, body),) = central.requests
    assert json.loads(body) == {"key": "k-1", "to": PHONE, "text": "验证码 123456"}
    assert headers["Idempotency-Key"] == "k-1" and headers["Content-Type"] == "application/json"


def test_lost_answer_is_retried_with_the_same_key_and_sent_once(central):
    central.script = ["drop"]
    with client(central) as sms:
        result = sms.send(PHONE, "验证码 123456", key="k-2")
    assert len(central.requests) == 2 and len(central.messages) == 1
    assert result.references == ("m1",) and not result.duplicate   # sent once, by this call
    assert {json.loads(b)["key"] for _, b in central.requests} == {"k-2"}


def test_a_later_retry_of_a_sent_key_is_a_duplicate(central):
    with client(central) as first:
        first.send(PHONE, "验证码 123456", key="k-3")
    with client(central) as after_restart:          # a new process: only central remembers
        result = after_restart.send(PHONE, "验证码 123456", key="k-3")
    assert result.duplicate and len(central.messages) == 1


def test_server_errors_are_retried_then_succeed(central):
    central.script = [(503, {"error": "busy"}, {}), (502, {}, {})]
    with client(central) as sms:
        assert sms.send(PHONE, "hello").references == ("m1",)
    assert len(central.requests) == 3


def test_persistent_server_errors_are_unavailable(central):
    central.script = [(500, {"error": "database down"}, {})] * 3
    with client(central) as sms, pytest.raises(CentralUnavailable) as info:
        sms.send(PHONE, "hello")
    assert "after 3 attempts (HTTP 500 database down)" in str(info.value)
    assert "same key is safe" in str(info.value)


def test_timeout_is_retried(central):
    central.script = ["slow", "slow", "slow"]
    with client(central) as sms, pytest.raises(CentralUnavailable, match="no answer within 0.3 s"):
        sms.send(PHONE, "hello", key="k-slow")
    assert len(central.messages) == 1      # central did take it: a retry with the key is a no-op
    with client(central) as sms:
        assert sms.send(PHONE, "hello", key="k-slow").duplicate


def test_nothing_listening():
    with CentralSms("http://127.0.0.1:9", timeout_s=0.3, attempts=2, backoff_s=0.01) as sms:
        with pytest.raises(CentralUnavailable, match="cannot connect"):
            sms.send(PHONE, "hello")


@pytest.mark.parametrize("answer, error, words", [
    ((400, {"error": "template not approved"}, {}), CentralRejected, "HTTP 400: template not approved"),
    ((422, {}, {}), CentralRejected, "HTTP 422"),
    ((403, {"error": "device revoked"}, {}), CentralRejected, "credentials"),
    ((409, {"error": "key reused"}, {}), KeyConflict, "different message"),
    ((429, {"error": "1 per minute per number"}, {"Retry-After": "42"}), CentralRateLimited, "try again in 42 s"),
    ((200, {"status": "sent"}, {}), CentralUnavailable, "without a message id"),
])
def test_refusals_are_typed_and_not_retried(central, answer, error, words):
    central.script = [answer]
    with client(central) as sms, pytest.raises(error, match=words) as info:
        sms.send(PHONE, "hello")
    assert len(central.requests) == 1
    if error is CentralRateLimited:
        assert info.value.retry_after_s == 42


def test_auth_object_signs_every_request(central):
    central.require_header = ("X-Signature", "good")

    class Sign(requests.auth.AuthBase):
        def __call__(self, request):
            request.headers["X-Signature"] = "good"
            return request

    with client(central) as unsigned, pytest.raises(CentralRejected, match="credentials"):
        unsigned.send(PHONE, "hello")
    with client(central, auth=Sign()) as signed:
        assert signed.send(PHONE, "hello").parts == 1


def test_health(central):
    with client(central) as sms:
        assert sms.health().ok
        central.healthy = False
        health = sms.health()
    assert not health.ok and "HTTP 503" in health.summary
    with CentralSms("http://127.0.0.1:9", timeout_s=0.3) as down:
        assert "cannot connect" in down.health().summary


def test_bad_url_names_the_setting():
    with pytest.raises(ConfigurationError, match="central_url"):
        CentralSms("central.example.com")


@pytest.fixture
def tls_central(tmp_path):
    if not shutil.which("openssl"):
        pytest.skip("openssl is not installed (apt-packages.txt lists it)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    for state in _serve(context):
        state.cert = str(cert)
        yield state


def test_tls_is_verified_against_the_configured_bundle(tls_central):
    with client(tls_central) as untrusting, pytest.raises(CentralUnavailable, match="TLS certificate") as info:
        untrusting.send(PHONE, "hello")
    assert "ca_bundle" in str(info.value)
    assert not untrusting.health().ok
    with client(tls_central, ca_bundle=tls_central.cert) as trusting:
        assert trusting.send(PHONE, "hello").references == ("m1",)
        assert trusting.health().ok


def test_hw_sms_through_central(run_cli, central):
    code, out, err = run_cli("hw", "sms", "--central", central.url, "--to", PHONE, "--text", "验证码 1", "--key", "c1")
    assert code == 0, err
    assert out.startswith("sent: 1 part to 138****8000 via central (reference m1; key c1)")
    central.script = [(429, {"error": "1 per minute per number"}, {"Retry-After": "60"})]
    code, out, err = run_cli("hw", "sms", "--central", central.url, "--to", PHONE, "--text", "验证码 2")
    assert code == 1 and err.count("\n") == 1 and "try again in 60 s" in err


def test_an_answer_cut_off_mid_body_is_retried_with_the_same_key(central):
    central.script = ["cut"]
    with client(central) as sms:
        result = sms.send(PHONE, "验证码 123456", key="k-cut")
    assert len(central.requests) == 2 and len(central.messages) == 1
    assert result.references == ("m1",)
    central.script = ["cut"] * 3
    with client(central) as sms, pytest.raises(CentralUnavailable, match="cut off") as info:
        sms.send(PHONE, "hello", key="k-cut-2")
    assert "same key is safe" in str(info.value)


def test_health_never_raises_on_a_broken_answer(central):
    central.healthy = "cut"
    with client(central) as sms:
        health = sms.health()
    assert not health.ok and "cut off" in health.summary


@pytest.mark.parametrize("url", ["http://", "https:///v1", "http://:8080"])
def test_url_without_a_host_names_the_setting(url):
    with pytest.raises(ConfigurationError, match="central_url"):
        CentralSms(url)


# -- numbers in central's answers: ASCII digits only ---------------------------------------------

@pytest.mark.parametrize("parts", ["²", "１", "١", "-1", True, 0, 256, 1.5, None, [2]])
def test_a_parts_count_that_is_not_a_whole_number_is_refused_with_a_reason(central, parts):
    """int() would crash on '²' and read '１' and '١' as 1: none of them is a count central meant."""
    central.script = [(201, {"id": "m9", "status": "sent", "parts": parts}, {})]
    with client(central) as sms, pytest.raises(CentralUnavailable, match="parts count .* is not a whole number "
                                                                         "1-255") as info:
        sms.send(PHONE, "hello")
    assert "same key is safe" in str(info.value)


@pytest.mark.parametrize("parts, expected", [(2, 2), ("3", 3), (255, 255)])
def test_a_parts_count_in_digits_is_taken(central, parts, expected):
    central.script = [(201, {"id": "m9", "status": "sent", "parts": parts}, {})]
    with client(central) as sms:
        assert sms.send(PHONE, "hello").parts == expected


def test_a_retry_after_in_other_digits_is_no_retry_time(central):
    central.script = [(429, {"error": "1 per minute per number"}, {"Retry-After": "²"})]
    with client(central) as sms, pytest.raises(CentralRateLimited) as info:
        sms.send(PHONE, "hello")
    assert info.value.retry_after_s is None and "try again in" not in str(info.value)


@pytest.mark.parametrize("value, seconds", [("42", 42.0), ("1.5", 1.5), (" 7 ", 7.0), ("0", 0.0), ("²", None),
                                            ("１２", None), ("١٢", None), ("nan", None), ("inf", None),
                                            ("-5", None), ("1e3", None), ("", None)])
def test_retry_after_is_read_only_from_ascii_digits(value, seconds):
    """float() reads '１２' and '١٢' as 12, and 'nan' and 'inf' too: RFC 9110 delay-seconds is digits."""
    from drivers.sms.central import _retry_after

    response = requests.Response()
    response.headers["Retry-After"] = value
    assert _retry_after(response) == seconds
