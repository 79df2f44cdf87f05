"""``GET /v1/reference/{dataset}``: signed; a full snapshot, or the changes since a cursor; 410 to resync."""

from __future__ import annotations

import functools

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from sync import wire
from sync.central import models
from sync.central.inputs import query_int
from sync.central.routes.common import (BAD_QUERY, DEVICE_ERRORS, SIGNED, CentralState, SignedCall, error_response,
                                        json_response)
from sync.central.storage import Replayed, Resync, UnknownDataset
from terminal.logs import get_logger

log = get_logger(__name__)


def mount(app: FastAPI) -> None:
    """Add ``GET /v1/reference/{dataset}`` to ``app``."""
    app.add_api_route("/v1/reference/{dataset}", reference, methods=["GET"],
                      summary="Pull a reference dataset: full snapshot or changes since a cursor",
                      openapi_extra=SIGNED,
                      responses={200: {"model": models.ReferencePage},
                                 404: {"model": models.ErrorResponse, "description": "unknown_dataset"},
                                 410: {"model": models.ErrorResponse,
                                       "description": "resync: drop the cursor and pull a full snapshot"},
                                 **BAD_QUERY, **DEVICE_ERRORS})


async def reference(request: Request, dataset: str,
                    cursor: str | None = Query(None, max_length=100,
                                               description="from the previous page; absent = full snapshot"),
                    limit: str | None = Query(None, description="items per page, 1-5000 (default 1000)")) -> Response:
    """200 `{"dataset", "items", "deleted", "cursor", "more", "full"}` (`limit` items at most), or a refusal."""
    central = CentralState.of(request)
    work = functools.partial(page, central, dataset, cursor)
    return await central.signed(request, work, method="GET",
                                check=lambda: query_int("limit", limit, default=1000, minimum=1, maximum=5000))


def page(central: CentralState, dataset: str, cursor: str | None, call: SignedCall) -> Response:
    """One page of ``dataset`` after ``cursor`` (None: a snapshot), ``call.checked`` items at most; in a thread.

    The nonce is used up first (401 ``replayed`` when it was not new).  Returns 200 with the
    page, 404 ``unknown_dataset``, 410 ``resync``, or 503 ``storage_error``.
    """
    try:
        central.storage.use_nonce(call.device_id, call.nonce)
    except Replayed:
        return central.replayed(call.client, call.device_id)
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    try:
        body = central.storage.reference_page(dataset, cursor, call.checked)
    except UnknownDataset:
        return error_response(404, "unknown_dataset", f"no dataset {dataset!r}; central serves "
                              f"{', '.join(wire.DATASETS)}")
    except Resync as exc:
        log.info("central.resync", device_id=call.device_id, dataset=dataset, reason=str(exc))
        return error_response(410, wire.ERR_RESYNC, str(exc))
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    return json_response(200, body)
