"""A private CUPS server for tests: its own config, spool and port, queues added with lpadmin.

It runs the Debian cupsd (as root, dropping to lp for filters and backends)
from a temporary directory that lp can read, and never touches a system CUPS.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

CUPSD_CONF = """LogLevel warn
Listen 127.0.0.1:{port}
Browsing No
DefaultAuthType None
WebInterface No
ErrorPolicy abort-job
<Location />
  Order allow,deny
  Allow 127.0.0.1
</Location>
<Policy default>
  <Limit All>
    Order allow,deny
    Allow 127.0.0.1
  </Limit>
</Policy>
"""
FILES_CONF = """ServerRoot {root}
RequestRoot {root}/spool
CacheDir {root}/cache
StateDir {root}/state
TempDir {root}/tmp
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
SystemGroup root
User lp
Group lp
"""


def cups_available() -> str:
    """'' when a private CUPS can run here, else why not (for a skip reason)."""
    for tool in ("cupsd", "lpadmin"):
        if not shutil.which(tool) and not os.path.exists(f"/usr/sbin/{tool}"):
            return f"{tool} not installed (Debian packages cups-daemon, cups-client)"
    if not os.path.exists("/usr/lib/cups/filter/pdftopdf"):
        return "cups-filters not installed"
    if os.geteuid() != 0:
        return "cupsd must start as root"
    return ""


class PrivateCups:
    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="cups-"))
        self.root.chmod(0o755)  # filters and backends run as lp
        for sub in ("spool", "cache", "state", "tmp", "log"):
            (self.root / sub).mkdir()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        (self.root / "cupsd.conf").write_text(CUPSD_CONF.format(port=self.port))
        (self.root / "cups-files.conf").write_text(FILES_CONF.format(root=self.root))
        cupsd = shutil.which("cupsd") or "/usr/sbin/cupsd"
        self.process = subprocess.Popen([cupsd, "-f", "-c", str(self.root / "cupsd.conf"),
                                         "-s", str(self.root / "cups-files.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise RuntimeError(f"cupsd did not start; see {self.root}/log/error_log")
                time.sleep(0.05)

    @property
    def server(self) -> str:
        return f"127.0.0.1:{self.port}"

    def add_queue(self, name: str, device_uri: str) -> None:
        """An IPP Everywhere queue: CUPS asks the printer and writes the PPD itself."""
        lpadmin = shutil.which("lpadmin") or "/usr/sbin/lpadmin"
        subprocess.run([lpadmin, "-h", self.server, "-p", name, "-E", "-v", device_uri, "-m", "everywhere"],
                       check=True, capture_output=True, timeout=30)

    def close(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)
