"""Reads of the weekly e-mail digest (issue 17): what a community builder and a coordinator are reminded of.

Both digests are built through the reader's :class:`~samenhier.scope.Scope`, like every page, so a
community builder's digest holds only the groups they guide and a coordinator's follows whatever the
scope lets them see. They carry codes, group names, counts and dates only: never a newcomer's name,
anyone's contact details, survey answers or the text of a check-in (SECURITY.md, "Reminders by e-mail").
An empty digest means: nothing to do, no mail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

import pandas as pd
from sqlalchemy.engine import Engine

from samenhier.models import CheckInAssessment, GroupStatus, MatchStatus
from samenhier.queries.matching import Flag, open_matches, waiting_newcomers
from samenhier.queries.progress import group_progress
from samenhier.scope import Scope
from samenhier.settings import get_settings

BUILDER_COLUMNS = ["group_code", "group_name", "todos"]


def builder_digest(engine: Engine, scope: Scope, *, as_of: dt.date) -> pd.DataFrame:
    """The open to-dos of each visible group that has any, most to-dos first (as "Mijn groepen").

    Columns: ``group_code``, ``group_name``, ``todos`` (list of :class:`samenhier.todos.Todo`: no
    meeting for longer than ``inactive_after_days``, baseline survey missing, end survey due, VOG
    missing, group size outside the range, a check-in with concerns still open). Empty: nothing to do.
    """
    progress = group_progress(engine, scope, as_of=as_of)
    progress = progress[progress["todos"].map(len) > 0]
    return progress.rename(columns={"code": "group_code", "name": "group_name"})[BUILDER_COLUMNS].reset_index(
        drop=True
    )


@dataclass(frozen=True)
class CoordinatorDigest:
    """What a coordinator is reminded of; every frame is empty when there is nothing of its kind.

    - ``urgent_newcomers``: waiting newcomers with fewer than ``urgent_days_left`` (90) days of
      eligibility left. Columns ``code``, ``municipality``, ``days_left``, ``eligibility_end`` (no names).
    - ``quiet_groups``: active groups without a meeting for longer than their variant allows
      (``quiet_after_days`` of its timeline, :mod:`samenhier.timeline`: 21 days; 10 for studenten).
      Columns ``group_code``, ``group_name``, ``days`` (since the last meeting, or the match's start).
    - ``stale_proposals``: match proposals unanswered for more than ``proposal_reminder_days`` (14) days.
      Columns ``group_code``, ``group_name``, ``newcomer_code``, ``proposed_date``, ``days``.
    - ``serious_concerns``: open groups whose newest check-in says ``ernstige zorgen``. Columns
      ``group_code``, ``group_name``, ``check_in_date`` (the check-in's text is never included).
    - ``end_surveys_overdue``: active groups past the end of their group year (12 months; 10 weeks for
      studenten: their variant's timeline) whose newcomer has no eindmeting. Columns ``group_code``,
      ``group_name``, ``month`` (period of the group year, above ``year_length``), ``year_length``,
      ``year_unit`` (``months`` / ``weeks``).
    """

    urgent_newcomers: pd.DataFrame
    quiet_groups: pd.DataFrame
    stale_proposals: pd.DataFrame
    serious_concerns: pd.DataFrame
    end_surveys_overdue: pd.DataFrame

    SECTIONS = (
        "urgent_newcomers",
        "quiet_groups",
        "stale_proposals",
        "serious_concerns",
        "end_surveys_overdue",
    )

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name).empty for f in fields(self))


def coordinator_digest(engine: Engine, scope: Scope, *, as_of: dt.date) -> CoordinatorDigest:
    """The coordinator's reminders as of ``as_of`` (see :class:`CoordinatorDigest`), within ``scope``.

    Raises:
        AccessDenied: the scope is not a coordinator.
    """
    scope.require_coordinator()
    settings = get_settings()
    waiting = waiting_newcomers(engine, scope, as_of=as_of)
    urgent = waiting[waiting["flag"] == Flag.URGENT][["code", "municipality", "days_left", "eligibility_end"]]

    progress = group_progress(engine, scope, as_of=as_of)
    progress = progress.rename(columns={"code": "group_code", "name": "group_name"})
    quiet_days = progress["todos"].map(
        lambda todos: next((t.params["days"] for t in todos if t.code == "no_meeting"), None)
    )
    quiet = progress.assign(days=quiet_days)[quiet_days.notna()][["group_code", "group_name", "days"]]
    quiet = quiet.astype({"days": int}).sort_values(["days", "group_code"], ascending=[False, True])

    matches = open_matches(engine, scope)
    proposals = matches[matches["status"] == MatchStatus.PROPOSED.value].copy()
    proposals["days"] = [(as_of - d).days for d in proposals["proposed_date"]]
    stale = proposals[proposals["days"] > settings.proposal_reminder_days][
        ["group_code", "group_name", "newcomer_code", "proposed_date", "days"]
    ]
    stale = stale.sort_values(["days", "group_code"], ascending=[False, True])

    open_groups = progress[
        progress["status"].isin(
            [s.value for s in GroupStatus if s not in (GroupStatus.COMPLETED, GroupStatus.STOPPED)]
        )
    ]
    serious = open_groups[open_groups["last_assessment"] == CheckInAssessment.SERIOUS_CONCERNS.value].rename(
        columns={"last_check_in": "check_in_date"}
    )[["group_code", "group_name", "check_in_date"]]

    active = progress[(progress["status"] == GroupStatus.ACTIVE.value) & progress["newcomer_id"].notna()]
    overdue = active[(active["month"].fillna(0) > active["year_length"]) & ~active["has_end"]][
        ["group_code", "group_name", "month", "year_length", "year_unit"]
    ]
    overdue = overdue.astype({"month": int}).sort_values(["month", "group_code"], ascending=[False, True])

    return CoordinatorDigest(
        *(frame.reset_index(drop=True) for frame in (urgent, quiet, stale, serious, overdue))
    )
