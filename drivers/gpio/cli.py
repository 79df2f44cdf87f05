"""``terminal hw gpio`` (show inputs, pulse outputs, watch sensors) and the GPIO selftest.

Without a configuration file it uses the default pin map, changed with
``--pin ROLE=N``; ``--sim`` runs on gpiozero's MockFactory with the sensors
wired as installed (beam intact, door shut).  Durations are ``--timeout S``
(terminal/cliopts.py); ``--seconds S`` and ``--watch S`` still work for one
release, with a warning.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import threading
import time

from drivers.errors import DeviceError
from drivers.health import Health
from terminal import TerminalError
from terminal.cliopts import example, seconds, timeout_option
from terminal.config import DEFAULT_PATH, ENV_VAR

OUTPUTS = ("lock", "led-green", "led-red", "buzzer")
MAX_SIGNAL_PULSE_S = 5.0


class _Watch(argparse.Action):
    """``--watch``: watch the sensors for ``--timeout`` seconds; the old ``--watch S`` still works, warned."""

    def __call__(self, parser, namespace, values, option_string=None):
        if values is not True:
            print(f"{parser.prog}: warning: --watch S is deprecated and will be removed in the next release; "
                  "use --watch --timeout S", file=sys.stderr)
        setattr(namespace, self.dest, values)


def register_hw(hw_sub, common) -> None:
    """Add ``terminal hw gpio`` to ``hw_sub`` (the ``hw`` subparsers); ``common`` gives ``--config``."""
    p = hw_sub.add_parser("gpio", parents=[common], help="show the drop box's inputs; pulse its outputs",
                          description="Show the beam and door inputs and the outputs' states; pulse an output "
                                      "with --pulse (the lock stays within its energised-time cap); watch the "
                                      "sensors with --watch.")
    p.add_argument("--pulse", action="append", choices=OUTPUTS, default=[], metavar="OUTPUT",
                   help=f"switch an output on for --timeout seconds, then off ({' | '.join(OUTPUTS)}); repeatable")
    timeout_option(p, default=1.0, help="seconds each --pulse lasts, and --watch watches", old=("--seconds",))
    p.add_argument("--watch", nargs="?", const=True, default=None, type=seconds, action=_Watch, metavar="S",
                   help="print sensor changes for --timeout seconds (the old form --watch S is deprecated)")
    p.add_argument("--pin", action="append", default=[], metavar="ROLE=N",
                   help="override one pin (roles: lock, beam, door, led_green, led_red, buzzer)")
    p.add_argument("--factory", choices=("auto", "lgpio", "rpigpio", "mock"),
                   help="pin library (default: the configured one, else auto)")
    p.add_argument("--sim", action="store_true", help="simulated drop box on gpiozero's MockFactory")
    example(p, "terminal hw gpio --pulse lock --timeout 0.5", "terminal hw gpio --sim --watch --timeout 30")
    p.set_defaults(run=_run_hw)


def _section_and_overrides(args) -> tuple[object, dict]:
    """The ``[gpio]`` section (``{}`` without a configuration file) and what the command line changes in it."""
    from drivers.settings import GPIO, section_values

    section, sim = {}, args.sim
    if args.config or os.environ.get(ENV_VAR) or DEFAULT_PATH.exists():
        from terminal.settings_access import load_for_command

        cfg = load_for_command(args)
        if "gpio" not in cfg:
            raise TerminalError(f"{cfg.source}: has no [gpio] section", exit_code=2)
        section = cfg.gpio
        sim = sim or section["backend"] == "sim"
    backend = "sim" if sim else "real"
    pins = dict(section_values(GPIO, section, {"backend": backend}, device="gpio")["pins"])
    for item in args.pin:
        role, _, number = item.partition("=")
        role = role.strip().replace("-", "_")
        # [0-9], not isdigit(): that is true for '²' (int() crashes) and '１７' (int() reads 17).
        if role not in pins or not re.fullmatch(r"[0-9]+", number.strip()):
            raise TerminalError(f"--pin {item!r}: expected ROLE=N with ROLE one of {', '.join(pins)} "
                                "and N a BCM number written with the digits 0-9", exit_code=2)
        pins[role] = int(number)
    # The sensors wired as installed, and nobody at the slot: a technician's pulse shows the lock alone.
    overrides = {"pins": pins, "backend": backend, "sim_drop_after_unlock_s": 0.0}
    if not sim and args.factory:
        overrides["pin_factory"] = args.factory
    return section, overrides


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


def _pulse(gpio, output: str, pulse_s: float) -> None:
    if output == "lock":
        opened = gpio.lock.unlock(hold_s=pulse_s)
        capped = " (capped)" if opened < pulse_s else ""
        print(f"lock: energised for {opened:g} s{capped}", flush=True)
        if not gpio.lock.wait_locked(timeout_s=opened + 2.0):
            gpio.lock.lock()
        print(f"lock: relocked{', cap reached' if gpio.lock.cap_trips else ''}")
        return
    device = {"led-green": gpio.leds.green, "led-red": gpio.leds.red, "buzzer": gpio.buzzer._buzzer}[output]
    pulse_s = min(pulse_s, MAX_SIGNAL_PULSE_S)
    device.on()
    print(f"{output}: on for {pulse_s:g} s", flush=True)
    try:
        time.sleep(pulse_s)
    finally:
        device.off()
    print(f"{output}: off")


class _Stopped(TerminalError):
    """SIGTERM or SIGHUP arrived: unwinds, so every output is switched off and the lock relocked."""

    def __init__(self, signum: int):
        super().__init__(f"gpio: stopped by {signal.Signals(signum).name}; outputs off, lock relocked",
                         exit_code=128 + signum)
        self.signum = signum


def _stop_on(signum, frame):
    raise _Stopped(signum)


def _run_hw(args) -> int:
    from drivers.gpio.factory import open_gpio

    if args.timeout <= 0:
        raise TerminalError("--timeout must be above 0", exit_code=2)
    watch_s = args.timeout if args.watch is True else (args.watch or 0.0)
    section, overrides = _section_and_overrides(args)
    # Their default action ends the process on the spot, coil energised (RPi.GPIO keeps driving the
    # pin after exit): a dropped SSH session (SIGHUP) or a kill must unwind through close() instead.
    in_main = threading.current_thread() is threading.main_thread()  # only there can handlers be set
    previous = {sig: signal.signal(sig, _stop_on) for sig in (signal.SIGTERM, signal.SIGHUP)} if in_main else {}
    try:
        with open_gpio(section, **overrides) as gpio:
            gpio.beam.wait_for(is_closed=gpio.beam.raw_is_closed, timeout_s=1.0)  # let the inputs settle
            gpio.door.wait_for(is_closed=gpio.door.raw_is_closed, timeout_s=1.0)
            _show(gpio)
            for output in args.pulse:
                _pulse(gpio, output, args.timeout)
            if watch_s > 0:
                _watch(gpio, watch_s)
    except _Stopped as stop:
        print(str(stop), file=sys.stderr)
        return stop.exit_code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0


def _watch(gpio, watch_s: float) -> None:
    started = time.monotonic()

    def say(text):
        print(f"  +{time.monotonic() - started:6.2f} s  {text}", flush=True)

    gpio.beam.when_broken = lambda: say("beam broken")
    gpio.beam.when_cleared = lambda: say(f"beam clear ({gpio.beam.passes} passes)")
    gpio.door.when_opened = lambda: say("door open")
    gpio.door.when_closed = lambda: say("door shut")
    print(f"watching the sensors for {watch_s:g} s", flush=True)
    time.sleep(watch_s)


def selftest(cfg) -> list[Health]:
    """Check the configured GPIO devices: one :class:`Health` each, or ``[]`` without a ``[gpio]`` section.

    The lock is not pulsed (a selftest never opens the slot).  Never raises: a
    board that cannot be opened is one failed ``gpio`` row.
    """
    if "gpio" not in cfg:
        return []
    from drivers.gpio.factory import open_gpio

    try:
        with open_gpio(cfg.gpio) as gpio:
            for contact in (gpio.beam, gpio.door):
                contact.wait_for(is_closed=contact.raw_is_closed, timeout_s=1.0)  # let the inputs settle
            return gpio.health_all()
    except DeviceError as exc:
        return [Health("gpio", False, str(exc))]
