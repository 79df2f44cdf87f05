"""Set-up for the drop-box tests: a central signing key, synced keys and claims, form and collection codes."""

from __future__ import annotations

import datetime
import json

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync import codes

CLAIMS = [
    {"id": "CLM-2026-0001", "employee_no": "E1001", "amount_cents": 12850, "status": "awaiting_envelope"},
    {"id": "CLM-2026-0002", "employee_no": "E1002", "amount_cents": 48000, "status": "awaiting_envelope"},
    {"id": "CLM-2026-0003", "employee_no": "E1003", "amount_cents": 2300, "status": "awaiting_envelope"},
    {"id": "CLM-2026-0009", "employee_no": "E1009", "amount_cents": 900, "status": "received"},
    {"id": "CLM-2026-0010", "employee_no": "E1010", "amount_cents": 1000, "status": "rejected"},
]
ISSUED = datetime.date(2026, 11, 30)


class Central:
    """Central's side for a test: an active key, optionally a retired one, and the codes they sign."""

    def __init__(self):
        self.key = Ed25519PrivateKey.generate()
        self.retired = Ed25519PrivateKey.generate()

    def key_items(self) -> list[dict]:
        return [codes.key_item(self.key.public_key()),
                codes.key_item(self.retired.public_key(), status="retired", retired_at=1.0)]

    def form(self, claim_id: str = "CLM-2026-0001", employee_no: str | None = None, amount_cents: int | None = None,
             *, key=None) -> str:
        claim = next((c for c in CLAIMS if c["id"] == claim_id), {"employee_no": "E7777", "amount_cents": 777})
        return codes.sign_form(key or self.key, claim_id, employee_no or claim["employee_no"],
                               amount_cents or claim["amount_cents"], ISSUED)

    def collection(self, box_id: str | None = "DBX-T-0001", *, not_after: int = 4_102_444_800, nonce=None) -> str:
        return codes.sign_collection(self.key, box_id, not_after, nonce)

    def sync_into(self, store, claims=CLAIMS, *, clock_offset: float | None = 0.0) -> None:
        """Write the keys and claims datasets as a pull would, and a clock offset (trusted time)."""
        from sync.state import set_state

        with store.write() as db:
            for dataset, items in (("keys", self.key_items()), ("claims", claims)):
                db.conn.execute("DELETE FROM sync_ref_items WHERE dataset = ?", (dataset,))
                db.conn.executemany("INSERT INTO sync_ref_items (dataset, id, data) VALUES (?, ?, ?)",
                                    [(dataset, i["id"], json.dumps(i)) for i in items])
            if clock_offset is not None:
                set_state(db.conn, "clock_offset", clock_offset)


def open_box_store(path):
    from terminal.migrations import all_migrations
    from sync.store import open_store

    return open_store(path, all_migrations())


def events(store, event_type: str | None = None) -> list[tuple[str, dict]]:
    rows = store.conn.execute("SELECT type, payload FROM sync_outbox ORDER BY seq").fetchall()
    return [(t, json.loads(p)) for t, p in rows if event_type in (None, t)]
