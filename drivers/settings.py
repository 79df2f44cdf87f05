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

def _receipt_check(values):
    if values.get("backend") == "sim" and not str(values.get("uri", "")).startswith("tcp://"):
        return [("uri", "the simulated receipt printer is a tcp://HOST:PORT URI ('terminal sim receipt')")]
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
        "width_chars": Setting(int, "characters per line (Font A): 42 or 48 for 80 mm paper, 32 for 58 mm",
                               default=42, min=24, max=64),
    },
    roles=("kiosk", "dropbox"),
    check=_receipt_check,
)


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
    )


PRINTER = _document_printer("A4 document printer for certificates (IPP Everywhere or a CUPS queue).",
                            "ipp://127.0.0.1:18631/ipp/print", "certificates")
BADGE_PRINTER = _document_printer("Badge card printer, CR80 (85.60 x 53.98 mm) cards (IPP or a CUPS queue).",
                                  "ipp://127.0.0.1:18632/ipp/print", "badges")

SECTIONS = {"idcard": IDCARD, "receipt": RECEIPT, "printer": PRINTER, "badge_printer": BADGE_PRINTER}
