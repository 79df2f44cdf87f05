"""Build a small disk image like a terminal's, as an ordinary user: MBR, FAT32 boot, ext4 root.

No root and no loop mounts: ``sfdisk`` writes the partition table into the
file, ``mkfs.fat --offset`` and ``mkfs.ext4 -E offset=`` make the file systems
in place, ``mcopy`` puts the boot files in and ``mkfs.ext4 -d`` the root
tree.  The tests and ``python -m bench provision`` flash and seed it.
Tools: fdisk, dosfstools, mtools, e2fsprogs (apt-packages.txt).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from images.fat_mtools import FatVolume
from images.provision import ProvisionError

SECTOR = 512
START = 2048  # first partition at 1 MiB, as Raspberry Pi OS images have it


def build_disk_image(path: str | os.PathLike, *, boot_files: dict[str, bytes], root_dir: str | os.PathLike,
                     boot_mb: int = 40, root_mb: int = 24) -> Path:
    """Write a sparse disk image at ``path`` and return its path.

    ``boot_files`` (name -> content) go into the FAT32 partition (label ``bootfs``,
    ``boot_mb`` MiB, at least 34 for FAT32); the tree ``root_dir`` becomes the ext4 root
    (label ``rootfs``, ``root_mb`` MiB).  Raises ProvisionError naming a missing tool.
    """
    path = Path(path)
    boot_sectors, root_sectors = boot_mb * 2048, root_mb * 2048
    root_start = START + boot_sectors
    with open(path, "wb") as fh:
        fh.truncate((root_start + root_sectors) * SECTOR)
    layout = (f"label: dos\nunit: sectors\n\nstart={START}, size={boot_sectors}, type=c, bootable\n"
              f"start={root_start}, size={root_sectors}, type=83\n")
    _run(["sfdisk", "--no-reread", "--no-tell-kernel", "-q", str(path)], "fdisk", stdin=layout)
    _run(["mkfs.fat", "-F", "32", "-s", "1", "-n", "BOOTFS", "--offset", str(START), str(path),
          str(boot_sectors // 2)], "dosfstools")
    volume = FatVolume(path, START * SECTOR)
    for name, data in boot_files.items():
        volume.write(name, data)
    _run(["mkfs.ext4", "-q", "-F", "-L", "rootfs", "-d", str(root_dir), "-E", f"offset={root_start * SECTOR}",
          str(path), f"{root_sectors // 2}k"], "e2fsprogs")
    return path


def _run(argv: list[str], package: str, stdin: str | None = None) -> None:
    if shutil.which(argv[0]) is None and not Path("/usr/sbin", argv[0]).exists() \
            and not Path("/sbin", argv[0]).exists():
        raise ProvisionError(f"{argv[0]} is not installed: apt-get install {package}")
    env = dict(os.environ, PATH=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env)
    if done.returncode:
        raise ProvisionError(f"{' '.join(argv)} failed: {(done.stderr or done.stdout).strip()[-300:]}")
