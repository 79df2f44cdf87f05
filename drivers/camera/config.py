"""The camera's configuration as one explicit, validated object (the Picamera2 way).

Every problem is found when the object is built, and the error names the
setting, so a wrong value never gets as far as the hardware.

>>> from drivers.camera.config import CameraConfig
>>> cfg = CameraConfig(backend="sim", device="/srv/frames", resolution=(640, 480), fps=10)
>>> cfg.width, cfg.height, cfg.frame_interval_s
(640, 480, 0.1)
>>> CameraConfig(backend="sim", device="/srv/frames", fps=0)
Traceback (most recent call last):
...
drivers.errors.ConfigurationError: camera: fps 0 is out of range; use 1 to 120
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drivers.errors import ConfigurationError
# The rules live in the schema, once; they are named here too, where a camera's config is built.
from drivers.settings import (CAMERA, MAX_SIDE, MIN_SIDE, backend_for_device, check_bounds, is_ascii_number,
                              parse_resolution, resolution_problem)

__all__ = ["BACKENDS", "CameraConfig", "MAX_SIDE", "MIN_SIDE", "backend_for_device", "is_ascii_number",
           "parse_resolution"]

BACKENDS = ("opencv", "picamera2", "sim")


def _side(value) -> int:
    """One side given as a number or as ASCII digits; ValueError otherwise (int() takes '６４０')."""
    if isinstance(value, str) and not is_ascii_number(value.strip()):
        raise ValueError(value)
    return int(value)


def _default(key: str) -> Any:
    return CAMERA.settings[key].default


@dataclass(frozen=True)
class CameraConfig:
    """What to open and how (defaults are the ``[camera]`` section's).

    * ``backend``: ``opencv`` (USB/V4L2), ``picamera2`` (CSI, libcamera) or ``sim``.
    * ``device``: opencv: ``/dev/videoN``, a ``/dev/v4l/by-id/...`` link or an index;
      picamera2: the camera number; sim: a folder of images or a video file.
    * ``resolution``: (width, height) in pixels of the grey frames delivered, or ``"WxH"``.
    * ``fps``: frames per second requested (the simulator paces itself to it).
    * ``timeout_s``: how long one frame may take, in seconds, before :class:`DeviceTimeout`.
    * ``loop``: sim only, start again at the end of the source.

    Raises :class:`ConfigurationError` naming the setting for any value
    outside the ``[camera]`` section's rules (the same bounds a
    configuration file is checked against).
    """

    backend: str = "opencv"
    device: str = _default("device")
    resolution: tuple[int, int] = parse_resolution(_default("resolution"))
    fps: float = _default("fps")
    timeout_s: float = _default("timeout_s")
    loop: bool = _default("sim_loop")

    def __post_init__(self):
        if self.backend not in BACKENDS:
            raise ConfigurationError("camera", f"backend {self.backend!r} is unknown; use one of "
                                     + ", ".join(BACKENDS))
        if isinstance(self.resolution, str):
            object.__setattr__(self, "resolution", parse_resolution(self.resolution))
        try:
            width, height = (_side(v) for v in self.resolution)
        except (TypeError, ValueError):
            raise ConfigurationError("camera", f"resolution {self.resolution!r} is not (width, height)") from None
        if problem := resolution_problem(width, height):
            raise ConfigurationError("camera", f"resolution {problem} ({width}x{height})")
        object.__setattr__(self, "resolution", (width, height))
        check_bounds(CAMERA, "fps", self.fps, device="camera")
        check_bounds(CAMERA, "timeout_s", self.timeout_s, device="camera")
        if not str(self.device).strip():
            what = "sim_source" if self.backend == "sim" else "device"
            raise ConfigurationError("camera", f"{what} is empty")

    @property
    def width(self) -> int:
        """Frame width, pixels."""
        return self.resolution[0]

    @property
    def height(self) -> int:
        """Frame height, pixels."""
        return self.resolution[1]

    @property
    def frame_interval_s(self) -> float:
        """Seconds between two frames at ``fps``."""
        return 1.0 / self.fps

    @classmethod
    def from_settings(cls, section: Mapping[str, Any]) -> "CameraConfig":
        """Build from the ``[camera]`` section's values (every key present).

        ``backend = "real"`` means opencv, or picamera2 when ``device`` is ``csi`` / ``csi:N``.
        Raises :class:`ConfigurationError` as the constructor does.
        """
        if section["backend"] == "sim":
            return cls(backend="sim", device=section["sim_source"], resolution=section["resolution"],
                       fps=section["fps"], timeout_s=section["timeout_s"], loop=section["sim_loop"])
        backend, device = backend_for_device(section["device"])
        return cls(backend=backend, device=device, resolution=section["resolution"],
                   fps=section["fps"], timeout_s=section["timeout_s"])
