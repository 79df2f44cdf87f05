"""The drop box's state machine: a pure function of (state, event) -> (state, commands).

Facts read from the store (is the claim awaiting, is the box full, is the
signature good) arrive as the :class:`Checked` event the ``Check`` command
produced, and time arrives as :class:`TimePassed` (monotonic seconds), so a test
drives every path with plain values.  Side effects are :class:`BoxCommand`
objects the agent (dropbox/agent.py) runs in order; a command may answer
with the next event (``OpenVisit`` -> ``VisitOpened``).

A drop::

    idle -Scanned-> scanned -Checked(form)-> validated -VisitOpened-> unlocked
         -BeamPassed-> envelope_seen -EnvelopeRecorded-> locked -Relocked-> recorded -VisitClosed-> idle

>>> box = Box()
>>> box, cmds = step(box, Scanned("RF1..."))
>>> box.state, [c.name for c in cmds]
('scanned', ['check'])
>>> verdict = Verdict("form", claim_id="CLM-1", employee_no="E1", amount_cents=100, key_id="k1", checked="claims")
>>> box, cmds = step(box, Checked(verdict))
>>> box.state, [c.name for c in cmds]
('validated', ['open_visit'])
>>> box, cmds = step(box, VisitOpened("ENV-1", now=10.0))
>>> box.state, box.deadline, [c.name for c in cmds]
('unlocked', 18.0, ['unlock', 'feedback'])
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

IDLE = "idle"
SCANNED = "scanned"
VALIDATED = "validated"
UNLOCKED = "unlocked"
ENVELOPE_SEEN = "envelope_seen"
LOCKED = "locked"
RECORDED = "recorded"
COLLECTING = "collecting"   # a courier's code was accepted: the collection door may open
FAULT = "fault"             # the beam is stuck: locked, scans refused, until it clears

STATES = (IDLE, SCANNED, VALIDATED, UNLOCKED, ENVELOPE_SEEN, LOCKED, RECORDED, COLLECTING, FAULT)


# -- events ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    """What checking one scanned code found (dropbox/checks.py).

    ``kind``: "form" (a claim that may drop), "collection" (a courier's code) or "refused".
    ``reason``: for refused, a sync.codes reason or a sync.wire REFUSED_* value; ``message`` is
    what the display says.  ``checked``: "claims" (found awaiting in the synced claims) or
    "signature" (offline: unknown claim, valid signature).  ``authorised_by`` names a collection's
    authority ("code:<key_id>") and ``nonce`` its code's nonce (used once).
    """

    kind: str
    reason: str = ""
    message: str = ""
    claim_id: str = ""
    employee_no: str = ""
    amount_cents: int = 0
    key_id: str = ""
    checked: str = ""
    authorised_by: str = ""
    nonce: str = ""


@dataclass(frozen=True)
class Scanned:
    """A new scan of ``payload`` (repeated sightings are already merged); ``seen_at`` perf_counter s."""
    payload: str
    seen_at: float = 0.0


@dataclass(frozen=True)
class Checked:
    """The ``check`` command's answer: the :class:`Verdict` on the scanned code."""
    verdict: Verdict


@dataclass(frozen=True)
class VisitOpened:
    """The visit ``envelope_id`` is journalled as unlocked (committed) at monotonic ``now`` seconds."""
    envelope_id: str
    now: float


@dataclass(frozen=True)
class UnlockFailed:
    """The lock refused to open (coil cooling down, device error); ``detail`` says why."""
    detail: str


@dataclass(frozen=True)
class BeamPassed:
    """Something fell through the beam (broken, then clear again)."""


@dataclass(frozen=True)
class BeamBroken:
    """The beam was broken at monotonic ``now`` seconds (and has not cleared yet)."""
    now: float


@dataclass(frozen=True)
class BeamCleared:
    """The beam is intact again."""


@dataclass(frozen=True)
class EnvelopeRecorded:
    """The envelope is committed with its dropbox.received event."""


@dataclass(frozen=True)
class Relocked:
    """The slot lock is de-energised (locked)."""


@dataclass(frozen=True)
class VisitClosed:
    """The visit's end is committed (journal 'locked', and dropbox.no_drop when nothing fell)."""


@dataclass(frozen=True)
class DoorOpened:
    """The collection door's contact opened."""


@dataclass(frozen=True)
class DoorClosed:
    """The collection door's contact closed."""


@dataclass(frozen=True)
class TimePassed:
    """Time passes: monotonic ``now`` seconds; deadlines are checked against it."""
    now: float


# -- commands ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoxCommand:
    """One side effect for the agent: ``name`` and its arguments ``args``."""
    name: str
    args: dict[str, Any] = field(default_factory=dict)


def _cmd(name: str, **args: Any) -> BoxCommand:
    return BoxCommand(name, args)


# Feedback names (dropbox/feedback.py maps each to LEDs, buzzer and display text).
FB_READY, FB_DROP_NOW, FB_RECEIVED, FB_NO_DROP, FB_REFUSED, FB_FAULT, FB_COLLECT, FB_ALARM = (
    "ready", "drop_now", "received", "no_drop", "refused", "fault", "collect", "alarm")


# -- the machine -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    """The machine's whole state: ``state`` plus what the current visit or collection needs.

    ``window_s`` is how long a slot stays unlocked, ``beam_stuck_s`` how long a broken beam
    may last, ``collection_window_s`` how long a courier has to open the door (seconds).
    ``deadline`` (monotonic s) ends the current window; ``beam_broken_at`` is when the beam broke.
    """

    state: str = IDLE
    verdict: Verdict | None = None
    envelope_id: str = ""
    outcome: str = ""            # the visit's end: "received" or a no-drop reason
    deadline: float | None = None
    beam_broken_at: float | None = None
    door_opened: bool = False
    window_s: float = 8.0
    beam_stuck_s: float = 5.0
    collection_window_s: float = 120.0


def replace_state(box: Box, state: str) -> Box:
    """``box`` moved to ``state`` with the visit and collection forgotten (after a failure)."""
    return replace(box, state=state, verdict=None, envelope_id="", outcome="", deadline=None, door_opened=False)


def step(box: Box, event: Any) -> tuple[Box, list[BoxCommand]]:
    """The next state and the commands to run, for ``event`` in ``box``; never raises.

    An event a state does not expect leaves it unchanged with no commands (a scan while the slot
    is open is ignored: one visit at a time).
    """
    # Events every state handles the same way.
    if isinstance(event, BeamBroken):
        return replace(box, beam_broken_at=event.now), []
    if isinstance(event, BeamCleared):
        box = replace(box, beam_broken_at=None)
        if box.state == FAULT:
            return replace(box, state=IDLE), [_cmd("alarm", kind="beam_stuck", detail="cleared; back in service"),
                                              _cmd("feedback", what=FB_READY)]
        return box, []
    if isinstance(event, DoorOpened) and box.state != COLLECTING:
        return box, [_cmd("alarm", kind="door_forced", detail=f"collection door opened without authority "
                                                              f"(box {box.state})"),
                     _cmd("feedback", what=FB_ALARM)]
    if isinstance(event, TimePassed) and _beam_stuck(box, event.now) and box.state not in (FAULT, UNLOCKED):
        return _stuck(box)
    handler = _HANDLERS.get(box.state)
    return handler(box, event) if handler else (box, [])


def _beam_stuck(box: Box, now: float) -> bool:
    return box.beam_broken_at is not None and now - box.beam_broken_at >= box.beam_stuck_s


def _stuck(box: Box) -> tuple[Box, list[BoxCommand]]:
    """Keep locked, raise the fault once (the box refuses scans until the beam clears)."""
    if box.state in (IDLE, COLLECTING, RECORDED):
        return replace(box, state=FAULT), [_cmd("alarm", kind="beam_stuck",
                                                detail=f"beam broken for {box.beam_stuck_s:g} s or more; "
                                                       f"slot kept locked"),
                                           _cmd("feedback", what=FB_FAULT)]
    return box, []


def _idle(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    if isinstance(event, Scanned):
        return replace(box, state=SCANNED), [_cmd("check", payload=event.payload, seen_at=event.seen_at)]
    if isinstance(event, BeamPassed):
        return box, [_cmd("alarm", kind="beam_without_scan", detail="the beam was broken while the slot "
                                                                    "was locked and no code was scanned"),
                     _cmd("feedback", what=FB_ALARM)]
    return box, []


def _scanned(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    if not isinstance(event, Checked):
        return _idle_like_alarm(box, event)
    v = event.verdict
    if v.kind == "form":
        return replace(box, state=VALIDATED, verdict=v), [_cmd("open_visit", verdict=v, window_s=box.window_s)]
    if v.kind == "collection":
        return (replace(box, state=COLLECTING, verdict=v, door_opened=False, deadline=None),
                [_cmd("collect", verdict=v), _cmd("feedback", what=FB_COLLECT)])
    return replace(box, state=IDLE, verdict=None), [_cmd("refuse", verdict=v),
                                                    _cmd("feedback", what=FB_REFUSED, verdict=v)]


def _idle_like_alarm(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    """Between scan and unlock the slot is still locked: a beam pass is the same alarm as in idle."""
    if isinstance(event, BeamPassed):
        return box, _idle(box, event)[1]
    return box, []


def _validated(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    if isinstance(event, VisitOpened):
        return (replace(box, state=UNLOCKED, envelope_id=event.envelope_id, deadline=event.now + box.window_s),
                [_cmd("unlock", hold_s=box.window_s), _cmd("feedback", what=FB_DROP_NOW, verdict=box.verdict)])
    return _idle_like_alarm(box, event)


def _unlocked(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    if isinstance(event, BeamPassed):
        return (replace(box, state=ENVELOPE_SEEN, outcome="received"),
                [_cmd("record_envelope", envelope_id=box.envelope_id)])
    if isinstance(event, UnlockFailed):
        return (replace(box, state=LOCKED, outcome="lock_fault"),
                [_cmd("relock"), _cmd("alarm", kind="lock_fault", detail=event.detail)])
    if isinstance(event, TimePassed) and box.deadline is not None and event.now >= box.deadline:
        outcome = "beam_stuck" if _beam_stuck(box, event.now) else "timeout"
        return replace(box, state=LOCKED, outcome=outcome), [_cmd("relock")]
    return box, []


def _envelope_seen(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    if isinstance(event, EnvelopeRecorded):
        return replace(box, state=LOCKED), [_cmd("relock")]
    return box, []


def _locked(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    if isinstance(event, Relocked):
        return replace(box, state=RECORDED), [_cmd("close_visit", envelope_id=box.envelope_id,
                                                   outcome=box.outcome, window_s=box.window_s)]
    return box, []


def _recorded(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    if not isinstance(event, VisitClosed):
        return box, []
    done = replace(box, state=IDLE, verdict=None, envelope_id="", outcome="", deadline=None)
    if box.outcome == "received":
        return done, [_cmd("feedback", what=FB_RECEIVED, verdict=box.verdict, envelope_id=box.envelope_id),
                      _cmd("print_receipt", verdict=box.verdict, envelope_id=box.envelope_id)]
    if box.outcome == "beam_stuck":
        return replace(done, state=FAULT), [_cmd("alarm", kind="beam_stuck", detail="beam blocked at the end of "
                                                 "a visit; slot kept locked"), _cmd("feedback", what=FB_FAULT)]
    return done, [_cmd("feedback", what=FB_NO_DROP, verdict=box.verdict)]


def _collecting(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    if isinstance(event, Checked):
        return box, []
    if isinstance(event, DoorOpened):
        return replace(box, door_opened=True), []
    if isinstance(event, DoorClosed) and box.door_opened:
        return replace(box, state=IDLE, verdict=None, door_opened=False, deadline=None), [
            _cmd("feedback", what=FB_READY)]
    if isinstance(event, TimePassed):
        if box.deadline is None:  # the window starts once the manifest has printed (see agent)
            return replace(box, deadline=event.now + box.collection_window_s), []
        if event.now >= box.deadline and not box.door_opened:
            return replace(box, state=IDLE, verdict=None, deadline=None), [_cmd("feedback", what=FB_READY)]
    return box, []


def _fault(box: Box, event) -> tuple[Box, list[BoxCommand]]:
    if isinstance(event, Scanned):
        refusal = Verdict("refused", reason="out_of_order",
                          message="This box is out of order (the slot sensor is blocked); please use another box.")
        return box, [_cmd("refuse", verdict=refusal), _cmd("feedback", what=FB_REFUSED, verdict=refusal)]
    return box, []


_HANDLERS = {IDLE: _idle, SCANNED: _scanned, VALIDATED: _validated, UNLOCKED: _unlocked,
             ENVELOPE_SEEN: _envelope_seen, LOCKED: _locked, RECORDED: _recorded, COLLECTING: _collecting,
             FAULT: _fault}
