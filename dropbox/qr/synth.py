"""Camera-like grey frames of QR codes, generated with segno: the decoder's own test pictures.

Deterministic for a seed, so tests and ``python -m bench qr`` see the same
frames every run.  Each frame is 640x480 uint8 grey; a code is printed on
white paper, put in perspective on a cluttered scene, then degraded
(blur, motion, noise, low contrast, glare, inversion, JPEG) as a camera
would.  ``empty`` frames have the same scenes and clutter and no code.
The ``form`` setting prints the code on a form with lines of text beside it
(text has edges both ways, as a code does: the locator must not lose the code).

>>> frame, payload, kinds = synth_frame(1)
>>> frame.shape, frame.dtype.name, payload.isascii()
((480, 640), 'uint8', True)
>>> synth_frame(1)[0].tobytes() == frame.tobytes()
True
"""

from __future__ import annotations

import string

import cv2
import numpy as np
import segno

WIDTH, HEIGHT = 640, 480
DEGRADATIONS = ("blur", "motion", "noise", "dim", "glare", "invert", "jpeg", "steep", "tiny")
SETTINGS = ("form",)   # drawn only when asked for: the code printed on a form with text beside it
_ALPHABET = string.ascii_uppercase + string.digits


def code_matrix(payload: str, error: str = "m") -> np.ndarray:
    """The QR symbol of ``payload`` as 0 (dark) / 255 (light) modules, with the 4-module quiet zone."""
    modules = np.array(segno.make_qr(payload, error=error).matrix, dtype=bool)
    return np.pad(np.where(modules, 0, 255).astype(np.uint8), 4, constant_values=255)


def random_payload(rng: np.random.Generator) -> str:
    """An ASCII payload of 12-110 characters (the form codes are ASCII, version <= 8 at level M)."""
    n = int(rng.integers(12, 111))
    chars = rng.choice(list(_ALPHABET + "|.-:"), n)
    return "".join(chars)


def scene(rng: np.random.Generator) -> np.ndarray:
    """A smooth uneven background with clutter: bars, boxes, text and a stripe pattern."""
    coarse = rng.integers(40, 220, (4, 5)).astype(np.float32)
    frame = cv2.resize(coarse, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC).clip(0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(2, 9))):
        x, y = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
        shade = float(rng.integers(0, 256))
        kind = rng.integers(0, 4)
        if kind == 0:
            cv2.line(frame, (x, y), (x + int(rng.integers(-300, 300)), y + int(rng.integers(-40, 40))),
                     shade, int(rng.integers(1, 8)))
        elif kind == 1:
            cv2.rectangle(frame, (x, y), (x + int(rng.integers(10, 120)), y + int(rng.integers(10, 120))),
                          shade, -1 if rng.random() < 0.5 else 2)
        elif kind == 2:
            text = "".join(rng.choice(list(_ALPHABET), int(rng.integers(4, 16))))
            cv2.putText(frame, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.4, 1.5)), shade,
                        int(rng.integers(1, 3)))
        else:  # a barcode-like stripe patch: texture in one direction only
            w, h = int(rng.integers(30, 120)), int(rng.integers(20, 60))
            for i in range(0, w, int(rng.integers(2, 6))):
                cv2.line(frame, (x + i, y), (x + i, y + h), shade, 1)
    return frame.astype(np.float32)


_FORM_PX = 6  # paper pixels per module when the code is printed on a form with text beside it


def _form(code: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """The code on a form: lines of printed text right of it and below it -> (paper, pixels per module)."""
    n = code.shape[0]
    k = _FORM_PX
    sheet = np.full((n * k * 2, n * k * 3), 255, np.uint8)
    sheet[:n * k, :n * k] = code.astype(np.uint8).repeat(k, 0).repeat(k, 1)
    line_h = int(rng.integers(2, 4)) * k
    for top, left in ((0, n * k + 2 * k), (n * k + 2 * k, 0)):
        for y in range(top + line_h, sheet.shape[0] - k, int(line_h * 1.6)):
            text = "".join(rng.choice(list(_ALPHABET + "  "), 40))
            cv2.putText(sheet, text, (left, y), cv2.FONT_HERSHEY_SIMPLEX, line_h / 30, 0, max(1, k // 3))
    return cv2.GaussianBlur(sheet.astype(np.float32), (0, 0), k * 0.3), float(k)


def _place(frame: np.ndarray, code: np.ndarray, rng: np.random.Generator, module_px: float,
           tilt_deg: float, form: bool = False) -> None:
    """Warp the code (with a paper margin, or on a form) onto ``frame`` in place: rotation, tilt, perspective."""
    n = code.shape[0]
    side = n * module_px
    if form:
        paper, per_module = _form(code, rng)
        m = n * per_module   # the code's square on the sheet; the rest of the sheet follows the same warp
    else:
        paper = np.pad(code, 3, constant_values=255).astype(np.float32)
        m = paper.shape[0]
    src = np.float32([[0, 0], [m, 0], [m, m], [0, m]])
    half = side / 2 if form else side * m / n / 2
    angle = rng.uniform(0, 2 * np.pi)
    squeeze = np.cos(np.radians(tilt_deg))
    axis = rng.uniform(0, np.pi)
    pts = np.float32([[-half, -half], [half, -half], [half, half], [-half, half]])
    # foreshortening along a random axis, then rotation, then a little keystone
    rot_axis = np.array([[np.cos(axis), -np.sin(axis)], [np.sin(axis), np.cos(axis)]], np.float32)
    pts = pts @ rot_axis.T
    pts = pts @ rot_axis @ np.diag([squeeze, 1.0]).astype(np.float32) @ rot_axis.T
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    pts = pts @ rot.T + rng.normal(0, side * 0.02, (4, 2)).astype(np.float32)
    extent = np.abs(pts).max(axis=0) + 2
    cx = rng.uniform(extent[0], max(extent[0] + 1, WIDTH - extent[0]))
    cy = rng.uniform(extent[1], max(extent[1] + 1, HEIGHT - extent[1]))
    dst = (pts + np.float32([cx, cy])).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    warped = cv2.warpPerspective(paper, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR if form else cv2.INTER_AREA,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=-1)
    mask = cv2.warpPerspective(np.ones_like(paper), matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    frame[:] = frame * (1 - mask) + warped.clip(0, 255) * mask


def _degrade(frame: np.ndarray, kinds: set[str], rng: np.random.Generator) -> np.ndarray:
    if "glare" in kinds:
        yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
        cx, cy, r = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT), rng.uniform(120, 300)
        frame = frame + 200 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
    if "dim" in kinds:
        lo = rng.uniform(20, 80)
        frame = lo + frame * rng.uniform(0.12, 0.3)
    if "blur" in kinds:
        frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(1.0, 2.2))
    if "motion" in kinds:
        length = int(rng.integers(4, 10))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1 / length
        rot = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), rng.uniform(0, 180), 1)
        kernel = cv2.warpAffine(kernel, rot, (length, length))
        frame = cv2.filter2D(frame, -1, kernel / max(kernel.sum(), 1e-6))
    if "invert" in kinds:
        frame = 255 - frame
    if "noise" in kinds:
        frame = frame + rng.normal(0, rng.uniform(3, 10), frame.shape)
    frame = np.clip(frame + rng.normal(0, 1.5, frame.shape), 0, 255).astype(np.uint8)
    if "jpeg" in kinds:
        ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 80))])
        frame = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return frame


def synth_frame(seed: int, *, empty: bool = False, kinds: tuple[str, ...] | None = None
                ) -> tuple[np.ndarray, str | None, tuple[str, ...]]:
    """One frame -> (frame HxW uint8, payload or None when ``empty``, degradations applied).

    Without ``kinds``, 0-2 degradations are drawn at random from :data:`DEGRADATIONS`;
    ``kinds`` may also name :data:`SETTINGS` (``"form"``).
    """
    rng = np.random.default_rng([seed, 0x51])
    if kinds is None:
        kinds = tuple(sorted(rng.choice(DEGRADATIONS, int(rng.integers(0, 3)), replace=False)))
    frame = scene(rng)
    payload = None
    if not empty:
        payload = random_payload(rng)
        code = code_matrix(payload)
        module_px = rng.uniform(1.6, 2.2) if "tiny" in kinds else rng.uniform(2.5, 7.0)
        module_px = min(module_px, 0.8 * HEIGHT / code.shape[0])
        tilt = rng.uniform(45, 60) if "steep" in kinds else rng.uniform(0, 30)
        frame[:] = frame * rng.uniform(0.4, 1.0)  # the paper is the brightest thing in view, mostly
        _place(frame, code.astype(np.float32), rng, module_px, tilt, form="form" in kinds)
    return _degrade(frame, set(kinds), rng), payload, tuple(kinds)
