"""Is this terminal provisioned?  One small JSON file in the state directory says, for the kiosk and drop box.

``terminal provision firstboot`` writes ``<state_dir>/provision-status.json``
(atomically: a temporary file, then rename) before it starts ("provisioning"),
and again when it ends ("provisioned", or "not_provisioned" with the reason).
Anything else -- no file, an unreadable one, one left at "provisioning" by a
power cut -- reads as not provisioned, so a terminal is never taken for
configured when it is half-way.

    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> status(d)[0]
    False
    >>> write_status(d, "provisioned", "provisioned as KSK-SHA-0001 (kiosk) at site sha-hq")
    >>> status(d)
    (True, 'provisioned as KSK-SHA-0001 (kiosk) at site sha-hq')
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from images.provision import STATUS_NAME

STATES = ("provisioned", "not_provisioned", "provisioning")


def status(state_dir: str | os.PathLike) -> tuple[bool, str]:
    """(ok, reason): ok only when the last first boot finished provisioning; reason is one line for a person."""
    path = Path(state_dir) / STATUS_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False, ("not provisioned: no seed has been applied; write one with 'terminal provision seed' "
                       "and restart the terminal")
    except (OSError, ValueError) as exc:
        return False, f"not provisioned: {path} cannot be read ({exc}); write a new seed and restart the terminal"
    state = data.get("state") if isinstance(data, dict) else None
    reason = str(data.get("reason", "")) if isinstance(data, dict) else ""
    if state == "provisioned":
        return True, reason or "provisioned"
    if state == "provisioning":
        return False, "not provisioned: provisioning did not finish (power lost?); it is retried at the next boot"
    return False, reason or "not provisioned"


def provisioned(state_dir: str | os.PathLike) -> tuple[bool, str]:
    """(ok, reason) for the kiosk and the drop box at start: like :func:`status`, except that a
    terminal with no status file at all was set up by hand (a config file and 'terminal sync
    enroll', no first boot) and counts as provisioned.

    >>> import tempfile
    >>> provisioned(tempfile.mkdtemp())
    (True, 'set up by hand (no provisioning status file)')
    """
    if not (Path(state_dir) / STATUS_NAME).exists():
        return True, "set up by hand (no provisioning status file)"
    return status(state_dir)


def read_status(state_dir: str | os.PathLike) -> dict:
    """The whole status record (state, reason, device_id, role, site, seed_sha256, at), or {} when unreadable."""
    try:
        data = json.loads((Path(state_dir) / STATUS_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_status(state_dir: str | os.PathLike, state: str, reason: str, **details) -> None:
    """Replace the status record atomically; ``state`` is one of :data:`STATES`, ``details`` are added as they are."""
    if state not in STATES:
        raise ValueError(f"unknown provisioning state {state!r}")
    folder = Path(state_dir)
    folder.mkdir(parents=True, exist_ok=True)
    record = {"state": state, "reason": reason, "at": round(time.time(), 3), **details}
    temporary = folder / (STATUS_NAME + ".tmp")
    with open(temporary, "w", encoding="utf-8") as fh:
        json.dump(record, fh, ensure_ascii=False, indent=1)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(temporary, 0o644)  # the kiosk and the drop box read it
    os.replace(temporary, folder / STATUS_NAME)
