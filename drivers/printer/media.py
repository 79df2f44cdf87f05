"""Paper and card sizes, and the printable area a queue actually offers.

Sizes are in hundredths of a millimetre, as IPP gives them.  The imageable
area comes from the printer's media-col-ready (what is loaded) or
media-col-database (what it can take), never from hard-coded pixels.

>>> from drivers.printer.media import CR80, find_media
>>> CR80.width_mm, CR80.height_mm
(53.98, 85.6)
>>> col = {"media-size": {"x-dimension": 5400, "y-dimension": 8560}, "media-size-name": "om_card",
...        "media-left-margin": 100, "media-right-margin": 100, "media-top-margin": 0, "media-bottom-margin": 0}
>>> area = find_media(CR80, ready=[col], database=[])
>>> area.name, area.imageable_mm, area.pixels(300)
('om_card', (52.0, 85.6), (614, 1011))
"""

from __future__ import annotations

from dataclasses import dataclass

TOLERANCE = 100  # 1 mm: drivers expose cards a little larger than ISO 7810 for edge-to-edge printing


@dataclass(frozen=True)
class MediaSize:
    """A paper or card size: its ``key`` ('a4', 'cr80') and portrait ``x`` by ``y`` in 1/100 mm."""

    key: str
    x: int  # width, 1/100 mm (portrait)
    y: int  # height

    @property
    def width_mm(self) -> float:
        """The width in millimetres."""
        return self.x / 100

    @property
    def height_mm(self) -> float:
        """The height in millimetres."""
        return self.y / 100


A4 = MediaSize("a4", 21000, 29700)
CR80 = MediaSize("cr80", 5398, 8560)  # ISO/IEC 7810 ID-1: 85.60 x 53.98 mm
MEDIA = {"a4": A4, "cr80": CR80}


@dataclass(frozen=True)
class MediaArea:
    """One size the printer offers, with its margins (1/100 mm) and where it was found."""

    name: str
    x: int
    y: int
    left: int = 0
    right: int = 0
    top: int = 0
    bottom: int = 0
    loaded: bool = False

    @property
    def size_mm(self) -> tuple[float, float]:
        """(width, height) in millimetres."""
        return (self.x / 100, self.y / 100)

    @property
    def imageable_mm(self) -> tuple[float, float]:
        """(width, height) of the printable area, margins taken off, in millimetres."""
        return ((self.x - self.left - self.right) / 100, (self.y - self.top - self.bottom) / 100)

    def pixels(self, dpi: int) -> tuple[int, int]:
        """Imageable area in pixels at ``dpi``."""
        w, h = self.imageable_mm
        return (round(w / 25.4 * dpi), round(h / 25.4 * dpi))


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _area(col: dict, loaded: bool) -> MediaArea | None:
    size = col.get("media-size") or {}
    x, y = size.get("x-dimension"), size.get("y-dimension")
    if not isinstance(x, int) or not isinstance(y, int):
        return None  # a range (roll/custom) entry
    return MediaArea(name=col.get("media-size-name") or col.get("media-key") or "", x=x, y=y,
                     left=int(col.get("media-left-margin", 0)), right=int(col.get("media-right-margin", 0)),
                     top=int(col.get("media-top-margin", 0)), bottom=int(col.get("media-bottom-margin", 0)),
                     loaded=loaded)


def _matches(area: MediaArea, size: MediaSize) -> bool:
    same = abs(area.x - size.x) <= TOLERANCE and abs(area.y - size.y) <= TOLERANCE
    turned = abs(area.x - size.y) <= TOLERANCE and abs(area.y - size.x) <= TOLERANCE
    return same or turned


def find_media(size: MediaSize, *, ready, database) -> MediaArea | None:
    """The loaded entry for ``size`` if any, else the one the printer could take; None when it has none."""
    for cols, loaded in ((ready, True), (database, False)):
        for col in _as_list(cols):
            if isinstance(col, dict) and (area := _area(col, loaded)) and _matches(area, size):
                return area
    return None
