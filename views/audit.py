"""Audittrail (coordinators): every write — who, when, which record, what changed — filtered and newest first.
Reads via samenhier.queries.audit (not cached: the trail grows with every login)."""

import streamlit as st

from samenhier import formatting, ui
from samenhier.queries.audit import MAX_SEARCH_LENGTH, audit_events, audit_options, readable_events

scope = ui.require_scope()
if not scope.is_coordinator:
    ui.denied()
engine = ui.engine()
st.title(ui.t("audit.title"))
options = audit_options(engine, scope)


def label(prefix: str, value: str) -> str:
    text = ui.t(f"{prefix}.{value}")
    return value.replace("_", " ") if text == f"{prefix}.{value}" else text


lang = ui.current_language()
fmt = formatting.date_input_format(lang)
cols = st.columns([1, 1, 2, 2, 2])
since = cols[0].date_input(ui.t("audit.since"), value=None, key="audit_since", format=fmt)
until = cols[1].date_input(ui.t("audit.until"), value=None, key="audit_until", format=fmt)
usernames = cols[2].multiselect(
    ui.t("audit.user"),
    options["usernames"],
    key="audit_users",
    placeholder=ui.t("filters.all"),
    select_all=False,  # Streamlit's "Select all" is English only
)
actions = cols[3].multiselect(
    ui.t("audit.action"),
    options["actions"],
    key="audit_actions",
    placeholder=ui.t("filters.all"),
    format_func=lambda v: label("audit.action", v),
    select_all=False,  # Streamlit's "Select all" is English only
)
tables = cols[4].multiselect(
    ui.t("audit.record_type"),
    options["tables"],
    key="audit_tables",
    placeholder=ui.t("filters.all"),
    format_func=lambda v: label("audit.table", v),
    select_all=False,  # Streamlit's "Select all" is English only
)
search = st.text_input(
    ui.t("audit.search"),
    key="audit_search",
    placeholder=ui.t("audit.search_hint"),
    max_chars=MAX_SEARCH_LENGTH,
)

wanted = st.query_params.get("event", "")
event_id = int(wanted) if wanted.isdigit() else None  # ?event=ID: one event, e.g. the import just done
if event_id is not None:
    st.info(ui.t("audit.one_event", id=event_id))
    if st.button(ui.t("audit.all_events"), key="audit_all_events"):
        del st.query_params["event"]
        st.rerun()
page = audit_events(
    engine,
    scope,
    since=since,
    until=until,
    usernames=tuple(usernames),
    actions=tuple(actions),
    tables=tuple(tables),
    search=search,
    limit=500,
    event_id=event_id,
)
st.dataframe(
    readable_events(engine, page.events, lang),
    hide_index=True,
    width="stretch",
    height=560,
    column_config={
        "at": st.column_config.DatetimeColumn(
            ui.t("audit.at"), format=formatting.datetime_input_format(lang)
        ),
        "username": ui.t("audit.user"),
        "action": ui.t("audit.action"),
        "record_type": ui.t("audit.record_type"),
        "record": ui.t("audit.record"),
        "changes": st.column_config.TextColumn(ui.t("audit.changes"), width="large"),
    },
    placeholder=formatting.EMPTY,
)
st.caption(
    ui.t(
        "audit.count",
        shown=formatting.format_number(len(page.events), lang),
        total=formatting.format_number(page.total, lang),
    )
)
