"""Files in a FAT partition inside a disk image or on a card, through mtools: nothing is mounted.

Why mtools (Debian package ``mtools``) and not a Python FAT library: it is the
tool image builders use for exactly this (genimage, Yocto's wic), reads and
writes FAT12/16/32 with long names, needs no root, and works on a device
node as on an image file (``-i FILE@@OFFSET``).  The pure-Python candidate on
PyPI, pyfatfs 1.1 (2024), sits on PyFilesystem2, whose last release is from
2022; measured on this project's test image (40 MiB FAT32, 600-byte seed,
write then list the root, 10 times): mtools 8 ms a file, pyfatfs 95 ms a file
plus 247 ms to import; both left a volume the other reads.  Only the root
folder of the partition is used.

Each call runs one mtools command with a private configuration (``MTOOLSRC``
is /dev/null, so a technician's ~/.mtoolsrc changes nothing) and
``MTOOLS_SKIP_CHECK`` (images made by mkfs.fat on a file have no disk
geometry for mtools to check).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from images.provision import ProvisionError

_ENV = {"MTOOLSRC": os.devnull, "MTOOLS_SKIP_CHECK": "1", "MTOOLS_NO_VFAT": "0", "LC_ALL": "C"}


class FatVolume:
    """The FAT file system at byte ``offset`` of ``path`` (an image file or a disk such as /dev/sdb)."""

    def __init__(self, path: str | os.PathLike, offset: int):
        if shutil.which("mcopy") is None:
            raise ProvisionError("mtools is not installed: apt-get install mtools")
        self.path = Path(path)
        self.offset = offset
        self._image = f"{self.path}@@{offset}"

    def names(self) -> list[str]:
        """The names of the files in the root folder (long names as shown by Windows), sorted."""
        out = self._run("mdir", "-b", "::/").decode("utf-8", "replace")
        return sorted(line.removeprefix("::/") for line in out.splitlines() if line.startswith("::/"))

    def read(self, name: str) -> bytes | None:
        """The bytes of root-folder file ``name``, or None when there is no such file."""
        if name not in self.names():
            return None
        return self._run("mtype", f"::/{name}")

    def write(self, name: str, data: bytes) -> None:
        """Create or replace root-folder file ``name`` with ``data``."""
        with tempfile.TemporaryDirectory(prefix="provision-") as tmp:
            source = Path(tmp) / name
            source.write_bytes(data)
            self._run("mcopy", "-o", "-m", str(source), f"::/{name}")

    def delete(self, name: str) -> bool:
        """Remove root-folder file ``name``; False when it was not there."""
        if name not in self.names():
            return False
        self._run("mdel", f"::/{name}")
        return True

    def extract(self, folder: str | os.PathLike) -> None:
        """Copy every file and folder of the partition into ``folder`` (as a mounted boot partition shows them)."""
        Path(folder).mkdir(parents=True, exist_ok=True)
        self._run("mcopy", "-s", "-n", "-m", "::/*", str(folder))

    def _run(self, tool: str, *args: str) -> bytes:
        done = subprocess.run([tool, "-i", self._image, *args], capture_output=True,
                              env={**os.environ, **_ENV})
        if done.returncode:
            message = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ProvisionError(f"{self.path}: the FAT boot partition at byte {self.offset} could not be used "
                                 f"({tool}: {message[-1] if message else 'failed'})")
        return done.stdout
