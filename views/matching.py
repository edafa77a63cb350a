"""Matching (Koppelen): the waiting queue per municipality, match suggestions, the match workflow and the funnel.

Reads via samenhier.queries.matching, charts via samenhier.charts.matching, writes via
samenhier.services.matches. Who sees and may do what is decided there; this page only leaves out
what a community builder would be refused anyway (the named queue, suggestions, proposing).
"""

import datetime as dt

import pandas as pd
import streamlit as st

from samenhier import actions, formatting, i18n, ui
from samenhier.charts import matching as charts
from samenhier.forms import FormField
from samenhier.matching import COMPONENTS, Weights, points
from samenhier.models import GroupStatus, MatchStatus
from samenhier.queries import matching as queries
from samenhier.services import matches as services

URGENT_BACKGROUND = "background-color: #fde2c8"
NOT_ELIGIBLE_BACKGROUND = "background-color: #e4e4e4; color: #555555"

scope = ui.require_scope()
filters = ui.current_filters()
as_of = ui.as_of()
lang = ui.current_language()
settings = ui.settings()
DATE_FORMAT = formatting.date_input_format(lang)

st.title(ui.t("matching.title"))
st.caption(ui.t("common.as_of", date=ui.fmt_date(as_of)))

FIELD_LABELS = {
    "newcomer": ui.t("matching.field.newcomer"),
    "group": ui.t("matching.field.group"),
    "proposed_date": ui.t("matching.field.proposed_date"),
    "confirm_second": ui.t("matching.field.confirm_second"),
    "confirm_past_eligibility": ui.t("matching.field.confirm_past_eligibility"),
    "started_date": ui.t("matching.field.started_date"),
    "declined_date": ui.t("matching.field.declined_date"),
    "ended_date": ui.t("matching.field.ended_date"),
    "reason": ui.t("matching.field.reason"),
    "outcome": ui.t("matching.field.outcome"),
    "group_status": ui.t("matching.field.group_status"),
    "status": ui.t("matching.field.status"),
}


def as_datetime(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values)


def right_aligned(label: str):
    """A text column of numbers (with "–" for none), aligned like numbers."""
    return st.column_config.TextColumn(label, alignment="right")


def number(value) -> str:
    return "–" if value is None or pd.isna(value) else formatting.format_number(value, lang, decimals=0)


summary = ui.cached(queries.queue_summary)(scope, filters, as_of=as_of)
running = ui.cached(queries.open_matches)(scope, filters)

# ------------------------------------------------------------------------------------------ all municipalities
st.subheader(ui.t("matching.per_municipality"))
if summary.empty and running.empty:
    st.info(ui.t("matching.nothing_waiting"))
    st.stop()
if not scope.is_coordinator:
    st.caption(ui.t("matching.builder_note", n=settings.min_cell_size))
left, right = st.columns(2)
with left:
    st.markdown(f"**{ui.t('matching.chart.pending')}**")
    st.plotly_chart(
        charts.pending_matches(
            summary,
            labels={"newcomers": ui.t("matching.legend.newcomers"), "groups": ui.t("matching.legend.groups")},
            axis_title=ui.t("matching.axis.waiting"),
        ),
        config={"displayModeBar": False},
        key="chart_pending",
    )
with right:
    st.markdown(f"**{ui.t('matching.chart.wait_times')}**")
    st.plotly_chart(
        charts.wait_times(
            summary,
            labels={
                "newcomer_wait_median": ui.t("matching.legend.newcomer_median"),
                "newcomer_wait_p90": ui.t("matching.legend.newcomer_p90"),
                "group_wait_median": ui.t("matching.legend.group_median"),
                "group_wait_p90": ui.t("matching.legend.group_p90"),
            },
            axis_title=ui.t("matching.axis.days"),
        ),
        config={"displayModeBar": False},
        key="chart_wait",
    )
st.dataframe(
    summary.assign(
        **{
            c: summary[c].map(number)
            for c in (
                "urgent",
                "not_eligible",
                "newcomer_wait_median",
                "newcomer_wait_p90",
                "group_wait_median",
                "group_wait_p90",
            )
        }
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "municipality": ui.t("col.municipality"),
        "newcomers_waiting": ui.t("matching.col.newcomers_waiting"),
        "urgent": right_aligned(ui.t("matching.col.urgent")),
        "not_eligible": right_aligned(ui.t("matching.col.not_eligible")),
        "newcomer_wait_median": right_aligned(ui.t("matching.col.newcomer_wait_median")),
        "newcomer_wait_p90": right_aligned(ui.t("matching.col.newcomer_wait_p90")),
        "groups_waiting": ui.t("matching.col.groups_waiting"),
        "group_wait_median": right_aligned(ui.t("matching.col.group_wait_median")),
        "group_wait_p90": right_aligned(ui.t("matching.col.group_wait_p90")),
        "proposals": ui.t("matching.col.proposals"),
    },
    placeholder=formatting.EMPTY,
)

# ------------------------------------------------------------------------------------------ one municipality
municipalities = sorted(set(summary["municipality"]) | set(running["municipality"]))
municipality = st.selectbox(
    ui.t("matching.choose_municipality"),
    municipalities,
    placeholder=ui.t("actions.choose"),
    key="matching_municipality",
)


def queue_tab() -> None:
    if scope.is_coordinator:
        newcomers = ui.cached(queries.waiting_newcomers)(
            scope, filters, as_of=as_of, municipality=municipality
        )
        st.subheader(ui.t("matching.newcomers_waiting", n=len(newcomers)))
        flags = {
            queries.Flag.URGENT: ui.t("matching.flag.urgent"),
            queries.Flag.NOT_ELIGIBLE: ui.t("matching.flag.not_eligible"),
            queries.Flag.OK: "",
        }
        table = pd.DataFrame(
            {
                "code": newcomers["code"],
                "name": newcomers["name"],
                "household_size": newcomers["household_size"],
                "languages": newcomers["languages"],
                "registration_date": as_datetime(newcomers["registration_date"]),
                "wait_days": newcomers["wait_days"],
                "eligibility_end": as_datetime(newcomers["eligibility_end"]),
                "days_left": newcomers["days_left"],
                "flag": newcomers["flag"].map(flags),
                "proposed_group": newcomers["proposed_group"].fillna(""),
            }
        )
        backgrounds = (
            newcomers["flag"]
            .map({queries.Flag.URGENT: URGENT_BACKGROUND, queries.Flag.NOT_ELIGIBLE: NOT_ELIGIBLE_BACKGROUND})
            .fillna("")
        )
        styled = table.style.apply(lambda row: [backgrounds.iloc[row.name]] * len(row), axis=1)
        st.dataframe(
            styled,
            hide_index=True,
            width="stretch",
            column_config={
                "code": ui.t("col.code"),
                "name": ui.t("col.name"),
                "household_size": ui.t("matching.col.household"),
                "languages": ui.t("matching.col.languages"),
                "registration_date": ui.date_column(ui.t("matching.col.registered")),
                "wait_days": st.column_config.NumberColumn(ui.t("matching.col.wait_days"), format="%d"),
                "eligibility_end": ui.date_column(ui.t("matching.col.eligibility_end")),
                "days_left": st.column_config.NumberColumn(ui.t("matching.col.days_left"), format="%d"),
                "flag": ui.t("matching.col.flag"),
                "proposed_group": ui.t("matching.col.proposed_group"),
            },
            placeholder=formatting.EMPTY,
        )
        st.caption(
            ui.t("matching.flag_legend", days=settings.urgent_days_left, years=settings.eligibility_years)
        )
    else:
        mine = summary[summary["municipality"] == municipality]
        waiting = int(mine["newcomers_waiting"].iloc[0]) if len(mine) else 0
        st.info(ui.t("matching.queue_hidden", n=waiting, municipality=municipality))

    groups = ui.cached(queries.waiting_groups)(scope, filters, as_of=as_of, municipality=municipality)
    st.subheader(ui.t("matching.groups_waiting", n=len(groups)))
    st.dataframe(
        pd.DataFrame(
            {
                "link": "groep?group=" + groups["code"],
                "name": groups["name"],
                "community_builder": groups["community_builder"],
                "members": groups["members"],
                "languages": groups["languages"],
                "training_completed_date": as_datetime(groups["training_completed_date"]),
                "wait_days": groups["wait_days"],
                "proposed_newcomer": groups["proposed_newcomer"].fillna(""),
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "link": st.column_config.LinkColumn(ui.t("col.code"), display_text=r"group=(.*)$"),
            "name": ui.t("col.name"),
            "community_builder": ui.t("col.community_builder"),
            "members": ui.t("matching.col.members"),
            "languages": ui.t("matching.col.builder_languages"),
            "training_completed_date": ui.date_column(ui.t("matching.col.training_completed")),
            "wait_days": st.column_config.NumberColumn(ui.t("matching.col.wait_days"), format="%d"),
            "proposed_newcomer": ui.t("matching.col.proposed_newcomer"),
        },
        placeholder=formatting.EMPTY,
    )
    st.caption(ui.t("matching.groups_languages_note"))


def suggestions_tab() -> None:
    weights = Weights.from_settings()
    st.caption(
        ui.t(
            "matching.suggestions_intro",
            language=formatting.format_number(weights.language, lang),
            household=formatting.format_number(weights.household, lang),
            urgency=formatting.format_number(weights.urgency, lang),
            waiting=formatting.format_number(weights.waiting, lang),
        )
    )
    suggested = ui.cached(queries.suggestions)(scope, filters, as_of=as_of, municipality=municipality)
    actions.feedback("suggestions")
    if suggested.empty:
        st.info(ui.t("matching.no_suggestions"))
    for row in suggested.itertuples(index=False):
        share = points({name: getattr(row, name) for name in COMPONENTS}, weights)
        with st.container(border=True):
            head, action = st.columns([5, 1])
            head.markdown(
                ui.t(
                    "matching.suggestion",
                    newcomer=ui.md(f"{row.newcomer_code} {row.newcomer_name}"),
                    group=ui.md(f"{row.group_code} {row.group_name}"),
                    score=number(row.score),
                )
            )
            why = [
                ui.t(
                    "matching.why.language",
                    languages=ui.md(row.shared_languages),
                    points=number(share["language"]),
                )
                if row.shared_languages
                else ui.t("matching.why.no_language", points=number(share["language"])),
                ui.t(
                    "matching.why.household",
                    household=row.household_size,
                    members=row.members,
                    points=number(share["household"]),
                ),
                ui.t("matching.why.days_left", days=row.days_left, points=number(share["urgency"])),
                ui.t(
                    "matching.why.waiting",
                    newcomer=row.newcomer_wait_days,
                    group=number(row.group_wait_days),
                    points=number(share["waiting"]),
                ),
            ]
            head.markdown("\n".join(f"- {line}" for line in why))
            name = (
                f"{ui.t('matching.choose_match')} {row.group_code} ↔ {row.newcomer_code} {row.newcomer_name}"
            )
            with action:
                actions.action_button(
                    f"suggest-{row.group_id}",
                    actions.Shown(int(row.newcomer_id), None, name),
                    slot="suggestions",
                    label=ui.t("matching.propose"),
                    icon=":material/handshake:",
                    done_text=ui.t("matching.proposed_named", name=ui.md(name)),
                    call=lambda shown, _, group_id=int(row.group_id): services.propose_match(
                        ui.engine(), scope, newcomer_id=shown.id, group_id=group_id, proposed_date=as_of
                    ),
                )


def match_name(row) -> str:
    """A match as people name it: group code ↔ newcomer code and name."""
    return (
        f"{ui.t('matching.choose_match')} {row['group_code']} ↔ {row['newcomer_code']} {row['newcomer_name']}"
    )


def match_call(service, **fixed):
    """A service call on the shown match: its id and the version that was rendered go with every write."""
    return lambda shown, values: service(
        ui.engine(), scope, match_id=shown.id, expected_version=shown.version, **fixed, **values
    )


def propose_section() -> None:
    st.subheader(ui.t("matching.propose_title"))
    candidates = ui.cached(queries.waiting_newcomers)(scope, filters, as_of=as_of, municipality=municipality)
    candidates = candidates[candidates["proposed_group"].isna()]
    targets = ui.cached(queries.proposable_groups)(scope, filters, as_of=as_of, municipality=municipality)
    if candidates.empty or targets.empty:
        st.info(ui.t("matching.propose_nothing"))
        actions.feedback("propose")
        return
    left, right = st.columns(2)
    with left:
        newcomer = actions.pick(
            candidates,
            key="propose_newcomer",
            id_column="newcomer_id",
            label=ui.t("matching.field.newcomer"),
            format_row=lambda r: (
                f"{r.code} · {r.name} · "
                + (
                    ui.t("matching.flag.not_eligible")
                    if r.days_left < 0
                    else ui.t("matching.days_left", days=r.days_left)
                )
            ),
        )
    with right:
        group = actions.pick(
            targets,
            key="propose_group",
            id_column="group_id",
            label=ui.t("matching.field.group"),
            format_row=lambda r: (
                f"{r.code} · {r.name} · {i18n.label('group_status', r.status)}"
                + (f" · {ui.t('matching.running', n=r.running_matches)}" if r.running_matches else "")
            ),
        )
    actions.feedback("propose")
    if newcomer is None or group is None:
        st.caption(ui.t("matching.propose_choose"))
        return
    name = f"{ui.t('matching.choose_match')} {group['code']} ↔ {newcomer['code']} {newcomer['name']}"
    pair = actions.Shown(int(newcomer["newcomer_id"]), None, name)
    group_id = int(group["group_id"])
    # A confirmation is asked only where the rule needs one: a group that already has a running match or is in its
    # year (a second match), a newcomer past the end of the eligible years (services.matches).
    # (or after the service asked for it: a proposal dated past the newcomer's eligible years).
    form_key = f"propose-{group_id}"
    fields = [
        FormField("proposed_date", ui.t("matching.field.proposed_date"), "date", default=as_of, required=True)
    ]
    if (
        group["running_matches"]
        or group["status"] == GroupStatus.ACTIVE.value
        or actions.refused(form_key, pair, "confirm_second")
    ):
        fields.append(FormField("confirm_second", ui.t("matching.field.confirm_second"), "checkbox"))
    if newcomer["days_left"] < 0 or actions.refused(form_key, pair, "confirm_past_eligibility"):
        fields.append(
            FormField("confirm_past_eligibility", ui.t("matching.field.confirm_past_eligibility"), "checkbox")
        )
    actions.action_form(
        form_key,
        pair,
        slot="propose",
        fields=fields,
        call=lambda shown, values: services.propose_match(
            ui.engine(), scope, newcomer_id=shown.id, group_id=group_id, **values
        ),
        submit_label=ui.t("matching.propose_named", name=ui.md(name)),
        done_text=ui.t("matching.proposed_named", name=ui.md(name)),
        field_labels=FIELD_LABELS,
        on_done=lambda _: (actions.drop_choice("propose_newcomer"), actions.drop_choice("propose_group")),
    )


def match_actions(here) -> None:
    """The running matches shown above: choose one, then accept / decline it (proposed) or end it (active)."""
    row = actions.pick(
        here,
        key="match_pick",
        id_column="match_id",
        label=ui.t("matching.choose_match"),
        format_row=lambda r: (
            f"{r.group_code} ↔ {r.newcomer_code} {r.newcomer_name} · {i18n.label('match_status', r.status)}"
        ),
    )
    if row is None:
        return
    match = actions.Shown(int(row["match_id"]), int(row["version"]), match_name(row))
    if row["status"] == MatchStatus.PROPOSED.value:
        accept_col, decline_col = st.columns(2)
        with accept_col:
            actions.action_form(
                "accept",
                match,
                slot="match_pick",
                title=ui.t("matching.accept_title"),
                intro=ui.t("matching.accept_help"),
                fields=[
                    FormField("started_date", ui.t("matching.field.started_date"), "date", default=as_of)
                ],
                call=match_call(services.accept_match),
                submit_label=ui.t("matching.accept_named", name=ui.md(match.name)),
                done_text=ui.t("matching.accepted_named", name=ui.md(match.name)),
                field_labels=FIELD_LABELS,
                on_done=lambda _: actions.drop_choice("match_pick"),  # the next action offered is not "end"
            )
        with decline_col:
            actions.action_form(
                "decline",
                match,
                slot="match_pick",
                title=ui.t("matching.decline_title"),
                destructive=True,
                icon=":material/block:",
                fields=[
                    FormField("declined_date", ui.t("matching.field.declined_date"), "date", default=as_of),
                    FormField(
                        "reason",
                        ui.t("matching.field.reason"),
                        required=True,
                        max_chars=services.MAX_REASON_LENGTH,
                    ),
                ],
                call=match_call(services.decline_match),
                submit_label=ui.t("matching.decline_named", name=ui.md(match.name)),
                done_text=ui.t("matching.declined_named", name=ui.md(match.name)),
                field_labels=FIELD_LABELS,
                confirm_text=ui.t("matching.decline_confirm", name=ui.md(match.name)),
            )
        return
    actions.action_form(
        "end",
        match,
        slot="match_pick",
        title=ui.t("matching.end_title"),
        destructive=True,
        icon=":material/stop_circle:",
        fields=[
            FormField(
                "outcome",
                ui.t("matching.field.outcome"),
                "radio",
                options=list(services.END_OUTCOMES),
                required=True,
                format_func=lambda s: i18n.label("match_status", s),
            ),
            FormField("ended_date", ui.t("matching.field.ended_date"), "date", default=as_of),
            FormField(
                "reason",
                ui.t("matching.field.reason"),
                max_chars=services.MAX_REASON_LENGTH,
                help=ui.t("matching.end_reason_help"),
            ),
            FormField(
                "group_status",
                ui.t("matching.field.group_status"),
                "select",
                options=["", *services.GROUP_STATUSES_AFTER_END],
                default="",
                format_func=lambda s: (
                    ui.t("matching.group_status_default") if not s else i18n.label("group_status", s)
                ),
            ),
        ],
        call=lambda shown, values: services.end_match(
            ui.engine(),
            scope,
            match_id=shown.id,
            expected_version=shown.version,
            **{**values, "group_status": values["group_status"] or None},
        ),
        submit_label=ui.t("matching.end_named", name=ui.md(match.name)),
        done_text=ui.t("matching.ended_named", name=ui.md(match.name)),
        confirm_text=ui.t("matching.end_confirm", name=ui.md(match.name)),
        field_labels=FIELD_LABELS,
    )


def matches_tab() -> None:
    if scope.is_coordinator:
        propose_section()
    else:
        st.caption(ui.t("matching.builder_actions"))

    here = running[running["municipality"] == municipality]
    st.subheader(ui.t("matching.running_title", n=len(here)))
    if here.empty:
        st.info(ui.t("matching.no_running"))
        actions.feedback("match_pick")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "group": here["group_code"] + " " + here["group_name"],
                    "newcomer": here["newcomer_code"] + " " + here["newcomer_name"],
                    "household_size": here["household_size"],
                    "status": here["status"].map(lambda s: i18n.label("match_status", s)),
                    "proposed_date": as_datetime(here["proposed_date"]),
                    "started_date": as_datetime(here["started_date"]),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "group": ui.t("matching.field.group"),
                "newcomer": ui.t("matching.field.newcomer"),
                "household_size": ui.t("matching.col.household"),
                "status": ui.t("col.status"),
                "proposed_date": ui.date_column(ui.t("matching.field.proposed_date")),
                "started_date": ui.date_column(ui.t("matching.field.started_date")),
            },
            placeholder=formatting.EMPTY,
        )
        match_actions(here)


def funnel_tab() -> None:
    st.caption(ui.t("matching.funnel_intro"))
    start_col, end_col = st.columns(2)
    period_start = start_col.date_input(
        ui.t("matching.period_start"),
        value=as_of - dt.timedelta(days=730),
        format=DATE_FORMAT,
        key="funnel_start",
    )
    period_end = end_col.date_input(
        ui.t("matching.period_end"), value=as_of, format=DATE_FORMAT, key="funnel_end"
    )
    frame = ui.cached(queries.funnel)(scope, filters, start=period_start, end=period_end, as_of=as_of)
    steps = {
        "registered": ui.t("matching.step.registered"),
        "proposed": ui.t("matching.step.proposed"),
        "started": ui.t("matching.step.started"),
        "completed": ui.t("matching.step.completed"),
        "stopped": ui.t("matching.step.stopped"),
        "withdrawn": ui.t("matching.step.withdrawn"),
    }
    if frame.empty:
        st.info(ui.t("matching.funnel_empty"))
    else:
        st.plotly_chart(
            charts.funnel(frame, steps=("registered", "proposed", "started", "completed"), label=steps.get),
            config={"displayModeBar": False},
            key="chart_funnel",
        )
        st.dataframe(
            frame.assign(step=frame["step"].map(steps), median_days=frame["median_days"].map(number)),
            hide_index=True,
            width="stretch",
            column_config={
                "municipality": ui.t("col.municipality"),
                "step": ui.t("matching.col.step"),
                "newcomers": ui.t("matching.col.newcomers"),
                "median_days": right_aligned(ui.t("matching.col.median_days")),
            },
            placeholder=formatting.EMPTY,
        )
        st.caption(ui.t("matching.funnel_medians"))


sections = {"queue": ui.t("matching.tab.queue")}
if scope.is_coordinator:
    sections["suggestions"] = ui.t("matching.tab.suggestions")
sections |= {"matches": ui.t("matching.tab.matches"), "funnel": ui.t("matching.tab.funnel")}
draw = {"queue": queue_tab, "suggestions": suggestions_tab, "matches": matches_tab, "funnel": funnel_tab}
for slug, tab in actions.tabs("matching", sections).items():
    if tab.open:  # only the open tab runs its queries and charts
        with tab:
            draw[slug]()
