"""The AT response parser and the channel's handling of whatever bytes a modem sends back."""

import os
import threading
import tty

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from drivers.errors import DeviceError, DeviceTimeout
from drivers.sms.at import ascii_int, final_result, parse_cmgs, parse_cpin, parse_csq, parse_registration, result_error
from drivers.sms.channel import AtChannel
from drivers.sms.errors import CmeError, CmsError, ModemProtocolError, NoNetwork, SimNotReady, modem_error
from drivers.sms.modem import Modem


def test_final_results():
    assert final_result("OK") == "OK" and final_result("ERROR") == "ERROR"
    assert final_result("+CMS ERROR: 500") == ("CMS", 500, "unknown error")
    assert final_result("+CME ERROR: 10") == ("CME", 10, "SIM not inserted")
    assert final_result("+CME ERROR: SIM not inserted") == ("CME", 10, "SIM not inserted")
    assert final_result("+CMS ERROR: modem on fire") == ("CMS", None, "modem on fire")
    assert final_result("+CSQ: 20,99") is None and final_result("OKAY") is None


def test_codes_become_typed_errors_with_words():
    err = modem_error("CMS", 1)
    assert isinstance(err, CmsError) and not err.transient
    assert "+CMS ERROR: 1 (unassigned (unallocated) number)" in str(err) and "recipient" in str(err)
    assert isinstance(modem_error("CMS", 310), SimNotReady)
    assert isinstance(modem_error("CMS", 331), NoNetwork)
    assert isinstance(modem_error("CME", 30), NoNetwork)
    assert isinstance(modem_error("CME", 3), CmeError) and "operation not allowed" in str(modem_error("CME", 3))
    assert "code not in the standard" in str(modem_error("CMS", 777))
    assert "SMSC" in str(modem_error("CMS", 330))
    plain = result_error("ERROR")
    assert isinstance(plain, DeviceError) and plain.code is None


def test_health_lines():
    assert parse_csq("+CSQ: 31,0").dbm == -51
    assert parse_csq("+CSQ: 99,99").describe() == "no signal"
    assert parse_registration("+CREG: 0,1", "+CREG").state == "home"
    assert parse_registration("+CREG: 2,5,\"1A2B\",\"01C3D4E5\"", "+CREG").registered
    assert parse_registration("+CREG: 1,\"1234\",\"5678\"", "+CREG").state == "home"    # unsolicited form
    assert not parse_registration("+CEREG: 0,2", "+CEREG").registered
    assert parse_cpin("+CPIN: READY") == "READY"
    assert parse_cmgs("+CMGS: 17") == 17


@pytest.mark.parametrize("line, parser", [
    ("+CSQ: 40,99", parse_csq), ("+CSQ: x,1", parse_csq), ("+CSQ: 1", parse_csq), ("+CREG: 0", parse_csq),
    ("+CREG: 0,42", lambda line: parse_registration(line, "+CREG")), ("+CPIN:", parse_cpin),
    ("+CMGS: 300", parse_cmgs), ("", parse_cpin),
])
def test_malformed_lines_are_protocol_errors(line, parser):
    with pytest.raises(ModemProtocolError):
        parser(line)


# Digits that are not ASCII: '²' (str.isdigit() is true, int() fails), full-width and Arabic-Indic
# (int() reads them): a number from a modem is valid only in the digits 0-9.
NOT_ASCII = ["²", "１２３", "١٢٣", "1²", "２0"]

lines = st.one_of(
    st.text(max_size=60),
    st.sampled_from(["+CSQ: ", "+CREG: ", "+CEREG: ", "+CPIN: ", "+CMGS: ", "+CMS ERROR: ", "+CME ERROR: "])
    .flatmap(lambda p: st.text(alphabet="0123456789,\" ABCDEFx-²³¹１２３٠١٢٣۴०", max_size=30).map(lambda s: p + s)),
)


@settings(max_examples=300, deadline=None)
@example("+CSQ: ²,99")             # crashed with ValueError from int()
@example("+CMS ERROR: ²")          # likewise
@example("+CREG: 0,١")             # was read as registered (home)
@example('+CREG: 0,1,"٣"')         # the area code is not read: stat 1 is valid
@example("+CMGS: 5,٣")             # likewise the optional fields after the reference
@given(lines)
def test_fuzz_parsers_raise_only_protocol_errors(line):
    final = final_result(line)
    if isinstance(final, tuple) and final[1] is not None:
        assert line.split(":", 1)[1].strip().isascii()     # a code only from ASCII digits
    def number_fields(line):                 # the fields a parser reads its numbers from
        raw = [f.strip().strip('"') for f in line.split(":", 1)[-1].split(",")]
        if line.startswith("+CSQ:"):
            return raw
        if line.startswith("+CMGS:"):
            return raw[:1]
        return raw[:1] if len(raw) == 1 or line.split(",")[1].strip().startswith('"') else raw[1:2]

    for parser in (parse_csq, parse_cmgs, lambda x: parse_registration(x, "+CREG"),
                   lambda x: parse_registration(x, "+CEREG")):
        try:
            parser(line)
        except ModemProtocolError:
            pass
        else:                                # never "valid" from digits that are not ASCII
            assert all(f.isascii() and f.isdigit() for f in number_fields(line))
    try:
        parse_cpin(line)
    except ModemProtocolError:
        pass


@pytest.mark.parametrize("digits", NOT_ASCII)
def test_numbers_in_other_digits_are_protocol_errors_with_a_reason(digits):
    for line, parser, words in [
        (f"+CSQ: {digits},99", parse_csq, "signal"),
        (f"+CSQ: 20,{digits}", parse_csq, "bit error rate"),
        (f"+CREG: 0,{digits}", lambda x: parse_registration(x, "+CREG"), "state"),
        (f"+CEREG: {digits}", lambda x: parse_registration(x, "+CEREG"), "state"),
        (f"+CMGS: {digits}", parse_cmgs, "message reference"),
    ]:
        with pytest.raises(ModemProtocolError, match="is not an ASCII digit 0-9") as info:
            parser(line)
        assert words in str(info.value) and f"{digits!r} is not a number" in str(info.value)
    assert ascii_int(digits) is None


@pytest.mark.parametrize("digits", NOT_ASCII)
def test_an_error_code_in_other_digits_has_no_code_and_keeps_its_text(digits):
    assert final_result(f"+CMS ERROR: {digits}") == ("CMS", None, digits)
    assert final_result(f"+CME ERROR: {digits}") == ("CME", None, digits)
    assert f"({digits})" in str(result_error(final_result(f"+CMS ERROR: {digits}")))


class ScriptedModem:
    """A pty peer that answers the next command with given bytes; ``AT`` (the recovery probe) gets OK."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        self.port = os.ttyname(self.slave)
        self.answer = b""
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        import select

        line = b""
        while not self.stop.is_set():
            if not select.select([self.master], [], [], 0.05)[0]:
                continue
            try:
                data = os.read(self.master, 1024)
            except OSError:
                return
            for byte in data:
                if byte == 0x0D:
                    os.write(self.master, b"\r\nOK\r\n" if line.strip(b"\x1b") == b"AT" else self.answer)
                    line = b""
                elif byte != 0x0A:
                    line += bytes([byte])

    def close(self):
        self.stop.set()
        self.thread.join()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture(scope="module")
def scripted():
    modem = ScriptedModem()
    yield modem
    modem.close()


finals = st.sampled_from([b"OK", b"ERROR", b"+CMS ERROR: 38", b"+CME ERROR: 10", b"+CMS ERROR: junk", b"",
                          "+CMS ERROR: ²".encode(), "+CME ERROR: １０".encode(), "+CMS ERROR: ٣٨".encode()])
bodies = st.lists(st.one_of(st.binary(max_size=40), st.text(max_size=30).map(str.encode),
                            st.sampled_from([b"+CSQ: 99,99", b"+CSQ: 20", b"> ", b">", b"\x00\xff", b"RING",
                                             "+CSQ: ²,99".encode(), "+CSQ: ٢٠,99".encode()])),
                  max_size=4)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, final=finals, sep=st.sampled_from([b"\r\n", b"\r", b"\n"]))
def test_fuzz_channel_with_random_answers(scripted, body, final, sep):
    """Whatever comes back, the channel returns lines or raises a typed error, within its timeout."""
    scripted.answer = b"".join(sep + b + sep for b in body) + (sep + final + sep if final else b"")
    with AtChannel(scripted.port, timeout_s=0.3, init_commands=()) as channel:
        try:
            result = channel.command("AT+CSQ")
        except DeviceError as exc:
            assert str(exc).startswith("sms: ")
            if not final:
                assert isinstance(exc, (DeviceTimeout, ModemProtocolError))
        else:
            assert final == b"OK" and all(isinstance(x, str) for x in result)


def test_modem_that_answers_only_the_probe_gives_up_in_bounded_time(scripted):
    """AT gets OK but ATE0 gets nothing: recovery must not loop; the constructor fails with a timeout."""
    scripted.answer = b""
    with pytest.raises(DeviceTimeout, match="not answering"):
        AtChannel(scripted.port, timeout_s=0.2)


def test_garbage_without_line_breaks_is_a_protocol_error(scripted):
    scripted.answer = b"x" * 5000
    with AtChannel(scripted.port, timeout_s=0.5, init_commands=()) as channel:
        with pytest.raises(ModemProtocolError, match="without a line break"):
            channel.command("AT+CSQ")


@pytest.mark.parametrize("digits", NOT_ASCII)
def test_a_modem_answering_in_other_digits_is_refused_with_a_reason(scripted, digits):
    """Over the pty, through the real driver: the bytes of '+CSQ: ²,99' (UTF-8) are not a signal."""
    scripted.answer = f"\r\n+CSQ: {digits},99\r\n\r\nOK\r\n".encode()
    with Modem(scripted.port, timeout_s=0.5) as modem:
        with pytest.raises(ModemProtocolError, match="signal .* is not a number in 0-99"):
            modem.signal()
        scripted.answer = f"\r\n+CREG: 0,{digits}\r\n\r\nOK\r\n".encode()
        with pytest.raises(ModemProtocolError, match=r"\+CREG state .* is not a number in 0-11"):
            modem.registration()
