"""The services' device and central work, run by :class:`kiosk.runner.Runner` off the UI thread.

Each function takes one command (kiosk.commands), the :class:`kiosk.devices.Devices`
and a store opened on the calling thread (SQLite connections are per thread), and
returns the event that answers it.  The libraries do the work:
kiosk.certificates (data, issue, printed), kiosk.badges.service (start, poll,
cancel, print_badge, close_session, reconcile) and kiosk.receipts.  Nothing here
keeps personal data: the PDF travels back to the flow's session in the event,
files go only into the session's own temporary folder (removed by its wipe).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from kiosk import commands as cmd
from kiosk import events as ev
from terminal.logs import get_logger
from terminal.pii import mask_text

log = get_logger(__name__)

PREVIEW_DPI = 60            # an A4 page 496 x 702 px: sharp enough on a 1280x800 screen, ~0.2 s to draw
KIND_OF = {"cert_employment": "employment", "cert_income": "income", "cert_social_insurance": "social_insurance"}
SERVICE_OF = {v: k for k, v in KIND_OF.items()}


def worker_store(path):
    """A sync.store.Store on ``path`` for this thread (the owner applied the migrations already)."""
    from sync.store import Store

    conn = sqlite3.connect(str(path), isolation_level=None, timeout=5.0)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA journal_mode = WAL")
    return Store(Path(path), conn, [])


def print_cause(exc) -> str:
    """print_failed reason for a drivers DeviceError: out_of_paper | jam | cover_open | offline | timeout | other."""
    from drivers.errors import CoverOpen, DeviceTimeout, DeviceUnavailable, OutOfPaper

    if isinstance(exc, OutOfPaper):
        return "out_of_paper"
    if isinstance(exc, CoverOpen):
        return "cover_open"
    if isinstance(exc, DeviceTimeout):
        return "timeout"
    if isinstance(exc, DeviceUnavailable):
        return "offline"
    return "jam" if "jam" in str(getattr(exc, "reason", exc)) else "other"


def unavailable_reason(message: str) -> str:
    """A service_failed / menu reason for a library's 'unavailable' words (kiosk.certificates.data's)."""
    m = message.lower()
    if "not enrolled" in m or "refused this terminal" in m:
        return "not_enrolled"
    if "busy" in m:
        return "busy"
    if "no data" in m:
        return "no_data"
    if "unreachable" in m or "no answer" in m or "answered" in m or "malformed" in m:
        return "offline"
    return "error"


def execute(c, d, store, post):
    """Run one part-2 command; return its answer event (or None).  ``post`` sends progress events."""
    if isinstance(c, cmd.LoadServices):
        return _load_services(c, d, store)
    if isinstance(c, cmd.IssueCertificate):
        return _issue(c, d, store)
    if isinstance(c, cmd.PrintCertificate):
        return _print_certificate(c, d, store, post)
    if isinstance(c, cmd.StartBadge):
        return _start_badge(c, d, store)
    if isinstance(c, cmd.PollBadge):
        from kiosk.badges import service
        return _ordered(service.poll(store, _client(d, store), c.request_id, waited_s=c.waited_s), "")
    if isinstance(c, cmd.CancelBadge):
        from kiosk.badges import service
        return _ordered(service.cancel(store, _client(d, store), c.request_id), "")
    if isinstance(c, cmd.PrepareBadge):
        return _prepare_badge(c, d, store)
    if isinstance(c, cmd.PrintBadge):
        return _print_badge(c, d, store, post)
    if isinstance(c, cmd.CloseBadges):
        from kiosk.badges import service
        service.close_session(store, c.session_id, _client_or_none(d, store))
        return None
    if isinstance(c, cmd.ReconcileBadges):
        from kiosk.badges import service
        service.reconcile(store, _client_or_none(d, store))
        return None
    if isinstance(c, cmd.PrintReceipt):
        return _receipt(c, d)
    raise TypeError(f"unknown command {type(c).__name__}")


def failure(c, exc):
    """The event a part-2 command answers with when it raised ``exc`` unexpectedly."""
    words = mask_text(str(exc))
    if isinstance(c, cmd.LoadServices):
        return ev.ServicesLoaded({k: "service.offline" for k in c.kinds},
                                 {"id": "badge_replacement", "reason_key": "service.offline"})
    if isinstance(c, cmd.IssueCertificate):
        return ev.ServiceFailed(SERVICE_OF.get(c.kind, "cert"), "error", words)
    if isinstance(c, cmd.PrintCertificate):
        return ev.PrintJobFailed(c.serial, "other", words)
    if isinstance(c, (cmd.StartBadge, cmd.PollBadge, cmd.CancelBadge, cmd.PrepareBadge)):
        return ev.ServiceFailed("badge", "error", words)
    if isinstance(c, cmd.PrintBadge):
        return ev.PrintJobFailed(c.request_id, "other", words)
    return None


# -- central ---------------------------------------------------------------------------------------

def _client(d, store):
    """The signed central client (raises kiosk.badges.central.BadgesUnavailable when not enrolled)."""
    if d.central_client is not None:
        return d.central_client(store)
    from kiosk.badges.central import client_for
    return client_for(store, d.sync_settings)


def _client_or_none(d, store):
    from kiosk.badges.central import BadgesUnavailable
    try:
        return _client(d, store)
    except BadgesUnavailable:
        return None


def _load_services(c: cmd.LoadServices, d, store):
    from kiosk.badges.central import BadgesUnavailable, standing
    from kiosk.certificates.document import TemplateError
    from kiosk.certificates.store import template_for

    certs = {}
    for kind in c.kinds:
        try:
            template_for(store.conn, kind)
            certs[kind] = "" if d.printers.get("printer") is not None else "service.no_printer"
        except TemplateError:
            certs[kind] = "service.no_template"
    badge = {"id": "badge_replacement", "reason_key": "service.offline"}
    try:
        client = _client(d, store)
        answer = standing(client, c.employee_no)      # one round trip: it also says central answers now
    except BadgesUnavailable as exc:
        reason = "service." + ("not_enrolled" if unavailable_reason(str(exc)) == "not_enrolled" else
                               "busy" if "busy" in str(exc) else "offline")
        return ev.ServicesLoaded({k: r or reason for k, r in certs.items()}, {**badge, "reason_key": reason})
    may = answer.get("may") or {}
    refusals = answer.get("refusals") or {}
    first = answer.get("current") is None
    wanted = ("first",) if first else ("lost", "damaged")
    ok = any(may.get(r) for r in wanted)
    code = next((refusals.get(r) for r in wanted if refusals.get(r)), "")
    reason = "" if ok else {"limit": "service.limit", "open_order": "service.open_order"}.get(code,
                                                                                            "service.not_allowed")
    if ok and d.printers.get("badge_printer") is None:
        reason = "service.no_printer"
    return ev.ServicesLoaded(certs, {"id": "badge_first" if first else "badge_replacement", "reason_key": reason,
                                     "may": {r: bool(may.get(r)) for r in ("first", "lost", "damaged")},
                                     "fees_cents": dict(answer.get("fees_cents") or {}),
                                     "currency": str(answer.get("currency") or "CNY")})


# -- certificates ----------------------------------------------------------------------------------

def _issue(c: cmd.IssueCertificate, d, store):
    from kiosk.certificates import data, store as issuing
    from kiosk.certificates.data import CertificatesUnavailable
    from kiosk.certificates.document import TemplateError

    service = SERVICE_OF.get(c.kind, "cert")
    try:
        client = d.central_client(store) if d.central_client is not None else data.client_for(store,
                                                                                             d.sync_settings)
        try:
            answer = data.fetch(client, c.kind, c.employee_no)
        finally:
            client.close()
        made = issuing.issue(store, answer, session_id=c.session_id, lang=c.lang)
    except CertificatesUnavailable as exc:
        return ev.ServiceFailed(service, unavailable_reason(str(exc)), str(exc))
    except (TemplateError, issuing.CertificateRefused) as exc:
        return ev.ServiceFailed(service, "not_enrolled" if "enrol" in str(exc) else "error", str(exc))
    del answer
    preview = _pdf_preview(made.pdf, Path(c.folder), made.serial)
    return ev.CertificateReady(made.serial, made.pdf, str(preview))


def _pdf_preview(pdf: bytes, folder: Path, serial: str) -> Path:
    """The PDF's page as a PNG in ``folder`` (pdftoppm, Debian's poppler-utils)."""
    import subprocess

    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{serial}.pdf"
    source.write_bytes(pdf)
    target = folder / f"{serial}-preview"
    subprocess.run(["pdftoppm", "-png", "-r", str(PREVIEW_DPI), "-singlefile", str(source), str(target)],
                   check=True, capture_output=True, timeout=30)
    return target.with_suffix(".png")


def _print_certificate(c: cmd.PrintCertificate, d, store, post):
    from drivers.errors import DeviceError
    from kiosk.certificates import store as issuing

    printer = d.printers.get("printer")
    if printer is None:
        return ev.PrintJobFailed(c.serial, "offline", d.problems.get("printer", "no document printer"))
    path = Path(c.folder) / f"{c.serial}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(c.pdf)
    try:
        printer.print_file(path, job_name=f"certificate {c.serial}",
                           on_progress=lambda reasons: post(ev.PrintProgress(c.serial, tuple(reasons))))
    except DeviceError as exc:
        log.warning("kiosk.certificate_print_failed", serial=c.serial, reason=exc.reason)
        return ev.PrintJobFailed(c.serial, print_cause(exc), mask_text(exc.reason))
    issuing.printed(store, c.serial, c.session_id)
    return ev.PrintDone(c.serial)


# -- badges ----------------------------------------------------------------------------------------

def _ordered(job, qr: str):
    return ev.BadgeOrdered(job.request_id, job.state, job.order_id or "", int(job.amount_cents or 0),
                           job.currency or "CNY", qr)


def _start_badge(c: cmd.StartBadge, d, store):
    from kiosk.badges import service
    from kiosk.badges.central import BadgesUnavailable, OrderRefused

    try:
        job = service.start(store, _client(d, store), session_id=c.session_id, employee_no=c.employee_no,
                            reason=c.reason)
    except OrderRefused as exc:
        return ev.ServiceFailed("badge", "limit" if exc.code == "limit" else "refused", exc.detail)
    except BadgesUnavailable as exc:
        return ev.ServiceFailed("badge", unavailable_reason(str(exc)), str(exc))
    qr = ""
    if job.state == "awaiting_payment" and job.code_url:
        import segno

        folder = Path(c.folder)
        folder.mkdir(parents=True, exist_ok=True)
        qr = str(folder / f"pay-{job.order_id}.png")
        segno.make(job.code_url, error="m").save(qr, scale=10, border=2)
    return _ordered(job, qr)


def _photo(d, employee_no: str):
    """The HR photo framed for the card, else a framed camera capture, else None (the card has a blank)."""
    from kiosk.badges.render import PhotoUnusable, frame_capture, frame_photo

    if d.fetch_photo is not None:
        try:
            return frame_photo(bytes(d.fetch_photo(employee_no)))
        except Exception as exc:  # no photo on file, or central cannot serve it: the camera is next
            log.info("kiosk.badge_photo_unavailable", reason=mask_text(str(exc)))
    if d.camera is not None:
        try:
            return frame_capture(d.camera.capture())
        except (PhotoUnusable, Exception) as exc:
            log.info("kiosk.badge_capture_unusable", reason=mask_text(str(exc)))
    return None


def _prepare_badge(c: cmd.PrepareBadge, d, store):
    from drivers.errors import DeviceError
    from kiosk.badges import service, store as journal
    from kiosk.badges.render import card_pixels

    printer = d.printers.get("badge_printer")
    if printer is None:
        return ev.PrintJobFailed(c.request_id, "offline", d.problems.get("badge_printer", "no card printer"))
    job = journal.job(store.conn, c.request_id)
    photo = _photo(d, job.employee_no)
    try:
        size = card_pixels(printer)
    except DeviceError as exc:
        return ev.PrintJobFailed(c.request_id, print_cause(exc), mask_text(exc.reason))
    image = service.render_for(job, c.holder, photo, size)
    folder = Path(c.folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"badge-{c.request_id}.png"
    image.save(path)
    # The photo is kept for the print in the session's folder only (removed by the wipe).
    if photo is not None:
        photo.save(folder / f"photo-{c.request_id}.png")
    return ev.BadgePreviewReady(c.request_id, str(path))


def _print_badge(c: cmd.PrintBadge, d, store, post):
    from PIL import Image

    from kiosk.badges import service

    printer = d.printers.get("badge_printer")
    if printer is None:
        return ev.PrintJobFailed(c.request_id, "offline", d.problems.get("badge_printer", "no card printer"))
    photo_path = Path(c.folder) / f"photo-{c.request_id}.png" if c.folder else None
    photo = None
    if photo_path is not None and photo_path.exists():
        with Image.open(photo_path) as img:
            photo = img.convert("RGB")
    try:
        service.print_badge(store, printer, c.request_id, c.holder, photo,
                            on_progress=lambda reasons: post(ev.PrintProgress(c.request_id, tuple(reasons))))
    except service.PrintFailed as exc:
        return ev.PrintJobFailed(c.request_id, exc.cause, mask_text(str(exc)))
    return ev.PrintDone(c.request_id)


def _receipt(c: cmd.PrintReceipt, d):
    from kiosk.receipts import print_receipt, service_receipt

    if d.receipt is None:
        return None
    try:
        print_receipt(d.receipt, service_receipt(c.what, c.reference, d.device_id or "-", when=time.time(),
                                                 amount_cents=c.amount_cents, note=c.note))
    except Exception as exc:  # a receipt is a courtesy: its failure never spoils a service that was done
        log.warning("kiosk.receipt_failed", error=type(exc).__name__, reason=mask_text(str(exc)))
    return None
