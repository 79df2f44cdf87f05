"""Pictures for the camera simulator: an idle scene, and QR codes held up to the camera.

The idle frames differ by sensor-like noise, so the liveness check sees a
live camera; a QR frame is a real QR code (OpenCV's encoder) on that scene.

>>> import tempfile, pathlib
>>> from drivers.camera.scene import write_scene, write_qr
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "camera"
>>> len(write_scene(folder, frames=4))
4
>>> write_qr(folder, "DBX-ENV-0001").name.startswith("qr-")
True
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import cv2
import numpy as np

from drivers.errors import ConfigurationError


def _desk(width: int, height: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    coarse = rng.integers(60, 200, (max(2, height // 40), max(2, width // 40)), dtype=np.uint8)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)


def _noisy(base: np.ndarray, seed: int) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(0, 3, base.shape)
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def write_scene(folder: Path, *, frames: int = 8, resolution: tuple[int, int] = (640, 480)) -> list[Path]:
    """Write ``frames`` idle pictures (scene-NNN.png) into ``folder``, creating it."""
    folder.mkdir(parents=True, exist_ok=True)
    base = _desk(*resolution, seed=7)
    paths = []
    for i in range(frames):
        path = folder / f"scene-{i:03d}.png"
        cv2.imwrite(str(path), _noisy(base, i))
        paths.append(path)
    return paths


def write_qr(folder: Path, text: str, *, resolution: tuple[int, int] = (640, 480)) -> Path:
    """Write one picture of a QR code holding ``text`` (qr-<hash>.png) and return its path."""
    if not text:
        raise ConfigurationError("camera", "the QR text is empty")
    code = cv2.QRCodeEncoder.create().encode(text)
    if code is None or code.size == 0:
        raise ConfigurationError("camera", f"{len(text)} characters do not fit in a QR code")
    width, height = resolution
    side = int(min(width, height) * 0.6)
    code = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
    frame = _desk(width, height, seed=7)
    top, left = (height - side) // 2, (width - side) // 2
    frame[top:top + side, left:left + side] = code  # the encoder's output includes the quiet zone
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"qr-{hashlib.sha256(text.encode()).hexdigest()[:12]}.png"
    cv2.imwrite(str(path), _noisy(frame, 1000))
    return path
