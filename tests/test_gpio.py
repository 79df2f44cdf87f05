"""GPIO: lock cap and cool-down, debounced beam, fail-safe door, signals, pin map, CLI, selftest.

The test seam is gpiozero's own MockFactory; each test gets a fresh one and
releases its pins afterwards.  Waits are on events, never on timing figures.
"""

from __future__ import annotations

import threading

import pytest
from gpiozero.pins.mock import MockFactory
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ConfigurationError, DeviceRefused, DeviceUnavailable
from drivers.gpio import (CollectionDoor, Debouncer, DropBoxGpio, EnvelopeBeam, GpioConfig, SlotLock, StatusLeds,
                          Buzzer, make_pin_factory, open_gpio)
from drivers.gpio.contacts import Contact
from drivers.gpio.pinfactory import header_chip
from drivers.settings import GPIO
from terminal.config import ConfigError
from terminal.schema import parse_config


@pytest.fixture
def factory():
    f = MockFactory()
    yield f
    f.reset()  # release every pin reservation between tests
    f.close()


def wire(factory, pin, is_closed, pull_up=True):
    """Drive an input as a normally-closed contact would."""
    (factory.pin(pin).drive_low if is_closed == pull_up else factory.pin(pin).drive_high)()


# -- slot lock ----------------------------------------------------------------

def test_lock_is_unpowered_from_the_moment_it_is_claimed(factory):
    with SlotLock(17, pin_factory=factory) as lock:
        assert lock.locked and not factory.pin(17).state
    with SlotLock(18, active_high=False, pin_factory=factory) as lock:
        assert lock.locked and factory.pin(18).state  # active-low relay board: high is off


def test_unlock_for_a_hold_relocks_by_itself(factory):
    reasons = []
    told = threading.Event()
    with SlotLock(17, max_energised_s=5, cooldown_s=0, pin_factory=factory) as lock:
        lock.when_locked = lambda reason: (reasons.append(reason), told.set())
        assert lock.unlock(hold_s=0.05) == 0.05
        assert lock.energised and factory.pin(17).state
        assert lock.wait_locked(timeout_s=5)
        assert not factory.pin(17).state and lock.cap_trips == 0
        # The coil goes off first; the callback follows on the timer's thread.
        assert told.wait(5)
    assert reasons[0] == "hold"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_lock_energised_past_its_cap_is_de_energised_and_reported(factory):
    capped = threading.Event()
    with SlotLock(17, max_energised_s=0.2, cooldown_s=0, pin_factory=factory) as lock:
        lock.when_capped = lambda energised_s: capped.set()

        def forgetful_caller():
            lock.unlock()  # holds "until lock()" ... which it never calls
            raise RuntimeError("caller crashed")

        caller = threading.Thread(target=forgetful_caller)
        caller.start()
        caller.join()
        assert capped.wait(timeout=5), "the watchdog did not relock at the cap"
        assert not lock.energised and not factory.pin(17).state
        assert lock.cap_trips == 1
        assert "1 cap trips" in lock.health().summary


def test_a_hold_longer_than_the_cap_is_clamped_to_it(factory):
    with SlotLock(17, max_energised_s=0.1, cooldown_s=0, pin_factory=factory) as lock:
        assert lock.unlock(hold_s=60) == 0.1
        assert lock.wait_locked(timeout_s=5) and lock.cap_trips == 1


def test_unlock_during_cool_down_is_refused(factory):
    with SlotLock(17, cooldown_s=30, pin_factory=factory) as lock:
        lock.unlock(hold_s=1)
        lock.lock()
        with pytest.raises(DeviceRefused, match="cooling down"):
            lock.unlock()
        assert lock.locked


def test_closing_an_unlocked_lock_relocks_it(factory):
    lock = SlotLock(17, pin_factory=factory)
    lock.unlock()
    lock.close()
    assert not factory.pin(17).state
    with pytest.raises(DeviceRefused):
        lock.unlock()


@pytest.mark.parametrize("cap", [0, 11, -1])
def test_lock_cap_out_of_range(factory, cap):
    with pytest.raises(ConfigurationError, match="lock_max_energised_s"):
        SlotLock(17, max_energised_s=cap, pin_factory=factory)


# -- envelope beam --------------------------------------------------------------

def test_beam_bounce_is_debounced_into_one_break_and_one_pass(factory):
    beam = EnvelopeBeam(27, bounce_s=0.2, pin_factory=factory)
    events = []
    try:
        wire(factory, 27, is_closed=True)
        assert beam.wait_for(is_closed=True, timeout_s=5)
        beam.when_broken = lambda: events.append("broken")
        beam.when_cleared = lambda: events.append("cleared")
        for closed in (False, True, False, True, False):  # the envelope's edge flutters in the beam
            wire(factory, 27, is_closed=closed)
        assert beam.wait_for(is_closed=False, timeout_s=5)
        for closed in (True, False, True):
            wire(factory, 27, is_closed=closed)
        assert beam.wait_for_pass(timeout_s=5, after=0)
        assert events == ["broken", "cleared"] and beam.passes == 1
    finally:
        beam.close()


def test_a_glitch_shorter_than_the_bounce_time_is_ignored(factory):
    beam = EnvelopeBeam(27, bounce_s=0.3, pin_factory=factory)
    try:
        wire(factory, 27, is_closed=True)
        assert beam.wait_for(is_closed=True, timeout_s=5)
        wire(factory, 27, is_closed=False)
        wire(factory, 27, is_closed=True)
        assert not beam.wait_for(is_closed=False, timeout_s=0.6)
        assert beam.passes == 0
    finally:
        beam.close()


def test_beam_wire_cut_reads_broken(factory):
    with EnvelopeBeam(27, pin_factory=factory) as beam:
        assert beam.broken  # nothing drives the pin: the pull-up says "broken"


def test_a_failing_callback_does_not_stop_the_sensor(factory):
    beam = EnvelopeBeam(27, bounce_s=0, pin_factory=factory)
    try:
        wire(factory, 27, is_closed=True)
        assert beam.wait_for(is_closed=True, timeout_s=5)
        beam.when_broken = lambda: 1 / 0
        wire(factory, 27, is_closed=False)
        assert beam.wait_for(is_closed=False, timeout_s=5)
        wire(factory, 27, is_closed=True)
        assert beam.wait_for_pass(timeout_s=5, after=0)
    finally:
        beam.close()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.floats(0.0, 0.2)), max_size=30), st.floats(0.001, 0.1))
def test_debouncer_accepts_a_level_only_after_it_held_for_the_bounce_time(edges, bounce):
    d = Debouncer(False, bounce)
    now, raw, raw_since = 0.0, False, float("-inf")
    for level, gap in edges:
        now += gap
        got = d.settle(now)
        if got is not None:
            # what was accepted is the raw level, and it has held for bounce_s
            assert got == raw and raw_since + bounce <= now
        else:
            assert d.stable == raw or raw_since + bounce > now
        d.edge(level, now)
        if level != raw:
            raw, raw_since = level, now
    d.settle(now + bounce)
    assert d.stable == raw  # a level that holds is always accepted in the end


# -- collection door ------------------------------------------------------------

@pytest.mark.parametrize("pull_up", [True, False])
def test_door_wire_cut_reads_open_and_fails_health(factory, pull_up):
    door = CollectionDoor(22, pull_up=pull_up, bounce_s=0, pin_factory=factory)
    try:
        assert door.is_open and not door.health().ok and "wire is cut" in door.health().summary
        wire(factory, 22, is_closed=True, pull_up=pull_up)
        assert door.wait_for(is_closed=True, timeout_s=5) and door.health().ok
        opened = threading.Event()
        door.when_opened = opened.set
        wire(factory, 22, is_closed=False, pull_up=pull_up)  # the wire is cut (or the door opens)
        assert opened.wait(timeout=5) and door.is_open
    finally:
        door.close()


# -- LEDs and buzzer ------------------------------------------------------------

def test_led_patterns(factory):
    with StatusLeds(23, 24, pin_factory=factory) as leds:
        leds.show("ok")
        assert leds.green.is_lit and not leds.red.is_lit
        leds.show("error")
        assert not leds.green.is_lit
        leds.show("off")
        assert not leds.green.is_lit and not leds.red.is_lit
        with pytest.raises(ConfigurationError, match="pattern 'party'"):
            leds.show("party")


def test_buzzer_pattern_beeps_and_stops(factory):
    with Buzzer(25, pin_factory=factory) as buzzer:
        buzzer.sound("error", wait=True)
        states = [s.state for s in factory.pin(25).states]
        assert states.count(True) == 3 and not buzzer.sounding
        with pytest.raises(ConfigurationError):
            buzzer.sound("siren")


# -- the board, pin map and pin factories ---------------------------------------

def test_board_built_from_config_and_simulated_drop(gpio_sim):
    simulator = gpio_sim(drop_after_unlock_s=0.05, lock_cooldown_s=0, beam_bounce_s=0.005)
    gpio = simulator.gpio
    assert gpio.door.wait_for(is_closed=True, timeout_s=5) and gpio.beam.wait_for(is_closed=True, timeout_s=5)
    assert gpio.health().ok
    gpio.lock.unlock(hold_s=2)
    assert gpio.beam.wait_for_pass(timeout_s=5, after=0)
    assert simulator.drops == 1


def test_board_that_fails_half_way_releases_the_pins_it_took(factory):
    from gpiozero import LED

    squatter = LED(24, pin_factory=factory)  # led_red is taken
    with pytest.raises(ConfigurationError, match="pins.led_red = 24"):
        DropBoxGpio(GpioConfig(pin_factory="mock"), pin_factory=factory)
    squatter.close()
    with DropBoxGpio(GpioConfig(pin_factory="mock"), pin_factory=factory) as gpio:  # every pin free again
        assert gpio.lock.locked


def test_pin_with_a_fixed_pull_up_cannot_take_a_pull_down_sensor(factory):
    with pytest.raises(ConfigurationError, match="pins.beam = 2"):
        EnvelopeBeam(2, pull_up=False, pin_factory=factory)


def test_gpio_config_rejects_reused_and_invalid_pins():
    with pytest.raises(ConfigurationError, match="pins.buzzer: GPIO17 is already used by pins.lock"):
        GpioConfig(pins={"lock": 17, "beam": 27, "door": 22, "led_green": 23, "led_red": 24, "buzzer": 17})
    with pytest.raises(ConfigurationError, match="pins.door: 40 is not a header GPIO"):
        GpioConfig(pins={"lock": 17, "beam": 27, "door": 40, "led_green": 23, "led_red": 24, "buzzer": 25})
    with pytest.raises(ConfigurationError, match="missing buzzer"):
        GpioConfig(pins={"lock": 17, "beam": 27, "door": 22, "led_green": 23, "led_red": 24})


def test_config_file_pin_used_twice_names_the_key(sim_config):
    text = sim_config("dropbox").read_text().replace("led_red = 24", "led_red = 17")
    with pytest.raises(ConfigError, match=r"gpio\.pins\.led_red: GPIO17 is already used by pins\.lock"):
        parse_config(text)


def test_config_file_pin_out_of_range(sim_config):
    text = sim_config("dropbox").read_text().replace("door = 22", "door = 1")
    with pytest.raises(ConfigError, match=r"gpio\.pins\.door: 1 is below the minimum 2"):
        parse_config(text)


def test_dropbox_role_requires_the_gpio_section(sim_config):
    text = sim_config("dropbox").read_text()
    start = text.index("[gpio]")
    with pytest.raises(ConfigError, match=r"\[gpio\]: missing section, required for role 'dropbox'"):
        parse_config(text[:start])


def test_pin_factories_that_are_not_installed_say_how_to_get_them():
    with pytest.raises(DeviceUnavailable, match="lgpio is not installed") as err:
        make_pin_factory("lgpio")
    assert "service-terminals[pi]" in err.value.hint
    with pytest.raises(DeviceUnavailable, match="RPi.GPIO is not usable"):
        make_pin_factory("rpigpio")
    with pytest.raises(ConfigurationError, match="pin_factory 'pigpio'"):
        make_pin_factory("pigpio")


def test_header_chip_is_found_by_label_not_number():
    assert header_chip({0: "pinctrl-bcm2711", 1: "raspberrypi-exp-gpio"}) == 0
    assert header_chip({0: "gpio-brcmstb@107d508500", 4: "pinctrl-rp1"}) == 4
    with pytest.raises(DeviceUnavailable, match="no gpiochip drives the 40-pin header"):
        header_chip({0: "some-other-chip"})
    with pytest.raises(DeviceUnavailable, match="no /dev/gpiochip"):
        header_chip({})


# -- terminal hw gpio and selftest ------------------------------------------------

def test_hw_gpio_sim_shows_inputs_and_pulses_outputs(run_cli, monkeypatch, tmp_path):
    monkeypatch.delenv("TERMINAL_CONFIG", raising=False)
    monkeypatch.setattr("drivers.gpio.cli.DEFAULT_PATH", tmp_path / "absent.toml")
    code, out, err = run_cli("hw", "gpio", "--sim", "--pulse", "led-green", "--pulse", "lock",
                             "--timeout", "0.05", "--pin", "buzzer=5")
    assert code == 0, err
    assert "beam       GPIO27  clear" in out and "door       GPIO22  shut" in out
    assert "buzzer     GPIO5" in out
    assert "led-green: on for 0.05 s" in out and "lock: energised for 0.05 s" in out and "lock: relocked" in out


def test_hw_gpio_lock_pulse_is_capped(run_cli, sim_config):
    path = sim_config("dropbox")
    path.write_text(path.read_text().replace("lock_max_energised_s = 3.0", "lock_max_energised_s = 0.1"))
    code, out, err = run_cli("hw", "gpio", "--config", str(path), "--pulse", "lock", "--timeout", "30")
    assert code == 0, err
    assert "lock: energised for 0.1 s (capped)" in out and "cap reached" in out


def test_hw_gpio_bad_pin_override(run_cli, sim_config):
    code, out, err = run_cli("hw", "gpio", "--config", str(sim_config("dropbox")), "--pin", "lock=23")
    assert code == 2 and "pins.led_green: GPIO23 is already used by pins.lock" in err


def test_selftest_checks_the_configured_gpio(run_cli, sim_config):
    code, out, err = run_cli("selftest", "--config", str(sim_config("dropbox")))
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    for device in ("slot-lock", "envelope-beam", "collection-door", "status-leds", "buzzer"):
        assert "PASS" in rows[device], out


def test_kiosk_has_no_gpio_to_selftest(sim_config):
    from drivers.gpio.cli import selftest
    from terminal.schema import load_config

    assert selftest(load_config(sim_config("kiosk"))) == []


def test_open_gpio_from_a_sim_config_plays_the_person_at_the_slot(sim_config):
    from drivers.gpio import open_gpio
    from terminal.schema import load_config

    path = sim_config("dropbox")
    path.write_text(path.read_text().replace("sim_drop_after_unlock_s = 0.8", "sim_drop_after_unlock_s = 0.05"))
    with open_gpio(load_config(path).gpio) as gpio:
        assert gpio.beam.wait_for(is_closed=True, timeout_s=5) and gpio.door.wait_for(is_closed=True, timeout_s=5)
        gpio.lock.unlock(hold_s=1)
        assert gpio.beam.wait_for_pass(timeout_s=5, after=0)
        simulator = gpio.simulator
    assert simulator is not None and simulator._stop.is_set()  # closed with the board


# -- review: the lock must stay locked through close() and process exit ---------

def test_a_callback_cannot_reopen_the_lock_while_it_is_being_closed(factory):
    """close() relocks, which calls when_locked: an unlock from there must be refused, not energise
    a coil whose pin is about to be released with nobody left to relock it."""
    refused = []
    lock = SlotLock(17, cooldown_s=0, pin_factory=factory)

    def reopen(reason):
        try:
            lock.unlock()
        except DeviceRefused as exc:
            refused.append(exc)

    lock.unlock()
    lock.when_locked = reopen
    lock.close()
    assert refused, "unlock() during close() was accepted"
    assert not factory.pin(17).state


def test_process_exit_with_the_lock_energised_relocks_it(tmp_path):
    """A process that exits without close() (an uncaught error, sys.exit in a handler) must not leave
    the coil energised: gpiozero's exit hook only closes devices on its default pin factory, and
    RPi.GPIO leaves an output pin driven after the process ends."""
    import subprocess
    import sys

    script = (
        "import atexit\n"
        "from gpiozero.pins.mock import MockFactory\n"
        "from drivers.gpio.lock import SlotLock\n"
        "factory = MockFactory()\n"
        # registered first, so it runs last: after every other exit hook
        "atexit.register(lambda: print('pin at exit:', factory.pin(17).state, flush=True))\n"
        "lock = SlotLock(17, max_energised_s=10, pin_factory=factory)\n"
        "lock.unlock()\n"
        "print('unlocked:', factory.pin(17).state, flush=True)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "unlocked: True" in out.stdout
    assert "pin at exit: False" in out.stdout, out.stdout


def test_a_watchdog_that_cannot_start_leaves_the_coil_unpowered(factory, monkeypatch):
    """If the watchdog thread cannot be started (thread limit reached), nothing would end the unlock:
    the coil must not be energised at all."""
    import drivers.gpio.lock as lock_module

    class NoThreadsLeft(threading.Timer):
        def start(self):
            raise RuntimeError("can't start new thread")

    with SlotLock(17, cooldown_s=0, pin_factory=factory) as lock:
        monkeypatch.setattr(lock_module.threading, "Timer", NoThreadsLeft)
        with pytest.raises(RuntimeError):
            lock.unlock(hold_s=1)
        assert not factory.pin(17).state and lock.locked
        monkeypatch.undo()
        assert lock.unlock(hold_s=0.05) == 0.05  # and the lock still works afterwards
        assert lock.wait_locked(timeout_s=5)


def test_a_late_watchdog_from_an_earlier_unlock_does_not_relock_the_next_one(factory):
    """lock() cancels the watchdog, but one already firing runs on: it must not end the *next*
    unlock early (the person in front of the slot would find it locked again at once)."""
    fired, proceed, threads = threading.Event(), threading.Event(), []

    class SlowWatchdog(SlotLock):
        def _expire(self, reason):  # a watchdog that fires, then is held up (a loaded CPU)
            if not threads:
                threads.append(threading.current_thread())
                fired.set()
                proceed.wait(10)
            super()._expire(reason)

    with SlowWatchdog(17, max_energised_s=5, cooldown_s=0, pin_factory=factory) as lock:
        lock.unlock(hold_s=0.01)
        assert fired.wait(10)
        lock.lock()                      # too late to cancel the first watchdog
        lock.unlock(hold_s=5)            # the next person's unlock
        proceed.set()
        threads[0].join(10)
        assert lock.energised and factory.pin(17).state, "the first unlock's watchdog relocked the second"
        assert lock.cap_trips == 0


@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_hw_gpio_stopped_mid_pulse_relocks_before_it_exits(sig, tmp_path):
    """A technician's SSH session that drops (SIGHUP) or a kill (SIGTERM) while 'terminal hw gpio'
    holds the lock open must not leave the coil energised: the default action ends the process
    at once, with no relock (RPi.GPIO then keeps driving the pin)."""
    import signal as signals
    import subprocess

    from tests.helpers.processes import terminal_cmd

    proc = subprocess.Popen(terminal_cmd("hw", "gpio", "--sim", "--pulse", "lock", "--timeout", "5"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        for line in proc.stdout:
            if line.startswith("lock: energised"):
                break
        proc.send_signal(getattr(signals, sig))
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + getattr(signals, sig), (proc.returncode, err)
    assert "stopped by" in err and "lock relocked" in err, err


def test_health_of_a_closed_board_never_raises(factory):
    """health() never raises (drivers.base): after close() the lock and buzzer said so with a
    GPIODeviceClosed traceback instead of a result."""
    gpio = DropBoxGpio(GpioConfig(pin_factory="mock"), pin_factory=factory)
    gpio.close()
    results = {h.device: h for h in gpio.health_all()}
    assert not results["slot-lock"].ok and "released" in results["slot-lock"].summary
    assert not results["buzzer"].ok and "released" in results["buzzer"].summary
    assert gpio.lock.locked and not gpio.lock.energised  # closed means relocked


def test_a_level_change_while_the_contact_is_being_built_is_not_lost():
    """The contact reads its pin, then installs its edge callbacks: an edge in between fired no
    callback, and nothing read the pin again, so the door stayed 'open' while shut, for ever."""
    from gpiozero.pins.mock import MockPin

    import traceback

    class EdgeRightAfterTheContactsRead(MockPin):
        flipped = False

        def _get_state(self):
            level = super()._get_state()
            by_contact = any(f.filename.endswith("contacts.py") and "Debouncer(" in (f.line or "")
                             for f in traceback.extract_stack())
            if by_contact and not EdgeRightAfterTheContactsRead.flipped:
                EdgeRightAfterTheContactsRead.flipped = True
                self._state = not level  # the magnet arrives before any callback is installed
            return level

    factory = MockFactory(pin_class=EdgeRightAfterTheContactsRead)
    try:
        door = CollectionDoor(22, bounce_s=0.01, pin_factory=factory)
        assert EdgeRightAfterTheContactsRead.flipped
        assert door.wait_for(is_closed=True, timeout_s=5), "the edge during construction was lost"
        assert not door.is_open
        door.close()
    finally:
        factory.reset()
        factory.close()


# -- one limit, one place: the schema's bounds, for a config file and for Python alike ---------

@pytest.mark.parametrize("cap", [0.05, 10.5])
def test_lock_refuses_a_cap_outside_the_schemas_bounds_naming_those_bounds(factory, cap):
    """lock.py took any cap above 0 while its message said 0.1 to 10: 0.05 s was accepted."""
    with pytest.raises(ConfigurationError, match=r"lock_max_energised_s .* out of range; use 0\.1 to 10$"):
        SlotLock(17, max_energised_s=cap, pin_factory=factory)


@pytest.mark.parametrize("key, python_name", [("lock_max_energised_s", "max_energised_s"),
                                              ("lock_cooldown_s", "cooldown_s")])
def test_lock_and_config_file_accept_and_refuse_the_same_values(factory, sim_config, key, python_name):
    setting = GPIO.settings[key]
    for ok in (setting.min, setting.max):
        SlotLock(17, **{python_name: ok}, pin_factory=factory).close()
    text = sim_config("dropbox").read_text()
    line = next(line for line in text.splitlines() if line.startswith(f"{key} = "))
    for wrong in (setting.min - 0.01, setting.max + 0.01):
        with pytest.raises(ConfigurationError, match=f"{key} {wrong} is out of range; "
                                                     f"use {setting.min:g} to {setting.max:g}"):
            SlotLock(17, **{python_name: wrong}, pin_factory=factory)
        with pytest.raises(ConfigError, match=rf"gpio\.{key}: {wrong}"):
            parse_config(text.replace(line, f"{key} = {wrong}"))


def test_a_board_with_a_cap_out_of_range_is_refused_and_releases_its_pins(factory):
    with pytest.raises(ConfigurationError, match=r"lock_max_energised_s 11 is out of range; use 0\.1 to 10"):
        DropBoxGpio(GpioConfig(pin_factory="mock", lock_max_energised_s=11), pin_factory=factory)
    with DropBoxGpio(GpioConfig(pin_factory="mock"), pin_factory=factory) as gpio:  # every pin free again
        assert gpio.lock.locked


@pytest.mark.parametrize("name, value, bounds", [("beam_bounce_s", 0.7, "0 to 0.5"),
                                                 ("door_bounce_s", 2.5, "0 to 2"),
                                                 ("beam_bounce_s", -0.001, "0 to 0.5")])
def test_debounce_times_keep_the_sections_bounds_in_seconds(name, value, bounds):
    """GpioConfig allowed 0 to 2 s for both, while the schema allows the beam 500 ms."""
    with pytest.raises(ConfigurationError, match=f"{name} {value} is out of range; use {bounds}$"):
        GpioConfig(**{name: value})


def test_gpio_config_defaults_are_the_sections_defaults():
    config = GpioConfig()
    assert config.lock_max_energised_s == GPIO.settings["lock_max_energised_s"].default
    assert config.beam_bounce_s == GPIO.settings["beam_bounce_s"].default
    assert config.pins == {role: s.default for role, s in GPIO.settings["pins"].settings.items()}


# -- names: a contact's circuit is is_closed; closed means released, as on every device -----------

def test_a_contact_is_closed_is_its_circuit_and_closed_is_released(factory):
    contact = Contact(5, bounce_s=0, pin_factory=factory)
    wire(factory, 5, is_closed=True)
    assert contact.wait_for(is_closed=True, timeout_s=5)
    assert contact.is_closed and not contact.closed
    contact.close()
    assert contact.closed


# -- open_gpio and the simulator around the board -------------------------------------------------

def test_open_gpio_takes_part_of_a_section_and_overrides(factory):
    with open_gpio({"backend": "sim", "sim_drop_after_unlock_s": 0}, pins={"buzzer": 5}) as gpio:
        assert gpio.config.pins["buzzer"] == 5 and gpio.config.pins["lock"] == 17
        assert gpio.simulator is not None and gpio.door.wait_for(is_closed=True, timeout_s=5)


def test_open_gpio_names_an_unknown_setting():
    with pytest.raises(ConfigurationError, match="gpio: unknown setting lock_max_energised"):
        open_gpio({"backend": "sim"}, lock_max_energised=1)


def test_open_gpio_without_a_pin_library_says_what_to_install():
    with pytest.raises(DeviceUnavailable, match="no GPIO library usable"):
        open_gpio({"backend": "real"})


def test_the_simulator_wraps_the_board_and_leaves_it_open(gpio_sim):
    simulator = gpio_sim()
    with simulator:
        assert simulator.gpio.door.wait_for(is_closed=True, timeout_s=5)
    assert not simulator.gpio.closed and simulator.gpio.lock.locked


# -- terminal hw gpio: the shared vocabulary, and the old spellings for one release ---------------

@pytest.fixture
def no_config(monkeypatch, tmp_path):
    monkeypatch.delenv("TERMINAL_CONFIG", raising=False)
    monkeypatch.setattr("drivers.gpio.cli.DEFAULT_PATH", tmp_path / "absent.toml")


def test_hw_gpio_old_seconds_still_pulses_and_warns(run_cli, no_config):
    code, out, err = run_cli("hw", "gpio", "--sim", "--pulse", "led-green", "--seconds", "0.05")
    assert code == 0, err
    assert "led-green: on for 0.05 s" in out
    assert "warning: --seconds is deprecated and will be removed in the next release; use --timeout" in err


def test_hw_gpio_watch_for_timeout_seconds(run_cli, no_config):
    code, out, err = run_cli("hw", "gpio", "--sim", "--watch", "--timeout", "0.05")
    assert code == 0, err
    assert "watching the sensors for 0.05 s" in out and "warning" not in err


def test_hw_gpio_old_watch_seconds_still_watches_and_warns(run_cli, no_config):
    code, out, err = run_cli("hw", "gpio", "--sim", "--pulse", "led-red", "--seconds", "0.05", "--watch", "0.1")
    assert code == 0, err
    assert "led-red: on for 0.05 s" in out and "watching the sensors for 0.1 s" in out
    assert "warning: --watch S is deprecated and will be removed in the next release; use --watch --timeout S" in err


def test_hw_gpio_timeout_must_be_above_zero(run_cli, no_config):
    code, out, err = run_cli("hw", "gpio", "--sim", "--timeout", "0")
    assert code == 2 and "--timeout must be above 0" in err


def test_hw_gpio_help_ends_with_an_example(capsys):
    from terminal.cli import main

    with pytest.raises(SystemExit):
        main(["hw", "gpio", "--help"])
    assert capsys.readouterr().out.rstrip().endswith("example:\n  terminal hw gpio --pulse lock --timeout 0.5\n"
                                                     "  terminal hw gpio --sim --watch --timeout 30")


def test_stopped_is_a_terminal_error_with_the_signals_exit_code():
    import signal as signals

    from drivers.gpio.cli import _Stopped
    from terminal import TerminalError

    stop = _Stopped(signals.SIGTERM)
    assert isinstance(stop, TerminalError) and stop.exit_code == 128 + signals.SIGTERM
    assert str(stop) == "gpio: stopped by SIGTERM; outputs off, lock relocked"
