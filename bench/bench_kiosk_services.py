"""The kiosk's services as the employee meets them, through the real flow (runner inline, so each step is
timed to its end) against the reference central (uvicorn, SQLite, seeded as the demo's) and the IPP
printer simulators: the world of ``terminal demo --tour`` (ui.tour).

Figures (issue 12): certificate tap to job spooled <= 1 s -- here the tile tap to the preview (central's
data round trip, serial, render, signature, record, preview PNG) plus the print tap to the job completed
on the simulator (>= spooled); badge render <= 300 ms -- here paid to card preview (central's poll, the HR
photo from central, the card drawn at the printer's area); PDF size per certificate kind; the
verification page's requests/s (bench.bench_certificates).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "8"))


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"


def main() -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from drivers.idcard import IdCardSimulator
    from drivers.sms import ModemSimulator
    from kiosk import events as ev
    from kiosk.certificates.render import ensure_qt
    from kiosk.testing import PEOPLE, KioskRig, sim_card
    from ui.tour import _Services

    ensure_qt()
    with tempfile.TemporaryDirectory(prefix="bench-services-") as scratch:
        with IdCardSimulator(Path(scratch) / "idcard.pty") as reader, ModemSimulator(Path(scratch) / "modem") as modem:
            services = _Services(Path(scratch)).start()
            rig = KioskRig(scratch, reader, modem, store=services.store, seed=False, **services.devices())
            try:
                rig.poll()
                rig.place(sim_card(PEOPLE["E1001"]))
                rig.type(rig.last_code())
                assert rig.view["screen"] == "menu", rig.view
                for kind in ("employment", "income", "social_insurance"):
                    to_preview, to_printed, sizes = [], [], []
                    for _ in range(ROUNDS):
                        started = time.perf_counter()
                        v = rig.send(ev.ServiceChosen(f"cert_{kind}"))
                        previewed = time.perf_counter()
                        assert v["screen"] == "cert_preview", v
                        sizes.append(len(rig.flow.session.document))
                        v = rig.send(ev.PrintPressed())
                        printed = time.perf_counter()
                        assert v["screen"] == "rating", v
                        to_preview.append(previewed - started)
                        to_printed.append(printed - previewed)
                        rig.send(ev.Back())
                    total = [a + b for a, b in zip(to_preview, to_printed)]
                    print(f"certificate {kind}: tile tap to preview {_ms(to_preview)}; print tap to job completed "
                          f"{_ms(to_printed)}; together {_ms(total)} (target <= 1 s; the flow, central's round "
                          f"trip, render, sign, record, pdftoppm preview, IPP simulator)")
                    print(f"certificate {kind}: PDF {statistics.median(sizes) / 1024:.0f} KB "
                          f"(target <= 300 KB, CJK subset embedded)")
                paid_to_preview = []
                for _ in range(3):     # a replacement a year is the policy's limit of 3
                    rig.send(ev.ServiceChosen("badge_replacement"))
                    v = rig.send(ev.ReasonChosen("lost"))
                    assert v["screen"] == "payment", (v, len(paid_to_preview))
                    services.pay(v["reference"])
                    started = time.perf_counter()
                    v = rig.advance(rig.flow.devices.badge_poll_s)
                    paid_to_preview.append(time.perf_counter() - started)
                    assert v["screen"] == "badge_preview", v
                    assert rig.send(ev.PrintPressed())["screen"] == "rating"
                    services.forward()     # central fulfils the order from badge.printed before the next
                    rig.send(ev.Back())
                print(f"badge: paid to card preview {_ms(paid_to_preview)} (target render <= 300 ms; includes "
                      f"central's poll and the HR photo from central)")
            finally:
                rig.close()
                services.close()
    from bench.bench_certificates import _page
    _page()
