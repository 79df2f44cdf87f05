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
from typing import Callable

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
    # Started services after this one wait until it answers here (an http:// URL) ...
    ready_url: str | None = None
    # ... and then these steps run, in order (e.g. enrolling the terminals with central).
    after_ready: list[Callable[[], None]] = field(default_factory=list)


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
    services += _central_services(layout)
    kiosk = load_config(layout.config_path("kiosk"))
    if "idcard" in kiosk and kiosk.idcard.backend == "sim":
        # A resident card on the reader; `kill -USR1` the sim to lift it or put it back.
        services.append(Service("sim-idcard", terminal_argv("sim", "idcard", "--port", kiosk.idcard.port,
                                                            "--card", "resident")))
    if "sms" in kiosk and kiosk.sms.transport == "modem":
        services.append(Service("sim-modem", terminal_argv(
            "sim", "modem", "--port", kiosk.sms.port,
            "--record", str(layout.terminal_dir("kiosk") / "sms-inbox.jsonl"))))
    # Printers (drivers/receipt, drivers/printer): ports match the `sim` values in drivers/settings.py.
    services.append(Service("receipt-sim", terminal_argv(
        "sim", "receipt", "--listen", "127.0.0.1:19100", "--out", str(layout.root / "receipts"))))
    services.append(Service("printer-a4-sim", terminal_argv(
        "sim", "printer", "--media", "a4", "--port", "18631", "--dir", str(layout.root / "printer-a4"))))
    services.append(Service("printer-cr80-sim", terminal_argv(
        "sim", "printer", "--media", "cr80", "--port", "18632", "--dir", str(layout.root / "printer-cr80"))))
    # Store-and-forward for each terminal; it waits (logging sync.not_enrolled) until the
    # terminal is enrolled ('terminal sync enroll') with the demo's central, http://127.0.0.1:8740.
    for role in ("kiosk", "dropbox"):
        services.append(Service(f"sync-{role}", terminal_argv("sync", "run", "--config",
                                                              str(layout.config_path(role)))))
    return services


def _central_services(layout: DemoLayout) -> list[Service]:
    """Central on 127.0.0.1:8740 (SQLite under <demo>/central), seeded, with enrolment tokens.

    Each not-yet-enrolled demo terminal finds a one-time token in
    <demo>/<role>/enrolment-token (see sync.central.demo).
    """
    from sync.central.demo import DEMO_LISTEN, prepare_central

    devices = {role: load_config(layout.config_path(role)).device_id for role in ("kiosk", "dropbox")
               if layout.config_path(role).exists()}
    db = prepare_central(layout.root, devices)
    central = Service("central", terminal_argv("central", "serve", "--db", str(db), "--listen", DEMO_LISTEN),
                      ready_url=f"http://{DEMO_LISTEN}/healthz")
    central.after_ready = [lambda role=role: _enrolment(layout, role, f"http://{DEMO_LISTEN}") for role in devices]
    return [central]


def _enrolment(layout: DemoLayout, role: str, url: str) -> None:
    """Enrol a terminal that central left a one-time token for (none: enrolled on an earlier run)."""
    token_file = layout.terminal_dir(role) / "enrolment-token"
    if not token_file.exists():
        return
    argv = terminal_argv("sync", "enroll", "--config", str(layout.config_path(role)),
                         "--central", url, "--token", token_file.read_text().strip())
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode == 0:
        token_file.unlink(missing_ok=True)  # dead once used; a restart must not try it again
        log.info("demo.enrolled", role=role)
    else:
        log.error("demo.enrolment_failed", role=role, error=done.stderr.strip()[-500:])


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
        _prepare_sim_devices(cfg)
        with open_store(store_path(cfg), all_migrations()) as store:
            health = store.health()
        log.info("demo.terminal_ready", role=role, config=str(path), store=health["path"],
                 store_ok=health["ok"])
    return layout


def _prepare_sim_devices(cfg) -> None:
    """Give simulated devices the material they play (the camera's picture folder)."""
    camera = cfg.get("camera")
    if camera is not None and camera.backend == "sim":
        from drivers.camera.scene import write_scene

        folder = Path(camera.sim_source)
        if not folder.is_dir() or not any(folder.iterdir()):
            write_scene(folder)


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
            if stop["requested"]:
                break
            service.process = subprocess.Popen(service.argv, env={**os.environ, **service.env},
                                               start_new_session=True)
            log.info("demo.started", service=service.name, pid=service.process.pid)
            if service.ready_url:
                _wait_ready(service, stop)
                for step in service.after_ready:
                    step()
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


def _wait_ready(service: Service, stop: dict, timeout_s: float = 30.0) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout_s
    while not stop["requested"] and time.monotonic() < deadline and service.process.poll() is None:
        try:
            with urllib.request.urlopen(service.ready_url, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    log.error("demo.not_ready", service=service.name, url=service.ready_url)


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
