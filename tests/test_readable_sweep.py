"""Readable everywhere (issue 14, item 6): every page × role × language on the shared workbook shows no raw
``None``/``nan``/``NaT``/``True``/``False``, no i18n key or stored code word, and none of the texts the issue
lists ("1 personen", "3.3" in Dutch, "u"/"uw", the setting name ``SAMENHIER_…``).

The sweep walks everything AppTest sees of a page: headings, texts, alerts, metric labels and values,
widget labels, options, placeholders and help, tab and expander labels, every table cell and column
header, and the legend names and axis titles of the charts. What counts as "raw" is decided here,
from the catalogs and the model's vocabularies, not by the code under test.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pandas as pd
import pytest
from apptest_helpers import APP, login_session, set_account_language
from babel.messages.pofile import read_po
from google.protobuf.json_format import MessageToDict
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from samenhier import i18n, models, pages
from samenhier.services.users import create_user

PAGES = [p.path for p in pages.pages_for(models.UserRole.COORDINATOR)]
"""Every page a coordinator has, from the page registry (a new page is swept without editing this file)."""
COORDINATOR_ONLY = {p.path for p in pages.PAGES if models.UserRole.COMMUNITY_BUILDER not in p.roles}
BUILDER = "Samira Benali"  # guides groups in Den Haag in the workbook
GROUP = "0518-019"  # one of her groups, for the group page

SECTION_MODELS = {
    "groups": models.WelcomeGroup,
    "members": models.Member,
    "newcomers": models.Newcomer,
    "builders": models.CommunityBuilder,
    "users": models.UserAccount,
    "milestones": models.Milestone,
}
RAW_WORDS = re.compile(r"(?<![\w.-])(None|nan|NaN|NaT|True|False|<NA>)(?![\w-])")
DOT_DECIMAL = re.compile(r"(?<![\w.,:/-])\d+\.\d{1,2}(?![\w.%])")  # "3.3" — in Dutch that is "3,3"
FORMAL = re.compile(r"(?<![\w'-])(u|uw|U|Uw)(?![\w'-])")
WRONG_PLURAL = re.compile(
    r"(?<![\d.,])1 (personen|groepen|leden|nieuwkomers|bijeenkomsten|dagen|weken|maanden)\b|"
    r"(?<![\d.,])1 (people|groups|members|newcomers|meetings|days|weeks|months)\b"
)
LEAKS = ("SAMENHIER_", "inzage-export", "subject access export")
"""Texts the issue lists; the export words may only name a subject access export (audit and privacy pages)."""


def _catalog_keys() -> set[str]:
    with i18n.catalog_path("nl").open("rb") as po:
        return {m.id for m in read_po(po) if m.id}


KEYS = _catalog_keys()
SNAKE_CODES = {
    "group_status",
    "status_change",
    "match_propose",
    "match_accept",
    "match_decline",
    "match_complete",
    "match_stop",
    "newcomer_matched",
    "login_failed",
    "password_reset",
    "welcome_group",
    "user_account",
    "community_builder_id",
    "group_id",
    "newcomer_id",
    "member_id",
    "progress_note",
    "survey_response",
    "community_builder",
    "days_since_meeting",
    "last_meeting",
    "start_date",
    "municipality_id",
}
"""Stored code words (audit actions, table and field names) that must never reach the screen as such."""


def _vocabulary_codes(lang: str) -> set[str]:
    """Stored vocabulary words whose text in ``lang`` differs from the word (``wacht`` is not shown in English)."""
    codes = set()
    for prefix, enum in (
        ("group_status", models.GroupStatus),
        ("newcomer_status", models.NewcomerStatus),
        ("match_status", models.MatchStatus),
        ("meeting_kind", models.MeetingKind),
        ("wave", models.Wave),
        ("user_role", models.UserRole),
        ("variant", models.Variant),
        ("member_role", models.MemberRole),
    ):
        for member in enum:
            text = i18n.t(f"{prefix}.{member.value}", lang)
            if text.lower() != member.value.lower():
                codes.add(member.value)
    return codes


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


TEXT_FIELDS = {
    "label",
    "body",
    "placeholder",
    "help",
    "options",
    "value",
    "default",
    "text",
    "caption",
    "title",
    "delta",
    "ticktext",
    "name",
}


def _walk(node) -> Iterator[tuple[str, str]]:
    """(where, text) for every text the node and its children show (tables and charts apart)."""
    proto = getattr(node, "proto", None)
    kind = getattr(node, "type", "?")
    if proto is not None and kind not in ("dataframe", "arrow_data_frame", "plotly_chart"):
        data = MessageToDict(proto, preserving_proto_field_name=True)
        data.pop("id", None)
        for field, value in _flatten(data):
            if field in TEXT_FIELDS:
                for text in _strings(value):
                    yield f"{kind}.{field}", text
    for child in getattr(node, "children", {}).values():
        yield from _walk(child)


def _flatten(data: dict) -> Iterator[tuple[str, object]]:
    for key, value in data.items():
        if isinstance(value, dict) and key not in TEXT_FIELDS:
            yield from _flatten(value)
        else:
            yield key, value


def _tables(at) -> Iterator[tuple[str, str, bool, object]]:
    """(table, column, shows_missing_as_none, cell) of every shown dataframe cell; each shown header too.

    Streamlit writes "None" in every cell of a missing value unless the table sets ``placeholder``."""
    for index, table in enumerate(at.dataframe):
        frame: pd.DataFrame = table.value
        config = json.loads(table.proto.columns or "{}")
        order = list(table.proto.column_order)
        raw_missing = table.proto.placeholder in ("", "None", "nan", "NaN", "null")
        for column in frame.columns:
            settings = config.get(f"name:{column}") or config.get(str(column)) or {}
            if settings.get("hidden") or (order and str(column) not in order):
                continue
            yield f"table {index}", f"header of {column}", False, settings.get("label") or str(column)
            for cell in frame[column].tolist():
                yield f"table {index}", str(column), raw_missing, cell


def _chart_texts(at) -> Iterator[str]:
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        for trace in spec.get("data", []):
            if trace.get("showlegend", True) and trace.get("name"):
                yield str(trace["name"])
        for key, axis in spec.get("layout", {}).items():
            if key.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
                title = axis.get("title")
                yield from _strings(title.get("text") if isinstance(title, dict) else title)


def _missing(cell) -> bool:
    try:
        return bool(pd.isna(cell))
    except (TypeError, ValueError):
        return False


def problems(at, lang: str, *, page: str) -> list[str]:
    """Everything raw the page shows, as readable complaints (empty when the page is clean)."""
    found = []
    codes = _vocabulary_codes(lang)

    def check_text(where: str, text: str) -> None:
        if not text:
            return
        if RAW_WORDS.search(text):
            found.append(f"{where}: raw value in {text!r}")
        if text.strip() in KEYS or any(
            word in KEYS for word in re.findall(r"[a-z_]+(?:\.[a-z_0-9]+)+", text)
        ):
            found.append(f"{where}: i18n key in {text!r}")
        if any(word in SNAKE_CODES for word in re.findall(r"[a-z]+(?:_[a-z]+)+", text)):
            found.append(f"{where}: code word in {text!r}")
        for leak in LEAKS:
            if leak in text and not (page in ("views/audit.py", "views/privacy.py") and leak != "SAMENHIER_"):
                found.append(f"{where}: {leak!r} in {text!r}")
        if WRONG_PLURAL.search(text):
            found.append(f"{where}: wrong plural in {text!r}")
        if lang == "nl":
            if FORMAL.search(text):
                found.append(f"{where}: 'u' instead of 'je' in {text!r}")
            if DOT_DECIMAL.search(text):
                found.append(f"{where}: decimal point in {text!r}")

    for where, text in _walk(at._tree):
        check_text(where, text)
    for widget in [*at.multiselect, *at.selectbox]:
        # Without one, the browser shows Streamlit's English "Choose options" / "Choose an option".
        unselected = (
            widget.type == "multiselect" or not widget.proto.HasField("default") or not widget.proto.options
        )
        if not widget.proto.placeholder.strip() and unselected:
            found.append(f"{widget.type} {widget.label!r}: no placeholder in the user's language")
    for text in _chart_texts(at):
        check_text("chart", text)
    for table, column, raw_missing, cell in _tables(at):
        where = f"{table} [{column}]"
        if isinstance(cell, bool):
            found.append(f"{where}: boolean {cell!r}")
        elif isinstance(cell, str):
            if cell.strip() in codes:
                found.append(f"{where}: stored code word {cell!r}")
            check_text(where, cell)
        elif raw_missing and _missing(cell):
            found.append(
                f"{where}: missing value {cell!r} in a table without a placeholder (shows as 'None')"
            )
    return found


@pytest.fixture
def app_store(workbook_engine):
    coordinator = create_user(workbook_engine, "coco", "een lang wachtwoord", "coordinator")
    builder = create_user(
        workbook_engine, "samira", "een lang wachtwoord", "community_builder", community_builder=BUILDER
    )
    return {"coordinator": coordinator, "community_builder": builder}


TABS = {
    "views/data.py": ("import", "export", "backup"),
    "views/matching.py": ("queue", "suggestions", "matches", "funnel"),
    "views/meetings.py": ("year", "cadence", "log", "edit"),
    "views/privacy.py": ("person", "retention"),
    "views/surveys.py": ("response", "waves", "paired", "end", "entry"),
}
"""The ``?tab=`` slugs of the pages with tabs (samenhier.actions.tabs): only the open tab runs, so each is swept
on its own (a default run showed the first tab only, and the raw "None" of issue 14's leftovers hid in another)."""


def _states(page: str, engine) -> Iterator[tuple[str, dict]]:
    """(name, session state to start with) of the page as first shown, and of its other sections and
    views that a default run does not show. Each state is a fresh run: AppTest cannot rerun a page whose
    selectbox shows translated options (it looks the stored value up among the labels)."""
    yield "default", {}
    if page == "views/manage.py":
        for section, model in SECTION_MODELS.items():
            yield section, {"manage_section": section}
            with Session(
                engine
            ) as session:  # the first record open: its form and its history in the audit trail
                first = session.exec(select(model.id).order_by(model.id)).first()
            if first is not None:
                yield f"{section}, first record", {"manage_section": section, f"manage_{section}_open": first}
    if page == "views/meetings.py":
        yield "programme year", {"meetings_view": "programme"}
    for slug in TABS.get(page, ())[1:]:  # the first tab is the default view
        yield f"tab {slug}", {"?tab": slug}


def _run(scope, lang: str, page: str, state: dict) -> AppTest:
    # Logged in through a real session (a scope in session state alone opens nothing: the sweep then saw only
    # the login form of every page), in the account's language.
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["session_token"] = login_session(scope)
    set_account_language(scope.username, lang)
    if page == "views/group.py":
        at.query_params["group"] = GROUP
    at.run()
    assert "session_token" in at.session_state and at.session_state["scope"] == scope, (
        "the sweep is not logged in"
    )
    at.switch_page(page)
    for key, value in state.items():
        if key == "?tab":
            at.query_params["tab"] = value
        else:
            at.session_state[key] = value
    return at.run()


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("role", ["coordinator", "community_builder"])
def test_every_page_reads_as_text_for_people(app_store, workbook_engine, role, lang):
    complaints = []
    for page in PAGES:
        if role == "community_builder" and page in COORDINATOR_ONLY:
            continue
        for state, preset in _states(page, workbook_engine):
            at = _run(app_store[role], lang, page, preset)
            assert not at.exception, (page, state, [e.value for e in at.exception])
            complaints += [f"{page} ({state}): {p}" for p in problems(at, lang, page=page)]
    assert not complaints, "\n" + "\n".join(sorted(set(complaints)))


def _raw_page():
    import pandas as pd
    import streamlit as st

    st.dataframe(
        pd.DataFrame({"name": ["Aya", None], "active": [True, False], "status": ["wacht", "actief"]})
    )
    st.caption(
        "Geen bijeenkomst: None. Zie overview.title. 1 personen, gemiddeld 3.3; u kunt status_change zien."
    )
    st.multiselect("Gemeente", ["Almere"])
    st.dataframe(pd.DataFrame({"days": [1.0, None]}), placeholder="–")


def test_the_sweep_finds_what_it_looks_for():
    """The sweep itself, on a page made to show each kind of raw text once (and one clean table)."""
    at = AppTest.from_function(_raw_page).run()
    found = "\n".join(problems(at, "en", page="test"))
    dutch = "\n".join(problems(at, "nl", page="test"))
    assert "[name]: missing value nan in a table without a placeholder" in found
    assert "boolean True" in found and "boolean False" in found
    assert (
        "stored code word 'wacht'" in found and "stored code word 'actief'" in found
    )  # English: 'waiting', 'active'
    assert "stored code word" not in dutch  # in Dutch those words are the labels
    assert (
        "raw value" in found and "i18n key" in found and "code word in" in found and "wrong plural" in found
    )
    assert "decimal point" in dutch and "'u' instead of 'je'" in dutch and "decimal point" not in found
    assert "no placeholder" in found
    assert "table 1" not in found  # the table with a placeholder shows its missing value as "–"
