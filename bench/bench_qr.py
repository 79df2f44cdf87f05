"""QR decoding: each decoder alone and the drop box's pipeline, on qr-public and on synthetic frames.

``python -m bench qr``.  Per decoder, from one run: decoded share of the
pictures with a code, false reads (a payload not in the ground truth, the
no-code pictures included), median and p95 ms per 640x480 frame, and the
median ms of the no-code frames.  Each frame's time is the median of
``REPEATS`` calls (the machine is shared; one stray scheduling pause should
not count as the decoder's cost), after one warm-up call per decoder.

Frames: ../shared/testdata/qr-public (or ``BENCH_QR_DIR``), read as grey and
resized to 640x480 with INTER_AREA when they are another size (qr-public is
already 640x480, so it is used as is).  The synthetic frames
(dropbox/qr/synth.py, seeds 10000-10399 with a code and 20000-20099 without,
and 280 codes printed on a form with text beside them, seeds 30000-30279)
check the pipeline beyond qr-public: a retry was kept only if it read more
on both qr-public and the first synthetic set; the form frames were made
afterwards and chose nothing.

WeChatQRCode is only in the opencv-contrib wheels, not the project's
opencv-python-headless; ``BENCH_QR_CONTRIB=DIR`` (a ``pip install --target
DIR --no-deps opencv-contrib-python-headless==<same version>``) measures it
in a child process with that cv2 first on the path.
"""

from __future__ import annotations

import csv
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
QR_PUBLIC = Path(os.environ.get("BENCH_QR_DIR") or REPO.parent / "shared" / "testdata" / "qr-public")
REPEATS = 3
FRAME = (640, 480)


def public_frames(folder: Path = QR_PUBLIC) -> list[tuple[str, np.ndarray, str | None]]:
    """(name, 640x480 grey frame, payload or None) for each row of truth.csv."""
    out = []
    with open(folder / "truth.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            img = cv2.imread(str(folder / row["file"]), cv2.IMREAD_GRAYSCALE)
            if img.shape[::-1] != FRAME:
                img = cv2.resize(img, FRAME, interpolation=cv2.INTER_AREA)
            out.append((row["file"], img, row["payload"] or None))
    return out


def synthetic_frames(n_code: int = 400, n_empty: int = 100) -> list[tuple[str, np.ndarray, str | None]]:
    from dropbox.qr.synth import synth_frame

    out = []
    for seed in range(10000, 10000 + n_code):
        frame, payload, kinds = synth_frame(seed)
        out.append((f"synth-{seed}-{'+'.join(kinds) or 'plain'}", frame, payload))
    for seed in range(20000, 20000 + n_empty):
        out.append((f"synth-{seed}-empty", synth_frame(seed, empty=True)[0], None))
    return out


FORM_KINDS = ((), ("tiny",), ("blur",), ("motion",), ("glare",), ("steep",), ("dim", "noise"))


def form_frames(n: int = 280) -> list[tuple[str, np.ndarray, str | None]]:
    """Codes printed on a form with lines of text beside them (seeds 30000-), FORM_KINDS in turn."""
    from dropbox.qr.synth import synth_frame

    out = []
    for i, seed in enumerate(range(30000, 30000 + n)):
        frame, payload, kinds = synth_frame(seed, kinds=tuple(sorted(("form",) + FORM_KINDS[i % len(FORM_KINDS)])))
        out.append((f"synth-{seed}-{'+'.join(kinds)}", frame, payload))
    return out


def measure(read, frames) -> dict:
    """Run ``read(frame) -> list[Decoded]`` over ``frames``: counts, times and who read what."""
    read(frames[0][1])  # warm-up: first-call allocations and lazy imports
    ms, empty_ms, decoded, false, by = [], [], [], [], {}
    for name, frame, payload in frames:
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            found = read(frame)
            times.append((time.perf_counter() - started) * 1000)
        t = statistics.median(times)
        ms.append(t)
        if payload is None:
            empty_ms.append(t)
        for d in found:
            if d.payload == payload:
                decoded.append(name)
                by[d.decoder] = by.get(d.decoder, 0) + 1
            else:
                false.append(f"{name}: {d.payload!r}")
    with_code = sum(1 for _, _, p in frames if p is not None)
    return {"decoded": sorted(set(decoded)), "with_code": with_code, "false": false,
            "median_ms": statistics.median(ms), "p95_ms": float(np.percentile(ms, 95)),
            "empty_median_ms": statistics.median(empty_ms) if empty_ms else float("nan"), "by": by}


def _line(label: str, r: dict) -> str:
    n = len(r["decoded"])
    empty = "" if r["empty_median_ms"] != r["empty_median_ms"] else \
        f", no-code median {r['empty_median_ms']:.2f} ms"
    return (f"qr {label}: {n}/{r['with_code']} decoded ({100 * n / r['with_code']:.1f}%), "
            f"{len(r['false'])} false reads, median {r['median_ms']:.2f} ms p95 {r['p95_ms']:.2f} ms "
            f"per frame{empty}")


def _wechat_child() -> None:
    """In the child (contrib cv2 first on sys.path): print WeChatQRCode's figures on qr-public as JSON."""
    from dropbox.qr.decoders import opencv_wechat

    r = measure(opencv_wechat, public_frames())
    print(json.dumps(r))


def _wechat(peers: dict) -> str | None:
    from dropbox.qr.decoders import opencv_wechat, wechat_available

    if wechat_available():
        peers["opencv-wechat"] = opencv_wechat
        return None
    contrib = os.environ.get("BENCH_QR_CONTRIB")
    if not contrib:
        return ("qr opencv-wechat: not measured: WeChatQRCode is not in opencv-python-headless "
                f"{cv2.__version__}; set BENCH_QR_CONTRIB=DIR (pip install --target DIR --no-deps "
                "opencv-contrib-python-headless) to measure it")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([contrib, str(REPO)]))
    out = subprocess.run([sys.executable, "-c", "from bench.bench_qr import _wechat_child; _wechat_child()"],
                         cwd=REPO, env=env, capture_output=True, text=True)
    if out.returncode:
        return f"qr opencv-wechat: the child failed: {out.stderr.strip().splitlines()[-1:]}"
    return "WECHAT" + out.stdout.strip().splitlines()[-1]


def main() -> None:
    from dropbox.qr import decode
    from dropbox.qr.decoders import opencv, opencv_aruco, zbar, zxing

    if not (QR_PUBLIC / "truth.csv").exists():
        print(f"qr: skipped: no {QR_PUBLIC}/truth.csv (set BENCH_QR_DIR)")
        return
    load = os.getloadavg()
    print(f"qr load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
          f"opencv {cv2.__version__}; {REPEATS} calls per frame, median kept")
    frames = public_frames()
    peers = {"pyzbar": zbar, "zxing-cpp": zxing, "opencv QRCodeDetector": opencv,
             "opencv QRCodeDetectorAruco": opencv_aruco}
    wechat = _wechat(peers)
    results = {}
    for label, read in peers.items():
        results[label] = measure(read, frames)
        print(_line(f"{label} (qr-public)", results[label]), flush=True)
    if wechat and wechat.startswith("WECHAT"):
        results["opencv WeChatQRCode (contrib wheel)"] = json.loads(wechat[6:])
        print(_line("opencv WeChatQRCode, contrib wheel, no CNN (qr-public)",
                    results["opencv WeChatQRCode (contrib wheel)"]))
    elif wechat:
        print(wechat)
    union = set().union(*(r["decoded"] for r in results.values()))
    with_code = next(iter(results.values()))["with_code"]
    print(f"qr union of the {len(results)} decoders above (qr-public): {len(union)}/{with_code} "
          f"({100 * len(union) / with_code:.1f}%)")
    pipeline = measure(decode, frames)
    print(_line("pipeline (qr-public)", pipeline))
    print(f"qr pipeline reads by attempt (qr-public): {pipeline['by']}")
    for line in pipeline["false"]:
        print(f"qr pipeline FALSE READ: {line}")
    synth = synthetic_frames()
    print(_line("zxing-cpp (synthetic, held out)", measure(zxing, synth)))
    held = measure(decode, synth)
    print(_line("pipeline (synthetic, held out)", held))
    missed = {}
    for name, _, payload in synth:
        if payload is not None and name not in held["decoded"]:
            kind = name.split("-", 2)[2]
            missed[kind] = missed.get(kind, 0) + 1
    print(f"qr pipeline misses by kind (synthetic): {dict(sorted(missed.items()))}")
    forms = form_frames()
    print(_line("zxing-cpp (synthetic forms: text beside the code)", measure(zxing, forms)))
    print(_line("pipeline (synthetic forms: text beside the code)", measure(decode, forms)))
    load = os.getloadavg()
    print(f"qr load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
