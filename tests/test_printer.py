"""Document printers against a real IPP printer (ippeveprinter): jobs, media, and every failure mode."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest

from drivers.errors import ConfigurationError, CoverOpen, DeviceRefused, DeviceTimeout, DeviceUnavailable, OutOfPaper
from drivers.printer import DocumentPrinter, PrinterSimulator
from drivers.printer.ipp import IppClient
from drivers.printer.media import A4, CR80, find_media
from drivers.printer.reasons import blocking, describe
from drivers.printer.sim import DnsSd, free_port
from tests.helpers.processes import terminal_cmd

pytestmark = pytest.mark.skipif(not shutil.which("ippeveprinter"), reason="cups-ipp-utils not installed")


@pytest.fixture(scope="module", autouse=True)
def dns_sd():
    """Start dbus + avahi once for this module (if they are not running) and stop what was started."""
    DnsSd.acquire()
    yield
    DnsSd.release()


@pytest.fixture(autouse=True)
def healthy(request):
    """Every test starts with paper loaded and no engine fault on the shared printers."""
    for name in ("a4_sim", "cr80_sim"):
        if name in request.fixturenames:
            sim = request.getfixturevalue(name)
            if sim.media == "a4":
                sim.set_paper("iso_a4_210x297mm", 250)
                sim.set_toner(75)
            sim.reload()


@pytest.fixture
def pdf(tmp_path):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (2480, 3508), "white")
    ImageDraw.Draw(img).text((200, 200), "Employment certificate", fill="black")
    path = tmp_path / "certificate.pdf"
    img.save(path, "PDF", resolution=300)
    return path


@pytest.fixture
def badge_png(tmp_path):
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (1011, 638), "white")
    ImageDraw.Draw(img).rectangle((20, 20, 300, 400), fill="navy")
    path = tmp_path / "badge.png"
    img.save(path)
    return path


def page_size_mm(pdf_bytes: bytes) -> tuple[float, float]:
    m = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf_bytes)
    return (round(float(m.group(1)) / 72 * 25.4, 1), round(float(m.group(2)) / 72 * 25.4, 1))


def test_a4_pdf_completes_and_the_printer_keeps_the_same_bytes(a4_sim, pdf):
    before = len(a4_sim.kept_jobs())
    result = DocumentPrinter(a4_sim.uri, media="a4", job_timeout_s=20).print_file(pdf, job_name="cert")
    assert result.ok and result.state_name == "completed"
    kept = a4_sim.kept_jobs()
    assert len(kept) == before + 1
    assert kept[-1].read_bytes() == pdf.read_bytes()


def test_badge_image_becomes_one_cr80_page(cr80_sim, badge_png):
    printer = DocumentPrinter(cr80_sim.uri, media="cr80", job_timeout_s=20)
    area = printer.media_area()
    # From the printer's PPD-derived media-col: 0.5 mm unprintable edge, not hard-coded pixels.
    assert area.size_mm == (53.98, 85.6) and area.imageable_mm == (52.98, 84.6)
    assert area.pixels(300) == (626, 999)
    assert printer.print_file(badge_png).ok
    kept = cr80_sim.kept_jobs()[-1].read_bytes()
    assert kept.startswith(b"%PDF-") and page_size_mm(kept) == (54.0, 85.6)


def test_a4_printer_has_no_cr80_media(a4_sim, badge_png):
    with pytest.raises(DeviceRefused, match="offers no CR80 media"):
        DocumentPrinter(a4_sim.uri, media="cr80").print_file(badge_png)


def test_empty_tray_refuses_before_submitting(a4_sim, pdf):
    a4_sim.set_paper("iso_a4_210x297mm", 0)  # the tray sensor, through ippeveprinter's web form
    printer = DocumentPrinter(a4_sim.uri, media="a4", job_timeout_s=5)
    before = len(a4_sim.kept_jobs())
    with pytest.raises(OutOfPaper, match=r"out of paper \(load the tray\); nothing was printed"):
        printer.print_file(pdf)
    assert len(a4_sim.kept_jobs()) == before
    health = printer.health()
    assert not health.ok and "out of paper" in health.summary


def test_toner_low_is_a_warning_not_a_failure(run_cli, a4_sim, pdf):
    a4_sim.set_toner(5)
    rc, out, _ = run_cli("hw", "print", str(pdf), "--printer", a4_sim.uri)
    assert rc == 0 and "completed" in out and "toner low (order a cartridge)" in out


def test_toner_empty_is_named(a4_sim, pdf):
    a4_sim.set_toner(0)
    with pytest.raises(DeviceRefused, match="toner empty"):
        DocumentPrinter(a4_sim.uri, media="a4").print_file(pdf)


@pytest.mark.parametrize("media", ["a4", "cr80"])
def test_paper_out_mid_job_times_out_with_reason_then_resumes(media, a4_sim, cr80_sim, pdf, badge_png):
    sim = a4_sim if media == "a4" else cr80_sim
    document = pdf if media == "a4" else badge_png
    sim.set_fault("media-empty-mid-job")
    seen = []
    printer = DocumentPrinter(sim.uri, media=media, job_timeout_s=1.5)
    with pytest.raises(OutOfPaper, match=r"timed out; printer: out of paper \(load the tray\)") as info:
        printer.print_file(document, on_progress=seen.append)
    result = info.value.result
    assert result.timed_out and "cancelled" in result.message
    assert "media-empty" in result.printer_reasons
    assert any("media-empty" in reasons for reasons in seen)  # the kiosk could say so while waiting
    # The printer stays out of paper: the next job is refused before it is sent ...
    with pytest.raises(OutOfPaper, match="nothing was printed"):
        printer.print_file(document)
    # ... until paper is loaded again.
    sim.reload()
    assert DocumentPrinter(sim.uri, media=media, job_timeout_s=20).print_file(document).ok


def test_jam_aborts_with_words(cr80_sim, badge_png):
    cr80_sim.set_fault("media-jam")
    with pytest.raises(DeviceRefused, match="paper jam"):
        DocumentPrinter(cr80_sim.uri, media="cr80", job_timeout_s=20).print_file(badge_png)


def test_cover_opened_during_the_job(cr80_sim, badge_png):
    cr80_sim.set_fault("cover-open")
    printer = DocumentPrinter(cr80_sim.uri, media="cr80", job_timeout_s=20)
    with pytest.raises(CoverOpen, match=r"aborted; printer: cover open \(close it\)"):
        printer.print_file(badge_png)
    with pytest.raises(CoverOpen, match="nothing was printed"):  # still open: refused before sending
        printer.print_file(badge_png)
    cr80_sim.reload()
    assert printer.print_file(badge_png).ok


def test_engine_failure_is_aborted(cr80_sim, badge_png):
    cr80_sim.set_fault("fail")
    with pytest.raises(DeviceRefused, match="aborted") as info:
        DocumentPrinter(cr80_sim.uri, media="cr80", job_timeout_s=20).print_file(badge_png)
    assert info.value.result.state_name == "aborted"


def test_timeout_cancels_the_job(badge_png, tmp_path):
    with PrinterSimulator(media="cr80", spool_dir=tmp_path / "sim") as sim:
        sim.set_fault("hang")
        printer = DocumentPrinter(sim.uri, media="cr80", job_timeout_s=1.5)
        with pytest.raises(DeviceTimeout, match="timed out") as info:
            printer.print_file(badge_png)
        result = info.value.result
        assert result.timed_out and "cancelled" in result.message
        # ippeveprinter stops a processing job when its engine comes back; then it is canceled, not completed.
        sim.set_fault("none")
        deadline = time.monotonic() + 10
        state = printer.client.job_attributes(result.job_id)["job-state"]
        while state not in (7, 8, 9) and time.monotonic() < deadline:
            time.sleep(0.05)
            state = printer.client.job_attributes(result.job_id)["job-state"]
        assert state == 7


def test_job_canceled_by_someone_else_is_reported(badge_png, tmp_path):
    with PrinterSimulator(media="cr80", spool_dir=tmp_path / "sim") as sim:
        sim.set_fault("hang")
        errors = []
        ours = threading.Thread(target=lambda: _catch(
            errors, DocumentPrinter(sim.uri, media="cr80", job_timeout_s=15).print_file, badge_png))
        ours.start()
        client = IppClient(sim.uri)
        deadline = time.monotonic() + 10
        while _job_state(client, 1) != 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        client.cancel_job(1)  # an operator cancels it at the printer
        sim.set_fault("none")
        ours.join(timeout=20)
        assert len(errors) == 1 and isinstance(errors[0], DeviceRefused)
        assert errors[0].result.state_name == "canceled" and "job 1 canceled" in str(errors[0])


def _job_state(client, job_id):
    try:
        return client.job_attributes(job_id).get("job-state")
    except DeviceRefused:  # not created yet
        return None


def _catch(errors, fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # collected for the assertions
        errors.append(exc)


def test_unreachable_printer_and_bad_targets(pdf):
    port = free_port()
    with pytest.raises(DeviceUnavailable, match="cannot reach"):
        DocumentPrinter(f"ipp://127.0.0.1:{port}/ipp/print", request_timeout_s=2).print_file(pdf)
    for bad in ("http://x/ipp", "ipp://", "bad queue", "ipp://h:port/x"):
        with pytest.raises(ConfigurationError):
            DocumentPrinter(bad)
    with pytest.raises(ConfigurationError, match="media"):
        DocumentPrinter("q", media="letter")


def test_queue_name_goes_to_the_cups_server(pdf):
    port = free_port()
    printer = DocumentPrinter("certificates", cups_server=f"127.0.0.1:{port}", request_timeout_s=2)
    assert printer.uri == f"ipp://127.0.0.1:{port}/printers/certificates"
    with pytest.raises(DeviceUnavailable, match="cannot reach"):
        printer.print_file(pdf)


def test_unknown_queue_is_not_found(a4_sim, pdf):
    uri = a4_sim.uri.replace("/ipp/print", "/ipp/nothing")
    with pytest.raises(DeviceRefused, match="client-error-not-found"):
        DocumentPrinter(uri).print_file(pdf)


def test_not_a_printable_file(a4_sim, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(ConfigurationError, match="not a PDF or an image"):
        DocumentPrinter(a4_sim.uri).print_file(text)
    with pytest.raises(ConfigurationError, match="no such file"):
        DocumentPrinter(a4_sim.uri).print_file(tmp_path / "missing.pdf")


def test_cli_print_completed_and_failed(run_cli, a4_sim, pdf):
    rc, out, _ = run_cli("hw", "print", str(pdf), "--printer", a4_sim.uri, "--media", "a4")
    assert rc == 0 and "completed" in out
    a4_sim.set_fault("media-jam")
    rc, _, err = run_cli("hw", "print", str(pdf), "--printer", a4_sim.uri, "--timeout", "10")
    assert rc == 1 and "aborted; printer: paper jam" in err
    assert len(err.strip().splitlines()) == 1


def test_selftest_reports_both_printers(run_cli, sim_config, a4_sim, cr80_sim):
    path = sim_config("kiosk")
    text = path.read_text()
    text = text.replace('uri = "ipp://127.0.0.1:18631/ipp/print"', f'uri = "{a4_sim.uri}"')
    text = text.replace('uri = "ipp://127.0.0.1:18632/ipp/print"', f'uri = "{cr80_sim.uri}"')
    path.write_text(text)
    a4_sim.set_paper("iso_a4_210x297mm", 0)
    rc, out, _ = run_cli("selftest", "--config", str(path))
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "FAIL" in lines["printer"] and "out of paper" in lines["printer"]
    assert "PASS" in lines["badge_printer"] and "CR80 printable 52.98 x 84.6 mm" in lines["badge_printer"]
    assert rc == 1


def test_sim_printer_command_serves_until_sigterm(tmp_path, pdf):
    proc = subprocess.Popen(terminal_cmd("sim", "printer", "--media", "a4", "--out", str(tmp_path / "p")),
                            stdout=subprocess.PIPE, text=True)
    try:
        uri = None
        for _ in range(20):
            event = json.loads(proc.stdout.readline())
            if event["event"] == "printer_sim.listening":
                uri = event["uri"]
                break
        assert uri
        assert DocumentPrinter(uri, job_timeout_s=20).print_file(pdf).ok
        assert list((tmp_path / "p" / "spool").glob("1-*.pdf"))
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        proc.stdout.close()


def test_reason_words_and_media_matching():
    assert describe(["none"]) == "no problem reported"
    assert describe(["offline-report"]) == "printer offline (check power and network)"
    assert describe(["vendor-specific-thing-error"]) == "vendor specific thing"
    assert blocking(["toner-low-report", "media-jam-error"]) == ["media-jam"]
    landscape = {"media-size": {"x-dimension": 8560, "y-dimension": 5398}, "media-size-name": "cr80-landscape"}
    ranged = {"media-size": {"x-dimension": {"lower": 1000, "upper": 30000}, "y-dimension": 5000}}
    assert find_media(CR80, ready=[ranged], database=landscape).name == "cr80-landscape"
    assert find_media(A4, ready=[], database=[landscape]) is None


# -- a CUPS queue in front of the IPP printer: queue names, the PPD CUPS writes, the same failure words --------

from tests.helpers.cups_peer import PrivateCups, cups_available  # noqa: E402


@pytest.fixture(scope="module")
def cups(a4_sim, cr80_sim):
    why = cups_available()
    if why:
        pytest.skip(why)
    server = PrivateCups()
    try:
        server.add_queue("certificates", a4_sim.uri)
        server.add_queue("badges", cr80_sim.uri)
        yield server
    finally:
        server.close()


def test_cups_queue_name_prints_a4(cups, a4_sim, pdf):
    before = len(a4_sim.kept_jobs())
    printer = DocumentPrinter("certificates", cups_server=cups.server, media="a4", job_timeout_s=30)
    assert printer.uri == f"ipp://{cups.server}/printers/certificates"
    assert printer.print_file(pdf).ok
    deadline = time.monotonic() + 10
    while len(a4_sim.kept_jobs()) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert a4_sim.kept_jobs()[-1].read_bytes().startswith(b"%PDF-")


def test_cups_queue_imageable_area_comes_from_its_ppd(cups, cr80_sim, badge_png):
    printer = DocumentPrinter("badges", cups_server=cups.server, media="cr80", job_timeout_s=30)
    area = printer.media_area()
    assert area.size_mm == (53.98, 85.6) and area.imageable_mm == (52.98, 84.6)
    assert printer.print_file(badge_png).ok


def test_cups_queue_relays_the_printers_empty_tray(run_cli, cups, a4_sim, pdf):
    a4_sim.set_paper("iso_a4_210x297mm", 0)
    rc, _, err = run_cli("hw", "print", str(pdf), "--printer", "certificates", "--cups-server", cups.server,
                         "--timeout", "6")
    assert rc == 1 and "timed out; printer: out of paper" in err
    assert len(err.strip().splitlines()) == 1


# -- review: a job that completes while the timeout cancels it ----------------------

class _FinishesBeforeCancel(IppClient):
    """The real client, except that the job finishes on the real printer just before Cancel-Job
    arrives: the race a slow printer meets at the job timeout (Cancel-Job then answers
    client-error-not-possible)."""

    def __init__(self, uri, sim):
        super().__init__(uri, timeout_s=10)
        self.sim = sim

    def cancel_job(self, job_id):
        self.sim.set_fault("none")
        deadline = time.monotonic() + 10
        while self.job_attributes(job_id).get("job-state") != 9 and time.monotonic() < deadline:
            time.sleep(0.05)
        return super().cancel_job(job_id)


def test_a_job_that_completes_as_the_timeout_cancels_it_is_reported_completed(badge_png, tmp_path):
    """Reporting it as timed out would make the kiosk print the certificate a second time."""
    with PrinterSimulator(media="cr80", spool_dir=tmp_path / "sim") as sim:
        sim.set_fault("hang")
        printer = DocumentPrinter(sim.uri, media="cr80", job_timeout_s=1.0, client=_FinishesBeforeCancel(sim.uri, sim))
        result = printer.print_file(badge_png)
        assert result.ok and result.state_name == "completed" and not result.timed_out
        assert len(sim.kept_jobs()) == 1


# -- review: a printer that stops answering for a moment during a job -----------------

def test_a_printer_silent_for_a_moment_during_the_job_is_followed_to_the_end(badge_png, tmp_path):
    """A Wi-Fi hiccup mid-job must not end the follow with 'cannot reach': the job goes on printing,
    and reporting it failed would make the kiosk print the certificate twice."""
    with PrinterSimulator(media="cr80", spool_dir=tmp_path / "sim") as sim:
        sim.set_fault("hang")
        printer = DocumentPrinter(sim.uri, media="cr80", job_timeout_s=30, request_timeout_s=1, poll_interval_s=0.05)
        outcome = []
        worker = threading.Thread(target=lambda: outcome.append(_catch_or_result(printer.print_file, badge_png)))
        worker.start()
        client = IppClient(sim.uri)
        deadline = time.monotonic() + 10
        while _job_state(client, 1) != 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(sim.process.pid, signal.SIGSTOP)  # the printer stops answering ...
        try:
            time.sleep(3)  # ... for longer than a request's timeout (1 s): at least one poll gets no answer
        finally:
            os.killpg(sim.process.pid, signal.SIGCONT)
        sim.set_fault("none")
        worker.join(timeout=40)
        assert outcome and not isinstance(outcome[0], Exception), outcome
        assert outcome[0].state_name == "completed"


def _catch_or_result(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # returned for the assertions
        return exc


def test_a_printer_that_does_not_answer_is_named_as_such_not_as_empty_answers(tmp_path):
    """ipptool reports a request that got no response as status successful-ok with no attributes:
    that must read as 'did not answer', not as a printer with no media, or a cancel that worked."""
    with PrinterSimulator(media="cr80", spool_dir=tmp_path / "sim") as sim:
        printer = DocumentPrinter(sim.uri, media="cr80", request_timeout_s=1)
        os.killpg(sim.process.pid, signal.SIGSTOP)
        try:
            health = printer.health()
            with pytest.raises(DeviceTimeout, match="did not answer"):
                printer.client.cancel_job(1)
        finally:
            os.killpg(sim.process.pid, signal.SIGCONT)
        assert not health.ok and "did not answer" in health.summary, health.summary


def test_a_file_name_with_a_dollar_sign_prints(a4_sim, tmp_path):
    """ipptool expands $name in its test files: a '$' in a path or job name must reach it as '$$'
    (a path with '$uri' in it was read as the printer's URI and then 'cannot be read')."""
    from PIL import Image

    folder = tmp_path / "my$docs"
    folder.mkdir()
    document = folder / 'cert "1" $uri.pdf'
    Image.new("RGB", (100, 100), "red").save(document, "PDF")
    before = len(a4_sim.kept_jobs())
    result = DocumentPrinter(a4_sim.uri, job_timeout_s=20).print_file(document, job_name="cost $5 $uri")
    assert result.ok
    assert a4_sim.kept_jobs()[before].read_bytes() == document.read_bytes()


def test_sim_printer_old_port_and_dir_spellings_still_parse_with_a_deprecation_warning(capsys):
    from terminal.cli import build_parser

    args = build_parser().parse_args(["sim", "printer", "--port", "8632", "--dir", "/tmp/cards"])  # never dialled
    assert (args.listen, args.out) == (("127.0.0.1", 8632), "/tmp/cards")
    assert capsys.readouterr().err.splitlines() == [
        "terminal sim printer: warning: --port is deprecated and will be removed in the next release; "
        "use --listen HOST:PORT",
        "terminal sim printer: warning: --dir is deprecated and will be removed in the next release; use --out"]
