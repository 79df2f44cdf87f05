"""``open_camera(section)``: the camera its configuration names (drivers/README.md, point 1).

>>> import tempfile, pathlib, cv2, numpy as np
>>> from drivers.camera import open_camera
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = cv2.imwrite(str(folder / "a.png"), np.random.randint(0, 255, (480, 640), np.uint8))
>>> with open_camera({"backend": "sim", "sim_source": str(folder)}) as camera:
...     print(type(camera).__name__, camera.capture().shape)
CameraSimulator (480, 640)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drivers.camera.base import Camera
from drivers.camera.config import CameraConfig
from drivers.settings import CAMERA, section_values


def open_camera(section: Mapping[str, Any], **overrides: Any) -> Camera:
    """The camera the ``[camera]`` config section names (``cfg.camera``, or a dict of some of its keys).

    ``overrides`` replace keys of the section (``resolution="320x240"``,
    ``fps=5.0``, ``backend="sim"``, ``sim_source=...``); keys left out take
    the schema's defaults.  The section becomes a validated
    :class:`CameraConfig` first; then ``backend = "sim"`` plays
    ``sim_source`` (:class:`CameraSimulator`), and ``backend = "real"`` opens
    ``device`` with OpenCV, or with Picamera2 for ``csi:N``.

    Returns an open :class:`Camera`.  Raises :class:`ConfigurationError` for a
    bad setting and :class:`DeviceUnavailable` (or another
    :class:`DeviceError`) when the camera cannot be opened.
    """
    config = CameraConfig.from_settings(section_values(CAMERA, section, overrides, device="camera"))
    if config.backend == "sim":
        from drivers.camera.sim import CameraSimulator

        return CameraSimulator(config)
    if config.backend == "picamera2":
        from drivers.camera.picam import PiCamera

        return PiCamera(config)
    from drivers.camera.opencv import OpenCVCamera

    return OpenCVCamera(config)
