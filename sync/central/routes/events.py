"""``POST /v1/events``: a signed, optionally gzipped batch; per-event results, exactly-once on device id + seq."""

from __future__ import annotations

import functools
import time

from fastapi import FastAPI, Request
from fastapi.responses import Response

from sync import wire
from sync.central import models
from sync.central.ingest import BatchError, decode_body, parse_batch
from sync.central.routes.common import DEVICE_ERRORS, SIGNED, CentralState, SignedCall, error_response, json_response
from sync.central.storage import Replayed
from terminal.logs import get_logger

log = get_logger(__name__)


def mount(app: FastAPI) -> None:
    """Add ``POST /v1/events`` to ``app``."""
    body = {"required": True, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/EventBatch"}}}}
    app.add_api_route("/v1/events", events, methods=["POST"],
                      summary="Upload a signed batch of events (exactly-once on device_id + seq)",
                      openapi_extra={**SIGNED, "requestBody": body},
                      responses={200: {"model": models.IngestResponse},
                                 400: {"model": models.ErrorResponse,
                                       "description": "malformed_json, malformed_gzip or bad_batch; nothing stored"},
                                 408: {"model": models.ErrorResponse,
                                       "description": "body_timeout: the body did not arrive in time; retry"},
                                 413: {"model": models.ErrorResponse, "description": "too_large: split the batch"},
                                 415: {"model": models.ErrorResponse, "description": "unsupported Content-Encoding"},
                                 **DEVICE_ERRORS})


async def events(request: Request) -> Response:
    """200 `{"results": [{"seq", "status", "code", "reason"}], "server_time"}`, or a refusal (see responses)."""
    central = CentralState.of(request)
    work = functools.partial(ingest, central, request.headers.get("content-encoding"))
    return await central.signed(request, work, method="POST", body_limit=wire.MAX_BODY_BYTES)


def ingest(central: CentralState, encoding: str | None, call: SignedCall) -> Response:
    """Store one authenticated batch (``encoding``: its Content-Encoding) in one transaction; runs in a thread.

    Returns 200 with per-event results; the batch's BatchError status (400/413/415); 401
    ``replayed``; or 503 ``storage_error`` (the transaction rolled back: nothing stored).
    """
    started = time.perf_counter()
    try:
        batch = parse_batch(decode_body(call.body, encoding), call.device_id)
    except BatchError as exc:
        return _batch_refused(central, call, exc)
    try:
        results = central.storage.ingest(call.device_id, call.nonce, batch)
    except Replayed:
        return central.replayed(call.client, call.device_id)
    except Exception as exc:  # the transaction rolled back: nothing of the batch is stored
        return central.storage_failed(exc, call.device_id)
    counts = {wire.ACCEPTED: 0, wire.DUPLICATE: 0, wire.REJECTED: 0}
    for r in results:
        counts[r["status"]] += 1
    log.info("central.ingest", device_id=call.device_id, accepted=counts[wire.ACCEPTED],
             duplicate=counts[wire.DUPLICATE], rejected=counts[wire.REJECTED],
             ms=round((time.perf_counter() - started) * 1000, 1))
    return json_response(200, {"results": results, "server_time": central.now()})


def _batch_refused(central: CentralState, call: SignedCall, exc: BatchError) -> Response:
    # Signed by the device, but anyone can resend a captured request: the nonce says whether this
    # is the device speaking (first use) before its status shows the error.
    try:
        central.storage.use_nonce(call.device_id, call.nonce)
    except Replayed:
        return central.replayed(call.client, call.device_id)
    except Exception as nonce_exc:
        return central.storage_failed(nonce_exc, call.device_id)
    central.source_log("warning", "central.batch_refused", call.device_id, error=exc.code, detail=exc.detail)
    central.note_error(call.device_id, f"{exc.status} {exc.code}: {exc.detail}")
    return error_response(exc.status, exc.code, exc.detail)
