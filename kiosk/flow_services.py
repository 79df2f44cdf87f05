"""The services part of the kiosk flow: certificates, badges with payment, printing, the rating.

A mixin of :class:`kiosk.flow.KioskFlow` (same state, same rules: handlers run on
the owner thread, never block, and ask the runner for every device or central
call).  Screens (kiosk/README.md)::

    menu --cert_*--> preparing.certificate --> cert_preview --print--> printing --> rating
    menu --badge_first--> preparing.order --> preparing.badge --> badge_preview --print--> printing --> rating
    menu --badge_replacement--> badge_reason --> preparing.order --> payment (QR, polled) --paid--> preparing.badge
    printing --failed--> print_failed --print again (same serial / no new charge)--> printing
    a step central or the printer cannot do --> service_failed.<reason> --back--> menu
    a paid badge that will not print, when the visit ends --> refund_requested (then attract)

The certificate's PDF lives in the session (memory) and the previews in its
temporary folder; both go with its wipe.  Badge orders are closed on every
session end (``CloseBadges``) and reconciled once at start (``ReconcileBadges``).
"""

from __future__ import annotations

import math

from kiosk import commands as cmd
from kiosk.messages import RATINGS
from kiosk.services import KIND_OF
from terminal.logs import get_logger

log = get_logger(__name__)

TITLES = {"employment": "在职证明 Certificate of Employment", "income": "收入证明 Certificate of Income",
          "social_insurance": "五险一金缴纳证明 Social insurance and housing fund"}
PRINT_WAIT = {"media-empty": "out_of_paper", "media-needed": "out_of_paper", "media-jam": "jam",
              "cover-open": "cover_open", "door-open": "cover_open"}


class ServicesMixin:
    """Handlers and view fields of the services (mixed into KioskFlow)."""

    # -- setup -------------------------------------------------------------------------------------
    def _services_init(self) -> None:
        conn = self.store.conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        self._badges_ready = "badge_jobs" in tables
        self._certs_ready = "cert_issued" in tables
        if self._badges_ready:
            self.runner.submit(cmd.ReconcileBadges())    # once: orders a previous run left open

    def _kinds(self) -> list[str]:
        """The certificate kinds central's config turns on, in menu order (unknown names logged, skipped)."""
        from kiosk.certificates.kinds import KINDS
        from sync.pull import reference_item

        if not self._certs_ready:
            return []
        try:
            names = (reference_item(self.store.conn, "config", "kiosk") or {}).get("certificates")
        except Exception:
            names = None
        if names is None:
            return list(KINDS)
        if not isinstance(names, list):
            log.error("kiosk.config_certificates_malformed")
            return list(KINDS)
        unknown = [n for n in names if n not in KINDS]
        if unknown:
            log.error("kiosk.config_certificates_unknown", names=",".join(map(str, unknown))[:200])
        return [n for n in names if n in KINDS]

    def _menu_services(self) -> list[dict]:
        loaded = self.extra.get("services_loaded")
        tiles = []
        for kind in self._kinds():
            reason = "service.checking" if loaded is None else loaded["certificates"].get(kind, "service.offline")
            tiles.append({"id": f"cert_{kind}", "title_key": f"service.cert_{kind}", "available": reason == "",
                          "reason_key": reason})
        if self._badges_ready:
            badge = (loaded or {}).get("badge") or {"id": "badge_replacement", "reason_key": "service.checking"}
            tiles.append({"id": badge["id"], "title_key": f"service.{badge['id']}",
                          "available": not badge["reason_key"], "reason_key": badge["reason_key"]})
        tiles.append({"id": "my_records", "title_key": "service.my_records", "available": True, "reason_key": ""})
        return tiles

    def _open_menu(self, text: str = "menu") -> None:
        s = self.session
        self.extra = {}
        s.service.clear()
        s.document[:] = bytes(len(s.document))
        del s.document[:]
        self._show("menu", text)
        kinds = tuple(self._kinds())
        if kinds or self._badges_ready:
            self.runner.submit(cmd.LoadServices(s.employee_no, kinds))
        else:
            self.extra["services_loaded"] = {"certificates": {}, "badge": None}

    def _services_view(self, v: dict) -> None:
        sv = self.session.service if self.session is not None else {}
        if self.screen == "menu":
            v["services"] = self._menu_services()
        if self.screen in ("cert_preview", "badge_preview") and sv.get("preview"):
            v["preview_url"] = "file://" + sv["preview"]
        if self.screen in ("cert_preview", "printing", "print_failed", "rating") and sv.get("serial"):
            v["reference"] = sv["serial"]
        if self.screen in ("payment", "badge_preview", "printing", "print_failed", "rating") and sv.get("order_id"):
            v["reference"] = sv["order_id"]
        if self.screen in ("cert_preview", "printing", "print_failed", "rating", "badge_preview", "payment") \
                and sv.get("id"):
            v["service"] = sv["id"]
            v["title_key"] = f"service.{sv['id']}"
        if self.screen == "badge_reason":
            loaded = (self.extra.get("services_loaded") or {}).get("badge") or {}
            v["fees_cents"] = {r: int((loaded.get("fees_cents") or {}).get(r, 0)) for r in ("lost", "damaged")}
            v["currency"] = loaded.get("currency", "CNY")
        if self.screen == "payment":
            v["qr_url"] = "file://" + sv.get("qr", "")
            v["amount_cents"] = int(sv.get("amount_cents", 0))
            v["currency"] = sv.get("currency", "CNY")
            left = sv.get("timeout_s", 0) - (self.clock.monotonic() - sv.get("shown_at", 0))
            v["countdown_s"] = max(0, math.ceil(left))
        if self.screen == "print_failed":
            v["paid"] = bool(sv.get("paid"))
        if self.screen == "rating":
            v["rated"] = bool(sv.get("rated"))
        if self.screen == "refund_requested":
            refund = self.extra.get("refund") or {}
            v["amount_cents"] = int(refund.get("amount_cents", 0))
            v["currency"] = refund.get("currency", "CNY")
            v["reference"] = refund.get("order_id", "")
        if self.screen == "not_provisioned":
            v["detail"] = self.extra.get("detail", "")

    # -- the menu ----------------------------------------------------------------------------------
    def _on_ServicesLoaded(self, e) -> None:
        if self.session is None or self.screen != "menu":
            return
        self.extra["services_loaded"] = {"certificates": dict(e.certificates or {}), "badge": e.badge}

    def _choose_service(self, sid: str) -> None:
        s = self.session
        tile = next((t for t in self._menu_services() if t["id"] == sid), None)
        if tile is None or not tile["available"]:
            self._show("menu", "menu.unavailable")
            return
        loaded = self.extra.get("services_loaded")
        s.service.clear()
        s.service.update(id=sid)
        if sid in KIND_OF:
            self.extra = {"services_loaded": loaded}
            self._show("preparing", "preparing.certificate")
            self.runner.submit(cmd.IssueCertificate(s.id, s.employee_no, KIND_OF[sid],
                                                    "zh+en" if self.lang == "en" else "zh", s.temp_dir()))
        elif sid == "badge_first":
            self._start_badge("first")
        elif sid == "badge_replacement":
            self._show("badge_reason")

    def _on_ReasonChosen(self, e) -> None:
        if self.session is not None and self.screen == "badge_reason" and e.reason in ("lost", "damaged"):
            self._start_badge(e.reason)

    def _start_badge(self, reason: str) -> None:
        from kiosk.badges.render import Holder

        s = self.session
        s.service.update(id="badge_first" if reason == "first" else "badge_replacement", reason=reason)
        s.holder = Holder(str(s.employee.get("name") or ""), s.employee_no, str(s.employee.get("department") or ""))
        self._show("preparing", "preparing.order")
        self.runner.submit(cmd.StartBadge(s.id, s.employee_no, reason, s.temp_dir()))

    # -- certificates ------------------------------------------------------------------------------
    def _on_CertificateReady(self, e) -> None:
        s = self.session
        if s is None or self.screen != "preparing" or self.text != "preparing.certificate":
            return                       # the visit ended meanwhile: the bytes go with the event
        s.document[:] = e.pdf
        s.service.update(serial=e.serial, preview=e.preview)
        self._show("cert_preview")

    def _print(self) -> None:
        s = self.session
        sv = s.service
        self._show("printing")
        if sv["id"] in KIND_OF:
            self.runner.submit(cmd.PrintCertificate(s.id, sv["serial"], bytes(s.document), s.temp_dir(),
                                                    TITLES[KIND_OF[sv["id"]]]))
        else:
            self.runner.submit(cmd.PrintBadge(sv["request_id"], s.holder, s.temp_dir()))

    def _on_PrintPressed(self, e) -> None:
        if self.session is not None and self.screen in ("cert_preview", "badge_preview", "print_failed"):
            self._print()

    def _job(self) -> str:
        sv = self.session.service if self.session is not None else {}
        return sv.get("serial") or sv.get("request_id") or ""

    def _on_PrintProgress(self, e) -> None:
        if self.session is None or self.screen != "printing" or e.job != self._job():
            return
        waiting = next((PRINT_WAIT[r.split("-report")[0].split("-warning")[0].split("-error")[0]]
                        for r in e.reasons if r.split("-report")[0].split("-warning")[0].split("-error")[0]
                        in PRINT_WAIT), None)
        self._show("printing", f"printing.{waiting}" if waiting else "printing")

    def _on_PrintDone(self, e) -> None:
        s = self.session
        if s is None or e.job != self._job():
            return
        sv = s.service
        s.done.append({"service": sv["id"], "seconds": round(self.clock.monotonic() - s.started, 1)})
        sv["paid"] = False                  # printed: nothing to refund
        if self.devices.receipt is not None:
            if sv["id"] in KIND_OF:
                self.runner.submit(cmd.PrintReceipt(TITLES[KIND_OF[sv["id"]]], sv["serial"],
                                                    note="扫描证明上的二维码可核验。 Scan its QR to verify it."))
            else:
                from kiosk.receipts import BADGE_WHAT
                self.runner.submit(cmd.PrintReceipt(BADGE_WHAT.get(sv.get("reason"), "工牌 Badge"),
                                                    sv.get("order_id") or sv["request_id"],
                                                    sv.get("amount_cents") or None))
        self._show("rating", "rating" if sv["id"] in KIND_OF else "rating.badge")

    def _on_PrintJobFailed(self, e) -> None:
        s = self.session
        if s is None or e.job != self._job():
            return
        log.warning("kiosk.print_failed", cause=e.cause)
        cause = e.cause if e.cause in ("out_of_paper", "jam", "cover_open", "offline", "timeout") else "other"
        s.failures.append(f"print_{cause}")
        self._show("print_failed", f"print_failed.{cause}")

    def _on_ServiceFailed(self, e) -> None:
        s = self.session
        if s is None or self.screen not in ("preparing", "payment"):
            return
        log.warning("kiosk.service_failed", service=e.service, reason=e.reason, detail=e.message[:200])
        reason = e.reason if f"service_failed.{e.reason}" in _FAILED else "error"
        s.failures.append(reason)
        s.service.clear()
        self._show("service_failed", f"service_failed.{reason}")

    # -- badges: payment ---------------------------------------------------------------------------
    def _on_BadgeOrdered(self, e) -> None:
        from kiosk.badges.service import policy

        s = self.session
        if s is None or s.service.get("request_id", e.request_id) != e.request_id \
                or self.screen not in ("preparing", "payment"):
            return
        sv = s.service
        sv.update(request_id=e.request_id, order_id=e.order_id or sv.get("order_id", ""),
                  amount_cents=e.amount_cents or sv.get("amount_cents", 0), currency=e.currency)
        sv["polling"] = False
        now = self.clock.monotonic()
        if e.state == "awaiting_payment":
            if self.text == "preparing.cancel":
                return                     # a poll that left before the cancel: the cancel's answer decides
            if self.screen == "preparing" and self.text == "preparing.order":
                sv.update(qr=e.qr, shown_at=now, next_poll=now + self.devices.badge_poll_s,
                          timeout_s=policy(self.store.conn).payment_timeout_s)
                self._show("payment")
            else:
                sv["next_poll"] = now + self.devices.badge_poll_s
        elif e.state in ("paid", "printing", "print_failed"):
            sv["paid"] = bool(sv.get("amount_cents"))
            self._show("preparing", "preparing.badge")
            self.runner.submit(cmd.PrepareBadge(e.request_id, s.holder, s.temp_dir()))
        elif e.state == "cancelled":
            timed_out = now - sv.get("shown_at", now) >= sv.get("timeout_s", math.inf)
            reason = "payment_timed_out" if timed_out else "payment_cancelled"
            s.failures.append(reason)
            sv.clear()
            self._show("service_failed", f"service_failed.{reason}")
        elif e.state == "refund_requested":       # central unreachable at the timeout: closed either way
            sv["paid"] = True
            s.failures.append("offline")
            self._end_session("refund_requested")
        else:
            self._show("service_failed", "service_failed.error")

    def _payment_tick(self) -> None:
        s = self.session
        sv = s.service if s is not None else {}
        now = self.clock.monotonic()
        if self.screen == "payment" and sv.get("request_id") and not sv.get("polling") \
                and now >= sv.get("next_poll", 0):
            sv["polling"] = True
            self.runner.submit(cmd.PollBadge(sv["request_id"], now - sv["shown_at"]))

    def _cancel_payment(self) -> None:
        s = self.session
        self._show("preparing", "preparing.cancel")
        self.runner.submit(cmd.CancelBadge(s.service["request_id"]))

    def _on_BadgePreviewReady(self, e) -> None:
        s = self.session
        if s is None or self.screen != "preparing" or s.service.get("request_id") != e.request_id:
            return
        s.service["preview"] = e.preview
        self._show("badge_preview")

    # -- the rating --------------------------------------------------------------------------------
    def _on_RatingChosen(self, e) -> None:
        s = self.session
        if s is None or self.screen != "rating" or s.service.get("rated") or e.rating not in RATINGS:
            return
        # Anonymous: the service and the rating, no session, employee or serial.
        self.kstore.event("service.rated", {"service": s.service["id"], "rating": e.rating})
        s.service["rated"] = True
        self._show("rating", "rating.thanks")

    # -- ways back ---------------------------------------------------------------------------------
    def _services_back(self) -> bool:
        """Back on a service screen; True when handled."""
        s = self.session
        if s is None:
            return False
        if self.screen in ("cert_preview", "badge_reason", "service_failed", "rating"):
            self._open_menu()
            return True
        if self.screen == "print_failed":
            if s.service.get("paid"):
                self._on_Exit(None)            # a paid badge left unprinted: refunded, and the visit ends
            else:
                self._open_menu()
            return True
        if self.screen == "payment":
            self._cancel_payment()
            return True
        if self.screen in ("badge_preview", "preparing", "printing"):
            return True                        # a card being made or a page printing: wait for it
        return False

    def _close_badges(self, s) -> str:
        """Ask the runner to close the session's open badge orders; the screen the visit ends on."""
        if not self._badges_ready:
            return "goodbye"
        if self._closing:
            from kiosk import services
            try:
                services.execute(cmd.CloseBadges(s.id), self.devices, self.store, None)
            except Exception as exc:  # the next start's reconcile closes it
                log.error("kiosk.close_badges_failed", error=type(exc).__name__)
        else:
            self.runner.submit(cmd.CloseBadges(s.id))
        sv = s.service
        if sv.get("paid") and sv.get("request_id"):
            self.extra["refund"] = {"amount_cents": sv.get("amount_cents", 0), "currency": sv.get("currency", "CNY"),
                                    "order_id": sv.get("order_id", "")}
            return "refund_requested"
        return "goodbye"


from kiosk.messages import MESSAGE_KEYS as _KEYS  # noqa: E402

_FAILED = frozenset(k for k in _KEYS if k.startswith("service_failed."))
