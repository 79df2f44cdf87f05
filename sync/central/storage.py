"""Central's data model and every read and write it makes, on SQLite or PostgreSQL.

Plain functions of one :class:`Storage` over a small set of tables:

- ``devices``: one row per enrolled terminal (its secret and what it last reported);
- ``enrol_tokens``: one-time tokens, stored as SHA-256 only;
- ``nonces``: request nonces seen inside the replay window;
- ``events``: every accepted event once, unique on (device_id, seq) and on
  (device_id, key); ``id`` is the feed cursor, assigned in commit order;
- ``ref_datasets`` / ``ref_items``: reference data with per-dataset versions,
  tombstones and a generation that invalidates every cursor when bumped;
- ``central_keys``: the deployment HMAC key and central's Ed25519 keys (the newest
  unretired one signs; the others verify until retired: :mod:`sync.central.signing`);
- ``consumers``: bearer tokens (SHA-256) of downstream feed consumers;
- ``employee_records``: each employee's transactions, indexed at ingest (:mod:`sync.central.records`).

    >>> import tempfile
    >>> storage = open_storage(tempfile.mkdtemp() + "/central.db")
    >>> token = storage.create_token("KSK-0001", ttl_s=3600)
    >>> len(storage.enroll("KSK-0001", token))
    32
    >>> storage.enroll("KSK-0001", token) is None    # one-time
    True
    >>> storage.close()
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from dataclasses import dataclass

from sync import wire
from sync.central.engines import Engine, StorageError, engine_for_url
from sync.central.records import backfill as backfill_records, ddl as records_ddl, index_records
from sync.central.selftests import DDL as selftests_ddl, record_selftests
from terminal import TerminalError

SCHEMA_VERSION = 3     # 2: central_keys.retired_at (signing keys rotate and retire); 3: employee_records
_CURSOR_PART = re.compile(r"[0-9]{1,18}")
NONCE_PRUNE_EVERY_S = 60.0


class Replayed(TerminalError):
    """The request's nonce was already used inside the replay window."""


class Resync(TerminalError):
    """A reference cursor that can no longer be continued; the message says why."""


class UnknownDataset(TerminalError):
    """A dataset name central does not serve."""


class KeyNotFound(TerminalError):
    """No such signing key, or one that may not be retired (the one central signs with)."""

    exit_code = 2


def _ddl(engine: Engine) -> list[str]:
    ident = engine.id_column()
    real = "DOUBLE PRECISION"
    return [
        f"CREATE TABLE IF NOT EXISTS central_schema (version INTEGER PRIMARY KEY, applied_at {real} NOT NULL)",
        f"""CREATE TABLE IF NOT EXISTS devices (
            device_id TEXT PRIMARY KEY, secret TEXT NOT NULL, enrolled_at {real} NOT NULL,
            last_seen {real}, boot_id TEXT, clock_offset_s {real}, clock_synced INTEGER,
            backlog_depth BIGINT, backlog_bytes BIGINT, backlog_oldest_age_s {real},
            events_total BIGINT NOT NULL DEFAULT 0, max_seq BIGINT NOT NULL DEFAULT 0,
            last_error TEXT, last_error_at {real}, public_key TEXT)""",
        f"""CREATE TABLE IF NOT EXISTS enrol_tokens (
            token_hash TEXT PRIMARY KEY, device_id TEXT NOT NULL, created_at {real} NOT NULL,
            expires_at {real} NOT NULL, used_at {real})""",
        f"""CREATE TABLE IF NOT EXISTS nonces (
            device_id TEXT NOT NULL, nonce TEXT NOT NULL, seen_at {real} NOT NULL,
            PRIMARY KEY (device_id, nonce))""",
        "CREATE INDEX IF NOT EXISTS nonces_seen ON nonces (seen_at)",
        f"""CREATE TABLE IF NOT EXISTS events (
            id {ident}, device_id TEXT NOT NULL, seq BIGINT NOT NULL, key TEXT NOT NULL,
            type TEXT NOT NULL, schema INTEGER NOT NULL, priority INTEGER NOT NULL,
            payload TEXT NOT NULL, payload_hash TEXT NOT NULL, wall_time {real}, mono_ns BIGINT,
            boot_id TEXT, clock_synced INTEGER, received_at {real} NOT NULL,
            UNIQUE (device_id, seq), UNIQUE (device_id, key))""",
        "CREATE INDEX IF NOT EXISTS events_by_device ON events (device_id, id)",
        """CREATE TABLE IF NOT EXISTS ref_datasets (
            dataset TEXT PRIMARY KEY, generation INTEGER NOT NULL, version BIGINT NOT NULL,
            horizon BIGINT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS ref_items (
            dataset TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, version BIGINT NOT NULL,
            deleted INTEGER NOT NULL, PRIMARY KEY (dataset, id))""",
        "CREATE INDEX IF NOT EXISTS ref_items_version ON ref_items (dataset, version)",
        f"""CREATE TABLE IF NOT EXISTS central_keys (
            kid TEXT PRIMARY KEY, kind TEXT NOT NULL, secret TEXT NOT NULL, public TEXT NOT NULL,
            created_at {real} NOT NULL, retired_at {real})""",
        f"""CREATE TABLE IF NOT EXISTS consumers (
            token_hash TEXT PRIMARY KEY, name TEXT NOT NULL, created_at {real} NOT NULL)""",
        *selftests_ddl,      # each terminal's latest selftest.result (sync/central/selftests.py)
        *records_ddl(ident),  # each employee's transactions, for the kiosk's "my records" (records.py)
    ]


def canonical_json(value) -> str:
    """One spelling per JSON value, so equal payloads hash equal.

    ASCII-only: a lone surrogate from a ``\\ud800`` escape stays storable on both engines.
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Cursor:
    """Where a device is in one dataset: ``generation.version`` or, mid-snapshot, ``.start`` too."""

    generation: int
    version: int
    snapshot_start: int | None = None

    def encode(self) -> str:
        """The cursor as the text a device passes back (``"2.17"`` or ``"2.17.0"``)."""
        base = f"{self.generation}.{self.version}"
        return base if self.snapshot_start is None else f"{base}.{self.snapshot_start}"

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        """The cursor ``text`` names; :class:`Resync` when central did not issue it (not ASCII digits, odd shape)."""
        parts = text.split(".")
        # ASCII digits only: '²'.isdigit() is True, and int('²') would raise inside a page read.
        if len(parts) not in (2, 3) or not all(_CURSOR_PART.fullmatch(p) for p in parts):
            raise Resync(f"cursor {text[:40]!r} is not one central issued")
        numbers = [int(p) for p in parts]
        return cls(numbers[0], numbers[1], numbers[2] if len(numbers) == 3 else None)


class Storage:
    """Everything central stores; thread-safe (each call takes a pooled connection).

    ``now`` gives unix seconds.  A method that reads or writes raises StorageError (or the
    driver's own error) when the database fails; a write then leaves nothing half-done.
    """

    def __init__(self, engine: Engine, *, now=time.time):
        self.engine = engine
        self.now = now
        self._last_prune = 0.0
        self._prune_lock = threading.Lock()

    @property
    def name(self) -> str:
        """The engine: ``"sqlite"`` or ``"postgresql"``."""
        return self.engine.name

    def _q(self, text: str) -> str:
        return self.engine.sql(text)

    # -- schema and keys --------------------------------------------------------
    def initialise(self) -> None:
        """Create the tables, the dataset rows and central's keys (idempotent, race-safe)."""
        with self.engine.transaction(serialise=True) as c:
            for statement in _ddl(self.engine):
                c.execute(statement)
            row = c.execute("SELECT MAX(version) FROM central_schema").fetchone()
            if row[0] is not None and row[0] > SCHEMA_VERSION:
                raise StorageError(f"{self.engine.describe()}: central schema is at version {row[0]}, "
                                   f"newer than this software ({SCHEMA_VERSION}); install the newer software")
            if row[0] is not None and row[0] < 2:
                c.execute("ALTER TABLE central_keys ADD COLUMN retired_at DOUBLE PRECISION")
            if row[0] is not None and row[0] < 3:
                backfill_records(self, c)      # the events stored before the index existed
            c.execute(self._q("INSERT INTO central_schema (version, applied_at) VALUES (?, ?) "
                              "ON CONFLICT (version) DO NOTHING"), (SCHEMA_VERSION, self.now()))
            for name in wire.DATASETS:
                c.execute(self._q("INSERT INTO ref_datasets (dataset, generation, version, horizon) "
                                  "VALUES (?, 1, 0, 0) ON CONFLICT (dataset) DO NOTHING"), (name,))
            if c.execute("SELECT COUNT(*) FROM central_keys").fetchone()[0] == 0:
                self._create_keys(c)
            elif row[0] is not None and row[0] < 2:
                self._publish_keys(c)          # the items gain status and code_key_id

    def _create_keys(self, c) -> None:
        now = self.now()
        hmac_key = base64.b64encode(secrets.token_bytes(32)).decode()
        c.execute(self._q("INSERT INTO central_keys (kid, kind, secret, public, created_at) VALUES (?, ?, ?, ?, ?)"),
                  ("deployment-hmac", "hmac-sha256", hmac_key, "", now))
        self._add_signing_key(c)

    def _add_signing_key(self, c) -> str:
        """Make a new Ed25519 key, the one central signs with from now on; publish ``keys``; its kid."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        private = Ed25519PrivateKey.generate()
        raw_private = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                            serialization.NoEncryption())
        raw_public = private.public_key().public_bytes(serialization.Encoding.Raw,
                                                       serialization.PublicFormat.Raw)
        kid = "central-ed25519-" + hashlib.sha256(raw_public).hexdigest()[:12]
        # Strictly after the newest key, even on a clock that stood still or stepped back: the
        # newest unretired key is the one that signs.
        newest = c.execute(self._q("SELECT MAX(created_at) FROM central_keys WHERE kind = ?"),
                           ("ed25519",)).fetchone()[0]
        created = self.now() if newest is None else max(self.now(), newest + 0.001)
        c.execute(self._q("INSERT INTO central_keys (kid, kind, secret, public, created_at) VALUES (?, ?, ?, ?, ?)"),
                  (kid, "ed25519", base64.b64encode(raw_private).decode(), base64.b64encode(raw_public).decode(),
                   created))
        self._publish_keys(c)
        return kid

    def _publish_keys(self, c) -> None:
        """Rewrite the ``keys`` dataset from central_keys: the HMAC key and every Ed25519 public key with its status."""
        from sync.codes import key_item

        rows = c.execute(self._q("SELECT kid, kind, secret, public, created_at, retired_at FROM central_keys "
                                 "ORDER BY created_at, kid")).fetchall()
        signing = [r[0] for r in rows if r[1] == "ed25519" and r[5] is None]
        items = []
        for kid, kind, secret, public, created, retired in rows:
            if kind == "hmac-sha256":
                items.append({"id": kid, "kind": kind, "key": secret,
                              "use": "directory id_hmac = HMAC-SHA256(key, ID number) hex"})
            elif kind == "ed25519":
                status = ("retired" if retired is not None else
                          "active" if signing and kid == signing[-1] else "verifying")
                items.append({**key_item(public, item_id=kid, status=status, retired_at=retired),
                              "created_at": created})
        self._apply_reference(c, "keys", items, replace=False)

    def rotate_key(self) -> str:
        """Make a new Ed25519 signing key; the old ones keep verifying until retired.  Returns the new kid."""
        with self.engine.transaction(serialise=True) as c:
            return self._add_signing_key(c)

    def retire_key(self, kid: str) -> bool:
        """Retire an Ed25519 key: terminals refuse codes it signed once they pull ``keys``.

        ``kid`` is the key's id or the 8-character key id a code carries.  Returns
        False when it was already retired.  Raises :class:`KeyNotFound`
        for no such key, and for the key central signs with (rotate first).
        """
        from sync.codes import key_id

        with self.engine.transaction(serialise=True) as c:
            rows = c.execute(self._q("SELECT kid, public, retired_at FROM central_keys WHERE kind = ? "
                                     "ORDER BY created_at"), ("ed25519",)).fetchall()
            match = [r for r in rows if kid in (r[0], key_id(r[1]))]
            if not match:
                raise KeyNotFound(f"central has no Ed25519 key {kid[:40]!r}; 'terminal central keys' lists them")
            name, _, retired = match[0]
            if retired is not None:
                return False
            if name == [r[0] for r in rows if r[2] is None][-1]:
                raise KeyNotFound(f"{name} is the key central signs with; run 'terminal central rotate-key' "
                                  f"first, then retire it")
            c.execute(self._q("UPDATE central_keys SET retired_at = ? WHERE kid = ?"), (self.now(), name))
            self._publish_keys(c)
        return True

    def signing_keys(self) -> list[dict]:
        """Central's Ed25519 keys, oldest first, as ``keys`` dataset items.

        Each has id, code_key_id, public_key, status (active | verifying | retired), created_at, retired_at.
        """
        with self.engine.connection() as c:
            rows = c.execute(self._q("SELECT data FROM ref_items WHERE dataset = 'keys' AND deleted = 0")).fetchall()
        items = [json.loads(r[0]) for r in rows]
        return sorted((i for i in items if i.get("kind") == "ed25519"),
                      key=lambda i: (i.get("created_at") or 0, i["id"]))

    def reference_item(self, dataset: str, item_id: str) -> dict | None:
        """The live item ``item_id`` of ``dataset``, or None."""
        with self.engine.connection() as c:
            row = c.execute(self._q("SELECT data FROM ref_items WHERE dataset = ? AND id = ? AND deleted = 0"),
                            (dataset, item_id)).fetchone()
        return None if row is None else json.loads(row[0])

    def deployment_key(self) -> bytes:
        """The 32-byte deployment HMAC key (directory ``id_hmac``); StorageError before initialisation."""
        with self.engine.connection() as c:
            row = c.execute(self._q("SELECT secret FROM central_keys WHERE kid = ?"),
                            ("deployment-hmac",)).fetchone()
        if row is None:
            raise StorageError(f"{self.engine.describe()}: central has no deployment key; run "
                               f"'terminal central serve' once to initialise the database")
        return base64.b64decode(row[0])

    def signing_key(self) -> tuple[str, bytes]:
        """(kid, raw Ed25519 private key) central signs QR and collection codes with: the newest unretired key."""
        with self.engine.connection() as c:
            row = c.execute(self._q("SELECT kid, secret FROM central_keys WHERE kind = ? AND retired_at IS NULL "
                                    "ORDER BY created_at DESC"), ("ed25519",)).fetchone()
        if row is None:
            raise StorageError(f"{self.engine.describe()}: central has no signing key; run "
                               f"'terminal central serve' once to initialise the database")
        return row[0], base64.b64decode(row[1])

    # -- enrolment --------------------------------------------------------------
    def create_token(self, device_id: str, ttl_s: float) -> str:
        """A new one-time enrolment token (``enr_...``) for ``device_id``, valid ``ttl_s`` seconds."""
        token = "enr_" + secrets.token_urlsafe(24)
        now = self.now()
        with self.engine.transaction() as c:
            c.execute(self._q("INSERT INTO enrol_tokens (token_hash, device_id, created_at, expires_at) "
                              "VALUES (?, ?, ?, ?)"), (_sha256(token), device_id, now, now + ttl_s))
        return token

    def enroll(self, device_id: str, token: str, public_key: str | None = None) -> bytes | None:
        """Spend ``token`` for ``device_id`` and return a fresh secret, or None when it is not valid.

        ``public_key`` (base64, raw Ed25519) is the terminal's own signing key, registered so that
        codes it signs (certificate verification codes) can be checked centrally.
        """
        now = self.now()
        secret = secrets.token_bytes(32)
        with self.engine.transaction() as c:
            # The UPDATE is the claim: only one concurrent caller changes the row.
            claimed = c.execute(self._q(
                "UPDATE enrol_tokens SET used_at = ? WHERE token_hash = ? AND device_id = ? "
                "AND used_at IS NULL AND expires_at > ?"), (now, _sha256(token), device_id, now)).rowcount
            if claimed != 1:
                return None
            c.execute(self._q(
                "INSERT INTO devices (device_id, secret, enrolled_at, public_key) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (device_id) DO UPDATE SET secret = excluded.secret, "
                "enrolled_at = excluded.enrolled_at, public_key = excluded.public_key, "
                "last_error = NULL, last_error_at = NULL"),
                (device_id, base64.b64encode(secret).decode(), now, public_key))
        return secret

    def last_seq(self, device_id: str) -> int:
        """The highest seq stored for the device (0: none); a re-enrolled terminal continues above it."""
        with self.engine.connection() as c:
            row = c.execute(self._q("SELECT MAX(seq) FROM events WHERE device_id = ?"), (device_id,)).fetchone()
        return int(row[0] or 0)

    def device_secret(self, device_id: str) -> bytes | None:
        """The device's 32-byte HMAC secret, or None when it is not enrolled."""
        with self.engine.connection() as c:
            row = c.execute(self._q("SELECT secret FROM devices WHERE device_id = ?"), (device_id,)).fetchone()
        return None if row is None else base64.b64decode(row[0])

    def is_enrolled(self, device_id: str) -> bool:
        """Whether ``device_id`` has a secret."""
        return self.device_secret(device_id) is not None

    def use_nonce(self, device_id: str, nonce: str) -> None:
        """Record a nonce outside an ingest (reference pulls); raises :class:`Replayed`."""
        with self.engine.transaction() as c:
            self._claim_nonce(c, device_id, nonce)
        self._maybe_prune_nonces()

    def _claim_nonce(self, c, device_id: str, nonce: str) -> None:
        inserted = c.execute(self._q("INSERT INTO nonces (device_id, nonce, seen_at) VALUES (?, ?, ?) "
                                     "ON CONFLICT DO NOTHING"), (device_id, nonce, self.now())).rowcount
        if inserted != 1:
            raise Replayed(nonce)

    def _maybe_prune_nonces(self) -> None:
        # A nonce older than the window is refused by the clock check anyway.
        now = self.now()
        if now - self._last_prune < NONCE_PRUNE_EVERY_S or not self._prune_lock.acquire(blocking=False):
            return
        try:
            self._last_prune = now
            with self.engine.transaction() as c:
                c.execute(self._q("DELETE FROM nonces WHERE seen_at < ?"), (now - 2 * wire.REPLAY_WINDOW_S,))
        finally:
            self._prune_lock.release()

    def note_error(self, device_id: str, error: str) -> None:
        """Remember the last thing that went wrong with a device (shown on the status page)."""
        with self.engine.transaction() as c:
            c.execute(self._q("UPDATE devices SET last_error = ?, last_error_at = ? WHERE device_id = ?"),
                      (error[:500], self.now(), device_id))

    # -- ingest -----------------------------------------------------------------
    def ingest(self, device_id: str, nonce: str, batch) -> list[dict]:
        """Store a batch in one transaction; one result per event, in order.

        Exactly-once on (device_id, seq): the same seq with the same key and
        payload is a duplicate; anything else stored under that seq or key is a
        conflict (422).  Invalid events (400) were found by the parser
        (:func:`sync.central.ingest.parse_batch`) and are only reported.
        ``batch`` is an :class:`~sync.central.ingest.IngestBatch`; each result is
        ``{"seq", "status", "code", "reason"}``.  Raises :class:`Replayed` when ``nonce``
        was used (nothing stored).
        """
        events = [e for e in batch.events if e.problem is None]
        now = self.now()
        with self.engine.transaction(serialise=True) as c:
            self._claim_nonce(c, device_id, nonce)
            by_seq: dict[int, tuple[str, str]] = {}
            by_key: dict[str, tuple[int, str]] = {}
            if events:
                # IN, not BETWEEN: one batch may mix priorities, so its seqs can lie far apart.
                clause, params = self.engine.in_list("seq", sorted({e.seq for e in events}), "bigint")
                rows = c.execute(self._q(f"SELECT seq, key, payload_hash FROM events WHERE device_id = ? AND {clause}"),
                                 [device_id, *params]).fetchall()
                by_seq = {r[0]: (r[1], r[2]) for r in rows}
                clause, params = self.engine.in_list("key", sorted({e.key for e in events}), "text")
                rows = c.execute(self._q(f"SELECT key, seq, payload_hash FROM events WHERE device_id = ? AND {clause}"),
                                 [device_id, *params]).fetchall()
                by_key = {r[0]: (r[1], r[2]) for r in rows}
            results, rows_to_insert = [], []
            for e in batch.events:
                if e.problem is not None:
                    results.append(_result(e.seq, wire.REJECTED, wire.CODE_INVALID, e.problem))
                    continue
                outcome = _classify(e, by_seq, by_key)
                if outcome is None:
                    by_seq[e.seq] = (e.key, e.payload_hash)
                    by_key[e.key] = (e.seq, e.payload_hash)
                    rows_to_insert.append((device_id, e.seq, e.key, e.type, e.schema, e.priority, e.payload,
                                           e.payload_hash, e.wall_time, e.mono_ns, e.boot_id,
                                           int(e.clock_synced), now))
                    results.append(_result(e.seq, wire.ACCEPTED, wire.CODE_ACCEPTED, "stored"))
                else:
                    results.append(outcome)
            if rows_to_insert:
                self.engine.executemany(c, self._q(
                    "INSERT INTO events (device_id, seq, key, type, schema, priority, payload, payload_hash, "
                    "wall_time, mono_ns, boot_id, clock_synced, received_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"), rows_to_insert)
                self._settle_claims(c, device_id, [(r[3], r[6]) for r in rows_to_insert])
                from sync.central.orders import settle_events    # badges: fulfilled orders, revoked codes
                settle_events(self, c, device_id, [(r[3], r[6]) for r in rows_to_insert])
                record_selftests(self, c, device_id, [(r[1], r[3], r[6], r[8]) for r in rows_to_insert])
                index_records(self, c, device_id, [(r[1], r[3], r[6], r[8], r[10], r[11]) for r in rows_to_insert],
                              now, batch.sent_at)
            rejected = [r for r in results if r["status"] == wire.REJECTED]
            error = (f"{len(rejected)} event(s) rejected, first seq {rejected[0]['seq']}: {rejected[0]['reason']}"
                     if rejected else None)
            sent, backlog = batch.sent_at, batch.backlog
            c.execute(self._q(
                "UPDATE devices SET last_seen = ?, boot_id = ?, clock_offset_s = ?, clock_synced = ?, "
                "backlog_depth = ?, backlog_bytes = ?, backlog_oldest_age_s = ?, "
                "events_total = events_total + ?, "
                "max_seq = CASE WHEN max_seq > ? THEN max_seq ELSE ? END, "
                "last_error = COALESCE(?, last_error), last_error_at = COALESCE(?, last_error_at) "
                "WHERE device_id = ?"),
                (now, sent["boot_id"], now - sent["wall"], int(sent["clock_synced"]),
                 backlog["depth"], backlog["bytes"], backlog["oldest_age_s"], len(rows_to_insert),
                 batch.max_seq, batch.max_seq, error, now if error else None, device_id))
        self._maybe_prune_nonces()
        return results

    def _settle_claims(self, c, device_id: str, events: list[tuple[str, str]]) -> None:
        """Mark claims in the ``claims`` dataset from newly stored drop-box events (type, payload JSON).

        ``dropbox.received``: an awaiting claim becomes "received" (box, envelope), so every box
        refuses it at its next pull; ``dropbox.collected``: each claim gets its ``batch_id``.
        A claim central does not list (accepted offline on its signature alone) is left for the
        feed's consumers to reconcile.
        """
        changed: dict[str, dict] = {}
        for event_type, payload_text in events:
            if event_type not in ("dropbox.received", "dropbox.collected"):
                continue
            payload = json.loads(payload_text)
            ids = [payload["claim_id"]] if event_type == "dropbox.received" else payload["claim_ids"]
            for claim_id in ids:
                item = changed.get(claim_id)
                if item is None:
                    row = c.execute(self._q("SELECT data FROM ref_items WHERE dataset = 'claims' AND id = ? "
                                            "AND deleted = 0"), (claim_id,)).fetchone()
                    if row is None:
                        continue
                    item = json.loads(row[0])
                if event_type == "dropbox.received" and item.get("status", "awaiting_envelope") == "awaiting_envelope":
                    item.update(status="received", box_id=device_id, envelope_id=payload["envelope_id"])
                elif event_type == "dropbox.collected":
                    item.update(batch_id=payload["batch_id"])
                changed[claim_id] = item
        if changed:
            self._apply_reference(c, "claims", list(changed.values()), replace=False)

    # -- feed -------------------------------------------------------------------
    def feed(self, after: int = 0, limit: int = 1000, device_id: str | None = None) -> tuple[list[dict], bool]:
        """(at most ``limit`` events with a cursor above ``after``, in commit order; whether more follow).

        Each item is a ``models.FeedItem`` dict; ``device_id`` keeps only that device's events.
        """
        where, params = "id > ?", [after]
        if device_id is not None:
            where += " AND device_id = ?"
            params.append(device_id)
        with self.engine.connection() as c:
            rows = c.execute(self._q(
                f"SELECT id, device_id, seq, key, type, schema, payload, received_at FROM events "
                f"WHERE {where} ORDER BY id LIMIT ?"), [*params, limit + 1]).fetchall()
        items = [{"cursor": str(r[0]), "device_id": r[1], "seq": r[2], "key": r[3], "type": r[4],
                  "schema": r[5], "payload": json.loads(r[6]), "received_at": r[7]} for r in rows[:limit]]
        return items, len(rows) > limit

    def event_count(self) -> int:
        """How many events central holds, over every device."""
        with self.engine.connection() as c:
            return c.execute("SELECT COUNT(*) FROM events").fetchone()[0]

    # -- consumers --------------------------------------------------------------
    def create_consumer_token(self, name: str) -> str:
        """A new bearer token (``feed_...``) for consumer ``name``; only its hash is stored."""
        token = "feed_" + secrets.token_urlsafe(32)
        with self.engine.transaction() as c:
            c.execute(self._q("INSERT INTO consumers (token_hash, name, created_at) VALUES (?, ?, ?)"),
                      (_sha256(token), name, self.now()))
        return token

    def consumer_for(self, token: str) -> str | None:
        """The consumer's name for bearer ``token``, or None when central did not issue it."""
        with self.engine.connection() as c:
            row = c.execute(self._q("SELECT name FROM consumers WHERE token_hash = ?"), (_sha256(token),)).fetchone()
        return None if row is None else row[0]

    # -- reference data ---------------------------------------------------------
    def reference_page(self, dataset: str, cursor: str | None, limit: int) -> dict:
        """One page (a ``models.ReferencePage`` dict, ``limit`` items at most) of ``dataset``.

        A full snapshot without ``cursor``, else the changes since it.  Raises
        :class:`UnknownDataset`, or :class:`Resync` when the cursor cannot be continued.
        """
        if dataset not in wire.DATASETS:
            raise UnknownDataset(dataset)
        with self.engine.connection() as c:
            generation, current, horizon = c.execute(self._q(
                "SELECT generation, version, horizon FROM ref_datasets WHERE dataset = ?"), (dataset,)).fetchone()
            if cursor is None:
                position = Cursor(generation, 0, current)
            else:
                position = Cursor.decode(cursor)
                if position.generation != generation:
                    raise Resync(f"{dataset} was rebuilt at central (generation {generation}); "
                                 f"pull a full snapshot")
                if position.version > current:
                    raise Resync(f"cursor is ahead of central's {dataset} (version {current}); "
                                 f"pull a full snapshot")
                oldest = position.version if position.snapshot_start is None else position.snapshot_start
                if oldest < horizon:
                    raise Resync(f"cursor is older than central keeps deletions of {dataset} for; "
                                 f"pull a full snapshot")
            # A snapshot carries live items only; a delta carries deletions too.
            live_only = "AND deleted = 0 " if position.snapshot_start is not None else ""
            rows = c.execute(self._q(
                f"SELECT id, data, deleted, version FROM ref_items WHERE dataset = ? AND version > ? {live_only}"
                f"ORDER BY version LIMIT ?"), (dataset, position.version, limit + 1)).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        last = rows[-1][3] if rows else position.version
        if more:
            next_cursor = Cursor(generation, last, position.snapshot_start)
        elif position.snapshot_start is not None:
            # The snapshot ends where it began: the next delta re-sends what changed while it was
            # paged, deletions included, so an item deleted after it went out on page 1 is removed.
            next_cursor = Cursor(generation, position.snapshot_start)
        else:
            next_cursor = Cursor(generation, max(last, position.version))
        return {
            "dataset": dataset,
            "items": [json.loads(r[1]) for r in rows if not r[2]],
            "deleted": [r[0] for r in rows if r[2]],
            "cursor": next_cursor.encode(),
            "more": more,
            "full": position.snapshot_start is not None,
        }

    def load_reference(self, dataset: str, items: list[dict], *, replace: bool = False) -> dict:
        """Upsert items (each with a string ``id``; ``{"id": X, "deleted": true}`` deletes X).

        With ``replace`` the file is the whole dataset: ids not in it are deleted.
        Unchanged items keep their version, so reloading a file sends no deltas.
        Returns ``{"added", "changed", "deleted", "unchanged", "version"}``; raises
        :class:`UnknownDataset`.
        """
        if dataset not in wire.DATASETS:
            raise UnknownDataset(dataset)
        with self.engine.transaction(serialise=True) as c:
            return self._apply_reference(c, dataset, items, replace=replace)

    def _apply_reference(self, c, dataset: str, items: list[dict], *, replace: bool) -> dict:
        version = c.execute(self._q("SELECT version FROM ref_datasets WHERE dataset = ?"), (dataset,)).fetchone()[0]
        existing = {r[0]: (r[1], bool(r[2])) for r in c.execute(
            self._q("SELECT id, data, deleted FROM ref_items WHERE dataset = ?"), (dataset,)).fetchall()}
        counts = {"added": 0, "changed": 0, "deleted": 0, "unchanged": 0}
        upserts, seen = [], set()
        for item in items:
            item_id = item["id"]
            seen.add(item_id)
            old = existing.get(item_id)
            if item.get("deleted") is True:
                if old is not None and not old[1]:
                    version += 1
                    upserts.append((dataset, item_id, old[0], version, 1))
                    counts["deleted"] += 1
                continue
            data = canonical_json(item)
            if old is not None and not old[1] and old[0] == data:
                counts["unchanged"] += 1
                continue
            version += 1
            upserts.append((dataset, item_id, data, version, 0))
            counts["added" if old is None or old[1] else "changed"] += 1
        if replace:
            for item_id, (data, deleted) in existing.items():
                if item_id not in seen and not deleted:
                    version += 1
                    upserts.append((dataset, item_id, data, version, 1))
                    counts["deleted"] += 1
        if upserts:
            self.engine.executemany(c, self._q(
                "INSERT INTO ref_items (dataset, id, data, version, deleted) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (dataset, id) DO UPDATE SET data = excluded.data, version = excluded.version, "
                "deleted = excluded.deleted"), upserts)
            c.execute(self._q("UPDATE ref_datasets SET version = ? WHERE dataset = ?"), (version, dataset))
        counts["version"] = version
        return counts

    def force_resync(self, dataset: str) -> int:
        """Invalidate every device's cursor for ``dataset`` (they get 410 and pull a snapshot).

        Returns the dataset's new generation; raises :class:`UnknownDataset`.
        """
        if dataset not in wire.DATASETS:
            raise UnknownDataset(dataset)
        with self.engine.transaction(serialise=True) as c:
            c.execute(self._q("UPDATE ref_datasets SET generation = generation + 1 WHERE dataset = ?"), (dataset,))
            return c.execute(self._q("SELECT generation FROM ref_datasets WHERE dataset = ?"),
                             (dataset,)).fetchone()[0]

    def compact_reference(self, dataset: str) -> int:
        """Forget deletions (tombstones); cursors from before now get 410.

        Returns how many were dropped; raises :class:`UnknownDataset`.
        """
        if dataset not in wire.DATASETS:
            raise UnknownDataset(dataset)
        with self.engine.transaction(serialise=True) as c:
            dropped = c.execute(self._q("DELETE FROM ref_items WHERE dataset = ? AND deleted = 1"),
                                (dataset,)).rowcount
            c.execute(self._q("UPDATE ref_datasets SET horizon = version WHERE dataset = ?"), (dataset,))
        return dropped

    # -- status -----------------------------------------------------------------
    def terminals(self) -> list[dict]:
        """Every enrolled terminal, by id: the fields of ``models.TerminalStatus`` (times in unix seconds)."""
        with self.engine.connection() as c:
            rows = c.execute(
                "SELECT device_id, enrolled_at, last_seen, boot_id, clock_offset_s, clock_synced, backlog_depth, "
                "backlog_bytes, backlog_oldest_age_s, events_total, max_seq, last_error, last_error_at, public_key "
                "FROM devices ORDER BY device_id").fetchall()
        out = []
        for r in rows:
            out.append({
                "device_id": r[0], "enrolled_at": r[1], "last_seen": r[2], "boot_id": r[3],
                "clock_offset_s": r[4], "clock_synced": None if r[5] is None else bool(r[5]),
                "backlog": None if r[6] is None else {"depth": r[6], "bytes": r[7], "oldest_age_s": r[8]},
                "events_total": r[9], "max_seq": r[10], "seq_gaps": max(0, r[10] - r[9]),
                "last_error": r[11], "last_error_at": r[12], "public_key": r[13],
            })
        return out

    def close(self) -> None:
        """Close every pooled connection; later calls raise StorageError."""
        self.engine.close()


def _result(seq: int, status: str, code: int, reason: str) -> dict:
    return {"seq": seq, "status": status, "code": code, "reason": reason}


def _classify(e, by_seq: dict, by_key: dict) -> dict | None:
    """None when the event is new; else its duplicate or conflict result."""
    stored = by_seq.get(e.seq)
    if stored is not None:
        key, payload_hash = stored
        if key == e.key and payload_hash == e.payload_hash:
            return _result(e.seq, wire.DUPLICATE, wire.CODE_DUPLICATE, "already stored")
        what = "key" if key != e.key else "payload"
        return _result(e.seq, wire.REJECTED, wire.CODE_CONFLICT,
                       f"seq {e.seq} is already stored with a different {what}")
    stored = by_key.get(e.key)
    if stored is not None:
        seq, payload_hash = stored
        if payload_hash != e.payload_hash:
            return _result(e.seq, wire.REJECTED, wire.CODE_CONFLICT,
                           f"key {e.key[:80]!r} is already stored (seq {seq}) with a different payload")
        # Same key and payload: the idempotency key says it is the same event, stored once already.
        return _result(e.seq, wire.DUPLICATE, wire.CODE_DUPLICATE, f"already stored as seq {seq}")
    return None


def open_storage(url: str, *, now=time.time) -> Storage:
    """Open (creating and initialising) central's database at a path or postgresql:// URL.

    ``now`` gives unix seconds.  Raises StorageError (exit code 2 for a URL central does not
    support, 1 when the database cannot be opened or is newer than this software).
    """
    storage = Storage(engine_for_url(url), now=now)
    try:
        storage.initialise()
    except BaseException:
        storage.close()
        raise
    return storage
