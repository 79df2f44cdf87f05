"""The flow's face step: pass, fail x3 (SMS only / deny), no face, two faces, photo unavailable,
and face-only as the fallback when SMS is down.

The FaceMatcher here is a test double that answers from a script: the flow
is under test, not face recognition (kiosk.face has its own tests).  The
camera is the real CameraSimulator playing frames from a folder.
"""

from __future__ import annotations

import pytest

from drivers.camera.scene import write_scene
from kiosk import events as ev
from kiosk.face import FaceResult, ReferenceUnusable
from kiosk.settings import KIOSK
from kiosk.testing import PEOPLE, KioskRig

GOOD = PEOPLE["E1001"]
PHOTO = b"\x89PNG hr photo of E1001"


class ScriptedMatcher:
    """Answers check() with the next scripted FaceResult; records the frames it was given and its wipe."""

    made: list = []

    def __init__(self, reference: bytes, script):
        self.reference = bytearray(reference)
        self.script = list(script)
        self.frame_counts: list[int] = []
        self.wiped = False
        ScriptedMatcher.made.append(self)

    def check(self, frames):
        self.frame_counts.append(len(frames))
        return self.script.pop(0)

    def wipe(self):
        self.reference[:] = bytes(len(self.reference))
        self.wiped = True


def face_rig(tmp_path, idcard_sim, modem_sim, camera_sim, script, *, photo=PHOTO, **kiosk):
    scene = tmp_path / "scene"
    write_scene(scene, frames=4, resolution=(320, 240))
    asked = []

    def fetch_photo(employee_no):
        asked.append(employee_no)
        if isinstance(photo, Exception):
            raise photo
        return photo

    def factory(reference):
        if reference == b"not a picture":
            raise ReferenceUnusable("the HR photo is not a readable JPEG or PNG picture")
        return ScriptedMatcher(reference, script)

    rig = KioskRig(tmp_path, idcard_sim, modem_sim, kiosk={"face_check": True, **kiosk},
                   camera=camera_sim(scene, resolution=(320, 240), loop=True), fetch_photo=fetch_photo,
                   matcher_factory=factory)
    rig.asked = asked
    rig.poll()
    return rig


@pytest.fixture
def make(tmp_path, idcard_sim, modem_sim, camera_sim):
    made = []

    def build(script, **options):
        ScriptedMatcher.made = []
        r = face_rig(tmp_path, idcard_sim, modem_sim, camera_sim, script, **options)
        made.append(r)
        return r

    yield build
    for r in made:
        r.close()


def to_face(rig):
    rig.place(GOOD)
    return rig.type(rig.last_code())


def test_a_matching_face_verifies_sms_plus_face(make):
    rig = make([FaceResult(True, "match", 0.31)])
    v = to_face(rig)
    assert v["screen"] == "menu"
    assert rig.asked == ["E1001"]
    matcher = ScriptedMatcher.made[0]
    assert matcher.frame_counts == [KIOSK.settings["face_frames"].default] and matcher.wiped and rig.flow.session.matcher is None
    kinds = {t: p for t, p in rig.events()}
    assert kinds["kiosk.face_checked"] == {"session_id": kinds["kiosk.verified"]["session_id"],
                                           "employee_no": "E1001", "ok": True, "reason": "match", "attempt": 1,
                                           "distance": 0.31}
    assert kinds["kiosk.verified"]["method"] == "sms+face"


@pytest.mark.parametrize("reason", ["no_face", "two_faces", "not_live", "no_match"])
def test_a_failed_check_says_why_and_tries_again(make, reason):
    rig = make([FaceResult(False, reason), FaceResult(True, "match", 0.3)])
    v = to_face(rig)
    assert (v["screen"], v["text"], v["face_attempts_left"]) == ("face_capture", f"face_capture.{reason}", 2)
    assert rig.send(ev.TryAgain())["screen"] == "menu"


def test_three_failures_fall_back_to_sms_only_when_configured(make):
    rig = make([FaceResult(False, "no_match", 0.7)] * 3, after_face_failures="sms_only")
    to_face(rig)
    rig.send(ev.TryAgain())
    v = rig.send(ev.TryAgain())
    assert v["screen"] == "menu"
    assert [p["method"] for t, p in rig.events() if t == "kiosk.verified"] == ["sms"]
    assert [p["attempt"] for t, p in rig.events() if t == "kiosk.face_checked"] == [1, 2, 3]


def test_three_failures_deny_when_configured(make):
    rig = make([FaceResult(False, "no_match", 0.7)] * 3, after_face_failures="deny")
    to_face(rig)
    rig.send(ev.TryAgain())
    v = rig.send(ev.TryAgain())
    assert (v["screen"], v["text"], v["face_attempts_left"]) == ("face_failed", "face_failed.denied", 0)
    assert rig.send(ev.TryAgain())["screen"] == "face_failed"          # no fourth try
    assert [p["reason"] for t, p in rig.events() if t == "kiosk.verification_failed"] == ["face_denied"]
    assert not [t for t, _ in rig.events() if t == "kiosk.verified"]
    rig.send(ev.Exit())
    assert rig.flow.session is None and ScriptedMatcher.made[0].wiped


@pytest.mark.parametrize("photo, policy, screen, text", [
    (ConnectionError("central unreachable"), "sms_only", "menu", "menu"),
    (ConnectionError("central unreachable"), "deny", "face_failed", "face_failed.photo_unavailable"),
    (b"not a picture", "deny", "face_failed", "face_failed.photo_unavailable"),
], ids=["down_sms_only", "down_deny", "unusable_photo"])
def test_no_hr_photo_follows_the_policy(make, photo, policy, screen, text):
    rig = make([], photo=photo, after_face_failures=policy)
    v = to_face(rig)
    assert (v["screen"], v["text"]) == (screen, text)


def test_face_only_is_the_fallback_when_sms_is_down(make):
    rig = make([FaceResult(True, "match", 0.28)], face_check=False)
    rig.modem.set_fault("no-sim")
    v = rig.place(GOOD)
    assert v["screen"] == "sms_unavailable" and v["fallbacks"] == ["face_only", "service_desk"]
    v = rig.send(ev.FallbackChosen("face_only"))
    assert v["screen"] == "menu"
    assert [p["method"] for t, p in rig.events() if t == "kiosk.verified"] == ["face"]


def test_face_only_three_failures_deny_whatever_the_policy(make):
    rig = make([FaceResult(False, "no_match", 0.8)] * 3, face_check=False, after_face_failures="sms_only")
    rig.modem.set_fault("no-sim")
    rig.place(GOOD)
    rig.send(ev.FallbackChosen("face_only"), ev.TryAgain(), ev.TryAgain())
    assert (rig.view["screen"], rig.view["text"]) == ("face_failed", "face_failed.denied")


def test_idle_on_the_face_screen_ends_the_visit_and_wipes_the_matcher(make):
    rig = make([FaceResult(False, "no_face")])
    to_face(rig)
    assert rig.advance(60)["screen"] == "idle_warning"
    rig.advance(10)
    assert rig.flow.session is None and ScriptedMatcher.made[0].wiped
    assert not any(ScriptedMatcher.made[0].reference)
