"""A reader simulator on a real pseudo-terminal, speaking the SAM protocol byte for byte.

The driver opens the pty's slave like any serial port.  The simulator holds
the master: it cuts request frames by LEN, answers each command the way a
reader does, and can be scripted from a test (``place``, ``lift``,
``inject``, ``unplug``/``replug``) or from ``terminal sim idcard``.

>>> from drivers.idcard.sim import IdCardSimulator
>>> from drivers.idcard.samples import sample_card
>>> import serial
>>> with IdCardSimulator() as sim:
...     sim.place(sample_card("resident"))
...     with serial.Serial(sim.port, 115200, timeout=1) as port:
...         _ = port.write(bytes.fromhex("AAAAAA9669 0003 2001 22"))
...         port.read(15).hex()
'aaaaaa9669000800009f0000000097'
"""

from __future__ import annotations

import errno
import os
import random
import select
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from drivers.idcard import codec
from drivers.idcard.codec import FrameDecoder, Request
from drivers.idcard.errors import FrameError
from drivers.idcard.samples import SimCard
from drivers.simport import PseudoSerialPort
from terminal.logs import get_logger

log = get_logger(__name__)

HISTORY = 2000
DEFAULT_SAM_ID = struct.pack("<HHIII", 5, 1, 20180528, 12345678, 1234567890)
# Command keys used to aim faults.
COMMAND_KEYS = {
    codec.RESET_SAM: "reset", codec.SAM_STATUS: "sam_status", codec.SAM_ID: "sam_id", codec.FIND_CARD: "find",
    codec.SELECT_CARD: "select", codec.READ_TEXT_PHOTO: "read", codec.READ_EXTRA_ADDRESS: "extra_address",
    codec.READ_TEXT_PHOTO_FINGERPRINT: "read_fp",
}
READ_KEYS = ("read", "read_fp")
# Fault kinds: what happens to the reply of the command they aim at.
FAULTS = {
    "bad-checksum": "the reply's checksum byte is wrong",
    "truncated": "only the first half of the reply is sent",
    "garbage": "random bytes come before the (good) reply",
    "garbage-only": "random bytes come instead of the reply",
    "silent": "no reply at all (a reader that stopped answering)",
    "unknown-card": "the card is not an ID card (SW3 0x40)",
    "status": "the reply is the given SW3 status code with no data",
}
DEFAULT_TARGET = {"silent": None, "status": None}  # None: every command; others default to the reads


@dataclass
class Fault:
    """A scripted fault: ``kind`` (see ``FAULTS``, or 'raw'), the ``command`` key it aims at (None: any),
    how many ``times`` (None: until cleared), the ``sw3`` it answers and a raw ``payload``.
    """

    kind: str
    command: str | None = "read"   # a COMMAND_KEYS value, "read" also covers "read_fp"; None = any
    times: int | None = None       # None: until cleared
    sw3: int | None = None
    payload: bytes = b""

    def aims_at(self, key: str) -> bool:
        """True when this fault applies to the command ``key`` (a ``COMMAND_KEYS`` value)."""
        return self.command is None or self.command == key or (self.command == "read" and key in READ_KEYS)


class IdCardSimulator:
    """An ID-card reader on a pty, speaking the SAM protocol; ``port`` is what the driver opens.

    Args: ``link`` a path made a symlink to the pty (as udev makes
    /dev/serial/by-id links; None: none); ``sam_id`` the 16 bytes the SAM ID
    command answers; ``card`` the :class:`SimCard` on the reader at start;
    ``latency_s`` seconds before each reply; ``pace_baud`` send replies at
    this line rate (None: at once); ``halt_after_read`` report a card that
    was read as absent until it is replaced; ``seed`` for the garbage
    faults.  A context manager: ``start()`` on entry (raises
    :class:`ConfigurationError` when ``link`` is a file that is not a
    symlink), ``stop()`` on exit.

    >>> from drivers.idcard import IdCardReader, sample_card
    >>> with IdCardSimulator() as sim, IdCardReader(sim.port, timeout_s=0.2) as reader:
    ...     _ = sim.inject("silent", command="find", times=1)
    ...     try: reader.find()
    ...     except Exception as exc: print(type(exc).__name__)
    ReaderSilent
    """

    def __init__(self, link: str | os.PathLike | None = None, *, sam_id: bytes = DEFAULT_SAM_ID,
                 card: SimCard | None = None, latency_s: float = 0.0, pace_baud: int | None = None,
                 halt_after_read: bool = False, seed: int = 0):
        self.link = Path(link) if link else None
        self.sam_id = sam_id
        self.latency_s = latency_s
        self.pace_baud = pace_baud
        # Some readers put a card they have read into HALT: find fails until it is lifted and replaced.
        self.halt_after_read = halt_after_read
        self._requests: deque[Request] = deque(maxlen=HISTORY)  # bounded: the demo runs for days
        self._replies: deque[bytes] = deque(maxlen=HISTORY)
        self._card = card
        self._selected = False
        self._halted = False
        self._faults: list[Fault] = []
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._pty: PseudoSerialPort | None = None
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = -1, -1
        self._stopping = False

    # --- life cycle ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[Request]:
        """The requests received, oldest first (the last ``HISTORY``)."""
        return list(self._requests)

    @property
    def replies(self) -> list[bytes]:
        """The reply frames sent, oldest first (the last ``HISTORY``; faults applied)."""
        return list(self._replies)

    @property
    def port(self) -> str:
        """The path a driver opens: the link when one was given, else the pty's /dev/pts path."""
        return str(self.link) if self.link else self.slave_name

    @property
    def slave_name(self) -> str:
        """The pty's /dev/pts path (the last one while unplugged; "" before the first start)."""
        return self._pty.slave_name if self._pty else ""

    def start(self) -> "IdCardSimulator":
        """Plug the reader in (open the pty, make the link, start answering); returns self."""
        self._plug()
        return self

    def stop(self) -> None:
        """Unplug the reader and release the pty and the link; calling it again does nothing."""
        self._unplug()

    def __enter__(self) -> "IdCardSimulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def unplug(self) -> None:
        """Like pulling the USB cable: the driver's next read or write fails with EIO, the link goes."""
        self._unplug()

    def replug(self) -> None:
        """Plug back in on a new pty (a new /dev/pts number, like ttyUSB0 coming back as ttyUSB1)."""
        self._plug()

    def _plug(self) -> None:
        if self._thread is not None:
            return
        if self._pty is None:
            self._pty = PseudoSerialPort(self.link, device="idcard-sim")
        else:
            self._pty.replug()
        os.set_blocking(self._pty.master, False)  # _serve selects, then reads what is there
        self._wake_r, self._wake_w = os.pipe()
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, name="idcard-sim", daemon=True)
        self._thread.start()
        log.info("idcard_sim.plugged", port=self.port, pty=self.slave_name)

    def _unplug(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping = True
        os.write(self._wake_w, b"x")
        thread.join(timeout=5)
        self._pty.unplug()  # closes the pair; removes the link only while it still leads to our pty
        for fd in (self._wake_r, self._wake_w):
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake_r = self._wake_w = -1
        log.info("idcard_sim.unplugged", port=self.port)

    # --- scripting ----------------------------------------------------------------------------

    def place(self, card: SimCard) -> None:
        """Put ``card`` (a :class:`SimCard`) on the reader, replacing any card there."""
        with self._lock:
            self._card, self._selected, self._halted = card, False, False

    def lift(self) -> None:
        """Take the card off the reader."""
        with self._lock:
            self._card, self._selected, self._halted = None, False, False

    @property
    def card(self) -> SimCard | None:
        """The card on the reader, or None."""
        return self._card

    def inject(self, kind: str, *, command: str | None | object = ..., times: int | None = None,
               sw3: int | None = None) -> Fault:
        """Make the next replies go wrong (see ``FAULTS``); ``times=None`` keeps it until cleared."""
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}; have: {', '.join(FAULTS)}")
        if command is ...:
            command = DEFAULT_TARGET.get(kind, "read")
        if command is not None and command not in COMMAND_KEYS.values():
            raise ValueError(f"unknown command {command!r}; have: {', '.join(COMMAND_KEYS.values())}")
        if kind == "status" and sw3 is None:
            raise ValueError("fault 'status' needs sw3")
        fault = Fault(kind, command, times, 0x40 if kind == "unknown-card" else sw3)
        with self._lock:
            self._faults.append(fault)
        return fault

    def reply_with(self, data: bytes, *, command: str | None = None, times: int | None = 1) -> Fault:
        """Answer the next command(s) with exactly ``data`` (fuzzing the driver through the pty)."""
        fault = Fault("raw", command, times, payload=bytes(data))
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Drop every scripted fault: the next replies are healthy."""
        with self._lock:
            self._faults.clear()

    # --- the reader's side of the protocol ----------------------------------------------------

    def respond(self, request: Request) -> bytes:
        """The reply bytes a healthy reader sends for one request (faults not applied)."""
        command = request.command
        card = self._card
        if command is None:
            return codec.encode_response(0x21)
        if command in (codec.SAM_STATUS, codec.RESET_SAM):
            return codec.encode_response(0x90)
        if command is codec.SAM_ID:
            return codec.encode_response(0x90, self.sam_id)
        if command is codec.FIND_CARD:
            found = card is not None and not self._halted
            return codec.encode_response(0x9F, bytes(4)) if found else codec.encode_response(0x80)
        if command is codec.SELECT_CARD:
            self._selected = card is not None and not self._halted
            return codec.encode_response(0x90, bytes(8)) if self._selected else codec.encode_response(0x81)
        if not (card and self._selected):
            return codec.encode_response(0x41)
        if command is codec.READ_EXTRA_ADDRESS:
            if not card.extra_address:
                return codec.encode_response(0x91)
            data = (card.extra_address.encode("utf-16-le") + " ".encode("utf-16-le") * 35)[:70]
            return codec.encode_response(0x90, data)
        if self.halt_after_read and command in (codec.READ_TEXT_PHOTO, codec.READ_TEXT_PHOTO_FINGERPRINT):
            self._halted = True
        if command is codec.READ_TEXT_PHOTO:
            lengths = struct.pack(">HH", len(card.text), len(card.photo))
            return codec.encode_response(0x90, lengths + card.text + card.photo)
        finger = card.fingerprint or b""
        lengths = struct.pack(">HHH", len(card.text), len(card.photo), len(finger))
        return codec.encode_response(0x90, lengths + card.text + card.photo + finger)

    def _apply_fault(self, key: str, reply: bytes) -> bytes | None:
        with self._lock:
            fault = next((f for f in self._faults if f.aims_at(key)), None)
            if fault is None:
                return reply
            if fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
        if fault.kind == "silent":
            return None
        if fault.kind == "raw":
            return fault.payload
        if fault.kind in ("unknown-card", "status"):
            return codec.encode_response(fault.sw3)
        if fault.kind == "bad-checksum":
            return reply[:-1] + bytes([reply[-1] ^ 0x5A])
        if fault.kind == "truncated":
            return reply[: max(codec.HEADER + 1, len(reply) // 2)]
        noise = self._noise()
        return noise + reply if fault.kind == "garbage" else noise

    def _noise(self) -> bytes:
        # Include a partial preamble and a false one with an impossible LEN: the hard cases.
        body = bytes(self._random.randrange(256) for _ in range(self._random.randint(8, 40)))
        return body[:5] + codec.PREAMBLE[:3] + body[5:] + codec.PREAMBLE + b"\xff\xff"

    def _handle(self, frame: bytes) -> bytes | None:
        try:
            request = codec.parse_request(frame)
        except FrameError:
            return codec.encode_response(0x10)  # the reader's "checksum error" answer
        self._requests.append(request)
        command = request.command
        key = COMMAND_KEYS.get(command, "unknown") if command else "unknown"
        with self._lock:
            reply = self.respond(request)
        return self._apply_fault(key, reply)

    def _serve(self) -> None:
        decoder = FrameDecoder(minimum=codec.MIN_REQUEST_LEN)
        master, wake = self._pty.master, self._wake_r
        while not self._stopping:
            ready, _, _ = select.select([master, wake], [], [], 1.0)
            if wake in ready or self._stopping:
                return
            if master not in ready:
                continue
            try:
                data = os.read(master, 4096)
            except BlockingIOError:
                continue
            except OSError as exc:
                if exc.errno == errno.EIO:  # no client has the slave open right now
                    time.sleep(0.02)
                    continue
                raise
            for frame in decoder.feed(data):
                try:
                    reply = self._handle(frame)
                except Exception as exc:  # a simulator bug must not look like a silent reader
                    log.exception("idcard_sim.internal_error", error=repr(exc))
                    reply = codec.encode_response(0x21)
                if self.latency_s:
                    time.sleep(self.latency_s)
                if reply:
                    self._replies.append(reply)
                    self._write(master, reply)

    def _write(self, master: int, data: bytes) -> None:
        chunk = 64 if self.pace_baud else len(data)
        view = memoryview(data)
        while view and not self._stopping:
            try:
                sent = os.write(master, view[:chunk])
            except BlockingIOError:
                select.select([], [master], [], 0.1)
                continue
            except OSError:
                return  # the client went away mid-reply
            view = view[sent:]
            if self.pace_baud:
                time.sleep(sent * 10 / self.pace_baud)  # 8N1: ten bits a byte
