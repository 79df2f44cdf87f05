"""The receipt printer device: check status, print, check status again.

>>> from drivers.receipt import ReceiptPrinter, ReceiptSimulator, Receipt
>>> with ReceiptSimulator() as sim:
...     with ReceiptPrinter(sim.uri) as printer:
...         after = printer.print(Receipt().line("你好").cut())
...     print(after.summary, sim.wait_for_jobs(1)[0].text.splitlines()[0])
ready, paper ok 你好
"""

from __future__ import annotations

from collections.abc import Mapping

from drivers.base import Device
from drivers.errors import (ConfigurationError, CoverOpen, DeviceError, DeviceRefused, DeviceTimeout,
                            DeviceUnavailable, OutOfPaper)
from drivers.health import Health
from drivers.receipt.connection import DEVICE, FORMS, Connection, PrinterURI
from drivers.receipt.document import Receipt
from drivers.receipt.status import DLE_EOT, OFFLINE_CAUSE, PAPER, PRINTER, ReceiptStatus, is_status_byte
from terminal.logs import get_logger

log = get_logger(__name__)


class ReceiptPrinter(Device):
    """An ESC/POS receipt printer at a URI (see :mod:`drivers.receipt.connection`).

    ``uri`` is a URI string or :class:`PrinterURI`; ``status_timeout_s``
    bounds each DLE EOT answer and ``io_timeout_s`` connecting and sending,
    in seconds; ``width_chars`` is the paper's width in half-width columns;
    ``connection`` is the seam for another transport.  Raises
    :class:`ConfigurationError` for a bad URI and :class:`DeviceUnavailable`
    when the printer cannot be opened.  :func:`open_receipt` builds one from
    the ``[receipt]`` section.

    >>> from drivers.receipt import ReceiptSimulator
    >>> with ReceiptSimulator(state="cover-open") as sim, ReceiptPrinter(sim.uri, status_timeout_s=0.5) as printer:
    ...     try: printer.print(Receipt().line("hello").cut())
    ...     except CoverOpen as exc: print(exc)
    receipt: cover open, before printing (close the printer cover)
    """

    name = DEVICE

    def __init__(self, uri: "str | PrinterURI", *, status_timeout_s: float = 1.0, io_timeout_s: float = 5.0,
                 width_chars: int = 42, connection: Connection | None = None):
        super().__init__()
        self.uri = uri if isinstance(uri, PrinterURI) else PrinterURI.parse(uri)
        self.status_timeout_s = status_timeout_s
        self.width_chars = width_chars
        self._conn = connection or Connection(self.uri, timeout_s=io_timeout_s)

    def status(self) -> ReceiptStatus:
        """Ask the printer (DLE EOT 1, 2, 4) and return its :class:`ReceiptStatus`.

        Never raises for a silent printer (that is an unknown status); raises
        :class:`DeviceUnavailable` when the connection fails.
        """
        if not self.uri.can_read_status:
            return ReceiptStatus.not_readable(f"unknown: a {self.uri.scheme} connection cannot read printer status")
        answers = {}
        for n in (PRINTER, OFFLINE_CAUSE, PAPER):
            byte = self._conn.query(DLE_EOT + bytes([n]), timeout_s=self.status_timeout_s)
            if not byte:
                return ReceiptStatus.no_answer(f"no answer to a status query within {self.status_timeout_s:g} s")
            if not is_status_byte(byte[0]):
                return ReceiptStatus.no_answer(f"answered 0x{byte[0]:02x}, which is not an ESC/POS status byte")
            answers[n] = byte[0]
        return ReceiptStatus.decode(printer=answers[PRINTER], offline=answers[OFFLINE_CAUSE], paper=answers[PAPER])

    def print(self, receipt: Receipt) -> ReceiptStatus:
        """Print one :class:`Receipt`; return the status after it, or raise unless the printer was ready
        before and still is after (:class:`OutOfPaper`, :class:`CoverOpen`, :class:`DeviceTimeout`,
        :class:`DeviceRefused`, :class:`DeviceUnavailable`).

        The status after the job tells whether the paper ran out part-way:
        then the receipt is incomplete and :class:`OutOfPaper` says so.
        """
        before = self.status()
        self._refuse_unless_ready(before, "before printing")
        self._conn.write(receipt.to_bytes())
        # DLE EOT is answered in real time, so on a real printer the head may still be working
        # through the buffer: this catches a roll that ran out while the job arrived, and the next
        # receipt's check before printing catches one that runs out after.
        after = self.status()
        self._refuse_unless_ready(after, "after printing: the receipt may be incomplete, reprint it")
        log.info("receipt.printed", uri=str(self.uri), paper=after.paper)
        return after

    def _refuse_unless_ready(self, status: ReceiptStatus, when: str) -> None:
        if not status.answered:
            if not self.uri.can_read_status:
                return  # a file connection: the caller was told the status is unknown
            raise DeviceTimeout(DEVICE, f"{status.problem}, {when}", hint="check power, cable and the printer URI")
        if status.ready:
            return
        if status.cover_open:
            raise CoverOpen(DEVICE, f"cover open, {when}", hint="close the printer cover")
        if status.paper == "out":
            raise OutOfPaper(DEVICE, f"out of paper, {when}", hint="load a new paper roll")
        if status.error:
            raise DeviceRefused(DEVICE, f"{status.problem}, {when}", hint="clear the paper path and power-cycle")
        raise DeviceUnavailable(DEVICE, f"offline, {when}", hint="press the printer's online/feed button")

    def health(self) -> Health:
        """The printer's status as a :class:`Health` (ready or not, paper, cover); never raises."""
        try:
            status = self.status()
        except DeviceError as exc:
            return Health(DEVICE, ok=False, summary=exc.reason, details={"uri": str(self.uri)})
        return Health(DEVICE, ok=status.ready, summary=status.summary,
                      details={"uri": str(self.uri), **status.to_dict()})

    def close(self) -> None:
        """Close the connection; calling it again does nothing."""
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()
            self._conn = None
        super().close()


def open_receipt(section: Mapping, **overrides) -> ReceiptPrinter:
    """The receipt printer the ``[receipt]`` section (``cfg.receipt``, or a dict of its keys) names.

    Keys the section leaves out take the schema's defaults (drivers/settings.py);
    ``uri`` is required.  ``overrides`` are :class:`ReceiptPrinter` keyword
    arguments (``status_timeout_s=...``) that win over the section.  With
    ``backend = "sim"`` it is the real driver on the simulator's TCP port.
    Returns the open printer; raises :class:`ConfigurationError` for a
    missing or bad URI and :class:`DeviceUnavailable` when it cannot be
    opened.

    >>> from drivers.receipt import ReceiptSimulator
    >>> with ReceiptSimulator() as sim, open_receipt({"uri": sim.uri}) as printer:
    ...     printer.status().summary
    'ready, paper ok'
    """
    from drivers.settings import RECEIPT

    if "uri" not in section:
        raise ConfigurationError(DEVICE, "the [receipt] section has no uri", hint=f"set uri to one of {FORMS}")

    def get(key):
        return section[key] if key in section else RECEIPT.settings[key].default

    options = dict(status_timeout_s=get("status_timeout_s"), io_timeout_s=get("io_timeout_s"),
                   width_chars=get("width_chars"))
    try:
        return ReceiptPrinter(section["uri"], **{**options, **overrides})
    except DeviceUnavailable as exc:
        if (section["backend"] if "backend" in section else "real") != "sim":
            raise
        listen = section["uri"].removeprefix("tcp://")
        raise DeviceUnavailable(exc.device, exc.reason,
                                hint=f"start the simulator: terminal sim receipt --listen {listen}") from None
