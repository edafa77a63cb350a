"""The Groep page as the hub of one group, and the group cards of "Mijn groepen" (no Streamlit here).

Which actions the hub offers for a group, which action resolves each to-do (:mod:`samenhier.todos`),
which match decisions are open, and what a group's card on "Mijn groepen" shows. The pages only draw
what these functions decide; the writes themselves are the services' (:mod:`samenhier.services`).

Actions (the hub's sections, i18n ``hub.action.<name>``):

- ``meeting``: log a meeting — once a match of the group has started (a meeting is not dated before
  its match started, :mod:`samenhier.services.meetings`);
- ``check_in``: record a check-in — any group that is not archived;
- ``survey``: enter a survey response — the group has people who can answer (members, or a newcomer
  of a match that was not declined);
- ``status``: change the status — the current status has a next step (:data:`samenhier.rules.GROUP_TRANSITIONS`);
- ``match``: propose (coordinators: a group waiting for a match, or an active one, without a proposal
  open), accept or decline a proposal, end a running match (:mod:`samenhier.services.matches`);
- ``vog``: record a member's VOG — members without one;
- ``training``: record the completed training — a group in ``werving`` or ``training`` without a date;
- ``edit``: edit the group's record — coordinators (:func:`samenhier.services.records.update_group`);
- ``milestones``: check off (or undo) a milestone of the group's variant — the variant has milestones and
  the group is not archived (:mod:`samenhier.services.milestones`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from samenhier import formatting, i18n
from samenhier.models import GroupStatus, MatchStatus, RespondentRole, Wave
from samenhier.rules import GROUP_TRANSITIONS
from samenhier.todos import Todo

ACTIONS = ("meeting", "check_in", "survey", "milestones", "status", "match", "vog", "training", "edit")
"""Every action of the hub, in the order they are offered (the daily ones first)."""

PROPOSABLE_STATUSES = frozenset({GroupStatus.AWAITING_MATCH.value, GroupStatus.ACTIVE.value})
"""Group statuses a match may be proposed for (:func:`samenhier.services.matches.propose_match`)."""


@dataclass(frozen=True)
class TodoAction:
    """The hub action that resolves a to-do: ``action`` (one of :data:`ACTIONS`, or ``members`` — the
    members are kept in Beheer) and what to fill in for it (``params``: for ``survey`` the ``role``,
    ``person_id`` and ``wave``)."""

    action: str
    params: dict[str, Any] = field(default_factory=dict)


def todo_action(todo: Todo, *, newcomer_id: int | None) -> TodoAction:
    """The action that resolves ``todo`` (see :mod:`samenhier.todos` for the rules).

    ``newcomer_id`` is the newcomer of the group's running match (the one whose survey is missing).
    ``no_meeting`` → log a meeting; ``baseline_missing`` / ``end_survey_due`` → the survey entry for
    that newcomer and the nulmeting / eindmeting; ``vog_missing`` → record a VOG; ``group_size`` →
    the members (added or archived in Beheer); ``some_concerns`` / ``serious_concerns`` → a new check-in
    (a newer check-in closes the concern); ``milestones_overdue`` → the milestones, the longest overdue
    chosen (``params``: its ``milestone_id``).

    Raises:
        ValueError: an unknown to-do code, or a survey to-do without ``newcomer_id``.
    """
    if todo.code == "no_meeting":
        return TodoAction("meeting")
    if todo.code in ("baseline_missing", "end_survey_due"):
        if newcomer_id is None:
            raise ValueError(f"to-do {todo.code!r} needs the running match's newcomer")
        wave = Wave.BASELINE.value if todo.code == "baseline_missing" else Wave.END.value
        return TodoAction(
            "survey", {"role": RespondentRole.NEWCOMER.value, "person_id": int(newcomer_id), "wave": wave}
        )
    if todo.code == "vog_missing":
        return TodoAction("vog")
    if todo.code == "group_size":
        return TodoAction("members")
    if todo.code in ("some_concerns", "serious_concerns"):
        return TodoAction("check_in")
    if todo.code == "milestones_overdue":
        return TodoAction("milestones", {"milestone_id": int(todo.params["milestone_id"])})
    raise ValueError(f"unknown to-do {todo.code!r}")


def match_decisions(match_status: str | None, *, group_status: str, is_coordinator: bool) -> list[str]:
    """What can be decided about a group's current match (newest not declined; None without one).

    ``voorgesteld`` → ``accept``, ``decline``; ``actief`` → ``end``; none, ended or declined →
    ``propose`` for a coordinator when the group's status allows one (:data:`PROPOSABLE_STATUSES`),
    else nothing. Accepting is never followed by "end" as the first offer: that is only offered for a
    running match, on its own.
    """
    if match_status == MatchStatus.PROPOSED.value:
        return ["accept", "decline"]
    if match_status == MatchStatus.ACTIVE.value:
        return ["end"]
    if is_coordinator and group_status in PROPOSABLE_STATUSES:
        return ["propose"]
    return []


def hub_actions(
    *,
    status: str,
    is_coordinator: bool,
    match_started: bool,
    respondents: int,
    match_status: str | None,
    members_without_vog: int,
    training_done: bool,
    milestones: int = 0,
) -> list[str]:
    """The actions the hub offers for one group, in :data:`ACTIONS` order (rules in the module docstring).

    ``match_started``: a match of the group (not declined) has a start date; ``respondents``: people
    who can answer its survey; ``match_status``: status of its current match (None without);
    ``training_done``: the training date is recorded; ``milestones``: items on its checklist.
    """
    offered = {
        "meeting": match_started,
        "check_in": True,
        "survey": respondents > 0,
        "milestones": milestones > 0,
        "status": bool(GROUP_TRANSITIONS[GroupStatus(status)]),
        "match": bool(match_decisions(match_status, group_status=status, is_coordinator=is_coordinator)),
        "vog": members_without_vog > 0,
        "training": not training_done
        and status in (GroupStatus.RECRUITING.value, GroupStatus.TRAINING.value),
        "edit": is_coordinator,
    }
    return [action for action in ACTIONS if offered[action]]


def allowed_statuses(status: str) -> list[str]:
    """The statuses a group in ``status`` may go to, in life-cycle order (none preselected by the page)."""
    return [s.value for s in GroupStatus if s in GROUP_TRANSITIONS[GroupStatus(status)]]


def period_text(period: Any, of: Any = 12, unit: Any = "months", lang: str | None = None) -> str:
    """The period of the group year as ``maand 7/12`` or ``week 7/10`` (``maand 13/12`` once the year is
    over; :mod:`samenhier.timeline`), in ``lang``; empty without a running match (``period`` None/<NA>).
    ``of`` and ``unit`` are the variant's ``duration`` and ``unit``."""
    if period is None or pd.isna(period):
        return ""
    unit = "weeks" if unit == "weeks" else "months"
    return i18n.t(f"timeline.period.{unit}", lang, n=int(period), of=int(of))


def length_text(duration: int, unit: str, lang: str | None = None) -> str:
    """A group year's length: ``12 maanden``, ``10 weken``."""
    return i18n.t(f"timeline.length.{'weeks' if unit == 'weeks' else 'months'}", lang, n=int(duration))


@dataclass(frozen=True)
class GroupCard:
    """What the card of one group on "Mijn groepen" shows.

    ``month``: period of the group year (None without a running match), of ``year_length`` periods in
    ``year_unit`` (``months`` / ``weeks``, the variant's timeline); ``days_since_meeting``: days since
    the last meeting on or before the peildatum (None without meetings); ``todos``: open to-dos, most
    pressing first; ``can_log_meeting``: its match has started, so a meeting can be logged.
    """

    group_id: int
    code: str
    name: str
    status: str
    month: int | None
    days_since_meeting: int | None
    last_meeting: dt.date | None
    todos: Sequence[Todo]
    can_log_meeting: bool
    year_length: int = 12
    year_unit: str = "months"


ENDED_STATUSES = frozenset({GroupStatus.COMPLETED.value, GroupStatus.STOPPED.value})
"""Group statuses after the year: their last meeting is a date, not a count of days that keeps growing."""


def _ended_on(status: str | None, last_meeting: Any) -> dt.date | None:
    """The last meeting of a group whose year is over (``status`` in :data:`ENDED_STATUSES`); None for any
    other group or when it never met."""
    if status in ENDED_STATUSES and last_meeting is not None and not pd.isna(last_meeting):
        return pd.Timestamp(last_meeting).date()
    return None


def cadence_until(status: str | None, last_meeting: Any, as_of: dt.date) -> tuple[dt.date, bool]:
    """Where the group page's "meetings per month" chart ends, and whether its last month is still running.

    A group whose year is over (``status`` in :data:`ENDED_STATUSES`) with a known ``last_meeting``: the month
    of that meeting, complete (its twelve months before the peildatum are all zero and say nothing). Any other
    group: the peildatum's month, not over yet.
    """
    ended = _ended_on(status, last_meeting)
    return (ended, False) if ended is not None else (as_of, True)


def days_since_text(
    days: int | None, lang: str, *, status: str | None = None, last_meeting: dt.date | None = None
) -> str:
    """The days since a group's last meeting as a phrase (``17 dagen sinds de laatste bijeenkomst``, ``1 dag …``,
    ``vandaag bijeengekomen``, ``nog geen bijeenkomst`` for None), in ``lang``: a number after a bare label
    ("Dagen sinds 17") reads wrong (issue 14 leftovers, item 7).

    For a group whose year is over (``status`` afgerond or gestopt) with a known ``last_meeting``, the date
    of that meeting instead (``laatste bijeenkomst op 3 maart 2022``): "1.531 dagen sinds …" says nothing.
    """
    if (ended := _ended_on(status, last_meeting)) is not None:
        return i18n.t("cards.last_meeting_on", lang, date=formatting.format_date(ended, lang))
    if days is None:
        return i18n.t("cards.no_meeting", lang)
    if days == 0:
        return i18n.t("cards.met_today", lang)
    return i18n.t(
        "cards.days_since", lang, n=days, days=formatting.format_number(days, lang)
    )  # "cards.days_since.one" for 1


def _none(value: Any) -> Any:
    return (
        None
        if value is None or value is pd.NaT or (not isinstance(value, list | tuple) and pd.isna(value))
        else value
    )


def group_cards(progress: pd.DataFrame) -> list[GroupCard]:
    """One card per row of :func:`samenhier.queries.progress.group_progress`, in its order (to-dos first)."""
    return [
        GroupCard(
            group_id=int(row.group_id),
            code=str(row.code),
            name=str(row.name),
            status=str(row.status),
            month=None if _none(row.month) is None else int(row.month),
            days_since_meeting=None if _none(row.days_since_meeting) is None else int(row.days_since_meeting),
            last_meeting=_none(row.last_meeting),
            todos=list(row.todos),
            can_log_meeting=_none(row.match_started) is not None,
            year_length=int(getattr(row, "year_length", 12)),
            year_unit=str(getattr(row, "year_unit", "months")),
        )
        for row in progress.itertuples(index=False)
    ]


def selected_value(rows: Sequence[int], shown: pd.DataFrame, column: str) -> Any:
    """The ``column`` value of the row chosen in a table (``st.dataframe`` selection ``rows``: positions
    in ``shown``, the exact frame that was drawn); None when no row, or a row no longer shown, is chosen."""
    if not rows:
        return None
    position = int(rows[0])
    if not 0 <= position < len(shown):
        return None
    return shown.iloc[position][column]
