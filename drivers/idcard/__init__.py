"""The ID-card reader (second-generation resident ID cards, permits, foreigner cards).

:func:`open_idcard` builds the reader the ``[idcard]`` section names;
:class:`IdCardSimulator` is a reader on a pseudo-terminal (``terminal sim idcard``).

>>> from drivers.idcard import IdCardSimulator, open_idcard, sample_card
>>> with IdCardSimulator() as sim, open_idcard({"port": sim.port}) as reader:
...     sim.place(sample_card("permit"))
...     reader.read_card().to_dict()["card_type"]
'hk_mo_tw_permit'
"""

from drivers.lazy import lazy_exports

_EXPORTS = {
    "CARD_TYPES": "drivers.idcard.card",
    "JSON_KEYS": "drivers.idcard.card",
    "IdCard": "drivers.idcard.card",
    "CardAuthenticationFailed": "drivers.idcard.errors",
    "CardDataError": "drivers.idcard.errors",
    "CardNotLifted": "drivers.idcard.errors",
    "CardReadFailed": "drivers.idcard.errors",
    "CardRefused": "drivers.idcard.errors",
    "ChecksumError": "drivers.idcard.errors",
    "FrameError": "drivers.idcard.errors",
    "IdCardError": "drivers.idcard.errors",
    "MalformedFrame": "drivers.idcard.errors",
    "NoCard": "drivers.idcard.errors",
    "ReaderRejectedFrame": "drivers.idcard.errors",
    "ReaderSilent": "drivers.idcard.errors",
    "SamError": "drivers.idcard.errors",
    "SelectFailed": "drivers.idcard.errors",
    "TruncatedFrame": "drivers.idcard.errors",
    "UnexpectedReply": "drivers.idcard.errors",
    "UnknownCardType": "drivers.idcard.errors",
    "PhotoDecoder": "drivers.idcard.photo",
    "IdCardReader": "drivers.idcard.reader",
    "open_idcard": "drivers.idcard.reader",
    "SAMPLES": "drivers.idcard.samples",
    "SimCard": "drivers.idcard.samples",
    "sample_card": "drivers.idcard.samples",
    "IdCardSimulator": "drivers.idcard.sim",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_EXPORTS)
