"""The devices and central calls a kiosk uses, opened through the device contract.

:meth:`Devices.open` builds each from its config section (``open_idcard``,
``open_sms``, ``open_camera``), so ``backend = "sim"`` gives the simulators.
A device that cannot be opened is None plus a line in ``problems``: the flow
shows the matching screen (reader fault, SMS unavailable) instead of failing
to start.  Central calls (HR photo, records) are functions of the employee
number so a test can give its own central.

>>> d = Devices(); d.reader is None, d.problems
(True, {})
"""

from __future__ import annotations

import threading

import requests

from dataclasses import dataclass, field
from typing import Any, Callable

from sync import wire
from terminal.logs import get_logger

log = get_logger(__name__)


class SignedAuth(requests.auth.AuthBase):
    """Signs each request like sync's ingest (sync.wire.sign_request) with the enrolment credentials."""

    def __init__(self, device_id: str, secret: bytes, offset_s: Callable[[], float | None] = lambda: None):
        self.device_id, self._secret, self._offset_s = device_id, secret, offset_s

    def __call__(self, request):
        import time
        from urllib.parse import urlsplit
        url = urlsplit(request.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        request.headers.update(wire.sign_request(self._secret, request.method, path, body,
                                                 device_id=self.device_id,
                                                 timestamp=int(time.time() + (self._offset_s() or 0.0))))
        return request


@dataclass
class Devices:
    """What the runner drives; any may be None.

    ``reader`` an IdCardReader; ``sms`` an SmsSender; ``camera`` a Camera;
    ``printers`` {name: device} for health; ``fetch_photo(employee_no) ->
    bytes`` (raises on failure); ``fetch_records(employee_no) -> list[dict]``
    (raises when central is unreachable); ``matcher_factory(photo_bytes)`` a
    kiosk.face.FaceMatcher; ``selftest() -> list[Health]``; ``sync_status()
    -> dict`` (sync.status.collect); ``problems`` {device: why it is None}.

    The services (part 2): ``printers['printer']`` the A4 document printer and
    ``printers['badge_printer']`` the CR80 card printer (drivers.printer);
    ``central_client(store)`` the signed central client (default: from the
    store's enrolment and ``sync_settings``); ``receipt`` the ``[receipt]``
    section when receipts are on (None: no receipt); ``device_id`` printed on
    receipts; ``badge_poll_s`` seconds between payment polls.
    """

    reader: Any = None
    sms: Any = None
    camera: Any = None
    printers: dict = field(default_factory=dict)
    fetch_photo: Callable[[str], bytes] | None = None
    fetch_records: Callable[[str], list] | None = None
    matcher_factory: Callable[[bytes], Any] | None = None
    selftest: Callable[[], list] | None = None
    sync_status: Callable[[], dict] | None = None
    problems: dict = field(default_factory=dict)
    central_client: Callable[[Any], Any] | None = None
    sync_settings: Any = None
    receipt: Any = None
    device_id: str = ""
    badge_poll_s: float = 2.0

    @classmethod
    def open(cls, cfg, store=None) -> "Devices":
        """Open every device ``cfg`` configures for a kiosk; failures are kept in ``problems``, never raised."""
        from drivers.errors import DeviceError

        d = cls()
        creds = _credentials(store)

        def attempt(name, build):
            try:
                return build()
            except DeviceError as exc:
                d.problems[name] = str(exc)
                log.warning("kiosk.device_unavailable", device=name, reason=str(exc))
                return None

        if "idcard" in cfg:
            from drivers.idcard import open_idcard
            d.reader = attempt("idcard", lambda: open_idcard(cfg.idcard))
        if "sms" in cfg:
            from drivers.sms import open_sms
            auth = SignedAuth(creds.device_id, creds.secret) if creds else None
            d.sms = attempt("sms", lambda: open_sms(cfg.sms, auth=auth) if cfg.sms.get("transport") == "central"
                            else open_sms(cfg.sms))
        if "camera" in cfg:
            from drivers.camera import open_camera
            d.camera = attempt("camera", lambda: open_camera(cfg.camera))
        if "printer" in cfg:
            from drivers.printer import open_printer
            d.printers["printer"] = attempt("printer", lambda: open_printer(cfg.printer, media="a4",
                                                                           name="printer"))
        badges = cfg.get("badges") if hasattr(cfg, "get") else None
        badges = badges if badges is not None else {}
        if "badge_printer" in cfg:
            from drivers.printer import open_printer
            d.printers["badge_printer"] = attempt("badge_printer", lambda: open_printer(
                cfg.badge_printer, media="cr80", name="badge_printer",
                job_timeout_s=float(badges.get("print_timeout_s", 90))))
        if "receipt" in cfg and badges.get("receipt", True):
            d.receipt = dict(cfg.receipt)
        d.badge_poll_s = float(badges.get("poll_s", 2.0))
        d.sync_settings = cfg.get("sync") if hasattr(cfg, "get") else None
        d.device_id = str(getattr(cfg, "device_id", "") or "")
        d.fetch_photo = _photo_fetcher(cfg, store)
        d.fetch_records = _records_fetcher(cfg, store)
        d.matcher_factory = _matcher_factory
        d.selftest = lambda: _selftest(cfg)
        if store is not None:
            from sync.status import collect
            d.sync_status = lambda: collect(store, cfg)
        return d

    def close(self) -> None:
        """Close every opened device (idempotent)."""
        for device in (self.reader, self.sms, self.camera, *self.printers.values()):  # printers may be None
            if device is not None:
                try:
                    device.close()
                except Exception as exc:  # closing must not stop the others from closing
                    log.warning("kiosk.device_close_failed", error=type(exc).__name__)


def _credentials(store):
    if store is None:
        return None
    from sync.client import Credentials
    from sync.state import all_state
    return Credentials.from_state(all_state(store.conn))


def _photo_fetcher(cfg, store):
    """The signed HR photo call (sync.client.fetch_photo), when it exists."""
    return _central_call(cfg, store, "fetch_photo")


def _records_fetcher(cfg, store):
    """Central's records of an employee (sync.client.fetch_records), when it exists."""
    return _central_call(cfg, store, "fetch_records")


def _central_call(cfg, store, name: str):
    """``fn(employee_no)`` calling sync.client.<name>(store, cfg, employee_no) from any thread.

    The runner calls it on a worker thread, and SQLite connections are per thread: each call
    reads the enrolment through its own short connection to the store's file.
    """
    import sync.client as client
    fetch = getattr(client, name, None)
    if fetch is None or store is None:
        return None
    owner = threading.get_ident()

    def call(employee_no: str):
        if threading.get_ident() == owner:
            return fetch(store, cfg, employee_no)
        from kiosk.services import worker_store
        own = worker_store(store.path)
        try:
            return fetch(own, cfg, employee_no)
        finally:
            own.close()
    return call


def _matcher_factory(photo: bytes):
    from kiosk.face import FaceMatcher  # dlib loads only when a face check is configured and asked for
    return FaceMatcher(photo)


def _selftest(cfg) -> list:
    from drivers.cli import run_selftest
    return run_selftest(cfg)
