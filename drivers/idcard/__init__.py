"""The ID-card reader (second-generation resident ID cards, permits, foreigner cards).

>>> from drivers.idcard import IdCardReader, IdCardSimulator, sample_card
>>> with IdCardSimulator() as sim, IdCardReader(sim.port) as reader:
...     sim.place(sample_card("permit"))
...     reader.read_card().to_dict()["card_type"]
'hk_mo_tw_permit'
"""

from drivers.idcard.card import CARD_TYPES, JSON_KEYS, IdCard
from drivers.idcard.errors import (
    CardAuthenticationFailed, CardDataError, CardNotLifted, CardReadFailed, CardRefused, ChecksumError,
    FrameError, IdCardError, MalformedFrame, NoCard, ReaderRejectedFrame, ReaderSilent, SamError,
    SelectFailed, TruncatedFrame, UnexpectedReply, UnknownCardType,
)
from drivers.idcard.photo import PhotoDecoder
from drivers.idcard.reader import IdCardReader
from drivers.idcard.samples import SAMPLES, SimCard, sample_card
from drivers.idcard.sim import IdCardSimulator

__all__ = [
    "IdCardReader", "IdCardSimulator", "IdCard", "SimCard", "PhotoDecoder", "sample_card", "SAMPLES",
    "CARD_TYPES", "JSON_KEYS", "IdCardError", "FrameError", "ChecksumError", "TruncatedFrame",
    "MalformedFrame", "UnexpectedReply", "ReaderRejectedFrame", "ReaderSilent", "CardDataError",
    "CardRefused", "NoCard", "SelectFailed", "CardNotLifted", "CardReadFailed", "CardAuthenticationFailed",
    "UnknownCardType", "SamError",
]
