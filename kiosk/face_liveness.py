"""The face check's liveness cue for a 2-D camera: the eyes blink within the burst of frames.

Eye openness is read from the pixels between each eye's two corners (dlib's
5-point landmarks give the corners, not the lids): the patch is warped upright
to a fixed size, and openness is the height, in eye widths, of the dark run
through the darkest row near the corners' line, in the middle of the eye.  An
open eye shows the iris and pupil, a run about a third of the eye's width high;
a closed lid leaves only the line of the lashes.  The dark level is set per
patch, halfway between the skin under the eye and that darkest row, so skin
tone and lighting do not move it; creases apart from the run do not count.

A frame's openness is the more open eye's, so both must shut.  A burst is live
when the openness falls below BLINK_DROP of the burst's open
level (and at least MIN_DROP under it) in some frame, and is open (OPEN_AGAIN)
in another, while the rest of the face stays as it was: the patch around the
nose (nose, cheeks, upper lip) keeps its brightness, contrast and sharpness
(CONTROL_TOLERANCE) in the closed frame.  A jerk of a held photo blurs, and a
flick of the light dims, the whole picture, eyes and nose alike; a blink moves
only the lids.

What it stops: a printed photo or a still picture on a screen held to the
camera, however it is moved, turned, tilted, dimmed or jerked (the lids do not
move, or the whole face changes with them).
What it does not stop: a video of the person replayed on a screen, a photo
whose eyes are covered and uncovered (a finger, a cut-out with real eyes
behind), a mask with eye holes, frames injected in place of the camera's.
Whom it refuses: a person who does not blink within the burst, whose eyes are
narrowed (a broad smile: under MIN_OPEN there is too little eye to judge), or
whose eyes the camera cannot see (glare on glasses); light irises under dark
lashes show a short dark run and may not register.  The kiosk then asks to try
again, and after the last failure follows its configured fallback.

Measured on bursts made from the 8 shared portraits (kiosk.face_sim, ``python -m
bench face``): 0 of 112 photo-like bursts (still, moved, tilted, blurred,
re-lit) judged live and 0 of 32 blinking bursts refused; the same on a second
112 / 32 with other seeds.  Taking the smaller eye instead (one eye's jitter
counted as a blink) let 2-4 of 112 through.  The blinks there are painted (no
video of a real blink ships with the project): the cue still needs a check on
real footage of the kiosk's camera.

>>> blinked([0.30, 0.31, 0.08, 0.29])
True
>>> blinked([0.30, 0.31, 0.29, 0.30])
False
>>> blinked([0.30, 0.31, 0.08, 0.29], [(120, 30, 9), (121, 30, 9), (84, 21, 6), (120, 30, 9)])  # all dimmed
False
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

PATCH_W, PATCH_H = 48, 32      # the warped eye patch: the corners 40 px apart on its middle row
CORNER_SPAN_PX = 40
BLINK_DROP = 0.5               # closed: openness below half the burst's open level
OPEN_AGAIN = 0.8               # and another frame at least 80 % open
MIN_OPEN = 0.15                # an open level below this (eyes unseen or narrowed): no blink is judged
MIN_DROP = 0.1                 # and a closed frame is at least this much (4 rows of 40) below it: a row's jitter
# How far the face below the eyes may differ in a closed frame from the open frames' median:
# relative brightness, contrast (std) and sharpness (mean |Laplacian|).
CONTROL_TOLERANCE = (0.10, 0.20, 0.25)


def eye_openness(grey: np.ndarray, shape) -> float:
    """The larger of the two eyes' openness (dark run height in eye widths) in one frame.

    The larger, so a frame counts as shut only when both eyes are: one eye's landmark jitter
    is no blink (a held photo jitters too), and a blink shuts both.

    ``shape`` is dlib's 5-point landmarks of the face (parts 0-1 one eye's corners, 2-3 the
    other's).  Returns 0.0 when an eye lies outside the frame.
    """
    points = [(shape.part(i).x, shape.part(i).y) for i in range(4)]
    return max(_one_eye(grey, points[0], points[1]), _one_eye(grey, points[2], points[3]))


def face_control(grey: np.ndarray, shape) -> tuple[float, float, float]:
    """(brightness, contrast, sharpness) of the face below the eyes: nose, cheeks and upper lip.

    The patch is a square of half the face box's width under the nose point (part 4); the eye
    corners are not used, since the landmark model moves them when the lids shut.
    """
    size = max(8, shape.rect.width() // 2)
    x, y = shape.part(4).x, shape.part(4).y
    h, w = grey.shape
    x0, y0 = max(0, x - size // 2), max(0, y - size // 2)
    patch = grey[y0:min(h, y0 + size), x0:min(w, x0 + size)].astype(float)
    if patch.size < 16:
        return (0.0, 0.0, 0.0)
    import cv2

    return float(patch.mean()), float(patch.std()), float(np.abs(cv2.Laplacian(patch, cv2.CV_64F)).mean())


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
    # Each row's dark level across the middle (its 25th percentile), and the darkest row near the
    # corners' line: the pupil when the eye is open, the lash line when it is shut.
    profile = np.percentile(middle, 25, axis=1)
    reach = CORNER_SPAN_PX // 4
    low, high = PATCH_H // 2 - reach, PATCH_H // 2 + reach
    centre = low + int(np.argmin(profile[low:high]))
    if skin - profile[centre] < 8:                          # no contrast at all: nothing to see
        return 0.0
    dark = profile < (skin + profile[centre]) / 2
    # The height of the dark run through that row, in eye widths: creases apart from it do not count.
    top = bottom = centre
    while top > 0 and dark[top - 1]:
        top -= 1
    while bottom < PATCH_H - 1 and dark[bottom + 1]:
        bottom += 1
    return float(bottom - top + 1) / CORNER_SPAN_PX


def blinked(openness: Sequence[float], controls: Sequence[tuple[float, float, float]] | None = None) -> bool:
    """Whether an openness series (one value per frame, see :func:`eye_openness`) holds a blink.

    A blink: some frame below BLINK_DROP x the open level (the 80th percentile), and another
    frame of the burst at least OPEN_AGAIN x open.  With ``controls`` (:func:`face_control` per
    frame) a closed frame counts only when the face below the eyes is as in the open frames.
    """
    s = np.asarray(openness, float)
    level = float(np.percentile(s, 80, method="higher"))
    if level < MIN_OPEN:
        return False
    closed = (s < BLINK_DROP * level) & (s <= level - MIN_DROP)
    opened = s >= OPEN_AGAIN * level
    if controls is not None and closed.any() and opened.any():
        c = np.asarray(controls, float)
        usual = np.median(c[opened], axis=0)
        change = np.abs(c - usual) / np.maximum(usual, 1e-6)
        closed &= np.all(change <= np.asarray(CONTROL_TOLERANCE), axis=1)
    return bool(closed.any() and opened.any())
