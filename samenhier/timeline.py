"""The group year of each programme variant (issue 19): its length, its periods, its survey waves, its rhythm.

A welcome group's year is counted from the start of its match, in its variant's unit (no Streamlit,
no store here; :func:`samenhier.queries.timelines.variant_timelines` reads the stored timelines):

- **period**: month *k* of a 12-month year (``maand 7/12``) runs from ``start + (k − 1)`` calendar months
  up to ``start + k`` months, the day clipped to the month's end as :mod:`dateutil` does (start
  2026-01-15: month 1 up to 2026-02-14, month 2 from 2026-02-15). Week *k* of a 10-week year
  (``week 7/10``) is the days ``7(k − 1)`` … ``7k − 1`` after the start. A period above the duration
  means the year is over; before the start there is none;
- **end date**: ``start + duration`` units (12 months: the first anniversary; 10 weeks: 70 days);
- **survey waves** (:data:`samenhier.models.Wave`): the nulmeting is due at the start, the tussenmeting
  ``midterm_at`` units after it (6 months / 5 weeks), the eindmeting at the end date plus the grace
  period (end surveys are dated up to a few weeks after the end, issue 18);
- **quiet**: an active group without a meeting (or, without meetings, since its start) for more than
  ``quiet_after_days`` days needs attention (21 days; 10 for the weekly student community).

Which timeline applies is the group's *current* variant: a group that switches variant is counted
from then on by its new timeline (nothing stored is rewritten: its meetings and surveys stay).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from dateutil.relativedelta import relativedelta

from samenhier.models import MatchStatus, TimelineUnit, Variant, Wave

MONTHS = TimelineUnit.MONTHS.value
WEEKS = TimelineUnit.WEEKS.value


@dataclass(frozen=True)
class Timeline:
    """One variant's group year. ``duration`` and ``midterm_at`` are in ``unit`` (``months`` or
    ``weeks``); ``quiet_after_days`` and ``end_grace_days`` are days (already resolved: a stored None is
    the programme-wide setting)."""

    variant: str
    duration: int
    unit: str
    midterm_at: int
    quiet_after_days: int
    end_grace_days: int

    # --- dates --------------------------------------------------------------------------------------
    def offset(self, start: dt.date, units: int) -> dt.date:
        """``start`` plus ``units`` months (calendar months, clipped to the month's end) or weeks."""
        if self.unit == WEEKS:
            return start + dt.timedelta(weeks=units)
        return start + relativedelta(months=units)

    def end_date(self, start: dt.date) -> dt.date:
        """The day the group year ends: ``start`` + ``duration`` units (2026-01-15 + 12 months = 2027-01-15;
        2026-01-15 + 10 weeks = 2026-03-26)."""
        return self.offset(start, self.duration)

    def end_dates(self, starts) -> pd.Series:
        """:meth:`end_date` for a whole column of start dates: ``datetime64`` on ``starts``' index, NaT where
        the start is missing (pandas' month offsets clip to the month's end as :mod:`dateutil` does)."""
        return self._offset_column(pd.to_datetime(pd.Series(starts), errors="coerce"), self.duration)

    def period_bounds(self, start: dt.date, period: int) -> tuple[dt.date, dt.date]:
        """First day of period ``period`` (1-based) and the day after its last day."""
        return self.offset(start, period - 1), self.offset(start, period)

    def wave_due_dates(self, start: dt.date) -> dict[str, dt.date]:
        """``{wave: due date}``: nulmeting at ``start``, tussenmeting ``midterm_at`` units later,
        eindmeting ``end_grace_days`` after :meth:`end_date`."""
        return {
            Wave.BASELINE.value: start,
            Wave.MIDTERM.value: self.offset(start, self.midterm_at),
            Wave.END.value: self.end_date(start) + dt.timedelta(days=self.end_grace_days),
        }

    # --- period number ----------------------------------------------------------------------------------
    def period(self, start: dt.date | None, as_of: dt.date) -> int | None:
        """The period of the group year on ``as_of`` (1 = the first month/week; above ``duration`` once the
        year is over); None without a start or before it."""
        if start is None or pd.isna(start) or as_of < start:
            return None
        if self.unit == WEEKS:
            return (as_of - start).days // 7 + 1
        delta = relativedelta(as_of, start)
        return delta.years * 12 + delta.months + 1

    def periods(self, starts, as_of: dt.date) -> pd.Series:
        """:meth:`period` for a whole column of start dates (pandas, no Python loop): a nullable ``Int64``
        Series on ``starts``' index, <NA> where the start is missing or after ``as_of``."""
        import calendar

        stamps = pd.to_datetime(pd.Series(starts), errors="coerce")
        day = pd.Timestamp(as_of)
        if self.unit == WEEKS:
            result = ((day - stamps).dt.days // 7 + 1).astype("Int64")
        else:
            months = (as_of.year - stamps.dt.year) * 12 + (as_of.month - stamps.dt.month)
            last_day = calendar.monthrange(as_of.year, as_of.month)[1]
            months = months - (as_of.day < stamps.dt.day.clip(upper=last_day)).astype(int)
            result = (months + 1).astype("Int64")
        return result.where(stamps.notna() & (stamps <= day), pd.NA)

    def is_over(self, period: int | None) -> bool:
        """The year is over: ``period`` lies past the last one."""
        return period is not None and period > self.duration

    def in_last_period(self, period: int | None) -> bool:
        """``period`` is the last one or later: the eindmeting is due soon (the to-do ``end_survey_due``)."""
        return period is not None and period >= self.duration

    def is_quiet(self, days_without_meeting: int | None) -> bool:
        """More than ``quiet_after_days`` days without a meeting."""
        return days_without_meeting is not None and days_without_meeting > self.quiet_after_days

    # --- survey waves ---------------------------------------------------------------------------------
    def waves_reached(
        self, started: dt.date | None, ended: dt.date | None, status: str, as_of: dt.date
    ) -> tuple[Wave, ...]:
        """The survey waves a match has reached on ``as_of``, in wave order:

        - nulmeting: the match started on or before ``as_of``;
        - tussenmeting: its due date (:meth:`wave_due_dates`) is on or before ``as_of`` and the match was
          still running then (not ended before that day);
        - eindmeting: the match completed (status ``afgerond``) and ``end_grace_days`` have passed since it
          ended, or it still runs and its year's end plus ``end_grace_days`` is on or before ``as_of``.
          A match that stopped early (``gestopt``) never reaches it.

        A proposed or declined match (no start) reaches nothing.
        """
        if (
            started is None
            or started > as_of
            or status in (MatchStatus.PROPOSED.value, MatchStatus.DECLINED.value)
        ):
            return ()
        due = self.wave_due_dates(started)
        reached = [Wave.BASELINE]
        ended_by_as_of = ended if ended is not None and ended <= as_of else None
        midterm = due[Wave.MIDTERM.value]
        if midterm <= as_of and (ended_by_as_of is None or ended_by_as_of >= midterm):
            reached.append(Wave.MIDTERM)
        grace = dt.timedelta(days=self.end_grace_days)
        if ended_by_as_of is not None:
            if status == MatchStatus.COMPLETED.value and ended_by_as_of + grace <= as_of:
                reached.append(Wave.END)
        elif status != MatchStatus.STOPPED.value and due[Wave.END.value] <= as_of:
            reached.append(Wave.END)
        return tuple(reached)

    def _offset_column(self, stamps: pd.Series, units: int) -> pd.Series:
        if self.unit == WEEKS:
            return stamps + pd.Timedelta(weeks=units)
        return stamps + pd.DateOffset(months=units)

    def waves_reached_columns(self, started, ended, status, as_of: dt.date) -> pd.DataFrame:
        """:meth:`waves_reached` for aligned columns (``started``, ``ended``: dates or missing; ``status``:
        stored words): a DataFrame on the same index, one boolean column per wave value."""
        start = pd.to_datetime(pd.Series(started), errors="coerce")
        end = pd.to_datetime(pd.Series(ended, index=start.index), errors="coerce")
        status = pd.Series(status, index=start.index)
        day = pd.Timestamp(as_of)
        begun = (
            start.notna()
            & (start <= day)
            & ~status.isin([MatchStatus.PROPOSED.value, MatchStatus.DECLINED.value])
        )
        ended_by_as_of = end.where(end <= day)
        midterm = self._offset_column(start, self.midterm_at)
        grace = pd.Timedelta(days=self.end_grace_days)
        year_over = self._offset_column(start, self.duration) + grace
        reached_midterm = begun & (midterm <= day) & (ended_by_as_of.isna() | (ended_by_as_of >= midterm))
        reached_end = begun & (
            (
                ended_by_as_of.notna()
                & (status == MatchStatus.COMPLETED.value)
                & (ended_by_as_of + grace <= day)
            )
            | (ended_by_as_of.isna() & (status != MatchStatus.STOPPED.value) & (year_over <= day))
        )
        return (
            pd.DataFrame(
                {
                    Wave.BASELINE.value: begun,
                    Wave.MIDTERM.value: reached_midterm,
                    Wave.END.value: reached_end,
                },
                index=start.index,
            )
            .fillna(False)
            .astype(bool)
        )


DEFAULTS: dict[str, tuple[int, str, int, int | None]] = {
    Variant.STATUSHOUDERS.value: (12, MONTHS, 6, None),
    Variant.HERVESTIGING.value: (12, MONTHS, 6, None),
    Variant.STUDENTEN.value: (10, WEEKS, 5, 10),
    Variant.STUDENTSPONSORING.value: (12, MONTHS, 6, None),
    Variant.AD_HOC.value: (12, MONTHS, 6, None),
}
"""The timelines the migration seeds (issue 19): ``variant: (duration, unit, midterm_at, quiet_after_days)``;
None: the programme-wide setting. Also used for a variant the store has no row for."""


def make_timeline(
    variant: str,
    duration: int,
    unit: str,
    midterm_at: int,
    quiet_after_days: int | None,
    end_grace_days: int | None,
    *,
    settings,
) -> Timeline:
    """A :class:`Timeline` with the stored None values replaced by ``settings`` (``inactive_after_days``,
    ``end_survey_grace_days``)."""
    return Timeline(
        variant=variant,
        duration=int(duration),
        unit=unit,
        midterm_at=int(midterm_at),
        quiet_after_days=int(
            settings.inactive_after_days
            if quiet_after_days is None or pd.isna(quiet_after_days)
            else quiet_after_days
        ),
        end_grace_days=int(
            settings.end_survey_grace_days
            if end_grace_days is None or pd.isna(end_grace_days)
            else end_grace_days
        ),
    )


def default_timelines(settings) -> dict[str, Timeline]:
    """The seeded defaults (:data:`DEFAULTS`) as timelines, resolved with ``settings``."""
    return {v: make_timeline(v, d, u, m, q, None, settings=settings) for v, (d, u, m, q) in DEFAULTS.items()}


def timeline_for(timelines: dict[str, Timeline], variant: str | None, settings=None) -> Timeline:
    """The timeline of ``variant`` in ``timelines``; the default 12-month year (statushouders) for a
    variant without one."""
    found = timelines.get(variant) if variant is not None else None
    if found is not None:
        return found
    fallback = timelines.get(Variant.STATUSHOUDERS.value)
    if fallback is not None:
        return fallback
    from samenhier.settings import get_settings

    return default_timelines(settings or get_settings())[Variant.STATUSHOUDERS.value]


def periods_by_variant(
    starts: pd.Series, variants: pd.Series, timelines: dict[str, Timeline], as_of: dt.date
) -> pd.Series:
    """Per row, the period of its group year on ``as_of`` by its variant's timeline (nullable Int64)."""
    result = pd.Series(pd.NA, index=starts.index, dtype="Int64")
    for variant in pd.unique(variants):
        rows = variants == variant
        if rows.any():
            result[rows] = timeline_for(timelines, variant).periods(starts[rows], as_of)
    return result


def column_by_variant(variants: pd.Series, timelines: dict[str, Timeline], attribute: str) -> pd.Series:
    """Per row, ``attribute`` (``duration``, ``unit``, ``quiet_after_days`` …) of its variant's timeline."""
    return variants.map(lambda v: getattr(timeline_for(timelines, v), attribute))


def waves_reached_by_variant(
    started, ended, status, variants, timelines: dict[str, Timeline], as_of: dt.date
) -> pd.DataFrame:
    """:meth:`Timeline.waves_reached_columns` with each row's own variant (aligned Series)."""
    start = pd.Series(started)
    variants = pd.Series(variants, index=start.index)
    ended = pd.Series(ended, index=start.index)
    status = pd.Series(status, index=start.index)
    parts = [
        timeline_for(timelines, variant).waves_reached_columns(start[rows], ended[rows], status[rows], as_of)
        for variant in pd.unique(variants)
        for rows in [variants == variant]
    ]
    columns = [w.value for w in Wave]
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=bool, index=start.index) for c in columns})
    return pd.concat(parts).reindex(start.index)[columns].astype(bool)
