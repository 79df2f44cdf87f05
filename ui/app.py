"""The kiosk window: one QQuickView showing ui/qml/Main.qml, bound to a flow through :class:`ViewModel`.

Lockdown (``kiosk=True``): full screen without decorations, the window
refuses to close (Alt-F4 and the like), key chords and context-menu events
are swallowed, and the cursor is hidden (a touch screen has none).  The views
have no text fields, so there is no text to select and no context menu
anywhere.  Switching virtual terminals (Ctrl-Alt-Fn) is the compositor's:
run the kiosk under ``cage`` without ``-s``, which refuses VT switching.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QTranslator, QUrl
from PySide6.QtGui import QFont, QGuiApplication, QImage
from PySide6.QtQuick import QQuickView

from terminal import TerminalError
from ui import i18n
from ui.bridge import ViewModel

QML_MAIN = Path(__file__).resolve().parent / "qml" / "Main.qml"
# Debian's CJK fonts (apt-packages.txt): Noto CJK where installed, else WenQuanYi Micro Hei.
FONT_FAMILIES = ["Noto Sans CJK SC", "WenQuanYi Micro Hei", "DejaVu Sans"]
SIZE = (1280, 800)


def application(argv: list[str] | None = None) -> QGuiApplication:
    """The process's QGuiApplication (made once), with the kiosk's CJK-capable default font."""
    app = QGuiApplication.instance() or QGuiApplication(argv or ["terminal-kiosk"])
    font = QFont()
    font.setFamilies(FONT_FAMILIES)
    app.setFont(font)
    return app


class _Lockdown(QObject):
    """Event filter on the kiosk window: every press is a Touch for the idle timer; escapes are swallowed."""

    def __init__(self, on_press: Callable[[], None], locked: bool):
        super().__init__()
        self._on_press = on_press
        self._locked = locked

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind in (QEvent.MouseButtonPress, QEvent.TouchBegin):
            self._on_press()
        if not self._locked:
            return False
        if kind == QEvent.Close:
            event.ignore()  # Alt-F4, a compositor's close request: the kiosk stays
            return True
        if kind == QEvent.ContextMenu:
            return True
        if kind in (QEvent.KeyPress, QEvent.KeyRelease, QEvent.ShortcutOverride):
            return True  # no keyboard on a kiosk; a plugged-in one must not reach anything
        return False


class KioskWindow:
    """The kiosk's window bound to ``flow``; ``show()`` it, or ``grab(path)`` it offscreen.

    ``kiosk``: lockdown (full screen, no decorations, no escapes, no cursor).
    ``tick_s``: how often ``Tick(now)`` is sent (None: never; tests send their own).
    ``clock``: ``monotonic() -> float`` for the ticks (default time.monotonic).
    Raises TerminalError when the QML does not load (its errors are in the message).
    """

    def __init__(self, flow, *, size: tuple[int, int] = SIZE, kiosk: bool = False,
                 tick_s: float | None = 1.0, clock=None):
        self.app = application()
        self.flow = flow
        self.vm = ViewModel(flow)
        self.view = QQuickView()
        self.view.setResizeMode(QQuickView.SizeRootObjectToView)
        self.view.setColor("#f4f1ea")
        self._translator: QTranslator | None = None
        self._lang = None
        self.vm.langChanged.connect(self.set_language)
        self.set_language(self.vm.lang)
        self.warnings: list[str] = []  # QML's run-time warnings (a binding on undefined, ...): tests want none
        self.view.engine().warnings.connect(lambda errors: self.warnings.extend(e.toString() for e in errors))
        self.view.rootContext().setContextProperty("vm", self.vm)
        self.view.setSource(QUrl.fromLocalFile(str(QML_MAIN)))
        if self.view.status() != QQuickView.Ready:
            raise TerminalError("the kiosk screens did not load: "
                                + "; ".join(e.toString() for e in self.view.errors()))
        self.view.resize(*size)
        self._filter = _Lockdown(self._pressed, locked=kiosk)
        self.view.installEventFilter(self._filter)
        self.kiosk = kiosk
        if kiosk:
            self.view.setFlags(self.view.flags() | Qt.FramelessWindowHint | Qt.WindowStaysOnTopHint)
            self.app.setOverrideCursor(Qt.BlankCursor)
        self._clock = clock or time.monotonic
        self._timer = None
        if tick_s:
            self._timer = QTimer()
            self._timer.setInterval(int(tick_s * 1000))
            self._timer.timeout.connect(self._tick)
            self._timer.start()

    def _pressed(self) -> None:
        self.vm.touch()

    def _tick(self) -> None:
        from kiosk import events

        self.flow.handle(events.Tick(self._clock()))

    def set_language(self, lang: str) -> None:
        """Show every string in ``lang`` ('zh' | 'en'); unknown values fall back to zh."""
        lang = lang if lang in i18n.LANGS else "zh"
        if lang == self._lang:
            return
        translator = QTranslator()
        if not translator.load(str(i18n.compiled(lang))):
            raise TerminalError(f"the {lang} translation did not load")
        if self._translator is not None:
            self.app.removeTranslator(self._translator)
        self.app.installTranslator(translator)
        self._translator, self._lang = translator, lang
        self.view.engine().retranslate()

    def show(self) -> None:
        """Show the window: full screen in kiosk mode, else a normal window."""
        if self.kiosk:
            self.view.showFullScreen()
        else:
            self.view.show()

    def settle(self) -> None:
        """Let Qt apply every pending view change (queued signals, bindings, the Loader)."""
        for _ in range(3):
            self.app.processEvents()

    def grab(self, path: str | Path | None = None) -> QImage:
        """Render the window as it is now; save it as PNG to ``path`` when given."""
        self.settle()
        image = self.view.grabWindow()
        if path is not None and not image.save(str(path)):
            raise TerminalError(f"could not write {path}")
        return image

    def root(self):
        """The QML root item (tests walk it)."""
        return self.view.rootObject()

    def close(self) -> None:
        """Stop the tick timer and destroy the window (the QML models go with it)."""
        if self._timer:
            self._timer.stop()
        if self.kiosk:
            self.app.restoreOverrideCursor()
        self.view.removeEventFilter(self._filter)
        self.view.setSource(QUrl())
        self.view.destroy()
        if self._translator is not None:
            self.app.removeTranslator(self._translator)
