"""Mijn groepen: a community builder's groups (a coordinator: any group) — to-dos, meeting cadence, and
the progress updates: status, check-in, VOG, training. Reads via samenhier.queries.progress, writes via
samenhier.services.progress; deep link ``?group=<code>``."""

import pandas as pd
import streamlit as st

from samenhier import formatting, i18n, ui
from samenhier.charts.progress import meeting_cadence as cadence_chart
from samenhier.forms import forget_version, run_action, show_flash, snapshot_version
from samenhier.models import CheckInAssessment, GroupStatus
from samenhier.queries import progress as q
from samenhier.rules import GROUP_TRANSITIONS
from samenhier.services import progress as s
from samenhier.widgets import paginate, pick

scope = ui.require_scope()
engine = ui.engine()
as_of = ui.as_of()
show_flash()
st.title(ui.t("progress.title"))
st.caption(ui.t("common.as_of", date=ui.fmt_date(as_of)))
groups = ui.cached(q.group_progress)(scope, ui.current_filters(), as_of=as_of)
if groups.empty:
    st.info(ui.t("progress.none"))
    st.stop()


def todo_text(todo) -> str:
    return ui.t(f"todo.{todo.code}", **todo.params)


listed = paginate(groups, key="progress_page")  # a coordinator sees every group: 5,000 at national scale
st.dataframe(pd.DataFrame({
    "code": listed["code"], "name": listed["name"], "status": listed["status"].map(lambda v: i18n.label("group_status", v)),
    "month": listed["month"].map(lambda m: "" if pd.isna(m) else f"{m}/12"), "last_meeting": pd.to_datetime(listed["last_meeting"]),
    "last_check_in": listed["last_assessment"].map(lambda a: i18n.label("check_in", a) if isinstance(a, str) else ""),
    "todos": listed["todos"].map(lambda todos: "; ".join(todo_text(t) for t in todos)),
}), hide_index=True, width="stretch", height=240, column_config={
    "code": ui.t("col.code"), "name": ui.t("col.name"), "status": ui.t("col.status"), "month": ui.t("col.month"),
    "last_meeting": ui.date_column(ui.t("col.last_meeting")), "last_check_in": ui.t("progress.col.check_in"),
    "todos": ui.t("progress.col.todos"),
}, placeholder=formatting.EMPTY)

choices = dict(zip(groups["code"].tolist(), (groups["code"] + " · " + groups["name"]).tolist(), strict=True))
wanted = st.query_params.get("group")
if wanted and wanted not in choices:
    st.error(ui.t("common.not_found_or_denied"))
code = pick(ui.t("group.choose"), choices, key="progress_group", default=wanted)
st.query_params["group"] = code
row = groups.set_index("code").loc[code]
group_id = int(row["group_id"])
version = snapshot_version(f"group-{group_id}", row["version"])

st.header(ui.md(row["name"]), anchor=False)
parts = [ui.md(code), i18n.label("group_status", row["status"])]
if not pd.isna(row["newcomer_id"]):
    parts.append(ui.t("progress.with_newcomer", name=ui.md(row["newcomer"]), month=row["month"]))
st.caption(" · ".join(parts))
lang = ui.current_language()
tiles = st.columns(4)
tiles[0].metric(ui.t("col.last_meeting"), ui.fmt_date(row["last_meeting"]) or "–")
tiles[1].metric(ui.t("col.days_since"), "–" if pd.isna(row["days_since_meeting"]) else i18n.format_number(row["days_since_meeting"], lang))
tiles[2].metric(ui.t("progress.meetings_90"), i18n.format_number(row["meetings_90_days"], lang))
tiles[3].metric(ui.t("progress.vog"), f"{row['members'] - row['members_without_vog']}/{row['members']}")

st.subheader(ui.t("progress.todos"))
if not row["todos"]:
    st.success(ui.t("progress.no_todos"))
for todo in row["todos"]:
    st.warning(todo_text(todo))

st.subheader(ui.t("progress.cadence"))
cadence = ui.cached(q.meeting_cadence)(scope, group_id, as_of=as_of)
st.plotly_chart(cadence_chart(cadence, axis_title=ui.t("progress.axis_meetings"), hover=ui.t("progress.hover_meetings"),
                              partial_month=f"{as_of:%Y-%m}", partial_label=ui.t("charts.partial_month")),
                config={"displayModeBar": False}, key=f"cadence-{group_id}")
st.caption(ui.t("progress.cadence_rule", days=ui.settings().inactive_after_days))


def show_errors(errors: dict[str, list[str]]) -> None:
    for messages in errors.values():
        for message in messages:
            st.error(message)


left, right = st.columns(2)
with left:
    st.subheader(ui.t("progress.status"))
    allowed = [x.value for x in GroupStatus if x in GROUP_TRANSITIONS[GroupStatus(row["status"])]]
    if not allowed:
        st.write(ui.t("progress.status_final", status=i18n.label("group_status", row["status"])))
    else:
        with st.form(f"status-{group_id}"):
            new_status = st.selectbox(ui.t("progress.new_status"), allowed, key=f"status-{group_id}-new",
                                      format_func=lambda v: i18n.label("group_status", v))
            if st.form_submit_button(ui.t("progress.change_status"), type="primary"):
                show_errors(run_action(
                    lambda: s.change_group_status(engine, scope, group_id=group_id, expected_version=version, status=new_status),
                    done_text=ui.t("progress.status_done"), on_conflict=lambda: forget_version(f"group-{group_id}"),
                    on_done=lambda _: forget_version(f"group-{group_id}")))
    if pd.isna(row["training_completed_date"]) and row["status"] in (GroupStatus.RECRUITING.value, GroupStatus.TRAINING.value):
        st.subheader(ui.t("progress.training"))
        with st.form(f"training-{group_id}"):
            day = st.date_input(ui.t("field.training_completed_date"), value=None, key=f"training-{group_id}-date",
                                max_value=as_of, format=formatting.date_input_format(lang))
            advance = st.checkbox(ui.t("progress.training_advance"), value=True, key=f"training-{group_id}-advance")
            if st.form_submit_button(ui.t("progress.training_save")):
                show_errors(run_action(
                    lambda: s.record_training_completed(engine, scope, group_id=group_id, expected_version=version,
                                                        training_completed_date=day, advance_status=advance),
                    done_text=ui.t("progress.training_done"), on_conflict=lambda: forget_version(f"group-{group_id}"),
                    on_done=lambda _: forget_version(f"group-{group_id}")))
    st.subheader(ui.t("progress.vog_title"))
    members = ui.cached(q.group_members)(scope, group_id)
    waiting = members[members["vog_date"].isna()]
    if waiting.empty:
        st.write(ui.t("progress.vog_all"))
    else:
        labels = dict(zip(waiting["member_id"], waiting["code"] + " · " + waiting["name"], strict=True))
        with st.form(f"vog-{group_id}"):
            member_id = st.selectbox(ui.t("progress.vog_member"), list(labels), format_func=lambda v: labels[v], key=f"vog-{group_id}-member")
            day = st.date_input(ui.t("col.vog"), value=as_of, max_value=as_of, key=f"vog-{group_id}-date",
                                format=formatting.date_input_format(lang))
            if st.form_submit_button(ui.t("progress.vog_save")):
                member_version = snapshot_version(f"member-{member_id}", members.set_index("member_id").loc[member_id, "version"])
                show_errors(run_action(
                    lambda: s.record_vog(engine, scope, member_id=int(member_id), expected_version=member_version, vog_date=day),
                    done_text=ui.t("progress.vog_done"), on_conflict=lambda: forget_version(f"member-{member_id}"),
                    on_done=lambda _: forget_version(f"member-{member_id}")))
with right:
    st.subheader(ui.t("progress.check_in"))
    with st.form(f"checkin-{group_id}"):
        day = st.date_input(ui.t("col.date"), value=as_of, max_value=as_of, key=f"checkin-{group_id}-date",
                            format=formatting.date_input_format(lang))
        assessment = st.radio(ui.t("progress.assessment"), [x.value for x in CheckInAssessment], key=f"checkin-{group_id}-assessment",
                              format_func=lambda v: i18n.label("check_in", v), horizontal=True)
        text = st.text_area(ui.t("progress.note"), key=f"checkin-{group_id}-text")
        if st.form_submit_button(ui.t("progress.check_in_save"), type="primary"):
            show_errors(run_action(
                lambda: s.add_check_in(engine, scope, group_id=group_id, date=day, assessment=assessment, text=text),
                done_text=ui.t("progress.check_in_done"),
                on_done=lambda _: st.session_state.pop(f"checkin-{group_id}-text", None)))
    notes = ui.cached(q.check_ins)(scope, group_id)
    if notes.empty:
        st.caption(ui.t("progress.no_check_ins"))
    for note in notes.itertuples():
        st.markdown(f"**{ui.fmt_date(note.date)}** · {i18n.label('check_in', note.assessment)} · {ui.md(note.author)}")
        if note.text:
            st.text(note.text)
