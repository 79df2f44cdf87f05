"""Parse an ESC/POS byte stream into what a printer would put on paper.

The parser is incremental (bytes may arrive in any chunking) and knows the
length of every command it accepts, so bytes inside raster or QR data are
never taken for commands.  Real-time status requests (DLE EOT n) are handed
to a callback the moment they are parsed, as a printer answers them.

>>> from drivers.receipt.escpos_parse import EscPosParser
>>> p = EscPosParser()
>>> p.feed(b"\\x1c&\\x1ba\\x01" + "你好".encode("gb18030") + b"\\n\\x1dV\\x00")
>>> [(b.kind, b.text, b.align) for b in p.blocks]
[('text', '你好', 'center'), ('cut', 'full', 'left')]
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from drivers.errors import DeviceError

ALIGN = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center", 50: "right"}


@dataclass
class Block:
    """One thing on the paper: a text line, a QR code, a raster image or a cut."""

    kind: str  # text | qr | raster | cut | note
    text: str = ""
    align: str = "left"
    bold: bool = False
    double: bool = False
    qr_size: int = 3
    image: object = None  # PIL image for raster/qr
    raw: bytes | None = None  # a text line's bytes as received: what the printer lays out
    chinese: bool = True  # whether Chinese mode (FS &) was on for those bytes


class _NeedMore(DeviceError):
    """The buffer ends inside a command; wait for more bytes (internal: never leaves :meth:`EscPosParser.feed`)."""


@dataclass
class EscPosParser:
    """An incremental ESC/POS parser: ``feed()`` bytes in any chunking, read ``blocks`` (what is on paper).

    ``on_status(n)`` is called for each DLE EOT n as it is parsed (the printer's
    answer); ``on_print(block)`` before each block is printed, returning False when
    nothing can be (no paper); ``unknown`` lists the commands it skipped, in hex.
    """

    on_status: Callable[[int], None] | None = None
    on_print: Callable[[Block], bool] | None = None  # returns False when nothing can be printed (no paper)
    blocks: list[Block] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._buf = bytearray()
        self._line = bytearray()
        self._chinese = False
        self._align = "left"
        self._bold = False
        self._double = False
        self._qr_data = b""
        self._qr_size = 3

    def feed(self, data: bytes) -> None:
        """Parse ``data`` (bytes); a command cut off at the end waits for the next call.  Never raises."""
        self._buf += data
        while self._buf:
            try:
                used = self._step()
            except _NeedMore:
                return
            del self._buf[:used]

    def finish(self) -> None:
        """End of job: a line without its newline is still printed (as a printer does on ESC @/close)."""
        self._flush_line()

    # one command or one text byte; returns the bytes consumed
    def _step(self) -> int:
        b = self._buf
        c = b[0]
        if c == 0x0A:
            self._emit_line()
            return 1
        if c == 0x0D:
            return 1
        if c == 0x10:  # DLE
            self._need(2)
            if b[1] == 0x04:
                self._need(3)
                if self.on_status:
                    self.on_status(b[2])
                return 3
            if b[1] == 0x14:  # DLE DC4 fn m t (pulse / real-time)
                self._need(5)
                return 5
            return self._unknown(2)
        if c == 0x1B:
            return self._esc()
        if c == 0x1D:
            return self._gs()
        if c == 0x1C:
            return self._fs()
        if c < 0x20 and c not in (0x09,):
            return 1  # other control bytes have no visible effect
        self._line.append(c)
        return 1

    def _need(self, n: int) -> None:
        if len(self._buf) < n:
            raise _NeedMore("receipt-sim", f"need {n} bytes, have {len(self._buf)}")

    def _unknown(self, n: int) -> int:
        self.unknown.append(self._buf[:n].hex(" "))
        return n

    def _esc(self) -> int:
        b = self._buf
        self._need(2)
        cmd = b[1]
        if cmd == 0x40:  # ESC @
            self.finish()
            self._align, self._bold, self._double, self._chinese = "left", False, False, False
            return 2
        if cmd in (0x32,):  # ESC 2
            return 2
        self._need(3)
        n = b[2]
        if cmd == 0x61:
            self._align = ALIGN.get(n, "left")
        elif cmd == 0x45:
            self._bold = bool(n & 1)
        elif cmd == 0x21:
            self._bold = bool(n & 0x08)
            self._double = bool(n & 0x30)
        elif cmd in (0x64, 0x4A):  # ESC d n: print and feed n lines; ESC J n: feed n dots
            self._flush_line()
            for _ in range(n if cmd == 0x64 else 0):
                self._emit(Block("text", ""))
        elif cmd in (0x2D, 0x4D, 0x74, 0x7B, 0x33, 0x20, 0x52, 0x63):  # underline, font, code page, ...
            pass
        else:
            return self._unknown(3)
        return 3

    def _gs(self) -> int:
        b = self._buf
        self._need(2)
        cmd = b[1]
        if cmd == 0x56:  # GS V m [n]
            self._need(3)
            m = b[2]
            used = 4 if m in (65, 66, 97, 98, 103, 104) else 3
            self._need(used)
            self._flush_line()
            self._emit(Block("cut", text="partial" if m in (1, 49, 66) else "full"))
            return used
        if cmd == 0x28 and len(b) > 2 and b[2] == 0x6B:  # GS ( k
            self._need(5)
            length = b[3] | (b[4] << 8)
            self._need(5 + length)
            if not self._qr(bytes(b[5:5 + length])):
                return self._unknown(5 + length)
            return 5 + length
        if cmd == 0x28:
            self._need(5)
            length = b[3] | (b[4] << 8)
            self._need(5 + length)
            return self._unknown(5 + length)
        if cmd == 0x76 and len(b) > 2 and b[2] == 0x30:  # GS v 0 m xL xH yL yH data
            self._need(8)
            width_bytes = b[4] | (b[5] << 8)
            height = b[6] | (b[7] << 8)
            size = width_bytes * height
            self._need(8 + size)
            self._raster(width_bytes, height, bytes(b[8:8 + size]))
            return 8 + size
        self._need(3)
        if cmd in (0x21, 0x42, 0x62, 0x66, 0x68, 0x77, 0x48, 0x61):  # sizes, reverse, smoothing, barcode opts
            if cmd == 0x21:
                self._double = bool(b[2] & 0x77)
            return 3
        if cmd == 0x72:  # GS r n: transmit status
            if self.on_status:
                self.on_status(0x100 | b[2])
            return 3
        return self._unknown(3)

    def _fs(self) -> int:
        b = self._buf
        self._need(2)
        cmd = b[1]
        if cmd == 0x26:  # FS & Chinese mode on
            self._chinese = True
            return 2
        if cmd == 0x2E:  # FS . Chinese mode off
            self._chinese = False
            return 2
        if cmd in (0x21, 0x43, 0x2D, 0x53, 0x57):  # Chinese print modes, code system, spacing
            self._need(3 if cmd != 0x53 else 4)
            return 3 if cmd != 0x53 else 4
        return self._unknown(2)

    def _qr(self, body: bytes) -> bool:
        """One GS ( k function; False when its body is too short for it (a malformed command)."""
        if len(body) < 2:
            return False
        cn, fn = body[0], body[1]
        if cn != 0x31:
            return True
        if fn in (0x41, 0x43, 0x45, 0x50, 0x51) and len(body) < 3:  # these carry at least one parameter
            return False
        if fn == 0x43:
            self._qr_size = body[2]
        elif fn == 0x50:  # store data: 49 80 48 d1..dk
            self._qr_data = body[3:]
        elif fn == 0x51:  # print stored data
            self._flush_line()
            text = self._qr_data.decode("utf-8", errors="replace")
            self._emit(Block("qr", text=text, align=self._align, qr_size=self._qr_size))
        return True

    def _raster(self, width_bytes: int, height: int, data: bytes) -> None:
        from PIL import Image

        self._flush_line()
        img = Image.frombytes("1", (width_bytes * 8, height), data)
        from PIL import ImageOps

        img = ImageOps.invert(img.convert("L")).convert("1")  # ESC/POS: 1 = black dot
        self._emit(Block("raster", text=f"{width_bytes * 8}x{height}", align=self._align, image=img))

    def _flush_line(self) -> None:
        if self._line:
            self._emit_line()

    def _emit_line(self) -> None:
        raw, self._line = bytes(self._line), bytearray()
        text = raw.decode("gb18030" if self._chinese else "cp437", errors="replace")
        self._emit(Block("text", text=text, align=self._align, bold=self._bold, double=self._double, raw=raw,
                         chinese=self._chinese))

    def _emit(self, block: Block) -> None:
        if self.on_print is None or self.on_print(block):
            self.blocks.append(block)
