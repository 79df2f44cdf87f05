"""Draw parsed receipt blocks as text (for logs and tests) and as a PNG (to look at).

>>> from drivers.receipt.escpos_parse import Block
>>> from drivers.receipt.render import render_text
>>> print(render_text([Block("text", "收据", align="center"), Block("cut", "full")], width=12))
    收据
~~~ cut ~~~
"""

from __future__ import annotations

from pathlib import Path

from drivers.receipt.columns import rows
from drivers.receipt.document import printable

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
# Latin text sits in single cells; a monospace face keeps W and M inside theirs.
LATIN_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
DOTS = 576  # an 80 mm printer's line: 576 dots at 203 dpi


def text_rows(block, width: int) -> list[tuple[int, list[tuple[str, int]]]]:
    """A text block as printed on paper ``width`` columns wide, laid out from the bytes received
    (so a line the layout made too wide wraps here as on paper): per row, the columns left
    blank by the alignment and the row's characters with their columns."""
    data = block.raw if block.raw is not None else printable(block.text)
    chinese = getattr(block, "chinese", True)
    out = []
    for row in rows(data, width, chinese=chinese, scale=2 if block.double else 1):
        used = sum(cols for _, cols in row)
        pad = {"left": 0, "center": max(0, (width - used) // 2), "right": max(0, width - used)}[block.align]
        out.append((pad, [(glyph.decode("gb18030" if chinese else "cp437", errors="replace"), cols)
                          for glyph, cols in row]))
    return out


def render_text(blocks, *, width: int = 42) -> str:
    """The job as text, one line per printed row."""
    out: list[str] = []
    for b in blocks:
        if b.kind == "text":
            for pad, row in text_rows(b, width):
                out.append((" " * pad + "".join(ch for ch, _ in row)).rstrip())
        elif b.kind == "qr":
            out.append(f"[QR {b.text}]")
        elif b.kind == "raster":
            out.append(f"[image {b.text}]")
        elif b.kind == "cut":
            label = " cut " if b.text == "full" else " partial cut "
            side = max(2, (width - len(label)) // 2)
            out.append("~" * side + label + "~" * side)
        else:
            out.append(f"[{b.text}]")
    return "\n".join(out)


def _font(size: int, candidates=FONT_CANDIDATES):
    from PIL import ImageFont

    for path in candidates:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def render_png(blocks, path: "str | Path", *, width: int = 42) -> Path:
    """Lay the blocks out on a strip of paper DOTS wide; QR codes drawn from their data with segno."""
    import segno
    from PIL import Image, ImageDraw

    cell = DOTS // width  # the printer lays text on a grid: 1 cell per Latin character, 2 per Han character
    font, big = _font(cell * 2 - 2), _font(cell * 4 - 4)
    latin = _font(int(cell * 1.6), (LATIN_FONT,) + FONT_CANDIDATES)
    latin_big = _font(int(cell * 3.2), (LATIN_FONT,) + FONT_CANDIDATES)
    pieces: list[tuple[Image.Image, str]] = []
    for b in blocks:
        if b.kind == "text":
            scale = 2 if b.double else 1
            for pad, row in text_rows(b, width):
                img = Image.new("L", (DOTS, cell * 2 * scale + 6), 255)
                draw = ImageDraw.Draw(img)
                x = cell * pad
                for ch, span_cols in row:
                    wide = span_cols == 2 * scale
                    f = (big if wide else latin_big) if b.double else (font if wide else latin)
                    span = span_cols * cell
                    glyph = draw.textlength(ch, font=f)
                    draw.text((x + (span - glyph) / 2, 2 if wide else 4 * scale), ch, font=f, fill=0,
                              stroke_width=1 if b.bold else 0, stroke_fill=0)
                    x += span
                pieces.append((img, "left"))
        elif b.kind == "qr":
            qr = segno.make(b.text, error="m", boost_error=False)
            scale = max(1, b.qr_size)
            from io import BytesIO

            buf = BytesIO()
            qr.save(buf, kind="png", scale=scale, border=2)
            buf.seek(0)
            pieces.append((Image.open(buf).convert("L"), b.align))
        elif b.kind == "raster":
            pieces.append((b.image.convert("L"), b.align))
        else:
            img = Image.new("L", (DOTS, 14), 255)
            draw = ImageDraw.Draw(img)
            if b.kind == "cut":
                for x in range(0, DOTS, 12):
                    draw.line((x, 7, x + 6, 7), fill=0)
            else:
                draw.text((0, 0), f"[{b.text}]", font=_font(12), fill=0)
            pieces.append((img, "left"))
    total = sum(p.height for p, _ in pieces) + 20
    paper = Image.new("L", (DOTS, max(total, 40)), 255)
    y = 10
    for img, align in pieces:
        x = {"left": 0, "center": (DOTS - img.width) // 2, "right": DOTS - img.width}.get(align, 0)
        paper.paste(img, (max(0, x), y))
        y += img.height
    path = Path(path)
    paper.save(path)
    return path
