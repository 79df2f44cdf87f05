"""The drop-box agent end to end in one process: gpiozero MockFactory pins (gpio_sim), the simulated
camera playing generated forms (camera_sim), the receipt simulator, the real store and outbox."""

from __future__ import annotations

import threading
import time

import pytest

from drivers.camera.scene import write_qr, write_scene
from dropbox import journal
from dropbox import machine as m
from dropbox.agent import Agent
from dropbox.feedback import Feedback
from dropbox.settings import dropbox_values
from sync import wire
from tests.helpers.dropbox_box import Central, events, open_box_store

BOX = "DBX-T-0001"


def wait_until(condition, timeout_s: float = 30.0, what: str = "condition"):  # a cap for a loaded CI machine
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class Rig:
    """An agent running on its own thread, with its simulators; ``show(payload)`` holds a code up."""

    def __init__(self, tmp_path, gpio_sim, camera_sim, receipt_sim=None, *, drop_after_s=0.2, **settings):
        self.central = Central()
        self.path = tmp_path / "box" / "terminal.db"
        self.store = open_box_store(self.path)   # the test's own connection (the agent opens its own)
        self.central.sync_into(self.store)
        self.staging = tmp_path / "staging"
        self.folder = tmp_path / "camera"
        write_scene(self.folder, frames=1)
        self.sim = gpio_sim(drop_after_unlock_s=drop_after_s, lock_cooldown_s=0, lock_max_energised_s=10)
        self.gpio = self.sim.gpio
        self.camera = camera_sim(self.folder)
        section = {"uri": receipt_sim.uri, "backend": "sim"} if receipt_sim else None
        self.feedback = Feedback(self.gpio, display_path=str(tmp_path / "display.txt"), receipt_section=section)
        self.values = dropbox_values({}, **{"window_s": 2.0, **settings})
        self.agent = None
        self.shown = []
        self.failure = None

    def _serve(self, ready):
        # SQLite connections stay in their thread: the agent opens its own, as the service does.
        try:
            with open_box_store(self.path) as store:
                self.agent = Agent(store, self.values, box_id=BOX, gpio=self.gpio, camera=self.camera,
                                   feedback=self.feedback)
                self.agent.start()
                ready.set()
                self.agent.run()
                self.agent.close()
        except BaseException as exc:
            self.failure = exc
            ready.set()
            raise

    def __enter__(self):
        ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)
        assert self.failure is None, self.failure
        return self

    def stop(self):
        self.agent.stop.set()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()

    def __exit__(self, *exc):
        self.stop()
        self.store.close()

    def show(self, payload: str):
        """Hold a code up: the picture appears in the camera's folder at once (renamed in, never half-written)."""
        for path in self.shown:
            path.unlink(missing_ok=True)
        staged = write_qr(self.staging, payload)
        self.shown = [self.folder / staged.name]
        staged.replace(self.shown[0])

    def hide(self):
        self.show_nothing = [p.unlink(missing_ok=True) for p in self.shown]
        self.shown = []

    def events(self, event_type=None):
        return events(self.store, event_type)

    def wait_event(self, event_type, n=1):
        wait_until(lambda: len(self.events(event_type)) >= n, what=f"{n} {event_type}")
        return self.events(event_type)

    def wait_idle(self):
        wait_until(self.agent.settled, what="idle")


@pytest.fixture
def rig(tmp_path, gpio_sim, camera_sim, receipt_sim):
    def make(**kw):
        return Rig(tmp_path, gpio_sim, camera_sim, receipt_sim, **kw)
    return make


def journal_steps(store, envelope_id):
    return [r[0] for r in store.conn.execute("SELECT step FROM dropbox_journal WHERE visit_id = ? ORDER BY id",
                                             (envelope_id,))]


def test_a_form_opens_the_slot_the_envelope_is_recorded_and_a_receipt_prints(rig, receipt_sim):
    with rig() as r:
        r.show(r.central.form("CLM-2026-0001"))
        (_, received), = r.wait_event("dropbox.received")
        r.wait_idle()
        assert received["claim_id"] == "CLM-2026-0001" and received["checked"] == "claims"
        assert received["count"] == 1 and received["employee_no"] == "E1001" and received["amount_cents"] == 12850
        assert journal_steps(r.store, received["envelope_id"]) == ["scanned", "validated", "unlocked",
                                                                   "envelope_seen", "locked"]
        assert r.gpio.lock.locked and r.sim.drops == 1
        assert "received" in r.feedback.shown and r.gpio.leds.pattern == "ok"
        assert r.feedback.display_path.read_text() == r.feedback.shown + "\n"   # the small display's text
        assert r.gpio.buzzer.last_pattern == "ok"
        job = receipt_sim.wait_for_jobs(1)[0]
        assert "CLM-2026-0001" in job.text and received["envelope_id"] in job.text
        assert r.events("dropbox.no_drop") == []


def test_no_envelope_in_the_window_relocks_and_records_a_scan_without_drop(rig):
    with rig(drop_after_s=0, window_s=1.0) as r:
        r.show(r.central.form("CLM-2026-0002"))
        (_, no_drop), = r.wait_event("dropbox.no_drop")
        r.wait_idle()
        assert no_drop["reason"] == wire.NO_DROP_TIMEOUT and no_drop["claim_id"] == "CLM-2026-0002"
        assert no_drop["window_s"] == 1.0
        assert r.gpio.lock.locked and r.events("dropbox.received") == []
        assert "No envelope" in r.feedback.shown and r.gpio.leds.pattern == "attention"


def test_a_claim_already_received_is_refused_and_the_display_says_so(rig):
    with rig() as r:
        code = r.central.form("CLM-2026-0003")
        r.show(code)
        r.wait_event("dropbox.received")
        r.wait_idle()
        r.hide()
        r.agent.put(m.Scanned(code))   # shown again later
        (_, refused), = r.wait_event("dropbox.refused")
        r.wait_idle()   # the feedback follows the record
        assert refused["reason"] == wire.REFUSED_ALREADY_RECEIVED and refused["claim_id"] == "CLM-2026-0003"
        assert "already received" in r.feedback.shown and r.gpio.leds.pattern == "error"
        assert r.gpio.buzzer.last_pattern == "error" and "already received" in r.feedback.display_path.read_text()
        assert r.gpio.lock.unlocks == 1


@pytest.mark.parametrize("which, reason", [
    ("forged", "forged"), ("tampered", "tampered"), ("unknown_version", "unknown_version"),
    ("unknown_key", "unknown_key"), ("retired_key", "retired_key"), ("malformed", "malformed"),
])
def test_each_bad_code_is_refused_with_its_own_reason_and_the_slot_stays_locked(rig, which, reason):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    with rig() as r:
        good = r.central.form("CLM-2026-0001")
        payload = {
            "forged": good[:-8] + ("AAAAAAAA" if not good.endswith("AAAAAAAA") else "BBBBBBBB"),
            "tampered": good.replace(".12850.", ".92850."),
            "unknown_version": "RF9" + good[3:],
            "unknown_key": r.central.form("CLM-2026-0001", key=Ed25519PrivateKey.generate()),
            "retired_key": r.central.form("CLM-2026-0001", key=r.central.retired),
            "malformed": "https://example.com/not-ours",
        }[which]
        r.show(payload)
        (_, refused), = r.wait_event("dropbox.refused")
        assert refused["reason"] == reason
        assert r.gpio.lock.unlocks == 0 and r.gpio.lock.locked


def test_the_claims_list_decides_and_offline_unknown_claims_follow_the_config(rig):
    with rig() as r:
        for claim, reason in [("CLM-2026-0009", wire.REFUSED_ALREADY_RECEIVED),
                              ("CLM-2026-0010", wire.REFUSED_NOT_AWAITING)]:
            r.agent.put(m.Scanned(r.central.form(claim)))
            r.wait_idle()
            assert r.events("dropbox.refused")[-1][1]["reason"] == reason
        r.agent.put(m.Scanned(r.central.form("CLM-2026-0001", amount_cents=99999)))  # central changed the claim
        r.wait_idle()
        assert r.events("dropbox.refused")[-1][1]["reason"] == "claim_changed"
        r.agent.put(m.Scanned(r.central.form("CLM-2026-7777")))   # not synced yet, validly signed
        (_, received), = r.wait_event("dropbox.received")
        assert received["claim_id"] == "CLM-2026-7777" and received["checked"] == "signature"
        assert r.gpio.lock.unlocks == 1


def test_offline_unknown_claims_are_refused_when_the_config_says_so(rig):
    with rig(accept_unknown_signed=False) as r:
        r.agent.put(m.Scanned(r.central.form("CLM-2026-7777")))
        (_, refused), = r.wait_event("dropbox.refused")
        assert refused["reason"] == wire.REFUSED_UNKNOWN_OFFLINE and r.gpio.lock.unlocks == 0


def test_capacity_near_full_at_80_percent_then_full_refuses(rig):
    claims = [{"id": f"CLM-2026-{n:04d}", "employee_no": "E1001", "amount_cents": 100 + n,
               "status": "awaiting_envelope"} for n in range(100, 106)]
    with rig(capacity=5) as r:
        r.central.sync_into(r.store, claims)
        for n, claim in enumerate(claims[:5], 1):
            r.agent.put(m.Scanned(r.central.form(claim["id"], "E1001", claim["amount_cents"])))
            r.wait_event("dropbox.received", n)
            r.wait_idle()
        (_, near), = r.events("dropbox.near_full")
        assert near == {"count": 4, "capacity": 5, "percent": 80}
        r.agent.put(m.Scanned(r.central.form(claims[5]["id"], "E1001", claims[5]["amount_cents"])))
        (_, refused), = r.wait_event("dropbox.refused")
        r.wait_idle()
        assert refused["reason"] == wire.REFUSED_FULL and "full" in r.feedback.shown
        assert r.gpio.lock.unlocks == 5


def test_a_beam_break_with_no_scan_raises_an_alarm(rig):
    with rig() as r:
        r.sim.drop_envelope()
        (_, alarm), = r.wait_event("dropbox.alarm")
        assert alarm["kind"] == wire.ALARM_BEAM_WITHOUT_SCAN and r.gpio.lock.locked


def test_a_stuck_beam_keeps_the_slot_locked_refuses_scans_and_clears(rig):
    with rig(beam_stuck_s=0.5) as r:
        r.sim.cut_wire("beam")     # blocked: a stuck envelope, a dirty lens or a cut wire read the same
        (_, alarm), = r.wait_event("dropbox.alarm")
        assert alarm["kind"] == wire.ALARM_BEAM_STUCK
        wait_until(lambda: r.agent.box.state == m.FAULT)
        r.agent.put(m.Scanned(r.central.form("CLM-2026-0001")))
        (_, refused), = r.wait_event("dropbox.refused")
        assert refused["reason"] == "out_of_order" and r.gpio.lock.unlocks == 0 and r.gpio.lock.locked
        r.sim.connect("beam")
        r.wait_idle()
        assert r.events("dropbox.alarm")[-1][1]["detail"].startswith("cleared")
        assert [a["kind"] for _, a in r.events("dropbox.alarm")] == ["beam_stuck", "beam_stuck"]  # no false pass


def test_a_beam_stuck_during_a_visit_relocks_and_faults(rig):
    with rig(drop_after_s=0, window_s=1.0, beam_stuck_s=0.5) as r:
        r.agent.put(m.Scanned(r.central.form("CLM-2026-0001")))
        wait_until(lambda: r.gpio.lock.energised, what="unlock")
        r.sim.cut_wire("beam")      # an envelope jammed half-way
        (_, no_drop), = r.wait_event("dropbox.no_drop")
        assert no_drop["reason"] == "beam_stuck" and r.gpio.lock.locked
        wait_until(lambda: r.agent.box.state == m.FAULT)


def test_the_collection_door_opened_without_authority_raises_an_alarm(rig):
    with rig() as r:
        r.sim.open_door()
        (_, alarm), = r.wait_event("dropbox.alarm")
        assert alarm["kind"] == wire.ALARM_DOOR_FORCED


def test_a_collection_code_prints_the_manifest_records_the_batch_and_resets_the_count(rig, receipt_sim):
    with rig(receipt_on_drop=False) as r:
        for claim in ("CLM-2026-0001", "CLM-2026-0002"):
            r.agent.put(m.Scanned(r.central.form(claim)))
            r.wait_idle()
        assert journal.uncollected(r.store.conn) == 2
        code = r.central.collection(BOX)
        r.show(code)
        (_, collected), = r.wait_event("dropbox.collected")
        assert collected["claim_ids"] == ["CLM-2026-0001", "CLM-2026-0002"] and collected["count"] == 2
        assert collected["box_id"] == BOX and collected["authorised_by"].startswith("code:")
        assert journal.uncollected(r.store.conn) == 0
        manifest = receipt_sim.wait_for_jobs(1)[0]
        assert collected["batch_id"] in manifest.text and "CLM-2026-0002" in manifest.text
        assert any(b.kind == "qr" and b.text.startswith("DBB1." + collected["batch_id"]) for b in manifest.blocks)
        r.sim.open_door()          # authorised: no alarm
        wait_until(lambda: r.agent.box.door_opened)
        r.sim.shut_door()
        r.wait_idle()
        assert r.events("dropbox.alarm") == []
        r.hide()
        r.agent.put(m.Scanned(code))   # a collection code works once
        (_, refused), = r.wait_event("dropbox.refused")
        assert refused["reason"] == "code_used"


@pytest.mark.parametrize("case, reason", [("expired", "expired"), ("other_box", "wrong_box"),
                                          ("no_trusted_time", "expired")])
def test_a_bad_collection_code_is_refused(rig, case, reason):
    with rig() as r:
        if case == "no_trusted_time":
            r.central.sync_into(r.store, clock_offset=None)
            from sync.state import get_state
            assert get_state(r.store.conn, "clock_offset") is not None  # kept from before: clear it
            with r.store.write():
                r.store.conn.execute("DELETE FROM sync_state WHERE key = 'clock_offset'")
        code = {"expired": r.central.collection(BOX, not_after=1_000_000_000),
                "other_box": r.central.collection("DBX-T-0002"),
                "no_trusted_time": r.central.collection(BOX)}[case]
        r.agent.put(m.Scanned(code))
        (_, refused), = r.wait_event("dropbox.refused")
        assert refused["reason"] == reason and r.events("dropbox.collected") == []


def test_stopping_while_unlocked_relocks_and_closes_the_visit(rig):
    r = rig(drop_after_s=0, window_s=10.0)
    with r:
        r.agent.put(m.Scanned(r.central.form("CLM-2026-0001")))
        wait_until(lambda: r.gpio.lock.energised, what="unlock")
        r.stop()
        assert r.gpio.lock.locked
        (_, no_drop), = r.events("dropbox.no_drop")
        assert no_drop["reason"] == "stopped"
        assert journal.open_visits(r.store.conn) == []


def test_a_door_found_open_at_boot_raises_the_alarm(rig):
    r = rig()
    r.sim.open_door()          # opened while the box was off
    with r:
        (_, alarm), = r.wait_event("dropbox.alarm")
        assert alarm["kind"] == wire.ALARM_DOOR_FORCED


def test_a_beam_found_blocked_at_boot_is_a_fault_not_an_envelope(rig):
    r = rig(beam_stuck_s=0.5)
    r.sim.cut_wire("beam")
    with r:
        (_, alarm), = r.wait_event("dropbox.alarm")
        assert alarm["kind"] == wire.ALARM_BEAM_STUCK and r.gpio.lock.locked
        r.sim.connect("beam")
        r.wait_idle()
        assert [a["kind"] for _, a in r.events("dropbox.alarm")] == ["beam_stuck", "beam_stuck"]
        assert r.events("dropbox.received") == []
