"""``terminal hw camera`` (snapshot / live check), ``terminal sim camera`` and the camera's selftest.

``terminal hw camera --snapshot FILE [--device D | --sim-source PATH]`` works
without a configuration file; without a device it uses the configured camera.
Every camera is opened with :func:`drivers.camera.open_camera`.
"""

from __future__ import annotations

import os
from pathlib import Path

from drivers.errors import DeviceError
from drivers.health import Health
from terminal import TerminalError
from terminal.cliopts import example, number, out_option, whole
from terminal.config import DEFAULT_PATH, ENV_VAR

WARMUP_FRAMES = 5  # USB cameras' first frames are dark while auto-exposure settles


def register_hw(hw_sub, common) -> None:
    """Add ``terminal hw camera`` to ``hw_sub`` (the ``hw`` subparsers); ``common`` gives ``--config``."""
    p = hw_sub.add_parser("camera", parents=[common], help="check the camera or save a snapshot",
                          description="Grab frames from the camera: check that the picture is live "
                                      "(not blank, not frozen), or save one greyscale frame as PNG.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--device", metavar="D",
                        help="/dev/videoN, /dev/v4l/by-id/..., an index, or csi:N (default: the configured camera)")
    source.add_argument("--sim-source", metavar="PATH", help="play a folder of images or a video file instead")
    p.add_argument("--snapshot", metavar="FILE", help="write one greyscale frame to FILE as PNG")
    p.add_argument("--resolution", metavar="WxH", help="frame size (default 640x480, or the configured one)")
    p.add_argument("--fps", type=number, metavar="N",
                   help="frames per second (default 15, or the configured one)")
    example(p, "terminal hw camera --device /dev/video0 --snapshot /tmp/frame.png")
    p.set_defaults(run=_run_hw)


def register_sim(sim_sub, common) -> None:
    """Add ``terminal sim camera`` to ``sim_sub`` (the ``sim`` subparsers); ``common`` gives ``--config``."""
    p = sim_sub.add_parser("camera", parents=[common], help="write pictures for the camera simulator to play",
                           description="The camera simulator runs inside the process that uses the camera "
                                       "(backend = \"sim\"): it plays camera.sim_source. This writes that "
                                       "folder: an idle scene, and a QR code held up to the camera with --qr "
                                       "(the folder is re-read each time playback wraps round).")
    out_option(p, default=None, required=True, help="the camera's sim_source folder", old=("--folder",))
    p.add_argument("--frames", type=whole, default=8, metavar="N", help="idle scene frames (default 8)")
    p.add_argument("--qr", action="append", default=[], metavar="TEXT", help="add a picture of a QR code")
    example(p, "terminal sim camera --out /var/lib/service-terminals/sim/camera --qr DBX-ENV-0001")
    p.set_defaults(run=_run_sim)


def _run_sim(args) -> int:
    from drivers.camera.scene import write_qr, write_scene

    if args.out is None:
        raise TerminalError("--out DIR is required: the folder camera.sim_source names", exit_code=2)
    if not 1 <= args.frames <= 1000:
        raise TerminalError("--frames must be 1 to 1000", exit_code=2)
    folder = Path(args.out)
    try:
        scene = write_scene(folder, frames=args.frames)
        shown = [write_qr(folder, text) for text in args.qr]
    except OSError as exc:
        raise TerminalError(f"{folder}: cannot write the pictures: {exc.strerror}") from None
    print(f"{folder}: {len(scene)} scene frames" + (f", {len(shown)} QR pictures" if shown else ""))
    return 0


def _section_and_overrides(args) -> tuple[object, dict]:
    """The ``[camera]`` section to open (``{}`` when the command line names the camera) and its overrides."""
    overrides = {k: v for k, v in (("resolution", args.resolution), ("fps", args.fps)) if v is not None}
    if args.sim_source:
        return {}, {**overrides, "backend": "sim", "sim_source": args.sim_source}
    if args.device:
        return {}, {**overrides, "backend": "real", "device": args.device}
    if not (args.config or os.environ.get(ENV_VAR) or DEFAULT_PATH.exists()):
        raise TerminalError("no camera named: use --device /dev/videoN (or csi:0), --sim-source PATH, "
                            "or --config FILE", exit_code=2)
    from terminal.settings_access import load_for_command

    cfg = load_for_command(args)
    if "camera" not in cfg:
        raise TerminalError(f"{cfg.source}: has no [camera] section; name a camera with --device", exit_code=2)
    return cfg.camera, overrides


def _run_hw(args) -> int:
    from drivers.camera.factory import open_camera

    section, overrides = _section_and_overrides(args)
    with open_camera(section, **overrides) as camera:
        if not args.snapshot:
            health = camera.health()
            print(f"camera  {'PASS' if health.ok else 'FAIL'}  {health.summary}")
            return 0 if health.ok else 1
        for _ in range(0 if camera.config.backend == "sim" else WARMUP_FRAMES):
            camera.capture()
        frame = camera.capture()
    write_png(Path(args.snapshot), frame)
    print(f"snapshot: {args.snapshot} ({frame.shape[1]}x{frame.shape[0]} grey, {camera.describe()})")
    return 0


def write_png(path: Path, frame) -> None:
    """Write ``frame`` (a grey uint8 array) to ``path`` as PNG, atomically (a half-written file never carries the name).

    Raises :class:`TerminalError`: exit code 2 for a name without ``.png``, 1 when it cannot be encoded or written.
    """
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
    """Open the configured camera and check its picture is live: one :class:`Health`, or ``[]`` without a camera.

    Never raises: a camera that cannot be opened is one failed ``camera`` row.
    """
    if "camera" not in cfg:
        return []
    from drivers.camera.factory import open_camera

    try:
        with open_camera(cfg.camera) as camera:
            return [camera.health()]
    except DeviceError as exc:
        return [Health("camera", False, str(exc))]
