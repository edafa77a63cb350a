"""Audittrail (coordinators): every write — who, when, which record, what changed — filtered and newest first.
Reads via samenhier.queries.audit (not cached: the trail grows with every login)."""

import pandas as pd
import streamlit as st

from samenhier import ui
from samenhier.queries.audit import audit_events, audit_options, describe_changes

scope = ui.require_scope()
if not scope.is_coordinator:
    ui.denied()
engine = ui.engine()
st.title(ui.t("audit.title"))
options = audit_options(engine, scope)


def label(prefix: str, value: str) -> str:
    text = ui.t(f"{prefix}.{value}")
    return value if text == f"{prefix}.{value}" else text


fmt = "DD-MM-YYYY" if ui.current_language() == "nl" else "YYYY-MM-DD"
cols = st.columns([1, 1, 2, 2, 2])
since = cols[0].date_input(ui.t("audit.since"), value=None, key="audit_since", format=fmt)
until = cols[1].date_input(ui.t("audit.until"), value=None, key="audit_until", format=fmt)
usernames = cols[2].multiselect(ui.t("audit.user"), options["usernames"], key="audit_users", placeholder=ui.t("filters.all"))
actions = cols[3].multiselect(ui.t("audit.action"), options["actions"], key="audit_actions", placeholder=ui.t("filters.all"),
                              format_func=lambda v: label("audit.action", v))
tables = cols[4].multiselect(ui.t("audit.record_type"), options["tables"], key="audit_tables", placeholder=ui.t("filters.all"),
                             format_func=lambda v: label("audit.table", v))
search = st.text_input(ui.t("audit.search"), key="audit_search", placeholder=ui.t("audit.search_hint"))

page = audit_events(engine, scope, since=since, until=until, usernames=tuple(usernames), actions=tuple(actions),
                    tables=tuple(tables), search=search, limit=500)
events = page.events
st.dataframe(pd.DataFrame({
    "at": events["at"].dt.tz_localize(None), "username": events["username"],
    "action": events["action"].map(lambda v: label("audit.action", v)),
    "table": events["table_name"].map(lambda v: label("audit.table", v)), "record": events["record_code"],
    "changes": events["changes"].map(lambda c: describe_changes(c, field_label=lambda k: label("field", k))),
}), hide_index=True, width="stretch", height=560, column_config={
    "at": st.column_config.DatetimeColumn(ui.t("audit.at"), format=f"{fmt} HH:mm"), "username": ui.t("audit.user"),
    "action": ui.t("audit.action"), "table": ui.t("audit.record_type"), "record": ui.t("audit.record"),
    "changes": st.column_config.TextColumn(ui.t("audit.changes"), width="large"),
})
st.caption(ui.t("audit.count", shown=len(events), total=page.total))
