"""Drive the kiosk's screens as a person would: find a touch target by name and tap it.

The end-to-end tests and the demo tour use this, so both go through the same
QML a person touches (mouse press and release at the item's centre), never
around it.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtQuick import QQuickItem
from PySide6.QtTest import QTest

from terminal import TerminalError
from ui import layout


class ScreenDriver:
    """Taps and reads a :class:`ui.app.KioskWindow`."""

    def __init__(self, window):
        self.window = window

    def settle(self) -> dict:
        """Apply pending view changes (and render, so layouts are final); return the view shown."""
        self.window.grab()
        return self.window.vm.current()

    def find(self, name: str) -> QQuickItem:
        """The visible item called ``name`` (objectName); TerminalError naming what is there when absent."""
        self.settle()
        found = [i for i in layout._items(self.window.root()) if i.objectName() == name and layout._shown(i)]
        if not found:
            names = sorted({i.objectName() for i in layout._items(self.window.root())
                            if i.objectName() and layout._shown(i)})
            raise TerminalError(f"no visible {name!r} on {self.window.vm.screen!r}; there are {names}")
        return found[0]

    def tap(self, name: str) -> dict:
        """Tap the centre of the visible item ``name``; return the view after it."""
        item = self.find(name)
        centre = item.mapToScene(item.boundingRect().center())
        QTest.mouseClick(self.window.view, Qt.LeftButton, Qt.NoModifier, QPoint(int(centre.x()), int(centre.y())))
        return self.settle()

    def type(self, digits: str) -> dict:
        """Tap each key of ``digits`` on the keypad."""
        view = {}
        for d in digits:
            view = self.tap(f"key_{d}")
        return view

    def texts(self) -> list[str]:
        """Every text a person sees now."""
        self.settle()
        return [t for _, t in layout.texts(self.window.root())]
