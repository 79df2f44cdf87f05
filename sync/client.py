"""The device's HTTP client for central: one keep-alive session, signed requests, typed outcomes.

Every response's ``X-Server-Time`` updates the clock offset, so signatures
use central's time even when the device clock says 1970.  A ``clock_skew``
refusal is re-signed once with the corrected time and a ``replayed`` one
once with a fresh nonce; bad credentials become :class:`CredentialsRejected`
(re-enrol; never retried in a loop).
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import re
import time
from dataclasses import dataclass

import requests
import urllib3

from sync import wire
from sync.backoff import parse_retry_after
from sync.clock import SystemClock
from terminal import TerminalError


class CentralCallFailed(TerminalError):
    """A call to central did not succeed."""


class CentralUnreachable(CentralCallFailed):
    """Central could not be reached or was busy (network, TLS handshake timeout, 5xx, 429): worth trying again."""


class TokenRefused(CentralCallFailed):
    """Central refused the one-time enrolment token (wrong, expired, used): a new token is needed."""


class Retryable(CentralCallFailed):
    """Try again later: network failure, timeout, 5xx, 429 or an unexpected answer."""

    def __init__(self, message: str, *, retry_after_s: float | None = None, timeout: bool = False,
                 status: int | None = None):
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.timeout = timeout
        self.status = status


class CredentialsRejected(CentralCallFailed):
    """Central does not accept this device's credentials: it must be enrolled again."""


class BatchRefused(CentralCallFailed):
    """400 or 413 for a whole request: the batch must be split (or the event dead-lettered)."""

    def __init__(self, message: str, *, status: int, code: str = ""):
        super().__init__(message)
        self.status = status
        self.code = code


class Gone(CentralCallFailed):
    """410: the cursor is no longer valid; a full resync is required."""


@dataclass
class Credentials:
    """What enrolment gave this device: central's base URL, its id, its HMAC secret (bytes) and a CA file ("": none)."""
    central_url: str
    device_id: str
    secret: bytes
    ca_file: str = ""

    @classmethod
    def from_state(cls, state: dict) -> "Credentials | None":
        """The credentials kept in the store's sync state (a dict), or None when the device is not enrolled."""
        if not state.get("secret") or not state.get("central_url"):
            return None
        return cls(state["central_url"], state["device_id"], base64.b64decode(state["secret"]),
                   state.get("ca_file") or "")


def tls_verify(ca_file: str, config_ca: str) -> bool | str:
    """What requests verifies TLS against: the enrolment's CA file, else the config's ``ca_bundle``, else True."""
    return ca_file or config_ca or True


class CentralClient:
    """The device's HTTP client for central: one keep-alive session, every request signed with ``creds``.

    ``verify`` is True (system CAs), False or a CA bundle path.
    ``connect_timeout_s`` and ``read_timeout_s`` bound one request (the whole
    answer must arrive within their sum); a Retry-After longer than
    ``retry_after_max_s`` seconds is clamped.  ``clock_offset_s`` is central's
    time minus the device's, when known from an earlier run.  Calls raise the
    :class:`CentralCallFailed` family: :class:`Retryable`,
    :class:`CredentialsRejected`, :class:`BatchRefused` or :class:`Gone`.
    """
    def __init__(self, creds: Credentials, *, verify: bool | str = True, connect_timeout_s: float = 5.0,
                 read_timeout_s: float = 30.0, retry_after_max_s: float = 600.0,
                 clock: SystemClock | None = None, clock_offset_s: float | None = None):
        self.creds = creds
        self.base = creds.central_url.rstrip("/")
        self.session = requests.Session()
        # Given per request: a session attribute loses to REQUESTS_CA_BUNDLE in the environment.
        self.verify = verify
        self.session.headers["User-Agent"] = "service-terminals-sync/1"
        self.timeouts_s = (connect_timeout_s, read_timeout_s)  # requests: (connect, read)
        self.retry_after_max_s = retry_after_max_s
        self.clock = clock or SystemClock()
        self.clock_offset_s = clock_offset_s  # central minus device wall clock, when known

    def close(self) -> None:
        """Close the keep-alive session (idempotent)."""
        self.session.close()

    def central_now(self) -> float:
        """Central's time now, in seconds since the epoch: the device's wall clock plus the learned offset."""
        return self.clock.wall() + (self.clock_offset_s or 0.0)

    # -- calls ---------------------------------------------------------------------------------
    def post_events(self, gz_body: bytes) -> dict:
        """POST one gzip'd JSON batch (``gz_body``, exactly as signed) to /v1/events; return central's answer (a dict).

        Raises Retryable (network, timeout, 5xx, 429, unexpected answer),
        CredentialsRejected (re-enrol) or BatchRefused (400/413: split the batch).
        """
        return self._signed("POST", f"{wire.API_PREFIX}/events", gz_body,
                            {"Content-Type": "application/json", "Content-Encoding": "gzip"})

    def get_reference(self, dataset: str, cursor: str | None, limit: int) -> dict:
        """One page of reference ``dataset`` after ``cursor`` (None: a full snapshot), at most ``limit`` items.

        Returns central's page (a dict with items, deleted, cursor, more, full).
        Raises Gone (410: the cursor expired, resync), Retryable or CredentialsRejected.
        """
        query = f"limit={int(limit)}" + (f"&cursor={requests.utils.quote(cursor, safe='')}" if cursor else "")
        return self._signed("GET", f"{wire.API_PREFIX}/reference/{dataset}?{query}", b"", {})

    # -- machinery -----------------------------------------------------------------------------
    def _signed(self, method: str, path: str, body: bytes, headers: dict) -> dict:
        for attempt in range(3):
            signed = wire.sign_request(self.creds.secret, method, path, body, device_id=self.creds.device_id,
                                       timestamp=int(self.central_now()))
            response = self._send(method, path, body, {**headers, **signed})
            if response.status_code != 401:
                return self._classify(response)
            detail = _json(response)
            error = detail.get("error", "")
            if error == "clock_skew" and isinstance(detail.get("server_time"), (int, float)):
                self.clock_offset_s = detail["server_time"] - self.clock.wall()
            if error in ("clock_skew", "replayed") and attempt < 2:
                continue  # offset already corrected from this response; sign again
            if error in ("bad_signature", "unknown_device"):
                raise CredentialsRejected(
                    f"central refused this device's credentials ({error}); enrol it again with "
                    f"'terminal sync enroll --central URL --token T' using a new token from central")
            raise Retryable(f"central answered 401 {error or response.text[:80]!r}", status=401)
        raise Retryable("central kept refusing the request time or nonce", status=401)

    def _send(self, method: str, path: str, body: bytes, headers: dict) -> requests.Response:
        sent = self.clock.wall()
        deadline = time.monotonic() + self.timeouts_s[0] + self.timeouts_s[1]
        try:
            response = self.session.request(method, self.base + path, data=body or None, headers=headers,
                                            timeout=self.timeouts_s, verify=self.verify, stream=True)
            self._read_all(response, deadline)  # now: a truncated body is a network failure, retried
        except requests.exceptions.SSLError as exc:
            raise Retryable(f"TLS to {self.base} failed ({_short(exc)}); check [sync] ca_bundle or the "
                            f"--ca given at enrolment") from None
        except (requests.Timeout, urllib3.exceptions.TimeoutError) as exc:
            raise Retryable(f"central did not answer in time ({_short(exc)})", timeout=True) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise Retryable(f"cannot reach central at {self.base} ({_short(exc)})") from None
        self._learn_offset(response, sent)
        return response

    def _read_all(self, response: requests.Response, deadline: float) -> None:
        """Read the whole answer before ``deadline`` (connect + read timeout after sending).

        The read timeout bounds each socket read only, so an answer dribbled a byte at a time
        (a broken proxy) could otherwise hold the forwarder, and its SIGTERM, for as long as it
        lasts.  ``read1`` returns after one read, so the deadline is checked between them.
        """
        chunks = []
        try:
            while True:
                if time.monotonic() > deadline:
                    raise requests.Timeout(f"the whole answer did not arrive within "
                                           f"{self.timeouts_s[0] + self.timeouts_s[1]:g} s")
                chunk = response.raw.read1(65536, decode_content=True)
                if not chunk:
                    break
                chunks.append(chunk)
        except BaseException:
            response.close()  # the connection is in an unknown state: never reuse it
            raise
        # At the end of the body urllib3 has already returned the connection to the pool (keep-alive).
        # What Response.content would have read (requests' own idiom for a consumed body).
        response._content = b"".join(chunks)
        response._content_consumed = True

    def _learn_offset(self, response: requests.Response, sent: float) -> None:
        server = _server_time(response)
        if server is not None:
            now = self.clock.wall()
            self.clock_offset_s = server - (sent + now) / 2

    def _classify(self, response: requests.Response) -> dict:
        status = response.status_code
        if status == 200:
            try:
                return response.json()
            except ValueError:
                raise Retryable("central answered 200 with a body that is not JSON", status=200) from None
        detail = _json(response)
        text = detail.get("error") or detail.get("detail") or response.text[:120]
        if status == 400 and not isinstance(detail.get("error"), str):
            # Central's 400s always carry {"error": ...}; a bare one (HTML from a proxy, e.g. "plain
            # HTTP sent to an HTTPS port") says nothing about the events, so none may be dead-lettered.
            raise Retryable(f"central answered 400 without central's error body ({text!r}): this is not "
                            f"central's answer but a proxy's or another server's; check the central URL "
                            f"and the proxy in front of it", status=status)
        if status in (400, 413):
            raise BatchRefused(f"central refused the request ({status}: {text})", status=status,
                               code=str(detail.get("error", status)))
        if status == 410:
            raise Gone(f"central no longer serves that cursor ({text})")
        retry_after = parse_retry_after(response.headers.get("Retry-After"), max_s=self.retry_after_max_s,
                                        server_now=_server_time(response))
        if status in (408, 429) or status >= 500:
            raise Retryable(f"central is busy or failing ({status}: {text})", retry_after_s=retry_after,
                            status=status)
        raise Retryable(f"central answered {status} ({text}); check the central URL", status=status,
                        retry_after_s=retry_after)


def enroll(central_url: str, device_id: str, token: str, *, verify: bool | str = True,
           timeout_s: float = 15.0, public_key: str | None = None) -> dict:
    """Exchange the one-time ``token`` for this device's secret at ``central_url``; return the enrolment state to keep.

    ``verify`` is as for CentralClient; ``timeout_s`` bounds the request in
    seconds; ``public_key`` (base64 of the raw Ed25519 public key) registers
    the terminal's signing key.  The returned dict holds central_url,
    device_id, secret (base64), enrolled_at, server_time and last_seq.  Raises
    CentralUnreachable when central cannot be reached or is busy (try again),
    TokenRefused for a refused token, and CentralCallFailed for an answer that
    is not a valid enrolment.
    """
    url = central_url.rstrip("/") + f"{wire.API_PREFIX}/enroll"
    request = {"device_id": device_id, "token": token}
    if public_key:
        request["public_key"] = public_key
    try:
        response = requests.post(url, json=request, verify=verify, timeout=timeout_s)
    except requests.exceptions.SSLError as exc:
        raise CentralCallFailed(f"TLS to {central_url} failed ({_short(exc)}); pass the central's CA with --ca FILE")
    except requests.RequestException as exc:
        raise CentralUnreachable(f"cannot reach central at {central_url} ({_short(exc)})") from None
    body = _json(response)
    if response.status_code == 401:
        raise TokenRefused("central refused the enrolment token (invalid_token): it is wrong, expired or "
                           "already used; ask for a new one with 'terminal central token'")
    if response.status_code == 429 or response.status_code >= 500:
        raise CentralUnreachable(f"central is busy or failing ({response.status_code} "
                                 f"{body.get('error') or response.reason}); try again")
    if response.status_code != 200:
        raise CentralCallFailed(f"enrolment failed: central answered {response.status_code} "
                                f"({body.get('error') or response.text[:120]})")
    try:
        secret = base64.b64decode(body["secret"], validate=True)
    except (KeyError, ValueError, TypeError):
        raise CentralCallFailed("enrolment failed: central's answer has no valid secret") from None
    if len(secret) < 32 or body.get("device_id") != device_id:
        raise CentralCallFailed("enrolment failed: central's answer does not match this device")
    last_seq = body.get("last_seq")
    return {"central_url": central_url.rstrip("/"), "device_id": device_id,
            "secret": base64.b64encode(secret).decode(), "enrolled_at": time.time(),
            "server_time": body.get("server_time"),
            "last_seq": last_seq if isinstance(last_seq, int) and last_seq >= 0 else None}


_SECONDS = re.compile(r"[0-9]{1,12}(\.[0-9]{1,9})?")


def _server_time(response: requests.Response) -> float | None:
    value = response.headers.get(wire.H_SERVER_TIME)
    # Seconds since the epoch in ASCII digits: float() would also take '１７', 'nan' and 'inf'.
    if value and _SECONDS.fullmatch(value):
        return float(value)
    date = response.headers.get("Date")
    if date:
        try:
            return email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return None


def _json(response: requests.Response) -> dict:
    try:
        value = response.json()
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 160 else text[:157] + "..."


# -- central's answers at request time: the HR photo (kiosk face check), an employee's records --------

PHOTO_TIMEOUT_S = 10.0          # the kiosk waits no longer for a photo: the flow falls back instead
PHOTO_MAX_BYTES = 2 * 1024 * 1024
_EMPLOYEE_NO = re.compile(r"[A-Za-z0-9_-]{1,32}")


class NoPhoto(CentralCallFailed):
    """Central holds no HR photo for this employee (404): the face step cannot run for them."""


def get_photo(client: CentralClient, employee_no: str) -> bytes:
    """The HR photo of ``employee_no`` (JPEG or PNG bytes) over ``client``'s signed channel.

    The bytes are for the caller's memory only (the kiosk session): nothing here writes or logs
    them.  Raises ValueError for an employee number that is not 1-32 of [A-Za-z0-9_-];
    :class:`NoPhoto` (404); :class:`Retryable` (network, timeout, 429, 5xx, or an answer whose
    image is not the JPEG/PNG its checksum names); :class:`CredentialsRejected`.
    """
    if not isinstance(employee_no, str) or not _EMPLOYEE_NO.fullmatch(employee_no):
        raise ValueError(f"employee number {str(employee_no)[:40]!r} is not 1-32 ASCII letters, digits, _ or -")
    try:
        answer = client._signed("GET", f"{wire.API_PREFIX}/photo/{employee_no}", b"", {})
    except Retryable as exc:
        if exc.status == 404:
            raise NoPhoto(f"central holds no HR photo for employee {employee_no} (or serves no photos): "
                          f"the face check cannot run; use the fallback") from None
        raise
    try:
        data = base64.b64decode(answer["image_b64"], validate=True)
        expected = answer["sha256"]
    except (KeyError, TypeError, ValueError):
        raise Retryable("central's photo answer has no valid image_b64 and sha256", status=200) from None
    if len(data) > PHOTO_MAX_BYTES or hashlib.sha256(data).hexdigest() != expected \
            or not data.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")):
        raise Retryable("central's photo answer is damaged (checksum, size or not JPEG/PNG)", status=200)
    return data


RECORDS_MAX_LIMIT = 100         # central serves at most this many records per call
_RECORD_TEXT = {"when": 40, "kind": 64, "status": 40, "device_id": 64}


def get_records(client: CentralClient, employee_no: str, limit: int = 20) -> list[dict]:
    """``employee_no``'s past transactions on every terminal, newest first, over ``client``'s signed channel.

    Each is {when (ISO 8601 UTC, central's clock), kind (event type), status, device_id, ref (str or
    None)}; at most ``limit`` (1-100).  Raises ValueError for an employee number that is not 1-32 of
    [A-Za-z0-9_-] or a limit out of range; :class:`Retryable` (network, timeout, 429, 5xx, or an answer
    that is not a list of such records); :class:`CredentialsRejected`.
    """
    if not isinstance(employee_no, str) or not _EMPLOYEE_NO.fullmatch(employee_no):
        raise ValueError(f"employee number {str(employee_no)[:40]!r} is not 1-32 ASCII letters, digits, _ or -")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= RECORDS_MAX_LIMIT:
        raise ValueError(f"limit {limit!r} is not a whole number from 1 to {RECORDS_MAX_LIMIT}")
    answer = client._signed("GET", f"{wire.API_PREFIX}/records/{employee_no}?limit={limit}", b"", {})
    rows = answer.get("records") if isinstance(answer, dict) else None
    if not isinstance(rows, list) or len(rows) > limit or answer.get("employee_no") != employee_no \
            or not all(_is_record(r) for r in rows):
        raise Retryable("central's records answer is not a list of {when, kind, status, device_id, ref}",
                        status=200)
    return [{k: r[k] for k in ("when", "kind", "status", "device_id", "ref")} for r in rows]


def _is_record(row) -> bool:
    if not isinstance(row, dict) or not (row.get("ref") is None or isinstance(row.get("ref"), str)):
        return False
    return all(isinstance(row.get(k), str) and 0 < len(row[k]) <= n for k, n in _RECORD_TEXT.items())


def client_for(store, cfg, *, timeout_s: float, what: str) -> "CentralClient":
    """A CentralClient with this terminal's enrolment (``store``) and ``[sync]`` settings (``cfg``),
    its connect and read timeouts capped at ``timeout_s`` seconds; close it after use.

    Raises CentralCallFailed when the terminal is not enrolled (``what``: what it could not fetch).
    """
    from sync.state import all_state

    state = all_state(store.conn)
    creds = Credentials.from_state(state)
    if creds is None:
        raise CentralCallFailed(f"this terminal is not enrolled with central, so it cannot fetch {what}; "
                                "run 'terminal sync enroll --central URL --token T'")
    return CentralClient(creds, verify=tls_verify(creds.ca_file, cfg.sync.ca_bundle),
                         connect_timeout_s=min(cfg.sync.connect_timeout_s, timeout_s),
                         read_timeout_s=min(cfg.sync.read_timeout_s, timeout_s),
                         clock_offset_s=state.get("clock_offset"))


def fetch_photo(store, cfg, employee_no: str, *, timeout_s: float = PHOTO_TIMEOUT_S) -> bytes:
    """:func:`get_photo` with this terminal's enrolment (``store``) and ``[sync]`` settings (``cfg``).

    ``timeout_s`` caps the read timeout (seconds; the sync setting is sized for uploads).
    Raises CentralCallFailed when the terminal is not enrolled, and what get_photo raises.
    """
    client = client_for(store, cfg, timeout_s=timeout_s, what="HR photos")
    try:
        return get_photo(client, employee_no)
    finally:
        client.close()


RECORDS_TIMEOUT_S = 10.0        # the kiosk shows its own records meanwhile; past this, "central unavailable"


def fetch_records(store, cfg, employee_no: str, *, limit: int = 20,
                  timeout_s: float = RECORDS_TIMEOUT_S) -> list[dict]:
    """:func:`get_records` with this terminal's enrolment (``store``) and ``[sync]`` settings (``cfg``).

    ``timeout_s`` caps the connect and read timeouts (seconds).  Raises CentralCallFailed when the
    terminal is not enrolled, and what get_records raises.
    """
    client = client_for(store, cfg, timeout_s=timeout_s, what="records")
    try:
        return get_records(client, employee_no, limit)
    finally:
        client.close()
