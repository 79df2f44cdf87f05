"""The reference central's HTTP API (FastAPI), over one :class:`~sync.central.storage.Storage`.

Endpoints (the committed ``sync/central/openapi.json`` has every shape):

- ``POST /v1/enroll`` -- one-time token -> device secret;
- ``POST /v1/events`` -- signed, optionally gzipped batch; per-event results;
- ``GET /v1/reference/{dataset}`` -- signed; snapshot or changes since a cursor; 410 to resync;
- ``GET /v1/feed`` -- consumer bearer token; every event in commit order after a cursor;
- ``GET /v1/status`` and ``GET /status`` -- terminals: last seen, backlog, clock offset, last error
  (a consumer token unless ``public_status``);
- ``GET /healthz``.

A device request is checked from its headers first (shape, replay window,
enrolled device, Content-Length); only then is its body read, outside any
working slot, with a deadline and within a budget of bytes held at once; only
a request whose signature matches takes one of the ``max_active`` working
slots (beyond ``max_waiting`` queued: 503 with ``Retry-After``).  A request
that fails authentication changes no device's state: it is counted apart
(``failed_auth`` in the status).  Every response carries ``X-Server-Time``.

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
from sync.central.auth import (DEVICE_ID_RULE, AuthFailure, bearer_token, is_device_id, is_token, not_enrolled,
                               read_device_headers, verify)
from sync.central.ingest import BatchError, decode_body, parse_batch
from sync.central.inputs import (BadInput, BodyBudget, ClientGone, bad_request, content_length, json_document,
                                 query_int, read_body)
from sync.central.signals import FailedAuth, SourceLog
from sync.central.status_page import render_status
from sync.central.storage import Replayed, Resync, Storage, UnknownDataset
from terminal import __version__
from terminal.logs import get_logger

log = get_logger(__name__)

ENROLL_MAX_BYTES = 4096
BODY_TIMEOUT_S = 60.0  # a whole upload (at most 8 MB) must arrive within this
BODY_BUDGET_BYTES = 256 * 1024 * 1024   # bodies held in memory at once, over all connections
ERROR_NOTE_EVERY_S = 5.0
STORAGE_RETRY_S = 5
SECRET_CACHE_S = 10.0          # a device secret read from storage is reused this long ...
SECRET_RECHECK_S = 1.0         # ... but a mismatch re-reads it (another central may have re-enrolled it)
SECRET_CACHE_MAX = 100_000
INLINE_HASH_BYTES = 64 * 1024  # smaller bodies are verified on the event loop, larger ones in a thread

DESCRIPTION = """Reference central service for service-terminals.

**Device authentication** (every /v1 call except /v1/enroll, /v1/feed and /v1/status): headers
`X-Device-Id`, `X-Timestamp` (unix seconds, ASCII digits), `X-Nonce` (16-128 of `[A-Za-z0-9_-]`) and
`X-Signature` = hex HMAC-SHA256(device secret, `METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nSHA256HEX(BODY)`),
BODY being the bytes as sent (gzipped when `Content-Encoding: gzip`). See `sync/wire.py`.
The headers are checked before the body is read; the signature after.
401 answers carry `{"error": "bad_signature" | "unknown_device" | "replayed" | "clock_skew", "server_time": T}`.

**Consumer authentication** (`/v1/feed`, and `/v1/status` and `/status` unless central runs with
`--public-status`): `Authorization: Bearer <token>` (or HTTP Basic with the token as password) from
`terminal central consumer-token`.

Every response has `X-Server-Time`. Overload: 503 with `Retry-After` (delta-seconds).
Query parameters that are numbers take ASCII digits only; out of range is a 400 naming the parameter.
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


class SecretCache:
    """Device secrets by id, so that checking a request's headers costs no thread and no query while
    thousands of connections do the same; only enrolled devices are kept (bounded, oldest dropped)."""

    def __init__(self, lookup, *, now=time.monotonic):
        self.lookup, self.now = lookup, now
        self._entries: dict[str, tuple[bytes, float]] = {}

    async def get(self, device_id: str, *, max_age_s: float = SECRET_CACHE_S) -> tuple[bytes | None, float]:
        """(secret or None, its age in seconds); raises _StorageFailed."""
        entry = self._entries.get(device_id)
        if entry is not None and self.now() - entry[1] < max_age_s:
            return entry[0], self.now() - entry[1]
        try:
            secret = await run_in_threadpool(self.lookup, device_id)
        except Exception as exc:
            raise _StorageFailed(exc) from None
        if secret is None:
            self._entries.pop(device_id, None)
        else:
            if len(self._entries) >= SECRET_CACHE_MAX:
                self._entries.pop(next(iter(self._entries)))
            self._entries[device_id] = (secret, self.now())
        return secret, 0.0

    def forget(self, device_id: str) -> None:
        self._entries.pop(device_id, None)


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


def _error(status: int, code: str, detail: str, *, headers: dict | None = None, **extra) -> Response:
    headers = dict(headers or {})
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return _json(status, {"error": code, "detail": detail, **extra}, headers or None)


def _bad(exc: BadInput) -> Response:
    if exc.retry_after is not None:
        return _error(exc.status, exc.code, exc.detail, retry_after=exc.retry_after)
    return _error(exc.status, exc.code, exc.detail)


def _is_ed25519_public_key(text) -> bool:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not isinstance(text, str) or not text.isascii():
        return False
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


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


_DEVICE_ERRORS = {401: {"model": models.ErrorResponse, "description": "not authenticated (see error)"},
                  503: {"model": models.ErrorResponse, "description": "overloaded; honour Retry-After"}}
_SIGNED = {"security": [{"deviceSignature": [], "deviceId": [], "timestamp": [], "nonce": []}]}
_CONSUMER = {"security": [{"consumerToken": []}]}
_BAD_QUERY = {400: {"model": models.ErrorResponse, "description": "bad_request: a query parameter is malformed "
                    "or out of range (the detail names it)"}}


def create_app(storage: Storage, *, now=time.time, max_active: int = 4, max_waiting: int = 32,
               body_timeout_s: float = BODY_TIMEOUT_S, body_budget_bytes: int = BODY_BUDGET_BYTES,
               public_status: bool = False) -> FastAPI:
    app = FastAPI(title="service-terminals central", version=__version__, description=DESCRIPTION,
                  docs_url="/docs", redoc_url=None)
    app.state.storage = storage
    admission = Admission(max_active, max_waiting)
    app.state.admission = admission
    budget = BodyBudget(body_budget_bytes)
    app.state.body_budget = budget
    secrets_cache = SecretCache(None if storage is None else storage.device_secret)
    failed = FailedAuth(now=now)
    app.state.failed_auth = failed
    source_log = SourceLog(log)
    noted: dict[str, float] = {}
    noted_lock = threading.Lock()

    def note_error(device_id: str, error: str) -> None:
        # Only for authenticated requests; rate-limited, so a flood of them cannot become a flood of writes.
        t = now()
        with noted_lock:
            if t - noted.get(device_id, 0.0) < ERROR_NOTE_EVERY_S:
                return
            noted[device_id] = t
        with contextlib.suppress(Exception):
            storage.note_error(device_id, error)

    def refused(client: str | None, exc: AuthFailure) -> Response:
        # Nothing about the named device changes: the request proved nothing.  Counted apart instead.
        failed.note(exc.code, client=client, device_id=exc.device_id)
        source_log("warning", "central.auth_refused", client, device_id=exc.device_id, error=exc.code,
                   detail=exc.detail)
        return _error(401, exc.code, exc.detail, server_time=now())

    def unauthorized(client: str | None, what: str, *, basic: bool = False) -> Response:
        failed.note("unauthorized", client=client)
        source_log("warning", "central.token_refused", client, endpoint=what)
        challenge = 'Basic realm="central status", charset="UTF-8"' if basic else "Bearer"
        return _error(401, "unauthorized", f"{what} needs 'Authorization: Bearer <token>' with a token from "
                      f"'terminal central consumer-token'", headers={"WWW-Authenticate": challenge})

    def gone(client: str | None, exc: ClientGone, path: str) -> Response:
        source_log("info", "central.client_gone", client, path=path, detail=str(exc))
        return _error(400, "client_gone", str(exc))   # never sent: the client is not there to read it

    def storage_failed(exc: Exception, device_id: str | None, *, reading: bool = False) -> Response:
        log.exception("central.storage_error", device_id=device_id, error=repr(exc))
        what = ("central could not read its database" if reading
                else "central could not store this request (nothing was stored)")
        return _error(503, "storage_error", f"{what}; retry after {STORAGE_RETRY_S} s",
                      retry_after=STORAGE_RETRY_S)

    def overloaded(exc: Overloaded) -> Response:
        return _error(503, wire.ERR_OVERLOADED, f"central is busy; retry after {exc.retry_after} s",
                      retry_after=exc.retry_after)

    async def authenticate(request: Request, method: str, *, body_limit: int = 0):
        """(headers, body) of a device request whose signature matches; raises AuthFailure, BadInput or
        ClientGone.  Everything the headers tell is checked before a byte of the body is read."""
        signed = read_device_headers(request.headers, now=now())
        if body_limit:
            content_length(request.headers, body_limit)
        secret, age = await secrets_cache.get(signed.device_id)
        if secret is None:
            raise not_enrolled(signed.device_id)
        body = await read_body(request, body_limit, body_timeout_s, budget) if body_limit else b""
        path = _signed_path(request)
        try:
            await _verify(secret, method, path, body, signed)
        except AuthFailure:
            if age < SECRET_RECHECK_S:
                raise
            secret, _ = await secrets_cache.get(signed.device_id, max_age_s=0)   # re-enrolled meanwhile?
            if secret is None:
                raise not_enrolled(signed.device_id) from None
            await _verify(secret, method, path, body, signed)
        return signed, body

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
        client = _client(request)
        try:
            doc = json_document(await read_body(request, ENROLL_MAX_BYTES, body_timeout_s, budget))
        except BadInput as exc:
            return _bad(exc)
        except ClientGone as exc:
            return gone(client, exc, "/v1/enroll")
        if not isinstance(doc, dict) or not isinstance(doc.get("device_id"), str) \
                or not isinstance(doc.get("token"), str):
            return _error(400, "bad_request", 'body must be {"device_id": "...", "token": "..."}')
        device_id = doc["device_id"]
        if not is_device_id(device_id):
            return _error(400, "bad_request", f"device_id {device_id[:80]!r}: use {DEVICE_ID_RULE}")
        public_key = doc.get("public_key")
        if public_key is not None and not _is_ed25519_public_key(public_key):
            return _error(400, "bad_request", "public_key must be base64 of a raw 32-byte Ed25519 public key")
        secret = None
        if is_token(doc["token"]):    # any other text cannot be a token central issued
            try:
                secret = await run_in_threadpool(storage.enroll, device_id, doc["token"], public_key)
                last_seq = None if secret is None else await run_in_threadpool(storage.last_seq, device_id)
            except Exception as exc:  # nothing half-done: the token claim rolled back with the enrolment
                return storage_failed(exc, device_id)
        if secret is None:
            failed.note(wire.ERR_INVALID_TOKEN, client=client, device_id=device_id)
            source_log("warning", "central.enroll_refused", client, device_id=device_id)
            return _error(401, wire.ERR_INVALID_TOKEN, "the token is unknown, already used, expired or for another "
                          "device; ask for a new one ('terminal central token')", server_time=now())
        secrets_cache.forget(device_id)
        log.info("central.enrolled", device_id=device_id)
        return _json(200, {"device_id": device_id, "secret": base64.b64encode(secret).decode(),
                           "server_time": now(), "last_seq": last_seq})

    # -- ingest ------------------------------------------------------------------
    def ingest_sync(client: str | None, device_id: str, nonce: str, raw: bytes, encoding: str | None) -> Response:
        started = time.perf_counter()
        try:
            batch = parse_batch(decode_body(raw, encoding), device_id)
        except BatchError as exc:
            return batch_refused(client, device_id, nonce, exc)
        try:
            results = storage.ingest(device_id, nonce, batch)
        except Replayed:
            return refused(client, AuthFailure(wire.ERR_REPLAYED, "this nonce was already used; sign the retry "
                                               "with a new nonce", device_id))
        except Exception as exc:  # the transaction rolled back: nothing of the batch is stored
            return storage_failed(exc, device_id)
        counts = {wire.ACCEPTED: 0, wire.DUPLICATE: 0, wire.REJECTED: 0}
        for r in results:
            counts[r["status"]] += 1
        log.info("central.ingest", device_id=device_id, accepted=counts[wire.ACCEPTED],
                 duplicate=counts[wire.DUPLICATE], rejected=counts[wire.REJECTED],
                 ms=round((time.perf_counter() - started) * 1000, 1))
        return _json(200, {"results": results, "server_time": now()})

    def batch_refused(client: str | None, device_id: str, nonce: str, exc: BatchError) -> Response:
        # Signed by the device, but anyone can resend a captured request: the nonce says whether this
        # is the device speaking (first use) before its status shows the error.
        try:
            storage.use_nonce(device_id, nonce)
        except Replayed:
            return refused(client, AuthFailure(wire.ERR_REPLAYED, "this nonce was already used; sign the retry "
                                               "with a new nonce", device_id))
        except Exception as nonce_exc:
            return storage_failed(nonce_exc, device_id)
        source_log("warning", "central.batch_refused", device_id, error=exc.code, detail=exc.detail)
        note_error(device_id, f"{exc.status} {exc.code}: {exc.detail}")
        return _error(exc.status, exc.code, exc.detail)

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
        client = _client(request)
        try:
            signed, raw = await authenticate(request, "POST", body_limit=wire.MAX_BODY_BYTES)
        except AuthFailure as exc:
            return refused(client, exc)
        except BadInput as exc:
            return _bad(exc)
        except ClientGone as exc:
            return gone(client, exc, "/v1/events")
        except _StorageFailed as exc:
            return storage_failed(exc.cause, None, reading=True)
        try:
            async with admission.slot():
                return await run_in_threadpool(ingest_sync, client, signed.device_id, signed.nonce, raw,
                                               request.headers.get("content-encoding"))
        except Overloaded as exc:
            return overloaded(exc)

    # -- reference data -------------------------------------------------------
    def reference_sync(client: str | None, device_id: str, nonce: str, dataset: str, cursor: str | None,
                       limit: int) -> Response:
        try:
            storage.use_nonce(device_id, nonce)
        except Replayed:
            return refused(client, AuthFailure(wire.ERR_REPLAYED, "this nonce was already used; sign the retry "
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
                        **_BAD_QUERY, **_DEVICE_ERRORS})
    async def reference(request: Request, dataset: str,
                        cursor: str | None = Query(None, max_length=100,
                                                   description="from the previous page; absent = full snapshot"),
                        limit: str | None = Query(None, description="items per page, 1-5000 (default 1000)")):
        client = _client(request)
        try:
            signed, _ = await authenticate(request, "GET")
            page_size = query_int("limit", limit, default=1000, minimum=1, maximum=5000)
        except AuthFailure as exc:
            return refused(client, exc)
        except BadInput as exc:
            return _bad(exc)
        except _StorageFailed as exc:
            return storage_failed(exc.cause, None, reading=True)
        try:
            async with admission.slot():
                return await run_in_threadpool(reference_sync, client, signed.device_id, signed.nonce, dataset,
                                               cursor, page_size)
        except Overloaded as exc:
            return overloaded(exc)

    # -- feed for downstream consumers -------------------------------------------
    async def consumer(request: Request) -> str | None:
        """The consumer's name for the request's token, or None.  Raises _StorageFailed."""
        token = bearer_token(request.headers)
        try:
            return None if token is None else await run_in_threadpool(storage.consumer_for, token)
        except Exception as exc:
            raise _StorageFailed(exc) from None

    @app.get("/v1/feed", summary="Every accepted event in commit order, after a cursor",
             openapi_extra=_CONSUMER,
             responses={200: {"model": models.FeedPage}, **_BAD_QUERY,
                        401: {"model": models.ErrorResponse, "description": "unauthorized"}})
    async def feed(request: Request,
                   after: str | None = Query(None, description="cursor of the last item already processed "
                                             "(0-9223372036854775807; default 0)"),
                   limit: str | None = Query(None, description="items per page, 1-10000 (default 1000)"),
                   device_id: str | None = Query(None, max_length=64, description="only this device's events")):
        try:
            if await consumer(request) is None:
                return unauthorized(_client(request), "/v1/feed")
            start = query_int("after", after, default=0)
            page_size = query_int("limit", limit, default=1000, minimum=1, maximum=10000)
            if device_id is not None and not is_device_id(device_id):
                raise bad_request(f"query parameter device_id: {device_id[:80]!r} is not a device id "
                                  f"({DEVICE_ID_RULE})")
            items, more = await run_in_threadpool(storage.feed, start, page_size, device_id)
        except BadInput as exc:
            return _bad(exc)
        except _StorageFailed as exc:
            return storage_failed(exc.cause, None, reading=True)
        except Exception as exc:
            return storage_failed(exc, None, reading=True)
        return _json(200, {"items": items, "cursor": items[-1]["cursor"] if items else str(start), "more": more})

    # -- status --------------------------------------------------------------------
    async def status_data(request: Request, *, basic: bool):
        """(terminals, None) for an allowed caller, else (None, the response to send)."""
        try:
            if not public_status and await consumer(request) is None:
                return None, unauthorized(_client(request), request.url.path, basic=basic)
            return await run_in_threadpool(storage.terminals), None
        except _StorageFailed as exc:
            return None, storage_failed(exc.cause, None, reading=True)
        except Exception as exc:
            return None, storage_failed(exc, None, reading=True)

    status_security = {} if public_status else _CONSUMER

    @app.get("/v1/status", summary="Terminals: last seen, backlog reported, clock offset, last error",
             response_model=models.StatusResponse, openapi_extra=status_security,
             responses={401: {"model": models.ErrorResponse, "description": "unauthorized (without --public-status)"}})
    async def status(request: Request):
        terminals, answer = await status_data(request, basic=False)
        if answer is not None:
            return answer
        return _json(200, {"server_time": now(), "engine": storage.name, "terminals": terminals,
                           "failed_auth": failed.summary()})

    @app.get("/status", summary="The terminals' status as an HTML page", response_class=HTMLResponse,
             openapi_extra=status_security)
    async def status_page(request: Request):
        terminals, answer = await status_data(request, basic=True)
        if answer is not None:
            return answer
        return HTMLResponse(render_status(terminals, now=now(), engine=storage.name, failed_auth=failed.summary()))

    @app.get("/healthz", summary="Liveness and the storage engine", response_model=models.HealthResponse)
    async def healthz():
        return _json(200, {"ok": True, "engine": storage.name, "server_time": now()})

    app.add_middleware(ServerTimeMiddleware, now=now)
    app.openapi = lambda: _openapi(app)
    return app


async def _verify(secret: bytes, method: str, path: str, body: bytes, signed) -> None:
    if len(body) <= INLINE_HASH_BYTES:
        verify(secret, method, path, body, signed)
    else:
        await run_in_threadpool(verify, secret, method, path, body, signed)


class _StorageFailed(Exception):
    """Central's own database failed while authenticating: a 503, never the client's fault."""

    def __init__(self, cause: Exception):
        super().__init__(repr(cause))
        self.cause = cause


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
