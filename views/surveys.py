"""Surveys (Enquêtes): response, loneliness per wave, change of the same people, end-of-year answers, and entering a response."""

import datetime as dt

import pandas as pd
import streamlit as st

from samenhier import actions, formatting, i18n, ui
from samenhier.charts import surveys as survey_charts
from samenhier.forms import FormField
from samenhier.models import LONELINESS_ITEMS, Answer, SelfReportedChange, Wave
from samenhier.queries import records as record_queries
from samenhier.queries import surveys as survey_queries
from samenhier.scope import AccessDenied
from samenhier.services.surveys import save_survey_response
from samenhier.survey_stats import (
    FEEL_AT_HOME,
    LONELINESS,
    LONELY,
    ROLES,
    coverage_note,
    end_of_year_summary,
    format_p_value,
    loneliness_summary,
    paired_summary,
    response_summary,
)

scope = ui.require_scope()
filters = ui.current_filters()
as_of = ui.as_of()
lang = ui.current_language()
min_n = ui.settings().min_cell_size


def label(vocabulary: str, value: str) -> str:
    return i18n.label(vocabulary, value, lang)


def percent(value: float) -> float:
    return value * 100


def interval(row) -> str:
    if row["suppressed"]:
        return ui.t("surveys.too_few", min_n=min_n)
    return f"{formatting.format_share(row['ci_low'], lang)} – {formatting.format_share(row['ci_high'], lang)}"


SHARE = st.column_config.NumberColumn(ui.t("surveys.col.share"), format="%.0f%%")
CHART = {"displayModeBar": False}

st.title(ui.t("surveys.title"))
st.caption(ui.t("surveys.caption", date=ui.fmt_date(as_of), min_n=min_n))
st.caption(ui.t("surveys.hidden_note", min_n=min_n))

left, right = st.columns(2)
cohorts = tuple(
    left.multiselect(
        ui.t("surveys.filter.cohort"),
        ui.cached(survey_queries.survey_cohorts)(scope, filters),
        key="surveys_cohorts",
        placeholder=ui.t("filters.all"),
        help=ui.t("surveys.filter.cohort_help"),
        select_all=False,  # Streamlit's "Select all" is English only
    )
)
roles = tuple(
    right.multiselect(
        ui.t("surveys.filter.role"),
        list(ROLES),
        format_func=lambda r: label("respondent_role", r),
        key="surveys_roles",
        placeholder=ui.t("filters.all"),
        select_all=False,  # Streamlit's "Select all" is English only
    )
)
shown_roles = [r for r in ROLES if not roles or r in roles]
args = dict(as_of=as_of, cohorts=cohorts, roles=roles)


def response_tab() -> None:
    rates = ui.cached(survey_queries.response_rates)(scope, filters, **args)
    st.subheader(ui.t("surveys.response.title"))
    st.caption(ui.t("surveys.response.help", min_n=min_n))
    for role in shown_roles:
        st.info(response_summary(rates.totals, role, lang))
    if not rates.totals.empty:
        st.plotly_chart(
            survey_charts.response_rates(rates.totals, label=label, axis_title=ui.t("surveys.axis.response")),
            config=CHART,
            key="chart_response",
        )
        table = rates.by_municipality
        st.dataframe(
            pd.DataFrame(
                {
                    "wave": table["wave"].map(lambda w: label("wave", w)),
                    "role": table["role"].map(lambda r: label("respondent_role", r)),
                    "municipality": table["municipality"].fillna(ui.t("surveys.other_municipalities")),
                    "invited": table["invited"],
                    "responses": table["responses"],
                    "rate": table["rate"].map(percent),
                    "note": table["suppressed"].map(
                        lambda s: ui.t("surveys.too_few", min_n=min_n) if s else ""
                    ),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "wave": ui.t("col.wave"),
                "role": ui.t("col.role"),
                "municipality": ui.t("col.municipality"),
                "invited": ui.t("surveys.col.invited"),
                "responses": st.column_config.NumberColumn(ui.t("col.responses"), format="%d"),
                "rate": st.column_config.NumberColumn(ui.t("surveys.col.rate"), format="%.0f%%"),
                "note": ui.t("surveys.col.note"),
            },
            key="table_response",
            placeholder=formatting.EMPTY,
        )


def waves_tab() -> None:
    shares = ui.cached(survey_queries.loneliness_by_wave)(scope, filters, **args)
    st.subheader(ui.t("surveys.waves.title"))
    st.caption(ui.t("surveys.waves.help"))
    for role in shown_roles:
        st.info(loneliness_summary(shares, role, lang))
    # Why these figures can differ from another filter's or another user's: responses left out or pooled.
    left_out_note = coverage_note(shares, lang)
    if left_out_note:
        st.caption(left_out_note)
    if not shares.empty:
        st.plotly_chart(
            survey_charts.lonely_shares(shares, label=label, axis_title=ui.t("surveys.axis.lonely")),
            config=CHART,
            key="chart_lonely",
        )
        st.plotly_chart(
            survey_charts.band_distribution(shares, label=label, axis_title=ui.t("surveys.axis.share")),
            config=CHART,
            key="chart_bands",
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "wave": shares["wave"].map(lambda w: label("wave", w)),
                    "role": shares["role"].map(lambda r: label("respondent_role", r)),
                    "category": shares["category"].map(
                        lambda c: ui.t("surveys.category.lonely") if c == LONELY else label("band", c)
                    ),
                    "n": shares["n"],
                    "k": shares["k"],
                    "share": shares["share"].map(percent),
                    "interval": shares.apply(interval, axis=1),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "wave": ui.t("col.wave"),
                "role": ui.t("col.role"),
                "category": ui.t("surveys.col.category"),
                "n": st.column_config.NumberColumn(
                    ui.t("surveys.col.n"), help=ui.t("surveys.col.n_help"), format="%d"
                ),
                "k": st.column_config.NumberColumn(ui.t("surveys.col.k"), format="%d"),
                "share": SHARE,
                "interval": ui.t("surveys.col.interval"),
            },
            key="table_waves",
            placeholder=formatting.EMPTY,
        )


def paired_tab() -> None:
    paired = ui.cached(survey_queries.paired_changes)(scope, filters, **args)
    st.subheader(ui.t("surveys.paired.title"))
    st.caption(ui.t("surveys.paired.help"))
    for role in shown_roles:
        st.info(paired_summary(paired.summary, role, lang))
    summary = paired.summary
    for measure, scale in ((LONELINESS, (0, 6)), (FEEL_AT_HOME, (1, 5))):
        if summary[(summary["measure"] == measure) & ~summary["suppressed"]].empty:
            continue
        st.markdown(f"**{ui.t(f'surveys.measure.{measure}')}**")
        chart_left, chart_right = st.columns(2)
        chart_left.plotly_chart(
            survey_charts.dumbbell(
                summary,
                measure,
                label=label,
                baseline_name=label("wave", Wave.BASELINE.value),
                end_name=label("wave", Wave.END.value),
                x_title=ui.t("surveys.axis.mean_score"),
                x_range=scale,
            ),
            config=CHART,
            key=f"chart_dumbbell_{measure}",
        )
        chart_right.plotly_chart(
            survey_charts.change_distribution(
                paired.distribution,
                measure,
                label=label,
                x_title=ui.t("surveys.axis.change"),
                y_title=ui.t("surveys.axis.people"),
            ),
            config=CHART,
            key=f"chart_change_{measure}",
        )
    if not summary.empty:

        def two_decimals(value: float) -> str:
            return "" if pd.isna(value) else formatting.format_number(value, lang, decimals=2)

        st.dataframe(
            pd.DataFrame(
                {
                    "role": summary["role"].map(lambda r: label("respondent_role", r)),
                    "measure": summary["measure"].map(lambda m: ui.t(f"surveys.measure.{m}")),
                    "n": summary["n"],
                    "baseline": summary["baseline_mean"].map(two_decimals),
                    "end": summary["end_mean"].map(two_decimals),
                    "change": summary["mean_change"].map(two_decimals),
                    "interval": [
                        ui.t("surveys.too_few", min_n=min_n)
                        if s
                        else f"{two_decimals(lo)} – {two_decimals(hi)}"
                        for s, lo, hi in zip(
                            summary["suppressed"], summary["ci_low"], summary["ci_high"], strict=True
                        )
                    ],
                    "decreased": summary["decreased"],
                    "same": summary["same"],
                    "increased": summary["increased"],
                    "p": summary["p_value"].map(lambda p: format_p_value(p, lang)),
                    "sign_p": summary["sign_p_value"].map(lambda p: format_p_value(p, lang)),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "role": ui.t("col.role"),
                "measure": ui.t("surveys.col.measure"),
                "n": st.column_config.NumberColumn(ui.t("surveys.col.people"), format="%d"),
                "baseline": ui.t("surveys.col.baseline_mean"),
                "end": ui.t("surveys.col.end_mean"),
                "change": ui.t("surveys.col.mean_change"),
                "interval": ui.t("surveys.col.interval"),
                "decreased": st.column_config.NumberColumn(ui.t("surveys.col.decreased"), format="%d"),
                "same": st.column_config.NumberColumn(ui.t("surveys.col.same"), format="%d"),
                "increased": st.column_config.NumberColumn(ui.t("surveys.col.increased"), format="%d"),
                "p": st.column_config.TextColumn(ui.t("surveys.col.p"), help=ui.t("surveys.col.p_help")),
                "sign_p": st.column_config.TextColumn(
                    ui.t("surveys.col.sign_p"), help=ui.t("surveys.col.sign_p_help")
                ),
            },
            key="table_paired",
            placeholder=formatting.EMPTY,
        )


def end_tab() -> None:
    end = ui.cached(survey_queries.end_of_year)(scope, filters, **args)
    st.subheader(ui.t("surveys.end.title"))
    st.caption(ui.t("surveys.end.help"))
    for role in shown_roles:
        st.info(end_of_year_summary(end.change, end.contacts, role, lang))
    if not end.change.empty:
        st.plotly_chart(
            survey_charts.self_reported_change(
                end.change, label=label, axis_title=ui.t("surveys.axis.share")
            ),
            config=CHART,
            key="chart_self_reported",
        )
        st.dataframe(
            pd.DataFrame(
                {
                    "role": end.change["role"].map(lambda r: label("respondent_role", r)),
                    "answer": end.change["answer"].map(lambda a: label("change", a)),
                    "n": end.change["n"],
                    "k": end.change["k"],
                    "share": end.change["share"].map(percent),
                    "interval": end.change.apply(interval, axis=1),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "role": ui.t("col.role"),
                "answer": ui.t("surveys.col.answer"),
                "n": st.column_config.NumberColumn(ui.t("surveys.col.n"), format="%d"),
                "k": st.column_config.NumberColumn(ui.t("surveys.col.k"), format="%d"),
                "share": SHARE,
                "interval": ui.t("surveys.col.interval"),
            },
            key="table_end",
            placeholder=formatting.EMPTY,
        )
    if not end.contacts.empty:
        st.dataframe(
            pd.DataFrame(
                {
                    "role": end.contacts["role"].map(lambda r: label("respondent_role", r)),
                    "n": end.contacts["n"],
                    "mean": end.contacts["mean"],
                    "median": end.contacts["median"],
                    "note": end.contacts["suppressed"].map(
                        lambda s: ui.t("surveys.too_few", min_n=min_n) if s else ""
                    ),
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "role": ui.t("col.role"),
                "n": st.column_config.NumberColumn(ui.t("surveys.col.n"), format="%d"),
                "mean": st.column_config.NumberColumn(ui.t("surveys.col.contacts_mean"), format="%.1f"),
                "median": st.column_config.NumberColumn(ui.t("surveys.col.contacts_median"), format="%.0f"),
                "note": ui.t("surveys.col.note"),
            },
            key="table_contacts",
            placeholder=formatting.EMPTY,
        )


# Entering a response ------------------------------------------------------------------------------

ANSWER_OPTIONS = [None, *(a.value for a in Answer)]
CHANGE_OPTIONS = [None, *(c.value for c in SelfReportedChange)]
HOME_OPTIONS = [None, 1, 2, 3, 4, 5]


def not_answered(format_value):
    return lambda v: ui.t("surveys.entry.not_answered") if v is None else format_value(v)


def respondent_key(role: str, person_id: int) -> int:
    """One integer per respondent of a group (a member and a newcomer may share an id): the picker's id."""
    return int(person_id) * 2 + (role == "lid")


def entry_tab() -> None:
    st.subheader(ui.t("surveys.entry.title"))
    names = ui.cached(record_queries.group_options)(scope, filters)  # id → "code · name", by code
    if not names:
        st.info(ui.t("surveys.entry.no_groups"))
        return
    groups = pd.DataFrame({"group_id": list(names), "label": list(names.values())})
    group = actions.pick(
        groups,
        key="survey_entry_group",
        id_column="group_id",
        label=ui.t("surveys.entry.group"),
        format_row=lambda r: r.label,
    )
    if group is None:
        return
    group_id = int(group["group_id"])
    try:
        people = ui.cached(survey_queries.respondents)(scope, group_id)
    except AccessDenied:
        ui.denied()
    if people.empty:
        st.info(ui.t("surveys.entry.no_people"))
        return
    people = people.assign(
        pick_id=[respondent_key(r, p) for r, p in zip(people["role"], people["person_id"], strict=True)]
    )
    person = actions.pick(
        people,
        key=f"survey_entry_person_{group_id}",
        id_column="pick_id",
        label=ui.t("surveys.entry.person"),
        format_row=lambda r: f"{r.name} ({r.code}) · {label('respondent_role', r.role)}",
    )
    if person is None:
        return
    role, person_id = person["role"], int(person["person_id"])
    answered = [
        f"{label('wave', w.value)} {ui.fmt_date(person[w.value])}"
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
        format_func=lambda w: label("wave", w),
        horizontal=True,
        key="survey_entry_wave",
    )
    existing = survey_queries.survey_response(ui.engine(), scope, role=role, person_id=person_id, wave=wave)
    if existing is not None:
        st.warning(
            ui.t("surveys.entry.replaces", wave=label("wave", wave), date=ui.fmt_date(existing["date"]))
        )
    existing = existing or {}
    name = f"{label('wave', wave)} · {person['name']} ({person['code']})"
    response = actions.Shown(respondent_key(role, person_id), existing.get("version"), name)
    fields = [
        FormField(
            "date",
            ui.t("col.date"),
            "date",
            default=existing.get("date") or as_of,
            min_value=dt.date(2000, 1, 1),
            required=True,
        ),
        *(
            FormField(
                item,
                ui.t(f"surveys.item.{item}"),
                "radio",
                options=ANSWER_OPTIONS,
                default=existing.get(item),
                format_func=not_answered(lambda a: label("answer", a)),
            )
            for item in LONELINESS_ITEMS
        ),
        FormField(
            "feel_at_home",
            ui.t("surveys.item.feel_at_home"),
            "radio",
            options=HOME_OPTIONS,
            default=existing.get("feel_at_home"),
            format_func=not_answered(str),
        ),
    ]
    if wave == Wave.END.value:
        fields += [
            FormField(
                "self_reported_change",
                ui.t("surveys.item.self_reported_change"),
                "radio",
                options=CHANGE_OPTIONS,
                default=existing.get("self_reported_change"),
                format_func=not_answered(lambda c: label("change", c)),
            ),
            FormField(
                "new_contacts",
                ui.t("surveys.item.new_contacts"),
                "int",
                min_value=0,
                default=existing.get("new_contacts"),
            ),
        ]

    def save(shown, values):
        values = dict(values)
        answers = {item: values.pop(item) for item in LONELINESS_ITEMS}
        contacts = values.pop("new_contacts", None)
        return save_survey_response(
            ui.engine(),
            scope,
            group_id=group_id,
            role=role,
            person_id=person_id,
            wave=wave,
            answers=answers,
            new_contacts=None if contacts is None else int(contacts),
            self_reported_change=values.pop("self_reported_change", None),
            expected_version=shown.version,
            **values,
        )

    actions.action_form(
        f"survey-{group_id}-{wave}-{existing.get('version', 0)}",
        response,
        fields=fields,
        call=save,
        reload_on_conflict=True,
        submit_label=ui.t("surveys.entry.save_named", name=ui.md(name)),
        done_text=ui.t("surveys.entry.saved", name=ui.md(person["name"]), wave=label("wave", wave)),
        field_labels={
            f: ui.t(f"surveys.field.{f}")
            for f in ("date", "answers", "feel_at_home", "self_reported_change", "new_contacts")
        },
        slot=f"survey_entry_person_{group_id}",
    )


sections = {
    "response": ui.t("surveys.tab.response"),
    "waves": ui.t("surveys.tab.waves"),
    "paired": ui.t("surveys.tab.paired"),
    "end": ui.t("surveys.tab.end"),
    "entry": ui.t("surveys.tab.entry"),
}
draw = {
    "response": response_tab,
    "waves": waves_tab,
    "paired": paired_tab,
    "end": end_tab,
    "entry": entry_tab,
}
for slug, tab in actions.tabs("surveys", sections).items():
    if tab.open:  # only the open tab runs its queries and charts
        with tab:
            draw[slug]()
