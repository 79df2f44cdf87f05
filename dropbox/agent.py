"""The drop-box agent: devices and store around the pure state machine (dropbox/machine.py).

Threads: the camera loop decodes every frame at the camera's rate (dropbox.qr) and queues new scans;
the GPIO debounce threads queue beam and door events; the agent's own loop (:meth:`Agent.run`) takes
one event at a time, steps the machine and runs its commands, so the machine never sees two events at
once.  Time reaches the machine as TimePassed events (monotonic seconds).

Boot (:meth:`Agent.start`): the lock is put in its fail-secure state (de-energised) before anything
else, then :func:`dropbox.journal.reconcile` closes a visit a power cut left open, then the sensors
are read and the camera starts.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from dropbox import journal
from dropbox import machine as m
from dropbox.checks import check_scan
from dropbox.feedback import Feedback, drop_receipt, manifest
from terminal.logs import get_logger

log = get_logger(__name__)

SETTLE_S = 1.0  # at boot, how long the sensors may take to settle (debounce) before they are read


class Agent:
    """One drop box: ``store`` (an open sync.store.Store), ``settings`` (the ``[dropbox]`` values),
    ``box_id`` (this terminal's device id), ``gpio`` (an open DropBoxGpio), ``camera`` (an open
    Camera, or None to feed :class:`~dropbox.machine.Scanned` events yourself with :meth:`put`),
    ``feedback`` (default: LEDs, buzzer, no display, no printer), ``hold_at`` (a state name: stop
    there and wait to be killed; the kill -9 test's seam), ``clock`` (monotonic seconds).

    >>> agent = Agent(store, dropbox_values({}), box_id="DBX-T-0001", gpio=gpio)   # doctest: +SKIP
    >>> agent.start(); agent.run(timeout_s=5); agent.close()                          # doctest: +SKIP
    """

    def __init__(self, store, settings: Mapping[str, Any], *, box_id: str, gpio, camera=None,
                 feedback: Feedback | None = None, hold_at: str | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.settings = dict(settings)
        self.box_id = box_id
        self.gpio = gpio
        self.camera = camera
        self.feedback = feedback or Feedback(gpio)
        self.hold_at = hold_at
        self.clock = clock
        window_s = min(self.settings["window_s"], gpio.lock.max_energised_s)
        if window_s < self.settings["window_s"]:
            log.warning("dropbox.window_capped", window_s=self.settings["window_s"],
                        lock_max_energised_s=gpio.lock.max_energised_s,
                        action="the slot stays open for the lock's cap; raise gpio.lock_max_energised_s or "
                               "lower dropbox.window_s")
        self.box = m.Box(window_s=window_s, beam_stuck_s=self.settings["beam_stuck_s"],
                         collection_window_s=self.settings["collection_window_s"])
        self.events: queue.Queue = queue.Queue()
        self.stop = threading.Event()
        self.reconciled: list[dict] = []
        self.last_batch: journal.CollectedBatch | None = None
        self.scans = 0
        self._passes = 0
        self._camera_thread: threading.Thread | None = None
        self._held = threading.Event()
        self._dispatching = False

    # -- boot and shutdown -----------------------------------------------------------------------------
    def start(self) -> "Agent":
        """Lock fail-secure, reconcile the journal, read the sensors, start the camera; returns self."""
        self.gpio.lock.lock()  # fail-secure first: whatever the journal says, the slot is locked now
        self.reconciled = journal.reconcile(self.store)
        self.gpio.beam.wait_for(is_closed=True, timeout_s=SETTLE_S)
        self.gpio.door.wait_for(is_closed=True, timeout_s=SETTLE_S)
        self._passes = self.gpio.beam.passes
        self.gpio.beam.when_broken = lambda: self.put(m.BeamBroken(self.clock()))
        self.gpio.beam.when_cleared = self._beam_cleared
        self.gpio.door.when_opened = lambda: self.put(m.DoorOpened())
        self.gpio.door.when_closed = lambda: self.put(m.DoorClosed())
        if self.gpio.beam.broken:   # broken since boot: not an envelope, but it may be stuck
            self.put(m.BeamBroken(self.clock()))
        if self.gpio.door.is_open:
            self.put(m.DoorOpened())
        log.info("dropbox.booted", box_id=self.box_id, lock="locked" if self.gpio.lock.locked else "UNLOCKED",
                 reconciled=len(self.reconciled), count=journal.uncollected(self.store.conn),
                 capacity=self.settings["capacity"])
        self.feedback.show(m.FB_READY)
        self._maybe_hold()
        if self.camera is not None:
            self._camera_thread = threading.Thread(target=self._camera_loop, name="dropbox-camera", daemon=True)
            self._camera_thread.start()
        return self

    def close(self) -> None:
        """Stop: relock, close an open visit (reason ``stopped``; a received envelope stays received),
        stop the camera loop, wait for receipts being printed.  Idempotent; the devices stay open."""
        self.stop.set()
        try:
            self.gpio.lock.lock()
        except Exception as exc:  # the board may already be closed (which relocks it)
            log.warning("dropbox.relock_failed", error=repr(exc))
        for envelope_id, _ in journal.open_visits(self.store.conn):
            journal.close_visit(self.store, envelope_id, "stopped")
        if self._camera_thread is not None:
            self._camera_thread.join(timeout=5)
        self.feedback.wait_printed()

    # -- inputs ------------------------------------------------------------------------------------------
    def put(self, event) -> None:
        """Queue one event for the agent's loop (any thread)."""
        self.events.put(event)

    def settled(self) -> bool:
        """Idle with every queued event handled (commands included)."""
        return self.box.state == m.IDLE and self.events.unfinished_tasks == 0 and not self._dispatching

    def _beam_cleared(self) -> None:
        passes = self.gpio.beam.passes
        if passes > self._passes:   # broken, then clear: something fell through
            self._passes = passes
            self.put(m.BeamPassed())
        self.put(m.BeamCleared())

    def _camera_loop(self) -> None:
        from drivers.camera import SourceExhausted
        from drivers.errors import DeviceError
        from dropbox.qr import SightingWindow, decode

        window = SightingWindow(self.settings["repeat_s"])
        failures = 0
        while not self.stop.is_set():
            try:
                frame = self.camera.capture()
            except SourceExhausted:
                log.info("dropbox.camera_source_ended")
                return
            except DeviceError as exc:
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:
                    log.error("dropbox.camera_failed", error=str(exc), failures=failures)
                self.stop.wait(min(2.0, 0.1 * failures))
                continue
            failures = 0
            seen_at = time.perf_counter()
            for found in window.new_scans(decode(frame)):
                payload = found.payload
                if isinstance(payload, bytes):
                    payload = payload.decode("latin-1")   # not ours (ours are ASCII): refused as malformed
                self.scans += 1
                self.put(m.Scanned(payload, seen_at=seen_at))

    # -- the loop ----------------------------------------------------------------------------------------
    def run(self, *, timeout_s: float | None = None, tick_s: float = 0.05,
            on_tick: Callable[[], None] | None = None) -> None:
        """Take events until :attr:`stop` is set or ``timeout_s`` seconds pass; a TimePassed every ``tick_s``.

        ``on_tick`` runs once per pass (the service pings the systemd watchdog there).
        """
        end = None if timeout_s is None else self.clock() + timeout_s
        while not self.stop.is_set() and (end is None or self.clock() < end):
            try:
                event = self.events.get(timeout=tick_s)
            except queue.Empty:
                event = None
            if event is not None:
                try:
                    self.dispatch(event)
                finally:
                    self.events.task_done()
            self.dispatch(m.TimePassed(self.clock()))
            if on_tick is not None:
                on_tick()

    def dispatch(self, event) -> None:
        """Step the machine with ``event`` and run its commands; a command's answer is stepped next."""
        self._dispatching = True
        try:
            self._dispatch(event)
        finally:
            self._dispatching = False

    def _dispatch(self, event) -> None:
        pending = [event]
        while pending:
            current = pending.pop(0)
            before = self.box.state
            self.box, commands = m.step(self.box, current)
            for command in commands:
                try:
                    answer = self._run(command)
                except Exception as exc:
                    self._failed(command, exc)
                    return
                if answer is not None:
                    pending.append(answer)
            if self.box.state != before:
                log.info("dropbox.state", state=self.box.state, was=before, after=type(current).__name__)
                self._maybe_hold()

    def _failed(self, command, exc: Exception) -> None:
        """A command failed (the store, a device): lock, close what is open, back to idle, say so."""
        log.exception("dropbox.command_failed", command=command.name, state=self.box.state, error=repr(exc))
        try:
            self.gpio.lock.lock()
            journal.reconcile(self.store)
        except Exception as again:
            log.critical("dropbox.recovery_failed", error=repr(again))
        self.box = m.replace_state(self.box, m.IDLE)
        self.feedback.show(m.FB_REFUSED, message="This box cannot take envelopes right now; please try again "
                                                 "later or use another box.")

    def _maybe_hold(self) -> None:
        if self.hold_at == self.box.state and not self._held.is_set():
            self._held.set()
            log.warning("dropbox.holding", state=self.box.state, lock="locked" if self.gpio.lock.locked
                        else "unlocked")
            self.stop.wait()   # only a signal ends it: the kill -9 test's seam

    # -- commands ----------------------------------------------------------------------------------------
    def _run(self, command: m.BoxCommand):
        a = command.args
        name = command.name
        if name == "check":
            return m.Checked(check_scan(self.store.conn, a["payload"], settings=self.settings, box_id=self.box_id))
        if name == "open_visit":
            visit = journal.open_visit(self.store, a["verdict"], window_s=a["window_s"])
            return m.VisitOpened(visit.id, now=self.clock())
        if name == "unlock":
            from drivers.errors import DeviceError
            try:
                self.gpio.lock.unlock(hold_s=a["hold_s"])
            except DeviceError as exc:
                return m.UnlockFailed(str(exc))
            return None
        if name == "record_envelope":
            journal.record_envelope(self.store, a["envelope_id"], capacity=self.settings["capacity"],
                                    near_full_percent=self.settings["near_full_percent"])
            return m.EnvelopeRecorded()
        if name == "relock":
            self.gpio.lock.lock()
            return m.Relocked()
        if name == "close_visit":
            journal.close_visit(self.store, a["envelope_id"], a["outcome"])
            return m.VisitClosed()
        if name == "refuse":
            v = a["verdict"]
            payload = {"reason": v.reason, "detail": v.message or v.reason}
            if v.claim_id:
                payload["claim_id"] = v.claim_id
            journal.note(self.store, "refused", "dropbox.refused", payload)
            log.info("dropbox.refused", reason=v.reason, claim_id=v.claim_id)
            return None
        if name == "alarm":
            journal.note(self.store, "alarm", "dropbox.alarm", {"kind": a["kind"], "detail": a["detail"]})
            log.warning("dropbox.alarm", kind=a["kind"], detail=a["detail"])
            return None
        if name == "collect":
            v = a["verdict"]
            self.last_batch = journal.collect(self.store, box_id=self.box_id, authorised_by=v.authorised_by,
                                              nonce=v.nonce or None)
            log.info("dropbox.collected", batch_id=self.last_batch.id, count=self.last_batch.count)
            self.feedback.print("manifest", manifest(self.last_batch, self.box_id, width=self._width()))
            return None
        if name == "feedback":
            v = a.get("verdict")
            self.feedback.show(a["what"], claim=v.claim_id if v else "", message=v.message if v else "")
            return None
        if name == "print_receipt":
            if self.settings["receipt_on_drop"]:
                self.feedback.print("receipt", drop_receipt(a["verdict"].claim_id, a["envelope_id"], self.box_id,
                                                            time.time(), width=self._width()))
            return None
        raise ValueError(f"unknown command {name!r}")

    def _width(self) -> int:
        section = self.feedback.receipt_section
        return int(section["width_chars"]) if section is not None and "width_chars" in section else 42
