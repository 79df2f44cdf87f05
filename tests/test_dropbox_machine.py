"""The drop box's state machine alone: every transition with plain values and fake time; and the journal."""

from __future__ import annotations

import pytest

from dropbox import journal
from dropbox import machine as m
from sync import wire
from tests.helpers.dropbox_box import events, open_box_store

FORM = m.Verdict("form", claim_id="CLM-1", employee_no="E1", amount_cents=100, key_id="K", checked="claims")
COLLECT = m.Verdict("collection", authorised_by="code:K", nonce="N")
REFUSED = m.Verdict("refused", reason="forged", message="no")


def names(commands):
    return [c.name for c in commands]


def at(state, **kw):
    return m.Box(state=state, verdict=FORM if state not in (m.IDLE, m.COLLECTING, m.FAULT) else None,
                 envelope_id="ENV-1" if state in (m.UNLOCKED, m.ENVELOPE_SEEN, m.LOCKED, m.RECORDED) else "",
                 window_s=8.0, beam_stuck_s=5.0, collection_window_s=120.0, **kw)


# (state before, event, state after, commands) -- every transition the issue names, and each fault.
TRANSITIONS = [
    (at(m.IDLE), m.Scanned("X"), m.SCANNED, ["check"]),
    (at(m.IDLE), m.BeamPassed(), m.IDLE, ["alarm", "feedback"]),
    (at(m.SCANNED), m.Checked(FORM), m.VALIDATED, ["open_visit"]),
    (at(m.SCANNED), m.Checked(REFUSED), m.IDLE, ["refuse", "feedback"]),
    (at(m.SCANNED), m.Checked(COLLECT), m.COLLECTING, ["collect", "feedback"]),
    (at(m.SCANNED), m.BeamPassed(), m.SCANNED, ["alarm", "feedback"]),
    (at(m.VALIDATED), m.VisitOpened("ENV-1", now=0.0), m.UNLOCKED, ["unlock", "feedback"]),
    (at(m.VALIDATED), m.BeamPassed(), m.VALIDATED, ["alarm", "feedback"]),
    (at(m.UNLOCKED, deadline=8.0), m.BeamPassed(), m.ENVELOPE_SEEN, ["record_envelope"]),
    (at(m.UNLOCKED, deadline=8.0), m.TimePassed(7.9), m.UNLOCKED, []),
    (at(m.UNLOCKED, deadline=8.0), m.TimePassed(8.0), m.LOCKED, ["relock"]),
    (at(m.UNLOCKED, deadline=8.0), m.UnlockFailed("cooling"), m.LOCKED, ["relock", "alarm"]),
    (at(m.UNLOCKED, deadline=8.0), m.Scanned("Y"), m.UNLOCKED, []),          # one visit at a time
    (at(m.ENVELOPE_SEEN), m.EnvelopeRecorded(), m.LOCKED, ["relock"]),
    (at(m.LOCKED, outcome="received"), m.Relocked(), m.RECORDED, ["close_visit"]),
    (at(m.RECORDED, outcome="received"), m.VisitClosed(), m.IDLE, ["feedback", "print_receipt"]),
    (at(m.RECORDED, outcome="timeout"), m.VisitClosed(), m.IDLE, ["feedback"]),
    (at(m.RECORDED, outcome="beam_stuck"), m.VisitClosed(), m.FAULT, ["alarm", "feedback"]),
    (at(m.IDLE, beam_broken_at=0.0), m.TimePassed(5.0), m.FAULT, ["alarm", "feedback"]),
    (at(m.IDLE, beam_broken_at=0.0), m.TimePassed(4.9), m.IDLE, []),
    (at(m.FAULT, beam_broken_at=0.0), m.Scanned("X"), m.FAULT, ["refuse", "feedback"]),
    (at(m.FAULT, beam_broken_at=0.0), m.BeamPassed(), m.FAULT, []),
    (at(m.FAULT, beam_broken_at=0.0), m.BeamCleared(), m.IDLE, ["alarm", "feedback"]),
    (at(m.IDLE), m.DoorOpened(), m.IDLE, ["alarm", "feedback"]),
    (at(m.UNLOCKED, deadline=8.0), m.DoorOpened(), m.UNLOCKED, ["alarm", "feedback"]),
    (at(m.COLLECTING), m.DoorOpened(), m.COLLECTING, []),
    (at(m.COLLECTING, door_opened=True), m.DoorClosed(), m.IDLE, ["feedback"]),
    (at(m.COLLECTING, deadline=120.0), m.TimePassed(120.0), m.IDLE, ["feedback"]),
    (at(m.COLLECTING, deadline=120.0, door_opened=True), m.TimePassed(500.0), m.COLLECTING, []),
    (at(m.COLLECTING), m.Scanned("X"), m.COLLECTING, []),
]


@pytest.mark.parametrize("before, event, after, commands", TRANSITIONS,
                         ids=[f"{b.state}-{type(e).__name__}-{a}" for b, e, a, _ in TRANSITIONS])
def test_each_transition(before, event, after, commands):
    box, cmds = m.step(before, event)
    assert (box.state, names(cmds)) == (after, commands)


def test_the_window_is_set_when_the_slot_opens_and_its_expiry_is_a_timeout():
    box, cmds = m.step(at(m.VALIDATED), m.VisitOpened("ENV-9", now=100.0))
    assert box.deadline == 108.0 and box.envelope_id == "ENV-9" and cmds[0].args == {"hold_s": 8.0}
    box, _ = m.step(box, m.TimePassed(108.0))
    assert box.outcome == "timeout"
    box, cmds = m.step(box, m.Relocked())
    assert cmds[0].args == {"envelope_id": "ENV-9", "outcome": "timeout", "window_s": 8.0}


def test_a_beam_stuck_in_an_open_slot_ends_the_visit_as_beam_stuck():
    box = at(m.UNLOCKED, deadline=8.0)
    box, _ = m.step(box, m.BeamBroken(now=2.0))
    box, _ = m.step(box, m.TimePassed(7.5))        # stuck, but the window is still open: wait for it
    assert box.state == m.UNLOCKED
    box, cmds = m.step(box, m.TimePassed(8.0))
    assert (box.state, box.outcome, names(cmds)) == (m.LOCKED, "beam_stuck", ["relock"])


def test_the_collection_window_starts_at_the_first_tick_after_the_code():
    box, _ = m.step(at(m.SCANNED), m.Checked(COLLECT))
    box, _ = m.step(box, m.TimePassed(10.0))
    assert box.deadline == 130.0


def test_feedback_names_all_have_signals():
    from dropbox.feedback import SIGNALS

    fb = {getattr(m, n) for n in dir(m) if n.startswith("FB_")}
    assert fb == set(SIGNALS)


# -- the journal -------------------------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    with open_box_store(tmp_path / "t.db") as s:
        yield s


def test_an_unlocked_visit_is_closed_at_boot_as_power_loss_exactly_once(store):
    visit = journal.open_visit(store, FORM, window_s=8.0)
    assert journal.reconcile(store) == [{"envelope_id": visit.id, "was": "unlocked",
                                         "outcome": wire.NO_DROP_POWER_LOSS}]
    assert journal.reconcile(store) == []
    (_, no_drop), = events(store, "dropbox.no_drop")
    assert no_drop == {"claim_id": "CLM-1", "reason": "power_loss", "envelope_id": visit.id, "window_s": 8.0}


def test_an_envelope_journalled_before_the_power_cut_stays_received_and_is_never_sent_twice(store):
    visit = journal.open_visit(store, FORM, window_s=8.0)
    assert journal.record_envelope(store, visit.id, capacity=10, near_full_percent=80) == 1
    assert journal.record_envelope(store, visit.id, capacity=10, near_full_percent=80) == 1   # replayed: no-op
    assert journal.reconcile(store)[0]["outcome"] == "received"
    assert journal.close_visit(store, visit.id, "timeout") is False
    assert len(events(store, "dropbox.received")) == 1 and events(store, "dropbox.no_drop") == []


def test_a_claim_is_received_at_most_once_even_by_two_visits(store):
    import sqlite3

    first, second = (journal.open_visit(store, FORM, window_s=8.0) for _ in range(2))
    journal.record_envelope(store, first.id, capacity=10, near_full_percent=80)
    with pytest.raises(sqlite3.IntegrityError):
        journal.record_envelope(store, second.id, capacity=10, near_full_percent=80)
    assert len(events(store, "dropbox.received")) == 1    # the refused commit took its event with it


@pytest.mark.parametrize("capacity, percent, at_count", [(200, 80, 160), (10, 80, 8), (3, 80, 3), (5, 80, 4),
                                                         (1, 100, 1), (7, 1, 1)])
def test_near_full_threshold(capacity, percent, at_count):
    assert journal.near_full_at(capacity, percent) == at_count


def test_collection_takes_every_uncollected_envelope_in_drop_order_and_resets_the_count(store):
    for n in (3, 1, 2):
        v = journal.open_visit(store, m.Verdict("form", claim_id=f"CLM-{n}", employee_no="E1", amount_cents=1,
                                                key_id="K", checked="claims"), window_s=8.0)
        journal.record_envelope(store, v.id, capacity=10, near_full_percent=80)
        journal.close_visit(store, v.id, "timeout")
    batch = journal.collect(store, box_id="DBX-1", authorised_by="code:K", nonce="N1")
    assert batch.claim_ids == ("CLM-3", "CLM-1", "CLM-2") and journal.uncollected(store.conn) == 0
    empty = journal.collect(store, box_id="DBX-1", authorised_by="code:K", nonce="N2")
    assert empty.count == 0 and journal.nonce_used(store.conn, "N1")
    assert [p["count"] for _, p in events(store, "dropbox.collected")] == [3, 0]
