"""The kiosk's tables: SMS codes (hashed), lock-outs, and the employee's history; each change with its event.

Everything a kiosk restart must not forget lives here, so a new process
neither resets the limits nor sends a code twice.  Every write runs in one
transaction with its outbox event (sync.outbox.record).  Times are kept
three ways (wall, monotonic, boot id): within one boot the monotonic clock
decides; across a reboot the wall clock decides the limits, and a code from
an earlier boot counts as expired (no trusted way to age it).

Lock scopes: ``code`` (subject: the employee number) and ``technician_pin``
(subject: ``*``, the kiosk as a whole).
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.outbox import record
from sync.store import Migration

MIGRATIONS = [
    Migration("kiosk", 1, """
CREATE TABLE kiosk_otp (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    employee_no TEXT NOT NULL,
    salt BLOB NOT NULL,
    digest BLOB NOT NULL,
    sms_key TEXT NOT NULL UNIQUE,
    transport TEXT NOT NULL,
    state TEXT NOT NULL,            -- pending | sent | failed | used | superseded
    wall REAL NOT NULL, mono REAL NOT NULL, boot_id TEXT NOT NULL
);
CREATE INDEX kiosk_otp_employee ON kiosk_otp (employee_no, id);
CREATE TABLE kiosk_lock (
    scope TEXT NOT NULL, subject TEXT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_wall REAL, locked_mono REAL, locked_boot TEXT,
    PRIMARY KEY (scope, subject)
);
CREATE TABLE kiosk_history (
    id INTEGER PRIMARY KEY,
    employee_no TEXT NOT NULL,
    session_id TEXT NOT NULL,
    wall REAL NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX kiosk_history_employee ON kiosk_history (employee_no, id);
""", "SMS codes as salted hashes, lock-outs and the employee's kiosk history"),
]


def _age(clock, wall: float, mono: float, boot: str) -> float:
    """Seconds since a stamp: monotonic within this boot, wall clock across boots (never negative)."""
    if boot == clock.boot_id():
        return max(0.0, clock.monotonic() - mono)
    return max(0.0, clock.wall() - wall)


def _emit(db, clock, event_type: str, payload: dict, key: str | None = None) -> None:
    record(db, event_type, payload, key=key, clock=clock.stamp_clock())


@dataclass(frozen=True)
class Otp:
    """One code as stored: no code value, only its salted hash."""

    id: int
    employee_no: str
    salt: bytes
    digest: bytes
    sms_key: str
    state: str
    age_s: float
    same_boot: bool


class KioskStore:
    """The kiosk's records on the terminal's store (``store``: sync.store.Store; ``clock``: kiosk.clock)."""

    def __init__(self, store, clock):
        self.store, self.clock = store, clock

    # -- SMS codes ---------------------------------------------------------------------------------
    def new_otp(self, session_id: str, employee_no: str, salt: bytes, digest: bytes, sms_key: str,
                transport: str) -> int:
        """Store a new code (state pending), supersede the employee's earlier ones; returns its id."""
        c = self.clock
        with self.store.write() as db:
            db.conn.execute("UPDATE kiosk_otp SET state = 'superseded' WHERE employee_no = ? "
                            "AND state IN ('pending', 'sent')", (employee_no,))
            otp_id = db.conn.execute(
                "INSERT INTO kiosk_otp (session_id, employee_no, salt, digest, sms_key, transport, state, wall,"
                " mono, boot_id) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id",
                (session_id, employee_no, salt, digest, sms_key, transport, c.wall(), c.monotonic(),
                 c.boot_id())).fetchone()[0]
            _emit(db, c, "kiosk.code_requested", {"session_id": session_id, "employee_no": employee_no,
                                                  "otp_id": otp_id, "transport": transport})
        return otp_id

    def otp_sent(self, otp_id: int, ok: bool, reason: str = "") -> None:
        """The transport's answer for code ``otp_id``: sent, or failed for ``reason`` (a kind, no personal data)."""
        with self.store.write() as db:
            row = db.conn.execute("SELECT employee_no, state, session_id FROM kiosk_otp WHERE id = ?",
                                  (otp_id,)).fetchone()
            if row is None:
                return
            if row[1] == "pending":
                db.conn.execute("UPDATE kiosk_otp SET state = ? WHERE id = ?", ("sent" if ok else "failed", otp_id))
            payload = {"session_id": row[2], "employee_no": row[0], "otp_id": otp_id, "ok": ok}
            if reason:
                payload["reason"] = reason
            _emit(db, self.clock, "kiosk.code_sent", payload)

    def latest_otp(self, employee_no: str) -> Otp | None:
        """The employee's newest code that may still be typed (pending or sent), or None."""
        row = self.store.conn.execute(
            "SELECT id, employee_no, salt, digest, sms_key, state, wall, mono, boot_id FROM kiosk_otp "
            "WHERE employee_no = ? AND state IN ('pending', 'sent') ORDER BY id DESC LIMIT 1",
            (employee_no,)).fetchone()
        if row is None:
            return None
        return Otp(row[0], row[1], row[2], row[3], row[4], row[5], _age(self.clock, row[6], row[7], row[8]),
                   row[8] == self.clock.boot_id())

    def sends(self, employee_no: str, window_s: float) -> tuple[int, float | None]:
        """``(codes sent within window_s, seconds since the newest or None)`` for the employee.

        A code the transport refused (state failed) reached no phone, so it counts for neither."""
        count, newest = 0, None
        for wall, mono, boot in self.store.conn.execute(
                "SELECT wall, mono, boot_id FROM kiosk_otp WHERE employee_no = ? AND state != 'failed' "
                "ORDER BY id DESC LIMIT 50",
                (employee_no,)):
            age = _age(self.clock, wall, mono, boot)
            newest = age if newest is None else min(newest, age)
            count += age < window_s
        return count, newest

    def code_checked(self, otp_id: int, session_id: str, employee_no: str, ok: bool, *, max_failures: int,
                     lock_s: int) -> int:
        """Record one code entry and its outcome; returns the attempts left (0: now locked).

        Right: the code is used up and the employee's failure count cleared.
        Wrong: the count grows; at ``max_failures`` the employee is locked for ``lock_s``.
        """
        with self.store.write() as db:
            if ok:
                db.conn.execute("UPDATE kiosk_otp SET state = 'used' WHERE id = ?", (otp_id,))
                self._set_failures(db, "code", employee_no, 0)
                left = max_failures
            else:
                left = self._fail(db, "code", employee_no, max_failures)
            _emit(db, self.clock, "kiosk.code_checked", {"session_id": session_id, "employee_no": employee_no,
                                                         "ok": ok, "attempts_left": left})
            if not ok and left == 0:
                db.conn.execute("UPDATE kiosk_otp SET state = 'superseded' WHERE employee_no = ? "
                                "AND state IN ('pending', 'sent')", (employee_no,))
                _emit(db, self.clock, "kiosk.locked", {"scope": "code", "employee_no": employee_no,
                                                       "session_id": session_id, "lock_s": lock_s})
        return left

    # -- lock-outs ---------------------------------------------------------------------------------
    def locked_for(self, scope: str, subject: str, lock_s: int) -> int:
        """Whole seconds until ``subject``'s lock in ``scope`` ends (0: not locked)."""
        row = self.store.conn.execute("SELECT locked_wall, locked_mono, locked_boot FROM kiosk_lock "
                                      "WHERE scope = ? AND subject = ?", (scope, subject)).fetchone()
        if row is None or row[0] is None:
            return 0
        left = lock_s - _age(self.clock, row[0], row[1], row[2])
        return max(0, int(left + 0.999))

    def failures(self, scope: str, subject: str) -> int:
        """Failures counted towards the next lock."""
        row = self.store.conn.execute("SELECT failures FROM kiosk_lock WHERE scope = ? AND subject = ?",
                                      (scope, subject)).fetchone()
        return row[0] if row else 0

    def pin_checked(self, ok: bool, *, max_failures: int, lock_s: int) -> int:
        """Record one technician PIN entry; returns the attempts left (0: now locked)."""
        with self.store.write() as db:
            if ok:
                self._set_failures(db, "technician_pin", "*", 0)
                left = max_failures
            else:
                left = self._fail(db, "technician_pin", "*", max_failures)
            _emit(db, self.clock, "kiosk.technician", {"what": "pin", "ok": ok, "attempts_left": left})
            if not ok and left == 0:
                _emit(db, self.clock, "kiosk.locked", {"scope": "technician_pin", "lock_s": lock_s})
        return left

    def _set_failures(self, db, scope: str, subject: str, n: int) -> None:
        db.conn.execute("INSERT INTO kiosk_lock (scope, subject, failures) VALUES (?, ?, ?) ON CONFLICT "
                        "(scope, subject) DO UPDATE SET failures = excluded.failures, locked_wall = NULL,"
                        " locked_mono = NULL, locked_boot = NULL", (scope, subject, n))

    def _fail(self, db, scope: str, subject: str, max_failures: int) -> int:
        c = self.clock
        n = db.conn.execute("INSERT INTO kiosk_lock (scope, subject, failures) VALUES (?, ?, 1) ON CONFLICT "
                            "(scope, subject) DO UPDATE SET failures = failures + 1 RETURNING failures",
                            (scope, subject)).fetchone()[0]
        if n >= max_failures:  # lock now; the count starts again after the lock
            db.conn.execute("UPDATE kiosk_lock SET failures = 0, locked_wall = ?, locked_mono = ?, locked_boot = ? "
                            "WHERE scope = ? AND subject = ?", (c.wall(), c.monotonic(), c.boot_id(), scope, subject))
            return 0
        return max_failures - n

    # -- outcomes and history ----------------------------------------------------------------------
    def event(self, event_type: str, payload: dict, *, history: tuple[str, str, str, str] | None = None) -> None:
        """Record one kiosk event; ``history`` (employee_no, session_id, kind, status) adds a history row
        in the same transaction."""
        with self.store.write() as db:
            if history is not None:
                db.conn.execute("INSERT INTO kiosk_history (employee_no, session_id, wall, kind, status) "
                                "VALUES (?, ?, ?, ?, ?)", (*history[:2], self.clock.wall(), *history[2:]))
            _emit(db, self.clock, event_type, payload)

    def history(self, employee_no: str, limit: int = 20) -> list[dict]:
        """The employee's newest kiosk transactions here: list of {when (wall seconds), kind, status}."""
        return [{"when": w, "kind": k, "status": s} for w, k, s in self.store.conn.execute(
            "SELECT wall, kind, status FROM kiosk_history WHERE employee_no = ? ORDER BY id DESC LIMIT ?",
            (employee_no, limit))]
