"""Badge orders for a signed kiosk: make one, follow it, cancel it; and what an employee may order.

The kiosk never holds merchant keys: central makes the order with the
(simulated) provider and hands the kiosk the WeChat Pay ``code_url`` to show as
a QR; the kiosk polls until the order is paid, cancelled or expired.  The
state machine and the provider live in :mod:`sync.central.orders`.  Answers::

    POST /v1/orders                {"request_id", "employee_no", "reason": first | lost | damaged}
        200 an order: {order_id, request_id, employee_no, reason, amount_cents, currency,
                       status (created | paid | cancelled | expired | fulfilled | refunded),
                       code_url (while created), badge_id, replaces, access_code, expires_at, server_time}
            the same request_id again answers the same order (a retry after a lost answer)
        200 {"status": "refused", "refusal": code, "detail"}: no order (who may, how often; see
            sync.central.orders.Refusal) -- a business answer, not a failure of the call
        400 bad_request   not JSON, or a malformed request_id / employee_no / reason
    GET  /v1/orders/{order_id}         200 the order; 404 no_order (unknown, or another terminal's)
    POST /v1/orders/{order_id}/cancel  200 the order after: cancelled, or paid when the payer was quicker
    GET  /v1/badges/{employee_no}      200 {employee_no, current, may: {reason: bool}, fees_cents, currency,
                                             refusals}

Every answer is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import functools
import json

from fastapi import FastAPI, Request
from fastapi.responses import Response

from sync.central import orders
from sync.central.routes.common import DEVICE_ERRORS, SIGNED, CentralState, SignedCall, error_response, json_response
from sync.central.storage import Replayed
from terminal import TerminalError
from terminal.logs import get_logger

log = get_logger(__name__)

BODY_LIMIT = 4096
NO_STORE = {"Cache-Control": "no-store"}
_ORDER = {200: {"description": "the order (see the module docstring), or {status: refused, refusal, detail}"},
          **DEVICE_ERRORS}


def mount(app: FastAPI) -> None:
    """Add the order and badge routes to ``app``."""
    app.add_api_route("/v1/orders", create, methods=["POST"], summary="Make a badge order (idempotent on request_id)",
                      openapi_extra={**SIGNED, "requestBody": {"required": True, "content": {"application/json": {
                          "schema": {"type": "object", "required": ["request_id", "employee_no", "reason"],
                                     "properties": {"request_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
                                                    "employee_no": {"type": "string"},
                                                    "reason": {"enum": list(orders.REASONS)}}}}}}},
                      responses={**_ORDER, 400: {"description": "bad_request"}})
    app.add_api_route("/v1/orders/{order_id}", read, methods=["GET"], summary="A badge order's state",
                      openapi_extra=SIGNED, responses={**_ORDER, 404: {"description": "no_order"}})
    app.add_api_route("/v1/orders/{order_id}/cancel", cancel, methods=["POST"],
                      summary="Cancel an unpaid badge order (paid ones are refunded through events)",
                      openapi_extra=SIGNED, responses={**_ORDER, 404: {"description": "no_order"}})
    app.add_api_route("/v1/badges/{employee_no}", standing, methods=["GET"],
                      summary="Which badge orders an employee may make now, and their fees",
                      openapi_extra=SIGNED, responses={200: {"description": "{employee_no, current, may, "
                                                                             "fees_cents, currency, refusals}"},
                                                       400: {"description": "bad_request"}, **DEVICE_ERRORS})


async def create(request: Request) -> Response:
    """Make a badge order, or answer the one this request_id made before."""
    central = CentralState.of(request)
    return await central.signed(request, functools.partial(_create, central), method="POST", body_limit=BODY_LIMIT)


async def read(request: Request, order_id: str) -> Response:
    """The order ``order_id`` of the asking terminal."""
    central = CentralState.of(request)
    return await central.signed(request, functools.partial(_read, central, order_id), method="GET")


async def cancel(request: Request, order_id: str) -> Response:
    """Cancel ``order_id`` when still unpaid; answer the order after."""
    central = CentralState.of(request)
    return await central.signed(request, functools.partial(_cancel, central, order_id), method="POST")


async def standing(request: Request, employee_no: str) -> Response:
    """What ``employee_no`` may order now."""
    central = CentralState.of(request)
    return await central.signed(request, functools.partial(_standing, central, employee_no), method="GET")


def _nonce(central: CentralState, call: SignedCall) -> Response | None:
    try:
        central.storage.use_nonce(call.device_id, call.nonce)
    except Replayed:
        return central.replayed(call.client, call.device_id)
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    return None


def _create(central: CentralState, call: SignedCall) -> Response:
    try:
        body = json.loads(call.body)
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        fields = (body.get("request_id"), body.get("employee_no"), body.get("reason"))
    except (UnicodeDecodeError, ValueError) as exc:
        return error_response(400, "bad_request", f"body: {exc}; send {{request_id, employee_no, reason}}")
    refused = _nonce(central, call)
    if refused is not None:
        return refused
    try:
        made = orders.create_order(central.storage, call.device_id, *fields)
    except ValueError as exc:
        return error_response(400, "bad_request", str(exc))
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    if isinstance(made, orders.Refusal):
        log.info("central.badge_order_refused", device_id=call.device_id, refusal=made.code)
        return json_response(200, {"status": "refused", "refusal": made.code, "detail": made.detail}, NO_STORE)
    return json_response(200, orders.as_answer(made, central.now()), NO_STORE)


def _read(central: CentralState, order_id: str, call: SignedCall) -> Response:
    refused = _nonce(central, call)
    if refused is not None:
        return refused
    if not orders.ORDER_ID_RE.fullmatch(order_id):
        return error_response(404, "no_order", "not an order id (ORD- and 12 letters or digits)")
    try:
        order = orders.get_order(central.storage, order_id, device_id=call.device_id)
    except Exception as exc:
        return central.storage_failed(exc, call.device_id, reading=True)
    if order is None:
        return error_response(404, "no_order", f"this terminal made no order {order_id}")
    return json_response(200, orders.as_answer(order, central.now()), NO_STORE)


def _cancel(central: CentralState, order_id: str, call: SignedCall) -> Response:
    refused = _nonce(central, call)
    if refused is not None:
        return refused
    try:
        order = orders.cancel(central.storage, order_id, device_id=call.device_id)
    except orders.OrderError as exc:
        return error_response(404, exc.code, str(exc))
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    return json_response(200, orders.as_answer(order, central.now()), NO_STORE)


def _standing(central: CentralState, employee_no: str, call: SignedCall) -> Response:
    if not orders.EMPLOYEE_NO_RE.fullmatch(employee_no):
        return error_response(400, "bad_request", "give an employee number (1-32 of [A-Za-z0-9_-])")
    refused = _nonce(central, call)
    if refused is not None:
        return refused
    try:
        answer = orders.standing(central.storage, employee_no)
    except Exception as exc:
        return central.storage_failed(exc, call.device_id, reading=True)
    return json_response(200, answer, NO_STORE)


# -- terminal central pay ----------------------------------------------------------------------------

def _pay_cli(args) -> int:
    """Pay (or cancel) ``ORDER``; 0, or OrderError (exit code 2) naming why nothing was charged."""
    from sync.central.storage import open_storage

    if not args.db:
        raise TerminalError("no database: pass --db PATH|postgresql://... or set $TERMINAL_CENTRAL_DB", exit_code=2)
    order_id = args.order_id.strip().upper()
    if not orders.ORDER_ID_RE.fullmatch(order_id):
        raise TerminalError(f"{args.order_id[:40]!r} is not an order id: ORD- and 12 letters or digits, "
                            f"e.g. ORD-7KQ2M4XP9ABC", exit_code=2)
    storage = open_storage(args.db)
    try:
        if args.cancel:
            order = orders.cancel(storage, order_id, reason="payer_cancelled")
            if order["status"] != "cancelled":
                raise orders.OrderError("not_cancellable", f"order {order_id} is {order['status']}; "
                                                           f"nothing changed")
        else:
            order = orders.pay(storage, order_id)
    finally:
        storage.close()
    amount = f"{order['amount_cents'] / 100:.2f} {order['currency']}"
    print(f"{order_id}: {order['status']} ({amount})")
    return 0
