"""The terminal configuration schema: the core sections plus each area's own.

Each area keeps its sections in its own ``settings`` module (drivers/settings.py,
sync/settings.py, ...) so that a change to one device's settings touches one
file.  ``{state_dir}`` in a ``sim`` value is filled in by ``config init``.
"""

from __future__ import annotations

from drivers import settings as drivers_settings
from sync import settings as sync_settings
from terminal.config import Section, Setting

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
        "busy_timeout_ms": Setting(int, "how long a writer waits for another process's lock",
                                   default=5000, min=100, max=60000),
    },
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
    },
    optional=False,
)
