"""The reference central's HTTP API (FastAPI), over one :class:`~sync.central.storage.Storage`.

Endpoints (the committed ``sync/central/openapi.json`` has every shape):

- ``POST /v1/enroll`` -- one-time token -> device secret;
- ``POST /v1/events`` -- signed, optionally gzipped batch; per-event results;
- ``GET /v1/reference/{dataset}`` -- signed; snapshot or changes since a cursor; 410 to resync;
- ``GET /v1/feed`` -- consumer bearer token; every event in commit order after a cursor;
- ``GET /v1/status`` and ``GET /status`` -- terminals: last seen, backlog, clock offset, last error;
- ``GET /healthz``.

Every response carries ``X-Server-Time``.  Device calls pass an admission
gate: beyond ``max_active`` running and ``max_waiting`` queued, central answers
503 with ``Retry-After`` instead of slowing everyone down.

    >>> import tempfile
    >>> from sync.central.storage import open_storage
    >>> app = create_app(open_storage(tempfile.mkdtemp() + "/central.db"))
    >>> sorted(route.path for route in app.routes if route.path.startswith("/v1"))
    ['/v1/enroll', '/v1/events', '/v1/feed', '/v1/reference/{dataset}', '/v1/status']
    >>> app.state.storage.close()
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import threading
import time

from fastapi import FastAPI, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync import wire
from sync.central import models
from sync.central.auth import DEVICE_ID_RE, AuthFailure, bearer_token, check_device_request
from sync.central.ingest import BatchError, decode_body, parse_batch
from sync.central.status_page import render_status
from sync.central.storage import Replayed, Resync, Storage, UnknownDataset
from terminal import __version__
from terminal.logs import get_logger

log = get_logger(__name__)

ENROLL_MAX_BYTES = 4096
BODY_TIMEOUT_S = 60.0  # a whole upload (at most 8 MB) must arrive within this
ERROR_NOTE_EVERY_S = 5.0
STORAGE_RETRY_S = 5

DESCRIPTION = """Reference central service for service-terminals.

**Device authentication** (every /v1 call except /v1/enroll and /v1/feed): headers
`X-Device-Id`, `X-Timestamp` (unix seconds), `X-Nonce` (16-128 of `[A-Za-z0-9_-]`) and
`X-Signature` = hex HMAC-SHA256(device secret, `METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nSHA256HEX(BODY)`),
BODY being the bytes as sent (gzipped when `Content-Encoding: gzip`). See `sync/wire.py`.
401 answers carry `{"error": "bad_signature" | "unknown_device" | "replayed" | "clock_skew", "server_time": T}`.

**Consumer authentication** (`/v1/feed`): `Authorization: Bearer <token>` from
`terminal central consumer-token`.

Every response has `X-Server-Time`. Overload: 503 with `Retry-After` (delta-seconds).
"""


class Overloaded(Exception):
    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


class Admission:
    """At most ``max_active`` device calls at work and ``max_waiting`` queued; the rest get 503."""

    def __init__(self, max_active: int = 4, max_waiting: int = 32):
        self.max_active, self.max_waiting = max_active, max_waiting
        self._semaphore = asyncio.Semaphore(max_active)
        self.pending = 0

    @contextlib.asynccontextmanager
    async def slot(self):
        if self.pending >= self.max_active + self.max_waiting:
            raise Overloaded(min(30, 1 + self.pending // max(1, self.max_active)))
        self.pending += 1
        try:
            async with self._semaphore:
                yield
        finally:
            self.pending -= 1


class ServerTimeMiddleware:
    """Adds ``X-Server-Time`` to every response (plain ASGI: no per-request overhead worth naming)."""

    def __init__(self, app, now=time.time):
        self.app, self.now = app, now

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_time(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-server-time", f"{self.now():.3f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_time)


def _json(status: int, body: dict, headers: dict | None = None) -> Response:
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json",
                    headers=headers)


def _error(status: int, code: str, detail: str, **extra) -> Response:
    headers = {"Retry-After": str(extra["retry_after"])} if "retry_after" in extra else None
    return _json(status, {"error": code, "detail": detail, **extra}, headers)


async def _read_body(request: Request, limit: int, timeout_s: float = BODY_TIMEOUT_S) -> bytes:
    """The whole body, at most ``limit`` bytes and within ``timeout_s``: the server itself has no
    body deadline, and a stalled upload would otherwise keep its admission slot for ever."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BatchError(413, wire.ERR_TOO_LARGE, f"body of {declared} bytes is above the limit of {limit}")
    chunks, size = [], 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise BatchError(413, wire.ERR_TOO_LARGE, f"body is above the limit of {limit} bytes")
            chunks.append(chunk)

    try:
        await asyncio.wait_for(read(), timeout_s)
    except asyncio.TimeoutError:
        raise BatchError(408, "body_timeout", f"the request body did not arrive within {timeout_s:g} s "
                         f"({size} bytes came); retry") from None
    return b"".join(chunks)


def _is_ed25519_public_key(text) -> bool:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (TypeError, ValueError):
        return False
    return True


def _signed_path(request: Request) -> str:
    """The path and query exactly as the device sent (and signed) them."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"")
    return raw.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


_DEVICE_ERRORS = {401: {"model": models.ErrorResponse, "description": "not authenticated (see error)"},
                  503: {"model": models.ErrorResponse, "description": "overloaded; honour Retry-After"}}
_SIGNED = {"security": [{"deviceSignature": [], "deviceId": [], "timestamp": [], "nonce": []}]}


def create_app(storage: Storage, *, now=time.time, max_active: int = 4, max_waiting: int = 32,
               body_timeout_s: float = BODY_TIMEOUT_S) -> FastAPI:
    app = FastAPI(title="service-terminals central", version=__version__, description=DESCRIPTION,
                  docs_url="/docs", redoc_url=None)
    app.state.storage = storage
    admission = Admission(max_active, max_waiting)
    app.state.admission = admission
    noted: dict[str, float] = {}
    noted_lock = threading.Lock()

    def note_error(device_id: str | None, error: str) -> None:
        # Rate-limited, so a flood of bad requests cannot turn into a flood of writes.
        if device_id is None:
            return
        t = now()
        with noted_lock:
            if t - noted.get(device_id, 0.0) < ERROR_NOTE_EVERY_S:
                return
            noted[device_id] = t
        with contextlib.suppress(Exception):
            storage.note_error(device_id, error)

    def refused(exc: AuthFailure) -> Response:
        log.warning("central.auth_refused", device_id=exc.device_id, error=exc.code, detail=exc.detail)
        note_error(exc.device_id, f"401 {exc.code}: {exc.detail}")
        return _error(401, exc.code, exc.detail, server_time=now())

    def storage_failed(exc: Exception, device_id: str | None, *, reading: bool = False) -> Response:
        log.exception("central.storage_error", device_id=device_id, error=repr(exc))
        what = ("central could not read its database" if reading
                else "central could not store this request (nothing was stored)")
        return _error(503, "storage_error", f"{what}; retry after {STORAGE_RETRY_S} s",
                      retry_after=STORAGE_RETRY_S)

    # -- errors the framework raises, in the same shape as ours ----------------
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc):
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request, exc):
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return _error(400, "bad_request", problems)

    # -- enrolment ---------------------------------------------------------------
    @app.post("/v1/enroll", summary="Exchange a one-time enrolment token for a device secret",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/EnrollRequest"}}}}},
              responses={200: {"model": models.EnrollResponse},
                         400: {"model": models.ErrorResponse},
                         401: {"model": models.ErrorResponse, "description": "invalid_token"}})
    async def enroll(request: Request):
        try:
            body = await _read_body(request, ENROLL_MAX_BYTES, body_timeout_s)
            doc = json.loads(body)
        except BatchError as exc:
            return _error(exc.status, exc.code, exc.detail)
        except (UnicodeDecodeError, ValueError) as exc:
            return _error(400, wire.ERR_MALFORMED_JSON, f"body is not valid JSON: {exc}")
        if not isinstance(doc, dict) or not isinstance(doc.get("device_id"), str) \
                or not isinstance(doc.get("token"), str):
            return _error(400, "bad_request", 'body must be {"device_id": "...", "token": "..."}')
        device_id = doc["device_id"]
        if not DEVICE_ID_RE.match(device_id):
            return _error(400, "bad_request", "device_id must be 1-64 letters, digits, '.', '_' or '-'")
        public_key = doc.get("public_key")
        if public_key is not None and not _is_ed25519_public_key(public_key):
            return _error(400, "bad_request", "public_key must be base64 of a raw 32-byte Ed25519 public key")
        try:
            secret = await run_in_threadpool(storage.enroll, device_id, doc["token"], public_key)
            last_seq = None if secret is None else await run_in_threadpool(storage.last_seq, device_id)
        except Exception as exc:  # nothing half-done: the token claim rolled back with the enrolment
            return storage_failed(exc, device_id)
        if secret is None:
            log.warning("central.enroll_refused", device_id=device_id)
            return _error(401, wire.ERR_INVALID_TOKEN, "the token is unknown, already used, expired or for another "
                          "device; ask for a new one ('terminal central token')", server_time=now())
        log.info("central.enrolled", device_id=device_id)
        return _json(200, {"device_id": device_id, "secret": base64.b64encode(secret).decode(),
                           "server_time": now(), "last_seq": last_seq})

    # -- ingest ------------------------------------------------------------------
    def ingest_sync(request_headers, path: str, raw: bytes) -> Response:
        started = time.perf_counter()
        device_id = None
        try:
            device_id, nonce = check_device_request(storage.device_secret, "POST", path, raw, request_headers,
                                                    now=now())
            batch = parse_batch(decode_body(raw, request_headers.get("content-encoding")), device_id)
            results = storage.ingest(device_id, nonce, batch)
        except AuthFailure as exc:
            return refused(exc)
        except Replayed:
            return refused(AuthFailure(wire.ERR_REPLAYED, "this nonce was already used; sign the retry "
                                       "with a new nonce", device_id))
        except BatchError as exc:
            log.warning("central.batch_refused", device_id=device_id, error=exc.code, detail=exc.detail)
            note_error(device_id, f"{exc.status} {exc.code}: {exc.detail}")
            return _error(exc.status, exc.code, exc.detail)
        except Exception as exc:  # the transaction rolled back: nothing of the batch is stored
            return storage_failed(exc, device_id)
        counts = {wire.ACCEPTED: 0, wire.DUPLICATE: 0, wire.REJECTED: 0}
        for r in results:
            counts[r["status"]] += 1
        log.info("central.ingest", device_id=device_id, accepted=counts[wire.ACCEPTED],
                 duplicate=counts[wire.DUPLICATE], rejected=counts[wire.REJECTED],
                 ms=round((time.perf_counter() - started) * 1000, 1))
        return _json(200, {"results": results, "server_time": now()})

    @app.post("/v1/events", summary="Upload a signed batch of events (exactly-once on device_id + seq)",
              openapi_extra={**_SIGNED, "requestBody": {"required": True, "content": {"application/json": {
                  "schema": {"$ref": "#/components/schemas/EventBatch"}}}}},
              responses={200: {"model": models.IngestResponse},
                         400: {"model": models.ErrorResponse,
                               "description": "malformed_json, malformed_gzip or bad_batch; nothing stored"},
                         408: {"model": models.ErrorResponse,
                               "description": "body_timeout: the body did not arrive in time; retry"},
                         413: {"model": models.ErrorResponse, "description": "too_large: split the batch"},
                         415: {"model": models.ErrorResponse, "description": "unsupported Content-Encoding"},
                         **_DEVICE_ERRORS})
    async def events(request: Request):
        try:
            async with admission.slot():
                try:
                    raw = await _read_body(request, wire.MAX_BODY_BYTES, body_timeout_s)
                except BatchError as exc:
                    return _error(exc.status, exc.code, exc.detail)
                return await run_in_threadpool(ingest_sync, request.headers, _signed_path(request), raw)
        except Overloaded as exc:
            return _error(503, wire.ERR_OVERLOADED, f"central is busy; retry after {exc.retry_after} s",
                          retry_after=exc.retry_after)

    # -- reference data -------------------------------------------------------
    def reference_sync(request_headers, path: str, dataset: str, cursor: str | None, limit: int) -> Response:
        device_id = None
        try:
            device_id, nonce = check_device_request(storage.device_secret, "GET", path, b"", request_headers,
                                                    now=now())
            storage.use_nonce(device_id, nonce)
        except AuthFailure as exc:
            return refused(exc)
        except Replayed:
            return refused(AuthFailure(wire.ERR_REPLAYED, "this nonce was already used; sign the retry "
                                       "with a new nonce", device_id))
        except Exception as exc:
            return storage_failed(exc, device_id)
        try:
            page = storage.reference_page(dataset, cursor, limit)
        except UnknownDataset:
            return _error(404, "unknown_dataset", f"no dataset {dataset!r}; central serves "
                          f"{', '.join(wire.DATASETS)}")
        except Resync as exc:
            log.info("central.resync", device_id=device_id, dataset=dataset, reason=str(exc))
            return _error(410, wire.ERR_RESYNC, str(exc))
        except Exception as exc:
            return storage_failed(exc, device_id)
        return _json(200, page)

    @app.get("/v1/reference/{dataset}", summary="Pull a reference dataset: full snapshot or changes since a cursor",
             openapi_extra=_SIGNED,
             responses={200: {"model": models.ReferencePage},
                        404: {"model": models.ErrorResponse, "description": "unknown_dataset"},
                        410: {"model": models.ErrorResponse,
                              "description": "resync: drop the cursor and pull a full snapshot"},
                        **_DEVICE_ERRORS})
    async def reference(request: Request, dataset: str,
                        cursor: str | None = Query(None, max_length=100,
                                                   description="from the previous page; absent = full snapshot"),
                        limit: int = Query(1000, ge=1, le=5000)):
        try:
            async with admission.slot():
                return await run_in_threadpool(reference_sync, request.headers, _signed_path(request), dataset,
                                               cursor, limit)
        except Overloaded as exc:
            return _error(503, wire.ERR_OVERLOADED, f"central is busy; retry after {exc.retry_after} s",
                          retry_after=exc.retry_after)

    # -- feed for downstream consumers -------------------------------------------
    def feed_sync(token: str | None, after: int, limit: int, device_id: str | None) -> Response:
        try:
            consumer = None if token is None else storage.consumer_for(token)
            if consumer is not None:
                items, more = storage.feed(after, limit, device_id)
        except Exception as exc:
            return storage_failed(exc, None, reading=True)
        if consumer is None:
            return _error(401, "unauthorized", "send 'Authorization: Bearer <token>' with a token from "
                          "'terminal central consumer-token'")
        return _json(200, {"items": items, "cursor": items[-1]["cursor"] if items else str(after), "more": more})

    @app.get("/v1/feed", summary="Every accepted event in commit order, after a cursor",
             openapi_extra={"security": [{"consumerToken": []}]},
             responses={200: {"model": models.FeedPage},
                        401: {"model": models.ErrorResponse, "description": "unauthorized"}})
    async def feed(request: Request,
                   after: int = Query(0, ge=0, description="cursor of the last item already processed"),
                   limit: int = Query(1000, ge=1, le=10000),
                   device_id: str | None = Query(None, max_length=64)):
        return await run_in_threadpool(feed_sync, bearer_token(request.headers), after, limit, device_id)

    # -- status --------------------------------------------------------------------
    @app.get("/v1/status", summary="Terminals: last seen, backlog reported, clock offset, last error",
             response_model=models.StatusResponse)
    async def status():
        try:
            terminals = await run_in_threadpool(storage.terminals)
        except Exception as exc:
            return storage_failed(exc, None, reading=True)
        return _json(200, {"server_time": now(), "engine": storage.name, "terminals": terminals})

    @app.get("/status", summary="The terminals' status as an HTML page", response_class=HTMLResponse)
    async def status_page():
        try:
            terminals = await run_in_threadpool(storage.terminals)
        except Exception as exc:
            return storage_failed(exc, None, reading=True)
        return HTMLResponse(render_status(terminals, now=now(), engine=storage.name))

    @app.get("/healthz", summary="Liveness and the storage engine", response_model=models.HealthResponse)
    async def healthz():
        return _json(200, {"ok": True, "engine": storage.name, "server_time": now()})

    app.add_middleware(ServerTimeMiddleware, now=now)
    app.openapi = lambda: _openapi(app)
    return app


def _openapi(app: FastAPI) -> dict:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    # Bodies read by hand are described by models the routes do not reference themselves.
    for model in (models.EnrollRequest, models.EventBatch):
        doc = model.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)
        schemas.update(doc.pop("$defs", {}))
        schemas[model.__name__] = doc
    components["securitySchemes"] = {
        "deviceId": {"type": "apiKey", "in": "header", "name": wire.H_DEVICE},
        "timestamp": {"type": "apiKey", "in": "header", "name": wire.H_TIMESTAMP},
        "nonce": {"type": "apiKey", "in": "header", "name": wire.H_NONCE},
        "deviceSignature": {"type": "apiKey", "in": "header", "name": wire.H_SIGNATURE,
                            "description": "HMAC-SHA256 over METHOD, PATH?QUERY, TIMESTAMP, NONCE, SHA256(BODY)"},
        "consumerToken": {"type": "http", "scheme": "bearer"},
    }
    app.openapi_schema = jsonable_encoder(schema)
    return app.openapi_schema
