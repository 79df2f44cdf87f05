"""Reference data from central: resumable per-dataset cursors, atomic pages, full resync on 410.

An incremental page (``full: false``) is applied in one transaction together
with its cursor, so a crash leaves either the old or the new state.  A full
snapshot (first pull, a 410, or central deciding to send one) is staged page
by page (each page and its staging cursor in one commit, so it resumes), and
swapped in one transaction when the last page arrives: readers never see a
half-filled directory.

The directory never holds an ID number: central keys it by
HMAC-SHA256(deployment key, trimmed upper-cased ID number) in hex, and :func:`directory_lookup`
computes the same HMAC locally with the key from the ``keys`` dataset::

    >>> from sync.pull import id_hmac
    >>> id_hmac(b"k" * 32, " 11010519491231002x ") == id_hmac(b"k" * 32, "11010519491231002X")
    True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time

from sync import wire
from sync.client import CentralClient, Gone
from terminal import TerminalError
from terminal.logs import get_logger

log = get_logger(__name__)

DIRECTORY_KEY_ID = "deployment-hmac"  # the "keys" item that carries the deployment HMAC key
MAX_PAGES_PER_PASS = 10_000
PLAIN_ID_FIELDS = wire.PLAIN_ID_FIELDS
_DIRECTORY_KEYS = ("id", "employee_no", "id_hmac")  # the item's own keys (an employee number may be long)


class ReferenceDataError(TerminalError):
    """Reference data is missing or malformed."""


def id_hmac(key: bytes, id_number: str) -> str:
    """The directory key for an ID number: HMAC-SHA256 over the trimmed, upper-cased number, hex."""
    return hmac.new(key, id_number.strip().upper().encode(), hashlib.sha256).hexdigest()


class Puller:
    """Pulls central's reference datasets into the store, page by page; each page is committed, so a stop resumes.

    ``page_limit`` is the most items asked per page; ``datasets`` the names
    pulled (default every one in sync.wire.DATASETS); ``stop`` is checked
    between pages; ``progress()`` is called after each page (the service
    pings systemd's watchdog there, so a long snapshot is not taken for a hang).
    """
    def __init__(self, store, *, page_limit: int = 500, datasets: tuple[str, ...] = wire.DATASETS,
                 stop: threading.Event | None = None, progress=None):
        self.store = store
        self.page_limit = page_limit
        self.datasets = datasets
        self.stop = stop  # checked between pages: every page is committed, so a pull resumes after a stop
        self.progress = progress or (lambda: None)

    def pull_all(self, client: CentralClient) -> dict[str, int]:
        """One pass over every dataset; returns items applied per dataset."""
        counts = {}
        for d in self.datasets:
            if self._stopping():
                break
            counts[d] = self.pull(client, d)
        return counts

    def _stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def pull(self, client: CentralClient, dataset: str) -> int:
        """Pull ``dataset`` until central has no more pages; return the number of items applied.

        A full snapshot is staged and swapped in when complete.  Raises
        ReferenceDataError for a malformed page, a 410 to a snapshot request or
        endless pages, and the CentralCallFailed family from ``client``.
        """
        applied = 0
        resets = 0
        for _ in range(MAX_PAGES_PER_PASS):
            cursor, stage_cursor, staging = self._cursor(dataset)
            ask = stage_cursor if staging else cursor
            try:
                page = client.get_reference(dataset, ask, self.page_limit)
            except Gone as exc:
                if ask is None or resets:
                    # A snapshot request cannot be stale: looping would only hammer central.
                    raise ReferenceDataError(f"{dataset}: central answered 410 even to a full snapshot request "
                                             f"({exc}); check central's reference data, the next pull retries"
                                             ) from None
                resets += 1
                log.warning("sync.pull_full_resync", dataset=dataset, reason="central answered 410")
                self._reset(dataset)
                continue
            _check_page(dataset, page)
            if page["full"]:
                applied += self._stage(dataset, page, first=not staging)
            else:
                applied += self._apply_delta(dataset, page)
            self.progress()
            if not page["more"] or self._stopping():
                return applied
        raise ReferenceDataError(f"{dataset}: central kept sending pages; stopped after {MAX_PAGES_PER_PASS}")

    # -- cursor state --------------------------------------------------------------------------
    def _cursor(self, dataset: str) -> tuple[str | None, str | None, bool]:
        row = self.store.conn.execute("SELECT cursor, stage_cursor, staging FROM sync_ref_cursor WHERE dataset = ?",
                                      (dataset,)).fetchone()
        return (row[0], row[1], bool(row[2])) if row else (None, None, False)

    def _reset(self, dataset: str) -> None:
        """Forget the cursor; the local copy stays readable until the new snapshot is swapped in."""
        with self.store.write() as db:
            db.conn.execute("DELETE FROM sync_ref_stage WHERE dataset = ?", (dataset,))
            db.conn.execute(
                "INSERT INTO sync_ref_cursor (dataset, cursor, stage_cursor, staging) VALUES (?, NULL, NULL, 0) "
                "ON CONFLICT (dataset) DO UPDATE SET cursor = NULL, stage_cursor = NULL, staging = 0,"
                " full_resyncs = full_resyncs + 1", (dataset,))

    def _stage(self, dataset: str, page: dict, *, first: bool) -> int:
        conn = self.store.conn
        with self.store.write():
            if first:
                conn.execute("DELETE FROM sync_ref_stage WHERE dataset = ?", (dataset,))
            conn.executemany("INSERT OR REPLACE INTO sync_ref_stage (dataset, id, data) VALUES (?, ?, ?)",
                             _rows(dataset, page["items"]))
            if page["more"]:
                conn.execute(
                    "INSERT INTO sync_ref_cursor (dataset, stage_cursor, staging) VALUES (?, ?, 1) "
                    "ON CONFLICT (dataset) DO UPDATE SET stage_cursor = excluded.stage_cursor, staging = 1",
                    (dataset, page["cursor"]))
            else:  # last page: swap the snapshot in, atomically with the new cursor
                conn.execute("DELETE FROM sync_ref_items WHERE dataset = ?", (dataset,))
                conn.execute("INSERT INTO sync_ref_items (dataset, id, data) "
                             "SELECT dataset, id, data FROM sync_ref_stage WHERE dataset = ?", (dataset,))
                conn.execute("DELETE FROM sync_ref_stage WHERE dataset = ?", (dataset,))
                self._set_cursor(conn, dataset, page["cursor"])
        if not page["more"]:
            log.info("sync.pull_snapshot", dataset=dataset, items=self.count(dataset))
        return len(page["items"])

    def _apply_delta(self, dataset: str, page: dict) -> int:
        conn = self.store.conn
        with self.store.write():
            conn.executemany("INSERT OR REPLACE INTO sync_ref_items (dataset, id, data) VALUES (?, ?, ?)",
                             _rows(dataset, page["items"]))
            conn.executemany("DELETE FROM sync_ref_items WHERE dataset = ? AND id = ?",
                             [(dataset, str(i)) for i in page["deleted"]])
            self._set_cursor(conn, dataset, page["cursor"])
        return len(page["items"]) + len(page["deleted"])

    @staticmethod
    def _set_cursor(conn, dataset: str, cursor: str) -> None:
        conn.execute(
            "INSERT INTO sync_ref_cursor (dataset, cursor, stage_cursor, staging, synced_at) VALUES (?, ?, NULL, 0, ?) "
            "ON CONFLICT (dataset) DO UPDATE SET cursor = excluded.cursor, stage_cursor = NULL, staging = 0,"
            " synced_at = excluded.synced_at", (dataset, cursor, time.time()))

    def count(self, dataset: str) -> int:
        """How many items of ``dataset`` the store holds."""
        return self.store.conn.execute("SELECT COUNT(*) FROM sync_ref_items WHERE dataset = ?",
                                       (dataset,)).fetchone()[0]


def _check_page(dataset: str, page) -> None:
    ok = (isinstance(page, dict) and isinstance(page.get("items"), list) and isinstance(page.get("deleted", []), list)
          and isinstance(page.get("cursor"), str) and all(isinstance(i, dict) and "id" in i for i in page["items"]))
    if not ok:
        raise ReferenceDataError(f"{dataset}: central sent a malformed page "
                                 f"(needs items with ids, deleted, cursor)")
    page.setdefault("deleted", [])
    page["more"] = bool(page.get("more"))
    page["full"] = bool(page.get("full"))


# -- reads for the role processes ------------------------------------------------------------------
def reference_items(conn, dataset: str) -> list[dict]:
    """Every item of ``dataset`` held in the store ``conn``, ordered by id (a list of dicts; empty before a pull)."""
    return [json.loads(d) for (d,) in conn.execute(
        "SELECT data FROM sync_ref_items WHERE dataset = ? ORDER BY id", (dataset,))]


def reference_item(conn, dataset: str, item_id: str) -> dict | None:
    """The item ``item_id`` of ``dataset`` in the store ``conn``, or None when it is not there."""
    row = conn.execute("SELECT data FROM sync_ref_items WHERE dataset = ? AND id = ?", (dataset, item_id)).fetchone()
    return json.loads(row[0]) if row else None


def directory_key(conn) -> bytes:
    """The deployment HMAC key: the ``keys`` item ``deployment-hmac`` (kind hmac-sha256, base64 key)."""
    item = reference_item(conn, "keys", DIRECTORY_KEY_ID)
    if item is None:
        item = next((i for i in reference_items(conn, "keys") if i.get("kind") == "hmac-sha256"), None)
    if item is None:
        raise ReferenceDataError("the directory key has not been pulled from central yet; run 'terminal sync pull'")
    try:
        key = base64.b64decode(item["key"], validate=True)
    except (KeyError, ValueError, TypeError):
        key = b""
    if len(key) < 16:
        raise ReferenceDataError(f"keys/{item.get('id')}: the key is not base64 of at least 16 bytes")
    return key


def central_public_keys(conn) -> dict[str, str]:
    """Central's Ed25519 public keys that still verify, by key id (base64 raw); retired keys are left out.

    To check a form or collection code, and to say *why* one is refused (a retired
    key is its own reason), use ``sync.codes.KeyRing(reference_items(conn, "keys"))``.
    """
    conn = getattr(conn, "conn", conn)
    return {i["id"]: i["public_key"] for i in reference_items(conn, "keys")
            if i.get("kind") == "ed25519" and isinstance(i.get("public_key"), str)
            and i.get("status") != "retired" and not i.get("retired_at")}


def directory_lookup(conn, id_number: str) -> dict | None:
    """The directory entry for an ID number, found by its HMAC (the number itself is never stored)."""
    conn = getattr(conn, "conn", conn)
    row = conn.execute("SELECT data FROM sync_ref_items WHERE dataset = 'directory' "
                       "AND json_extract(data, '$.id_hmac') = ?", (id_hmac(directory_key(conn), id_number),)
                       ).fetchone()
    return json.loads(row[0]) if row else None


def _rows(dataset: str, items: list[dict]) -> list[tuple[str, str, str]]:
    """Rows to store; a plain ID number is never kept, even if central sent one."""
    out = []
    for item in items:
        plain = (wire.plain_id_fields({k: v for k, v in item.items() if k not in _DIRECTORY_KEYS})
                 if dataset == "directory" else [])
        if plain:
            log.warning("sync.pull_plain_id_dropped", dataset=dataset, item=str(item["id"]), fields=sorted(plain))
            item = {k: v for k, v in item.items() if k not in plain}
        out.append((dataset, str(item["id"]), json.dumps(item, ensure_ascii=False)))
    return out
