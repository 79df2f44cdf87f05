"""terminal provision flash: a real disk image (MBR, FAT32, ext4) built in a file, flashed to a file and checked.

The image is made by images.provision_diskimage with sfdisk, mkfs.fat and mkfs.ext4 -d (no root, no loop
mounts); its .sha256 by hashlib as sha256sum writes it, its .bmap by the real ``bmaptool create``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import lzma
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from images.provision import ProvisionError
from images.provision_flash import flash
from images.provision_image import TerminalImage, fat_partition, parse_sha256_file, sniff_compression
from images.provision_progress import Progress

pytestmark = pytest.mark.skipif(shutil.which("sfdisk") is None or shutil.which("bmaptool") is None,
                                reason="needs fdisk, dosfstools, mtools, e2fsprogs and bmap-tools (apt-packages.txt)")


def _sha_file(image: Path, text: str | None = None) -> Path:
    path = image.with_name(image.name + ".sha256")
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    path.write_text(text if text is not None else f"{digest}  {image.name}\n")
    return path


@pytest.fixture(scope="module")
def disk(tmp_path_factory) -> Path:
    """A terminal-like disk image with some random data in its root (so the bmap maps more than metadata)."""
    from images.provision_diskimage import build_disk_image

    base = tmp_path_factory.mktemp("disk")
    root = base / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('PRETTY_NAME="test"\n')
    (root / "opt").mkdir()
    (root / "opt" / "payload.bin").write_bytes(os.urandom(3_000_000))
    image = build_disk_image(base / "terminal.img", root_dir=root,
                             boot_files={"config.txt": b"arm_64bit=1\n", "cmdline.txt": b"console=tty1\n"})
    return image


@pytest.fixture
def image(disk, tmp_path) -> Path:
    """A fresh copy of the disk image with its .sha256, in this test's folder (no .bmap)."""
    copy = tmp_path / disk.name
    subprocess.run(["cp", "--sparse=always", str(disk), str(copy)], check=True)  # keep the holes the bmap skips
    _sha_file(copy)
    return copy


def _bmap(image: Path) -> Path:
    bmap = image.with_suffix(".img.bmap") if image.suffix == ".img" else image.with_name(
        image.name.split(".img")[0] + ".img.bmap")
    subprocess.run(["bmaptool", "create", "-o", str(bmap), str(image)], check=True, capture_output=True)
    return bmap


def test_flash_to_a_file_gives_the_image_byte_for_byte(image, tmp_path):
    out = io.StringIO()
    result = flash(image, tmp_path / "card.img", out=out)
    assert (tmp_path / "card.img").read_bytes() == image.read_bytes()
    assert result.bytes == image.stat().st_size and not result.used_bmap
    assert "checking SHA-256" in out.getvalue() and "reading back" in out.getvalue()
    assert "MB/s" in out.getvalue() and "left" in out.getvalue()


def test_flash_with_a_bmap_writes_only_mapped_blocks_and_still_gives_the_image(image, tmp_path):
    _bmap(image)
    target = tmp_path / "card.img"
    target.write_bytes(b"\xff" * 4096)  # an old file there: it is emptied first
    result = flash(image, target, out=io.StringIO())
    assert result.used_bmap and result.bytes < image.stat().st_size
    assert target.read_bytes() == image.read_bytes()


@pytest.mark.parametrize("kind", ["xz", "gz"])
def test_compressed_images_are_streamed(image, tmp_path, kind):
    packed = image.with_name(image.name + "." + kind)
    data = image.read_bytes()
    packed.write_bytes(lzma.compress(data, preset=0) if kind == "xz" else gzip.compress(data, 1))
    _sha_file(packed)
    assert TerminalImage(packed).compression == kind
    flash(packed, tmp_path / "card.img", out=io.StringIO())
    assert (tmp_path / "card.img").read_bytes() == data


def test_compressed_image_with_its_bmap(image, tmp_path):
    _bmap(image)  # terminal.img.bmap serves terminal.img.xz too, as bmaptool finds it
    packed = image.with_name(image.name + ".xz")
    packed.write_bytes(lzma.compress(image.read_bytes(), preset=0))
    _sha_file(packed)
    result = flash(packed, tmp_path / "card.img", out=io.StringIO())
    assert result.used_bmap and (tmp_path / "card.img").read_bytes() == image.read_bytes()


def test_one_corrupted_byte_is_refused_and_nothing_is_written(image, tmp_path):
    data = bytearray(image.read_bytes())
    data[len(data) // 2] ^= 0x01
    image.write_bytes(bytes(data))  # the .sha256 is the one of the good image
    with pytest.raises(ProvisionError, match="SHA-256 mismatch.*Nothing was written"):
        flash(image, tmp_path / "card.img", out=io.StringIO())
    assert not (tmp_path / "card.img").exists()


def test_a_bmap_of_another_image_is_refused_by_bmaptools_checksums(image, tmp_path, disk):
    bmap = _bmap(image)
    payload = image.read_bytes().find(b"PRETTY_NAME")
    data = bytearray(image.read_bytes())
    data[payload] ^= 0x20  # a mapped block changes; the .sha256 is made again, so only the bmap can tell
    image.write_bytes(bytes(data))
    _sha_file(image)
    with pytest.raises(ProvisionError, match="does not match.*Nothing was written"):
        flash(image, tmp_path / "card.img", out=io.StringIO())
    assert not (tmp_path / "card.img").exists()
    assert bmap.exists()


def test_an_edited_bmap_fails_its_own_checksum(image, tmp_path):
    bmap = _bmap(image)
    bmap.write_text(bmap.read_text().replace("<MappedBlocksCount>", "<MappedBlocksCount> "))
    with pytest.raises(ProvisionError, match="does not match"):
        flash(image, tmp_path / "card.img", out=io.StringIO())


def test_no_sha256_file_is_refused_by_name(image, tmp_path):
    image.with_name(image.name + ".sha256").unlink()
    with pytest.raises(ProvisionError, match=r"terminal\.img\.sha256 not found"):
        flash(image, tmp_path / "card.img", out=io.StringIO())


def test_a_sha256_file_for_another_image_is_named(image, tmp_path):
    _sha_file(image, "0" * 64 + "  other.img\n")
    with pytest.raises(ProvisionError, match="lists other.img, not terminal.img"):
        flash(image, tmp_path / "card.img", out=io.StringIO())


def test_sha256_files_from_other_tools_and_editors_are_read(image, tmp_path):
    digest = hashlib.sha256(image.read_bytes()).hexdigest()
    # Upper case, binary-mode star, CRLF and a BOM (PowerShell's Out-File): all one digest.
    _sha_file(image, "\ufeff" + digest.upper() + " *terminal.img\r\n")
    flash(image, tmp_path / "card.img", out=io.StringIO())
    assert parse_sha256_file(digest, "x.img") == digest
    with pytest.raises(ProvisionError, match=r":1: not a SHA-256 line"):
        parse_sha256_file("SHA256 hash of terminal.img:", "terminal.img", "t.sha256")
    with pytest.raises(ProvisionError, match="is empty"):
        parse_sha256_file("\n", "terminal.img", "t.sha256")


@pytest.mark.parametrize("head,name,match", [
    (b"PK\x03\x04", "t.img.zip", "zip archive; unzip it"),
    (b"\x28\xb5\x2f\xfd", "t.img.zst", "zstd"),
    (b"BZh9", "t.img.bz2", "bzip2"),
    (b"7z\xbc\xaf\x27\x1c", "t.img.7z", "7-Zip"),
    (b"\x00\x00\x00\x00", "t.img.xz", "named .xz but is not xz-compressed"),
    (b"\xfd7zXZ\x00", "t.img.gz", None),  # the bytes decide: an xz named .gz is read as xz
])
def test_other_archives_and_misnamed_files(head, name, match):
    if match is None:
        assert sniff_compression(head, name) == "xz"
        return
    with pytest.raises(ProvisionError, match=match):
        sniff_compression(head, name)


def test_a_truncated_compressed_image_is_named_even_with_a_matching_checksum(image, tmp_path):
    packed = image.with_name(image.name + ".xz")
    packed.write_bytes(lzma.compress(image.read_bytes(), preset=0)[:-200])
    _sha_file(packed)  # a checksum made of the broken file (a build that failed half-way)
    with pytest.raises(ProvisionError, match="incomplete|decompress"):
        flash(packed, tmp_path / "card.img", out=io.StringIO())


def test_the_image_itself_a_folder_and_a_missing_image_are_refused(image, tmp_path):
    with pytest.raises(ProvisionError, match="is the image itself"):
        flash(image, image, out=io.StringIO())
    with pytest.raises(ProvisionError, match="no such image file"):
        flash(tmp_path / "nope.img", tmp_path / "card.img", out=io.StringIO())
    with pytest.raises(ProvisionError, match="neither a disk nor an image file"):
        flash(image, tmp_path, out=io.StringIO())
    with pytest.raises(ProvisionError, match="no such device"):
        flash(image, "/dev/sdzz9", out=io.StringIO())


def test_the_fat_partition_is_found_from_the_mbr(image):
    out = subprocess.run(["sfdisk", "--json", str(image)], capture_output=True, text=True, check=True).stdout
    import json

    first = json.loads(out)["partitiontable"]["partitions"][0]
    with open(image, "rb") as fh:
        assert fat_partition(fh, "t") == (first["start"] * 512, first["size"] * 512)
    with pytest.raises(ProvisionError, match="no partition table"):
        fat_partition(io.BytesIO(b"\0" * 1024), "blank.img")
    gpt = bytearray(512)
    gpt[446 + 4] = 0xEE
    gpt[510:512] = b"\x55\xaa"
    with pytest.raises(ProvisionError, match="GPT"):
        fat_partition(io.BytesIO(bytes(gpt)), "gpt.img")
    linux_only = bytearray(image.read_bytes()[:512])
    linux_only[446 + 4] = 0x83
    with pytest.raises(ProvisionError, match="no FAT boot partition"):
        fat_partition(io.BytesIO(bytes(linux_only)), "root-only.img")


def test_progress_lines_into_a_pipe_say_mb_rate_and_time_left():
    out = io.StringIO()
    ticks = iter([0.0] + [float(i) for i in range(1, 12)])
    p = Progress("writing", 10_000_000, out=out, clock=lambda: next(ticks))
    for _ in range(10):
        p.update(1_000_000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 10  # one per tenth into a pipe, never one per chunk
    assert lines[4] == "writing [##########..........]    5.0/10.0 MB    1.0 MB/s  0:05 left"


def test_cli_flash_prints_one_line_and_exits_0(run_cli, image, tmp_path):
    code, out, err = run_cli("provision", "flash", str(image), str(tmp_path / "card.img"))
    assert code == 0, err
    assert "read back and verified" in out and "MB/s" in err
    image.write_bytes(image.read_bytes()[:-1] + b"\x01")
    code, out, err = run_cli("provision", "flash", str(image), str(tmp_path / "card2.img"))
    assert code == 1 and "SHA-256 mismatch" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1 or "checking SHA-256" in err
