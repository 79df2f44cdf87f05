"""Pin factories: lgpio or RPi.GPIO on a Raspberry Pi, gpiozero's MockFactory in tests and sim.

gpiozero's own default guesses the gpiochip by number (0, or 4 on a Pi 5),
but the number changes across kernels; the header's chip is found here by
its label instead.

>>> from drivers.gpio.pinfactory import make_pin_factory
>>> type(make_pin_factory("mock")).__name__
'MockFactory'
"""

from __future__ import annotations

import fcntl
import os
import re
import struct
from pathlib import Path

from drivers.errors import ConfigurationError, DeviceUnavailable

FACTORIES = ("auto", "lgpio", "rpigpio", "mock")
# Labels of the gpiochip that drives the 40-pin header: Pi 5, Pi 4, Pi 0-3.
HEADER_LABELS = ("pinctrl-rp1", "pinctrl-bcm2711", "pinctrl-bcm2835")
INSTALL_HINT = "on the Pi: pip install 'service-terminals[pi]', or apt install python3-lgpio"

# struct gpiochip_info { char name[32]; char label[32]; __u32 lines; } and
# GPIO_GET_CHIPINFO_IOCTL = _IOR(0xB4, 0x01, struct gpiochip_info)
_CHIPINFO = struct.Struct("32s32sI")
_GET_CHIPINFO = (2 << 30) | (_CHIPINFO.size << 16) | (0xB4 << 8) | 0x01


def parse_chipinfo(raw: bytes) -> tuple[str, str, int]:
    """(name, label, lines) from a GPIO_GET_CHIPINFO answer.

    >>> parse_chipinfo(b"gpiochip0".ljust(32, b"\\0") + b"pinctrl-rp1".ljust(32, b"\\0") + (54).to_bytes(4, "little"))
    ('gpiochip0', 'pinctrl-rp1', 54)
    """
    name, label, lines = _CHIPINFO.unpack(raw)
    return name.split(b"\0")[0].decode(), label.split(b"\0")[0].decode(), lines


def chip_labels(dev: Path = Path("/dev")) -> dict[int, str]:
    """{chip number: label} for every /dev/gpiochipN this process may open."""
    labels = {}
    for path in sorted(dev.glob("gpiochip[0-9]*")):
        if not re.fullmatch(r"gpiochip[0-9]+", path.name):  # int() below needs ASCII digits only
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            raw = fcntl.ioctl(fd, _GET_CHIPINFO, bytes(_CHIPINFO.size))
            labels[int(path.name[len("gpiochip"):])] = parse_chipinfo(raw)[1]
        except OSError:
            continue
        finally:
            os.close(fd)
    return labels


def header_chip(labels: dict[int, str]) -> int:
    """The chip number of the 40-pin header among ``labels`` ({chip number: label}).

    Raises :class:`DeviceUnavailable` when no chip can be opened or none has a header label.

    >>> header_chip({0: "gpio-brcmstb@107d508500", 4: "pinctrl-rp1"})
    4
    """
    for wanted in HEADER_LABELS:
        for number, label in sorted(labels.items()):
            if label == wanted:
                return number
    if not labels:
        raise DeviceUnavailable("gpio", "no /dev/gpiochip* can be opened (not a Raspberry Pi, or no permission)",
                                hint="add the service user to the 'gpio' group")
    seen = ", ".join(f"gpiochip{n}={label}" for n, label in sorted(labels.items()))
    raise DeviceUnavailable("gpio", f"no gpiochip drives the 40-pin header (found {seen})")


def _lgpio():
    try:
        import lgpio  # noqa: F401  (gpiozero imports it too; this gives the clear message)
        from gpiozero.pins.lgpio import LGPIOFactory
    except ImportError:
        raise DeviceUnavailable("gpio", "lgpio is not installed", hint=INSTALL_HINT) from None
    chip = header_chip(chip_labels())
    try:
        return LGPIOFactory(chip=chip)
    except Exception as exc:  # lgpio.error carries the errno text
        raise DeviceUnavailable("gpio", f"cannot open /dev/gpiochip{chip}: {exc}",
                                hint="add the service user to the 'gpio' group") from None


def _rpigpio():
    try:
        from gpiozero.pins.rpigpio import RPiGPIOFactory
    except (ImportError, RuntimeError) as exc:  # RPi.GPIO raises RuntimeError off a Pi
        raise DeviceUnavailable("gpio", f"RPi.GPIO is not usable: {exc}",
                                hint="pip install 'service-terminals[pi-legacy]' on a Pi 4 or older") from None
    try:
        return RPiGPIOFactory()
    except Exception as exc:  # a Pi 5: "Cannot determine SOC peripheral base address"
        raise DeviceUnavailable("gpio", f"RPi.GPIO cannot drive this board: {exc}",
                                hint="use pin_factory = \"lgpio\" (required on a Raspberry Pi 5)") from None


def make_pin_factory(name: str):
    """A new gpiozero pin factory: ``name`` is ``auto`` (lgpio, else RPi.GPIO), ``lgpio``, ``rpigpio`` or ``mock``.

    Raises :class:`DeviceUnavailable` saying what is missing and how to get it,
    :class:`ConfigurationError` for an unknown name.
    """
    if name == "mock":
        from gpiozero.pins.mock import MockFactory

        return MockFactory()
    if name == "lgpio":
        return _lgpio()
    if name == "rpigpio":
        return _rpigpio()
    if name == "auto":
        try:
            return _lgpio()
        except DeviceUnavailable as first:
            try:
                return _rpigpio()
            except DeviceUnavailable as second:
                raise DeviceUnavailable("gpio", f"no GPIO library usable ({first.reason}; {second.reason})",
                                        hint=INSTALL_HINT) from None
    raise ConfigurationError("gpio", f"pin_factory {name!r} is unknown; use one of {', '.join(FACTORIES)}")
