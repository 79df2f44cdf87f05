"""A printable A4 reimbursement form (PDF) with its form code, for the demo.

Drawn with Pillow on a 150 dpi A4 page (1240 x 1754 pixels) and saved as a
one-page PDF.  The QR's modules are 6 pixels (1 mm) so a drop-box camera
reads it from a hand's length; the claim fields are printed beside it for
the person, and the claim id again under the code for the courier.
"""

from __future__ import annotations

from pathlib import Path

from terminal import TerminalError

DPI = 150
PAGE = (1240, 1754)          # A4 (210 x 297 mm) at 150 dpi
MODULE_PX = 6                # 1.0 mm per QR module
MARGIN = 110
FONTS = ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
         "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
         "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

STEPS = ("1. Put the receipts in an envelope and write the claim id on it.",
         "2. Hold this page's code up to the drop box's camera.",
         "3. When the slot opens (green light), drop the envelope in.",
         "4. Keep this page: the box prints a receipt if it has a printer.")


class FormPdfError(TerminalError):
    """The form could not be written (the message names the file)."""


def amount_text(cents: int) -> str:
    """Whole cents as yuan with two decimals: ``12850`` -> ``"CNY 128.50"``."""
    return f"CNY {cents // 100:,}.{cents % 100:02d}"


def render_form(path: str | Path, issued) -> Path:
    """Write the form for ``issued`` (a :class:`sync.central.signing.IssuedForm`) to ``path`` as a PDF.

    Returns the path; raises :class:`FormPdfError` when the file cannot be written.
    """
    import segno
    from PIL import Image, ImageDraw

    page = Image.new("L", PAGE, 255)
    draw = ImageDraw.Draw(page)
    title, text, small = _font(54), _font(34), _font(26)
    claim = issued.claim
    draw.text((MARGIN, MARGIN), "Reimbursement claim form", font=title, fill=0)
    draw.text((MARGIN, MARGIN + 78), "报销单 · drop-box submission", font=text, fill=80)
    draw.line((MARGIN, MARGIN + 140, PAGE[0] - MARGIN, MARGIN + 140), fill=0, width=3)

    qr = segno.make(issued.text, error="m", micro=False)
    symbol = _qr_image(qr)
    top = MARGIN + 190
    page.paste(symbol, (PAGE[0] - MARGIN - symbol.width, top))
    draw.text((PAGE[0] - MARGIN - symbol.width + 24, top + symbol.height + 6), str(claim["id"]), font=small, fill=0)

    rows = [("Claim", str(claim["id"])), ("Employee no.", str(claim.get("employee_no", ""))),
            ("Amount", amount_text(int(claim.get("amount_cents", 0)))),
            ("Description", str(claim.get("description", ""))[:60]),
            ("Issued", issued.issued.isoformat()), ("Signed by key", issued.key_id)]
    y = top
    for label, value in rows:
        draw.text((MARGIN, y), label, font=small, fill=90)
        draw.text((MARGIN, y + 32), value, font=text, fill=0)
        y += 92
    y = max(y, top + symbol.height + 60) + 40
    draw.line((MARGIN, y, PAGE[0] - MARGIN, y), fill=0, width=2)
    for step in STEPS:
        y += 56
        draw.text((MARGIN, y), step, font=small, fill=0)
    draw.text((MARGIN, PAGE[1] - MARGIN), f"form code {issued.text[:24]}... (QR version {qr.version}, level M)",
              font=_font(20), fill=120)
    path = Path(path)
    try:
        page.save(path, "PDF", resolution=DPI)
    except OSError as exc:
        raise FormPdfError(f"cannot write the form to {path}: {exc.strerror or exc}") from None
    return path


def _qr_image(qr):
    """The QR as a Pillow image (segno writes PNG; its Pillow plug-in is not installed)."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=MODULE_PX, border=4)
    buffer.seek(0)
    return Image.open(buffer).convert("L")


def _font(size: int):
    from PIL import ImageFont

    for candidate in FONTS:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    return ImageFont.load_default(size=size)
