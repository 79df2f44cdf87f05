"""The forwarder: drains the outbox to central, exactly once in effect.

One batch at a time, oldest first within each priority (audit, then
transactions, then telemetry).  A batch is deleted from the outbox only
after central's per-event answer, in one commit per batch (few writes for the
SD card).  A crash anywhere re-sends at most the batch in flight, and central
answers ``duplicate`` for what it already holds: nothing lost, nothing twice.

Outcomes (see sync.client): accepted/duplicate -> deleted; rejected -> dead
letter with central's reason; 413 -> halve the batch (a single event too big
-> dead letter); 400 -> halve until the one bad event is isolated, which is
dead-lettered; 401 bad credentials -> stop and say "re-enrol"; 5xx, 429,
timeouts, resets -> capped exponential backoff with full jitter, Retry-After
honoured, paid from a retry budget.  After an outage the drain starts after a
random delay and is paced, so a fleet does not stampede central.

The backlog is read one batch at a time, so memory does not grow with it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import gzip
import json
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sync import backlog as backlog_mod
from sync import store_faults
from sync.backoff import JitteredBackoff, RetryBudget
from sync.client import (BatchRefused, CentralCallFailed, CentralClient, CredentialsRejected, Credentials,
                         Retryable, tls_verify)
from sync.clock import SystemClock
from sync.state import EVENT_COLUMNS, all_state, get_state, note_error, set_state
from terminal import TerminalError
from terminal.logs import get_logger

log = get_logger(__name__)

HOUSEKEEPING_EVERY_S = 10.0
CREDENTIALS_RECHECK_S = 60.0
ENROLMENT_RECHECK_S = 10.0
WAIT_SLICE_S = 5.0  # the longest a wait goes without a watchdog ping (WatchdogSec is 30 s or more)
LONE_REFUSALS_MAX = 10  # single-event 400/413s in a row before central itself is suspected


class NotEnrolled(TerminalError):
    """The store holds no central URL and secret yet."""


class AlreadyRunning(TerminalError):
    """Another forwarder holds this store's forwarder lock."""


@contextlib.contextmanager
def single_forwarder(store_path) -> Iterator[None]:
    """One forwarder per store: a second would only send every batch twice (central dedupes,
    but the work and the counters would be doubled).  The kernel drops the lock when the
    holder dies, even by kill -9."""
    path = f"{store_path}.forwarder.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise store_faults.LockUnavailable(store_faults.ownership_message(
                Path(store_path), [Path(path)], "cannot take the forwarder lock of the database")) from None
        raise store_faults.LockUnavailable(store_faults.environment_message(
            Path(store_path), f"cannot create the forwarder lock {path}", exc)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            raise AlreadyRunning(f"another 'terminal sync run' (pid {holder}) is forwarding this store; "
                                 f"stop it first (systemctl stop terminal-sync) or let it do the work") from None
        try:  # the pid only helps the message above; the flock is the lock, even on a full disk
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
        except OSError:
            pass
        yield
    finally:
        os.close(fd)


@dataclass
class Batch:
    """One upload: the outbox ``rows`` it carries and ``body``, the gzip'd JSON exactly as sent and signed."""
    rows: list[dict]
    body: bytes  # gzip of the JSON body, exactly as sent (and signed)

    @property
    def seqs(self) -> list[int]:
        """The outbox sequence numbers in this batch, in order."""
        return [r["seq"] for r in self.rows]


@dataclass
class RunResult:
    """Counts for one forwarder run: events sent, central's answers (accepted, duplicate, rejected), failed calls."""
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    failures: int = 0


class Forwarder:
    """Forwards the outbox of ``store`` to central in signed batches, pacing retries, until stopped.

    ``settings`` is the config's ``[sync]`` section (durations in seconds);
    ``device_id`` is this terminal's; ``stop`` ends :meth:`run` between steps;
    ``puller`` (a sync.pull.Puller) pulls reference data every
    ``pull_interval_s``; ``notify`` is called with systemd notify fields.
    ``clock`` and ``rng`` are for tests.
    """
    def __init__(self, store, settings, *, device_id: str, clock: SystemClock | None = None,
                 stop: threading.Event | None = None, rng: random.Random | None = None,
                 puller=None, notify=None):
        self.store = store
        self.s = settings
        self.device_id = device_id
        self.clock = clock or SystemClock()
        self.stop = stop or threading.Event()
        self.rng = rng or random.Random()
        self.puller = puller
        self.notify = notify or (lambda **kw: None)
        self.backoff = JitteredBackoff(settings.retry_base_s, settings.retry_cap_s, self.rng)
        self.budget = RetryBudget(settings.retry_budget)
        self.batch_cap = settings.batch_max_events
        self.client: CentralClient | None = None
        self.result = RunResult()
        self._backlog: backlog_mod.OutboxBacklog | None = None
        self._next_housekeeping = 0.0
        self._next_pull = 0.0
        self._recovering = False
        self._start_delay_done = False
        self._lone_refusals = 0  # single-event 400/413s since the last accepted batch

    # -- public --------------------------------------------------------------------------------
    def _wait(self, seconds: float) -> bool:
        """Wait up to ``seconds`` for stop, pinging systemd's watchdog (when it runs) every slice of the wait.

        Returns True when stop was set.  A backoff or Retry-After may last minutes;
        without the pings systemd would take the waiting forwarder for a hung one.
        """
        every = getattr(self.notify, "watchdog_every_s", None)  # half of systemd's WatchdogSec, or None
        slice_s = min(WAIT_SLICE_S, every / 2) if every else max(seconds, 0.0)  # no watchdog: one plain wait
        left = seconds
        while True:  # counted in slices, not by the clock: a stop event that returns at once still ends it
            self.notify(watchdog=True)
            if left <= 0:
                return self.stop.is_set()
            if self.stop.wait(min(left, slice_s)):
                return True
            left -= slice_s

    def run(self, *, once: bool = False) -> int:
        """Forward until stopped (service) or until the outbox is empty (once: 0) or the budget is spent (1)."""
        self.notify(ready=True, status="starting")  # before any wait, so systemd's start never times out
        self._connect(once)
        offset = get_state(self.store.conn, "clock_offset")
        self._housekeeping(force=True)
        if self._backlog.oldest_age_s is not None and self._backlog.oldest_age_s > self.s.outage_after_s:
            self._recovering = True
        self.notify(status=f"forwarding, backlog {self._backlog.depth}")
        log.info("sync.forwarder_started", device_id=self.device_id, central=self.client.base,
                 backlog=self._backlog.depth, clock_offset_s=offset, once=once)
        try:
            while not self.stop.is_set():
                code = self._step(once)
                if code is not None:
                    return code
            return 0
        finally:
            if self.client:
                self.client.close()
            log.info("sync.forwarder_stopped", sent=self.result.sent, accepted=self.result.accepted,
                     duplicate=self.result.duplicate, rejected=self.result.rejected,
                     failures=self.result.failures)

    # -- one turn of the loop ------------------------------------------------------------------
    def _step(self, once: bool) -> int | None:
        self._housekeeping()
        try:
            self._maybe_pull(once)
        except CredentialsRejected as exc:
            return self._credentials_rejected(exc, once)
        if self._recovering and not self._start_delay_done:
            self._start_delay_done = True
            delay = self.rng.uniform(0, self.s.drain_start_jitter_s)
            if delay > 0:
                log.info("sync.drain_delayed", seconds=round(delay, 2), backlog=self._backlog.depth,
                         reason="random start delay after an outage, so the fleet does not stampede")
                if self._wait(delay):
                    return 0
        batch = self._next_batch()
        if batch is None:
            self._recovering = False
            self._start_delay_done = False
            if once:
                return 0
            self.notify(status="idle, outbox empty")
            self._wait(self.s.idle_poll_s)
            return None
        started = time.monotonic()
        try:
            answer = self.client.post_events(batch.body)
        except CredentialsRejected as exc:
            return self._credentials_rejected(exc, once)
        except BatchRefused as exc:
            if len(batch.rows) == 1 and self._lone_refusals >= LONE_REFUSALS_MAX:
                # Central refuses event after event on its own: more likely central or a proxy in
                # front of it is broken than every event. Keep them and retry instead.
                return self._retry_later(Retryable(
                    f"central refused {self._lone_refusals} events in a row one by one ({exc}); not "
                    f"dead-lettering more until one is accepted", status=exc.status), once)
            return self._local(self._refused, batch, exc, once=once)
        except Retryable as exc:
            return self._retry_later(exc, once)
        except CentralCallFailed as exc:  # an answer the ingest contract does not have (e.g. 410): retry
            return self._retry_later(Retryable(str(exc)), once)
        code = self._local(self._apply, batch, answer, once=once)
        if code is None:
            self._pace(len(batch.rows), time.monotonic() - started)
        return code

    def _local(self, fn, *args, once: bool) -> int | None:
        """Record an outcome in the store; a locked or full store is a pause, never a crash.

        Central already holds what it answered for, so the resend after the pause is
        answered "duplicate" (or refused again): nothing is lost either way.
        """
        try:
            return fn(*args, once)
        except sqlite3.OperationalError as exc:
            log.error("sync.ack_commit_failed", error=str(exc))
            return self._retry_later(Retryable(f"could not record central's answer locally ({exc})"), once)

    # -- sending -------------------------------------------------------------------------------
    def _next_batch(self) -> Batch | None:
        cols = ", ".join(EVENT_COLUMNS)
        rows = self.store.conn.execute(
            f"SELECT {cols} FROM sync_outbox ORDER BY priority, seq LIMIT ?", (self.batch_cap,)).fetchall()
        if not rows:
            return None
        picked, total = [], 0
        for row in rows:
            item = dict(zip(EVENT_COLUMNS, row))
            if picked and total + item["size"] > self.s.batch_max_bytes:
                break
            picked.append(item)
            total += item["size"]
        return Batch(picked, self._body(picked))

    def _body(self, rows: list[dict]) -> bytes:
        events = ",".join(
            '{"seq":%d,"key":%s,"type":%s,"schema":%d,"priority":%d,"payload":%s,"wall_time":%s,'
            '"mono_ns":%d,"boot_id":%s,"clock_synced":%s}' % (
                r["seq"], json.dumps(r["key"]), json.dumps(r["type"]), r["schema"], r["priority"],
                r["payload"], json.dumps(r["wall_time"]), r["mono_ns"], json.dumps(r["boot_id"]),
                "true" if r["clock_synced"] else "false")
            for r in rows)
        head = {"device_id": self.device_id, "sent_at": self.clock.stamp(), "backlog": self._behind(rows)}
        text = json.dumps(head, separators=(",", ":"))[:-1] + ',"events":[' + events + "]}"
        return gzip.compress(text.encode(), compresslevel=5)

    def _behind(self, rows: list[dict]) -> dict:
        """The backlog waiting behind this batch (what central's status page should show)."""
        b = self._backlog
        depth = max(0, b.depth - len(rows))
        age = None if b.oldest_age_s is None or depth == 0 else round(b.oldest_age_s, 3)
        return {"depth": depth, "bytes": max(0, b.bytes - sum(r["size"] for r in rows)), "oldest_age_s": age}

    def _apply(self, batch: Batch, answer: dict, once: bool) -> int | None:
        results = answer.get("results") if isinstance(answer, dict) else None
        by_seq = {}
        for item in results if isinstance(results, list) else []:
            if isinstance(item, dict) and isinstance(item.get("seq"), int):
                by_seq[item["seq"]] = item
        done, rejected, missing = [], [], []
        for seq in batch.seqs:
            item = by_seq.get(seq)
            status = item.get("status") if item else None
            if status in ("accepted", "duplicate"):
                done.append(seq)
                self.result.accepted += status == "accepted"
                self.result.duplicate += status == "duplicate"
            elif status == "rejected":
                rejected.append((seq, str(item.get("code") or "rejected"), str(item.get("reason") or "")))
            else:
                missing.append(seq)
        now = self.clock.wall()
        with self.store.write():
            conn = self.store.conn
            conn.executemany("DELETE FROM sync_outbox WHERE seq = ?", [(s,) for s in done])
            for seq, code, reason in rejected:
                self._dead_letter(conn, seq, code, reason or "central rejected the event", now)
            set_state(conn, "clock_offset", self.client.clock_offset_s)
            set_state(conn, "last_success", {"at": now, "central_time": self.client.central_now(),
                                             "events": len(done) + len(rejected)})
            set_state(conn, "forwarded_total", get_state(conn, "forwarded_total", 0) + len(done))
        self.result.sent += len(batch.rows)
        self.result.rejected += len(rejected)
        if self._backlog:
            gone = set(done) | {seq for seq, _, _ in rejected}
            self._backlog.depth = max(0, self._backlog.depth - len(gone))
            self._backlog.bytes = max(0, self._backlog.bytes - sum(r["size"] for r in batch.rows
                                                                   if r["seq"] in gone))
        for seq, code, reason in rejected:
            log.error("sync.dead_lettered", seq=seq, result_code=code, reason=reason)
        self.budget.succeed()
        self.backoff.reset()
        self._lone_refusals = 0
        if self.batch_cap < self.s.batch_max_events:  # grow back after a 413/400 split
            self.batch_cap = min(self.s.batch_max_events, self.batch_cap * 2)
        if missing:
            return self._retry_later(Retryable(f"central's answer lacks results for {len(missing)} events "
                                               f"(first seq {missing[0]}); they stay queued"), once)
        return None

    def _dead_letter(self, conn: sqlite3.Connection, seq: int, code: str, reason: str, now: float) -> None:
        cols = ", ".join(EVENT_COLUMNS)
        conn.execute(f"INSERT INTO sync_dead_letters ({cols}, code, reason, failed_at) "
                     f"SELECT {cols}, ?, ?, ? FROM sync_outbox WHERE seq = ?", (code, reason, now, seq))
        conn.execute("DELETE FROM sync_outbox WHERE seq = ?", (seq,))

    # -- failures ------------------------------------------------------------------------------
    def _refused(self, batch: Batch, exc: BatchRefused, once: bool) -> None:
        self.result.failures += 1
        if len(batch.rows) == 1:
            seq = batch.seqs[0]
            reason = ("the event alone is larger than central accepts" if exc.status == 413 else str(exc))
            with self.store.write():
                self._dead_letter(self.store.conn, seq, str(exc.status), reason, self.clock.wall())
                note_error(self.store.conn, f"event {seq} dead-lettered: {reason}", code=str(exc.status))
            self.result.rejected += 1
            self._lone_refusals += 1
            log.error("sync.dead_lettered", seq=seq, result_code=exc.status, reason=reason)
            return
        self.batch_cap = max(1, len(batch.rows) // 2)
        log.warning("sync.batch_split", status=exc.status, size=len(batch.rows), next_size=self.batch_cap,
                    reason=str(exc))

    def _retry_later(self, exc: Retryable, once: bool) -> int | None:
        self.result.failures += 1
        self._recovering = True
        self._remember_error(str(exc), code=str(exc.status or "network"))
        if not self.budget.spend(timeout=exc.timeout):
            if once:
                log.error("sync.retry_budget_spent", error=str(exc), backlog=self._backlog.depth)
                return 1
            delay = self.rng.uniform(self.s.retry_cap_s / 2, self.s.retry_cap_s)
            log.warning("sync.retry_budget_spent", error=str(exc), probe_in_s=round(delay, 1))
        elif exc.retry_after_s is not None:
            delay = exc.retry_after_s
            self.backoff.failures += 1
        else:
            delay = self.backoff.next_delay()
        log.warning("sync.retry", error=str(exc), in_s=round(delay, 3), tokens=self.budget.tokens)
        self.notify(status=f"retrying: {exc}")
        self._start_delay_done = True  # the backoff is this outage's spread; no extra start delay
        self._wait(delay)
        return None

    def _credentials_rejected(self, exc: CredentialsRejected, once: bool) -> int | None:
        self.result.failures += 1
        self._remember_error(str(exc), code="credentials")
        log.critical("sync.credentials_rejected", error=str(exc))
        if once:
            raise TerminalError(str(exc))
        self.notify(status="central rejects the credentials: re-enrol")
        while not self._wait(CREDENTIALS_RECHECK_S):  # wait for a new enrolment, never spin
            creds = Credentials.from_state(all_state(self.store.conn))
            if creds and creds.secret != self.client.creds.secret:
                self.client.close()
                self._connect(once)
                return None
        return 0

    def _remember_error(self, message: str, *, code: str) -> None:
        try:
            with self.store.write():
                note_error(self.store.conn, message, code=code)
        except sqlite3.OperationalError as exc:  # e.g. disk full: the log line must still say it
            log.error("sync.state_write_failed", error=str(exc))

    # -- pacing, housekeeping, pull ------------------------------------------------------------
    def _pace(self, n: int, took: float) -> None:
        rate = self.s.drain_max_events_per_s
        if self._recovering and rate > 0:
            rest = n / rate - took
            if rest > 0:
                self._wait(rest)

    def _housekeeping(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now < self._next_housekeeping:
            return
        self._next_housekeeping = now + HOUSEKEEPING_EVERY_S
        try:
            backlog_mod.enforce(self.store, self.s, self.clock)
        except sqlite3.OperationalError as exc:
            log.error("sync.housekeeping_failed", error=str(exc))
        offset = self.client.clock_offset_s if self.client else get_state(self.store.conn, "clock_offset")
        self._backlog = backlog_mod.measure(self.store.conn, self.clock, offset)
        self.notify(watchdog=True)

    def _maybe_pull(self, once: bool) -> None:
        if once or self.puller is None or self.s.pull_interval_s <= 0:
            return
        now = time.monotonic()
        if now < self._next_pull:
            return
        self._next_pull = now + self.s.pull_interval_s
        try:
            self.puller.pull_all(self.client)
        except CredentialsRejected:
            raise
        except Exception as exc:  # a pull failure must never stop forwarding; it is logged and retried
            log.warning("sync.pull_failed", error=str(exc))

    def _connect(self, once: bool) -> None:
        while True:
            state = all_state(self.store.conn)
            creds = Credentials.from_state(state)
            if creds:
                break
            message = ("this terminal is not enrolled with central; run "
                       "'terminal sync enroll --central URL --token T' first")
            lost = [q for q in self.store.quarantine_events() if (q.get("holds") or {}).get("enrolled")]
            if lost:  # a quarantined store holds the enrolment: restoring it beats enrolling afresh
                message = (f"this terminal is not enrolled with central, but the quarantined store "
                           f"{lost[-1]['moved_to']} holds its enrolment; see 'terminal store check' and "
                           f"'terminal store restore FILE' before enrolling again")
            if once:
                raise NotEnrolled(message)
            log.error("sync.not_enrolled", action=message)
            if self._wait(ENROLMENT_RECHECK_S):
                raise NotEnrolled(message)
        self.client = CentralClient(
            creds, verify=tls_verify(creds.ca_file, self.s.ca_bundle),
            connect_timeout_s=self.s.connect_timeout_s, read_timeout_s=self.s.read_timeout_s,
            retry_after_max_s=self.s.retry_after_max_s, clock=self.clock,
            clock_offset_s=state.get("clock_offset"))
        self.device_id = creds.device_id
