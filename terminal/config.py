"""One TOML file per terminal, validated against an explicit schema before anything starts.

The schema is made of :class:`~terminal.settings_model.Section` and
:class:`~terminal.settings_model.Setting` objects; terminal.schema assembles
the terminal's and reads its file with ``terminal.schema.load_config``.  This
module validates against whatever schema it is given and returns a
:class:`Config`, a read-only tree with attribute access::

    >>> from terminal.schema import load_config
    >>> cfg = load_config("config/kiosk.toml")      # doctest: +SKIP
    >>> cfg.role, cfg.idcard.backend                 # doctest: +SKIP
    ('kiosk', 'sim')

Every problem is reported at once, each naming the file, the dotted key and,
where the file shows it, the line: ``kiosk.toml:12: idcard.baud: expected an
integer, got 'fast'``.  The ``terminal`` command exits 2 on any of them.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from terminal import TerminalError
from terminal.settings_model import Section, Setting
from terminal.textfile import TextFileError, read_text

DEFAULT_PATH = Path("/etc/service-terminals/terminal.toml")
ENV_VAR = "TERMINAL_CONFIG"

class ConfigError(TerminalError):
    """The configuration file is missing, malformed or invalid (exit code 2)."""

    exit_code = 2

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class Config(Mapping):
    """A validated, read-only configuration tree with attribute access."""

    def __init__(self, values: dict[str, Any], *, path: Path | None = None, name: str = "",
                 deprecations: tuple[str, ...] = ()):
        self._values = values
        self._path = path
        self._name = name
        self._deprecations = deprecations

    @property
    def deprecations(self) -> tuple[str, ...]:
        """Notes on old spellings the file still uses ("t.toml:7: store.busy_timeout_ms is now ..."), or ()."""
        return self._deprecations

    @property
    def source(self) -> Path | None:
        """The file this configuration was read from (None when built in code)."""
        return self._path

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            where = f"{self._name}." if self._name else ""
            raise AttributeError(f"configuration has no setting {where}{key}") from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Config({self._values!r})"

    def to_dict(self) -> dict[str, Any]:
        """The tree as plain nested dicts (lists stay tuples), e.g. for JSON output or comparing two files."""
        return {k: v.to_dict() if isinstance(v, Config) else v for k, v in self._values.items()}


def resolve_path(explicit: str | os.PathLike | None = None) -> Path:
    """The config file to use: ``--config``, else ``$TERMINAL_CONFIG``, else the system path."""
    if explicit:
        return Path(explicit)
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    return DEFAULT_PATH


def read_config(path: str | os.PathLike | None, *, schema: Section) -> Config:
    """Read the TOML file at ``path`` (None: :func:`resolve_path`) and validate it against ``schema``.

    Returns the read-only :class:`Config`.  Raises :class:`ConfigError` listing
    every problem: file missing or unreadable, not UTF-8, malformed TOML,
    unknown or missing keys, values of the wrong type or out of range.  The
    terminal's own file is read with ``terminal.schema.load_config``.
    """
    path = resolve_path(path)
    try:
        text = read_text(path)  # a leading BOM is dropped; other encodings are named with line and fix
    except TextFileError as exc:
        raise ConfigError(str(exc)) from None
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found; create one with "
            f"'terminal config init --role kiosk --state-dir DIR > {path}' "
            f"or name another with --config or ${ENV_VAR}"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read configuration: {exc.strerror or exc}") from None
    return validate_config(text, schema=schema, path=path)


def validate_config(text: str, *, schema: Section, path: Path | str = "<config>") -> Config:
    """Validate TOML ``text`` against ``schema``; ``path`` only names the source in messages.

    Returns the read-only :class:`Config`; raises :class:`ConfigError` listing every problem
    (see :func:`read_config`).

    >>> from terminal.settings_model import Section, Setting
    >>> schema = Section("demo", {"baud": Setting(int, "serial speed", default=9600, min=1200)})
    >>> validate_config("baud = 115200", schema=schema).baud
    115200
    >>> validate_config("baud = 300", schema=schema, path="t.toml")
    Traceback (most recent call last):
    ...
    terminal.config.ConfigError: t.toml:1: baud: 300 is below the minimum 1200
    """
    path = Path(path)
    text = text.removeprefix("\ufeff")  # a BOM that reached us as text (Notepad, PowerShell)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(path, exc, text)) from None
    lines = _key_lines(text)
    problems: list[str] = []
    notes: list[str] = []
    role = raw.get("role") if isinstance(raw.get("role"), str) else None
    values = _validate_section(schema, raw, (), role, path, lines, problems, notes)
    if problems:
        raise ConfigError(problems)
    config = _freeze(values, path, "")
    config._deprecations = tuple(notes)
    return config


# A digit that is not 0-9 (full-width １, Arabic-Indic ١, ...): TOML numbers are ASCII only.
_OTHER_DIGIT = re.compile(r"(?![0-9])\d")


def _toml_error(path: Path, exc: tomllib.TOMLDecodeError, text: str = "") -> str:
    msg = str(exc)
    m = re.search(r"\(at line ([0-9]+), column ([0-9]+)\)", msg)
    if m:
        msg = msg[: m.start()].strip()
        lines = text.splitlines()
        number = int(m.group(1))
        line = lines[number - 1] if 0 < number <= len(lines) else ""
        odd = _OTHER_DIGIT.search(line) or re.search("[\u00b2\u00b3\u00b9\u2070-\u2079]", line)
        if odd:
            msg += f"; numbers are written with the digits 0-9 (this line has {odd.group()!r})"
        return f"{path}:{m.group(1)}: malformed TOML (column {m.group(2)}): {msg}"
    return f"{path}: malformed TOML: {msg}"


def _key_lines(text: str) -> dict[str, int]:
    """Map dotted keys and table names to the line that sets them (first wins)."""
    lines: dict[str, int] = {}
    table: tuple[str, ...] = ()
    header = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-\s\"]+?)\s*\]\s*(#.*)?$")
    assign = re.compile(r"^\s*([A-Za-z0-9_\-\"][A-Za-z0-9_.\-\"\s]*?)\s*=")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("[["):
            continue
        if m := header.match(line):
            table = tuple(part.strip().strip('"') for part in m.group(1).split("."))
            lines.setdefault(".".join(table), number)
        elif m := assign.match(line):
            key = tuple(part.strip().strip('"') for part in m.group(1).split("."))
            lines.setdefault(".".join(table + key), number)
    return lines


def _where(path: Path, lines: dict[str, int], dotted: str) -> str:
    # Fall back to the nearest enclosing table that has a line.
    probe = dotted
    while probe:
        if probe in lines:
            return f"{path}:{lines[probe]}"
        probe = probe.rpartition(".")[0]
    return f"{path}"


def _validate_section(
    section: Section,
    raw: dict[str, Any],
    prefix: tuple[str, ...],
    role: str | None,
    path: Path,
    lines: dict[str, int],
    problems: list[str],
    notes: list[str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    before = len(problems)
    notes = [] if notes is None else notes
    raw = _renamed(section, raw, prefix, path, lines, problems, notes)
    for key in raw:
        if key not in section.settings:
            dotted = ".".join(prefix + (key,))
            known = ", ".join(sorted(section.settings)) or "none"
            problems.append(f"{_where(path, lines, dotted)}: {dotted}: unknown key (known here: {known})")
    for key, spec in section.settings.items():
        dotted = ".".join(prefix + (key,))
        if isinstance(spec, Section):
            present = key in raw
            if not present:
                if (role in spec.roles or not spec.optional) and not _all_defaulted(spec):
                    who = f"role '{role}'" if role in spec.roles else "every terminal"
                    problems.append(f"{path}: [{dotted}]: missing section, required for {who}")
                    continue
                if spec.roles and role not in spec.roles:
                    continue  # another role's table: not configured here
                if spec.optional and not _all_defaulted(spec) and role not in spec.roles:
                    continue  # absent optional device: not configured
            sub = raw.get(key, {})
            if not isinstance(sub, dict):
                problems.append(f"{_where(path, lines, dotted)}: {dotted}: expected a table [{dotted}]")
                continue
            out[key] = _validate_section(spec, sub, prefix + (key,), role, path, lines, problems, notes)
            continue
        if key not in raw:
            if spec.required:
                problems.append(f"{_where(path, lines, '.'.join(prefix))}: {dotted}: missing required key ({spec.doc})")
            else:
                out[key] = spec.default
            continue
        value, error = _check_value(spec, raw[key])
        if error:
            problems.append(f"{_where(path, lines, dotted)}: {dotted}: {error}")
        else:
            out[key] = value
    if section.check is not None and len(problems) == before:
        for key, problem in section.check(out):
            dotted = ".".join(prefix + (key,))
            problems.append(f"{_where(path, lines, dotted)}: {dotted}: {problem}")
    return out


def _renamed(section: Section, raw: dict[str, Any], prefix: tuple[str, ...], path: Path,
             lines: dict[str, int], problems: list[str], notes: list[str]) -> dict[str, Any]:
    """``raw`` with each old key of this release moved to its new name and unit (one release only)."""
    if not section.renamed or not any(old in raw for old in section.renamed):
        return raw
    raw = dict(raw)
    for old, (new, factor) in section.renamed.items():
        if old not in raw:
            continue
        where = _where(path, lines, ".".join(prefix + (old,)))
        dotted_old, dotted_new = ".".join(prefix + (old,)), ".".join(prefix + (new,))
        if new in raw:
            problems.append(f"{where}: {dotted_old}: give only {dotted_new} (the old name of the same setting)")
            raw.pop(old)
            continue
        value = raw.pop(old)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = round(value * factor, 6)
            if float(value).is_integer() and isinstance(section.settings[new], Setting) \
                    and section.settings[new].type is int:
                value = int(value)
        raw[new] = value
        notes.append(f"{where}: {dotted_old} is deprecated and will be refused in the next release; "
                     f"write {new} = {_show(value)}")
    return raw


def _all_defaulted(section: Section) -> bool:
    """True when a section can be materialised from defaults alone."""
    return all(
        _all_defaulted(s) if isinstance(s, Section) else not s.required for s in section.settings.values()
    )


_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "a list"}


def _check_value(spec: Setting, value: Any) -> tuple[Any, str | None]:
    ok, value = _coerce(spec.type, value)
    if not ok:
        return None, f"expected {_TYPE_NAMES[spec.type]}, got {_show(value)}"
    if spec.type is float and not math.isfinite(value):
        # TOML allows nan and inf; every range check is false for nan, so refuse them by name.
        return None, f"expected a finite number, got {value}"
    if spec.type is list and spec.item_type is not None:
        items = []
        for i, item in enumerate(value):
            ok, item = _coerce(spec.item_type, item)
            if not ok:
                return None, f"item {i}: expected {_TYPE_NAMES[spec.item_type]}, got {_show(item)}"
            items.append(item)
        value = tuple(items)
    if spec.choices is not None and value not in spec.choices:
        options = " | ".join(repr(c) if isinstance(c, str) else str(c) for c in spec.choices)
        return None, f"{_show(value)} is not one of {options}"
    if spec.min is not None and value < spec.min:
        return None, f"{value} is below the minimum {spec.min}"
    if spec.max is not None and value > spec.max:
        return None, f"{value} is above the maximum {spec.max}"
    if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        return None, f"{_show(value)} does not match the form {spec.pattern}"
    return value, None


def _coerce(kind: type, value: Any) -> tuple[bool, Any]:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return True, float(value)
    if kind in (int, float) and isinstance(value, bool):
        return False, value
    if kind is list:
        return isinstance(value, list), value
    return isinstance(value, kind), value


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    return repr(value)


def _freeze(values: dict[str, Any], path: Path, name: str) -> Config:
    frozen = {
        k: _freeze(v, path, f"{name}.{k}" if name else k) if isinstance(v, dict) else v
        for k, v in values.items()
    }
    return Config(frozen, path=path, name=name)
