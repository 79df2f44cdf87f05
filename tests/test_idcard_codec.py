"""The frame codec and stream decoder: reference frames, every SW3, resync, fuzzing."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.errors import DeviceError, DeviceRefused, DeviceTimeout, ProtocolError
from drivers.idcard import codec, errors
from drivers.idcard.codec import FrameDecoder, encode_request, encode_response, parse_request, parse_response

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Full frames from the reference, request -> its canned frame.
REFERENCE_REQUESTS = {
    codec.SAM_STATUS: "AAAAAA9669 0003 11 FF ED",
    codec.SAM_ID: "AAAAAA9669 0003 12 FF EE",
    codec.RESET_SAM: "AAAAAA9669 0003 10 FF EC",
    codec.FIND_CARD: "AAAAAA9669 0003 20 01 22",
    codec.SELECT_CARD: "AAAAAA9669 0003 20 02 21",
    codec.READ_TEXT_PHOTO: "AAAAAA9669 0003 30 01 32",
    codec.READ_EXTRA_ADDRESS: "AAAAAA9669 0003 30 03 30",
    codec.READ_TEXT_PHOTO_FINGERPRINT: "AAAAAA9669 0003 30 10 23",
}
REFERENCE_REPLIES = {
    "AAAAAA9669 0004 000090 94": (0x90, b""),
    "AAAAAA9669 0008 00009F 00000000 97": (0x9F, bytes(4)),
    "AAAAAA9669 0004 000080 84": (0x80, b""),
    "AAAAAA9669 000C 000090 0000000000000000 9C": (0x90, bytes(8)),
    "AAAAAA9669 0004 000081 85": (0x81, b""),
}


def h(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


@pytest.mark.parametrize("command", list(REFERENCE_REQUESTS), ids=lambda c: c.name)
def test_requests_match_the_reference_byte_for_byte(command):
    frame = encode_request(command)
    assert frame == h(REFERENCE_REQUESTS[command])
    request = parse_request(frame)
    assert (request.cmd, request.para, request.command) == (command.cmd, command.para, command)


@pytest.mark.parametrize("text", list(REFERENCE_REPLIES))
def test_reference_replies_parse_and_rebuild(text):
    sw3, data = REFERENCE_REPLIES[text]
    response = parse_response(h(text))
    assert (response.sw1, response.sw2, response.sw3, response.data) == (0, 0, sw3, data)
    assert encode_response(sw3, data) == h(text)


def test_checksum_example_from_the_reference():
    assert codec.checksum(bytes([0x00, 0x03, 0x20, 0x01])) == 0x22


def test_read_reply_is_1295_bytes_with_text_at_14_and_photo_at_270():
    text, photo = bytes(range(256)), bytes([7]) * 1024
    frame = encode_response(0x90, struct.pack(">HH", 256, 1024) + text + photo)
    assert len(frame) == 1295 and frame[5:7] == b"\x05\x08"
    assert frame[14:270] == text and frame[270:1294] == photo
    assert parse_response(frame).data[4:260] == text


def test_bad_checksum_is_a_checksum_error():
    frame = bytearray(h("AAAAAA9669 0004 000090 94"))
    frame[-1] ^= 1
    with pytest.raises(errors.ChecksumError) as info:
        parse_response(bytes(frame))
    assert isinstance(info.value, ProtocolError) and "checksum" in str(info.value)


@pytest.mark.parametrize("frame, error", [
    (h("AAAAAA9669 0004 0000"), errors.TruncatedFrame),
    (h("AAAAAA96"), errors.TruncatedFrame),
    (h("BBAAAA9669 0004 000090 94"), errors.MalformedFrame),
    (h("AAAAAA9669 0002 00 02"), errors.MalformedFrame),
    (h("AAAAAA9669 FFFF 00"), errors.MalformedFrame),
    (h("AAAAAA9669 0004 000090 94 00"), errors.MalformedFrame),
])
def test_broken_frames_raise_typed_errors(frame, error):
    with pytest.raises(error):
        parse_response(frame)


# Every SW3 of the reference and what it must become.
EXPECTED = {
    0x10: errors.ReaderRejectedFrame, 0x11: errors.ReaderRejectedFrame, 0x21: errors.ReaderRejectedFrame,
    0x23: errors.SamError, 0x24: errors.ReaderRejectedFrame, 0x31: errors.CardAuthenticationFailed,
    0x32: errors.CardAuthenticationFailed, 0x33: errors.CardAuthenticationFailed,
    0x40: errors.UnknownCardType, 0x41: errors.CardReadFailed, 0x47: errors.CardReadFailed,
    0x60: errors.SamError, 0x66: errors.SamError, 0x80: errors.NoCard, 0x81: errors.SelectFailed,
    0x91: errors.CardReadFailed,
}


@pytest.mark.parametrize("sw3", sorted(EXPECTED), ids=lambda s: f"0x{s:02X}")
def test_every_sw3_maps_to_its_typed_error(sw3):
    err = errors.error_for_status(sw3, "find card")
    assert type(err) is EXPECTED[sw3]
    assert isinstance(err, DeviceError) and err.device == "idcard" and err.status == sw3
    assert f"0x{sw3:02X}" in str(err) and err.hint
    assert set(errors.STATUS) == set(EXPECTED)


def test_error_families_follow_the_shared_hierarchy():
    assert issubclass(errors.NoCard, DeviceRefused)
    assert issubclass(errors.ReaderSilent, DeviceTimeout)
    assert issubclass(errors.ChecksumError, ProtocolError)
    assert isinstance(errors.error_for_status(0x55, "x"), errors.UnexpectedReply)


def test_decoder_resynchronises_after_garbage_and_counts_it():
    decoder = FrameDecoder()
    good = h("AAAAAA9669 0004 000090 94")
    # a partial preamble, and a false preamble with an impossible LEN, before the frame
    garbage = b"\x01\xaa\xaa\x02" + codec.PREAMBLE + b"\xff\xff\x13"
    assert decoder.feed(garbage + good + good) == [good, good]
    assert decoder.discarded == len(garbage)
    assert decoder.pending == b""


def test_decoder_handles_a_frame_split_anywhere():
    frame = encode_response(0x90, bytes(range(200)))
    for cut in range(1, len(frame)):
        decoder = FrameDecoder()
        assert decoder.feed(frame[:cut]) == []
        assert decoder.feed(frame[cut:]) == [frame]


def test_decoder_reports_a_truncated_frame_as_pending_with_its_expected_size():
    frame = encode_response(0x90, bytes(1284))
    decoder = FrameDecoder()
    assert decoder.feed(frame[:600]) == []
    assert decoder.expected() == 1295 and len(decoder.pending) == 600
    assert decoder.abandon() == []


def test_abandon_finds_a_frame_hidden_behind_a_false_preamble():
    good = h("AAAAAA9669 0004 000090 94")
    decoder = FrameDecoder()
    assert decoder.feed(codec.PREAMBLE + b"\x01\x00" + good) == []  # false LEN 256 swallows the frame
    assert decoder.abandon() == [good]


def _decode_all(data: bytes, chunks: list[int]):
    decoder = FrameDecoder()
    out = []
    pos = 0
    for size in chunks:
        out += decoder.feed(data[pos:pos + size])
        pos += size
    out += decoder.feed(data[pos:])
    out += decoder.abandon()
    return out


def _parse_or_typed_error(frame: bytes):
    try:
        return parse_response(frame)
    except errors.IdCardError as exc:
        assert isinstance(exc, errors.FrameError)
        return exc


@FUZZ
@given(st.binary(max_size=3000))
def test_fuzz_random_bytes_give_a_frame_or_a_typed_error(data):
    _parse_or_typed_error(data)
    for frame in _decode_all(data, [len(data) // 3, 7]):
        _parse_or_typed_error(frame)


frames = st.builds(lambda sw3, data: encode_response(sw3, data), st.integers(0, 255), st.binary(max_size=1400))


@FUZZ
@given(frames, st.lists(st.tuples(st.integers(0, 1500), st.integers(0, 255)), max_size=6),
       st.binary(max_size=50), st.integers(0, 1500), st.lists(st.integers(1, 400), max_size=5))
def test_fuzz_mutated_frames_never_crash_and_good_frames_survive_garbage(frame, flips, garbage, cut, chunks):
    mutated = bytearray(frame)
    for pos, value in flips:
        if mutated:
            mutated[pos % len(mutated)] = value
    _parse_or_typed_error(bytes(mutated))
    _parse_or_typed_error(bytes(mutated[:cut]))
    for got in _decode_all(bytes(mutated), chunks):
        _parse_or_typed_error(got)
    # Garbage in front of an intact frame never hides it.
    stream = garbage.replace(codec.PREAMBLE[:1], b"\x00") + frame
    assert frame in _decode_all(stream, chunks)


@FUZZ
@given(st.binary(max_size=600))
def test_fuzz_simulator_side_request_parser(data):
    for frame in FrameDecoder(minimum=codec.MIN_REQUEST_LEN).feed(data):
        try:
            parse_request(frame)
        except errors.IdCardError as exc:
            assert isinstance(exc, errors.FrameError)
