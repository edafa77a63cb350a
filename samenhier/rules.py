"""Date rules of the programme: eligibility, the group year, waiting time, and status transitions."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta

from samenhier.models import GroupStatus, MatchStatus, Wave

GROUP_YEAR_MONTHS = 12
MIDTERM_MONTHS = 6
"""The tussenmeting is taken about six months into the group year (shared/data/README.md, sheet enquetes)."""


def eligibility_end(arrival: dt.date, years: int = 3) -> dt.date:
    """The last day a newcomer is eligible: ``years`` after arrival in the Netherlands, same calendar day.

    The statushouders variant is for people who have lived in the Netherlands at most three years.
    An arrival on 29 February ends on 28 February of a non-leap year (``relativedelta`` clips to the
    month's last day): arrival 2020-02-29 → eligible up to and including 2023-02-28.
    """
    return arrival + relativedelta(years=years)


def days_left(arrival: dt.date, as_of: dt.date, years: int = 3) -> int:
    """Days from ``as_of`` to the eligibility end (0 on the last day, negative once past it)."""
    return (eligibility_end(arrival, years) - as_of).days


def wait_days(registered: dt.date, as_of: dt.date) -> int:
    """Days waiting: ``as_of`` − registration date (0 on the day of registration)."""
    return (as_of - registered).days


def group_year_month(start: dt.date, as_of: dt.date) -> int | None:
    """Month of the group year on ``as_of``: 1 in the first calendar month after ``start``, 12 in the last.

    Counted in whole calendar months since the start (start 2026-01-15: month 1 up to 2026-02-14,
    month 2 from 2026-02-15). Values above 12 mean the year is over. ``None`` before the start.
    """
    if as_of < start:
        return None
    delta = relativedelta(as_of, start)
    return delta.years * 12 + delta.months + 1


def group_year_months(starts, as_of: dt.date):
    """:func:`group_year_month` for a whole column of start dates at once (pandas, no Python loop).

    ``starts``: a pandas Series of dates (``datetime.date``, Timestamps or missing). Returns a nullable
    ``Int64`` Series on the same index: the month of the group year on ``as_of``, <NA> where the start
    is missing or after ``as_of``. Same calendar-month rule as :func:`group_year_month`: whole months
    since the start, where the start's day is clipped to the last day of ``as_of``'s month (start
    31 January, as of 28 February 2026: one whole month, so month 2).
    """
    import calendar

    import pandas as pd

    stamps = pd.to_datetime(pd.Series(starts), errors="coerce")
    months = (as_of.year - stamps.dt.year) * 12 + (as_of.month - stamps.dt.month)
    last_day = calendar.monthrange(as_of.year, as_of.month)[1]
    months = months - (as_of.day < stamps.dt.day.clip(upper=last_day)).astype(int)
    result = (months + 1).astype("Int64")
    return result.where(stamps.notna() & (stamps <= pd.Timestamp(as_of)), pd.NA)


def survey_waves_reached(
    started: dt.date | None, ended: dt.date | None, status: str, as_of: dt.date, *, grace_days: int = 0
) -> tuple[Wave, ...]:
    """The survey waves a match has reached on ``as_of``, in wave order.

    The programme surveys a group's people at the start of the group year (nulmeting), about six
    months in (tussenmeting) and at the end (eindmeting):

    - nulmeting: the match started on or before ``as_of``;
    - tussenmeting: six months after the start lie on or before ``as_of`` and the match was still
      running then (not ended before that day);
    - eindmeting: the match completed its year (status ``afgerond``) and ``grace_days`` have passed
      since it ended, or it is still running and twelve months since the start plus ``grace_days``
      are over on ``as_of``. A match that stopped early (``gestopt``) never reaches the end wave. End
      surveys are dated up to a few weeks after the end date (issue 18: 0034-011 ended 2026-11-12,
      its answers come later), so callers pass ``Settings.end_survey_grace_days`` (default 30).

    Months are calendar months (``relativedelta``: a start on 31 August reaches six months on
    28/29 February). A proposed or declined match (no start date) reaches nothing.
    """
    if started is None or started > as_of or status in (MatchStatus.PROPOSED.value, MatchStatus.DECLINED.value):
        return ()
    reached = [Wave.BASELINE]
    ended_by_as_of = ended if ended is not None and ended <= as_of else None
    midterm = started + relativedelta(months=MIDTERM_MONTHS)
    if midterm <= as_of and (ended_by_as_of is None or ended_by_as_of >= midterm):
        reached.append(Wave.MIDTERM)
    grace = dt.timedelta(days=grace_days)
    if ended_by_as_of is not None:
        if status == MatchStatus.COMPLETED.value and ended_by_as_of + grace <= as_of:
            reached.append(Wave.END)
    elif status != MatchStatus.STOPPED.value and started + relativedelta(months=GROUP_YEAR_MONTHS) + grace <= as_of:
        reached.append(Wave.END)
    return tuple(reached)


def survey_waves_reached_columns(started, ended, status, as_of: dt.date, *, grace_days: int = 0):
    """:func:`survey_waves_reached` for whole columns at once (pandas, no Python loop per match).

    ``started``, ``ended`` (dates or missing) and ``status`` (stored words) are aligned pandas Series.
    Returns a DataFrame on the same index with one boolean column per :class:`~samenhier.models.Wave`
    value (``nulmeting``, ``tussenmeting``, ``eindmeting``): True where the match has reached that wave
    on ``as_of``, by the same rules (calendar months clipped to the month's end, as ``relativedelta``;
    the eindmeting ``grace_days`` after the end).
    """
    import pandas as pd

    start = pd.to_datetime(pd.Series(started), errors="coerce")
    end = pd.to_datetime(pd.Series(ended, index=start.index), errors="coerce")
    status = pd.Series(status, index=start.index)
    day = pd.Timestamp(as_of)
    begun = start.notna() & (start <= day) & ~status.isin([MatchStatus.PROPOSED.value, MatchStatus.DECLINED.value])
    ended_by_as_of = end.where(end <= day)
    midterm = start + pd.DateOffset(months=MIDTERM_MONTHS)
    grace = pd.Timedelta(days=grace_days)
    year_over = start + pd.DateOffset(months=GROUP_YEAR_MONTHS) + grace
    reached_midterm = begun & (midterm <= day) & (ended_by_as_of.isna() | (ended_by_as_of >= midterm))
    reached_end = begun & (
        (ended_by_as_of.notna() & (status == MatchStatus.COMPLETED.value) & (ended_by_as_of + grace <= day))
        | (ended_by_as_of.isna() & (status != MatchStatus.STOPPED.value) & (year_over <= day))
    )
    return pd.DataFrame({Wave.BASELINE.value: begun, Wave.MIDTERM.value: reached_midterm, Wave.END.value: reached_end},
                        index=start.index).fillna(False).astype(bool)


GROUP_TRANSITIONS: dict[GroupStatus, frozenset[GroupStatus]] = {
    GroupStatus.RECRUITING: frozenset({GroupStatus.TRAINING, GroupStatus.STOPPED}),
    GroupStatus.TRAINING: frozenset({GroupStatus.RECRUITING, GroupStatus.AWAITING_MATCH, GroupStatus.STOPPED}),
    GroupStatus.AWAITING_MATCH: frozenset({GroupStatus.TRAINING, GroupStatus.ACTIVE, GroupStatus.STOPPED}),
    GroupStatus.ACTIVE: frozenset({GroupStatus.COMPLETED, GroupStatus.STOPPED, GroupStatus.AWAITING_MATCH}),
    GroupStatus.COMPLETED: frozenset({GroupStatus.AWAITING_MATCH}),
    GroupStatus.STOPPED: frozenset(),
}
"""Allowed changes of a group's status (werving → training → wacht op match → actief → afgerond/gestopt).

A completed group may wait for a new match (groups often go on with a second household); a running
match that ends early sends the group back to ``wacht op match``; ``gestopt`` is final."""


def can_change_group_status(current: str, new: str) -> bool:
    """True when a group may go from ``current`` to ``new`` (see :data:`GROUP_TRANSITIONS`)."""
    return GroupStatus(new) in GROUP_TRANSITIONS[GroupStatus(current)]


TRAINED_STATUSES: frozenset[GroupStatus] = frozenset({GroupStatus.AWAITING_MATCH, GroupStatus.ACTIVE, GroupStatus.COMPLETED})
"""Statuses a group reaches only after its training (the life cycle werving → training → wacht op
match → …): a group in one of them must have a training date. Every group in the coordinator's
workbook past ``training`` has one."""
