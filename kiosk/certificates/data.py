"""Certificate data from central, at request time, over the signed channel; never written to the device.

:func:`fetch` asks central's ``GET /v1/certdata/{employee_no}?kind=K`` with the
terminal's enrolment.  When central cannot answer, :class:`CertificatesUnavailable`
says which certificates cannot be made now and why, in words the menu shows::

    >>> str(CertificatesUnavailable({"income": "central is unreachable"}))
    'certificates unavailable: income (central is unreachable)'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sync.client import CentralClient, Credentials, CredentialsRejected, Retryable, tls_verify
from sync.state import all_state
from terminal import TerminalError

TIMEOUT_S = 8.0          # the employee is waiting; the menu says "unavailable" rather than hang
_EMPLOYEE_NO = re.compile(r"[A-Za-z0-9_-]{1,32}")

# Why a certificate is unavailable (CertificatesUnavailable.reasons values start with one of these).
OFFLINE = "central is unreachable"
NOT_ENROLLED = "this terminal is not enrolled with central"
NO_DATA = "central holds no data for this employee"
BUSY = "central is busy"
REFUSED = "central refused this terminal"


class CertificatesUnavailable(TerminalError):
    """Some certificates cannot be made now; ``reasons`` maps each kind to why (plain words, no personal data)."""

    def __init__(self, reasons: dict[str, str]):
        self.reasons = dict(reasons)
        super().__init__("certificates unavailable: " + "; ".join(f"{k} ({v})" for k, v in self.reasons.items()))


@dataclass(frozen=True)
class CertData:
    """Central's answer: kind, employee_no, as_of (central's date, YYYY-MM-DD), serial_floor, data (a dict).

    Held in memory for one session only.
    """

    kind: str
    employee_no: str
    as_of: str
    serial_floor: int
    data: dict


def client_for(store, sync_settings=None, *, timeout_s: float = TIMEOUT_S) -> CentralClient:
    """A signed client with this terminal's enrolment (``store``) and ``[sync]`` settings (or defaults).

    Raises :class:`CertificatesUnavailable` for every kind when the terminal is not enrolled.
    """
    state = all_state(store.conn)
    creds = Credentials.from_state(state)
    if creds is None:
        raise CertificatesUnavailable({"all": f"{NOT_ENROLLED}; a technician runs 'terminal sync enroll'"})
    connect = min(getattr(sync_settings, "connect_timeout_s", timeout_s), timeout_s)
    read = min(getattr(sync_settings, "read_timeout_s", timeout_s), timeout_s)
    return CentralClient(creds, verify=tls_verify(creds.ca_file, getattr(sync_settings, "ca_bundle", "")),
                         connect_timeout_s=connect, read_timeout_s=read, clock_offset_s=state.get("clock_offset"))


def fetch(client: CentralClient, kind: str, employee_no: str) -> CertData:
    """The data of one ``kind`` certificate for ``employee_no``, from central now.

    Raises ValueError for an employee number that is not 1-32 of [A-Za-z0-9_-], and
    :class:`CertificatesUnavailable` ({kind: reason}) when central cannot answer (offline,
    timeout, busy, no data, credentials refused) or answers something malformed.
    """
    if not isinstance(employee_no, str) or not _EMPLOYEE_NO.fullmatch(employee_no):
        raise ValueError(f"employee number {str(employee_no)[:40]!r} is not 1-32 ASCII letters, digits, _ or -")
    try:
        answer = client._signed("GET", f"/v1/certdata/{employee_no}?kind={kind}", b"", {})
    except Retryable as exc:
        if exc.status == 404:
            raise CertificatesUnavailable({kind: NO_DATA}) from None
        if exc.status in (429, 503):
            raise CertificatesUnavailable({kind: f"{BUSY}; try again in a few minutes"}) from None
        if exc.status is None:
            raise CertificatesUnavailable({kind: OFFLINE + (" (no answer in time)" if exc.timeout else "")}) from None
        raise CertificatesUnavailable({kind: f"central answered {exc.status}"}) from None
    except CredentialsRejected:
        raise CertificatesUnavailable({kind: f"{REFUSED}; a technician must enrol it again"}) from None
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict) or answer.get("kind") != kind or answer.get("employee_no") != employee_no \
            or not isinstance(answer.get("as_of"), str) or not isinstance(answer.get("serial_floor"), int):
        raise CertificatesUnavailable({kind: "central's answer is malformed"})
    return CertData(kind, employee_no, answer["as_of"], answer["serial_floor"], data)
