"""Enrol a terminal's store with central: the one-time token exchanged for the device's secret.

``terminal sync enroll`` and first boot (images/firstboot.py) both call
:func:`enroll_store`, so a terminal enrolled by a technician and one enrolled
by its provisioning seed end in the same state::

    >>> from sync.enrolment import enroll_store
    >>> enroll_store  # doctest: +ELLIPSIS
    <function enroll_store at ...>
"""

from __future__ import annotations

import time

from sync.client import enroll
from sync.keys import ensure_terminal_key
from sync.state import get_state, set_state


def enroll_store(store, device_id: str, central_url: str, token: str, *, verify: bool | str = True,
                 ca_file: str = "", timeout_s: float = 15.0) -> dict:
    """Exchange ``token`` at ``central_url`` for ``device_id``'s secret and keep it in ``store``.

    ``verify`` is True, False or a CA bundle path for central's TLS; ``ca_file``
    is remembered for later requests; ``timeout_s`` bounds the request in
    seconds.  The terminal's Ed25519 key is made once and registered.  Events
    this store recorded before enrolment are moved above the sequence numbers
    central already holds for the device (a store started afresh).  Returns
    the enrolment answer (central_url, device_id, secret, enrolled_at,
    server_time, last_seq).  Raises sync.client.CentralUnreachable (try
    again), TokenRefused (a new token is needed) or CentralCallFailed.
    """
    public = ensure_terminal_key(store)  # made once; the same key is registered on re-enrolment
    answer = enroll(central_url, device_id, token, verify=verify, public_key=public, timeout_s=timeout_s)
    with store.write():
        conn = store.conn
        numbered_for_central = bool(get_state(conn, "secret")) and get_state(conn, "device_id") == device_id
        for key in ("central_url", "device_id", "secret", "enrolled_at"):
            set_state(conn, key, answer[key])
        set_state(conn, "ca_file", ca_file)
        last_seq = answer["last_seq"]
        if last_seq and not numbered_for_central:
            # Central already holds seqs up to last_seq from an earlier store (this one was
            # quarantined and started afresh).  What this store recorded before enrolment
            # has never left it: move it above central's seqs, in order, instead of letting
            # it collide there and end as 422 dead letters.  (Two steps: SQLite checks the
            # primary key row by row.)
            conn.execute("UPDATE sync_outbox SET seq = -(seq + ?)", (last_seq,))
            conn.execute("UPDATE sync_outbox SET seq = -seq")
            conn.execute("UPDATE sync_counter SET value = value + ? WHERE name = 'seq'", (last_seq,))
        elif last_seq is not None:
            conn.execute("UPDATE sync_counter SET value = MAX(value, ?) WHERE name = 'seq'", (last_seq,))
        if isinstance(answer.get("server_time"), (int, float)):
            set_state(conn, "clock_offset", answer["server_time"] - time.time())
    return answer
