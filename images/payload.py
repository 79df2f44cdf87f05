"""What the image's custom stage copies into the root file system: the project wheel, the pins, the units.

:func:`stage_payload` builds it on the build host into a directory laid out like the target root
(``opt/``, ``etc/``); the stage's chroot step then makes the venv from it *inside* the arm64 image
(``images/pi-gen/stage-service-terminals/00-service-terminals/01-run-chroot.sh``), because the venv's
wheels must match the image's Python and architecture, not the build host's.

    >>> sorted(UNITS_BY_ROLE)
    ['dropbox', 'kiosk']
    >>> UNITS_BY_ROLE["dropbox"]
    ('terminal-firstboot.service', 'terminal-sync.service', 'terminal-dropbox.service')
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from terminal import TerminalError

REPO = Path(__file__).resolve().parents[1]
PREFIX = "opt/service-terminals"          # the install prefix, relative to the target root

# Every role runs first boot and the forwarder; each adds its own program.
UNITS_BY_ROLE = {
    "kiosk": ("terminal-firstboot.service", "terminal-sync.service", "terminal-kiosk.service"),
    "dropbox": ("terminal-firstboot.service", "terminal-sync.service", "terminal-dropbox.service"),
}
KIOSK_DISPLAYS = ("cage", "eglfs")

# (source under the repo, destination under the target root, mode)
_FILES = [
    ("constraints.txt", f"{PREFIX}/constraints.txt", 0o644),
    ("README.md", f"{PREFIX}/README.md", 0o644),
    ("systemd/kiosk-launch", f"{PREFIX}/libexec/kiosk-launch", 0o755),
    ("systemd/system.conf.d/10-terminal-watchdog.conf", "etc/systemd/system.conf.d/10-terminal-watchdog.conf",
     0o644),
    ("systemd/journald.conf.d/10-terminal-volatile.conf",
     "etc/systemd/journald.conf.d/10-terminal-volatile.conf", 0o644),
    ("systemd/terminal-kiosk.default", "etc/default/terminal-kiosk", 0o644),
    ("images/files/70-service-terminals.rules", "etc/udev/rules.d/70-service-terminals.rules", 0o644),
    ("images/files/sshd-keys-only.conf", "etc/ssh/sshd_config.d/10-service-terminals.conf", 0o644),
]


def stage_payload(dest: str | Path, role: str, *, kiosk_display: str = "cage", readonly_root: bool = False,
                  wheel: bool = True, repo: Path = REPO) -> list[str]:
    """Write the payload for an image of ``role`` ("kiosk" | "dropbox") under ``dest``; the paths written.

    ``dest`` is laid out like the target root.  ``kiosk_display`` "eglfs" adds the eglfs drop-in to
    the kiosk unit.  ``readonly_root`` leaves the marker ``etc/service-terminals/readonly-root``, from
    which the chroot step sets up the read-only root's parts.  ``wheel`` False skips building the project wheel (``pip wheel --no-deps``,
    into ``opt/service-terminals/wheels/``).  Every unit file goes to ``etc/systemd/system/``; the
    ones to enable are listed, one per line, in ``opt/service-terminals/enable-units``, and the
    role in ``etc/service-terminals/image-role``.  Raises TerminalError (exit 2) on a bad role or
    display, or when the wheel cannot be built (pip's last lines quoted).
    """
    if role not in UNITS_BY_ROLE:
        raise TerminalError(f"role {role!r}: expected one of {', '.join(sorted(UNITS_BY_ROLE))}", exit_code=2)
    if kiosk_display not in KIOSK_DISPLAYS:
        raise TerminalError(f"kiosk display {kiosk_display!r}: expected cage or eglfs", exit_code=2)
    dest = Path(dest)
    written = []

    def put(source: Path, target: str, mode: int) -> None:
        path = dest / target
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, path)
        path.chmod(mode)
        written.append(target)

    for source, target, mode in _FILES:
        put(repo / source, target, mode)
    for unit in sorted((repo / "systemd").glob("*.service")):
        put(unit, f"etc/systemd/system/{unit.name}", 0o644)
    if role == "kiosk" and kiosk_display == "eglfs":
        put(repo / "systemd/terminal-kiosk-eglfs.conf", "etc/systemd/system/terminal-kiosk.service.d/eglfs.conf",
            0o644)
    markers = [(f"{PREFIX}/enable-units", "\n".join(UNITS_BY_ROLE[role]) + "\n"),
               ("etc/service-terminals/image-role", role + "\n")]
    if readonly_root:
        markers.append(("etc/service-terminals/readonly-root", "overlayroot=tmpfs:recurse=0\n"))
    for target, text in markers:
        path = dest / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(target)
    if wheel:
        written.append(str(build_wheel(dest / PREFIX / "wheels", repo=repo).relative_to(dest)))
    return written


def build_wheel(out: Path, *, repo: Path = REPO) -> Path:
    """Build the project's wheel (no dependencies: the image resolves them with -c constraints.txt).

    It builds from a copy of ``repo`` (sources only), so no ``build/`` or ``*.egg-info`` lands in the
    work tree.  Returns the wheel's path.  Raises TerminalError when pip fails.
    """
    import tempfile

    out.mkdir(parents=True, exist_ok=True)
    skip = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__", "tests", "bench", "docs")
    with tempfile.TemporaryDirectory(prefix="service-terminals-src-") as tmp:
        source = Path(tmp) / "src"
        shutil.copytree(repo, source, ignore=skip)
        done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                               "-w", str(out), str(source)], capture_output=True, text=True)
    wheels = sorted(out.glob("service_terminals-*.whl"))
    if done.returncode != 0 or not wheels:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
        raise TerminalError(f"could not build the service-terminals wheel from {repo}: {tail}")
    return wheels[-1]
