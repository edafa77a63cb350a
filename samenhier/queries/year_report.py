"""Figures of one reporting year for funders and municipalities (issue 18): ``report --year YYYY``
and the Jaarverslag page.

:func:`year_figures` returns one JSON-ready dict (the ``year`` object of ``report --year``). The
*period* is 1 January up to and including 31 December of the year, or up to the as-of date when that
comes first (a report on the running year). Only groups visible to the scope and in the filters
(municipality, variant) count; archived groups count too (they were there in the year). A municipality
coordinator's figures cover their municipalities only (groups by :func:`~samenhier.scope.visible_groups`,
the waiting queue by :func:`~samenhier.scope.visible_municipality_ids`).

Programme figures (``year["programme"]``):

- ``matches_started``: matches with a start date in the period;
- ``matches_completed``: matches with status ``afgerond`` whose end date is in the period;
- ``matches_stopped``: status ``gestopt``, ended in the period; ``stop_reasons``: ``{reason: count}``
  of those (an empty reason is ``""``);
- ``households_reached``: newcomers with a match *running* at any time in the period (started on or
  before its last day, not ended before its first day; proposed and declined matches never run);
- ``people_reached``: the sum of those newcomers' household sizes;
- ``volunteers_active``: members of the groups of those matches who joined on or before the period's
  last day;
- ``meetings``: meetings dated in the period, ``meetings_per_month`` ``{YYYY-MM: count}`` (every month
  of the period); ``volunteer_hours``: Σ duration × members present / 60
  over those meetings (hours, 1 decimal);
- ``meetings_per_group_month``: meetings in *group-months* ÷ group-months, where a group-month is a
  calendar month of the period in which the group had a running match for at least one day (2 decimals);
- ``newcomers_waiting_at_end``: newcomers (of the filtered municipalities; a newcomer has no variant,
  so the variant filter does not narrow this) registered on or before the period's last day, not
  withdrawn (``afgemeld``), without a match started on or before that day;
- ``median_wait_days``: median of (first match start − registration) in days, over the newcomers
  whose first match started in the period (``matched_in_period`` of them);
- ``waited_past_three_years``: newcomers whose first day past eligibility (arrival + 3 years + 1 day,
  :func:`samenhier.rules.eligibility_end`) lies in the period and who were waiting that day
  (registered, not withdrawn, no match started before it).

Survey figures (``year["survey"]``), always per role (``nieuwkomer``, ``lid``; never pooled), for
responses in the selected groups (scored as :mod:`samenhier.loneliness`):

- ``waves[wave][role]``: of the responses dated in the period: ``responses``; ``lonely`` (total ≥ 2),
  ``emotional`` (emotional subscale ≥ 2 of 3) and ``social`` (social subscale ≥ 2 of 3), each
  ``{n, k, share, ci_low, ci_high}`` (Wilson 95%; n = responses with that score); ``bands``
  ``{niet eenzaam, matig eenzaam, ernstig eenzaam: count}``; ``feel_at_home``: ``{n, k (answer 4 or
  5), share, ci_low, ci_high, distribution {1…5: count}, all_same}`` (``all_same``: every answer the
  same — a warning that the data look odd);
- ``self_reported_change[role]``: eindmeting responses dated in the period that answered the
  question: ``n``, ``answers {minder, gelijk, meer: count}``, ``share_less`` with its interval;
- ``paired[role]``: people whose eindmeting is dated in the period and who have a nulmeting in the same
  group — only they enter any before/after figure. ``loneliness`` and ``feel_at_home`` each: ``n``,
  ``baseline_mean``, ``end_mean``, ``mean_change`` with ``ci_low``/``ci_high`` (t, 95%),
  ``decreased``/``same``/``increased``, ``wilcoxon_p`` (signed-rank, zero changes by Pratt's method),
  ``sign_p`` (sign test), ``all_same`` (zero-width interval: every change equal — a warning);
  loneliness also ``bands`` (``{baseline band: {end band: people}}``), feel_at_home ``share_at_home``
  (4–5) at the nulmeting and the eindmeting of the same people;
- ``attrition[role]``: people with a nulmeting (dated on or before the period's last day) whose match
  ran in the period: ``baseline`` (how many), ``with_end`` (an eindmeting on or before the last day),
  and of those without one: ``still_running`` (the eindmeting is not yet due: the match is active and
  its year (12 months, 10 weeks: its variant's timeline) plus its variant's grace period is not over, or
  it completed less than that grace period ago), ``stopped`` (the match stopped early), ``missing`` (due,
  not answered). The grace period is the match's variant timeline's ``end_grace_days``
  (:mod:`samenhier.timeline`), ``Settings.end_survey_grace_days`` when the variant stores none — the same
  rule as the to-dos and response rates (:meth:`samenhier.timeline.Timeline.waves_reached`).
  A member's match is their group's match that started last on or before the nulmeting + 31 days.

**Small numbers** (``min_n`` = ``Settings.min_cell_size``, default 5): a count of 1 to ``min_n`` − 1
people (households, people, volunteers, matches, newcomers, responses, n) is null; a share, mean,
median or test over fewer than ``min_n`` people is null together with its n; a share is also null when
the people in it (k) or outside it (n − k) number 1 … ``min_n`` − 1, since share and n would give them
away (:func:`share_shown`), and a share of 0% or 100% over fewer than ``2 × min_n`` people is null too
(every person's answer would be known). The rules live in :mod:`samenhier.disclosure`. Tables whose parts add up
to a shown total (stop reasons, bands, feel-at-home answers, self-reported change, attrition, the
before/after band table) get *complementary suppression*: when a part is hidden, the smallest other
non-zero parts are hidden too until at least two parts are hidden and together they count at least
``min_n`` people, so that no hidden part can be worked out by subtracting the shown parts from the
total (:func:`protect_parts`); where a shown share splits such a table in two (lonely = the moderate
and severe bands; at home = answers 4–5; "minder"), each side is protected against its own total.
Zero is shown (it describes nobody). Meetings and hours are about
groups and stay. ``suppressed_below`` names ``min_n``.

**Cells** (issue 16 item 4 for the year report: the report for one municipality or variant must not be
subtractable from the report for all of them). The survey figures — every figure of ``waves``,
``self_reported_change``, ``paired`` and ``attrition``, all about people's answers (attrition: whether a
person answered the eindmeting) — are built from *cells* as on the Enquêtes page
(:func:`samenhier.disclosure.keep_safe_cells`, the rules and why in :mod:`samenhier.disclosure`): a cell
is one municipality × one group variant (per wave and role). The report's filters are municipalities and
variants only, so these are its smallest building blocks; a cohort (start year) split as on the
Enquêtes page would leave more people out without closing any difference the report offers, and the
report's *year* is no cell dimension because reports of different years count different responses (and
different as-of dates are not compared, as on the page). Each figure decides on its own n and parts
(lonely with the bands; emotional; social; feel at home with its answers as a distribution; the
self-reported answers; the before/after directions with the band table or the at-home shares; the
attrition categories as a distribution): a cell that fails the rules is left out of that figure in every
filtered report (and in every report of a municipality coordinator); in the report on everything (no
municipality or variant chosen, national coordinator) the failing cells count as one pool when the pool
passes. A figure whose people were all left out is null, not 0. The programme figures stay as they are:
counts of matches, households, volunteers and newcomers waiting are not about answers (their differences
between reports are not covered). ``survey["left_out"]``: whether any response dated in the period is
left out of a figure — not how many: that number for two reports would differ by the size of a small
cell (as on the Enquêtes page); ``survey["pooled"]``: how many responses count only in a pool (a pool
is safe, at least ``min_n``); the report says both (:func:`samenhier.reports.content.coverage_note`).
``complementary=False`` switches the cells off (tests only).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, or_, select, type_coerce
from sqlalchemy.engine import Engine

from samenhier.disclosure import hide_count, keep_safe_cells, one_sided, protect_parts, share_shown
from samenhier.loneliness import Band, score_sql
from samenhier.models import (
    LONELINESS_ITEMS,
    Match,
    MatchStatus,
    Meeting,
    Member,
    Municipality,
    Newcomer,
    NewcomerStatus,
    RespondentRole,
    SelfReportedChange,
    SurveyResponse,
    Wave,
    WelcomeGroup,
)
from samenhier.queries.common import read_frame
from samenhier.queries.timelines import variant_timelines
from samenhier.scope import Filters, Scope, visible_groups, visible_municipality_ids
from samenhier.settings import get_settings
from samenhier.survey_stats import ROLES, paired_change, wilson_interval
from samenhier.timeline import timeline_for

RUNNING = (MatchStatus.ACTIVE.value, MatchStatus.COMPLETED.value, MatchStatus.STOPPED.value)
"""Statuses of a match that started (proposed and declined ones never ran)."""
SUBSCALE_LONELY = 2
"""Emotional or social loneliness: a subscale score of 2 or 3 (of 3)."""
AT_HOME = (4, 5)
"""Feel-at-home answers that count as "feels at home"."""
BANDS = tuple(b.value for b in Band)
ATTRITION_PARTS = ("with_end", "still_running", "stopped", "missing")
"""What became of the people with a nulmeting (``attrition``), in the report's order."""
GROUP_MONTH = 1_000_000
"""A group-month as one integer: group id × GROUP_MONTH + month key (year × 12 + month − 1)."""


def period_of(year: int, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the reporting ``year`` as of ``as_of``.

    Raises:
        ValueError: ``as_of`` is before 1 January of ``year`` (the year has not begun).
    """
    first = dt.date(year, 1, 1)
    if as_of < first:
        raise ValueError(f"the year {year} has not begun on {as_of.isoformat()}")
    return first, min(dt.date(year, 12, 31), as_of)


def _days(column: pd.Series) -> pd.Series:
    """A column of dates (``datetime.date``, text or missing) as ``datetime64`` (NaT where missing), so that the
    figures compare and count whole columns at once instead of one Python date at a time."""
    return pd.to_datetime(pd.Series(column, dtype=object), errors="raise").astype("datetime64[ns]")


def _raw_day(column) -> Any:
    """``column`` (a date) read as the driver returns it, labelled with its name: SQLAlchemy's per-row
    conversion of SQLite's date text is skipped (a third of the time to read 69,000 survey responses);
    :func:`_days` converts the whole column at once (on PostgreSQL the driver already returns dates)."""
    return type_coerce(column, String).label(column.key)


def _read_rows(engine: Engine, query, numbers: dict[str, str]) -> pd.DataFrame:
    """:func:`~samenhier.queries.common.read_frame` for the big reads (tens of thousands of meetings and survey
    responses nationally): the driver's rows go straight into the frame, without SQLAlchemy's result rows
    and type conversions in between — so only for columns that need none (numbers, text, and dates read
    through :func:`_raw_day`). The columns named in ``numbers`` get the given dtype (``float64`` where a value
    may be missing), also when no row is found."""
    with engine.connect() as connection:
        result = connection.execute(query)
        columns = list(result.keys())
        rows = result.cursor.fetchall()
        result.close()
    return pd.DataFrame.from_records(rows, columns=columns, coerce_float=True).astype(numbers)


def _past_eligibility(arrivals: pd.Series, years: int) -> pd.Series:
    """The first day past eligibility of each arrival day (``datetime64``): :func:`samenhier.rules.eligibility_end`
    + 1 day for a whole column (the same calendar day ``years`` later, 29 February clipped to the 28th as
    :mod:`dateutil` does, which pandas' year offset does too)."""
    return arrivals + pd.DateOffset(years=years) + pd.Timedelta(days=1)


def _bands(total: pd.Series) -> pd.Series:
    """:func:`samenhier.loneliness.band` of each total score (its word; None where the total is missing)."""
    return pd.Series(
        np.select(
            [total <= 1, total <= 4, total <= 6],
            [Band.NOT_LONELY.value, Band.MODERATE.value, Band.SEVERE.value],
            default=None,
        ),
        index=total.index,
        dtype=object,
    )


def _month_key(days: pd.Series) -> pd.Series:
    """Calendar month of each day as one integer (year × 12 + month − 1)."""
    return days.dt.year * 12 + days.dt.month - 1


def _sig(value: float) -> float | None:
    """A p-value to 4 significant digits (a tiny p stays visible as such, not rounded to 0)."""
    return None if value is None or math.isnan(value) else float(f"{value:.4g}")


def _round(value: float | None, digits: int) -> float | None:
    return (
        None
        if value is None or (isinstance(value, float) and math.isnan(value))
        else round(float(value), digits)
    )


def year_figures(
    engine: Engine,
    scope: Scope,
    *,
    year: int,
    as_of: dt.date,
    filters: Filters = Filters(),
    min_n: int | None = None,
    complementary: bool = True,
) -> dict[str, Any]:
    """The figures of ``year`` (definitions in this module's docstring) as a JSON-ready dict with keys
    ``year``, ``period`` (``{from, to}`` ISO dates), ``filters`` (``{municipalities, variants}``),
    ``suppressed_below``, ``programme`` and ``survey``. ``min_n`` defaults to ``Settings.min_cell_size``.
    ``complementary=False`` switches the cell method of the survey figures off (only for the tests that
    show why it is needed; see "Cells" in the module notes).

    The year report goes to funders and municipalities and covers the waiting queue: coordinators only.

    Raises:
        AccessDenied: ``scope`` is not a coordinator.
        ValueError: the year has not begun on ``as_of``.

    A municipality coordinator's report covers their municipalities only (:meth:`Scope.narrow`).
    """
    scope.require_coordinator()
    filters = scope.narrow(filters)
    first, last = period_of(year, as_of)
    settings = get_settings()
    min_n = settings.min_cell_size if min_n is None else min_n
    groups_q = visible_groups(scope, filters, include_archived=True)
    matches = read_frame(
        engine,
        select(
            Match.id.label("match_id"),
            Match.group_id,
            Match.newcomer_id,
            Match.started_date,
            Match.ended_date,
            Match.status,
            Match.end_reason,
            Newcomer.household_size,
            WelcomeGroup.variant,
        )
        .join(Newcomer, Newcomer.id == Match.newcomer_id)
        .join(WelcomeGroup, WelcomeGroup.id == Match.group_id)
        .where(Match.group_id.in_(groups_q), Match.status.in_(RUNNING), Match.started_date.is_not(None)),
    )
    matches["start"] = _days(matches["started_date"])
    matches["end"] = _days(matches["ended_date"])
    # The end of each match's group year and its end-survey grace period by its variant's timeline
    # (12 months; 10 weeks for studenten; the grace stored per variant, else the setting).
    timelines = variant_timelines(engine, settings)
    matches["year_end"] = pd.Series(pd.NaT, index=matches.index, dtype="datetime64[ns]")
    matches["grace"] = pd.Series(pd.NaT, index=matches.index, dtype="timedelta64[ns]")
    for variant in pd.unique(matches["variant"]):  # per variant, every match of it at once
        rows = (matches["variant"] == variant).to_numpy(dtype=bool)
        timeline = timeline_for(timelines, variant)
        matches.loc[rows, "year_end"] = timeline.end_dates(matches.loc[rows, "start"]).astype(
            "datetime64[ns]"
        )
        matches.loc[rows, "grace"] = pd.Timedelta(days=timeline.end_grace_days)
    programme = _programme(
        engine, scope, matches, groups_q, filters, first, last, settings.eligibility_years, min_n
    )
    cells = _cells(engine, groups_q) if complementary else None
    pool = not (
        filters.municipalities or filters.variants
    )  # narrowed: a municipality coordinator never pools
    survey = _survey(engine, matches, groups_q, first, last, min_n, _Cells(cells, min_n, pool))
    return {
        "year": year,
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "filters": {"municipalities": list(filters.municipalities), "variants": list(filters.variants)},
        "suppressed_below": min_n,
        "programme": programme,
        "survey": survey,
    }


# Suppression (the rules: samenhier.disclosure) ---------------------------------------------------------


def _count(n: int, min_n: int, gone: bool = False) -> int | None:
    """A count of people (:func:`hide_count`); ``gone``: the figure had people, but every one of them is in a
    cell left out (see "Cells" in the module notes): hidden too, not a 0 that would say "nobody"."""
    return None if gone and n == 0 else hide_count(n, min_n)


def _parts(counts: dict[Any, int], n: int, min_n: int, gone: bool = False) -> dict[Any, int | None]:
    """:func:`protect_parts` of a table over ``n`` people: all hidden when ``n`` is below ``min_n``, or when
    one part holds everyone while ``n`` is below ``2 × min_n`` (:func:`samenhier.disclosure.one_sided`);
    all zeros shown when nobody is in it (hidden when ``gone``: :func:`_count`)."""
    if n == 0:
        return dict.fromkeys(counts) if gone else {k: 0 for k in counts}
    if n < min_n or any(one_sided(v, n, min_n) and v == n for v in counts.values()):
        return dict.fromkeys(counts)
    return protect_parts(counts, min_n)


def _split_parts(
    counts: dict[Any, int], inside: tuple, n: int, min_n: int, gone: bool = False
) -> dict[Any, int | None]:
    """The parts of a table whose ``inside`` parts add up to a share's k: when the share is shown (so k and
    n − k are known), each side is protected against its own known total; else the whole table."""
    k = sum(counts[key] for key in inside)
    if n == 0 or not share_shown(k, n, min_n):
        return _parts(counts, n, min_n, gone)
    inner = protect_parts({key: v for key, v in counts.items() if key in inside}, min_n)
    outer = protect_parts({key: v for key, v in counts.items() if key not in inside}, min_n)
    return {key: inner[key] if key in inside else outer[key] for key in counts}


def _share_block(k: int, n: int, min_n: int, gone: bool = False) -> dict[str, Any]:
    """``{n, k, share, ci_low, ci_high}`` (Wilson 95%); n None when below ``min_n`` (or ``gone``:
    :func:`_count`), the rest None unless :func:`share_shown`."""
    if not share_shown(k, n, min_n):
        return {
            "n": _count(n, min_n, gone),
            "k": None,
            "share": None,
            "ci_low": None,
            "ci_high": None,
        }
    low, high = wilson_interval(k, n)
    return {
        "n": int(n),
        "k": int(k),
        "share": round(k / n, 4),
        "ci_low": round(low, 4),
        "ci_high": round(high, 4),
    }


# Programme -------------------------------------------------------------------------------------------


def _running(matches: pd.DataFrame, first: dt.date, last: dt.date) -> pd.Series:
    return (
        (matches["start"] <= pd.Timestamp(last))
        & (matches["end"].isna() | (matches["end"] >= pd.Timestamp(first)))
    ).astype(bool)


def _between(days: pd.Series, first: dt.date, last: dt.date) -> pd.Series:
    """Days from ``first`` up to and including ``last`` (a missing day is not)."""
    return ((days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))).astype(bool)


def _programme(engine, scope, matches, groups_q, filters, first, last, years, min_n) -> dict[str, Any]:
    started = matches[_between(matches["start"], first, last)]
    completed = matches[
        (matches["status"] == MatchStatus.COMPLETED.value) & _between(matches["end"], first, last)
    ]
    stopped = matches[
        (matches["status"] == MatchStatus.STOPPED.value) & _between(matches["end"], first, last)
    ]
    running = matches[_running(matches, first, last)]
    households = running.drop_duplicates("newcomer_id")
    members = read_frame(
        engine,
        select(Member.id, Member.group_id).where(
            Member.group_id.in_(running["group_id"].unique().tolist() or [-1]), Member.joined_date <= last
        ),
    )
    meetings = _read_rows(
        engine,
        select(
            Meeting.group_id, _raw_day(Meeting.date), Meeting.duration_minutes, Meeting.members_present
        ).where(Meeting.group_id.in_(groups_q), Meeting.date >= first, Meeting.date <= last),
        {"group_id": "int64", "duration_minutes": "int64", "members_present": "int64"},
    )
    meeting_month = _month_key(_days(meetings["date"]))
    months = pd.period_range(first.strftime("%Y-%m"), last.strftime("%Y-%m"), freq="M")
    by_month = meeting_month.value_counts()
    month_counts = [int(by_month.get(p.year * 12 + p.month - 1, 0)) for p in months]
    hours = float((meetings["duration_minutes"] * meetings["members_present"]).sum()) / 60

    # Group-months: calendar months of the period in which a group had a running match, each as one integer
    # (group id × 10⁶ + month key); every month from a match's first to its last day within the period.
    from_month = _month_key(running["start"].clip(lower=pd.Timestamp(first))).to_numpy(dtype=np.int64)
    to_month = _month_key(running["end"].fillna(pd.Timestamp(last)).clip(upper=pd.Timestamp(last)))
    spans = np.clip(to_month.to_numpy(dtype=np.int64) - from_month + 1, 0, None)
    offsets = np.arange(spans.sum()) - np.repeat(np.cumsum(spans) - spans, spans)
    group_months = np.unique(
        np.repeat(running["group_id"].to_numpy(dtype=np.int64) * GROUP_MONTH + from_month, spans) + offsets
    )
    in_group_months = int(
        np.isin(
            meetings["group_id"].to_numpy(dtype=np.int64) * GROUP_MONTH
            + meeting_month.to_numpy(dtype=np.int64),
            group_months,
        ).sum()
    )

    newcomers = read_frame(
        engine,
        select(
            Newcomer.id,
            Newcomer.arrival_date,
            Newcomer.registration_date,
            Newcomer.status,
            Municipality.name.label("municipality"),
        )
        .join(Municipality, Municipality.id == Newcomer.municipality_id)
        .where(Newcomer.municipality_id.in_(visible_municipality_ids(scope, filters))),
    )
    newcomers["arrival_date"] = _days(newcomers["arrival_date"])
    newcomers["registration_date"] = _days(newcomers["registration_date"])
    all_starts = read_frame(
        engine,
        select(Match.newcomer_id, Match.started_date).where(
            Match.status.in_(RUNNING), Match.started_date.is_not(None)
        ),
    )
    first_start = _days(all_starts["started_date"]).groupby(all_starts["newcomer_id"]).min()
    newcomers["first_start"] = newcomers["id"].map(first_start).astype("datetime64[ns]")
    candidates = newcomers[newcomers["status"] != NewcomerStatus.WITHDRAWN.value]

    def waiting_on(day_of) -> pd.Series:
        fs = candidates["first_start"]
        return ((candidates["registration_date"] <= day_of) & (fs.isna() | (fs > day_of))).astype(bool)

    waiting_end = candidates[waiting_on(pd.Timestamp(last))]
    matched = newcomers[_between(newcomers["first_start"], first, last)]
    # Only newcomers of the selected groups' matches count as matched in a filtered report.
    matched = matched[matched["id"].isin(started["newcomer_id"])]
    waits = [int(d) for d in (matched["first_start"] - matched["registration_date"]).dt.days]
    past_day = _past_eligibility(candidates["arrival_date"], years)
    passed = candidates[_between(past_day, first, last) & waiting_on(past_day)]

    def show(n):
        return hide_count(n, min_n)

    return {
        "matches_started": show(len(started)),
        "matches_completed": show(len(completed)),
        "matches_stopped": show(len(stopped)),
        "stop_reasons": protect_parts(dict(sorted(Counter(stopped["end_reason"].fillna("")).items())), min_n),
        "households_reached": show(len(households)),
        "people_reached": None if 0 < len(households) < min_n else int(households["household_size"].sum()),
        "volunteers_active": show(int(members["id"].nunique())),
        "meetings": len(meetings),
        "meetings_per_month": {str(p): int(c) for p, c in zip(months, month_counts, strict=True)},
        "volunteer_hours": round(hours, 1),
        "group_months": len(group_months),
        "meetings_per_group_month": round(in_group_months / len(group_months), 2)
        if len(group_months)
        else None,
        "newcomers_waiting_at_end": show(len(waiting_end)),
        "matched_in_period": show(len(waits)),
        "median_wait_days": float(statistics.median(waits)) if len(waits) >= min_n else None,
        "waited_past_three_years": show(len(passed)),
    }


# Survey ----------------------------------------------------------------------------------------------


def _cells(engine: Engine, groups_q) -> pd.DataFrame:
    """The cell of each selected group: columns ``group_id``, ``municipality``, ``variant`` and ``cohort``
    (always 0: the report has no cohort filter, see "Cells" in the module notes)."""
    frame = read_frame(
        engine,
        select(
            WelcomeGroup.id.label("group_id"), Municipality.name.label("municipality"), WelcomeGroup.variant
        )
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .where(WelcomeGroup.id.in_(groups_q)),
    )
    return frame.astype({"group_id": "int64"}).assign(cohort=0)


class _Cells:
    """Which rows (responses, pairs, people) of the selected groups count in a figure: the cell method of
    :func:`samenhier.disclosure.keep_safe_cells` over the report's cells (``cells`` None: switched off).
    Remembers, per response (index of the scored responses), whether a figure left it out or pooled it,
    for the report's note (:attr:`left_out`, :attr:`pooled`)."""

    def __init__(self, cells: pd.DataFrame | None, min_n: int, pool: bool):
        self.cells, self.min_n, self.pool = cells, min_n, pool
        self.left_out: set = set()
        self.pooled: set = set()

    def keep(
        self,
        rows: pd.DataFrame,
        *,
        by: list[str],
        n: str,
        parts: list[str] = (),
        full: list[str] = (),
        responses: str | None = None,
    ) -> pd.DataFrame:
        """The ``rows`` (with ``group_id``, ``by`` and the 0/1 or count columns ``n``, ``parts``, ``full``)
        whose cell counts in the figure; ``responses``: a column of ``rows`` naming each row's response,
        to note the responses left out or pooled (only rows with ``n`` > 0 are about the figure)."""
        if self.cells is None or rows.empty:
            return rows
        columns = [n, *parts, *full]
        frame = (
            rows[["group_id", *by, *columns]]
            .astype({"group_id": "int64", **dict.fromkeys(columns, "int64")})
            .assign(_row=np.arange(len(rows)), _all=0)
            .merge(self.cells, on="group_id", how="left")
        )
        kept = keep_safe_cells(
            frame, by=[*by, "_all"], n=n, parts=list(parts), min_n=self.min_n, pool=self.pool, full=list(full)
        )
        counted = np.zeros(len(rows), dtype=bool)
        counted[kept["_row"].to_numpy(dtype=np.int64)] = True
        if responses is not None:
            about = rows[n].to_numpy() > 0
            ids = rows[responses].to_numpy()
            self.left_out.update(ids[about & ~counted].tolist())
            pooled = np.zeros(len(rows), dtype=bool)
            pooled[kept.loc[kept["pooled"].astype(bool), "_row"].to_numpy(dtype=np.int64)] = True
            self.pooled.update(ids[about & pooled].tolist())
        return rows[counted]


def _survey(engine, matches, groups_q, first, last, min_n, cells: _Cells) -> dict[str, Any]:
    r = SurveyResponse
    scores = score_sql({item: getattr(r, item) for item in LONELINESS_ITEMS})  # the same rules as score()
    # Every response up to the last day, but for a tussenmeting only those in the period: a nulmeting or
    # eindmeting from before it can still be half of a before/after pair or of the attrition table.
    responses = _read_rows(
        engine,
        select(
            r.newcomer_id,
            r.member_id,
            r.group_id,
            r.wave,
            _raw_day(r.date),
            r.feel_at_home,
            r.self_reported_change,
            scores.emotional.label("emotional"),
            scores.social.label("social"),
            scores.total.label("total"),
        ).where(
            r.group_id.in_(groups_q),
            r.date <= last,
            or_(r.wave != Wave.MIDTERM.value, r.date >= first),
        ),
        {
            "newcomer_id": "float64",
            "member_id": "float64",
            "group_id": "int64",
            "feel_at_home": "float64",
            "emotional": "float64",
            "social": "float64",
            "total": "float64",
        },
    )
    responses["date"] = _days(responses["date"])
    responses["role"] = np.where(
        responses["newcomer_id"].notna(), RespondentRole.NEWCOMER.value, RespondentRole.MEMBER.value
    )
    responses["person_id"] = responses["newcomer_id"].fillna(responses["member_id"]).astype(int)
    responses["band"] = _bands(responses["total"])
    scored = responses.drop(columns=["newcomer_id", "member_id"])  # every filter below copies fewer columns
    scored["response"] = np.arange(len(scored))
    in_period = (scored["date"] >= pd.Timestamp(first)).astype(bool)
    flags, kept = _wave_rows(scored[in_period], cells)
    waves = {}
    for wave in Wave:
        waves[wave.value] = {}
        for role in ROLES:
            part = {
                figure: rows[(rows["wave"] == wave.value) & (rows["role"] == role)]
                for figure, rows in kept.items()
            }
            raw = flags[(flags["wave"] == wave.value) & (flags["role"] == role)]
            waves[wave.value][role] = _wave_block(part, raw, min_n)
    answered = scored[
        in_period & (scored["wave"] == Wave.END.value) & scored["self_reported_change"].notna()
    ].assign(one=1, **{f"_{c.value}": 0 for c in SelfReportedChange})
    for c in SelfReportedChange:
        answered[f"_{c.value}"] = (answered["self_reported_change"] == c.value).astype("int64")
    asked = set(answered["role"])
    answered = cells.keep(
        answered,
        by=["role"],
        n="one",
        parts=[f"_{c.value}" for c in SelfReportedChange],
        responses="response",
    )
    change = {}
    for role in ROLES:
        part = answered[answered["role"] == role]
        answers = {c.value: int((part["self_reported_change"] == c.value).sum()) for c in SelfReportedChange}
        n = len(part)
        gone = role in asked
        less = _share_block(answers[SelfReportedChange.LESS.value], n, min_n, gone)
        change[role] = {
            "n": _count(n, min_n, gone),
            "answers": _split_parts(answers, (SelfReportedChange.LESS.value,), n, min_n, gone),
            "share_less": less["share"],
            "ci_low": less["ci_low"],
            "ci_high": less["ci_high"],
        }
    paired = {role: _paired(scored, role, first, min_n, cells) for role in ROLES}
    attrition = {role: _attrition(scored, matches, role, first, last, min_n, cells) for role in ROLES}
    return {
        "waves": waves,
        "self_reported_change": change,
        "paired": paired,
        "attrition": attrition,
        "left_out": bool(cells.left_out),
        "pooled": len(cells.pooled - cells.left_out),
    }


def _wave_rows(rows: pd.DataFrame, cells: _Cells) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """``rows`` with the 0/1 columns of each figure's n and parts, and the responses that count in each figure
    of the waves' blocks (``responses``, ``lonely`` — also the bands —, ``emotional``, ``social``,
    ``feel_at_home``), each decided per cell and wave and role on that figure's own n and parts
    (:class:`_Cells`)."""
    home = rows["feel_at_home"]
    flags = rows.assign(
        one=1,
        n_total=rows["total"].notna(),
        lonely=rows["total"] >= 2,
        n_emotional=rows["emotional"].notna(),
        k_emotional=rows["emotional"] >= SUBSCALE_LONELY,
        n_social=rows["social"].notna(),
        k_social=rows["social"] >= SUBSCALE_LONELY,
        n_home=home.notna(),
        k_home=home.isin(AT_HOME),
        **{f"_{b}": rows["band"] == b for b in BANDS},
        **{f"_home{v}": home == v for v in range(1, 6)},
    )
    by = ["wave", "role"]
    keep = cells.keep
    # The figures of a wave and role count only responses that its response count counts: decided apart, a
    # figure's pool could hold small cells that the count left out, so "n 22" beside "21 responses" gave away
    # the left-out cells' size (the second newcomer test found it in the 2026 report).
    responses = keep(flags, by=by, n="one", responses="response")
    counted = flags.loc[responses.index]
    return flags, {
        "responses": responses,
        "lonely": keep(
            counted, by=by, n="n_total", parts=["lonely", *(f"_{b}" for b in BANDS)], responses="response"
        ),
        "emotional": keep(counted, by=by, n="n_emotional", parts=["k_emotional"], responses="response"),
        "social": keep(counted, by=by, n="n_social", parts=["k_social"], responses="response"),
        "feel_at_home": keep(
            counted,
            by=by,
            n="n_home",
            parts=["k_home"],
            full=[f"_home{v}" for v in range(1, 6)],
            responses="response",
        ),
    }


def _wave_block(part: dict[str, pd.DataFrame], raw: pd.DataFrame, min_n: int) -> dict[str, Any]:
    """One wave and role: ``part`` the responses counting in each figure, ``raw`` all of them with their
    figures' 0/1 columns (:func:`_wave_rows`)."""
    total = part["lonely"]["total"].dropna()
    emotional = part["emotional"]["emotional"].dropna()
    social = part["social"]["social"].dropna()
    home = part["feel_at_home"]["feel_at_home"].dropna().astype(int)
    bands = {b: int((part["lonely"]["band"] == b).sum()) for b in BANDS}
    distribution = {str(v): int((home == v).sum()) for v in range(1, 6)}
    gone = {column: bool(raw[column].any()) for column in ("n_total", "n_emotional", "n_social", "n_home")}
    at_home = _share_block(int(home.isin(AT_HOME).sum()), len(home), min_n, gone["n_home"])
    return {
        "responses": _count(len(part["responses"]), min_n, not raw.empty),
        "lonely": _share_block(int((total >= 2).sum()), len(total), min_n, gone["n_total"]),
        "emotional": _share_block(
            int((emotional >= SUBSCALE_LONELY).sum()), len(emotional), min_n, gone["n_emotional"]
        ),
        "social": _share_block(int((social >= SUBSCALE_LONELY).sum()), len(social), min_n, gone["n_social"]),
        "bands": _split_parts(
            bands, (Band.MODERATE.value, Band.SEVERE.value), len(total), min_n, gone["n_total"]
        ),
        "feel_at_home": {
            **at_home,
            "distribution": _split_parts(
                distribution, tuple(str(v) for v in AT_HOME), len(home), min_n, gone["n_home"]
            ),
            "all_same": bool(len(home) >= min_n and home.nunique() == 1),
        },
    }


def _pairs(scored: pd.DataFrame, role: str, first: dt.date) -> pd.DataFrame:
    """One row per person of ``role`` with an eindmeting in the period and a nulmeting in the same group."""
    mine = scored[scored["role"] == role]
    end = mine[(mine["wave"] == Wave.END.value) & (mine["date"] >= pd.Timestamp(first)).astype(bool)]
    base = mine[mine["wave"] == Wave.BASELINE.value]
    return base.merge(end, on=["person_id", "group_id"], suffixes=("_base", "_end"))


def _change_block(before: pd.Series, after: pd.Series, min_n: int, gone: bool = False) -> dict[str, Any]:
    keep = before.notna() & after.notna()
    before, after = before[keep].astype(float), after[keep].astype(float)
    n = len(before)
    if n < min_n:
        return {
            "n": _count(n, min_n, gone),
            "baseline_mean": None,
            "end_mean": None,
            "mean_change": None,
            "ci_low": None,
            "ci_high": None,
            "decreased": None,
            "same": None,
            "increased": None,
            "wilcoxon_p": None,
            "sign_p": None,
            "all_same": None,
        }
    change = paired_change((after - before).to_numpy())
    counts = _parts(
        {"decreased": change.decreased, "same": change.same, "increased": change.increased}, n, min_n
    )
    return {
        "n": n,
        "baseline_mean": _round(before.mean(), 3),
        "end_mean": _round(after.mean(), 3),
        "mean_change": _round(change.mean, 3),
        "ci_low": _round(change.ci_low, 3),
        "ci_high": _round(change.ci_high, 3),
        **counts,
        "wilcoxon_p": _sig(change.p_value),
        "sign_p": _sig(change.sign_p_value),
        "all_same": bool(change.all_same),
    }


def _directions(before: pd.Series, after: pd.Series) -> dict[str, pd.Series]:
    """0/1 columns: ``n`` (both scores there), ``decreased``, ``same``, ``increased`` (end against baseline)."""
    both = before.notna() & after.notna()
    return {
        "n": both,
        "decreased": both & (after < before),
        "same": both & (after == before),
        "increased": both & (after > before),
    }


def _paired(scored: pd.DataFrame, role: str, first: dt.date, min_n: int, cells: _Cells) -> dict[str, Any]:
    pairs = _pairs(scored, role, first)
    # Each measure's pairs count per cell on that measure's own n and parts (the eindmeting names the response).
    lonely = _directions(pairs["total_base"], pairs["total_end"])
    flags = pairs.assign(
        **{f"l_{k}": v for k, v in lonely.items()},
        **{f"_{b}_{e}": (pairs["band_base"] == b) & (pairs["band_end"] == e) for b in BANDS for e in BANDS},
    )
    gone = bool(lonely["n"].any())
    flags = cells.keep(
        flags,
        by=[],
        n="l_n",
        parts=["l_decreased", "l_same", "l_increased"],
        full=[f"_{b}_{e}" for b in BANDS for e in BANDS],
        responses="response_end",
    )
    loneliness = _change_block(flags["total_base"], flags["total_end"], min_n, gone)
    both = flags[flags["band_base"].notna() & flags["band_end"].notna()]
    table = {
        (b, e): int(((both["band_base"] == b) & (both["band_end"] == e)).sum()) for b in BANDS for e in BANDS
    }
    shown = _parts(table, len(both), min_n, gone)
    loneliness["bands"] = {b: {e: shown[(b, e)] for e in BANDS} for b in BANDS}
    at_home = _directions(pairs["feel_at_home_base"], pairs["feel_at_home_end"])
    flags = pairs.assign(
        **{f"h_{k}": v for k, v in at_home.items()},
        h_base=at_home["n"] & pairs["feel_at_home_base"].isin(AT_HOME),
        h_end=at_home["n"] & pairs["feel_at_home_end"].isin(AT_HOME),
    )
    gone = bool(at_home["n"].any())
    flags = cells.keep(
        flags,
        by=[],
        n="h_n",
        parts=["h_decreased", "h_same", "h_increased", "h_base", "h_end"],
        responses="response_end",
    )
    home = _change_block(flags["feel_at_home_base"], flags["feel_at_home_end"], min_n, gone)
    kept = flags[flags["feel_at_home_base"].notna() & flags["feel_at_home_end"].notna()]
    for wave, column in (("baseline", "feel_at_home_base"), ("end", "feel_at_home_end")):
        block = _share_block(int(kept[column].astype(int).isin(AT_HOME).sum()), len(kept), min_n)
        home[f"share_at_home_{wave}"] = block["share"]
    return {"loneliness": loneliness, "feel_at_home": home}


def _attrition(scored, matches, role, first, last, min_n, cells: _Cells) -> dict[str, Any]:
    mine = scored[scored["role"] == role]
    base = mine[mine["wave"] == Wave.BASELINE.value]
    ended = mine[mine["wave"] == Wave.END.value]
    # Each baseline's match: the last, by start (ties in the order of a sort on the start), of the running
    # matches of the same newcomer and group; for a member, of the group's running matches that started on
    # or before the nulmeting + 31 days. Whole columns at once (thousands of baselines nationally).
    running = matches[_running(matches, first, last)].sort_values("started_date")
    # (ids as integers also when a frame is empty: merges need the same key types on both sides)
    running = running.assign(
        order=np.arange(len(running)),
        group_id=running["group_id"].astype("int64"),
        newcomer_id=running["newcomer_id"].astype("int64"),
    )
    base = base[["person_id", "group_id", "date"]].astype({"person_id": "int64", "group_id": "int64"})
    if role == RespondentRole.NEWCOMER.value:
        own = running.drop_duplicates(["newcomer_id", "group_id"], keep="last")
        linked = base.merge(
            own, left_on=["person_id", "group_id"], right_on=["newcomer_id", "group_id"], how="inner"
        )
    else:
        left = base.assign(limit=base["date"] + pd.Timedelta(days=31)).sort_values("limit", kind="stable")
        linked = pd.merge_asof(
            left,
            running.sort_values(["start", "order"], kind="stable"),
            left_on="limit",
            right_on="start",
            by="group_id",
            direction="backward",
        )
        linked = linked[linked["order"].notna()]
    ends = pd.MultiIndex.from_frame(ended[["person_id", "group_id"]])
    with_end = pd.MultiIndex.from_frame(linked[["person_id", "group_id"]]).isin(ends)
    last_day = pd.Timestamp(last)
    ended_by_last = linked["end"].notna() & (linked["end"] <= last_day)
    stopped = (
        ~with_end & (linked["status"] == MatchStatus.STOPPED.value).to_numpy() & ended_by_last.to_numpy()
    )
    # due: the match's variant's grace after its end (ended by the last day) or after its year's end
    due = linked["end"].where(ended_by_last, linked["year_end"]) + linked["grace"]
    missing = ~with_end & ~stopped & (due <= last_day).to_numpy()
    people = pd.DataFrame(
        {
            "group_id": linked["group_id"].to_numpy(),
            "one": 1,
            "with_end": with_end,
            "stopped": stopped,
            "missing": missing,
        }
    )
    people["still_running"] = ~(people["with_end"] | people["stopped"] | people["missing"])
    # Whose answers are in and whose are not is about people: counted per cell like the answers (parts: full,
    # a category nobody is in says nothing about anyone).
    gone = not people.empty
    people = cells.keep(people, by=[], n="one", full=list(ATTRITION_PARTS))
    n = len(people)
    counts = {part: int(people[part].sum()) for part in ATTRITION_PARTS}
    return {"baseline": _count(n, min_n, gone), **_parts(counts, n, min_n, gone)}


def municipality_names(engine: Engine) -> list[str]:
    """Names of the municipalities in the store, sorted (for the command's and the page's choices)."""
    with engine.connect() as connection:
        return sorted(connection.execute(select(Municipality.name)).scalars())
