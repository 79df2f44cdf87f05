"""A progress line for long copies on stderr: MB done, MB/s and time left.

On a terminal the line is redrawn at most 4 times a second; into a file or a
pipe (a log, CI) a line is written at every tenth of the way instead.
``fraction`` tells how far the work is when the byte total is unknown (a
compressed image: how much of the file has been read).

    >>> import io
    >>> out = io.StringIO()
    >>> p = Progress("writing", total=4_000_000, out=out, clock=iter([0.0, 2.0, 2.0]).__next__)
    >>> p.update(2_000_000); p.done()
    >>> print(out.getvalue().strip().splitlines()[-1])
    writing [##########..........]    2.0/4.0 MB    1.0 MB/s  0:02 left
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

MB = 1_000_000
WIDTH = 20


class Progress:
    """Counts bytes (``update(n)``) and draws ``label [bar] done/total MB  rate MB/s  m:ss left``.

    ``total`` is in bytes (None: unknown); ``fraction()`` returns 0..1 when ``total`` is
    unknown; ``clock`` is monotonic seconds.  ``done()`` ends the line.
    """

    def __init__(self, label: str, total: int | None, *, out: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, fraction: Callable[[], float] | None = None):
        out = sys.stderr if out is None else out  # looked up now: tests and callers swap sys.stderr
        self.label, self.total, self.out, self.clock, self.fraction = label, total, out, clock, fraction
        self.bytes = 0
        self.started = clock()
        self._tty = getattr(out, "isatty", lambda: False)()
        self._drawn_at = -1.0
        self._tenth = -1

    def update(self, n: int) -> None:
        """Add ``n`` bytes done and redraw when it is time."""
        self.bytes += n
        share = self._share()
        if self._tty:
            now = time.monotonic()
            if now - self._drawn_at >= 0.25:
                self._drawn_at = now
                self.out.write("\r" + self.line(share))
                self.out.flush()
        elif share is not None and int(share * 10) > self._tenth:
            self._tenth = int(share * 10)
            self.out.write(self.line(share) + "\n")

    def done(self) -> None:
        """Draw the final line (rate over the whole run) and end it."""
        share = self._share()
        if self._tty:
            self.out.write("\r" + self.line(share) + "\n")
        elif self._tenth < 10 or share is None:  # into a pipe the last tenth's line already said it
            self.out.write(self.line(share) + "\n")
        self.out.flush()

    def seconds(self) -> float:
        """Seconds since the start."""
        return max(self.clock() - self.started, 1e-9)

    def rate(self) -> float:
        """Bytes per second so far."""
        return self.bytes / self.seconds()

    def line(self, share: float | None) -> str:
        """The progress line for ``share`` (0..1, or None when unknown)."""
        elapsed = self.seconds()
        filled = int(WIDTH * share) if share is not None else 0
        bar = "#" * filled + "." * (WIDTH - filled)
        total = f"/{self.total / MB:.1f}" if self.total else ""
        left = "--:--"
        if share and share > 0:
            left = _clock(elapsed * (1 - share) / share)
        return f"{self.label} [{bar}] {self.bytes / MB:6.1f}{total} MB {self.bytes / MB / elapsed:6.1f} MB/s  {left} left"

    def _share(self) -> float | None:
        if self.total:
            return min(self.bytes / self.total, 1.0)
        if self.fraction:
            return min(max(self.fraction(), 0.0), 1.0)
        return None


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}:{seconds % 60:02d}"
