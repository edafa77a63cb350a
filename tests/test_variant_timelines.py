"""Programme variants with their own timelines (issue 19): the rules of a 10-week and a 12-month year, a
group that switches variant, the stored defaults, the figures that count by them, and changing a timeline
(national coordinators only, audited, with a preview first, never rewriting history).

Expected values are worked out by hand (calendar arithmetic in the comments) or from the workbook with
plain pandas (``workbook_sheets``)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlmodel import Session, select

from samenhier.models import AuditEvent, Meeting, SurveyResponse, VariantTimeline, Wave, WelcomeGroup
from samenhier.queries import meetings as meeting_queries
from samenhier.queries.digest import coordinator_digest
from samenhier.queries.groups import Health, group_overview, kpis
from samenhier.queries.progress import group_progress
from samenhier.queries.timeline_preview import timeline_change_preview
from samenhier.queries.timelines import timeline_table, variant_timelines
from samenhier.scope import AccessDenied, Filters, Scope
from samenhier.services import records
from samenhier.services.common import ValidationFailed, VersionConflict
from samenhier.services.variants import update_variant_timeline
from samenhier.settings import get_settings
from samenhier.timeline import Timeline, waves_reached_by_variant
from samenhier.todos import Todo, group_todos, message_key

D = dt.date
AS_OF = D(2026, 11, 15)
NATIONAL = Scope.coordinator("anna")
WEEKS10 = Timeline("studenten", 10, "weeks", 5, 10, 30)
MONTHS12 = Timeline("statushouders", 12, "months", 6, 21, 30)


# ------------------------------------------------------------------------------------------------ the rules


@pytest.mark.parametrize(
    ("as_of", "week"),
    [
        (D(2026, 9, 1), None),  # before the start
        (D(2026, 9, 7), 1),
        (D(2026, 9, 13), 1),  # days 0–6
        (D(2026, 9, 14), 2),  # day 7
        (D(2026, 10, 19), 7),  # day 42: 42 // 7 + 1
        (D(2026, 11, 15), 10),  # day 69: 69 // 7 + 1, the last day of week 10
        (D(2026, 11, 16), 11),  # day 70: the year is over
    ],
)
def test_week_of_a_ten_week_year(as_of, week):
    assert WEEKS10.period(D(2026, 9, 7), as_of) == week


def test_month_of_a_twelve_month_year_and_the_column_form_agree():
    start = D(2026, 1, 15)
    # month 1 up to 14 February, month 2 from 15 February; 15 January 2027 starts month 13 (the year is over)
    cases = {
        D(2026, 2, 14): 1,
        D(2026, 2, 15): 2,
        D(2026, 12, 31): 12,
        D(2027, 1, 15): 13,
        D(2026, 1, 1): None,
    }
    for as_of, month in cases.items():
        assert MONTHS12.period(start, as_of) == month
        column = MONTHS12.periods(pd.Series([start]), as_of).iloc[0]
        assert pd.isna(column) if month is None else column == month
    weeks = WEEKS10.periods(pd.Series([D(2026, 9, 7), None, D(2026, 12, 1)], dtype=object), D(2026, 10, 19))
    assert weeks.iloc[0] == 7 and pd.isna(weeks.iloc[1]) and pd.isna(weeks.iloc[2])


def test_end_date_and_wave_due_dates():
    # 10 weeks = 70 days: 2026-09-07 + 70 = 2026-11-16; tussenmeting 5 weeks = 35 days: 2026-10-12
    assert WEEKS10.end_date(D(2026, 9, 7)) == D(2026, 11, 16)
    assert WEEKS10.wave_due_dates(D(2026, 9, 7)) == {
        "nulmeting": D(2026, 9, 7),
        "tussenmeting": D(2026, 10, 12),
        "eindmeting": D(2026, 12, 16),
    }  # 16 Nov + 30 days
    # 12 months from 31 August: the anniversary; the tussenmeting clips to 28 February
    assert MONTHS12.end_date(D(2025, 8, 31)) == D(2026, 8, 31)
    assert MONTHS12.wave_due_dates(D(2025, 8, 31))["tussenmeting"] == D(2026, 2, 28)


def test_quiet_rule_and_last_period():
    assert not WEEKS10.is_quiet(10) and WEEKS10.is_quiet(11)
    assert not MONTHS12.is_quiet(21) and MONTHS12.is_quiet(22)
    assert WEEKS10.in_last_period(10) and not WEEKS10.in_last_period(9) and WEEKS10.is_over(11)
    assert MONTHS12.in_last_period(12) and not MONTHS12.is_over(12) and MONTHS12.is_over(13)


@pytest.mark.parametrize(
    ("timeline", "started", "ended", "status", "as_of", "expected"),
    [
        (WEEKS10, D(2026, 9, 7), None, "actief", D(2026, 10, 11), ("nulmeting",)),  # tussenmeting due 12 Oct
        (WEEKS10, D(2026, 9, 7), None, "actief", D(2026, 10, 12), ("nulmeting", "tussenmeting")),
        (
            WEEKS10,
            D(2026, 9, 7),
            None,
            "actief",
            D(2026, 12, 15),
            ("nulmeting", "tussenmeting"),
        ),  # end + 30 = 16 Dec
        (
            WEEKS10,
            D(2026, 9, 7),
            None,
            "actief",
            D(2026, 12, 16),
            ("nulmeting", "tussenmeting", "eindmeting"),
        ),
        (
            WEEKS10,
            D(2026, 9, 7),
            D(2026, 10, 1),
            "gestopt",
            D(2027, 1, 1),
            ("nulmeting",),
        ),  # stopped before midterm
        (MONTHS12, D(2026, 1, 15), None, "actief", D(2026, 7, 14), ("nulmeting",)),
        (MONTHS12, D(2026, 1, 15), None, "actief", D(2026, 7, 15), ("nulmeting", "tussenmeting")),
        (
            MONTHS12,
            D(2025, 9, 1),
            D(2026, 9, 1),
            "afgerond",
            D(2026, 10, 1),
            ("nulmeting", "tussenmeting", "eindmeting"),
        ),
        (MONTHS12, D(2025, 9, 1), None, "voorgesteld", D(2026, 10, 1), ()),
    ],
)
def test_waves_reached(timeline, started, ended, status, as_of, expected):
    assert tuple(w.value for w in timeline.waves_reached(started, ended, status, as_of)) == expected
    columns = waves_reached_by_variant(
        pd.Series([started]),
        pd.Series([ended], dtype=object),
        pd.Series([status]),
        pd.Series([timeline.variant]),
        {timeline.variant: timeline},
        as_of,
    )
    assert tuple(w.value for w in Wave if columns.iloc[0][w.value]) == expected


def test_todos_of_a_ten_week_and_a_twelve_month_group():
    settings = get_settings()
    base = dict(
        status="actief",
        has_newcomer=True,
        has_baseline=True,
        has_end=False,
        members=4,
        members_without_vog=0,
        settings=settings,
    )
    # week 10 of 10 and 11 days without a meeting: both to-dos; the same numbers in a 12-month year: none
    assert group_todos(**base, quiet_days=11, month=10, timeline=WEEKS10) == [
        Todo("no_meeting", {"days": 11}),
        Todo("end_survey_due", {"month": 10, "of": 10, "unit": "weeks"}),
    ]
    assert group_todos(**base, quiet_days=11, month=10, timeline=MONTHS12) == []
    assert group_todos(**base, quiet_days=22, month=12, timeline=MONTHS12) == [
        Todo("no_meeting", {"days": 22}),
        Todo("end_survey_due", {"month": 12, "of": 12, "unit": "months"}),
    ]
    assert (
        message_key(Todo("end_survey_due", {"month": 10, "of": 10, "unit": "weeks"}))
        == "todo.end_survey_due.weeks"
    )
    assert (
        message_key(Todo("end_survey_due", {"month": 12, "of": 12, "unit": "months"}))
        == "todo.end_survey_due"
    )


# ------------------------------------------------------------------------------------------- the store

pytestmark = pytest.mark.both_backends


def test_the_migration_seeds_every_variant(engine):
    table = timeline_table(engine, NATIONAL)
    assert table[["variant", "duration", "unit", "midterm_at"]].values.tolist() == [
        ["statushouders", 12, "months", 6],
        ["hervestiging", 12, "months", 6],
        ["studenten", 10, "weeks", 5],
        ["studentsponsoring", 12, "months", 6],
        ["ad hoc", 12, "months", 6],
    ]
    assert table["quiet_after_days"].tolist()[2] == 10 and pd.isna(table["quiet_after_days"].iloc[0])
    timelines = variant_timelines(engine)
    assert timelines["statushouders"].quiet_after_days == 21  # the setting (SAMENHIER_INACTIVE_AFTER_DAYS)
    assert timelines["studenten"].quiet_after_days == 10


def _group(engine, code) -> WelcomeGroup:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup).where(WelcomeGroup.code == code)).one()


def _last_meeting(workbook_sheets, code) -> D:
    meetings = workbook_sheets["bijeenkomsten"]
    dates = pd.to_datetime(meetings.loc[meetings["groep_code"] == code, "datum"])
    return dates[dates <= pd.Timestamp(AS_OF)].max().date()


def test_a_group_that_switches_to_the_student_variant_counts_weeks(imported_engine, workbook_sheets):
    # 0599-014 (statushouders, actief) started 2026-09-08 (workbook, koppelingen): on 2026-11-15 that is
    # month 3 (8 Nov starts month 3) or, as a student group, day 68: week 10 of 10 — the end survey is due.
    matches = workbook_sheets["koppelingen"]
    assert pd.Timestamp(matches.loc[matches["groep_code"] == "0599-014", "gestart_op"].iloc[0]).date() == D(
        2026, 9, 8
    )
    quiet = (AS_OF - _last_meeting(workbook_sheets, "0599-014")).days
    group = _group(imported_engine, "0599-014")
    before = group_progress(imported_engine, NATIONAL, as_of=AS_OF, group_ids=(group.id,)).iloc[0]
    assert (before["month"], before["year_length"], before["year_unit"]) == (3, 12, "months")
    assert "end_survey_due" not in [t.code for t in before["todos"]]
    records.update_group(
        imported_engine,
        NATIONAL,
        group_id=group.id,
        expected_version=group.version,
        changes={"variant": "studenten"},
    )
    after = group_progress(imported_engine, NATIONAL, as_of=AS_OF, group_ids=(group.id,)).iloc[0]
    assert (after["month"], after["year_length"], after["year_unit"]) == (10, 10, "weeks")
    codes = [t.code for t in after["todos"]]
    assert "end_survey_due" in codes
    assert ("no_meeting" in codes) == (quiet > 10)
    overview = group_overview(imported_engine, NATIONAL, as_of=AS_OF).set_index("code").loc["0599-014"]
    assert (overview["month"], overview["year_length"], overview["year_unit"]) == (10, 10, "weeks")
    # switching back: history was not rewritten, the same group counts months again
    group = _group(imported_engine, "0599-014")
    records.update_group(
        imported_engine,
        NATIONAL,
        group_id=group.id,
        expected_version=group.version,
        changes={"variant": "statushouders"},
    )
    assert group_progress(imported_engine, NATIONAL, as_of=AS_OF, group_ids=(group.id,)).iloc[0]["month"] == 3


def test_the_student_group_of_the_workbook_shows_weeks_in_the_programme_year(
    imported_engine, workbook_sheets
):
    # 0518-001 (studenten) ran 2022-07-09 → 2022-09-17 (10 weeks); its meetings on 2022-07-30 (day 21: week 4)
    # and 2022-09-06 (day 59: week 9).
    groups = workbook_sheets["groepen"]
    assert groups.loc[groups["groep_code"] == "0518-001", "variant"].iloc[0] == "studenten"
    assert meeting_queries.programme_units(imported_engine, NATIONAL, year=2022) == ["months", "weeks"]
    grid = meeting_queries.programme_heatmap(imported_engine, NATIONAL, year=2022, as_of=AS_OF, unit="weeks")
    assert set(grid["code"]) == {"0518-001"} and grid["month"].tolist() == list(range(1, 11))
    assert grid.set_index("month")["meetings"].to_dict() == {k: 1 if k in (4, 9) else 0 for k in range(1, 11)}
    months = meeting_queries.programme_heatmap(imported_engine, NATIONAL, year=2022, as_of=AS_OF)
    assert "0518-001" not in set(months["code"]) and months["month"].max() == 12
    assert meeting_queries.outside_group_year(grid, as_of=AS_OF).sum() == 0  # every week lies inside its year


def test_quiet_rule_of_the_overview_and_the_kpis_follow_the_variant(imported_engine, workbook_sheets):
    # An active statushouders group whose last meeting lies 11–21 days before the peildatum is fine in a
    # 12-month year (quiet after 21 days) and needs attention as a student group (quiet after 10 days).
    groups, meetings = workbook_sheets["groepen"], workbook_sheets["bijeenkomsten"]
    active = groups[(groups["status"] == "actief") & (groups["variant"] == "statushouders")]["groep_code"]
    dates = pd.to_datetime(meetings["datum"])
    last = meetings[dates <= pd.Timestamp(AS_OF)].assign(datum=dates).groupby("groep_code")["datum"].max()
    quiet = {code: (pd.Timestamp(AS_OF) - last[code]).days for code in active if code in last.index}
    code = sorted(c for c, days in quiet.items() if 10 < days <= 21)[0]
    group = _group(imported_engine, code)
    before = kpis(imported_engine, NATIONAL, as_of=AS_OF)
    assert (
        group_overview(imported_engine, NATIONAL, as_of=AS_OF).set_index("code").loc[code, "health"]
        != Health.ATTENTION
    )
    records.update_group(
        imported_engine,
        NATIONAL,
        group_id=group.id,
        expected_version=group.version,
        changes={"variant": "studenten"},
    )
    after = kpis(imported_engine, NATIONAL, as_of=AS_OF)
    assert (
        group_overview(imported_engine, NATIONAL, as_of=AS_OF).set_index("code").loc[code, "health"]
        == Health.ATTENTION
    )
    assert after.active_groups == before.active_groups
    assert after.share_met_recently == pytest.approx(before.share_met_recently - 1 / before.active_groups)


def test_the_digest_lists_a_student_group_past_its_ten_weeks(imported_engine, workbook_sheets):
    # 0599-014 as studenten: 2026-09-08 + 70 days = 2026-11-17; on 2026-11-24 it is day 77, week 12 > 10.
    # Its newcomer N0057 has only a nulmeting in the workbook (enquetes).
    surveys = workbook_sheets["enquetes"]
    assert surveys.loc[surveys["respondent_code"] == "N0057", "meting"].tolist() == ["nulmeting"]
    as_of = D(2026, 11, 24)
    assert (
        coordinator_digest(imported_engine, NATIONAL, as_of=as_of)
        .end_surveys_overdue.query("group_code == '0599-014'")
        .empty
    )
    group = _group(imported_engine, "0599-014")
    records.update_group(
        imported_engine,
        NATIONAL,
        group_id=group.id,
        expected_version=group.version,
        changes={"variant": "studenten"},
    )
    overdue = coordinator_digest(imported_engine, NATIONAL, as_of=as_of).end_surveys_overdue
    listed = overdue[overdue["group_code"] == "0599-014"]
    assert listed[["month", "year_length", "year_unit"]].values.tolist() == [[12, 10, "weeks"]]


# ---------------------------------------------------------------------------- changing a timeline


def _statushouders(engine) -> VariantTimeline:
    with Session(engine) as session:
        return session.exec(select(VariantTimeline).where(VariantTimeline.variant == "statushouders")).one()


def test_only_a_national_coordinator_changes_a_timeline(imported_engine):
    record = _statushouders(imported_engine)
    with pytest.raises(AccessDenied):
        update_variant_timeline(
            imported_engine,
            Scope.coordinator("rosa", ["Rotterdam"]),
            timeline_id=record.id,
            expected_version=1,
            changes={"duration": 9},
        )
    with pytest.raises(AccessDenied):
        update_variant_timeline(
            imported_engine,
            Scope.community_builder("joris", 1),
            timeline_id=record.id,
            expected_version=1,
            changes={"duration": 9},
        )
    assert _statushouders(imported_engine).duration == 12
    with pytest.raises(AccessDenied):
        timeline_change_preview(
            imported_engine,
            Scope.coordinator("rosa", ["Rotterdam"]),
            variant="statushouders",
            changes={"duration": 9},
            as_of=AS_OF,
        )


def test_changing_a_timeline_is_validated_versioned_and_audited(imported_engine):
    record = _statushouders(imported_engine)
    with pytest.raises(ValidationFailed) as failed:
        update_variant_timeline(
            imported_engine,
            NATIONAL,
            timeline_id=record.id,
            expected_version=1,
            changes={"duration": 0, "midterm_at": 13, "unit": "jaren"},
        )
    assert {(e.field, e.code) for e in failed.value.errors} == {
        ("duration", "timeline_range"),
        ("unit", "choice"),
        ("midterm_at", "timeline_range"),
    }
    saved = update_variant_timeline(
        imported_engine,
        NATIONAL,
        timeline_id=record.id,
        expected_version=1,
        changes={"duration": 9, "midterm_at": 4, "quiet_after_days": 14},
    )
    assert saved.version == 2
    with pytest.raises(VersionConflict):
        update_variant_timeline(
            imported_engine, NATIONAL, timeline_id=record.id, expected_version=1, changes={"duration": 8}
        )
    with Session(imported_engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.table_name == "variant_timeline")).one()
    assert event.username == "anna" and event.record_code == "statushouders"
    assert json.loads(event.changes) == {
        "duration": [12, 9],
        "midterm_at": [6, 4],
        "quiet_after_days": [None, 14],
    }
    assert variant_timelines(imported_engine)["statushouders"].duration == 9


def test_the_preview_tells_what_a_change_does_and_saving_rewrites_no_history(
    imported_engine, workbook_sheets
):
    # Shortening the statushouders year to 2 months: every active statushouders group whose match started
    # on or before 2026-09-15 is then in month 3 or later, past its year (2026-09-15 + 2 months = 15 Nov).
    groups, matches = workbook_sheets["groepen"], workbook_sheets["koppelingen"]
    active = matches[matches["status"] == "actief"].merge(
        groups[["groep_code", "variant", "status"]], on="groep_code"
    )
    active = active[(active["variant"] == "statushouders") & (active["status_y"] == "actief")]
    starts = pd.to_datetime(active["gestart_op"]).dt.date
    # A group in month 2 or later of a 2-month year has the end survey due (unless answered): all but the
    # groups that started in the last month (after 2026-10-15).
    due = set(active.loc[starts <= D(2026, 10, 15), "groep_code"])
    with Session(imported_engine) as session:
        answered = set(
            session.exec(
                select(WelcomeGroup.code)
                .join(SurveyResponse, SurveyResponse.group_id == WelcomeGroup.id)
                .where(SurveyResponse.wave == "eindmeting", SurveyResponse.newcomer_id.is_not(None))
            )
        )
        meetings_before = len(session.exec(select(Meeting.id)).all())
    preview = timeline_change_preview(
        imported_engine,
        NATIONAL,
        variant="statushouders",
        changes={"duration": 2, "midterm_at": 1},
        as_of=AS_OF,
    )
    got_new = set(preview.loc[preview["todos_new"].map(lambda c: "end_survey_due" in c), "code"])
    current = group_progress(imported_engine, NATIONAL, Filters(variants=("statushouders",)), as_of=AS_OF)
    already = set(
        current.loc[current["todos"].map(lambda ts: any(t.code == "end_survey_due" for t in ts)), "code"]
    )
    assert got_new == due - answered - already
    assert set(preview["code"]) >= set(
        active["groep_code"]
    )  # every running statushouders group changes period
    assert all(p[1:] == (12, "months") for p in preview["period_before"]) and all(
        p[1:] == (2, "months") for p in preview["period_after"]
    )
    assert _statushouders(imported_engine).version == 1  # a preview writes nothing
    record = _statushouders(imported_engine)
    update_variant_timeline(
        imported_engine,
        NATIONAL,
        timeline_id=record.id,
        expected_version=1,
        changes={"duration": 2, "midterm_at": 1},
    )
    with Session(imported_engine) as session:
        assert len(session.exec(select(Meeting.id)).all()) == meetings_before
    after = group_progress(imported_engine, NATIONAL, Filters(variants=("statushouders",)), as_of=AS_OF)
    assert (
        set(after.loc[after["todos"].map(lambda ts: any(t.code == "end_survey_due" for t in ts)), "code"])
        == already | got_new
    )
