"""``POST /v1/sms`` and ``GET /v1/sms/health``: central sends a terminal's SMS, once per idempotency key.

The device side is :class:`drivers.sms.central.CentralSms`; this keeps its contract::

    POST /v1/sms   (signed)  Idempotency-Key: K   {"key": K, "to": "+8613800138000", "text": "..."}
      201 {"id", "status": "sent", "parts"}        sent now
      200 {"id", "status": "duplicate", "parts"}   this device sent key K before: nothing new is sent
      400 bad_request / 409 key_conflict            never sendable as it is / K was used for another message
      429 rate_limited + Retry-After                flow control per number, as Chinese gateways do
                                                    (1 a minute, 5 an hour, 10 a day)
      503 no_gateway | gateway_failed | in_progress + Retry-After: retry with the same key

Keys are per device.  Central keeps, per message, the key, a hash of the text
and a keyed hash of the number (for the limits): never the text, which holds
the code.  The gateway here is simulated: :class:`FileGateway` appends each
message as one JSON line to a file (``terminal central serve --sms-outbox
FILE``), which the demo and the tests read as the phone's inbox.

    >>> sms_parts("验证码 123456"), sms_parts("x" * 161), sms_parts("码" * 71)
    (1, 2, 2)
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import threading
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

from sync.central.inputs import BadInput, json_document
from sync.central.routes.common import DEVICE_ERRORS, SIGNED, CentralState, SignedCall, error_response, json_response
from sync.central.storage import Replayed
from terminal import TerminalError
from terminal.logs import get_logger
from terminal.pii import mask_phone

log = get_logger(__name__)

SMS_MAX_BYTES = 4096
MAX_TEXT_CHARS = 670            # 10 concatenated UCS2 parts of 67
# Flow control per number: (window seconds, messages allowed in it), as Aliyun's defaults.
LIMITS = ((60, 1), (3600, 5), (86400, 10))
IN_PROGRESS_RETRY_S = 1
GATEWAY_RETRY_S = 5
STALE_SENDING_S = 30
KEY_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
NUMBER_RE = re.compile(r"\+?[0-9]{5,15}")
_GSM_SAFE = re.compile(r"[A-Za-z0-9 @£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,\-./:;<=>?¡ÄÖÑÜ§¿äöñüà]*")

_DDL = [
    """CREATE TABLE IF NOT EXISTS sms_messages (
        device_id TEXT NOT NULL, key TEXT NOT NULL, number_mac TEXT NOT NULL, text_hash TEXT NOT NULL,
        id TEXT NOT NULL, parts INTEGER NOT NULL, status TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (device_id, key))""",
    "CREATE INDEX IF NOT EXISTS sms_messages_by_number ON sms_messages (number_mac, created_at)",
]


class GatewayFailed(TerminalError):
    """The SMS gateway did not take the message; the device retries with the same key."""


class FileGateway:
    """The simulated SMS gateway: each message becomes one JSON line appended to ``path`` (mode 0600).

    A line is ``{"id", "to", "text", "parts", "device_id", "at"}``; ``to`` as the device sent it.
    Raises :class:`GatewayFailed` when the file cannot be written.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def describe(self) -> str:
        """Where messages go, for the health answer and the log."""
        return f"simulated gateway writing to {self.path}"

    def send(self, *, message_id: str, to: str, text: str, parts: int, device_id: str, at: float) -> None:
        """Append one message (one ``write`` of one line, so readers never see half a line)."""
        line = json.dumps({"id": message_id, "to": to, "text": text, "parts": parts, "device_id": device_id,
                           "at": at}, ensure_ascii=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._lock:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                try:
                    os.write(fd, line.encode())
                finally:
                    os.close(fd)
        except OSError as exc:
            raise GatewayFailed(f"cannot write the SMS outbox {self.path}: {exc.strerror or exc}") from None


def read_outbox(path: str | Path) -> list[dict]:
    """Every message in a :class:`FileGateway` file, oldest first ([] when it does not exist yet)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sms_parts(text: str) -> int:
    """How many SMS parts ``text`` takes: GSM 7-bit 160 / 153 per part, else UCS2 70 / 67 (UTF-16 units)."""
    if _GSM_SAFE.fullmatch(text):
        single, each, length = 160, 153, len(text)
    else:
        single, each, length = 70, 67, len(text.encode("utf-16-le")) // 2
    return 1 if length <= single else math.ceil(length / each)


def mount(app: FastAPI, gateway: FileGateway | None) -> None:
    """Add ``POST /v1/sms`` and ``GET /v1/sms/health``; ``gateway`` None answers 503 ``no_gateway``."""
    app.state.sms_gateway = gateway
    app.state.sms_schema = _Schema()
    body = {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": ["key", "to", "text"],
        "properties": {"key": {"type": "string", "description": "idempotency key, 1-128 of [A-Za-z0-9._:-]; "
                                                                 "equal to the Idempotency-Key header"},
                       "to": {"type": "string", "description": "E.164 (+8613800138000) or 5-15 ASCII digits"},
                       "text": {"type": "string", "description": f"1-{MAX_TEXT_CHARS} characters"}}}}}}
    app.add_api_route("/v1/sms", send_sms, methods=["POST"], summary="Send one SMS, once per idempotency key",
                      openapi_extra={**SIGNED, "requestBody": body},
                      responses={201: {"description": "sent: {id, status: sent, parts}"},
                                 200: {"description": "duplicate: {id, status: duplicate, parts}; nothing sent"},
                                 400: {"description": "bad_request: never sendable as it is"},
                                 409: {"description": "key_conflict: the key was used for another message"},
                                 429: {"description": "rate_limited: per-number flow control; honour Retry-After"},
                                 **DEVICE_ERRORS})
    app.add_api_route("/v1/sms/health", sms_health, methods=["GET"], summary="Whether central can send SMS now",
                      openapi_extra=SIGNED,
                      responses={200: {"description": "{ok: true, gateway}"},
                                 **DEVICE_ERRORS})


async def send_sms(request: Request) -> Response:
    """Send the signed request's message (see the module docstring for every answer)."""
    central = CentralState.of(request)
    work = functools.partial(_send, central, request.app.state.sms_gateway, request.app.state.sms_schema,
                             request.headers.get("idempotency-key"))
    return await central.signed(request, work, method="POST", body_limit=SMS_MAX_BYTES)


async def sms_health(request: Request) -> Response:
    """200 ``{"ok": true, "gateway"}`` with a gateway; 503 ``no_gateway`` without one."""
    central = CentralState.of(request)
    gateway = request.app.state.sms_gateway

    def answer(call: SignedCall) -> Response:
        if gateway is None:
            return _no_gateway()
        return json_response(200, {"ok": True, "gateway": gateway.describe()})

    return await central.signed(request, answer, method="GET")


def _no_gateway() -> Response:
    return error_response(503, "no_gateway", "central runs without an SMS gateway; start it with "
                          "'terminal central serve --sms-outbox FILE' (simulated) or configure one",
                          retry_after=60)


def _send(central: CentralState, gateway: FileGateway | None, schema: "_Schema", header_key: str | None,
          call: SignedCall) -> Response:
    """Check, reserve the key and the number's budget, hand the message to the gateway; in a thread."""
    try:
        key, to, text = _parse(call.body, header_key)
    except BadInput as exc:
        return error_response(exc.status, exc.code, exc.detail)
    try:
        central.storage.use_nonce(call.device_id, call.nonce)
    except Replayed:
        return central.replayed(call.client, call.device_id)
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    if gateway is None:
        return _no_gateway()
    storage = central.storage
    now = central.now()
    try:
        schema.ensure(storage)
        number_mac = hmac.new(storage.deployment_key(), to.removeprefix("+").encode(), hashlib.sha256).hexdigest()
        text_hash = hashlib.sha256(f"{to}\n{text}".encode()).hexdigest()
        outcome = _reserve(storage, call.device_id, key, number_mac, text_hash, sms_parts(text), now)
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    if isinstance(outcome, Response):
        return outcome
    message_id, parts = outcome
    try:
        gateway.send(message_id=message_id, to=to, text=text, parts=parts, device_id=call.device_id, at=now)
    except GatewayFailed as exc:
        log.error("central.sms_gateway_failed", device_id=call.device_id, key=key, error=str(exc))
        _release(storage, call.device_id, key)
        return error_response(503, "gateway_failed", f"the SMS gateway did not take the message ({exc}); "
                              f"retry with the same key", retry_after=GATEWAY_RETRY_S)
    _mark_sent(storage, call.device_id, key)
    log.info("central.sms_sent", device_id=call.device_id, key=key, to=mask_phone(to), parts=parts, id=message_id)
    return json_response(201, {"id": message_id, "status": "sent", "parts": parts})


def _parse(body: bytes, header_key: str | None) -> tuple[str, str, str]:
    doc = json_document(body)
    if not isinstance(doc, dict):
        raise BadInput(400, "bad_request", "the body must be a JSON object {key, to, text}")
    key, to, text = doc.get("key"), doc.get("to"), doc.get("text")
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        raise BadInput(400, "bad_request", "key: give 1-128 ASCII letters, digits or . _ : -")
    if header_key is not None and header_key != key:
        raise BadInput(400, "bad_request", "the Idempotency-Key header and the body's key differ")
    if not isinstance(to, str) or not NUMBER_RE.fullmatch(to):
        raise BadInput(400, "bad_request", "to: give the number as E.164 (+8613800138000) or 5-15 ASCII digits")
    if not isinstance(text, str) or not text.strip():
        raise BadInput(400, "bad_request", "text: give the message text")
    if len(text) > MAX_TEXT_CHARS:
        raise BadInput(400, "bad_request", f"text: {len(text)} characters is above the limit of {MAX_TEXT_CHARS}")
    return key, to, text


def _reserve(storage, device_id: str, key: str, number_mac: str, text_hash: str, parts: int,
             now: float) -> tuple[str, int] | Response:
    """Claim ``key`` and one unit of the number's budget in one transaction, or the refusal to send."""
    q = storage.engine.sql
    with storage.engine.transaction() as c:
        if storage.name == "postgresql":     # SQLite's BEGIN IMMEDIATE already serialises writers
            c.execute("SELECT pg_advisory_xact_lock(%s)", (int(number_mac[:15], 16),))
        row = c.execute(q("SELECT number_mac, text_hash, id, parts, status, created_at FROM sms_messages "
                          "WHERE device_id = ? AND key = ?"), (device_id, key)).fetchone()
        if row is not None:
            if (row[0], row[1]) != (number_mac, text_hash):
                return error_response(409, "key_conflict", f"key {key!r} was used for a different message; "
                                      f"a new message needs a new key")
            # A send cut short by a crash (still 'sending' long after) may have gone out: never send twice.
            if row[4] != "sent" and now - row[5] < STALE_SENDING_S:
                return error_response(503, "in_progress", "this key is being sent right now; retry with the "
                                      "same key", retry_after=IN_PROGRESS_RETRY_S)
            return json_response(200, {"id": row[2], "status": "duplicate", "parts": row[3]})
        for window_s, allowed in LIMITS:
            times = [r[0] for r in c.execute(q("SELECT created_at FROM sms_messages WHERE number_mac = ? "
                                               "AND created_at > ? ORDER BY created_at"),
                                             (number_mac, now - window_s)).fetchall()]
            if len(times) >= allowed:
                wait = max(1, math.ceil(times[-allowed] + window_s - now))
                return error_response(429, "rate_limited", f"at most {allowed} message(s) to this number per "
                                      f"{_window(window_s)}; try again in {wait} s", retry_after=wait)
        message_id = "sms-" + secrets.token_hex(8)
        c.execute(q("INSERT INTO sms_messages (device_id, key, number_mac, text_hash, id, parts, status, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?, 'sending', ?)"),
                  (device_id, key, number_mac, text_hash, message_id, parts, now))
    return message_id, parts


def _mark_sent(storage, device_id: str, key: str) -> None:
    with storage.engine.transaction() as c:
        c.execute(storage.engine.sql("UPDATE sms_messages SET status = 'sent' WHERE device_id = ? AND key = ?"),
                  (device_id, key))


def _release(storage, device_id: str, key: str) -> None:
    # Not sent: the key and the number's budget are free again for the device's retry.
    try:
        with storage.engine.transaction() as c:
            c.execute(storage.engine.sql("DELETE FROM sms_messages WHERE device_id = ? AND key = ? "
                                         "AND status = 'sending'"), (device_id, key))
    except Exception as exc:
        log.error("central.sms_release_failed", device_id=device_id, key=key, error=repr(exc))


def _window(seconds: int) -> str:
    return {60: "minute", 3600: "hour", 86400: "day"}.get(seconds, f"{seconds} s")


class _Schema:
    """Creates this route's tables once per app (idempotent; central's own schema does not know them)."""

    def __init__(self):
        self._done = False
        self._lock = threading.Lock()

    def ensure(self, storage) -> None:
        if self._done:
            return
        with self._lock:
            if not self._done:
                with storage.engine.transaction() as c:
                    for statement in _DDL:
                        c.execute(statement)
                self._done = True
