"""Reads of "Mijn groepen": per group its progress and open to-dos, its meeting cadence, check-ins and
members' VOG. Everything is restricted to :func:`~samenhier.scope.visible_groups` (a community builder
sees the groups they guide); meetings are aggregated in SQL.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine

from samenhier.milestones import overdue_todo
from samenhier.models import (
    GroupStatus,
    Match,
    MatchStatus,
    Meeting,
    Member,
    Newcomer,
    ProgressNote,
    SurveyResponse,
    Wave,
    WelcomeGroup,
)
from samenhier.queries.common import month_of, read_frame
from samenhier.queries.groups import group_id_for_code
from samenhier.queries.milestones import overdue_by_group
from samenhier.queries.timelines import variant_timelines
from samenhier.scope import AccessDenied, Filters, Scope, visible_groups
from samenhier.settings import get_settings
from samenhier.timeline import Timeline, column_by_variant, periods_by_variant, timeline_for
from samenhier.todos import OPEN_STATUSES, group_todos

PROGRESS_COLUMNS = [
    "group_id",
    "code",
    "name",
    "variant",
    "status",
    "version",
    "signup_date",
    "training_completed_date",
    "members",
    "members_without_vog",
    "newcomer_id",
    "newcomer",
    "match_started",
    "month",
    "year_length",
    "year_unit",
    "quiet_after_days",
    "last_meeting",
    "days_since_meeting",
    "meetings_90_days",
    "has_baseline",
    "has_end",
    "last_check_in",
    "last_assessment",
    "todos",
]


WORK_ORDER = [
    GroupStatus.ACTIVE.value,
    GroupStatus.AWAITING_MATCH.value,
    GroupStatus.TRAINING.value,
    GroupStatus.RECRUITING.value,
    GroupStatus.COMPLETED.value,
    GroupStatus.STOPPED.value,
]


def group_progress(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    as_of: dt.date,
    group_ids: tuple[int, ...] | None = None,
    timelines: dict[str, Timeline] | None = None,
) -> pd.DataFrame:
    """One row per visible group (not archived): groups with open to-dos first (most first), then by
    status in the order a community builder works on them (actief, wacht op match, training, werving,
    afgerond, gestopt), then by code.

    Columns: ``group_id``, ``code``, ``name``, ``variant``, ``status``, ``version``, ``signup_date``,
    ``training_completed_date``, ``members`` and ``members_without_vog`` (counts, members not archived),
    ``newcomer_id`` / ``newcomer`` (name) / ``match_started`` of the running match (status ``actief``;
    <NA>/None/NaT without), ``month`` (the period of the group year by the variant's timeline — a month,
    or a week for a variant counted in weeks, :mod:`samenhier.timeline`; <NA> without running match),
    ``year_length`` / ``year_unit`` (the variant's ``duration`` and ``unit``: 12 ``months``, 10 ``weeks``),
    ``quiet_after_days`` (the variant's: days without a meeting before the ``no_meeting`` to-do),
    ``last_meeting`` (on or before ``as_of``), ``days_since_meeting`` (days, <NA> without meetings),
    ``meetings_90_days`` (meetings in the 90 days up to ``as_of``), ``has_baseline`` / ``has_end`` (the
    running match's newcomer answered the nulmeting / eindmeting), ``last_check_in`` (date) and
    ``last_assessment`` of the newest check-in, ``todos`` (list of :class:`samenhier.todos.Todo`; the last
    may be ``milestones_overdue``, :func:`samenhier.milestones.overdue_todo`).
    ``group_ids`` narrows it to those groups (still only the visible ones): the Groep page reads one row.
    ``timelines`` (default: the stored ones, :func:`samenhier.queries.timelines.variant_timelines`)
    lets Beheer → Varianten see what a changed timeline would do before it is saved.
    """
    if timelines is None:
        timelines = variant_timelines(engine)
    members = (
        select(
            Member.group_id,
            func.count().label("members"),
            func.sum(case((Member.vog_date.is_(None), 1), else_=0)).label("members_without_vog"),
        )
        .where(Member.archived.is_(False))
        .group_by(Member.group_id)
        .subquery()
    )
    # Per group by index seeks (ix_meeting_group_date), not by grouping every meeting of the store.
    last_meeting = (
        select(func.max(Meeting.date))
        .where(Meeting.group_id == WelcomeGroup.id, Meeting.date <= as_of)
        .scalar_subquery()
    )
    meetings_90_days = (
        select(func.count())
        .select_from(Meeting)
        .where(
            Meeting.group_id == WelcomeGroup.id,
            Meeting.date <= as_of,
            Meeting.date > as_of - dt.timedelta(days=90),
        )
        .scalar_subquery()
    )
    ranked_matches = (
        select(
            Match.group_id,
            Match.newcomer_id,
            Match.started_date.label("match_started"),
            func.row_number()
            .over(partition_by=Match.group_id, order_by=(Match.started_date.desc(), Match.id.desc()))
            .label("rank"),
        )
        .where(Match.status == MatchStatus.ACTIVE.value)
        .subquery()
    )
    match = select(ranked_matches).where(ranked_matches.c.rank == 1).subquery()

    def answered(wave: Wave):  # by seek in the (newcomer_id, wave) unique index
        return (
            select(SurveyResponse.id)
            .where(SurveyResponse.newcomer_id == match.c.newcomer_id, SurveyResponse.wave == wave.value)
            .exists()
        )

    ranked_notes = (
        select(
            ProgressNote.group_id,
            ProgressNote.date.label("last_check_in"),
            ProgressNote.assessment.label("last_assessment"),
            func.row_number()
            .over(
                partition_by=ProgressNote.group_id,
                order_by=(ProgressNote.date.desc(), ProgressNote.id.desc()),
            )
            .label("rank"),
        )
        .where(ProgressNote.date <= as_of)
        .subquery()
    )
    note = select(ranked_notes).where(ranked_notes.c.rank == 1).subquery()
    frame = read_frame(
        engine,
        (
            select(
                WelcomeGroup.id.label("group_id"),
                WelcomeGroup.code,
                WelcomeGroup.name,
                WelcomeGroup.variant,
                WelcomeGroup.status,
                WelcomeGroup.version,
                WelcomeGroup.signup_date,
                WelcomeGroup.training_completed_date,
                func.coalesce(members.c.members, 0).label("members"),
                func.coalesce(members.c.members_without_vog, 0).label("members_without_vog"),
                match.c.newcomer_id,
                (Newcomer.first_name + " " + Newcomer.last_name).label("newcomer"),
                match.c.match_started,
                last_meeting.label("last_meeting"),
                meetings_90_days.label("meetings_90_days"),
                case((answered(Wave.BASELINE), 1), else_=0).label("has_baseline"),
                case((answered(Wave.END), 1), else_=0).label("has_end"),
                note.c.last_check_in,
                note.c.last_assessment,
            )
            .outerjoin(members, members.c.group_id == WelcomeGroup.id)
            .outerjoin(match, match.c.group_id == WelcomeGroup.id)
            .outerjoin(Newcomer, Newcomer.id == match.c.newcomer_id)
            .outerjoin(note, note.c.group_id == WelcomeGroup.id)
            .where(
                WelcomeGroup.id.in_(visible_groups(scope, filters)),
                *(() if group_ids is None else (WelcomeGroup.id.in_(list(group_ids)),)),
            )
            .order_by(WelcomeGroup.code)
        ),
    )
    for column in (
        "signup_date",
        "training_completed_date",
        "match_started",
        "last_meeting",
        "last_check_in",
    ):
        frame[column] = pd.to_datetime(frame[column]).dt.date
    frame["newcomer_id"] = frame["newcomer_id"].astype("Int64")
    frame["has_baseline"] = frame["has_baseline"].astype(bool)
    frame["has_end"] = frame["has_end"].astype(bool)
    frame["month"] = periods_by_variant(frame["match_started"], frame["variant"], timelines, as_of)
    frame["year_length"] = column_by_variant(frame["variant"], timelines, "duration").astype(int)
    frame["year_unit"] = column_by_variant(frame["variant"], timelines, "unit").astype(object)
    frame["quiet_after_days"] = column_by_variant(frame["variant"], timelines, "quiet_after_days").astype(int)
    frame["days_since_meeting"] = pd.array(
        [None if pd.isna(d) else (as_of - d).days for d in frame["last_meeting"]], dtype="Int64"
    )
    settings = get_settings()
    # Completed or stopped groups have no to-dos (every rule of group_todos needs an open status):
    # only the open ones (a few hundred of 5,000 at national scale) are looked at row by row.
    todos = pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)
    open_rows = frame[frame["status"].isin(OPEN_STATUSES)]
    late = overdue_by_group(
        engine, open_rows[["group_id", "match_started"]], as_of=as_of
    )  # milestones (issue 19)
    for index, row in zip(open_rows.index, open_rows.itertuples(index=False), strict=True):
        quiet = row.days_since_meeting
        if pd.isna(quiet):
            quiet = None if pd.isna(row.match_started) else (as_of - row.match_started).days
        todos[index] = group_todos(
            status=row.status,
            quiet_days=None if quiet is None else int(quiet),
            month=None if pd.isna(row.month) else int(row.month),
            has_newcomer=not pd.isna(row.newcomer_id),
            has_baseline=bool(row.has_baseline),
            has_end=bool(row.has_end),
            members=int(row.members),
            members_without_vog=int(row.members_without_vog),
            settings=settings,
            last_assessment=None if pd.isna(row.last_assessment) else row.last_assessment,
            timeline=timeline_for(timelines, row.variant),
        )
        if (milestones_todo := overdue_todo(late.get(int(row.group_id), []))) is not None:
            todos[index] = [*todos[index], milestones_todo]
    frame["todos"] = todos
    status_rank = {s: i for i, s in enumerate(WORK_ORDER)}
    frame = frame.assign(_todos=-frame["todos"].map(len), _status=frame["status"].map(status_rank))
    frame = frame.sort_values(["_todos", "_status", "code"], kind="stable").reset_index(drop=True)
    return frame[PROGRESS_COLUMNS]


def _require_visible(engine: Engine, scope: Scope, group_id: int) -> None:
    with engine.connect() as c:
        found = c.execute(
            select(WelcomeGroup.id).where(
                WelcomeGroup.id == group_id, WelcomeGroup.id.in_(visible_groups(scope, include_archived=True))
            )
        ).first()
    if found is None:
        raise AccessDenied(f"group {group_id} is not visible to {scope.username}")


def meeting_cadence(
    engine: Engine, scope: Scope, group_id: int, *, as_of: dt.date, months: int = 12
) -> pd.DataFrame:
    """Meetings of one group per calendar month, for the ``months`` months up to and including ``as_of``'s.

    Columns: ``month`` (``YYYY-MM``), ``meetings`` (count), ``minutes`` (total duration); every month
    present, 0 where none.

    Raises:
        AccessDenied: the group is not visible to ``scope``.
    """
    _require_visible(engine, scope, group_id)
    first = (pd.Period(as_of, freq="M") - (months - 1)).start_time.date()
    month = month_of(engine, Meeting.date).label("month")
    counts = read_frame(
        engine,
        (
            select(month, func.count().label("meetings"), func.sum(Meeting.duration_minutes).label("minutes"))
            .where(Meeting.group_id == group_id, Meeting.date >= first, Meeting.date <= as_of)
            .group_by(month)
        ),
    )
    periods = [str(p) for p in pd.period_range(first, as_of, freq="M")]
    frame = pd.DataFrame({"month": periods}).merge(counts, on="month", how="left")
    frame[["meetings", "minutes"]] = frame[["meetings", "minutes"]].fillna(0).astype(int)
    return frame


def check_ins(engine: Engine, scope: Scope, group_id: int, *, limit: int = 20) -> pd.DataFrame:
    """The newest check-ins of one group. Columns: ``date``, ``assessment``, ``text``, ``author``.

    Raises:
        AccessDenied: the group is not visible to ``scope``.
    """
    _require_visible(engine, scope, group_id)
    return read_frame(
        engine,
        (
            select(ProgressNote.date, ProgressNote.assessment, ProgressNote.text, ProgressNote.author)
            .where(ProgressNote.group_id == group_id)
            .order_by(ProgressNote.date.desc(), ProgressNote.id.desc())
            .limit(limit)
        ),
    )


def group_members(engine: Engine, scope: Scope, group_id: int) -> pd.DataFrame:
    """Members of one group (not archived), those without VOG first, then by name.

    Columns: ``member_id``, ``code``, ``name``, ``role``, ``vog_date``, ``version``.

    Raises:
        AccessDenied: the group is not visible to ``scope``.
    """
    _require_visible(engine, scope, group_id)
    frame = read_frame(
        engine,
        (
            select(
                Member.id.label("member_id"),
                Member.code,
                (Member.first_name + " " + Member.last_name).label("name"),
                Member.role,
                Member.vog_date,
                Member.version,
            )
            .where(Member.group_id == group_id, Member.archived.is_(False))
            .order_by(Member.vog_date.is_not(None), Member.last_name, Member.first_name)
        ),
    )
    frame["vog_date"] = pd.to_datetime(frame["vog_date"]).dt.date
    return frame


def group_id_for(engine: Engine, scope: Scope, code: str) -> int:
    """The id of the visible group with ``code`` (see :func:`samenhier.queries.groups.group_id_for_code`)."""
    return group_id_for_code(engine, scope, code)
