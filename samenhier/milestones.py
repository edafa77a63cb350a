"""Milestones of a variant and a group's checklist (issue 19): the rules, without the database.

A variant (:class:`samenhier.models.Variant`) has a list of named steps, each due ``due_offset_days``
after the group's *start* — the start date of the group's match (``gestart_op``: the day the group
year starts, for hervestiging the newcomer's arrival). A negative offset is due before the start: the
hervestiging *actieplan* (furnish the home, arrange the welcome) is done before the family arrives.

Rules:

- **due date** = start + ``due_offset_days`` days (:func:`due_date`); without a start (no match has
  started) a milestone has no due date, only its offset ("14 dagen na de start").
- **overdue** (:func:`is_overdue`): the milestone is not checked off, not retired, belongs to the
  group's current variant, the group's match is running (status ``actief``) and its due date lies
  *before* the peildatum (on the due day itself it is still on time).
- Overdue milestones become one to-do per group, ``milestones_overdue`` (:func:`overdue_todo`), resolved
  by checking them off on the group page (hub action ``milestones``).
- **Never rewriting history**: a check-off belongs to a group and a milestone, not to the variant. A
  group that switches variant keeps its check-offs (they reappear when it switches back), and a
  retired or renamed milestone keeps its check-offs; :func:`checklist` lists those check-offs under
  ``in_checklist == False``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from samenhier.todos import Todo

MAX_OFFSET_DAYS = 730
"""Due offsets lie within two years before or after the start (the store's CHECK constraint too)."""

DONE, OVERDUE, OPEN, NO_DATE = "done", "overdue", "open", "no_date"
"""States of a checklist item: checked off; past its due date; due later (or today); no start yet."""

CHECKLIST_COLUMNS = [
    "milestone_id",
    "name",
    "due_offset_days",
    "position",
    "retired",
    "in_checklist",
    "due_date",
    "state",
    "days_overdue",
    "check_id",
    "check_version",
    "done_date",
    "checked_by",
    "checked_at",
]


def due_date(start: dt.date | None, offset_days: int) -> dt.date | None:
    """The day a milestone is due: ``start`` + ``offset_days`` days (negative: before the start); None without a start."""
    if start is None or pd.isna(start):
        return None
    return start + dt.timedelta(days=int(offset_days))


def is_overdue(due: dt.date | None, as_of: dt.date, *, done: bool, running: bool) -> bool:
    """True when an open milestone of a running group is past its due date (``due < as_of``)."""
    return running and not done and due is not None and due < as_of


@dataclass(frozen=True)
class Overdue:
    """One overdue milestone of a group: its id, name, due date and days past it."""

    milestone_id: int
    name: str
    due: dt.date
    days: int


def overdue_todo(overdue: Sequence[Overdue]) -> Todo | None:
    """The to-do of a group's overdue milestones (None without): ``milestones_overdue`` with ``n``, the
    ``first`` (longest overdue, then by name) and its ``milestone_id`` (the hub preselects it)."""
    if not overdue:
        return None
    first = sorted(overdue, key=lambda o: (-o.days, o.name))[0]
    return Todo(
        "milestones_overdue", {"n": len(overdue), "first": first.name, "milestone_id": first.milestone_id}
    )


def checklist(
    milestones: pd.DataFrame,
    checks: pd.DataFrame,
    *,
    variant: str,
    start: dt.date | None,
    running: bool,
    as_of: dt.date,
) -> pd.DataFrame:
    """A group's checklist: its variant's milestones (not retired) in order, then every other check-off
    the group has (a retired milestone, or one of a variant it had before).

    ``milestones``: columns ``milestone_id``, ``variant``, ``name``, ``due_offset_days``, ``position``,
    ``retired`` (every milestone the group could refer to); ``checks``: the group's check-off rows,
    columns ``check_id``, ``milestone_id``, ``done_date`` (None after an undo), ``checked_by``,
    ``checked_at``, ``check_version``. Returns :data:`CHECKLIST_COLUMNS`: ``in_checklist`` (the
    milestone is on the variant's current list), ``due_date`` (None without a start), ``state``
    (:data:`DONE`, :data:`OVERDUE`, :data:`OPEN`, :data:`NO_DATE`), ``days_overdue`` (0 unless
    overdue), and the check-off (``check_id``/``check_version`` <NA> when the group never checked it).
    """
    checks = (
        checks.set_index("milestone_id")
        if len(checks)
        else pd.DataFrame(columns=["check_id", "done_date", "checked_by", "checked_at", "check_version"])
    )
    current = milestones[(milestones["variant"] == variant) & ~milestones["retired"].astype(bool)]
    done_elsewhere = milestones[
        ~milestones.index.isin(current.index)
        & milestones["milestone_id"].isin([i for i in checks.index if _done(checks.loc[i, "done_date"])])
    ]
    rows = []
    for in_list, frame in (
        (True, current.sort_values(["position", "milestone_id"])),
        (False, done_elsewhere.sort_values(["variant", "position", "milestone_id"])),
    ):
        for m in frame.itertuples(index=False):
            check = checks.loc[m.milestone_id] if m.milestone_id in checks.index else None
            done = check is not None and _done(check["done_date"])
            due = due_date(start, m.due_offset_days)
            overdue = in_list and is_overdue(due, as_of, done=done, running=running)
            state = DONE if done else OVERDUE if overdue else NO_DATE if due is None else OPEN
            rows.append(
                {
                    "milestone_id": int(m.milestone_id),
                    "name": m.name,
                    "due_offset_days": int(m.due_offset_days),
                    "position": int(m.position),
                    "retired": bool(m.retired),
                    "in_checklist": in_list,
                    "due_date": due,
                    "state": state,
                    "days_overdue": (as_of - due).days if overdue else 0,
                    "check_id": None if check is None else int(check["check_id"]),
                    "check_version": None if check is None else int(check["check_version"]),
                    "done_date": check["done_date"] if done else None,
                    "checked_by": check["checked_by"] if done else None,
                    "checked_at": check["checked_at"] if done else None,
                }
            )
    frame = pd.DataFrame(rows, columns=CHECKLIST_COLUMNS)
    frame["check_id"] = frame["check_id"].astype("Int64")
    frame["check_version"] = frame["check_version"].astype("Int64")
    return frame


def overdue_items(frame: pd.DataFrame) -> list[Overdue]:
    """The overdue rows of a :func:`checklist` frame."""
    late = frame[frame["state"] == OVERDUE]
    return [
        Overdue(int(r.milestone_id), str(r.name), r.due_date, int(r.days_overdue))
        for r in late.itertuples(index=False)
    ]


def _done(value) -> bool:
    return value is not None and not (not isinstance(value, dt.date) and pd.isna(value))
