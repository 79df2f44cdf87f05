"""Badge render time (budget 300 ms): the CR80 card at the simulated card printer's imageable area.

Figures: the first render in a process (the CJK font loaded), then the median and worst of 30 warm
renders (HR photo framed, card drawn, QR made, PNG written as print_badge writes it), and the
photo framing of a camera frame on its face.  Run when ``uptime`` shows a low load.
"""

from __future__ import annotations

import glob
import io
import os
import statistics
import time

SIZE = (626, 999)      # what drivers.printer reports for the simulated CR80 printer at 300 dpi


def _photo_bytes() -> bytes:
    faces = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "shared", "testdata", "faces",
                                          "*.jpg")))
    if faces:
        with open(faces[0], "rb") as fh:
            return fh.read()
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (480, 640), (120, 100, 90)).save(out, "JPEG")
    return out.getvalue()


def _once(data: bytes) -> float:
    from kiosk.badges.render import Holder, frame_photo, render_badge

    started = time.perf_counter()
    image = render_badge(Holder("欧阳测试", "E1002", "HR"), frame_photo(data), "BDG-E1002-2.K7Q2M4XP9A", SIZE)
    image.save(io.BytesIO(), "PNG")
    return (time.perf_counter() - started) * 1000


def main() -> None:
    data = _photo_bytes()
    load = os.getloadavg()[0]
    first = _once(data)
    warm = [_once(data) for _ in range(30)]
    print(f"badge render, first in process: {first:.1f} ms (CJK font loaded; load {load:.2f})")
    print(f"badge render: {statistics.median(warm):.1f} ms median, {max(warm):.1f} ms max "
          f"(30 renders at {SIZE[0]}x{SIZE[1]} px, photo + QR + PNG; budget 300 ms)")
    try:
        from kiosk.badges.render import frame_capture
        from kiosk.face_sim import visit

        frame = visit(data, n=1)[0]
        frame_capture(frame)                                 # models loaded
        started = time.perf_counter()
        frame_capture(frame)
        print(f"camera capture framed on the face: {(time.perf_counter() - started) * 1000:.1f} ms "
              f"(640x480 grey, dlib HOG)")
    except Exception as exc:                                 # face detection is optional on a kiosk
        print(f"camera capture framing: not measured ({exc})")


if __name__ == "__main__":
    main()
