"""One strict reader per kind of input central takes: body, JSON, query parameter, header.

Each refuses with :class:`BadInput` (HTTP status, error code, and a detail that
names the field); nothing a client sends may turn into a 500 or a 503.
Numbers are ASCII digits in the right shape: ``str.isdigit()`` and ``int()``
also take '²', '１２３', '١٢٣', ' 5', '+5' and '5_0', and a query parser that is
not strict lets them through.

    >>> query_int("after", "9223372036854775807", maximum=2**63 - 1)
    9223372036854775807
    >>> query_int("after", "9223372036854775808", maximum=2**63 - 1)
    Traceback (most recent call last):
    ...
    sync.central.inputs.BadInput: query parameter after: 9223372036854775808 is above the maximum 9223372036854775807
    >>> query_int("limit", "１２", maximum=10)
    Traceback (most recent call last):
    ...
    sync.central.inputs.BadInput: query parameter limit: '１２' is not a whole number in ASCII digits
"""

from __future__ import annotations

import asyncio
import json
import math
import re

from starlette.requests import ClientDisconnect

from sync import wire
from terminal import TerminalError

DIGITS = re.compile(r"[0-9]{1,20}")
INT64_MAX = 2 ** 63 - 1


class BadInput(TerminalError):
    """Refuse the request: HTTP ``status`` with JSON ``{"error": code, "detail": detail}``.

    ``retry_after`` (whole seconds) is sent as ``Retry-After`` when set (a 503).
    """

    def __init__(self, status: int, code: str, detail: str, retry_after: int | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.retry_after = status, code, detail, retry_after


class ClientGone(TerminalError):
    """The client hung up before its request arrived whole: nobody to answer (logged at info)."""


def bad_request(detail: str) -> BadInput:
    """A 400 ``bad_request`` with ``detail`` (returned, for the caller to raise)."""
    return BadInput(400, "bad_request", detail)


def query_int(name: str, text: str | None, *, default: int | None = None, minimum: int = 0,
              maximum: int = INT64_MAX) -> int:
    """Query parameter ``name`` (its ``text``, None when absent) as a whole number in ``minimum..maximum``.

    ASCII digits only; ``default`` when absent.  Raises BadInput (400 ``bad_request`` naming
    ``name``) when it is absent without a default, malformed or out of range.
    """
    if text is None:
        if default is None:
            raise bad_request(f"query parameter {name} is required")
        return default
    if DIGITS.fullmatch(text) is None:
        raise bad_request(f"query parameter {name}: {text[:40]!r} is not a whole number in ASCII digits")
    value = int(text)
    if value > maximum:
        raise bad_request(f"query parameter {name}: {text} is above the maximum {maximum}")
    if value < minimum:
        raise bad_request(f"query parameter {name}: {text} is below the minimum {minimum}")
    return value


def content_length(headers, limit: int) -> int | None:
    """The declared body size (None: chunked), refused with 413 above ``limit`` before a byte is read."""
    declared = headers.get("content-length")
    if declared is None:
        return None
    if DIGITS.fullmatch(declared) is None:   # h11 checks this too; a second server might not
        raise bad_request("Content-Length must be a whole number in ASCII digits")
    if int(declared) > limit:
        raise BadInput(413, wire.ERR_TOO_LARGE, f"body of {declared} bytes is above the limit of {limit}")
    return int(declared)


class BodyBudget:
    """Bytes of request bodies held in memory at once, over every connection (actual bytes, not declared:
    a client that declares 8 MB and sends one byte holds one byte)."""

    def __init__(self, max_bytes: int):
        self.max_bytes, self.used = max_bytes, 0

    def take(self, n: int) -> None:
        """Hold ``n`` more bytes; BadInput 503 ``overloaded`` (Retry-After 5 s) when that exceeds the budget."""
        if self.used + n > self.max_bytes:
            raise BadInput(503, wire.ERR_OVERLOADED, "central is receiving too many uploads at once; retry later",
                           retry_after=5)
        self.used += n

    def give(self, n: int) -> None:
        """Release ``n`` bytes taken before."""
        self.used -= n


async def read_body(request, limit: int, timeout_s: float, budget: BodyBudget | None = None) -> bytes:
    """The whole body, at most ``limit`` bytes and within ``timeout_s``: a stalled upload ends with 408.

    Raises BadInput (413, 408, 503 when ``budget`` is spent) or ClientGone.
    """
    content_length(request.headers, limit)
    chunks, size = [], 0

    async def read() -> None:
        nonlocal size
        async for chunk in request.stream():
            if size + len(chunk) > limit:
                raise BadInput(413, wire.ERR_TOO_LARGE, f"body is above the limit of {limit} bytes")
            if budget is not None:
                budget.take(len(chunk))
            size += len(chunk)
            chunks.append(chunk)

    try:
        await asyncio.wait_for(read(), timeout_s)
    except asyncio.TimeoutError:
        raise BadInput(408, "body_timeout", f"the request body did not arrive within {timeout_s:g} s "
                       f"({size} bytes came); retry") from None
    except ClientDisconnect:
        raise ClientGone(f"client hung up after {size} bytes of its body") from None
    finally:
        if budget is not None:
            budget.give(size)
    return b"".join(chunks)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def json_document(data: bytes, what: str = "body"):
    """Parsed JSON (NaN/Infinity literals refused, any depth central can answer), else 400 malformed_json."""
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise BadInput(400, wire.ERR_MALFORMED_JSON, f"{what} is not valid JSON: {reason}") from None


def non_finite_path(value, where: str = "payload") -> str | None:
    """Where a number beyond a float (1e999 parses as inf) sits in a JSON value, or None.

    Iterative, so a deeply nested value cannot exhaust the stack::

        >>> non_finite_path({"n": 1, "x": [0, 1e999]})
        'payload.x[1]'
    """
    stack = [(value, where)]
    while stack:
        v, at = stack.pop()
        if type(v) is float and not math.isfinite(v):
            return at
        if type(v) is dict:
            stack.extend((item, f"{at}.{k}") for k, item in v.items())
        elif type(v) is list:
            stack.extend((item, f"{at}[{i}]") for i, item in enumerate(v))
    return None
