"""Frames of the serial SAM protocol: pure functions, no I/O.

Request  ``AA AA AA 96 69 | LEN_H LEN_L | CMD PARA | DATA | CHK``
Response ``AA AA AA 96 69 | LEN_H LEN_L | SW1 SW2 SW3 | DATA | CHK``

LEN counts every byte after itself, the checksum included; CHK is the XOR of
LEN_H through the last data byte.  Frames are cut by LEN, never by a read
timeout (a timeout truncates the 1295-byte read reply).

>>> from drivers.idcard.codec import FIND_CARD, encode_request, FrameDecoder, parse_response
>>> encode_request(FIND_CARD).hex(" ")
'aa aa aa 96 69 00 03 20 01 22'
>>> decoder = FrameDecoder()
>>> frames = decoder.feed(bytes.fromhex("ffff" "AAAAAA9669000400008084"))
>>> parse_response(frames[0]).sw3, decoder.discarded
(128, 2)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.idcard.errors import ChecksumError, MalformedFrame, TruncatedFrame

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER = len(PREAMBLE) + 2
# The longest real frame is the text+photo+fingerprint reply (LEN 2314); allow headroom.
MAX_LEN = 4096
MIN_REQUEST_LEN = 3   # CMD PARA CHK
MIN_RESPONSE_LEN = 4  # SW1 SW2 SW3 CHK


@dataclass(frozen=True)
class Command:
    """One request the reader understands."""

    name: str
    cmd: int
    para: int


RESET_SAM = Command("reset SAM", 0x10, 0xFF)
SAM_STATUS = Command("SAM status", 0x11, 0xFF)
SAM_ID = Command("SAM ID", 0x12, 0xFF)
FIND_CARD = Command("find card", 0x20, 0x01)
SELECT_CARD = Command("select card", 0x20, 0x02)
READ_TEXT_PHOTO = Command("read text+photo", 0x30, 0x01)
READ_EXTRA_ADDRESS = Command("read extra address", 0x30, 0x03)
READ_TEXT_PHOTO_FINGERPRINT = Command("read text+photo+fingerprint", 0x30, 0x10)
COMMANDS = {(c.cmd, c.para): c for c in (RESET_SAM, SAM_STATUS, SAM_ID, FIND_CARD, SELECT_CARD,
                                         READ_TEXT_PHOTO, READ_EXTRA_ADDRESS, READ_TEXT_PHOTO_FINGERPRINT)}


@dataclass(frozen=True)
class Request:
    """One request as sent: ``cmd`` and ``para`` bytes (0-255) and its data bytes."""

    cmd: int
    para: int
    data: bytes = b""

    @property
    def command(self) -> Command | None:
        """The :class:`Command` this request is, or None for a command the reader does not know."""
        return COMMANDS.get((self.cmd, self.para))


@dataclass(frozen=True)
class Response:
    """One reply: the status bytes ``sw1``, ``sw2``, ``sw3`` (0-255; SW3 0x90 is success) and its data bytes."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = field(default=b"", repr=False)


def checksum(body: bytes) -> int:
    """XOR of ``body`` (LEN_H through the last data byte)."""
    value = 0
    for byte in body:
        value ^= byte
    return value


def _frame(payload: bytes) -> bytes:
    length = len(payload) + 1
    if length > MAX_LEN:
        raise ValueError(f"payload of {len(payload)} bytes is longer than a frame can carry")
    body = length.to_bytes(2, "big") + payload
    return PREAMBLE + body + bytes([checksum(body)])


def encode_request(command: Command | Request, data: bytes = b"") -> bytes:
    """The frame for ``command`` (a :class:`Command` with ``data``, or a whole :class:`Request`) as bytes.

    Raises ValueError when the data is longer than a frame can carry.
    """
    if isinstance(command, Command):
        command = Request(command.cmd, command.para, data)
    return _frame(bytes([command.cmd, command.para]) + command.data)


def encode_response(sw3: int, data: bytes = b"", *, sw1: int = 0, sw2: int = 0) -> bytes:
    """The reply frame with status ``sw3`` (and ``sw1``, ``sw2``; each 0-255) and ``data``, as bytes.

    Raises ValueError when the data is longer than a frame can carry.
    """
    return _frame(bytes([sw1, sw2, sw3]) + data)


def _split(frame: bytes, minimum: int) -> bytes:
    """Check preamble, LEN and checksum of exactly one frame; return its payload."""
    frame = bytes(frame)
    if frame and PREAMBLE.startswith(frame):
        raise TruncatedFrame(f"reply ended after {len(frame)} bytes, inside the preamble",
                             hint="the reader stopped mid-reply; check the cable and power")
    if not frame.startswith(PREAMBLE):
        raise MalformedFrame("reply does not start with the AA AA AA 96 69 preamble",
                             hint="check the baud rate (115200 8N1) and the cable")
    if len(frame) < HEADER:
        raise TruncatedFrame(f"reply ended after {len(frame)} bytes, inside the header",
                             hint="the reader stopped mid-reply; check the cable and power")
    length = int.from_bytes(frame[5:7], "big")
    if not minimum <= length <= MAX_LEN:
        raise MalformedFrame(f"reply has an impossible length field ({length})",
                             hint="check the baud rate (115200 8N1) and the cable")
    expected = HEADER + length
    if len(frame) < expected:
        raise TruncatedFrame(f"reply ended after {len(frame)} of {expected} bytes",
                             hint="the reader stopped mid-reply; check the cable and power")
    if len(frame) > expected:
        raise MalformedFrame(f"reply has {len(frame) - expected} bytes after its checksum")
    body, chk = frame[5:-1], frame[-1]
    if checksum(body) != chk:
        raise ChecksumError(f"checksum error (got 0x{chk:02X}, expected 0x{checksum(body):02X})",
                            hint="noise on the line; check the cable, then try again")
    return body[2:]


def parse_response(frame: bytes) -> Response:
    """Decode one complete response frame, or raise a :class:`~drivers.idcard.errors.FrameError`."""
    payload = _split(frame, MIN_RESPONSE_LEN)
    return Response(payload[0], payload[1], payload[2], payload[3:])


def parse_request(frame: bytes) -> Request:
    """Decode one complete request frame (the simulator's side)."""
    payload = _split(frame, MIN_REQUEST_LEN)
    return Request(payload[0], payload[1], payload[2:])


class FrameDecoder:
    """Cuts a byte stream into frames by LEN, resynchronising on the preamble after garbage.

    ``feed()`` returns the complete frames (checksums are checked by the
    parser, so a corrupt frame still surfaces as a :class:`ChecksumError`).
    ``discarded`` counts bytes skipped as garbage; ``pending`` is the start
    of an incomplete frame.  ``abandon()`` gives up on that frame (after a
    timeout) and rescans what followed its preamble.
    """

    def __init__(self, *, minimum: int = MIN_RESPONSE_LEN):
        self._buffer = bytearray()
        self._minimum = minimum
        self.discarded = 0

    @property
    def pending(self) -> bytes:
        """The bytes of the frame being assembled (b'' when none)."""
        return bytes(self._buffer)

    def expected(self) -> int | None:
        """Total size of the frame being assembled, once its header has arrived."""
        if len(self._buffer) >= HEADER and self._buffer.startswith(PREAMBLE):
            return HEADER + int.from_bytes(self._buffer[5:7], "big")
        return None

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data`` (bytes, any chunking) and return the complete frames it finished, in order.

        Never raises: garbage is skipped and counted in ``discarded``.
        """
        self._buffer += data
        frames: list[bytes] = []
        while True:
            start = self._buffer.find(PREAMBLE)
            if start < 0:
                # Keep a tail that may be the start of a preamble split across reads.
                keep = next((k for k in range(min(len(PREAMBLE) - 1, len(self._buffer)), 0, -1)
                             if self._buffer.endswith(PREAMBLE[:k])), 0)
                self._drop(len(self._buffer) - keep)
                return frames
            self._drop(start)
            if len(self._buffer) < HEADER:
                return frames
            length = int.from_bytes(self._buffer[5:7], "big")
            if not self._minimum <= length <= MAX_LEN:
                self._drop(1)  # a false preamble: rescan after its first byte
                continue
            if len(self._buffer) < HEADER + length:
                return frames
            frames.append(bytes(self._buffer[:HEADER + length]))
            del self._buffer[:HEADER + length]

    def abandon(self) -> list[bytes]:
        """Drop the incomplete frame's first byte and rescan; returns any frame found inside it."""
        if not self._buffer:
            return []
        self._drop(1)
        rest, self._buffer = bytes(self._buffer), bytearray()
        return self.feed(rest)

    def reset(self) -> None:
        """Forget the frame being assembled (``discarded`` keeps its count)."""
        self._buffer.clear()

    def _drop(self, count: int) -> None:
        if count > 0:
            self.discarded += count
            del self._buffer[:count]
