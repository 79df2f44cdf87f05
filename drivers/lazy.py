"""Lazy re-exports for device packages, so ``terminal`` starts without loading every library.

``from drivers.camera import Camera`` still works, but OpenCV and NumPy load only
when a camera is used, not when ``terminal sync run`` parses its command line.

>>> from drivers.lazy import lazy_exports
>>> __getattr__, __dir__ = lazy_exports("json", {"dumps": "json"})
>>> __getattr__("dumps")([1])
'[1]'
"""

from __future__ import annotations

import importlib
import sys


def lazy_exports(package: str, exports: dict[str, str]):
    """``(__getattr__, __dir__)`` for ``package`` that import each name from its module on first use.

    ``exports`` maps a public name to the module that defines it.  The
    ``__getattr__`` raises :class:`AttributeError` for a name not in it, and
    whatever importing the module raises (``ImportError`` for a library not
    installed) on first use of a name.
    """

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # cache: later lookups are plain attributes
        return value

    def __dir__() -> list[str]:
        return sorted(set(exports) | set(vars(sys.modules[package])))

    return __getattr__, __dir__
