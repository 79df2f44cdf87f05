"""Issuing a certificate: one transaction allocates its serial, draws it, signs its code, records it and its event.

Inside one ``store.write()`` (BEGIN IMMEDIATE, so two processes never take one
number): the next serial (``<device_id>-<6 digits>``, above both this store's
last and central's ``serial_floor``, so a rebuilt store never reuses one), the
PDF, the signed code, the ``cert_issued`` row and its ``certificate.issued``
outbox event.  A failed draw rolls everything back and gives the number back.
The PDF itself is never stored (income must not stay on the device): the
session holds it; a failed print is reprinted with :func:`reprint`, which
draws the same serial again from data fetched again.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from kiosk.certificates.data import CertData
from kiosk.certificates.document import build, find_template
from kiosk.certificates.render import RenderFailed, render_pdf, seal_image
from sync.certcode import make_code, verify_url
from sync.keys import sign
from sync.outbox import record
from sync.pull import reference_item, reference_items
from sync.state import all_state
from sync.store import Migration
from terminal import TerminalError
from terminal.pii import mask_name

MIGRATIONS = [
    Migration("certificates", 1, """
CREATE TABLE cert_issued (
    serial TEXT PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    employee_no TEXT NOT NULL,
    session_id TEXT NOT NULL,
    issued_on TEXT NOT NULL,          -- central's date, YYYY-MM-DD
    lang TEXT NOT NULL,
    template TEXT NOT NULL,           -- <id>@<version>
    text_hash TEXT NOT NULL,
    code TEXT NOT NULL,
    state TEXT NOT NULL,              -- issued | printed
    prints INTEGER NOT NULL DEFAULT 0,
    issued_wall REAL NOT NULL
);
CREATE INDEX cert_issued_employee ON cert_issued (employee_no, seq);
""", "issued certificates: serial, signed code and text hash (never the document or its data)"),
]


class CertificateRefused(TerminalError):
    """A certificate cannot be issued or reprinted (not enrolled, unknown serial, data changed since)."""


@dataclass(frozen=True)
class Issued:
    """One issued certificate: serial, kind, issued_on, code, url (in the QR), text_hash, pdf (bytes, memory only)."""

    serial: str
    kind: str
    issued_on: str
    code: str
    url: str
    text_hash: str
    pdf: bytes


def verify_base(conn) -> str:
    """The base URL the QR points at: central's ``config``/``kiosk`` ``verify_url``, else the enrolled central URL."""
    config = reference_item(conn, "config", "kiosk") or {}
    base = config.get("verify_url") or all_state(conn).get("central_url")
    if not isinstance(base, str) or not base:
        raise CertificateRefused("this terminal is not enrolled with central, so its certificates could not be "
                                 "verified; run 'terminal sync enroll'")
    return base


def template_for(conn, kind: str) -> dict:
    """The newest synced template of ``kind`` (raises kiosk.certificates.document.TemplateError)."""
    return find_template(reference_items(conn, "templates"), kind)


def issue(store, answer: CertData, *, session_id: str, lang: str = "zh", template: dict | None = None) -> Issued:
    """Issue one certificate from central's ``answer``: serial, PDF, code, record and event in one commit.

    ``lang`` is "zh" or "zh+en"; ``template`` defaults to the synced one for the kind.  Raises
    CertificateRefused (not enrolled), TemplateError, RenderFailed, SigningKeyUnavailable or
    OutboxError; then nothing was recorded and no serial was used.
    """
    conn = store.conn
    device_id = all_state(conn).get("device_id")
    if not device_id:
        raise CertificateRefused("this terminal is not enrolled with central; run 'terminal sync enroll'")
    template = template or template_for(conn, answer.kind)
    base = verify_base(conn)
    with store.write() as db:
        last = conn.execute("SELECT MAX(seq) FROM cert_issued").fetchone()[0] or 0
        seq = max(last, answer.serial_floor) + 1
        serial = f"{device_id}-{seq:06d}"
        made = _draw(conn, answer, template, lang, serial, device_id, base)
        db["cert_issued"].insert({
            "serial": serial, "seq": seq, "kind": answer.kind, "employee_no": answer.employee_no,
            "session_id": session_id, "issued_on": answer.as_of, "lang": lang,
            "template": f"{template.get('id')}@{template.get('version')}", "text_hash": made.text_hash,
            "code": made.code, "state": "issued", "prints": 0, "issued_wall": time.time()})
        record(db, "certificate.issued", {
            "session_id": session_id, "serial": serial, "kind": answer.kind, "employee_no": answer.employee_no,
            "holder": mask_name(str(answer.data.get("name") or "")) or "*", "issued_on": answer.as_of,
            "terminal": device_id, "text_hash": made.text_hash, "code": made.code,
            "template": f"{template.get('id')}@{template.get('version')}", "lang": lang},
            key=f"certificate.issued:{serial}")
    return made


def reprint(store, serial: str, answer: CertData, *, template: dict | None = None) -> Issued:
    """The same certificate again (same serial, date and code), for a failed or jammed print.

    ``answer`` is the data fetched again; it must draw the very text that was signed.  Raises
    CertificateRefused for an unknown serial, another employee or kind, or data that changed
    since (then a new certificate is needed); nothing is recorded here.
    """
    row = store.conn.execute("SELECT kind, employee_no, issued_on, lang, text_hash, code FROM cert_issued "
                             "WHERE serial = ?", (serial,)).fetchone()
    if row is None:
        raise CertificateRefused(f"no certificate {serial} was issued on this terminal")
    kind, employee_no, issued_on, lang, hashed, code = row
    if (kind, employee_no) != (answer.kind, answer.employee_no):
        raise CertificateRefused(f"certificate {serial} is a {kind} certificate of another request")
    device_id = serial.rsplit("-", 1)[0]
    again = CertData(kind, employee_no, issued_on, answer.serial_floor, answer.data)
    made = _draw(store.conn, again, template or template_for(store.conn, kind), lang, serial, device_id,
                 verify_base(store.conn), code=code)
    if made.text_hash != hashed:
        raise CertificateRefused(f"the data of certificate {serial} changed at central since it was issued; "
                                 f"issue a new certificate")
    return made


def printed(store, serial: str, session_id: str) -> int:
    """Record that ``serial``'s print job completed (state, count, ``certificate.printed`` event); the count."""
    with store.write() as db:
        row = store.conn.execute("SELECT kind, employee_no, code, prints FROM cert_issued WHERE serial = ?",
                                 (serial,)).fetchone()
        if row is None:
            raise CertificateRefused(f"no certificate {serial} was issued on this terminal")
        kind, employee_no, code, prints = row
        store.conn.execute("UPDATE cert_issued SET state = 'printed', prints = ? WHERE serial = ?",
                           (prints + 1, serial))
        record(db, "certificate.printed", {"session_id": session_id, "employee_no": employee_no, "kind": kind,
                                           "verification_code": code, "serial": serial},
               key=f"certificate.printed:{serial}:{prints + 1}")
    return prints + 1


def _draw(conn, answer: CertData, template: dict, lang: str, serial: str, device_id: str, base: str,
          *, code: str | None = None) -> Issued:
    doc = build(template, answer.data, lang=lang, serial=serial, issued_on=answer.as_of, terminal=device_id)
    hashed = doc.text_hash()
    code = code or make_code(answer.kind, answer.as_of, serial, hashed, functools.partial(sign, conn))
    url = verify_url(base, code)
    pdf, drawn = render_pdf(doc, url, seal_image(template, doc.company[0] if doc.company else ""))
    if drawn != doc.strings():
        raise RenderFailed("the renderer drew other text than the document holds; the code would not verify")
    return Issued(serial, answer.kind, answer.as_of, code, url, hashed, pdf)
