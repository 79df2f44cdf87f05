"""``terminal hw gpio`` (show inputs, pulse outputs, watch sensors) and the GPIO selftest.

Without a configuration file it uses the default pin map, changed with
``--pin ROLE=N``; ``--sim`` runs on gpiozero's MockFactory with the sensors
wired as installed (beam intact, door shut).
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time

from drivers.errors import DeviceError
from drivers.health import Health
from terminal import TerminalError
from terminal.config import DEFAULT_PATH, ENV_VAR, ascii_float

OUTPUTS = ("lock", "led-green", "led-red", "buzzer")
MAX_SIGNAL_PULSE_S = 5.0


def register_hw(hw_sub, common) -> None:
    p = hw_sub.add_parser("gpio", parents=[common], help="show the drop box's inputs; pulse its outputs",
                          description="Show the beam and door inputs and the outputs' states; pulse an output "
                                      "with --pulse (the lock stays within its energised-time cap).")
    p.add_argument("--pulse", action="append", choices=OUTPUTS, default=[], metavar="OUTPUT",
                   help=f"switch an output on for --seconds, then off ({' | '.join(OUTPUTS)}); repeatable")
    p.add_argument("--seconds", type=ascii_float, default=1.0, metavar="S", help="pulse length (default 1)")
    p.add_argument("--watch", type=ascii_float, default=0.0, metavar="S",
                   help="print sensor changes for S seconds")
    p.add_argument("--pin", action="append", default=[], metavar="ROLE=N",
                   help="override one pin (roles: lock, beam, door, led_green, led_red, buzzer)")
    p.add_argument("--factory", choices=("auto", "lgpio", "rpigpio", "mock"),
                   help="pin library (default: the configured one, else auto)")
    p.add_argument("--sim", action="store_true", help="simulated drop box on gpiozero's MockFactory")
    p.set_defaults(run=_run_hw)


def _config_from_args(args):
    from drivers.gpio.config import DEFAULT_PINS, GpioConfig

    sim = args.sim
    if args.config or os.environ.get(ENV_VAR) or DEFAULT_PATH.exists():
        from terminal.settings_access import load_for_command

        cfg = load_for_command(args)
        if "gpio" not in cfg:
            raise TerminalError(f"{cfg.source}: has no [gpio] section", exit_code=2)
        base = GpioConfig.from_settings(cfg.gpio)
        sim = sim or cfg.gpio.backend == "sim"
    else:
        base = GpioConfig()
    pins = dict(base.pins or DEFAULT_PINS)
    for item in args.pin:
        role, _, number = item.partition("=")
        role = role.strip().replace("-", "_")
        # [0-9], not isdigit(): that is true for '²' (int() crashes) and '１７' (int() reads 17).
        if role not in pins or not re.fullmatch(r"[0-9]+", number.strip()):
            raise TerminalError(f"--pin {item!r}: expected ROLE=N with ROLE one of {', '.join(pins)} "
                                "and N a BCM number written with the digits 0-9", exit_code=2)
        pins[role] = int(number)
    factory = "mock" if sim else (args.factory or base.pin_factory)
    fields = {k: getattr(base, k) for k in base.__dataclass_fields__}
    return GpioConfig(**{**fields, "pins": pins, "pin_factory": factory}), sim


def _show(gpio) -> None:
    pins = gpio.config.pins
    beam = "broken (or wire cut)" if gpio.beam.broken else "clear"
    door = "open (or wire cut)" if gpio.door.is_open else "shut"
    lock = "unlocked (energised)" if gpio.lock.energised else "locked"
    print("inputs")
    print(f"  beam       GPIO{pins['beam']:<3} {beam}, {gpio.beam.passes} passes")
    print(f"  door       GPIO{pins['door']:<3} {door}")
    print("outputs")
    print(f"  lock       GPIO{pins['lock']:<3} {lock} (cap {gpio.lock.max_energised_s:g} s, "
          f"cool-down {gpio.lock.cooldown_s:g} s)")
    print(f"  led-green  GPIO{pins['led_green']:<3} {'on' if gpio.leds.green.is_lit else 'off'}")
    print(f"  led-red    GPIO{pins['led_red']:<3} {'on' if gpio.leds.red.is_lit else 'off'}")
    print(f"  buzzer     GPIO{pins['buzzer']:<3} {'on' if gpio.buzzer.sounding else 'off'}")


def _pulse(gpio, output: str, seconds: float) -> None:
    if output == "lock":
        opened = gpio.lock.unlock(hold_s=seconds)
        capped = " (capped)" if opened < seconds else ""
        print(f"lock: energised for {opened:g} s{capped}", flush=True)
        if not gpio.lock.wait_locked(timeout=opened + 2.0):
            gpio.lock.lock()
        print(f"lock: relocked{', cap reached' if gpio.lock.cap_trips else ''}")
        return
    device = {"led-green": gpio.leds.green, "led-red": gpio.leds.red, "buzzer": gpio.buzzer._buzzer}[output]
    seconds = min(seconds, MAX_SIGNAL_PULSE_S)
    device.on()
    print(f"{output}: on for {seconds:g} s", flush=True)
    try:
        time.sleep(seconds)
    finally:
        device.off()
    print(f"{output}: off")


class _Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwind, so every output is switched off and the lock relocked."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop_on(signum, frame):
    raise _Stopped(signum)


def _run_hw(args) -> int:
    from drivers.gpio import DropBoxGpio, SimulatedDropBox

    if args.seconds <= 0:
        raise TerminalError("--seconds must be above 0", exit_code=2)
    config, sim = _config_from_args(args)
    # Their default action ends the process on the spot, coil energised (RPi.GPIO keeps driving the
    # pin after exit): a dropped SSH session (SIGHUP) or a kill must unwind through close() instead.
    in_main = threading.current_thread() is threading.main_thread()  # only there can handlers be set
    previous = {sig: signal.signal(sig, _stop_on) for sig in (signal.SIGTERM, signal.SIGHUP)} if in_main else {}
    try:
        with DropBoxGpio(config) as gpio:
            if sim:
                SimulatedDropBox(gpio)  # sensors wired as installed; closed with the board
            gpio.beam.wait_for(closed=gpio.beam.raw_closed, timeout=1.0)  # let the inputs settle
            gpio.door.wait_for(closed=gpio.door.raw_closed, timeout=1.0)
            _show(gpio)
            for output in args.pulse:
                _pulse(gpio, output, args.seconds)
            if args.watch > 0:
                _watch(gpio, args.watch)
    except _Stopped as stop:
        print(f"gpio: stopped by {signal.Signals(stop.signum).name}; outputs off, lock relocked", file=sys.stderr)
        return 128 + stop.signum
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _watch(gpio, seconds: float) -> None:
    started = time.monotonic()

    def say(text):
        print(f"  +{time.monotonic() - started:6.2f} s  {text}", flush=True)

    gpio.beam.when_broken = lambda: say("beam broken")
    gpio.beam.when_cleared = lambda: say(f"beam clear ({gpio.beam.passes} passes)")
    gpio.door.when_opened = lambda: say("door open")
    gpio.door.when_closed = lambda: say("door shut")
    print(f"watching the sensors for {seconds:g} s", flush=True)
    time.sleep(seconds)


def selftest(cfg) -> list[Health]:
    """Check the configured GPIO devices (the lock is not pulsed: a selftest never opens the slot)."""
    if "gpio" not in cfg:
        return []
    from drivers.gpio import open_gpio

    try:
        with open_gpio(cfg.gpio) as gpio:
            for contact in (gpio.beam, gpio.door):
                contact.wait_for(closed=contact.raw_closed, timeout=1.0)  # let the inputs settle
            return gpio.health_all()
    except DeviceError as exc:
        return [Health("gpio", False, str(exc))]
