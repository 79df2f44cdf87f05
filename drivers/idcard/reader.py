"""The ID-card reader driver: find, select, read, SAM ID/status over a serial port.

Layers, one idea each: :mod:`codec` (frames), :mod:`layouts` (text block),
:mod:`port` (opening and reopening), and this class (commands, the
lift-before-next-read rule, timeouts).  The seam is ``serial_factory``: a
callable ``(path, timeout_s) -> serial.Serial``; the tests use the real one
against the simulator's pseudo-terminal.

>>> from drivers.idcard import IdCardReader, IdCardSimulator, sample_card
>>> with IdCardSimulator() as sim, IdCardReader(sim.port) as reader:
...     sim.place(sample_card("resident"))
...     card = reader.read_card()
...     card.card_type, card.to_dict()["id_number"], reader.sam_id()
('resident', '1101**********002X', '05.01-20180528-0012345678-1234567890')
"""

from __future__ import annotations

import math
import os
import struct
import termios
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import serial

from drivers.base import Device
from drivers.errors import ConfigurationError, DeviceBusy, DeviceError, DeviceUnavailable
from drivers.health import Health
from drivers.portholder import BUSY_HINT, busy_message, is_busy
from drivers.idcard import codec
from drivers.idcard.card import IdCard
from drivers.idcard.codec import Command, FrameDecoder, Response
from drivers.idcard.errors import (
    CARD_FOUND, SUCCESS, CardAuthenticationFailed, CardDataError, CardNotLifted, CardReadFailed, CardRefused,
    ChecksumError, FrameError, IdCardError, MalformedFrame, NoCard, ReaderSilent, SamError, TruncatedFrame,
    UnexpectedReply, error_for_status,
)
from drivers.idcard.layouts import TEXT_SIZE, decode_text
from drivers.idcard.photo import PhotoDecoder
from drivers.idcard.port import BY_ID_DIR, Backoff, SerialFactory, by_id_link, open_serial
from terminal.logs import get_logger

log = get_logger(__name__)

# Errors worth one more find+select+read: the card moved or the line was noisy.
TRANSIENT = (ChecksumError, TruncatedFrame, CardReadFailed, CardAuthenticationFailed)
# What a vanished port raises: pyserial's errors, the OS's, and termios's (tcflush on a hung-up tty).
LINK_ERRORS = (serial.SerialException, OSError, termios.error)
READ_SLICE_S = 0.05
# Reply data sizes per command (after SW1-3), for the commands whose shape is fixed.
REPLY_SIZES = {codec.FIND_CARD: (4,), codec.SELECT_CARD: (8,), codec.SAM_ID: (16,), codec.SAM_STATUS: (0,),
               codec.RESET_SAM: (0,), codec.READ_EXTRA_ADDRESS: (0, 70)}


@dataclass
class CardData:
    """The raw blocks of one read: text (256 bytes), WLT photo (1024), fingerprint (or None)."""

    text: bytes = field(repr=False)
    photo: bytes = field(repr=False)
    fingerprint: bytes | None = field(default=None, repr=False)


def format_sam_id(data: bytes) -> str:
    """Render the 16-byte SAM ID reply as ``NN.NN-<uint32>-<uint32 10 digits>-<uint32 10 digits>``."""
    a, b, c, d, e = struct.unpack("<HHIII", data)
    return f"{a:02d}.{b:02d}-{c}-{d:010d}-{e:010d}"


def parse_read_reply(data: bytes, *, fingerprint: bool) -> CardData:
    """Split a read reply's data (lengths, text, photo[, fingerprint]) and check the lengths add up."""
    fields = 3 if fingerprint else 2
    if len(data) < 2 * fields:
        raise UnexpectedReply(f"read reply has only {len(data)} data bytes")
    lengths = struct.unpack(f">{fields}H", data[:2 * fields])
    if lengths[0] != TEXT_SIZE or 2 * fields + sum(lengths) != len(data):
        raise UnexpectedReply(f"read reply lengths {lengths} do not match its {len(data)} data bytes")
    text_end = 2 * fields + lengths[0]
    photo_end = text_end + lengths[1]
    return CardData(data[2 * fields:text_end], data[text_end:photo_end],
                    data[photo_end:] if fingerprint else None)


class IdCardReader(Device):
    """A second-generation ID-card reader on a serial port (115200 8N1, SAM protocol).

    ``read_card()`` finds, selects and reads the card on the reader and
    returns an :class:`~drivers.idcard.card.IdCard`; ``wait_for_card()``
    polls until one arrives.  A card is returned once, and a card that
    cannot be read is reported once: until it has been lifted off,
    ``read_card()`` raises :class:`CardNotLifted`.  After an
    unplug the next command reopens the port (by its /dev/serial/by-id link),
    with capped backoff between attempts.

    >>> from drivers.idcard import IdCardReader, IdCardSimulator, sample_card, CardNotLifted
    >>> with IdCardSimulator() as sim, IdCardReader(sim.port, timeout_s=1.0) as reader:
    ...     sim.place(sample_card("foreigner2023"))
    ...     print(reader.read_card().card_type)
    ...     try: reader.read_card()
    ...     except CardNotLifted as exc: print(exc.reason)
    foreigner_2023
    the card that was just read is still on the reader

    Args: ``port`` the serial device (a /dev/serial/by-id link is best);
    ``timeout_s`` seconds one command may take (at least 0.05);
    ``photo_decoder`` a :class:`PhotoDecoder` or its command line (None: no
    photo); ``serial_factory`` ``(path, timeout_s) -> serial.Serial``, the
    seam for the link; ``by_id_dir`` where stable links are looked for;
    ``backoff`` the delays between reopen attempts; ``retries`` extra
    find+select+read rounds after a transient error; ``poll_interval_s``
    seconds between polls in :meth:`wait_for_card`; ``read_fingerprint``
    also read the fingerprint block by default.  Raises
    :class:`ConfigurationError` for a bad setting (before the port is
    opened) and :class:`DeviceUnavailable` when the port cannot be opened.
    :func:`open_idcard` builds one from the ``[idcard]`` section.
    """

    name = "idcard"

    def __init__(self, port: str, *, timeout_s: float = 3.0, photo_decoder: PhotoDecoder | str | None = None,
                 serial_factory: SerialFactory = open_serial, by_id_dir: str = BY_ID_DIR,
                 backoff: Backoff | None = None, retries: int = 1, poll_interval_s: float = 0.2,
                 read_fingerprint: bool = False):
        super().__init__()
        self._serial: serial.Serial | None = None
        for setting, value, low in (("timeout_s", timeout_s, 0.05), ("poll_interval_s", poll_interval_s, 0.01),
                                    ("retries", retries, 0)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value) \
                    or value < low:
                raise ConfigurationError(self.name, f"{setting} must be a number of at least {low}, got {value!r}")
        self.read_fingerprint = bool(read_fingerprint)
        self.configured_port = port
        self.port = port
        self.timeout_s = float(timeout_s)
        self.retries = retries
        self.poll_interval_s = poll_interval_s
        self._factory = serial_factory
        self._by_id_dir = by_id_dir
        self._backoff = backoff or Backoff()
        self._next_attempt = 0.0
        self._lock = threading.RLock()
        self._must_lift = False
        self._lift_reason = ""
        self.photo_decoder = photo_decoder if isinstance(photo_decoder, PhotoDecoder) else PhotoDecoder(photo_decoder)
        try:
            self._open()
        except BaseException:
            self.close()
            raise

    # --- the port -----------------------------------------------------------------------------

    def _open(self) -> serial.Serial:
        path = by_id_link(self.port, self._by_id_dir)
        try:
            port = self._factory(path, self.timeout_s)
        except (serial.SerialException, OSError, ValueError) as exc:
            if is_busy(exc):
                raise DeviceBusy(self.name, f"cannot open {path}: {busy_message(path)}", hint=BUSY_HINT) from None
            raise DeviceUnavailable(self.name, f"cannot open {path}: {_why(exc)}",
                                    hint="check the USB cable, the port name and that no other program "
                                         "holds the reader; the user needs group dialout") from None
        try:
            # Reads wait in short slices against the command's own deadline; setting pyserial's
            # timeout per read would reconfigure the tty (tcsetattr) every time.
            port.timeout = READ_SLICE_S
            port.reset_input_buffer()
        except LINK_ERRORS as exc:
            port.close()
            raise DeviceUnavailable(self.name, f"{path} opened but is not usable: {_why(exc)}") from None
        self.port = path
        self._serial = port
        self._backoff.succeeded()
        return port

    def _ensure_open(self) -> serial.Serial:
        if self._closed:
            raise DeviceUnavailable(self.name, "the reader has been closed")
        if self._serial is not None:
            return self._serial
        wait = self._next_attempt - time.monotonic()
        if wait > 0:
            raise DeviceUnavailable(self.name, f"reader is disconnected; next reopen attempt in {wait:.1f} s",
                                    hint="plug the reader back in")
        try:
            port = self._open()
        except DeviceUnavailable:
            self._next_attempt = time.monotonic() + self._backoff.failed()
            raise
        log.info("idcard.reconnected", port=self.port)
        return port

    def _lost(self, exc: BaseException) -> DeviceUnavailable:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except Exception:
                pass
        self._next_attempt = time.monotonic()  # the first reopen may be tried at once
        log.warning("idcard.disconnected", port=self.port, error=_why(exc))
        return DeviceUnavailable(self.name, f"lost the reader on {self.port}: {_why(exc)}",
                                 hint="plug the reader back in; it is reopened automatically")

    def close(self) -> None:
        """Release the serial port; calling it again does nothing."""
        port, self._serial = getattr(self, "_serial", None), None
        if port is not None:
            try:
                port.close()
            except Exception:
                pass
        super().close()

    # --- one command, one reply ---------------------------------------------------------------

    def transact(self, command: Command, data: bytes = b"", *, timeout_s: float | None = None,
                 ok: tuple[int, ...] = (SUCCESS,)) -> Response:
        """Send one command and return its :class:`Response`.

        ``data`` is the request's data bytes; ``timeout_s`` the seconds to wait
        for the reply (default: the reader's); ``ok`` the SW3 codes that count
        as success.  Raises the typed error the reply's SW3 maps to
        (:func:`~drivers.idcard.errors.error_for_status`), a
        :class:`FrameError` for a broken reply, :class:`ReaderSilent` when
        nothing comes, and :class:`DeviceUnavailable` when the port is gone.
        """
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        with self._lock:
            port = self._ensure_open()
            try:
                port.reset_input_buffer()  # a late reply to an earlier command must not answer this one
                port.write(codec.encode_request(command, data))
                frame = self._read_frame(port, command, time.monotonic() + timeout_s, timeout_s)
            except LINK_ERRORS as exc:
                raise self._lost(exc) from None
        try:
            response = codec.parse_response(frame)
        except FrameError as exc:
            raise type(exc)(f"{command.name} reply: {exc.reason}", hint=exc.hint) from None
        if response.sw3 not in ok:
            raise error_for_status(response.sw3, command.name)
        sizes = REPLY_SIZES.get(command)
        if sizes and len(response.data) not in sizes:
            raise UnexpectedReply(f"{command.name} reply has {len(response.data)} data bytes, "
                                  f"expected {' or '.join(map(str, sizes))}")
        return response

    def _read_frame(self, port: serial.Serial, command: Command, deadline: float, timeout_s: float) -> bytes:
        decoder = FrameDecoder()  # per command: its garbage count describes this reply only
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            chunk = port.read(max(1, port.in_waiting))
            frames = decoder.feed(chunk)
            if frames:
                return frames[0]
        # Timed out: a false preamble may hide a complete frame behind it.
        pending = decoder.pending
        expected = decoder.expected()
        frames = decoder.abandon()
        if frames:
            return frames[0]
        if expected:
            raise TruncatedFrame(f"{command.name} reply ended after {len(pending)} of {expected} bytes "
                                 f"(waited {timeout_s:g} s)",
                                 hint="the reader stopped mid-reply; check the cable and the reader's power")
        if decoder.discarded or pending:
            raise MalformedFrame(f"reader answered {command.name} with {decoder.discarded + len(pending)} "
                                 f"bytes that are not a frame",
                                 hint="check the baud rate (115200 8N1), the cable, and that this is an ID-card reader")
        raise ReaderSilent(f"reader silent: no answer to {command.name} within {timeout_s:g} s on {self.port}",
                           hint="check the reader's power and cable; if it has hung, power-cycle it")

    # --- the commands -------------------------------------------------------------------------

    def sam_status(self) -> None:
        """Return None when the SAM reports healthy; raise :class:`SamError` (or a link error) otherwise."""
        self.transact(codec.SAM_STATUS)

    def sam_id(self) -> str:
        """The SAM's ID as ``NN.NN-<date>-<10 digits>-<10 digits>``; raises as :meth:`transact`."""
        return format_sam_id(self.transact(codec.SAM_ID).data)

    def reset_sam(self) -> None:
        """Reset the reader's SAM module; returns None, raises as :meth:`transact`."""
        self.transact(codec.RESET_SAM)

    def find(self) -> None:
        """Return None when a card is on the reader; raise :class:`NoCard` otherwise (or as :meth:`transact`)."""
        self.transact(codec.FIND_CARD, ok=(CARD_FOUND,))

    def select(self) -> None:
        """Select the card found; returns None, raises :class:`SelectFailed` (or as :meth:`transact`)."""
        self.transact(codec.SELECT_CARD)

    def read(self, *, fingerprint: bool = False) -> CardData:
        """The selected card's raw blocks as :class:`CardData`: text, photo and, with ``fingerprint``, fingerprint.

        Raises :class:`CardReadFailed` and the other errors of :meth:`transact`,
        and :class:`UnexpectedReply` when the block lengths do not add up.
        """
        command = codec.READ_TEXT_PHOTO_FINGERPRINT if fingerprint else codec.READ_TEXT_PHOTO
        return parse_read_reply(self.transact(command).data, fingerprint=fingerprint)

    def read_extra_address(self) -> str | None:
        """The newer address written after issue, or None when the card has none; raises as :meth:`transact`."""
        data = self.transact(codec.READ_EXTRA_ADDRESS, ok=(SUCCESS, 0x91)).data
        text = data.decode("utf-16-le", errors="replace").rstrip(" \x00")
        return text or None

    def read_card(self, *, fingerprint: bool | None = None) -> IdCard:
        """find + select + read + decode; a card is returned once until it is lifted.

        ``fingerprint`` (default: the reader's ``read_fingerprint``) also reads the fingerprint block.
        """
        fingerprint = self.read_fingerprint if fingerprint is None else fingerprint
        with self._lock:
            if self._must_lift:
                try:
                    self.find()
                except NoCard:
                    self._must_lift = False
                    log.info("idcard.card_lifted")
                    raise
                raise CardNotLifted(self._lift_reason, hint="lift the card off the reader, then place it again")
            try:
                data = self._find_select_read(fingerprint)
                card = decode_text(data.text)
            except (CardRefused, CardDataError) as exc:
                if not isinstance(exc, (NoCard, SamError)):
                    # The card is there but unusable (unknown type, failed authentication, bad data):
                    # report it once, not on every poll while it lies on the reader.
                    self._must_lift = True
                    self._lift_reason = "the card on the reader could not be read; it is still there"
                raise
            card.photo_wlt = data.photo
            card.fingerprint = data.fingerprint
            self._must_lift = True
            self._lift_reason = "the card that was just read is still on the reader"
        if self.photo_decoder.available:
            card.photo_image = self.photo_decoder.decode(data.photo)
        log.info("idcard.read", card_type=card.card_type, id_number=card.masked_id_number,
                 id_number_valid=card.id_number_valid, photo_available=card.photo_available,
                 rare_characters=card.rare_characters)
        return card

    def _find_select_read(self, fingerprint: bool) -> CardData:
        attempt = 0
        while True:
            try:
                self.find()
                self.select()
                return self.read(fingerprint=fingerprint)
            except TRANSIENT as exc:
                if attempt >= self.retries:
                    raise
                attempt += 1
                log.info("idcard.read_retry", error=type(exc).__name__, reason=exc.reason)

    def wait_for_card(self, timeout_s: float, *, fingerprint: bool | None = None) -> IdCard:
        """Poll until a (new) card is read; raise the last waiting error when ``timeout_s`` passes.

        No card, a card not yet lifted and a disconnected reader are waited
        out; any other error (checksum, unknown card type, silent reader) is
        raised at once.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                return self.read_card(fingerprint=fingerprint)
            except (NoCard, CardNotLifted, DeviceUnavailable) as exc:
                if self._closed:
                    raise
                last = exc
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if isinstance(last, NoCard):
                    raise NoCard(f"no card was placed on the reader within {timeout_s:g} s",
                                 hint="place the card flat on the reader", status=last.status) from None
                raise last
            time.sleep(min(self.poll_interval_s, remaining))

    def health(self) -> Health:
        """The SAM's status and ID as a :class:`Health` (never raises; a failure is ``ok=False`` with the reason)."""
        details = {"port": self.port}
        try:
            self.sam_status()
            sam = self.sam_id()
        except DeviceError as exc:
            return Health(self.name, ok=False, summary=exc.reason + (f" ({exc.hint})" if exc.hint else ""),
                          details={**details, "error": type(exc).__name__})
        return Health(self.name, ok=True, summary=f"SAM {sam}", details={**details, "sam_id": sam})


def open_idcard(section: Mapping, **overrides) -> IdCardReader:
    """The reader the ``[idcard]`` config section names (``cfg.idcard``, or a dict of its keys).

    Keys the section leaves out take the schema's defaults (drivers/settings.py),
    so ``{"port": "/dev/ttyUSB0"}`` is enough.  ``overrides`` are
    :class:`IdCardReader` keyword arguments (``timeout_s=...``,
    ``photo_decoder=...``) that win over the section.  With
    ``backend = "sim"`` it is the real driver on the simulator's pty.
    Returns the open reader; raises :class:`ConfigurationError` for a bad
    setting and :class:`DeviceUnavailable` when the port cannot be opened.

    >>> from drivers.idcard import IdCardSimulator, open_idcard, sample_card
    >>> with IdCardSimulator() as sim, open_idcard({"port": sim.port}) as reader:
    ...     sim.place(sample_card("permit"))
    ...     reader.read_card().card_type
    'hk_mo_tw_permit'
    """
    from drivers.settings import IDCARD

    def get(key):
        return section[key] if key in section else IDCARD.settings[key].default

    backend = section["backend"] if "backend" in section else "real"
    options = dict(timeout_s=get("timeout_s"), read_fingerprint=get("read_fingerprint"))
    if "photo_decoder" not in overrides:
        options["photo_decoder"] = PhotoDecoder(get("photo_decoder") or None,
                                                timeout_s=get("photo_decoder_timeout_s"))
    options.update(overrides)
    try:
        return IdCardReader(get("port"), **options)
    except DeviceUnavailable as exc:
        if backend != "sim" or isinstance(exc, DeviceBusy):
            raise
        raise DeviceUnavailable(exc.device, exc.reason,
                                hint=f"start the simulator: terminal sim idcard --port {get('port')}") from None


def _why(exc: BaseException) -> str:
    if isinstance(exc, termios.error) and len(exc.args) == 2:
        return str(exc.args[1])
    if isinstance(getattr(exc, "errno", None), int):
        return os.strerror(exc.errno)
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


__all__ = ["IdCardReader", "CardData", "format_sam_id", "open_idcard", "parse_read_reply", "IdCardError"]
