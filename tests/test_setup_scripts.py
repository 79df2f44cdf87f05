"""The set-up the README promises: apt-ensure and the Makefile's guards."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def public_tmp():
    """A temp dir an unprivileged user can reach (pytest's own is 0700 under root)."""
    path = Path(tempfile.mkdtemp(prefix="st-setup-"))
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path)


def _bin_without_sudo(tmp_path) -> Path:
    """A PATH holding only what apt-ensure needs, and no sudo."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("sh", "dpkg-query", "grep", "tr", "id"):
        os.symlink(shutil.which(tool), bindir / tool)
    return bindir


def _run_as_user(argv, env, cwd):
    kwargs = {}
    if os.geteuid() == 0:  # as root apt-ensure would install; check the non-root path
        kwargs = {"user": 65534, "group": 65534}
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, **kwargs)


def test_missing_package_without_root_or_sudo_names_the_apt_line(public_tmp):
    tmp_path = public_tmp
    packages = tmp_path / "apt.txt"
    packages.write_text("# comment\ndpkg\nservice-terminals-no-such-package\n")
    bindir = _bin_without_sudo(tmp_path)
    script = tmp_path / "apt-ensure"
    shutil.copy(REPO / "scripts" / "apt-ensure", script)
    os.chmod(script, 0o755)
    out = _run_as_user(["sh", str(script), str(packages)], {"PATH": str(bindir)}, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert "missing: service-terminals-no-such-package" in out.stderr
    assert ("apt-get update && apt-get install -y --no-install-recommends "
            "service-terminals-no-such-package") in out.stderr
    assert "dpkg " not in out.stderr.split("missing:")[1]  # installed ones are not named


def test_nothing_missing_is_silent(tmp_path):
    packages = tmp_path / "apt.txt"
    packages.write_text("dpkg\n")
    out = subprocess.run(["sh", str(REPO / "scripts" / "apt-ensure"), str(packages)],
                         capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr == ""


def test_ci_runs_exactly_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    readme = (REPO / "README.md").read_text()
    assert "make test" in ci and "make test" in readme and "make demo" in readme
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.startswith("#")]
    assert commands[-1] == "make test"
