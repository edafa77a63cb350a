"""Static checks of the page scripts in views/."""

import ast

from samenhier import PROJECT_ROOT


def test_no_page_has_a_bare_string_that_streamlit_would_print():
    # Streamlit's "magic" writes every bare expression of a page script to the page: a string literal after
    # the module docstring (e.g. a constant's docstring) would appear as stray text, untranslated.
    stray = []
    for path in sorted(PROJECT_ROOT.joinpath("views").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body[1:]:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                stray.append(f"{path.name}:{node.lineno}")
    assert stray == []
