"""Shared set-up for the device-side sync tests: configs, enrolled stores, a running central double."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

from terminal.config_init import render_config
from terminal.schema import load_config

REPO = Path(__file__).resolve().parents[2]

# Fast, deterministic defaults for tests: no start jitter, no pacing, short timeouts.
TEST_SYNC = {
    "drain_start_jitter_s": 0,
    "drain_max_events_per_s": 0,
    "retry_base_s": 0.01,
    "retry_cap_s": 0.2,
    "connect_timeout_s": 1.0,
    "read_timeout_s": 2.0,
    "idle_poll_s": 0.05,
    "pull_interval_s": 0,
}


def write_config(directory: Path, device_id: str = "KSK-T-0001", role: str = "kiosk", **sync) -> Path:
    """A simulated terminal config with [sync] values overridden."""
    directory.mkdir(parents=True, exist_ok=True)
    text = render_config(role, state_dir=str(directory / "state"), device_id=device_id, site="test", sim=True)
    head, sep, rest = text.partition("\n[sync]\n")
    body, nxt, tail = rest.partition("\n[")
    for key, value in {**TEST_SYNC, **sync}.items():
        line = f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"'
        body, n = re.subn(rf"^{key} = .*$", line, body, flags=re.M)
        assert n == 1, key
    path = directory / "terminal.toml"
    path.write_text(head + sep + body + nxt + tail)
    return path


def open_terminal_store(config: Path):
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.migrations import all_migrations

    cfg = load_config(config)
    return cfg, open_store(store_path(cfg), all_migrations())


def enroll(run_cli, central, config: Path, device_id: str = "KSK-T-0001") -> None:
    token = central.issue_token(device_id)
    code, out, err = run_cli("sync", "enroll", "--config", str(config), "--central", central.url, f"--token={token}")
    assert code == 0, err


class TerminalCentral:
    """The reference central (``terminal central serve``) in its own process, for the end-to-end proofs.

    ``SYNC_E2E_CENTRAL`` names the ``terminal`` executable to run (``terminal``: this interpreter's).
    It has the same surface as ``central_double.DoubleProcess``: start, kill, stop, token, events.
    """

    def __init__(self, db: str, command: str):
        self.db = db
        self.command = [sys.executable, "-m", "terminal"] if command == "terminal" else [command]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = None
        self.env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    def _run(self, *args: str) -> str:
        return subprocess.run([*self.command, "central", *args, "--db", self.db], capture_output=True, text=True,
                              check=True, env=self.env, timeout=120).stdout

    def start(self) -> "TerminalCentral":
        self.proc = subprocess.Popen([*self.command, "central", "serve", "--db", self.db, "--listen",
                                      f"127.0.0.1:{self.port}"], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from tests.helpers.central_double import wait_listening

        wait_listening(self.proc, self.port, timeout_s=60, what="terminal central serve")
        return self

    def token(self, device_id: str) -> str:
        return self._run("token", "--device-id", device_id).split()[-1]

    def events(self, device_id: str) -> list[dict]:
        rows = [json.loads(line) for line in self._run("events", "--device-id", device_id, "--json").splitlines()
                if line.startswith("{")]
        return [{"seq": r["seq"], "payload": r["payload"]} for r in rows]

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def e2e_central(db: str, devices: list[str]):
    """The receiver for the end-to-end proofs: the reference central (``terminal central serve``).

    ``SYNC_E2E_CENTRAL=double`` runs them against the loopback test double instead, and a path
    runs another ``terminal`` executable's central (e.g. an older release, for compatibility).
    """
    command = os.environ.get("SYNC_E2E_CENTRAL", "terminal")
    if command != "double":
        return TerminalCentral(db, command).start()
    from tests.helpers.central_double import DoubleProcess

    return DoubleProcess(db, {d: f"token-{d}" for d in devices}).start()


def outbox_head(config: Path) -> int | None:
    """The lowest seq still queued on the device (read-only; a cheap, receiver-agnostic progress signal)."""
    import sqlite3

    from sync.store_cli import store_path

    path = store_path(load_config(config))
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT MIN(seq) FROM sync_outbox").fetchone()[0]
    finally:
        conn.close()
