"""No import circle in ``samenhier/`` (issue 20, item 1 and "Done when").

The test reads every module of the package with :mod:`ast` (nothing is imported) and builds the graph
"module A imports module B". Imports inside functions count too: a late import that closes a circle only
hides it (``io/workbook.py`` ↔ ``io/csv_files.py`` was such a one); the modules still depend on each other
and cannot be understood, tested or moved apart. Imports under ``if TYPE_CHECKING:`` do not count: they
never run. ``from package import name`` counts as importing ``package.name`` when that is a module, else
``package``.

A circle is a strongly connected component of that graph with more than one module (Tarjan's algorithm).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "samenhier"


def module_files(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package (``samenhier.io`` for its ``__init__.py``)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> dict[str, bool]:
    """The package's modules that ``name`` imports → True when only inside a function (or class body)."""
    is_package = path.name == "__init__.py"
    found: dict[str, bool] = {}

    def add(target: str, late: bool) -> None:
        if target in modules and target != name:
            found[target] = found.get(target, True) and late

    def visit(node: ast.AST, late: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for other in child.orelse:
                    visit_node(other, late)
                continue
            visit_node(child, late)

    def visit_node(node: ast.AST, late: bool) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name, late)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the module's package upwards
                parts = name.split(".") if is_package else name.split(".")[:-1]
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                add(full if full in modules else base, late)
        visit(
            node, late or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef)
        )

    visit(ast.parse(path.read_text(encoding="utf-8")), False)
    return found


def circles(graph: dict[str, dict[str, bool]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return sorted(found)


def describe(component: list[str], graph: dict[str, dict[str, bool]]) -> str:
    edges = [
        f"{a} -> {b}{' (inside a function)' if graph[a][b] else ''}"
        for a in component
        for b in sorted(graph[a])
        if b in component
    ]
    return "; ".join(edges)


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, bool]]:
    modules = module_files()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def test_the_walk_sees_top_level_late_and_relative_imports(tmp_path):
    package = tmp_path / "samenhier"
    (package / "io").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "io" / "__init__.py").write_text("")
    (package / "io" / "a.py").write_text("from samenhier.io import b\n")
    (package / "io" / "b.py").write_text("def f():\n    from . import c\n")
    (package / "io" / "c.py").write_text(
        "import samenhier.io.a\nfrom typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from samenhier import d\n"
    )
    (package / "d.py").write_text("from samenhier.io.a import something\n")
    modules = module_files(package)
    graph = {name: imports_of(name, path, modules) for name, path in modules.items()}
    assert graph["samenhier.io.a"] == {"samenhier.io.b": False}
    assert graph["samenhier.io.b"] == {"samenhier.io.c": True}
    assert graph["samenhier.io.c"] == {"samenhier.io.a": False}  # the TYPE_CHECKING import is left out
    assert graph["samenhier.d"] == {"samenhier.io.a": False}
    assert circles(graph) == [["samenhier.io.a", "samenhier.io.b", "samenhier.io.c"]]


def test_the_io_circle_is_gone(graph):
    assert "samenhier.io.workbook" not in graph["samenhier.io.csv_files"]
    assert not any("samenhier.io.csv_files" in c and "samenhier.io.workbook" in c for c in circles(graph))


def test_no_import_circle_at_all(graph):
    found = circles(graph)
    assert not found, "import circles: " + " | ".join(describe(c, graph) for c in found)


def private_imports(modules: dict[str, Path]) -> list[str]:
    """``module: from other import _name`` for every private name one module of the package takes from another."""
    found = []
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("samenhier"):
                found += [
                    f"{name}: from {node.module} import {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                ]
    return found


def test_the_private_import_check_sees_one(tmp_path):
    package = tmp_path / "samenhier"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def _helper():\n    pass\n")
    (package / "b.py").write_text("from samenhier.a import _helper\nfrom samenhier import a\n")
    assert private_imports(module_files(package)) == ["samenhier.b: from samenhier.a import _helper"]


def test_no_module_imports_another_ones_private_names():
    """Issue 20: "no private imports across modules" (a private name is free to change within its module)."""
    assert private_imports(module_files()) == []
