"""A real IPP Everywhere printer for tests and the demo: CUPS's ``ippeveprinter``.

It listens on loopback only, keeps every job file in its spool directory,
and runs a small print engine per job (``-c``) that can be told to fail the
way printers fail: run out of paper part-way, jam, or hang.  Its own web
form empties or refills the paper tray (media-empty, as a tray sensor
would report it).

ippeveprinter needs a DNS-SD responder: :class:`DnsSd` starts dbus and
avahi-daemon when they are not running (root only) and stops only what it
started.

>>> from drivers.printer.sim import PrinterSimulator
>>> with PrinterSimulator(media="a4") as sim:
...     sim.set_paper("iso_a4_210x297mm", 0)          # the tray runs empty
...     from drivers.printer.ipp import IppClient
...     sim.uri.startswith("ipp://127.0.0.1:"), IppClient(sim.uri).printer_attributes()["printer-state-reasons"]
(True, 'media-empty-report')
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from drivers.errors import DeviceUnavailable
from terminal.logs import get_logger

log = get_logger(__name__)

FAULTS = ("none", "media-empty-mid-job", "media-jam", "cover-open", "fail", "hang")
SOURCE_MAIN, SOURCE_BYPASS = 1, 3  # indexes in ippeveprinter's media-source-supported

ENGINE = """#!/bin/sh
# Print engine of the simulated printer; $1 is the job file. Faults come from {fault}.
fault=$(cat "{fault}" 2>/dev/null)
still() {{ [ "$(cat "{fault}" 2>/dev/null)" = "$1" ]; }}
case "$fault" in
  media-empty-mid-job)
    # Page 1 printed, then the paper runs out: the printer waits for paper, as printers do,
    # and finishes the job once paper is loaded (the fault switched back to none).
    echo "ATTR: job-impressions-completed=1" >&2
    echo "STATE: +media-empty,media-needed" >&2
    trap 'echo "STATE: -media-empty,media-needed" >&2; exit 1' TERM INT
    while still media-empty-mid-job; do sleep 0.1; done
    echo "STATE: -media-empty,media-needed" >&2 ;;
  media-jam)
    echo "STATE: +media-jam" >&2
    echo "ERROR: paper jam" >&2
    exit 1 ;;
  cover-open)
    echo "STATE: +cover-open" >&2
    echo "ERROR: cover opened during printing" >&2
    exit 1 ;;
  fail)
    echo "ERROR: print engine failure" >&2
    exit 1 ;;
  hang)
    trap 'exit 1' TERM INT
    while still hang; do sleep 0.1; done ;;
esac
echo "STATE: -media-empty,media-needed,media-jam,cover-open" >&2
echo "ATTR: job-impressions-completed=1" >&2
exit 0
"""

# A card printer's PPD, as vendors ship them (Evolis, Zebra): ippeveprinter derives the printer's
# media-col-database (size and imageable area: 0.5 mm unprintable edge here) and formats from it.
CR80_PPD = """*PPD-Adobe: "4.3"
*FormatVersion: "4.3"
*FileVersion: "1.0"
*LanguageVersion: English
*LanguageEncoding: ISOLatin1
*PCFileName: "CR80SIM.PPD"
*Manufacturer: "Simulated"
*Product: "(CR80 Card Printer)"
*ModelName: "Simulated CR80 Card Printer"
*ShortNickName: "Simulated CR80 Card Printer"
*NickName: "Simulated CR80 Card Printer"
*PSVersion: "(3010.000) 0"
*LanguageLevel: "3"
*ColorDevice: True
*DefaultColorSpace: RGB
*cupsFilter2: "application/pdf application/pdf 0 -"
*OpenUI *PageSize/Card Size: PickOne
*OrderDependency: 10 AnySetup *PageSize
*DefaultPageSize: CR80
*PageSize CR80/CR80 Card: "<</PageSize[153.01 242.65]>>setpagedevice"
*CloseUI: *PageSize
*OpenUI *PageRegion: PickOne
*OrderDependency: 10 AnySetup *PageRegion
*DefaultPageRegion: CR80
*PageRegion CR80/CR80 Card: "<</PageSize[153.01 242.65]>>setpagedevice"
*CloseUI: *PageRegion
*DefaultImageableArea: CR80
*ImageableArea CR80/CR80 Card: "1.42 1.42 151.59 241.23"
*DefaultPaperDimension: CR80
*PaperDimension CR80/CR80 Card: "153.01 242.65"
"""


class DnsSd:
    """dbus + avahi-daemon, which ippeveprinter 2.4 needs to start; shared, reference-counted.

    ippeveprinter exits when avahi-daemon goes away, and every process on the machine shares the
    one avahi (the demo, test runs, a technician's ``terminal sim printer``).  So the count spans
    processes: each process using it holds a shared lock on ``USERS_FILE``; what was started is
    written to ``STARTED_FILE``; whoever releases last (the exclusive lock is free) stops it.
    A process that dies drops its lock with it, and the next last user cleans up.
    """

    _lock = threading.Lock()
    _users = 0
    _users_fd: int | None = None

    LOCK_FILE = "/run/lock/service-terminals-dns-sd.lock"
    USERS_FILE = "/run/lock/service-terminals-dns-sd.users"
    STARTED_FILE = "/run/lock/service-terminals-dns-sd.started"

    @classmethod
    def acquire(cls) -> None:
        """Count this process in as a user, starting dbus and avahi first when nobody runs them (root only).

        Raises :class:`DeviceUnavailable` when avahi is not running and cannot be started.
        """
        with cls._lock:
            if cls._users == 0:
                with _file_lock(cls.LOCK_FILE):  # two processes starting at once must not both start avahi
                    cls._start()
                    cls._users_fd = _open_lock(cls.USERS_FILE)
                    if cls._users_fd is not None:
                        fcntl.flock(cls._users_fd, fcntl.LOCK_SH)
            cls._users += 1

    @classmethod
    def release(cls) -> None:
        """Count this process out; the last user on the machine stops what was started.  Never raises."""
        with cls._lock:
            if cls._users == 0:
                return
            cls._users -= 1
            if cls._users == 0:
                with _file_lock(cls.LOCK_FILE):
                    if cls._users_fd is not None:
                        os.close(cls._users_fd)  # drops this process's shared lock
                        cls._users_fd = None
                    if cls._nobody_else():
                        cls._stop()

    @classmethod
    def _nobody_else(cls) -> bool:
        fd = _open_lock(cls.USERS_FILE)
        if fd is None:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False  # another process still holds its shared lock
        finally:
            os.close(fd)

    @staticmethod
    def avahi_running() -> bool:
        """True when an avahi-daemon answers ``--check``."""
        avahi = shutil.which("avahi-daemon") or "/usr/sbin/avahi-daemon"
        return os.path.exists(avahi) and subprocess.run([avahi, "--check"], capture_output=True).returncode == 0

    @staticmethod
    def dbus_running() -> bool:
        """True when the system D-Bus socket accepts a connection."""
        with socket.socket(socket.AF_UNIX) as s:
            try:
                s.connect("/run/dbus/system_bus_socket")
                return True
            except OSError:
                return False

    @classmethod
    def _record(cls, started: dict) -> None:
        Path(cls.STARTED_FILE).write_text(json.dumps(started))

    @classmethod
    def _recorded(cls) -> dict:
        try:
            return json.loads(Path(cls.STARTED_FILE).read_text())
        except (OSError, ValueError):
            return {}

    @classmethod
    def _start(cls) -> None:
        if cls.avahi_running():
            return
        if os.geteuid() != 0:
            raise DeviceUnavailable("printer", "ippeveprinter needs avahi-daemon, which is not running",
                                    hint="start it (systemctl start avahi-daemon) or run as root")
        started = cls._recorded()
        try:
            if not cls.dbus_running():
                os.makedirs("/run/dbus", exist_ok=True)
                _remove_stale_pid("/run/dbus/pid")
                out = subprocess.run(["dbus-daemon", "--system", "--fork", "--print-pid"], capture_output=True,
                                     text=True, timeout=10)
                if out.returncode != 0:
                    raise DeviceUnavailable("printer", f"cannot start dbus-daemon: {out.stderr.strip()}")
                started["dbus_pid"] = int(out.stdout.split()[0])
                cls._record(started)
            avahi = shutil.which("avahi-daemon") or "/usr/sbin/avahi-daemon"
            out = subprocess.run([avahi, "-D"], capture_output=True, text=True, timeout=10)
            if out.returncode != 0:
                raise DeviceUnavailable("printer", f"cannot start avahi-daemon: {out.stderr.strip()}")
            started["avahi"] = True
            cls._record(started)
        except BaseException:
            if cls._nobody_else():
                cls._stop()  # a half start (dbus up, avahi failed) is not left behind
            raise
        deadline = time.monotonic() + 5
        while not cls.avahi_running() and time.monotonic() < deadline:
            time.sleep(0.05)

    @classmethod
    def _stop(cls) -> None:
        started = cls._recorded()
        if started.get("avahi"):
            avahi = shutil.which("avahi-daemon") or "/usr/sbin/avahi-daemon"
            subprocess.run([avahi, "-k"], capture_output=True, timeout=10)
        dbus_pid = started.get("dbus_pid")
        if dbus_pid:
            try:
                os.kill(dbus_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + 3
            while _alive(dbus_pid) and time.monotonic() < deadline:
                time.sleep(0.02)
            _remove_stale_pid("/run/dbus/pid")
        with contextlib.suppress(OSError):
            os.unlink(cls.STARTED_FILE)


def _open_lock(path: str) -> int | None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None  # not root: nothing will be started anyway


@contextlib.contextmanager
def _file_lock(path: str):
    fd = _open_lock(path)
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _alive(pid: int) -> bool:
    """True while the process runs (a zombie, which nobody here may reap, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _remove_stale_pid(path: str) -> None:
    """dbus-daemon refuses to start over a pid file whose process is gone."""
    try:
        pid = int(Path(path).read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return
    if _alive(pid):
        return
    try:
        os.unlink(path)
    except OSError:
        pass


def free_port() -> int:
    """A loopback TCP port the OS says is free now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrinterSimulator:
    """Run ``ippeveprinter`` as an A4 office printer or a CR80 card printer on loopback (127.0.0.1).

    ``media`` is 'a4' or 'cr80'; ``port`` the TCP port (0: a free one);
    ``spool_dir`` keeps the job files (spool/), the fault switch (``fault``)
    and the log (None: a temporary folder removed on close); ``name`` the
    printer's name; ``start_timeout_s`` the seconds ippeveprinter may take to
    listen.  It starts at once; a context manager that stops it on exit.
    Raises ValueError for another media and :class:`DeviceUnavailable` when
    ippeveprinter (or the avahi it needs) is missing or does not start.

    >>> with PrinterSimulator(media="cr80") as sim:
    ...     sim.set_fault("media-jam")
    ...     sim.fault_file.read_text().strip()
    'media-jam'
    """

    def __init__(self, *, media: str = "a4", port: int = 0, spool_dir: "str | Path | None" = None,
                 name: str | None = None, start_timeout_s: float = 10.0):
        if media not in ("a4", "cr80"):
            raise ValueError("media must be 'a4' or 'cr80'")
        exe = shutil.which("ippeveprinter")
        if not exe:
            raise DeviceUnavailable("printer", "ippeveprinter is not installed",
                                    hint="install the Debian package cups-ipp-utils (make setup does)")
        self.media = media
        self.port = port or free_port()
        self._tmp = None if spool_dir else tempfile.TemporaryDirectory(prefix="ippsim-")
        self.dir = Path(spool_dir or self._tmp.name)
        self.spool_dir = self.dir / "spool"
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        self.fault_file = self.dir / "fault"
        self.fault_file.write_text("none\n")
        engine = self.dir / "engine.sh"
        engine.write_text(ENGINE.format(fault=self.fault_file))
        engine.chmod(0o755)
        argv = [exe, "-p", str(self.port), "-n", "localhost", "-k", "-d", str(self.spool_dir), "-c", str(engine),
                ]
        if media == "cr80":  # with -P, formats and model come from the PPD (-f/-m/-M are refused)
            ppd = self.dir / "cr80.ppd"
            ppd.write_text(CR80_PPD)
            argv += ["-P", str(ppd)]
        else:
            argv += ["-f", "application/pdf,image/jpeg", "-M", "Simulated", "-m", "A4 Office Printer"]
        argv.append(name or ("Badge Printer" if media == "cr80" else "Certificate Printer"))
        self.log_path = self.dir / "ippeveprinter.log"
        self.process: subprocess.Popen | None = None
        self._dns = False
        DnsSd.acquire()
        self._dns = True
        try:
            with self.log_path.open("wb") as log_fh:
                self.process = subprocess.Popen(argv, stdout=log_fh, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL, start_new_session=True)
            self._wait_ready(start_timeout_s)
            if media == "a4":
                self.set_paper("iso_a4_210x297mm", 250)
        except BaseException:
            self.close()
            raise
        log.info("printer_sim.started", uri=self.uri, media=media, spool=str(self.spool_dir))

    @property
    def uri(self) -> str:
        """The printer's IPP URI, ``ipp://127.0.0.1:PORT/ipp/print``."""
        return f"ipp://127.0.0.1:{self.port}/ipp/print"

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace").strip().splitlines()[-3:]
                raise DeviceUnavailable("printer", f"ippeveprinter exited ({self.process.returncode}): "
                                        + " | ".join(tail))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise DeviceUnavailable("printer", f"ippeveprinter did not listen on port {self.port} within {timeout_s:g} s")

    # -- faults a technician meets -------------------------------------------------
    def set_fault(self, fault: str) -> None:
        """What the print engine does with the next jobs (see FAULTS)."""
        if fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)}")
        self.fault_file.write_text(fault + "\n")

    def reload(self) -> None:
        """Paper or cards loaded again and faults cleared: a waiting job resumes and finishes."""
        from drivers.printer.ipp import IppClient
        from drivers.printer.reasons import normalise

        self.set_fault("none")
        if self.media == "a4":
            self.set_paper("iso_a4_210x297mm", 250)
        client = IppClient(self.uri, device="printer-sim")
        deadline = time.monotonic() + 5  # a waiting engine notices the paper within 0.1 s
        while "media-empty" in normalise(client.printer_attributes().get("printer-state-reasons")) \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        reasons = normalise(client.printer_attributes().get("printer-state-reasons"))
        if "media-jam" in reasons or "cover-open" in reasons:
            # ippeveprinter learns device state only from its engine: a calibration card, as card
            # printers feed after a jam is cleared or the cover closed, lets the engine report it gone.
            blank = self.dir / "calibration.jpg"
            from PIL import Image

            Image.new("RGB", (8, 8), "white").save(blank, "JPEG")
            job_id = client.print_job(blank, document_format="image/jpeg", job_name="calibration", media=None)
            deadline = time.monotonic() + 10
            while client.job_attributes(job_id).get("job-state") not in (7, 8, 9) and time.monotonic() < deadline:
                time.sleep(0.02)
            for kept in self.spool_dir.glob(f"{job_id}-*"):
                kept.unlink()

    def set_paper(self, media_name: str, sheets: int) -> None:
        """Load (or empty, with 0) the main tray through ippeveprinter's media web form."""
        # The form sets every tray at once; keep the by-pass tray's envelopes at "unknown" level.
        query = (f"size{SOURCE_MAIN}={media_name}&type{SOURCE_MAIN}=stationery&level{SOURCE_MAIN}={sheets}"
                 f"&size{SOURCE_BYPASS}=na_number-10_4.125x9.5in&type{SOURCE_BYPASS}=envelope"
                 f"&level{SOURCE_BYPASS}=-2")
        self._web(f"/media?{query}")

    def set_toner(self, percent: int) -> None:
        """Set the black toner level through the supplies web form (0 means empty)."""
        self._web(f"/supplies?supply0=25&supply1={int(percent)}")

    def _web(self, path: str) -> None:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as resp:
            resp.read()

    def kept_jobs(self) -> list[Path]:
        """The job files ippeveprinter kept (-k), oldest first."""
        return sorted((p for p in self.spool_dir.iterdir() if p.suffix != ".prn"), key=_job_number)

    def close(self) -> None:
        """Stop ippeveprinter, release avahi if this started it, remove a temporary folder; idempotent."""
        process, self.process = self.process, None
        if process is not None:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        if self._dns:
            self._dns = False
            DnsSd.release()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _job_number(path: Path) -> int:
    """ippeveprinter names kept jobs 'N-name'; N in ASCII digits, else the file sorts first."""
    head = path.name.split("-", 1)[0]
    return int(head) if re.fullmatch(r"[0-9]+", head) else 0
