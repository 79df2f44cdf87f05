"""IPP requests through the CUPS project's own ``ipptool`` (Debian: cups-ipp-utils).

Why ipptool: it speaks IPP to any printer URI — an IPP Everywhere printer's
``ipp://host:port/ipp/print`` as well as a CUPS queue's
``ipp://server/printers/NAME`` — with no CUPS server and no compiled Python
binding, and its ``-X`` output is a plist that :mod:`plistlib` reads exactly.
pycups only reaches queues of a running CUPS server; ``lp`` likewise; the
pure-Python IPP clients on PyPI are asyncio/aiohttp status readers.

>>> from drivers.printer.ipp import printer_uri
>>> printer_uri("ipp://10.1.2.3/ipp/print"), printer_uri("certificates", cups_server="cups.lan:631")
('ipp://10.1.2.3/ipp/print', 'ipp://cups.lan:631/printers/certificates')
"""

from __future__ import annotations

import getpass
import os
import plistlib
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from drivers.errors import ConfigurationError, DeviceRefused, DeviceTimeout, DeviceUnavailable, ProtocolError

QUEUE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# HOST[:PORT] with an ASCII port: ipptool reads '６３１' as no port at all.
CUPS_SERVER = re.compile(r"(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")
PRINTER_ATTRIBUTES = (
    "printer-state", "printer-state-reasons", "printer-state-message", "printer-is-accepting-jobs",
    "printer-make-and-model", "media-col-ready", "media-col-database", "media-ready", "media-supported",
    "media-default", "document-format-supported", "printer-supply", "printer-supply-description",
)
JOB_ATTRIBUTES = ("job-state", "job-state-reasons", "job-state-message", "job-impressions-completed")
HEADER = """{{
  NAME "{name}"
  OPERATION {operation}
  GROUP operation-attributes-tag
  ATTR charset attributes-charset utf-8
  ATTR naturalLanguage attributes-natural-language en
  ATTR uri printer-uri $uri
  ATTR name requesting-user-name "{user}"
"""


def printer_uri(target: str, *, cups_server: str = "localhost:631", device: str = "printer") -> str:
    """An ipp(s):// URI as given, or a CUPS queue name made into the server's queue URI."""
    if "://" in target:
        parts = urlsplit(target)
        if parts.scheme not in ("ipp", "ipps") or not parts.hostname:
            raise ConfigurationError(device, f"printer {target!r}: expected ipp://HOST[:PORT]/PATH or a queue name",
                                     hint="e.g. ipp://192.168.1.20/ipp/print, or the CUPS queue name")
        try:
            parts.port
        except ValueError:
            raise ConfigurationError(device, f"printer {target!r}: the port is not a number") from None
        return target
    if not CUPS_SERVER.fullmatch(cups_server or ""):
        raise ConfigurationError(device, f"CUPS server {cups_server!r} is not HOST[:PORT] (port in digits 0-9)",
                                 hint="e.g. localhost:631")
    if not QUEUE_NAME.fullmatch(target or ""):
        raise ConfigurationError(device, f"printer {target!r} is neither an ipp:// URI nor a CUPS queue name",
                                 hint="queue names are letters, digits, '_', '-' and '.'")
    return f"ipp://{cups_server}/printers/{target}"


def ipptool_path() -> str:
    """The path of CUPS's ipptool; raises :class:`DeviceUnavailable` when it is not installed."""
    path = shutil.which("ipptool")
    if not path:
        raise DeviceUnavailable("printer", "ipptool is not installed",
                                hint="install the Debian package cups-ipp-utils (make setup does)")
    return path


class IppClient:
    """Get-Printer-Attributes, Print-Job, Get-Job-Attributes and Cancel-Job on one printer URI.

    ``uri`` is the printer's ipp(s):// URI; ``timeout_s`` the seconds one
    request may take; ``device`` the name errors carry.  Raises
    :class:`DeviceUnavailable` when ipptool is not installed.
    """

    def __init__(self, uri: str, *, timeout_s: float = 10.0, device: str = "printer"):
        self.uri = uri
        self.timeout_s = timeout_s
        self.device = device
        self.user = _user()
        self._ipptool = ipptool_path()

    def printer_attributes(self) -> dict:
        """Get-Printer-Attributes: the printer's state, reasons, media and formats as a dict.

        Raises :class:`DeviceUnavailable` (unreachable), :class:`DeviceTimeout` (no answer within ``timeout_s``)
        or :class:`DeviceRefused` (an IPP error status).
        """
        test = HEADER.format(name="printer", operation="Get-Printer-Attributes", user=self.user)
        test += f"  ATTR keyword requested-attributes {','.join(PRINTER_ATTRIBUTES)}\n  STATUS successful-ok\n}}\n"
        return self._run(test)

    def print_job(self, path: Path, *, document_format: str, job_name: str, media: str | None) -> int:
        """Print-Job: send the file at ``path`` as ``document_format`` (a MIME type) named ``job_name``
        on ``media`` (an IPP media name; None: the printer's default); return the job id.

        Raises as :meth:`printer_attributes`, and :class:`ProtocolError` when no job id comes back.
        """
        test = HEADER.format(name="print", operation="Print-Job", user=self.user)
        test += f'  ATTR name job-name "{_quote(job_name)}"\n'
        test += f"  ATTR mimeMediaType document-format {document_format}\n"
        if media:
            test += f"  GROUP job-attributes-tag\n  ATTR keyword media {media}\n"
        test += f'  FILE "{_quote(str(path))}"\n  STATUS successful-ok\n'
        test += "  STATUS successful-ok-ignored-or-substituted-attributes\n}\n"
        attrs = self._run(test)
        job_id = attrs.get("job-id")
        if not isinstance(job_id, int):
            raise ProtocolError(self.device, f"{self.uri} accepted the job but returned no job-id")
        return job_id

    def job_attributes(self, job_id: int) -> dict:
        """Get-Job-Attributes: the job's state, reasons and message as a dict; raises as :meth:`printer_attributes`."""
        test = HEADER.format(name="job", operation="Get-Job-Attributes", user=self.user)
        test += f"  ATTR integer job-id {int(job_id)}\n"
        test += f"  ATTR keyword requested-attributes {','.join(JOB_ATTRIBUTES)}\n  STATUS successful-ok\n}}\n"
        return self._run(test)

    def cancel_job(self, job_id: int) -> bool:
        """Cancel a job; False when it had already finished (client-error-not-possible)."""
        test = HEADER.format(name="cancel", operation="Cancel-Job", user=self.user)
        test += f"  ATTR integer job-id {int(job_id)}\n  STATUS successful-ok\n"
        test += "  STATUS client-error-not-possible\n}\n"  # already finished: nothing to cancel
        try:
            self._run(test)
        except DeviceRefused as exc:
            if "client-error-not-possible" in exc.reason:
                return False
            raise
        return True

    def _run(self, test: str) -> dict:
        with tempfile.NamedTemporaryFile("w", suffix=".test", prefix="ipp-", delete=False) as fh:
            fh.write(test)
        try:
            argv = [self._ipptool, "-X", "-T", f"{max(1, round(self.timeout_s))}", self.uri, fh.name]
            try:
                proc = subprocess.run(argv, capture_output=True, timeout=self.timeout_s + 5,
                                      env={**os.environ, "LC_ALL": "C"})
            except subprocess.TimeoutExpired:
                raise DeviceTimeout(self.device, f"{self.uri} did not answer within {self.timeout_s:g} s",
                                    hint="check the printer is on and reachable") from None
        finally:
            os.unlink(fh.name)
        return self._parse(proc)

    def _parse(self, proc: subprocess.CompletedProcess) -> dict:
        err = proc.stderr.decode("utf-8", "replace").strip()
        try:
            plist = plistlib.loads(proc.stdout) if proc.stdout.strip() else {}
        except Exception:
            plist = {}
        tests = plist.get("Tests") or []
        if not tests or "StatusCode" not in tests[0]:
            reason = _connect_error(err) or err.splitlines()[-1] if err else "no answer"
            raise DeviceUnavailable(self.device, f"cannot reach {self.uri}: {reason}",
                                    hint="check the printer is on, the address and the port")
        result = tests[0]
        attrs: dict = {}
        for group in result.get("ResponseAttributes") or []:
            attrs.update(group)
        status = str(result.get("StatusCode", "unknown"))
        if not attrs:
            # Every IPP response carries attributes (attributes-charset at least).  With none, nothing
            # came back: ipptool then reports its default status, successful-ok, and an empty group.
            raise DeviceTimeout(self.device, f"{self.uri} did not answer {result.get('Operation', 'the request')} "
                                f"within {self.timeout_s:g} s", hint="check the printer is on and reachable")
        # ipptool also judges the answer's conformance ("Successful" false on a duplicate attribute);
        # real printers often bend the rules, so the IPP status code alone decides.
        if not status.startswith("successful-ok"):
            message = attrs.get("status-message", "")
            raise DeviceRefused(self.device, f"{self.uri} refused {result.get('Operation', 'the request')}: "
                                f"{status}" + (f" ({message})" if message else ""), hint=_status_hint(status))
        return attrs


def _quote(text: str) -> str:
    """Text inside an ipptool test file's quotes: ipptool expands $name there, and $$ is a '$'."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "$$")


def _user() -> str:
    try:
        return re.sub(r"[^A-Za-z0-9_.-]", "", getpass.getuser()) or "terminal"
    except Exception:
        return "terminal"


def _connect_error(stderr: str) -> str:
    m = re.search(r'Unable to connect to "([^"]+)" on port (\d+) - (.+)', stderr)
    if m:
        return f"connection to {m.group(1)}:{m.group(2)} failed ({m.group(3).strip()})"
    return ""


def _status_hint(status: str) -> str:
    if status == "client-error-not-found":
        return "no such printer or queue at this address"
    if status == "client-error-document-format-not-supported":
        return "the printer does not take this file type; print through a CUPS queue that converts it"
    if status in ("client-error-not-authorized", "client-error-forbidden", "client-error-not-authenticated"):
        return "the printer or CUPS server refuses this user"
    if status == "server-error-not-accepting-jobs":
        return "the queue is paused or rejecting jobs; cupsenable/cupsaccept it"
    return ""
