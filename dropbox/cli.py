"""``terminal hw qr``: decode QR codes in still images with the drop box's pipeline.

drivers/ must not import dropbox/, so this is not a device package under
drivers/: terminal/cli.py's COMMAND_MODULES lists ``dropbox.cli`` after
``drivers.cli``, and :func:`register` adds ``qr`` to the ``hw`` subcommands
drivers.cli created.

Output, one line per file read (payloads and names pass through the log mask)::

    photo1.png: "ISSRB1|RB2024596853|..."
    photo2.png: no QR code found

``--json`` prints one JSON object per file instead. A file that cannot be
read or is not an image is named on stderr (and in its JSON line); the
command goes on with the others and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path

from terminal import TerminalError
from terminal.cliopts import example, json_option
from terminal.pii import mask_text

STILL_BUDGET_MS = 2000.0  # a still image is not a camera frame: let every retry run


def _hw_subparsers(sub) -> argparse._SubParsersAction:
    hw = sub.choices.get("hw")
    actions = [a for a in getattr(hw, "_actions", ()) if isinstance(a, argparse._SubParsersAction)]
    if not actions:
        raise TerminalError("internal: dropbox.cli must come after drivers.cli in COMMAND_MODULES "
                            "(it adds 'qr' to 'terminal hw')")
    return actions[0]


def register(sub, common) -> None:
    """Add ``terminal hw qr`` to the ``hw`` subcommands drivers.cli made (registered after it)."""
    p = _hw_subparsers(sub).add_parser(
        "qr", parents=[common], help="decode QR codes in image files",
        description=textwrap.fill(
            "Decode the QR codes in still images (PNG, JPEG, ... read as grey) with the drop box's "
            "decoding pipeline, and print one line per file: its name and each payload found. Exit 1 "
            "if a file cannot be read or is not an image (named on stderr); the other files are still "
            "decoded.", 78))
    p.add_argument("files", nargs="+", metavar="FILE", help="an image file")
    json_option(p, help="print one JSON object per file: file, codes (payload, decoder, corners), error")
    example(p, "terminal hw qr --json photo1.png photo2.jpg")
    p.set_defaults(run=_run)


class ImageUnreadable(TerminalError):
    """An image file that cannot be read or decoded as a picture; the message says which and why."""


def read_grey(path: Path):
    """The image at ``path`` as a grey uint8 HxW array; ImageUnreadable naming the file otherwise."""
    import cv2
    import numpy as np

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageUnreadable(f"{path}: cannot read: {exc.strerror}") from None
    image = None
    if data:
        try:
            image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)
        except cv2.error:
            image = None
    if image is None or image.size == 0:
        raise ImageUnreadable(f"{path}: not an image OpenCV can read ({len(data)} bytes)")
    return image


def _name(name: str) -> str:
    """A file name on one line: as given, or JSON-quoted when it holds control or undecodable characters."""
    return name if name.isprintable() else json.dumps(name)


def _show(payload: str | bytes) -> str:
    """One payload on one line: a JSON string (quotes, escapes), bytes as hex."""
    if isinstance(payload, bytes):
        return f"hex:{payload.hex()}"
    return json.dumps(payload, ensure_ascii=False)


def _as_json(name: str, codes, error: str | None) -> str:
    out = []
    for c in codes:
        key, value = ("payload_hex", c.payload.hex()) if isinstance(c.payload, bytes) else ("payload", c.payload)
        out.append({key: value, "decoder": c.decoder,
                    "corners": [[round(x, 1), round(y, 1)] for x, y in c.corners]})
    return json.dumps({"file": name, "codes": out, "error": error})


def _run(args) -> int:
    from dropbox.qr import decode

    failed = 0
    for name in args.files:
        try:
            codes = decode(read_grey(Path(name)), budget_ms=STILL_BUDGET_MS)
        except ImageUnreadable as exc:
            failed += 1
            print(mask_text(f"terminal hw qr: {_name(str(exc))}"), file=sys.stderr)
            if args.json:
                print(mask_text(_as_json(name, [], str(exc))))
            continue
        if args.json:
            print(mask_text(_as_json(name, codes, None)))
        else:
            found = " ".join(_show(c.payload) for c in codes) if codes else "no QR code found"
            print(mask_text(f"{_name(name)}: {found}"))
    return 1 if failed else 0
