"""Issue 8 part 5 on the device side of sync: a number counts only in ASCII digits.

int() and float() also read '１２' (full-width) and '١٢' (Arabic-Indic), and
float() reads 'nan' and 'inf'; str.isdigit() is true for '²', which int() refuses.
"""

import pytest
import requests

from sync import wire
from sync.client import _server_time
from sync.sdnotify import Notifier

OTHER_DIGITS = ["²", "１７６４５００００", "١٧٦٤٥", "nan", "inf", "-inf", "1e9", " 17", "17\n", ""]


@pytest.mark.parametrize("value", OTHER_DIGITS)
def test_server_time_header_in_other_digits_is_ignored_not_trusted(value):
    answer = requests.Response()
    answer.headers[wire.H_SERVER_TIME] = value
    assert _server_time(answer) is None       # no Date header either: the clock offset stays unknown


def test_server_time_header_in_ascii_is_read():
    answer = requests.Response()
    answer.headers[wire.H_SERVER_TIME] = "1764500000.25"
    assert _server_time(answer) == 1764500000.25


@pytest.mark.parametrize("value", ["²", "３００００００", "٣٠٠٠٠٠٠", "0", "-5", "30s", ""])
def test_watchdog_usec_in_other_digits_means_no_watchdog(value):
    assert Notifier({"WATCHDOG_USEC": value}).watchdog_every_s is None


def test_watchdog_usec_in_ascii_pings_at_half_the_timeout():
    assert Notifier({"WATCHDOG_USEC": "30000000"}).watchdog_every_s == 15.0


@pytest.mark.parametrize("argv", [
    ("sync", "emit", "--count", "３"), ("sync", "emit", "--count", "²"), ("sync", "emit", "--schema", "١"),
    ("sync", "requeue", "٤٢"), ("demo", "--for", "nan"), ("demo", "--for", "１"), ("demo", "--for", "inf"),
])
def test_command_line_numbers_in_other_digits_are_refused(run_cli, sim_config, argv):
    with pytest.raises(SystemExit) as exit_:
        run_cli(*argv, "--config", str(sim_config("kiosk")))
    assert exit_.value.code == 2


def test_ascii_count_still_works(run_cli, sim_config):
    code, out, _ = run_cli("sync", "emit", "--count", "2", "--config", str(sim_config("kiosk")))
    assert code == 0 and "recorded 2 sync.diagnostic event(s)" in out
