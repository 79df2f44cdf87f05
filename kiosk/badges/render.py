"""Drawing a CR80 staff badge at the card printer's own resolution, and framing its photo.

The card is portrait: a coloured band with the company and 员工证 / STAFF, the
photo (3:4), the name, the department, the employee number, and the access
code as a QR (segno) with its badge id under it.  Sizes are fractions of the
card, so the same layout fills whatever imageable area the printer reports
(:func:`card_pixels`: ``printer.media_area().pixels(300)``)::

    >>> img = render_badge(Holder("测试甲", "E1001", "Finance"), None, "BDG-E1001-2.K7Q2M4XP9A", (626, 999))
    >>> img.size, img.mode
    ((626, 999), 'RGB')

Photos: the HR photo from central (:func:`frame_photo`, centre crop at 3:4),
or a camera frame (:func:`frame_capture`), framed on the one face found in it
(kiosk.face's detector) or, when face detection is not installed, a centre
crop.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from terminal import TerminalError

PHOTO_ASPECT = 3 / 4             # width / height of the photo on the card (a passport-style portrait)
BAND = (23, 63, 122)             # the company colour of the demo
DPI = 300                        # drivers.printer renders images at 300 dpi


class PhotoUnusable(TerminalError):
    """A photo that cannot go on a badge: ``reason`` is not_an_image, no_face or two_faces."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Holder:
    """What the card prints about its holder: ``name``, ``employee_no``, ``department``; ``company`` on the band."""

    name: str
    employee_no: str
    department: str
    company: str = ""


def card_pixels(printer) -> tuple[int, int]:
    """(width, height) in pixels of the card printer's imageable area at 300 dpi, portrait.

    ``printer`` is a drivers.printer.DocumentPrinter opened with media 'cr80'; raises its
    DeviceError when the printer cannot be asked or offers no CR80 card.
    """
    w, h = printer.media_area().pixels(DPI)
    return (min(w, h), max(w, h))


def frame_photo(data: bytes) -> Image.Image:
    """The HR photo (JPEG or PNG bytes) cropped to 3:4 about its centre; :class:`PhotoUnusable` if not an image."""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception:
        raise PhotoUnusable("not_an_image", "the HR photo is not a JPEG or PNG image") from None
    return _crop(img.convert("RGB"), (img.width / 2, img.height / 2), None)


def frame_capture(frame: np.ndarray, *, find_faces=None) -> Image.Image:
    """A camera frame (grey or BGR uint8 array) framed for a badge: the face centred, head and shoulders.

    ``find_faces(grey) -> [box with left() top() right() bottom()]`` defaults to kiosk.face's
    detector; without it installed the frame is cropped about its centre.  Raises
    :class:`PhotoUnusable` (no_face, two_faces) so the screen can ask for another picture.
    """
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim not in (2, 3):
        raise PhotoUnusable("not_an_image", "the camera frame is not an 8-bit grey or colour image")
    grey = frame if frame.ndim == 2 else frame.mean(axis=2).astype(np.uint8)
    img = Image.fromarray(frame if frame.ndim == 2 else frame[:, :, ::-1].copy()).convert("RGB")
    if find_faces is None:
        find_faces = _face_finder()
    if find_faces is None:
        return _crop(img, (img.width / 2, img.height / 2), None)
    boxes = list(find_faces(np.ascontiguousarray(grey)))
    if not boxes:
        raise PhotoUnusable("no_face", "no face in the picture: look at the camera")
    if len(boxes) > 1:
        raise PhotoUnusable("two_faces", "more than one face in the picture: only the badge holder, please")
    b = boxes[0]
    face_w = b.right() - b.left()
    # The eyes a little above the middle: the crop's centre sits below the face box's.
    return _crop(img, ((b.left() + b.right()) / 2, (b.top() + b.bottom()) / 2 + 0.25 * face_w), face_w / 0.45)


def _face_finder():
    """kiosk.face's detector with its models loaded, or None when face detection is not installed."""
    try:
        from kiosk.face import find_faces, preload

        preload()
    except (ImportError, TerminalError):
        return None
    return find_faces


def _crop(img: Image.Image, centre: tuple[float, float], width: float | None) -> Image.Image:
    """A 3:4 crop of ``img`` about ``centre``, ``width`` wide (None: as large as fits), kept inside the image."""
    max_w = min(img.width, img.height * PHOTO_ASPECT)
    w = max_w if width is None else min(max_w, max(16.0, width))
    h = w / PHOTO_ASPECT
    left = min(max(0.0, centre[0] - w / 2), img.width - w)
    top = min(max(0.0, centre[1] - h / 2), img.height - h)
    return img.crop((round(left), round(top), round(left + w), round(top + h)))


@functools.lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont:
    from kiosk.certificates.render import cjk_font_file

    return ImageFont.truetype(str(cjk_font_file()), size)


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: int) -> ImageFont.FreeTypeFont:
    """The font at ``size`` px or smaller, so that ``text`` fits ``width`` px."""
    while size > 8:
        font = _font(size)
        if draw.textlength(text, font=font) <= width:
            return font
        size = int(size * 0.9)
    return _font(8)


def _qr(text: str, side: int) -> Image.Image:
    import segno

    qr = segno.make(text, error="m", micro=False)
    modules = np.array([list(row) for row in qr.matrix], dtype=np.uint8)
    modules = np.pad(modules, 2)                    # a 2-module quiet zone (the card's white is around it)
    scale = max(1, side // modules.shape[0])
    pixels = np.where(np.kron(modules, np.ones((scale, scale), dtype=np.uint8)) > 0, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "L").convert("RGB")


def render_badge(holder: Holder, photo: Image.Image | None, code: str, size: tuple[int, int]) -> Image.Image:
    """The card as an RGB image of ``size`` (width, height) pixels, portrait.

    ``photo`` is a framed 3:4 picture (None: a grey placeholder: the card is still usable, HR can
    re-issue it with a photo); ``code`` the access code the QR carries (``<badge_id>.<secret>``).
    """
    w, h = size
    if w > h:
        w, h = h, w
    card = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(card)
    band = round(h * 0.12)
    draw.rectangle((0, 0, w, band), fill=BAND)
    title = "员工证 STAFF" if not holder.company else holder.company
    font = _fit(draw, title, round(band * 0.42), round(w * 0.9))
    draw.text((w / 2, band / 2), title, fill="white", font=font, anchor="mm")

    photo_w = round(w * 0.46)
    photo_h = round(photo_w / PHOTO_ASPECT)
    top = band + round(h * 0.035)
    box = ((w - photo_w) // 2, top)
    if photo is None:
        draw.rectangle((box[0], top, box[0] + photo_w, top + photo_h), fill=(220, 220, 220))
    else:
        card.paste(photo.convert("RGB").resize((photo_w, photo_h), Image.BILINEAR), box)

    y = top + photo_h + round(h * 0.03)
    font = _fit(draw, holder.name, round(h * 0.062), round(w * 0.9))
    draw.text((w / 2, y), holder.name, fill="black", font=font, anchor="mt")
    y += round(h * 0.075)
    font = _fit(draw, holder.department, round(h * 0.034), round(w * 0.9))
    draw.text((w / 2, y), holder.department, fill=(60, 60, 60), font=font, anchor="mt")
    y += round(h * 0.045)
    number = f"No. {holder.employee_no}"
    draw.text((w / 2, y), number, fill=(60, 60, 60), font=_fit(draw, number, round(h * 0.030), w), anchor="mt")

    qr_side = round(min(w * 0.36, h - y - h * 0.1))
    qr = _qr(code, qr_side)
    qr_top = h - qr.height - round(h * 0.045)
    card.paste(qr, ((w - qr.width) // 2, qr_top))
    badge_id = code.split(".", 1)[0]
    draw.text((w / 2, h - round(h * 0.04)), badge_id, fill=(90, 90, 90),
              font=_fit(draw, badge_id, round(h * 0.022), w), anchor="mt")
    return card
