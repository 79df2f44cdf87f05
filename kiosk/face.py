"""Face check: the live camera face against the employee's HR photo, held in memory for one session.

The models are face_recognition's (the ``face_recognition_models`` package
ships dlib's weights) run by dlib (``dlib-bin`` wheels), called the way
``face_recognition`` calls them: HOG face detector, 5-point landmarks, the
ResNet encoder (128-d), Euclidean distance.  ``face_recognition`` itself is not
a dependency: its metadata requires the ``dlib`` source package, a long C++
build on every install; its API is a thin wrapper over these same three calls.
Only models their author released into the public domain are used (not the
68-point landmarks, whose training set restricts commercial use).

Everything is compared in grey, because the camera delivers grey frames: the HR
photo is turned grey too, so both sides of a comparison are in one domain.

**Threshold** ``THRESHOLD = 0.50`` (dlib's default 0.6 is reported too loose for
East Asian faces).  Measured here on ../shared/testdata/faces (8 portraits of 4
people) on the kiosk's own path -- a grey reference against the face of a grey
640x480 camera frame made from another portrait of the set (kiosk.face_sim):

=========================  ==========================  ===========================
reference                  same person (10 pairs)      two people (46 pairs)
=========================  ==========================  ===========================
HR photo                   median 0.401, max 0.461     min 0.743, median 0.860
ID-card-sized, 102x126     median 0.412, max 0.489     min 0.710, median 0.844
=========================  ==========================  ===========================

Still pictures alone (colour, grey, mirrored and ID-card-sized variants of each;
5-57 pairs per combination of variants) spread the same way: one person at most 0.509 (an ID-card-sized
colour picture against grey), two people at least 0.715.  0.50 accepts every
same-person pair of the kiosk's path and keeps 0.1 below dlib's default, room
for the closer impostor distances reported for East Asian faces (none are in
the test set: ``python -m bench face --faces DIR`` measures a site's own).  A
wrong accept is the costly error here, so a borderline genuine face (a small
or old ID-card photo) is let to fail to the configured fallback instead.

**Liveness** (:mod:`kiosk.face_liveness`): a blink within the frames, while the
face around the nose stays unchanged.  It stops a printed photo or a still on
a screen held to the camera, moved, turned, tilted, dimmed or jerked; it does
not stop a replayed video, a photo whose eyes are covered and uncovered, a mask
with eye holes, or frames injected in place of the camera's.  It needs about
2 s of frames (30 at 15 fps) and a prompt to blink.

>>> FaceResult(False, "not_live")
FaceResult(ok=False, reason='not_live', distance=None)
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from terminal import TerminalError

THRESHOLD = 0.50               # largest Euclidean distance between encodings that is one person (see above)
MAX_FRAMES = 60                # frames one check takes at most (a few seconds of camera)
DETECT_FRAMES = 3              # frames searched for faces (first, middle, last); the others follow the boxes
REFERENCE_SIDE_PX = 640        # the HR photo is scaled to this longer side for detection only
# Camera frames are searched for faces at this scale: about half the time of full size, and a face still
# needs only about 110 px of a 640x480 frame (about a metre from a 60-degree lens; users stand closer).
DETECT_SCALE = 0.75
REASONS = ("match", "no_face", "two_faces", "no_match", "not_live")


@dataclass(frozen=True)
class FaceResult:
    """One check: ``ok``; ``reason`` one of REASONS; ``distance`` to the HR photo (None when not compared)."""

    ok: bool
    reason: str
    distance: float | None = None


class FaceError(TerminalError):
    """The face check cannot run (models missing, a wiped matcher)."""


class ReferenceUnusable(FaceError):
    """The HR photo cannot serve as a reference: not a JPEG/PNG, no face in it, or more than one."""


class _Models:
    """dlib's three models, loaded once per process on first use (about 0.3 s, 35 MB)."""

    _lock = threading.Lock()
    _loaded: tuple | None = None

    @classmethod
    def get(cls) -> tuple:
        with cls._lock:
            if cls._loaded is None:
                try:
                    import dlib
                    import face_recognition_models as frm
                except ImportError as exc:
                    raise FaceError(f"the face check needs dlib-bin and face_recognition_models ({exc.name} is "
                                    f"missing): reinstall the package with -c constraints.txt") from None
                cls._loaded = (dlib.get_frontal_face_detector(),
                               dlib.shape_predictor(frm.pose_predictor_five_point_model_location()),
                               dlib.face_recognition_model_v1(frm.face_recognition_model_location()),
                               dlib.rectangle)
            return cls._loaded


def preload() -> None:
    """Load the models now (the runner may call this off the Qt thread at start); FaceError if missing."""
    _Models.get()


def encode(grey: np.ndarray, box) -> tuple[np.ndarray, object]:
    """(128-d encoding, 5-point landmarks) of the face in ``box`` (a dlib rectangle) of a grey image.

    The landmarks are in the coordinates of the face's neighbourhood, which is all that is encoded.
    """
    _, landmarks, encoder, _ = _Models.get()
    grey, shape = _around(grey, box, landmarks)
    rgb = np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    return np.asarray(encoder.compute_face_descriptor(rgb, shape, 1)), shape


def find_faces(grey: np.ndarray, *, upsample: int = 0) -> list:
    """Face boxes (dlib rectangles) in a grey image; the HOG detector finds faces of about 80 px and more."""
    detector = _Models.get()[0]
    return list(detector(grey, upsample))


def to_grey(image: np.ndarray) -> np.ndarray:
    """A 2-D uint8 grey frame from a grey or BGR ``image``; ValueError for anything else."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
        raise ValueError("a frame must be a numpy uint8 array (the camera's grey frame)")
    if image.ndim == 2:
        return image
    if image.ndim == 3 and image.shape[2] == 3:
        import cv2
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    raise ValueError(f"a frame must be (height, width) grey or (height, width, 3) BGR, not {image.shape}")


class FaceMatcher:
    """Compares camera frames with one HR photo (``reference``: JPEG or PNG bytes, held only as an encoding).

    ``threshold``: largest distance accepted as the same person; ``liveness``: require a blink.
    Raises :class:`ReferenceUnusable` when the photo is not a picture, shows no face or more
    than one, and :class:`FaceError` when the models are missing.
    """

    def __init__(self, reference: bytes, *, threshold: float = THRESHOLD, liveness: bool = True):
        import cv2

        if not isinstance(reference, (bytes, bytearray, memoryview)) or not reference:
            raise ReferenceUnusable("the HR photo is empty: central sent no image")
        photo = cv2.imdecode(np.frombuffer(reference, np.uint8), cv2.IMREAD_GRAYSCALE)
        if photo is None:
            raise ReferenceUnusable("the HR photo is not a readable JPEG or PNG picture")
        self.threshold, self.liveness = float(threshold), liveness
        boxes = _reference_faces(photo)
        if not boxes:
            raise ReferenceUnusable("no face was found in the HR photo: ask HR for a frontal portrait")
        if len(boxes) > 1:
            raise ReferenceUnusable(f"the HR photo shows {len(boxes)} faces: ask HR for a portrait of one person")
        self._reference: np.ndarray | None = encode(photo, boxes[0])[0]
        photo[:] = 0      # the decoded pixels are personal data too: gone before the matcher is handed on

    def check(self, frames: Sequence[np.ndarray]) -> FaceResult:
        """The outcome for a burst of camera frames (grey or BGR, in capture order, 1-MAX_FRAMES).

        Each frame searched must show exactly one face ('no_face', 'two_faces'); with
        ``liveness`` the eyes must blink within the burst ('not_live'); then the distance to
        the HR photo decides ('match' / 'no_match').  Raises ValueError for frames that are
        not images, FaceError after :meth:`wipe`.
        """
        from kiosk.face_liveness import blinked, eye_openness, face_control

        if self._reference is None:
            raise FaceError("this face matcher was wiped at the end of its session; build a new one")
        if not 1 <= len(frames) <= MAX_FRAMES:
            raise ValueError(f"give 1-{MAX_FRAMES} frames, not {len(frames)}")
        greys = [to_grey(f) for f in frames]
        searched = sorted({0, len(greys) // 2, len(greys) - 1})[:DETECT_FRAMES]
        found = {i: _detect(greys[i]) for i in searched}
        if any(len(boxes) > 1 for boxes in found.values()):
            return FaceResult(False, "two_faces")
        if any(not boxes for boxes in found.values()):
            return FaceResult(False, "no_face")
        boxes = _follow({i: b[0] for i, b in found.items()}, len(greys))
        landmarks = _Models.get()[1]
        around = [_around(g, b, landmarks) for g, b in zip(greys, boxes)]
        openness = [eye_openness(*a) for a in around]
        if self.liveness and not blinked(openness, [face_control(*a) for a in around]):
            return FaceResult(False, "not_live")
        # Encode the searched frame (its box is the detector's own) with the eyes most open, then sharpest.
        best = max(searched, key=lambda i: (round(openness[i], 2), _sharpness(greys[i], boxes[i])))
        distance = float(np.linalg.norm(encode(greys[best], boxes[best])[0] - self._reference))
        ok = distance <= self.threshold
        return FaceResult(ok, "match" if ok else "no_match", round(distance, 4))

    def wipe(self) -> None:
        """Forget the HR photo's encoding (overwritten, then dropped); idempotent."""
        if self._reference is not None:
            self._reference[:] = 0
            self._reference = None

    def __repr__(self) -> str:
        return f"FaceMatcher(threshold={self.threshold}, wiped={self._reference is None})"


def _reference_faces(photo: np.ndarray) -> list:
    """Face boxes in the HR photo, in its own pixels: found on a copy scaled to REFERENCE_SIDE_PX.

    An ID-card-sized photo (102x126) is scaled up, a 12 MP one down: the detector needs faces
    of about 80 px, and a big photo would cost seconds.
    """
    import cv2

    _, _, _, rectangle = _Models.get()
    scale = REFERENCE_SIDE_PX / max(photo.shape[:2])
    sized = cv2.resize(photo, None, fx=scale, fy=scale,
                       interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
    boxes = find_faces(sized) or find_faces(sized, upsample=1)
    return [rectangle(int(b.left() / scale), int(b.top() / scale), int(b.right() / scale), int(b.bottom() / scale))
            for b in boxes]


def _detect(grey: np.ndarray) -> list:
    """Face boxes of a camera frame, found on a copy scaled by DETECT_SCALE (in the frame's pixels)."""
    import cv2

    if DETECT_SCALE == 1.0:
        return find_faces(grey)
    _, _, _, rectangle = _Models.get()
    small = cv2.resize(grey, None, fx=DETECT_SCALE, fy=DETECT_SCALE, interpolation=cv2.INTER_AREA)
    return [rectangle(int(b.left() / DETECT_SCALE), int(b.top() / DETECT_SCALE), int(b.right() / DETECT_SCALE),
                      int(b.bottom() / DETECT_SCALE)) for b in find_faces(small)]


def _follow(found: dict, count: int) -> list:
    """A box for every frame: the searched frames' own, linearly between them for the others."""
    import dlib

    keys = sorted(found)
    edges = np.array([[found[k].left(), found[k].top(), found[k].right(), found[k].bottom()] for k in keys], float)
    out = []
    for i in range(count):
        box = [np.interp(i, keys, edges[:, j]) for j in range(4)]
        out.append(dlib.rectangle(*(int(round(v)) for v in box)))
    return out


def _around(grey: np.ndarray, box, landmarks) -> tuple[np.ndarray, object]:
    """(the face's neighbourhood cut from ``grey``, its landmarks there): dlib copies the whole image it is
    given on every call, so a 640x480 frame costs more than the face's few thousand pixels."""
    import dlib

    h, w = grey.shape
    margin = box.width() // 2 + 2
    x0, y0 = max(0, box.left() - margin), max(0, box.top() - margin)
    x1, y1 = min(w, box.right() + margin), min(h, box.bottom() + margin)
    crop = np.ascontiguousarray(grey[y0:y1, x0:x1])
    moved = dlib.rectangle(box.left() - x0, box.top() - y0, box.right() - x0, box.bottom() - y0)
    return crop, landmarks(crop, moved)


def _sharpness(grey: np.ndarray, box) -> float:
    """Variance of the Laplacian inside the face box: the frame least blurred by motion encodes best."""
    import cv2

    h, w = grey.shape
    crop = grey[max(0, box.top()):min(h, box.bottom()), max(0, box.left()):min(w, box.right())]
    return float(cv2.Laplacian(crop, cv2.CV_64F).var()) if crop.size else 0.0
