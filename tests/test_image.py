"""The device image recipe (images/): what CI can check without the Raspberry Pi package repository.

shellcheck on every script, the pi-gen stage's layout, the payload the stage copies (with the wheel
installed into a fresh venv), the state partition, SHA-256 and .bmap written into an image file (no
root, no loop device), and the Raspberry Pi Imager entry.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import lzma
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from images.finish import STATE_LABEL, finish_image
from images.imager import os_list_entry
from images.payload import PREFIX, UNITS_BY_ROLE, stage_payload
from terminal import TerminalError
from tests.helpers.sync_helpers import REPO

IMAGES = REPO / "images"
STAGE = IMAGES / "pi-gen/stage-service-terminals"
SCRIPTS = [IMAGES / "build.sh", REPO / "systemd/kiosk-launch", STAGE / "prerun.sh",
           *sorted(STAGE.glob("*/*.sh"))]
SFDISK = shutil.which("sfdisk") or "/usr/sbin/sfdisk"


# -- scripts and the stage's layout ----------------------------------------------------------------

def test_every_script_passes_shellcheck():
    assert shutil.which("shellcheck"), "shellcheck is missing: apt install shellcheck (apt-packages.txt lists it)"
    found = {p.relative_to(REPO) for p in IMAGES.rglob("*.sh")} | {Path("systemd/kiosk-launch")}
    assert found <= {p.relative_to(REPO) for p in SCRIPTS}, "a new script: add it to SCRIPTS"
    done = subprocess.run(["shellcheck", "-x", *map(str, SCRIPTS), str(STAGE / "EXPORT_IMAGE")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_stage_has_pi_gens_layout():
    """pi-gen runs a stage's prerun.sh, then each NN-name folder's NN-packages, NN-run.sh (host, must be
    executable) and NN-run-chroot.sh (fed to the chroot), in order; EXPORT_IMAGE makes it an image."""
    assert os.access(STAGE / "prerun.sh", os.X_OK)
    assert "copy_previous" in (STAGE / "prerun.sh").read_text()
    assert re.search(r'^IMG_SUFFIX="-\$\{TERMINAL_ROLE\}"', (STAGE / "EXPORT_IMAGE").read_text(), re.M)
    steps = sorted(p for p in STAGE.iterdir() if p.is_dir())
    assert steps and all(re.fullmatch(r"[0-9]{2}-[a-z0-9-]+", p.name) for p in steps)
    for step in steps:
        for f in step.iterdir():
            assert f.name == "files" or re.fullmatch(
                r"[0-9]{2}-(packages|packages-nr|debconf|patches|run\.sh|run-chroot\.sh)", f.name), f
            if f.name.endswith("-run.sh"):
                assert os.access(f, os.X_OK), f"{f} must be executable (pi-gen skips it otherwise)"
            if f.name.endswith(("-run.sh", "-run-chroot.sh")):
                assert f.read_text().startswith("#!/bin/bash -e\n"), f
            if re.fullmatch(r"[0-9]{2}-packages(-nr)?", f.name):
                names = f.read_text().split()
                assert names and all(re.fullmatch(r"[a-z0-9][a-z0-9+.-]+", n) for n in names), f
    packages = (STAGE / "00-service-terminals/00-packages").read_text().split()
    assert {"python3-venv", "overlayroot", "liblgpio-dev"} <= set(packages)


def test_the_chroot_step_installs_with_the_constraints_and_enables_only_the_roles_units():
    text = (STAGE / "00-service-terminals/01-run-chroot.sh").read_text()
    assert re.search(r'pip" install .*-c "\$\{prefix\}/constraints\.txt" "\$\{wheel\}\[pi\]"', text)
    assert 'done < "${prefix}/enable-units"' in text and "systemctl enable" in text
    assert "passwd -l root" in text


@pytest.mark.parametrize("args, message", [
    ([], "--role kiosk or --role dropbox is required"),
    (["--role", "tablet"], "--role kiosk or --role dropbox is required"),
    (["--role", "kiosk"], "--ssh-key must name a public key file"),
    (["--role", "kiosk", "--ssh-key", "/nonexistent.pub"], "--ssh-key must name a public key file"),
    (["--role", "kiosk", "--colour", "red"], "unknown option --colour"),
])
def test_build_sh_refuses_a_build_it_cannot_make_before_fetching_anything(tmp_path, args, message):
    done = subprocess.run([str(IMAGES / "build.sh"), *args], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "TMPDIR": str(tmp_path), "PI_GEN_URL": str(tmp_path / "no-such")})
    assert done.returncode == 2
    assert message in done.stderr
    assert list(tmp_path.iterdir()) == []     # nothing cloned, nothing staged


# -- the payload -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role", sorted(UNITS_BY_ROLE))
def test_the_payload_has_every_unit_and_enables_this_roles(tmp_path, role):
    written = stage_payload(tmp_path, role, wheel=False)
    assert len(written) == len(set(written))
    units = {p.name for p in (tmp_path / "etc/systemd/system").glob("*.service")}
    assert units == {p.name for p in (REPO / "systemd").glob("*.service")}
    assert (tmp_path / PREFIX / "enable-units").read_text().split() == list(UNITS_BY_ROLE[role])
    assert (tmp_path / "etc/service-terminals/image-role").read_text() == role + "\n"
    assert (tmp_path / PREFIX / "libexec/kiosk-launch").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / PREFIX / "constraints.txt").read_bytes() == (REPO / "constraints.txt").read_bytes()
    assert (tmp_path / "etc/systemd/system.conf.d/10-terminal-watchdog.conf").is_file()
    assert (tmp_path / "etc/systemd/journald.conf.d/10-terminal-volatile.conf").is_file()
    sshd = (tmp_path / "etc/ssh/sshd_config.d/10-service-terminals.conf").read_text()
    assert "PasswordAuthentication no" in sshd and "PermitRootLogin no" in sshd
    assert not (tmp_path / "etc/systemd/system/terminal-kiosk.service.d").exists()
    assert not (tmp_path / "etc/service-terminals/readonly-root").exists()


def test_the_payload_switches_the_kiosk_to_eglfs_and_marks_a_read_only_root(tmp_path):
    stage_payload(tmp_path, "kiosk", kiosk_display="eglfs", readonly_root=True, wheel=False)
    dropin = tmp_path / "etc/systemd/system/terminal-kiosk.service.d/eglfs.conf"
    assert "KIOSK_DISPLAY=eglfs" in dropin.read_text()
    assert "recurse=0" in (tmp_path / "etc/service-terminals/readonly-root").read_text()


@pytest.mark.parametrize("role, display, message", [
    ("tablet", "cage", "role 'tablet': expected one of dropbox, kiosk"),
    ("kiosk", "x11", "kiosk display 'x11': expected cage or eglfs"),
])
def test_the_payload_refuses_by_name(tmp_path, role, display, message):
    with pytest.raises(TerminalError, match=re.escape(message)) as caught:
        stage_payload(tmp_path, role, kiosk_display=display, wheel=False)
    assert caught.value.exit_code == 2
    assert list(tmp_path.iterdir()) == []


def _requirement_name(line: str) -> str:
    return re.split(r"[\s;\[<>=!~]", line, maxsplit=1)[0].lower().replace("_", "-").replace(".", "-")


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_venv_and_every_dependency_is_pinned(tmp_path):
    """What the chroot step does, on this machine: a venv, the wheel into it, 'terminal' runs from it."""
    written = stage_payload(tmp_path / "root", "dropbox")
    wheel = tmp_path / "root" / next(w for w in written if w.endswith(".whl"))
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = zf.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "ui/qml/Main.qml" in names and "images/payload.py" in names and not any(
        n.startswith("tests/") for n in names)
    # -c constraints.txt pins a package only if it is listed: every requirement, the pi extra's too.
    pinned = {_requirement_name(line) for line in (REPO / "constraints.txt").read_text().splitlines()
              if line and not line.startswith("#")}
    required = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    needed = {_requirement_name(r) for r in required if "extra ==" not in r or "'pi'" in r or '"pi"' in r}
    assert "lgpio" in needed and "gpiozero" in needed
    assert needed - pinned == set()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin/python"), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)
    # The dependencies come from this checkout's venv (the image installs them from the index).
    site = next((venv / "lib").glob("python3*/site-packages"))
    deps = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "zz-deps.pth").write_text(deps + "\n")
    done = subprocess.run([str(venv / "bin/terminal"), "images", "--help"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    where = subprocess.run([str(venv / "bin/python"), "-c", "import images.payload; print(images.payload.__file__)"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path).stdout.strip()
    assert where.startswith(str(site))


# -- finishing an image: state partition, SHA-256, .bmap, .xz --------------------------------------

def make_image(path: Path) -> Path:
    """A 40 MiB image like pi-gen's: MBR, FAT32 boot at 1 MiB (8 MiB), ext4 root (15 MiB), some data."""
    with open(path, "wb") as fh:
        fh.truncate(40 * 1024 * 1024)
    subprocess.run([SFDISK, "-q", str(path)], input="start=2048, size=16384, type=c\nstart=18432, size=30720, "
                   "type=83\n", text=True, check=True, timeout=30)
    with open(path, "r+b") as fh:
        fh.seek(18432 * 512 + 4096)
        fh.write(b"root file system bytes" * 1000)
    return path


def test_finish_writes_a_checksum_and_a_bmap_that_bmaptool_copies_and_verifies(tmp_path):
    image = make_image(tmp_path / "2026-11-30-service-terminals-kiosk.img")
    done = finish_image(image, xz=True)
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    assert done["sha256"] == digest
    assert Path(done["sha256_file"]).read_text() == f"{digest}  {image.name}\n"
    check = subprocess.run(["sha256sum", "-c", Path(done["sha256_file"]).name], cwd=tmp_path, capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    bmap = Path(done["bmap"]).read_text()
    assert "<bmap version=" in bmap and f"<ImageSize> {image.stat().st_size} </ImageSize>" in bmap
    with lzma.open(done["xz"]) as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == digest
    # bmaptool's own copy checks every mapped range against the .bmap's checksums.
    target = tmp_path / "card.img"
    copied = subprocess.run(["bmaptool", "copy", "--bmap", done["bmap"], str(image), str(target)],
                            capture_output=True, text=True, timeout=120)
    assert copied.returncode == 0, copied.stderr
    assert hashlib.sha256(target.read_bytes()).hexdigest() == digest


def test_a_corrupted_byte_makes_bmaptool_refuse_the_image(tmp_path):
    image = make_image(tmp_path / "a.img")
    done = finish_image(image)
    with open(image, "r+b") as fh:
        fh.seek(18432 * 512 + 4096)
        fh.write(b"R")
    copied = subprocess.run(["bmaptool", "copy", "--bmap", done["bmap"], str(image), str(tmp_path / "card.img")],
                            capture_output=True, text=True, timeout=120)
    assert copied.returncode != 0 and "checksum" in copied.stderr.lower()


def test_finish_appends_the_state_partition_the_read_only_root_mounts_by_label(tmp_path):
    image = make_image(tmp_path / "a.img")
    done = finish_image(image, state_partition_mb=16)
    table = json.loads(subprocess.run([SFDISK, "--json", str(image)], capture_output=True, text=True,
                                      check=True).stdout)["partitiontable"]["partitions"]
    assert len(table) == 3
    state = table[2]
    assert state["start"] == 49152 and state["size"] == 16 * 2048 and state["type"] == "83"
    assert image.stat().st_size == (49152 + 16 * 2048) * 512
    with open(image, "rb") as fh:               # the ext4 superblock: magic 0xEF53 and the volume label
        fh.seek(state["start"] * 512 + 1024)
        superblock = fh.read(1024)
    assert superblock[56:58] == b"\x53\xef"
    assert superblock[120:136].rstrip(b"\0").decode() == STATE_LABEL
    # The checksum covers the image with its new partition.
    assert done["sha256"] == hashlib.sha256(image.read_bytes()).hexdigest()
    fstab_line = (STAGE / "00-service-terminals/01-run-chroot.sh").read_text()
    assert f"LABEL={STATE_LABEL} /var/lib/service-terminals ext4" in fstab_line


@pytest.mark.parametrize("size_mb, message", [(8, "at least 16 MiB"), (16, None)])
def test_the_state_partition_refuses_too_small_and_a_second_one_beyond_the_mbr(tmp_path, size_mb, message):
    image = make_image(tmp_path / "a.img")
    if message:
        with pytest.raises(TerminalError, match=message):
            finish_image(image, state_partition_mb=size_mb)
        return
    finish_image(image, state_partition_mb=size_mb)
    finish_image(image, state_partition_mb=size_mb)          # a fourth partition still fits
    with pytest.raises(TerminalError, match="already has 4 partitions"):
        finish_image(image, state_partition_mb=size_mb)


def test_finish_names_a_missing_image(tmp_path):
    with pytest.raises(TerminalError, match="no such image file") as caught:
        finish_image(tmp_path / "nope.img")
    assert caught.value.exit_code == 2


# -- Raspberry Pi Imager ---------------------------------------------------------------------------

def test_the_imager_entry_describes_the_download_and_the_image_inside_it(tmp_path):
    image = make_image(tmp_path / "2026-11-30-service-terminals-dropbox.img")
    packed = Path(finish_image(image, xz=True)["xz"])
    entry = os_list_entry(packed, url="https://files.example.cn/images/" + packed.name, name="service-terminals",
                          description="drop box", release_date=datetime.date(2026, 11, 30))
    assert entry == {
        "name": "service-terminals", "description": "drop box",
        "url": "https://files.example.cn/images/" + packed.name,
        "extract_size": image.stat().st_size,
        "extract_sha256": hashlib.sha256(image.read_bytes()).hexdigest(),
        "image_download_size": packed.stat().st_size,
        "image_download_sha256": hashlib.sha256(packed.read_bytes()).hexdigest(),
        "release_date": "2026-11-30", "devices": ["pi5-64bit", "pi4-64bit"],
    }
    assert "init_format" not in entry    # Imager's customisation would set a password


def test_terminal_images_os_list_prints_the_repository_document(tmp_path, run_cli):
    image = make_image(tmp_path / "2026-11-30-service-terminals-kiosk.img")
    code, out, err = run_cli("images", "os-list", str(image), "--url-base", "https://files.example.cn/images/")
    assert code == 0, err
    [entry] = json.loads(out)["os_list"]
    assert entry["url"] == f"https://files.example.cn/images/{image.name}"
    assert entry["name"] == "service-terminals (kiosk)"


@pytest.mark.parametrize("name, content, url, message", [
    ("a.zip", b"PK", "https://x.example/a.zip", "expected a .img or .img.xz file"),
    ("a.img.xz", b"not xz", "https://x.example/a.img.xz", "not a readable .xz file"),
    ("a.img", b"\0" * 512, "ftp://x.example/a.img", "expected an http(s) address"),
])
def test_the_imager_entry_refuses_by_name(tmp_path, name, content, url, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TerminalError, match=re.escape(message)):
        os_list_entry(path, url=url, name="n", description="d")


@pytest.mark.parametrize("argv, message", [
    (["finish", "{tmp}/nope.img"], "nope.img: no such image file"),
    (["finish", "{tmp}/a.img", "--state-partition-mb", "8"], "it needs at least 16 MiB"),
    (["os-list", "{tmp}/a.img", "--url-base", "file:///srv"], "expected an http(s) address"),
    (["payload", "--role", "kiosk", "--kiosk-display", "x11", "--out", "{tmp}/p"], "invalid choice: 'x11'"),
])
def test_terminal_images_refuses_in_one_line_with_exit_2(tmp_path, argv, message, capsys):
    from terminal.cli import main

    make_image(tmp_path / "a.img")
    try:
        code = main(["images", *[a.format(tmp=tmp_path) for a in argv]])
    except SystemExit as exc:          # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
