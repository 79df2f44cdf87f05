"""``terminal kiosk --screenshots DIR``: every screen, every message, both languages, as 1280x800 PNGs.

Offscreen (QT_QPA_PLATFORM=offscreen is set when unset), from the fixed
view models in :mod:`ui.fixtures`.  Files are ``NN_<key>_<lang>.png`` with
``NN`` the order of the flow, e.g. ``08_reader_fault-unplugged_en.png``.
"""

from __future__ import annotations

import os
from pathlib import Path

from terminal import TerminalError


def render_all(out: str | os.PathLike, *, size: tuple[int, int] = (1280, 800),
               langs: tuple[str, ...] = ("zh", "en")) -> list[Path]:
    """Write one PNG per (view, language) into ``out`` (created); return their paths in order.

    Raises TerminalError when ``out`` cannot be created or written.
    """
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ui.app import KioskWindow
    from ui.fixtures import FixedFlow, gallery

    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TerminalError(f"cannot create {folder}: {exc.strerror}") from None
    flow = FixedFlow()
    window = KioskWindow(flow, size=size, tick_s=None)
    written = []
    try:
        window.show()
        for lang in langs:
            for number, (name, view) in enumerate(gallery(lang), start=1):
                flow.show(view)
                path = folder / f"{number:02d}_{name}_{lang}.png"
                window.grab(path)
                written.append(path)
    finally:
        window.close()
    return written
