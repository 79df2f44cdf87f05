"""Shared set-up for the device-side sync tests: configs, enrolled stores, a running central double."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from terminal.config import load_config
from terminal.config_init import render_config

REPO = Path(__file__).resolve().parent.parent

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


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "terminal", *args]
