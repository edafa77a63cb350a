"""The meeting aggregations on a hand-made store (tests/meetings_helpers.py), values worked out by hand.

Calendar facts used below (checked against a printed calendar):
- 1 January 2026 is a Thursday, so ISO week 2026-W01 runs Monday 29 December 2025 – Sunday 4 January
  2026, and 2026 has 53 ISO weeks (a year starting on a Thursday has 53); 2026-11-15 is a Sunday.
- 1 January 2025 is a Wednesday (not a leap year): 2025-W01 starts Monday 30 December 2024 and 2025
  has 52 weeks, the last ending Sunday 28 December 2025.
- 1 January 2020 is a Wednesday in a leap year: 2020 has 53 weeks; Thursday 31 December 2020 and
  Sunday 3 January 2021 are in 2020-W53; Monday 4 January 2021 starts 2021-W01 (2021 has 52 weeks).
"""

import datetime as dt

import pandas as pd
import pytest
from meetings_helpers import MEETINGS, build_store

from samenhier.queries import meetings as q
from samenhier.rules import group_year_month
from samenhier.scope import AccessDenied, Filters
from samenhier.settings import get_settings

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

AS_OF = dt.date(2026, 11, 15)
D = dt.date.fromisoformat


@pytest.fixture
def store(engine):
    return build_store(engine)


def cell(grid: pd.DataFrame, code: str, column: str, value) -> pd.Series:
    row = grid[(grid["code"] == code) & (grid[column] == value)]
    assert len(row) == 1
    return row.iloc[0]


def test_iso_calendar_helpers():
    assert q.iso_year_bounds(2026) == (D("2025-12-29"), D("2027-01-03"))
    assert q.iso_year_bounds(2025) == (D("2024-12-30"), D("2025-12-28"))
    assert len(q.iso_weeks(2026)) == 53 and q.iso_weeks(2026)[-1] == "2026-W53"
    assert len(q.iso_weeks(2025)) == 52 and q.iso_weeks(2025)[6] == "2025-W07"
    assert len(q.iso_weeks(2020)) == 53 and len(q.iso_weeks(2021)) == 52


def test_week_heatmap_2026_groups_order_and_new_year_boundary(engine, store):
    grid = q.week_heatmap(engine, store.coordinator, year=2026)
    # Groups with a meeting in ISO 2026 or a match running in it: T-001, T-003, T-004, T-005 (not T-002, ended 2021;
    # not T-006, never matched; not T-007, ended 2024). Almere first, then Den Haag by start date:
    # T-001 2025-12-29, T-005 2026-06-01 (its second match), T-004 2026-09-01.
    assert list(grid["code"].drop_duplicates()) == ["T-003", "T-001", "T-005", "T-004"]
    assert len(grid) == 4 * 53
    assert list(grid[grid["code"] == "T-001"]["week"]) == q.iso_weeks(2026)
    # T-001 in 2026-W01 (29 Dec – 4 Jan): 29 Dec 2025 (the match's first day), 31 Dec 2025, 4 Jan 2026.
    w01 = cell(grid, "T-001", "week", "2026-W01")
    assert w01["meetings"] == 3
    assert w01["details"] == [
        (D("2025-12-29"), "groepsactiviteit"),
        (D("2025-12-31"), "één-op-één"),
        (D("2026-01-04"), "groepsactiviteit"),
    ]
    assert cell(grid, "T-001", "week", "2026-W02")["meetings"] == 1  # Monday 5 January
    # 20 Oct (Tue), 25 Oct (Sun, two meetings) are in W43: the week of Monday 19 October.
    assert cell(grid, "T-001", "week", "2026-W43")["meetings"] == 3
    assert cell(grid, "T-001", "week", "2026-W53")["meetings"] == 0
    assert (
        grid[grid["code"] == "T-001"]["meetings"].sum() == 10
    )  # all ten of T-001's meetings are in ISO 2026
    # T-005: 1 June 2026 is a Monday in W23 (the second match's first day); the 2024 meeting is not in 2026.
    assert cell(grid, "T-005", "week", "2026-W23")["meetings"] == 1
    assert grid[grid["code"] == "T-005"]["meetings"].sum() == 2


def test_week_heatmap_group_without_meetings_is_an_empty_row(engine, store):
    grid = q.week_heatmap(engine, store.coordinator, year=2026)
    t003 = grid[grid["code"] == "T-003"]
    assert len(t003) == 53
    assert (t003["meetings"] == 0).all()
    assert all(d == [] for d in t003["details"])


def test_week_heatmap_2025_excludes_late_december_that_belongs_to_2026(engine, store):
    grid = q.week_heatmap(engine, store.coordinator, year=2025)
    # ISO 2025 ends Sunday 28 December 2025. T-001 started on 29 December and met on 29 and 31 December:
    # both in 2026-W01, so T-001 is not part of 2025 at all. T-005's first match ran until 2025-01-09.
    assert list(grid["code"].drop_duplicates()) == ["T-005"]
    assert len(grid) == 52
    assert grid["meetings"].sum() == 0
    assert grid["start_date"].iloc[0] == D("2024-01-10")


def test_week_heatmap_53_week_year_and_the_next(engine, store):
    grid = q.week_heatmap(engine, store.coordinator, year=2020)
    assert list(grid["code"].drop_duplicates()) == ["T-002"]
    assert len(grid) == 53
    # Thursday 31 Dec 2020 and Sunday 3 Jan 2021 are both in 2020-W53.
    w53 = cell(grid, "T-002", "week", "2020-W53")
    assert w53["meetings"] == 2
    assert w53["details"] == [(D("2020-12-31"), "groepsactiviteit"), (D("2021-01-03"), "online")]
    grid21 = q.week_heatmap(engine, store.coordinator, year=2021)
    # T-002's match ended 3 Jan 2021, before ISO 2021 began, but it met on Monday 4 Jan 2021 (2021-W01).
    assert len(grid21) == 52
    assert cell(grid21, "T-002", "week", "2021-W01")["meetings"] == 1
    assert grid21["meetings"].sum() == 1


def test_week_heatmap_honours_scope_and_filters(engine, store):
    assert set(q.week_heatmap(engine, store.anna, year=2026)["code"]) == {"T-001", "T-003", "T-005"}
    assert set(q.week_heatmap(engine, store.bram, year=2026)["code"]) == {"T-004"}
    assert set(
        q.week_heatmap(engine, store.coordinator, Filters(municipalities=("Almere",)), year=2026)["code"]
    ) == {"T-003"}


def test_monthly_counts_calendar_months(engine, store):
    monthly = q.monthly_counts(engine, store.coordinator, year=2026)
    # Only Den Haag met in 2026 (T-001 and T-005); 12 months x 4 kinds.
    assert set(monthly["municipality"]) == {"Den Haag"}
    assert len(monthly) == 12 * 4
    per_month = monthly.groupby("month")["meetings"].sum()
    # Jan: 4 and 5 Jan; Jun: 1 Jun (T-005); Sep: 15 Sep; Oct: 20, 25, 25 Oct + 23 Oct (T-005); Nov: 1 and 10 Nov.
    expected = {1: 2, 6: 1, 9: 1, 10: 4, 11: 2}
    assert per_month.to_dict() == {m: expected.get(m, 0) for m in range(1, 13)}
    october = monthly[monthly["month"] == 10].set_index("kind")["meetings"].to_dict()
    assert october == {"groepsactiviteit": 1, "één-op-één": 2, "bezoek community builder": 1, "online": 0}
    # Calendar 2025 (unlike ISO 2025) holds T-001's 29 and 31 December.
    dec_2025 = q.monthly_counts(engine, store.coordinator, year=2025)
    assert dec_2025.groupby("month")["meetings"].sum()[12] == 2
    assert dec_2025["meetings"].sum() == 2


def test_monthly_counts_stop_at_the_as_of_month(engine, store):
    monthly = q.monthly_counts(engine, store.coordinator, year=2026, as_of=AS_OF)
    # 15 November: December has not happened, so it is absent rather than 0.
    assert sorted(monthly["month"].unique()) == list(range(1, 12))
    assert monthly["meetings"].sum() == 10
    assert q.monthly_counts(engine, store.coordinator, year=2025, as_of=AS_OF)["month"].nunique() == 12


def test_monthly_counts_empty_year(engine, store):
    monthly = q.monthly_counts(engine, store.coordinator, year=2019)
    assert monthly.empty
    assert list(monthly.columns) == q.MONTHLY_COLUMNS


def test_programme_heatmap_months_from_each_start(engine, store):
    grid = q.programme_heatmap(engine, store.coordinator, year=2025, as_of=AS_OF)
    assert list(grid["code"].drop_duplicates()) == ["T-001"]
    counts = grid.set_index("month")["meetings"].to_dict()
    # Start 29 Dec 2025. Month 1: 29 Dec – 28 Jan (29 Dec, 31 Dec, 4 Jan, 5 Jan); month 9: 29 Aug – 28 Sep
    # (15 Sep); month 10: 29 Sep – 28 Oct (20, 25, 25 Oct); month 11: 29 Oct – 28 Nov (1, 10 Nov).
    assert counts == {1: 4, 2: 0, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0, 8: 0, 9: 1, 10: 3, 11: 2, 12: 0}


def test_programme_heatmap_month_ends_and_match_end(engine, store):
    grid = q.programme_heatmap(engine, store.coordinator, year=2023, as_of=AS_OF)
    counts = grid.set_index("month")["meetings"].to_dict()
    # Start 31 Jan 2023. Month 2 begins 28 Feb (31 Jan + 1 month, clipped to February's last day), month 3
    # on 31 March. Month 1: 31 Jan, 27 Feb; month 2: 28 Feb, 30 Mar; month 3: 31 Mar; month 12 begins
    # 31 Dec 2023: 30 Jan 2024. 31 Jan 2024 is after the match ended (30 Jan) and not counted.
    assert counts == {1: 2, 2: 2, 3: 1, 4: 0, 5: 0, 6: 0, 7: 0, 8: 0, 9: 0, 10: 0, 11: 0, 12: 1}


def test_programme_months_agree_with_the_rule(engine, store):
    """Every counted meeting is in the month rules.group_year_month gives it (the rule, not the SQL)."""
    for year, code, start in [(2023, "T-007", D("2023-01-31")), (2025, "T-001", D("2025-12-29"))]:
        grid = q.programme_heatmap(engine, store.coordinator, year=year, as_of=AS_OF)
        for row in grid.itertuples():
            for day, _kind in row.details:
                assert group_year_month(start, day) == row.month, (code, day)


def test_programme_heatmap_stopped_match_and_cohort_order(engine, store):
    grid = q.programme_heatmap(engine, store.coordinator, year=2020, as_of=AS_OF)
    counts = grid.set_index("month")["meetings"].to_dict()
    # Start 1 June 2020, stopped 3 Jan 2021: month 7 is December (31 Dec), month 8 January up to the
    # end (3 Jan); the meeting of 4 January is after the end.
    assert counts[7] == 1 and counts[8] == 1 and sum(counts.values()) == 2
    cohort = q.programme_heatmap(engine, store.coordinator, year=2026, as_of=AS_OF)
    assert list(cohort["code"].drop_duplicates()) == ["T-003", "T-005", "T-004"]
    t005 = cohort[cohort["code"] == "T-005"].set_index("month")["meetings"]
    assert (
        t005[1] == 1 and t005[5] == 1 and t005.sum() == 2
    )  # 1 June (first day), 23 October (month 5: 1 Oct – 31 Oct)
    assert cohort[cohort["code"] == "T-003"]["meetings"].sum() == 0


def test_programme_monthly_counts(engine, store):
    monthly = q.programme_monthly_counts(engine, store.coordinator, year=2026, as_of=AS_OF)
    assert set(monthly["municipality"]) == {"Den Haag"}
    per_month = monthly.groupby("month")["meetings"].sum()
    assert per_month[1] == 1 and per_month[5] == 1 and per_month.sum() == 2
    # The furthest month reached: T-005 started 1 June, so 15 November is in month 6 (1 Nov + 14 days).
    assert list(per_month.index) == [1, 2, 3, 4, 5, 6]
    assert q.programme_monthly_counts(engine, store.coordinator, year=2018, as_of=AS_OF).empty


def test_cadence_hand_worked(engine, store):
    frame = q.cadence(engine, store.coordinator, as_of=AS_OF).set_index("code")
    assert list(frame.index) == ["T-003", "T-001", "T-004", "T-005"]  # active groups by municipality, code
    t001 = frame.loc["T-001"]
    # Meeting days: 29 Dec, 31 Dec, 4 Jan, 5 Jan, 15 Sep, 20 Oct, 25 Oct (two meetings), 1 Nov, 10 Nov.
    # Gaps: 2, 4, 1, 253 (5 Jan → 15 Sep), 35, 5, 7, 9 → sorted 1 2 4 5 | 7 9 35 253: median (5 + 7) / 2 = 6.
    assert t001["median_gap_days"] == 6.0
    assert t001["longest_gap_days"] == 253
    # Last 4 weeks: after 18 Oct → 20, 25, 25 Oct, 1, 10 Nov = 5; last 12 weeks: after 23 Aug → also 15 Sep.
    assert t001["meetings_4w"] == 5 and t001["meetings_12w"] == 6
    assert t001["last_meeting"] == D("2026-11-10") and t001["days_since_meeting"] == 5
    assert not t001["quiet"]
    t005 = frame.loc["T-005"]
    # Only the current match (since 1 June 2026) counts: 1 June and 23 Oct → one gap of 144 days.
    assert t005["median_gap_days"] == 144.0 and t005["longest_gap_days"] == 144
    assert t005["days_since_meeting"] == 23 and t005["meetings_4w"] == 1 and t005["quiet"]
    t003 = frame.loc["T-003"]
    # Never met: counted from its start on 1 October → 45 days.
    assert pd.isna(t003["last_meeting"]) and t003["days_since_meeting"] == 45
    assert pd.isna(t003["median_gap_days"]) and pd.isna(t003["longest_gap_days"])
    assert t003["meetings_4w"] == 0 and t003["quiet"]


def test_quiet_groups_sorted_by_silence_and_threshold_is_a_setting(engine, store, monkeypatch):
    quiet = q.quiet_groups(q.cadence(engine, store.coordinator, as_of=AS_OF))
    # T-004 started 1 Sep (75 days, no meeting), T-003 45 days, T-005 23 days; T-001 met 5 days ago.
    assert list(quiet["code"]) == ["T-004", "T-003", "T-005"]
    assert list(quiet["days_since_meeting"]) == [75, 45, 23]
    monkeypatch.setenv("SAMENHIER_INACTIVE_AFTER_DAYS", "23")
    get_settings.cache_clear()
    assert list(q.quiet_groups(q.cadence(engine, store.coordinator, as_of=AS_OF))["code"]) == [
        "T-004",
        "T-003",
    ]


def test_cadence_scope(engine, store):
    assert set(q.cadence(engine, store.bram, as_of=AS_OF)["code"]) == {"T-004"}
    assert set(q.cadence(engine, store.anna, as_of=AS_OF)["code"]) == {"T-001", "T-003", "T-005"}


def test_meeting_years(engine, store):
    # First match start 2020-06-01 and first meeting 2020-12-31 → 2020 … 2026 for the coordinator.
    assert q.meeting_years(engine, store.coordinator, as_of=AS_OF) == [
        2026,
        2025,
        2024,
        2023,
        2022,
        2021,
        2020,
    ]
    # Anna's earliest: T-005's first match, 10 January 2024.
    assert q.meeting_years(engine, store.anna, as_of=AS_OF) == [2026, 2025, 2024]


def test_loggable_groups_and_limits(engine, store):
    groups = q.loggable_groups(engine, store.coordinator).set_index("code")
    # Every group with a started match (not T-006); active ones first.
    assert list(groups.index) == ["T-001", "T-003", "T-004", "T-005", "T-002", "T-007"]
    assert groups.loc["T-001", "members"] == 4  # the archived member left out
    assert groups.loc["T-001", "household_size"] == 3
    assert groups.loc["T-005", "household_size"] == 4  # the current (second) match's household
    assert list(q.loggable_groups(engine, store.bram)["code"]) == ["T-004", "T-002", "T-007"]


def test_group_meetings_newest_first_and_access(engine, store):
    frame = q.group_meetings(engine, store.anna, store.groups["T-001"])
    assert list(frame["date"])[:2] == [D("2026-11-10"), D("2026-11-01")]
    assert len(frame) == len(MEETINGS["T-001"])
    with pytest.raises(AccessDenied):
        q.group_meetings(engine, store.bram, store.groups["T-001"])


def test_programme_counts_do_not_depend_on_query_chunks(engine, store, monkeypatch):
    whole = q.programme_heatmap(engine, store.coordinator, year=2023, as_of=AS_OF)
    monkeypatch.setattr(q, "BINS_PER_QUERY", 5)  # T-007's 12 month ranges in three queries
    assert q.programme_heatmap(engine, store.coordinator, year=2023, as_of=AS_OF).equals(whole)


def test_programme_monthly_counts_stop_at_the_month_each_municipality_reached(engine, store):
    from sqlmodel import Session

    from samenhier.models import Meeting

    # T-002 (Almere) started 1 June 2020 and stopped 3 January 2021: month 8 (from 1 January) was its last.
    assert sorted(
        q.programme_monthly_counts(engine, store.coordinator, year=2020, as_of=AS_OF)["month"].unique()
    ) == list(range(1, 9))
    with Session(engine) as s:
        s.add(
            Meeting(group_id=store.groups["T-003"], date=D("2026-10-05"), kind="online", duration_minutes=30)
        )
        s.commit()
    monthly = q.programme_monthly_counts(engine, store.coordinator, year=2026, as_of=AS_OF)
    months = monthly.groupby("municipality")["month"].max().to_dict()
    # Almere: T-003 started 1 October → 15 November is in month 2. Den Haag: T-005 (1 June) is in month 6.
    assert months == {"Almere": 2, "Den Haag": 6}
    assert monthly[(monthly["municipality"] == "Almere") & (monthly["month"] == 1)]["meetings"].sum() == 1


def test_programme_year_counts_the_anniversary_in_month_12(workbook_engine, workbook_sheets):
    """Issue 18: a meeting on the anniversary of the start (the day a completed year usually ends) belongs to
    month 12; three in the workbook. Start and meeting dates read from the workbook with pandas."""
    from samenhier.scope import Scope

    matches = workbook_sheets["koppelingen"]
    meetings = workbook_sheets["bijeenkomsten"]
    for code, anniversary in (
        ("0392-010", dt.date(2025, 12, 29)),
        ("0392-017", dt.date(2021, 6, 8)),
        ("0518-014", dt.date(2023, 3, 30)),
    ):
        start = pd.Timestamp(
            matches.loc[matches["groep_code"].str.strip() == code, "gestart_op"].iloc[0]
        ).date()
        assert start.replace(year=start.year + 1) == anniversary
        held = {
            pd.Timestamp(d).date() for d in meetings.loc[meetings["groep_code"].str.strip() == code, "datum"]
        }
        assert anniversary in held
        grid = q.programme_heatmap(workbook_engine, Scope.coordinator(), year=start.year, as_of=AS_OF)
        month12 = grid[(grid["code"] == code) & (grid["month"] == 12)].iloc[0]
        assert anniversary in [d for d, _kind in month12["details"]]
        expected = (
            sum(
                start.replace(year=start.year + 1, month=start.month)
                > d
                >= (pd.Timestamp(start) + pd.DateOffset(months=11)).date()
                for d in held
            )
            + 1
        )
        assert month12["meetings"] == expected
