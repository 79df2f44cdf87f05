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


def _check_idcard(values: dict) -> list[tuple[str, str]]:
    command = (values.get("photo_decoder") or "").split()
    if command and not command[0].startswith("/"):
        return [("photo_decoder", f"{command[0]!r} must be an absolute path (services run with a minimal PATH)")]
    return []


IDCARD = Section(
    "ID-card reader (serial SAM protocol, 115200 8N1).",
    {
        "backend": backend(),
        "port": Setting(str, "serial port; prefer /dev/serial/by-id/... so a replugged reader is found again",
                        default="/dev/ttyUSB0", sim="{state_dir}/sim/idcard.pty"),
        "timeout_s": Setting(float, "how long the reader may take to answer one command",
                             default=3.0, min=0.2, max=30.0),
        "read_fingerprint": Setting(bool, "also read the card's fingerprint block (keep false unless a "
                                          "fingerprint check needs it: it is personal data)", default=False),
        "photo_decoder": Setting(str, "WLT photo decoder command: an absolute path (plus arguments) that reads "
                                      "1024 WLT bytes on stdin and writes a BMP/PNG on stdout; empty = photo "
                                      "not available", default=""),
        "photo_decoder_timeout_s": Setting(float, "how long the photo decoder may run before it is killed",
                                           default=5.0, min=0.5, max=60.0),
    },
    roles=("kiosk",),
    check=_check_idcard,
)


SECTIONS = {"idcard": IDCARD}
