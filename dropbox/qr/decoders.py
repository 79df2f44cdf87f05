"""One function per QR decoder ("peer"), each ``(frame) -> list[Decoded]`` on a grey uint8 HxW array.

Corner points are (x, y) pixels of ``frame``, clockwise from the code's own
top-left where the decoder knows it.  Only full-size QR codes (Model 2) are
read: zxing-cpp's ``QRCode`` family also reads Micro QR, whose weak error
correction produced a false read ('699000') from a shadowed qr-public frame.

>>> import numpy as np
>>> blank = np.full((48, 64), 255, np.uint8)
>>> [peer(blank) for peer in (zxing, zbar, opencv, opencv_aruco)]
[[], [], [], []]
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

Corners = tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Decoded:
    """One code read from a frame.

    ``payload`` is ``str`` when the code's bytes are ASCII (the form codes
    are), else the raw ``bytes``; ``decoder`` names the peer and the attempt
    (``"zxing"``, ``"zxing/crop-sharp"``, ...); ``corners`` are 4 (x, y)
    pixel points in the frame the caller passed.
    """

    payload: str | bytes
    decoder: str
    corners: Corners


def payload_of(raw: bytes) -> str | bytes:
    """ASCII bytes as ``str``; anything else stays ``bytes`` (zbar re-encodes non-ASCII unreliably)."""
    return raw.decode("ascii") if raw.isascii() else raw


def grey(frame) -> np.ndarray:
    """Check ``frame`` is what every peer here takes: a 2-D uint8 array, C-contiguous."""
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 2:
        shape = getattr(frame, "shape", None)
        kind = getattr(frame, "dtype", type(frame).__name__)
        raise ValueError(f"expected a grey uint8 HxW frame, got {kind} {shape}")
    if frame.size == 0:
        raise ValueError(f"expected a grey uint8 HxW frame, got an empty one {frame.shape}")
    return np.ascontiguousarray(frame)


def zxing(frame: np.ndarray, *, downscale: bool = True, name: str = "zxing") -> list[Decoded]:
    """zxing-cpp: finds rotated, inverted and small codes; its own local-average binarizer."""
    import zxingcpp

    found = zxingcpp.read_barcodes(grey(frame), formats=zxingcpp.BarcodeFormat.QRCodeModel2,
                                   try_downscale=downscale)
    out = []
    for code in found:
        p = code.position
        corners = tuple((float(q.x), float(q.y)) for q in (p.top_left, p.top_right, p.bottom_right,
                                                               p.bottom_left))
        out.append(Decoded(payload_of(code.bytes), name, corners))
    return out


def zbar(frame: np.ndarray, *, name: str = "zbar") -> list[Decoded]:
    """pyzbar on libzbar0 (dark codes on light only; a grey frame, never BGR: it would read channel 0)."""
    from pyzbar import pyzbar

    out = []
    for code in pyzbar.decode(grey(frame), symbols=[pyzbar.ZBarSymbol.QRCODE]):
        corners = tuple((float(p.x), float(p.y)) for p in code.polygon)
        out.append(Decoded(payload_of(code.data), name, corners))
    return out


def _opencv(detector, frame: np.ndarray, name: str) -> list[Decoded]:
    # One code per call: the classic detector's detectAndDecodeMulti read 104 qr-public pictures
    # where detectAndDecode read 155 (the Aruco one reads 172 either way).
    text, points, _ = detector.detectAndDecode(grey(frame))
    if not text or points is None:
        return []
    return [Decoded(payload_of(text.encode("utf-8")), name,
                    tuple((float(x), float(y)) for x, y in points.reshape(-1, 2)))]


_DETECTORS: dict = {}


def opencv(frame: np.ndarray) -> list[Decoded]:
    """OpenCV's classic cv2.QRCodeDetector."""
    detector = _DETECTORS.setdefault("classic", cv2.QRCodeDetector())
    return _opencv(detector, frame, "opencv")


def opencv_aruco(frame: np.ndarray) -> list[Decoded]:
    """OpenCV's cv2.QRCodeDetectorAruco (ArUco-based finder-pattern search)."""
    detector = _DETECTORS.setdefault("aruco", cv2.QRCodeDetectorAruco())
    return _opencv(detector, frame, "opencv-aruco")


def wechat_available() -> bool:
    """WeChatQRCode ships only in the opencv-contrib wheels, not in opencv-python-headless."""
    return hasattr(cv2, "wechat_qrcode_WeChatQRCode")


def opencv_wechat(frame: np.ndarray) -> list[Decoded]:
    """OpenCV contrib's WeChatQRCode without its CNN models (ValueError if the wheel lacks it)."""
    if not wechat_available():
        raise ValueError("WeChatQRCode is not in this OpenCV build (it is in opencv-contrib-python-headless)")
    detector = _DETECTORS.setdefault("wechat", cv2.wechat_qrcode_WeChatQRCode())
    texts, points = detector.detectAndDecode(grey(frame))
    return [Decoded(payload_of(text.encode("utf-8")), "opencv-wechat",
                    tuple((float(x), float(y)) for x, y in pts))
            for text, pts in zip(texts, points) if text]


PEERS = {"pyzbar": zbar, "zxing-cpp": zxing, "opencv": opencv, "opencv-aruco": opencv_aruco,
         "opencv-wechat": opencv_wechat}
