"""The units in systemd/: systemd-analyze verify on each, the hardening and groups each service gets,
the machine's hardware watchdog and volatile journal, and kiosk-launch's DRM card on a Pi 4 and a Pi 5.

The programs' side of Type=notify (READY=1, WATCHDOG=1 from the main loop) is in test_systemd_notify.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from images.payload import UNITS_BY_ROLE, stage_payload
from tests.helpers.sync_helpers import REPO

SYSTEMD = REPO / "systemd"
SERVICES = ("terminal-sync.service", "terminal-dropbox.service", "terminal-kiosk.service")  # long-running
UNITS = SERVICES + ("terminal-firstboot.service",)
# Exactly the groups each service needs (README: Services (systemd)).
GROUPS = {
    "terminal-sync.service": set(),
    "terminal-dropbox.service": {"gpio", "video", "lp", "dialout"},
    "terminal-kiosk.service": {"video", "render", "dialout", "lp"},
}


def unit_settings(*paths: Path) -> dict[tuple[str, str], list[str]]:
    """{(section, key): [values in order]} over a unit and its drop-ins (keys may repeat, unlike INI)."""
    settings: dict[tuple[str, str], list[str]] = {}
    for path in paths:
        section = ""
        for line in path.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                section = line.strip("[]")
                continue
            key, _, value = line.partition("=")
            settings.setdefault((section, key.strip()), []).append(value.strip())
    return settings


def one(settings, section: str, key: str) -> str | None:
    values = settings.get((section, key))
    return values[-1] if values else None


# -- systemd-analyze verify ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def image_root(tmp_path_factory):
    """A root file system as the image has it: the payload, the host's systemd units, a stand-in venv."""
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: apt install systemd (apt-packages.txt lists it)")
    root = tmp_path_factory.mktemp("image-root")
    stage_payload(root, "kiosk", kiosk_display="cage", wheel=False)
    # The venv is made inside the arm64 image; verify only needs its executable to exist.
    terminal = root / "opt/service-terminals/.venv/bin/terminal"
    terminal.parent.mkdir(parents=True)
    terminal.write_text("#!/bin/sh\n")
    terminal.chmod(0o755)
    # Targets and units ours refer to (multi-user.target, seatd.service, ...), from the host.
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    return root


def verify(root: Path, unit: str) -> str:
    """systemd-analyze verify's complaints about ``unit`` under ``root`` ('' when it has none).

    Unknown keys and bad values are only warnings (exit 0), so any output counts.
    """
    done = subprocess.run(["systemd-analyze", "verify", f"--root={root}", "--man=no", unit],
                          capture_output=True, text=True, timeout=60)
    return (done.stdout + done.stderr).strip() + ("" if done.returncode == 0 else f"\n(exit {done.returncode})")


@pytest.mark.parametrize("unit", UNITS)
def test_every_unit_passes_systemd_analyze_verify(image_root, unit):
    assert verify(image_root, unit) == ""


def test_the_kiosk_with_the_eglfs_drop_in_passes_verify_and_gains_only_the_input_group(image_root, tmp_path):
    dropin = image_root / "etc/systemd/system/terminal-kiosk.service.d/eglfs.conf"
    dropin.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SYSTEMD / "terminal-kiosk-eglfs.conf", dropin)
    try:
        assert verify(image_root, "terminal-kiosk.service") == ""
    finally:
        dropin.unlink()
    settings = unit_settings(SYSTEMD / "terminal-kiosk.service", SYSTEMD / "terminal-kiosk-eglfs.conf")
    groups = {g for value in settings[("Service", "SupplementaryGroups")] for g in value.split()}
    assert groups == GROUPS["terminal-kiosk.service"] | {"input"}
    assert one(settings, "Service", "Environment") == "KIOSK_DISPLAY=eglfs"


def test_verify_reports_what_it_only_warns_about(image_root):
    """The check above is not blind: a misspelt key (a warning, exit 0) fails it."""
    bad = image_root / "etc/systemd/system/terminal-typo.service"
    bad.write_text((SYSTEMD / "terminal-sync.service").read_text().replace("WatchdogSec=", "WatchDogSec="))
    try:
        assert "Unknown key 'WatchDogSec'" in verify(image_root, "terminal-typo.service")
    finally:
        bad.unlink()


# -- what every service gets -----------------------------------------------------------------------

@pytest.mark.parametrize("unit", SERVICES)
def test_every_service_is_supervised_hardened_and_has_only_its_groups(unit):
    s = unit_settings(SYSTEMD / unit)
    assert one(s, "Service", "Type") == "notify"
    assert int(one(s, "Service", "WatchdogSec")) > 0
    assert one(s, "Service", "Restart") == "always"
    assert int(one(s, "Unit", "StartLimitIntervalSec")) > 0 and int(one(s, "Unit", "StartLimitBurst")) > 0
    assert one(s, "Service", "ProtectSystem") == "strict"
    assert one(s, "Service", "PrivateTmp") == "yes"
    assert one(s, "Service", "NoNewPrivileges") == "yes"
    assert one(s, "Service", "User") == "terminal"
    assert one(s, "Service", "StateDirectory") == "service-terminals"
    groups = {g for value in s.get(("Service", "SupplementaryGroups"), []) for g in value.split()}
    assert groups == GROUPS[unit]


@pytest.mark.parametrize("unit", SERVICES)
def test_every_service_may_read_the_ntp_sync_flag_its_events_record(unit):
    """Every service records outbox events, and each event records whether NTP has synchronised the
    clock (adjtimex, read-only). ProtectClock= or a filter without adjtimex would deny that."""
    s = unit_settings(SYSTEMD / unit)
    assert one(s, "Service", "ProtectClock") in (None, "no")
    assert {"adjtimex", "clock_adjtime"} <= set(one(s, "Service", "SystemCallFilter").split())


def test_everything_a_service_writes_is_in_a_directory_systemd_makes_writable():
    """ProtectSystem=strict leaves only the unit's State/Runtime/CacheDirectory writable: the kiosk's
    compiled translations (XDG_CACHE_HOME), cage's Wayland socket and the eglfs KMS file
    (XDG_RUNTIME_DIR), lgpio's notification pipes (working directory and LG_WD) must all be there."""
    def writable(s):
        dirs = [f"/var/lib/{d}" for d in s.get(("Service", "StateDirectory"), [])]
        dirs += [f"/run/{d}" for d in s.get(("Service", "RuntimeDirectory"), [])]
        return dirs + [f"/var/cache/{d}" for d in s.get(("Service", "CacheDirectory"), [])]

    kiosk = unit_settings(SYSTEMD / "terminal-kiosk.service")
    env = dict(v.split("=", 1) for v in kiosk[("Service", "Environment")])
    assert {env["XDG_CACHE_HOME"], env["XDG_RUNTIME_DIR"]} <= set(writable(kiosk))
    box = unit_settings(SYSTEMD / "terminal-dropbox.service")
    env = dict(v.split("=", 1) for v in box[("Service", "Environment")])
    assert one(box, "Service", "WorkingDirectory") == env["LG_WD"] and env["LG_WD"] in writable(box)
    first = unit_settings(SYSTEMD / "terminal-firstboot.service")
    assert set(one(first, "Service", "ReadWritePaths").split()) == {"/etc", "/boot/firmware",
                                                                     "/var/lib/service-terminals"}


def test_each_role_enables_first_boot_sync_and_its_own_program():
    assert set(UNITS_BY_ROLE["kiosk"]) == {"terminal-firstboot.service", "terminal-sync.service",
                                           "terminal-kiosk.service"}
    assert set(UNITS_BY_ROLE["dropbox"]) == {"terminal-firstboot.service", "terminal-sync.service",
                                             "terminal-dropbox.service"}


def test_first_boot_runs_once_per_seed_before_the_role_services():
    s = unit_settings(SYSTEMD / "terminal-firstboot.service")
    assert one(s, "Service", "Type") == "oneshot"
    from images.provision import BOOT_DIR, SEED_NAME

    assert one(s, "Unit", "ConditionPathExists") == f"{BOOT_DIR}/{SEED_NAME}"      # what 'provision seed' writes
    assert one(s, "Service", "ExecStart").split()[3:] == ["--boot", BOOT_DIR, "--root", "/"]
    assert set(one(s, "Unit", "Before").split()) == set(SERVICES)
    assert one(s, "Service", "ExecStart").split()[1:3] == ["provision", "firstboot"]


def test_the_hardware_watchdog_stays_under_the_pis_15_s_cap_and_the_journal_in_bounded_ram():
    watchdog = unit_settings(SYSTEMD / "system.conf.d/10-terminal-watchdog.conf")
    for key in ("RuntimeWatchdogSec", "RebootWatchdogSec"):
        seconds = int(re.fullmatch(r"([0-9]+)s", one(watchdog, "Manager", key))[1])
        assert 0 < seconds < 15, key
    journal = unit_settings(SYSTEMD / "journald.conf.d/10-terminal-volatile.conf")
    assert one(journal, "Journal", "Storage") == "volatile"
    assert re.fullmatch(r"[0-9]+M", one(journal, "Journal", "RuntimeMaxUse"))


# -- kiosk-launch: cage or eglfs, and the DRM card -------------------------------------------------

def drm_tree(root: Path, cards: dict[str, dict[str, str]]) -> Path:
    """A /sys/class/drm for ``cards``: {"card1": {"HDMI-A-1": "connected"}}; {} is a render-only GPU."""
    drm = root / "class/drm"
    for card, connectors in cards.items():
        (drm / card).mkdir(parents=True)
        for name, status in connectors.items():
            (drm / card / f"{card}-{name}").mkdir()
            (drm / card / f"{card}-{name}" / "status").write_text(status + "\n")
        # sysfs also lists each connector beside the cards
        for name in connectors:
            (drm / f"{card}-{name}").symlink_to(drm / card / f"{card}-{name}")
    (drm / "renderD128").mkdir(parents=True, exist_ok=True)
    return root


def launch(tmp_path, sysfs: Path, **env) -> subprocess.CompletedProcess:
    run_env = {"PATH": os.environ["PATH"], "KIOSK_DRY_RUN": "1", "KIOSK_SYSFS": str(sysfs),
               "RUNTIME_DIRECTORY": str(tmp_path), **env}
    return subprocess.run([str(SYSTEMD / "kiosk-launch")], capture_output=True, text=True, env=run_env, timeout=30)


PI5 = {"card0": {}, "card1": {"HDMI-A-1": "connected", "HDMI-A-2": "disconnected"},
       "card2": {"DSI-1": "disconnected"}}      # v3d render-only, vc4 HDMI, rp1-dsi
PI4_OLD_KERNEL = {"card0": {"HDMI-A-1": "connected", "HDMI-A-2": "disconnected"}, "card1": {}}
PI4_DSI_TOUCHSCREEN = {"card0": {}, "card1": {"HDMI-A-1": "disconnected", "HDMI-A-2": "disconnected",
                                              "DSI-1": "connected"}}


@pytest.mark.parametrize("cards, expected", [
    (PI5, "/dev/dri/card1"),                    # card0 (what Qt's eglfs and wlroots would try first) is v3d
    (PI4_OLD_KERNEL, "/dev/dri/card0"),
    (PI4_DSI_TOUCHSCREEN, "/dev/dri/card1"),
    ({"card0": {}, "card1": {"HDMI-A-1": "disconnected"}}, "/dev/dri/card1"),   # nothing plugged in yet
    ({"card0": {}, "card10": {"HDMI-A-1": "connected"}}, "/dev/dri/card10"),
])
def test_kiosk_launch_gives_cage_the_card_with_a_display(tmp_path, cards, expected):
    done = launch(tmp_path, drm_tree(tmp_path / "sys", cards))
    assert done.returncode == 0, done.stderr
    assert f"WLR_DRM_DEVICES={expected}" in done.stdout.splitlines()
    assert "QT_QPA_PLATFORM=wayland" in done.stdout.splitlines()
    assert done.stdout.splitlines()[-1].startswith("exec cage -d -- /opt/service-terminals/.venv/bin/terminal kiosk")


def test_kiosk_launch_on_eglfs_writes_the_kms_config_for_that_card(tmp_path):
    done = launch(tmp_path, drm_tree(tmp_path / "sys", PI5), KIOSK_DISPLAY="eglfs")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "QT_QPA_PLATFORM=eglfs" in lines
    kms = next(line.split("=", 1)[1] for line in lines if line.startswith("QT_QPA_EGLFS_KMS_CONFIG="))
    assert json.loads(Path(kms).read_text())["device"] == "/dev/dri/card1"
    assert lines[-1].startswith("exec /opt/service-terminals/.venv/bin/terminal kiosk --config ")


def test_kiosk_launch_takes_the_card_it_is_given(tmp_path):
    done = launch(tmp_path, drm_tree(tmp_path / "sys", PI5), KIOSK_DRM_DEVICE="/dev/dri/card2")
    assert "WLR_DRM_DEVICES=/dev/dri/card2" in done.stdout.splitlines()


@pytest.mark.parametrize("cards, env, message", [
    ({"card0": {}}, {}, "no DRM device with a display connector"),
    ({}, {}, "no DRM device with a display connector"),
    (PI5, {"KIOSK_DISPLAY": "x11"}, "KIOSK_DISPLAY=x11: expected cage or eglfs"),
])
def test_kiosk_launch_refuses_by_name(tmp_path, cards, env, message):
    done = launch(tmp_path, drm_tree(tmp_path / "sys", cards), **env)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert "exec" not in done.stdout
