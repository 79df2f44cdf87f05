"""The demo's own company seal: a red ring, a star and the company's name on an arc, marked DEMO.

A real deployment sends its seal as ``seal_png_b64`` in the template; this
drawing is only for the demo and the tests (no real seal is reproduced).  It
is a raster image, so its characters are not part of the PDF's text.
"""

from __future__ import annotations

import math


def demo_seal(company: str, family: str, size: int = 480):
    """A ``size`` x ``size`` QImage (transparent, red) of a round seal for ``company``, drawn with font ``family``."""
    from PySide6.QtCore import QPointF, QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen, QPolygonF

    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    red = QColor(205, 25, 25, 175)    # translucent: the name and date stay readable under it
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    c = size / 2
    p.setPen(QPen(red, size * 0.03))
    p.drawEllipse(QPointF(c, c), c * 0.92, c * 0.92)
    star = QPolygonF([QPointF(c + (c * 0.24 if i % 2 == 0 else c * 0.095) * math.sin(i * math.pi / 5),
                              c - (c * 0.24 if i % 2 == 0 else c * 0.095) * math.cos(i * math.pi / 5))
                      for i in range(10)])
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(red)
    p.drawPolygon(star)
    name = (company or "示例公司")[:16]
    font = QFont(family)
    font.setPixelSize(int(size * 0.1))
    p.setFont(font)
    p.setPen(red)
    spread = min(250.0, 18.0 * len(name) + 40)            # degrees of the arc the name covers
    for i, ch in enumerate(name):
        angle = -spread / 2 + spread * (i + 0.5) / len(name)
        p.save()
        p.translate(c, c)
        p.rotate(angle)
        p.drawText(QRectF(-size * 0.06, -c * 0.82, size * 0.12, size * 0.13), int(Qt.AlignmentFlag.AlignCenter), ch)
        p.restore()
    font.setPixelSize(int(size * 0.065))
    p.setFont(font)
    p.drawText(QRectF(0, c + c * 0.3, size, size * 0.09), int(Qt.AlignmentFlag.AlignCenter), "证明专用章")
    font.setPixelSize(int(size * 0.05))
    p.setFont(font)
    p.drawText(QRectF(0, c + c * 0.5, size, size * 0.07), int(Qt.AlignmentFlag.AlignCenter), "DEMO 演示")
    p.end()
    return image
