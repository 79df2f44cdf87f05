"""The kiosk's part of ``terminal demo --tour DIR``: one employee's whole visit, as numbered PNGs.

On the ID-card and modem simulators (in a scratch folder) with the real flow
and the real screens, offscreen at 1280x800: the card goes on the reader, the
SMS code is read from the simulated handset's inbox file and typed on the
keypad, the menu and "my records" open, the idle countdown appears and is
touched away, the employee taps "finish", the goodbye screen reminds them of
their card, and lifting it brings the attract screen back.  Time is a fake
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
            rig = KioskRig(scratch, reader, modem)
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
                screen.tap("finish")
                shot("goodbye", "goodbye")
                rig.advance(3)
                shot("take-your-card", "card_left")
                rig.lift()
                shot("attract-again", "attract")
            finally:
                if window is not None:
                    window.close()
                rig.close()
    return written


def _code_from_inbox(inbox: Path) -> str:
    """The 6-digit code in the newest message the simulated handset received."""
    try:
        last = inbox.read_text(encoding="utf-8").splitlines()[-1]
        return re.search(r"\b\d{6}\b", json.loads(last)["text"]).group()
    except (OSError, IndexError, ValueError, KeyError, AttributeError):
        raise TourStopped(f"kiosk tour: no code in the simulated inbox {inbox}") from None
