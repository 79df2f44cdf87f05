"""A network receipt printer on TCP (port 9100 style) that understands ESC/POS.

Each connection is one job.  The byte stream is parsed as it arrives;
DLE EOT status requests are answered at once from the simulated sensors.
The printer's condition can be switched at any time:

* ``ok``, ``paper-low``, ``paper-out``, ``cover-open``, ``offline`` (the panel's online button);
* ``silent``: prints but never answers a status request;
* ``paper_lines``: the roll runs out after that many printed lines, so a job
  can run out of paper part-way (the rest is not printed, as on a printer).

>>> from drivers.receipt.sim import ReceiptSimulator
>>> with ReceiptSimulator(state="cover-open") as sim:
...     sim.state, sim.uri.startswith("tcp://127.0.0.1:")
('cover-open', True)
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from drivers.receipt.escpos_parse import Block, EscPosParser
from drivers.receipt.render import DOTS, render_png, render_text, text_rows
from drivers.receipt.status import BIT_COVER_OPEN, BIT_OFFLINE, BIT_STOPPED_PAPER_END, BITS_NEAR_END, BITS_PAPER_END
from drivers.simport import PseudoSerialPort
from terminal.logs import get_logger

log = get_logger(__name__)

STATES = ("ok", "paper-low", "paper-out", "cover-open", "offline", "silent")
NEAR_END_LINES = 10


@dataclass
class Job:
    """One print job (one connection, or one burst on the serial pty): its ``number`` (from 1), the
    ``blocks`` printed, the bytes ``received``, ``started``/``finished`` (perf_counter seconds), the rendered
    ``text`` and the ``unknown`` commands.
    """

    number: int
    blocks: list[Block] = field(default_factory=list)
    received: int = 0
    started: float = 0.0
    finished: float = 0.0
    text: str = ""
    unknown: list[str] = field(default_factory=list)

    @property
    def printed_anything(self) -> bool:
        """True when anything but a 'not printed' note reached the paper."""
        return any(b.kind != "note" for b in self.blocks)


class ReceiptSimulator:
    """Serve one simulated ESC/POS printer on ``host:port`` (port 0 picks a free one).

    ``width`` is the paper's width in half-width columns.  Text is laid out from
    the bytes received, counted as the printer counts them
    (:mod:`drivers.receipt.columns`), and a line wider than the paper wraps onto
    the next row in the rendered text and PNG, as it would on paper.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, state: str = "ok",
                 paper_lines: int | None = None, width: int = 42, out_dir: "str | Path | None" = None,
                 png: bool = True, control_file: "str | Path | None" = None, serial: bool = False,
                 idle_s: float = 0.3):
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= DOTS // 2:
            raise ValueError(f"width must be a whole number of columns 1-{DOTS // 2}, not {width!r}")
        self.state = state
        self.paper_lines = paper_lines
        self.width = width
        self.out_dir = Path(out_dir) if out_dir else None
        self.png = png
        self.control_file = Path(control_file) if control_file else None
        if self.out_dir:
            self.out_dir.mkdir(parents=True, exist_ok=True)
        if self.control_file:  # the switch a technician edits: echo paper-out > DIR/state
            self.control_file.write_text(state + "\n")
        self.jobs: list[Job] = []
        self.status_queries = 0
        self._lock = threading.Lock()
        self._job_done = threading.Condition(self._lock)
        self._stop = threading.Event()
        self.idle_s = idle_s
        self._server = None
        self._pty: PseudoSerialPort | None = None
        if serial:
            # A serial printer on a pseudo-terminal: serial:///dev/pts/N; a job ends after idle_s of quiet.
            self._pty = PseudoSerialPort(device="receipt-sim")
            self.host, self.port = "", 0
            self.device = self._pty.slave_name
            target = self._serve_pty
        else:
            self._server = socket.create_server((host, port), reuse_port=False)
            self._server.settimeout(0.2)
            self.host, self.port = self._server.getsockname()[:2]
            target = self._serve
        self._thread = threading.Thread(target=target, name="receipt-sim", daemon=True)
        self._thread.start()

    @property
    def uri(self) -> str:
        """The URI a driver opens: ``tcp://HOST:PORT``, or ``serial:///dev/pts/N`` for a serial printer."""
        if self._pty:
            return f"serial://{self.device}"
        return f"tcp://{self.host}:{self.port}"

    # -- printer condition ---------------------------------------------------------
    def set_state(self, state: str) -> None:
        """Switch the printer's condition to ``state`` (one of ``STATES``); raises ValueError for another."""
        if state not in STATES:
            raise ValueError(f"state must be one of {', '.join(STATES)}")
        self.state = state

    def _read_control(self) -> None:
        if self.control_file and self.control_file.exists():
            wanted = self.control_file.read_text().strip()
            if wanted in STATES and wanted != self.state:
                log.info("receipt_sim.state", state=wanted)
                self.state = wanted

    def _paper_state(self) -> str:
        if self.state == "paper-out" or self.paper_lines == 0:
            return "out"
        if self.state == "paper-low" or (self.paper_lines is not None and self.paper_lines <= NEAR_END_LINES):
            return "low"
        return "ok"

    def status_byte(self, n: int) -> int | None:
        """The byte DLE EOT ``n`` (1-4) answers now, or None when the printer is 'silent'."""
        self._read_control()
        self.status_queries += 1
        if self.state == "silent":
            return None
        paper, cover = self._paper_state(), self.state == "cover-open"
        if n == 1:
            return 0x12 | (BIT_OFFLINE if paper == "out" or cover or self.state == "offline" else 0)
        if n == 2:
            return 0x12 | (BIT_COVER_OPEN if cover else 0) | (BIT_STOPPED_PAPER_END if paper == "out" else 0)
        if n == 4:
            return 0x12 | (BITS_PAPER_END if paper == "out" else BITS_NEAR_END if paper == "low" else 0)
        return 0x12  # n=3: no cutter or head errors

    def _can_print(self, block: Block, job: Job) -> bool:
        if self.state in ("paper-out", "cover-open", "offline") or self.paper_lines == 0:
            if not job.blocks or job.blocks[-1].kind != "note":
                why = self.state.replace("-", " ") if self.state != "paper-low" and self.paper_lines != 0 \
                    else "paper out"
                job.blocks.append(Block("note", "not printed: " + why))
            return False
        if self.paper_lines is not None and block.kind != "cut":
            if block.kind == "text":
                lines = len(text_rows(block, self.width))       # a line wider than the paper takes two
            else:
                lines = max(1, block.qr_size * 25 // 24 if block.kind == "qr" else 8)
            self.paper_lines = max(0, self.paper_lines - lines)
        return True

    # -- server ----------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            # One job at a time, as on a raw port: the next connection waits its turn.
            self._handle(conn)

    def _new_job(self, send) -> tuple[Job, EscPosParser]:
        job = Job(number=len(self.jobs) + 1, started=time.perf_counter())

        def answer(n: int) -> None:
            value = self.status_byte(n & 0xFF)
            if value is not None:
                try:
                    send(bytes([value]))
                except OSError:
                    pass

        return job, EscPosParser(on_status=answer, on_print=lambda b: self._can_print(b, job), blocks=job.blocks)

    def _serve_pty(self) -> None:
        master = self._pty.master
        job = parser = None
        last = 0.0
        while not self._stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:
                    data = b""
                if data:
                    if job is None:
                        job, parser = self._new_job(lambda b: os.write(master, b))
                    job.received += len(data)
                    parser.feed(data)
                    last = time.monotonic()
                    continue
            if job is not None and time.monotonic() - last >= self.idle_s:
                self._finish(job, parser)
                job = parser = None
        if job is not None:
            self._finish(job, parser)

    def _handle(self, conn: socket.socket) -> None:
        job, parser = self._new_job(conn.sendall)
        conn.settimeout(0.2)
        with conn:
            while not self._stop.is_set():
                try:
                    data = conn.recv(65536)
                except (TimeoutError, socket.timeout):
                    continue
                except OSError:
                    break
                if not data:
                    break
                job.received += len(data)
                parser.feed(data)
        self._finish(job, parser)

    def _finish(self, job: Job, parser: EscPosParser) -> None:
        parser.finish()
        job.unknown = parser.unknown
        job.text = render_text(job.blocks, width=self.width)
        if job.printed_anything or job.blocks:
            self._save(job)
            job.finished = time.perf_counter()  # rendered: text and PNG written
            with self._job_done:
                self.jobs.append(job)
                self._job_done.notify_all()

    def _save(self, job: Job) -> None:
        if not self.out_dir:
            return
        self.out_dir.mkdir(parents=True, exist_ok=True)
        stem = self.out_dir / f"job-{job.number:04d}"
        if self.png:  # the picture first: a .txt on disk means the job is fully rendered
            render_png(job.blocks, stem.with_suffix(".png"), width=self.width)
        stem.with_suffix(".txt").write_text(job.text + "\n", encoding="utf-8")
        log.info("receipt_sim.job", job=job.number, bytes=job.received, file=str(stem) + ".txt")

    def wait_for_jobs(self, count: int, timeout_s: float = 5.0) -> list[Job]:
        """Block until ``count`` jobs have finished and return every job so far, oldest first.

        Raises TimeoutError when they have not within ``timeout_s`` seconds (a test helper).
        """
        with self._job_done:
            if not self._job_done.wait_for(lambda: len(self.jobs) >= count, timeout_s):
                raise TimeoutError(f"simulator saw {len(self.jobs)} of {count} jobs")
            return list(self.jobs)

    def close(self) -> None:
        """Stop serving and release the socket or pty; calling it again does nothing."""
        self._stop.set()
        if self._server is not None:
            try:
                self._server.close()
            except OSError:
                pass
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=2)
        if self._pty:
            self._pty.close()
            self._pty = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
