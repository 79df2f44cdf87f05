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


def _check_sms(values: dict) -> list[tuple[str, str]]:
    if values.get("transport") == "central" and not values.get("central_url"):
        return [("central_url", "required when transport = \"central\" (e.g. \"https://central.example.com\")")]
    return []


SMS = Section(
    "SMS for verification codes and notices: through a 4G/GSM modem (AT commands, PDU mode) "
    "or through the central platform's SMS API.",
    {
        "backend": backend(),
        "transport": Setting(str, "modem: a modem on a serial port; central: POST {central_url}/v1/sms",
                             choices=("modem", "central"), default="modem", sim="modem"),
        "port": Setting(str, "modem's AT command port; prefer /dev/serial/by-id/... (a SIM7600 has several "
                        "ports: use its AT port, usually if02/ttyUSB2)",
                        default="/dev/ttyUSB2", sim="{state_dir}/sim/modem.pty"),
        "baudrate": Setting(int, "serial speed (USB modems ignore it)", default=115200,
                            choices=(9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)),
        "command_timeout_s": Setting(float, "how long the modem may take to answer one AT command",
                                     default=5.0, min=0.2, max=60.0),
        "send_timeout_s": Setting(float, "how long the network may take to accept one message part (AT+CMGS)",
                                  default=60.0, min=1.0, max=300.0),
        "validity_minutes": Setting(int, "how long the network keeps trying to deliver a message; a code "
                                    "lives 10 minutes, so a later delivery is useless", default=10,
                                    min=5, max=60 * 24 * 7),
        "max_parts": Setting(int, "longest message, in SMS parts (67 Chinese / 153 Latin characters each "
                             "when split)", default=10, min=1, max=255),
        "sign": Setting(str, "text put in front of every modem message, e.g. \"【人事服务】\" "
                        "(central adds its own approved signature)", default=""),
        "central_url": Setting(str, "central platform base URL, for transport = \"central\"", default=""),
        "ca_bundle": Setting(str, "CA bundle central's TLS certificate is verified against; empty means "
                             "the system's bundle", default=""),
        "http_timeout_s": Setting(float, "how long central may take to answer", default=10.0,
                                  min=1.0, max=120.0),
    },
    roles=("kiosk",),
    check=_check_sms,
)

SECTIONS["sms"] = SMS
