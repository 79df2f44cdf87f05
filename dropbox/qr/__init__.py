"""QR decoding for the drop box: ``decode(frame) -> list[Decoded]`` and the sighting de-duplication.

See :mod:`dropbox.qr.pipeline` for what is tried in which order and why,
:mod:`dropbox.qr.decoders` for each decoder alone, and ``python -m bench qr``
for the figures.
"""

from dropbox.qr.decoders import Decoded
from dropbox.qr.dedup import SightingWindow
from dropbox.qr.pipeline import decode

__all__ = ["Decoded", "SightingWindow", "decode"]
