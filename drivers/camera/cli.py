"""``terminal hw camera`` (snapshot / live check) and the camera's selftest.

``terminal hw camera --snapshot FILE [--device D | --sim-source PATH]`` works
without a configuration file; without a device it uses the configured camera.
"""

from __future__ import annotations

import os
from pathlib import Path

from drivers.errors import DeviceError
from drivers.health import Health
from terminal import TerminalError
from terminal.cliopts import number as ascii_float, whole as ascii_int
from terminal.config import DEFAULT_PATH, ENV_VAR

WARMUP_FRAMES = 5  # USB cameras' first frames are dark while auto-exposure settles


def register_hw(hw_sub, common) -> None:
    p = hw_sub.add_parser("camera", parents=[common], help="check the camera or save a snapshot",
                          description="Grab frames from the camera: check that the picture is live "
                                      "(not blank, not frozen), or save one greyscale frame as PNG.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--device", metavar="D",
                        help="/dev/videoN, /dev/v4l/by-id/..., an index, or csi:N (default: the configured camera)")
    source.add_argument("--sim-source", metavar="PATH", help="play a folder of images or a video file instead")
    p.add_argument("--snapshot", metavar="FILE", help="write one greyscale frame to FILE as PNG")
    p.add_argument("--resolution", metavar="WxH", help="frame size (default 640x480, or the configured one)")
    p.add_argument("--fps", type=ascii_float, metavar="N",
                   help="frames per second (default 15, or the configured one)")
    p.set_defaults(run=_run_hw)


def register_sim(sim_sub, common) -> None:
    p = sim_sub.add_parser("camera", parents=[common], help="write pictures for the camera simulator to play",
                           description="The camera simulator runs inside the process that uses the camera "
                                       "(backend = \"sim\"): it plays camera.sim_source. This writes that "
                                       "folder: an idle scene, and a QR code held up to the camera with --qr "
                                       "(the folder is re-read each time playback wraps round).")
    p.add_argument("--folder", required=True, metavar="DIR", help="the camera's sim_source folder")
    p.add_argument("--frames", type=ascii_int, default=8, metavar="N", help="idle scene frames (default 8)")
    p.add_argument("--qr", action="append", default=[], metavar="TEXT", help="add a picture of a QR code")
    p.set_defaults(run=_run_sim)


def _run_sim(args) -> int:
    from drivers.camera.scene import write_qr, write_scene

    if not 1 <= args.frames <= 1000:
        raise TerminalError("--frames must be 1 to 1000", exit_code=2)
    folder = Path(args.folder)
    try:
        scene = write_scene(folder, frames=args.frames)
        shown = [write_qr(folder, text) for text in args.qr]
    except OSError as exc:
        raise TerminalError(f"{folder}: cannot write the pictures: {exc.strerror}") from None
    print(f"{folder}: {len(scene)} scene frames" + (f", {len(shown)} QR pictures" if shown else ""))
    return 0


def _config_from_args(args):
    from drivers.camera.config import CameraConfig, backend_for_device

    overrides = {k: v for k, v in (("resolution", args.resolution), ("fps", args.fps)) if v is not None}
    if args.sim_source:
        return CameraConfig(backend="sim", device=args.sim_source, **overrides)
    if args.device:
        backend, device = backend_for_device(args.device)
        return CameraConfig(backend=backend, device=device, **overrides)
    if not (args.config or os.environ.get(ENV_VAR) or DEFAULT_PATH.exists()):
        raise TerminalError("no camera named: use --device /dev/videoN (or csi:0), --sim-source PATH, "
                            "or --config FILE", exit_code=2)
    from terminal.settings_access import load_for_command

    cfg = load_for_command(args)
    if "camera" not in cfg:
        raise TerminalError(f"{cfg.source}: has no [camera] section; name a camera with --device", exit_code=2)
    configured = CameraConfig.from_settings(cfg.camera)
    return CameraConfig(backend=configured.backend, device=configured.device,
                        resolution=overrides.get("resolution", configured.resolution),
                        fps=overrides.get("fps", configured.fps), timeout_s=configured.timeout_s,
                        loop=configured.loop)


def _run_hw(args) -> int:
    from drivers.camera import open_camera

    config = _config_from_args(args)
    with open_camera(config) as camera:
        if not args.snapshot:
            health = camera.health()
            print(f"camera  {'PASS' if health.ok else 'FAIL'}  {health.summary}")
            return 0 if health.ok else 1
        for _ in range(0 if config.backend == "sim" else WARMUP_FRAMES):
            camera.capture()
        frame = camera.capture()
    write_png(Path(args.snapshot), frame)
    print(f"snapshot: {args.snapshot} ({frame.shape[1]}x{frame.shape[0]} grey, {camera.describe()})")
    return 0


def write_png(path: Path, frame) -> None:
    """Write a frame as PNG, atomically (a half-written file never carries the name)."""
    import cv2

    if path.suffix.lower() != ".png":
        raise TerminalError(f"{path}: the snapshot is a PNG; give the file a .png name", exit_code=2)
    ok, data = cv2.imencode(".png", frame)
    if not ok:
        raise TerminalError(f"{path}: the frame could not be encoded as PNG")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_bytes(data.tobytes())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise TerminalError(f"{path}: cannot write the snapshot: {exc.strerror}") from None


def selftest(cfg) -> list[Health]:
    """Open the configured camera and check its picture is live."""
    if "camera" not in cfg:
        return []
    from drivers.camera import CameraConfig, open_camera

    try:
        with open_camera(CameraConfig.from_settings(cfg.camera)) as camera:
            return [camera.health()]
    except DeviceError as exc:
        return [Health("camera", False, str(exc))]
