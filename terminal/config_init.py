"""Render a complete, valid, commented configuration from the schema.

>>> from terminal.config_init import render_config
>>> text = render_config("dropbox", state_dir="/tmp/db1", device_id="DBX-SHA-0001", sim=True)
>>> from terminal.schema import parse_config
>>> parse_config(text).role
'dropbox'
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from terminal.schema import TERMINAL
from terminal.settings_model import NO_VALUE, Section, Setting


def render_config(role: str, *, state_dir: str, device_id: str | None = None,
                  site: str | None = None, sim: bool = False) -> str:
    """A complete, commented TOML configuration for ``role`` ("kiosk" or "dropbox"), as text.

    ``state_dir`` is written as ``state_dir`` and fills ``{state_dir}`` in
    simulated paths; ``device_id`` and ``site`` replace the example values;
    ``sim=True`` writes every device as its simulator.  The result passes
    terminal.schema.parse_config.  Raises nothing for a known role; an unknown
    role gives a file the loader refuses.
    """
    top = {"role": role, "state_dir": state_dir}
    if device_id:
        top["device_id"] = device_id
    if site:
        top["site"] = site
    out: list[str] = [
        f"# service-terminals configuration for a {role} terminal.",
        "# Check it with: terminal config check --config THIS_FILE",
        "",
    ]
    tables: list[tuple[str, Section]] = []
    for key, spec in TERMINAL.settings.items():
        if isinstance(spec, Section):
            if spec.roles and role not in spec.roles:
                continue
            tables.append((key, spec))
            continue
        out += _render_setting(key, spec, top.get(key, NO_VALUE), sim, state_dir)
    for name, section in tables:
        out += _render_table(name, section, sim, state_dir)
    return "\n".join(out).rstrip() + "\n"


def _render_table(name: str, section: Section, sim: bool, state_dir: str) -> list[str]:
    lines = [""] + _comment(section.doc) + [f"[{name}]"]
    subtables = []
    for key, spec in section.settings.items():
        if isinstance(spec, Section):
            subtables.append((f"{name}.{key}", spec))
        else:
            lines += _render_setting(key, spec, NO_VALUE, sim, state_dir)
    for sub_name, sub in subtables:
        lines += _render_table(sub_name, sub, sim, state_dir)
    return lines


def _render_setting(key: str, spec: Setting, given: Any, sim: bool, state_dir: str) -> list[str]:
    note = spec.doc
    if spec.choices:
        note += " (" + " | ".join(_toml(c) for c in spec.choices) + ")"
    if spec.min is not None or spec.max is not None:
        note += f" [{_num(spec.min)}..{_num(spec.max)}]"
    if given is not NO_VALUE:
        value = given
    elif sim and spec.sim is not NO_VALUE:
        value = spec.sim
    elif not spec.required:
        value = spec.default
    elif spec.example is not NO_VALUE:
        value = spec.example
    else:
        raise ValueError(f"setting {key} is required but has no example to render")
    if isinstance(value, str):
        value = value.replace("{state_dir}", state_dir)
    return _comment(note) + [f"{key} = {_toml(value)}"]


def _num(value) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _comment(text: str) -> list[str]:
    return ["# " + line for line in textwrap.wrap(text, 86)]


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")
