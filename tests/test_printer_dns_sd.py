"""avahi-daemon is shared by every process on the machine; ippeveprinter dies when it stops.

Its own module (with no module-wide DnsSd user in this process) so that the processes below are
the only users, as two independent runs on one machine would be.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from drivers.printer.ipp import IppClient

pytestmark = pytest.mark.skipif(not shutil.which("ippeveprinter"), reason="cups-ipp-utils not installed")

SIMULATOR = (
    "import sys\n"
    "from drivers.printer.sim import PrinterSimulator\n"
    "with PrinterSimulator(media='a4') as sim:\n"
    "    print(sim.uri, flush=True)\n"
    "    sys.stdin.readline()\n"
    "    print('alive' if sim.process.poll() is None else 'died', flush=True)\n"
)


def _start():
    proc = subprocess.Popen([sys.executable, "-c", SIMULATOR], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True)
    uri = proc.stdout.readline().strip()
    assert uri.startswith("ipp://"), "a simulator did not start"
    return proc, uri


def _finish(proc) -> str:
    """Tell the process to close its simulator; what it saw of its ippeveprinter first."""
    try:
        out, _ = proc.communicate("\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out.strip()


def test_the_process_that_started_avahi_leaves_it_to_another_still_using_it():
    """The first process starts avahi (and dbus); when it closes its simulator while a second
    process's simulator runs, avahi must stay up for the second."""
    first, _ = _start()
    second = None
    try:
        second, uri = _start()
        assert _finish(first) == "alive"
        assert IppClient(uri, timeout_s=5).printer_attributes()["printer-state"] in (3, 4, 5)
        assert _finish(second) == "alive"
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                _finish(proc)
