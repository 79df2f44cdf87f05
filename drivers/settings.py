"""Configuration sections for the devices (see terminal.schema).

Every device section chooses ``backend = "real"`` or ``"sim"``; a section that
is absent means the terminal has no such device.  ``roles`` names the roles
that must have the device.
"""

from terminal.config import Section, Setting

BACKENDS = ("real", "sim")


def backend() -> Setting:
    return Setting(str, "real: the physical device; sim: the protocol-level simulator",
                   choices=BACKENDS, example="real", sim="sim")


IDCARD = Section(
    "ID-card reader (serial SAM protocol, 115200 8N1).",
    {
        "backend": backend(),
        "port": Setting(str, "serial port; prefer /dev/serial/by-id/... so a replugged reader is found again",
                        default="/dev/ttyUSB0", sim="{state_dir}/sim/idcard.pty"),
        "timeout_s": Setting(float, "how long the reader may take to answer one command",
                             default=3.0, min=0.2, max=30.0),
    },
    roles=("kiosk",),
)

SECTIONS = {"idcard": IDCARD}
