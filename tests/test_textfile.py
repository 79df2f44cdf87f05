"""Files people edit: a BOM is accepted, any other encoding is named with file:line:column and a fix."""

import codecs

import pytest

from terminal.textfile import TextFileError, decode_text, read_text


def test_utf8_bom_is_dropped(tmp_path):
    p = tmp_path / "a.toml"
    p.write_bytes(codecs.BOM_UTF8 + "role = \"kiosk\"\r\n名字 = 1\n".encode())
    assert read_text(p) == "role = \"kiosk\"\r\n名字 = 1\n"


def test_plain_utf8_unchanged():
    assert decode_text("城市 = '上海'\n".encode()) == "城市 = '上海'\n"


@pytest.mark.parametrize(
    "data, line, column, words",
    [
        (b"a = 1\ncity = 'Z\xfcrich'\n", 2, 10, "not UTF-8 (byte 0xFC)"),          # Latin-1
        ("名 = '".encode() + b"\xd6\xd0'\n", 1, 6, "not UTF-8 (byte 0xD6)"),       # GBK after UTF-8 text
        (b"x\n\n\xff", 3, 1, "byte 0xFF"),
        ("a = 1\n".encode("utf-16-le"), 1, 2, "NUL bytes"),                           # UTF-16 without BOM
    ],
)
def test_other_encodings_named_with_place_and_fix(data, line, column, words):
    with pytest.raises(TextFileError) as err:
        decode_text(data, "site.toml")
    msg = str(err.value)
    assert msg.startswith(f"site.toml:{line}:{column}: ")
    assert words in msg and "save the file as UTF-8" in msg
    assert (err.value.line, err.value.column, err.value.exit_code) == (line, column, 2)


@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_with_bom_named(encoding, name):
    with pytest.raises(TextFileError, match=f"people.jsonl: the file is {name}, not UTF-8; save the file as UTF-8"):
        decode_text("{}\n".encode(encoding), "people.jsonl")
