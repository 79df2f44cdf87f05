"""What a person would see wrong on a screen, found by walking the QML items.

:func:`problems` lists, for the screen a :class:`ui.app.KioskWindow` shows:
text that is a message id (an untranslated string), text cut short or
outside the window, two texts drawn over each other, and touch targets
smaller than ``min_target`` px.  The screenshot command prints them and the
tests assert there are none, at 1280x800, 1920x1080 and 800x480.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Q_ARG, Q_RETURN_ARG, QMetaObject, QRectF
from PySide6.QtQuick import QQuickItem

# A message id: dotted lower-case words (attract, reader_fault.unplugged, ui.key.ok).
MESSAGE_ID = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
# Texts that are device output for the technician and may be cut short by design.
ELIDED_OK = {"log_line", "health_summary", "health_device"}


def _items(item: QQuickItem):
    yield item
    for child in item.childItems():
        yield from _items(child)


def _shown(item: QQuickItem) -> bool:
    while item is not None:
        if not item.isVisible() or item.opacity() == 0:
            return False
        item = item.parentItem()
    return True


def _painted(root: QQuickItem, item: QQuickItem) -> QRectF:
    """The scene rectangle the text's glyphs cover, from Main.qml's paintedRect (PySide cannot read
    QQuickText's alignment enums)."""
    value = QMetaObject.invokeMethod(root, "paintedRect", Q_RETURN_ARG("QVariant"), Q_ARG("QVariant", item))
    if hasattr(value, "toVariant"):  # a JS array arrives as a QJSValue
        value = value.toVariant()
    x, y, w, h = (float(n) for n in value)
    return QRectF(x, y, w, h)


def texts(root: QQuickItem) -> list[tuple[QQuickItem, str]]:
    """Every visible, non-empty Text item under ``root`` with its text."""
    out = []
    for item in _items(root):
        if type(item).__name__ == "QQuickText" or item.metaObject().className().startswith("QQuickText"):
            text = item.property("text")
            if text and _shown(item):
                out.append((item, str(text)))
    return out


def problems(root: QQuickItem, size: tuple[int, int], *, min_target: int, ids: set[str] = frozenset()) -> list[str]:
    """Human-readable problems of the screen under ``root`` drawn at ``size`` (width, height).

    ``ids``: the known message ids; a visible text equal to one is untranslated.
    """
    found = []
    window = QRectF(0, 0, *size)
    shown = texts(root)
    rects = []
    for item, text in shown:
        name = item.objectName()
        if text in ids or (MESSAGE_ID.fullmatch(text) and "." in text):
            found.append(f"untranslated text {text!r}")
        if item.property("truncated") and name not in ELIDED_OK:
            found.append(f"text cut short: {text!r}")
        rect = _painted(root, item)
        if not window.contains(rect.adjusted(1, 1, -1, -1)):
            found.append(f"text outside the window: {text!r} at {rect.getRect()}")
        rects.append((rect, text))
    for i, (a, ta) in enumerate(rects):
        for b, tb in rects[i + 1:]:
            overlap = a.intersected(b)
            if overlap.width() > 2 and overlap.height() > 2:
                found.append(f"texts overlap: {ta!r} and {tb!r}")
    for item in _items(root):
        if item.metaObject().className().startswith("QQuickMouseArea") and _shown(item) \
                and item.property("enabled") and item.objectName() != "technicianCorner":
            if min(item.width(), item.height()) < min_target:
                found.append(f"touch target {item.width():.0f}x{item.height():.0f} px is below {min_target} px "
                             f"({item.parentItem().objectName() or type(item.parentItem()).__name__})")
    return found
