"""Read a text file that a person may have edited and saved with any editor.

Notepad and PowerShell put a UTF-8 byte-order mark in front; that is
accepted and dropped.  Anything that is not UTF-8 is refused with the file,
line and column of the first bad byte and what to do about it::

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "site.toml"
    >>> _ = p.write_bytes(b"\\xef\\xbb\\xbfname = 'Shanghai'\\n")
    >>> read_text(p)
    "name = 'Shanghai'\\n"
    >>> _ = p.write_bytes(b"a = 1\\ncity = 'Z\\xfcrich'\\n")
    >>> read_text(p)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    terminal.textfile.TextFileError: .../site.toml:2:10: not UTF-8 (byte 0xFC); save the file as UTF-8 (in Notepad: File > Save as > Encoding: UTF-8)
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

from terminal import TerminalError

_FIX = "save the file as UTF-8 (in Notepad: File > Save as > Encoding: UTF-8)"

# Longest first: a UTF-32-LE mark begins with the UTF-16-LE one.
_OTHER_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


class TextFileError(TerminalError):
    """A file is not UTF-8 text; ``path``, ``line`` and ``column`` (1-based) say where."""

    exit_code = 2

    def __init__(self, message: str, *, path: Path, line: int = 0, column: int = 0):
        super().__init__(message)
        self.path = path
        self.line = line
        self.column = column


def decode_text(data: bytes, path: str | os.PathLike = "<text>") -> str:
    """Decode bytes as UTF-8 text, a leading BOM dropped; raise :class:`TextFileError`."""
    path = Path(path)
    for bom, name in _OTHER_BOMS:
        if data.startswith(bom):
            raise TextFileError(f"{path}: the file is {name}, not UTF-8; {_FIX}", path=path, line=1, column=1)
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    nul = data.find(b"\x00")
    if nul >= 0:  # valid UTF-8, but no editor writes it: UTF-16 without a byte-order mark
        _refuse(path, data, nul, "the file holds NUL bytes (UTF-16 without a byte-order mark?), not UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        _refuse(path, data, exc.start, f"not UTF-8 (byte 0x{data[exc.start]:02X})")


def _refuse(path: Path, data: bytes, offset: int, what: str):
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    # Column in characters, as an editor shows it.
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    raise TextFileError(f"{path}:{line}:{column}: {what}; {_FIX}", path=path, line=line, column=column)


def read_text(path: str | os.PathLike) -> str:
    """The text of ``path`` (see module doc). OSError passes through for the caller to word."""
    path = Path(path)
    return decode_text(path.read_bytes(), path)
