"""No personal data survives a visit: after every exit path the ID number, phone and name are in no live
Python object, no temporary file, no log record, no outbox event and no view the flow ever published."""

from __future__ import annotations

import glob
import json
import logging
import os
import tempfile

import pytest

from drivers.idcard.idnumber import check_digit
from kiosk import events as ev
from kiosk.face import FaceResult
from kiosk.testing import PEOPLE, KioskRig, Person, grep_files, live_objects_holding, sim_card


def secret_person() -> Person:
    """Someone whose data appears nowhere in the test's source: built at run time."""
    first17 = "".join(str(d) for d in (4, 4, 0, 3, 0, 5, 1, 9, 7, 3, 0, 3, 1, 5, 4, 2, 7))
    phone = "1" + "".join(str(d) for d in (3, 9, 0, 7, 5, 5, 2, 4, 6, 8))
    return Person("E7001", first17 + check_digit(first17), "".join(map(chr, (0x4FDD, 0x5BC6, 0x7532))), phone,
                  first17[6:14])


class JournalLines(logging.Handler):
    """What journald would get: every record at DEBUG through the service's own mask and JSON formatter."""

    def __init__(self):
        from terminal.logs import JsonLines, MaskPersonalData
        super().__init__(logging.DEBUG)
        self.addFilter(MaskPersonalData())
        self.setFormatter(JsonLines())
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


def holding(reversed_needles, texts) -> list[str]:
    """The texts that contain a needle (given reversed, turned round only here)."""
    needles = [n[::-1] for n in reversed_needles]
    return [t[:120] for t in texts if any(n in t for n in needles)]


class FaceDouble:
    def __init__(self, reference, script):
        self.reference, self.script = bytearray(reference), list(script)

    def check(self, frames):
        return self.script.pop(0)

    def wipe(self):
        self.reference[:] = bytes(len(self.reference))


def _exit(rig, code):
    rig.type(code)
    rig.send(ev.Exit())
    rig.advance(3)


def _idle(rig, code):
    rig.type(code[:3])
    rig.advance(60)
    rig.advance(10)


def _swap(rig, code):
    rig.type(code)
    rig.lift()
    rig.place(PEOPLE["E1002"])
    rig.modem.messages.clear()
    rig.send(ev.Exit())


def _reader_fault(rig, code):
    rig.type(code)
    rig.sim.inject("silent", command=None)
    rig.poll()
    rig.sim.clear_faults()


def _service_desk(rig, code):
    rig.send(ev.FallbackChosen("service_desk"))


def _face_denied(rig, code):
    rig.type(code)
    rig.send(ev.TryAgain(), ev.TryAgain(), ev.Exit())


def _shutdown(rig, code):
    rig.type(code[:2])
    rig.flow.close()


def _identify_error(rig, code):
    assert rig.view["screen"] == "unknown_person"
    rig.send(ev.Back())


PATHS = {"identify_error": _identify_error, "exit": _exit, "idle": _idle, "card_swap": _swap, "reader_fault": _reader_fault,
         "service_desk": _service_desk, "face_denied": _face_denied, "shutdown": _shutdown}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_nothing_personal_survives_an_exit_path(tmp_path, idcard_sim, modem_sim, camera_sim, path):
    from drivers.camera.scene import write_scene
    person = secret_person()
    reversed_needles = (person.id_number[::-1], person.phone[::-1], person.name[::-1])
    raw = JournalLines()
    root = logging.getLogger()
    root.handlers.insert(0, raw)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    write_scene(tmp_path / "scene", frames=3, resolution=(160, 120))
    known = [PEOPLE["E1002"]] if path == "identify_error" else [person, PEOPLE["E1002"]]
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, people=known,
                   kiosk={"face_check": path == "face_denied", "after_face_failures": "deny"},
                   camera=camera_sim(tmp_path / "scene", resolution=(160, 120), loop=True),
                   fetch_photo=lambda employee_no: b"photo",
                   matcher_factory=lambda ref: FaceDouble(ref, [FaceResult(False, "no_match", 0.9)] * 3))
    try:
        rig.poll()
        if path == "service_desk":
            modem_sim.set_fault("no-sim")
        idcard_sim.place(sim_card(person))
        del person, known
        rig.poll()
        if path != "identify_error":
            assert live_objects_holding(*reversed_needles)   # the search does find the visit's data ...
            visit_dir = rig.flow.session.temp_dir()   # ... and the visit's temporary directory exists
            assert os.path.isdir(visit_dir)
        code = rig.last_code() if modem_sim.messages else "000000"
        modem_sim.messages.clear()           # the handset, not the kiosk: its copy goes
        PATHS[path](rig, code)
        idcard_sim.lift()
        if path != "shutdown":
            rig.poll()
        assert rig.flow.session is None
        # This visit's folder is gone (checked by name: other tests' flows may use the same temp dir).
        if path != "identify_error":
            assert not os.path.exists(visit_dir)
        # After the exit nothing is left anywhere (live objects first: the checks below turn the needles round):
        assert live_objects_holding(*reversed_needles) == []
        assert holding(reversed_needles, raw.lines) == []
        assert holding(reversed_needles, [json.dumps(v, ensure_ascii=False) for v in rig.views]) == []
        for table in ("sync_outbox", "kiosk_otp", "kiosk_lock", "kiosk_history"):
            dump = json.dumps(rig.store.conn.execute(f"SELECT * FROM {table}").fetchall(), default=repr,
                              ensure_ascii=False)
            assert holding(reversed_needles, [dump]) == [], table
        files = [f for f in grep_files(tmp_path, *[n[::-1] for n in reversed_needles])
                 if not f.endswith((".db", ".db-wal", "inbox.jsonl"))]   # the synced directory; the handset
        assert files == []
    finally:
        root.handlers.remove(raw)
        root.setLevel(old_level)
        rig.close()


def test_wipe_blanks_the_card_even_where_another_reference_holds_it(tmp_path, idcard_sim, modem_sim):
    rig = KioskRig(tmp_path, idcard_sim, modem_sim)
    try:
        rig.poll()
        rig.place(PEOPLE["E1001"])
        card = rig.flow.session.card
        rig.send(ev.Exit())
        assert card.id_number == "" and card.name == "" and card.photo_wlt == b"" and card.birth_date is None
    finally:
        rig.close()
