"""The terminal configuration schema, assembled here from the core sections plus each area's own.

Each area keeps its sections in its own ``settings`` module (drivers/settings.py,
sync/settings.py, ...) so that a change to one device's settings touches one
file; they build on the leaf terminal.settings_model, and this module, which
the CLI starts from, puts them together.  ``{state_dir}`` in a ``sim`` value is
filled in by ``config init``.  Read a terminal's file with :func:`load_config`:

    >>> from terminal.config_init import render_config
    >>> text = render_config("kiosk", state_dir="/tmp/k1", device_id="KSK-SHA-0001", sim=True)
    >>> cfg = parse_config(text)
    >>> cfg.role, cfg.store.busy_timeout_s
    ('kiosk', 5.0)
"""

from __future__ import annotations

import os
from pathlib import Path

from drivers import settings as drivers_settings
from dropbox import settings as dropbox_settings
from kiosk import settings as kiosk_settings
from kiosk.badges import settings as badges_settings
from sync import settings as sync_settings
from terminal.config import Config, read_config, validate_config
from terminal.settings_model import Section, Setting

ROLES = ("kiosk", "dropbox")

LOG = Section(
    "Logging: JSON lines on stdout, which journald collects. Personal data is always masked.",
    {
        "level": Setting(str, "lowest level written", default="info",
                         choices=("debug", "info", "warning", "error", "critical")),
    },
)

STORE = Section(
    "The terminal's one SQLite database (WAL, synchronous=FULL).",
    {
        "path": Setting(str, "database file; empty means <state_dir>/terminal.db", default=""),
        "busy_timeout_s": Setting(float, "how long a writer waits for another process's lock",
                                  default=5.0, min=0.1, max=60.0),
    },
    renamed={"busy_timeout_ms": ("busy_timeout_s", 0.001)},
)

TERMINAL = Section(
    "service-terminals configuration: one file per terminal.",
    {
        "role": Setting(str, "what this terminal is", choices=ROLES, example="kiosk"),
        "device_id": Setting(str, "this terminal's id, as registered at central",
                             pattern=r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}", example="KSK-SHA-0001"),
        "site": Setting(str, "where the terminal stands (site code)",
                        pattern=r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", example="sha-hq"),
        "state_dir": Setting(str, "directory for the database and other state (mode 0700)",
                             default="/var/lib/service-terminals"),
        "log": LOG,
        "store": STORE,
        **sync_settings.SECTIONS,
        **drivers_settings.SECTIONS,
        **kiosk_settings.SECTIONS,
        **badges_settings.SECTIONS,
        **dropbox_settings.SECTIONS,
    },
    optional=False,
)


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate a terminal's configuration file against :data:`TERMINAL`.

    ``path`` is the file; None means ``$TERMINAL_CONFIG``, else
    /etc/service-terminals/terminal.toml.  Returns the read-only Config.
    Raises terminal.config.ConfigError listing every problem, each with file,
    line and dotted key (the ``terminal`` command exits 2 on it).
    """
    return read_config(path, schema=TERMINAL)


def parse_config(text: str, *, path: Path | str = "<config>") -> Config:
    """Validate a terminal configuration given as TOML ``text`` (``path`` names it in messages).

    Returns the read-only Config; raises terminal.config.ConfigError as :func:`load_config` does.
    """
    return validate_config(text, schema=TERMINAL, path=path)
