"""Camera: the simulator, the OpenCV and Picamera2 backends' failure modes, config, CLI, selftest.

Nothing here mocks OpenCV: images and videos are written with cv2 and played back through it.
"""

from __future__ import annotations

import subprocess
import sys
import time

import cv2
import numpy as np
import pytest

from drivers.camera import CameraConfig, CameraSimulator, OpenCVCamera, PiCamera, SourceExhausted, open_camera
from drivers.camera.opencv import holders
from drivers.errors import ConfigurationError, DeviceUnavailable, ProtocolError
from terminal.config import ConfigError
from terminal.schema import parse_config


def noise(seed: int, shape=(480, 640)) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def write_images(folder, frames, suffix=".png"):
    folder.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        assert cv2.imwrite(str(folder / f"{i:03d}{suffix}"), frame)
    return folder


def camera_section(source, **kw) -> dict:
    """A ``[camera]`` section that plays ``source``, for :func:`open_camera`."""
    return {"backend": "sim", "sim_source": str(source), "fps": 120, **kw}


# -- the simulator ------------------------------------------------------------

def test_folder_plays_in_order_as_grey_frames_and_loops(tmp_path, camera_sim):
    frames = [noise(i) for i in range(3)]
    folder = write_images(tmp_path / "f", frames)
    with camera_sim(folder) as cam:
        got = [cam.capture() for _ in range(4)]
    for frame in got:
        assert frame.dtype == np.uint8 and frame.shape == (480, 640)
    assert np.array_equal(got[0], frames[0]) and np.array_equal(got[2], frames[2])
    assert np.array_equal(got[3], frames[0])  # looped


def test_colour_images_of_another_size_arrive_grey_at_the_configured_resolution(tmp_path, camera_sim):
    colour = np.dstack([noise(1, (300, 400))] * 3)
    folder = write_images(tmp_path / "f", [colour], suffix=".jpg")
    with camera_sim(folder, resolution=(320, 240)) as cam:
        assert cam.capture().shape == (240, 320)


def test_without_looping_the_frames_end_and_capture_says_so(tmp_path, camera_sim):
    folder = write_images(tmp_path / "f", [noise(i) for i in range(3)])
    with camera_sim(folder, loop=False) as cam:
        assert len(list(cam.frames())) == 3
        with pytest.raises(SourceExhausted, match="played all 3 images"):
            cam.capture()


def test_pictures_added_while_playing_are_shown_after_the_wrap(tmp_path, camera_sim):
    folder = write_images(tmp_path / "f", [noise(0)])
    with camera_sim(folder) as cam:
        cam.capture()
        added = noise(99)
        cv2.imwrite(str(folder / "zzz.png"), added)
        seen = [cam.capture() for _ in range(3)]
    assert any(np.array_equal(f, added) for f in seen)


def test_a_slow_consumer_gets_the_current_frame_and_the_missed_ones_are_dropped(tmp_path, camera_sim):
    folder = write_images(tmp_path / "f", [noise(i, (64, 64)) for i in range(4)])
    with camera_sim(folder, resolution=(64, 64), fps=50) as cam:
        cam.capture()
        time.sleep(0.3)  # fifteen frame intervals
        cam.capture()
        assert cam.dropped > 0


def test_video_file_plays_loops_and_ends(tmp_path, camera_sim):
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for i in range(5):
        writer.write(np.full((240, 320, 3), i * 50, np.uint8))
    writer.release()
    with camera_sim(path, resolution=(320, 240), loop=False) as cam:
        levels = [int(f.mean()) for f in cam.frames()]
    assert len(levels) == 5 and levels == sorted(levels) and levels[-1] > levels[0] + 150
    with camera_sim(path, resolution=(320, 240)) as cam:
        looped = [int(cam.capture().mean()) for _ in range(7)]
    assert abs(looped[5] - looped[0]) < 10


def test_missing_source(tmp_path, camera_sim):
    with pytest.raises(DeviceUnavailable, match="does not exist"):
        camera_sim(tmp_path / "nowhere")


def test_empty_folder(tmp_path, camera_sim):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("not a picture")
    with pytest.raises(DeviceUnavailable, match="has no images"):
        camera_sim(tmp_path / "empty")


def test_file_that_is_not_an_image_is_named(tmp_path, camera_sim):
    folder = write_images(tmp_path / "f", [noise(0)])
    (folder / "broken.png").write_bytes(b"this is not a PNG at all")
    with pytest.raises(DeviceUnavailable, match="broken.png"):
        camera_sim(folder)


def test_truncated_image_is_a_protocol_error_naming_the_frame(tmp_path, camera_sim):
    folder = write_images(tmp_path / "f", [noise(0)])
    ok, data = cv2.imencode(".png", noise(1))
    (folder / "001-truncated.png").write_bytes(data.tobytes()[: len(data) // 2])
    with camera_sim(folder) as cam:
        cam.capture()
        with pytest.raises(ProtocolError, match="001-truncated.png"):
            cam.capture()


def test_file_that_is_not_a_video(tmp_path, camera_sim):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"\x00" * 1000)
    with pytest.raises(DeviceUnavailable, match="neither a folder nor a video"):
        camera_sim(path)


def test_closed_camera_refuses_capture(tmp_path, camera_sim):
    cam = camera_sim(write_images(tmp_path / "f", [noise(0)]))
    cam.close()
    cam.close()  # idempotent
    with pytest.raises(DeviceUnavailable, match="closed"):
        cam.capture()


# -- liveness: blank and frozen pictures ----------------------------------------

def test_live_picture_passes(tmp_path):
    with open_camera(camera_section(write_images(tmp_path / "f", [noise(i) for i in range(3)]))) as cam:
        health = cam.health()
    assert health.ok and health.summary.startswith("live")


def test_frozen_frames_fail_health(tmp_path):
    still = noise(7)
    with open_camera(camera_section(write_images(tmp_path / "f", [still, still, still]))) as cam:
        health = cam.health()
    assert not health.ok and health.summary.startswith("frozen")


def test_blank_frames_fail_health(tmp_path):
    black = np.zeros((480, 640), np.uint8)
    with open_camera(camera_section(write_images(tmp_path / "f", [black, black + 1]))) as cam:
        health = cam.health()
    assert not health.ok and health.summary.startswith("blank")


# -- real backends: absent, unopenable ------------------------------------------

def test_usb_camera_missing():
    with pytest.raises(DeviceUnavailable, match="no camera at /dev/video99"):
        OpenCVCamera(CameraConfig(device="99"))


def test_usb_camera_path_that_is_not_a_device(tmp_path):
    (tmp_path / "video0").write_bytes(b"")
    with pytest.raises(DeviceUnavailable, match="not a video device"):
        OpenCVCamera(CameraConfig(device=str(tmp_path / "video0")))


def test_usb_camera_character_device_that_is_not_a_camera():
    with pytest.raises(DeviceUnavailable, match="cannot be opened as a V4L2 camera|delivers no frames"):
        OpenCVCamera(CameraConfig(device="/dev/null", timeout_s=0.5))


def test_holders_names_the_process_keeping_a_device_busy(tmp_path):
    node = tmp_path / "held"
    node.write_bytes(b"")
    holder = subprocess.Popen([sys.executable, "-c", f"f = open({str(node)!r}); import time; time.sleep(30)"])
    try:
        for _ in range(200):
            found = holders(node)
            if found:
                break
            time.sleep(0.02)
        assert holder.pid in [pid for pid, _ in found]
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.skipif(__import__("importlib.util").util.find_spec("picamera2") is not None,
                    reason="Picamera2 is installed here")
def test_csi_camera_without_picamera2_is_unavailable_with_a_hint():
    with pytest.raises(DeviceUnavailable, match="Picamera2 is not installed") as err:
        PiCamera(CameraConfig(backend="picamera2", device="0"))
    assert "python3-picamera2" in err.value.hint


# -- configuration ------------------------------------------------------------

@pytest.mark.parametrize("kwargs, word", [
    ({"resolution": "640 by 480"}, "resolution"),
    ({"resolution": (641, 480)}, "even"),
    ({"resolution": (16, 16)}, "resolution width 16"),
    ({"fps": 0}, "fps"),
    ({"fps": 500}, "fps"),
    ({"backend": "gstreamer"}, "backend"),
    ({"timeout_s": 0}, "timeout_s"),
    ({"device": " "}, "device"),
])
def test_camera_config_errors_name_the_setting(kwargs, word):
    with pytest.raises(ConfigurationError, match=word):
        CameraConfig(**kwargs)


def _dropbox_config(sim_config, **replace) -> str:
    text = sim_config("dropbox").read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    return text


def test_config_file_resolution_error_names_camera_resolution(sim_config):
    text = _dropbox_config(sim_config, **{'resolution = "640x480"': 'resolution = "641x480"'})
    with pytest.raises(ConfigError, match=r"camera\.resolution: 641x480"):
        parse_config(text)


def test_config_file_sim_backend_needs_a_source(sim_config, tmp_path):
    text = _dropbox_config(sim_config)
    text = "\n".join('sim_source = ""' if line.startswith("sim_source") else line for line in text.splitlines())
    with pytest.raises(ConfigError, match=r"camera\.sim_source: required"):
        parse_config(text)


def test_config_csi_device_selects_picamera2(sim_config):
    cfg = parse_config(_dropbox_config(sim_config, **{'device = "/dev/video0"': 'device = "csi:1"'}))
    assert CameraConfig.from_settings({**cfg.camera, "backend": "real"}).backend == "picamera2"


# -- terminal hw camera and selftest --------------------------------------------

def test_hw_camera_snapshot_from_a_sim_source(run_cli, tmp_path):
    folder = write_images(tmp_path / "f", [noise(1)])
    out_png = tmp_path / "snap.png"
    code, out, err = run_cli("hw", "camera", "--sim-source", str(folder), "--snapshot", str(out_png))
    assert code == 0, err
    assert "640x480 grey" in out
    saved = cv2.imread(str(out_png), cv2.IMREAD_UNCHANGED)
    assert saved.shape == (480, 640) and np.array_equal(saved, noise(1))


def test_hw_camera_absent_device_is_one_clear_line(run_cli, tmp_path):
    code, out, err = run_cli("hw", "camera", "--device", "/dev/video99", "--snapshot", str(tmp_path / "x.png"))
    assert code == 1
    assert err.strip().splitlines() == ["terminal hw: camera: no camera at /dev/video99 (check the USB cable; "
                                        "list cameras with 'v4l2-ctl --list-devices')"]
    assert not (tmp_path / "x.png").exists()


def test_hw_camera_snapshot_into_a_missing_folder(run_cli, tmp_path):
    folder = write_images(tmp_path / "f", [noise(1)])
    code, out, err = run_cli("hw", "camera", "--sim-source", str(folder), "--snapshot",
                             str(tmp_path / "no" / "such" / "dir.png"))
    assert code == 1 and "cannot write the snapshot" in err


def test_hw_camera_snapshot_must_be_png(run_cli, tmp_path):
    folder = write_images(tmp_path / "f", [noise(1)])
    code, out, err = run_cli("hw", "camera", "--sim-source", str(folder), "--snapshot", str(tmp_path / "x.jpg"))
    assert code == 2 and ".png" in err


def test_hw_camera_live_check_reports_frozen(run_cli, tmp_path):
    still = noise(3)
    folder = write_images(tmp_path / "f", [still, still])
    code, out, err = run_cli("hw", "camera", "--sim-source", str(folder))
    assert code == 1 and "FAIL  frozen" in out


def test_hw_camera_without_device_or_config(run_cli, monkeypatch, tmp_path):
    monkeypatch.delenv("TERMINAL_CONFIG", raising=False)
    monkeypatch.setattr("drivers.camera.cli.DEFAULT_PATH", tmp_path / "absent.toml")
    code, out, err = run_cli("hw", "camera", "--snapshot", str(tmp_path / "x.png"))
    assert code == 2 and "no camera named" in err


def test_selftest_checks_the_configured_sim_camera(run_cli, sim_config):
    path = sim_config("dropbox")
    from terminal.schema import load_config

    source = load_config(path).camera.sim_source
    from pathlib import Path

    code, out, err = run_cli("selftest", "--config", str(path))
    assert "camera" in out and "FAIL" in out.split("camera", 1)[1].splitlines()[0]  # source not there yet
    write_images(Path(source), [noise(i) for i in range(3)])
    code, out, err = run_cli("selftest", "--config", str(path))
    row = [line for line in out.splitlines() if line.startswith("camera")]
    assert row and "PASS" in row[0] and "live" in row[0]


def test_kiosk_has_no_camera_to_selftest(sim_config):
    from drivers.camera.cli import selftest
    from terminal.schema import load_config

    assert selftest(load_config(sim_config("kiosk"))) == []


def test_sim_camera_writes_a_live_scene_and_real_qr_codes(run_cli, tmp_path, camera_sim):
    folder = tmp_path / "camera"
    code, out, err = run_cli("sim", "camera", "--out", str(folder), "--frames", "4", "--qr", "DBX-ENV-42")
    assert code == 0, err
    with camera_sim(folder) as cam:
        assert cam.health().ok
    qr = next(folder.glob("qr-*.png"))
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(qr), cv2.IMREAD_GRAYSCALE))
    assert text == "DBX-ENV-42"


# -- review: close() from another thread while a frame is being read ------------------

def test_close_during_a_capture_on_another_thread_waits_for_that_read(tmp_path, camera_sim):
    """The drop box reads frames on one thread and closes the camera on shutdown from another: the
    read in progress must finish (or say the camera is closed), never fail inside a released
    capture (here an AssertionError from the simulator; with OpenCV, release() during grab())."""
    import threading

    from drivers.errors import DeviceError

    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for i in range(5):
        writer.write(np.full((240, 320, 3), i * 50, np.uint8))
    writer.release()
    reading = threading.Event()

    class Watched(CameraSimulator):
        def _due(self):
            if self.frames_delivered == 1:
                reading.set()  # the second read has begun
            return super()._due()

    cam = camera_sim(path, resolution=(320, 240), fps=1, cls=Watched)
    outcome = []

    def consumer():
        try:
            cam.capture()
            outcome.append(cam.capture())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=consumer)
    thread.start()
    assert reading.wait(10)
    cam.close()
    thread.join(10)
    assert outcome and (isinstance(outcome[0], np.ndarray) or isinstance(outcome[0], DeviceError)), outcome


# -- one limit, one place: CameraConfig and the config file refuse the same values ----------------

@pytest.mark.parametrize("key, value", [("fps", 0.5), ("fps", 121.0), ("timeout_s", 0.04), ("timeout_s", 61.0)])
def test_camera_config_and_config_file_share_the_schemas_bounds(sim_config, key, value):
    from drivers.settings import CAMERA

    setting = CAMERA.settings[key]
    with pytest.raises(ConfigurationError, match=f"{key} {value} is out of range; "
                                                 f"use {setting.min:g} to {setting.max:g}"):
        CameraConfig(**{key: value})
    text = sim_config("dropbox").read_text()
    start = text.index("[camera]")
    line = next(line for line in text[start:].splitlines() if line.startswith(f"{key} = "))
    with pytest.raises(ConfigError, match=rf"camera\.{key}: {value}"):
        parse_config(text[:start] + text[start:].replace(line, f"{key} = {value}", 1))


def test_camera_config_and_config_file_give_one_reason_for_a_resolution(sim_config):
    with pytest.raises(ConfigurationError, match=r"resolution width 16 is out of range; use 32 to 4096 \(16x16\)"):
        CameraConfig(resolution=(16, 16))
    text = _dropbox_config(sim_config, **{'resolution = "640x480"': 'resolution = "16x16"'})
    with pytest.raises(ConfigError, match=r"camera\.resolution: 16x16: width 16 is out of range; use 32 to 4096"):
        parse_config(text)


def test_camera_config_defaults_are_the_sections_defaults():
    from drivers.settings import CAMERA

    config = CameraConfig()
    assert (config.fps, config.timeout_s) == (CAMERA.settings["fps"].default, CAMERA.settings["timeout_s"].default)
    assert f"{config.width}x{config.height}" == CAMERA.settings["resolution"].default


# -- open_camera(section) -----------------------------------------------------------------------

def test_open_camera_takes_part_of_a_section_and_overrides(tmp_path):
    folder = write_images(tmp_path / "f", [noise(i, (240, 320)) for i in range(2)])
    with open_camera(camera_section(folder), resolution="320x240", sim_loop=False) as cam:
        assert isinstance(cam, CameraSimulator) and cam.capture().shape == (240, 320)
        assert not cam.config.loop


def test_open_camera_names_an_unknown_setting(tmp_path):
    with pytest.raises(ConfigurationError, match="camera: unknown setting folder"):
        open_camera({"backend": "sim", "folder": str(tmp_path)})


def test_open_camera_real_device_missing():
    with pytest.raises(DeviceUnavailable, match="no camera at /dev/video99"):
        open_camera({"backend": "real", "device": "/dev/video99"})


# -- terminal sim camera / hw camera: the shared vocabulary, and the old spelling for one release ---

def test_sim_camera_old_folder_still_works_and_warns(run_cli, tmp_path):
    folder = tmp_path / "camera"
    code, out, err = run_cli("sim", "camera", "--folder", str(folder), "--frames", "2")
    assert code == 0, err
    assert len(list(folder.glob("scene-*.png"))) == 2
    assert "warning: --folder is deprecated and will be removed in the next release; use --out" in err


def test_sim_camera_needs_an_out_folder(run_cli):
    code, out, err = run_cli("sim", "camera")
    assert code == 2 and "--out DIR is required" in err


@pytest.mark.parametrize("argv, last", [
    (("hw", "camera"), "terminal hw camera --device /dev/video0 --snapshot /tmp/frame.png"),
    (("sim", "camera"), "terminal sim camera --out /var/lib/service-terminals/sim/camera --qr DBX-ENV-0001"),
    (("hw",), "terminal hw camera --device /dev/video0 --snapshot /tmp/frame.png"),
    (("sim",), "terminal sim camera --out /tmp/camera --qr DBX-ENV-0001"),
])
def test_camera_help_ends_with_an_example(capsys, argv, last):
    from terminal.cli import main

    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    assert capsys.readouterr().out.rstrip().endswith(f"example:\n  {last}")
