"""The card photo: 1024 WLT bytes, decodable only by a vendor library.

No open-source WLT decoder exists, and the vendor libraries are not trusted
in-process, so decoding is a plug-in: a command (configured as
``idcard.photo_decoder``) that reads the 1024 WLT bytes on stdin and writes
one image (BMP or PNG; 102x126 on real cards) on stdout, exit status 0.  It
runs in a child process with a timeout, an empty environment and a private
working directory.  Without a plug-in, or when it fails, the photo is "not
available" and callers fall back (e.g. to the face camera alone).

>>> from drivers.idcard.photo import PhotoDecoder
>>> decoder = PhotoDecoder(None)
>>> decoder.available, decoder.decode(bytes(1024)) is None
(False, True)
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile

from drivers.errors import ConfigurationError
from terminal.logs import get_logger

log = get_logger(__name__)

WLT_SIZE = 1024
MAX_IMAGE_BYTES = 2 * 1024 * 1024  # a 102x126 BMP is ~39 KB; anything huge is not a photo
IMAGE_MAGIC = (b"BM", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class PhotoDecoder:
    """Runs the configured WLT decoder command; ``decode()`` never raises, it returns None on failure.

    ``command`` is the decoder's command line (split like a shell would;
    None or '' means no decoder); ``timeout_s`` the seconds it may run before
    it is killed.  Raises :class:`ConfigurationError` when the command line
    cannot be split (an unbalanced quote).
    """

    def __init__(self, command: str | None, *, timeout_s: float = 5.0):
        try:
            self.argv = shlex.split(command) if command else []
        except ValueError as exc:   # e.g. an unbalanced quote
            raise ConfigurationError("idcard", f"photo_decoder {command!r} cannot be split into a command and "
                                               f"its arguments ({exc})", hint="check the quotes") from None
        self.timeout_s = timeout_s
        self.last_problem = "" if self.argv else "no photo decoder configured"

    @property
    def available(self) -> bool:
        """True when a decoder command is configured."""
        return bool(self.argv)

    def problem_with_command(self) -> str:
        """Why the configured command cannot run ('' when it looks runnable)."""
        if not self.argv:
            return "no photo decoder configured"
        exe = self.argv[0]
        found = shutil.which(exe) if os.sep not in exe else (exe if os.access(exe, os.X_OK) else None)
        return "" if found else f"photo decoder {exe!r} is not an executable file"

    def decode(self, wlt: bytes) -> bytes | None:
        """The image (BMP, PNG or JPEG bytes) the decoder makes of ``wlt`` (1024 bytes), or None.

        Never raises: without a decoder, or when it fails, times out
        (``timeout_s``) or writes something that is not an image, it returns
        None and ``last_problem`` says why.
        """
        if not self.argv:
            return None
        if len(wlt) != WLT_SIZE:
            return self._fail(f"WLT photo has {len(wlt)} bytes, expected {WLT_SIZE}")
        with tempfile.TemporaryDirectory(prefix="wlt-") as work:
            try:
                # Own session, so a decoder that forks helpers is killed with all of them.
                proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=work, close_fds=True,
                                        env={"PATH": os.defpath, "HOME": work}, start_new_session=True)
            except OSError as exc:
                return self._fail(f"photo decoder could not start: {exc.strerror or exc}")
            try:
                stdout, stderr = proc.communicate(bytes(wlt), timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return self._fail(f"photo decoder did not finish within {self.timeout_s:g} s (killed)")
            finally:
                _kill_group(proc)  # helpers left behind by a decoder that did exit
        if proc.returncode != 0:
            tail = stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
            return self._fail(f"photo decoder exited with status {proc.returncode}: {tail[0][:200]}")
        image = stdout
        if not image.startswith(IMAGE_MAGIC) or len(image) > MAX_IMAGE_BYTES:
            return self._fail(f"photo decoder wrote {len(image)} bytes that are not a BMP, PNG or JPEG image")
        self.last_problem = ""
        return image

    def _fail(self, problem: str) -> None:
        self.last_problem = problem
        log.warning("idcard.photo_decode_failed", problem=problem)
        return None


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        pass
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream:
            stream.close()
