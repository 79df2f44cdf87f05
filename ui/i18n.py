"""Translations: Qt Linguist .ts sources in ui/i18n/, compiled to .qm with ``pyside6-lrelease``.

The package build cannot run lrelease (PySide6 is not in the isolated build
environment, and an editable install runs no build step), so the .qm files are
built at first run into a cache keyed by the .ts file's content hash:
``$XDG_CACHE_HOME/service-terminals/qm/`` (else ``~/.cache/...``, else a
temporary folder).  A changed .ts gets a new .qm; an unchanged one is reused.

The views look every string up by message id (``qsTrId("attract")``): the
ids are the flow's message keys (``kiosk.messages``) plus the views' own
labels (``ui.*``).  ``zh`` (简体中文) is the default language.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from terminal import TerminalError

TS_DIR = Path(__file__).resolve().parent / "i18n"
LANGS = {"zh": "zh_CN", "en": "en"}


def ts_path(lang: str) -> Path:
    """The .ts source of ``lang`` ('zh' | 'en'): ui/i18n/kiosk_<locale>.ts."""
    return TS_DIR / f"kiosk_{LANGS[lang]}.ts"


def cache_dir() -> Path:
    """Where compiled .qm files are kept (created, mode 0700)."""
    base = os.environ.get("XDG_CACHE_HOME") or (Path.home() / ".cache")
    for root in (Path(base), Path(tempfile.gettempdir()) / f"service-terminals-{os.geteuid()}"):
        folder = root / "service-terminals" / "qm"
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            return folder
        except OSError:
            continue
    raise TerminalError("no writable folder for the compiled translations (tried $XDG_CACHE_HOME, ~/.cache "
                        "and the temporary folder); set XDG_CACHE_HOME to a writable folder")


def lrelease() -> str:
    """The path of pyside6-lrelease (next to this interpreter, else on PATH); TerminalError when missing."""
    import sys

    for candidate in (Path(sys.executable).with_name("pyside6-lrelease"), shutil.which("pyside6-lrelease")):
        if candidate and Path(candidate).exists():
            return str(candidate)
    raise TerminalError("pyside6-lrelease is missing: install PySide6-Essentials "
                        "(pip install -c constraints.txt -e .)")


def compiled(lang: str) -> Path:
    """The .qm file for ``lang``, compiling the .ts source first when its content changed.

    Raises TerminalError when lrelease fails (its message names the .ts line).
    """
    source = ts_path(lang)
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    target = cache_dir() / f"{source.stem}-{digest}.qm"
    if not target.exists():
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        done = subprocess.run([lrelease(), "-silent", str(source), "-qm", str(partial)],
                              capture_output=True, text=True)
        if done.returncode != 0 or not partial.exists():
            partial.unlink(missing_ok=True)
            raise TerminalError(f"could not compile {source.name}: {(done.stderr or done.stdout).strip()[-400:]}")
        os.replace(partial, target)  # atomic: two kiosks starting at once never read half a file
    return target
