"""Cameras: greyscale frames from a USB (V4L2) camera, a CSI camera, or a simulator.

:func:`open_camera` picks the backend the :class:`CameraConfig` names.

>>> import tempfile, pathlib, cv2, numpy as np
>>> from drivers.camera import CameraConfig, open_camera
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = cv2.imwrite(str(folder / "a.png"), np.random.randint(0, 255, (480, 640), np.uint8))
>>> with open_camera(CameraConfig(backend="sim", device=str(folder))) as camera:
...     print(camera.capture().shape)
(480, 640)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drivers.lazy import lazy_exports

if TYPE_CHECKING:
    from drivers.camera.base import Camera
    from drivers.camera.config import CameraConfig

_EXPORTS = {
    "Camera": "drivers.camera.base",
    "SourceExhausted": "drivers.camera.base",
    "check_live": "drivers.camera.base",
    "CameraConfig": "drivers.camera.config",
    "OpenCVCamera": "drivers.camera.opencv",
    "PiCamera": "drivers.camera.picam",
    "SimCamera": "drivers.camera.sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = ["Camera", "CameraConfig", "OpenCVCamera", "PiCamera", "SimCamera", "SourceExhausted",
           "check_live", "open_camera"]


def open_camera(config: CameraConfig) -> Camera:
    """Open the camera ``config`` describes (a :class:`DeviceError` says why not)."""
    from drivers.camera.opencv import OpenCVCamera
    from drivers.camera.picam import PiCamera
    from drivers.camera.sim import SimCamera

    if config.backend == "sim":
        return SimCamera(config)
    if config.backend == "picamera2":
        return PiCamera(config)
    return OpenCVCamera(config)
