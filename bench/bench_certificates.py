"""Certificates: render time and PDF size per kind (Qt, and fpdf2 when installed, the measured alternative),
render + spool to the IPP simulator (the part of tap-to-spooled this library owns; target <= 1 s),
and the verification page's requests/s on the reference central."""

import base64
import io
import statistics
import tempfile
import threading
import time
from pathlib import Path

N = 20


def _documents():
    from kiosk.certificates.document import build
    from sync.central.routes.certdata import DEMO_CERT_DATA, DEMO_TEMPLATES

    data = {"name": "欧阳测试", "employee_no": "E1002", "department": "HR", **DEMO_CERT_DATA["E1002"]}
    for template in DEMO_TEMPLATES:
        yield template, build(template, data, lang="zh+en", serial="KSK-SHA-0001-000123", issued_on="2026-11-30",
                              terminal="KSK-SHA-0001")


URL = "http://127.0.0.1:8740/verify/CV1.I.20261130.KSK-SHA-0001-000123." + "A" * 24 + ".ABCD." + "B" * 103


def _qt() -> list[bytes]:
    from kiosk.certificates.render import ensure_qt, render_pdf, seal_image

    ensure_qt()
    pdfs = []
    for template, doc in _documents():
        started = time.perf_counter()
        pdf, _ = render_pdf(doc, URL, seal_image(template, doc.company[0]))
        first = time.perf_counter() - started
        times = []
        for _ in range(N):
            started = time.perf_counter()
            pdf, _ = render_pdf(doc, URL, seal_image(template, doc.company[0]))
            times.append(time.perf_counter() - started)
        pdfs.append(pdf)
        print(f"render {doc.kind} (Qt QPdfWriter, zh+en): {statistics.median(times) * 1000:.1f} ms median, "
              f"{max(times) * 1000:.1f} ms max, first {first * 1000:.0f} ms; PDF {len(pdf) / 1024:.1f} KB "
              f"(target <= 300 KB)")
    return pdfs


def _fpdf2() -> None:
    try:
        from fpdf import FPDF
    except ImportError:
        print("render with fpdf2: not installed (pip install fpdf2 to compare)")
        return
    import segno

    from kiosk.certificates.render import cjk_font_file

    template, doc = next(iter(_documents()))
    qr = io.BytesIO()
    segno.make(URL, error="m").save(qr, kind="png", scale=4, border=0)
    times, size = [], 0
    for _ in range(5):
        started = time.perf_counter()
        pdf = FPDF(format="A4")
        pdf.add_page()
        pdf.add_font("cjk", "", str(cjk_font_file()))
        pdf.set_font("cjk", size=12)
        for line in doc.strings():
            pdf.multi_cell(170, 7, line)
        pdf.image(io.BytesIO(qr.getvalue()), x=20, y=240, w=33)
        size = len(bytes(pdf.output()))
        times.append(time.perf_counter() - started)
    print(f"render {doc.kind} (fpdf2, same strings, no seal): {statistics.median(times) * 1000:.1f} ms median; "
          f"PDF {size / 1024:.1f} KB")


def _spool(pdfs: list[bytes]) -> None:
    from drivers.printer import PrinterSimulator, open_printer
    from kiosk.certificates.render import render_pdf, seal_image

    template, doc = next(iter(_documents()))
    with tempfile.TemporaryDirectory() as tmp, PrinterSimulator(media="a4", spool_dir=Path(tmp) / "a4") as sim:
        printer = open_printer({"uri": sim.uri, "job_timeout_s": 30.0}, poll_interval_s=0.02)
        times = []
        for i in range(10):
            started = time.perf_counter()
            pdf, _ = render_pdf(doc, URL, seal_image(template, doc.company[0]))
            path = Path(tmp) / f"c{i}.pdf"
            path.write_bytes(pdf)
            printer.print_file(path, job_name="certificate")
            times.append(time.perf_counter() - started)
        printer.close()
    print(f"render + print to completed (IPP simulator via open_printer): {statistics.median(times) * 1000:.0f} ms "
          f"median, {max(times) * 1000:.0f} ms max (target tap-to-spooled <= 1 s; the data fetch adds one "
          f"signed round trip to central)")


def _page() -> None:
    import socket

    import requests
    import uvicorn
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from sync import certcode
    from sync.central.app import create_app
    from sync.central.client import DeviceClient, make_event
    from sync.central.server import server_config
    from sync.central.storage import open_storage

    with tempfile.TemporaryDirectory() as tmp:
        storage = open_storage(str(Path(tmp) / "central.db"))
        app = create_app(storage)
        app.state.verify_limit.allowed = 10 ** 9          # measure the page, not the limiter's refusals
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        server = uvicorn.Server(server_config(app))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.01)
        try:
            key = Ed25519PrivateKey.generate()
            public = base64.b64encode(key.public_key().public_bytes_raw()).decode()
            r = requests.post(url + "/v1/enroll", json={"device_id": "KSK-B-1", "token": storage.create_token(
                "KSK-B-1", ttl_s=60), "public_key": public}, timeout=10)
            client = DeviceClient(url, "KSK-B-1", base64.b64decode(r.json()["secret"]))
            code = certcode.make_code("income", "2026-11-30", "KSK-B-1-000001", certcode.text_hash("x"),
                                      lambda m: base64.b64encode(key.sign(m)).decode())
            client.post_events([make_event(1, type="certificate.issued", key="c1", payload={
                "serial": "KSK-B-1-000001", "kind": "income", "employee_no": "E1", "issued_on": "2026-11-30",
                "terminal": "KSK-B-1", "text_hash": code.split(".")[-3], "code": code, "holder": "欧**"})])
            page = certcode.verify_url(url, code)
            assert "Valid" in requests.get(page, timeout=10).text
            for clients in (1, 4):
                n = 200
                def one_client():
                    for _ in range(n // clients):
                        # A new connection each time, as phones do (and no keep-alive delayed-ACK stalls).
                        requests.get(page, timeout=10, headers={"Connection": "close"})
                workers = [threading.Thread(target=one_client) for _ in range(clients)]
                started = time.perf_counter()
                for w in workers:
                    w.start()
                for w in workers:
                    w.join()
                elapsed = time.perf_counter() - started
                print(f"verification page (valid certificate, {clients} client(s), a connection per request, "
                      f"SQLite): {n / elapsed:.0f} requests/s")
        finally:
            server.should_exit = True
            thread.join(timeout=20)
            sock.close()
            storage.close()


def main() -> None:
    pdfs = _qt()
    _fpdf2()
    _spool(pdfs)
    _page()
