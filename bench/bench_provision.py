"""Provisioning figures: flash throughput to a file target, and first boot's time to "enrolled".

Flash: a disk image like a terminal's (MBR, 40 MiB FAT32, ext4 root holding
FLASH_MB of random data, so nothing compresses or is skipped by accident) is
built in a file with images.provision_diskimage, then ``flash()`` writes it to
another file on the same disk: the figure is bytes written / seconds from the
first write to the fsync, as the progress line shows it (the SHA-256 check
before and the read-back after are given apart).  Once as .img without a bmap
(every block), once with ``bmaptool create``'s .bmap (mapped blocks only),
once as .img.xz.

First boot: the reference central runs as its own process (``terminal
central serve --db FILE --listen 127.0.0.1:PORT``, SQLite); each round seeds
a fresh copy of a small image with a new token, extracts its boot partition
with mtools and times ``firstboot()`` from its start to its return
(validate, stage, enrol over HTTP, commit, result file).  The first round
also imports the enrolment code (as the real first boot does); the median and
the largest of the others are printed apart from it.
"""

from __future__ import annotations

import hashlib
import io
import lzma
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from bench.loopback import free_port

FLASH_MB = int(os.environ.get("BENCH_PROVISION_MB", "200"))
ROUNDS = 11


def _sha(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")


def _image(folder: Path, payload_mb: int) -> Path:
    from images.provision_diskimage import build_disk_image

    root = folder / "root"
    (root / "opt").mkdir(parents=True)
    with open(root / "opt" / "payload.bin", "wb") as fh:
        for _ in range(payload_mb):
            fh.write(os.urandom(1_000_000))
    return build_disk_image(folder / "terminal.img", boot_files={"config.txt": b"arm_64bit=1\n"}, root_dir=root,
                            root_mb=payload_mb + 32)


def bench_flash(folder: Path) -> None:
    from images.provision_flash import flash

    image = _image(folder, FLASH_MB)
    _sha(image)
    size_mb = image.stat().st_size / 1e6
    target = folder / "card.img"
    result = flash(image, target, out=io.StringIO())
    print(f"flash img, no bmap: {result.mb_per_s:.0f} MB/s ({result.bytes / 1e6:.0f} MB of a {size_mb:.0f} MB image "
          f"in {result.seconds:.2f} s, fsync included; read-back {result.verify_seconds:.2f} s)")
    subprocess.run(["bmaptool", "create", "-o", str(image) + ".bmap", str(image)], check=True, capture_output=True)
    result = flash(image, target, out=io.StringIO())
    print(f"flash img + bmap: {result.mb_per_s:.0f} MB/s ({result.bytes / 1e6:.0f} MB mapped of {size_mb:.0f} MB, "
          f"{result.seconds:.2f} s)")
    os.unlink(str(image) + ".bmap")
    packed = image.with_name(image.name + ".xz")
    packed.write_bytes(lzma.compress(image.read_bytes(), preset=1))
    _sha(packed)
    result = flash(packed, target, out=io.StringIO())
    print(f"flash img.xz, no bmap: {result.mb_per_s:.0f} MB/s ({result.bytes / 1e6:.0f} MB in {result.seconds:.2f} s, "
          "decompression included)")



def _terminal(*args: str) -> list[str]:
    return [sys.executable, "-m", "terminal", *args]


def bench_firstboot(folder: Path) -> None:
    import requests

    from images.fat_mtools import FatVolume
    from images.firstboot import firstboot
    from images.provision_image import fat_partition
    from images.provision_seed import write_seed

    db, port = folder / "central.db", free_port()
    log = open(folder / "central.log", "wb")
    server = subprocess.Popen(_terminal("central", "serve", "--db", str(db), "--listen", f"127.0.0.1:{port}",
                                        "--log-level", "warning"), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/healthz", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError(f"central did not start: {(folder / 'central.log').read_text()[-400:]}")
            time.sleep(0.1)
        small = folder / "small"
        small.mkdir()
        (small / "root" / "etc").mkdir(parents=True)
        from images.provision_diskimage import build_disk_image

        blank = build_disk_image(small / "blank.img", boot_files={"config.txt": b"x\n"}, root_dir=small / "root")
        times = []
        for n in range(ROUNDS):
            device = f"KSK-BENCH-{n:04d}"
            token = subprocess.run(_terminal("central", "token", "--db", str(db), "--device-id", device),
                                   capture_output=True, text=True, check=True).stdout.strip()
            run = folder / f"round{n}"
            run.mkdir()
            image = run / "card.img"
            subprocess.run(["cp", "--sparse=always", str(blank), str(image)], check=True)
            write_seed(image, {"role": "kiosk", "site": "bench", "device_id": device, "central": url,
                               "enroll_token": token, "timezone": "Asia/Shanghai", "wifi_ssid": "SiteNet",
                               "wifi_psk": "bench password"})
            with open(image, "rb") as fh:
                FatVolume(image, fat_partition(fh, "card")[0]).extract(run / "boot")
            started = time.perf_counter()
            outcome = firstboot(run / "boot", run / "root", timeout_s=0)
            times.append(time.perf_counter() - started)
            if not outcome.ok:
                raise RuntimeError(f"firstboot failed: {outcome.lines}")
        warm = times[1:]
        print(f"firstboot to enrolled: median {statistics.median(warm) * 1000:.0f} ms, max {max(warm) * 1000:.0f} ms "
              f"({len(warm)} rounds; the first, importing the enrolment code, {times[0] * 1000:.0f} ms; "
              "reference central, SQLite, loopback)")
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def main() -> None:
    for tool in ("sfdisk", "mkfs.fat", "mcopy", "bmaptool"):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
            print(f"provision: skipped ({tool} is not installed; see apt-packages.txt)")
            return
    print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-provision-", dir=os.environ.get("BENCH_PROVISION_DIR")) as tmp:
        (Path(tmp) / "flash").mkdir()
        bench_flash(Path(tmp) / "flash")
    with tempfile.TemporaryDirectory(prefix="bench-provision-") as tmp:
        bench_firstboot(Path(tmp))
    print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")
