"""``POST /v1/enroll``: a one-time enrolment token (from ``terminal central token``) for a device secret."""

from __future__ import annotations

import base64

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync import wire
from sync.central import models
from sync.central.auth import DEVICE_ID_RULE, is_device_id, is_token
from sync.central.inputs import BadInput, ClientGone, json_document, read_body
from sync.central.routes.certdata import publish_terminal_keys
from sync.central.routes.common import CentralState, bad_input_response, client_host, error_response, json_response
from terminal.logs import get_logger

log = get_logger(__name__)

ENROLL_MAX_BYTES = 4096


def mount(app: FastAPI) -> None:
    """Add ``POST /v1/enroll`` to ``app``."""
    body = {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/EnrollRequest"}}}}
    app.add_api_route("/v1/enroll", enroll, methods=["POST"],
                      summary="Exchange a one-time enrolment token for a device secret",
                      openapi_extra={"requestBody": body},
                      responses={200: {"model": models.EnrollResponse},
                                 400: {"model": models.ErrorResponse},
                                 401: {"model": models.ErrorResponse, "description": "invalid_token"}})


async def enroll(request: Request) -> Response:
    """`{"device_id", "token"[, "public_key"]}` -> 200 `{"device_id", "secret", "server_time", "last_seq"}`.

    400 `bad_request` for a malformed body; 401 `invalid_token` for a token that is unknown,
    used, expired or for another device; 503 `storage_error` (nothing half-done).
    """
    central = CentralState.of(request)
    client = client_host(request)
    try:
        doc = json_document(await read_body(request, ENROLL_MAX_BYTES, central.body_timeout_s, central.budget))
    except BadInput as exc:
        return bad_input_response(exc)
    except ClientGone as exc:
        return central.gone(client, exc, "/v1/enroll")
    problem = _problem(doc)
    if problem:
        return error_response(400, "bad_request", problem)
    device_id, public_key = doc["device_id"], doc.get("public_key")
    secret = last_seq = None
    if is_token(doc["token"]):    # any other text cannot be a token central issued
        try:
            secret = await run_in_threadpool(central.storage.enroll, device_id, doc["token"], public_key)
            last_seq = None if secret is None else await run_in_threadpool(central.storage.last_seq, device_id)
        except Exception as exc:  # nothing half-done: the token claim rolled back with the enrolment
            return central.storage_failed(exc, device_id)
    if secret is None:
        central.failed.note(wire.ERR_INVALID_TOKEN, client=client, device_id=device_id)
        central.source_log("warning", "central.enroll_refused", client, device_id=device_id)
        return error_response(401, wire.ERR_INVALID_TOKEN, "the token is unknown, already used, expired or for "
                              "another device; ask for a new one ('terminal central token')",
                              server_time=central.now())
    central.secrets.forget(device_id)
    log.info("central.enrolled", device_id=device_id)
    if public_key:  # certificates this terminal signs are checkable offline from its first one on
        try:
            await run_in_threadpool(publish_terminal_keys, central.storage)
        except Exception as exc:  # the enrolment stands; certdata answers publish the key again
            log.warning("central.terminal_keys_not_published", device_id=device_id, error=str(exc))
    return json_response(200, {"device_id": device_id, "secret": base64.b64encode(secret).decode(),
                               "server_time": central.now(), "last_seq": last_seq})


def _problem(doc) -> str | None:
    """What is wrong with an enrolment body (the 400's detail), or None."""
    if not isinstance(doc, dict) or not isinstance(doc.get("device_id"), str) \
            or not isinstance(doc.get("token"), str):
        return 'body must be {"device_id": "...", "token": "..."}'
    if not is_device_id(doc["device_id"]):
        return f"device_id {doc['device_id'][:80]!r}: use {DEVICE_ID_RULE}"
    public_key = doc.get("public_key")
    if public_key is not None and not _is_ed25519_public_key(public_key):
        return "public_key must be base64 of a raw 32-byte Ed25519 public key"
    return None


def _is_ed25519_public_key(text) -> bool:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not isinstance(text, str) or not text.isascii():
        return False
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (TypeError, ValueError):
        return False
    return True
