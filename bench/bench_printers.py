"""Printers: ESC/POS receipt bytes-to-rendered (TCP 9100 simulator) and IPP submit-to-completed (ippeveprinter)."""

import socket
import statistics
import tempfile
import time
from pathlib import Path


def _receipt(n: int = 50) -> None:
    from drivers.receipt import ReceiptSimulator, receipt_test_page

    data = receipt_test_page(42, where="bench").to_bytes()
    for png in (False, True):
        with tempfile.TemporaryDirectory() as tmp, ReceiptSimulator(out_dir=tmp, png=png) as sim:
            times = []
            for i in range(n):
                started = time.perf_counter()
                with socket.create_connection((sim.host, sim.port)) as s:
                    s.sendall(data)
                job = sim.wait_for_jobs(i + 1)[-1]
                times.append(job.finished - started)
        what = "text + PNG files" if png else "text rendering"
        print(f"receipt bytes-to-rendered ({what}): {statistics.median(times) * 1000:.2f} ms median, "
              f"{max(times) * 1000:.2f} ms max ({n} test receipts of {len(data)} bytes, Chinese + QR + cut)")


def _ipp(n: int = 20) -> None:
    from PIL import Image

    from drivers.printer import DocumentPrinter, PrinterSimulator

    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "certificate.pdf"
        Image.new("RGB", (2480, 3508), "white").save(pdf, "PDF", resolution=300)
        badge = Path(tmp) / "badge.png"
        Image.new("RGB", (1011, 638), "navy").save(badge)
        for media, document in (("a4", pdf), ("cr80", badge)):
            with PrinterSimulator(media=media, spool_dir=Path(tmp) / media) as sim:
                printer = DocumentPrinter(sim.uri, media=media, job_timeout_s=30, poll_interval_s=0.02)
                times = []
                for _ in range(n):
                    started = time.perf_counter()
                    printer.print_file(document)
                    times.append(time.perf_counter() - started)
            kind = "A4 PDF" if media == "a4" else "CR80 PNG -> PDF"
            print(f"IPP submit-to-completed ({kind}): {statistics.median(times) * 1000:.1f} ms median, "
                  f"{max(times) * 1000:.1f} ms max ({n} jobs to ippeveprinter via ipptool, engine returns at once)")


def main() -> None:
    _receipt()
    _ipp()
