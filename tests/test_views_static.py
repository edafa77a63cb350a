"""Static checks of the page scripts in views/."""

import ast

from samenhier import PROJECT_ROOT


def test_no_page_has_a_bare_string_that_streamlit_would_print():
    # Streamlit's "magic" writes every bare expression of a page script to the page: a string literal after
    # the module docstring (e.g. a constant's docstring) would appear as stray text, untranslated.
    stray = []
    for path in sorted(PROJECT_ROOT.joinpath("views").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body[1:]:
            if (
                isinstance(node, ast.Expr)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                stray.append(f"{path.name}:{node.lineno}")
    assert stray == []


# -- user text reaches Markdown only through the one escape helper (issue 21.3) -------------------------

MARKDOWN_ELEMENTS = {
    "markdown",
    "write",
    "caption",
    "header",
    "subheader",
    "title",
    "success",
    "info",
    "warning",
    "error",
    "toast",
    "metric",
    "expander",
    "tabs",
    "button",
    "checkbox",
    "radio",
    "selectbox",
    "text_input",
    "text_area",
    "number_input",
    "date_input",
    "form_submit_button",
    "download_button",
    "popover",
}
"""Streamlit elements whose text (body, label or help) is read as Markdown."""
TRANSLATE = {"t"}
"""``ui.t(key, **params)``: its parameters land in Markdown with the translated sentence (unless it goes
straight into a plain-text element, :data:`PLAIN_TEXT`)."""
PLAIN_TEXT = {"text", "code", "json"}
"""Streamlit elements that show their argument as plain text."""
USER_FIELDS = {
    "name",
    "first_name",
    "last_name",
    "newcomer",
    "newcomer_name",
    "group_name",
    "member_name",
    "note",
    "notes",
    "text",
    "author",
    "username",
    "languages",
    "shared_languages",
    "email",
    "phone",
    "end_reason",
    "reason",
    "country_of_origin",
    "groups",
    "user",
    "file",
    "filename",
}
"""Fields and variables that hold text a person typed or a file brought in."""
ESCAPES = {"md", "user_text"}
"""The escape helper (``ui.md`` is its Markdown form) and calls whose result is not user text."""
SAFE_CALLS = ESCAPES | {"label", "fmt_date", "format_number", "format_date", "len", "int", "number"}
NOT_USER_TEXT = {("block", "text")}
"""``name.field`` that holds no user text: the year report's content blocks (samenhier/reports/content.py),
made from translations and figures only."""


def _user_data_outside_escape(node: ast.AST, inside_escape: bool = False) -> list[ast.AST]:
    """Expressions under ``node`` that read a user field and are not inside an escape (or a vocabulary label)."""
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        inside_escape = inside_escape or name in SAFE_CALLS
    found = []
    if not inside_escape:
        if (
            isinstance(node, ast.Subscript)
            and isinstance(node.slice, ast.Constant)
            and node.slice.value in USER_FIELDS
        ):
            return [node]
        if (
            isinstance(node, ast.Attribute)
            and node.attr in USER_FIELDS
            and not isinstance(node.ctx, ast.Store)
            and (getattr(node.value, "id", None), node.attr) not in NOT_USER_TEXT
        ):
            return [node]
        if isinstance(node, ast.Name) and node.id in USER_FIELDS:
            return [node]
    for child in ast.iter_child_nodes(node):
        if isinstance(node, ast.Call) and child is node.func:
            continue
        found += _user_data_outside_escape(child, inside_escape)
    return found


def _unescaped_user_text(path) -> list[str]:
    source = path.read_text(encoding="utf-8")
    offenders = []
    tree = ast.parse(source)
    plain = {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in PLAIN_TEXT
        for arg in node.args
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or id(node) in plain:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        if not (name in TRANSLATE or (name in MARKDOWN_ELEMENTS and isinstance(node.func, ast.Attribute))):
            continue
        arguments = [
            *node.args,
            *(
                k.value
                for k in node.keywords
                if k.arg
                not in ("key", "format_func", "options", "on_click", "data", "file_name", "mime", "value")
            ),
        ]
        if name in TRANSLATE:
            arguments = [k.value for k in node.keywords]
        elif name == "selectbox" or name == "radio":
            arguments = node.args[:1] + [
                k.value for k in node.keywords if k.arg in ("label", "help", "placeholder")
            ]
        for argument in arguments:
            for bad in _user_data_outside_escape(argument):
                offenders.append(f"{path.name}:{bad.lineno} {ast.get_source_segment(source, node)[:90]}")
    return offenders


def test_user_text_reaches_markdown_only_through_the_escape_helper():
    files = [
        *sorted(PROJECT_ROOT.joinpath("views").glob("*.py")),
        PROJECT_ROOT / "app.py",
        *(
            PROJECT_ROOT / "samenhier" / name
            for name in ("widgets.py", "admin.py", "admin_records.py", "ui_login.py")
        ),
    ]
    offenders = [line for path in files for line in _unescaped_user_text(path)]
    assert offenders == []


def test_the_escape_check_finds_what_it_should():
    import textwrap

    def check(code: str) -> list[str]:
        tree = ast.parse(textwrap.dedent(code))
        return [
            bad
            for node in ast.walk(tree)
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in MARKDOWN_ELEMENTS | TRANSLATE
            for argument in [*node.args, *(k.value for k in node.keywords)]
            for bad in _user_data_outside_escape(argument)
        ]

    assert check('st.header(row["name"])') and check("head.markdown(f'{note.author}')")
    assert check('ui.t("x", name=person["name"])') and check(
        'st.caption(" · ".join([code, row["newcomer"]]))'
    )
    assert not check('st.header(ui.md(row["name"]))') and not check(
        'st.caption(i18n.label("s", row["status"]))'
    )
    assert not check('ui.t("x", name=ui.md(f"{row.code} {row.newcomer_name}"))')


def _multiselects_offering_select_all(source: str) -> list[int]:
    """Lines of ``multiselect(...)`` calls without ``select_all=False``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "multiselect"
            and not any(
                k.arg == "select_all" and isinstance(k.value, ast.Constant) and k.value.value is False
                for k in node.keywords
            )
        ):
            found.append(node.lineno)
    return found


def test_no_multiselect_offers_streamlits_english_select_all():
    """Streamlit's "Select all" option has no translation (a newcomer found it on a Dutch Enquêtes page)."""
    files = [*(PROJECT_ROOT / "views").glob("*.py"), *(PROJECT_ROOT / "samenhier").rglob("*.py")]
    offending = [
        f"{f.name}:{line}" for f in files for line in _multiselects_offering_select_all(f.read_text())
    ]
    assert not offending, offending


def test_the_select_all_check_finds_what_it_should():
    assert _multiselects_offering_select_all(
        "st.multiselect('a', [1])\nx.multiselect('b', [2], select_all=False)"
    ) == [1]
