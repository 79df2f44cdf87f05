"""The QObject that binds QML views to a flow: the view model out, touches in.

A *flow* is anything with ``view() -> dict``, ``subscribe(callback)`` and
``handle(event)`` (``kiosk.flow.KioskFlow``, or ``ui.fixtures.FixedFlow`` for
screenshots).  The flow may call ``callback`` on any thread: the bridge
re-emits it as a queued Qt signal and reads ``view()`` on the Qt thread, so
QML only ever sees the view model from the thread that draws it.

Views only show state and forward touches: every slot below builds one
``kiosk.events`` event and hands it to ``flow.handle``; none decides anything.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Property, QObject, Qt, Signal, Slot


# screen id -> the QML file (ui/qml/screens/<name>.qml) that draws it.  The six identify errors,
# the SMS/face/lock problems and goodbye share one message page: headline, next step, buttons.
PAGES = {
    "attract": "Attract", "reading": "Busy", "sms_sending": "Busy",
    "unknown_person": "Message", "employee_left": "Message", "card_expired": "Message",
    "invalid_id": "Message", "card_left": "Message", "reader_fault": "Message",
    "code_locked": "Message", "face_failed": "Message", "goodbye": "Message",
    "sms_unavailable": "Message",
    "code_entry": "CodeEntry", "technician_pin": "CodeEntry",
    "face_capture": "FaceCapture", "menu": "Menu", "my_records": "Records",
    "idle_warning": "IdleWarning", "technician": "Technician",
    # part 2: the services
    "preparing": "Busy", "printing": "Busy", "cert_preview": "Preview", "badge_preview": "Preview",
    "badge_reason": "Choice", "payment": "Payment", "print_failed": "Message", "service_failed": "Message",
    "refund_requested": "Message", "rating": "Rating", "not_provisioned": "Message",
}
SCREENS = tuple(PAGES)


def _events():
    from kiosk import events  # lazily: the screenshot command runs before any flow exists

    return events


class ViewModel(QObject):
    """The view model as Qt properties (``screen``, ``page``, ``lang``, ``text``, ``view``) plus one slot per touch.

    ``view`` is the whole dict (a QVariantMap in QML: ``vm.view.masked_phone``).
    ``changed`` fires after every new view; ``langChanged`` when the language
    changes (the app then swaps its translator and retranslates).
    """

    changed = Signal()
    langChanged = Signal(str)
    _arrived = Signal()  # a new view: always queued, so QML never loses the item whose touch caused it
    _wake = Signal()     # events wait in the flow (sent from a device thread): pump them on the Qt thread

    def __init__(self, flow, parent: QObject | None = None):
        super().__init__(parent)
        self._flow = flow
        self._view: dict[str, Any] = {}
        self._arrived.connect(self.refresh, Qt.QueuedConnection)
        flow.subscribe(lambda _view=None: self._arrived.emit())
        if hasattr(flow, "set_waker"):  # KioskFlow processes events on the thread that built it: this one
            self._wake.connect(flow.pump, Qt.QueuedConnection)
            flow.set_waker(self._wake.emit)
        self.refresh()

    # -- out: the view model --------------------------------------------------------------------
    @Slot()
    def refresh(self) -> None:
        """Read ``flow.view()`` and notify QML (Qt thread only)."""
        view = dict(self._flow.view())
        old_lang = self._view.get("lang")
        self._view = view
        self.changed.emit()
        if view.get("lang") != old_lang:
            self.langChanged.emit(view.get("lang", "zh"))

    def current(self) -> dict[str, Any]:
        """The view model QML is showing (a copy)."""
        return dict(self._view)

    def _screen(self) -> str:
        return self._view.get("screen", "attract")

    def _page(self) -> str:
        return PAGES.get(self._screen(), "Message")

    def _lang(self) -> str:
        return self._view.get("lang", "zh")

    def _text(self) -> str:
        return self._view.get("text", self._screen())

    def _whole(self) -> dict:
        return self._view

    screen = Property(str, _screen, notify=changed)
    page = Property(str, _page, notify=changed)
    lang = Property(str, _lang, notify=changed)
    text = Property(str, _text, notify=changed)
    view = Property("QVariantMap", _whole, notify=changed)

    # -- in: touches, each one event ------------------------------------------------------------
    def send(self, event) -> None:
        """Hand ``event`` to the flow (never blocks: the flow queues it)."""
        self._flow.handle(event)

    @Slot()
    def touch(self) -> None:
        """Any press on the screen (it keeps the visit from going idle)."""
        self.send(_events().Touch())

    @Slot(str)
    def key(self, key: str) -> None:
        """Keypad: '0'..'9', 'back' or 'ok'."""
        self.send(_events().KeyPressed(key))

    @Slot(str)
    def chooseLanguage(self, lang: str) -> None:
        """The language switch: 'zh' or 'en'."""
        self.send(_events().LanguageChosen(lang))

    @Slot()
    def resend(self) -> None:
        """Code entry: send the SMS code again (the flow enforces the cooldown)."""
        self.send(_events().ResendPressed())

    @Slot(str)
    def fallback(self, fallback_id: str) -> None:
        """SMS unavailable: take the fallback ``fallback_id`` ('face_only' or 'service_desk')."""
        self.send(_events().FallbackChosen(fallback_id))

    @Slot(str)
    def service(self, service_id: str) -> None:
        """Menu: open the service ``service_id`` (a certificate kind, a badge, my records)."""
        self.send(_events().ServiceChosen(service_id))

    @Slot()
    def tryAgain(self) -> None:
        """Face screen: check the face again after a failed attempt."""
        self.send(_events().TryAgain())

    @Slot()
    def technicianGesture(self) -> None:
        """The hidden technician gesture was made (five taps in the corner)."""
        self.send(_events().TechnicianGesture())

    @Slot()
    def selftest(self) -> None:
        """Technician screen: run the selftest."""
        self.send(_events().SelftestPressed())

    @Slot(str)
    def chooseReason(self, reason: str) -> None:
        """badge_reason: 'lost' or 'damaged'."""
        self.send(_events().ReasonChosen(reason))

    @Slot()
    def printIt(self) -> None:
        """Preview: print; print_failed: print the same document again."""
        self.send(_events().PrintPressed())

    @Slot(str)
    def rate(self, rating: str) -> None:
        """The one-tap rating: 'satisfied', 'neutral' or 'unsatisfied'."""
        self.send(_events().RatingChosen(rating))

    @Slot()
    def back(self) -> None:
        """Back to the previous screen (the menu, in a service)."""
        self.send(_events().Back())

    @Slot()
    def exit(self) -> None:
        """End the visit now (every exit path wipes the session)."""
        self.send(_events().Exit())
