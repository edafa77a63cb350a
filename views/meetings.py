"""Meetings (Bijeenkomsten): meeting frequency across the year, cadence per group, and logging,
editing and deleting meetings. Both roles; a community builder sees and edits only their own groups."""

import datetime as dt

import pandas as pd
import streamlit as st
from babel.dates import get_month_names

from samenhier import actions, formatting, i18n, ui
from samenhier.charts import meetings as meeting_charts
from samenhier.forms import FormField
from samenhier.models import MeetingKind
from samenhier.queries import meetings as meeting_queries
from samenhier.scope import AccessDenied
from samenhier.services import meetings as meeting_service
from samenhier.widgets import paginate

KINDS = [k.value for k in MeetingKind]
EARLIEST_DATE = dt.date(2000, 1, 1)
FIELD_LABELS = {
    "date": "col.date",
    "kind": "col.kind",
    "duration_minutes": "col.duration",
    "members_present": "col.members_present",
    "newcomers_present": "col.newcomers_present",
    "note": "col.note",
    "group": "meetings.field.group",
}
HOVER_LINES = 8
MAX_HEATMAP_ROWS = 150  # taller than this the heatmap stops being readable; the sidebar filters narrow it

scope = ui.require_scope()
filters = ui.current_filters()
as_of = ui.as_of()
lang = ui.current_language()
date_format = formatting.date_input_format(lang)
kind_labels = {k: i18n.label("meeting_kind", k, lang) for k in KINDS}
FIELD_TEXTS = {name: ui.t(key) for name, key in FIELD_LABELS.items()}


def describe(details: list) -> str:
    """Hover text of a heatmap cell: one line per meeting, date and kind."""
    lines = [
        f"{formatting.format_date(day, lang)} · {kind_labels[kind]}" for day, kind in details[:HOVER_LINES]
    ]
    if len(details) > HOVER_LINES:
        lines.append(f"… +{len(details) - HOVER_LINES}")
    return "<br>".join(lines)


def year_tab() -> None:
    left, right = st.columns([2, 1])
    views = {"calendar": ui.t("meetings.view.calendar"), "programme": ui.t("meetings.view.programme")}
    view = left.radio(
        ui.t("meetings.view"), list(views), horizontal=True, key="meetings_view", format_func=views.get
    )
    years = ui.cached(meeting_queries.meeting_years)(scope, filters, as_of=as_of)
    if view == "calendar":
        year = right.selectbox(ui.t("meetings.year"), years, key="meetings_year")
        grid = ui.cached(meeting_queries.week_heatmap)(scope, filters, year=year, max_rows=MAX_HEATMAP_ROWS)
        total_rows = ui.cached(meeting_queries.week_heatmap_size)(scope, filters, year=year)
        monthly = ui.cached(meeting_queries.monthly_counts)(scope, filters, year=year, as_of=as_of)
        columns, column_labels, column = meeting_queries.iso_weeks(year), None, "week"
        # The axis names a row by its code (a phone has no room for names); the hover text names it in full.
        row_key, row_label, row_title = (
            "group_id",
            lambda r: r["code"],
            lambda r: f"{r['code']} · {r['name']}",
        )
        month_labels = list(get_month_names("abbreviated", locale=lang).values())
        x_title = ui.t("meetings.axis.week")
        title, caption = (
            ui.t("meetings.heatmap.title.calendar", year=year),
            ui.t("meetings.heatmap.caption.calendar"),
        )
        empty = ui.t("meetings.heatmap.none.calendar", year=year)
        chart_titles = (ui.t("meetings.monthly.by_municipality"), ui.t("meetings.monthly.by_kind"), "")
        per_group, partial_month = None, as_of.month if year == as_of.year else None
    else:
        year = right.selectbox(ui.t("meetings.cohort_year"), years, key="meetings_year")
        # Variants counted in weeks (studenten: 10 weeks) have their own grid: months and weeks do not share columns.
        units = ui.cached(meeting_queries.programme_units)(scope, filters, year=year)
        unit = (
            units[0]
            if len(units) == 1
            else left.radio(
                ui.t("meetings.programme_unit"),
                units,
                horizontal=True,
                key="meetings_unit",
                format_func=lambda u: ui.t(f"meetings.programme_unit.{u}"),
            )
        )
        grid = ui.cached(meeting_queries.programme_heatmap)(
            scope, filters, year=year, as_of=as_of, max_rows=MAX_HEATMAP_ROWS, unit=unit
        )
        total_rows = ui.cached(meeting_queries.programme_heatmap_size)(scope, filters, year=year, unit=unit)
        monthly = ui.cached(meeting_queries.programme_monthly_counts)(
            scope, filters, year=year, as_of=as_of, unit=unit
        )
        weekly = unit == "weeks"
        columns, column = (
            list(range(1, (int(grid["month"].max()) if not grid.empty else (10 if weekly else 12)) + 1)),
            "month",
        )
        if weekly:
            column_labels = month_labels = [ui.t("meetings.programme_week", n=m) for m in columns]
            x_title = ui.t("meetings.axis.programme_week")
            title = ui.t("meetings.heatmap.title.programme_weeks", year=year)
            caption = ui.t("meetings.heatmap.caption.programme_weeks", year=year)
        else:
            column_labels = month_labels = [ui.t("meetings.programme_month", n=m) for m in columns]
            x_title = ui.t("meetings.axis.programme_month")
            title = ui.t("meetings.heatmap.title.programme", year=year)
            caption = ui.t("meetings.heatmap.caption.programme", year=year)
        period = "weeks" if weekly else "months"
        chart_titles = tuple(
            ui.t(f"meetings.programme.{chart}.{period}")
            for chart in ("by_municipality", "by_kind", "per_group_caption")
        )
        row_key, row_label = "match_id", lambda r: f"{r['code']} · {ui.fmt_date(r['start_date'])}"
        row_title = None  # the label already names the row in full
        empty = ui.t("meetings.heatmap.none.programme", year=year)
        per_group, partial_month = (
            ui.cached(meeting_queries.programme_groups_reached)(
                scope, filters, year=year, as_of=as_of, unit=unit
            ),
            None,
        )

    def built(chart: str, build):
        # Each chart is built once per data version for what decides it here (scope and language are keyed
        # by ui.cached_build): view, year, unit, filters, peildatum and the cap of the heatmap's rows.
        return ui.cached_build(
            f"meetings.{chart}",
            build,
            scope=scope,
            lang=lang,
            key=(view, year, unit if view == "programme" else None, filters, as_of, MAX_HEATMAP_ROWS),
        )

    st.subheader(title)
    if grid.empty:
        st.info(empty)
    else:
        st.caption(caption)
        if (
            total_rows > MAX_HEATMAP_ROWS
        ):  # the query read only the first rows: the heatmap stays readable and small
            st.info(ui.t("meetings.heatmap.capped", shown=MAX_HEATMAP_ROWS, total=total_rows))
        st.plotly_chart(
            built(
                "heatmap",
                lambda: meeting_charts.meeting_heatmap(
                    grid,
                    row_key=row_key,
                    row_label=row_label,
                    row_title=row_title,
                    column=column,
                    columns=columns,
                    column_labels=column_labels,
                    describe=describe,
                    x_title=x_title,
                    outside=meeting_queries.outside_group_year(grid, as_of=as_of),
                ),
            ),
            config={"displayModeBar": False},
            key="meetings_heatmap",
        )
        st.html(
            meeting_charts.heatmap_legend(
                ui.t("meetings.axis.meetings"),
                (ui.t("meetings.heatmap.outside"), ui.t("meetings.heatmap.no_meeting")),
            )
        )
    left, right = st.columns(2)
    with left:
        st.subheader(chart_titles[0])
        if monthly.empty:
            st.info(ui.t("meetings.monthly.none"))
        else:
            if per_group is not None:
                st.caption(chart_titles[2])
            st.plotly_chart(
                built(
                    "by_municipality",
                    lambda: meeting_charts.meetings_by_municipality(
                        monthly,
                        month_labels=month_labels,
                        partial_month=partial_month,
                        partial_label=ui.t("charts.partial_month"),
                        groups=per_group,
                        axis_title=ui.t("meetings.axis.per_group")
                        if per_group is not None
                        else ui.t("meetings.axis.meetings"),
                    ),
                ),
                config={"displayModeBar": False},
                key="meetings_by_municipality",
            )
    with right:
        st.subheader(chart_titles[1])
        if monthly.empty:
            st.info(ui.t("meetings.monthly.none"))
        else:
            st.plotly_chart(
                built(
                    "by_kind",
                    lambda: meeting_charts.meetings_by_kind(
                        monthly,
                        month_labels=month_labels,
                        kind_label=lambda k: i18n.label("meeting_kind", k),
                        axis_title=ui.t("meetings.axis.per_group")
                        if per_group is not None
                        else ui.t("meetings.axis.meetings"),
                        partial_month=partial_month,
                        partial_label=ui.t("charts.partial_month"),
                        groups=per_group,
                    ),
                ),
                config={"displayModeBar": False},
                key="meetings_by_kind",
            )


def cadence_tab() -> None:
    frame = ui.cached(meeting_queries.cadence)(scope, filters, as_of=as_of)
    days = ui.settings().inactive_after_days
    st.subheader(ui.t("meetings.quiet.title"))
    st.caption(ui.t("meetings.quiet.rule", days=days))
    quiet = meeting_queries.quiet_groups(frame)
    columns = {
        "link": st.column_config.LinkColumn(ui.t("col.code"), display_text=r"group=(.*)$"),
        "name": ui.t("col.name"),
        "municipality": ui.t("col.municipality"),
        "community_builder": ui.t("col.community_builder"),
        "match_started": ui.date_column(ui.t("meetings.col.match_started")),
        "last_meeting": ui.date_column(ui.t("col.last_meeting")),
        "days_since_meeting": st.column_config.NumberColumn(ui.t("col.days_since"), format="%d"),
        "meetings_4w": st.column_config.NumberColumn(ui.t("meetings.col.meetings_4w"), format="%d"),
        "meetings_12w": st.column_config.NumberColumn(ui.t("meetings.col.meetings_12w"), format="%d"),
        "median_gap_days": st.column_config.NumberColumn(ui.t("meetings.col.median_gap"), format="%.1f"),
        "longest_gap_days": st.column_config.NumberColumn(ui.t("meetings.col.longest_gap"), format="%d"),
    }

    def table(rows, names, key):
        rows = paginate(rows, key=key)
        shown = rows.assign(link="groep?group=" + rows["code"])[["link", *names]]
        for name in ("match_started", "last_meeting"):
            if name in shown:
                shown[name] = pd.to_datetime(shown[name])
        return st.dataframe(
            shown, hide_index=True, width="stretch", column_config=columns, placeholder=formatting.EMPTY
        )

    if frame.empty:
        st.info(ui.t("meetings.cadence.none"))
        return
    if quiet.empty:
        st.success(ui.t("meetings.quiet.none"))
    else:
        table(
            quiet,
            ["name", "municipality", "community_builder", "last_meeting", "days_since_meeting"],
            "meetings_quiet_page",
        )
    st.subheader(ui.t("meetings.cadence.title"))
    st.caption(ui.t("meetings.cadence.caption"))
    table(
        frame,
        [
            "name",
            "municipality",
            "community_builder",
            "match_started",
            "last_meeting",
            "days_since_meeting",
            "meetings_4w",
            "meetings_12w",
            "median_gap_days",
            "longest_gap_days",
        ],
        "meetings_cadence_page",
    )


def meeting_fields(limits, row=None) -> list[FormField]:
    """The form of one meeting, starting from ``row`` (an edit) or empty with today's date (a new one)."""

    def value(name):
        return None if row is None else row[name]

    return [
        FormField(
            "date",
            ui.t("col.date"),
            "date",
            default=as_of if row is None else value("date"),
            min_value=EARLIEST_DATE,
            required=True,
        ),
        FormField(
            "kind",
            ui.t("col.kind"),
            "select",
            options=KINDS,
            format_func=kind_labels.get,
            default=value("kind"),
            required=True,
        ),
        FormField(
            "duration_minutes",
            ui.t("col.duration"),
            "int",
            min_value=0,
            step=15,
            required=True,
            default=None if row is None else int(value("duration_minutes")),
        ),
        FormField(
            "members_present",
            ui.t("col.members_present"),
            "int",
            min_value=0,
            required=True,
            help=ui.t("meetings.field.max", max=int(limits["members"])),
            default=None if row is None else int(value("members_present")),
        ),
        FormField(
            "newcomers_present",
            ui.t("col.newcomers_present"),
            "int",
            min_value=0,
            required=True,
            help=ui.t("meetings.field.max", max=int(limits["household_size"])),
            default=None if row is None else int(value("newcomers_present")),
        ),
        FormField(
            "note",
            ui.t("col.note"),
            "textarea",
            max_chars=meeting_service.MAX_NOTE_LENGTH,
            default=value("note") or None,
        ),
    ]


def group_name(limits) -> str:
    return f"{ui.t('meetings.field.group').lower()} {limits['code']} {limits['name']}"


def choose_group(groups, key: str):
    return actions.pick(
        groups,
        key=key,
        id_column="group_id",
        label=ui.t("meetings.field.group"),
        format_row=lambda r: f"{r.code} · {r.name}",
    )


def log_tab(groups) -> None:
    if groups.empty:
        st.info(ui.t("meetings.log.no_groups"))
        return
    limits = choose_group(groups, "meetings_log_group")
    if limits is None:
        return
    group = actions.Shown(int(limits["group_id"]), None, group_name(limits))
    st.caption(
        ui.t(
            "meetings.log.limits",
            members=formatting.count(int(limits["members"]), "member"),
            household=formatting.count(int(limits["household_size"]), "person"),
        )
    )
    actions.action_form(
        "meetings_log",
        group,
        fields=meeting_fields(limits),
        field_labels=FIELD_TEXTS,
        confirm_flag="confirm_duplicate",
        call=lambda shown, values: meeting_service.log_meeting(
            ui.engine(), scope, group_id=shown.id, **values
        ),
        submit_label=ui.t("meetings.log.submit_named", name=ui.md(group.name)),
        done_text=lambda values: ui.t(
            "meetings.log.saved",
            group=ui.md(group.name),
            date=ui.fmt_date(values["date"]),
            kind=kind_labels.get(values["kind"], values["kind"]),
        ),
    )


def edit_tab(groups) -> None:
    if groups.empty:
        st.info(ui.t("meetings.log.no_groups"))
        return
    limits = choose_group(groups, "meetings_edit_group")
    if limits is None:
        return
    try:
        meetings = ui.cached(meeting_queries.group_meetings)(scope, int(limits["group_id"]))
    except AccessDenied:
        ui.denied()
    if meetings.empty:
        st.info(ui.t("meetings.edit.none"))
        actions.feedback(f"meetings_edit_choice_{limits['group_id']}")
        return
    pick_key = f"meetings_edit_choice_{limits['group_id']}"
    row = actions.pick(
        meetings,
        key=pick_key,
        id_column="id",
        label=ui.t("meetings.edit.choose"),
        format_row=lambda r: (
            f"{ui.fmt_date(r.date)} · {kind_labels.get(r.kind, r.kind)} · {r.duration_minutes} min"
        ),
    )
    if row is None:
        return
    name = ui.t(
        "meetings.meeting_name",
        date=ui.fmt_date(row["date"]),
        kind=kind_labels.get(row["kind"], row["kind"]),
        group=group_name(limits),
    )
    meeting = actions.Shown(int(row["id"]), int(row["version"]), name)
    original = {
        k: row[k]
        for k in ("date", "kind", "duration_minutes", "members_present", "newcomers_present", "note")
    }
    original["note"] = original["note"] or ""
    actions.action_form(
        "meetings_edit",
        meeting,
        fields=meeting_fields(limits, row),
        field_labels=FIELD_TEXTS,
        confirm_flag="confirm_duplicate",
        call=lambda shown, values: meeting_service.update_meeting(
            ui.engine(),
            scope,
            meeting_id=shown.id,
            expected_version=shown.version,
            original=original,
            **values,
        ),
        submit_label=ui.t("meetings.edit.submit_named", name=ui.md(meeting.name)),
        done_text=ui.t("meetings.edit.saved_named", name=ui.md(meeting.name)),
        slot=pick_key,
        reload_on_conflict=True,
    )
    actions.action_button(
        "meetings_delete",
        meeting,
        label=ui.t("meetings.delete_named", name=ui.md(meeting.name)),
        icon=":material/delete:",
        destructive=True,
        call=lambda shown, _: meeting_service.delete_meeting(
            ui.engine(), scope, meeting_id=shown.id, expected_version=shown.version
        ),
        confirm_text=ui.t("meetings.delete.question_named", name=ui.md(meeting.name)),
        done_text=ui.t("meetings.delete.done_named", name=ui.md(meeting.name)),
        slot=pick_key,
    )


st.title(ui.t("meetings.title"))
st.caption(ui.t("common.as_of", date=ui.fmt_date(as_of)))
sections = {
    "year": ui.t("meetings.tab.year"),
    "cadence": ui.t("meetings.tab.cadence"),
    "log": ui.t("meetings.tab.log"),
    "edit": ui.t("meetings.tab.edit"),
}
for slug, tab in actions.tabs("meetings", sections).items():
    if not tab.open:  # only the open tab runs its queries and charts
        continue
    with tab:
        if slug == "year":
            year_tab()
        elif slug == "cadence":
            cadence_tab()
        else:
            writable = ui.cached(meeting_queries.loggable_groups)(scope, filters)
            (log_tab if slug == "log" else edit_tab)(writable)
