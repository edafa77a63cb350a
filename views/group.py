"""Group page (deep link ``?group=<code>``): members, matched household, timeline, meetings, surveys, notes."""

import pandas as pd
import streamlit as st

from samenhier import formatting, i18n, ui
from samenhier.queries import groups as group_queries
from samenhier.scope import AccessDenied
from samenhier.widgets import pick

scope = ui.require_scope()
choices = ui.cached(group_queries.group_names)(scope, ui.current_filters())  # code → "code · name"
wanted = st.query_params.get("group")
if wanted and wanted not in choices:
    choices = {wanted: f"{wanted} · ", **choices}  # a deep link outside the sidebar filters still opens (if visible at all)
if not choices:
    st.info(ui.t("group.none"))
    st.stop()
header, chooser = st.columns([3, 1], vertical_alignment="bottom")
with chooser:
    code = pick(ui.t("group.choose"), choices, key="group_code", default=wanted)
st.query_params["group"] = code

try:
    detail = ui.cached(group_queries.group_detail)(scope, code)
except AccessDenied:
    ui.denied()
g = detail.group
header.title(ui.md(g["name"]))
header.caption(" · ".join(ui.md(part) for part in [
    g["code"], g["municipality"], i18n.label("variant", g["variant"]), i18n.label("group_status", g["status"]),
    g["community_builder"] or ui.t("group.no_builder"),
]))

st.subheader(ui.t("group.members", n=len(detail.members)))
members = detail.members.assign(
    name=detail.members["first_name"] + " " + detail.members["last_name"],
    role=detail.members["role"].map(lambda r: i18n.label("member_role", r)),
    joined_date=pd.to_datetime(detail.members["joined_date"]),
    vog_date=pd.to_datetime(detail.members["vog_date"]),
)[["code", "name", "role", "email", "phone", "joined_date", "vog_date"]]
st.dataframe(members, hide_index=True, width="stretch", column_config={
    "code": ui.t("col.code"), "name": ui.t("col.name"), "role": ui.t("col.role"), "email": ui.t("col.email"),
    "phone": ui.t("col.phone"), "joined_date": ui.date_column(ui.t("col.joined")), "vog_date": ui.date_column(ui.t("col.vog")),
}, placeholder=formatting.EMPTY)
left, right = st.columns([3, 2])
with left:
    st.subheader(ui.t("group.newcomer"))
    if detail.matches.empty:
        st.write(ui.t("group.no_match"))
    for _, m in detail.matches.iterrows():
        with st.container(border=True):
            st.markdown(f"**{ui.md(m['first_name'])} {ui.md(m['last_name'])}** ({ui.md(m['newcomer_code'])}) · "
                        f"{i18n.label('match_status', m['status'])}")
            st.text(ui.t("group.household", n=m["household_size"], country=m["country_of_origin"], languages=m["languages"]))
            if m["end_reason"]:
                st.text(ui.t("group.end_reason", reason=m["end_reason"]))
with right:
    st.subheader(ui.t("group.timeline"))
    for _, event in detail.timeline.iterrows():
        st.markdown(f"- **{ui.fmt_date(event['date'])}** — {ui.t('timeline.' + event['event'])}")
    st.subheader(ui.t("group.surveys"))
    if detail.surveys.empty:
        st.write(ui.t("group.no_surveys"))
    else:
        st.dataframe(detail.surveys.assign(
            wave=detail.surveys["wave"].map(lambda w: i18n.label("wave", w)),
            role=detail.surveys["role"].map(lambda r: i18n.label("respondent_role", r)),
        ), hide_index=True, column_config={"wave": ui.t("col.wave"), "role": ui.t("col.role"), "responses": ui.t("col.responses")}, placeholder=formatting.EMPTY)
    st.subheader(ui.t("group.notes"))
    st.text(g["notes"] or "–")

st.subheader(ui.t("group.meetings", n=len(detail.meetings)))
meetings = detail.meetings.assign(
    date=pd.to_datetime(detail.meetings["date"]), kind=detail.meetings["kind"].map(lambda k: i18n.label("meeting_kind", k)),
).drop(columns=["id"])
st.dataframe(meetings, hide_index=True, width="stretch", column_config={
    "date": ui.date_column(ui.t("col.date")), "kind": ui.t("col.kind"), "duration_minutes": ui.t("col.duration"),
    "members_present": ui.t("col.members_present"), "newcomers_present": ui.t("col.newcomers_present"), "note": ui.t("col.note"),
}, placeholder=formatting.EMPTY)
