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

import re
from dataclasses import dataclass

from drivers.errors import ConfigurationError

BACKENDS = ("opencv", "picamera2", "sim")
MIN_SIDE, MAX_SIDE = 32, 4096
MIN_FPS, MAX_FPS = 1.0, 120.0


def is_ascii_number(text: str) -> bool:
    """True for one or more of the digits 0-9 and nothing else.

    ``str.isdigit()`` and ``int()`` also take '²', '１２' and '١٢'; a device number or a size is
    only ever written in ASCII, so anything else is refused with the setting named.
    """
    return bool(re.fullmatch(r"[0-9]+", text))


def parse_resolution(text: str) -> tuple[int, int]:
    """``"640x480"`` -> ``(640, 480)``; raise :class:`ConfigurationError` naming the setting.

    >>> parse_resolution("1280x720")
    (1280, 720)
    """
    m = re.fullmatch(r"\s*([0-9]+)\s*[xX×]\s*([0-9]+)\s*", str(text))
    if not m:
        raise ConfigurationError("camera", f"resolution {text!r} is not of the form WIDTHxHEIGHT "
                                 "(digits 0-9)", hint="for example 640x480")
    return int(m.group(1)), int(m.group(2))


def _side(value) -> int:
    """One side given as a number or as ASCII digits; ValueError otherwise (int() takes '６４０')."""
    if isinstance(value, str) and not is_ascii_number(value.strip()):
        raise ValueError(value)
    return int(value)


@dataclass(frozen=True)
class CameraConfig:
    """What to open and how.

    * ``backend``: ``opencv`` (USB/V4L2), ``picamera2`` (CSI, libcamera) or ``sim``.
    * ``device``: opencv: ``/dev/videoN``, a ``/dev/v4l/by-id/...`` link or an index;
      picamera2: the camera number; sim: a folder of images or a video file.
    * ``resolution``: (width, height) of the grey frames delivered.
    * ``fps``: frames per second requested (the simulator paces itself to it).
    * ``timeout_s``: how long one frame may take before :class:`DeviceTimeout`.
    * ``loop``: sim only, start again at the end of the source.
    """

    backend: str = "opencv"
    device: str = "/dev/video0"
    resolution: tuple[int, int] = (640, 480)
    fps: float = 15.0
    timeout_s: float = 2.0
    loop: bool = True

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
        for side, value in (("width", width), ("height", height)):
            if not MIN_SIDE <= value <= MAX_SIDE:
                raise ConfigurationError("camera", f"resolution {side} {value} is out of range; "
                                         f"use {MIN_SIDE} to {MAX_SIDE}")
        if width % 2 or height % 2:
            # YUV420 (Picamera2, most USB cameras) subsamples by 2 in both directions.
            raise ConfigurationError("camera", f"resolution {width}x{height} must have even sides")
        object.__setattr__(self, "resolution", (width, height))
        if not isinstance(self.fps, (int, float)) or not MIN_FPS <= self.fps <= MAX_FPS:
            raise ConfigurationError("camera", f"fps {self.fps} is out of range; use {MIN_FPS:g} to {MAX_FPS:g}")
        if not isinstance(self.timeout_s, (int, float)) or not 0.05 <= self.timeout_s <= 60:
            raise ConfigurationError("camera", f"timeout_s {self.timeout_s} is out of range; use 0.05 to 60")
        if not str(self.device).strip():
            what = "sim_source" if self.backend == "sim" else "device"
            raise ConfigurationError("camera", f"{what} is empty")

    @property
    def width(self) -> int:
        return self.resolution[0]

    @property
    def height(self) -> int:
        return self.resolution[1]

    @property
    def frame_interval_s(self) -> float:
        return 1.0 / self.fps

    @classmethod
    def from_settings(cls, section) -> "CameraConfig":
        """Build from the ``[camera]`` section of the terminal configuration.

        ``backend = "real"`` means opencv, or picamera2 when ``device`` is ``csi`` / ``csi:N``.
        """
        if section["backend"] == "sim":
            return cls(backend="sim", device=section["sim_source"], resolution=section["resolution"],
                       fps=section["fps"], timeout_s=section["timeout_s"], loop=section["sim_loop"])
        backend, device = backend_for_device(section["device"])
        return cls(backend=backend, device=device, resolution=section["resolution"],
                   fps=section["fps"], timeout_s=section["timeout_s"])


def backend_for_device(device: str) -> tuple[str, str]:
    """``csi`` / ``csi:1`` name a CSI camera (Picamera2); anything else is a V4L2 device.

    >>> backend_for_device("csi:1"), backend_for_device("/dev/video2")
    (('picamera2', '1'), ('opencv', '/dev/video2'))
    """
    device = str(device).strip()
    if device == "csi" or device.startswith("csi:"):
        number = device.partition(":")[2] or "0"
        if not is_ascii_number(number):
            raise ConfigurationError("camera", f"device {device!r}: CSI camera number must be written with the digits 0-9",
                                     hint="for example csi:0")
        return "picamera2", number
    return "opencv", device
