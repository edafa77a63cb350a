"""Reads about meetings: how often each group meets across a year, and how regularly it meets now.

Every function takes the user's :class:`~samenhier.scope.Scope` and the sidebar
:class:`~samenhier.scope.Filters` and reads only meetings of :func:`~samenhier.scope.visible_groups`.
Counting happens in SQL (the store may hold hundreds of thousands of meetings); pandas only completes
the grids (every group × every week) and does per-group arithmetic on the already small results.

Two ways to look at a year:

- **calendar year**: ISO weeks (Monday–Sunday; week 1 holds the year's first Thursday, so 29–31
  December can belong to week 1 of the next year and 1–3 January to week 52 or 53 of the previous
  one; a year has 52 or 53 weeks) and calendar months;
- **programme year**: period 1–N of each group's own year, counted from the start of its match by its
  variant's timeline (:mod:`samenhier.timeline`): month 1–12 (start 15 January: month 1 is 15 January
  up to and including 14 February), or week 1–10 for the student community. One view shows the
  variants counted in one unit (``unit``: ``months`` or ``weeks``); the grid's column is ``month``
  either way (the period number).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from dateutil.relativedelta import relativedelta
from sqlalchemy import Date, Integer, String, and_, case, cast, column, func, literal, or_, select, values
from sqlalchemy.engine import Engine

from samenhier.models import (
    CommunityBuilder,
    GroupStatus,
    Match,
    MatchStatus,
    Meeting,
    MeetingKind,
    Member,
    Municipality,
    Newcomer,
    WelcomeGroup,
)
from samenhier.queries.common import month_of, read_frame
from samenhier.queries.groups import running_match
from samenhier.queries.timelines import variant_timelines
from samenhier.scope import AccessDenied, Filters, Scope, visible_groups
from samenhier.timeline import MONTHS, Timeline, timeline_for

Details = list[tuple[dt.date, str]]
"""The meetings of one heatmap cell: ``(date, kind)`` pairs (kind is the stored Dutch word), by date."""

WEEK_GRID_COLUMNS = [
    "group_id",
    "code",
    "name",
    "municipality",
    "start_date",
    "year_end",
    "week",
    "week_no",
    "meetings",
    "details",
]
PROGRAMME_GRID_COLUMNS = [
    "match_id",
    "group_id",
    "code",
    "name",
    "municipality",
    "start_date",
    "ended_date",
    "month",
    "period_start",
    "meetings",
    "details",
]
MONTHLY_COLUMNS = ["municipality", "month", "kind", "meetings"]
CADENCE_COLUMNS = [
    "group_id",
    "code",
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
    "quiet",
    "quiet_after_days",
]
KIND_ORDER = [k.value for k in MeetingKind]
BINS_PER_QUERY = 6000


# --- calendar helpers -------------------------------------------------------------------------------


def iso_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of ISO year ``year``: the Monday of week 1 and the Sunday of its last week.

    2026 → (2025-12-29, 2027-01-03): 29–31 December 2025 are in 2026-W01, 1–3 January 2027 in 2026-W53.
    """
    return dt.date.fromisocalendar(year, 1, 1), dt.date.fromisocalendar(year + 1, 1, 1) - dt.timedelta(days=1)


def iso_weeks(year: int) -> list[str]:
    """Labels of every ISO week of ``year``, ``2025-W01`` … ``2025-W52`` (or ``W53`` in a long year).

    28 December always lies in the last ISO week of its year, so its week number is the count.
    """
    count = dt.date(year, 12, 28).isocalendar().week
    return [f"{year}-W{week:02d}" for week in range(1, count + 1)]


def programme_month_bounds(start: dt.date, month: int) -> tuple[dt.date, dt.date]:
    """First day and the day after the last day of month ``month`` (1-based) of a group year started on ``start``.

    Month *k* runs from ``start + (k − 1) months`` up to (not including) ``start + k months``, the days
    clipped to the month's end as :mod:`dateutil` does — exactly the dates for which
    :func:`samenhier.rules.group_year_month` answers *k* (a 12-month year; any variant's:
    :meth:`samenhier.timeline.Timeline.period_bounds`).
    """
    return start + relativedelta(months=month - 1), start + relativedelta(months=month)


def _timelines(engine: Engine) -> dict[str, Timeline]:
    return variant_timelines(engine)


# --- dialect helpers ----------------------------------------------------------------------------------


def _days_between(engine: Engine, later, earlier):
    """SQL: whole days from ``earlier`` to ``later`` (dates), in the engine's dialect."""
    if engine.dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier  # PostgreSQL: date − date is an integer number of days


def _details(engine: Engine):
    """SQL aggregate: the cell's meetings as ``YYYY-MM-DD|kind`` joined by ``;`` (order not guaranteed)."""
    item = cast(Meeting.date, String).concat("|").concat(Meeting.kind)
    if engine.dialect.name == "sqlite":
        return func.group_concat(item, ";")
    return func.string_agg(item, ";")


def _parse_details(text) -> Details:
    if text is None or (isinstance(text, float) and pd.isna(text)) or text == "":
        return []
    pairs = (part.split("|", 1) for part in str(text).split(";"))
    return sorted((dt.date.fromisoformat(day[:10]), kind) for day, kind in pairs)


def _merge_details(series: pd.Series) -> Details:
    return sorted(pair for details in series for pair in details)


def _as_dates(series: pd.Series) -> pd.Series:
    """Dates as :class:`datetime.date` objects (None where missing), whatever the driver returned."""
    return pd.to_datetime(series).dt.date.astype(object).where(series.notna(), None)


# --- calendar year --------------------------------------------------------------------------------------


def _week_groups_query(scope: Scope, filters: Filters, year: int):
    """SELECT of the rows of :func:`week_heatmap` (unordered): group_id, code, name, municipality, start_date."""
    first, last = iso_year_bounds(year)
    not_declined = Match.status != MatchStatus.DECLINED.value
    starts = (
        select(Match.group_id, func.max(Match.started_date).label("start_date"))
        .where(not_declined, Match.started_date.is_not(None), Match.started_date <= last)
        .group_by(Match.group_id)
        .subquery()
    )
    ran = select(Match.group_id).where(
        not_declined,
        Match.started_date.is_not(None),
        Match.started_date <= last,
        or_(Match.ended_date.is_(None), Match.ended_date >= first),
    )
    met = select(Meeting.group_id).where(Meeting.date >= first, Meeting.date <= last)
    return (
        select(
            WelcomeGroup.id.label("group_id"),
            WelcomeGroup.code,
            WelcomeGroup.name,
            Municipality.name.label("municipality"),
            starts.c.start_date,
            WelcomeGroup.variant,
        )
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .outerjoin(starts, starts.c.group_id == WelcomeGroup.id)
        .where(
            WelcomeGroup.id.in_(visible_groups(scope, filters)),
            or_(WelcomeGroup.id.in_(ran), WelcomeGroup.id.in_(met)),
        )
    )


def _week_groups(
    engine: Engine, scope: Scope, filters: Filters, year: int, limit: int | None = None
) -> pd.DataFrame:
    """The rows of :func:`week_heatmap`, in its order: group_id, code, name, municipality, start_date
    (only the first ``limit``: the database sorts and cuts, so a national year reads 150 rows, not 1,000)."""
    query = _week_groups_query(scope, filters, year)
    if limit is not None:
        start = query.selected_columns.start_date
        query = query.order_by(Municipality.name, start.is_(None), start, WelcomeGroup.code).limit(limit)
    groups = read_frame(engine, query)
    groups["start_date"] = pd.to_datetime(groups["start_date"])
    groups = groups.sort_values(["municipality", "start_date", "code"], na_position="last", kind="stable")
    groups["start_date"] = _as_dates(groups["start_date"])
    timelines = _timelines(engine)
    groups["year_end"] = [
        None if start is None else timeline_for(timelines, variant).end_date(start)
        for start, variant in zip(groups["start_date"], groups["variant"], strict=True)
    ]
    return groups.drop(columns="variant").reset_index(drop=True)


def week_heatmap(
    engine: Engine, scope: Scope, filters: Filters = Filters(), *, year: int, max_rows: int | None = None
) -> pd.DataFrame:
    """Meetings per group and ISO week of ISO year ``year``: the full grid, empty weeks included.

    Groups: every visible group with a meeting in the ISO year, or with a (not declined) match that
    ran during it (started on or before the year's last day and not ended before its first day) — so
    a group that should have met but did not shows as an empty row. With ``max_rows``, only the first
    ``max_rows`` of those groups (in the order below) and only their meetings are read: a heatmap of
    thousands of groups is unreadable, and its cells would be read, cached and sent for nothing.
    :func:`week_heatmap_size` tells how many groups there are in all.

    Columns: ``group_id``, ``code``, ``name``, ``municipality``, ``start_date`` (start of the group's
    latest match that started by the end of the year: the start of the group year seen from this
    year; None without one), ``year_end`` (the day that group year ends by the group's variant's timeline,
    :meth:`samenhier.timeline.Timeline.end_date`; None without a start), ``week`` (label ``2026-W01``), ``week_no`` (1–53), ``meetings`` (count,
    0 for an empty week), ``details`` (:data:`Details` of the week's meetings, ``[]`` when empty).
    One row per group and week, all 52 or 53 weeks of the year (:func:`iso_weeks`); groups ordered by
    municipality, then start date (groups without a start last), then code; weeks in order.
    """
    first, last = iso_year_bounds(year)
    groups = _week_groups(engine, scope, filters, year, limit=max_rows)
    rows = visible_groups(scope, filters) if max_rows is None else [int(g) for g in groups["group_id"]]
    week_no = (_days_between(engine, Meeting.date, literal(first, Date)) // 7 + 1).label("week_no")
    cells = read_frame(
        engine,
        select(Meeting.group_id, week_no, func.count().label("meetings"), _details(engine).label("details"))
        .where(Meeting.group_id.in_(rows), Meeting.date >= first, Meeting.date <= last)
        .group_by(Meeting.group_id, week_no),
    )
    weeks = pd.DataFrame({"week": iso_weeks(year)})
    weeks["week_no"] = range(1, len(weeks) + 1)
    grid = groups.merge(weeks, how="cross")
    cells["details"] = cells["details"].map(_parse_details)
    grid = grid.merge(cells, on=["group_id", "week_no"], how="left")
    grid["meetings"] = grid["meetings"].fillna(0).astype(int)
    grid["details"] = [d if isinstance(d, list) else [] for d in grid["details"]]
    return grid.reset_index(drop=True)[WEEK_GRID_COLUMNS]


def week_heatmap_size(engine: Engine, scope: Scope, filters: Filters = Filters(), *, year: int) -> int:
    """How many groups (rows) :func:`week_heatmap` has for ``year`` without ``max_rows`` (counted in SQL)."""
    rows = _week_groups_query(scope, filters, year).subquery()
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(rows)).scalar_one())


def monthly_counts(
    engine: Engine, scope: Scope, filters: Filters = Filters(), *, year: int, as_of: dt.date | None = None
) -> pd.DataFrame:
    """Meetings per municipality, calendar month and kind in calendar year ``year`` (1 January–31 December).

    Columns: ``municipality``, ``month`` (1–12), ``kind`` (stored word), ``meetings`` (count). Complete:
    every municipality that had a meeting in the year × every month × the four kinds, 0 where none;
    ordered by municipality, month, kind (vocabulary order). With ``as_of`` in ``year``, months after
    ``as_of``'s month are left out (they have not happened, which is not the same as 0). Empty when the
    year has no meetings.
    """
    month = month_of(engine, Meeting.date).label("month")
    frame = read_frame(
        engine,
        select(Municipality.name.label("municipality"), month, Meeting.kind, func.count().label("meetings"))
        .join(WelcomeGroup, WelcomeGroup.id == Meeting.group_id)
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .where(
            Meeting.group_id.in_(visible_groups(scope, filters)),
            Meeting.date >= dt.date(year, 1, 1),
            Meeting.date <= dt.date(year, 12, 31),
        )
        .group_by(Municipality.name, month, Meeting.kind),
    )
    frame["month"] = frame["month"].str[5:7].astype(int)
    last = 12 if as_of is None or as_of.year > year else (as_of.month if as_of.year == year else 0)
    return _complete_monthly(frame, last)


def _complete_monthly(frame: pd.DataFrame, last_month: int = 12) -> pd.DataFrame:
    """Every municipality in ``frame`` × months 1–``last_month`` × every kind, with 0 for missing counts."""
    if frame.empty or last_month < 1:
        return pd.DataFrame(
            {c: pd.Series(dtype=t) for c, t in zip(MONTHLY_COLUMNS, [object, int, object, int], strict=True)}
        )
    index = pd.MultiIndex.from_product(
        [sorted(frame["municipality"].unique()), range(1, last_month + 1), KIND_ORDER],
        names=["municipality", "month", "kind"],
    )
    counts = frame.groupby(["municipality", "month", "kind"])["meetings"].sum()
    return counts.reindex(index, fill_value=0).astype(int).reset_index()[MONTHLY_COLUMNS]


# --- programme year ------------------------------------------------------------------------------------


def _cohort(engine: Engine, scope: Scope, filters: Filters, year: int, unit: str = MONTHS) -> pd.DataFrame:
    """Visible matches (not declined) that started in calendar year ``year``, with group and municipality,
    of groups whose variant's year is counted in ``unit``; ``timeline`` holds that variant's timeline."""
    timelines = _timelines(engine)
    variants = [v for v, tl in timelines.items() if tl.unit == unit]
    frame = read_frame(
        engine,
        select(
            Match.id.label("match_id"),
            Match.group_id,
            WelcomeGroup.code,
            WelcomeGroup.name,
            Municipality.name.label("municipality"),
            Match.started_date.label("start_date"),
            Match.ended_date,
            WelcomeGroup.variant,
        )
        .join(WelcomeGroup, WelcomeGroup.id == Match.group_id)
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .where(
            Match.group_id.in_(visible_groups(scope, filters)),
            Match.status != MatchStatus.DECLINED.value,
            Match.started_date >= dt.date(year, 1, 1),
            Match.started_date <= dt.date(year, 12, 31),
            WelcomeGroup.variant.in_(variants),
        ),
    )
    frame["timeline"] = [timeline_for(timelines, v) for v in frame["variant"]]
    frame["start_date"] = _as_dates(frame["start_date"])
    frame["ended_date"] = _as_dates(frame["ended_date"])
    frame = frame.sort_values(["municipality", "start_date", "code", "match_id"], kind="stable")
    return frame.reset_index(drop=True)


def _programme_counts(
    engine: Engine, cohort: pd.DataFrame, as_of: dt.date, *, details: bool = True
) -> pd.DataFrame:
    """Meetings per match, programme month and kind: ``match_id``, ``month``, ``kind``, ``meetings``, ``details``
    (``[]`` everywhere when ``details`` is False: the monthly charts need only the counts).

    Each match's months are date ranges (:func:`programme_month_bounds`), cut at the match's end and at
    ``as_of``; SQL joins the meetings of the match's group onto those ranges and counts them.
    """
    bins = []
    for match in cohort.itertuples():
        stop = as_of + dt.timedelta(days=1)
        if match.ended_date is not None:
            stop = min(stop, match.ended_date + dt.timedelta(days=1))
        timeline = match.timeline
        for month in range(1, timeline.duration + 1):
            low, high = timeline.period_bounds(match.start_date, month)
            if month == timeline.duration:  # the year's last day itself belongs to the last period (issue 18)
                high += dt.timedelta(days=1)
            high = min(high, stop)
            if low < high:
                bins.append((int(match.match_id), int(match.group_id), month, low, high))
    columns = ["match_id", "month", "kind", "meetings", "details"]
    parts = []
    # Bound parameters (5 per month range) in chunks that stay below SQLite's 32,766-variable limit.
    for offset in range(0, len(bins), BINS_PER_QUERY):
        table = (
            values(
                column("match_id", Integer),
                column("group_id", Integer),
                column("month", Integer),
                column("from_date", Date),
                column("to_date", Date),
                name="bins",
            )
            .data(bins[offset : offset + BINS_PER_QUERY])
            .cte("bins")
        )
        parts.append(
            read_frame(
                engine,
                select(
                    table.c.match_id,
                    table.c.month,
                    Meeting.kind,
                    func.count().label("meetings"),
                    (_details(engine) if details else literal("")).label("details"),
                )
                .select_from(table)
                .join(
                    Meeting,
                    and_(
                        Meeting.group_id == table.c.group_id,
                        Meeting.date >= table.c.from_date,
                        Meeting.date < table.c.to_date,
                    ),
                )
                .group_by(table.c.match_id, table.c.month, Meeting.kind),
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    frame["details"] = frame["details"].map(_parse_details)
    return frame


def programme_heatmap(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    year: int,
    as_of: dt.date,
    max_rows: int | None = None,
    unit: str = MONTHS,
) -> pd.DataFrame:
    """Meetings per group year and programme month, for the matches that started in calendar year ``year``.

    One row per match (a group year; not declined, group visible, its variant counted in ``unit``) and
    period 1–N (N: the longest of those variants' durations; 12 months, 10 weeks). A meeting counts in
    period *k* of a match when it lies in that period (:meth:`samenhier.timeline.Timeline.period_bounds`),
    not after the match ended and not after ``as_of``. A meeting on the anniversary of the start (start + 12 months,
    the day a completed year usually ends) counts in month 12: the year ends with it (issue 18; three
    in the workbook, e.g. 0392-010 on 2025-12-29).

    Columns: ``match_id``, ``group_id``, ``code``, ``name``, ``municipality``, ``start_date``,
    ``ended_date`` (None while running), ``month`` (the period, 1–N), ``period_start`` (its first day;
    None past the end of a shorter variant's year), ``meetings`` (count, 0 when none),
    ``details`` (:data:`Details`). Matches ordered by municipality, start date, code; months in order.
    With ``max_rows``, only the first ``max_rows`` matches in that order (and only their meetings are
    read); :func:`programme_heatmap_size` tells how many there are in all.
    """
    cohort = _cohort(engine, scope, filters, year, unit)
    if max_rows is not None:
        cohort = cohort.head(max_rows)
    counts = _programme_counts(engine, cohort, as_of)
    cells = (
        counts.groupby(["match_id", "month"], as_index=False).agg(
            meetings=("meetings", "sum"), details=("details", _merge_details)
        )
        if not counts.empty
        else pd.DataFrame(columns=["match_id", "month", "meetings", "details"])
    )
    grid = cohort.drop(columns=["variant"]).merge(
        pd.DataFrame({"month": range(1, programme_periods(cohort, unit) + 1)}), how="cross"
    )
    grid["period_start"] = [
        tl.period_bounds(start, int(k))[0] if k <= tl.duration else None
        for tl, start, k in zip(grid["timeline"], grid["start_date"], grid["month"], strict=True)
    ]
    grid = grid.drop(columns="timeline")
    grid = grid.merge(cells, on=["match_id", "month"], how="left")
    grid["meetings"] = grid["meetings"].fillna(0).astype(int)
    grid["details"] = [d if isinstance(d, list) else [] for d in grid["details"]]
    return grid.reset_index(drop=True)[PROGRAMME_GRID_COLUMNS]


def programme_periods(cohort: pd.DataFrame, unit: str = MONTHS) -> int:
    """The number of period columns of a programme grid: the longest year among ``cohort``'s timelines
    (12 when it is empty and counted in months, 10 in weeks: the seeded defaults)."""
    if cohort.empty:
        return 12 if unit == MONTHS else 10
    return max(tl.duration for tl in cohort["timeline"])


def programme_heatmap_size(
    engine: Engine, scope: Scope, filters: Filters = Filters(), *, year: int, unit: str = MONTHS
) -> int:
    """How many matches (rows) :func:`programme_heatmap` has for ``year`` without ``max_rows``."""
    return len(_cohort(engine, scope, filters, year, unit))


def programme_units(engine: Engine, scope: Scope, filters: Filters = Filters(), *, year: int) -> list[str]:
    """The units (``months``, ``weeks``) of the variants whose matches started in ``year`` (visible,
    not declined), months first: the programme views worth offering. ``["months"]`` when there are none."""
    found = [u for u in (MONTHS, "weeks") if not _cohort(engine, scope, filters, year, u).empty]
    return found or [MONTHS]


def programme_monthly_counts(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    year: int,
    as_of: dt.date,
    unit: str = MONTHS,
) -> pd.DataFrame:
    """Meetings per municipality, programme month and kind, for the matches that started in ``year``.

    Same meetings as :func:`programme_heatmap`; columns and completeness as :func:`monthly_counts`
    (``month`` is the programme month). Per municipality, months go up to the furthest month one of
    its matches has reached by ``as_of`` or by its end (:meth:`samenhier.timeline.Timeline.period`, at
    most the year's length): later months have not happened there, which is not the same as 0.
    ``unit`` as :func:`programme_heatmap`.
    """
    cohort = _cohort(engine, scope, filters, year, unit)
    counts = _programme_counts(engine, cohort, as_of, details=False)
    if counts.empty:
        return _complete_monthly(pd.DataFrame(columns=MONTHLY_COLUMNS))
    cohort["reached"] = [
        min(m.timeline.period(m.start_date, min(as_of, m.ended_date or as_of)) or 0, m.timeline.duration)
        for m in cohort.itertuples()
    ]
    reached = cohort.groupby("municipality")["reached"].max()
    counts = counts.merge(cohort[["match_id", "municipality"]], on="match_id")
    monthly = _complete_monthly(counts[MONTHLY_COLUMNS], int(reached.max()))
    keep = monthly["month"] <= monthly["municipality"].map(reached)
    return monthly[keep].reset_index(drop=True)


# --- years and cadence ------------------------------------------------------------------------------------


def meeting_years(engine: Engine, scope: Scope, filters: Filters = Filters(), *, as_of: dt.date) -> list[int]:
    """Calendar years worth choosing, newest first: from the year of the first visible meeting or match
    start (whichever is earlier) up to ``as_of``'s year; just ``[as_of.year]`` on an empty store."""
    visible = visible_groups(scope, filters)
    with engine.connect() as connection:
        first_meeting = connection.execute(
            select(func.min(Meeting.date)).where(Meeting.group_id.in_(visible))
        ).scalar_one_or_none()
        first_start = connection.execute(
            select(func.min(Match.started_date)).where(Match.group_id.in_(visible))
        ).scalar_one_or_none()
    firsts = [pd.Timestamp(d).year for d in (first_meeting, first_start) if d is not None]
    first_year = min([*firsts, as_of.year])
    return list(range(as_of.year, first_year - 1, -1))


def cadence(engine: Engine, scope: Scope, filters: Filters = Filters(), *, as_of: dt.date) -> pd.DataFrame:
    """How regularly each visible active group (status ``actief``) meets, as of ``as_of``.

    Only meetings of the group's current match are looked at: dated on or after that match's start
    (the newest match that was not declined, as on the overview) and on or before ``as_of``.

    Columns: ``group_id``, ``code``, ``name``, ``municipality``, ``community_builder``,
    ``match_started`` (date or None), ``last_meeting`` (date or None), ``days_since_meeting`` (days
    from the last meeting to ``as_of``; from the match start when the group has not met; <NA> without
    either), ``meetings_4w`` / ``meetings_12w`` (meetings dated in (as_of − 28 days, as_of] /
    (as_of − 84 days, as_of]), ``median_gap_days`` (median of the days between consecutive meeting
    dates, several meetings on one day counting as one date; <NA> with fewer than two dates),
    ``longest_gap_days`` (the largest of those gaps; <NA> likewise), ``quiet`` (True when
    ``days_since_meeting`` is above the variant's ``quiet_after_days`` — 21 days, 10 for studenten,
    :mod:`samenhier.timeline` — the overview's "aandacht" rule), ``quiet_after_days`` (that threshold).
    Ordered by municipality, code.
    """
    match = running_match()
    active = select(WelcomeGroup.id).where(
        WelcomeGroup.id.in_(visible_groups(scope, filters)), WelcomeGroup.status == GroupStatus.ACTIVE.value
    )
    groups = read_frame(
        engine,
        select(
            WelcomeGroup.id.label("group_id"),
            WelcomeGroup.code,
            WelcomeGroup.name,
            Municipality.name.label("municipality"),
            CommunityBuilder.name.label("community_builder"),
            match.c.match_started,
            WelcomeGroup.variant,
        )
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .outerjoin(CommunityBuilder, CommunityBuilder.id == WelcomeGroup.community_builder_id)
        .outerjoin(match, match.c.group_id == WelcomeGroup.id)
        .where(WelcomeGroup.id.in_(active))
        .order_by(Municipality.name, WelcomeGroup.code),
    )
    per_day = (
        select(Meeting.group_id, Meeting.date, func.count().label("meetings"))
        .outerjoin(match, match.c.group_id == Meeting.group_id)
        .where(
            Meeting.group_id.in_(active),
            Meeting.date <= as_of,
            or_(match.c.match_started.is_(None), Meeting.date >= match.c.match_started),
        )
        .group_by(Meeting.group_id, Meeting.date)
        .subquery()
    )
    previous = func.lag(per_day.c.date).over(partition_by=per_day.c.group_id, order_by=per_day.c.date)
    days = select(
        per_day.c.group_id,
        per_day.c.date,
        per_day.c.meetings,
        _days_between(engine, per_day.c.date, previous).label("gap"),
    ).cte("days")
    # Everything per group in SQL (one row per active group comes back, not one per meeting day).
    # The median gap: the mean of the middle one or two gaps in order, found by position.
    ranked = (
        select(
            days.c.group_id,
            days.c.gap,
            func.row_number().over(partition_by=days.c.group_id, order_by=days.c.gap).label("position"),
            func.count().over(partition_by=days.c.group_id).label("n"),
        )
        .where(days.c.gap.is_not(None))
        .subquery("ranked")
    )
    medians = (
        select(ranked.c.group_id, func.avg(ranked.c.gap).label("median_gap_days"))
        .where(or_(ranked.c.position == (ranked.c.n + 1) // 2, ranked.c.position == (ranked.c.n + 2) // 2))
        .group_by(ranked.c.group_id)
        .subquery("medians")
    )
    stats = (
        select(
            days.c.group_id,
            func.max(days.c.date).label("last_meeting"),
            func.sum(case((days.c.date > as_of - dt.timedelta(days=28), days.c.meetings), else_=0)).label(
                "meetings_4w"
            ),
            func.sum(case((days.c.date > as_of - dt.timedelta(days=84), days.c.meetings), else_=0)).label(
                "meetings_12w"
            ),
            func.max(days.c.gap).label("longest_gap_days"),
        )
        .group_by(days.c.group_id)
        .subquery("stats")
    )
    per_group = read_frame(
        engine,
        select(stats, medians.c.median_gap_days).outerjoin(medians, medians.c.group_id == stats.c.group_id),
    ).set_index("group_id")
    per_group["last_meeting"] = pd.to_datetime(per_group["last_meeting"])
    stamp = pd.Timestamp(as_of)
    frame = groups.merge(per_group, left_on="group_id", right_index=True, how="left")
    started = pd.to_datetime(frame["match_started"])
    since = (stamp - frame["last_meeting"]).dt.days
    frame["days_since_meeting"] = since.fillna((stamp - started).dt.days).astype("Int64")
    frame["meetings_4w"] = frame["meetings_4w"].fillna(0).astype(int)
    frame["meetings_12w"] = frame["meetings_12w"].fillna(0).astype(int)
    frame["median_gap_days"] = frame["median_gap_days"].astype("Float64")
    frame["longest_gap_days"] = frame["longest_gap_days"].astype("Float64").round().astype("Int64")
    timelines = _timelines(engine)
    frame["quiet_after_days"] = (
        frame["variant"].map(lambda v: timeline_for(timelines, v).quiet_after_days).astype(int)
    )
    frame["quiet"] = (frame["days_since_meeting"] > frame["quiet_after_days"]).fillna(False).astype(bool)
    frame["match_started"] = _as_dates(started)
    frame["last_meeting"] = _as_dates(frame["last_meeting"])
    return frame.reset_index(drop=True)[CADENCE_COLUMNS]


def quiet_groups(cadence_frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of :func:`cadence` with ``quiet`` set, longest silence first (then by code)."""
    quiet = cadence_frame[cadence_frame["quiet"]]
    return quiet.sort_values(
        ["days_since_meeting", "code"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


# --- for the forms ---------------------------------------------------------------------------------------


def loggable_groups(engine: Engine, scope: Scope, filters: Filters = Filters()) -> pd.DataFrame:
    """The groups the user may log meetings for: visible, not archived, with a match that has started.

    Columns: ``group_id``, ``code``, ``name``, ``status``, ``municipality``, ``members`` (not archived),
    ``household_size`` (of the current match's newcomer; 1 when unknown) — the upper bounds of the
    present counts (see :mod:`samenhier.services.meetings`). Active groups first, then by code.
    """
    started = select(Match.group_id).where(
        Match.status != MatchStatus.DECLINED.value, Match.started_date.is_not(None)
    )
    members = (
        select(Member.group_id, func.count().label("members"))
        .where(Member.archived.is_(False))
        .group_by(Member.group_id)
        .subquery()
    )
    match = running_match()
    return read_frame(
        engine,
        select(
            WelcomeGroup.id.label("group_id"),
            WelcomeGroup.code,
            WelcomeGroup.name,
            WelcomeGroup.status,
            Municipality.name.label("municipality"),
            func.coalesce(members.c.members, 0).label("members"),
            func.coalesce(Newcomer.household_size, 1).label("household_size"),
        )
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .outerjoin(members, members.c.group_id == WelcomeGroup.id)
        .outerjoin(match, match.c.group_id == WelcomeGroup.id)
        .outerjoin(Newcomer, Newcomer.id == match.c.newcomer_id)
        .where(WelcomeGroup.id.in_(visible_groups(scope, filters)), WelcomeGroup.id.in_(started))
        .order_by(case((WelcomeGroup.status == GroupStatus.ACTIVE.value, 0), else_=1), WelcomeGroup.code),
    )


def group_meetings(engine: Engine, scope: Scope, group_id: int) -> pd.DataFrame:
    """One group's meetings for editing, newest first.

    Columns: ``id``, ``date``, ``kind``, ``duration_minutes``, ``members_present``,
    ``newcomers_present``, ``note``, ``version``.

    Raises:
        AccessDenied: no such group, or not one of ``scope``'s (one answer for both).
    """
    with engine.connect() as connection:
        found = connection.execute(
            select(WelcomeGroup.id).where(
                WelcomeGroup.id == group_id, WelcomeGroup.id.in_(visible_groups(scope, include_archived=True))
            )
        ).scalar_one_or_none()
    if found is None:
        raise AccessDenied(f"group {group_id} is not visible to {scope.username}")
    frame = read_frame(
        engine,
        select(
            Meeting.id,
            Meeting.date,
            Meeting.kind,
            Meeting.duration_minutes,
            Meeting.members_present,
            Meeting.newcomers_present,
            Meeting.note,
            Meeting.version,
        )
        .where(Meeting.group_id == group_id)
        .order_by(Meeting.date.desc(), Meeting.id.desc()),
    )
    frame["date"] = _as_dates(frame["date"])
    return frame


# --- for the charts: the group's year and the groups behind a programme month ---------------------------


def outside_group_year(grid: pd.DataFrame, *, as_of: dt.date) -> pd.Series:
    """Per cell of a heatmap grid: True where the cell lies outside the group's year or in the future, so
    that "no meeting" (an empty cell inside the year) is told apart from "not expected" (index as ``grid``).

    Calendar grid (:func:`week_heatmap`, column ``week``): the ISO week ends before the group year
    starts (``start_date``), starts on or after the year's end (``year_end``: 12 months, 10 weeks by the
    variant's timeline) or starts after ``as_of``. A group without a start has no year: only future weeks are outside.
    Programme grid (:func:`programme_heatmap`, column ``month``): the period starts (``period_start``)
    after ``as_of`` or after the match ended (``ended_date``), or lies past the end of the match's year.
    """
    if grid.empty:
        return pd.Series([], index=grid.index, dtype=bool)
    # A grid has thousands of cells but few distinct weeks, starts and months: each date sum is made once.
    if "week" in grid.columns:
        mondays = {w: dt.date.fromisocalendar(int(w[:4]), int(w[-2:]), 1) for w in grid["week"].unique()}
        twelve_months: dict = {}  # a grid without ``year_end``: the 12-month year
        year_ends = grid["year_end"] if "year_end" in grid.columns else [None] * len(grid)
        outside = []
        for week, start, year_end in zip(grid["week"], grid["start_date"], year_ends, strict=True):
            first = mondays[week]
            if first > as_of:
                outside.append(True)
            elif start is None or pd.isna(start):
                outside.append(False)
            else:
                if year_end is None or pd.isna(year_end):
                    if start not in twelve_months:
                        twelve_months[start] = start + relativedelta(months=12)
                    year_end = twelve_months[start]
                outside.append(first + dt.timedelta(days=6) < start or first >= year_end)
        return pd.Series(outside, index=grid.index, dtype=bool)
    firsts: dict = {}
    outside = []
    starts = grid["period_start"] if "period_start" in grid.columns else [None] * len(grid)
    for start, ended, month, period_start in zip(
        grid["start_date"], grid["ended_date"], grid["month"], starts, strict=True
    ):
        if "period_start" in grid.columns:
            if period_start is None or pd.isna(period_start):  # past the end of a shorter variant's year
                outside.append(True)
                continue
            first = period_start
        else:
            if (start, month) not in firsts:
                firsts[start, month] = programme_month_bounds(start, int(month))[0]
            first = firsts[start, month]
        ended = None if ended is None or pd.isna(ended) else ended
        outside.append(first > as_of or (ended is not None and first > ended))
    return pd.Series(outside, index=grid.index, dtype=bool)


def programme_groups_reached(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    year: int,
    as_of: dt.date,
    unit: str = MONTHS,
) -> pd.DataFrame:
    """How many group years (matches that started in ``year``, as :func:`programme_monthly_counts`) have
    reached each programme month by ``as_of`` (or by their end): the denominator of "meetings per group".

    Columns: ``municipality``, ``month`` (1–12), ``groups`` (count ≥ 1; months no group reached are left
    out). A match reaches month *k* when month *k* has begun (:func:`programme_month_bounds`) on or
    before ``as_of`` and on or before the day it ended.
    """
    cohort = _cohort(engine, scope, filters, year, unit)
    rows = []
    for match in cohort.itertuples():
        stop = as_of if match.ended_date is None else min(as_of, match.ended_date)
        for month in range(1, match.timeline.duration + 1):
            if match.timeline.period_bounds(match.start_date, month)[0] <= stop:
                rows.append((match.municipality, month))
    frame = pd.DataFrame(rows, columns=["municipality", "month"])
    return frame.groupby(["municipality", "month"], as_index=False).size().rename(columns={"size": "groups"})
