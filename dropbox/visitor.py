"""The demo's people at the simulated drop box: each form in turn held to the camera, then a courier.

``make demo`` runs it beside ``terminal dropbox`` (terminal/demo.py).  It only adds and removes
pictures in the simulated camera's folder (the camera simulator picks them up as it plays); the
envelope itself is dropped by the GPIO simulator (``[gpio] sim_drop_after_unlock_s``).  After the
last form the courier shows a collection code, then the round starts again (so the same forms are
then refused as already received, which the demo shows too).  SIGTERM or Ctrl-C ends it, exit 0.

    python -m dropbox.visitor --camera .demo/dropbox/state/sim/camera --codes .demo/dropbox/visitors.json
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from terminal.cliopts import example, seconds


def show(camera: Path, payload: str | None) -> None:
    """Hold ``payload`` up to the camera in ``camera`` (its folder), or nothing (None); the old code goes."""
    from drivers.camera.scene import write_qr

    for old in camera.glob("qr-*.png"):
        old.unlink(missing_ok=True)
    if payload:
        staged = write_qr(camera.parent / "visitor-staging", payload)
        staged.replace(camera / staged.name)   # renamed in: the camera never reads half a picture


def visit(camera: Path, codes: list[str], *, show_s: float, gap_s: float, stop: threading.Event) -> None:
    """After ``gap_s`` seconds, show each code for ``show_s`` seconds with ``gap_s`` seconds between, round
    after round, until ``stop`` is set."""
    show(camera, None)
    while not stop.wait(gap_s):   # the first visitor comes after a gap too: the box syncs its keys first
        for payload in codes:
            show(camera, payload)
            if stop.wait(show_s):
                break
            show(camera, None)
            if stop.wait(gap_s):
                break
    show(camera, None)


def main(argv: list[str] | None = None) -> int:
    """``python -m dropbox.visitor``: see the module docstring; returns the exit code."""
    p = argparse.ArgumentParser(prog="python -m dropbox.visitor", description="the demo's people at the drop box")
    p.add_argument("--camera", required=True, metavar="DIR", help="the simulated camera's picture folder")
    p.add_argument("--codes", required=True, metavar="FILE", help='JSON {"forms": [...], "collection": "..."}')
    p.add_argument("--show", type=seconds, default=4.0, metavar="S", help="how long each code is held up")
    p.add_argument("--gap", type=seconds, default=12.0, metavar="S", help="time between two visitors")
    example(p, "python -m dropbox.visitor --camera .demo/dropbox/state/sim/camera --codes .demo/dropbox/visitors.json")
    args = p.parse_args(argv)
    try:
        spec = json.loads(Path(args.codes).read_text())
        codes = [*spec["forms"], spec["collection"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        p.error(f"--codes {args.codes}: not the demo's visitor file ({exc})")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    visit(Path(args.camera), codes, show_s=args.show, gap_s=args.gap, stop=stop)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
