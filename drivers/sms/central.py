"""Sending SMS through the central platform's HTTP API.

The contract (central implements it; this is the device side)::

    POST {central}/v1/sms            Content-Type: application/json
         Idempotency-Key: <key>
         {"key": "<key>", "to": "+8613800138000", "text": "..."}
    200/201/202 {"id": "<central message id>", "status": "sent" | "queued" | "duplicate",
                 "parts": <n>}           (duplicate: this key was sent before; nothing new was sent)
    400/422 {"error": "<reason>"}        the message can never be sent as it is
    401/403                              the terminal's credentials were refused
    409 {"error": ...}                   the key was used before for a different message
    429 {"error": ...} Retry-After: s    flow control (per number / per signature)
    5xx                                  central failed: retried with the same key

    GET  {central}/v1/sms/health     200 {"ok": true, ...} when central can send SMS now

``to`` is the number as E.164 when it had a country code, else as given (digits
only).  Network failures, timeouts and 5xx answers are retried with backoff
and the same key, so a retry after a lost answer never sends twice; what is
still failing after the last attempt raises :class:`CentralUnavailable`.
TLS is verified against ``ca_bundle`` (the system bundle when empty).
``auth`` is a ``requests`` auth object (the kiosk passes the terminal's
request signer); it signs every request.

>>> from drivers.sms.central import CentralSms
>>> sms = CentralSms("https://central.example.com", timeout_s=5)
>>> sms.url
'https://central.example.com/v1/sms'
>>> sms.close()
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import urlsplit

import requests

from drivers.errors import ConfigurationError
from drivers.health import Health
from drivers.sms.at import ascii_int
from drivers.sms.errors import (
    DEVICE,
    CentralRateLimited,
    CentralRejected,
    CentralUnavailable,
    KeyConflict,
)
from drivers.sms.pdu import normalize_number
from drivers.sms.sender import SendResult, SmsSender
from terminal.logs import get_logger

log = get_logger(__name__)

RETRY_STATUSES = frozenset({500, 502, 503, 504})


class CentralSms(SmsSender):
    """The central platform sends the SMS; this terminal asks it to, once per key.

    Args: ``base_url`` central's https:// (or http://) URL; ``ca_bundle`` the
    CA file its certificate is checked against ('' = the system's);
    ``timeout_s`` seconds central may take to answer, ``connect_timeout_s``
    to accept the connection; ``attempts`` tries per message (network errors
    and 5xx are retried with the same key), ``backoff_s`` the first pause
    between tries in seconds (doubling); ``auth`` signs every request;
    ``session`` a requests session to use.  Raises
    :class:`ConfigurationError` for a URL that is not http(s) or names no
    host.

    >>> sms = CentralSms("https://central.example.com", ca_bundle="/etc/ssl/central-ca.pem", attempts=3)
    >>> sms.send("+8613800138000", "验证码 123456", key="otp-42")     # doctest: +SKIP
    SendResult(key='otp-42', transport='central', parts=1, references=('m-981',), duplicate=False)
    >>> sms.close()
    """

    transport = "central"

    def __init__(self, base_url: str, *, ca_bundle: str = "", timeout_s: float = 10.0,
                 connect_timeout_s: float = 5.0, attempts: int = 3, backoff_s: float = 1.0,
                 auth: requests.auth.AuthBase | None = None, session: requests.Session | None = None):
        super().__init__()
        if not base_url.startswith(("http://", "https://")):
            raise ConfigurationError(DEVICE, f"central URL {base_url!r} must start with https:// or http://",
                                     hint="set [sms] central_url")
        if not urlsplit(base_url).hostname:
            raise ConfigurationError(DEVICE, f"central URL {base_url!r} names no host",
                                     hint="set [sms] central_url, e.g. https://central.example.com")
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/v1/sms"
        self.connect_timeout_s = connect_timeout_s
        self.timeout_s = timeout_s
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.session = session or requests.Session()
        # Passed on every request: a session-level verify loses to $REQUESTS_CA_BUNDLE.
        self.verify = ca_bundle or True
        self.session.auth = auth
        self.session.headers["User-Agent"] = "service-terminals-sms/1"

    def _send(self, to: str, text: str, key: str) -> SendResult:
        digits, international = normalize_number(to)
        body = json.dumps({"key": key, "to": ("+" if international else "") + digits, "text": text},
                          ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        last = "no attempt"
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.session.post(self.url, data=body, headers=headers,
                                             timeout=(self.connect_timeout_s, self.timeout_s),
                                             verify=self.verify)
            except requests.exceptions.SSLError as exc:
                raise CentralUnavailable(f"central's TLS certificate was not accepted: {_short(exc)}",
                                         hint="check [sms] ca_bundle and the central URL") from None
            except requests.exceptions.Timeout:
                last = f"no answer within {self.timeout_s:g} s"
            except requests.exceptions.ConnectionError as exc:
                last = f"cannot connect: {_short(exc)}"
            except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
                last = f"the answer was cut off: {_short(exc)}"     # central may have taken it: retry, same key
            except requests.exceptions.RequestException as exc:
                raise CentralUnavailable(f"cannot send to central: {_short(exc)}",
                                         hint="check [sms] central_url; the message may or may not have been "
                                              "sent, retrying with the same key is safe") from None
            else:
                if response.status_code in RETRY_STATUSES:
                    last = f"HTTP {response.status_code} {_reason(response)}"
                else:
                    # "duplicate" after a lost answer is our own earlier attempt: sent once, by this call.
                    return self._result(response, key, to, first_attempt=attempt == 1)
            log.warning("sms.central_retry", key=key, attempt=attempt, reason=last)
            if attempt < self.attempts:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
        raise CentralUnavailable(f"central did not confirm the message after {self.attempts} attempts ({last})",
                                 hint="the message may or may not have been sent; retrying with the same key "
                                      "is safe")

    def _result(self, response: requests.Response, key: str, to: str, *, first_attempt: bool) -> SendResult:
        status = response.status_code
        if status in (200, 201, 202):
            try:
                data = response.json()
                message_id = str(data["id"])
                duplicate = data.get("status") == "duplicate" and first_attempt
            except (ValueError, KeyError, TypeError, AttributeError):
                raise CentralUnavailable(f"central answered HTTP {status} without a message id",
                                         status=status, hint="the message may or may not have been sent; "
                                                             "retrying with the same key is safe") from None
            parts = _parts(data.get("parts", 1))
            if parts is None:
                raise CentralUnavailable(f"central answered HTTP {status} with a parts count "
                                         f"{str(data.get('parts'))[:20]!r} that is not a whole number 1-255",
                                         status=status, hint="the message may or may not have been sent; "
                                                             "retrying with the same key is safe")
            log.info("sms.sent", to=to, key=key, transport=self.transport, parts=parts, duplicate=duplicate)
            return SendResult(key, self.transport, parts, (message_id,), duplicate=duplicate)
        reason = _reason(response)
        if status in (401, 403):
            raise CentralRejected(f"central refused this terminal's credentials (HTTP {status}: {reason})",
                                  status=status, hint="re-enrol the terminal or check its clock")
        if status == 409:
            raise KeyConflict(f"central says key {key!r} was used for a different message ({reason})")
        if status == 429:
            retry_after = _retry_after(response)
            when = f"; try again in {retry_after:g} s" if retry_after is not None else ""
            raise CentralRateLimited(f"central's SMS flow control refused the message ({reason}){when}",
                                     retry_after_s=retry_after,
                                     hint="too many messages to this number; wait before sending again")
        if 400 <= status < 500:
            raise CentralRejected(f"central rejected the message (HTTP {status}: {reason})", status=status,
                                  hint="check the number and the text")
        raise CentralUnavailable(f"central answered HTTP {status} ({reason})", status=status)

    def health(self) -> Health:
        """Ask ``GET /v1/sms/health`` whether central can send now; never raises (a failure is ``ok=False``)."""
        url = f"{self.base_url}/v1/sms/health"
        details = {"url": url}
        try:
            response = self.session.get(url, timeout=(self.connect_timeout_s, self.timeout_s), verify=self.verify)
        except requests.exceptions.SSLError as exc:
            return Health(DEVICE, False, f"central's TLS certificate was not accepted: {_short(exc)}", details)
        except requests.exceptions.Timeout:
            return Health(DEVICE, False, f"central did not answer within {self.timeout_s:g} s", details)
        except requests.exceptions.ConnectionError as exc:
            return Health(DEVICE, False, f"cannot connect to central: {_short(exc)}", details)
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError) as exc:
            return Health(DEVICE, False, f"central's answer was cut off: {_short(exc)}", details)
        except requests.exceptions.RequestException as exc:
            return Health(DEVICE, False, f"cannot ask central: {_short(exc)}", details)
        details["status"] = response.status_code
        if response.status_code != 200:
            return Health(DEVICE, False, f"central SMS health: HTTP {response.status_code} {_reason(response)}",
                          details)
        try:
            ok = bool(response.json().get("ok"))
        except (ValueError, AttributeError):
            return Health(DEVICE, False, "central SMS health answered without JSON", details)
        return Health(DEVICE, ok, f"central SMS {'ready' if ok else 'not ready'} ({self.base_url})", details)

    def close(self) -> None:
        """Close the HTTP session; calling it again does nothing."""
        if not self.closed and hasattr(self, "session"):
            self.session.close()
        super().close()


def _reason(response: requests.Response) -> str:
    try:
        data = response.json()
        if isinstance(data, dict) and data.get("error"):
            return str(data["error"])[:200]
    except ValueError:
        pass
    return (response.reason or "").strip()[:200] or "no reason given"


def _parts(value) -> int | None:
    """A JSON parts count (an integer, or a string of ASCII digits) 1-255, else None."""
    if isinstance(value, str):
        value = ascii_int(value.strip(), 3)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 255:
        return None
    return value


_DELAY = re.compile(r"[0-9]{1,9}(\.[0-9]{1,6})?")     # ASCII only: float() also reads '١٢' as 12


def _retry_after(response: requests.Response) -> float | None:
    """Retry-After as delay-seconds (RFC 9110); None when absent or not ASCII digits."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if _DELAY.fullmatch(value) else None


def _short(exc: Exception) -> str:
    text = re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc))
    for marker in ("Caused by ", "] "):
        if marker in text:
            text = text.split(marker)[-1]
    return text.strip("()'\" ")[:160] or type(exc).__name__
