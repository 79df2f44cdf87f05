"""The shape of the code base: no import cycles, the dependency direction, one name per meaning.

The import graph is read from the source (every ``import`` and ``from``,
function-level ones included, since hiding an import in a function hides the
cycle too).  ../shared/design/architecture.md gives the direction.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("terminal", "drivers", "sync", "kiosk", "dropbox", "ui", "images")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The module of ours that an imported name lands in (a package's __init__ counts as the package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def import_graph(*, top_level_only: bool = False) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text())
        is_package = path.name == "__init__.py"
        nodes = tree.body if top_level_only else ast.walk(tree)
        for node in nodes:
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = module.split(".")
                    anchor = anchor if is_package else anchor[:-1]
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names] + [base]
            for target in targets:
                hit = _resolve(target)
                if hit and hit != module and not module.startswith(hit + "."):  # a package's own parent
                    graph[module].add(hit)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles_between_our_modules():
    cycles = _cycles(import_graph())
    assert cycles == [], "import cycles (function-level imports count):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


FORBIDDEN = [
    ("drivers", ("kiosk", "dropbox", "sync", "ui")),
    ("kiosk", ("ui",)),
    ("sync", ("drivers", "ui", "kiosk", "dropbox")),
]


def test_dependency_direction():
    wrong = []
    for module, targets in import_graph().items():
        top = module.split(".")[0]
        for source, never in FORBIDDEN:
            if top == source:
                wrong += [f"{module} -> {t}" for t in targets if t.split(".")[0] in never]
        device_side = top in ("sync", "terminal", "kiosk", "dropbox") and not module.startswith("sync.central")
        if device_side and top != "terminal":
            wrong += [f"{module} -> {t}" for t in targets if t.startswith("sync.central")]
    assert wrong == [], "architecture.md's dependency direction:\n" + "\n".join(sorted(wrong))


def _our_classes():
    for module in MODULES:
        if module.endswith("__main__"):
            continue  # running it is what importing it does
        mod = importlib.import_module(module)
        for name, obj in vars(mod).items():
            if inspect.isclass(obj) and obj.__module__ == module:
                yield module, name, obj


def test_every_exception_of_ours_derives_from_terminal_error_with_a_docstring():
    from terminal import TerminalError

    wrong = []
    for module, name, cls in _our_classes():
        if issubclass(cls, BaseException) and not name.startswith("_"):
            if not issubclass(cls, TerminalError):
                wrong.append(f"{module}.{name} derives from {cls.__mro__[1].__name__}, not TerminalError")
            doc = (cls.__doc__ or "").strip()
            if not doc:
                wrong.append(f"{module}.{name} has no docstring")
    assert wrong == [], "\n".join(wrong)


def test_one_name_one_meaning():
    seen = defaultdict(list)
    trailing = []
    for module, name, _ in _our_classes():
        if not name.startswith("_"):
            seen[name].append(module)
        if name.endswith("_"):
            trailing.append(f"{module}.{name}")
    twice = {name: modules for name, modules in seen.items() if len(modules) > 1}
    assert trailing == [], f"no trailing underscores: {trailing}"
    assert twice == {}, f"two classes with one name: {twice}"
