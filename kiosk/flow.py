"""The kiosk as a state machine: from a card on the reader to a verified employee, and back to attract.

``KioskFlow(store, cfg, clock=, devices=)`` takes events (kiosk.events) and
keeps one view model (``view()``, masked, JSON-able).  Device work is asked
for as commands (kiosk.commands) that a :class:`kiosk.runner.Runner` runs off
this thread; results come back as events.  Store reads and writes (codes,
lock-outs, outbox events) are local SQLite transactions and run here.

Threads: events may be handed in from any thread; they are processed, and
subscribers called, on the thread that built the flow (the one that opened
the store).  From another thread ``handle`` queues the event and calls the
waker (``set_waker``); the owner then calls :meth:`KioskFlow.pump`.

Personal data lives only in :class:`kiosk.session.Session`; every way out of
a visit goes through :meth:`KioskFlow._end_session`, which wipes it.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
import uuid
from collections import deque
from typing import Callable

from kiosk import commands as cmd
from kiosk import events as ev
from kiosk import logring
from kiosk.flow_services import ServicesMixin
from kiosk.messages import FALLBACKS, SMS_TEXT
from kiosk.runner import Runner
from kiosk.secret import check_code, check_pin, hash_code, new_code
from kiosk.session import Session
from kiosk.settings import kiosk_settings
from kiosk.store import KioskStore
from sync.pull import ReferenceDataError, directory_key, directory_lookup, id_hmac, reference_item
from terminal.logs import get_logger

log = get_logger(__name__)

LEFT_STATUSES = frozenset({"left", "inactive", "terminated", "resigned"})
# Screens without an idle timer: nobody is being served, or the screen waits for a device.
NO_IDLE = frozenset({"attract", "reader_fault", "goodbye", "idle_warning", "reading", "preparing", "payment",
                     "printing", "refund_requested", "not_provisioned"})
END_SCREENS = ("goodbye", "refund_requested")   # a visit's last screen: it times out to attract
ERROR_SCREENS = frozenset({"unknown_person", "employee_left", "card_expired", "invalid_id"})


class KioskFlow(ServicesMixin):
    """One kiosk's flow.  See the module docstring and kiosk/README.md for the interface."""

    def __init__(self, store, cfg, *, clock, devices, threaded: bool = True):
        """``threaded`` True (the kiosk): devices on worker threads and the reader polled on its own;
        False (tests, the screenshot tour): commands run inline and the reader is polled by
        ``runner.poll_reader()`` only."""
        self.store, self.clock, self.devices = store, clock, devices
        self.settings = kiosk_settings(cfg if cfg is not None else {})
        self.kstore = KioskStore(store, clock)
        self.lang = "zh"
        self.screen, self.text = "attract", "attract"
        self.session: Session | None = None
        self.extra: dict = {}                 # screen fields that are not derived (records, health, ...)
        self.card_present = False
        self.last_input = clock.monotonic()
        self.idle_until: float | None = None  # idle countdown end
        self.idle_return: tuple[str, str] | None = None
        self.sms_deadline: float | None = None
        self.goodbye_until: float | None = None
        self.face_mode: str | None = None     # 'after_sms' | 'face_only'
        self._pin = bytearray()
        self._closing = False
        self._subscribers: list[Callable[[dict], None]] = []
        self._queue: deque = deque()
        self._qlock = threading.Lock()
        self._draining = False
        self._owner = threading.get_ident()
        self._waker: Callable[[], None] | None = None
        self._changed = threading.Condition()
        self.runner = Runner(devices, self.handle, threaded=threaded, poll_s=self.settings.card_poll_s, store=store)
        logring.install()   # the technician screen's recent (masked) log lines
        self._services_init()

    # -- the interface -----------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[dict], None]) -> None:
        """Call ``callback(view)`` after each processed event (on the owner thread)."""
        self._subscribers.append(callback)

    def set_waker(self, waker: Callable[[], None]) -> None:
        """``waker()`` is called (from any thread) when events wait to be processed; answer with pump()."""
        self._waker = waker

    def handle(self, event) -> None:
        """Take one event (kiosk.events).  Never blocks on a device; safe from any thread."""
        with self._qlock:
            self._queue.append(event)
        if threading.get_ident() == self._owner:
            self.pump()
        else:
            with self._changed:
                self._changed.notify_all()
            if self._waker is not None:
                self._waker()

    def pump(self) -> int:
        """Process every queued event on the owner thread; returns how many were processed."""
        if threading.get_ident() != self._owner:
            raise RuntimeError("KioskFlow.pump must run on the thread that built the flow")
        with self._qlock:
            if self._draining:       # re-entered from a subscriber or an inline command: the loop below has it
                return 0
            self._draining = True
        n = 0
        try:
            while True:
                with self._qlock:
                    if not self._queue:
                        break
                    event = self._queue.popleft()
                try:
                    self._step(event)
                except Exception as exc:  # a bug or a full disk must not leave personal data on screen
                    log.error("kiosk.flow_error", event=type(event).__name__, error=type(exc).__name__)
                    try:
                        self._end_session("error", goodbye=False)
                    except Exception:     # the store refused even the session_ended event: wipe anyway
                        if self.session is not None:
                            self.session.wipe()
                        self.session = None
                    self._show("attract", "attract")
                del event
                n += 1
                view = self.view()
                for callback in list(self._subscribers):
                    callback(view)
        finally:
            with self._qlock:
                self._draining = False
        return n

    def wait_until(self, predicate: Callable[[dict], bool], timeout_s: float) -> bool:
        """Owner thread: process events as they arrive until ``predicate(view())`` holds, for at most
        ``timeout_s`` seconds; returns whether it held (tests and the demo tour)."""
        end = time.monotonic() + timeout_s   # real time: this waits for threads, not for the flow's clock
        while True:
            self.pump()
            if predicate(self.view()):
                return True
            left = end - time.monotonic()
            if left <= 0:
                return False
            with self._changed:
                if not self._queue:
                    self._changed.wait(left)

    def view(self) -> dict:
        """The view model: plain JSON-able, masked data only (see kiosk/README.md)."""
        v = {"screen": self.screen, "lang": self.lang, "text": self.text}
        s, now = self.session, self.clock.monotonic()
        if s is not None and self.screen in ("code_entry", "sms_sending", "sms_unavailable", "code_locked",
                                             "face_capture", "face_failed", "menu", "my_records",
                                             "cert_preview", "badge_preview", "rating"):
            v["masked_name"] = s.masked_name
        if s is not None and self.screen in ("code_entry", "sms_sending", "sms_unavailable"):
            v["masked_phone"] = s.masked_phone
        if self.screen == "code_entry" and s is not None:
            v["digits_entered"] = len(s.digits)
            v["attempts_left"] = self.settings.otp_max_failures - self.kstore.failures("code", s.employee_no)
            v["resend_in_s"] = self._resend_in_s()
        if self.screen == "technician_pin":
            v["digits_entered"] = len(self._pin)
            v["attempts_left"] = (self.settings.technician_pin_max_failures
                                  - self.kstore.failures("technician_pin", "*"))
            v["locked_until_s"] = self.kstore.locked_for("technician_pin", "*", self.settings.technician_pin_lock_s)
        if self.screen == "code_locked" and s is not None:
            v["locked_until_s"] = self.kstore.locked_for("code", s.employee_no, self.settings.otp_lock_s)
        if self.screen == "sms_unavailable":
            v["fallbacks"] = self._fallbacks()
            if s is not None:
                v["resend_in_s"] = self._resend_in_s()
        if self.screen == "idle_warning" and self.idle_until is not None:
            v["countdown_s"] = max(0, math.ceil(self.idle_until - now))
        if self.screen in ("face_capture", "face_failed") and s is not None:
            v["face_attempts_left"] = max(0, self.settings.face_attempts - s.face_attempts)
        self._services_view(v)
        if self.screen == "my_records":
            v["records"] = list(self.extra.get("records", []))
            v["records_central"] = bool(self.extra.get("records_central", False))
        if self.screen == "technician":
            v["health"] = list(self.extra.get("health", []))
            v["log_lines"] = list(self.extra.get("log_lines", []))
        return v

    def close(self) -> None:
        """End any visit (wiped) and stop the runner.  The visit's badge orders are closed here, on this
        thread (bounded by central's timeouts): the runner drops queued work when it stops."""
        self._closing = True
        self._end_session("shutdown", goodbye=False)
        self.runner.close()

    # -- dispatch ----------------------------------------------------------------------------------
    def _step(self, e) -> None:
        now = self.clock.monotonic()
        if isinstance(e, (ev.Touch, ev.KeyPressed, ev.ResendPressed, ev.FallbackChosen, ev.ServiceChosen,
                          ev.PinEntered, ev.SelftestPressed, ev.Back, ev.Exit, ev.LanguageChosen, ev.TryAgain,
                          ev.TechnicianGesture, ev.CardPlaced, ev.ReasonChosen, ev.PrintPressed,
                          ev.RatingChosen)):
            self.last_input = now
            if self.screen == "idle_warning":
                self._leave_idle_warning()
                if isinstance(e, ev.Touch):
                    return
        handler = getattr(self, f"_on_{type(e).__name__}", None)
        if handler is None:
            raise TypeError(f"unknown event {type(e).__name__}")
        handler(e)

    def _show(self, screen: str, text: str | None = None) -> None:
        self.screen, self.text = screen, text or screen

    # -- time --------------------------------------------------------------------------------------
    def _on_Tick(self, e) -> None:
        now = self.clock.monotonic()
        if self.screen in END_SCREENS and self.goodbye_until is not None and now >= self.goodbye_until:
            self.goodbye_until = None
            self._show("card_left" if self.card_present else "attract")
            self.last_input = now
            return
        if self.screen == "sms_sending" and self.sms_deadline is not None and now >= self.sms_deadline:
            self.sms_deadline = None
            self._show("sms_unavailable", "sms_unavailable.timeout")
            return
        if self.screen == "idle_warning":
            if self.idle_until is not None and now >= self.idle_until:
                self.idle_until = None
                self._end_idle()
            return
        self._payment_tick()
        if self.screen not in NO_IDLE and now - self.last_input >= self._idle_timeout_s():
            self.idle_return = (self.screen, self.text)
            self.idle_until = now + self.settings.idle_countdown_s
            self._show("idle_warning")

    def _on_Touch(self, e) -> None:
        """Nothing more to do: _step already counted the touch as input and left the idle warning."""

    def _leave_idle_warning(self) -> None:
        screen, text = self.idle_return or ("attract", "attract")
        self.idle_until, self.idle_return = None, None
        self._show(screen, text)

    def _end_idle(self) -> None:
        screen = (self.idle_return or ("attract",))[0]
        self.idle_return = None
        self.last_input = self.clock.monotonic()   # the next screen's idle timer starts now
        if screen in ("technician", "technician_pin", "card_left") or screen in ERROR_SCREENS:
            self._end_session("idle", goodbye=False)
            self._wipe_pin()
            self._show("card_left" if self.card_present and screen != "card_left" else "attract")
            return
        self._end_session("idle")

    def _idle_timeout_s(self) -> float:
        try:
            item = reference_item(self.store.conn, "config", "kiosk") or {}
        except Exception:
            item = {}
        value = item.get("idle_timeout_s")
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 10 <= value <= 600
        return float(value) if ok else float(self.settings.idle_timeout_s)

    # -- session end -------------------------------------------------------------------------------
    def _end_session(self, reason: str, *, goodbye: bool = True, text: str = "goodbye") -> None:
        """The one way out of a visit: record it, wipe the session, clear the screen's data."""
        s = self.session
        self.session = None
        self.extra = {}
        self.sms_deadline = None
        self.face_mode = None
        self.idle_until, self.idle_return = None, None
        end = "goodbye"
        if s is not None:
            try:
                end = self._close_badges(s)      # every wipe closes the visit's badge orders
                payload = {"session_id": s.id, "reason": reason,
                           "seconds": round(self.clock.monotonic() - s.started, 1)}
                if s.done:       # central's service measures: documents in hand, card to tray (s)
                    payload["done"] = list(s.done)
                if s.failures:
                    payload["failures"] = list(s.failures)
                self.kstore.event("kiosk.session_ended", payload)
            finally:
                s.wipe()
        if end == "refund_requested":   # paid, not printed: say what happens to the money, whatever the exit
            self.goodbye_until = self.clock.monotonic() + max(15, 4 * self.settings.goodbye_s)
            self._show("refund_requested")
        elif goodbye:
            self.goodbye_until = self.clock.monotonic() + self.settings.goodbye_s
            self._show("goodbye", text)
        else:
            self.goodbye_until = None

    def _on_Exit(self, e) -> None:
        if self.screen in ("technician", "technician_pin"):
            self._wipe_pin()
            self._end_session("exit", goodbye=False)
            self._show("attract")
            return
        if self.session is not None:
            self._end_session("exit")
        else:
            self._show("card_left" if self.card_present else "attract")

    def _on_Back(self, e) -> None:
        if self._services_back():
            return
        if self.screen == "my_records":
            self._open_menu()
        elif self.screen in ("technician_pin", "technician"):
            self._on_Exit(e)
        elif self.screen in ERROR_SCREENS or self.screen == "card_left":
            self._show("card_left" if self.card_present else "attract")
        elif self.session is not None and self.screen != "menu":
            self._end_session("cancelled")

    # -- the reader --------------------------------------------------------------------------------
    def _on_CardLifted(self, e) -> None:
        self.card_present = False
        if self.screen == "card_left" or self.screen in ERROR_SCREENS:
            self._show("attract")
        elif self.screen in ("code_locked", "face_failed") and self.session is not None:
            self._end_session("card_lifted", goodbye=False)   # nothing left to do here: the visit is over
            self._show("attract")

    def _on_ReaderOk(self, e) -> None:
        if self.screen == "reader_fault":
            self._show("attract")

    def _on_ReaderFault(self, e) -> None:
        log.warning("kiosk.reader_fault", kind=e.kind, reason=e.message)
        self.card_present = False
        self._end_session("reader_fault", goodbye=False)
        self._wipe_pin()
        self._show("reader_fault", f"reader_fault.{e.kind}" if e.kind in ("unplugged", "sam", "silent")
                   else "reader_fault.other")

    def _on_CardUnreadable(self, e) -> None:
        self.card_present = True
        self._end_session("card_swapped" if self.session is not None else "unreadable", goodbye=False)
        self._record_failure(None, "invalid_id")
        self._show("invalid_id", f"invalid_id.{e.reason}")

    def _on_CardPlaced(self, e) -> None:
        self.card_present = True
        card = e.card
        if not e.fresh:  # on the reader before the kiosk started: the last person's, not a new visit
            Session(id="", started=0.0, card=card).wipe()
            self._show("card_left", "card_left.at_start")
            return
        if self.screen in ("technician", "technician_pin"):
            self._wipe_pin()
        if self.session is not None:
            try:
                same = bool(self.session.id_hmac) and self._hmac(card.id_number) == self.session.id_hmac
            except ReferenceDataError:
                same = False
            if same:  # the same card put back: the visit goes on
                Session(id="", started=0.0, card=card).wipe()
                return
            self._end_session("card_swapped", goodbye=False)
        self._identify(card)

    def _hmac(self, id_number: str) -> str:
        return id_hmac(directory_key(self.store.conn), id_number)

    def _identify(self, card) -> None:
        s = self.session = Session.start(now=self.clock.monotonic(), lang=self.lang)
        s.card = card
        self._show("reading")
        if not card.id_number_valid:
            return self._identify_failed("invalid_id", "invalid_id")
        today = self.clock.today()
        if today is None:
            log.warning("kiosk.expiry_unchecked", reason="no trusted date (clock not synced, no central offset)")
        elif card.valid_to is not None and card.valid_to < today:
            return self._identify_failed("card_expired", "card_expired")
        elif card.valid_from is not None and card.valid_from > today:
            return self._identify_failed("card_expired", "card_expired.not_yet_valid")
        try:
            entry = directory_lookup(self.store.conn, card.id_number)
            s.id_hmac = self._hmac(card.id_number)
        except ReferenceDataError as exc:
            log.error("kiosk.directory_missing", reason=str(exc))
            return self._identify_failed("unknown_person", "unknown_person.directory_missing")
        if entry is None or entry.get("deleted"):
            return self._identify_failed("unknown_person", "unknown_person")
        s.employee = dict(entry)
        if str(entry.get("status", "")).lower() in LEFT_STATUSES or entry.get("left_on"):
            return self._identify_failed("employee_left", "employee_left", employee_no=s.employee_no)
        if entry.get("role") == "technician" or entry.get("technician") is True:
            self.kstore.event("kiosk.technician", {"what": "card", "ok": True})
            self._open_technician()
            return
        self._start_sms()

    def _identify_failed(self, screen: str, text: str, *, employee_no: str = "") -> None:
        s = self.session
        self._record_failure(s, screen, employee_no)
        self._end_session(screen, goodbye=False)
        self._show(screen, text)

    def _record_failure(self, s: Session | None, reason: str, employee_no: str = "") -> None:
        payload = {"session_id": s.id if s else uuid.uuid4().hex, "reason": reason}
        if employee_no:
            payload["employee_no"] = employee_no
        self.kstore.event("kiosk.verification_failed", payload)

    # -- SMS code ----------------------------------------------------------------------------------
    def _start_sms(self) -> None:
        s = self.session
        if self.kstore.locked_for("code", s.employee_no, self.settings.otp_lock_s):
            self._record_failure(s, "code_locked", s.employee_no)
            self._show("code_locked")
            return
        otp = self.kstore.latest_otp(s.employee_no)
        if otp is not None and otp.same_boot and otp.age_s < self.settings.otp_ttl_s:
            # A code sent moments ago (before a restart, or to a visit that timed out) is still valid:
            # use it rather than send another.
            s.otp_id = otp.id
            self._show("code_entry")
            return
        self._send_code(resend=False)

    def _send_code(self, *, resend: bool) -> None:
        s, st = self.session, self.settings
        phone = s.employee.get("phone")
        if not phone:
            self._show("sms_unavailable", "sms_unavailable.no_phone")
            return
        count, newest = self.kstore.sends(s.employee_no, 3600)
        if newest is not None and newest < st.resend_cooldown_s:
            if not resend:   # a code went out moments ago but cannot be checked (sent before a reboot)
                self._show("code_entry", "code_entry.expired")
            return  # the button shows resend_in_s; an early press does nothing
        if count >= st.max_sends_per_hour:
            self._record_failure(s, "hourly_limit", s.employee_no)
            self._show("sms_unavailable", "sms_unavailable.hourly_limit")
            return
        code = new_code()
        salt, digest = hash_code(code)
        key = f"kiosk-otp-{uuid.uuid4().hex}"
        transport = getattr(self.devices.sms, "transport", "none")
        s.otp_id = self.kstore.new_otp(s.id, s.employee_no, salt, digest, key, transport)
        del s.digits[:]
        text = SMS_TEXT.get(s.lang, SMS_TEXT["zh"]).format(code=code, minutes=st.otp_ttl_s // 60)
        del code
        self.sms_deadline = self.clock.monotonic() + st.sms_wait_s
        self._show("sms_sending")
        self.extra["resent"] = resend
        self.runner.submit(cmd.SendSms(s.otp_id, phone, text, key))

    def _resend_in_s(self) -> int:
        s = self.session
        if s is None:
            return 0
        _, newest = self.kstore.sends(s.employee_no, 3600)
        return 0 if newest is None else max(0, math.ceil(self.settings.resend_cooldown_s - newest))

    def _on_SmsSent(self, e) -> None:
        self.kstore.otp_sent(e.otp_id, True)
        s = self.session
        if s is not None and s.otp_id == e.otp_id and self.screen in ("sms_sending", "sms_unavailable"):
            self.sms_deadline = None
            self._show("code_entry", "code_entry.resent" if self.extra.pop("resent", False) else "code_entry")

    def _on_SmsFailed(self, e) -> None:
        log.warning("kiosk.sms_failed", kind=e.kind, reason=e.message)
        self.kstore.otp_sent(e.otp_id, False, e.kind)
        s = self.session
        if s is not None and s.otp_id == e.otp_id and self.screen in ("sms_sending", "sms_unavailable"):
            self.sms_deadline = None
            kind = e.kind if e.kind in ("modem_down", "central_down", "rate_limited") else "other"
            self._show("sms_unavailable", f"sms_unavailable.{kind}")

    def _on_ResendPressed(self, e) -> None:
        if self.session is not None and self.screen in ("code_entry", "sms_unavailable"):
            self._send_code(resend=True)

    def _fallbacks(self) -> list[str]:
        d = self.devices
        face_ok = d.camera is not None and d.fetch_photo is not None and d.matcher_factory is not None
        return [f for f in self.settings.fallbacks if f in FALLBACKS and (f != "face_only" or face_ok)]

    def _on_FallbackChosen(self, e) -> None:
        if self.session is None or self.screen != "sms_unavailable" or e.id not in self._fallbacks():
            return
        if e.id == "service_desk":
            self._record_failure(self.session, "service_desk", self.session.employee_no)
            self._end_session("service_desk", text="goodbye.service_desk")
        else:
            self._start_face("face_only")

    def _on_KeyPressed(self, e) -> None:
        if self.screen == "technician_pin":
            return self._pin_key(e.key)
        s = self.session
        if self.screen != "code_entry" or s is None:
            return
        if e.key == "back":
            if s.digits:
                s.digits[-1] = 0
                del s.digits[-1]
        elif e.key.isdigit() and len(e.key) == 1 and e.key.isascii():
            if len(s.digits) < 6:
                s.digits.append(ord(e.key))
            if len(s.digits) == 6:
                self._check_code()
        elif e.key == "ok" and len(s.digits) == 6:
            self._check_code()

    def _check_code(self) -> None:
        s, st = self.session, self.settings
        typed = s.digits.decode()
        s.digits[:] = bytes(len(s.digits))
        del s.digits[:]
        if self.kstore.locked_for("code", s.employee_no, st.otp_lock_s):
            self._show("code_locked")
            return
        otp = self.kstore.latest_otp(s.employee_no)
        if otp is None or otp.id != s.otp_id or not otp.same_boot or otp.age_s >= st.otp_ttl_s:
            self._show("code_entry", "code_entry.expired")   # not counted: the person typed a real code late
            return
        ok = check_code(typed, otp.salt, otp.digest)
        del typed
        left = self.kstore.code_checked(otp.id, s.id, s.employee_no, ok, max_failures=st.otp_max_failures,
                                        lock_s=st.otp_lock_s)
        if ok:
            s.sms_verified = True
            if st.face_check:
                self._start_face("after_sms")
            else:
                self._verified("sms")
        elif left == 0:
            self._show("code_locked")
        else:
            self._show("code_entry", "code_entry.wrong")

    # -- face --------------------------------------------------------------------------------------
    def _start_face(self, mode: str) -> None:
        s = self.session
        self.face_mode = mode
        s.face_attempts = 0
        d = self.devices
        if d.camera is None or d.fetch_photo is None or d.matcher_factory is None:
            return self._face_unavailable("face_failed.camera")
        self._show("face_capture", "face_capture.loading_photo")
        self.runner.submit(cmd.FetchPhoto(s.employee_no))

    def _face_unavailable(self, text: str) -> None:
        if self.face_mode == "after_sms" and self.settings.after_face_failures == "sms_only":
            return self._verified("sms")
        self._record_failure(self.session, "face_unavailable", self.session.employee_no)
        self._show("face_failed", text)

    def _on_PhotoLoaded(self, e) -> None:
        s = self.session
        if s is None or self.screen != "face_capture":
            if hasattr(e.matcher, "wipe"):
                e.matcher.wipe()
            return
        s.matcher = e.matcher
        self._show("face_capture")
        self.runner.submit(cmd.CheckFace(s.matcher, self.settings.face_frames))

    def _on_PhotoFailed(self, e) -> None:
        log.warning("kiosk.photo_failed", reason=e.message)
        if self.session is not None and self.screen == "face_capture":
            self._face_unavailable("face_failed.photo_unavailable")

    def _on_TryAgain(self, e) -> None:
        s = self.session
        if s is not None and self.screen == "face_capture" and s.matcher is not None and self.text != "face_capture":
            self._show("face_capture")
            self.runner.submit(cmd.CheckFace(s.matcher, self.settings.face_frames))

    def _on_FaceChecked(self, e) -> None:
        s, st = self.session, self.settings
        if s is None or self.screen != "face_capture":
            return
        s.face_attempts += 1
        payload = {"session_id": s.id, "employee_no": s.employee_no, "ok": bool(e.ok), "reason": e.reason,
                   "attempt": s.face_attempts}
        if isinstance(e.distance, (int, float)) and math.isfinite(e.distance):
            payload["distance"] = round(float(e.distance), 4)
        self.kstore.event("kiosk.face_checked", payload)
        if e.ok:
            return self._verified("sms+face" if self.face_mode == "after_sms" else "face")
        if s.face_attempts >= st.face_attempts:
            if self.face_mode == "after_sms" and st.after_face_failures == "sms_only":
                return self._verified("sms")
            self._record_failure(s, "face_denied", s.employee_no)
            self._show("face_failed", "face_failed.denied")
            return
        reason = e.reason if e.reason in ("no_face", "two_faces", "no_match", "not_live") else "error"
        self._show("face_capture", f"face_capture.{reason}")

    # -- verified: the menu ------------------------------------------------------------------------
    def _verified(self, method: str) -> None:
        s = self.session
        if s.matcher is not None:  # the photo is needed no longer than the check
            s.matcher.wipe()
            s.matcher = None
        self.kstore.event("kiosk.verified", {"session_id": s.id, "employee_no": s.employee_no, "method": method},
                          history=(s.employee_no, s.id, "verification", "verified"))
        self._open_menu()

    def _on_ServiceChosen(self, e) -> None:
        if self.session is None or self.screen != "menu":
            return
        if e.id == "my_records":
            records = [{"when": _iso(r["when"]), "kind": r["kind"], "status": r["status"]}
                       for r in self.kstore.history(self.session.employee_no)]
            self.extra = {"records": records, "records_central": False}
            self._show("my_records")
            self.runner.submit(cmd.LoadRecords(self.session.employee_no))
        else:
            self._choose_service(e.id)

    def _on_RecordsLoaded(self, e) -> None:
        if self.session is None or self.screen != "my_records":
            return
        central = [{"when": str(r.get("when", "")), "kind": str(r.get("kind", "")), "status": str(r.get("status", ""))}
                   for r in e.records if isinstance(r, dict)]
        self.extra["records"] = sorted(self.extra.get("records", []) + central, key=lambda r: r["when"],
                                       reverse=True)
        self.extra["records_central"] = bool(e.central_ok)

    def _on_LanguageChosen(self, e) -> None:
        if e.lang in ("zh", "en"):
            self.lang = e.lang
            if self.session is not None:
                self.session.lang = e.lang

    # -- technician --------------------------------------------------------------------------------
    def _on_TechnicianGesture(self, e) -> None:
        if self.session is None and self.screen in ("attract", "reader_fault", "card_left") \
                and self.settings.technician_pin_hash:
            self._wipe_pin()
            locked = self.kstore.locked_for("technician_pin", "*", self.settings.technician_pin_lock_s)
            self._show("technician_pin", "technician_pin.locked" if locked else "technician_pin")

    def _pin_key(self, key: str) -> None:
        if key == "back":
            if self._pin:
                self._pin[-1] = 0
                del self._pin[-1]
        elif key == "ok":
            pin = self._pin.decode()
            self._wipe_pin()
            self._check_pin(pin)
        elif len(key) == 1 and key.isascii() and key.isdigit() and len(self._pin) < 12:
            self._pin.append(ord(key))

    def _on_PinEntered(self, e) -> None:
        if self.screen == "technician_pin":
            self._wipe_pin()
            self._check_pin(e.pin)

    def _check_pin(self, pin: str) -> None:
        st = self.settings
        if self.kstore.locked_for("technician_pin", "*", st.technician_pin_lock_s):
            self._show("technician_pin", "technician_pin.locked")
            return
        ok = bool(st.technician_pin_hash) and check_pin(pin, st.technician_pin_hash)
        left = self.kstore.pin_checked(ok, max_failures=st.technician_pin_max_failures, lock_s=st.technician_pin_lock_s)
        if ok:
            self._open_technician()
        else:
            self._show("technician_pin", "technician_pin.locked" if left == 0 else "technician_pin.wrong")

    def _wipe_pin(self) -> None:
        self._pin[:] = bytes(len(self._pin))
        del self._pin[:]

    def _open_technician(self) -> None:
        self.extra = {"health": [], "log_lines": []}
        self._show("technician")
        self.runner.submit(cmd.LoadHealth())

    def _on_HealthLoaded(self, e) -> None:
        if self.screen == "technician":
            self.extra["health"] = [dict(r) for r in e.rows]
            self.extra["log_lines"] = list(e.log_lines)

    def _on_SelftestPressed(self, e) -> None:
        if self.screen == "technician":
            self._show("technician", "technician.selftest_running")
            self.runner.submit(cmd.RunSelftest())

    def _on_SelftestDone(self, e) -> None:
        if self.screen == "technician":
            self.extra["health"] = [dict(r) for r in e.rows]
            self._show("technician")


def _iso(wall: float) -> str:
    return dt.datetime.fromtimestamp(wall, dt.timezone.utc).isoformat(timespec="seconds")
