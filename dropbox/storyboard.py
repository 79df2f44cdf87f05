"""The drop box's part of ``terminal demo --tour DIR``: one envelope drop and one collection, as pictures.

:func:`dropbox_tour` runs a real agent on the simulators in a scratch folder -- the camera shows a
signed form, the simulated person drops the envelope, the receipt prints, then a courier's code
prints the manifest -- and writes numbered storyboard images into ``out_dir``: what the camera saw,
the drop receipt and the manifest, as the receipt simulator rendered them.

    >>> paths = dropbox_tour("/tmp/tour", first=7)     # doctest: +SKIP
    >>> [p.name for p in paths]                         # doctest: +SKIP
    ['07-dropbox-form-in-view.png', '08-dropbox-receipt.png', '09-dropbox-manifest.png']
"""

from __future__ import annotations

import datetime
import json
import shutil
import tempfile
import threading
from pathlib import Path

from terminal import TerminalError

BOX_ID = "DBX-DEMO-0001"
CLAIM = {"id": "CLM-2026-0001", "employee_no": "E1001", "amount_cents": 12850, "status": "awaiting_envelope"}
TIMEOUT_S = 30.0


class TourFailed(TerminalError):
    """The drop-box tour did not reach its receipt or manifest; the message says which step stopped."""


def dropbox_tour(out_dir, *, first: int = 1, timeout_s: float = TIMEOUT_S) -> list[Path]:
    """Play one drop and one collection; write ``first``-numbered PNGs into ``out_dir`` and return their paths.

    Takes a few seconds (the simulated person, the lock's cool-down).  Raises :class:`TourFailed`
    when a step has not happened within ``timeout_s`` seconds.
    """
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from drivers.camera import open_camera
    from drivers.camera.scene import write_qr, write_scene
    from drivers.gpio import open_gpio
    from drivers.receipt import ReceiptSimulator
    from dropbox.agent import Agent
    from dropbox.feedback import Feedback
    from terminal.migrations import all_migrations
    from dropbox.settings import dropbox_values
    from sync import codes
    from sync.state import set_state
    from sync.store import open_store

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()   # the tour's own central key: nothing outside the scratch folder
    form = codes.sign_form(key, CLAIM["id"], CLAIM["employee_no"], CLAIM["amount_cents"], datetime.date.today())
    collection = codes.sign_collection(key, BOX_ID, 4_102_444_800)
    with tempfile.TemporaryDirectory(prefix="dropbox-tour-") as scratch:
        root = Path(scratch)
        camera_dir, staging = root / "camera", root / "staging"
        write_scene(camera_dir, frames=2)
        with open_store(root / "terminal.db", all_migrations()) as store, \
                ReceiptSimulator(out_dir=root / "receipts") as printer, \
                open_gpio({"backend": "sim", "sim_drop_after_unlock_s": 0.4, "lock_cooldown_s": 0}) as gpio, \
                open_camera({"backend": "sim", "sim_source": str(camera_dir), "fps": 30}) as camera:
            with store.write() as db:
                db.conn.executemany("INSERT INTO sync_ref_items (dataset, id, data) VALUES (?, ?, ?)",
                                    [("keys", "central", json.dumps(codes.key_item(key.public_key()))),
                                     ("claims", CLAIM["id"], json.dumps(CLAIM))])
                set_state(db.conn, "clock_offset", 0.0)   # as if central had measured the clock
            agent = Agent(store, dropbox_values({"window_s": 3.0}), box_id=BOX_ID, gpio=gpio, camera=camera,
                          feedback=Feedback(gpio, receipt_section={"backend": "sim", "uri": printer.uri}))
            shown: dict[str, Path] = {}
            trouble: list[str] = []

            def visitors():
                # Only files change here: the store stays on the agent's thread.
                try:
                    for step, payload, jobs in (("drop", form, 1), ("collection", collection, 2)):
                        for old in camera_dir.glob("qr-*.png"):
                            old.unlink()
                        staged = write_qr(staging, payload)
                        shown[step] = Path(shutil.copy(staged, root / f"{step}.png"))   # kept for the picture
                        staged.replace(camera_dir / staged.name)
                        try:
                            printer.wait_for_jobs(jobs, timeout_s=timeout_s)
                        except TimeoutError:
                            trouble.append(f"the {step} printed nothing within {timeout_s:g} s")
                            return
                finally:
                    agent.stop.set()

            agent.start()
            person = threading.Thread(target=visitors, name="tour-visitors", daemon=True)
            person.start()
            agent.run(timeout_s=2 * timeout_s + 5)
            agent.close()
            person.join(timeout=5)
            if trouble:
                raise TourFailed(f"drop-box tour: {trouble[0]} (display said: {agent.feedback.shown!r})")
            jobs = printer.wait_for_jobs(2, timeout_s=timeout_s)
            names = ["dropbox-form-in-view", "dropbox-receipt", "dropbox-manifest"]
            sources = [shown["drop"], root / "receipts" / f"job-{jobs[0].number:04d}.png",
                       root / "receipts" / f"job-{jobs[1].number:04d}.png"]
            written = []
            for n, (name, source) in enumerate(zip(names, sources)):
                target = out / f"{first + n:02d}-{name}.png"
                shutil.copyfile(source, target)
                written.append(target)
    return written
