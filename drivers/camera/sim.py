"""The camera simulator: plays a folder of images or a video file at a set frame rate.

Frames are really decoded by OpenCV as they are delivered and really paced by
the clock, as a camera would deliver them: a consumer that falls behind gets
the current frame (the missed ones are dropped and counted), never a backlog.
A folder is scanned again each time playback wraps round, so a test or the
demo can "hold something up to the camera" by adding a picture.

>>> import tempfile, pathlib, cv2, numpy as np
>>> from drivers.camera import CameraConfig, CameraSimulator
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> for i in range(3):
...     _ = cv2.imwrite(str(folder / f"{i}.png"), np.random.randint(0, 255, (240, 320), np.uint8))
>>> with CameraSimulator(CameraConfig(backend="sim", device=str(folder), resolution=(320, 240), fps=30)) as cam:
...     frame = cam.capture()
>>> frame.shape, frame.dtype
((240, 320), dtype('uint8'))
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import cv2
import numpy as np

from drivers.camera.base import Camera, SourceExhausted
from drivers.camera.config import CameraConfig
from drivers.errors import ConfigurationError, DeviceUnavailable, ProtocolError
from terminal.logs import get_logger

log = get_logger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm", ".ppm"})
HINT = ("fill it with 'terminal sim camera --out DIR', or set camera.sim_source to a folder of images "
        "or a video file")


def list_images(folder: Path) -> list[Path]:
    """The picture files in ``folder`` (by suffix: .png, .jpg, ...), sorted by name; OSError if unreadable."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


class CameraSimulator(Camera):
    """Plays ``config.device`` (a folder or a video file) as a camera.

    Args:
        config: a :class:`CameraConfig` with ``backend="sim"``; ``fps`` paces
            the frames, ``loop`` starts again at the end of the source.
        paced: False delivers frames as fast as they decode (benchmarks).

    ``dropped`` counts frames skipped because the consumer was late.  Raises
    :class:`ConfigurationError` for another backend and
    :class:`DeviceUnavailable` for a source that is missing, empty or not
    decodable; :meth:`capture` raises :class:`ProtocolError` for a corrupt
    picture and :class:`SourceExhausted` at the end without ``loop``.

    >>> import tempfile, pathlib, cv2, numpy as np
    >>> from drivers.camera import CameraConfig
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = cv2.imwrite(str(folder / "0.png"), np.zeros((48, 64), np.uint8))
    >>> with CameraSimulator(CameraConfig(backend="sim", device=str(folder), resolution=(64, 48),
    ...                                   loop=False)) as cam:
    ...     print(len(list(cam.frames())), cam.frames_delivered)
    1 1
    """

    def __init__(self, config: CameraConfig, *, paced: bool = True):
        super().__init__(config)
        if config.backend != "sim":
            raise ConfigurationError(self.name, f"CameraSimulator needs backend 'sim', not {config.backend!r}")
        self.paced = paced
        self.dropped = 0
        self._source = Path(config.device)
        self._images: list[Path] = []
        self._video: cv2.VideoCapture | None = None
        self._bgr: np.ndarray | None = None
        self._video_index = -1   # index of the last frame decoded from the video
        self._first: np.ndarray | None = None
        self._position = -1      # index into _images of the last picture shown
        self._last = -1          # frame number of the last frame delivered
        self._started: float | None = None
        self._next = 0           # the next frame number to deliver
        if not self._source.exists():
            raise DeviceUnavailable(self.name, f"simulated source {self._source} does not exist", hint=HINT)
        if self._source.is_dir():
            self._images = self._scan()
            self._decode_image(self._images[0])  # fail now, not at the first capture
        else:
            self._open_video()

    # -- folder of images -------------------------------------------------
    def _scan(self) -> list[Path]:
        images = list_images(self._source)
        if not images:
            raise DeviceUnavailable(self.name, f"simulated source folder {self._source} has no images "
                                    "(.png, .jpg, .bmp, ...)", hint=HINT)
        unreadable = [p.name for p in images if not cv2.haveImageReader(str(p))]
        if unreadable:
            raise DeviceUnavailable(self.name, f"simulated source {self._source}: not an image OpenCV can "
                                    f"decode: {', '.join(unreadable[:5])}", hint="remove or replace the file")
        return images

    def _decode_image(self, path: Path) -> np.ndarray:
        grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
        if grey is None:
            raise ProtocolError(self.name, f"simulated frame {path.name} cannot be decoded (corrupt or truncated)",
                                hint="remove or replace the file")
        return self._fit(grey)

    # -- video file -------------------------------------------------------
    def _open_video(self) -> None:
        capture = cv2.VideoCapture(str(self._source))
        ok, bgr = capture.read() if capture.isOpened() else (False, None)
        if not ok:
            capture.release()
            raise DeviceUnavailable(self.name, f"simulated source {self._source} is neither a folder nor a "
                                    "video OpenCV can decode", hint=HINT)
        self._video, self._bgr = capture, bgr  # the first frame's buffer is reused for every later one
        self._video_index = 0
        self._first = self._fit(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY))

    def _decode_video(self, index: int) -> np.ndarray:
        assert self._video is not None
        if self._first is not None:
            first, self._first = self._first, None
            if index == 0:
                return first
        # Frames the consumer was too late for are skipped without converting them.
        while self._video_index < index - 1:
            if not self._video.grab():
                break
            self._video_index += 1
        ok, _ = self._video.read(self._bgr)
        if not ok:
            if not self.config.loop:
                raise SourceExhausted(self.name, f"simulated video {self._source.name} has ended")
            self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, _ = self._video.read(self._bgr)
            if not ok:
                raise ProtocolError(self.name, f"simulated video {self._source.name} cannot be rewound")
        self._video_index = index
        return self._fit(cv2.cvtColor(self._bgr, cv2.COLOR_BGR2GRAY))

    # -- both -------------------------------------------------------------
    def _fit(self, grey: np.ndarray) -> np.ndarray:
        if grey.shape != (self.config.height, self.config.width):
            grey = cv2.resize(grey, self.config.resolution, interpolation=cv2.INTER_AREA)
        return grey

    def _due(self) -> int:
        """The frame number to deliver now, sleeping until it is due when paced."""
        if not self.paced:
            return self._next
        now = time.monotonic()
        if self._started is None:
            self._started = now
            return 0
        current = math.floor((now - self._started) * self.config.fps)
        if current >= self._next:
            self.dropped += current - self._next
            return current
        time.sleep(max(0.0, self._started + self._next * self.config.frame_interval_s - now))
        return self._next

    def _read(self) -> np.ndarray:
        index = self._due()
        self._next = index + 1
        if self._video is not None:
            return self._decode_video(index)
        position = self._position + (index - self._last)
        self._last = index
        if position >= len(self._images):
            if not self.config.loop:
                raise SourceExhausted(self.name, f"simulated source {self._source.name} has played all "
                                      f"{len(self._images)} images")
            position %= len(self._images)
            self._images = self._scan()  # pick up pictures added or removed while playing
            position %= len(self._images)
        self._position = position
        return self._decode_image(self._images[position])

    def close(self) -> None:
        """Stop playing and release the video file (idempotent); waits for a frame being read."""
        with self._io:  # waits for a frame being read (at most one frame interval)
            if self._video is not None:
                self._video.release()
                self._video = None
            super().close()
