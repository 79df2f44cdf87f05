"""SMS: send through the pty modem simulator (1 and 3 parts), PDU encode/decode rates."""

import logging
import statistics
import time

from drivers.sms.modem import ModemSms
from drivers.sms.pdu import decode_submit, encode_submit
from drivers.sms.sim import ModemSimulator

PHONE = "+8613800138000"
SHORT = "【人事服务】您的验证码是 123456，10 分钟内有效。"
LONG = "【人事服务】您的在职证明已打印完成，请在自助终端出纸口取件。" * 6      # 3 UCS2 parts


def _send_ms(sms: ModemSms, text: str, n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        sms.send(PHONE, text)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    logging.getLogger("drivers.sms").setLevel(logging.WARNING)
    with ModemSimulator() as sim, ModemSms(sim.port, timeout_s=2) as sms:
        sms.send(PHONE, "warm-up")
        n = 200
        for label, text in (("1 part", SHORT), ("3 parts", LONG)):
            median, p95 = _send_ms(sms, text, n)
            parts = len(encode_submit(PHONE, text))
            print(f"sms send via simulator, {label}: {median:.2f} ms median, {p95:.2f} ms p95 "
                  f"({n} messages, {parts} PDU(s) each, pty, incl. CPIN/CREG pre-check; the simulator answers at once, a real network takes seconds per part)")
        assert len(sim.messages) == 2 * n + 1

    n = 20000
    started = time.perf_counter()
    for i in range(n):
        encode_submit(PHONE, SHORT, reference=i % 256)
    rate = n / (time.perf_counter() - started)
    print(f"pdu encode: {rate:,.0f} messages/s (1-part UCS2, {len(SHORT)} chars)")

    pdus = [p.hex for p in encode_submit(PHONE, LONG)]
    started = time.perf_counter()
    for i in range(n):
        decode_submit(pdus[i % 3])
    rate = n / (time.perf_counter() - started)
    print(f"pdu decode: {rate:,.0f} PDUs/s (67-char UCS2 parts with concatenation header)")

    gsm = encode_submit(PHONE, "Your code is 123456. " * 7)[0].hex
    started = time.perf_counter()
    for _ in range(n):
        decode_submit(gsm)
    rate = n / (time.perf_counter() - started)
    print(f"pdu decode: {rate:,.0f} PDUs/s (147-char GSM 7-bit single part)")
