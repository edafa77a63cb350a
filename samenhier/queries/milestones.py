"""Reads of the milestones (issue 19): a variant's list for Beheer, one group's checklist, and the overdue
milestones behind the ``milestones_overdue`` to-do. The rules are :mod:`samenhier.milestones`.

A group's checklist is read through :func:`~samenhier.scope.visible_groups` (a community builder: their
own groups; a municipality coordinator: their municipalities' groups). The list of milestones of a
variant names no one and is read by coordinators (Beheer).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from samenhier import milestones as rules
from samenhier.models import Match, MatchStatus, Milestone, MilestoneCheck, WelcomeGroup
from samenhier.queries.common import read_frame
from samenhier.scope import AccessDenied, Scope, visible_groups

MILESTONE_COLUMNS = [
    "milestone_id",
    "variant",
    "name",
    "due_offset_days",
    "position",
    "retired",
    "version",
    "checked",
]


def variant_milestones(
    engine: Engine, scope: Scope, *, variant: str | None = None, include_retired: bool = True
) -> pd.DataFrame:
    """The milestones of ``variant`` (None: every variant), by variant, then position.

    Columns (:data:`MILESTONE_COLUMNS`): ``milestone_id``, ``variant``, ``name``, ``due_offset_days``
    (days after the start; negative before), ``position``, ``retired``, ``version``, ``checked`` (how
    many groups have it checked off now, over the whole programme: a count, no names).

    Raises:
        AccessDenied: not a coordinator (community builders see milestones on their groups' pages).
    """
    scope.require_coordinator()
    checked = (
        select(MilestoneCheck.milestone_id, func.count().label("checked"))
        .where(MilestoneCheck.done_date.is_not(None))
        .group_by(MilestoneCheck.milestone_id)
        .subquery()
    )
    query = (
        select(
            Milestone.id.label("milestone_id"),
            Milestone.variant,
            Milestone.name,
            Milestone.due_offset_days,
            Milestone.position,
            Milestone.retired,
            Milestone.version,
            func.coalesce(checked.c.checked, 0).label("checked"),
        )
        .outerjoin(checked, checked.c.milestone_id == Milestone.id)
        .order_by(Milestone.variant, Milestone.position, Milestone.id)
    )
    if variant is not None:
        query = query.where(Milestone.variant == variant)
    if not include_retired:
        query = query.where(Milestone.retired.is_(False))
    frame = read_frame(engine, query)
    frame["retired"] = frame["retired"].astype(bool)
    return frame[MILESTONE_COLUMNS]


@dataclass(frozen=True)
class GroupChecklist:
    """One group's milestones: ``variant``; ``start`` — the start date of its newest started match (not
    declined; None before any match started); ``running`` — that match is running (only then are
    milestones overdue); ``items`` — :func:`samenhier.milestones.checklist` (:data:`~samenhier.milestones.CHECKLIST_COLUMNS`)."""

    group_id: int
    variant: str
    start: dt.date | None
    running: bool
    items: pd.DataFrame


def group_milestones(engine: Engine, scope: Scope, group_id: int, *, as_of: dt.date) -> GroupChecklist:
    """The checklist of one group on ``as_of``: its variant's milestones with due dates and check-offs,
    then its check-offs of milestones no longer on that list (retired, or of a variant it had before).

    Raises:
        AccessDenied: the group does not exist or is not visible to ``scope``.
    """
    with engine.connect() as c:
        group = c.execute(
            select(WelcomeGroup.id, WelcomeGroup.variant).where(
                WelcomeGroup.id == group_id, WelcomeGroup.id.in_(visible_groups(scope, include_archived=True))
            )
        ).first()
        if group is None:
            raise AccessDenied(f"group {group_id} is not visible to {scope.username}")
        match = c.execute(
            select(Match.started_date, Match.status)
            .where(
                Match.group_id == group_id,
                Match.started_date.is_not(None),
                Match.status != MatchStatus.DECLINED.value,
            )
            .order_by(Match.started_date.desc(), Match.id.desc())
            .limit(1)
        ).first()
    checks = read_frame(
        engine,
        select(
            MilestoneCheck.id.label("check_id"),
            MilestoneCheck.milestone_id,
            MilestoneCheck.done_date,
            MilestoneCheck.checked_by,
            MilestoneCheck.checked_at,
            MilestoneCheck.version.label("check_version"),
        ).where(MilestoneCheck.group_id == group_id),
    )
    checks["done_date"] = [None if pd.isna(d) else pd.Timestamp(d).date() for d in checks["done_date"]]
    milestones = read_frame(
        engine,
        select(
            Milestone.id.label("milestone_id"),
            Milestone.variant,
            Milestone.name,
            Milestone.due_offset_days,
            Milestone.position,
            Milestone.retired,
        ).where(
            (Milestone.variant == group.variant)
            | Milestone.id.in_(select(MilestoneCheck.milestone_id).where(MilestoneCheck.group_id == group_id))
        ),
    )
    start = None if match is None else pd.Timestamp(match.started_date).date()
    running = match is not None and match.status == MatchStatus.ACTIVE.value
    items = rules.checklist(
        milestones, checks, variant=group.variant, start=start, running=running, as_of=as_of
    )
    return GroupChecklist(
        group_id=int(group_id), variant=group.variant, start=start, running=running, items=items
    )


def overdue_by_group(
    engine: Engine, running: pd.DataFrame, *, as_of: dt.date
) -> dict[int, list[rules.Overdue]]:
    """The overdue milestones of groups with a running match, for the to-dos of
    :func:`samenhier.queries.progress.group_progress` (which has already limited the groups to the user's).

    ``running``: columns ``group_id`` and ``match_started`` (the running match's start date) of the
    groups to look at. Returns ``{group_id: [Overdue, …]}`` for the groups with any, by the rule of
    :mod:`samenhier.milestones`; at national scale in a few queries (milestones are few, check-offs are
    read for the groups asked about only).
    """
    running = running.dropna(subset=["match_started"])
    if running.empty:
        return {}
    ids = [int(i) for i in running["group_id"]]
    variants = read_frame(
        engine,
        select(WelcomeGroup.id.label("group_id"), WelcomeGroup.variant).where(WelcomeGroup.id.in_(ids)),
    )
    milestones = read_frame(
        engine,
        select(
            Milestone.id.label("milestone_id"), Milestone.variant, Milestone.name, Milestone.due_offset_days
        ).where(Milestone.retired.is_(False)),
    )
    if milestones.empty:
        return {}
    done = read_frame(
        engine,
        select(MilestoneCheck.group_id, MilestoneCheck.milestone_id).where(
            MilestoneCheck.group_id.in_(ids), MilestoneCheck.done_date.is_not(None)
        ),
    )
    frame = (
        running[["group_id", "match_started"]]
        .astype({"group_id": int})
        .merge(variants, on="group_id")
        .merge(milestones, on="variant")
    )
    if frame.empty:
        return {}
    frame = frame.merge(done.assign(done=True), on=["group_id", "milestone_id"], how="left")
    frame = frame[frame["done"].isna()]
    due = pd.to_datetime(frame["match_started"]) + pd.to_timedelta(frame["due_offset_days"], unit="D")
    frame = frame.assign(due=due.dt.date, days=(pd.Timestamp(as_of) - due).dt.days)
    frame = frame[frame["days"] > 0]
    out: dict[int, list[rules.Overdue]] = {}
    for row in frame.sort_values(["group_id", "milestone_id"]).itertuples(index=False):
        out.setdefault(int(row.group_id), []).append(
            rules.Overdue(int(row.milestone_id), str(row.name), row.due, int(row.days))
        )
    return out
