"""Cameras: greyscale frames from a USB (V4L2) camera, a CSI camera, or a simulator.

:func:`open_camera` opens the camera a ``[camera]`` section names; the
section becomes a validated :class:`CameraConfig` (the Picamera2 way), which
the device classes also take directly.

>>> import tempfile, pathlib, cv2, numpy as np
>>> from drivers.camera import open_camera
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = cv2.imwrite(str(folder / "a.png"), np.random.randint(0, 255, (480, 640), np.uint8))
>>> with open_camera({"backend": "sim", "sim_source": str(folder)}) as camera:
...     print(camera.capture().shape)
(480, 640)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drivers.lazy import lazy_exports

if TYPE_CHECKING:
    from drivers.camera.base import Camera, SourceExhausted, check_live
    from drivers.camera.config import CameraConfig
    from drivers.camera.factory import open_camera
    from drivers.camera.opencv import OpenCVCamera
    from drivers.camera.picam import PiCamera
    from drivers.camera.sim import CameraSimulator

_EXPORTS = {
    "Camera": "drivers.camera.base",
    "SourceExhausted": "drivers.camera.base",
    "check_live": "drivers.camera.base",
    "CameraConfig": "drivers.camera.config",
    "open_camera": "drivers.camera.factory",
    "OpenCVCamera": "drivers.camera.opencv",
    "PiCamera": "drivers.camera.picam",
    "CameraSimulator": "drivers.camera.sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
