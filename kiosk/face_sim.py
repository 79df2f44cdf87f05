"""Camera bursts made from still portraits, for the face check's tests, the bench and the demo.

A still portrait has no blink, so :func:`visit` closes its eyes in a few
frames: each eye, between its two corners, is painted over with the skin
around it and a line of lashes.  That is a synthetic blink (no video of a real
one ships with the project); it exercises the whole pipeline, and
:func:`photo_attack` gives the other side: the same portrait held up as a
photo, moved, turned, tilted and blurred, never blinking.

Frames are 2-D uint8 grey, like the camera's.  ``write_frames`` stores them as
PNG files for :class:`drivers.camera.CameraSimulator` (``camera.sim_source``).

>>> frames = empty_scene(n=2)
>>> len(frames), frames[0].shape, frames[0].dtype
(2, (480, 640), dtype('uint8'))
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

SIZE = (640, 480)              # (width, height): the camera's default resolution
FACE_WIDTH_PX = 170            # a face at arm's length in a 640x480 frame of a ~60 degree lens


def load_grey(source) -> np.ndarray:
    """A grey image from a path, encoded bytes, or an array (BGR or grey); ValueError if unreadable."""
    if isinstance(source, np.ndarray):
        image = source if source.ndim == 2 else cv2.cvtColor(source, cv2.COLOR_BGR2GRAY)
    elif isinstance(source, (bytes, bytearray)):
        image = cv2.imdecode(np.frombuffer(bytes(source), np.uint8), cv2.IMREAD_GRAYSCALE)
    else:
        image = cv2.imread(str(source), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ValueError(f"cannot read a picture from {str(source)[:80]!r}")
    return image


def _scene() -> np.ndarray:
    """A plain wall behind the person: a soft vertical gradient."""
    w, h = SIZE
    return np.linspace(150, 110, h)[:, None] * np.ones((1, w))


def _noise(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(frame + rng.normal(0, 2.0, frame.shape), 0, 255).astype(np.uint8)


def _portrait(source) -> tuple[np.ndarray, object]:
    """(grey portrait scaled so its face is FACE_WIDTH_PX wide, the face's 5-point landmarks)."""
    from kiosk.face import _Models, find_faces

    grey = load_grey(source)
    scale = 640 / max(grey.shape)
    sized = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    boxes = find_faces(sized) or find_faces(sized, upsample=1)
    if not boxes:
        raise ValueError("no face in the portrait")
    box = max(boxes, key=lambda b: b.width())
    k = FACE_WIDTH_PX / box.width()
    face = cv2.resize(sized, None, fx=k, fy=k, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)
    # Head and shoulders around the face, so the face sits mid-frame and whole.
    cx, cy = (box.left() + box.right()) / 2 * k, (box.top() + box.bottom()) / 2 * k
    pad = 2 * FACE_WIDTH_PX
    framed = cv2.copyMakeBorder(face, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    x0, y0 = int(cx - 1.3 * FACE_WIDTH_PX) + pad, int(cy - 1.2 * FACE_WIDTH_PX) + pad
    face = framed[y0:y0 + int(2.8 * FACE_WIDTH_PX), x0:x0 + int(2.6 * FACE_WIDTH_PX)].copy()
    boxes = find_faces(face) or find_faces(face, upsample=1)
    box = max(boxes, key=lambda b: b.width())
    return face, _Models.get()[1](face, box)


BOTH_EYES = ((0, 1), (2, 3))     # the 5-point landmarks' corner pairs


def close_eyes(grey: np.ndarray, shape, eyes=BOTH_EYES) -> np.ndarray:
    """A copy of ``grey`` whose ``eyes`` (corner pairs of the 5-point ``shape``) are shut: lids the
    colour of the skin around, a lash line."""
    out = grey.copy()
    for i, j in eyes:
        a = np.array([shape.part(i).x, shape.part(i).y], float)
        b = np.array([shape.part(j).x, shape.part(j).y], float)
        span = np.linalg.norm(b - a)
        centre = (a + b) / 2
        down = np.array([-(b - a)[1], (b - a)[0]]) / max(span, 1)
        if down[1] < 0:
            down = -down
        angle = float(np.degrees(np.arctan2((b - a)[1], (b - a)[0])))
        axes = (int(span * 0.66), int(span * 0.36))
        lid = np.zeros_like(grey, np.uint8)
        cv2.ellipse(lid, tuple(int(v) for v in centre), axes, angle, 0, 360, 255, -1)
        # The lid takes the colour of the skin around the eye (a ring outside it), as a shut lid does.
        ring = np.zeros_like(grey, np.uint8)
        cv2.ellipse(ring, tuple(int(v) for v in centre), (int(axes[0] * 1.4), int(axes[1] * 1.8)), angle, 0, 360,
                    255, -1)
        skin = float(np.median(grey[(ring > 0) & (lid == 0)]))
        soft = cv2.GaussianBlur(lid, (0, 0), max(1.0, span * 0.05)).astype(float) / 255
        out = (out * (1 - soft) + skin * soft).astype(np.uint8)
        cv2.ellipse(out, tuple(int(v) for v in centre + down * span * 0.04), (int(span * 0.5), int(span * 0.06)),
                    angle, 10, 170, int(skin * 0.35), max(1, int(span * 0.04)))
    return out


def _place(frame: np.ndarray, face: np.ndarray, dx: float, dy: float, *, angle: float = 0.0, scale: float = 1.0,
           tilt: float = 0.0) -> np.ndarray:
    """``face`` pasted in the middle of ``frame`` moved by (dx, dy) px, turned, scaled, and tilted (a photo)."""
    w, h = SIZE
    fh, fw = face.shape
    centre = np.array([w / 2 + dx, h / 2 + dy])
    src = np.float32([[0, 0], [fw, 0], [fw, fh], [0, fh]])
    corners = src - np.float32([fw / 2, fh / 2])
    # A flat photo turned about its vertical axis: one side nearer (larger) than the other.
    far = np.float32([[1 - tilt, 1 - tilt], [1 + tilt, 1 + tilt], [1 + tilt, 1 + tilt], [1 - tilt, 1 - tilt]])
    corners = corners * far
    rot = cv2.getRotationMatrix2D((0, 0), angle, scale)[:, :2]
    dst = (corners @ rot.T + centre).astype(np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    mask = cv2.warpPerspective(np.full_like(face, 255), matrix, SIZE)
    warped = cv2.warpPerspective(face, matrix, SIZE)
    return np.where(mask > 127, warped, frame)


def visit(source, *, n: int = 16, blink_at: tuple[int, ...] = (7, 8), seed: int = 0,
          eyes=BOTH_EYES) -> list[np.ndarray]:
    """A live visit: the person of portrait ``source`` in front of the camera, swaying a little, blinking.

    ``blink_at``: the frames whose ``eyes`` are shut (empty: no blink; one pair of corners: a wink).
    """
    rng = np.random.default_rng(seed)
    face, shape = _portrait(source)
    shut = close_eyes(face, shape, eyes)
    frames = []
    for i in range(n):
        dx, dy = 4 * np.sin(i / 3), 2 * np.cos(i / 4)
        frames.append(_noise(_place(_scene(), shut if i in blink_at else face, dx, dy), rng))
    return frames


def photo_attack(source, *, n: int = 16, seed: int = 0) -> list[np.ndarray]:
    """The portrait held up as a photo: moved, turned, scaled, tilted, dimmed and blurred, never blinking."""
    rng = np.random.default_rng(seed)
    face, _ = _portrait(source)
    frames = []
    for i in range(n):
        t = i / max(n - 1, 1)
        frame = _place(_scene(), face, 30 * np.sin(6 * t), 15 * np.cos(5 * t), angle=8 * np.sin(4 * t),
                       scale=1 + 0.1 * np.sin(3 * t), tilt=0.12 * np.sin(7 * t))
        frame = frame * (0.8 + 0.2 * np.cos(5 * t))
        if i % 5 == 4:                                     # a jerk of the hand: motion blur
            frame = cv2.blur(frame, (9, 1))
        frames.append(_noise(frame, rng))
    return frames


def two_faces(first, second, *, n: int = 8, seed: int = 0) -> list[np.ndarray]:
    """Two people side by side (someone looking over the shoulder), the first one blinking."""
    rng = np.random.default_rng(seed)
    a, shape = _portrait(first)
    b, _ = _portrait(second)
    shut = close_eyes(a, shape)
    frames = []
    for i in range(n):
        frame = _place(_scene(), shut if i == n // 2 else a, -160, 0, scale=0.8)
        frames.append(_noise(_place(frame, b, 170, 10, scale=0.8), rng))
    return frames


def empty_scene(*, n: int = 8, seed: int = 0) -> list[np.ndarray]:
    """Nobody in front of the camera."""
    rng = np.random.default_rng(seed)
    return [_noise(_scene(), rng) for _ in range(n)]


def write_frames(folder: str | Path, frames: list[np.ndarray]) -> list[Path]:
    """Store ``frames`` as ``frame-000.png``... in ``folder`` (a CameraSimulator source); their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, frame in enumerate(frames):
        path = folder / f"frame-{i:03d}.png"
        cv2.imwrite(str(path), frame)
        paths.append(path)
    return paths
