"""What every route shares: :class:`CentralState` (storage, limits, counters) and its one signed-request helper.

A signed device route hands :meth:`CentralState.signed` the request and the
work to do; the helper checks the headers (shape, replay window, enrolled
device, Content-Length), reads the body outside any working slot, verifies
the signature, and only then runs the work in a thread inside a working
slot.  Every refusal on the way is answered here, in one shape::

    {"error": code, "detail": "...", ...}     (401s also carry "server_time")

    >>> error_response(404, "unknown_dataset", "no dataset 'x'").body
    b'{"error": "unknown_dataset", "detail": "no dataset \\'x\\'"}'
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from sync import wire
from sync.central import models
from sync.central.admission import SECRET_RECHECK_S, Admission, Overloaded, SecretCache, StorageFailed
from sync.central.auth import AuthFailure, DeviceHeaders, bearer_token, not_enrolled, read_device_headers, verify
from sync.central.inputs import BadInput, BodyBudget, ClientGone, content_length, read_body
from sync.central.signals import FailedAuthCounter, SourceLog
from sync.central.storage import Storage
from terminal.logs import get_logger

log = get_logger(__name__)

ERROR_NOTE_EVERY_S = 5.0
STORAGE_RETRY_S = 5
INLINE_HASH_BYTES = 64 * 1024  # smaller bodies are verified on the event loop, larger ones in a thread

# OpenAPI fragments the route modules share.
DEVICE_ERRORS = {401: {"model": models.ErrorResponse, "description": "not authenticated (see error)"},
                 503: {"model": models.ErrorResponse, "description": "overloaded; honour Retry-After"}}
SIGNED = {"security": [{"deviceSignature": [], "deviceId": [], "timestamp": [], "nonce": []}]}
CONSUMER = {"security": [{"consumerToken": []}]}
BAD_QUERY = {400: {"model": models.ErrorResponse, "description": "bad_request: a query parameter is malformed "
                   "or out of range (the detail names it)"}}


def json_response(status: int, body: dict, headers: dict | None = None) -> Response:
    """``body`` as an ``application/json`` response with HTTP ``status``."""
    return Response(json.dumps(body).encode(), status_code=status, media_type="application/json",
                    headers=headers)


def error_response(status: int, code: str, detail: str, *, headers: dict | None = None, **extra) -> Response:
    """``{"error": code, "detail": detail, **extra}`` with HTTP ``status``.

    ``retry_after`` (whole seconds) in ``extra`` also becomes the ``Retry-After`` header.
    """
    headers = dict(headers or {})
    if "retry_after" in extra:
        headers["Retry-After"] = str(extra["retry_after"])
    return json_response(status, {"error": code, "detail": detail, **extra}, headers or None)


def bad_input_response(exc: BadInput) -> Response:
    """The answer to a :class:`~sync.central.inputs.BadInput` (its status, code and detail; Retry-After if set)."""
    if exc.retry_after is not None:
        return error_response(exc.status, exc.code, exc.detail, retry_after=exc.retry_after)
    return error_response(exc.status, exc.code, exc.detail)


def client_host(request: Request) -> str | None:
    """The peer's address (a source for the failed-auth counts and the log), or None when unknown."""
    return request.client.host if request.client else None


def signed_path(request: Request) -> str:
    """The path and query exactly as the device sent (and signed) them."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    query = request.scope.get("query_string", b"")
    return raw.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


@dataclass(frozen=True)
class SignedCall:
    """A device request whose signature matched, as the route's work sees it (in a worker thread).

    ``body`` is the bytes as sent (still gzipped if they were); ``checked`` is what the
    route's ``check`` returned (its parsed query parameters), or None.
    """

    client: str | None
    device_id: str
    nonce: str
    body: bytes
    checked: Any = None


class CentralState:
    """Everything the routes of one app share: storage, clock, working slots, body budget and counters.

    ``now`` gives wall-clock unix seconds (``server_time``); ``body_timeout_s`` is how long a
    whole request body may take to arrive; ``public_status`` serves the status pages
    without a consumer token.
    """

    def __init__(self, storage: Storage, *, now: Callable[[], float], admission: Admission,
                 budget: BodyBudget, body_timeout_s: float, public_status: bool):
        self.storage, self.now, self.admission, self.budget = storage, now, admission, budget
        self.body_timeout_s, self.public_status = body_timeout_s, public_status
        self.secrets = SecretCache(None if storage is None else storage.device_secret)
        self.failed = FailedAuthCounter(now=now)
        self.source_log = SourceLog(log)
        self._noted: dict[str, float] = {}
        self._noted_lock = threading.Lock()

    @staticmethod
    def of(request: Request) -> CentralState:
        """The state of the app that ``request`` came to (``app.state.central``)."""
        return request.app.state.central

    # -- answers ---------------------------------------------------------------------------------
    def note_error(self, device_id: str, error: str) -> None:
        """Show ``error`` as the device's last error (at most once per ERROR_NOTE_EVERY_S; never raises).

        Only for authenticated requests, and rate-limited: a flood of them cannot become a flood of writes.
        """
        t = self.now()
        with self._noted_lock:
            if t - self._noted.get(device_id, 0.0) < ERROR_NOTE_EVERY_S:
                return
            self._noted[device_id] = t
        with contextlib.suppress(Exception):
            self.storage.note_error(device_id, error)

    def refused(self, client: str | None, exc: AuthFailure) -> Response:
        """401 ``{"error": exc.code, "detail", "server_time"}``; counted and logged apart from any device."""
        # Nothing about the named device changes: the request proved nothing.
        self.failed.note(exc.code, client=client, device_id=exc.device_id)
        self.source_log("warning", "central.auth_refused", client, device_id=exc.device_id, error=exc.code,
                        detail=exc.detail)
        return error_response(401, exc.code, exc.detail, server_time=self.now())

    def replayed(self, client: str | None, device_id: str) -> Response:
        """401 ``replayed``: the request's nonce was already used."""
        return self.refused(client, AuthFailure(wire.ERR_REPLAYED, "this nonce was already used; sign the retry "
                                                "with a new nonce", device_id))

    def unauthorized(self, client: str | None, what: str, *, basic: bool = False) -> Response:
        """401 ``unauthorized`` for endpoint ``what`` without a valid consumer token.

        ``basic`` asks a browser for HTTP Basic credentials (the status page), else Bearer.
        """
        self.failed.note("unauthorized", client=client)
        self.source_log("warning", "central.token_refused", client, endpoint=what)
        challenge = 'Basic realm="central status", charset="UTF-8"' if basic else "Bearer"
        return error_response(401, "unauthorized", f"{what} needs 'Authorization: Bearer <token>' with a token "
                              f"from 'terminal central consumer-token'", headers={"WWW-Authenticate": challenge})

    def gone(self, client: str | None, exc: ClientGone, path: str) -> Response:
        """A 400 ``client_gone`` that nobody reads (the client hung up); logged at info."""
        self.source_log("info", "central.client_gone", client, path=path, detail=str(exc))
        return error_response(400, "client_gone", str(exc))

    def storage_failed(self, exc: Exception, device_id: str | None, *, reading: bool = False) -> Response:
        """503 ``storage_error`` with ``Retry-After`` (STORAGE_RETRY_S); the exception is logged."""
        log.exception("central.storage_error", device_id=device_id, error=repr(exc))
        what = ("central could not read its database" if reading
                else "central could not store this request (nothing was stored)")
        return error_response(503, "storage_error", f"{what}; retry after {STORAGE_RETRY_S} s",
                              retry_after=STORAGE_RETRY_S)

    @staticmethod
    def overloaded(exc: Overloaded) -> Response:
        """503 ``overloaded`` with ``Retry-After: exc.retry_after``."""
        return error_response(503, wire.ERR_OVERLOADED, f"central is busy; retry after {exc.retry_after} s",
                              retry_after=exc.retry_after)

    # -- who is asking ---------------------------------------------------------------------------
    async def consumer(self, request: Request) -> str | None:
        """The consumer's name for the request's bearer token, or None; raises :class:`StorageFailed`."""
        token = bearer_token(request.headers)
        try:
            return None if token is None else await run_in_threadpool(self.storage.consumer_for, token)
        except Exception as exc:
            raise StorageFailed(exc) from None

    async def authenticate(self, request: Request, method: str, *,
                           body_limit: int = 0) -> tuple[DeviceHeaders, bytes]:
        """(headers, body) of a device request whose signature matches; ``body_limit`` 0: no body read.

        Everything the headers tell is checked before a byte of the body is read.  Raises
        AuthFailure, BadInput (413, 408, 503), ClientGone or StorageFailed.
        """
        signed = read_device_headers(request.headers, now=self.now())
        if body_limit:
            content_length(request.headers, body_limit)
        secret, age = await self.secrets.get(signed.device_id)
        if secret is None:
            raise not_enrolled(signed.device_id)
        body = await read_body(request, body_limit, self.body_timeout_s, self.budget) if body_limit else b""
        path = signed_path(request)
        try:
            await _verify(secret, method, path, body, signed)
        except AuthFailure:
            if age < SECRET_RECHECK_S:
                raise
            secret, _ = await self.secrets.get(signed.device_id, max_age_s=0)   # re-enrolled meanwhile?
            if secret is None:
                raise not_enrolled(signed.device_id) from None
            await _verify(secret, method, path, body, signed)
        return signed, body

    async def signed(self, request: Request, work: Callable[[SignedCall], Response], *, method: str,
                     body_limit: int = 0, check: Callable[[], Any] | None = None) -> Response:
        """The one way a signed device route runs: authenticate, then ``work`` in a thread inside a slot.

        ``check()`` runs after authentication and before a slot is taken (parse the query there:
        it may raise BadInput); its result is ``SignedCall.checked``.  ``body_limit`` (bytes)
        is the largest body read, 0 for none.  Returns ``work``'s response, or the refusal:
        401 (authentication), 400/408/413/503 (BadInput), 503 (overloaded or storage).
        """
        client = client_host(request)
        try:
            headers, body = await self.authenticate(request, method, body_limit=body_limit)
            checked = None if check is None else check()
        except AuthFailure as exc:
            return self.refused(client, exc)
        except BadInput as exc:
            return bad_input_response(exc)
        except ClientGone as exc:
            return self.gone(client, exc, request.url.path)
        except StorageFailed as exc:
            return self.storage_failed(exc.cause, None, reading=True)
        call = SignedCall(client, headers.device_id, headers.nonce, body, checked)
        try:
            async with self.admission.slot():
                return await run_in_threadpool(work, call)
        except Overloaded as exc:
            return self.overloaded(exc)


async def _verify(secret: bytes, method: str, path: str, body: bytes, signed: DeviceHeaders) -> None:
    if len(body) <= INLINE_HASH_BYTES:
        verify(secret, method, path, body, signed)
    else:
        await run_in_threadpool(verify, secret, method, path, body, signed)
