"""Checking one scanned code against what the box knows: signature, claims, capacity, used collection codes.

:func:`check_scan` reads the store (the synced ``keys`` and ``claims`` datasets, the journal) and
returns the :class:`~dropbox.machine.Verdict` the state machine acts on; it never raises for a bad
code.  Every refusal has its own ``reason`` (a sync.codes reason, a sync.wire REFUSED_* value, or one
of this module's) and a ``message`` in plain words for the display, without personal data.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from dropbox import journal
from dropbox.machine import Verdict
from sync import codes, wire
from sync.clock import SystemClock, reference_time
from sync.pull import reference_item, reference_items
from sync.state import get_state

REFUSED_CODE_USED = "code_used"          # a collection code already used at this box
REFUSED_CLAIM_CHANGED = "claim_changed"  # central's claim no longer matches the printed form
AWAITING = "awaiting_envelope"

MESSAGES = {
    codes.MALFORMED: "This is not a reimbursement-form code.",
    codes.UNKNOWN_VERSION: "This form's code is of a newer kind than this box reads; please ask finance to "
                           "reissue the form.",
    codes.WRONG_KIND: "This code cannot be used here.",
    codes.UNKNOWN_KEY: "This box does not know the key that signed this form yet; please try again later "
                       "or ask finance.",
    codes.RETIRED_KEY: "This form was signed with a key that is no longer valid; please ask finance to "
                       "reissue it.",
    codes.TAMPERED: "This form's code has been altered, so it cannot be accepted.",
    codes.FORGED: "This code was not issued by the finance platform, so it cannot be accepted.",
    codes.EXPIRED: "This collection code has expired; please ask for a new one.",
    codes.WRONG_BOX: "This collection code is for another box.",
    REFUSED_CODE_USED: "This collection code has already been used; please ask for a new one.",
}


def _refused(reason: str, message: str = "", claim_id: str = "") -> Verdict:
    return Verdict("refused", reason=reason, message=message or MESSAGES.get(reason, "This code is refused."),
                   claim_id=claim_id)


def trusted_now(conn, clock: SystemClock | None = None) -> float | None:
    """Unix seconds on a clock something vouches for (NTP, or central's measured offset), else None."""
    clock = clock or SystemClock()
    return reference_time(clock.wall(), clock.synced(), get_state(conn, "clock_offset"))


def check_scan(conn, payload: str, *, settings: Mapping[str, Any], box_id: str,
               clock: SystemClock | None = None) -> Verdict:
    """The verdict on ``payload`` read from the camera.

    ``conn`` is the store's connection, ``settings`` the ``[dropbox]`` values
    (dropbox.settings.dropbox_values), ``box_id`` this terminal's device id,
    ``clock`` the seam for collection-code expiry.  Returns a Verdict of kind
    "form", "collection" or "refused"; never raises for a bad code.
    """
    ring = codes.KeyRing(reference_items(conn, "keys"))
    try:
        code = codes.verify(payload, ring, now=trusted_now(conn, clock), box_id=box_id)
    except codes.CodeRefused as exc:
        return _refused(exc.reason)
    if isinstance(code, codes.CollectionCode):
        if journal.nonce_used(conn, code.nonce):
            return _refused(REFUSED_CODE_USED)
        return Verdict("collection", key_id=code.key_id, authorised_by=f"code:{code.key_id}",
                       nonce=code.nonce)
    return _check_form(conn, code, settings)


def _check_form(conn, code: codes.FormCode, settings: Mapping[str, Any]) -> Verdict:
    claim = code.claim_id
    received_at = journal.received_claim(conn, claim)
    if received_at is not None:
        day = time.strftime("%Y-%m-%d %H:%M", time.localtime(received_at))
        return _refused(wire.REFUSED_ALREADY_RECEIVED, f"Claim {claim}'s envelope was already received in this "
                                                       f"box on {day}; nothing more is needed.", claim)
    if journal.uncollected(conn) >= settings["capacity"]:
        return _refused(wire.REFUSED_FULL, "This box is full; please use another box. It will be emptied soon.",
                        claim)
    item = reference_item(conn, "claims", claim)
    checked = "claims"
    if item is None:
        if not settings["accept_unknown_signed"]:
            return _refused(wire.REFUSED_UNKNOWN_OFFLINE, f"Claim {claim} is not known to this box yet; please "
                                                          f"try again later.", claim)
        checked = "signature"   # offline: signed by central, reconciled by central from dropbox.received
    elif item.get("status") != AWAITING:
        if item.get("status") == "received":
            return _refused(wire.REFUSED_ALREADY_RECEIVED, f"Claim {claim}'s envelope was already received; "
                                                           f"nothing more is needed.", claim)
        return _refused(wire.REFUSED_NOT_AWAITING, f"Claim {claim} is not waiting for an envelope "
                                                   f"({item.get('status') or 'no status'}); please ask finance.",
                        claim)
    elif item.get("employee_no") != code.employee_no or item.get("amount_cents") != code.amount_cents:
        return _refused(REFUSED_CLAIM_CHANGED, f"Claim {claim} has changed since this form was printed; please "
                                               f"print the form again.", claim)
    return Verdict("form", claim_id=claim, employee_no=code.employee_no, amount_cents=code.amount_cents,
                   key_id=code.key_id, checked=checked)
