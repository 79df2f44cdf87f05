"""drivers/README.md, checked: every device package follows the one contract.

Each test names the package and the point of the contract it breaks, so a
newcomer who adds drivers/<device>/ sees exactly what is missing.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

import drivers
from drivers.base import Device
from drivers.errors import DeviceError
from terminal import TerminalError

DRIVERS = Path(drivers.__file__).parent
# package -> the Device part of <Device>Simulator (drivers/README.md's table)
PACKAGES = {"camera": "Camera", "gpio": "Gpio", "idcard": "IdCard", "printer": "Printer",
            "receipt": "Receipt", "sms": "Modem"}
DURATION = re.compile(r"timeout|interval|delay|duration|period|cooldown|cool_down|latency|wait|grace|minutes|hours"
                      r"|(^|_)ttl(_|$)", re.ASCII)


def test_the_table_lists_every_device_package():
    found = {p.name for p in DRIVERS.iterdir() if (p / "__init__.py").exists()}
    assert found == set(PACKAGES), "add the new package to drivers/README.md's table and to PACKAGES here"
    readme = (DRIVERS / "README.md").read_text()
    for package, device in PACKAGES.items():
        assert f"`open_{package}(section)` | `{device}Simulator`" in readme


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_one_factory(package):
    module = importlib.import_module(f"drivers.{package}")
    factory = getattr(module, f"open_{package}", None)
    assert callable(factory), f"drivers/{package}: export open_{package}(section) (contract point 1)"
    params = list(inspect.signature(factory).parameters.values())
    assert params and params[0].name == "section", f"open_{package}'s first argument is the config section"
    assert inspect.getdoc(factory), f"open_{package} needs a docstring (contract point 7)"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_one_simulator_in_sim_py(package):
    name = f"{PACKAGES[package]}Simulator"
    module = importlib.import_module(f"drivers.{package}")
    cls = getattr(module, name, None)
    assert inspect.isclass(cls), f"drivers/{package}: export {name} (contract point 2)"
    assert cls.__module__ == f"drivers.{package}.sim", f"{name} lives in drivers/{package}/sim.py"
    assert hasattr(cls, "__enter__") and hasattr(cls, "__exit__"), f"{name} is a context manager"
    others = [p.name for p in (DRIVERS / package).glob("*.py") if p.name in ("simulator.py", "simulated.py")]
    assert not others, f"drivers/{package}: simulators live in sim.py, not {others}"


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_init_is_one_shape(package):
    path = DRIVERS / package / "__init__.py"
    tree = ast.parse(path.read_text())
    doc = ast.get_docstring(tree) or ""
    assert ">>>" in doc, f"{path}: the docstring gives a runnable example (contract point 6)"
    allowed = (ast.ImportFrom, ast.Import, ast.If, ast.Expr, ast.Assign, ast.AnnAssign)
    names = set()
    for node in tree.body:
        assert isinstance(node, allowed), f"{path}:{node.lineno}: only imports, _EXPORTS, the lazy hooks and __all__"
        if isinstance(node, ast.If):  # if TYPE_CHECKING: imports only
            assert ast.unparse(node.test) == "TYPE_CHECKING", f"{path}:{node.lineno}: only 'if TYPE_CHECKING:'"
            assert all(isinstance(n, (ast.Import, ast.ImportFrom)) for n in node.body)
        if isinstance(node, ast.Assign):
            names |= {ast.unparse(t) for t in node.targets}
    assert {"_EXPORTS", "(__getattr__, __dir__)", "__all__"} <= names, \
        f"{path}: _EXPORTS, '__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)' and __all__ (contract point 6)"
    module = importlib.import_module(f"drivers.{package}")
    assert module.__all__ == sorted(module._EXPORTS), f"{path}: __all__ = sorted(_EXPORTS)"


def _modules():
    for path in sorted(DRIVERS.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield path, ast.parse(path.read_text())


def test_every_duration_ends_in_s():
    """Our own names only: an attribute set on a library's object (``port.timeout``) keeps the library's name."""
    offenders = []
    for path, tree in _modules():
        # A Section's renamed={old: (new, factor)} names the old spellings on purpose.
        old_names = {id(k.value) for k in ast.walk(tree) if isinstance(k, ast.keyword) and k.arg == "renamed"}
        for node in ast.walk(tree):
            names = []
            if id(node) in old_names:
                continue
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                names = [a.arg for a in node.args.args + node.args.kwonlyargs
                         if not (a.annotation is not None and ast.unparse(a.annotation) == "bool")]
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) \
                    and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                names = [node.attr]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names = [node.target.id]
            elif isinstance(node, ast.Dict):  # Setting tables in drivers/settings.py
                names = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
            for name in names:
                bare = name.lstrip("_")
                if bare.isidentifier() and bare.islower() and DURATION.search(bare) \
                        and not bare.endswith(("_s", "_ms")):
                    offenders.append(f"{path.relative_to(DRIVERS.parent)}:{node.lineno}: {name}")
    assert offenders == [], "durations end in _s (contract point 4):\n" + "\n".join(sorted(set(offenders)))


def test_errors_derive_from_device_error_with_a_docstring():
    offenders = []
    for path, tree in _modules():
        module = ".".join(path.relative_to(DRIVERS.parent).with_suffix("").parts)
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and any("Error" in ast.unparse(b) or "Exception" in ast.unparse(b)
                                                      for b in node.bases):
                cls = getattr(importlib.import_module(module), node.name)
                if not (issubclass(cls, DeviceError) or issubclass(cls, TerminalError)):
                    offenders.append(f"{module}.{node.name} does not derive from DeviceError")
                if not (cls.__doc__ or "").strip():
                    offenders.append(f"{module}.{node.name} has no docstring")
    assert offenders == [], "contract point 5:\n" + "\n".join(offenders)


def test_every_public_class_function_and_method_has_a_docstring():
    offenders = []
    for path, tree in _modules():
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                if not ast.get_docstring(node):
                    offenders.append(f"{path.relative_to(DRIVERS.parent)}:{node.lineno}: {node.name}")
                if isinstance(node, ast.ClassDef):
                    for item in node.body:
                        if isinstance(item, ast.FunctionDef) and not item.name.startswith("_") \
                                and not ast.get_docstring(item) and not _is_property_setter(item):
                            offenders.append(f"{path.relative_to(DRIVERS.parent)}:{item.lineno}: "
                                             f"{node.name}.{item.name}")
    assert offenders == [], "contract point 7:\n" + "\n".join(offenders)


def _is_property_setter(node: ast.FunctionDef) -> bool:
    return any(ast.unparse(d).endswith(".setter") for d in node.decorator_list)


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_device_classes_show_a_runnable_example(package):
    module = importlib.import_module(f"drivers.{package}")
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) and issubclass(obj, Device) and not inspect.isabstract(obj):
            doc = inspect.getdoc(obj) or ""
            if ">>>" not in doc:
                missing.append(name)
    assert missing == [], f"drivers/{package}: device classes need a doctest example (contract point 7): {missing}"
