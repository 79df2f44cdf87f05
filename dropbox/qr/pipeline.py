"""The drop box's QR decoding pipeline: the most codes read at the lowest cost per frame.

``decode(frame)`` runs, in order, stopping at the first attempt that reads a code:

1. zxing-cpp on the whole frame (about 0.5 ms at 640x480; reads ~80% of the
   qr-public pictures on its own: rotated, inverted, tilted and small codes).
2. Only when that reads nothing: :func:`locate` finds up to two textured,
   roughly square regions (edges in both directions, so bars and text lines
   are skipped), and each region is cropped, scaled so the code spans about
   360 px (tiny codes get modules zxing can sample) and retried as
   ``CROP_ATTEMPTS`` says: plain, then sharpened (blur and motion), then
   thresholded against the local mean (glare, shadow, low contrast), then
   zbar as a second opinion (another finder and binarizer).

A frame with no code costs stage 1, the locator and the crops of whatever
the locator found.  Every retry stops when ``budget_ms`` has passed since the
call (checked between attempts), so a cluttered scene cannot hold up the
camera loop; a code the budget cut off is read in a later frame.

>>> from dropbox.qr.synth import synth_frame
>>> frame, payload, _ = synth_frame(3)
>>> [d.payload == payload for d in decode(frame)]
[True]
>>> decode(synth_frame(3, empty=True)[0])
[]
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np

from dropbox.qr.decoders import Decoded, grey, zbar, zxing

Box = tuple[int, int, int, int]  # x, y, width, height in frame pixels

CROP_SIDE = 360        # px: the longer side of a crop after scaling (~6 px modules for a version-4 code)
CROP_MARGIN = 0.25     # of the region's longer side on each side: the quiet zone and what locate clipped
MAX_REGIONS = 2
DEFAULT_BUDGET_MS = 25.0


def _sharpen(img: np.ndarray, amount: float, sigma: float) -> np.ndarray:
    """Unsharp mask: restores module edges that defocus and motion smeared."""
    return cv2.addWeighted(img, 1 + amount, cv2.GaussianBlur(img, (0, 0), sigma), -amount, 0)


def _adaptive(img: np.ndarray) -> np.ndarray:
    """Threshold against the local mean (51 px ~ 8 modules): uneven light, glare, low contrast."""
    return cv2.adaptiveThreshold(img, 255, cv2.ADAPTIVE_THRESH_GAUSSIAN_C, cv2.THRESH_BINARY, 51, 2)


def _zxing_at_scale(img: np.ndarray, name: str) -> list[Decoded]:
    return zxing(img, downscale=False, name=name)  # the crop is already at the scale wanted


# (name, preprocessing of the scaled crop, reader); tried in this order, the first read wins.
# Order and choice measured by ``python -m bench qr`` on qr-public and on the synthetic frames.
CROP_ATTEMPTS: list[tuple[str, Callable[[np.ndarray], np.ndarray], Callable[..., list[Decoded]]]] = [
    ("zxing/crop", lambda c: c, _zxing_at_scale),
    ("zxing/crop-sharp", lambda c: _sharpen(c, 3.0, 3.0), _zxing_at_scale),
    ("zxing/crop-adaptive", _adaptive, _zxing_at_scale),
    ("zbar/crop", lambda c: c, zbar),
]


def locate(frame: np.ndarray, limit: int = MAX_REGIONS) -> list[Box]:
    """Up to ``limit`` regions that may hold a code, largest first, as (x, y, w, h) frame pixels.

    Works on a copy about 320 px wide: Sobel edges in x and in y, each
    averaged over ~9 px, and their minimum (a code has edges both ways; a
    bar, a line of text or a barcode mostly one way), thresholded against
    the strongest texture in view.  Regions under ~24 px or longer than 3:1
    cannot be a code a decoder could read.
    """
    h, w = frame.shape
    scale = min(1.0, 320 / max(h, w))
    small = cv2.resize(frame, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA) if scale < 1 else frame
    gx = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 1, 0, ksize=3))
    gy = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 0, 1, ksize=3))
    texture = cv2.min(cv2.blur(gx, (9, 9)), cv2.blur(gy, (9, 9)))
    threshold = max(12.0, 0.35 * float(texture.max()))
    mask = cv2.morphologyEx((texture > threshold).astype(np.uint8), cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
    found = []
    min_side = 24 * scale
    for x, y, bw, bh, area in stats[1:count]:
        if min(bw, bh) >= min_side and max(bw, bh) <= 3 * min(bw, bh):
            found.append((int(area), (int(x / scale), int(y / scale), int(bw / scale), int(bh / scale))))
    found.sort(key=lambda item: -item[0])
    return [box for _, box in found[:limit]]


def _crop(frame: np.ndarray, box: Box) -> tuple[np.ndarray, float, int, int]:
    """The region with its margin, scaled to CROP_SIDE -> (image, scale, left, top)."""
    x, y, w, h = box
    pad = int(max(w, h) * CROP_MARGIN) + 4
    height, width = frame.shape
    left, top = max(0, x - pad), max(0, y - pad)
    region = frame[top:min(height, y + h + pad), left:min(width, x + w + pad)]
    scale = CROP_SIDE / max(region.shape)
    if scale > 1:
        region = cv2.resize(region, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    else:
        scale = 1.0
    return np.ascontiguousarray(region), scale, left, top


def decode(frame: np.ndarray, *, budget_ms: float = DEFAULT_BUDGET_MS,
           clock: Callable[[], float] = time.perf_counter) -> list[Decoded]:
    """The codes read in ``frame`` (grey uint8 HxW), one per payload; [] when none.

    Stage 1 returns every code zxing-cpp reads in the whole frame; a retry
    stops at the first read in its region.  ValueError for anything but a
    non-empty grey uint8 array.

    ``budget_ms`` bounds the retries (stage 2); ``clock`` (seconds) is the
    seam tests use to run out of budget without a slow machine.
    """
    frame = grey(frame)
    started = clock()
    found = zxing(frame)
    if found:
        return found
    deadline = started + budget_ms / 1000
    for box in locate(frame):
        if clock() > deadline:
            break
        region, scale, left, top = _crop(frame, box)
        for name, prepare, read in CROP_ATTEMPTS:
            if clock() > deadline:
                return _unique(found)
            hits = read(prepare(region), name=name)
            if hits:
                found += [Decoded(d.payload, d.decoder,
                                  tuple((left + x / scale, top + y / scale) for x, y in d.corners))
                          for d in hits]
                break
    return _unique(found)


def _unique(found: list[Decoded]) -> list[Decoded]:
    """One entry per payload (two regions can hold the same code)."""
    seen, out = set(), []
    for d in found:
        if d.payload not in seen:
            seen.add(d.payload)
            out.append(d)
    return out
