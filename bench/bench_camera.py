"""Camera simulator frame delivery at 640x480 grey, and GPIO input reaction on MockFactory.

Sources: ../shared/testdata/qr-public (real photos of QR codes, mixed sizes,
resized to 640x480 as they are decoded) when present, else synthetic PNGs;
and an MJPG video written here.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from pathlib import Path

import cv2
import numpy as np

from drivers.camera import CameraConfig, CameraSimulator

QR_PUBLIC = Path(__file__).resolve().parent.parent.parent / "shared" / "testdata" / "qr-public"


def _synthetic_folder(root: Path, n: int = 30) -> Path:
    folder = root / "frames"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for i in range(n):
        frame = cv2.GaussianBlur(rng.integers(0, 256, (480, 640), dtype=np.uint8), (9, 9), 0)
        cv2.imwrite(str(folder / f"{i:03d}.png"), frame)
    return folder


def _video(root: Path, n: int = 120) -> Path:
    path = root / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
    rng = np.random.default_rng(2)
    for _ in range(n):
        writer.write(cv2.GaussianBlur(rng.integers(0, 256, (480, 640, 3), dtype=np.uint8), (9, 9), 0))
    writer.release()
    return path


def _paced(source: Path, fps: float, seconds: float, label: str) -> None:
    config = CameraConfig(backend="sim", device=str(source), resolution=(640, 480), fps=fps)
    with CameraSimulator(config) as cam:
        cam.capture()
        stamps = []
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            cam.capture()
            stamps.append(time.monotonic())
        gaps = np.diff(stamps) * 1000
        achieved = (len(stamps) - 1) / (stamps[-1] - stamps[0])
        print(f"camera sim paced {label} @ {fps:g} fps requested: {achieved:.2f} frames/s achieved "
              f"({len(stamps)} frames, {cam.dropped} dropped, interval p50 {np.percentile(gaps, 50):.1f} ms "
              f"p95 {np.percentile(gaps, 95):.1f} ms)")


def _unthrottled(source: Path, seconds: float, label: str) -> None:
    config = CameraConfig(backend="sim", device=str(source), resolution=(640, 480), fps=30)
    with CameraSimulator(config, paced=False) as cam:
        cam.capture()
        n, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            cam.capture()
            n += 1
        elapsed = time.perf_counter() - started
    print(f"camera sim unthrottled {label}: {n / elapsed:.0f} frames/s (640x480 grey, decode + convert "
          f"+ resize, {n} frames, 2-core machine)")


def _gpio_reaction(bounce_s: float, runs: int = 200) -> None:
    from gpiozero.pins.mock import MockFactory

    from drivers.gpio import EnvelopeBeam

    factory = MockFactory()
    beam = EnvelopeBeam(27, bounce_s=bounce_s, pin_factory=factory)
    pin = factory.pin(27)
    pin.drive_low()
    beam.wait_for(is_closed=True, timeout_s=2)
    fired = threading.Event()
    beam.when_broken = fired.set
    delays = []
    for _ in range(runs):
        fired.clear()
        t0 = time.perf_counter()
        pin.drive_high()
        fired.wait(2)
        delays.append((time.perf_counter() - t0) * 1000)
        pin.drive_low()
        beam.wait_for(is_closed=True, timeout_s=2)
    beam.close()
    factory.close()
    print(f"gpio beam edge to when_broken, bounce {bounce_s * 1000:g} ms: median {statistics.median(delays):.2f} ms, "
          f"p95 {np.percentile(delays, 95):.2f} ms ({runs} breaks, MockFactory: software path only)")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        photos = QR_PUBLIC if QR_PUBLIC.is_dir() else None
        synthetic = _synthetic_folder(root)
        video = _video(root)
        for fps in (15, 30):
            _paced(synthetic, fps, 3.0, "PNG folder")
        if photos:
            _paced(photos, 15, 3.0, "qr-public photos")
        _paced(video, 30, 3.0, "MJPG video")
        _unthrottled(synthetic, 3.0, "PNG folder")
        if photos:
            _unthrottled(photos, 3.0, "qr-public photos")
        _unthrottled(video, 3.0, "MJPG video")
    _gpio_reaction(0.0)
    _gpio_reaction(0.010)
