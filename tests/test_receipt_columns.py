"""Receipt columns as the printer counts them: by the bytes sent, not by Unicode's width table.

The simulator lays text out from the bytes it receives and wraps at its paper
width, so a line the layout made one column too wide shows up as a wrap here.
"""

from __future__ import annotations

import socket
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from drivers.receipt import Receipt, ReceiptPrinter, ReceiptSimulator
from drivers.receipt.columns import byte_columns, glyphs, rows
from drivers.receipt.document import CHINESE_MODE_ON, INIT, columns, printable, wrap
from drivers.receipt.escpos_parse import EscPosParser
from drivers.receipt.render import text_rows

# (character, columns on paper, what the paper shows).  The East-Asian "ambiguous" ones are
# narrow to unicodedata, and were counted 1, but go out as 2-byte GB codes and print full width;
# the 4-byte GB18030 ones (including some Unicode calls narrow or half-width) print as one
# full-width glyph; what the printer cannot be sent is replaced, and counts as its replacement.
TABLE = [
    ("A", 1, "A"), ("\t", 1, " "), ("\x07", 1, "?"), ("\udcff", 1, "?"),
    ("中", 2, "中"), ("\u3000", 2, "\u3000"), ("～", 2, "～"),
    # ambiguous width, 2-byte GB codes
    ("·", 2, "·"), ("“", 2, "“"), ("”", 2, "”"), ("‘", 2, "‘"), ("…", 2, "…"), ("—", 2, "—"),
    ("°", 2, "°"), ("×", 2, "×"), ("÷", 2, "÷"), ("±", 2, "±"), ("№", 2, "№"), ("①", 2, "①"),
    ("℃", 2, "℃"), ("‰", 2, "‰"), ("§", 2, "§"), ("→", 2, "→"), ("■", 2, "■"), ("☆", 2, "☆"),
    ("Ⅻ", 2, "Ⅻ"), ("α", 2, "α"), ("Ω", 2, "Ω"), ("а", 2, "а"), ("é", 2, "é"), ("ü", 2, "ü"),
    ("€", 2, "€"), ("¤", 2, "¤"),
    # 4-byte GB18030 codes: one full-width glyph (see drivers.receipt.columns)
    ("¥", 2, "¥"), ("½", 2, "½"), ("²", 2, "²"), ("©", 2, "©"), ("®", 2, "®"), ("™", 2, "™"),
    ("µ", 2, "µ"), ("ｱ", 2, "ｱ"), ("\u200b", 2, "\u200b"), ("㐀", 2, "㐀"), ("𠀀", 2, "𠀀"),
    ("😀", 2, "😀"),
]


def _ids(row):
    return f"U+{ord(row[0]):04X}"


@pytest.fixture(scope="module")
def paper16():
    with ReceiptSimulator(width=16, png=False) as sim:
        yield sim


@pytest.fixture
def printed(tmp_path):
    """Print a receipt to a simulator with paper ``width`` columns wide; return the job's text lines."""
    sims = []

    def run(receipt: Receipt, width: int) -> list[str]:
        sim = ReceiptSimulator(width=width, out_dir=tmp_path / f"paper{len(sims)}")
        sims.append(sim)
        with ReceiptPrinter(sim.uri) as printer:
            printer.print(receipt)
        return sim.wait_for_jobs(1)[0].text.splitlines()

    yield run
    for sim in sims:
        sim.close()


@pytest.mark.parametrize("ch, cols, shown", TABLE, ids=[_ids(r) for r in TABLE])
def test_columns_are_counted_from_the_bytes_sent(ch, cols, shown):
    assert columns(ch) == cols
    assert columns(ch * 7) == 7 * cols
    if ch != "\udcff":
        assert len(printable(ch)) in {1: (1,), 2: (2, 4)}[cols]


@pytest.mark.parametrize("ch, cols, shown", TABLE, ids=[_ids(r) for r in TABLE])
def test_a_pair_fills_the_paper_exactly_and_does_not_wrap(paper16, ch, cols, shown):
    """16 columns of paper: '名' (2) + gap + five of the character; exactly 16 columns go out."""
    count = len(paper16.jobs) + 1
    with ReceiptPrinter(paper16.uri) as printer:
        printer.print(Receipt(width=16).pair("名", ch * 5))
    job = paper16.wait_for_jobs(count)[-1]
    gap = 16 - 2 - 5 * cols
    assert job.text.splitlines() == [("名" + " " * gap + shown * 5).rstrip()]
    (block,) = [b for b in job.blocks if b.kind == "text" and b.text.strip()]
    assert byte_columns(block.raw) == 16


def test_the_field_case_pair_fits_32_columns(printed):
    """Receipt(width=32).pair("姓名", "阿依古丽·买买提") used to go out as 33 columns and wrap."""
    receipt = Receipt(width=32).pair("姓名", "阿依古丽·买买提")
    data = receipt.to_bytes()
    line = "姓名" + " " * 12 + "阿依古丽·买买提"
    assert printable(line) + b"\n" in data
    assert printed(receipt, 32) == [line]


def test_an_over_wide_line_wraps_on_the_simulated_paper():
    """The bytes the old layout sent for the field case (13 spaces: 33 columns) wrap on 32-column
    paper, as the printer wraps them: the simulator does not hide the fault any more."""
    old = ("姓名" + " " * 13 + "阿依古丽·买买提").encode("gb18030")
    with ReceiptSimulator(width=32, png=False) as sim:
        with socket.create_connection((sim.host, sim.port), timeout=5) as conn:
            conn.sendall(INIT + CHINESE_MODE_ON + old + b"\n")
        job = sim.wait_for_jobs(1)[0]
    assert job.text.splitlines() == ["姓名" + " " * 13 + "阿依古丽·买买", "提"]


def test_wrapping_happens_where_the_printer_would_and_a_full_width_glyph_is_never_split():
    data = ("A" * 31 + "中").encode("gb18030")            # 33 columns; 中 cannot start in column 32
    assert [byte_columns(b"".join(g for g, _ in row)) for row in rows(data, 32)] == [31, 2]
    assert [len(row) for row in rows(b"x" * 70, 32)] == [32, 32, 6]
    assert [sum(c for _, c in row) for row in rows("①②③".encode("gb18030"), 8, scale=2)] == [8, 4]


def test_centre_and_right_alignment_count_ambiguous_characters_as_printed(printed):
    receipt = Receipt(width=10).line("“中”", align="center").line("№①", align="right")
    assert printed(receipt, 10) == ["  “中”", "      №①"]


def test_a_double_width_title_of_ambiguous_characters_stays_on_the_paper(printed):
    """Double width: each ① takes 4 columns, so 12-column paper holds 3 of them per row."""
    assert printed(Receipt(width=12).title("①②③④"), 12) == ["①②③", "    ④"]


def test_long_text_is_wrapped_by_printed_columns(printed):
    text = "“引号”…—·×°"
    assert wrap(text, 10) == ["“引号”…", "—·×°"]
    assert printed(Receipt(width=10).line(text), 10) == ["“引号”…", "—·×°"]


def test_a_rule_and_plain_ascii_are_unchanged(printed):
    assert printed(Receipt(width=12).rule().pair("Total", "12.50"), 12) == ["-" * 12, "Total  12.50"]


def test_malformed_bytes_have_a_width_and_never_raise():
    assert [w for _, w in glyphs(b"\x80\xff")] == [1, 1]        # never lead bytes: one column each
    assert [w for _, w in glyphs(b"\x81")] == [2]                # a lead byte cut off
    assert [w for _, w in glyphs(b"\x81\x30")] == [2]            # a 4-byte code cut off
    assert byte_columns("·A".encode("gb18030"), chinese=False) == 3   # code-page mode: a byte a column


def test_the_rendered_png_has_one_strip_per_printed_row(tmp_path):
    from PIL import Image

    with ReceiptSimulator(width=32, out_dir=tmp_path) as sim:
        for spaces in (12, 13):
            with socket.create_connection((sim.host, sim.port), timeout=5) as conn:
                conn.sendall(INIT + CHINESE_MODE_ON + ("姓名" + " " * spaces + "阿依古丽·买买提").encode("gb18030")
                             + b"\n")
        sim.wait_for_jobs(2)
    with Image.open(tmp_path / "job-0001.png") as fits, Image.open(tmp_path / "job-0002.png") as wraps:
        assert wraps.height > fits.height


_AMBIGUOUS = "·“”‘’…—°×÷±№①②℃‰§→■ΑαΩаé€¥½²©™µｱ\u200b"
_texts = st.text(alphabet=st.sampled_from(list(_AMBIGUOUS + "AZaz09 .-:" + "中文收据㐀𠀀😀\t\x07")), max_size=60)


@settings(max_examples=200, deadline=None)
@example(text="阿依古丽·买买提", width=32)
@example(text="①②③④", width=12)
@example(text="A" * 31 + "中", width=32)
@given(text=_texts, width=st.integers(min_value=4, max_value=48))
def test_fuzz_no_laid_out_line_is_wider_than_the_paper(text, width):
    """Whatever the text, each line the layout sends fits the paper as the printer counts it, so
    the printer (here: the simulator's parser and renderer) never wraps it again."""
    pieces = wrap(text, width)
    assert "".join(pieces) == text
    parser = EscPosParser()
    parser.feed(Receipt(width=width).line(text).pair("名", text[:8]).to_bytes())
    parser.finish()
    lines = [b for b in parser.blocks if b.kind == "text"]
    assert len(lines) >= len(pieces) + 1
    for block in lines:
        assert byte_columns(block.raw) <= width
        assert len(text_rows(block, width)) == 1


def test_unicode_width_table_disagrees_with_the_printer_for_the_table_characters():
    """Why the width cannot come from unicodedata: these are 'A', 'Na', 'N' or 'H' there."""
    narrow = [ch for ch, cols, _ in TABLE if cols == 2 and unicodedata.east_asian_width(ch) not in "WF"]
    assert len(narrow) >= 30 and all(columns(ch) == 2 for ch in narrow)
