"""The reference central's HTTP API (FastAPI), over one :class:`~sync.central.storage.Storage`.

Endpoints (the committed ``sync/central/openapi.json`` has every shape):

- ``POST /v1/enroll`` -- one-time token -> device secret;
- ``POST /v1/events`` -- signed, optionally gzipped batch; per-event results;
- ``GET /v1/reference/{dataset}`` -- signed; snapshot or changes since a cursor; 410 to resync;
- ``GET /v1/feed`` -- consumer bearer token; every event in commit order after a cursor;
- ``POST /v1/sms``, ``GET /v1/sms/health`` -- signed; central sends a terminal's SMS once per key
  (routes/sms.py; a simulated gateway appends to ``sms_outbox``);
- ``GET /v1/photo/{employee_no}`` -- signed; the HR photo for the kiosk's face check (routes/photo.py);
- ``GET /v1/records/{employee_no}?limit=N`` -- signed; an employee's transactions on every terminal, newest
  first (routes/records.py);
- ``GET /v1/certdata/{employee_no}?kind=K`` -- signed; a certificate's data at request time (routes/certdata.py);
- ``POST /v1/orders``, ``GET /v1/orders/{id}``, ``POST /v1/orders/{id}/cancel``, ``GET /v1/badges/{employee_no}`` --
  signed; badge orders paid through the (simulated) provider (routes/orders.py);
- ``GET /verify/{code}``, ``GET /verify/keys.json`` -- public, rate-limited: the page a certificate's QR opens
  (routes/verify.py);
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
    >>> sorted(route.path for route in app.routes if route.path.startswith("/v1"))  # doctest: +NORMALIZE_WHITESPACE
    ['/v1/badges/{employee_no}', '/v1/certdata/{employee_no}', '/v1/enroll', '/v1/events', '/v1/feed',
     '/v1/orders', '/v1/orders/{order_id}', '/v1/orders/{order_id}/cancel', '/v1/photo/{employee_no}',
     '/v1/records/{employee_no}', '/v1/reference/{dataset}', '/v1/sms', '/v1/sms/health', '/v1/status']
    >>> app.state.storage.close()
"""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync import wire
from sync.central import models
from sync.central.admission import Admission
from sync.central.inputs import BodyBudget
from sync.central.routes import certdata, enroll, events, feed, orders, photo, records, reference, sms, status, verify
from sync.central.routes.common import CentralState, error_response
from sync.central.storage import Storage
from terminal import __version__

BODY_TIMEOUT_S = 60.0  # a whole upload (at most 8 MB) must arrive within this
BODY_BUDGET_BYTES = 256 * 1024 * 1024   # bodies held in memory at once, over all connections

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


def create_app(storage: Storage | None, *, now: Callable[[], float] = time.time, max_active: int = 4,
               max_waiting: int = 32, body_timeout_s: float = BODY_TIMEOUT_S,
               body_budget_bytes: int = BODY_BUDGET_BYTES, public_status: bool = False,
               sms_outbox: str | None = None) -> FastAPI:
    """The API over ``storage`` (None: only to print the OpenAPI document).

    ``now``: wall-clock unix seconds; ``max_active`` >= 1 device calls at work and ``max_waiting``
    >= 0 queued (beyond: 503); ``body_timeout_s``: seconds a whole body may take to arrive;
    ``body_budget_bytes``: bytes of bodies held at once over every connection;
    ``public_status``: the status pages need no consumer token; ``sms_outbox``: the file the
    simulated SMS gateway appends to (None: ``POST /v1/sms`` answers 503 no_gateway).  Raises nothing itself:
    every problem of a request becomes its JSON answer.
    """
    app = FastAPI(title="service-terminals central", version=__version__, description=DESCRIPTION,
                  docs_url="/docs", redoc_url=None)
    central = CentralState(storage, now=now, admission=Admission(max_active, max_waiting),
                           budget=BodyBudget(body_budget_bytes), body_timeout_s=body_timeout_s,
                           public_status=public_status)
    app.state.central = central
    app.state.storage, app.state.admission = storage, central.admission
    app.state.body_budget, app.state.failed_auth = central.budget, central.failed
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    for routes in (enroll, events, reference, feed):
        routes.mount(app)
    sms.mount(app, sms.FileGateway(sms_outbox) if sms_outbox else None)
    photo.mount(app)
    certdata.mount(app)   # GET /v1/certdata/{employee_no}: a certificate's data at request time
    verify.mount(app)     # GET /verify/{code}: the public page a certificate's QR opens
    orders.mount(app)     # POST /v1/orders ...: badge orders and the simulated payment provider
    records.mount(app)    # GET /v1/records/{employee_no}: an employee's transactions (the kiosk's my records)
    status.mount(app, public_status=public_status)
    app.add_middleware(ServerTimeMiddleware, now=now)
    app.openapi = lambda: _openapi(app)
    return app


# -- errors the framework raises, in the same shape as ours --------------------------------------
async def _http_error(request, exc: StarletteHTTPException):
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail))


async def _validation_error(request, exc: RequestValidationError):
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return error_response(400, "bad_request", problems)


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
