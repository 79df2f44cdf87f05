"""After pi-gen: the image's state partition (read-only root), its SHA-256, its .bmap and a compressed copy.

Everything works on the image *file*: sfdisk and mkfs.ext4 write into it at an offset, so no root,
no loop device and no mount is needed (the tests run it on a small image they build the same way).

    >>> sha256_line("0" * 64, "a.img")
    '0000000000000000000000000000000000000000000000000000000000000000  a.img\\n'
"""

from __future__ import annotations

import hashlib
import json
import lzma
import shutil
import subprocess
from pathlib import Path

from terminal import TerminalError

STATE_LABEL = "terminal-state"      # the fstab line the chroot step writes mounts it by this label
SECTOR = 512
_ALIGN = 1024 * 1024                # partitions start on 1 MiB boundaries, like pi-gen's


def sha256_file(path: Path, chunk: int = 4 * 1024 * 1024) -> str:
    """The SHA-256 of a file's bytes, lowercase hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_line(hexdigest: str, name: str) -> str:
    """One line in ``sha256sum`` format (``sha256sum -c`` checks it)."""
    return f"{hexdigest}  {name}\n"


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin")
    if found is None:
        package = {"bmaptool": "bmap-tools", "sfdisk": "fdisk", "mkfs.ext4": "e2fsprogs"}.get(name, name)
        raise TerminalError(f"{name} is not installed; apt install {package}", exit_code=2)
    return found


def _run(argv: list[str], what: str, **kwargs) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    if done.returncode != 0:
        raise TerminalError(f"{what} failed: {(done.stderr or done.stdout).strip()[-500:]}")
    return done.stdout


def add_state_partition(image: Path, size_mb: int) -> dict:
    """Append an ext4 partition labelled ``terminal-state`` of ``size_mb`` MiB to ``image`` (MBR).

    The file grows by that much (rounded to whole MiB after the last partition).  Returns
    ``{"number", "start", "size"}`` in bytes.  Raises TerminalError (exit 2) for a size below 16
    MiB, an image that already has one, or one whose table sfdisk cannot read.
    """
    if size_mb < 16:
        raise TerminalError(f"state partition of {size_mb} MiB: it needs at least 16 MiB", exit_code=2)
    table = json.loads(_run([_tool("sfdisk"), "--json", str(image)], f"reading the partition table of {image}"))
    parts = table["partitiontable"].get("partitions", [])
    if len(parts) >= 4:
        raise TerminalError(f"{image} already has {len(parts)} partitions; an MBR holds 4 and the image "
                            f"should have boot and root only", exit_code=2)
    end = max((p["start"] + p["size"]) * SECTOR for p in parts) if parts else _ALIGN
    start = -(-end // _ALIGN) * _ALIGN
    size = size_mb * 1024 * 1024
    with open(image, "r+b") as fh:
        fh.truncate(start + size)
    _run([_tool("sfdisk"), "--append", "--no-reread", "--no-tell-kernel", str(image)],
         f"adding the state partition to {image}", input=f"start={start // SECTOR}, size={size // SECTOR}, type=83\n")
    _run([_tool("mkfs.ext4"), "-q", "-F", "-L", STATE_LABEL, "-E", f"offset={start}", str(image), f"{size // 1024}k"],
         f"making the state file system in {image}")
    return {"number": len(parts) + 1, "start": start, "size": size}


def finish_image(image: str | Path, *, state_partition_mb: int = 0, xz: bool = False) -> dict:
    """Write ``IMAGE.sha256`` and ``IMAGE.bmap`` (bmaptool create) beside ``image``, and ``IMAGE.xz`` when asked.

    ``state_partition_mb`` > 0 first appends the state partition (:func:`add_state_partition`),
    so the checksum and the bmap cover the final image.  Returns the paths written and the image's
    SHA-256.  Raises TerminalError for a missing image or a failing tool (its message quoted).
    """
    image = Path(image)
    if not image.is_file():
        raise TerminalError(f"{image}: no such image file", exit_code=2)
    if state_partition_mb:
        add_state_partition(image, state_partition_mb)
    digest = sha256_file(image)
    sums = image.with_name(image.name + ".sha256")
    sums.write_text(sha256_line(digest, image.name))
    bmap = image.with_name(image.name + ".bmap")
    _run([_tool("bmaptool"), "create", "-o", str(bmap), str(image)], f"bmaptool create for {image}")
    out = {"image": str(image), "sha256": digest, "sha256_file": str(sums), "bmap": str(bmap)}
    if xz:
        packed = image.with_name(image.name + ".xz")
        with open(image, "rb") as src, lzma.open(packed, "wb", preset=6) as dst:
            shutil.copyfileobj(src, dst, 4 * 1024 * 1024)
        out["xz"] = str(packed)
    return out
