"""The real driver against the simulator over a pseudo-terminal: every failure mode of the issue."""

from __future__ import annotations

import logging
import os
import stat
import sys
import textwrap

import pytest

from drivers.errors import DeviceUnavailable
from drivers.idcard import (
    CardAuthenticationFailed, CardNotLifted, CardReadFailed, ChecksumError, IdCardReader, IdCardSimulator,
    MalformedFrame, NoCard, ReaderRejectedFrame, ReaderSilent, SamError, SelectFailed, TruncatedFrame,
    UnknownCardType, open_idcard, sample_card,
)
from drivers.idcard import codec
from drivers.idcard.photo import PhotoDecoder
from drivers.idcard.port import Backoff

TIMEOUT = 1.0  # per command; the simulator answers in well under a millisecond, but CI is loaded


@pytest.fixture
def reader(idcard_sim):
    with IdCardReader(idcard_sim.port, timeout_s=TIMEOUT, backoff=Backoff(initial_s=0.05, cap_s=0.2)) as r:
        yield r


@pytest.mark.parametrize("sample, card_type", [("resident", "resident"), ("permit", "hk_mo_tw_permit"),
                                               ("foreigner2017", "foreigner_2017"),
                                               ("foreigner2023", "foreigner_2023"), ("rare", "resident")])
def test_reads_every_layout_byte_for_byte(idcard_sim, reader, sample, card_type):
    card = sample_card(sample)
    idcard_sim.place(card)
    got = reader.read_card()
    assert got.card_type == card_type
    assert got.photo_wlt == card.photo and len(got.photo_wlt) == 1024
    assert got.fingerprint is None and not got.photo_available
    # find, select, read: exactly the reference frames on the wire
    assert [codec.encode_request(r) for r in idcard_sim.requests] == [
        codec.encode_request(codec.FIND_CARD), codec.encode_request(codec.SELECT_CARD),
        codec.encode_request(codec.READ_TEXT_PHOTO)]
    assert len(idcard_sim.replies[-1]) == 1295


def test_reads_text_photo_and_fingerprint(idcard_sim, reader):
    card = sample_card("resident")
    idcard_sim.place(card)
    got = reader.read_card(fingerprint=True)
    assert got.fingerprint == card.fingerprint and got.photo_wlt == card.photo
    assert idcard_sim.requests[-1].command is codec.READ_TEXT_PHOTO_FINGERPRINT


def test_sam_id_status_and_health(idcard_sim, reader):
    assert reader.sam_id() == "05.01-20180528-0012345678-1234567890"
    reader.sam_status()
    health = reader.health()
    assert health.ok and health.summary == "SAM 05.01-20180528-0012345678-1234567890"
    idcard_sim.inject("status", command="sam_status", sw3=0x60)
    with pytest.raises(SamError, match="self-test"):
        reader.sam_status()
    health = reader.health()
    assert not health.ok and "SAM self-test failed" in health.summary


def test_extra_address(idcard_sim, reader):
    card = sample_card("resident")
    card.extra_address = "北京市海淀区测试路9号"
    idcard_sim.place(card)
    reader.find()
    reader.select()
    assert reader.read_extra_address() == "北京市海淀区测试路9号"
    idcard_sim.place(sample_card("resident"))
    reader.find()
    reader.select()
    assert reader.read_extra_address() is None


def test_no_card(idcard_sim, reader):
    with pytest.raises(NoCard):
        reader.read_card()


def test_card_left_on_the_reader_is_reported_once_and_must_be_lifted(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    assert reader.read_card().card_type == "resident"
    for _ in range(3):
        with pytest.raises(CardNotLifted):
            reader.read_card()
    assert [r.command for r in idcard_sim.requests[-3:]] == [codec.FIND_CARD] * 3  # no second session started
    idcard_sim.lift()
    with pytest.raises(NoCard):
        reader.read_card()
    idcard_sim.place(sample_card("permit"))
    assert reader.read_card().card_type == "hk_mo_tw_permit"


def test_wait_for_card_waits_out_a_card_left_on_the_reader(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    reader.read_card()
    with pytest.raises(CardNotLifted):
        reader.wait_for_card(0.3)
    idcard_sim.lift()
    with pytest.raises(NoCard, match="within 0.3 s"):
        reader.wait_for_card(0.3)


def test_a_single_bad_checksum_is_retried(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    idcard_sim.inject("bad-checksum", times=1)
    assert reader.read_card().card_type == "resident"
    assert [r.command for r in idcard_sim.requests].count(codec.READ_TEXT_PHOTO) == 2


def test_bad_checksums_every_time(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    idcard_sim.inject("bad-checksum")
    with pytest.raises(ChecksumError, match="checksum"):
        reader.read_card()


def test_truncated_read_reply(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    idcard_sim.inject("truncated")
    with pytest.raises(TruncatedFrame, match=r"ended after 647 of 1295 bytes"):
        reader.read_card()
    idcard_sim.clear_faults()
    assert reader.read_card().card_type == "resident"  # the next command starts clean


def test_garbage_before_replies_is_skipped(idcard_sim, reader):
    idcard_sim.place(sample_card("foreigner2023"))
    for command in ("find", "select", "read"):
        idcard_sim.inject("garbage", command=command)
    assert reader.read_card().card_type == "foreigner_2023"


def test_garbage_instead_of_a_reply(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    idcard_sim.inject("garbage-only", command="find")
    with pytest.raises(MalformedFrame, match="not a frame"):
        reader.read_card()


def test_silence_after_recovered_garbage_is_still_reported_as_silence(idcard_sim, reader):
    idcard_sim.inject("garbage", command="sam_id", times=1)
    assert reader.sam_id()
    idcard_sim.inject("silent")
    with pytest.raises(ReaderSilent):
        reader.sam_status()


def test_unknown_card_type(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    idcard_sim.inject("unknown-card")
    with pytest.raises(UnknownCardType, match="unknown card type"):
        reader.read_card()


def test_an_unreadable_card_is_reported_once_until_lifted(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    idcard_sim.inject("unknown-card", times=1)
    with pytest.raises(UnknownCardType):
        reader.read_card()
    with pytest.raises(CardNotLifted, match="could not be read"):
        reader.read_card()  # not a second error report per poll while it lies there
    idcard_sim.lift()
    with pytest.raises(NoCard):
        reader.read_card()
    idcard_sim.place(sample_card("resident"))
    assert reader.read_card().card_type == "resident"


def test_reader_that_stops_answering(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    assert reader.sam_id()
    idcard_sim.inject("silent")
    with pytest.raises(ReaderSilent, match="reader silent"):
        reader.read_card()
    assert not reader.health().ok
    idcard_sim.clear_faults()
    assert reader.health().ok  # it answers again: nothing left over from the silence


@pytest.mark.parametrize("sw3, command, error", [
    (0x81, "select", SelectFailed), (0x41, "read", CardReadFailed), (0x91, "read", CardReadFailed),
    (0x31, "read", CardAuthenticationFailed), (0x32, "read", CardAuthenticationFailed),
    (0x33, "read", CardAuthenticationFailed), (0x47, "read", CardReadFailed),
    (0x23, "read", SamError), (0x66, "read", SamError), (0x10, "find", ReaderRejectedFrame),
    (0x21, "find", ReaderRejectedFrame),
])
def test_status_codes_from_the_reader_surface_as_typed_errors(idcard_sim, reader, sw3, command, error):
    idcard_sim.place(sample_card("resident"))
    idcard_sim.inject("status", command=command, sw3=sw3)
    with pytest.raises(error) as info:
        reader.read_card()
    assert info.value.status == sw3


def test_transient_read_failure_recovers_on_retry(idcard_sim, reader):
    idcard_sim.place(sample_card("resident"))
    idcard_sim.inject("status", command="read", sw3=0x41, times=1)
    assert reader.read_card().card_type == "resident"


def test_simulator_answers_a_corrupt_request_with_its_checksum_status(idcard_sim):
    import serial

    with serial.Serial(idcard_sim.port, 115200, timeout=1) as port:
        frame = bytearray(codec.encode_request(codec.FIND_CARD))
        frame[-1] ^= 0xFF
        port.write(bytes(frame))
        assert codec.parse_response(port.read(11)).sw3 == 0x10


def test_unplug_and_replug_reopens_by_the_by_id_link(tmp_path):
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    link = by_id / "usb-Synjones_IDCard_Reader_0001-if00-port0"
    with IdCardSimulator(link) as sim:
        sim.place(sample_card("resident"))
        device_path = os.path.realpath(link)  # what the technician configured, e.g. /dev/ttyUSB0
        with IdCardReader(device_path, timeout_s=TIMEOUT, by_id_dir=str(by_id),
                          backoff=Backoff(initial_s=0.05, cap_s=0.2)) as reader:
            assert reader.port == str(link)
            assert reader.read_card().card_type == "resident"
            sim.unplug()
            with pytest.raises(DeviceUnavailable, match="lost the reader"):
                reader.sam_id()
            with pytest.raises(DeviceUnavailable):
                reader.sam_id()  # still unplugged: reopen fails, backoff starts
            spare = os.openpty()  # something else takes the old device number meanwhile
            try:
                sim.replug()      # the reader comes back under a new name; only the by-id link leads to it
                assert os.path.realpath(link) != device_path
            finally:
                os.close(spare[0])
                os.close(spare[1])
            sim.lift()
            with pytest.raises(NoCard):
                reader.wait_for_card(0.5)  # reconnects while waiting; sees the card gone
            sim.place(sample_card("permit"))
            card = reader.wait_for_card(3.0)
            assert card.card_type == "hk_mo_tw_permit"
            assert reader.health().ok


def test_backoff_is_capped():
    backoff = Backoff(initial_s=0.1, cap_s=0.5)
    assert [backoff.failed() for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    backoff.succeeded()
    assert backoff.failed() == 0.1


def test_missing_port_is_unavailable(tmp_path):
    with pytest.raises(DeviceUnavailable, match="cannot open"):
        IdCardReader(str(tmp_path / "nothing"), timeout_s=TIMEOUT)


def test_port_is_exclusive_and_released_by_close_and_by_a_failed_constructor(idcard_sim):
    first = IdCardReader(idcard_sim.port, timeout_s=TIMEOUT)
    with pytest.raises(DeviceUnavailable):
        IdCardReader(idcard_sim.port, timeout_s=TIMEOUT)  # a second user is refused, not interleaved
    first.close()
    first.close()  # idempotent
    taken = []

    def factory_unplugged_right_after_open(path, timeout_s):
        from drivers.idcard.port import open_serial

        taken.append(open_serial(path, timeout_s))
        idcard_sim.unplug()  # the cable is pulled between open and the first flush
        return taken[-1]

    with pytest.raises(DeviceUnavailable, match="not usable"):
        IdCardReader(idcard_sim.port, timeout_s=TIMEOUT, serial_factory=factory_unplugged_right_after_open)
    assert not taken[0].is_open  # the constructor released what it took
    idcard_sim.replug()
    with IdCardReader(idcard_sim.port, timeout_s=TIMEOUT) as again:
        assert again.sam_id()


def test_closed_reader_refuses_commands(idcard_sim):
    reader = IdCardReader(idcard_sim.port, timeout_s=TIMEOUT)
    reader.close()
    with pytest.raises(DeviceUnavailable, match="closed"):
        reader.sam_id()


def test_logs_carry_masked_identifiers_only(idcard_sim, reader):
    import io
    import json

    from terminal.logs import setup_logging

    stream = io.StringIO()
    handler = setup_logging("debug", stream)
    try:
        idcard_sim.place(sample_card("resident"))
        idcard_sim.inject("bad-checksum", times=1)  # a retry line too
        card = reader.read_card()
        with pytest.raises(CardNotLifted):
            reader.read_card()
    finally:
        logging.getLogger().removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    read = next(line for line in lines if line["event"] == "idcard.read")
    assert read["id_number"] == "1101**********002X" and read["card_type"] == "resident"
    assert any(line["event"] == "idcard.read_retry" for line in lines)
    text = stream.getvalue()
    assert card.id_number not in text and card.name not in text and card.address not in text


# --- the WLT photo plug-in -------------------------------------------------------------------

def plugin(tmp_path, name: str, body: str) -> str:
    path = tmp_path / name
    path.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


GOOD_DECODER = """
import sys, struct
wlt = sys.stdin.buffer.read()
assert len(wlt) == 1024
sys.stdout.buffer.write(b"BM" + struct.pack("<I", 38610) + bytes(38604))
"""


def test_photo_decoder_plugin_makes_the_photo_available(idcard_sim, tmp_path):
    decoder = PhotoDecoder(plugin(tmp_path, "wlt2bmp", GOOD_DECODER), timeout_s=5)
    with IdCardReader(idcard_sim.port, timeout_s=TIMEOUT, photo_decoder=decoder) as reader:
        idcard_sim.place(sample_card("resident"))
        card = reader.read_card()
    assert card.photo_available and card.photo_image.startswith(b"BM")
    assert card.to_dict()["photo_available"] is True


@pytest.mark.parametrize("body, problem", [
    ("import time\ntime.sleep(30)\n", "did not finish within 0.5 s"),
    ("import sys\nsys.stderr.write('licence file missing\\n')\nsys.exit(3)\n", "status 3: licence file missing"),
    ("import sys\nsys.stdout.write('not an image')\n", "not a BMP"),
])
def test_failing_photo_decoder_leaves_the_photo_unavailable(idcard_sim, tmp_path, body, problem):
    decoder = PhotoDecoder(plugin(tmp_path, "bad", body), timeout_s=0.5)
    with IdCardReader(idcard_sim.port, timeout_s=TIMEOUT, photo_decoder=decoder) as reader:
        idcard_sim.place(sample_card("resident"))
        card = reader.read_card()
    assert not card.photo_available and len(card.photo_wlt) == 1024
    assert problem in decoder.last_problem


def test_photo_decoder_that_cannot_start(tmp_path):
    decoder = PhotoDecoder(str(tmp_path / "missing"))
    assert decoder.available and "not an executable" in decoder.problem_with_command()
    assert decoder.decode(bytes(1024)) is None and "could not start" in decoder.last_problem
    assert PhotoDecoder(None).decode(bytes(1024)) is None


# --- fuzzing the driver itself, through the pty ------------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from drivers.idcard import IdCardError  # noqa: E402

replies = st.one_of(
    st.binary(max_size=200),
    st.builds(lambda sw3, data, flip: (lambda f: f[:flip % len(f)] + bytes([f[flip % len(f)] ^ 0x41])
                                       + f[flip % len(f) + 1:])(codec.encode_response(sw3, data)),
              st.integers(0, 255), st.binary(max_size=300), st.integers(0, 400)),
    st.builds(lambda sw3, data: codec.encode_response(sw3, data), st.integers(0, 255), st.binary(max_size=40)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(reply=replies, command=st.sampled_from(["find", "sam_id", "read"]))
def test_fuzz_any_reply_gives_a_result_or_a_typed_error(idcard_sim, command, reply):
    idcard_sim.clear_faults()
    idcard_sim.place(sample_card("resident"))
    with IdCardReader(idcard_sim.port, timeout_s=0.3) as reader:
        idcard_sim.reply_with(reply, command=command)
        try:
            if command == "sam_id":
                reader.sam_id()
            else:
                reader.read_card()
        except IdCardError:
            pass
        idcard_sim.clear_faults()
        reader.timeout_s = 2.0
        assert reader.sam_id()  # the link is still usable afterwards


@pytest.mark.parametrize("setting, value", [("timeout_s", 0), ("retries", -1), ("poll_interval_s", "fast"),
                                            ("timeout_s", float("nan")), ("timeout_s", float("inf")),
                                            ("poll_interval_s", float("nan"))])
def test_bad_settings_are_refused_by_name_before_the_port_is_opened(idcard_sim, setting, value):
    from drivers.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=setting):
        IdCardReader(idcard_sim.port, **{setting: value})
    with IdCardReader(idcard_sim.port, timeout_s=TIMEOUT) as reader:  # nothing was left holding the port
        assert reader.sam_id()


def test_open_idcard_reads_fingerprints_when_configured(idcard_sim, sim_config):
    from terminal.schema import load_config, parse_config

    path = sim_config("kiosk")
    text = path.read_text().replace("read_fingerprint = false", "read_fingerprint = true")
    text = text.replace(f'port = "{load_config(path).idcard.port}"', f'port = "{idcard_sim.port}"')
    section = parse_config(text).idcard
    idcard_sim.place(sample_card("resident"))
    with open_idcard(section) as reader:
        assert reader.read_card().fingerprint == sample_card("resident").fingerprint


def test_reader_that_halts_a_read_card_never_yields_it_twice(tmp_path):
    with IdCardSimulator(tmp_path / "idcard.pty", halt_after_read=True) as sim, \
            IdCardReader(sim.port, timeout_s=TIMEOUT) as reader:
        sim.place(sample_card("resident"))
        assert reader.read_card().card_type == "resident"
        for _ in range(3):
            with pytest.raises(NoCard):  # this reader reports the halted card as absent
                reader.read_card()
        sim.lift()
        sim.place(sample_card("foreigner2017"))
        assert reader.read_card().card_type == "foreigner_2017"
