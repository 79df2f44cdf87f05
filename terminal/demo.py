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

from terminal import TerminalError
from terminal.config_init import render_config
from terminal.demo_console import ReadableLines, relay
from terminal.logs import get_logger
from terminal.ports import port_free, port_holder
from terminal.schema import load_config

log = get_logger(__name__)

GRACE_S = 5.0


@dataclass(frozen=True)
class DemoPorts:
    """The loopback TCP ports the demo's servers listen on; each has a ``terminal demo`` flag."""

    central: int = 8740
    receipt: int = 19100
    a4: int = 18631
    cr80: int = 18632

    FLAGS = {"central": "--central-port", "receipt": "--receipt-port", "a4": "--a4-port", "cr80": "--cr80-port"}

    def check_free(self) -> None:
        """Raise TerminalError (exit 2) naming the first taken port, its holder and the flag to change it."""
        for name, flag in self.FLAGS.items():
            port = getattr(self, name)
            if port_free(port):
                continue
            holder = port_holder(port)
            who = f"pid {holder[0]} ({holder[1][:120]})" if holder else "another process (not ours to see)"
            what = name.replace("a4", "A4 printer").replace("cr80", "CR80 printer")
            raise TerminalError(
                f"port {port} on 127.0.0.1, for the demo's {what}, "
                f"is taken by {who}. Stop that process, or choose another port: "
                f"terminal demo {flag} {_suggest(port)}", exit_code=2)


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


def _suggest(port: int) -> int:
    for candidate in range(port + 10, port + 200, 10):
        if candidate < 65536 and port_free(candidate):
            return candidate
    return 0


@dataclass(frozen=True)
class DemoLayout:
    """Where the demo keeps each terminal's files under its state folder ``root``, and its servers' ``ports``."""
    root: Path
    ports: DemoPorts = DemoPorts()

    def terminal_dir(self, role: str) -> Path:
        """The folder of the ``role`` terminal ("kiosk" or "dropbox"): ``<root>/<role>``."""
        return self.root / role

    def config_path(self, role: str) -> Path:
        """The configuration file of the ``role`` terminal: ``<root>/<role>/terminal.toml``."""
        return self.terminal_dir(role) / "terminal.toml"


def terminal_argv(*args: str) -> list[str]:
    """The argv that runs a ``terminal`` subcommand with this interpreter."""
    return [sys.executable, "-m", "terminal", *args]


def demo_services(layout: DemoLayout) -> list[Service]:
    """Every long-running process of the demo laid out in ``layout``, in start order: a list of Service.

    Reads the kiosk's configuration, so raises terminal.config.ConfigError when it is invalid.
    """
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
        "sim", "receipt", "--listen", f"127.0.0.1:{layout.ports.receipt}", "--out", str(layout.root / "receipts"))))
    services.append(Service("printer-a4-sim", terminal_argv(
        "sim", "printer", "--media", "a4", "--listen", f"127.0.0.1:{layout.ports.a4}",
        "--out", str(layout.root / "printer-a4"))))
    services.append(Service("printer-cr80-sim", terminal_argv(
        "sim", "printer", "--media", "cr80", "--listen", f"127.0.0.1:{layout.ports.cr80}",
        "--out", str(layout.root / "printer-cr80"))))
    # Store-and-forward for each terminal; it waits (logging sync.not_enrolled) until the
    # terminal is enrolled ('terminal sync enroll') with the demo's central.
    for role in ("kiosk", "dropbox"):
        services.append(Service(f"sync-{role}", terminal_argv("sync", "run", "--config",
                                                              str(layout.config_path(role)))))
    services += _dropbox_services(layout)
    services.append(_kiosk_service(layout))
    return services


def has_display() -> bool:
    """True when Qt can open a window here (Wayland or X), or QT_QPA_PLATFORM says where to draw."""
    return bool(os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def _kiosk_service(layout: DemoLayout) -> Service:
    """The kiosk's screens on the simulators: a window where there is a display, else offscreen."""
    argv = terminal_argv("kiosk", "--config", str(layout.config_path("kiosk")), "--windowed")
    if has_display():
        return Service("kiosk", argv)
    return Service("kiosk", argv, env={"QT_QPA_PLATFORM": "offscreen"})


def _dropbox_services(layout: DemoLayout) -> list[Service]:
    """The drop-box agent and its demo visitors (dropbox/visitor.py) holding central-signed forms to its camera.

    The forms are the demo central's own codes for its claims awaiting an envelope (printable PDFs
    in <demo>/forms), and a courier's collection code; call after central is prepared.
    """
    import json

    from sync.central.demo import demo_collection_code, demo_form_codes

    cfg = load_config(layout.config_path("dropbox"))
    codes = {"forms": list(demo_form_codes(layout.root, pdf_dir=layout.root / "forms").values()),
             "collection": demo_collection_code(layout.root, cfg.device_id, ttl_s=7 * 86400)}
    visitors = layout.terminal_dir("dropbox") / "visitors.json"
    visitors.write_text(json.dumps(codes, indent=1) + "\n")
    agent = Service("dropbox", terminal_argv("dropbox", "--config", str(layout.config_path("dropbox"))))
    people = Service("dropbox-visitors", [sys.executable, "-m", "dropbox.visitor", "--camera",
                                          cfg.camera.sim_source, "--codes", str(visitors)])
    return [agent, people]


def _central_services(layout: DemoLayout) -> list[Service]:
    """Central on 127.0.0.1:<central port> (SQLite under <demo>/central), seeded, with enrolment tokens.

    Each not-yet-enrolled demo terminal finds a one-time token in
    <demo>/<role>/enrolment-token (see sync.central.demo).
    """
    from sync.central.demo import prepare_central

    listen = f"127.0.0.1:{layout.ports.central}"
    devices = {role: load_config(layout.config_path(role)).device_id for role in ("kiosk", "dropbox")
               if layout.config_path(role).exists()}
    db = prepare_central(layout.root, devices)
    # The demo listens on loopback only, so its status page needs no token.
    central = Service("central", terminal_argv("central", "serve", "--db", str(db), "--listen", listen,
                                               "--public-status"),
                      ready_url=f"http://{listen}/healthz")
    central.after_ready = [lambda role=role: _enrolment(layout, role, f"http://{listen}") for role in devices]
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


def prepare(root: str | os.PathLike, ports: DemoPorts = DemoPorts()) -> DemoLayout:
    """Write (once) the two simulated terminals' configs under ``root``, point them at ``ports``, open their stores.

    Returns the DemoLayout.  Raises terminal.config.ConfigError for an edited,
    invalid config and sync.store.StoreError when a store cannot be opened.
    """
    from sync.state import get_state, set_state
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.migrations import all_migrations

    layout = DemoLayout(Path(root).resolve(), ports)
    for role, device_id in (("kiosk", "KSK-DEMO-0001"), ("dropbox", "DBX-DEMO-0001")):
        path = layout.config_path(role)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_config(role, state_dir=str(layout.terminal_dir(role) / "state"),
                                          device_id=device_id, site="demo", sim=True))
        _point_at_ports(path, ports)
        cfg = load_config(path)
        _prepare_sim_devices(cfg)
        with open_store(store_path(cfg), all_migrations()) as store:
            health = store.health()
            url = f"http://127.0.0.1:{ports.central}"
            if get_state(store.conn, "central_url") not in (None, url):  # enrolled on an earlier run's port
                with store.write():
                    set_state(store.conn, "central_url", url)
        log.info("demo.terminal_ready", role=role, config=str(path), store=health["path"],
                 store_ok=health["ok"])
    return layout


def _point_at_ports(path: Path, ports: DemoPorts) -> None:
    """Rewrite the printers' sim URIs for this run's ports (the rest of the file is left as written)."""
    uris = {"receipt": f'uri = "tcp://127.0.0.1:{ports.receipt}"',
            "printer": f'uri = "ipp://127.0.0.1:{ports.a4}/ipp/print"',
            "badge_printer": f'uri = "ipp://127.0.0.1:{ports.cr80}/ipp/print"'}
    section, out = "", []
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("["):
            section = line.strip().strip("[]")
        elif section in uris and line.startswith("uri = \"") and "127.0.0.1:" in line:
            line = uris[section] + "\n"
        out.append(line)
    text = "".join(out)
    if text != path.read_text():
        path.write_text(text)


def _prepare_sim_devices(cfg) -> None:
    """Give simulated devices the material they play (the camera's picture folder)."""
    camera = cfg.get("camera")
    if camera is not None and camera.backend == "sim":
        from drivers.camera.scene import write_scene

        folder = Path(camera.sim_source)
        if not folder.is_dir() or not any(folder.iterdir()):
            write_scene(folder)


def run_demo(root: str | os.PathLike, *, timeout_s: float | None = None, ports: DemoPorts = DemoPorts()) -> int:
    """Run the demo in the state folder ``root`` until Ctrl-C/SIGTERM or, when given, ``timeout_s`` seconds.

    ``ports`` are the loopback TCP ports of its servers.  Returns 0 once every
    child is stopped.  Raises TerminalError (exit 2) before starting anything
    when a port is taken, and terminal.config.ConfigError when a config it
    wrote earlier was edited into an invalid one.
    """
    # On a terminal: one readable line per event; under journald or a pipe the services' JSON as is.
    console = sys.stdout.isatty()
    if console:
        _readable_own_log()
    ports.check_free()
    layout = prepare(root, ports)
    services = demo_services(layout)
    stop = {"requested": False}

    def request_stop(signum, frame):
        stop["requested"] = True

    old_int = signal.signal(signal.SIGINT, request_stop)
    old_term = signal.signal(signal.SIGTERM, request_stop)
    if not has_display():
        print("no display here: the kiosk runs offscreen. See its screens with "
              "'terminal demo --tour DIR' or 'terminal kiosk --screenshots DIR'", file=sys.stderr, flush=True)
    try:
        for service in services:
            if stop["requested"]:
                break
            service.process = subprocess.Popen(service.argv, env={**os.environ, **service.env},
                                               start_new_session=True,
                                               stdout=subprocess.PIPE if console else None,
                                               stderr=subprocess.STDOUT if console else None)
            if console:
                relay(service.process.stdout, service.name, sys.stdout)
            log.info("demo.started", service=service.name, pid=service.process.pid)
            if service.ready_url:
                _wait_ready(service, stop)
                for step in service.after_ready:
                    step()
        names = ", ".join(s.name for s in services) or "no services yet"
        print(f"demo running in {layout.root} ({names}); press Ctrl-C to stop", file=sys.stderr, flush=True)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
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


def _readable_own_log() -> None:
    """The demo's own events (demo.started, ...) in the console's readable form too."""
    import logging

    for handler in logging.getLogger().handlers:
        if getattr(handler, "_service_terminals", False):
            handler.setFormatter(ReadableLines(handler.formatter))


def run_tour(root: str | os.PathLike, out: str | os.PathLike) -> int:
    """``terminal demo --tour DIR``: one kiosk visit, then one drop and one collection, as numbered PNGs.

    Runs on its own simulators in scratch folders (``root``, the demo's state
    folder, is not touched), offscreen.  Prints one line per picture; returns 0.
    Raises TerminalError (exit 1) naming the step that did not happen.
    """
    from ui.tour import kiosk_tour

    written = kiosk_tour(out)
    try:
        from dropbox.storyboard import dropbox_tour
    except ImportError:  # the drop box's part is optional: the kiosk's storyboard stands alone
        dropbox_tour = None
    if dropbox_tour is not None:
        written += dropbox_tour(out, first=len(written) + 1)
    for path in written:
        print(path)
    print(f"{len(written)} pictures in {out}", file=sys.stderr)
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
