"""``GET /v1/records/{employee_no}?limit=N``: an employee's transactions on every terminal, to a signed terminal.

The kiosk's "my records" shows these beside its own: the employee may have used
another kiosk.  Any enrolled terminal may ask (the employee stands at whichever
kiosk is free); the index is :mod:`sync.central.records`.  Answers::

    200 {"employee_no", "records": [{"when": ISO 8601 UTC (central's clock), "kind": event type,
                                     "status", "device_id", "ref": serial | order id | badge id | null}]}
        newest first, at most ``limit`` (1-100, default 20); [] for an employee with none.
        Cache-Control: no-store
    400 bad_request   employee_no is not 1-32 of [A-Za-z0-9_-], or limit is not 1-100 in ASCII
                      digits (or given twice); the detail names the field
    429 rate_limited  more than records.FETCH_LIMIT lists to one terminal in an hour (Retry-After)
    401 / 503         as every signed route

The answer has no payloads: no name, phone, code or amount, only what the list shows.
"""

from __future__ import annotations

import functools

from fastapi import FastAPI, Query, Request
from fastapi.responses import Response

from sync.central import records
from sync.central.inputs import bad_request, query_int
from sync.central.orders import EMPLOYEE_NO_RE
from sync.central.routes.common import (BAD_QUERY, DEVICE_ERRORS, SIGNED, CentralState, SignedCall, error_response,
                                        json_response)
from sync.central.storage import Replayed
from terminal.logs import get_logger

log = get_logger(__name__)

NO_STORE = {"Cache-Control": "no-store"}


def mount(app: FastAPI) -> None:
    """Add ``GET /v1/records/{employee_no}`` to ``app``."""
    app.add_api_route("/v1/records/{employee_no}", employee_records, methods=["GET"],
                      summary="An employee's past terminal transactions, newest first (the kiosk's my records)",
                      openapi_extra=SIGNED,
                      responses={200: {"description": "{employee_no, records: [{when, kind, status, device_id, "
                                                      "ref}]}, newest first"},
                                 **BAD_QUERY,
                                 429: {"description": "rate_limited: too many record lists to this terminal"},
                                 **DEVICE_ERRORS})


async def employee_records(request: Request, employee_no: str,
                           limit: str | None = Query(None, description=f"records at most, 1-{records.MAX_LIMIT} "
                                                                       f"(default {records.DEFAULT_LIMIT})")
                           ) -> Response:
    """The records of ``employee_no`` (see the module docstring for every answer)."""
    central = CentralState.of(request)
    check = functools.partial(_check, employee_no, limit, len(request.query_params.getlist("limit")))
    return await central.signed(request, functools.partial(_records, central, employee_no), method="GET",
                                check=check)


def _check(employee_no: str, limit: str | None, given: int) -> int:
    """The limit; BadInput (400 naming the field) for a malformed employee number or limit."""
    if not EMPLOYEE_NO_RE.fullmatch(employee_no):
        raise bad_request(f"employee_no: {employee_no[:40]!r} is not an employee number "
                          f"(1-32 ASCII letters, digits, _ or -)")
    if given > 1:
        raise bad_request("query parameter limit: given more than once; give it once")
    return query_int("limit", limit, default=records.DEFAULT_LIMIT, minimum=1, maximum=records.MAX_LIMIT)


def _records(central: CentralState, employee_no: str, call: SignedCall) -> Response:
    """Use the nonce, count the fetch against the terminal's budget, answer the records; in a thread."""
    storage = central.storage
    try:
        storage.use_nonce(call.device_id, call.nonce)
    except Replayed:
        return central.replayed(call.client, call.device_id)
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    try:
        found = records.fetch_counted(storage, call.device_id, employee_no, call.checked, central.now())
    except Exception as exc:
        return central.storage_failed(exc, call.device_id, reading=True)
    if isinstance(found, int):
        log.warning("central.records_rate_limited", device_id=call.device_id)
        window_s, allowed = records.FETCH_LIMIT
        return error_response(429, "rate_limited", f"at most {allowed} record lists to one terminal per "
                              f"{window_s // 60} minutes; try again in {found} s", retry_after=found)
    log.info("central.records_served", device_id=call.device_id, employee_no=employee_no, count=len(found))
    return json_response(200, {"employee_no": employee_no, "records": found}, NO_STORE)
