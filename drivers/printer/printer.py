"""A document printer (A4 certificates, CR80 badge cards) on IPP or a CUPS queue.

A job is submitted, then followed until it is completed, aborted or
canceled, or until the job timeout (then it is cancelled, so a certificate
never comes out later to whoever stands there).  Every failure names the
printer-state-reasons in words.

>>> import tempfile, PIL.Image
>>> from drivers.printer import DocumentPrinter, PrinterSimulator
>>> with tempfile.TemporaryDirectory() as tmp, PrinterSimulator(media="cr80") as sim:
...     PIL.Image.new("RGB", (1011, 638), "navy").save(f"{tmp}/badge.png")
...     printer = DocumentPrinter(sim.uri, media="cr80")
...     printer.media_area().imageable_mm, printer.print_file(f"{tmp}/badge.png").state_name
((52.98, 84.6), 'completed')
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from drivers.base import Device
from drivers.errors import (ConfigurationError, CoverOpen, DeviceError, DeviceRefused, DeviceTimeout, DeviceUnavailable,
                            OutOfPaper)
from drivers.health import Health
from drivers.printer import reasons as R
from drivers.printer.ipp import IppClient, printer_uri
from drivers.printer.media import MEDIA, MediaArea, find_media
from terminal.logs import get_logger

log = get_logger(__name__)

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
DPI = 300


@dataclass
class JobResult:
    """How a job ended: its IPP ``job_id`` and ``state`` (9 completed, 7 canceled, 8 aborted), the job's
    and printer's state reasons (IPP keywords), their messages, ``elapsed_s`` seconds, and ``timed_out``.
    """

    job_id: int
    state: int
    job_reasons: list[str] = field(default_factory=list)
    printer_reasons: list[str] = field(default_factory=list)
    message: str = ""
    printer_message: str = ""
    elapsed_s: float = 0.0
    timed_out: bool = False

    @property
    def state_name(self) -> str:
        """The state in words ('completed', 'aborted', 'timed out', ...)."""
        return "timed out" if self.timed_out else R.JOB_STATES.get(self.state, f"state {self.state}")

    @property
    def ok(self) -> bool:
        """True when the job completed in time."""
        return self.state == 9 and not self.timed_out

    @property
    def warnings(self) -> str:
        """Printer conditions that did not stop this job ('' when none)."""
        return R.describe(self.printer_reasons) if R.normalise(self.printer_reasons) else ""

    @property
    def explanation(self) -> str:
        """One line for a person: the job's end and the printer's reasons in words."""
        words = R.describe(self.printer_reasons)
        if not R.normalise(self.printer_reasons) and self.printer_message:
            words = self.printer_message.rstrip(".")  # e.g. CUPS: "Print job canceled at printer"
        return f"job {self.job_id} {self.state_name}; printer: {words}" + (
            f"; job: {self.message}" if self.message and not self.ok else "")


@dataclass
class PrinterState:
    """What the printer says about itself: IPP ``state`` (3 idle, 4 processing, 5 stopped), its
    ``reasons`` (normalised keywords), ``message`` and whether it is ``accepting`` jobs."""

    state: int
    reasons: list[str]
    message: str
    accepting: bool

    @property
    def words(self) -> str:
        """The state reasons in words ('no problem reported' when there are none)."""
        return R.describe(self.reasons)


class DocumentPrinter(Device):
    """An IPP printer URI or a CUPS queue name, printing on one media size ('a4' or 'cr80').

    ``target`` is ``ipp(s)://HOST[:PORT]/PATH`` or a CUPS queue name on
    ``cups_server`` (HOST:PORT); ``media`` 'a4' or 'cr80';
    ``job_timeout_s`` the seconds a job may take before it is cancelled;
    ``request_timeout_s`` the seconds one IPP request may take;
    ``poll_interval_s`` the seconds between job-state polls; ``name`` the
    device name in errors and health (the config section); ``client`` the
    seam for IPP.  Raises :class:`ConfigurationError` for a bad target,
    server or media and :class:`DeviceUnavailable` when ipptool is missing.
    :func:`open_printer` builds one from the ``[printer]`` or
    ``[badge_printer]`` section.

    >>> from drivers.printer import PrinterSimulator
    >>> with PrinterSimulator(media="a4") as sim, DocumentPrinter(sim.uri, media="a4") as printer:
    ...     printer.health().summary
    'ready: no problem reported; A4 printable 210 x 297 mm'
    """

    def __init__(self, target: str, *, media: str = "a4", cups_server: str = "localhost:631",
                 job_timeout_s: float = 120.0, request_timeout_s: float = 10.0, poll_interval_s: float = 0.25,
                 name: str = "printer", client: IppClient | None = None):
        super().__init__()
        self.name = name
        if media not in MEDIA:
            raise ConfigurationError(name, f"media {media!r} is not one of {', '.join(MEDIA)}")
        self.media = MEDIA[media]
        self.uri = printer_uri(target, cups_server=cups_server, device=name)
        self.job_timeout_s = job_timeout_s
        self.poll_interval_s = poll_interval_s
        self.client = client or IppClient(self.uri, timeout_s=request_timeout_s, device=name)

    # -- what the printer says ------------------------------------------------------
    def state(self, attrs: dict | None = None) -> PrinterState:
        """The printer's :class:`PrinterState`, from ``attrs`` (printer attributes) or asked now.

        Raises as :meth:`IppClient.printer_attributes` when it has to ask.
        """
        attrs = attrs if attrs is not None else self.client.printer_attributes()
        return PrinterState(state=int(attrs.get("printer-state", 0) or 0),
                            reasons=R.normalise(attrs.get("printer-state-reasons", [])),
                            message=str(attrs.get("printer-state-message", "") or ""),
                            accepting=bool(attrs.get("printer-is-accepting-jobs", True)))

    def media_area(self, attrs: dict | None = None) -> MediaArea:
        """The printer's entry for this media size, with its imageable area."""
        attrs = attrs if attrs is not None else self.client.printer_attributes()
        area = find_media(self.media, ready=attrs.get("media-col-ready"), database=attrs.get("media-col-database"))
        if area is None:
            offered = attrs.get("media-supported") or []
            offered = ", ".join(offered if isinstance(offered, list) else [offered]) or "nothing"
            raise DeviceRefused(self.name, f"{self.uri} offers no {self.media.key.upper()} media "
                                f"({self.media.width_mm:g} x {self.media.height_mm:g} mm); it offers {offered}",
                                hint="pick the queue or printer made for this media")
        return area

    # -- printing -------------------------------------------------------------------
    def print_file(self, path: "str | Path", *, job_name: str = "terminal",
                   on_progress: "Callable[[list[str]], None] | None" = None) -> JobResult:
        """Print a PDF or an image and wait for the end; return the result or raise with the reasons.

        ``on_progress`` is called with the printer-state-reasons whenever they
        change while the job runs (a screen can say "out of paper" at once).
        ``job_name`` shows in printer and CUPS logs: never put personal data in it.
        """
        path = Path(path)
        if not path.is_file():
            raise ConfigurationError(self.name, f"{path}: no such file")
        attrs = self.client.printer_attributes()
        before = self.state(attrs)
        self._refuse_if_blocked(before)
        area = self.media_area(attrs)
        formats = attrs.get("document-format-supported") or []
        formats = formats if isinstance(formats, list) else [formats]
        if "application/pdf" not in formats:
            cups_queue = "/printers/" in self.uri
            raise DeviceRefused(self.name, f"{self.uri} does not take PDF (it takes {', '.join(formats)})",
                                hint="install cups-filters on the CUPS server" if cups_queue
                                else "print through a CUPS queue, which converts PDF for the printer")
        with tempfile.TemporaryDirectory(prefix="print-") as tmp:
            document = self._as_pdf(path, area, Path(tmp))
            started = time.monotonic()
            job_id = self._submit(document, job_name, area, started + self.job_timeout_s)
            log.info("printer.job_submitted", printer=self.name, uri=self.uri, job=job_id, media=area.name)
            result = self._follow(job_id, started, on_progress)
        log.info("printer.job_finished", printer=self.name, job=job_id, state=result.state_name,
                 reasons=",".join(result.printer_reasons), elapsed_s=round(result.elapsed_s, 3))
        if not result.ok:
            raise self._failure(result)
        return result

    def _submit(self, document: Path, job_name: str, area: MediaArea, deadline: float) -> int:
        """Print-Job, retried while the printer answers server-error-busy (one job at a time)."""
        while True:
            try:
                return self.client.print_job(document, document_format="application/pdf", job_name=job_name,
                                             media=area.name or None)
            except DeviceRefused as exc:
                if "server-error-busy" not in exc.reason or time.monotonic() >= deadline:
                    raise
            except DeviceTimeout as exc:  # the request went out; only the answer is missing
                raise DeviceTimeout(self.name, f"{exc.reason}; the job may have been accepted and may still print",
                                    hint="check the printer before printing again") from None
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))

    def _follow(self, job_id: int, started: float, on_progress=None) -> JobResult:
        deadline = started + self.job_timeout_s
        last: list[str] | None = None
        job: dict = {}
        while True:
            try:
                job = self.client.job_attributes(job_id)
                state = int(job.get("job-state", 0) or 0)
                if on_progress is not None and state not in R.FINAL_STATES:
                    reasons = self.state().reasons
                    if reasons != last:
                        last = reasons
                        on_progress(reasons)
                if state in R.FINAL_STATES:
                    return self._result(job_id, job, started)
            except (DeviceTimeout, DeviceUnavailable) as exc:
                # The job goes on in the printer whether or not it answers now (a network hiccup,
                # a busy controller): keep asking until the job's own deadline.
                log.warning("printer.job_poll_failed", printer=self.name, job=job_id, error=exc.reason)
            if time.monotonic() >= deadline:
                return self._cancel(job_id, job, started)
            time.sleep(min(self.poll_interval_s, max(0.0, deadline - time.monotonic())))

    def _result(self, job_id: int, job: dict, started: float, printer: "PrinterState | None" = None,
                **extra) -> JobResult:
        printer = printer or self.state()  # on success too: warnings such as toner-low are worth showing
        fields = {"message": str(job.get("job-state-message", "") or ""), **extra}
        return JobResult(job_id, int(job.get("job-state", 0) or 0), R.normalise(job.get("job-state-reasons")),
                         printer.reasons, printer_message=printer.message, elapsed_s=time.monotonic() - started,
                         **fields)

    def _cancel(self, job_id: int, job: dict, started: float) -> JobResult:
        """The job timeout passed: cancel it, so it never comes out later, unattended."""
        try:
            printer = self.state()  # before cancelling: the reasons that held the job up
            outcome = "cancelled"
            if not self.client.cancel_job(job_id):
                # "Not possible": it ended between the last poll and Cancel-Job.  Report how it ended
                # (a completed certificate reported as timed out would be printed twice).
                job = self.client.job_attributes(job_id)
                if int(job.get("job-state", 0) or 0) in R.FINAL_STATES:
                    return self._result(job_id, job, started)
                outcome = "the printer refused to cancel it; cancel it at the printer"
            return self._result(job_id, job, started, printer, timed_out=True,
                                message=f"not finished after {self.job_timeout_s:g} s; {outcome}")
        except (DeviceTimeout, DeviceUnavailable) as exc:
            raise DeviceTimeout(self.name, f"{self.uri}: job {job_id} not finished after {self.job_timeout_s:g} s and "
                                f"the printer cannot be reached to cancel it ({exc.reason}); it may still print",
                                hint="check the printer and cancel the job there before printing again") from None

    def _refuse_if_blocked(self, state: PrinterState) -> None:
        blocking = R.blocking(state.reasons)
        if not blocking and state.accepting:
            return
        words = R.describe(blocking) if blocking else "not accepting jobs"
        message = f"{self.uri}: {words}; nothing was printed"
        if R.is_out_of_media(blocking):
            raise OutOfPaper(self.name, message)
        if R.is_cover_open(blocking):
            raise CoverOpen(self.name, message)
        raise DeviceRefused(self.name, message)

    def _failure(self, result: JobResult) -> DeviceError:
        text = f"{self.uri}: {result.explanation}"
        if R.is_out_of_media(result.printer_reasons) or R.is_out_of_media(result.job_reasons):
            exc: DeviceError = OutOfPaper(self.name, text)
        elif R.is_cover_open(result.printer_reasons):
            exc = CoverOpen(self.name, text)
        elif result.timed_out:
            exc = DeviceTimeout(self.name, text)
        else:
            exc = DeviceRefused(self.name, text)
        exc.result = result
        return exc

    def _as_pdf(self, path: Path, area: MediaArea, tmp: Path) -> Path:
        """A PDF as it is; an image scaled into the imageable area of one page of this media."""
        suffix = path.suffix.lower()
        with path.open("rb") as fh:
            head = fh.read(5)
        if head == b"%PDF-":
            return path
        if suffix not in IMAGE_SUFFIXES:
            raise ConfigurationError(self.name, f"{path}: not a PDF or an image (png, jpeg, ...)")
        from PIL import Image, UnidentifiedImageError

        try:
            img = Image.open(path)
            img.load()
        except (UnidentifiedImageError, OSError) as exc:
            raise ConfigurationError(self.name, f"{path}: cannot read the image ({exc})") from None
        img = img.convert("RGB")
        page_w, page_h = round(area.x / 2540 * DPI), round(area.y / 2540 * DPI)
        box_w, box_h = area.pixels(DPI)
        if (img.width > img.height) != (box_w > box_h):
            img = img.rotate(90, expand=True)  # a landscape badge design on a portrait card feed
        scale = min(box_w / img.width, box_h / img.height)
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
        page = Image.new("RGB", (page_w, page_h), "white")
        left, top = round(area.left / 2540 * DPI), round(area.top / 2540 * DPI)
        page.paste(img, (left + (box_w - img.width) // 2, top + (box_h - img.height) // 2))
        out = tmp / (path.stem + ".pdf")
        page.save(out, "PDF", resolution=DPI)
        return out

    def health(self) -> Health:
        """Ready or not, in words, with the media's printable area, as a :class:`Health`; never raises."""
        try:
            attrs = self.client.printer_attributes()
            state = self.state(attrs)
            area = self.media_area(attrs)
        except DeviceError as exc:
            return Health(self.name, ok=False, summary=exc.reason, details={"uri": self.uri})
        blocking = R.blocking(state.reasons)
        w, h = area.imageable_mm
        summary = (f"{'ready' if not blocking and state.accepting else 'not ready'}: {state.words}; "
                   f"{self.media.key.upper()} printable {w:g} x {h:g} mm")
        return Health(self.name, ok=not blocking and state.accepting, summary=summary,
                      details={"uri": self.uri, "reasons": state.reasons, "media": area.name})


def open_printer(section: Mapping, *, media: str = "a4", name: str = "printer", **overrides) -> DocumentPrinter:
    """The document printer a ``[printer]`` or ``[badge_printer]`` section (``cfg.printer``, or a dict) names.

    Keys the section leaves out take the schema's defaults (drivers/settings.py);
    ``uri`` is required.  ``media`` is what the section's printer takes ('a4'
    for ``[printer]``, 'cr80' for ``[badge_printer]``) and ``name`` the
    section's name, shown in errors and health.  ``overrides`` are
    :class:`DocumentPrinter` keyword arguments (``job_timeout_s=...``) that
    win over the section.  With ``backend = "sim"`` it is the real driver on
    the simulator's IPP URI.  Returns the printer (nothing is sent until it
    is used); raises :class:`ConfigurationError` for a missing or bad URI.

    >>> printer = open_printer({"uri": "certificates", "cups_server": "cups.lan:631"})
    >>> printer.uri, printer.job_timeout_s
    ('ipp://cups.lan:631/printers/certificates', 120.0)
    """
    from drivers.settings import PRINTER

    if "uri" not in section:
        raise ConfigurationError(name, f"the [{name}] section has no uri",
                                 hint="set uri to ipp://HOST[:PORT]/PATH or a CUPS queue name")

    def get(key):
        return section[key] if key in section else PRINTER.settings[key].default

    options = dict(media=media, name=name, cups_server=get("cups_server"), job_timeout_s=get("job_timeout_s"))
    return DocumentPrinter(section["uri"], **{**options, **overrides})
