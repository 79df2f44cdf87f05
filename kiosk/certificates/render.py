"""Draw a certificate as an A4 PDF with Qt's own PDF engine (QPdfWriter), in memory.

Why Qt (figures from ``python -m bench certificates``): PySide6 is already the
kiosk's UI toolkit, so it adds no dependency, and it rendered the same page in
about 10 ms against fpdf2's 250 ms (fpdf2 parses the 5 MB CJK font collection
again for every document); both embed only the glyphs used (a subset: ~45 KB
PDFs, far under the 300 KB target) with a ToUnicode map, so the text stays
searchable and checkable.  Qt needs a QGuiApplication: the kiosk has one; a
command or test gets an offscreen one from :func:`ensure_qt` (main thread).

Every string is drawn in :meth:`Document.strings` order, as its own text run,
so ``pdftotext -raw`` gives back the text the verification code hashed.  The
seal and the QR are images (not text).
"""

from __future__ import annotations

import base64
import io
import os
import threading
from pathlib import Path

from kiosk.certificates.document import Document
from terminal import TerminalError

DPI = 300
PAGE_PX = (2480, 3508)            # A4 at 300 dpi
MARGIN = 236                      # 20 mm
QR_PX = 390                       # 33 mm square
SEAL_PX = 472                     # 40 mm across, as a company seal
FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
              "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
              "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")

_lock = threading.Lock()
_family: list[str] = []


class RenderFailed(TerminalError):
    """The certificate could not be drawn (no CJK font, no Qt); the message names the fix."""


def ensure_qt():
    """The running QGuiApplication, or a new offscreen one (call from the main thread); RenderFailed without Qt."""
    try:
        from PySide6.QtGui import QGuiApplication
    except ImportError as exc:                       # pragma: no cover - PySide6 is a dependency
        raise RenderFailed(f"PySide6 is not installed ({exc}); reinstall with 'make'") from None
    app = QGuiApplication.instance()
    if app is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QGuiApplication(["terminal-certificates"])
    return app


def cjk_font_file() -> Path:
    """The first CJK font of FONT_FILES present (Debian fonts-noto-cjk or fonts-wqy-microhei); RenderFailed else."""
    for name in FONT_FILES:
        if Path(name).is_file():
            return Path(name)
    raise RenderFailed("no CJK font: install Debian's fonts-wqy-microhei (or fonts-noto-cjk); 'make' does")


def font_family() -> str:
    """The CJK font's family name, loaded into Qt once per process."""
    with _lock:
        if not _family:
            from PySide6.QtGui import QFontDatabase

            ensure_qt()
            font_id = QFontDatabase.addApplicationFont(str(cjk_font_file()))
            families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
            if not families:
                raise RenderFailed(f"Qt cannot load the font {cjk_font_file()}; reinstall the font package")
            _family.append(families[0])
        return _family[0]


def qr_image(text: str):
    """The QR (level M) of ``text`` as a 1-bit QImage, 8 px a module, no quiet zone."""
    import segno
    from PySide6.QtGui import QImage

    png = io.BytesIO()
    segno.make(text, error="m", boost_error=False).save(png, kind="png", scale=8, border=0)
    return QImage.fromData(png.getvalue()).convertToFormat(QImage.Format.Format_Mono)


def seal_image(template: dict, company: str):
    """The seal: the template's ``seal_png_b64`` (central's real seal), else the demo's own drawing."""
    from PySide6.QtGui import QImage

    png = template.get("seal_png_b64")
    if isinstance(png, str) and png:
        image = QImage.fromData(base64.b64decode(png))
        if not image.isNull():
            return image
    from kiosk.certificates.seal import demo_seal

    return demo_seal(company, font_family())


def render_pdf(doc: Document, qr_text: str, seal) -> tuple[bytes, list[str]]:
    """(the PDF bytes, the strings drawn in order) of ``doc`` with the QR of ``qr_text`` and ``seal`` (a QImage).

    Raises :class:`RenderFailed` when Qt or the font is missing.
    """
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen
    from PySide6.QtCore import QMarginsF

    family = font_family()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4), QPageLayout.Orientation.Portrait,
                                     QMarginsF(0, 0, 0, 0)))
    writer.setResolution(DPI)
    writer.setTitle(" ".join(doc.title[:1]) + " " + doc.serial_line.split()[-1].split("：")[-1])
    writer.setCreator("service-terminals kiosk")
    painter = QPainter(writer)
    # Lossless: Qt would otherwise JPEG the QR (blurred modules) and the seal.
    painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)
    drawn: list[str] = []
    width = PAGE_PX[0] - 2 * MARGIN
    left = MARGIN

    def font(pt: float):
        f = QFont(family)
        f.setPointSizeF(pt)
        return f

    def measure(s: str, pt: float, w: float = width) -> float:
        painter.setFont(font(pt))
        return painter.boundingRect(QRectF(0, 0, w, 4000), int(Qt.TextFlag.TextWordWrap), s).height()

    def text(y: float, s: str, pt: float, flags=Qt.AlignmentFlag.AlignLeft, x: float = left, w: float = width,
             color: str = "#111111") -> float:
        """Draw ``s`` wrapped in a box from (x, y), ``w`` wide; return the y below it."""
        painter.setFont(font(pt))
        painter.setPen(QColor(color))
        wrap = int(flags) | int(Qt.TextFlag.TextWordWrap)
        box = painter.boundingRect(QRectF(x, y, w, 4000), wrap, s)
        painter.drawText(QRectF(x, y, w, box.height()), wrap, s)
        drawn.append(s)
        return y + box.height()

    center = Qt.AlignmentFlag.AlignHCenter
    y = MARGIN
    for i, line in enumerate(doc.company):
        y = text(y, line, 12 if i == 0 else 9, center, color="#444444")
    painter.setPen(QPen(QColor("#8a1c1c"), 5))
    painter.drawLine(left, int(y + 30), left + width, int(y + 30))
    y += 110
    for i, line in enumerate(doc.title):
        y = text(y, line, 26 if i == 0 else 14, center) + 20
    y = text(y + 10, doc.serial_line, 9.5, Qt.AlignmentFlag.AlignRight, color="#444444") + 90
    for paragraph in doc.paragraphs:
        y = text(y, paragraph, 12.5) + 60
    y = _rows(text, painter, doc, y, left, width)
    for line in doc.closing:
        y = text(y + 10, line, 12.5) + 20
    _bottom_band(text, measure, painter, doc, y, left, width, seal, qr_text)
    if not painter.end():
        raise RenderFailed("Qt could not finish the PDF")
    buffer.close()
    return bytes(data.data()), drawn


def _bottom_band(text, measure, painter, doc: Document, y: float, left: float, width: float, seal,
                 qr_text: str) -> None:
    """The QR and its caption (left), issuer, date and seal (right) and the notes, below ``y``."""
    from PySide6.QtCore import QRectF, Qt

    center = Qt.AlignmentFlag.AlignHCenter
    # The bottom band: the QR and its caption on the left, the issuer, date and seal on the right,
    # the notes under both.  It sits at the foot of the page, or under the text when that is longer.
    notes_h = sum(measure(line, 7.5) + 8 for line in doc.note)
    band = max(y + 80, PAGE_PX[1] - MARGIN - notes_h - 60 - QR_PX - 150)
    block_x, block_w = left + width * 0.5, width * 0.5
    y2 = band + 60
    for line in doc.signature:
        y2 = text(y2, line, 12, center, x=block_x, w=block_w) + 16
    seal_y = band + 60 + (y2 - band - 60) / 2 - SEAL_PX / 2
    painter.drawImage(QRectF(block_x + block_w / 2 - SEAL_PX / 2 - 60, seal_y, SEAL_PX, SEAL_PX), seal)
    yc = band + QR_PX + 24
    for line in doc.verify_caption:
        yc = text(yc, line, 9, x=left, w=width * 0.45, color="#333333") + 6
    yn = max(yc, y2, seal_y + SEAL_PX) + 40
    for line in doc.note:
        yn = text(yn, line, 7.5, center, color="#666666") + 8
    painter.drawImage(QRectF(left, band, QR_PX, QR_PX), qr_image(qr_text))


def _rows(text, painter, doc: Document, y: float, left: float, width: float) -> float:
    """The label/value table, or the contributions table, from y; returns the y below."""
    from PySide6.QtCore import QLineF
    from PySide6.QtGui import QColor, QPen

    painter.setPen(QPen(QColor("#999999"), 2))
    if doc.rows:
        label_w = width * 0.34
        for label, value in doc.rows:
            below_label = text(y + 18, label, 11, x=left + 20, w=label_w - 40, color="#444444")
            below_value = text(y + 18, value, 11.5, x=left + label_w, w=width - label_w - 20)
            y = max(below_label, below_value, y + 90) + 18       # a wrapped label makes the row taller
            painter.setPen(QPen(QColor("#bbbbbb"), 2))
            painter.drawLine(QLineF(left, y, left + width, y))
        y += 50
    if doc.table:
        widths = [0.26, 0.19, 0.19, 0.14, 0.22]
        for r, row in enumerate(doc.table):
            x, bottom = left, y
            for c, cell in enumerate(row):
                w = width * widths[c]
                bottom = max(bottom, text(y + 16, cell, 9.5 if r == 0 else 10.5, x=x + 12, w=w - 24,
                                          color="#444444" if r == 0 else "#111111"))
                x += w
            y = max(bottom + 16, y + 80)
            painter.setPen(QPen(QColor("#bbbbbb"), 2))
            painter.drawLine(QLineF(left, y, left + width, y))
        y += 50
    return y
