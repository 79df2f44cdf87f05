"""CSI cameras through Picamera2 (libcamera), where it is installed.

Picamera2 ships with Raspberry Pi OS (``apt install python3-picamera2``), not
on PyPI for this platform; the venv must see the system site-packages.  The
stream is configured as YUV420, whose first ``height`` rows are the Y
(luminance) plane: the grey frame is a view of that plane, no conversion and
no copy.

>>> from drivers.camera import CameraConfig, PiCamera
>>> with PiCamera(CameraConfig(backend="picamera2", device="0")) as cam:   # doctest: +SKIP
...     cam.capture().shape
(480, 640)
"""

from __future__ import annotations

import numpy as np

from drivers.camera.base import Camera
from drivers.camera.config import CameraConfig, is_ascii_number
from drivers.errors import ConfigurationError, DeviceTimeout, DeviceUnavailable

INSTALL_HINT = ("on Raspberry Pi OS: apt install python3-picamera2, and create the venv with "
                "--system-site-packages")


def load_picamera2():
    """The Picamera2 class; raises :class:`DeviceUnavailable` saying how to get it when it is not installed."""
    try:
        from picamera2 import Picamera2
    except ImportError as exc:
        raise DeviceUnavailable("camera", f"Picamera2 is not installed ({exc.name or exc}), so a CSI camera "
                                "cannot be used", hint=INSTALL_HINT) from None
    return Picamera2


class PiCamera(Camera):
    """A CSI camera through Picamera2; ``config.device`` is the camera number (``0`` for the first).

    Args: ``config``, a :class:`CameraConfig` with ``backend="picamera2"``
    (``timeout_s`` bounds each frame, in seconds).  Raises
    :class:`ConfigurationError` for another backend or a device that is not a
    camera number, :class:`DeviceUnavailable` when Picamera2 is missing, the
    camera is absent or busy, or it refuses the size and rate;
    :meth:`capture` raises :class:`DeviceTimeout`.

    >>> from drivers.camera import CameraConfig
    >>> PiCamera(CameraConfig(backend="picamera2", device="front"))
    Traceback (most recent call last):
    ...
    drivers.errors.ConfigurationError: camera: device 'front' must be a CSI camera number (for example csi:0)
    >>> with PiCamera(CameraConfig(backend="picamera2", device="0")) as cam:   # doctest: +SKIP
    ...     cam.capture().shape
    (480, 640)
    """

    def __init__(self, config: CameraConfig):
        super().__init__(config)
        if config.backend != "picamera2":
            raise ConfigurationError(self.name, f"PiCamera needs backend 'picamera2', not {config.backend!r}")
        if not is_ascii_number(str(config.device)):
            raise ConfigurationError(self.name, f"device {config.device!r} must be a CSI camera number",
                                     hint="for example csi:0")
        picamera2 = load_picamera2()
        number = int(config.device)
        found = len(picamera2.global_camera_info())
        if number >= found:
            raise DeviceUnavailable(self.name, f"no CSI camera {number} (libcamera sees {found})",
                                    hint="check the ribbon cable and camera_auto_detect=1 in config.txt")
        try:
            self._camera = picamera2(number)
        except RuntimeError as exc:  # libcamera: "Failed to acquire camera: Device or resource busy"
            raise DeviceUnavailable(self.name, f"CSI camera {number} cannot be opened: {exc}",
                                    hint="another program (rpicam-*, libcamera-*) may be using it") from None
        try:
            video = self._camera.create_video_configuration(
                main={"size": config.resolution, "format": "YUV420"},
                controls={"FrameRate": float(config.fps)}, buffer_count=4)
            self._camera.configure(video)
            self._camera.start()
        except Exception as exc:
            self._camera.close()
            raise DeviceUnavailable(self.name, f"CSI camera {number} refused {config.width}x{config.height} "
                                    f"at {config.fps:g} fps: {exc}") from None

    def _read(self) -> np.ndarray:
        job = self._camera.capture_array("main", wait=False)
        try:
            yuv = self._camera.wait(job, timeout=self.config.timeout_s)
        except TimeoutError:
            raise DeviceTimeout(self.name, f"no frame from CSI camera {self.config.device} within "
                                f"{self.config.timeout_s:g} s", hint="check the ribbon cable") from None
        return yuv[: self.config.height, : self.config.width]  # the Y plane, a view

    def close(self) -> None:
        """Stop and release the CSI camera (idempotent); waits for a frame being read (at most ``timeout_s``)."""
        with self._io:  # waits for a frame being read (bounded by timeout_s)
            camera = getattr(self, "_camera", None)
            if camera is not None:
                self._camera = None
                camera.close()
            super().close()
