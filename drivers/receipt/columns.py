"""How many columns a receipt printer gives the bytes it is sent: the one width rule for the
layout (:mod:`drivers.receipt.document`) and for the simulator's rendering.

A printer does not know Unicode widths; it counts bytes.  In Chinese mode (FS &),
which every receipt switches on:

* a byte 0x00-0x7F is one half-width character: **1 column**;
* a lead byte 0x81-0xFE and the byte after it are one 2-byte GB code (GB2312/GBK),
  printed from the Chinese font at full width: **2 columns**.  This is why the
  East-Asian "ambiguous" characters (· “ ” … — ° × № ①, Greek, Cyrillic, é)
  take 2 columns on paper although ``unicodedata`` calls them narrow;
* a lead byte followed by a digit byte 0x30-0x39 starts a 4-byte GB18030 code
  (¥ ½ ² © ™, half-width katakana, CJK extensions such as 㐀 and 𠀀, emoji).
  Decision: **2 columns**, one full-width glyph, as a printer with the GB18030
  font prints it (the standard every printer sold in China must meet).  A
  GBK-only printer would print two 2-byte glyphs (4 columns) of garbage; such
  a printer cannot print these characters at all, so the layout does not
  plan for it.

Outside Chinese mode each byte is one code-page character: 1 column.  A lone
0x80 or 0xFF (never produced by the GB18030 encoder) counts 1; a lead byte with
nothing after it counts 2 (the printer's replacement glyph).

>>> from drivers.receipt.columns import byte_columns, glyphs, rows
>>> byte_columns("姓名·A".encode("gb18030"))
7
>>> [(g.hex(), w) for g, w in glyphs("A·¥".encode("gb18030"))]
[('41', 1), ('a1a4', 2), ('81308436', 2)]
>>> [b"".join(g for g, _ in row).decode("gb18030") for row in rows("中文·ABC".encode("gb18030"), 7)]
['中文·A', 'BC']
"""

from __future__ import annotations

from collections.abc import Iterator

FULL = 2          # a 2-byte or 4-byte GB code: one full-width glyph


def _is_lead(byte: int) -> bool:
    return 0x81 <= byte <= 0xFE


def glyphs(data: bytes, *, chinese: bool = True) -> Iterator[tuple[bytes, int]]:
    """Split printed bytes into the characters the printer makes of them: (bytes, columns)."""
    i = 0
    while i < len(data):
        byte = data[i]
        if not chinese or not _is_lead(byte):
            yield data[i:i + 1], 1
            i += 1
        elif i + 3 < len(data) and 0x30 <= data[i + 1] <= 0x39 and _is_lead(data[i + 2]) \
                and 0x30 <= data[i + 3] <= 0x39:
            yield data[i:i + 4], FULL
            i += 4
        else:
            yield data[i:i + 2], FULL
            i += 2


def byte_columns(data: bytes, *, chinese: bool = True) -> int:
    """Columns the printer fills with ``data`` (one line, no control bytes)."""
    return sum(width for _, width in glyphs(data, chinese=chinese))


def rows(data: bytes, width: int, *, chinese: bool = True, scale: int = 1) -> list[list[tuple[bytes, int]]]:
    """The printed rows of one line on paper ``width`` columns wide, wrapped where the printer wraps:
    a glyph that does not fit in what is left of a row starts the next one.  ``scale`` is 2 for
    double-width text.  Each glyph is (bytes, columns on paper)."""
    out: list[list[tuple[bytes, int]]] = [[]]
    used = 0
    for glyph, cols in glyphs(data, chinese=chinese):
        cols *= scale
        if used + cols > width and out[-1]:
            out.append([])
            used = 0
        out[-1].append((glyph, cols))
        used += cols
    return out
