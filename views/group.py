"""Groep: the hub of one group (deep link ``?group=<code>``, optionally ``&action=<name>`` to open an action).

Status and month of the year, to-dos (each with the action that resolves it), the actions (log a
meeting, check-in, survey response, status, match, VOG, training, edit), then the household, members,
meetings, check-ins, timeline and surveys. What is offered and which action resolves which to-do is
decided in samenhier.hub; reads via samenhier.queries, writes via samenhier.services.
"""

import datetime as dt

import pandas as pd
import streamlit as st

from samenhier import hub, i18n, ui
from samenhier.charts.progress import meeting_cadence as cadence_chart
from samenhier.current_group import current_group, group_picker
from samenhier.forms import FormField, record_form, run_action, show_flash
from samenhier.models import (
    LONELINESS_ITEMS,
    Answer,
    CheckInAssessment,
    MatchStatus,
    MeetingKind,
    SelfReportedChange,
    Wave,
)
from samenhier.queries import groups as group_queries
from samenhier.queries import matching as match_queries
from samenhier.queries import progress as progress_queries
from samenhier.queries import records as record_queries
from samenhier.queries import surveys as survey_queries
from samenhier.scope import AccessDenied, Filters
from samenhier.services import matches as match_service
from samenhier.services import meetings as meeting_service
from samenhier.services import progress as progress_service
from samenhier.services import records as record_service
from samenhier.services.matches import END_OUTCOMES, GROUP_STATUSES_AFTER_END
from samenhier.services.surveys import save_survey_response

scope = ui.require_scope()
engine = ui.engine()
as_of = ui.as_of()
lang = ui.current_language()
date_format = "DD-MM-YYYY" if lang == "nl" else "YYYY-MM-DD"
ACTION_KEY = "hub_action"

choices = ui.cached(group_queries.group_names)(scope, ui.current_filters())  # code → "code · name"
wanted = current_group()
if wanted and wanted not in choices:
    choices = {wanted: wanted, **choices}  # a link outside the sidebar filters still opens (if visible at all)
if not choices:
    st.info(ui.t("group.none"))
    st.stop()
header, chooser = st.columns([3, 1], vertical_alignment="bottom")
with chooser:
    code = group_picker(ui.t("group.choose"), choices, key="group_code")
try:
    detail = ui.cached(group_queries.group_detail)(scope, code)
except AccessDenied:
    ui.denied()
g = detail.group
group_id = int(g["group_id"])
progress = ui.cached(progress_queries.group_progress)(scope, Filters(), as_of=as_of, group_ids=(group_id,))
row = progress.iloc[0] if len(progress) else None  # None: an archived group (shown, not worked on)
label = f"{g['code']} · {g['name']}"

header.title(ui.md(g["name"]))
header.caption(" · ".join(ui.md(part) for part in [
    g["code"], g["municipality"], i18n.label("variant", g["variant"]), g["community_builder"] or ui.t("group.no_builder"),
]))
toast = st.session_state.pop("hub_toast", None)
if toast:
    st.toast(toast, icon=":material/check_circle:")

tiles = st.columns(4)
tiles[0].metric(ui.t("col.status"), i18n.label("group_status", g["status"]))
tiles[1].metric(ui.t("col.month"), hub.month_text(None if row is None else row["month"]) or "–")
days = None if row is None or pd.isna(row["days_since_meeting"]) else int(row["days_since_meeting"])
tiles[2].metric(ui.t("col.days_since"), "–" if days is None else i18n.format_number(days, lang))
tiles[3].metric(ui.t("progress.col.check_in"),
                "–" if row is None or not isinstance(row["last_assessment"], str) else i18n.label("check_in", row["last_assessment"]))

# ------------------------------------------------------------------------------------------ what can be done
matches = detail.matches
current_match = next((m for m in matches.itertuples() if m.status != MatchStatus.DECLINED.value), None)
running = current_match if current_match is not None and current_match.status in (MatchStatus.PROPOSED.value, MatchStatus.ACTIVE.value) else None
people = ui.cached(survey_queries.respondents)(scope, group_id)
members = ui.cached(progress_queries.group_members)(scope, group_id)
actions = [] if row is None else hub.hub_actions(
    status=g["status"], is_coordinator=scope.is_coordinator,
    match_started=bool(matches.loc[matches["status"] != MatchStatus.DECLINED.value, "started_date"].notna().any()),
    respondents=len(people), match_status=None if running is None else running.status,
    members_without_vog=int(members["vog_date"].isna().sum()), training_done=g["training_completed_date"] is not None
    and not pd.isna(g["training_completed_date"]),
)
asked = st.query_params.get("action")
if asked:
    if asked in actions:
        st.session_state[ACTION_KEY] = asked
    del st.query_params["action"]
if st.session_state.get(ACTION_KEY) not in actions:
    st.session_state.pop(ACTION_KEY, None)


def form_key(name: str, field: str = "") -> str:
    """Widget key of a field of action ``name`` for this group; a new round (after a save) clears the form."""
    return f"hub-{name}-{group_id}-{st.session_state.get(f'hub-{name}-round', 0)}-{field}"


def field_errors(name: str, field: str) -> None:
    for message in st.session_state.get(f"hub-{name}-errors", {}).get(field, []):
        st.error(message)


def act(name: str, call, done_text: str, fields: tuple[str, ...]) -> None:
    """Run a write of action ``name``; errors go to their fields (or above the button), success clears the form."""
    def done(_result) -> None:
        st.session_state.pop(f"hub-{name}-errors", None)
        st.session_state[f"hub-{name}-round"] = st.session_state.get(f"hub-{name}-round", 0) + 1
        st.session_state["hub_toast"] = done_text

    errors = run_action(call, done_text=done_text, on_done=done, on_conflict=lambda: st.session_state.pop(f"hub-{name}-errors", None))
    if errors:
        st.session_state[f"hub-{name}-errors"] = errors
        st.rerun()


def other_errors(name: str, fields: tuple[str, ...]) -> None:
    for field, messages in st.session_state.get(f"hub-{name}-errors", {}).items():
        if field not in fields:
            for message in messages:
                st.error(message)


def choose(action: str, **prefill) -> None:
    """A to-do's button: open its action, with what the to-do already knows filled in."""
    st.session_state[ACTION_KEY] = action
    if action == "survey":
        st.session_state[form_key("survey", "person")] = f"{prefill['role']}:{prefill['person_id']}"
        st.session_state[form_key("survey", "wave")] = prefill["wave"]


# ------------------------------------------------------------------------------------------------ to-dos
todos = [] if row is None else list(row["todos"])
st.subheader(ui.t("progress.todos"))
if row is None:
    st.info(ui.t("hub.archived"))
elif not todos:
    st.success(ui.t("progress.no_todos"))
newcomer_id = None if row is None or pd.isna(row["newcomer_id"]) else int(row["newcomer_id"])
for number, todo in enumerate(todos):
    resolve = hub.todo_action(todo, newcomer_id=newcomer_id)
    text_col, button_col = st.columns([3, 1], vertical_alignment="center")
    text_col.warning(ui.t(f"todo.{todo.code}", **todo.params))
    if resolve.action in actions:
        button_col.button(ui.t(f"hub.todo.{todo.code}"), key=f"hub-todo-{group_id}-{number}", on_click=choose,
                          args=(resolve.action,), kwargs=resolve.params, width="stretch")
    elif resolve.action == "members" and scope.is_coordinator:
        button_col.page_link("views/manage.py", label=ui.t("hub.todo.group_size"), icon=":material/edit_note:")

# ----------------------------------------------------------------------------------------------- actions
action = None
if actions:
    action = st.segmented_control(ui.t("hub.actions"), actions, key=ACTION_KEY, format_func=lambda a: ui.t(f"hub.action.{a}"))
show_flash()  # feedback of the last write, here by the form rather than at the top of the page


def meeting_form() -> None:
    # the upper bounds of the present counts, as the service checks them (samenhier.services.meetings.group_limits)
    limits = (len(members), 1 if current_match is None or pd.isna(current_match.household_size) else int(current_match.household_size))
    st.caption(ui.t("meetings.log.limits", members=limits[0], household=limits[1]))
    duplicate = st.session_state.get(f"hub-meeting-{group_id}-duplicate")
    with st.form(form_key("meeting", "form"), border=True):
        day = st.date_input(ui.t("col.date"), value=as_of, max_value=as_of, format=date_format, key=form_key("meeting", "date"))
        field_errors("meeting", "date")
        kind = st.selectbox(ui.t("col.kind"), [k.value for k in MeetingKind], key=form_key("meeting", "kind"),
                            format_func=lambda k: i18n.label("meeting_kind", k))
        field_errors("meeting", "kind")
        duration = st.number_input(ui.t("col.duration"), min_value=0, value=None, step=15, key=form_key("meeting", "duration"))
        field_errors("meeting", "duration_minutes")
        left, right = st.columns(2)
        with left:
            present = st.number_input(ui.t("col.members_present"), min_value=0, value=None, step=1, key=form_key("meeting", "members"),
                                      help=ui.t("meetings.field.max", max=limits[0]))
            field_errors("meeting", "members_present")
        with right:
            newcomers = st.number_input(ui.t("col.newcomers_present"), min_value=0, value=None, step=1, key=form_key("meeting", "newcomers"),
                                        help=ui.t("meetings.field.max", max=limits[1]))
            field_errors("meeting", "newcomers_present")
        note = st.text_area(ui.t("col.note"), max_chars=meeting_service.MAX_NOTE_LENGTH, key=form_key("meeting", "note"))
        field_errors("meeting", "note")
        confirm = False
        if duplicate:
            st.warning(ui.t("validation.meetings.duplicate"))
            confirm = st.checkbox(ui.t("meetings.duplicate_confirm"), key=form_key("meeting", "confirm"))
        other_errors("meeting", ("date", "kind", "duration_minutes", "members_present", "newcomers_present", "note"))
        submitted = st.form_submit_button(ui.t("hub.meeting.submit", group=g["code"]), type="primary")
    if submitted:
        try:
            act("meeting", lambda: meeting_service.log_meeting(
                engine, scope, group_id=group_id, date=day, kind=kind, duration_minutes=duration, members_present=present,
                newcomers_present=newcomers, note=note, confirm_duplicate=bool(confirm)),
                ui.t("meetings.log.saved", group=label, date=ui.fmt_date(day), kind=i18n.label("meeting_kind", kind)), ())
        except meeting_service.ConfirmationNeeded:
            st.session_state[f"hub-meeting-{group_id}-duplicate"] = True
            st.rerun()


def check_in_form() -> None:
    with st.form(form_key("check_in", "form")):
        day = st.date_input(ui.t("col.date"), value=as_of, max_value=as_of, format=date_format, key=form_key("check_in", "date"))
        field_errors("check_in", "date")
        assessment = st.radio(ui.t("progress.assessment"), [x.value for x in CheckInAssessment], index=None, horizontal=True,
                              key=form_key("check_in", "assessment"), format_func=lambda v: i18n.label("check_in", v))
        field_errors("check_in", "assessment")
        text = st.text_area(ui.t("progress.note"), key=form_key("check_in", "text"))
        field_errors("check_in", "text")
        other_errors("check_in", ("date", "assessment", "text"))
        submitted = st.form_submit_button(ui.t("hub.check_in.submit", group=g["code"]), type="primary")
    if submitted:
        act("check_in", lambda: progress_service.add_check_in(engine, scope, group_id=group_id, date=day, assessment=assessment, text=text),
            ui.t("hub.check_in.done", group=label), ())


ANSWERS = [None, *(a.value for a in Answer)]
CHANGES = [None, *(c.value for c in SelfReportedChange)]
HOME = [None, 1, 2, 3, 4, 5]


def not_answered(show):
    return lambda v: ui.t("surveys.entry.not_answered") if v is None else show(v)


def survey_form() -> None:
    keys = [f"{r}:{p}" for r, p in zip(people["role"], people["person_id"], strict=True)]
    described = {f"{p.role}:{p.person_id}": f"{p.name} ({p.code}) · {i18n.label('respondent_role', p.role)}" for p in people.itertuples()}
    if st.session_state.get(form_key("survey", "person")) not in keys:
        st.session_state.pop(form_key("survey", "person"), None)
    person_key = st.selectbox(ui.t("surveys.entry.person"), keys, format_func=described.get, key=form_key("survey", "person"))
    role, person_id = person_key.split(":")[0], int(person_key.split(":")[1])
    person = people[(people["role"] == role) & (people["person_id"] == person_id)].iloc[0]
    answered = [f"{i18n.label('wave', w.value)} {ui.fmt_date(person[w.value])}" for w in Wave if person[w.value] is not None]
    st.caption(ui.t("surveys.entry.answered", waves=", ".join(answered)) if answered else ui.t("surveys.entry.answered_none"))
    wave = st.radio(ui.t("col.wave"), [w.value for w in Wave], horizontal=True, key=form_key("survey", "wave"),
                    format_func=lambda w: i18n.label("wave", w))
    existing = survey_queries.survey_response(engine, scope, role=role, person_id=person_id, wave=wave) or {}
    if existing:
        st.warning(ui.t("surveys.entry.replaces", wave=i18n.label("wave", wave), date=ui.fmt_date(existing["date"])))
    key = form_key("survey", f"{role}-{person_id}-{wave}-{existing.get('version', 0)}")
    with st.form(key):
        day = st.date_input(ui.t("col.date"), value=existing.get("date") or as_of, min_value=dt.date(2000, 1, 1), max_value=as_of,
                            format=date_format, key=f"{key}-date")
        field_errors("survey", "date")
        st.markdown(f"**{ui.t('surveys.entry.items')}**")
        answers = {item: st.radio(ui.t(f"surveys.item.{item}"), ANSWERS, index=ANSWERS.index(existing.get(item)), horizontal=True,
                                  format_func=not_answered(lambda a: i18n.label("answer", a)), key=f"{key}-{item}")
                   for item in LONELINESS_ITEMS}
        field_errors("survey", "answers")
        home = st.radio(ui.t("surveys.item.feel_at_home"), HOME, index=HOME.index(existing.get("feel_at_home")), horizontal=True,
                        format_func=not_answered(str), key=f"{key}-home")
        change = contacts = None
        if wave == Wave.END.value:
            change = st.radio(ui.t("surveys.item.self_reported_change"), CHANGES, horizontal=True,
                              index=CHANGES.index(existing.get("self_reported_change")),
                              format_func=not_answered(lambda c: i18n.label("change", c)), key=f"{key}-change")
            contacts = st.number_input(ui.t("surveys.item.new_contacts"), min_value=0, step=1, value=existing.get("new_contacts"),
                                       key=f"{key}-contacts")
        other_errors("survey", ("date", "answers"))
        submitted = st.form_submit_button(ui.t("hub.survey.submit", wave=i18n.label("wave", wave), name=person["name"]), type="primary")
    if submitted:
        act("survey", lambda: save_survey_response(
            engine, scope, group_id=group_id, role=role, person_id=person_id, wave=wave, date=day, answers=answers,
            feel_at_home=home, self_reported_change=change, new_contacts=None if contacts is None else int(contacts),
            expected_version=existing.get("version")),
            ui.t("surveys.entry.saved", name=person["name"], wave=i18n.label("wave", wave)), ())


def status_form() -> None:
    with st.form(form_key("status", "form")):
        new = st.selectbox(ui.t("progress.new_status"), hub.allowed_statuses(g["status"]), index=None, key=form_key("status", "new"),
                           placeholder=ui.t("hub.status.placeholder"), format_func=lambda v: i18n.label("group_status", v))
        field_errors("status", "status")
        other_errors("status", ("status",))
        submitted = st.form_submit_button(ui.t("hub.status.submit", group=g["code"]), type="primary")
    if submitted:
        act("status", lambda: progress_service.change_group_status(engine, scope, group_id=group_id, expected_version=int(g["version"]),
                                                                     status=new),
            ui.t("hub.status.done", group=label, status=i18n.label("group_status", new) if new else "–"), ())


def match_form() -> None:
    decisions = hub.match_decisions(None if running is None else running.status, group_status=g["status"],
                                    is_coordinator=scope.is_coordinator)
    if running is not None:
        pair = f"{g['code']} ↔ {running.newcomer_code}"
        st.markdown(f"**{ui.md(pair)}** · {ui.md(running.first_name)} {ui.md(running.last_name)} · "
                    f"{i18n.label('match_status', running.status)}")
    decision = decisions[0] if len(decisions) == 1 else st.segmented_control(
        ui.t("hub.match.decision"), decisions, key=form_key("match", "decision"), format_func=lambda d: ui.t(f"matching.{d}"))
    if decision == "propose":
        waiting = ui.cached(match_queries.waiting_newcomers)(scope, Filters(), as_of=as_of, municipality=g["municipality"])
        waiting = waiting[waiting["proposed_group"].isna()]
        if waiting.empty:
            st.info(ui.t("hub.match.none_waiting", municipality=g["municipality"]))
            return
        names = dict(zip(waiting["newcomer_id"], waiting["code"] + " · " + waiting["name"], strict=True))
        errors = st.session_state.get("hub-match-errors", {})
        with st.form(form_key("match", "propose")):
            newcomer = st.selectbox(ui.t("hub.match.newcomer"), list(names), index=None, format_func=names.get,
                                    key=form_key("match", "newcomer"), placeholder=ui.t("hub.match.choose_newcomer"))
            field_errors("match", "newcomer")
            day = st.date_input(ui.t("col.date"), value=as_of, max_value=as_of, format=date_format, key=form_key("match", "proposed"))
            field_errors("match", "proposed_date")
            second = past = False
            if "confirm_second" in errors:
                second = st.checkbox(ui.t("hub.match.confirm_second"), key=form_key("match", "second"))
            if "confirm_past_eligibility" in errors:
                past = st.checkbox(ui.t("hub.match.confirm_past"), key=form_key("match", "past"))
            other_errors("match", ("newcomer", "proposed_date"))
            submitted = st.form_submit_button(ui.t("hub.match.propose_submit", group=g["code"]), type="primary")
        if submitted:
            act("match", lambda: match_service.propose_match(
                engine, scope, newcomer_id=int(newcomer) if newcomer is not None else -1, group_id=group_id, proposed_date=day,
                confirm_second=second, confirm_past_eligibility=past),
                ui.t("hub.match.proposed", pair=f"{g['code']} ↔ {names.get(newcomer, '')}"), ())
        return
    if running is None or decision is None:
        return
    match_id, version = int(running.match_id), int(running.version)
    if decision == "accept":
        with st.form(form_key("match", "accept")):
            st.caption(ui.t("matching.accept_help"))
            day = st.date_input(ui.t("hub.match.started"), value=as_of, max_value=as_of, format=date_format, key=form_key("match", "started"))
            field_errors("match", "started_date")
            other_errors("match", ("started_date",))
            submitted = st.form_submit_button(ui.t("hub.match.accept_submit", pair=pair), type="primary")
        if submitted:
            act("match", lambda: match_service.accept_match(engine, scope, match_id=match_id, started_date=day, expected_version=version),
                ui.t("hub.match.accepted", pair=pair), ())
    elif decision == "decline":
        with st.form(form_key("match", "decline")):
            day = st.date_input(ui.t("col.date"), value=as_of, max_value=as_of, format=date_format, key=form_key("match", "declined"))
            field_errors("match", "declined_date")
            reason = st.text_input(ui.t("hub.match.reason"), key=form_key("match", "decline_reason"))
            field_errors("match", "reason")
            sure = st.checkbox(ui.t("hub.match.confirm_decline", pair=pair), key=form_key("match", "decline_sure"))
            other_errors("match", ("declined_date", "reason"))
            submitted = st.form_submit_button(ui.t("hub.match.decline_submit", pair=pair), type="primary", icon=":material/block:")
        if submitted:
            if not sure:
                st.warning(ui.t("hub.confirm_first"))
                return
            act("match", lambda: match_service.decline_match(engine, scope, match_id=match_id, declined_date=day, reason=reason,
                                                              expected_version=version),
                ui.t("hub.match.declined", pair=pair), ())
    elif decision == "end":
        with st.form(form_key("match", "end")):
            outcome = st.radio(ui.t("hub.match.outcome"), list(END_OUTCOMES), index=None, horizontal=True, key=form_key("match", "outcome"),
                               format_func=lambda o: i18n.label("match_status", o))
            field_errors("match", "outcome")
            day = st.date_input(ui.t("col.date"), value=as_of, max_value=as_of, format=date_format, key=form_key("match", "ended"))
            field_errors("match", "ended_date")
            reason = st.text_input(ui.t("hub.match.reason"), help=ui.t("matching.end_reason_help"), key=form_key("match", "end_reason"))
            field_errors("match", "reason")
            after = st.selectbox(ui.t("hub.match.group_after"), list(GROUP_STATUSES_AFTER_END), index=None, key=form_key("match", "after"),
                                 placeholder=ui.t("hub.match.group_after_default"), format_func=lambda v: i18n.label("group_status", v))
            field_errors("match", "group_status")
            sure = st.checkbox(ui.t("hub.match.confirm_end", pair=pair), key=form_key("match", "end_sure"))
            other_errors("match", ("outcome", "ended_date", "reason", "group_status"))
            submitted = st.form_submit_button(ui.t("hub.match.end_submit", pair=pair), type="primary", icon=":material/stop_circle:")
        if submitted:
            if not sure:
                st.warning(ui.t("hub.confirm_first"))
                return
            act("match", lambda: match_service.end_match(engine, scope, match_id=match_id, outcome=outcome or "", ended_date=day,
                                                          reason=reason, expected_version=version, group_status=after),
                ui.t("hub.match.ended", pair=pair), ())


def vog_form() -> None:
    waiting = members[members["vog_date"].isna()]
    names = dict(zip(waiting["member_id"], waiting["code"] + " · " + waiting["name"], strict=True))
    with st.form(form_key("vog", "form")):
        member_id = st.selectbox(ui.t("progress.vog_member"), list(names), format_func=names.get, key=form_key("vog", "member"))
        day = st.date_input(ui.t("col.vog"), value=as_of, max_value=as_of, format=date_format, key=form_key("vog", "date"))
        field_errors("vog", "vog_date")
        other_errors("vog", ("vog_date",))
        submitted = st.form_submit_button(ui.t("progress.vog_save"), type="primary")
    if submitted:
        version = int(members.set_index("member_id").loc[member_id, "version"])
        act("vog", lambda: progress_service.record_vog(engine, scope, member_id=int(member_id), expected_version=version, vog_date=day),
            ui.t("hub.vog.done", member=names[member_id]), ())


def training_form() -> None:
    with st.form(form_key("training", "form")):
        day = st.date_input(ui.t("field.training_completed_date"), value=None, max_value=as_of, format=date_format,
                            key=form_key("training", "date"))
        field_errors("training", "training_completed_date")
        advance = st.checkbox(ui.t("progress.training_advance"), value=True, key=form_key("training", "advance"))
        other_errors("training", ("training_completed_date",))
        submitted = st.form_submit_button(ui.t("progress.training_save"), type="primary")
    if submitted:
        act("training", lambda: progress_service.record_training_completed(
            engine, scope, group_id=group_id, expected_version=int(g["version"]), training_completed_date=day, advance_status=advance),
            ui.t("hub.training.done", group=label), ())


def edit_form() -> None:
    builders = ui.cached(record_queries.builder_options)(scope)
    values = record_queries.group_record(engine, scope, group_id)
    fields = [
        FormField("name", ui.t("field.name"), required=True),
        FormField("community_builder_id", ui.t("field.community_builder_id"), "select", options=[None, *builders],
                  format_func=lambda v: builders.get(v, str(v))),
        FormField("signup_date", ui.t("field.signup_date"), "date", required=True),
        FormField("training_completed_date", ui.t("field.training_completed_date"), "date"),
        FormField("notes", ui.t("field.notes"), "textarea"),
    ]
    record_form(f"hub-edit-{group_id}", fields, values,
                save=lambda ch, snap: record_service.update_group(engine, scope, group_id=group_id, expected_version=snap["version"],
                                                                  changes=ch, original=snap),
                submit_label=ui.t("hub.edit.submit", group=g["code"]), saved_text=ui.t("hub.edit.done", group=label))


FORMS = {"meeting": meeting_form, "check_in": check_in_form, "survey": survey_form, "status": status_form, "match": match_form,
         "vog": vog_form, "training": training_form, "edit": edit_form}
if action is not None:
    FORMS[action]()

# -------------------------------------------------------------------------------------------- what it is
left, right = st.columns([3, 2])
with left:
    st.subheader(ui.t("group.newcomer"))
    if matches.empty:
        st.write(ui.t("group.no_match"))
    for m in matches.itertuples():
        with st.container(border=True):
            st.markdown(f"**{ui.md(m.first_name)} {ui.md(m.last_name)}** ({ui.md(m.newcomer_code)}) · "
                        f"{i18n.label('match_status', m.status)}")
            if m.status != MatchStatus.DECLINED.value or scope.is_coordinator:
                st.text(ui.t("group.household", n=m.household_size, country=m.country_of_origin or "–", languages=m.languages or "–"))
            if m.end_reason:
                st.text(ui.t("group.end_reason", reason=m.end_reason))
    st.subheader(ui.t("group.members", n=len(detail.members)))
    member_table = detail.members.assign(
        name=detail.members["first_name"] + " " + detail.members["last_name"],
        role=detail.members["role"].map(lambda r: i18n.label("member_role", r)),
        joined_date=pd.to_datetime(detail.members["joined_date"]),
        vog_date=pd.to_datetime(detail.members["vog_date"]),
    )[["code", "name", "role", "email", "phone", "joined_date", "vog_date"]]
    st.dataframe(member_table, hide_index=True, width="stretch", column_config={
        "code": ui.t("col.code"), "name": ui.t("col.name"), "role": ui.t("col.role"), "email": ui.t("col.email"),
        "phone": ui.t("col.phone"), "joined_date": ui.date_column(ui.t("col.joined")), "vog_date": ui.date_column(ui.t("col.vog")),
    })
with right:
    st.subheader(ui.t("hub.check_ins"))
    notes = ui.cached(progress_queries.check_ins)(scope, group_id, limit=5)
    if notes.empty:
        st.caption(ui.t("progress.no_check_ins"))
    for note in notes.itertuples():
        st.markdown(f"**{ui.fmt_date(note.date)}** · {i18n.label('check_in', note.assessment)} · {ui.md(note.author)}")
        if note.text:
            st.text(note.text)
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
        ), hide_index=True, column_config={"wave": ui.t("col.wave"), "role": ui.t("col.role"), "responses": ui.t("col.responses")})
    st.subheader(ui.t("group.notes"))
    st.text(g["notes"] or "–")

st.subheader(ui.t("group.meetings", n=len(detail.meetings)))
meetings = detail.meetings.assign(
    date=pd.to_datetime(detail.meetings["date"]), kind=detail.meetings["kind"].map(lambda k: i18n.label("meeting_kind", k)),
).drop(columns=["id"])
st.dataframe(meetings, hide_index=True, width="stretch", height=min(400, 38 + 35 * max(1, len(meetings))), column_config={
    "date": ui.date_column(ui.t("col.date")), "kind": ui.t("col.kind"), "duration_minutes": ui.t("col.duration"),
    "members_present": ui.t("col.members_present"), "newcomers_present": ui.t("col.newcomers_present"), "note": ui.t("col.note"),
})
if row is not None:
    cadence = ui.cached(progress_queries.meeting_cadence)(scope, group_id, as_of=as_of)
    st.plotly_chart(cadence_chart(cadence, axis_title=ui.t("progress.axis_meetings"), hover=ui.t("progress.hover_meetings")),
                    config={"displayModeBar": False}, key=f"cadence-{group_id}")
    st.caption(ui.t("progress.cadence_rule", days=ui.settings().inactive_after_days))
