"""The face check's liveness cue for a 2-D camera: the eyes blink within the burst of frames.

Eye openness is read from the pixels between each eye's two corners (dlib's
5-point landmarks give the corners, not the lids): the patch is warped upright
to a fixed size, and openness is the height of its dark band in the middle, in
eye widths.  An open eye shows the iris and pupil, a band about a third of the
eye's width high; a closed lid leaves only the line of the lashes.  The dark
level is set per patch, halfway between the skin under the eye and the
patch's darkest pixels, so skin tone and lighting do not move it.

A burst is live when both eyes' openness falls below BLINK_DROP of the burst's
open level in some frame and is open (OPEN_AGAIN) in another frame of the burst.

What it stops: a printed photo or a still picture on a screen held to the
camera, however it is moved, turned, tilted or bent (the lids do not move).
What it does not stop: a video of the person replayed on a screen, a photo
whose eyes are covered and uncovered (a finger, a cut-out with real eyes
behind), a mask with eye holes, frames injected in place of the camera's;
and it refuses a person who does not blink in the burst, or whose eyes the
camera cannot see (glare on glasses): the kiosk then asks to try again, and
after three failures follows its fallback.

>>> blinked([0.30, 0.31, 0.08, 0.29], [0.28, 0.30, 0.07, 0.30])
True
>>> blinked([0.30, 0.31, 0.29, 0.30], [0.28, 0.30, 0.29, 0.30])
False
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PATCH_W, PATCH_H = 48, 32      # the warped eye patch: the corners 40 px apart on its middle row
CORNER_SPAN_PX = 40
BLINK_DROP = 0.5               # closed: openness below half the burst's open level
OPEN_AGAIN = 0.8               # and another frame at least 80 % open
MIN_OPEN = 0.08                # an open level below this (eyes unseen): no blink can be judged


def eye_openness(grey: np.ndarray, shape) -> float:
    """The smaller of the two eyes' openness (dark band height in eye widths) in one frame.

    ``shape`` is dlib's 5-point landmarks of the face (parts 0-1 one eye's corners, 2-3 the
    other's).  Returns 0.0 when an eye lies outside the frame.
    """
    points = [(shape.part(i).x, shape.part(i).y) for i in range(4)]
    return min(_one_eye(grey, points[0], points[1]), _one_eye(grey, points[2], points[3]))


def _one_eye(grey: np.ndarray, a, b) -> float:
    import cv2

    a, b = np.asarray(a, float), np.asarray(b, float)
    span = float(np.linalg.norm(b - a))
    if span < 4:
        return 0.0
    # a -> (4, 16), b -> (44, 16); the third point fixes the (upright, unsheared) vertical axis.
    normal = np.array([-(b - a)[1], (b - a)[0]])
    src = np.float32([a, b, a + normal])
    left = (PATCH_W - CORNER_SPAN_PX) / 2
    dst = np.float32([[left, PATCH_H / 2], [left + CORNER_SPAN_PX, PATCH_H / 2],
                      [left, PATCH_H / 2 + CORNER_SPAN_PX]])
    patch = cv2.warpAffine(grey, cv2.getAffineTransform(src, dst), (PATCH_W, PATCH_H),
                           flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(float)
    middle = patch[:, int(left + CORNER_SPAN_PX * 0.25):int(left + CORNER_SPAN_PX * 0.75)]
    skin = float(np.median(patch[-5:, :]))                  # the cheek just under the eye
    darkest = float(np.percentile(middle, 5))
    if skin - darkest < 8:                                  # no contrast at all: nothing to see
        return 0.0
    dark_rows = (middle < (skin + darkest) / 2).mean(axis=1) >= 0.3
    return float(dark_rows.sum()) / CORNER_SPAN_PX


def blinked(first: Sequence[float], second: Sequence[float] | None = None) -> bool:
    """Whether openness series (one per eye, or one already combined) hold a blink.

    A blink: some frame below BLINK_DROP x the open level (the 80th percentile) in every
    series, and another frame of the burst at least OPEN_AGAIN x open.
    """
    series = [np.asarray(first, float)] + ([np.asarray(second, float)] if second is not None else [])
    closed = np.ones(len(series[0]), bool)
    for s in series:
        level = float(np.percentile(s, 80, method="higher"))
        if level < MIN_OPEN:
            return False
        closed &= s < BLINK_DROP * level
    if not closed.any():
        return False
    opened = np.all([s >= OPEN_AGAIN * np.percentile(s, 80, method="higher") for s in series], axis=0)
    return bool((opened & ~closed).any())
