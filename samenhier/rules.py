"""Date rules of the programme: eligibility, waiting time, status transitions, and the 12-month group year
(each variant's own year: :mod:`samenhier.timeline`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from dateutil.relativedelta import relativedelta

from samenhier.models import GroupStatus, Wave
from samenhier.timeline import Timeline


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


TWELVE_MONTHS = Timeline(
    variant="statushouders", duration=12, unit="months", midterm_at=6, quiet_after_days=21, end_grace_days=0
)
"""The statushouders year (12 months, tussenmeting after 6) with no grace: what the functions below count
by. Every other year — and the stored timelines of all variants — is in :mod:`samenhier.timeline`."""


def group_year_month(start: dt.date, as_of: dt.date) -> int | None:
    """Month of a 12-month group year on ``as_of``: 1 in the first calendar month after ``start``, 12 in the last.

    Counted in whole calendar months since the start (start 2026-01-15: month 1 up to 2026-02-14,
    month 2 from 2026-02-15). Values above 12 mean the year is over. ``None`` before the start.
    A variant's own year (weeks for studenten): :meth:`samenhier.timeline.Timeline.period`.
    """
    return TWELVE_MONTHS.period(start, as_of)


def group_year_months(starts, as_of: dt.date):
    """:func:`group_year_month` for a whole column of start dates at once (pandas, no Python loop):
    :meth:`samenhier.timeline.Timeline.periods` of the 12-month year (nullable ``Int64``, <NA> where the
    start is missing or after ``as_of``; start 31 January, as of 28 February 2026: month 2)."""
    return TWELVE_MONTHS.periods(starts, as_of)


def survey_waves_reached(
    started: dt.date | None, ended: dt.date | None, status: str, as_of: dt.date, *, grace_days: int = 0
) -> tuple[Wave, ...]:
    """The survey waves a match of a 12-month group year has reached on ``as_of``, in wave order
    (:meth:`samenhier.timeline.Timeline.waves_reached` with ``grace_days`` as the end survey's grace):
    nulmeting at the start, tussenmeting six months in if the match still ran then, eindmeting once a
    completed match ended ``grace_days`` ago, or a running one's twelve months plus ``grace_days`` are
    over. A stopped match never reaches the end wave; a proposed or declined one reaches nothing."""
    return replace(TWELVE_MONTHS, end_grace_days=grace_days).waves_reached(started, ended, status, as_of)


def survey_waves_reached_columns(started, ended, status, as_of: dt.date, *, grace_days: int = 0):
    """:func:`survey_waves_reached` for whole columns at once: a DataFrame with one boolean column per
    :class:`~samenhier.models.Wave` value (per variant: :func:`samenhier.timeline.waves_reached_by_variant`)."""
    return replace(TWELVE_MONTHS, end_grace_days=grace_days).waves_reached_columns(
        started, ended, status, as_of
    )


GROUP_TRANSITIONS: dict[GroupStatus, frozenset[GroupStatus]] = {
    GroupStatus.RECRUITING: frozenset({GroupStatus.TRAINING, GroupStatus.STOPPED}),
    GroupStatus.TRAINING: frozenset(
        {GroupStatus.RECRUITING, GroupStatus.AWAITING_MATCH, GroupStatus.STOPPED}
    ),
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


TRAINED_STATUSES: frozenset[GroupStatus] = frozenset(
    {GroupStatus.AWAITING_MATCH, GroupStatus.ACTIVE, GroupStatus.COMPLETED}
)
"""Statuses a group reaches only after its training (the life cycle werving → training → wacht op
match → …): a group in one of them must have a training date. Every group in the coordinator's
workbook past ``training`` has one."""
