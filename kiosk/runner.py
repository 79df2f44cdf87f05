"""Runs the flow's commands off the UI thread and turns every device result into an event.

``Runner(devices, post)``: ``post(event)`` is the flow's ``handle``.  With
``threaded=True`` (the kiosk) commands run on a small worker pool and the
reader is polled on its own thread; with ``threaded=False`` (tests, the
screenshot tour) each command runs at once on the caller's thread and the
reader is polled only by :meth:`poll_reader`, so a test is deterministic.
Every device error becomes an event with a kind the flow can show; nothing
raises into the flow, and nothing here waits without a bound.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from kiosk import commands as cmd
from kiosk import events as ev
from kiosk.logring import recent_lines
from terminal.logs import get_logger
from terminal.pii import mask_text

log = get_logger(__name__)


def reader_event(reader, state: dict):
    """Poll ``reader`` once; return the event it means (or None: nothing changed).

    ``state`` carries {'present': bool, 'fault': kind | None, 'polls': int} between polls.
    """
    from drivers.errors import DeviceError, DeviceTimeout, DeviceUnavailable
    from drivers.idcard.errors import (CardDataError, CardNotLifted, CardReadFailed, NoCard, SamError,
                                       SelectFailed, UnknownCardType)

    first = state.get("polls", 0) == 0
    state["polls"] = state.get("polls", 0) + 1
    try:
        card = reader.read_card()
    except NoCard:
        event = ev.ReaderOk() if state.get("fault") else (ev.CardLifted() if state.get("present") else None)
        state.update(present=False, fault=None)
        return event
    except CardNotLifted:
        state["present"] = True
        return ev.ReaderOk() if state.pop("fault", None) else None
    except UnknownCardType as exc:
        state.update(present=True, fault=None)
        return ev.CardUnreadable("unknown_type", exc.reason)
    except (CardReadFailed, SelectFailed, CardDataError) as exc:
        state.update(present=True, fault=None)
        return ev.CardUnreadable("unreadable", exc.reason)
    except DeviceError as exc:
        kind = ("sam" if isinstance(exc, SamError) else "silent" if isinstance(exc, DeviceTimeout)
                else "unplugged" if isinstance(exc, DeviceUnavailable) else "other")
        changed = state.get("fault") != kind
        state["fault"] = kind
        return ev.ReaderFault(kind, mask_text(str(exc))) if changed else None
    state.update(present=True, fault=None)
    return ev.CardPlaced(card, fresh=not first)


def sms_failure_kind(exc: BaseException) -> str:
    """The sms_unavailable reason for a send error: modem_down, central_down, rate_limited or other."""
    from drivers.errors import DeviceError, DeviceTimeout, DeviceUnavailable
    from drivers.sms.errors import (CentralError, CentralRateLimited, CentralUnavailable, ModemResultError,
                                    SmsError)

    if isinstance(exc, CentralRateLimited):
        return "rate_limited"
    if isinstance(exc, (CentralUnavailable, CentralError)):
        return "central_down"
    if isinstance(exc, (DeviceUnavailable, DeviceTimeout, ModemResultError, SmsError, DeviceError)):
        return "modem_down"
    return "other"


_SERVICE_COMMANDS = frozenset({"LoadServices", "IssueCertificate", "PrintCertificate", "StartBadge", "PollBadge",
                               "CancelBadge", "PrepareBadge", "PrintBadge", "CloseBadges", "ReconcileBadges",
                               "PrintReceipt"})


class Runner:
    """Executes commands for one flow; ``close()`` stops the workers and the reader thread."""

    def __init__(self, devices, post, *, threaded: bool = True, poll_s: float = 0.3, store=None):
        """``store``: the flow's store; inline it is used as is, threaded each service command opens its
        own connection to the same file (SQLite connections are per thread)."""
        self.devices, self.post, self.threaded, self.poll_s = devices, post, threaded, poll_s
        self.store = store
        self._reader_state: dict = {}
        self._stop = threading.Event()
        self.first_poll_done = threading.Event()   # set once the reader has been asked (tests wait on it)
        self._pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix="kiosk-runner") if threaded else None
        self._reader_thread = None
        if threaded and devices.reader is not None:
            self._reader_thread = threading.Thread(target=self._poll_loop, name="kiosk-reader", daemon=True)
            self._reader_thread.start()

    # -- the reader --------------------------------------------------------------------------------
    def poll_reader(self) -> None:
        """Poll the reader once (tests and threaded mode); posts the event it gives, if any."""
        if self.devices.reader is None:
            if not self._reader_state.get("fault"):
                self._reader_state["fault"] = "unplugged"
                why = self.devices.problems.get("idcard", "no ID-card reader is configured")
                self.post(ev.ReaderFault("unplugged", mask_text(why)))
            return
        try:
            event = reader_event(self.devices.reader, self._reader_state)
        finally:
            self.first_poll_done.set()
        if event is not None:
            self.post(event)

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_reader()
            except Exception as exc:  # a bug here must not silence the reader for good
                log.error("kiosk.reader_poll_failed", error=type(exc).__name__, reason=mask_text(str(exc)))
            self._stop.wait(self.poll_s)

    # -- commands ----------------------------------------------------------------------------------
    def submit(self, command) -> None:
        """Run ``command`` (on a worker when threaded); its result is posted as an event."""
        if self._stop.is_set():
            return
        if self._pool is None:
            self._run(command)
        else:
            self._pool.submit(self._run, command)

    def _run(self, command) -> None:
        try:
            event = self._execute(command)
        except Exception as exc:  # every failure becomes an event the flow can show
            log.error("kiosk.command_failed", command=type(command).__name__, error=type(exc).__name__,
                      reason=mask_text(str(exc)))
            event = self._failure(command, exc)
        if event is not None and not self._stop.is_set():
            self.post(event)

    def _execute(self, c):
        d = self.devices
        if type(c).__name__ in _SERVICE_COMMANDS:
            return self._service(c)
        if isinstance(c, cmd.SendSms):
            if d.sms is None:
                return ev.SmsFailed(c.otp_id, "modem_down", mask_text(d.problems.get("sms", "no SMS sender")))
            d.sms.send(c.to, c.text, key=c.key)
            return ev.SmsSent(c.otp_id)
        if isinstance(c, cmd.FetchPhoto):
            if d.fetch_photo is None:
                return ev.PhotoFailed("this kiosk has no photo service")
            if d.matcher_factory is None:
                return ev.PhotoFailed("this kiosk has no face matcher")
            return ev.PhotoLoaded(d.matcher_factory(bytes(d.fetch_photo(c.employee_no))))
        if isinstance(c, cmd.CheckFace):
            if d.camera is None:
                return ev.FaceChecked(False, "error")
            frames = [d.camera.capture() for _ in range(c.frames)]
            r = c.matcher.check(frames)
            del frames
            return ev.FaceChecked(bool(r.ok), str(r.reason), getattr(r, "distance", None))
        if isinstance(c, cmd.LoadRecords):
            if d.fetch_records is None:
                return ev.RecordsLoaded((), False)
            return ev.RecordsLoaded(tuple(d.fetch_records(c.employee_no)), True)
        if isinstance(c, cmd.LoadHealth):
            return ev.HealthLoaded(tuple(self._health_rows()), tuple(recent_lines()))
        if isinstance(c, cmd.RunSelftest):
            rows = d.selftest() if d.selftest else []
            return ev.SelftestDone(tuple({"device": h.device, "ok": h.ok, "summary": mask_text(h.summary)}
                                         for h in rows))
        raise TypeError(f"unknown command {type(c).__name__}")

    def _service(self, c):
        from kiosk import services

        if self.store is None:
            raise RuntimeError("the services need the kiosk's store")
        if not self.threaded:
            return services.execute(c, self.devices, self.store, self.post)
        store = services.worker_store(self.store.path)
        try:
            return services.execute(c, self.devices, store, self.post)
        finally:
            store.close()

    def _failure(self, c, exc):
        if type(c).__name__ in _SERVICE_COMMANDS:
            from kiosk import services
            return services.failure(c, exc)
        if isinstance(c, cmd.SendSms):
            return ev.SmsFailed(c.otp_id, sms_failure_kind(exc), mask_text(str(exc)))
        if isinstance(c, cmd.FetchPhoto):
            return ev.PhotoFailed(mask_text(str(exc)))
        if isinstance(c, cmd.CheckFace):
            return ev.FaceChecked(False, "error")
        if isinstance(c, cmd.LoadRecords):
            return ev.RecordsLoaded((), False)
        if isinstance(c, cmd.LoadHealth):
            return ev.HealthLoaded(({"device": "kiosk", "ok": False, "summary": mask_text(str(exc))},),
                                   tuple(recent_lines()))
        if isinstance(c, cmd.RunSelftest):
            return ev.SelftestDone(({"device": "selftest", "ok": False, "summary": mask_text(str(exc))},))
        return None

    def _health_rows(self) -> list[dict]:
        d = self.devices
        rows = []
        for name, device in (("idcard", d.reader), ("sms", d.sms), ("camera", d.camera), *d.printers.items()):
            if device is None:
                if name in d.problems:
                    rows.append({"device": name, "ok": False, "summary": mask_text(d.problems[name])})
                continue
            h = device.health()
            rows.append({"device": h.device, "ok": h.ok, "summary": mask_text(h.summary)})
        if d.sync_status is not None:
            s = d.sync_status()
            backlog = s.get("backlog", {})
            err = s.get("last_error")
            rows.append({"device": "sync", "ok": not err,
                         "summary": mask_text(f"backlog {backlog.get('events', 0)} events; last error: "
                                              f"{(err or {}).get('message', err) if err else 'none'}")})
        return rows

    def close(self) -> None:
        """Stop polling and drop queued work; a device call already running finishes on its own bound."""
        self._stop.set()
        if self._reader_thread is not None and self._reader_thread is not threading.current_thread():
            self._reader_thread.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
