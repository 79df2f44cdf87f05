"""``terminal demo``: the whole terminal set on one machine, in simulation.

It writes a simulated configuration for one kiosk and one drop box under the
demo directory, opens (and migrates) their databases, then starts every
service listed by :func:`demo_services` as a child process and supervises
them.  Ctrl-C or SIGTERM stops the children (SIGTERM, then SIGKILL after a
grace period) and the demo exits 0.  Running it again reuses the state.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from terminal.config import load_config
from terminal.config_init import render_config
from terminal.logs import get_logger

log = get_logger(__name__)

GRACE_S = 5.0


@dataclass
class Service:
    """One child process of the demo."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None


@dataclass(frozen=True)
class DemoLayout:
    root: Path

    def terminal_dir(self, role: str) -> Path:
        return self.root / role

    def config_path(self, role: str) -> Path:
        return self.terminal_dir(role) / "terminal.toml"


def terminal_argv(*args: str) -> list[str]:
    """The argv that runs a ``terminal`` subcommand with this interpreter."""
    return [sys.executable, "-m", "terminal", *args]


def demo_services(layout: DemoLayout) -> list[Service]:
    """Every long-running process of the demo, in start order."""
    services: list[Service] = []
    # Store-and-forward for each terminal; it waits (logging sync.not_enrolled) until the
    # terminal is enrolled ('terminal sync enroll') with the demo's central, http://127.0.0.1:8740.
    for role in ("kiosk", "dropbox"):
        services.append(Service(f"sync-{role}", terminal_argv("sync", "run", "--config",
                                                              str(layout.config_path(role)))))
    return services


def prepare(root: str | os.PathLike) -> DemoLayout:
    """Write (once) the two simulated terminals' configs and open their stores."""
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.migrations import all_migrations

    layout = DemoLayout(Path(root).resolve())
    for role, device_id in (("kiosk", "KSK-DEMO-0001"), ("dropbox", "DBX-DEMO-0001")):
        path = layout.config_path(role)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_config(role, state_dir=str(layout.terminal_dir(role) / "state"),
                                          device_id=device_id, site="demo", sim=True))
        cfg = load_config(path)
        with open_store(store_path(cfg), all_migrations()) as store:
            health = store.health()
        log.info("demo.terminal_ready", role=role, config=str(path), store=health["path"],
                 store_ok=health["ok"])
    return layout


def run_demo(root: str | os.PathLike, *, duration: float | None = None) -> int:
    layout = prepare(root)
    services = demo_services(layout)
    stop = {"requested": False}

    def request_stop(signum, frame):
        stop["requested"] = True

    old_int = signal.signal(signal.SIGINT, request_stop)
    old_term = signal.signal(signal.SIGTERM, request_stop)
    try:
        for service in services:
            service.process = subprocess.Popen(service.argv, env={**os.environ, **service.env},
                                               start_new_session=True)
            log.info("demo.started", service=service.name, pid=service.process.pid)
        names = ", ".join(s.name for s in services) or "no services yet"
        print(f"demo running in {layout.root} ({names}); press Ctrl-C to stop", file=sys.stderr, flush=True)
        deadline = None if duration is None else time.monotonic() + duration
        while not stop["requested"] and (deadline is None or time.monotonic() < deadline):
            for service in services:
                code = service.process.poll() if service.process else None
                if code is not None:
                    log.error("demo.service_exited", service=service.name, code=code)
                    service.process = None
            time.sleep(0.2)
    finally:
        _stop_all(services)
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)
    print("demo stopped", file=sys.stderr, flush=True)
    return 0


def _stop_all(services: list[Service]) -> None:
    running = [s for s in reversed(services) if s.process and s.process.poll() is None]
    for s in running:
        _signal_group(s.process, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    for s in running:
        try:
            s.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("demo.kill", service=s.name)
            _signal_group(s.process, signal.SIGKILL)
            s.process.wait()
        log.info("demo.stopped", service=s.name, code=s.process.returncode)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass
