"""Configuration sections for the devices (see terminal.schema).

Every device section chooses ``backend = "real"`` or ``"sim"``; a section that
is absent means the terminal has no such device.  ``roles`` names the roles
that must have the device.
"""

import shlex

from terminal.config import Section, Setting

BACKENDS = ("real", "sim")


def backend() -> Setting:
    return Setting(str, "real: the physical device; sim: the protocol-level simulator",
                   choices=BACKENDS, example="real", sim="sim")


def _check_idcard(values: dict) -> list[tuple[str, str]]:
    try:
        command = shlex.split(values.get("photo_decoder") or "")   # split as the reader will run it
    except ValueError as exc:
        return [("photo_decoder", f"cannot be split into a command and its arguments ({exc}); check the quotes")]
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




# -- camera (drivers/camera) ---------------------------------------------------
def _check_camera(values: dict) -> list[tuple[str, str]]:
    from drivers.camera.config import MAX_SIDE, MIN_SIDE, backend_for_device, parse_resolution
    from drivers.errors import ConfigurationError

    problems = []
    if values["backend"] == "real":
        try:
            backend_for_device(values["device"])   # csi:N needs an ASCII number
        except ConfigurationError as exc:
            problems.append(("device", exc.reason))
    try:
        width, height = parse_resolution(values["resolution"])
        if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE) or width % 2 or height % 2:
            problems.append(("resolution", f"{width}x{height}: sides must be even and {MIN_SIDE} to {MAX_SIDE}"))
    except ConfigurationError as exc:
        problems.append(("resolution", exc.reason))
    if values["backend"] == "sim" and not values["sim_source"].strip():
        problems.append(("sim_source", "required when backend is 'sim' (a folder of images or a video file)"))
    return problems


CAMERA = Section(
    "Camera that reads the QR code on reimbursement envelopes: USB/V4L2 through OpenCV, "
    "or a CSI camera through Picamera2; frames are greyscale.",
    {
        "backend": backend(),
        "device": Setting(str, "real: /dev/videoN, or better a /dev/v4l/by-id/... link (survives replugging); "
                               "csi:N for a CSI camera (Picamera2)", default="/dev/video0"),
        "resolution": Setting(str, "frame size WIDTHxHEIGHT (even sides)", default="640x480",
                              pattern=r"[0-9]{2,4}x[0-9]{2,4}"),  # not \d: it matches '６４０' too
        "fps": Setting(float, "frames per second", default=15.0, min=1, max=120),
        "timeout_s": Setting(float, "how long one frame may take before the camera counts as stalled",
                             default=2.0, min=0.05, max=60.0),
        "sim_source": Setting(str, "sim: a folder of images or a video file played as the camera",
                              default="", sim="{state_dir}/sim/camera"),
        "sim_loop": Setting(bool, "sim: start again at the end of the source", default=True),
    },
    roles=("dropbox",),
    check=_check_camera,
)


# -- GPIO (drivers/gpio) -------------------------------------------------------
def _check_pins(values: dict) -> list[tuple[str, str]]:
    from drivers.gpio.config import pin_problems

    return pin_problems(values)


def _pin(role: str, default: int) -> Setting:
    # BCM numbers; 0 and 1 are the HAT ID EEPROM bus, 28+ are not on the header.
    return Setting(int, f"BCM GPIO number of the {role}", default=default, min=2, max=27)


GPIO_PINS = Section(
    "Pin map, in BCM numbers (GPIO17 is header pin 11). No pin may be used twice.",
    {
        "lock": _pin("slot-lock relay (energise = unlock)", 17),
        "beam": _pin("envelope beam-break sensor (normally closed)", 27),
        "door": _pin("collection-door reed switch (normally closed)", 22),
        "led_green": _pin("green status LED", 23),
        "led_red": _pin("red status LED", 24),
        "buzzer": _pin("buzzer", 25),
    },
    check=_check_pins,
)

GPIO = Section(
    "Drop-box GPIO through gpiozero: slot lock, envelope beam, collection door, status LEDs, buzzer. "
    "sim uses gpiozero's MockFactory.",
    {
        "backend": backend(),
        "pin_factory": Setting(str, "real: gpiozero pin library; auto tries lgpio then RPi.GPIO "
                                    "(a Pi 5 needs lgpio)", default="auto", choices=("auto", "lgpio", "rpigpio")),
        "lock_active_high": Setting(bool, "false when the lock's relay board switches on a low input",
                                    default=True),
        "lock_max_energised_s": Setting(float, "hard cap on how long the lock coil stays energised; it relocks "
                                               "at the cap whatever the software does", default=3.0,
                                        min=0.1, max=10.0),
        "lock_cooldown_s": Setting(float, "minimum rest for the coil between two unlocks", default=2.0,
                                   min=0.0, max=60.0),
        "inputs_pull_up": Setting(bool, "sensors close to ground against the internal pull-up (false: to 3V3 "
                                        "against a pull-down); either way a cut wire reads open/broken",
                                  default=True),
        "beam_bounce_ms": Setting(int, "beam level must hold this long to count", default=10, min=0, max=500),
        "door_bounce_ms": Setting(int, "door level must hold this long to count", default=50, min=0, max=2000),
        "signals_active_high": Setting(bool, "false when the LEDs/buzzer are wired active-low", default=True),
        "sim_drop_after_unlock_s": Setting(float, "sim: a simulated person drops an envelope this long after "
                                                  "the lock opens (0: nobody does)", default=0.8,
                                           min=0.0, max=30.0),
        "pins": GPIO_PINS,
    },
    roles=("dropbox",),
)

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

def _receipt_check(values):
    from drivers.errors import ConfigurationError
    from drivers.receipt.connection import PrinterURI

    uri = str(values.get("uri", ""))
    if values.get("backend") == "sim" and not uri.startswith("tcp://"):
        return [("uri", "the simulated receipt printer is a tcp://HOST:PORT URI ('terminal sim receipt')")]
    if not uri.startswith("file://") and not uri.isascii():
        # int() reads '１９２００' and int(x, 16) reads '０４b8': ids, ports and bauds must be ASCII.
        return [("uri", "must be written in ASCII: ports, baud rates and USB ids in the digits 0-9 (a-f)")]
    try:
        PrinterURI.parse(values["uri"])   # refused now rather than when the first receipt prints
    except ConfigurationError as exc:
        return [("uri", exc.reason + (f"; {exc.hint}" if exc.hint else ""))]
    return []


RECEIPT = Section(
    "Receipt printer (ESC/POS via python-escpos). Status is read with DLE EOT; no answer is treated as offline.",
    {
        "backend": backend(),
        "uri": Setting(str, "where the printer is: tcp://HOST:9100, serial:///dev/ttyUSB0?baud=19200, "
                            "usb://VID:PID (hex) or file:///dev/usb/lp0 (file cannot report paper or cover)",
                       pattern=r"(tcp|serial|usb|file)://\S+", example="usb://04b8:0202",
                       sim="tcp://127.0.0.1:19100"),
        "status_timeout_s": Setting(float, "how long the printer may take to answer one status query",
                                    default=1.0, min=0.1, max=10.0),
        "io_timeout_s": Setting(float, "how long connecting and sending a receipt may take",
                                default=5.0, min=0.5, max=60.0),
        "width_chars": Setting(int, "half-width columns per line (Font A; a Chinese character or any "
                               "GB-coded symbol takes two): 42 or 48 for 80 mm paper, 32 for 58 mm",
                               default=42, min=24, max=64),
    },
    roles=("kiosk", "dropbox"),
    check=_receipt_check,
)


def _check_document_printer(values: dict) -> list[tuple[str, str]]:
    from drivers.errors import ConfigurationError
    from drivers.printer.ipp import printer_uri

    try:
        printer_uri(values["uri"], cups_server=values["cups_server"])   # ports in ASCII digits, host present
    except ConfigurationError as exc:
        key = "cups_server" if "CUPS server" in exc.reason else "uri"
        return [(key, exc.reason + (f"; {exc.hint}" if exc.hint else ""))]
    return []


def _document_printer(doc: str, sim_uri: str, example: str) -> Section:
    return Section(
        doc,
        {
            "backend": backend(),
            "uri": Setting(str, "ipp://HOST[:PORT]/PATH (an IPP Everywhere printer) or the name of a CUPS queue "
                                "on cups_server", pattern=r"(ipps?://\S+|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})",
                           example=example, sim=sim_uri),
            "cups_server": Setting(str, "the CUPS server that holds queue names (HOST:PORT)",
                                   default="localhost:631", pattern=r"[A-Za-z0-9_.\-\[\]:]+"),
            "job_timeout_s": Setting(float, "how long a job may take to finish before it is cancelled and "
                                            "reported (the printer's state reasons say why)",
                                     default=120.0, min=5.0, max=3600.0),
        },
        roles=("kiosk",),
        check=_check_document_printer,
    )


PRINTER = _document_printer("A4 document printer for certificates (IPP Everywhere or a CUPS queue).",
                            "ipp://127.0.0.1:18631/ipp/print", "certificates")
BADGE_PRINTER = _document_printer("Badge card printer, CR80 (85.60 x 53.98 mm) cards (IPP or a CUPS queue).",
                                  "ipp://127.0.0.1:18632/ipp/print", "badges")

SECTIONS = {
    "idcard": IDCARD,
    "sms": SMS,
    "camera": CAMERA,
    "gpio": GPIO,
    "receipt": RECEIPT,
    "printer": PRINTER,
    "badge_printer": BADGE_PRINTER,
}
