"""``GET /v1/status`` and ``GET /status`` (a consumer token unless ``public_status``), and ``GET /healthz``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.central import models
from sync.central.admission import StorageFailed
from sync.central.routes.common import CONSUMER, CentralState, client_host, json_response
from sync.central.status_page import render_status
from terminal.logs import get_logger

log = get_logger(__name__)


def mount(app: FastAPI, *, public_status: bool) -> None:
    """Add the status routes to ``app``; with ``public_status`` the OpenAPI document shows them without security."""
    security = {} if public_status else CONSUMER
    app.add_api_route("/v1/status", status, methods=["GET"],
                      summary="Terminals: last seen, backlog reported, clock offset, last error",
                      response_model=models.StatusResponse, openapi_extra=security,
                      responses={401: {"model": models.ErrorResponse,
                                       "description": "unauthorized (without --public-status)"}})
    app.add_api_route("/status", status_page, methods=["GET"], summary="The terminals' status as an HTML page",
                      response_class=HTMLResponse, openapi_extra=security)
    app.add_api_route("/healthz", healthz, methods=["GET"], summary="Liveness and the storage engine",
                      response_model=models.HealthResponse)


async def status(request: Request) -> Response:
    """200 `{"server_time", "engine", "terminals", "failed_auth"}`; 401 `unauthorized`; 503 `storage_error`."""
    central = CentralState.of(request)
    terminals, answer = await _terminals(central, request, basic=False)
    if answer is not None:
        return answer
    return json_response(200, {"server_time": central.now(), "engine": central.storage.name, "terminals": terminals,
                               "failed_auth": central.failed.summary()})


async def status_page(request: Request) -> Response:
    """The terminals' status as an HTML page; 401 asks a browser for HTTP Basic (the token as password)."""
    central = CentralState.of(request)
    terminals, answer = await _terminals(central, request, basic=True)
    if answer is not None:
        return answer
    try:
        from sync.central.measures import service_measures
        measures = await run_in_threadpool(service_measures, central.storage, now=central.now())
    except Exception as exc:  # the terminals' rows matter more than the charts: show them anyway
        log.error("central.measures_failed", error=type(exc).__name__)
        measures = None
    return HTMLResponse(render_status(terminals, now=central.now(), engine=central.storage.name,
                                      failed_auth=central.failed.summary(), measures=measures))


async def healthz(request: Request) -> Response:
    """200 `{"ok": true, "engine", "server_time"}` while central runs (storage is not queried)."""
    central = CentralState.of(request)
    return json_response(200, {"ok": True, "engine": central.storage.name, "server_time": central.now()})


def _with_selftests(storage) -> list[dict]:
    """:meth:`Storage.terminals`, each with ``selftest``: its latest selftest.result summary or None."""
    from sync.central.selftests import latest_selftests

    terminals, selftests = storage.terminals(), latest_selftests(storage)
    for t in terminals:
        t["selftest"] = selftests.get(t["device_id"])
    return terminals


async def _terminals(central: CentralState, request: Request, *, basic: bool):
    """(terminals, None) for an allowed caller, else (None, the response to send)."""
    try:
        if not central.public_status and await central.consumer(request) is None:
            return None, central.unauthorized(client_host(request), request.url.path, basic=basic)
        return await run_in_threadpool(_with_selftests, central.storage), None
    except StorageFailed as exc:
        return None, central.storage_failed(exc.cause, None, reading=True)
    except Exception as exc:
        return None, central.storage_failed(exc, None, reading=True)
