"""End to end through the screens: the real flow on the ID-card and modem simulators (and the
reference central for transport = central), every step taken by tapping the QML a person touches.

Each test also reads what the screen shows: the right message in words, and never an ID number, a
full phone number or a full name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import events as ev
from kiosk.testing import PEOPLE, KioskRig, grep_files, live_objects_holding, module_constants, sim_card

GOOD = PEOPLE["E1001"]
OTHER = PEOPLE["E1002"]


class UiRig:
    """A KioskRig (flow, store, simulators, fake time) shown in a KioskWindow and driven by taps."""

    def __init__(self, rig: KioskRig, size=(1280, 800)):
        from ui.app import KioskWindow
        from ui.driver import ScreenDriver

        self.rig, self.size = rig, size
        self.window = KioskWindow(rig.flow, size=size, tick_s=None)
        self.window.show()
        self.screen = ScreenDriver(self.window)

    def rebind(self):
        """After rig.restart(): a new window on the new flow, as a restarted kiosk process would have."""
        self.window.close()
        self.__init__(self.rig, self.size)

    @property
    def view(self) -> dict:
        return self.screen.settle()

    def place(self, person_or_card) -> dict:
        self.rig.place(person_or_card)
        return self.view

    def lift(self) -> dict:
        self.rig.lift()
        return self.view

    def advance(self, seconds: float) -> dict:
        self.rig.advance(seconds)
        return self.view

    def tap(self, name: str) -> dict:
        return self.screen.tap(name)

    def shows(self, words: str) -> bool:
        return any(words in t for t in self.screen.texts())

    def assert_no_personal_data_on_screen(self, *people):
        shown = "\n".join(self.screen.texts())
        for p in people:
            for secret in (p.id_number, p.phone, p.name):
                if secret:
                    assert secret not in shown, f"{secret!r} on {self.view['screen']}"

    def close(self):
        self.window.close()


@pytest.fixture
def ui(tmp_path, idcard_sim, modem_sim, qapp):
    rig = KioskRig(tmp_path, idcard_sim, modem_sim, kiosk={"technician_pin_hash": _pin_hash("246810")})
    rig.poll()
    u = UiRig(rig)
    yield u
    u.close()
    rig.close()


def _pin_hash(pin: str) -> str:
    from kiosk.secret import hash_pin
    return hash_pin(pin)


def _to_code_entry(ui, person=GOOD):
    v = ui.place(person)
    assert v["screen"] == "code_entry", v
    return v


def _to_menu(ui, person=GOOD):
    _to_code_entry(ui, person)
    v = ui.screen.type(ui.rig.last_code())
    assert v["screen"] == "menu", v
    return v


# -- a good card -------------------------------------------------------------------------------------

def test_a_good_card_from_attract_to_menu_records_and_goodbye(ui):
    assert ui.view["screen"] == "attract" and ui.shows("请将身份证放在读卡区")
    _to_code_entry(ui)
    assert ui.shows("请输入 6 位短信验证码") and ui.shows("已发送到 138****8001，5 分钟内有效")
    ui.assert_no_personal_data_on_screen(GOOD)
    code = ui.rig.last_code()
    assert ui.screen.type(code[:3])["digits_entered"] == 3
    assert ui.tap("key_back")["digits_entered"] == 2
    v = ui.screen.type(code[2:])
    assert v["screen"] == "menu" and ui.shows("测**，您好！请选择服务")
    assert ui.tap("service_my_records")["screen"] == "my_records"
    assert ui.shows("身份核验") and ui.shows("已通过")        # this visit's verification, translated
    assert ui.tap("back")["screen"] == "menu"
    assert ui.tap("finish")["screen"] == "goodbye" and ui.shows("请记得取回您的身份证")
    assert ui.advance(3)["screen"] == "card_left"
    assert ui.lift()["screen"] == "attract"
    ui.assert_no_personal_data_on_screen(GOOD)


def test_the_language_switch_changes_every_word(ui):
    ui.tap("lang_en")
    assert ui.view["lang"] == "en" and ui.shows("Place your ID card on the reader")
    _to_code_entry(ui)
    assert ui.shows("Sent to 138****8001, valid for 5 minutes")
    assert ui.rig.modem.messages[-1].text.startswith("Your kiosk code")


# -- each identify error -----------------------------------------------------------------------------

@pytest.mark.parametrize("card, screen, words", [
    (sim_card(id_number="110105197007070023", name="陌生人"), "unknown_person", "未找到您的员工信息"),
    (sim_card(PEOPLE["E1009"]), "employee_left", "您的员工档案已停用"),
    (sim_card(GOOD, valid_from="20050101", valid_to="20251231"), "card_expired", "身份证已过有效期"),
    (sim_card(GOOD, valid_from="20270101", valid_to="20370101"), "card_expired", "身份证尚未生效"),
    (sim_card(id_number="110105197007070024"), "invalid_id", "证件号码无效"),
], ids=["unknown_person", "employee_left", "expired", "not_yet_valid", "invalid_id"])
def test_each_identify_error_says_what_to_do_next(ui, card, screen, words):
    v = ui.place(card)
    assert v["screen"] == screen and ui.shows(words)
    assert ui.shows("服务台")                                   # what to do next
    assert ui.tap("choice_back")["screen"] == "card_left" and ui.shows("如果是您的，请取走")  # still there
    assert ui.lift()["screen"] == "attract"


def test_a_card_left_on_the_reader_from_the_last_person(ui):
    _to_menu(ui)
    ui.tap("finish")
    v = ui.advance(3)
    assert v["screen"] == "card_left" and ui.shows("读卡区上有一张身份证")
    ui.assert_no_personal_data_on_screen(GOOD)


@pytest.mark.parametrize("act, words", [
    ("unplugged", "读卡器未连接"), ("sam", "读卡器安全模块故障"), ("silent", "读卡器没有响应")])
def test_each_reader_fault_has_its_screen(ui, act, words):
    _to_code_entry(ui)
    v = ui.rig.send(ev.ReaderFault(act, "test"))
    assert ui.view["screen"] == "reader_fault" and ui.shows(words) and ui.shows("请到服务台办理")
    ui.assert_no_personal_data_on_screen(GOOD)


# -- the code ----------------------------------------------------------------------------------------

def test_five_wrong_codes_lock_and_the_lock_survives_a_restart(ui):
    _to_code_entry(ui)
    code = ui.rig.last_code()
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        v = ui.screen.type(wrong)
        assert v["text"] == "code_entry.wrong" and ui.shows(f"还可以再试 {left} 次")
    v = ui.screen.type(wrong)
    assert v["screen"] == "code_locked" and ui.shows("请 15 分钟后再试，或到服务台办理")
    ui.tap("choice_exit")
    ui.lift()
    ui.rig.restart()
    ui.rebind()
    ui.rig.poll()
    v = ui.place(GOOD)
    assert v["screen"] == "code_locked" and ui.shows("验证码错误次数过多")


def test_resend_waits_for_its_cooldown_on_screen(ui):
    _to_code_entry(ui)
    resend = ui.screen.find("resend")
    assert ui.shows("60 秒后可重发") and not resend.property("enabled_")
    ui.advance(30)
    assert ui.shows("30 秒后可重发")
    ui.tap("dots")                               # any touch counts as activity, or idle would come first
    ui.advance(30)
    assert ui.shows("重新发送") and ui.screen.find("resend").property("enabled_")
    v = ui.tap("resend")
    assert v["text"] == "code_entry.resent" and ui.shows("已发送到 138****8001，请输入新的验证码")
    assert len(ui.rig.modem.messages) == 2


# -- SMS down on each transport ----------------------------------------------------------------------

@pytest.mark.parametrize("fault", ["no-sim", "no-signal", "cms-error"])
def test_modem_down_says_so_and_offers_the_fallbacks(ui, fault):
    ui.rig.modem.set_fault(fault)
    v = ui.place(GOOD)
    assert v["text"] == "sms_unavailable.modem_down" and ui.shows("短信设备暂时无法使用")
    assert ui.shows("到服务台办理")
    v = ui.tap("choice_fallback_service_desk")
    assert v["screen"] == "goodbye" and ui.shows("请到服务台办理")


def test_central_down_and_rate_limited_say_so(tmp_path, idcard_sim, qapp):
    from tests.test_kiosk_otp import central_sender
    from sync.central.app import create_app
    from sync.central.storage import open_storage
    from tests.central.conftest import RunningCentral

    storage = open_storage(str(tmp_path / "central.db"))
    c = RunningCentral(create_app(storage, sms_outbox=str(tmp_path / "sms.jsonl")), storage)
    try:
        sms = central_sender(c, tmp_path)
        sms.send(GOOD.phone, "another kiosk's code 000000", key="elsewhere-1")   # the number's one a minute
        rig = KioskRig(tmp_path / "a", idcard_sim, None, sms=sms)
        ui = UiRig(rig)
        try:
            rig.poll()
            v = ui.place(GOOD)
            assert v["text"] == "sms_unavailable.rate_limited" and ui.shows("短信发送过于频繁")
            ui.tap("choice_exit")
            ui.lift()
            c.stop()
            v = ui.place(OTHER)
            assert v["text"] == "sms_unavailable.central_down" and ui.shows("短信服务暂时无法连接")
        finally:
            ui.close()
            rig.close()
    finally:
        c.stop()
        storage.close()


# -- idle, swap, technician --------------------------------------------------------------------------

STEPS = {
    "code_entry": _to_code_entry,
    "menu": _to_menu,
    "my_records": lambda ui: (_to_menu(ui), ui.tap("service_my_records")),
    "unknown_person": lambda ui: ui.place(sim_card(id_number="110105197007070023", name="陌生人")),
    "code_locked": lambda ui: (_to_code_entry(ui), [ui.screen.type("000000" if ui.rig.last_code() != "000000"
                                                                   else "111111") for _ in range(5)]),
}


@pytest.mark.parametrize("step", sorted(STEPS))
def test_idle_at_every_step_counts_down_then_ends_the_visit(ui, step):
    STEPS[step](ui)
    assert ui.view["screen"] == step
    v = ui.advance(60)
    assert v["screen"] == "idle_warning" and ui.shows("您还在吗？")
    countdown = v["countdown_s"]
    assert ui.shows(f"{countdown} 秒后将自动退出")
    assert ui.tap("continue")["screen"] == step                # a touch keeps the visit
    ui.advance(60)
    v = ui.advance(countdown)
    assert v["screen"] in ("goodbye", "card_left", "attract")
    ui.assert_no_personal_data_on_screen(GOOD)


def test_a_card_swapped_mid_session_ends_it(ui):
    _to_menu(ui)
    assert ui.lift()["screen"] == "menu"                        # lifting alone keeps the visit
    v = ui.place(OTHER)
    assert v["screen"] == "code_entry" and ui.shows("138****8002")
    assert not ui.shows("测**") and not ui.shows("138****8001")


def test_the_technician_pin_by_the_hidden_gesture_is_rate_limited(ui):
    for _ in range(5):
        ui.tap("technicianCorner")
    assert ui.view["screen"] == "technician_pin" and ui.shows("维护人员登录")
    for _ in range(5):
        v = ui.screen.type("1111")
        v = ui.tap("key_ok")
    assert v["text"] == "technician_pin.locked" and ui.shows("已暂时锁定") and ui.shows("尝试次数过多")
    v = ui.screen.type("246810")
    v = ui.tap("key_ok")
    assert v["screen"] == "technician_pin"                      # even the right PIN waits out the lock


def test_the_right_technician_pin_shows_health_and_runs_selftest(ui):
    for _ in range(5):
        ui.tap("technicianCorner")
    ui.screen.type("246810")
    v = ui.tap("key_ok")
    assert v["screen"] == "technician" and ui.shows("设备状态")
    assert ui.tap("finish")["screen"] == "attract"


# -- no personal data left ---------------------------------------------------------------------------

EXITS = {
    "finish": lambda ui: (_to_menu(ui), ui.tap("finish"), ui.advance(3), ui.lift()),
    "cancel": lambda ui: (_to_code_entry(ui), ui.tap("cancel"), ui.advance(3), ui.lift()),
    "idle": lambda ui: (_to_menu(ui), ui.advance(60), ui.advance(60), ui.advance(5), ui.lift()),
    "swap": lambda ui: (_to_menu(ui), ui.lift(), ui.place(OTHER), ui.tap("cancel"), ui.advance(3),
                        ui.lift()),
    "locked": lambda ui: (STEPS["code_locked"](ui), ui.tap("choice_exit"), ui.advance(3), ui.lift()),
    "reader_fault": lambda ui: (_to_menu(ui), ui.rig.send(ev.ReaderFault("unplugged", "test")), ui.view),
}


# Containers that hold the test's own copies: the made-up people, the simulated handset's inbox,
# the simulated card, and module docstrings / source lines that quote the same sample numbers.
TEST_COPIES = ("module", "Person", "ReceivedSms", "SimCard", "frame", "function", "code")


def _held_by_the_kiosk(*people, ignore: frozenset = frozenset()) -> list[str]:
    """Live containers holding any person's ID number, phone or name, less the test's own copies and
    the containers in ``ignore`` (ids of those that held them before the visit: other tests'
    parameters, pytest's collected items)."""
    return [desc for _, desc in _holders(*people) if _ not in ignore]


def _holders(*people) -> list[tuple[int, str]]:
    """(id, description) of each live container holding a person's ID number, phone or name."""
    import gc
    import sys as _sys

    wanted = [s[::-1] for p in people for s in (p.id_number, p.phone, p.name) if s]
    if not live_objects_holding(*wanted):
        return []
    wanted = [w[::-1] for w in wanted]
    module_dicts = {id(vars(m)) for m in list(_sys.modules.values()) if m is not None} | module_constants()
    left = []
    for obj in gc.get_objects():
        if id(obj) in module_dicts or type(obj).__name__ in TEST_COPIES or obj is wanted:
            continue
        try:
            if isinstance(obj, dict):
                values = list(obj.values())
            elif isinstance(obj, (list, tuple, set, frozenset)):
                values = list(obj)
            elif isinstance(obj, type):
                continue
            else:
                values = list(vars(obj).values())
        except Exception:
            continue
        if values and all(isinstance(v, str) and v.endswith("\n") for v in values[:3]):
            continue  # linecache's source lines
        for v in values:
            if isinstance(v, str) and "\n" not in v and any(n in v for n in wanted):
                left.append((id(obj), f"{type(obj).__name__} holding {v[:4]}..."))
                break
    return left


@pytest.mark.parametrize("path", sorted(EXITS))
def test_no_personal_data_after_each_exit_path(ui, tmp_path, caplog, path):
    caplog.set_level("DEBUG")
    people = [GOOD, OTHER]
    before = frozenset(i for i, _ in _holders(*people))   # the suite's own data, held before any visit
    EXITS[path](ui)
    assert ui.view["screen"] in ("attract", "reader_fault"), ui.view
    ui.assert_no_personal_data_on_screen(*people)
    assert _held_by_the_kiosk(*people, ignore=before) == []
    needles = [s for p in people for s in (p.id_number, p.phone, p.name)]
    # ID numbers are nowhere on disk; phones only in the synced directory (the store) and the simulated
    # handset's inbox (the modem simulator's record of what the phone received), nowhere else
    assert grep_files(tmp_path, GOOD.id_number, OTHER.id_number) == []
    assert [f for f in grep_files(tmp_path, GOOD.phone, OTHER.phone)
            if not Path(f).name.startswith(("kiosk.db", "inbox.jsonl"))] == []
    logged = caplog.text
    assert not any(n in logged for n in needles)


# -- the face step (FLOW's scripted matcher and the real camera simulator: the screens are under test) --

@pytest.fixture
def face_ui(tmp_path, idcard_sim, modem_sim, camera_sim, qapp):
    from tests.test_kiosk_flow_face import ScriptedMatcher, face_rig

    made = []

    def build(script, **options):
        ScriptedMatcher.made = []
        rig = face_rig(tmp_path, idcard_sim, modem_sim, camera_sim, script, **options)
        u = UiRig(rig)
        made.append(u)
        return u

    yield build
    for u in made:
        u.close()
        u.rig.close()


def _code_then_face(ui):
    _to_code_entry(ui)
    return ui.screen.type(ui.rig.last_code())


def test_a_matching_face_reaches_the_menu(face_ui):
    from kiosk.face import FaceResult

    ui = face_ui([FaceResult(True, "match", 0.31)])
    assert _code_then_face(ui)["screen"] == "menu" and ui.shows("测**，您好！请选择服务")


@pytest.mark.parametrize("reason, words", [("no_face", "没有看到人脸"), ("two_faces", "画面中有多张人脸"),
                                           ("no_match", "人脸与档案照片不一致"), ("not_live", "未能确认是本人在场")])
def test_a_failed_face_says_why_and_the_try_again_button_retries(face_ui, reason, words):
    from kiosk.face import FaceResult

    ui = face_ui([FaceResult(False, reason), FaceResult(True, "match", 0.3)])
    v = _code_then_face(ui)
    assert v["text"] == f"face_capture.{reason}" and ui.shows(words) and ui.shows("还可尝试 2 次")
    assert ui.tap("try_again")["screen"] == "menu"


def test_three_failed_faces_deny_on_screen(face_ui):
    from kiosk.face import FaceResult

    ui = face_ui([FaceResult(False, "no_match", 0.7)] * 3, after_face_failures="deny")
    _code_then_face(ui)
    ui.tap("try_again")
    v = ui.tap("try_again")
    assert v["text"] == "face_failed.denied" and ui.shows("人脸核验未通过，无法继续")
    assert ui.tap("choice_exit")["screen"] == "goodbye"
    ui.assert_no_personal_data_on_screen(GOOD)


def test_three_failed_faces_fall_back_to_sms_only(face_ui):
    from kiosk.face import FaceResult

    ui = face_ui([FaceResult(False, "no_match", 0.7)] * 3, after_face_failures="sms_only")
    _code_then_face(ui)
    ui.tap("try_again")
    assert ui.tap("try_again")["screen"] == "menu"


def test_with_threaded_devices_the_screen_follows_the_reader_without_freezing(tmp_path, idcard_sim, modem_sim,
                                                                              qtbot):
    """As `terminal kiosk` runs it: the runner polls the reader and sends the SMS on its own threads; their
    events reach the flow through the waker and are processed on the Qt thread."""
    import threading

    rig = KioskRig(tmp_path, idcard_sim, modem_sim)
    rig.restart(threaded=True)
    ui = UiRig(rig)
    seen_threads = set()
    rig.flow.subscribe(lambda view: seen_threads.add(threading.get_ident()))
    try:
        idcard_sim.place(sim_card(GOOD))
        qtbot.waitUntil(lambda: ui.window.vm.screen == "code_entry", timeout=10000)
        assert ui.shows("已发送到 138****8001，5 分钟内有效")
        assert seen_threads == {threading.get_ident()}          # views only ever on the Qt thread
        ui.screen.type(rig.last_code())
        qtbot.waitUntil(lambda: ui.window.vm.screen == "menu", timeout=10000)
    finally:
        ui.close()
        rig.close()
