"""Configuration sections for the devices (see terminal.schema), and the rules their values obey.

Every device section chooses ``backend = "real"`` or ``"sim"``; a section that
is absent means the terminal has no such device.  ``roles`` names the roles
that must have the device.

Each limit is written once, here.  A number's bounds are its Setting's ``min``
and ``max``, which the loader checks in a configuration file; code that takes
the same value from Python (``SlotLock(max_energised_s=...)``,
``CameraConfig(fps=...)``) checks it against that same Setting with
:func:`check_bounds`, so a message can never name other bounds than the check
applies.  Rules on a whole value (a resolution, a CSI device, the pin map) are
functions here, called by the section's ``check`` and by the device's config
object alike.

>>> check_bounds(GPIO, "lock_max_energised_s", 11, device="slot-lock")
Traceback (most recent call last):
...
drivers.errors.ConfigurationError: slot-lock: lock_max_energised_s 11 is out of range; use 0.1 to 10
>>> section_values(CAMERA, {"backend": "sim", "sim_source": "/srv/frames"}, {"fps": 5.0}, device="camera")["fps"]
5.0
"""

import re
import shlex
from collections.abc import Mapping
from typing import Any

from drivers.errors import ConfigurationError
from terminal.settings_model import Section, Setting

BACKENDS = ("real", "sim")


def backend() -> Setting:
    """The ``backend`` setting every device section starts with: ``"real"`` or ``"sim"`` (required)."""
    return Setting(str, "real: the physical device; sim: the protocol-level simulator",
                   choices=BACKENDS, example="real", sim="sim")


def check_bounds(section: Section, key: str, value: Any, *, device: str, name: str | None = None,
                 scale: float = 1.0) -> float:
    """``value`` as a float if ``section``'s Setting ``key`` allows it, else :class:`ConfigurationError`.

    ``device`` names the device in the error; ``name`` is the name the caller
    knows the value by (default ``key``) and ``scale`` converts the Setting's
    unit to the caller's (0.001 when the Setting is in ms and the value in s):
    the bounds in the message are shown in the caller's unit.
    """
    setting = section.settings[key]
    low, high = setting.min * scale, setting.max * scale
    shown = name or key
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigurationError(device, f"{shown} {value!r} is not a number; use {low:g} to {high:g}")
    if not low <= value <= high:  # also false for nan
        raise ConfigurationError(device, f"{shown} {value} is out of range; use {low:g} to {high:g}")
    return float(value)


def section_values(section: Section, given: Mapping[str, Any], overrides: Mapping[str, Any] | None = None, *,
                   device: str) -> dict[str, Any]:
    """The values of a device section: the schema's defaults, then ``given``, then ``overrides``.

    ``given`` is a loaded section (``cfg.gpio``) or a plain dict naming only
    some keys; nested sections (``pins``) are merged the same way.  An unknown
    key, or a required one missing, raises :class:`ConfigurationError` naming
    ``device``.
    """
    overrides = overrides or {}
    values: dict[str, Any] = {}
    merged = {**given, **overrides}
    unknown = sorted(set(merged) - set(section.settings))
    if unknown:
        raise ConfigurationError(device, f"unknown setting {', '.join(unknown)}",
                                 hint=f"known: {', '.join(section.settings)}")
    for key, spec in section.settings.items():
        if isinstance(spec, Section):
            values[key] = section_values(spec, merged.get(key, {}), device=device)
        elif key in merged:
            values[key] = merged[key]
        elif spec.required:
            raise ConfigurationError(device, f"{key} is required ({spec.doc})")
        else:
            values[key] = spec.default
    return values


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
MIN_SIDE, MAX_SIDE = 32, 4096


def is_ascii_number(text: str) -> bool:
    """True for one or more of the digits 0-9 and nothing else.

    ``str.isdigit()`` and ``int()`` also take '²', '１２' and '١٢'; a device number or a size is
    only ever written in ASCII, so anything else is refused with the setting named.

    >>> is_ascii_number("12"), is_ascii_number("１２"), is_ascii_number("")
    (True, False, False)
    """
    return bool(re.fullmatch(r"[0-9]+", text))


def parse_resolution(text: str) -> tuple[int, int]:
    """``"640x480"`` -> ``(640, 480)`` (width, height in pixels).

    Raises :class:`ConfigurationError` naming the setting when ``text`` is not
    WIDTHxHEIGHT in the digits 0-9 (the sizes themselves are checked by
    :func:`resolution_problem`).

    >>> parse_resolution("1280x720")
    (1280, 720)
    """
    m = re.fullmatch(r"\s*([0-9]+)\s*[xX×]\s*([0-9]+)\s*", str(text))
    if not m:
        raise ConfigurationError("camera", f"resolution {text!r} is not of the form WIDTHxHEIGHT "
                                 "(digits 0-9)", hint="for example 640x480")
    return int(m.group(1)), int(m.group(2))


def resolution_problem(width: int, height: int) -> str | None:
    """Why a frame of ``width`` x ``height`` pixels cannot be asked for, or None.

    >>> resolution_problem(640, 480) is None, resolution_problem(641, 480)
    (True, 'sides must be even')
    """
    for side, value in (("width", width), ("height", height)):
        if not MIN_SIDE <= value <= MAX_SIDE:
            return f"{side} {value} is out of range; use {MIN_SIDE} to {MAX_SIDE}"
    if width % 2 or height % 2:
        # YUV420 (Picamera2, most USB cameras) subsamples by 2 in both directions.
        return "sides must be even"
    return None


def backend_for_device(device: str) -> tuple[str, str]:
    """``(backend, device)``: ``csi`` / ``csi:1`` name a CSI camera (Picamera2); anything else is V4L2.

    Raises :class:`ConfigurationError` when the CSI camera number is not in the digits 0-9.

    >>> backend_for_device("csi:1"), backend_for_device("/dev/video2")
    (('picamera2', '1'), ('opencv', '/dev/video2'))
    """
    device = str(device).strip()
    if device == "csi" or device.startswith("csi:"):
        number = device.partition(":")[2] or "0"
        if not is_ascii_number(number):
            raise ConfigurationError("camera", f"device {device!r}: CSI camera number must be written with the "
                                     "digits 0-9", hint="for example csi:0")
        return "picamera2", number
    return "opencv", device


def _check_camera(values: dict) -> list[tuple[str, str]]:
    problems = []
    if values["backend"] == "real":
        try:
            backend_for_device(values["device"])   # csi:N needs an ASCII number
        except ConfigurationError as exc:
            problems.append(("device", exc.reason))
    try:
        width, height = parse_resolution(values["resolution"])
        if problem := resolution_problem(width, height):
            problems.append(("resolution", f"{width}x{height}: {problem}"))
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
MIN_PIN, MAX_PIN = 2, 27  # BCM numbers; 0 and 1 are the HAT ID EEPROM bus, 28+ are not on the header


def pin_problems(pins: Mapping[str, int]) -> list[tuple[str, str]]:
    """(role, problem) for every pin out of range or used twice, in ``pins`` order.

    >>> pin_problems({"lock": 17, "buzzer": 17, "door": 40})
    [('buzzer', 'GPIO17 is already used by pins.lock; every pin once only'), \
('door', '40 is not a header GPIO; use a BCM number 2 to 27')]
    """
    used: dict[int, str] = {}
    problems = []
    for role, pin in pins.items():
        if isinstance(pin, bool) or not isinstance(pin, int) or not MIN_PIN <= pin <= MAX_PIN:
            problems.append((role, f"{pin!r} is not a header GPIO; use a BCM number {MIN_PIN} to {MAX_PIN}"))
        elif pin in used:
            problems.append((role, f"GPIO{pin} is already used by pins.{used[pin]}; every pin once only"))
        else:
            used[pin] = role
    return problems


def _pin(role: str, default: int) -> Setting:
    return Setting(int, f"BCM GPIO number of the {role}", default=default, min=MIN_PIN, max=MAX_PIN)


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
    check=pin_problems,
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
        "beam_bounce_s": Setting(float, "beam level must hold this long to count", default=0.01, min=0.0,
                                 max=0.5),
        "door_bounce_s": Setting(float, "door level must hold this long to count", default=0.05, min=0.0,
                                 max=2.0),
        "signals_active_high": Setting(bool, "false when the LEDs/buzzer are wired active-low", default=True),
        "sim_drop_after_unlock_s": Setting(float, "sim: a simulated person drops an envelope this long after "
                                                  "the lock opens (0: nobody does)", default=0.8,
                                           min=0.0, max=30.0),
        "pins": GPIO_PINS,
    },
    roles=("dropbox",),
    renamed={"beam_bounce_ms": ("beam_bounce_s", 0.001), "door_bounce_ms": ("door_bounce_s", 0.001)},
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
        "validity_s": Setting(int, "how long the network keeps trying to deliver a message, in seconds "
                              "(sent in 5-minute steps); a code lives 10 minutes, so a later delivery is useless",
                              default=600, min=300, max=3600 * 24 * 7),
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
    renamed={"validity_minutes": ("validity_s", 60)},
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
