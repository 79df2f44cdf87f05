"""The :class:`Camera` interface every backend implements, and the liveness check.

A camera delivers greyscale frames: 2-D ``numpy.uint8`` arrays of
``(height, width)``.  Each backend produces its grey frame directly (the Y
plane, or one colour conversion into the output array), so no frame is copied
on its way to the caller.

>>> from drivers.camera.base import Camera
>>> from drivers.camera.config import CameraConfig
>>> import numpy as np
>>> class Ramp(Camera):
...     def _read(self): return np.full((48, 64), self.frames_delivered * 40 % 256, np.uint8)
>>> with Ramp(CameraConfig(backend="sim", device="-", resolution=(64, 48))) as cam:
...     print(cam.capture().shape, cam.health().ok, cam.health().summary.split(";")[0])
(48, 64) False blank: every pixel the same (lens covered, no light, or sensor fault)
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Iterator

import numpy as np

from drivers.base import Device
from drivers.camera.config import CameraConfig
from drivers.errors import DeviceError, DeviceUnavailable
from drivers.health import Health

# A lens cap or a dead sensor gives an almost uniform picture; real scenes vary far more.
BLANK_STDDEV = 2.0


class SourceExhausted(DeviceUnavailable):
    """A simulated source without looping has played its last frame."""


class Camera(Device):
    """A source of greyscale frames.  Backends implement ``_read()``.

    Args: ``config``, the validated :class:`CameraConfig`.  ``frames_delivered``
    counts frames, ``last_frame_at`` is the ``time.monotonic()`` of the last.
    Build one with :func:`drivers.camera.open_camera`; the module docstring
    shows a backend of two lines.
    """

    name = "camera"

    def __init__(self, config: CameraConfig):
        super().__init__()
        # A read and close() never overlap: a consumer thread may be mid-frame when another thread
        # closes the camera on shutdown, and a capture released under a read fails (or crashes).
        self._io = threading.RLock()
        self.config = config
        self.frames_delivered = 0
        self.last_frame_at: float | None = None  # time.monotonic() of the last frame

    @abc.abstractmethod
    def _read(self) -> np.ndarray:
        """One grey frame, shape (height, width), dtype uint8; raise DeviceError on failure."""

    def capture(self) -> np.ndarray:
        """The next frame: ``numpy.uint8``, shape (height, width).

        Raises :class:`DeviceUnavailable` once closed, and the backend's
        :class:`DeviceError` (timeout, unplugged, end of a simulated source).
        """
        with self._io:
            if self.closed:
                raise DeviceUnavailable(self.name, "camera is closed")
            frame = self._read()
            self.frames_delivered += 1
            self.last_frame_at = time.monotonic()
        return frame

    def frames(self) -> Iterator[np.ndarray]:
        """Frames as they come, until the camera is closed or a simulated source ends.

        Raises what :meth:`capture` raises, except :class:`SourceExhausted`, which ends the iteration.
        """
        while not self.closed:
            try:
                yield self.capture()
            except SourceExhausted:
                return

    def describe(self) -> str:
        """One line for people: backend, device and frame size (``opencv /dev/video0 640x480``)."""
        return f"{self.config.backend} {self.config.device} {self.config.width}x{self.config.height}"

    def health(self) -> Health:
        """Whether the picture is live (:func:`check_live`); ok false when blank, frozen or absent.  Never raises."""
        try:
            verdict = check_live(self)
        except DeviceError as exc:
            return Health(self.name, False, exc.reason, {"device": self.describe()})
        return Health(self.name, verdict.ok, f"{verdict.summary}; {self.describe()}",
                      {"device": self.describe(), "frames": verdict.frames, "stddev": verdict.stddev})


class LiveVerdict:
    """What :func:`check_live` found: ``ok``, a one-line ``summary``, ``frames`` grabbed, contrast ``stddev``."""

    def __init__(self, ok: bool, summary: str, frames: int, stddev: float):
        self.ok, self.summary, self.frames, self.stddev = ok, summary, frames, stddev


def frame_problem(frame: np.ndarray, config: CameraConfig) -> str | None:
    """Why one frame is unusable (not uint8 of ``config``'s height x width), or None."""
    if frame.dtype != np.uint8 or frame.shape != (config.height, config.width):
        return f"frame is {frame.shape} {frame.dtype}, expected ({config.height}, {config.width}) uint8"
    return None


def check_live(camera: Camera, *, samples: int = 3, max_wait_s: float = 3.0) -> LiveVerdict:
    """Grab ``samples`` frames (more than one only within ``max_wait_s`` seconds) and judge them.

    Returns a :class:`LiveVerdict`: the picture must not be blank and must not be frozen.

    A working sensor never gives two bit-identical frames (there is always
    noise), so identical consecutive frames mean a stuck driver or a frozen
    source.  Raises :class:`DeviceError` when no frame comes at all.
    """
    deadline = time.monotonic() + max_wait_s
    frames: list[np.ndarray] = []
    while len(frames) < samples and (not frames or time.monotonic() < deadline):
        frames.append(camera.capture())
    for frame in frames:
        if problem := frame_problem(frame, camera.config):
            return LiveVerdict(False, problem, len(frames), 0.0)
    # A subsample is enough to judge contrast and keeps the check cheap on a Pi.
    stddev = float(frames[-1][::4, ::4].std())
    if stddev < BLANK_STDDEV:
        mean = float(frames[-1].mean())
        return LiveVerdict(False, "blank: every pixel the same (lens covered, no light, or sensor fault); "
                                  f"mean level {mean:.0f}", len(frames), stddev)
    if len(frames) > 1 and all(np.array_equal(frames[0], f) for f in frames[1:]):
        return LiveVerdict(False, f"frozen: {len(frames)} consecutive frames are identical "
                                  "(stuck driver or still source)", len(frames), stddev)
    return LiveVerdict(True, f"live: {len(frames)} frames, contrast {stddev:.0f}", len(frames), stddev)
