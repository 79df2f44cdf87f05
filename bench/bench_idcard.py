"""ID-card reader: one full read (find+select+read) through the simulator, and codec frames/s."""

import statistics
import struct
import tempfile
import time
from pathlib import Path

from drivers.idcard import IdCardReader, IdCardSimulator, NoCard, sample_card
from drivers.idcard.codec import FrameDecoder, encode_response, parse_response

READS = 50


def _reads(pace_baud: int | None, count: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        with IdCardSimulator(Path(tmp) / "idcard.pty", pace_baud=pace_baud) as sim, \
                IdCardReader(sim.port, timeout_s=3.0) as reader:
            card = sample_card("resident")
            timings = []
            for _ in range(count):
                sim.place(card)
                started = time.perf_counter()
                reader.read_card()
                timings.append((time.perf_counter() - started) * 1000)
                sim.lift()
                try:
                    reader.read_card()  # sees the card lifted (clears the lift-before-next-read latch)
                except NoCard:
                    pass
            return timings


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def _frames_per_s(frame: bytes, seconds: float = 1.0) -> tuple[float, float]:
    n, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            parse_response(frame)
        n += 200
    parse_rate = n / (time.perf_counter() - started)
    stream, n = frame * 200, 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        decoder = FrameDecoder()
        for got in decoder.feed(stream):
            parse_response(got)
        n += 200
    return parse_rate, n / (time.perf_counter() - started)


def main() -> None:
    for label, pace in (("pty, no line delay", None), ("pty paced at 115200 baud like the real link", 115200)):
        timings = _reads(pace, READS)
        print(f"idcard full read (find+select+read+decode), median: {statistics.median(timings):.2f} ms "
              f"({label}; {READS} reads)")
        print(f"idcard full read (find+select+read+decode), p95: {_p95(timings):.2f} ms ({label}; {READS} reads)")
    text, photo = sample_card("resident").text, sample_card("resident").photo
    read_reply = encode_response(0x90, struct.pack(">HH", 256, 1024) + text + photo)
    short = encode_response(0x9F, bytes(4))
    for name, frame in (("1295-byte read reply", read_reply), (f"{len(short)}-byte find reply", short)):
        parse_rate, stream_rate = _frames_per_s(frame)
        print(f"idcard codec parse: {parse_rate:,.0f} frames/s ({name}, parse_response incl. checksum)")
        print(f"idcard codec stream decode+parse: {stream_rate:,.0f} frames/s ({name}, 200 frames per feed)")
