"""Meetings (Bijeenkomsten): meeting frequency across the year, cadence per group, and logging,
editing and deleting meetings. Both roles; a community builder sees and edits only their own groups."""

import datetime as dt

import pandas as pd
import streamlit as st
from babel.dates import get_month_names

from samenhier import formatting, i18n, ui
from samenhier.charts import meetings as meeting_charts
from samenhier.models import MeetingKind
from samenhier.queries import meetings as meeting_queries
from samenhier.scope import AccessDenied
from samenhier.services import meetings as meeting_service
from samenhier.services.common import FieldError, ValidationFailed, VersionConflict
from samenhier.widgets import paginate, pick

KINDS = [k.value for k in MeetingKind]
EARLIEST_DATE = dt.date(2000, 1, 1)
FLASH_KEY = "meetings_flash"
LOG_KEYS = ("date", "kind", "duration", "members", "newcomers", "note", "confirm")
FIELD_LABELS = {
    "date": "col.date", "kind": "col.kind", "duration_minutes": "col.duration", "members_present": "col.members_present",
    "newcomers_present": "col.newcomers_present", "note": "col.note", "group": "meetings.field.group",
}
HOVER_LINES = 8
MAX_HEATMAP_ROWS = 150  # taller than this the heatmap stops being readable; the sidebar filters narrow it

scope = ui.require_scope()
filters = ui.current_filters()
as_of = ui.as_of()
lang = ui.current_language()
date_format = formatting.date_input_format(lang)
kind_labels = {k: i18n.label("meeting_kind", k, lang) for k in KINDS}


def message(error: FieldError) -> str:
    """A field error or warning in the session's language, dates written out (``3 maart 2026``)."""
    params = {k: ui.fmt_date(v) if isinstance(v, dt.date) else v for k, v in error.params.items()}
    return f"{ui.t(FIELD_LABELS.get(error.field, error.field))}: {ui.t('validation.' + error.code, **params)}"


def describe(details: list) -> str:
    """Hover text of a heatmap cell: one line per meeting, date and kind."""
    lines = [f"{i18n.format_date(day, lang)} · {kind_labels[kind]}" for day, kind in details[:HOVER_LINES]]
    if len(details) > HOVER_LINES:
        lines.append(f"… +{len(details) - HOVER_LINES}")
    return "<br>".join(lines)


def flash(where: str, kind: str, text: str) -> None:
    """Keep a message to show after the rerun that follows a write."""
    st.session_state.setdefault(FLASH_KEY, []).append((where, kind, text))


def show_flash(where: str) -> None:
    kept = st.session_state.get(FLASH_KEY, [])
    for kind, text in [(k, t) for w, k, t in kept if w == where]:
        getattr(st, kind)(text)
    st.session_state[FLASH_KEY] = [m for m in kept if m[0] != where]


def group_picker(groups, key: str) -> int:
    names = dict(zip(groups["group_id"].tolist(), (groups["code"] + " · " + groups["name"]).tolist(), strict=True))
    return pick(ui.t("meetings.field.group"), names, key=key)


def year_tab() -> None:
    left, right = st.columns([2, 1])
    views = {"calendar": ui.t("meetings.view.calendar"), "programme": ui.t("meetings.view.programme")}
    view = left.radio(ui.t("meetings.view"), list(views), horizontal=True, key="meetings_view", format_func=views.get)
    years = ui.cached(meeting_queries.meeting_years)(scope, filters, as_of=as_of)
    if view == "calendar":
        year = right.selectbox(ui.t("meetings.year"), years, key="meetings_year")
        grid = ui.cached(meeting_queries.week_heatmap)(scope, filters, year=year, max_rows=MAX_HEATMAP_ROWS)
        total_rows = ui.cached(meeting_queries.week_heatmap_size)(scope, filters, year=year)
        monthly = ui.cached(meeting_queries.monthly_counts)(scope, filters, year=year, as_of=as_of)
        columns, column_labels, column = meeting_queries.iso_weeks(year), None, "week"
        row_key, row_label = "group_id", lambda r: f"{r['code']} · {r['name']}"
        month_labels = list(get_month_names("abbreviated", locale=lang).values())
        x_title = ui.t("meetings.axis.week")
        title, caption = ui.t("meetings.heatmap.title.calendar", year=year), ui.t("meetings.heatmap.caption.calendar")
        empty = ui.t("meetings.heatmap.none.calendar", year=year)
        per_group, partial_month = None, as_of.month if year == as_of.year else None
    else:
        year = right.selectbox(ui.t("meetings.cohort_year"), years, key="meetings_year")
        grid = ui.cached(meeting_queries.programme_heatmap)(scope, filters, year=year, as_of=as_of, max_rows=MAX_HEATMAP_ROWS)
        total_rows = ui.cached(meeting_queries.programme_heatmap_size)(scope, filters, year=year)
        monthly = ui.cached(meeting_queries.programme_monthly_counts)(scope, filters, year=year, as_of=as_of)
        columns, column = list(range(1, 13)), "month"
        column_labels = month_labels = [ui.t("meetings.programme_month", n=m) for m in columns]
        row_key, row_label = "match_id", lambda r: f"{r['code']} · {ui.fmt_date(r['start_date'])}"
        x_title = ui.t("meetings.axis.programme_month")
        title, caption = ui.t("meetings.heatmap.title.programme", year=year), ui.t("meetings.heatmap.caption.programme", year=year)
        empty = ui.t("meetings.heatmap.none.programme", year=year)
        per_group, partial_month = ui.cached(meeting_queries.programme_groups_reached)(scope, filters, year=year, as_of=as_of), None

    st.subheader(title)
    if grid.empty:
        st.info(empty)
    else:
        st.caption(caption)
        if total_rows > MAX_HEATMAP_ROWS:  # the query read only the first rows: the heatmap stays readable and small
            st.info(ui.t("meetings.heatmap.capped", shown=MAX_HEATMAP_ROWS, total=total_rows))
        st.plotly_chart(
            meeting_charts.meeting_heatmap(
                grid, row_key=row_key, row_label=row_label, column=column, columns=columns, column_labels=column_labels,
                describe=describe, x_title=x_title, colour_title=ui.t("meetings.axis.meetings"),
                outside=meeting_queries.outside_group_year(grid, as_of=as_of),
                level_labels=(ui.t("meetings.heatmap.outside"), ui.t("meetings.heatmap.no_meeting")),
            ),
            config={"displayModeBar": False}, key="meetings_heatmap",
        )
    left, right = st.columns(2)
    with left:
        st.subheader(ui.t("meetings.monthly.by_municipality"))
        if monthly.empty:
            st.info(ui.t("meetings.monthly.none"))
        else:
            if per_group is not None:
                st.caption(ui.t("meetings.monthly.per_group_caption"))
            st.plotly_chart(meeting_charts.meetings_by_municipality(
                monthly, month_labels=month_labels, partial_month=partial_month, partial_label=ui.t("charts.partial_month"),
                groups=per_group, axis_title=ui.t("meetings.axis.per_group") if per_group is not None else ui.t("meetings.axis.meetings")),
                config={"displayModeBar": False}, key="meetings_by_municipality")
    with right:
        st.subheader(ui.t("meetings.monthly.by_kind"))
        if monthly.empty:
            st.info(ui.t("meetings.monthly.none"))
        else:
            st.plotly_chart(meeting_charts.meetings_by_kind(
                monthly, month_labels=month_labels, kind_label=lambda k: i18n.label("meeting_kind", k),
                axis_title=ui.t("meetings.axis.meetings"), partial_month=partial_month, partial_label=ui.t("charts.partial_month")),
                config={"displayModeBar": False}, key="meetings_by_kind")


def cadence_tab() -> None:
    frame = ui.cached(meeting_queries.cadence)(scope, filters, as_of=as_of)
    days = ui.settings().inactive_after_days
    st.subheader(ui.t("meetings.quiet.title", days=days))
    quiet = meeting_queries.quiet_groups(frame)
    columns = {
        "link": st.column_config.LinkColumn(ui.t("col.code"), display_text=r"group=(.*)$"),
        "name": ui.t("col.name"), "municipality": ui.t("col.municipality"),
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
        return st.dataframe(shown, hide_index=True, width="stretch", column_config=columns, placeholder=formatting.EMPTY)

    if frame.empty:
        st.info(ui.t("meetings.cadence.none"))
        return
    if quiet.empty:
        st.success(ui.t("meetings.quiet.none", days=days))
    else:
        table(quiet, ["name", "municipality", "community_builder", "last_meeting", "days_since_meeting"], "meetings_quiet_page")
    st.subheader(ui.t("meetings.cadence.title"))
    st.caption(ui.t("meetings.cadence.caption"))
    table(frame, ["name", "municipality", "community_builder", "match_started", "last_meeting", "days_since_meeting",
                  "meetings_4w", "meetings_12w", "median_gap_days", "longest_gap_days"], "meetings_cadence_page")


def log_tab(groups) -> None:
    if groups.empty:
        st.info(ui.t("meetings.log.no_groups"))
        return
    show_flash("log")
    if st.session_state.pop("meetings_log_reset", False):
        for name in LOG_KEYS:
            st.session_state.pop(f"meetings_log_{name}", None)
    group_id = group_picker(groups, "meetings_log_group")
    limits = groups.set_index("group_id").loc[group_id]
    st.caption(ui.t("meetings.log.limits", members=formatting.count(int(limits["members"]), "member"),
                    household=formatting.count(int(limits["household_size"]), "person")))
    with st.form("meetings_log_form"):
        date = st.date_input(ui.t("col.date"), value=as_of, min_value=EARLIEST_DATE, format=date_format, key="meetings_log_date")
        kind = st.selectbox(ui.t("col.kind"), KINDS, format_func=lambda k: i18n.label("meeting_kind", k), key="meetings_log_kind")
        duration = st.number_input(ui.t("col.duration"), min_value=0, value=None, step=15, key="meetings_log_duration")
        left, right = st.columns(2)
        members = left.number_input(ui.t("col.members_present"), min_value=0, value=None, step=1, key="meetings_log_members",
                                    help=ui.t("meetings.field.max", max=int(limits["members"])))
        newcomers = right.number_input(ui.t("col.newcomers_present"), min_value=0, value=None, step=1, key="meetings_log_newcomers",
                                       help=ui.t("meetings.field.max", max=int(limits["household_size"])))
        note = st.text_area(ui.t("col.note"), max_chars=meeting_service.MAX_NOTE_LENGTH, key="meetings_log_note")
        confirm = False
        if st.session_state.get("meetings_log_duplicate"):
            st.warning(ui.t("validation.meetings.duplicate"))
            confirm = st.checkbox(ui.t("meetings.duplicate_confirm"), key="meetings_log_confirm")
        submitted = st.form_submit_button(ui.t("meetings.log.submit"), type="primary", key="meetings_log_submit")
    if not submitted:
        return
    try:
        saved = meeting_service.log_meeting(
            ui.engine(), scope, group_id=int(group_id), date=date, kind=kind, duration_minutes=duration,
            members_present=members, newcomers_present=newcomers, note=note, confirm_duplicate=bool(confirm),
        )
    except AccessDenied:
        ui.denied()
    except ValidationFailed as failed:
        st.error(ui.t("meetings.not_saved") + "\n\n" + "\n".join(f"- {message(e)}" for e in failed.errors))
    except meeting_service.ConfirmationNeeded:
        st.session_state["meetings_log_duplicate"] = True
        st.rerun()
    else:
        ui.clear_caches()
        st.session_state.pop("meetings_log_duplicate", None)
        st.session_state["meetings_log_reset"] = True
        flash("log", "success", ui.t("meetings.log.saved", group=limits["code"], date=ui.fmt_date(date),
                                     kind=i18n.label("meeting_kind", kind)))
        for warning in saved.warnings:
            flash("log", "warning", message(warning))
        st.rerun()


def forget_edit(meeting_id: int) -> None:
    """Drop the edit form's state of one meeting, so it shows the stored values again."""
    for key in [k for k in st.session_state if str(k).startswith(f"meetings_edit_{meeting_id}_")]:
        del st.session_state[key]


def edit_tab(groups) -> None:
    if groups.empty:
        st.info(ui.t("meetings.log.no_groups"))
        return
    group_id = group_picker(groups, "meetings_edit_group")
    show_flash("edit")
    try:
        meetings = ui.cached(meeting_queries.group_meetings)(scope, int(group_id))
    except AccessDenied:
        ui.denied()
    if meetings.empty:
        st.info(ui.t("meetings.edit.none"))
        return
    rows = meetings.set_index("id")
    meeting_id = st.selectbox(
        ui.t("meetings.edit.choose"), list(rows.index), key=f"meetings_edit_choice_{group_id}",
        format_func=lambda i: f"{ui.fmt_date(rows.at[i, 'date'])} · {i18n.label('meeting_kind', rows.at[i, 'kind'])} · "
                              f"{rows.at[i, 'duration_minutes']} min",
    )
    prefix = f"meetings_edit_{meeting_id}_"
    if prefix + "original" not in st.session_state:
        row = rows.loc[meeting_id]
        st.session_state[prefix + "original"] = {
            "date": row["date"], "kind": row["kind"], "duration_minutes": int(row["duration_minutes"]),
            "members_present": int(row["members_present"]), "newcomers_present": int(row["newcomers_present"]),
            "note": row["note"] or "", "version": int(row["version"]),
        }
    original = st.session_state[prefix + "original"]
    with st.form(f"meetings_edit_form_{meeting_id}"):
        date = st.date_input(ui.t("col.date"), value=original["date"], min_value=EARLIEST_DATE, format=date_format, key=prefix + "date")
        kind = st.selectbox(ui.t("col.kind"), KINDS, index=KINDS.index(original["kind"]), key=prefix + "kind",
                            format_func=lambda k: i18n.label("meeting_kind", k))
        duration = st.number_input(ui.t("col.duration"), min_value=0, value=original["duration_minutes"], step=15, key=prefix + "duration")
        left, right = st.columns(2)
        members = left.number_input(ui.t("col.members_present"), min_value=0, value=original["members_present"], step=1,
                                    key=prefix + "members")
        newcomers = right.number_input(ui.t("col.newcomers_present"), min_value=0, value=original["newcomers_present"], step=1,
                                       key=prefix + "newcomers")
        note = st.text_area(ui.t("col.note"), value=original["note"], max_chars=meeting_service.MAX_NOTE_LENGTH, key=prefix + "note")
        confirm = False
        if st.session_state.get(prefix + "duplicate"):
            st.warning(ui.t("validation.meetings.duplicate"))
            confirm = st.checkbox(ui.t("meetings.duplicate_confirm"), key=prefix + "confirm")
        submitted = st.form_submit_button(ui.t("meetings.edit.submit"), type="primary", key=prefix + "submit")
    if submitted:
        try:
            saved = meeting_service.update_meeting(
                ui.engine(), scope, meeting_id=int(meeting_id), expected_version=original["version"],
                original={k: v for k, v in original.items() if k != "version"}, date=date, kind=kind,
                duration_minutes=duration, members_present=members, newcomers_present=newcomers, note=note,
                confirm_duplicate=bool(confirm),
            )
        except AccessDenied:
            ui.clear_caches()
            flash("edit", "error", ui.t("meetings.edit.gone"))
            forget_edit(meeting_id)
            st.rerun()
        except VersionConflict as conflict:
            ui.clear_caches()
            fields = ", ".join(ui.t(FIELD_LABELS.get(f, f)) for f in conflict.changed) or "–"
            flash("edit", "error", ui.t("meetings.edit.conflict", fields=fields))
            forget_edit(meeting_id)
            st.rerun()
        except ValidationFailed as failed:
            st.error(ui.t("meetings.not_saved") + "\n\n" + "\n".join(f"- {message(e)}" for e in failed.errors))
        except meeting_service.ConfirmationNeeded:
            st.session_state[prefix + "duplicate"] = True
            st.rerun()
        else:
            ui.clear_caches()
            forget_edit(meeting_id)
            flash("edit", "success", ui.t("meetings.edit.saved"))
            for warning in saved.warnings:
                flash("edit", "warning", message(warning))
            st.rerun()

    if st.session_state.get("meetings_delete_pending") != meeting_id:
        if st.button(ui.t("meetings.delete"), icon=":material/delete:", key=f"meetings_delete_{meeting_id}"):
            st.session_state["meetings_delete_pending"] = meeting_id
            st.rerun()
        return
    st.warning(ui.t("meetings.delete.question", date=ui.fmt_date(original["date"]),
                    kind=i18n.label("meeting_kind", original["kind"])))
    yes, no = st.columns(2)
    if yes.button(ui.t("meetings.delete.confirm"), type="primary", key=f"meetings_delete_confirm_{meeting_id}"):
        st.session_state.pop("meetings_delete_pending", None)
        try:
            meeting_service.delete_meeting(ui.engine(), scope, meeting_id=int(meeting_id), expected_version=original["version"])
        except AccessDenied:
            flash("edit", "error", ui.t("meetings.edit.gone"))
        except VersionConflict:
            flash("edit", "error", ui.t("meetings.delete.conflict"))
        else:
            flash("edit", "success", ui.t("meetings.delete.done"))
        ui.clear_caches()
        forget_edit(meeting_id)
        st.rerun()
    if no.button(ui.t("meetings.delete.cancel"), key=f"meetings_delete_cancel_{meeting_id}"):
        st.session_state.pop("meetings_delete_pending", None)
        st.rerun()


st.title(ui.t("meetings.title"))
st.caption(ui.t("common.as_of", date=ui.fmt_date(as_of)))
tab_year, tab_cadence, tab_log, tab_edit = st.tabs(
    [ui.t("meetings.tab.year"), ui.t("meetings.tab.cadence"), ui.t("meetings.tab.log"), ui.t("meetings.tab.edit")]
)
writable = ui.cached(meeting_queries.loggable_groups)(scope, filters)
with tab_year:
    year_tab()
with tab_cadence:
    cadence_tab()
with tab_log:
    log_tab(writable)
with tab_edit:
    edit_tab(writable)
