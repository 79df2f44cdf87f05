"""A terminal image on disk: its compression, its SHA-256 file, its .bmap, and its FAT boot partition.

An image is ``NAME.img``, ``NAME.img.xz`` or ``NAME.img.gz``; the build puts
``<image file>.sha256`` (``sha256sum`` output: the digest of the file as it
lies there, compressed or not) and ``NAME.img.bmap`` (``bmaptool create``)
beside it.  The compression is read from the first bytes, not the name, so a
misnamed file is named as such.

    >>> sniff_compression(b"\\xfd7zXZ\\x00rest", "a.img.xz"), sniff_compression(b"\\x1f\\x8b\\x08", "a.img.gz")
    ('xz', 'gz')
    >>> parse_sha256_file("7D865E959B2466918C9863AFCA942D0FB89D7C9AC0C99BAFC3749504DED97730 *t.img\\r\\n", "t.img")
    '7d865e959b2466918c9863afca942d0fb89d7c9ac0c99bafc3749504ded97730'
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import lzma
import os
import re
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from images.provision import ProvisionError
from terminal.textfile import TextFileError, read_text

CHUNK = 1024 * 1024
_MAGIC = {"xz": b"\xfd7zXZ\x00", "gz": b"\x1f\x8b"}
# Other archives technicians meet (older Raspberry Pi OS images came as .zip): say what to do.
_OTHER = {b"PK\x03\x04": "a zip archive; unzip it and flash the .img inside",
          b"\x28\xb5\x2f\xfd": "zstd-compressed; run 'unzstd' on it, or use the .img.xz",
          b"BZh": "bzip2-compressed; run 'bunzip2' on it, or use the .img.xz",
          b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive; extract the .img from it"}


def sniff_compression(head: bytes, name: str) -> str:
    """'xz', 'gz' or 'raw' for an image whose file begins with ``head``; ProvisionError for other archives.

    A ``.xz``/``.gz`` name on a file of another kind is refused by name (a half-downloaded or
    renamed file), so a raw image is never written where a compressed one was meant.
    """
    for kind, magic in _MAGIC.items():
        if head.startswith(magic):
            return kind
    for magic, what in _OTHER.items():
        if head.startswith(magic):
            raise ProvisionError(f"{name} is {what}")
    for kind in _MAGIC:
        if name.endswith(f".{kind}"):
            raise ProvisionError(f"{name} is named .{kind} but is not {kind}-compressed "
                                 "(a partial download or a renamed file?); download the image again")
    return "raw"


_SHA_LINE = re.compile(r"\s*([0-9A-Fa-f]{64})(?:\s+\*?(.+?))?\s*")


def parse_sha256_file(text: str, image_name: str, where: str = "<sha256>") -> str:
    """The lower-case hex digest in ``sha256sum`` output ``text`` for ``image_name``.

    Lines are ``DIGEST  NAME``, ``DIGEST *NAME`` or a bare ``DIGEST`` (upper case and CRLF
    too); a file listing several images is searched for ``image_name``.  ProvisionError
    when there is no digest for this image.
    """
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _SHA_LINE.fullmatch(line)
        if not m:
            raise ProvisionError(f"{where}:{number}: not a SHA-256 line ('<64 hex digits>  {image_name}' "
                                 f"as sha256sum writes it)")
        found.append((m.group(1).lower(), m.group(2)))
    for digest, name in found:
        if name is None or Path(name).name == image_name:
            return digest
    if found:
        names = ", ".join(sorted({n for _, n in found if n}))
        raise ProvisionError(f"{where} lists {names}, not {image_name}: the checksum is for another image")
    raise ProvisionError(f"{where} is empty: it should hold the image's SHA-256 as sha256sum writes it")


class TerminalImage:
    """An image file and what lies beside it.

    ``path`` is the image; ``compression`` is 'raw', 'xz' or 'gz'; ``sha256_path`` and
    ``bmap_path`` are the files found beside it (``bmap_path`` None when there is none).
    Raises ProvisionError when the image is missing or of a kind we do not flash.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(8)
            self.size = self.path.stat().st_size
        except FileNotFoundError:
            raise ProvisionError(f"{self.path}: no such image file") from None
        except IsADirectoryError:
            raise ProvisionError(f"{self.path} is a folder; name the image file in it") from None
        except OSError as exc:
            raise ProvisionError(f"{self.path}: cannot read the image ({exc.strerror})") from None
        self.compression = sniff_compression(head, self.path.name)
        self.sha256_path = self.path.with_name(self.path.name + ".sha256")
        self.bmap_path = self._find_bmap()

    def _find_bmap(self) -> Path | None:
        # bmaptool's own rule: NAME.img.bmap for NAME.img, NAME.img.xz and NAME.img.gz alike.
        base = self.path.name
        for suffix in (".xz", ".gz"):
            base = base.removesuffix(suffix)
        for name in dict.fromkeys((self.path.name + ".bmap", base + ".bmap")):
            candidate = self.path.with_name(name)
            if candidate.is_file():
                return candidate
        return None

    def expected_sha256(self) -> str:
        """The digest ``<image>.sha256`` gives; ProvisionError when it is missing or unreadable."""
        try:
            text = read_text(self.sha256_path)
        except FileNotFoundError:
            raise ProvisionError(f"{self.sha256_path} not found: every image is flashed only after its "
                                 "SHA-256 is checked; copy the .sha256 file from the build beside the image") from None
        except TextFileError as exc:
            raise ProvisionError(str(exc)) from None
        except OSError as exc:
            raise ProvisionError(f"{self.sha256_path}: cannot read it ({exc.strerror})") from None
        return parse_sha256_file(text, self.path.name, str(self.sha256_path))

    def verify_sha256(self, progress: Callable[[int], None] | None = None) -> str:
        """Hash the image file and compare it with ``<image>.sha256``; return the digest.

        ``progress(n)`` is called with each chunk's size in bytes.  Raises ProvisionError on a
        mismatch, naming both digests.
        """
        expected = self.expected_sha256()
        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            while chunk := fh.read(CHUNK):
                digest.update(chunk)
                if progress:
                    progress(len(chunk))
        actual = digest.hexdigest()
        if actual != expected:
            raise ProvisionError(f"{self.path}: SHA-256 mismatch (file {actual[:16]}..., {self.sha256_path.name} "
                                 f"says {expected[:16]}...): the image is damaged or not the one the checksum "
                                 "is for; download it again. Nothing was written.")
        return actual

    def open_stream(self) -> tuple[BinaryIO, BinaryIO]:
        """(decompressed stream, raw file) of the image; the raw file's position tells how far reading got.

        The stream reads forward (and seeks forward, as bmaptool needs); close the stream, then the file.
        """
        raw = open(self.path, "rb")
        if self.compression == "xz":
            stream = lzma.LZMAFile(raw)
        elif self.compression == "gz":
            stream = gzip.GzipFile(fileobj=raw, mode="rb")
        else:
            return raw, raw
        stream.name = str(self.path)  # bmaptool names the image in its messages
        return stream, raw

    def known_size(self) -> int | None:
        """The image's size once decompressed, in bytes, when known without reading it all (raw, or from the bmap)."""
        return self.size if self.compression == "raw" else None


# Errors a damaged compressed stream raises while it is read.
STREAM_ERRORS = (lzma.LZMAError, EOFError, gzip.BadGzipFile, OSError)


def load_bmaptools():
    """bmaptool's own library (``bmaptools.BmapCopy``), from the venv or Debian's bmap-tools package.

    Debian installs it for the system Python only; the package is pure Python, so it is
    loaded from there by path (only that package, not the rest of dist-packages).
    Raises ProvisionError naming the package to install.
    """
    try:
        from bmaptools import BmapCopy  # type: ignore[import-not-found]
        return BmapCopy
    except ImportError:
        pass
    for base in ("/usr/lib/python3/dist-packages", "/usr/local/lib/python3/dist-packages"):
        folder = Path(base) / "bmaptools"
        if (folder / "BmapCopy.py").is_file():
            spec = importlib.util.spec_from_file_location("bmaptools", folder / "__init__.py",
                                                          submodule_search_locations=[str(folder)])
            module = importlib.util.module_from_spec(spec)
            sys.modules["bmaptools"] = module
            spec.loader.exec_module(module)
            from bmaptools import BmapCopy  # type: ignore[import-not-found]
            return BmapCopy
    raise ProvisionError("the image has a .bmap but bmaptool's library is not installed: "
                         "apt-get install bmap-tools (or delete the .bmap to write every block)")


# -- the MBR: where the FAT boot partition starts --------------------------------------------------

_FAT_TYPES = {0x01: "FAT12", 0x04: "FAT16", 0x06: "FAT16", 0x0B: "FAT32", 0x0C: "FAT32 (LBA)",
              0x0E: "FAT16 (LBA)", 0xEF: "EFI (FAT)"}


def fat_partition(fh: BinaryIO, where: str, sector_size: int = 512) -> tuple[int, int]:
    """(offset, size) in bytes of the first FAT partition in the MBR read from ``fh``.

    Raises ProvisionError naming what is there instead: no MBR, a GPT disk, no FAT partition,
    or a partition whose first sector is not a FAT boot sector.
    """
    fh.seek(0)
    mbr = fh.read(512)
    if len(mbr) < 512 or mbr[510:512] != b"\x55\xaa":
        raise ProvisionError(f"{where} has no partition table (MBR): is it a terminal image or card?")
    for slot in range(4):
        entry = mbr[446 + 16 * slot: 446 + 16 * (slot + 1)]
        kind = entry[4]
        start, count = struct.unpack_from("<II", entry, 8)
        if kind == 0xEE:
            raise ProvisionError(f"{where} has a GPT partition table; terminal images use an MBR")
        if kind in _FAT_TYPES and count:
            offset = start * sector_size
            fh.seek(offset)
            boot = fh.read(512)
            if len(boot) < 512 or boot[510:512] != b"\x55\xaa" or b"FAT" not in boot[54:90]:
                raise ProvisionError(f"{where}: partition {slot + 1} is marked {_FAT_TYPES[kind]} but holds "
                                     "no FAT file system; flash the image again")
            return offset, count * sector_size
    raise ProvisionError(f"{where} has no FAT boot partition in its MBR; is it a terminal image or card?")
