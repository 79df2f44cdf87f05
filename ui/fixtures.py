"""Fixed view models for every screen and every message: the screenshots' and the layout tests' input.

:class:`FixedFlow` has the flow's interface (``view``, ``subscribe``,
``handle``) but only shows the view it is given and records the events the
views send; no devices, no store.  :func:`gallery` lists one view per message
key (every error screen, every reason), all with made-up, already masked
data: the same shapes ``kiosk.flow.KioskFlow.view()`` returns.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any, Callable

from kiosk.messages import FALLBACKS, MESSAGE_KEYS, SCREENS, SERVICES

# Made-up and already masked, as the flow's view model carries them.
SAMPLE = {"masked_name": "张*", "masked_phone": "138****1234"}


class FixedFlow:
    """A stand-in flow that shows ``view`` until :meth:`show` is called again; ``events`` lists what the views sent."""

    def __init__(self, view: dict[str, Any] | None = None):
        self._view = dict(view or {"screen": "attract", "lang": "zh", "text": "attract"})
        self._subscribers: list[Callable] = []
        self.events: list = []

    def view(self) -> dict[str, Any]:
        """A copy of the view model shown."""
        return dict(self._view)

    def subscribe(self, callback: Callable) -> None:
        """Call ``callback(view)`` after each :meth:`show`."""
        self._subscribers.append(callback)

    def handle(self, event) -> None:
        """Keep ``event`` in :attr:`events` (a fixed flow does not change on input)."""
        self.events.append(event)

    def show(self, view: dict[str, Any]) -> None:
        """Show ``view`` (a view-model dict) and tell the subscribers."""
        self._view = dict(view)
        for callback in self._subscribers:
            callback(self.view())

    def close(self) -> None:
        """Forget the subscribers."""
        self._subscribers.clear()


def _fields(screen: str, key: str) -> dict[str, Any]:
    """The screen fields the flow puts on ``screen`` (see kiosk/README.md), with sample values."""
    if screen in ("sms_sending", "code_entry"):
        return {**SAMPLE, "digits_entered": 3 if screen == "code_entry" else 0,
                "attempts_left": 2 if key.endswith(".wrong") else 5, "resend_in_s": 0 if key.endswith(".expired") else 42}
    if screen == "code_locked":
        return {"masked_name": SAMPLE["masked_name"], "locked_until_s": 14 * 60 + 5}
    if screen == "sms_unavailable":
        waiting = key.endswith((".rate_limited", ".hourly_limit"))
        return {**SAMPLE, "fallbacks": list(FALLBACKS), "resend_in_s": 45 if waiting else 0}
    if screen in ("face_capture", "face_failed"):
        return {"masked_name": SAMPLE["masked_name"], "face_attempts_left": 0 if screen == "face_failed" else 2}
    if screen == "menu":
        # one tile unavailable (and why), the others on; a first badge and a replacement are never both shown
        reasons = {"cert_social_insurance": "service.offline"}
        return {"masked_name": SAMPLE["masked_name"], "services": [
            {"id": sid, "title_key": title, "available": sid not in reasons, "reason_key": reasons.get(sid, "")}
            for sid, title in SERVICES if sid != "badge_first"]}
    a = assets()
    if screen == "cert_preview":
        return {"masked_name": SAMPLE["masked_name"], "preview_url": "file://" + a["certificate"],
                "reference": "KSK-SHA-0001-000042", "service": "cert_employment",
                "title_key": "service.cert_employment"}
    if screen == "badge_preview":
        return {"masked_name": SAMPLE["masked_name"], "preview_url": "file://" + a["badge"],
                "reference": "ORD-7KQ2M4XP9ABC", "service": "badge_replacement",
                "title_key": "service.badge_replacement"}
    if screen == "badge_reason":
        return {"fees_cents": {"lost": 2000, "damaged": 1000}, "currency": "CNY"}
    if screen == "payment":
        return {"qr_url": "file://" + a["qr"], "amount_cents": 2000, "currency": "CNY", "countdown_s": 163,
                "reference": "ORD-7KQ2M4XP9ABC", "service": "badge_replacement",
                "title_key": "service.badge_replacement"}
    if screen in ("printing", "print_failed"):
        return {"reference": "KSK-SHA-0001-000042", "service": "cert_income", "title_key": "service.cert_income",
                **({"paid": False} if screen == "print_failed" else {})}
    if screen == "rating":
        return {"masked_name": SAMPLE["masked_name"], "rated": key.endswith(".thanks"),
                "reference": "ORD-7KQ2M4XP9ABC" if key.endswith(".badge") else "KSK-SHA-0001-000042"}
    if screen == "refund_requested":
        return {"amount_cents": 2000, "currency": "CNY", "reference": "ORD-7KQ2M4XP9ABC"}
    if screen == "not_provisioned":
        # What a failed first boot leaves (a terminal without a status file was set up by hand and runs).
        return {"detail": "not provisioned: central refused the enrolment token (invalid_token); write a new "
                          "seed with a new token and restart the terminal"}
    if screen == "my_records":
        return {"masked_name": SAMPLE["masked_name"], "records_central": False, "records": [
            {"when": "2026-11-30T09:12:00", "kind": "verification", "status": "verified"},
            {"when": "2026-11-02T14:40:00", "kind": "verification", "status": "failed"},
            {"when": "2026-10-18T10:05:00", "kind": "certificate.printed", "status": "printed"},
            {"when": "2026-10-02T16:20:00", "kind": "payment.refund_requested", "status": "refund_requested"}]}
    if screen == "idle_warning":
        return {"countdown_s": 9}
    if screen == "technician_pin":
        return {"digits_entered": 4, "attempts_left": 2 if key.endswith(".wrong") else 5,
                "locked_until_s": 300 if key.endswith(".locked") else 0}
    if screen == "technician":
        return {"health": [
            {"device": "idcard", "ok": True, "summary": "sim, card absent"},
            {"device": "sms", "ok": True, "summary": "modem, signal 18/31 (-77 dBm)"},
            {"device": "camera", "ok": True, "summary": "sim, 640x480"},
            {"device": "printer", "ok": False, "summary": "media-empty: load A4 paper"},
            {"device": "badge_printer", "ok": True, "summary": "idle"},
            {"device": "receipt", "ok": True, "summary": "paper ok"},
            {"device": "sync", "ok": False, "summary": "backlog 37 events; last error: central unreachable"}],
            "log_lines": [
                "14:02:11 kiosk.card_read id=1101**********002X",
                "14:02:12 kiosk.sms_sent to=138****1234",
                "14:02:40 kiosk.verified employee=E*****23",
                "14:05:03 sync.batch_failed error=timeout after 30 s",
                "14:06:00 printer.state media-empty"]}
    return {}


@functools.lru_cache(maxsize=1)
def assets() -> dict[str, str]:
    """Sample pictures the service screens show, drawn once per process into a temporary folder:
    a certificate page (the real renderer on made-up data, turned to PNG by pdftoppm), a badge card
    (the real card renderer) and a WeChat-style payment QR.  {name: absolute path}."""
    import subprocess

    import segno

    folder = Path(tempfile.mkdtemp(prefix="kiosk-gallery-"))
    out = {}
    try:
        from kiosk.certificates.document import TEMPLATE_EXAMPLE, build
        from kiosk.certificates.render import render_pdf, seal_image

        template = {**TEMPLATE_EXAMPLE, "company": "示例科技有限公司", "company_en": "Example Technology Co., Ltd.",
                    "rows": [["姓名", "Name", "name"], ["入职日期", "Hired on", "hired_on"]]}
        doc = build(template, {"name": "张三", "hired_on": "2019-03-01"}, lang="zh+en",
                    serial="KSK-SHA-0001-000042", issued_on="2026-11-30", terminal="KSK-SHA-0001")
        pdf, _ = render_pdf(doc, "https://hr.example.com/verify/CV1.SAMPLE", seal_image(template, doc.company[0]))
        (folder / "certificate.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-singlefile", str(folder / "certificate.pdf"),
                        str(folder / "certificate")], check=True, capture_output=True, timeout=60)
        out["certificate"] = str(folder / "certificate.png")
    except Exception:   # no poppler or no CJK font here: a plain page stands in
        from PIL import Image
        Image.new("RGB", (496, 702), "white").save(folder / "certificate.png")
        out["certificate"] = str(folder / "certificate.png")
    from kiosk.badges.render import Holder, render_badge
    render_badge(Holder("张三", "E1001", "财务部 Finance"), None, "BDG-E1001-2.K7Q2M4XP9A",
                 (626, 999)).save(folder / "badge.png")
    out["badge"] = str(folder / "badge.png")
    segno.make("weixin://wxpay/bizpayurl?pr=SAMPLE0ORD7KQ2M4XP9ABC", error="m").save(
        str(folder / "qr.png"), scale=10, border=2)
    out["qr"] = str(folder / "qr.png")
    return out


def gallery(lang: str) -> list[tuple[str, dict[str, Any]]]:
    """One (name, view) per message key that is a screen or a screen's reason, in flow order.

    ``name`` is the key with '.' as '-' (``reader_fault-unplugged``); ``lang``
    is 'zh' or 'en'.
    """
    out = []
    for screen in SCREENS:
        for key in MESSAGE_KEYS:
            if key == screen or key.startswith(screen + "."):
                out.append((key.replace(".", "-"), {"screen": screen, "lang": lang, "text": key,
                                                   **_fields(screen, key)}))
    return out
