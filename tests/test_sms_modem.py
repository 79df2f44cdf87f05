"""The modem backend against the pty simulator: sending, health, every failure mode, recovery."""

import io
import json
import os
import threading
import time
import tty

import pytest
import serial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.errors import DeviceTimeout, DeviceUnavailable
from drivers.sms.errors import CmsError, InvalidMessage, KeyConflict, NoNetwork, SimNotReady
from drivers.sms.modem import Modem, ModemSms
from drivers.sms.sim import PROMPTS, ModemSimulator

PHONE = "+8613800138000"
LONG_ZH = "【人事服务】您的在职证明已打印完成，请在自助终端出纸口取件。如非本人操作，请致电人力资源共享服务中心。" * 2


@pytest.fixture
def sms(modem_sim):
    with ModemSms(modem_sim.port, timeout_s=0.5, send_timeout_s=1.0) as sender:
        yield sender


def test_short_message_goes_out_as_one_gsm_part(modem_sim, sms):
    result = sms.send("13800138000", "Your code is 123456")
    assert result.parts == 1 and result.transport == "modem" and not result.duplicate
    (msg,) = modem_sim.messages
    assert (msg.recipient, msg.text, msg.encoding) == ("13800138000", "Your code is 123456", "gsm7")
    assert "AT+CMGF=0" in modem_sim.commands and "AT+CPIN?" in modem_sim.commands


def test_long_chinese_text_is_split_and_reassembled(modem_sim, sms, tmp_path):
    assert 70 < len(LONG_ZH) <= 134
    result = sms.send(PHONE, LONG_ZH)
    assert result.parts == 2 == len(result.references)
    (msg,) = modem_sim.messages
    assert (msg.recipient, msg.text, msg.parts, msg.encoding) == (PHONE, LONG_ZH, 2, "ucs2")
    recorded = json.loads((tmp_path / "inbox.jsonl").read_text().splitlines()[0])
    assert recorded["text"] == LONG_ZH


def test_three_part_message_shares_one_reference(modem_sim, sms):
    text = "验" * 150
    assert sms.send(PHONE, text).parts == 3
    sms.send(PHONE, text)
    assert [m.text for m in modem_sim.messages] == [text, text]
    assert modem_sim.messages[0].reference != modem_sim.messages[1].reference  # each message its own reference
    assert sum(c.startswith("AT+CMGS=") for c in modem_sim.commands) == 6


def test_sign_is_prefixed(modem_sim):
    with ModemSms(modem_sim.port, timeout_s=0.5, sign="【人事服务】") as sms:
        sms.send(PHONE, "验证码 123456")
    assert modem_sim.messages[0].text == "【人事服务】验证码 123456"


def test_same_key_is_not_sent_twice(modem_sim, sms):
    first = sms.send(PHONE, "验证码 123456", key="otp-1")
    again = sms.send(PHONE, "验证码 123456", key="otp-1")
    assert again.duplicate and again.references == first.references
    assert len(modem_sim.messages) == 1
    with pytest.raises(KeyConflict):
        sms.send(PHONE, "验证码 654321", key="otp-1")


def test_health_of_a_ready_modem(modem_sim):
    with Modem(modem_sim.port, timeout_s=0.5) as modem:
        health = modem.health()
    assert health.ok and health.details["registration"] == "home" and health.details["signal_dbm"] == -67


def test_roaming_and_weak_signal(tmp_path):
    with ModemSimulator(roaming=True, signal=1) as sim, Modem(sim.port, timeout_s=0.5) as modem:
        health = modem.health()
    assert not health.ok and "roaming" in health.summary and "poor" in health.summary


def test_no_sim(modem_sim, sms):
    modem_sim.set_fault("no-sim")
    health = sms.health()
    assert not health.ok and "SIM not inserted" in health.summary
    with pytest.raises(SimNotReady, match=r"\+CME ERROR: 10 \(SIM not inserted\)"):
        sms.send(PHONE, "hello")
    assert not modem_sim.messages


def test_no_signal(modem_sim, sms):
    modem_sim.set_fault("no-signal")
    health = sms.health()
    assert not health.ok and "not registered (searching)" in health.summary and "no signal" in health.summary
    with pytest.raises(NoNetwork, match="not registered on a network"):
        sms.send(PHONE, "hello")


@pytest.mark.parametrize("code, meaning, transient", [
    (38, "network out of order", True), (1, "unassigned (unallocated) number", False),
    (500, "unknown error", True), (330, "SMSC address unknown", False),
])
def test_cms_errors_are_typed_with_their_meaning(modem_sim, sms, code, meaning, transient):
    modem_sim.set_fault("cms-error", cms_code=code)
    with pytest.raises(CmsError) as info:
        sms.send(PHONE, "hello")
    assert info.value.code == code and info.value.transient is transient
    assert f"+CMS ERROR: {code} ({meaning})" in str(info.value)
    modem_sim.set_fault(None)
    sms.send(PHONE, "hello")
    assert len(modem_sim.messages) == 1


def test_cms_error_on_no_network_while_sending(modem_sim, sms):
    modem_sim.set_fault("cms-error", cms_code=331)
    with pytest.raises(NoNetwork, match="331"):
        sms.send(PHONE, "hello")


def test_a_failed_part_says_how_many_parts_went_out(modem_sim, sms):
    modem_sim.set_fault("hang-on-submit")
    with pytest.raises(DeviceTimeout, match="may or may not have been sent") as info:
        sms.send(PHONE, "验" * 150)
    assert info.value.parts_sent == 0


def test_hang_times_out_and_the_port_recovers(modem_sim, sms):
    modem_sim.set_fault("hang")
    with pytest.raises(DeviceTimeout) as info:
        sms.send(PHONE, "hello")
    assert "power-cycle" in str(info.value)
    health = sms.health()
    assert not health.ok and "not answering" in health.summary
    modem_sim.set_fault(None)
    sms.send(PHONE, "hello again")
    assert [m.text for m in modem_sim.messages] == ["hello again"]


def test_stuck_submit_is_aborted_with_esc(modem_sim, sms):
    modem_sim.set_fault("hang-on-submit")
    with pytest.raises(DeviceTimeout, match="may or may not have been sent") as info:
        sms.send(PHONE, "hello")
    assert "recovered" in str(info.value)
    assert modem_sim.aborted == 1 and not modem_sim.messages
    modem_sim.set_fault(None)
    sms.send(PHONE, "hello")
    assert len(modem_sim.messages) == 1


def test_modem_reset_to_echo_and_verbose_errors_is_handled(modem_sim, sms):
    sms.modem.command("ATZ")          # echo back on, CMEE 0, text mode: the driver must cope
    sms.modem.command("AT+CMEE=2")
    sms.modem.command("AT+CMGF=0")
    sms.send(PHONE, "echo on")
    assert modem_sim.messages[-1].text == "echo on"
    modem_sim.set_fault("no-sim")
    with pytest.raises(SimNotReady, match="SIM not inserted"):
        sms.send(PHONE, "hello")


def test_silent_modem_fails_the_constructor_and_releases_the_port(modem_sim):
    modem_sim.set_fault("hang")
    with pytest.raises(DeviceTimeout):
        ModemSms(modem_sim.port, timeout_s=0.3)
    modem_sim.set_fault(None)
    with serial.Serial(modem_sim.port, exclusive=True):   # nobody holds it any more
        pass


def test_missing_port_is_unavailable(tmp_path):
    with pytest.raises(DeviceUnavailable, match="cannot open modem port .*No such file"):
        ModemSms(str(tmp_path / "ttyUSB9"))


def test_unplugged_modem_is_reported_then_found_again(tmp_path):
    link = tmp_path / "modem"
    sim = ModemSimulator(link)
    sms = ModemSms(str(link), timeout_s=0.3)
    sim.close()
    with pytest.raises((DeviceUnavailable, DeviceTimeout)):
        sms.send(PHONE, "hello")
    with ModemSimulator(link) as replugged:
        sms.send(PHONE, "after replug")
        assert [m.text for m in replugged.messages] == ["after replug"]
    sms.close()


def test_bad_input_is_refused_before_the_modem(modem_sim, sms):
    with pytest.raises(InvalidMessage):
        sms.send("not a number", "hello")
    with pytest.raises(InvalidMessage):
        sms.send(PHONE, "   ")
    with pytest.raises(InvalidMessage, match="SMS parts"):
        sms.send(PHONE, "验" * 900)
    assert not any(c.startswith("AT+CMGS") for c in modem_sim.commands)


def test_phone_numbers_are_masked_in_the_log(modem_sim, sms):
    from terminal.logs import setup_logging

    stream = io.StringIO()
    setup_logging("debug", stream)
    try:
        sms.send(PHONE, "hello")
        modem_sim.set_fault("cms-error", cms_code=38)
        with pytest.raises(CmsError):
            sms.send(PHONE, "hello")
    finally:
        setup_logging("warning", io.StringIO())
    text = stream.getvalue()
    assert "sms.sent" in text and "sms.send_failed" in text
    assert "13800138000" not in text and "138****8000" in text


@pytest.fixture(scope="module")
def shared_sim():
    with ModemSimulator() as s:
        yield s


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.lists(st.one_of(st.binary(max_size=60),
                               st.sampled_from([b"AT+CMGS=20\r", b"AT+CMGS=\"10086\"\r", b"AT+CMGF=1\r", b"ATE1\r",
                                                b"AT+CREG=2\r", b"\x1a", b"\x1b", b"AT+CMEE=9\r", b"AT" * 600,
                                                "AT+CMGS=²\r".encode(), "AT+CMGS=１２\r".encode(),
                                                "AT+CMGS=\"١٢٣\"\r".encode(), "AT+CMEE=١\r".encode()])),
                     max_size=6))
def test_fuzz_simulator_survives_any_input(shared_sim, junk):
    """Whatever a driver sends, the simulated modem keeps answering (after ESC, like a real one)."""
    with serial.Serial(shared_sim.port, timeout=0.05) as port:
        for chunk in junk:
            port.write(chunk)
        port.write(b"\x1b\r")
        time.sleep(0.02)
        port.reset_input_buffer()
    with ModemSms(shared_sim.port, timeout_s=0.5) as sms:
        sms.send(PHONE, "still alive")
    assert shared_sim.messages[-1].text == "still alive"


def test_sim_without_service_centre():
    with ModemSimulator(service_centre="") as sim, ModemSms(sim.port, timeout_s=0.5) as sms:
        health = sms.health()
        assert not health.ok and "no SMS centre number" in health.summary
        with pytest.raises(CmsError, match=r"330 \(SMSC address unknown\).*AT\+CSCA"):
            sms.send(PHONE, "hello")


def test_simulator_stops_even_when_its_client_never_reads():
    """A client that writes and never reads fills the pty; the simulator must still stop on close()."""
    sim = ModemSimulator()
    client = os.open(sim.port, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        tty.setraw(client)
        full, deadline = 0, time.monotonic() + 10
        while full < 20 and time.monotonic() < deadline:   # until the echo and replies have nowhere to go
            try:
                os.write(client, b"AT\r" * 100)
            except BlockingIOError:
                full += 1
                time.sleep(0.01)
        sim.close()
        assert not sim._thread.is_alive()
    finally:
        os.close(client)


def test_a_closed_modem_refuses_commands_and_does_not_reopen_its_port(modem_sim):
    modem = Modem(modem_sim.port, timeout_s=0.5)
    modem.close()
    with pytest.raises(DeviceUnavailable, match="closed"):
        modem.sim_state()
    health = modem.health()
    assert not health.ok and "closed" in health.summary
    with serial.Serial(modem_sim.port, exclusive=True):   # the closed modem holds nothing
        pass


@pytest.mark.parametrize("setting, value", [("timeout_s", float("nan")), ("timeout_s", 0), ("timeout_s", -1),
                                            ("send_timeout_s", float("inf")), ("send_timeout_s", 0),
                                            ("max_parts", 0), ("validity_s", 0)])
def test_bad_settings_are_refused_by_name_before_the_port_is_opened(modem_sim, setting, value):
    from drivers.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=setting):
        ModemSms(modem_sim.port, **{setting: value})
    with serial.Serial(modem_sim.port, exclusive=True):   # nothing was left holding the port
        pass


def test_the_same_key_sent_from_two_threads_goes_out_once(modem_sim, sms):
    barrier, results = threading.Barrier(2), []

    def send():
        barrier.wait()
        results.append(sms.send(PHONE, "验证码 123456", key="otp-race"))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(modem_sim.messages) == 1
    assert sorted(r.duplicate for r in results) == [False, True]


def test_an_inbox_that_cannot_be_written_is_refused_at_start(tmp_path):
    from drivers.errors import ConfigurationError

    (tmp_path / "inbox").mkdir()
    with pytest.raises(ConfigurationError, match="record"):
        ModemSimulator(record=tmp_path / "inbox")


def test_an_inbox_that_fails_later_does_not_silence_the_simulated_modem(tmp_path):
    inbox = tmp_path / "inbox.jsonl"
    with ModemSimulator(record=inbox) as sim, ModemSms(sim.port, timeout_s=0.5) as sms:
        inbox.unlink(missing_ok=True)
        inbox.mkdir()                     # appending now fails (like a full disk)
        sms.send(PHONE, "hello")
        sms.send(PHONE, "still here")
    assert [m.text for m in sim.messages] == ["hello", "still here"]


def test_a_modem_that_restarted_in_text_mode_still_gets_a_pdu_not_an_sms_to_the_length(modem_sim, sms):
    sms.send(PHONE, "before")
    modem_sim.restart(saved_text_mode=True)      # the driver's port stayed open; it cannot know
    sms.send(PHONE, "验证码 123456")
    assert [(m.recipient, m.text) for m in modem_sim.messages] == [(PHONE, "before"), (PHONE, "验证码 123456")]


# -- modem dialects: every form of the AT+CMGS prompt that real modems send ------------------------

@pytest.mark.parametrize("prompt, raw", PROMPTS.items())
def test_the_simulator_speaks_each_prompt_form(prompt, raw):
    """The bytes between AT+CMGS and the ESC that aborts it are exactly the prompt form asked for."""
    with ModemSimulator(prompt=prompt) as sim, serial.Serial(sim.port, timeout=5) as port:
        port.write(b"ATE0\r")
        assert port.read_until(b"OK\r\n").endswith(b"OK\r\n")
        port.write(b"AT+CMGS=20\r")
        assert port.read(len(raw)) == raw
        port.write(b"\x1b")
        assert port.read_until(b"OK\r\n") == b"\r\nOK\r\n"


@pytest.fixture(params=[False, True], ids=["no-echo", "echo"])
def dialect_sms(request):
    """A sender on a simulated modem of each prompt form (``request.param`` of the test), with the
    modem's echo off (as the driver sets it) or back on, so the echo of AT+CMGS precedes the prompt."""
    echo = request.param

    def make(prompt):
        sim = ModemSimulator(prompt=prompt)
        sms = ModemSms(sim.port, timeout_s=2, send_timeout_s=5)
        if echo:
            sms.modem.command("ATE1")
        made.append((sim, sms))
        return sim, sms

    made = []
    yield make
    for sim, sms in made:
        sms.close()
        sim.close()


@pytest.mark.parametrize("prompt", PROMPTS)
def test_a_single_part_message_is_sent_over_every_prompt_form(dialect_sms, prompt):
    sim, sms = dialect_sms(prompt)
    result = sms.send(PHONE, "验证码 123456")
    assert result.parts == 1 and len(result.references) == 1
    assert [(m.recipient, m.text, m.parts) for m in sim.messages] == [(PHONE, "验证码 123456", 1)]


@pytest.mark.parametrize("prompt", PROMPTS)
def test_a_three_part_message_is_sent_over_every_prompt_form(dialect_sms, prompt):
    sim, sms = dialect_sms(prompt)
    assert sms.send("13800138000", "验" * 150).parts == 3
    sms.send(PHONE, "Your code is 123456")       # the next message finds the channel in step
    assert [(m.recipient, m.text, m.parts) for m in sim.messages] == [
        ("13800138000", "验" * 150, 3), (PHONE, "Your code is 123456", 1)]
    assert sum(c.startswith("AT+CMGS=") for c in sim.commands) == 4


def test_the_sim7670_prompt_field_case():
    """SIMCom SIM7670G firmware 2382B02SIM767XM5A answers AT+CMGS with CR LF '>' CR LF (no space):
    the send used to fail with 'no > prompt after AT+CMGS within 3 s'."""
    with ModemSimulator(prompt="crlf") as sim, ModemSms(sim.port, timeout_s=3) as sms:
        assert sms.send(PHONE, "验证码 123456").parts == 1
    assert sim.messages[0].text == "验证码 123456"


def test_an_unknown_prompt_form_is_refused_by_name():
    from drivers.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="unknown prompt form 'nope'; choose one of space, crlf"):
        ModemSimulator(prompt="nope")


# -- digits that are not ASCII -----------------------------------------------------------------

@pytest.mark.parametrize("argument", ["²", "１２３", "١٢٣", "2²", '"１３８００１３８０００"', '"+86١٣٨"'])
@pytest.mark.parametrize("text_mode", [False, True], ids=["pdu", "text"])
def test_the_simulator_refuses_cmgs_arguments_in_other_digits(argument, text_mode):
    """AT+CMGS=<length> (PDU mode) or ="<number>" (text mode) in other digits: +CMS ERROR, no prompt,
    and the simulated modem goes on answering."""
    with ModemSimulator() as sim, serial.Serial(sim.port, timeout=5) as port:
        for setup in (b"ATE0\r", b"AT+CMEE=1\r", b"AT+CMGF=1\r" if text_mode else b"AT+CMGF=0\r"):
            port.write(setup)
            assert port.read_until(b"OK\r\n").endswith(b"OK\r\n")
        port.write(b"AT+CMGS=" + argument.encode() + b"\r")
        assert port.read_until(b"\r\n+CMS ERROR: 30").endswith(b"+CMS ERROR: 30")
        assert port.read_until(b"\r\n") == (b"5\r\n" if text_mode else b"4\r\n")
        port.write(b"AT\r")
        assert port.read_until(b"OK\r\n") == b"\r\nOK\r\n"
    assert not sim.messages and sim.commands[-1] == "AT"
