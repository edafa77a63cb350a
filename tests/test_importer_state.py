"""The importer's state is set in ``__init__`` (issue 20 item 1): the partial-import crash of issue 15
(``'_Importer' object has no attribute 'erased_newcomers'``) came from an attribute first set in a sheet method
that a subset of sheets skipped. Read with :mod:`ast`: every ``self.<name> =`` in any method has its name set in
``__init__`` too."""

from __future__ import annotations

import ast
from pathlib import Path

IMPORTER = Path(__file__).resolve().parent.parent / "samenhier" / "io" / "importer.py"


def assigned(function: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(function):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AugAssign | ast.AnnAssign)
            else []
        )
        for target in targets:
            for part in ast.walk(target):
                if (
                    isinstance(part, ast.Attribute)
                    and isinstance(part.value, ast.Name)
                    and part.value.id == "self"
                ):
                    names.add(part.attr)
    return names


def state_outside_init(source: str, class_name: str) -> dict[str, set[str]]:
    """Method → attributes it sets that ``__init__`` does not."""
    cls = next(n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == class_name)
    methods = {f.name: f for f in cls.body if isinstance(f, ast.FunctionDef)}
    in_init = assigned(methods["__init__"])
    return {name: extra for name, f in methods.items() if (extra := assigned(f) - in_init)}


def test_the_check_finds_an_attribute_set_only_in_a_method():
    source = "class _Importer:\n    def __init__(self):\n        self.a = 1\n    def sheet(self):\n        self.a = 2\n        self.b = 3\n"
    assert state_outside_init(source, "_Importer") == {"sheet": {"b"}}


def test_every_attribute_of_the_importer_is_set_in_init():
    assert state_outside_init(IMPORTER.read_text(encoding="utf-8"), "_Importer") == {}
