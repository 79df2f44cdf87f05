"""Typed errors of the ID-card reader, one per thing a person can act on.

Every reader status byte (SW3) maps to one of these classes through
:data:`STATUS`; the driver raises them, the kiosk shows their message.

>>> from drivers.idcard.errors import error_for_status, NoCard
>>> err = error_for_status(0x80, "find card")
>>> isinstance(err, NoCard), err.status
(True, 128)
>>> str(err)
'idcard: no card on the reader (find card, SW3 0x80) (place the card flat on the reader)'
"""

from __future__ import annotations

from drivers.errors import DeviceError, DeviceRefused, DeviceTimeout, ProtocolError

DEVICE = "idcard"


class IdCardError(DeviceError):
    """Base of the ID-card reader's errors; ``status`` is the SW3 byte when the reader sent one."""

    status: int | None = None

    def __init__(self, message: str, *, hint: str = "", status: int | None = None):
        self.status = status
        super().__init__(DEVICE, message, hint=hint)


# --- the link: bytes that are not what the protocol says -----------------------------------

class FrameError(IdCardError, ProtocolError):
    """The reader's bytes break the frame format."""


class ChecksumError(FrameError):
    """A frame arrived complete but its XOR checksum is wrong (noise on the line)."""


class TruncatedFrame(FrameError):
    """A frame started but its LEN promised more bytes than arrived before the timeout."""


class MalformedFrame(FrameError):
    """The bytes are not a frame at all (no preamble, impossible LEN, too short)."""


class UnexpectedReply(FrameError):
    """A well-formed reply that does not fit the command (wrong size or unknown status)."""


class ReaderRejectedFrame(IdCardError, ProtocolError):
    """The reader says our request was bad (checksum, length, command); a driver or line fault."""


class ReaderSilent(IdCardError, DeviceTimeout):
    """The reader sent nothing at all within the command's timeout."""


class CardDataError(IdCardError, ProtocolError):
    """The card's text block does not decode (a field is not what its layout says)."""


# --- the card and the SAM: the reader answered and refused -----------------------------------

class CardRefused(IdCardError, DeviceRefused):
    """The reader answered correctly and refused; the status says why."""


class NoCard(CardRefused):
    """No card is on the reader (find failed)."""


class SelectFailed(CardRefused):
    """A card was found but could not be selected (moved, or not an ID card)."""


class CardNotLifted(CardRefused):
    """The card that was just read is still on the reader; it must be lifted first."""


class CardReadFailed(CardRefused):
    """The card was selected but its data could not be read."""


class CardAuthenticationFailed(CardReadFailed):
    """Card and SAM did not authenticate each other: card moved, damaged or not genuine."""


class UnknownCardType(CardRefused):
    """The card on the reader is not a resident/permit/foreigner ID card."""


class SamError(CardRefused):
    """The reader's security module (SAM) is faulty or not authorised."""


# SW3 -> (error class, message, hint).  0x90 and 0x9F are successes.
SUCCESS = 0x90
CARD_FOUND = 0x9F
STATUS: dict[int, tuple[type[IdCardError], str, str]] = {
    0x10: (ReaderRejectedFrame, "reader reports a checksum error in our request",
           "check the serial cable and the baud rate (115200 8N1)"),
    0x11: (ReaderRejectedFrame, "reader reports a length error in our request",
           "check the serial cable and the baud rate (115200 8N1)"),
    0x21: (ReaderRejectedFrame, "reader reports a command error", "the reader does not support this command"),
    0x23: (SamError, "reader reports the operation is not authorised", "the SAM needs authorisation; call the vendor"),
    0x24: (ReaderRejectedFrame, "reader does not recognise the command", "the reader does not support this command"),
    0x31: (CardAuthenticationFailed, "card failed to authenticate the SAM",
           "hold the card still and try again; if it repeats the card may be damaged or not genuine"),
    0x32: (CardAuthenticationFailed, "SAM failed to authenticate the card",
           "hold the card still and try again; if it repeats the card may be damaged or not genuine"),
    0x33: (CardAuthenticationFailed, "card information failed validation",
           "hold the card still and try again; if it repeats the card may be damaged or not genuine"),
    0x40: (UnknownCardType, "unknown card type: not a resident ID card, permit or foreigner's card",
           "use a resident ID card, a residence permit or a foreigner's permanent residence card"),
    0x41: (CardReadFailed, "card read failed", "hold the card still on the reader and try again"),
    0x47: (CardReadFailed, "card random-number exchange failed", "hold the card still on the reader and try again"),
    0x60: (SamError, "SAM self-test failed", "power-cycle the reader; replace it if this repeats"),
    0x66: (SamError, "SAM is not authorised", "the reader's SAM needs authorisation; call the vendor"),
    0x80: (NoCard, "no card on the reader", "place the card flat on the reader"),
    0x81: (SelectFailed, "card could not be selected", "hold the card still on the reader and try again"),
    0x91: (CardReadFailed, "card has no content", "the card is blank or damaged; use another card"),
}


def error_for_status(sw3: int, command: str) -> IdCardError:
    """The typed error for a failing SW3 (an unknown code gives :class:`UnexpectedReply`)."""
    known = STATUS.get(sw3)
    if known is None:
        return UnexpectedReply(f"reader answered {command} with unknown status SW3 0x{sw3:02X}",
                               hint="reader firmware may be newer than this driver", status=sw3)
    cls, message, hint = known
    return cls(f"{message} ({command}, SW3 0x{sw3:02X})", hint=hint, status=sw3)
