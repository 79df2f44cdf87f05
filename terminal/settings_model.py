"""The configuration primitives: :class:`Setting` (one key) and :class:`Section` (a TOML table).

A leaf module: it imports nothing of ours, so every area's ``settings`` module
(drivers/settings.py, sync/settings.py) can build its sections from it, and
terminal.schema assembles them into the terminal's schema without a cycle.
terminal.config validates a file against any schema it is given.

    >>> level = Setting(str, "lowest level written", default="info", choices=("info", "error"))
    >>> level.required, Setting(int, "the baud rate").required
    (False, True)
    >>> Section("Logging", {"level": level}).settings["level"].default
    'info'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class _Sentinel:
    """A named marker value (printed by name in reprs and docs)."""

    def __init__(self, name: str):
        self._name = name

    def __repr__(self) -> str:
        return self._name


REQUIRED = _Sentinel("REQUIRED")  # a Setting's default when the key must be given
NO_VALUE = _Sentinel("NO_VALUE")  # no example / sim value


@dataclass(frozen=True)
class Setting:
    """One key: its type, documentation, default and allowed values.

    ``type`` is one of str, int, float, bool or list (with ``item_type``).
    ``default`` is :data:`REQUIRED` when the key must be given.  ``min`` and
    ``max`` bound a number (in the key's own unit, e.g. seconds for ``*_s``);
    ``choices`` lists the allowed values and ``pattern`` is a regular
    expression a string must match in full.  ``sim`` is the value
    ``terminal config init --sim`` writes; ``example`` is what it writes for a
    required setting that has no default.
    """

    type: type
    doc: str
    default: Any = REQUIRED
    choices: tuple | None = None
    min: float | None = None
    max: float | None = None
    item_type: type | None = None
    pattern: str | None = None
    example: Any = NO_VALUE
    sim: Any = NO_VALUE

    @property
    def required(self) -> bool:
        """True when the key has no default and a configuration file must give it."""
        return self.default is REQUIRED


@dataclass(frozen=True)
class Section:
    """A TOML table: documentation, its keys (:class:`Setting` or nested :class:`Section`), and rules.

    ``roles`` lists the roles that must have the table (empty: optional);
    ``optional=False`` makes it required for every terminal.  ``check`` is a
    cross-key rule (e.g. "no GPIO pin used twice"): it takes the validated
    values of the table and returns a list of (key, problem) pairs, empty when
    all is well.  ``renamed`` maps a key's old name to its new one and the
    factor between their units (``{"busy_timeout_ms": ("busy_timeout_s", 0.001)}``).
    """

    doc: str
    settings: dict[str, "Setting | Section"] = field(default_factory=dict)
    roles: tuple[str, ...] = ()
    optional: bool = True
    check: "Callable[[dict[str, Any]], list[tuple[str, str]]] | None" = None
    # Keys renamed in this release: old name -> (new name, factor from the old unit to the new one).
    # The old name keeps working for one release, with a deprecation note.
    renamed: dict[str, tuple[str, float]] = field(default_factory=dict)
