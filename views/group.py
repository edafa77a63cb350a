"""Groep: the hub of one group (deep link ``?group=<code>``, optionally ``&action=<name>`` to open an action).

Status and month of the year, to-dos (each with the action that resolves it), the actions (log a
meeting, check-in, survey response, status, match, VOG, training, edit), then the household, members,
meetings, check-ins, timeline and surveys. What is offered and which action resolves which to-do is
decided in samenhier.hub; reads via samenhier.queries, writes via samenhier.services.
"""

import pandas as pd
import streamlit as st

from samenhier import actions, formatting, hub, i18n, milestone_checklist, ui
from samenhier.charts.progress import meeting_cadence as cadence_chart
from samenhier.current_group import current_group, group_picker
from samenhier.feedback import Shown
from samenhier.forms import FormField, record_form
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
from samenhier.queries import milestones as milestone_queries
from samenhier.queries import progress as progress_queries
from samenhier.queries import records as record_queries
from samenhier.queries import surveys as survey_queries
from samenhier.scope import AccessDenied, Filters
from samenhier.services import matches as match_service
from samenhier.services import meetings as meeting_service
from samenhier.services import progress as progress_service
from samenhier.services import records as record_service
from samenhier.services.common import FieldError, ValidationFailed
from samenhier.services.matches import END_OUTCOMES, GROUP_STATUSES_AFTER_END
from samenhier.services.surveys import save_survey_response
from samenhier.todos import message_key as todo_key

scope = ui.require_scope()
engine = ui.engine()
as_of = ui.as_of()
lang = ui.current_language()
date_format = ui.date_format()
ACTION_KEY = "hub_action"

choices = ui.cached(group_queries.group_names)(scope, ui.current_filters())  # code → "code · name"
wanted = current_group()
if wanted and wanted not in choices:
    choices = {
        wanted: wanted,
        **choices,
    }  # a link outside the sidebar filters still opens (if visible at all)
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

header.header(ui.md(g["name"]))
header.markdown(
    f":blue-badge[{ui.md(i18n.label('group_status', g['status']))}] "
    + " · ".join(
        ui.md(part)
        for part in [
            g["code"],
            g["municipality"],
            i18n.label("variant", g["variant"]),
            g["community_builder"] or ui.t("group.no_builder"),
        ]
    )
)

days = None if row is None or pd.isna(row["days_since_meeting"]) else int(row["days_since_meeting"])
assessment = (
    None
    if row is None or not isinstance(row["last_assessment"], str)
    else i18n.label("check_in", row["last_assessment"])
)
# The period of the year by the variant's timeline ("week 7/10"); without a running match, the year's length.
period_label = (
    None if row is None else hub.period_text(row["month"], row["year_length"], row["year_unit"], lang)
) or ("–" if row is None else hub.length_text(row["year_length"], row["year_unit"], lang))
# One line of facts rather than metric tiles: on a phone tiles stack and push the actions off the screen.
st.markdown(
    " · ".join(
        [
            f"{ui.t('col.period')} **{period_label}**",
            "**"
            + hub.days_since_text(
                days, lang, status=g["status"], last_meeting=None if row is None else row["last_meeting"]
            )
            + "**",
            f"{ui.t('progress.col.check_in')} **{assessment or '–'}**",
        ]
    )
)

# ------------------------------------------------------------------------------------------ what can be done
matches = detail.matches
current_match = next((m for m in matches.itertuples() if m.status != MatchStatus.DECLINED.value), None)
running = (
    current_match
    if current_match is not None
    and current_match.status in (MatchStatus.PROPOSED.value, MatchStatus.ACTIVE.value)
    else None
)
people = ui.cached(survey_queries.respondents)(scope, group_id)
members = ui.cached(progress_queries.group_members)(scope, group_id)
checklist = ui.cached(milestone_queries.group_milestones)(scope, group_id, as_of=as_of)  # issue 19
offered = (
    []
    if row is None
    else hub.hub_actions(
        status=g["status"],
        is_coordinator=scope.is_coordinator,
        match_started=bool(
            matches.loc[matches["status"] != MatchStatus.DECLINED.value, "started_date"].notna().any()
        ),
        respondents=len(people),
        match_status=None if running is None else running.status,
        members_without_vog=int(members["vog_date"].isna().sum()),
        training_done=g["training_completed_date"] is not None and not pd.isna(g["training_completed_date"]),
        milestones=int(checklist.items["in_checklist"].sum()),
    )
)
asked = st.query_params.get("action")
if asked:
    if asked in offered:
        st.session_state[ACTION_KEY] = asked
    del st.query_params["action"]
if st.session_state.get(ACTION_KEY) not in offered:
    st.session_state.pop(ACTION_KEY, None)


PERSON_KEY, WAVE_KEY = f"hub-survey-person-{group_id}", f"hub-survey-wave-{group_id}"
SLOT = "hub"  # every action's feedback: under the action's form, where the user just clicked


def choose(action: str, **prefill) -> None:
    """A to-do's button: open its action, with what the to-do already knows filled in."""
    st.session_state[ACTION_KEY] = action
    if action == "survey":
        st.session_state[PERSON_KEY] = f"{prefill['role']}:{prefill['person_id']}"
        st.session_state[WAVE_KEY] = prefill["wave"]
    if action == "milestones":
        actions.choose_later(milestone_checklist.pick_key(group_id), prefill["milestone_id"])


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
    text = ui.t(todo_key(todo), **todo.params)
    # One tap per to-do: the button says what is wrong and opens the action that resolves it.
    if resolve.action in offered:
        st.button(
            f"{ui.md(text)} → {ui.t(f'hub.todo.{todo.code}')}",
            key=f"hub-todo-{group_id}-{number}",
            on_click=choose,
            args=(resolve.action,),
            kwargs=resolve.params,
            icon=":material/warning:",
            width="stretch",
        )
    elif resolve.action == "members" and scope.is_coordinator:
        st.page_link(
            "views/manage.py",
            label=f"{ui.md(text)} → {ui.t('hub.todo.group_size')}",
            icon=":material/warning:",
        )
    else:
        st.warning(ui.md(text), icon=":material/warning:")

# ----------------------------------------------------------------------------------------------- actions
action = None
if offered:
    action = st.segmented_control(
        ui.t("hub.actions"), offered, key=ACTION_KEY, format_func=lambda a: ui.t(f"hub.action.{a}")
    )
group_shown = Shown(group_id, int(g["version"]), label)  # the group as this run drew it
under_group = Shown(group_id, None, label)  # a meeting, check-in or survey answer added to the group


def date_field(name: str, text: str, *, default=None, required: bool = True) -> FormField:
    return FormField(name, text, "date", default=default, max_value=as_of, required=required)


def meeting_form() -> None:
    # the upper bounds of the present counts, as the service checks them (samenhier.services.meetings.group_limits)
    household = (
        1
        if current_match is None or pd.isna(current_match.household_size)
        else int(current_match.household_size)
    )
    st.caption(ui.t("meetings.log.limits", members=len(members), household=household))
    kinds = [k.value for k in MeetingKind]
    actions.action_form(
        "hub-meeting",
        under_group,
        slot=SLOT,
        confirm_flag="confirm_duplicate",
        fields=[
            date_field("date", ui.t("col.date"), default=as_of),
            FormField(
                "kind",
                ui.t("col.kind"),
                "select",
                options=kinds,
                format_func=lambda k: i18n.label("meeting_kind", k),
                default=kinds[0],
                required=True,
            ),
            FormField("duration_minutes", ui.t("col.duration"), "int", min_value=0, step=15, required=True),
            FormField(
                "members_present",
                ui.t("col.members_present"),
                "int",
                min_value=0,
                required=True,
                help=ui.t("meetings.field.max", max=len(members)),
            ),
            FormField(
                "newcomers_present",
                ui.t("col.newcomers_present"),
                "int",
                min_value=0,
                required=True,
                help=ui.t("meetings.field.max", max=household),
            ),
            FormField("note", ui.t("col.note"), "textarea", max_chars=meeting_service.MAX_NOTE_LENGTH),
        ],
        call=lambda shown, v: meeting_service.log_meeting(
            engine,
            scope,
            group_id=shown.id,
            date=v["date"],
            kind=v["kind"],
            duration_minutes=v["duration_minutes"],
            members_present=v["members_present"],
            newcomers_present=v["newcomers_present"],
            note=v["note"] or "",
            confirm_duplicate=bool(v.get("confirm_duplicate")),
        ),
        submit_label=ui.t("hub.meeting.submit", group=g["code"]),
        done_text=ui.t("hub.meeting.done", group=label),
    )


def check_in_form() -> None:
    actions.action_form(
        "hub-checkin",
        under_group,
        slot=SLOT,
        fields=[
            date_field("date", ui.t("col.date"), default=as_of),
            FormField(
                "assessment",
                ui.t("progress.assessment"),
                "radio",
                options=[x.value for x in CheckInAssessment],
                format_func=lambda v: i18n.label("check_in", v),
                required=True,
            ),
            FormField("text", ui.t("progress.note"), "textarea"),
        ],
        call=lambda shown, v: progress_service.add_check_in(
            engine, scope, group_id=shown.id, date=v["date"], assessment=v["assessment"], text=v["text"] or ""
        ),
        submit_label=ui.t("hub.check_in.submit", group=g["code"]),
        done_text=ui.t("hub.check_in.done", group=label),
    )


def survey_form() -> None:
    keys = [f"{r}:{p}" for r, p in zip(people["role"], people["person_id"], strict=True)]
    described = {
        f"{p.role}:{p.person_id}": f"{p.name} ({p.code}) · {i18n.label('respondent_role', p.role)}"
        for p in people.itertuples()
    }
    if st.session_state.get(PERSON_KEY) not in keys:
        st.session_state.pop(PERSON_KEY, None)
    person_key = st.selectbox(ui.t("surveys.entry.person"), keys, format_func=described.get, key=PERSON_KEY)
    role, person_id = person_key.split(":")[0], int(person_key.split(":")[1])
    person = people[(people["role"] == role) & (people["person_id"] == person_id)].iloc[0]
    answered = [
        f"{i18n.label('wave', w.value)} {ui.fmt_date(person[w.value])}"
        for w in Wave
        if person[w.value] is not None
    ]
    st.caption(
        ui.t("surveys.entry.answered", waves=", ".join(answered))
        if answered
        else ui.t("surveys.entry.answered_none")
    )
    wave = st.radio(
        ui.t("col.wave"),
        [w.value for w in Wave],
        horizontal=True,
        key=WAVE_KEY,
        format_func=lambda w: i18n.label("wave", w),
    )
    existing = survey_queries.survey_response(engine, scope, role=role, person_id=person_id, wave=wave) or {}
    if existing:
        st.warning(
            ui.t("surveys.entry.replaces", wave=i18n.label("wave", wave), date=ui.fmt_date(existing["date"]))
        )
    fields = [
        date_field("date", ui.t("col.date"), default=pd.Timestamp(existing.get("date") or as_of).date())
    ]
    fields += [
        FormField(
            item,
            ui.t(f"surveys.item.{item}"),
            "radio",
            options=[a.value for a in Answer],
            format_func=lambda a: i18n.label("answer", a),
            default=existing.get(item),
        )
        for item in LONELINESS_ITEMS
    ]
    fields.append(
        FormField(
            "feel_at_home",
            ui.t("surveys.item.feel_at_home"),
            "radio",
            options=[1, 2, 3, 4, 5],
            default=existing.get("feel_at_home"),
        )
    )
    if wave == Wave.END.value:
        fields += [
            FormField(
                "self_reported_change",
                ui.t("surveys.item.self_reported_change"),
                "radio",
                options=[c.value for c in SelfReportedChange],
                format_func=lambda c: i18n.label("change", c),
                default=existing.get("self_reported_change"),
            ),
            FormField(
                "new_contacts",
                ui.t("surveys.item.new_contacts"),
                "int",
                min_value=0,
                default=existing.get("new_contacts"),
            ),
        ]
    name = f"{person['name']} ({person['code']})"
    who = Shown(
        group_id, existing.get("version"), name
    )  # expected_version: the response as shown (None: none yet)
    actions.action_form(
        f"hub-survey-{role}-{person_id}-{wave}",
        who,
        slot=SLOT,
        fields=fields,
        field_labels={
            "person": ui.t("surveys.field.person"),
            "wave": ui.t("surveys.field.wave"),
            "answers": ui.t("surveys.field.answers"),
        },
        call=lambda shown, v: save_survey_response(
            engine,
            scope,
            group_id=shown.id,
            role=role,
            person_id=person_id,
            wave=wave,
            date=v["date"],
            answers={item: v[item] for item in LONELINESS_ITEMS},
            feel_at_home=v["feel_at_home"],
            self_reported_change=v.get("self_reported_change"),
            new_contacts=None if v.get("new_contacts") is None else int(v["new_contacts"]),
            expected_version=shown.version,
        ),
        submit_label=ui.t("hub.survey.submit", wave=i18n.label("wave", wave), name=ui.md(person["name"])),
        done_text=ui.t("surveys.entry.saved", name=ui.md(name), wave=i18n.label("wave", wave)),
    )


def status_form() -> None:
    actions.action_form(
        "hub-status",
        group_shown,
        slot=SLOT,
        fields=[
            FormField(
                "status",
                ui.t("progress.new_status"),
                "select",
                options=hub.allowed_statuses(g["status"]),
                format_func=lambda v: i18n.label("group_status", v),
                required=True,
            )
        ],
        call=lambda shown, v: progress_service.change_group_status(
            engine, scope, group_id=shown.id, expected_version=shown.version, status=v["status"]
        ),
        submit_label=ui.t("hub.status.submit", group=g["code"]),
        done_text=ui.t("hub.status.done", group=label),
    )


def match_form() -> None:
    decisions = hub.match_decisions(
        None if running is None else running.status,
        group_status=g["status"],
        is_coordinator=scope.is_coordinator,
    )
    if "propose" in decisions:
        waiting = ui.cached(match_queries.waiting_newcomers)(
            scope, Filters(), as_of=as_of, municipality=g["municipality"]
        )
        waiting = waiting[waiting["proposed_group"].isna()]
        if waiting.empty:
            st.info(ui.t("hub.match.none_waiting", municipality=g["municipality"]))
            return
        names = dict(
            zip(waiting["newcomer_id"].astype(int), waiting["code"] + " · " + waiting["name"], strict=True)
        )
        asked = st.session_state.get(f"hub-propose-{group_id}-errors", {})
        fields = [
            FormField(
                "newcomer",
                ui.t("hub.match.newcomer"),
                "select",
                options=list(names),
                format_func=names.get,
                required=True,
            ),
            date_field("proposed_date", ui.t("col.date"), default=as_of),
        ]
        if "confirm_second" in asked or st.session_state.get(f"hub-propose-{group_id}-confirm_second"):
            fields.append(FormField("confirm_second", ui.t("hub.match.confirm_second"), "checkbox"))
        if "confirm_past_eligibility" in asked or st.session_state.get(
            f"hub-propose-{group_id}-confirm_past_eligibility"
        ):
            fields.append(FormField("confirm_past_eligibility", ui.t("hub.match.confirm_past"), "checkbox"))
        actions.action_form(
            "hub-propose",
            under_group,
            slot=SLOT,
            fields=fields,
            call=lambda shown, v: match_service.propose_match(
                engine,
                scope,
                newcomer_id=-1 if v["newcomer"] is None else int(v["newcomer"]),
                group_id=shown.id,
                proposed_date=v["proposed_date"],
                confirm_second=bool(v.get("confirm_second")),
                confirm_past_eligibility=bool(v.get("confirm_past_eligibility")),
            ),
            submit_label=ui.t("hub.match.propose_submit", group=g["code"]),
            done_text=ui.t("hub.match.proposed", pair=g["code"]),
        )
        return
    if running is None:
        return
    pair = f"{g['code']} ↔ {running.newcomer_code}"
    match = Shown(int(running.match_id), int(running.version), ui.t("hub.match.name", pair=pair))
    st.markdown(
        f"**{ui.md(pair)}** · {ui.md(running.first_name)} {ui.md(running.last_name)} · {i18n.label('match_status', running.status)}"
    )
    if running.status == MatchStatus.PROPOSED.value:
        accept_col, decline_col = st.columns(2)
        with accept_col:
            actions.action_form(
                "hub-accept",
                match,
                slot=SLOT,
                title=ui.t("matching.accept_title"),
                intro=ui.t("matching.accept_help"),
                fields=[date_field("started_date", ui.t("hub.match.started"), default=as_of)],
                call=lambda shown, v: match_service.accept_match(
                    engine,
                    scope,
                    match_id=shown.id,
                    started_date=v["started_date"],
                    expected_version=shown.version,
                ),
                submit_label=ui.t("hub.match.accept_submit", pair=pair),
                done_text=ui.t("hub.match.accepted", pair=pair),
            )
        with decline_col:
            actions.action_form(
                "hub-decline",
                match,
                slot=SLOT,
                title=ui.t("matching.decline_title"),
                destructive=True,
                fields=[
                    date_field("declined_date", ui.t("col.date"), default=as_of),
                    FormField("reason", ui.t("hub.match.reason"), "text", required=True),
                ],
                call=lambda shown, v: match_service.decline_match(
                    engine,
                    scope,
                    match_id=shown.id,
                    declined_date=v["declined_date"],
                    reason=v["reason"] or "",
                    expected_version=shown.version,
                ),
                submit_label=ui.t("hub.match.decline_submit", pair=pair),
                done_text=ui.t("hub.match.declined", pair=pair),
                confirm_text=ui.t("hub.match.confirm_decline", pair=pair),
            )
    elif running.status == MatchStatus.ACTIVE.value:
        actions.action_form(
            "hub-end",
            match,
            slot=SLOT,
            title=ui.t("matching.end_title"),
            destructive=True,
            fields=[
                FormField(
                    "outcome",
                    ui.t("hub.match.outcome"),
                    "radio",
                    options=list(END_OUTCOMES),
                    format_func=lambda o: i18n.label("match_status", o),
                    required=True,
                ),
                date_field("ended_date", ui.t("col.date"), default=as_of),
                FormField("reason", ui.t("hub.match.reason"), "text", help=ui.t("matching.end_reason_help")),
                FormField(
                    "group_status",
                    ui.t("hub.match.group_after"),
                    "select",
                    options=list(GROUP_STATUSES_AFTER_END),
                    format_func=lambda v: i18n.label("group_status", v),
                    help=ui.t("hub.match.group_after_default"),
                ),
            ],
            call=lambda shown, v: match_service.end_match(
                engine,
                scope,
                match_id=shown.id,
                outcome=v["outcome"] or "",
                ended_date=v["ended_date"],
                reason=v["reason"] or "",
                expected_version=shown.version,
                group_status=v["group_status"],
            ),
            submit_label=ui.t("hub.match.end_submit", pair=pair),
            done_text=ui.t("hub.match.ended", pair=pair),
            confirm_text=ui.t("hub.match.confirm_end", pair=pair),
        )


def vog_form() -> None:
    waiting = members[members["vog_date"].isna()]
    names = dict(
        zip(waiting["member_id"].astype(int), waiting["code"] + " · " + waiting["name"], strict=True)
    )
    versions = dict(
        zip(waiting["member_id"].astype(int), waiting["version"].astype(int), strict=True)
    )  # as drawn

    def record(shown: Shown, v: dict):
        if v["member"] is None:
            raise ValidationFailed([FieldError("member", "required")])
        return progress_service.record_vog(
            engine,
            scope,
            member_id=int(v["member"]),
            expected_version=versions[int(v["member"])],
            vog_date=v["vog_date"],
        )

    actions.action_form(
        "hub-vog",
        under_group,
        slot=SLOT,
        fields=[
            FormField(
                "member",
                ui.t("progress.vog_member"),
                "select",
                options=list(names),
                format_func=names.get,
                required=True,
            ),
            date_field("vog_date", ui.t("col.vog"), default=as_of),
        ],
        call=record,
        submit_label=ui.t("progress.vog_save"),
        done_text=ui.t("hub.vog.done", group=label),
    )


def training_form() -> None:
    actions.action_form(
        "hub-training",
        group_shown,
        slot=SLOT,
        fields=[
            date_field("training_completed_date", ui.t("field.training_completed_date")),
            FormField("advance_status", ui.t("progress.training_advance"), "checkbox", default=True),
        ],
        call=lambda shown, v: progress_service.record_training_completed(
            engine,
            scope,
            group_id=shown.id,
            expected_version=shown.version,
            training_completed_date=v["training_completed_date"],
            advance_status=bool(v["advance_status"]),
        ),
        submit_label=ui.t("progress.training_save"),
        done_text=ui.t("hub.training.done", group=label),
    )


def edit_form() -> None:
    """The group's record, as in Beheer (kept input, field errors, and a colleague's change shown, not overwritten)."""
    builders = ui.cached(record_queries.builder_options)(scope)
    values = record_queries.group_record(engine, scope, group_id)
    fields = [
        FormField("name", ui.t("field.name"), required=True),
        FormField(
            "community_builder_id",
            ui.t("field.community_builder_id"),
            "select",
            options=[None, *builders],
            format_func=lambda v: builders.get(v, str(v)),
        ),
        FormField("signup_date", ui.t("field.signup_date"), "date", required=True),
        FormField("training_completed_date", ui.t("field.training_completed_date"), "date"),
        FormField("notes", ui.t("field.notes"), "textarea"),
    ]
    record_form(
        f"hub-edit-{group_id}",
        fields,
        values,
        save=lambda ch, snap: record_service.update_group(
            engine, scope, group_id=group_id, expected_version=snap["version"], changes=ch, original=snap
        ),
        submit_label=ui.t("hub.edit.submit", group=g["code"]),
        saved_text=ui.t("hub.edit.done", group=label),
    )


FORMS = {
    "meeting": meeting_form,
    "check_in": check_in_form,
    "survey": survey_form,
    "status": status_form,
    "match": match_form,
    "vog": vog_form,
    "training": training_form,
    "edit": edit_form,
    "milestones": lambda: milestone_checklist.action(
        engine, scope, checklist, group_label=label, as_of=as_of, slot=SLOT
    ),
}
if action is not None:
    FORMS[action]()
actions.feedback(SLOT)
milestone_checklist.show(checklist)

# -------------------------------------------------------------------------------------------- what it is
left, right = st.columns([3, 2])
with left:
    st.subheader(ui.t("group.newcomer"))
    if matches.empty:
        st.write(ui.t("group.no_match"))
    for m in matches.itertuples():
        with st.container(border=True):
            st.markdown(
                f"**{ui.md(m.first_name)} {ui.md(m.last_name)}** ({ui.md(m.newcomer_code)}) · "
                f"{i18n.label('match_status', m.status)}"
            )
            if m.status != MatchStatus.DECLINED.value or scope.is_coordinator:
                st.text(
                    ui.t(
                        "group.household",
                        n=m.household_size,
                        country=m.country_of_origin or "–",
                        languages=m.languages or "–",
                    )
                )
            if m.end_reason:
                st.text(ui.t("group.end_reason", reason=m.end_reason))
    st.subheader(ui.t("group.members", n=len(detail.members)))
    member_table = detail.members.assign(
        name=detail.members["first_name"] + " " + detail.members["last_name"],
        role=detail.members["role"].map(lambda r: i18n.label("member_role", r)),
        joined_date=pd.to_datetime(detail.members["joined_date"]),
        vog_date=pd.to_datetime(detail.members["vog_date"]),
    )[["code", "name", "role", "email", "phone", "joined_date", "vog_date"]]
    st.dataframe(
        member_table,
        hide_index=True,
        placeholder=formatting.EMPTY,
        width="stretch",
        column_config={
            "code": ui.t("col.code"),
            "name": ui.t("col.name"),
            "role": ui.t("col.role"),
            "email": ui.t("col.email"),
            "phone": ui.t("col.phone"),
            "joined_date": ui.date_column(ui.t("col.joined")),
            "vog_date": ui.date_column(ui.t("col.vog")),
        },
    )
with right:
    st.subheader(ui.t("hub.check_ins"))
    notes = ui.cached(progress_queries.check_ins)(scope, group_id, limit=5)
    if notes.empty:
        st.caption(ui.t("progress.no_check_ins"))
    for note in notes.itertuples():
        st.markdown(
            f"**{ui.fmt_date(note.date)}** · {i18n.label('check_in', note.assessment)} · {ui.md(note.author)}"
        )
        if note.text:
            st.text(note.text)
    st.subheader(ui.t("group.timeline"))
    for _, event in detail.timeline.iterrows():
        st.markdown(f"- **{ui.fmt_date(event['date'])}** — {ui.t('timeline.' + event['event'])}")
    st.subheader(ui.t("group.surveys"))
    if detail.surveys.empty:
        st.write(ui.t("group.no_surveys"))
    else:
        st.dataframe(
            detail.surveys.assign(
                wave=detail.surveys["wave"].map(lambda w: i18n.label("wave", w)),
                role=detail.surveys["role"].map(lambda r: i18n.label("respondent_role", r)),
            ),
            hide_index=True,
            placeholder=formatting.EMPTY,
            column_config={
                "wave": ui.t("col.wave"),
                "role": ui.t("col.role"),
                "responses": ui.t("col.responses"),
            },
        )
    st.subheader(ui.t("group.notes"))
    st.text(g["notes"] or "–")

st.subheader(ui.t("group.meetings", n=len(detail.meetings)))
meetings = detail.meetings.assign(
    date=pd.to_datetime(detail.meetings["date"]),
    kind=detail.meetings["kind"].map(lambda k: i18n.label("meeting_kind", k)),
).drop(columns=["id"])
st.dataframe(
    meetings,
    hide_index=True,
    placeholder=formatting.EMPTY,
    width="stretch",
    height=min(400, 38 + 35 * max(1, len(meetings))),
    column_config={
        "date": ui.date_column(ui.t("col.date")),
        "kind": ui.t("col.kind"),
        "duration_minutes": ui.t("col.duration"),
        "members_present": ui.t("col.members_present"),
        "newcomers_present": ui.t("col.newcomers_present"),
        "note": ui.t("col.note"),
    },
)
if row is not None:
    st.subheader(ui.t("progress.cadence"))
    until, running = hub.cadence_until(g["status"], row["last_meeting"], as_of)
    cadence = ui.cached(progress_queries.meeting_cadence)(scope, group_id, as_of=until)
    st.plotly_chart(
        cadence_chart(
            cadence,
            axis_title=ui.t("progress.axis_meetings"),
            hover=ui.t("progress.hover_meetings"),
            partial_month=f"{until:%Y-%m}" if running else None,
            partial_label=ui.t("charts.partial_month"),
        ),
        config={"displayModeBar": False},
        key=f"cadence-{group_id}",
    )
    if running:  # the variant's rhythm (issue 19); an ended group has none to keep
        st.caption(ui.t("progress.cadence_rule", days=int(row["quiet_after_days"])))
    else:
        st.caption(ui.t("progress.cadence_ended", date=ui.fmt_date(until)))
