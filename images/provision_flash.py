"""``terminal provision flash IMAGE DEVICE``: check, write, read back.

1. the target is checked (images.provision_target) before anything is read;
2. the image file's SHA-256 is compared with ``<image>.sha256``;
3. with a ``.bmap`` beside it, bmaptool's own library (``BmapCopy``) checks the
   bmap's checksum and every mapped range's SHA-256 against the image, still
   writing nothing (the ranges are copied to /dev/null);
4. the image is written through ``BmapCopy`` (only the mapped ranges when there
   is a bmap), with a progress line on stderr;
5. the page cache is dropped and every range written is read back from the
   target and hashed; it must equal what was written.

A file target is created (or emptied) first, so it ends byte-equal to the image.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from images.provision import ProvisionError
from images.provision_image import CHUNK, STREAM_ERRORS, TerminalImage, load_bmaptools
from images.provision_progress import Progress
from images.provision_target import SystemView, check_target


@dataclass
class FlashResult:
    """What was written: ``bytes`` (to the target), ``seconds`` writing, ``verify_seconds`` reading back."""

    target: str
    bytes: int
    seconds: float
    verify_seconds: float
    used_bmap: bool

    @property
    def mb_per_s(self) -> float:
        """Write throughput in MB/s (10^6 bytes), sync to the medium included."""
        return self.bytes / 1e6 / self.seconds


class _Recorder:
    """The target file as BmapCopy writes it: counts bytes, hashes them in order and keeps the ranges."""

    def __init__(self, fh, progress: Progress | None):
        self._fh = fh
        self.name = fh.name
        self.progress = progress
        self.extents: list[list[int]] = []
        self.digest = hashlib.sha256()
        self._pos = 0

    def fileno(self) -> int:
        return self._fh.fileno()

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = self._fh.seek(offset, whence)
        return self._pos

    def write(self, data) -> int:
        view = memoryview(data)
        while view:
            n = self._fh.write(view)
            view = view[n:]
        if self.extents and self.extents[-1][0] + self.extents[-1][1] == self._pos:
            self.extents[-1][1] += len(data)
        else:
            self.extents.append([self._pos, len(data)])
        self._pos += len(data)
        self.digest.update(data)
        if self.progress:
            self.progress.update(len(data))
        return len(data)

    def flush(self) -> None:
        self._fh.flush()


def flash(image_path: str | os.PathLike, target: str | os.PathLike, *, force: bool = False,
          out: TextIO | None = None, view: SystemView = SystemView()) -> FlashResult:
    """Verify ``image_path``, write it to ``target`` (a whole disk or a file) and verify what was written.

    ``force`` lets a mounted, system or non-removable disk be written.  Progress goes to
    ``out``.  Returns a FlashResult; raises ProvisionError (nothing written when the image
    or the target is refused; the written copy named as bad when the read-back differs).
    """
    out = sys.stderr if out is None else out
    target = Path(target)
    kind = check_target(target, force=force, view=view)
    image = TerminalImage(image_path)
    if kind == "file" and target.exists() and target.samefile(image.path):
        raise ProvisionError(f"{target} is the image itself; name another file or a disk")
    progress = Progress("checking SHA-256", image.size, out=out)
    image.verify_sha256(progress.update)
    progress.done()
    BmapCopy = load_bmaptools() if image.bmap_path else None
    if BmapCopy:
        _verify_bmap(BmapCopy, image, out)
    fd = _open_target(target, kind, force)
    with open(fd, "r+b", buffering=0) as fh:
        result = _write(BmapCopy, image, fh, kind, target, out)
        progress = Progress("reading back", sum(n for _, n in result[0].extents), out=out)
        _read_back(fh, result[0], target, progress)
        progress.done()
    recorder, seconds = result
    written = sum(n for _, n in recorder.extents)
    return FlashResult(str(target), written, seconds, progress.seconds(), BmapCopy is not None)


def _verify_bmap(BmapCopy, image: TerminalImage, out: TextIO) -> None:
    """Every mapped range's checksum, by bmaptool's library, before a byte is written."""
    stream, raw = image.open_stream()
    try:
        with open(image.bmap_path, "rb") as bmap, open(os.devnull, "wb") as null:
            progress = Progress("checking bmap ranges", None, out=out,
                                fraction=lambda: raw.tell() / max(image.size, 1))
            try:
                copier = BmapCopy.BmapCopy(stream, _Recorder(null, progress), bmap, image.known_size())
                progress.total = copier.mapped_size
                copier.copy(sync=False, verify=True)
            except BmapCopy.Error as exc:
                raise ProvisionError(f"{image.bmap_path.name} does not match {image.path.name} ({exc}); "
                                     "use the .bmap from the same build, or delete it. Nothing was written.") from None
            except STREAM_ERRORS as exc:
                raise ProvisionError(f"{image.path}: cannot decompress it ({exc}); download it again") from None
            progress.done()
    finally:
        stream.close()
        raw.close()


def _open_target(target: Path, kind: str, force: bool) -> int:
    try:
        if kind == "file":
            return os.open(target, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        # O_EXCL on a block device: the kernel refuses it while anything has it mounted or claimed.
        return os.open(target, os.O_RDWR | (0 if force else os.O_EXCL))
    except OSError as exc:
        raise ProvisionError(f"cannot open {target} for writing ({exc.strerror}); "
                             + ("run as root or with sudo" if exc.errno in (1, 13) else "is it in use?")) from None


def _write(BmapCopy, image: TerminalImage, fh, kind: str, target: Path, out: TextIO):
    BmapCopy = BmapCopy or load_bmaptools()
    stream, raw = image.open_stream()
    bmap = open(image.bmap_path, "rb") if image.bmap_path else None
    try:
        progress = Progress(f"writing {target}", None, out=out, fraction=lambda: raw.tell() / max(image.size, 1))
        recorder = _Recorder(fh, progress)
        copier_class = BmapCopy.BmapBdevCopy if kind == "disk" else BmapCopy.BmapCopy
        try:
            copier = copier_class(stream, recorder, bmap, image.known_size())
            progress.total = copier.mapped_size
            copier.copy(sync=True, verify=True)
        except BmapCopy.Error as exc:
            raise ProvisionError(f"writing {target} failed: {exc}") from None
        except STREAM_ERRORS as exc:
            raise ProvisionError(f"writing {target} failed ({exc}); the copy on it is incomplete: "
                                 "flash it again") from None
        progress.done()
        return recorder, progress.seconds()
    finally:
        if bmap:
            bmap.close()
        stream.close()
        raw.close()


def _read_back(fh, recorder: _Recorder, target: Path, progress: Progress) -> None:
    fd = fh.fileno()
    os.fsync(fd)
    # Drop the cached pages, so what is compared comes from the card and not from memory.
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    digest = hashlib.sha256()
    for offset, length in recorder.extents:
        os.lseek(fd, offset, os.SEEK_SET)
        while length:
            chunk = os.read(fd, min(CHUNK, length))
            if not chunk:
                break
            digest.update(chunk)
            length -= len(chunk)
            progress.update(len(chunk))
    if digest.hexdigest() != recorder.digest.hexdigest():
        raise ProvisionError(f"{target}: what was read back differs from what was written: the card or "
                             "reader is faulty; try another card or reader")
