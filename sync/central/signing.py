"""Central issues form and collection codes (:mod:`sync.codes`) with its current signing key.

Key life cycle (``terminal central rotate-key`` / ``retire-key``): the newest
unretired Ed25519 key signs; older unretired keys keep verifying on the boxes,
so forms printed before a rotation still drop; a retired key's codes are
refused with reason ``retired_key`` once a box has pulled ``keys``.

    >>> import tempfile
    >>> from sync.central.storage import open_storage
    >>> storage = open_storage(tempfile.mkdtemp() + "/central.db")
    >>> _ = storage.load_reference("claims", [{"id": "CLM-1", "employee_no": "E1", "amount_cents": 100}])
    >>> issue_form_code(storage, "CLM-1", now=1796000000).text[:26]
    'RF1.CLM-1.E1.100.20261130.'
    >>> storage.close()
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass

from sync import codes
from terminal import TerminalError

AWAITING = "awaiting_envelope"
DEFAULT_COLLECTION_TTL_S = 900.0     # a courier scans it at the box within the quarter hour
MAX_COLLECTION_TTL_S = 7 * 86_400.0


class IssueError(TerminalError):
    """Central will not issue this code; the message says what to fix."""

    exit_code = 2


@dataclass(frozen=True)
class IssuedForm:
    """A form code as issued: ``text`` (the QR payload), the claim item it is for, its issue date and key."""
    text: str
    claim: dict
    issued: datetime.date
    key_id: str


@dataclass(frozen=True)
class IssuedCollection:
    """A collection code as issued: ``text``, the box (None: any), ``not_after`` unix seconds, its nonce and key."""
    text: str
    box_id: str | None
    not_after: int
    nonce: str
    key_id: str


def issue_form_code(storage, claim_id: str, *, now: float | None = None) -> IssuedForm:
    """The form code for claim ``claim_id`` of the ``claims`` dataset, dated today (UTC) on central's clock.

    Raises :class:`IssueError` for a claim central does not list, one not
    awaiting an envelope, or fields that cannot go into a code.
    """
    claim = storage.reference_item("claims", claim_id) if isinstance(claim_id, str) else None
    if claim is None:
        raise IssueError(f"central has no claim {str(claim_id)[:40]!r} in the claims dataset; load it first "
                         f"('terminal central load --dataset claims FILE')")
    status = claim.get("status", AWAITING)
    if status != AWAITING:
        raise IssueError(f"claim {claim_id} is {status!r}, not {AWAITING!r}: it needs no envelope")
    now = time.time() if now is None else now
    issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).date()
    _, private = storage.signing_key()
    try:
        text = codes.sign_form(private, claim_id, claim.get("employee_no"), claim.get("amount_cents"), issued)
    except codes.CodeError as exc:
        raise IssueError(f"claim {claim_id}: {exc}") from None
    return IssuedForm(text, claim, issued, text.split(".")[5])


def issue_collection_code(storage, box_id: str | None, *, ttl_s: float = DEFAULT_COLLECTION_TTL_S,
                          now: float | None = None) -> IssuedCollection:
    """A courier's collection code for box ``box_id`` (None or "*": any box), valid ``ttl_s`` seconds from now.

    Raises :class:`IssueError` for a lifetime outside (0, 7 days] or an id no box can have.
    """
    if not 0 < ttl_s <= MAX_COLLECTION_TTL_S:
        raise IssueError(f"a collection code lives more than 0 and at most {MAX_COLLECTION_TTL_S:g} seconds "
                         f"(7 days), not {ttl_s:g}")
    now = time.time() if now is None else now
    not_after = int(now + ttl_s)
    _, private = storage.signing_key()
    try:
        text = codes.sign_collection(private, box_id, not_after)
    except codes.CodeError as exc:
        raise IssueError(str(exc)) from None
    fields = text.split(".")
    return IssuedCollection(text, None if fields[1] == "*" else box_id, not_after, fields[2], fields[4])
