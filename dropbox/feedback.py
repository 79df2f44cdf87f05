"""What the person at the box sees and hears: status LEDs, buzzer, a small display's text, receipts.

Each feedback name of dropbox.machine maps to an LED pattern, a buzzer pattern and a display text
(:data:`SIGNALS`).  The display is a file the display's own service shows (written atomically);
receipts go through ``open_receipt`` on a worker thread, so a slow or empty printer never holds the
slot or the camera loop.

>>> r = drop_receipt("CLM-2026-0001", "ENV-0A1B2C3D4E5F6789", "DBX-SHA-0001", 1764500000.0, width=32)
>>> [item[1] for item in r.items if item[0] == "text"][1:3]
['Claim              CLM-2026-0001', 'Box                 DBX-SHA-0001']
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

from drivers.receipt.document import Receipt
from dropbox import machine as m
from terminal.logs import get_logger

log = get_logger(__name__)

# feedback name -> (LED pattern, buzzer pattern, display text); {claim} and {message} are filled in.
SIGNALS = {
    m.FB_READY: ("ok", "off", "Hold the QR code of your reimbursement form to the camera."),
    m.FB_DROP_NOW: ("attention", "ok", "Claim {claim} accepted: drop the envelope into the slot now."),
    m.FB_RECEIVED: ("ok", "ok", "Envelope for claim {claim} received. Thank you."),
    m.FB_NO_DROP: ("attention", "attention", "No envelope was seen, so the slot has locked again. "
                                             "Scan the form again to retry."),
    m.FB_REFUSED: ("error", "error", "{message}"),
    m.FB_FAULT: ("error", "error", "Out of order: the slot sensor is blocked. Please use another box."),
    m.FB_COLLECT: ("attention", "ok", "Collection authorised: take the manifest, open the door, empty the box."),
    m.FB_ALARM: ("error", "error", "Alarm recorded."),
}


def local_time(wall: float) -> str:
    """``wall`` unix seconds as the box's local ``YYYY-MM-DD HH:MM:SS``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(wall))


def drop_receipt(claim_id: str, envelope_id: str, box_id: str, wall: float, *, width: int = 42) -> Receipt:
    """The receipt after a drop: claim id, envelope id, box and time (no personal data)."""
    r = Receipt(width=width).title("报销信封回执 RECEIPT")
    r.pair("Claim", claim_id).pair("Box", box_id).pair("Envelope", envelope_id).pair("Time", local_time(wall))
    r.rule().line("Keep this slip until the claim is paid.", align="center")
    return r.cut()


def batch_digest(claim_ids) -> str:
    """12 hex digits of the SHA-256 of the claim ids (one per line, in order): the manifest's fingerprint."""
    return hashlib.sha256("\n".join(claim_ids).encode()).hexdigest()[:12].upper()


def batch_qr(batch_id: str, box_id: str, claim_ids) -> str:
    """The manifest's QR text (QR alphanumeric set): ``DBB1.<batch>.<box>.<count>.<digest>``.

    Central's feed lists the batch's claims; the digest lets a courier's scanner check the paper against it.

    >>> batch_qr("BAT-20261130-0A1B2C3D", "DBX-SHA-0001", ["CLM-1", "CLM-2"])
    'DBB1.BAT-20261130-0A1B2C3D.DBX-SHA-0001.2.1B3F50462450'
    """
    return f"DBB1.{batch_id}.{box_id}.{len(claim_ids)}.{batch_digest(claim_ids)}"


def manifest(batch, box_id: str, *, width: int = 42) -> Receipt:
    """The courier's manifest for a :class:`dropbox.journal.CollectedBatch`: batch id, count, claim ids, batch QR."""
    r = Receipt(width=width).title("取件清单 MANIFEST")
    r.pair("Batch", batch.id).pair("Box", box_id).pair("Collected", local_time(batch.collected_at))
    r.pair("Envelopes", str(batch.count)).rule()
    for n, (claim, envelope) in enumerate(zip(batch.claim_ids, batch.envelope_ids), 1):
        r.pair(f"{n:>3}. {claim}", envelope)
    if not batch.count:
        r.line("(the box was empty)", align="center")
    r.rule().qr(batch_qr(batch.id, box_id, batch.claim_ids), size=5)
    r.line("Courier signature:").line("").line("_" * min(30, width))
    return r.cut()


class Feedback:
    """Shows feedback names on the board's LEDs and buzzer and on the display file; prints receipts.

    ``gpio`` is the open DropBoxGpio; ``display_path`` the display's file ("" for none);
    ``receipt_section`` the ``[receipt]`` section (None: no printer).  Device failures are logged,
    never raised: feedback must not stop the box.
    """

    def __init__(self, gpio, *, display_path: str = "", receipt_section=None):
        self.gpio = gpio
        self.display_path = Path(display_path) if display_path else None
        self.receipt_section = receipt_section
        self.shown = ""            # the last display text (tests and the storyboard read it)
        self.printed: list[str] = []  # kinds of receipts sent ok
        self._printing: list[threading.Thread] = []

    def show(self, what: str, *, claim: str = "", message: str = "") -> str:
        """Signal feedback ``what`` (a dropbox.machine FB_* name); returns the display text."""
        leds, buzz, text = SIGNALS[what]
        text = text.format(claim=claim, message=message)
        try:
            self.gpio.leds.show(leds)
            self.gpio.buzzer.sound(buzz)
        except Exception as exc:  # a closed board at shutdown, a pin fault: logged, never fatal
            log.warning("dropbox.feedback_failed", what=what, error=repr(exc))
        self.shown = text
        if self.display_path is not None:
            try:
                tmp = self.display_path.with_name(self.display_path.name + ".tmp")
                tmp.write_text(text + "\n", encoding="utf-8")
                os.replace(tmp, self.display_path)
            except OSError as exc:
                log.warning("dropbox.display_failed", path=str(self.display_path), error=exc.strerror)
        return text

    def print(self, kind: str, receipt: Receipt, *, wait: bool = False) -> None:
        """Print ``receipt`` on a worker thread (``wait``: join it); ``kind`` names it in the log."""
        if self.receipt_section is None:
            return
        worker = threading.Thread(target=self._print, args=(kind, receipt), name=f"dropbox-print-{kind}",
                                  daemon=True)
        self._printing = [t for t in self._printing if t.is_alive()] + [worker]
        worker.start()
        if wait:
            worker.join()

    def _print(self, kind: str, receipt: Receipt) -> None:
        from drivers.errors import DeviceError
        from drivers.receipt import open_receipt

        try:
            with open_receipt(self.receipt_section) as printer:
                printer.print(receipt)
            self.printed.append(kind)
        except DeviceError as exc:
            log.warning("dropbox.print_failed", kind=kind, error=str(exc))

    def wait_printed(self, timeout_s: float = 10.0) -> None:
        """Wait for receipts being printed, at most ``timeout_s`` seconds each."""
        for worker in list(self._printing):
            worker.join(timeout_s)
