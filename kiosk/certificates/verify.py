"""Check a certificate offline: its QR code's signature against the terminals' public keys, and its text.

A PDF is checked the way its reader sees it: the page is rasterised
(``pdftoppm``, Debian's poppler-utils) and its QR read (zxing-cpp); the code's
signature is checked against the known keys; then the PDF's visible text
(``pdftotext -raw``, drawing order) must hash to the code's text hash, so a
changed name, date or amount shows even when the QR was left alone.

Outcomes (:class:`Outcome`); ``exit_code`` is what ``terminal cert verify`` returns:

==================  ====  ===================================================
``valid``           0     signed by a known terminal, text unchanged
``changed_field``   1     a field of the code was edited
``forged``          1     the signature is not that terminal's
``text_changed``    1     the PDF's text is not the text that was signed
``malformed``       1     the QR holds no certificate code of ours
``unknown_key``     3     signed by a terminal whose key is not known: not issued by us
(cannot check)      2     unreadable file, no QR found, no keys: :class:`CannotCheck`
==================  ====  ===================================================

Revocation is central's to say: the line names the page that tells.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sync import certcode
from sync.certcode import CertCode, CodeInvalid, check_code, keys_from_items, text_hash
from terminal import TerminalError

RASTER_DPI = 200           # a 33 mm QR of 57 modules gets ~4.6 px a module: zxing reads it at once
TOOL_TIMEOUT_S = 30.0
MAX_PDF_BYTES = 20 * 1024 * 1024
EXIT = {"valid": 0, certcode.UNKNOWN_KEY: 3}


class CannotCheck(TerminalError):
    """The certificate could not be checked at all (unreadable file, no QR, no keys, a tool missing)."""

    exit_code = 2


@dataclass(frozen=True)
class Outcome:
    """What a check found: ``reason`` ("valid" or a sync.certcode reason), a one-line ``message``, the code's fields."""

    reason: str
    message: str
    code: CertCode | None = None
    url: str = ""

    @property
    def exit_code(self) -> int:
        """0 valid, 3 unknown key, 1 any other refusal."""
        return EXIT.get(self.reason, 1)

    def as_dict(self) -> dict:
        """JSON-ready: reason, message, valid, and the code's kind, issued_on, serial, terminal when read."""
        out = {"valid": self.reason == "valid", "reason": self.reason, "message": self.message}
        if self.code is not None:
            out.update(kind=self.code.kind, issued_on=self.code.issued_on.isoformat(), serial=self.code.serial,
                       terminal=self.code.terminal)
        if self.url:
            out["url"] = self.url
        return out


def load_keys(path: str | Path) -> dict[str, list[str]]:
    """Terminal keys from a file: a JSON list of ``terminal_keys`` items, ``{"keys": [...]}`` (central's
    ``/verify/keys.json``), or JSON lines.  Raises :class:`CannotCheck` naming the file and the fix."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise CannotCheck(f"{path}: cannot read the keys file ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        doc = json.loads(text)
        items = doc.get("keys") if isinstance(doc, dict) else doc
    except json.JSONDecodeError:
        try:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        except json.JSONDecodeError:
            raise CannotCheck(f"{path}: not JSON; save central's /verify/keys.json there") from None
    keys = keys_from_items(items if isinstance(items, list) else [])
    if not keys:
        raise CannotCheck(f"{path}: holds no terminal keys (items with device_id and public_key)")
    return keys


def store_keys(conn) -> dict[str, list[str]]:
    """Terminal keys from the ``terminal_keys`` dataset synced into this terminal's store."""
    from sync.pull import reference_items

    return keys_from_items(reference_items(conn, "terminal_keys"))


def check_text(qr_text: str, keys: dict[str, list[str]]) -> Outcome:
    """Check a scanned QR text (the URL or the bare code) against ``keys``."""
    try:
        code = check_code(qr_text, keys)
    except CodeInvalid as exc:
        return Outcome(exc.reason, str(exc), _fields_or_none(qr_text))
    return Outcome("valid", _valid_line(code), code, _url(qr_text))


def check_pdf(path: str | Path, keys: dict[str, list[str]]) -> Outcome:
    """Check a certificate PDF: its QR's code, then its visible text against the code's text hash.

    Raises :class:`CannotCheck` when the file cannot be read, holds no QR, or a tool is missing.
    """
    path = Path(path)
    qr_texts = [t for t in read_qr_texts(path) if certcode.URL_PATH in t or t.startswith("CV")]
    if not qr_texts:
        raise CannotCheck(f"{path}: no certificate QR code found on its first page")
    outcome = check_text(qr_texts[0], keys)
    if outcome.reason != "valid":
        return outcome
    if text_hash(pdf_text(path)) != outcome.code.text_hash:
        return Outcome(certcode.TEXT_CHANGED, f"{certcode.TEXT_CHANGED}: the PDF's text is not the text that was "
                                              f"signed: it was changed after issue ({outcome.code.serial})",
                       outcome.code, outcome.url)
    return outcome


def read_qr_texts(path: Path) -> list[str]:
    """The texts of the QR codes on the PDF's first page (rasterised at RASTER_DPI)."""
    import zxingcpp
    from PIL import Image

    png = _tool(["pdftoppm", "-r", str(RASTER_DPI), "-gray", "-png", "-f", "1", "-l", "1", str(_pdf(path))],
                path)
    image = Image.open(io.BytesIO(png))
    return [r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def pdf_text(path: Path) -> str:
    """The PDF's text in drawing order (``pdftotext -raw``)."""
    return _tool(["pdftotext", "-raw", "-enc", "UTF-8", str(_pdf(path)), "-"], path).decode("utf-8", "replace")


def _pdf(path: Path) -> Path:
    try:
        with path.open("rb") as fh:
            head = fh.read(1024)
        size = path.stat().st_size
    except OSError as exc:
        raise CannotCheck(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if b"%PDF-" not in head:
        raise CannotCheck(f"{path}: not a PDF file; give the certificate's PDF or the text its QR holds")
    if size > MAX_PDF_BYTES:
        raise CannotCheck(f"{path}: {size} bytes is far larger than any certificate; not checked")
    return path


def _tool(argv: list[str], path: Path) -> bytes:
    if shutil.which(argv[0]) is None:
        raise CannotCheck(f"{argv[0]} is missing: install Debian's poppler-utils to check PDFs "
                          f"(or check the QR text instead)")
    try:
        done = subprocess.run(argv, capture_output=True, timeout=TOOL_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        raise CannotCheck(f"{path}: {argv[0]} took longer than {TOOL_TIMEOUT_S:g} s; the file is damaged") from None
    if done.returncode != 0 or not done.stdout:
        raise CannotCheck(f"{path}: {argv[0]} cannot read it (a damaged PDF?)")
    return done.stdout


def _fields_or_none(text: str) -> CertCode | None:
    try:
        return certcode.parse_code(text)[0]
    except CodeInvalid:
        return None


def _url(text: str) -> str:
    text = text.strip()
    return text if text.startswith(("http://", "https://")) else ""


def _valid_line(code: CertCode) -> str:
    return (f"valid: {code.kind} certificate {code.serial} issued {code.issued_on.isoformat()} by terminal "
            f"{code.terminal}, text unchanged")
