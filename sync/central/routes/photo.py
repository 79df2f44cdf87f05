"""``GET /v1/photo/{employee_no}``: an employee's HR photo, on demand, to a signed terminal.

The kiosk compares the live camera face with this photo (kiosk/face.py).  It
holds the photo in memory for one session only, so central serves it per
request instead of syncing photos to terminals.  Answers::

    200 {"employee_no", "content_type": "image/jpeg" | "image/png", "image_b64", "sha256"}
        Cache-Control: no-store
    400 bad_request       the employee number is not 1-32 of [A-Za-z0-9_-]
    404 no_photo          central holds no photo for that employee
    429 rate_limited      more than PHOTO_LIMIT photos to one terminal in an hour (Retry-After):
                          a kiosk serves people one at a time, a scraper does not

Photos live in central's table ``hr_photos`` (:func:`put_photo`, ``terminal
central photos --db DB DIR``).  The image bytes are never logged.

    >>> image_type(b"\\xff\\xd8\\xff\\xe0rest"), image_type(b"GIF89a")
    ('image/jpeg', None)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import re
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response

from sync.central.routes.common import DEVICE_ERRORS, SIGNED, CentralState, SignedCall, error_response, json_response
from sync.central.storage import Replayed
from terminal import TerminalError
from terminal.logs import get_logger
from sync.central.tables import schema_once

log = get_logger(__name__)

EMPLOYEE_NO_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
MAX_PHOTO_BYTES = 2 * 1024 * 1024
PHOTO_LIMIT = (3600, 120)        # (window seconds, photos one terminal may fetch in it)
SUFFIXES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}

_DDL = [
    """CREATE TABLE IF NOT EXISTS hr_photos (
        employee_no TEXT PRIMARY KEY, content_type TEXT NOT NULL, data TEXT NOT NULL, sha256 TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS photo_fetches (
        device_id TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS photo_fetches_by_device ON photo_fetches (device_id, at)",
]


class PhotoRefused(TerminalError):
    """A photo central will not store: wrong employee number, not JPEG/PNG, or too large."""

    exit_code = 2


def image_type(data: bytes) -> str | None:
    """``image/jpeg`` or ``image/png`` from the file's first bytes, else None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


# Create the photo tables (idempotent; once per storage object).
ensure_schema = schema_once(_DDL)


def put_photo(storage, employee_no: str, data: bytes, *, now: float | None = None) -> str:
    """Store (or replace) ``employee_no``'s photo; return its content type.

    Raises :class:`PhotoRefused` for an employee number that is not 1-32 of
    [A-Za-z0-9_-], data that is not JPEG or PNG, or more than MAX_PHOTO_BYTES.
    """
    if not EMPLOYEE_NO_RE.fullmatch(employee_no):
        raise PhotoRefused(f"employee number {employee_no[:40]!r}: give 1-32 ASCII letters, digits, _ or -")
    kind = image_type(data)
    if kind is None:
        raise PhotoRefused(f"the photo for {employee_no} is not a JPEG or PNG file")
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRefused(f"the photo for {employee_no} is {len(data)} bytes, above the limit of "
                           f"{MAX_PHOTO_BYTES}; scale it down (a face needs no more than 640 px)")
    ensure_schema(storage)
    q = storage.engine.sql
    with storage.engine.transaction() as c:
        c.execute(q("INSERT INTO hr_photos (employee_no, content_type, data, sha256, updated_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (employee_no) DO UPDATE SET "
                    "content_type = excluded.content_type, data = excluded.data, sha256 = excluded.sha256, "
                    "updated_at = excluded.updated_at"),
                  (employee_no, kind, base64.b64encode(data).decode(), hashlib.sha256(data).hexdigest(),
                   storage.now() if now is None else now))
    return kind


def load_photos(storage, folder: str | Path) -> list[str]:
    """Store every ``<employee_no>.jpg|.jpeg|.png`` in ``folder``; return the employee numbers loaded.

    Raises :class:`PhotoRefused` naming the first file that cannot be stored (nothing after it
    is loaded), and for a folder that is missing or holds no such file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PhotoRefused(f"{folder}: not a folder; give a folder of <employee_no>.jpg files")
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    if not files:
        raise PhotoRefused(f"{folder}: no .jpg, .jpeg or .png files; name each <employee_no>.jpg")
    loaded = []
    for path in files:
        try:
            put_photo(storage, path.stem, path.read_bytes())
        except PhotoRefused as exc:
            raise PhotoRefused(f"{path.name}: {exc}") from None
        loaded.append(path.stem)
    return loaded


def mount(app: FastAPI) -> None:
    """Add ``GET /v1/photo/{employee_no}`` to ``app``."""
    app.add_api_route("/v1/photo/{employee_no}", photo, methods=["GET"],
                      summary="An employee's HR photo for the kiosk's face check (held for one session only)",
                      openapi_extra=SIGNED,
                      responses={200: {"description": "{employee_no, content_type, image_b64, sha256}"},
                                 400: {"description": "bad_request: not an employee number"},
                                 404: {"description": "no_photo"},
                                 429: {"description": "rate_limited: too many photos to this terminal"},
                                 **DEVICE_ERRORS})


async def photo(request: Request, employee_no: str) -> Response:
    """The photo of ``employee_no`` (see the module docstring for every answer)."""
    central = CentralState.of(request)
    return await central.signed(request, functools.partial(_photo, central, employee_no), method="GET")


def _photo(central: CentralState, employee_no: str, call: SignedCall) -> Response:
    """Use the nonce, count the fetch against the terminal's hourly budget, answer the photo; in a thread."""
    if not EMPLOYEE_NO_RE.fullmatch(employee_no):
        return error_response(400, "bad_request", "employee_no: give 1-32 ASCII letters, digits, _ or -")
    storage = central.storage
    now = central.now()
    try:
        storage.use_nonce(call.device_id, call.nonce)
    except Replayed:
        return central.replayed(call.client, call.device_id)
    except Exception as exc:
        return central.storage_failed(exc, call.device_id)
    q = storage.engine.sql
    window_s, allowed = PHOTO_LIMIT
    try:
        ensure_schema(storage)
        with storage.engine.transaction() as c:
            c.execute(q("DELETE FROM photo_fetches WHERE at <= ?"), (now - window_s,))
            times = [r[0] for r in c.execute(q("SELECT at FROM photo_fetches WHERE device_id = ? ORDER BY at"),
                                             (call.device_id,)).fetchall()]
            if len(times) >= allowed:
                wait = max(1, math.ceil(times[-allowed] + window_s - now))
                refusal = error_response(429, "rate_limited", f"at most {allowed} photos to one terminal per "
                                         f"hour; try again in {wait} s", retry_after=wait)
            else:
                refusal = None
                c.execute(q("INSERT INTO photo_fetches (device_id, at) VALUES (?, ?)"), (call.device_id, now))
                row = c.execute(q("SELECT content_type, data, sha256 FROM hr_photos WHERE employee_no = ?"),
                                (employee_no,)).fetchone()
    except Exception as exc:
        return central.storage_failed(exc, call.device_id, reading=True)
    if refusal is not None:
        log.warning("central.photo_rate_limited", device_id=call.device_id)
        return refusal
    if row is None:
        log.info("central.photo_missing", device_id=call.device_id, employee_no=employee_no)
        return error_response(404, "no_photo", f"central holds no HR photo for employee {employee_no}")
    log.info("central.photo_served", device_id=call.device_id, employee_no=employee_no)
    return json_response(200, {"employee_no": employee_no, "content_type": row[0], "image_b64": row[1],
                               "sha256": row[2]}, {"Cache-Control": "no-store"})


# -- the demo's photos ---------------------------------------------------------------------------

# Which test portrait stands for which demo employee (sync/central/demo.py's directory).
DEMO_FACES = {"E1001": "obama.jpg", "E1002": "rose_leslie_img1.jpg", "E1003": "biden.jpg",
              "E1004": "alex-lacamoire.png", "E1005": "rose_leslie_img2.jpg"}


def shared_faces() -> Path:
    """``../shared/testdata/faces`` beside the repository (present on developer machines and in CI)."""
    return Path(__file__).resolve().parents[3].parent / "shared" / "testdata" / "faces"


def demo_photo(employee_no: str, faces: Path | None = None) -> bytes:
    """A JPEG HR photo for a demo employee: a test portrait scaled to 480 px, else a synthetic one.

    The synthetic picture (no test data) is a drawn head that the face detector does not take for
    a face: the kiosk's face step then shows its fallback, which the demo should show too.
    """
    import cv2
    import numpy as np

    name = DEMO_FACES.get(employee_no)
    path = (faces or shared_faces()) / name if name else None
    image = cv2.imread(str(path)) if path is not None and path.is_file() else None
    if image is None:
        seed = int(hashlib.sha256(employee_no.encode()).hexdigest()[:8], 16)
        image = np.full((480, 390, 3), 200 + seed % 40, np.uint8)
        cv2.ellipse(image, (195, 220), (110, 140), 0, 0, 360, (150, 170, 200), -1)
    scale = 480 / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 88])
    return jpeg.tobytes()


def seed_demo_photos(storage, employee_numbers) -> int:
    """Store a demo photo for each employee that has none yet; return how many were stored."""
    ensure_schema(storage)
    stored = 0
    for employee_no in employee_numbers:
        with storage.engine.connection() as c:
            present = c.execute(storage.engine.sql("SELECT 1 FROM hr_photos WHERE employee_no = ?"),
                                (employee_no,)).fetchone()
        if present is None:
            put_photo(storage, employee_no, demo_photo(employee_no))
            stored += 1
    return stored
