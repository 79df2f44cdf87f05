"""``GET /v1/feed``: every accepted event in commit order after a cursor, for a consumer's bearer token."""

from __future__ import annotations

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync.central import models
from sync.central.admission import StorageFailed
from sync.central.auth import DEVICE_ID_RULE, is_device_id
from sync.central.inputs import BadInput, bad_request, query_int
from sync.central.routes.common import (BAD_QUERY, CONSUMER, CentralState, bad_input_response, client_host,
                                        json_response)



def mount(app: FastAPI) -> None:
    """Add ``GET /v1/feed`` to ``app``."""
    app.add_api_route("/v1/feed", feed, methods=["GET"], summary="Every accepted event in commit order, after a cursor",
                      openapi_extra=CONSUMER,
                      responses={200: {"model": models.FeedPage}, **BAD_QUERY,
                                 401: {"model": models.ErrorResponse, "description": "unauthorized"}})


async def feed(request: Request,
               after: str | None = Query(None, description="cursor of the last item already processed "
                                         "(0-9223372036854775807; default 0)"),
               limit: str | None = Query(None, description="items per page, 1-10000 (default 1000)"),
               device_id: str | None = Query(None, max_length=64, description="only this device's events")
               ) -> Response:
    """200 `{"items", "cursor", "more"}`: at most `limit` events after cursor `after`.

    401 `unauthorized` without a consumer token; 400 `bad_request` naming a malformed
    parameter; 503 `storage_error`.
    """
    central = CentralState.of(request)
    try:
        if await central.consumer(request) is None:
            return central.unauthorized(client_host(request), "/v1/feed")
        start = query_int("after", after, default=0)
        page_size = query_int("limit", limit, default=1000, minimum=1, maximum=10000)
        if device_id is not None and not is_device_id(device_id):
            raise bad_request(f"query parameter device_id: {device_id[:80]!r} is not a device id "
                              f"({DEVICE_ID_RULE})")
        items, more = await run_in_threadpool(central.storage.feed, start, page_size, device_id)
    except BadInput as exc:
        return bad_input_response(exc)
    except StorageFailed as exc:
        return central.storage_failed(exc.cause, None, reading=True)
    except Exception as exc:
        return central.storage_failed(exc, None, reading=True)
    return json_response(200, {"items": items, "cursor": items[-1]["cursor"] if items else str(start),
                               "more": more})
