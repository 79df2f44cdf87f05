"""A receipt as data, turned into ESC/POS bytes by python-escpos.

Chinese text is encoded to GB18030 here, with the printer's Chinese mode
(FS &) switched on, instead of python-escpos's code-page guessing.  QR codes
use the printer's own QR engine (GS ( k).

>>> from drivers.receipt.document import Receipt
>>> r = Receipt(width=32).title("报销回执").pair("金额", "¥12.50").qr("https://ex.am/ple").cut()
>>> data = r.to_bytes()
>>> "报销回执".encode("gb18030") in data, b"\\x1d(k" in data, data.endswith(b"\\x1dV\\x00")
(True, True, True)
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from drivers.receipt.columns import byte_columns

CHINESE_MODE_ON = b"\x1c\x26"  # FS &
INIT = b"\x1b\x40"  # ESC @


def columns(text: str) -> int:
    """Printed width in half-width columns, counted from the bytes that are sent (see
    :mod:`drivers.receipt.columns`): ASCII takes one, every GB code two, so '·', '“' and '①'
    take two although Unicode calls them narrow, and text that is replaced counts as its '?'.

    >>> columns("姓名"), columns("阿依古丽·买买提"), columns("¥12.50"), columns("a\\udcffb")
    (4, 16, 7, 3)
    """
    return byte_columns(printable(text))


def printable(text: str) -> bytes:
    """``text`` as GB18030 bytes that are only characters: a control character (which the
    printer would obey as a command) and anything GB18030 cannot encode print as '?'."""
    text = "".join(" " if ch == "\t" else "?" if unicodedata.category(ch) == "Cc" else ch for ch in text)
    return text.encode("gb18030", errors="replace")


def wrap(text: str, width: int) -> list[str]:
    """Split a line so no piece is wider than ``width`` columns as printed (see :func:`columns`)."""
    out, line, used = [], "", 0
    for ch in text:
        w = columns(ch)
        if used + w > width and line:
            out.append(line)
            line, used = "", 0
        line += ch
        used += w
    out.append(line)
    return out


@dataclass
class Receipt:
    """Lines, QR codes and cuts, in order; ``width`` is the paper's width in half-width columns
    (an ASCII character takes one, a Chinese character or any other GB code two)."""

    width: int = 42
    items: list[tuple] = field(default_factory=list)

    def line(self, text: str = "", *, align: str = "left", bold: bool = False, double: bool = False) -> "Receipt":
        """Add one line of ``text`` (wrapped at ``width`` columns); ``align`` left, center or right; returns self.

        Raises ValueError for another ``align``.
        """
        if align not in ("left", "center", "right"):
            raise ValueError(f"align must be left, center or right, not {align!r}")
        self.items.append(("text", text, align, bold, double))
        return self

    def title(self, text: str) -> "Receipt":
        """Add ``text`` centred, bold and double size; returns self."""
        return self.line(text, align="center", bold=True, double=True)

    def pair(self, left: str, right: str) -> "Receipt":
        """``left`` and ``right`` on one line, ``right`` against the right edge (wrapped when both
        together are wider than the paper)."""
        gap = max(1, self.width - columns(left) - columns(right))
        return self.line(left + " " * gap + right)

    def rule(self) -> "Receipt":
        """Add a line of dashes across the paper; returns self."""
        return self.line("-" * self.width)

    def qr(self, content: str, *, size: int = 6) -> "Receipt":
        """Add a QR code of ``content`` with modules ``size`` dots wide (1-16); returns self.

        Raises ValueError for empty content, a size out of range or text that is not valid (a lone surrogate).
        """
        if not content:
            raise ValueError("a QR code needs content")
        if not 1 <= size <= 16:
            raise ValueError("QR module size must be 1..16 dots")
        try:
            content.encode("utf-8")  # python-escpos sends QR data as UTF-8
        except UnicodeEncodeError:
            raise ValueError(f"QR content {content!r} is not valid text (a lone surrogate)") from None
        self.items.append(("qr", content, size))
        return self

    def image(self, image, *, max_dots: int = 512) -> "Receipt":
        """A logo or picture (PIL image), dithered to black dots and sent as a raster (GS v 0)."""
        self.items.append(("image", image, max_dots))
        return self

    def cut(self) -> "Receipt":
        """Feed the paper past the cutter and cut it; returns self."""
        self.items.append(("cut",))
        return self

    def to_bytes(self) -> bytes:
        """The whole job as one ESC/POS byte string."""
        from escpos.printer import Dummy

        p = Dummy()
        p._raw(INIT + CHINESE_MODE_ON)
        for item in self.items:
            kind = item[0]
            if kind == "text":
                _, text, align, bold, double = item
                p.set(align=align, bold=bold, double_height=double, double_width=double)
                width = self.width // 2 if double else self.width
                for piece in text.split("\n"):
                    for chunk in wrap(piece, width):
                        p._raw(printable(chunk) + b"\n")
            elif kind == "qr":
                _, content, size = item
                p.set(align="center")
                p.qr(content, native=True, size=size, ec=1)  # ec M: survives a scuffed receipt
                p._raw(b"\n")
            elif kind == "image":
                _, image, max_dots = item
                if image.width > max_dots:
                    image = image.resize((max_dots, max(1, image.height * max_dots // image.width)))
                p.set(align="center")
                p.image(image, impl="bitImageRaster", center=False)
            else:
                p.cut()
            if kind != "cut":
                p.set_with_default()
        return p.output


def receipt_test_page(width: int = 42, *, where: str = "") -> Receipt:
    """The technician's test page: Chinese text, a QR code and a cut."""
    r = Receipt(width=width)
    r.title("打印测试 TEST")
    r.line("共享服务终端 收据打印机", align="center")
    r.rule()
    r.pair("中文", "汉字编码 GB18030")
    r.pair("生僻字", "㐀䶵𠀀")  # needs GB18030's four-byte forms
    if where:
        r.pair("打印机", where)
    r.line("ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789")
    r.rule()
    r.qr("https://example.invalid/receipt-test?id=TEST-0001")
    r.line("扫码检查二维码", align="center")
    r.cut()
    return r
