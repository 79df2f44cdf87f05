"""Proof: kill -9 a real ``terminal dropbox`` in every state; after a restart the slot is locked and the
record is consistent -- every visit closed exactly once, nothing recorded twice, nothing lost.

The agent is held in each state by its test seam (TERMINAL_DROPBOX_HOLD_AT), right after that state's
commands ran (so 'validated' is killed after the unlock intent was committed and before the coil was
energised, 'envelope_seen' after the envelope was committed and before the relock), then SIGKILLed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections import Counter

import pytest

from drivers.camera.scene import write_qr, write_scene
from sync import wire
from tests.helpers.dropbox_box import Central, events, open_box_store
from tests.helpers.processes import terminal_cmd
from tests.helpers.sync_helpers import REPO

# state to hold in -> what shows it ("form <claim>", "collection", None) and the visit's outcome afterwards
CASES = [
    ("idle", None, None),
    ("scanned", "CLM-2026-0001", None),                       # nothing durable yet: no visit
    ("validated", "CLM-2026-0001", wire.NO_DROP_POWER_LOSS),  # intent committed, coil never energised
    ("unlocked", "CLM-2026-0002", wire.NO_DROP_POWER_LOSS),   # slot open: whether anything fell is unknown
    ("envelope_seen", "CLM-2026-0003", "received"),           # envelope committed, lock still energised
    ("locked", "CLM-2026-0004", "received"),                  # relocked, end not yet committed
    ("recorded", "CLM-2026-0005", "received"),                # end committed, feedback not yet shown
    ("collecting", "collection", None),                       # batch committed, manifest maybe printed
]
CLAIMS = [{"id": f"CLM-2026-{n:04d}", "employee_no": f"E100{n}", "amount_cents": 1000 + n,
           "status": "awaiting_envelope"} for n in range(1, 6)]


def wait_for_line(path, pattern, proc, timeout_s=60.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        found = re.search(pattern, text)
        if found:
            return found
        assert proc is None or proc.poll() is None, f"the agent exited ({proc.returncode}):\n{text[-3000:]}"
        time.sleep(0.02)
    raise AssertionError(f"no {pattern!r} in the agent's log:\n{path.read_text()[-3000:]}")


@pytest.fixture
def box(tmp_path, sim_config, receipt_sim):
    from terminal.schema import load_config
    from sync.store_cli import store_path

    config = sim_config("dropbox")
    # The receipt simulator on a free port (never the demo's fixed one).
    text = re.sub(r'uri = "tcp://127\.0\.0\.1:\d+"', f'uri = "{receipt_sim.uri}"', config.read_text())
    config.write_text(text)
    cfg = load_config(config)
    central = Central()
    with open_box_store(store_path(cfg)) as store:
        central.sync_into(store, CLAIMS)
    camera = tmp_path / "dropbox-state" / "sim" / "camera"
    assert str(camera) == cfg.camera.sim_source
    write_scene(camera, frames=2)
    central.box_id = cfg.device_id
    return config, store_path(cfg), camera, central


def show(camera, staging, payload):
    for old in camera.glob("qr-*.png"):
        old.unlink()
    if payload:
        staged = write_qr(staging, payload)
        staged.replace(camera / staged.name)


def check_consistent(db_path):
    with open_box_store(db_path) as store:
        conn = store.conn
        assert conn.execute("SELECT COUNT(*) FROM dropbox_visits WHERE state != 'locked'").fetchone()[0] == 0
        visits = conn.execute("SELECT id, claim_id, outcome FROM dropbox_visits").fetchall()
        sent = events(store)
        keys = Counter((t, p.get("envelope_id")) for t, p in sent if t in ("dropbox.received", "dropbox.no_drop"))
        assert all(n == 1 for n in keys.values()), keys   # never recorded twice
        for envelope_id, claim_id, outcome in visits:
            steps = [r[0] for r in conn.execute("SELECT step FROM dropbox_journal WHERE visit_id = ? ORDER BY id",
                                                (envelope_id,))]
            expected = ["scanned", "validated", "unlocked"] + (["envelope_seen"] if outcome == "received" else [])
            assert steps == expected + ["locked"], (envelope_id, steps)
            assert keys.get(("dropbox.received", envelope_id), 0) == (outcome == "received")
            assert keys.get(("dropbox.no_drop", envelope_id), 0) == (outcome != "received")
        received = Counter(c for _, c, o in visits if o == "received")
        assert all(n == 1 for n in received.values()), received
        return {claim: outcome for _, claim, outcome in visits}, sent


@pytest.mark.slow
def test_kill_9_in_every_state_then_restart_leaves_the_box_locked_and_the_record_consistent(tmp_path, box):
    config, db_path, camera, central = box
    staging = tmp_path / "staging"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    for n, (state, shown, outcome) in enumerate(CASES):
        log = tmp_path / f"held-{n}-{state}.log"
        show(camera, staging, None)
        with open(log, "w") as out:
            proc = subprocess.Popen(terminal_cmd("dropbox", "--config", str(config)), cwd=REPO,
                                    env={**env, "TERMINAL_DROPBOX_HOLD_AT": state}, stdout=out,
                                    stderr=subprocess.STDOUT)
        try:
            wait_for_line(log, r'"event": "dropbox.booted"', proc)
            if shown == "collection":
                show(camera, staging, central.collection(central.box_id))
            elif shown:
                show(camera, staging, central.form(shown, CLAIMS[int(shown[-1]) - 1]["employee_no"],
                                                   CLAIMS[int(shown[-1]) - 1]["amount_cents"]))
            wait_for_line(log, rf'"event": "dropbox.holding".*"state": "{state}"', proc)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        show(camera, staging, None)
        for attempt in range(2):   # the second boot must find nothing left to do
            restart_log = tmp_path / f"restart-{n}-{attempt}.log"
            with open(restart_log, "w") as out:
                done = subprocess.run(terminal_cmd("dropbox", "--config", str(config), "--timeout", "0.5"),
                                      cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=120)
            text = restart_log.read_text()
            assert done.returncode == 0, text[-3000:]
            booted = json.loads(next(line for line in text.splitlines() if '"dropbox.booted"' in line))
            assert booted["lock"] == "locked"
            assert booted["reconciled"] == (1 if attempt == 0 and outcome in ("received", wire.NO_DROP_POWER_LOSS)
                                            and state not in ("recorded",) else 0), (state, booted)
        outcomes, sent = check_consistent(db_path)
        if shown and shown.startswith("CLM-") and outcome:
            assert outcomes[shown] == outcome, (state, outcomes)
        if state == "scanned":
            assert "CLM-2026-0001" not in outcomes
    # The collection killed mid-way is on record exactly once, with every envelope received before it.
    collected = [p for t, p in sent if t == "dropbox.collected"]
    assert len(collected) == 1 and collected[0]["claim_ids"] == ["CLM-2026-0003", "CLM-2026-0004", "CLM-2026-0005"]
