"""Issue 8 part 6: the suite passes or fails the same way every time for one commit."""

import os
import re
from pathlib import Path

from hypothesis import settings

TESTS = Path(__file__).resolve().parent


def test_hypothesis_is_derandomised_without_a_database_under_make_test():
    if os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci":
        return  # make fuzz explores on purpose
    assert settings.default.derandomize is True
    assert settings.default.database is None


def test_no_test_listens_on_or_dials_a_fixed_loopback_port():
    """Ports come from the OS (port 0, tests.helpers.processes.free_ports); a running 'make demo' must not break 'make test'.

    Config text that only names the simulated defaults, addresses nothing listens on
    (port 1 and 9, refused at once), and numbers no port can have (above 65535, given to
    show they are refused) are fine.
    """
    fixed = re.compile(r"""127\.0\.0\.1:([0-9]{4,5})["'/]|["']--port["'],\s*["']([0-9]{4,5})["']""")
    offenders = []
    for path in TESTS.rglob("*.py"):
        if path.name in ("test_suite_determinism.py", "central_double.py"):
            continue  # central_double's default is for running it by hand
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if ".replace(" in line or line.lstrip().startswith("#") or "never dialled" in line:
                continue
            for m in fixed.finditer(line):
                if int(m.group(1) or m.group(2)) > 65535:
                    continue
                offenders.append(f"{path.relative_to(TESTS)}:{number}: {line.strip()}")
    assert offenders == [], ("ask the OS for a port (conftest.free_ports), or mark a value that is only "
                             "parsed with '# never dialled':\n" + "\n".join(offenders))


def test_every_test_that_starts_the_demo_gives_it_ports_from_the_os():
    """The demo's defaults (8740, 19100, 18631, 18632) are taken while a 'make demo' runs."""
    offenders = []
    for path in TESTS.rglob("*.py"):
        text = path.read_text()
        starts = [n for n, line in enumerate(text.splitlines(), 1)
                  if re.search(r"""terminal_cmd\(\s*["']demo["']""", line)]
        if starts and "free_ports" not in text:
            offenders += [f"{path.relative_to(TESTS)}:{n}" for n in starts]
    assert offenders == [], "start the demo with --central-port/--receipt-port/--a4-port/--cr80-port " \
                            "from conftest.free_ports:\n" + "\n".join(offenders)
