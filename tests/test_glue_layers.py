"""The Streamlit glue is one-way (issue 20 item 1): each job in its own module, and no module of the glue
imports one that imports it back, not even inside a function (where a circle hides)."""

from __future__ import annotations

import ast

from samenhier import PROJECT_ROOT

GLUE = [
    "ui_cache",
    "ui_language",
    "ui_login",
    "ui_session",
    "ui",
    "widgets",
    "feedback",
    "actions",
    "forms",
    "current_group",
    "admin",
    "admin_records",
]
"""The modules of the Streamlit glue, lowest layer first: each may import only modules before it."""


def _imports(module: str) -> set[str]:
    """The glue modules that ``samenhier/<module>.py`` imports anywhere (top level or inside a function)."""
    tree = ast.parse((PROJECT_ROOT / "samenhier" / f"{module}.py").read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "samenhier":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("samenhier."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {alias.name.split(".")[1] for alias in node.names if alias.name.startswith("samenhier.")}
    return found & set(GLUE)


def test_each_glue_module_imports_only_lower_layers():
    upward = [
        f"{module} imports {other}"
        for position, module in enumerate(GLUE)
        for other in sorted(_imports(module))
        if GLUE.index(other) >= position
    ]
    assert upward == []


def test_the_check_sees_imports_inside_functions():
    assert "actions" in _imports("current_group") and "ui_login" in _imports("ui_session")
    assert _imports("ui_language") == {"ui_cache"} and _imports("ui_cache") == set()
