"""The kiosk's part of ``terminal demo --tour DIR``: one employee's whole visit, as numbered PNGs.

On the ID-card and modem simulators (in a scratch folder) with the real flow
and the real screens, offscreen at 1280x800: the card goes on the reader, the
SMS code is read from the simulated handset's inbox file and typed on the
keypad, the menu and "my records" open, the idle countdown appears and is
touched away; then one certificate (preview, print, a one-tap rating) and one
replacement badge (reason, the WeChat Pay QR, paid by the reference central's
simulated payer as ``terminal central pay ORDER`` does, the card's preview,
print); the employee taps "finish", the goodbye screen reminds them of their
card, and lifting it brings the attract screen back.  The services run against
the reference central (in this process, seeded as the demo's) and the IPP
printer simulators (ippeveprinter, A4 and CR80).  Time is a fake
clock moved by hand, so the tour takes seconds, not minutes.

The flow's quick in-between screens ("reading", "sending the code") are not
in the storyboard: they last only as long as the simulators take to answer;
``terminal kiosk --screenshots`` shows them.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from terminal import TerminalError


class TourStopped(TerminalError):
    """The kiosk tour did not reach a screen it expected; the message names the step and the screen shown."""


def kiosk_tour(out_dir, *, first: int = 1, lang: str = "zh") -> list[Path]:
    """Play the visit; write ``NN-kiosk-<step>.png`` (NN from ``first``) into ``out_dir``; return the paths.

    Raises TourStopped when a step does not lead where it should.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from drivers.idcard import IdCardSimulator
    from drivers.sms import ModemSimulator
    from kiosk.testing import PEOPLE, KioskRig
    from ui.app import KioskWindow
    from ui.driver import ScreenDriver

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    employee = PEOPLE["E1001"]  # the demo directory's made-up employee (masked on every screen)

    with tempfile.TemporaryDirectory(prefix="kiosk-tour-") as scratch:
        inbox = Path(scratch) / "sms-inbox.jsonl"
        with IdCardSimulator(Path(scratch) / "idcard.pty") as reader, \
                ModemSimulator(Path(scratch) / "modem", record=inbox) as modem:
            services = _Services(Path(scratch)).start()
            rig = KioskRig(scratch, reader, modem, store=services.store, seed=False, **services.devices())
            window = None
            try:
                rig.poll()
                window = KioskWindow(rig.flow, tick_s=None)
                window.show()
                screen = ScreenDriver(window)

                def shot(step: str, expect: str) -> None:
                    shown = screen.settle()
                    if shown.get("screen") != expect:
                        raise TourStopped(f"kiosk tour, step {step}: expected the {expect} screen, "
                                          f"the kiosk shows {shown.get('screen')}")
                    path = out / f"{first + len(written):02d}-kiosk-{step}.png"
                    window.grab(path)
                    written.append(path)

                _visit(screen, rig, services, inbox, employee, shot, lang)
            finally:
                if window is not None:
                    window.close()
                rig.close()
                services.close()
    return written


def _visit(screen, rig, services, inbox, employee, shot, lang: str) -> None:
    """The tour's steps: card, SMS code, menu, my records, idle warning, a certificate, a paid badge, goodbye."""
    if lang != "zh":
        screen.tap(f"lang_{lang}")
    shot("attract", "attract")
    rig.place(employee)
    shot("code-sent", "code_entry")
    code = _code_from_inbox(inbox)
    screen.type(code[:3])
    shot("typing-the-code", "code_entry")
    screen.type(code[3:])
    shot("menu", "menu")
    screen.tap("service_my_records")
    shot("my-records", "my_records")
    screen.tap("back")
    rig.advance(60)
    shot("still-there", "idle_warning")
    screen.tap("continue")
    _wait_menu(rig)
    screen.tap("service_cert_employment")
    shot("certificate-preview", "cert_preview")
    screen.tap("print")
    shot("certificate-printed", "rating")
    screen.tap("rate_satisfied")
    shot("rated", "rating")
    screen.tap("back")
    _wait_menu(rig)
    screen.tap("service_badge_replacement")
    shot("badge-why", "badge_reason")
    screen.tap("reason_lost")
    shot("badge-pay", "payment")
    services.pay(rig.view["reference"])            # the payer scans and pays (simulated)
    rig.advance(rig.flow.devices.badge_poll_s)
    shot("badge-preview", "badge_preview")
    screen.tap("print")
    shot("badge-printed", "rating")
    screen.tap("finish")
    shot("goodbye", "goodbye")
    rig.advance(3)
    shot("take-your-card", "card_left")
    rig.lift()
    shot("attract-again", "attract")


def _wait_menu(rig) -> None:
    """The menu with the services' answer in (inline runner: at once)."""
    v = rig.view
    if v.get("screen") != "menu" or any(t["reason_key"] == "service.checking" for t in v.get("services", [])):
        raise TourStopped(f"kiosk tour: expected the menu with its services, the kiosk shows {v.get('screen')}")


class _Services:
    """The reference central seeded as the demo's (uvicorn on a free loopback port, SQLite in ``scratch``),
    an enrolled kiosk store, and the A4 and CR80 printer simulators."""

    DEVICE = "KSK-TOUR-0001"

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.stack = []

    def start(self) -> "_Services":
        import socket
        import threading
        import time

        import uvicorn

        from drivers.printer import PrinterSimulator, open_printer
        from kiosk.certificates import data
        from sync.central.app import create_app
        from sync.central.demo import DATASETS
        from sync.central.orders import seed_demo_badges
        from sync.central.reference import to_item
        from sync.central.routes.certdata import seed_demo_certdata
        from sync.central.routes.photo import seed_demo_photos
        from sync.central.server import server_config
        from sync.central.storage import open_storage
        from sync.enrolment import enroll_store
        from sync.pull import Puller
        from sync.store import open_store
        from terminal.migrations import all_migrations

        self.storage = open_storage(str(self.scratch / "central.db"))
        key = self.storage.deployment_key()
        for dataset, lines in DATASETS.items():
            self.storage.load_reference(dataset, [to_item(dataset, dict(x), deployment_key=key) for x in lines])
        seed_demo_certdata(self.storage)
        seed_demo_badges(self.storage)
        seed_demo_photos(self.storage, [p["employee_no"] for p in DATASETS["directory"]])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(server_config(create_app(self.storage), log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise TourStopped("kiosk tour: the reference central did not start")
            time.sleep(0.01)
        self.store = open_store(self.scratch / "kiosk.db", all_migrations())
        enroll_store(self.store, self.DEVICE, self.url, self.storage.create_token(self.DEVICE, ttl_s=600))
        client = data.client_for(self.store)
        try:
            data.fetch(client, "employment", "E1001")     # central publishes the terminal's key with its answer
            Puller(self.store).pull_all(client)      # the directory too: the sample cards are the demo's people
        finally:
            client.close()
        self.a4 = PrinterSimulator(media="a4")
        self.cr80 = PrinterSimulator(media="cr80")
        self.printer = open_printer({"uri": self.a4.uri}, media="a4", name="printer", poll_interval_s=0.05)
        self.badge_printer = open_printer({"uri": self.cr80.uri}, media="cr80", name="badge_printer",
                                          poll_interval_s=0.05)
        return self

    def devices(self) -> dict:
        """KioskRig keyword arguments: the printers and this terminal's id."""
        from types import SimpleNamespace

        from sync.client import fetch_photo

        sync = SimpleNamespace(sync=SimpleNamespace(ca_bundle="", connect_timeout_s=5.0, read_timeout_s=10.0))
        return {"printers": {"printer": self.printer, "badge_printer": self.badge_printer},
                "device_id": self.DEVICE, "badge_poll_s": 2.0,
                "fetch_photo": lambda employee_no: fetch_photo(self.store, sync, employee_no)}

    def pay(self, order_id: str) -> None:
        """What 'terminal central pay ORDER' does: the simulated payer pays the order."""
        from sync.central.orders import pay

        pay(self.storage, order_id)

    def forward(self) -> None:
        """Send the kiosk's recorded events to central now, as 'terminal sync run --once' does."""
        from types import SimpleNamespace

        from sync.forwarder import Forwarder
        from sync.settings import SYNC

        settings = SimpleNamespace(**{k: v.default for k, v in SYNC.settings.items()})
        settings.drain_start_jitter_s = 0.0
        Forwarder(self.store, settings, device_id=self.DEVICE).run(once=True)

    def close(self) -> None:
        for closing in (self.printer.close, self.badge_printer.close, self.a4.close, self.cr80.close):
            try:
                closing()
            except Exception:   # the others must still close
                pass
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.storage.close()


def _code_from_inbox(inbox: Path) -> str:
    """The 6-digit code in the newest message the simulated handset received."""
    try:
        last = inbox.read_text(encoding="utf-8").splitlines()[-1]
        return re.search(r"\b\d{6}\b", json.loads(last)["text"]).group()
    except (OSError, IndexError, ValueError, KeyError, AttributeError):
        raise TourStopped(f"kiosk tour: no code in the simulated inbox {inbox}") from None
