"""dropbox/qr: the decoding pipeline, the sighting window and ``terminal hw qr``.

Pictures are generated here (segno, then the camera-like distortions of
dropbox/qr/synth.py, fixed seeds); ../shared/testdata/qr-public is read when
it is beside the clone.  No test measures time: the pipeline's retry budget is
lifted (``budget_ms=INF``) wherever a result is checked, so a loaded machine
reads the same codes, and the budget itself is tested with a fake clock.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from dropbox.qr import Decoded, SightingWindow, decode
from dropbox.qr.decoders import grey, payload_of, zbar, zxing
from dropbox.qr.pipeline import locate
from dropbox.qr.synth import code_matrix, synth_frame

INF = math.inf
QR_PUBLIC = Path(__file__).resolve().parent.parent.parent / "shared" / "testdata" / "qr-public"


def payloads(frame, **kw):
    return [d.payload for d in decode(frame, budget_ms=INF, **kw)]


def placed(payload, *, module_px: float, at=(300, 200), blur: float = 0.0, background: int = 150,
           size=(640, 480)) -> np.ndarray:
    """A frame with the code of ``payload`` (quiet zone included) pasted at ``at``, then blurred."""
    m = code_matrix(payload)
    side = round(m.shape[0] * module_px)
    frame = np.full(size[::-1], background, np.uint8)
    x, y = at
    frame[y:y + side, x:x + side] = cv2.resize(m, (side, side), interpolation=cv2.INTER_AREA)
    return cv2.GaussianBlur(frame, (0, 0), blur) if blur else frame


# --- reading codes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kinds", [(), ("noise",), ("dim",), ("invert",), ("jpeg",), ("steep",)])
def test_first_stage_reads_plain_and_degraded_codes(kinds):
    for seed in range(4):
        frame, payload, _ = synth_frame(seed, kinds=kinds)
        assert payloads(frame) == [payload], (kinds, seed)


# Frames zxing-cpp alone cannot read: each one shows that a retry stage reads what stage 1 missed.
@pytest.mark.parametrize("kinds, seed, stage", [
    (("tiny",), 2, "zxing/crop"),
    (("tiny",), 4, "zxing/crop"),
    (("blur",), 0, "zxing/crop"),
    (("glare",), 1, "zxing/crop"),
    (("motion",), 6, "zxing/crop-sharp"),
])
def test_retries_read_what_the_whole_frame_pass_missed(kinds, seed, stage):
    frame, payload, _ = synth_frame(seed, kinds=kinds)
    assert zxing(frame) == []
    found = decode(frame, budget_ms=INF)
    assert [(d.payload, d.decoder) for d in found] == [(payload, stage)]


@pytest.mark.parametrize("kinds", [("form",), ("form", "tiny"), ("form", "glare")])
def test_codes_printed_beside_text_are_read(kinds):
    # printed text has edges both ways, as a code does: the locator's region may take both in
    for seed in range(4):
        frame, payload, _ = synth_frame(30000 + seed, kinds=kinds)
        assert payloads(frame) == [payload], (kinds, seed)


@pytest.mark.parametrize("module_px, blur, stage", [(1.5, 0.6, "zxing/crop"), (1.6, 0.8, "zxing/crop-sharp"),
                                                    (1.8, 0.8, "zxing/crop")])
def test_corners_of_a_retried_crop_are_in_frame_pixels(module_px, blur, stage):
    frame = placed("TINY-CODE-AT-KNOWN-PLACE-0123456789", module_px=module_px, blur=blur)
    (d,) = decode(frame, budget_ms=INF)
    assert d.decoder == stage
    # the symbol starts after its 4-module quiet zone
    start, end = 4 * module_px, (code_matrix("TINY-CODE-AT-KNOWN-PLACE-0123456789").shape[0] - 4) * module_px
    expected = [(300 + start, 200 + start), (300 + end, 200 + start), (300 + end, 200 + end),
                (300 + start, 200 + end)]
    for (x, y), (ex, ey) in zip(d.corners, expected):
        assert abs(x - ex) <= 3 and abs(y - ey) <= 3, d.corners


def test_zbar_is_the_last_retry_and_maps_its_corners_too(monkeypatch):
    from dropbox.qr import pipeline

    frame = placed("ZBAR-ONLY-0001", module_px=3)
    zbar_only = [a for a in pipeline.CROP_ATTEMPTS if a[0].startswith("zbar")]
    monkeypatch.setattr(pipeline, "CROP_ATTEMPTS", zbar_only)
    monkeypatch.setattr(pipeline, "zxing", lambda frame: [])  # stage 1 sees nothing
    (d,) = decode(frame, budget_ms=INF)
    assert (d.payload, d.decoder) == ("ZBAR-ONLY-0001", "zbar/crop")
    xs, ys = [x for x, _ in d.corners], [y for _, y in d.corners]
    side = code_matrix("ZBAR-ONLY-0001").shape[0] * 3
    assert 300 <= min(xs) and max(xs) <= 300 + side and 200 <= min(ys) and max(ys) <= 200 + side


@given(text=st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=120),
       module_px=st.floats(2.5, 5.0), angle=st.floats(0, 360))
@example(text=" ", module_px=2.5, angle=0.0)
@example(text="13812345678", module_px=3.0, angle=45.0)
def test_any_ascii_payload_comes_back_exactly_as_str(text, module_px, angle):
    m = code_matrix(text)
    side = round(m.shape[0] * module_px)
    if side > 420:
        return
    frame = np.full((480, 640), 200, np.uint8)
    frame[20:20 + side, 100:100 + side] = cv2.resize(m, (side, side), interpolation=cv2.INTER_AREA)
    rot = cv2.getRotationMatrix2D((100 + side / 2, 20 + side / 2), angle, 1.0)
    frame = cv2.warpAffine(frame, rot, (640, 480), borderValue=200)
    assert payloads(frame) == [text]


@pytest.mark.parametrize("raw", [b"\xff\xfe\x00binary", "报销单".encode()])
def test_non_ascii_payload_is_bytes(raw):
    frame = placed(raw, module_px=4)
    (d,) = decode(frame, budget_ms=INF)
    assert d.payload == raw and isinstance(d.payload, bytes)


def test_each_decoder_alone_reads_a_clean_code_with_its_corners():
    from dropbox.qr.decoders import PEERS, wechat_available

    frame = placed("PEER-TEST-0001", module_px=5, at=(50, 50))
    side = code_matrix("PEER-TEST-0001").shape[0] * 5
    for name, peer in PEERS.items():
        if name == "opencv-wechat" and not wechat_available():
            with pytest.raises(ValueError, match="opencv-contrib-python-headless"):
                peer(frame)
            continue
        (d,) = peer(frame)
        assert d.payload == "PEER-TEST-0001" and len(d.corners) == 4, name
        assert all(50 + 4 * 5 - 3 <= v <= 50 + side - 4 * 5 + 3 for xy in d.corners for v in xy), (name, d)


def test_payload_of_keeps_ascii_as_str_and_the_rest_as_bytes():
    assert payload_of(b"ISSRB1|RB1") == "ISSRB1|RB1"
    assert payload_of(b"\xe6\x8a\xa5") == b"\xe6\x8a\xa5"


def test_two_codes_in_one_frame_are_both_read():
    frame = placed("FIRST-CODE", module_px=4)
    m = code_matrix("SECOND-CODE")
    side = m.shape[0] * 4
    frame[250:250 + side, 20:20 + side] = cv2.resize(m, (side, side), interpolation=cv2.INTER_NEAREST)
    assert sorted(payloads(frame)) == ["FIRST-CODE", "SECOND-CODE"]


def test_frames_of_one_pixel_or_one_line_read_nothing():
    for shape in [(1, 1), (5, 5), (1, 640), (480, 1)]:
        assert payloads(np.full(shape, 128, np.uint8)) == []


@given(h=st.integers(1, 80), w=st.integers(1, 80), seed=st.integers(0, 2**32 - 1), levels=st.sampled_from([2, 256]))
def test_any_small_frame_is_decoded_without_error_and_reads_nothing(h, w, seed, levels):
    frame = (np.random.default_rng(seed).integers(0, levels, (h, w)) * (255 // (levels - 1))).astype(np.uint8)
    assert payloads(frame) == []


def test_a_code_filling_the_frame_and_a_small_frame_are_read():
    assert payloads(placed("CLOSE-UP", module_px=16, at=(0, 0), size=(480, 480))) == ["CLOSE-UP"]
    assert payloads(placed("SMALL", module_px=3, at=(2, 2), size=(100, 92))) == ["SMALL"]


@pytest.mark.parametrize("frame, word", [
    (np.zeros((480, 640, 3), np.uint8), "uint8 (480, 640, 3)"),
    (np.zeros((480, 640), np.float32), "float32"),
    ([[0, 255]], "list"),
    (np.zeros((0, 640), np.uint8), "empty one (0, 640)"),
])
def test_anything_but_a_grey_uint8_frame_is_refused(frame, word):
    with pytest.raises(ValueError, match="grey uint8 HxW") as err:
        decode(frame)
    assert word in str(err.value)


def test_a_non_contiguous_view_is_read():
    frame, payload, _ = synth_frame(0)
    wide = np.zeros((480, 1280), np.uint8)
    wide[:, ::2] = frame
    assert payloads(wide[:, ::2]) == [payload]
    assert grey(wide[:, ::2]).flags.c_contiguous


# --- no false reads ------------------------------------------------------------------------------------

def test_no_code_frames_read_nothing():
    for seed in range(40):
        assert payloads(synth_frame(seed, empty=True)[0]) == [], seed


@given(seed=st.integers(0, 2**32 - 1), pattern=st.sampled_from(["noise", "checker", "stripes", "scene"]))
@example(seed=0, pattern="checker")
def test_no_code_in_texture_reads_nothing(seed, pattern):
    rng = np.random.default_rng(seed)
    if pattern == "noise":
        frame = rng.integers(0, 256, (480, 640), dtype=np.uint8)
    elif pattern == "checker":  # module-like blocks, the closest thing to a code that is not one
        cell = int(rng.integers(2, 9))
        blocks = rng.integers(0, 2, (480 // cell + 1, 640 // cell + 1), dtype=np.uint8) * 255
        frame = np.ascontiguousarray(blocks.repeat(cell, 0).repeat(cell, 1)[:480, :640])
    elif pattern == "stripes":
        frame = np.tile((rng.integers(0, 2, 640, dtype=np.uint8) * 255), (480, 1))
    else:
        frame = synth_frame(seed, empty=True)[0]
    assert payloads(frame) == []


def test_micro_qr_is_not_read():
    # zxing-cpp's QRCode family includes Micro QR: its weak error correction read '699000' out of a
    # shadowed qr-public frame. The form codes are full QR codes, so Micro QR is never read.
    import segno

    micro = segno.make_micro("699000")
    m = np.pad(np.where(np.array(micro.matrix, dtype=bool), 0, 255).astype(np.uint8), 2, constant_values=255)
    frame = np.full((480, 640), 255, np.uint8)
    frame[100:100 + m.shape[0] * 8, 100:100 + m.shape[1] * 8] = m.repeat(8, 0).repeat(8, 1)
    assert payloads(frame) == []
    assert zbar(frame) == [] or all(d.payload != "699000" for d in zbar(frame))


def test_locate_skips_bars_and_lines_and_finds_the_code():
    frame = placed("FIND-ME", module_px=2, at=(400, 300))
    cv2.line(frame, (10, 50), (350, 60), 0, 6)
    cv2.rectangle(frame, (20, 300), (200, 320), 30, -1)
    ((x, y, w, h),) = locate(frame)
    assert 390 <= x <= 410 and 290 <= y <= 310 and 40 <= w <= 80 and 40 <= h <= 80


# --- the frame budget ----------------------------------------------------------------------------------

def test_retries_stop_when_the_budget_is_spent():
    frame, payload, _ = synth_frame(2, kinds=("tiny",))   # read only by a retry (see above)
    ticks = iter(range(1000))
    assert decode(frame, budget_ms=500, clock=lambda: next(ticks)) == []   # 1 s passes per look
    assert payloads(frame) == [payload]


def test_the_first_stage_reads_even_with_no_budget_left():
    frame, payload, _ = synth_frame(0)
    ticks = iter(range(1000))
    assert [d.payload for d in decode(frame, budget_ms=0, clock=lambda: next(ticks))] == [payload]


# --- qr-public, when ../shared/testdata is beside the clone -------------------------------------------

@pytest.mark.skipif(not (QR_PUBLIC / "truth.csv").exists(),
                    reason=f"{QR_PUBLIC} is not here (CI has ../shared beside the clone)")
def test_qr_public_share_and_no_false_reads():
    decoded, false, with_code = 0, [], 0
    with open(QR_PUBLIC / "truth.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            frame = cv2.imread(str(QR_PUBLIC / row["file"]), cv2.IMREAD_GRAYSCALE)
            found = payloads(frame)
            false += [(row["file"], p) for p in found if p != row["payload"]]
            with_code += bool(row["payload"])
            decoded += bool(row["payload"]) and row["payload"] in found
    assert false == []
    assert decoded / with_code >= 0.85, f"{decoded}/{with_code}"


# --- repeated sightings ---------------------------------------------------------------------------------

class FakeClock:
    def __init__(self, t: float = 1000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_sightings_within_the_window_are_one_scan_and_it_slides_while_in_view():
    clock = FakeClock()
    w = SightingWindow(window_s=3.0, clock=clock)
    assert w.is_new("A") is True
    for _ in range(10):          # held in view for 20 s, seen every 2 s
        clock.t += 2.0
        assert w.is_new("A") is False
    clock.t += 3.0               # exactly the window: still the same scan
    assert w.is_new("A") is False
    clock.t += 3.01              # out of view for longer than the window
    assert w.is_new("A") is True


def test_other_codes_are_separate_scans_and_old_ones_are_dropped():
    clock = FakeClock()
    w = SightingWindow(window_s=1.0, clock=clock)
    assert [w.is_new(p) for p in ("A", "B", "A", "C", "B")] == [True, True, False, True, False]
    assert len(w) == 3
    clock.t += 1.5
    assert len(w) == 0


def test_new_scans_of_a_frame_and_forget():
    clock = FakeClock()
    w = SightingWindow(window_s=5, clock=clock)
    frame = [Decoded("A", "zxing", ()), Decoded("A", "zbar/crop", ()), Decoded("B", "zxing", ())]
    assert [d.payload for d in w.new_scans(frame)] == ["A", "B"]
    assert w.new_scans(frame) == []
    w.forget("A")
    w.forget("never seen")
    assert [d.payload for d in w.new_scans(frame)] == ["A"]


@pytest.mark.parametrize("window", [0, -1, float("nan")])
def test_a_window_must_be_positive(window):
    with pytest.raises(ValueError, match="more than 0 s"):
        SightingWindow(window_s=window)


@given(st.lists(st.tuples(st.sampled_from("ABC"), st.floats(0, 5)), max_size=40))
def test_a_scan_is_new_exactly_when_unseen_for_longer_than_the_window(events):
    clock = FakeClock(0.0)
    w = SightingWindow(window_s=2.0, clock=clock)
    last: dict[str, float] = {}
    for payload, gap in events:
        clock.t += gap
        expected = payload not in last or clock.t - last[payload] > 2.0
        assert w.is_new(payload) is expected
        last[payload] = clock.t


# --- terminal hw qr --------------------------------------------------------------------------------------

def _png(path, frame):
    assert cv2.imwrite(str(path), frame)
    return str(path)


def test_hw_qr_prints_one_line_per_file(run_cli, tmp_path):
    frame, payload, _ = synth_frame(1)
    code_file = _png(tmp_path / "form.png", frame)
    empty_file = _png(tmp_path / "empty.jpg", synth_frame(1, empty=True)[0])
    code, out, err = run_cli("hw", "qr", code_file, empty_file)
    assert (code, err) == (0, "")
    assert out.splitlines() == [f"{code_file}: {json.dumps(payload)}", f"{empty_file}: no QR code found"]


def test_hw_qr_json(run_cli, tmp_path):
    frame = placed("TINY-CODE-AT-KNOWN-PLACE-0123456789", module_px=1.6, blur=0.8)
    path = _png(tmp_path / "tiny.png", frame)
    code, out, _ = run_cli("hw", "qr", "--json", path)
    (line,) = out.splitlines()
    doc = json.loads(line)
    assert code == 0 and doc["file"] == path and doc["error"] is None
    (found,) = doc["codes"]
    assert found["payload"] == "TINY-CODE-AT-KNOWN-PLACE-0123456789"
    assert found["decoder"] == "zxing/crop-sharp" and len(found["corners"]) == 4


def test_hw_qr_bytes_payload_is_hex(run_cli, tmp_path):
    path = _png(tmp_path / "b.png", placed(b"\xff\x00raw", module_px=4))
    assert run_cli("hw", "qr", path)[1] == f"{path}: hex:ff00726177\n"
    assert json.loads(run_cli("hw", "qr", "--json", path)[1])["codes"][0]["payload_hex"] == "ff00726177"


def test_hw_qr_masks_what_the_log_mask_masks(run_cli, tmp_path):
    path = _png(tmp_path / "13912345678.png", placed("TEL 13812345678 ID 11010519491231002X", module_px=3))
    code, out, _ = run_cli("hw", "qr", path)
    assert "13812345678" not in out and "11010519491231002X" not in out and "13912345678" not in out
    assert "138****5678" in out and "1101**********002X" in out
    code, out, _ = run_cli("hw", "qr", "--json", path)
    assert "13812345678" not in out and "138****5678" in json.loads(out)["codes"][0]["payload"]


@pytest.mark.parametrize("make, reason", [
    (lambda p: None, "cannot read: No such file or directory"),
    (lambda p: p.write_text("not a picture\n"), "not an image OpenCV can read (14 bytes)"),
    (lambda p: p.write_bytes(b""), "not an image OpenCV can read (0 bytes)"),
    (lambda p: p.write_bytes(cv2.imencode(".png", np.zeros((40, 40), np.uint8))[1].tobytes()[:60]),
     "not an image OpenCV can read (60 bytes)"),
    (lambda p: p.mkdir(), "cannot read: Is a directory"),
])
def test_hw_qr_unreadable_file_is_named_and_the_rest_still_decoded(run_cli, tmp_path, make, reason):
    bad = tmp_path / "bad.png"
    make(bad)
    good = _png(tmp_path / "good.png", synth_frame(0)[0])
    code, out, err = run_cli("hw", "qr", str(bad), good)
    assert code == 1
    assert err == f"terminal hw qr: {bad}: {reason}\n"
    assert out.splitlines() == [f"{good}: {json.dumps(synth_frame(0)[1])}"]
    code, out, err = run_cli("hw", "qr", "--json", str(bad))
    assert code == 1 and json.loads(out) == {"file": str(bad), "codes": [], "error": f"{bad}: {reason}"}


def test_hw_qr_odd_file_name_stays_on_one_line(run_cli, tmp_path):
    path = _png(tmp_path / "two\nlines.png", synth_frame(0)[0])
    code, out, _ = run_cli("hw", "qr", path)
    assert code == 0 and len(out.splitlines()) == 1 and out.startswith(json.dumps(path) + ": ")


def test_hw_qr_help_ends_with_an_example_and_is_listed_under_hw(run_cli):
    from terminal.cli import build_parser

    parser = build_parser()
    hw = parser._subparsers._group_actions[0].choices["hw"]
    qr = [a for a in hw._actions if a.__class__.__name__ == "_SubParsersAction"][0].choices["qr"]
    assert qr.format_help().rstrip().endswith("example:\n  terminal hw qr --json photo1.png photo2.jpg")
    assert "qr" in hw.format_help()


def test_hw_qr_needs_a_file(run_cli):
    with pytest.raises(SystemExit) as exit_:
        run_cli("hw", "qr")
    assert exit_.value.code == 2
