"""Shared fixtures, one name per thing. Every test builds its own state under tmp_path.

- the terminal command: ``run_cli``, ``sim_config``
- central: ``central_double`` (the loopback double, for the device side); tests/central/
  has ``reference_central`` (the reference service itself)
- simulated devices: ``idcard_sim``, ``modem_sim``, ``receipt_sim``, ``a4_sim``, ``cr80_sim``,
  ``camera_sim``, ``gpio_sim``

Helpers that are not fixtures live in tests/helpers/ (``from tests.helpers.<module> import ...``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Hypothesis: the same commit gives the same result every time.  'ci' (the default, used by
# make test) is derandomised -- every run draws the same examples -- and keeps no example
# database.  'fuzz' (make fuzz) draws fresh examples, FUZZ_ROUNDS times, and remembers
# failures in .hypothesis/ (git-ignored); each failure it finds becomes an @example.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("fuzz", derandomize=False, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


# -- the terminal command (terminal/) --------------------------------------------------------------

@pytest.fixture
def run_cli(capsys):
    """Run ``terminal ARGS`` in-process; return (exit code, stdout, stderr)."""
    from terminal.cli import main

    def run(*argv: str):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def sim_config(tmp_path):
    """Write a valid simulated config for a role and return its path."""
    from terminal.config_init import render_config

    def make(role: str = "kiosk", **overrides) -> Path:
        state = tmp_path / f"{role}-state"
        path = tmp_path / f"{role}.toml"
        path.write_text(render_config(role, state_dir=str(state), device_id=f"{role.upper()[:3]}-T-0001",
                                      site="test", sim=True))
        return path

    return make


# -- central (sync/) -------------------------------------------------------------------------------

@pytest.fixture
def central_double():
    """The loopback central double (tests/helpers/central_double.py), started; for the device-side sync tests.

    tests/central/ tests the reference central service itself: its fixture is ``reference_central``.
    """
    from tests.helpers.central_double import CentralDouble

    c = CentralDouble().start()
    yield c
    c.close()


# -- ID-card reader (drivers/idcard) ---------------------------------------------------------------

@pytest.fixture
def idcard_sim(tmp_path):
    """A simulated ID-card reader (drivers.idcard.IdCardSimulator), linked at tmp_path/sim/idcard.pty, no card on it."""
    from drivers.idcard import IdCardSimulator

    with IdCardSimulator(tmp_path / "sim" / "idcard.pty") as sim:
        yield sim


# -- SMS modem (drivers/sms) -----------------------------------------------------------------------

@pytest.fixture
def modem_sim(tmp_path):
    """A simulated 4G modem (drivers.sms.ModemSimulator), linked at tmp_path/dev/modem; what it receives is
    also appended to tmp_path/inbox.jsonl."""
    from drivers.sms import ModemSimulator

    with ModemSimulator(tmp_path / "dev" / "modem", record=tmp_path / "inbox.jsonl") as sim:
        yield sim


# -- receipt printer (drivers/receipt) -------------------------------------------------------------

@pytest.fixture
def receipt_sim(tmp_path):
    """A simulated ESC/POS printer on a free loopback port (drivers.receipt.ReceiptSimulator), paper ok;
    each job is rendered to tmp_path/out/job-NNNN.txt and .png."""
    from drivers.receipt import ReceiptSimulator

    with ReceiptSimulator(out_dir=tmp_path / "out") as sim:
        yield sim


# -- document printers (drivers/printer) -----------------------------------------------------------

@pytest.fixture(scope="module")
def a4_sim():
    """A simulated A4 office printer (drivers.printer.PrinterSimulator, ippeveprinter), shared by a module."""
    from drivers.printer import PrinterSimulator

    with PrinterSimulator(media="a4") as sim:
        yield sim


@pytest.fixture(scope="module")
def cr80_sim():
    """A simulated CR80 badge-card printer (drivers.printer.PrinterSimulator, ippeveprinter), shared by a module."""
    from drivers.printer import PrinterSimulator

    with PrinterSimulator(media="cr80") as sim:
        yield sim


# -- camera and GPIO simulators (drivers/camera, drivers/gpio) -------------------------------------
# Both run inside the test's process (the camera plays files, the GPIO drives MockFactory pins), so
# each fixture is a factory: the test says what to play or how the board is set, and everything it
# opened is closed after the test.

@pytest.fixture
def camera_sim():
    """``camera_sim(source, **config)`` -> an open drivers.camera.CameraSimulator playing ``source``.

    ``source`` is a folder of images or a video file; ``config`` are CameraConfig fields
    (``fps`` defaults to 120, so a test waits little for frames); ``cls=`` plays through a
    subclass of CameraSimulator.
    """
    from drivers.camera import CameraConfig, CameraSimulator

    opened = []

    def open_camera_sim(source, *, cls=CameraSimulator, **config):
        config.setdefault("fps", 120)
        camera = cls(CameraConfig(backend="sim", device=str(source), **config))
        opened.append(camera)
        return camera

    yield open_camera_sim
    for camera in opened:
        camera.close()


@pytest.fixture
def gpio_sim():
    """``gpio_sim(drop_after_unlock_s=0, **config)`` -> a drivers.gpio.GpioSimulator around a new board.

    The board (``.gpio``) is a DropBoxGpio on its own MockFactory, built from GpioConfig
    fields ``config``; the simulator wires the sensors as installed and, with
    ``drop_after_unlock_s``, drops an envelope that long after each unlock.
    """
    from drivers.gpio import DropBoxGpio, GpioConfig, GpioSimulator

    opened = []

    def open_gpio_sim(*, drop_after_unlock_s: float = 0.0, **config):
        gpio = DropBoxGpio(GpioConfig(pin_factory="mock", **config))
        opened.append(gpio)
        gpio.simulator = GpioSimulator(gpio, drop_after_unlock_s=drop_after_unlock_s)
        return gpio.simulator

    yield open_gpio_sim
    for gpio in opened:
        gpio.close()  # stops its simulator first
