"""USB / V4L2 cameras through OpenCV's VideoCapture (V4L2 backend).

The colour frame is retrieved into one buffer allocated at open and reused;
the only per-frame allocation is the grey output that ``cv2.cvtColor``
writes straight into.  That output is deliberately not reused: a caller may
hand a frame to a decoder thread and keep capturing, so each frame owns its
memory and is never copied afterwards.  (CSI cameras speak libcamera, which VideoCapture
cannot open: see :mod:`drivers.camera.picam`.)

>>> from drivers.camera import CameraConfig, OpenCVCamera
>>> with OpenCVCamera(CameraConfig(device="/dev/video0")) as cam:   # doctest: +SKIP
...     cam.capture().shape
(480, 640)
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import cv2
import numpy as np

from drivers.camera.base import Camera
from drivers.camera.config import CameraConfig, is_ascii_number
from drivers.errors import ConfigurationError, DeviceTimeout, DeviceUnavailable

# OpenCV prints its own warnings for a missing camera; ours say the same in one line.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

LIST_HINT = "check the USB cable; list cameras with 'v4l2-ctl --list-devices'"


def device_path(device: str) -> Path:
    """``"0"`` -> ``/dev/video0``; paths (including /dev/v4l/by-id links) stay as given.

    Only ASCII digits make an index: '１' stays a (missing) path, named as such when opened.
    """
    device = str(device).strip()
    return Path(f"/dev/video{device}") if is_ascii_number(device) else Path(device)


def holders(path: str | os.PathLike) -> list[tuple[int, str]]:
    """Processes (pid, command name) other than this one that have ``path`` open; [] when none can be seen."""
    target = os.path.realpath(path)
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == target:
                    found.append((int(proc.name), (proc / "comm").read_text().strip()))
                    break
        except OSError:  # the process ended, or is not ours to look at
            continue
    return found


def _busy_hint(path: Path) -> str:
    # Only a real video node is worth a /proc scan; /dev/null has hundreds of holders.
    if not re.fullmatch(r"/dev/video[0-9]+", os.path.realpath(path)):
        return ""
    users = holders(path)
    return ", ".join(f"pid {pid} ({comm})" for pid, comm in users)


class OpenCVCamera(Camera):
    """A V4L2 camera opened with ``cv2.VideoCapture(path, cv2.CAP_V4L2)``.

    Args: ``config``, a :class:`CameraConfig` with ``backend="opencv"``
    (``device`` a /dev/videoN path, a /dev/v4l/by-id link or an index;
    ``timeout_s`` bounds opening and each frame, in seconds).  Raises
    :class:`ConfigurationError` for another backend or a resolution the camera
    does not offer, :class:`DeviceUnavailable` for a missing, busy or
    unreadable device (naming the process that holds it);
    :meth:`capture` raises :class:`DeviceTimeout` or
    :class:`DeviceUnavailable` (unplugged).

    >>> from drivers.camera import CameraConfig
    >>> OpenCVCamera(CameraConfig(device="/dev/video99"))
    Traceback (most recent call last):
    ...
    drivers.errors.DeviceUnavailable: camera: no camera at /dev/video99 (check the USB cable; list cameras with 'v4l2-ctl --list-devices')
    >>> with OpenCVCamera(CameraConfig(device="/dev/video0")) as cam:   # doctest: +SKIP
    ...     cam.capture().shape
    (480, 640)
    """

    def __init__(self, config: CameraConfig):
        super().__init__(config)
        if config.backend != "opencv":
            raise ConfigurationError(self.name, f"OpenCVCamera needs backend 'opencv', not {config.backend!r}")
        self.path = device_path(config.device)
        self._check_node()
        timeout_ms = int(config.timeout_s * 1000)
        self._capture = cv2.VideoCapture(str(self.path), cv2.CAP_V4L2, [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms])
        try:
            self._configure()
        except BaseException:
            self._capture.release()
            raise

    def _check_node(self) -> None:
        if not self.path.exists():
            raise DeviceUnavailable(self.name, f"no camera at {self.path}", hint=LIST_HINT)
        if not stat.S_ISCHR(os.stat(self.path).st_mode):
            raise DeviceUnavailable(self.name, f"{self.path} is not a video device",
                                    hint="camera.device must be /dev/videoN or a /dev/v4l/by-id/... link")
        if not os.access(self.path, os.R_OK | os.W_OK):
            raise DeviceUnavailable(self.name, f"no permission to open {self.path}",
                                    hint="add the service user to the 'video' group")

    def _unopenable(self, what: str) -> DeviceUnavailable:
        busy = _busy_hint(self.path)
        if busy:
            return DeviceUnavailable(self.name, f"{self.path} is busy: in use by {busy}",
                                     hint="stop the other program, or give this terminal its own camera")
        return DeviceUnavailable(self.name, f"{self.path} {what}",
                                 hint="is it a capture device? try the other /dev/videoN of the same camera")

    def _configure(self) -> None:
        if not self._capture.isOpened():
            raise self._unopenable("cannot be opened as a V4L2 camera")
        width, height = self.config.resolution
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self._capture.set(cv2.CAP_PROP_FPS, self.config.fps)
        # A short driver queue: the dropbox wants the newest frame, not one from a second ago.
        self._capture.set(cv2.CAP_PROP_BUFFERSIZE, 2)
        if not self._capture.grab():
            raise self._unopenable("opened but delivers no frames")
        ok, first = self._capture.retrieve()
        if not ok or first is None:
            raise self._unopenable("opened but its frames cannot be decoded")
        got = (first.shape[1], first.shape[0])
        if got != (width, height):
            raise ConfigurationError(self.name, f"resolution {width}x{height} is not offered by {self.path}; "
                                     f"it delivers {got[0]}x{got[1]}",
                                     hint="set camera.resolution to a size 'v4l2-ctl --list-formats-ext' shows")
        self._buffer: np.ndarray = first  # reused by every retrieve()
        self._code = cv2.COLOR_BGR2GRAY if first.ndim == 3 and first.shape[2] == 3 else None

    def _read(self) -> np.ndarray:
        if not self._capture.grab():
            if not self.path.exists():
                raise DeviceUnavailable(self.name, f"camera {self.path} has gone (unplugged?)", hint=LIST_HINT)
            raise DeviceTimeout(self.name, f"no frame from {self.path} within {self.config.timeout_s:g} s",
                                hint="check the cable and the light; replug the camera")
        ok, frame = self._capture.retrieve(self._buffer)
        if not ok:
            raise DeviceTimeout(self.name, f"frame from {self.path} could not be decoded")
        if self._code is None:  # the camera already gives one channel
            return frame.copy() if frame is self._buffer else frame
        return cv2.cvtColor(frame, self._code)

    def close(self) -> None:
        """Release the V4L2 device (idempotent); waits for a grab in progress (at most ``timeout_s``)."""
        with self._io:  # waits for a grab in progress (bounded by timeout_s)
            capture = getattr(self, "_capture", None)
            if capture is not None:
                capture.release()
                self._capture = None
            super().close()
