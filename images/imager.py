"""Raspberry Pi Imager custom repository: the ``os_list`` entry for an image, so technicians can flash with Imager.

Imager downloads ``url``, checks ``image_download_sha256`` against the download and
``extract_sha256`` against the written image, and reads the card back.  No ``init_format`` is
given on purpose: Imager then offers no OS customisation (user, password, Wi-Fi), which would
put a password on an image meant to have none; the terminal is set up by its seed
(``terminal provision seed``) instead.

    >>> DEVICE_TAGS
    ('pi5-64bit', 'pi4-64bit')
"""

from __future__ import annotations

import datetime
import lzma
import os
from pathlib import Path

from images.finish import sha256_file
from terminal import TerminalError

# Imager's device filter tags for the boards the image supports (64-bit Raspberry Pi OS Lite).
DEVICE_TAGS = ("pi5-64bit", "pi4-64bit")


def _extracted(download: Path) -> tuple[int, str]:
    """(size, SHA-256) of the image inside ``download`` (.img as is, .img.xz decompressed)."""
    import hashlib

    if download.suffix == ".img":
        return download.stat().st_size, sha256_file(download)
    if download.name.endswith(".img.xz"):
        digest, size = hashlib.sha256(), 0
        try:
            with lzma.open(download, "rb") as fh:
                while block := fh.read(4 * 1024 * 1024):
                    digest.update(block)
                    size += len(block)
        except lzma.LZMAError as exc:
            raise TerminalError(f"{download}: not a readable .xz file ({exc})", exit_code=2) from None
        return size, digest.hexdigest()
    raise TerminalError(f"{download}: expected a .img or .img.xz file (Imager takes both)", exit_code=2)


def os_list_entry(download: str | Path, *, url: str, name: str, description: str, icon: str = "",
                  release_date: datetime.date | None = None, devices: tuple[str, ...] = DEVICE_TAGS) -> dict:
    """The ``os_list`` entry for the file ``download`` (.img or .img.xz) published at ``url``.

    Sizes are bytes; ``release_date`` (default: the file's modification date, UTC) is
    ``YYYY-MM-DD``.  Raises TerminalError (exit 2) for a missing file, another kind of file, a
    broken .xz, or a ``url`` that is not http(s).
    """
    download = Path(download)
    if not download.is_file():
        raise TerminalError(f"{download}: no such image file", exit_code=2)
    if not url.startswith(("https://", "http://")):
        raise TerminalError(f"url {url!r}: expected an http(s) address Imager can download", exit_code=2)
    size, digest = _extracted(download)
    if release_date is None:
        release_date = datetime.datetime.fromtimestamp(os.stat(download).st_mtime, datetime.timezone.utc).date()
    entry = {
        "name": name,
        "description": description,
        "url": url,
        "extract_size": size,
        "extract_sha256": digest,
        "image_download_size": download.stat().st_size,
        "image_download_sha256": digest if download.suffix == ".img" else sha256_file(download),
        "release_date": release_date.isoformat(),
        "devices": list(devices),
    }
    if icon:
        entry["icon"] = icon
    return entry


def os_list(entries: list[dict]) -> dict:
    """The repository document Imager reads (``--repo URL`` or its "Use custom" list)."""
    return {"os_list": entries}
