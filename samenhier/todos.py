"""Open to-dos of a welcome group, shown to its community builder on "Mijn groepen".

Rules (issue "Editing", point 2; thresholds are settings, see :mod:`samenhier.settings`):

- ``no_meeting``: an active group (status ``actief``) whose last meeting — or, without meetings, the
  start of its match — is more than its variant's ``quiet_after_days`` (:mod:`samenhier.timeline`; 21
  days, 10 for the weekly student community) days ago; the same rule as the overview's "aandacht" flag;
- ``baseline_missing``: an active group whose running match's newcomer has no ``nulmeting``
  (baseline survey) yet — it belongs at the start of the group year;
- ``end_survey_due``: an active group in the last period of its group year or later (month 12 of 12,
  week 10 of 10: :meth:`samenhier.timeline.Timeline.in_last_period`) whose newcomer has no
  ``eindmeting`` yet: the end survey is due at the end of the year;
- ``vog_missing``: a group that is forming or running (``werving``, ``training``, ``wacht op match``,
  ``actief``) with members (not archived) whose VOG has not arrived;
- ``group_size``: such a group with fewer than ``min_group_size`` or more than ``max_group_size`` members;
- ``some_concerns`` / ``serious_concerns``: such a group whose newest check-in says ``enkele zorgen`` /
  ``ernstige zorgen`` — the concern stays open until a newer check-in says otherwise (issue 17, item 4);
- ``milestones_overdue``: an active group with milestones of its variant past their due date and not
  checked off (issue 19; the rule and the to-do are :mod:`samenhier.milestones`, added by
  :func:`samenhier.queries.progress.group_progress`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from samenhier.models import CheckInAssessment, GroupStatus
from samenhier.settings import Settings
from samenhier.timeline import MONTHS, Timeline

CODES = (
    "no_meeting",
    "baseline_missing",
    "end_survey_due",
    "vog_missing",
    "group_size",
    "some_concerns",
    "serious_concerns",
    "milestones_overdue",
)
"""Every to-do code, in the order of the rules above (each has its text ``todo.<code>`` and, on the group page,
the name of the action that resolves it, ``hub.todo.<code>``)."""

OPEN_STATUSES = frozenset(
    {
        GroupStatus.RECRUITING.value,
        GroupStatus.TRAINING.value,
        GroupStatus.AWAITING_MATCH.value,
        GroupStatus.ACTIVE.value,
    }
)
"""Statuses of a group that is forming or running (not completed, not stopped)."""
_ACTIVE = (
    GroupStatus.ACTIVE.value
)  # read once: an enum's .value costs microseconds, called for 5,000 groups per page


@dataclass(frozen=True)
class Todo:
    """One open to-do: ``code`` (one of :data:`CODES`; i18n key ``todo.<code>``) and the numbers its message shows.

    Raises:
        ValueError: ``code`` is not in :data:`CODES` (so a new rule cannot go without its texts).
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown to-do code {self.code!r}")


def group_todos(
    *,
    status: str,
    quiet_days: int | None,
    month: int | None,
    has_newcomer: bool,
    has_baseline: bool,
    has_end: bool,
    members: int,
    members_without_vog: int,
    settings: Settings,
    last_assessment: str | None = None,
    timeline: Timeline | None = None,
) -> list[Todo]:
    """The open to-dos of one group, most pressing first.

    ``quiet_days``: days since the last meeting (or since the match started, without meetings; None
    when neither exists); ``month``: month of the group year (None when no match runs);
    ``has_newcomer``: a match is running; ``has_baseline`` / ``has_end``: its newcomer answered the
    baseline / end survey; ``members`` and ``members_without_vog``: counts of members not archived;
    ``last_assessment``: the assessment of the group's newest check-in (None without check-ins);
    ``timeline``: the group's variant's timeline (None: 12 months, quiet after ``inactive_after_days``);
    ``month`` is a period of that timeline (a week for a weekly one).
    """
    quiet_after = settings.inactive_after_days if timeline is None else timeline.quiet_after_days
    last_period, unit = (12, MONTHS) if timeline is None else (timeline.duration, timeline.unit)
    todos: list[Todo] = []
    active = status == _ACTIVE
    if active and quiet_days is not None and quiet_days > quiet_after:
        todos.append(Todo("no_meeting", {"days": quiet_days}))
    if active and has_newcomer and not has_baseline:
        todos.append(Todo("baseline_missing"))
    if active and has_newcomer and month is not None and month >= last_period and not has_end:
        todos.append(Todo("end_survey_due", {"month": month, "of": last_period, "unit": unit}))
    if status in OPEN_STATUSES and members_without_vog > 0:
        todos.append(Todo("vog_missing", {"n": members_without_vog}))
    if status in OPEN_STATUSES and not settings.min_group_size <= members <= settings.max_group_size:
        todos.append(
            Todo("group_size", {"n": members, "min": settings.min_group_size, "max": settings.max_group_size})
        )
    if status in OPEN_STATUSES and last_assessment in _CONCERNS:
        todos.append(Todo(_CONCERNS[last_assessment]))
    return todos


_CONCERNS = {
    CheckInAssessment.SOME_CONCERNS.value: "some_concerns",
    CheckInAssessment.SERIOUS_CONCERNS.value: "serious_concerns",
}


def message_key(todo: Todo) -> str:
    """The i18n key of ``todo``'s message: ``todo.<code>``, and ``todo.end_survey_due.weeks`` for a year
    counted in weeks ("week 10 van 10" rather than "maand 10 van 12")."""
    if todo.code == "end_survey_due" and todo.params.get("unit") not in (None, MONTHS):
        return f"todo.{todo.code}.{todo.params['unit']}"
    return f"todo.{todo.code}"
