"""The kiosk's screens: cold start to the attract screen, memory (PSS) and its growth over 100 visits,
and card data to the identified screen.  Offscreen (QT_QPA_PLATFORM=offscreen), on the simulators.

Each figure is measured in a fresh child process, so one measurement's imports and caches do not
flatter the next.  Targets (issue 11): cold start <= 1.5 s; PSS <= 150 MB, growing <= 10 MB over 100
simulated visits; card data to the identified screen <= 300 ms of software time.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VISITS = 100
CARDS = 30


def pss_mb(pid: int | str = "self") -> float:
    """Proportional set size of a process in MB (Linux /proc/PID/smaps_rollup)."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no Pss line in smaps_rollup")


def _child(name: str, *args: str) -> dict:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    started = time.time()
    done = subprocess.run([sys.executable, "-c", f"from bench.bench_kiosk import {name}; {name}(*{list(args)!r})"],
                          capture_output=True, text=True, env=env, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed: {done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["started"] = started
    return result


# -- children --------------------------------------------------------------------------------------------

def cold_start_child(state_dir: str) -> None:
    """Start the kiosk as `terminal kiosk` does (config, store, devices on the simulators, flow, window) and
    print the wall time at which the attract screen's first frame was rendered."""
    from ui.app import application
    application()
    from kiosk.clock import KioskClock
    from kiosk.devices import Devices
    from kiosk.flow import KioskFlow
    from sync.store import open_store
    from sync.store_cli import store_path
    from terminal.migrations import all_migrations
    from terminal.schema import load_config
    from ui.app import KioskWindow
    from ui.cli import _with_kiosk_tables

    cfg = load_config(Path(state_dir) / "kiosk.toml")
    store = open_store(store_path(cfg), _with_kiosk_tables(all_migrations()))
    devices = Devices.open(cfg, store)
    flow = KioskFlow(store, cfg, clock=KioskClock(store), devices=devices, threaded=True)
    window = KioskWindow(flow, tick_s=None)
    window.show()
    window.grab()                                   # the first frame of the attract screen
    shown = time.time()
    screen = window.vm.screen
    print(json.dumps({"shown": shown, "screen": screen, "problems": sorted(devices.problems)}))
    os._exit(0)                                     # the figure is taken; closing is not part of it


def visits_child(state_dir: str, visits: str) -> None:
    """Run ``visits`` whole visits through the screens; print PSS after the first and after the last."""
    from drivers.idcard import IdCardSimulator
    from drivers.sms import ModemSimulator
    from kiosk.testing import PEOPLE, KioskRig
    from ui.app import KioskWindow, application
    from ui.driver import ScreenDriver

    application()
    people = [PEOPLE["E1001"], PEOPLE["E1002"]]
    figures = {}
    with IdCardSimulator(Path(state_dir) / "idcard.pty") as reader, ModemSimulator(Path(state_dir) / "modem") as modem:
        rig = KioskRig(state_dir, reader, modem)
        rig.poll()
        window = KioskWindow(rig.flow, tick_s=None)
        window.show()
        screen = ScreenDriver(window)
        figures["attract"] = pss_mb()
        for n in range(int(visits)):
            rig.place(people[n % 2])
            screen.type(rig.last_code())
            assert screen.settle()["screen"] == "menu", screen.settle()
            screen.tap("service_my_records")
            screen.tap("back")
            screen.tap("finish")
            rig.advance(3)
            rig.lift()
            rig.modem.messages.clear()               # the handset's inbox is the simulator's, not the kiosk's
            rig.clock.advance(3600)                  # the next visit is an hour later: no hourly SMS cap
            if n == 0:
                figures["first"] = pss_mb()
        figures["last"] = pss_mb()
        window.close()
        rig.close()
    print(json.dumps(figures))


def card_to_screen_child(state_dir: str, cards: str) -> None:
    """Card data handed to the flow -> the identified screen's frame rendered, ``cards`` times (ms)."""
    from drivers.idcard import IdCardReader, IdCardSimulator
    from drivers.sms import ModemSimulator
    from kiosk import events as ev
    from kiosk.testing import PEOPLE, KioskRig, sim_card
    from ui.app import KioskWindow, application

    application()
    people = [PEOPLE["E1001"], PEOPLE["E1002"]]
    timings = []
    with IdCardSimulator(Path(state_dir) / "idcard.pty") as sim, IdCardReader(sim.port, timeout_s=3) as reader, \
            ModemSimulator(Path(state_dir) / "modem") as modem:
        rig = KioskRig(state_dir, None, modem)       # no reader in the flow: the bench hands it the card
        rig.restart(threaded=True)                   # the SMS goes off the Qt thread, as in the kiosk
        window = KioskWindow(rig.flow, tick_s=None)
        window.show()
        window.grab()
        for n in range(int(cards) + 1):
            sim.place(sim_card(people[n % 2]))
            card = reader.read_card()                # the serial read is hardware time, not counted
            started = time.perf_counter()
            rig.flow.handle(ev.CardPlaced(card))
            while window.vm.screen not in ("sms_sending", "code_entry"):
                window.settle()
            window.grab()                            # the identified screen, drawn
            if n:                                    # the first one warms the QML page cache
                timings.append((time.perf_counter() - started) * 1000)
            assert rig.flow.wait_until(lambda v: v["screen"] == "code_entry", 10)
            rig.flow.handle(ev.Exit())
            rig.clock.advance(3600)
            rig.flow.handle(ev.Tick())
            sim.lift()
            try:
                reader.read_card()
            except Exception:
                pass                                 # sees the card lifted
        window.close()
        rig.close()
    print(json.dumps({"ms": timings}))


# -- the bench -------------------------------------------------------------------------------------------

def _cold_start() -> tuple[float, float]:
    """Seconds from process start to the attract frame: first-ever run (translations compiled), then warm."""
    from drivers.idcard import IdCardSimulator
    from drivers.sms import ModemSimulator
    from terminal.config_init import render_config
    from terminal.schema import load_config

    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "kiosk.toml"
        config.write_text(render_config("kiosk", state_dir=str(Path(tmp) / "state"), device_id="KSK-BENCH-0001",
                                        site="bench", sim=True))
        cfg = load_config(config)
        cache = Path(tmp) / "cache"
        os.environ["XDG_CACHE_HOME"] = str(cache)   # a first run compiles the translations
        with IdCardSimulator(cfg.idcard.port), ModemSimulator(cfg.sms.port):
            for _ in range(2):
                result = _child("cold_start_child", tmp)
                assert result["screen"] == "attract", result
                figures.append(result["shown"] - result["started"])
        del os.environ["XDG_CACHE_HOME"]
    return figures[0], figures[1]


def main() -> None:
    first, warm = _cold_start()
    print(f"kiosk cold start to the attract screen: {warm:.2f} s (target <= 1.5 s; process start to first frame, "
          f"config + store + devices on the simulators + flow + QML)")
    print(f"kiosk cold start, first run ever (translations compiled): {first:.2f} s")
    with tempfile.TemporaryDirectory() as tmp:
        m = _child("visits_child", tmp, str(VISITS))
    print(f"kiosk memory (PSS) after the first visit: {m['first']:.1f} MB (target <= 150 MB; "
          f"at the attract screen {m['attract']:.1f} MB)")
    print(f"kiosk memory growth over {VISITS} visits: {m['last'] - m['first']:+.1f} MB (target <= 10 MB; "
          f"card, code typed on the keypad, menu, my records, finish, card lifted)")
    with tempfile.TemporaryDirectory() as tmp:
        ms = _child("card_to_screen_child", tmp, str(CARDS))["ms"]
    ms.sort()
    print(f"kiosk card data to the identified screen, median: {statistics.median(ms):.1f} ms "
          f"(target <= 300 ms; {CARDS} cards; directory lookup, code hashed and recorded, screen drawn)")
    print(f"kiosk card data to the identified screen, p95: {ms[int(len(ms) * 0.95) - 1]:.1f} ms")


if __name__ == "__main__":
    main()
