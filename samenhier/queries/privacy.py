"""Reads of the Privacy page (coordinators only): the people whose data can be exported or erased, and
the people past the retention period.

Retention rule (``Settings.retention_months``, default 24; ``SAMENHIER_RETENTION_MONTHS``): a person
is *past retention* when nothing is going on with them any more and their **last activity** lies at
least that many months before the as-of date (:func:`samenhier.privacy.retention_due_date`):

- a **newcomer** is done when they are not waiting (status ``gematcht`` or ``afgemeld``) and have no
  proposed or running match; their last activity is the latest of their registration date, every
  date of their matches (proposed, started, ended — also of a declined proposal), the dates of their
  survey responses and the last change to their record in the audit trail. So a matched newcomer is
  kept 24 months after their match ended, and one who withdrew without a match 24 months after the
  last thing recorded about them (registration, a proposal, a change of status).
- a **member** is done when their group is finished (``afgerond`` or ``gestopt``) or archived, or
  they left it (member archived); their last activity is the latest of their joined date, VOG date,
  survey dates and the last change to their record, and — while they are still in the group — the
  group's last match date and last meeting.

People already erased are never listed. An export (``export`` in the audit trail) does not count as
activity: looking at data must not keep it longer.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy import func, literal, select
from sqlalchemy.engine import Connection, Engine

from samenhier.clock import AMSTERDAM
from samenhier.models import (
    AuditEvent,
    GroupStatus,
    Match,
    MatchStatus,
    Meeting,
    Member,
    Municipality,
    Newcomer,
    NewcomerStatus,
    SurveyResponse,
    WelcomeGroup,
)
from samenhier.privacy import MEMBER, NEWCOMER, PERSON_KINDS, retention_due_date
from samenhier.queries.common import read_frame
from samenhier.scope import Filters, Scope, in_reach
from samenhier.settings import get_settings

PEOPLE_COLUMNS = [
    "person_id",
    "code",
    "name",
    "groups",
    "municipality",
    "status",
    "archived",
    "erased",
    "version",
]
RETENTION_COLUMNS = [
    "kind",
    "person_id",
    "code",
    "name",
    "municipality",
    "last_activity",
    "due_date",
    "version",
]
FINISHED_GROUP_STATUSES = (GroupStatus.COMPLETED.value, GroupStatus.STOPPED.value)
RUNNING_MATCH_STATUSES = (MatchStatus.PROPOSED.value, MatchStatus.ACTIVE.value)
NOT_ACTIVITY = ("export",)
"""Audit actions that do not count as activity on a person's record."""


def _read(bind: Engine | Connection, query) -> pd.DataFrame:
    """:func:`read_frame` on an engine, or on a connection inside a caller's transaction."""
    if isinstance(bind, Connection):
        return pd.read_sql(query, bind)
    return read_frame(bind, query)


def _name(model):
    return (model.first_name + " " + model.last_name).label("name")


def people(engine: Engine, scope: Scope, *, kind: str) -> pd.DataFrame:
    """Every member or newcomer (``kind``: ``member`` / ``newcomer``), archived and erased ones included, by code.

    Columns: ``person_id``, ``code``, ``name`` (first and last name; ``[gewist]`` once erased),
    ``groups`` (codes of their group — a newcomer: of the groups of their matches that were not
    declined — joined by ``, ``), ``municipality`` (a member: their group's), ``status`` (a newcomer's
    status; a member's role), ``archived``, ``erased``, ``version``.

    Raises:
        AccessDenied: not a coordinator. ValueError: unknown ``kind``.
    """
    scope.require_coordinator()
    if kind == NEWCOMER:
        codes = (
            func.group_concat(WelcomeGroup.code, ", ")
            if engine.dialect.name == "sqlite"
            else func.string_agg(WelcomeGroup.code, ", ")
        )
        groups = (
            select(Match.newcomer_id, codes.label("groups"))
            .join(WelcomeGroup, WelcomeGroup.id == Match.group_id)
            .where(Match.status != MatchStatus.DECLINED.value)
            .group_by(Match.newcomer_id)
            .subquery()
        )
        query = (
            select(
                Newcomer.id.label("person_id"),
                Newcomer.code,
                _name(Newcomer),
                groups.c.groups,
                Municipality.name.label("municipality"),
                Newcomer.status,
                Newcomer.archived,
                Newcomer.erased,
                Newcomer.version,
            )
            .join(Municipality, Municipality.id == Newcomer.municipality_id)
            .outerjoin(groups, groups.c.newcomer_id == Newcomer.id)
            .where(in_reach(Newcomer.municipality_id, scope))
            .order_by(Newcomer.code)
        )
    elif kind == MEMBER:
        query = (
            select(
                Member.id.label("person_id"),
                Member.code,
                _name(Member),
                WelcomeGroup.code.label("groups"),
                Municipality.name.label("municipality"),
                Member.role.label("status"),
                Member.archived,
                Member.erased,
                Member.version,
            )
            .join(WelcomeGroup, WelcomeGroup.id == Member.group_id)
            .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
            .where(in_reach(WelcomeGroup.municipality_id, scope))
            .order_by(Member.code)
        )
    else:
        raise ValueError(f"kind must be one of {PERSON_KINDS}, not {kind!r}")
    frame = read_frame(engine, query)
    frame["name"] = frame["name"].str.strip()
    frame["groups"] = frame["groups"].fillna("")
    frame["archived"] = frame["archived"].astype(bool)
    frame["erased"] = frame["erased"].astype(bool)
    return frame[PEOPLE_COLUMNS]


def _audit_last(table: str):
    """Per record of ``table``: the moment of the last audit event that counts as activity."""
    return (
        select(AuditEvent.record_id.label("person_id"), func.max(AuditEvent.at).label("audit_last"))
        .where(
            AuditEvent.table_name == table,
            AuditEvent.record_id.is_not(None),
            AuditEvent.action.not_in(NOT_ACTIVITY),
        )
        .group_by(AuditEvent.record_id)
        .subquery()
    )


def _survey_last(column):
    return (
        select(column.label("person_id"), func.max(SurveyResponse.date).label("survey_last"))
        .where(column.is_not(None))
        .group_by(column)
        .subquery()
    )


def _newcomer_candidates(engine: Engine | Connection) -> pd.DataFrame:
    running = select(Match.newcomer_id).where(Match.status.in_(RUNNING_MATCH_STATUSES))
    matches = (
        select(
            Match.newcomer_id.label("person_id"),
            func.max(func.coalesce(Match.ended_date, Match.started_date, Match.proposed_date)).label(
                "match_last"
            ),
        )
        .group_by(Match.newcomer_id)
        .subquery()
    )
    surveys, audit = _survey_last(SurveyResponse.newcomer_id), _audit_last(NEWCOMER)
    return _read(
        engine,
        (
            select(
                literal(NEWCOMER).label("kind"),
                Newcomer.id.label("person_id"),
                Newcomer.code,
                _name(Newcomer),
                Municipality.name.label("municipality"),
                Newcomer.version,
                Newcomer.registration_date,
                matches.c.match_last,
                surveys.c.survey_last,
                audit.c.audit_last,
            )
            .join(Municipality, Municipality.id == Newcomer.municipality_id)
            .outerjoin(matches, matches.c.person_id == Newcomer.id)
            .outerjoin(surveys, surveys.c.person_id == Newcomer.id)
            .outerjoin(audit, audit.c.person_id == Newcomer.id)
            .where(
                Newcomer.erased.is_(False),
                Newcomer.status != NewcomerStatus.WAITING.value,
                Newcomer.id.not_in(running),
            )
        ),
    )


def _member_candidates(engine: Engine | Connection) -> pd.DataFrame:
    group_matches = (
        select(
            Match.group_id,
            func.max(func.coalesce(Match.ended_date, Match.started_date, Match.proposed_date)).label(
                "group_match_last"
            ),
        )
        .group_by(Match.group_id)
        .subquery()
    )
    group_meetings = (
        select(Meeting.group_id, func.max(Meeting.date).label("group_meeting_last"))
        .group_by(Meeting.group_id)
        .subquery()
    )
    surveys, audit = _survey_last(SurveyResponse.member_id), _audit_last(MEMBER)
    frame = _read(
        engine,
        (
            select(
                literal(MEMBER).label("kind"),
                Member.id.label("person_id"),
                Member.code,
                _name(Member),
                Municipality.name.label("municipality"),
                Member.version,
                Member.archived,
                Member.joined_date,
                Member.vog_date,
                surveys.c.survey_last,
                audit.c.audit_last,
                group_matches.c.group_match_last,
                group_meetings.c.group_meeting_last,
            )
            .join(WelcomeGroup, WelcomeGroup.id == Member.group_id)
            .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
            .outerjoin(surveys, surveys.c.person_id == Member.id)
            .outerjoin(audit, audit.c.person_id == Member.id)
            .outerjoin(group_matches, group_matches.c.group_id == Member.group_id)
            .outerjoin(group_meetings, group_meetings.c.group_id == Member.group_id)
            .where(
                Member.erased.is_(False),
                Member.archived.is_(True)
                | WelcomeGroup.archived.is_(True)
                | WelcomeGroup.status.in_(FINISHED_GROUP_STATUSES),
            )
        ),
    )
    # The group's life counts only for members still in it; one who left is judged by their own dates.
    left = frame["archived"].astype(bool)
    frame.loc[left, ["group_match_last", "group_meeting_last"]] = None
    return frame.drop(columns=["archived"])


def _as_date(value) -> dt.date | None:
    """A date from a date column, or the Amsterdam calendar day of a moment (audit times are UTC)."""
    if value is None or pd.isna(value):  # NaT is a datetime too
        return None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(AMSTERDAM).date()
    if isinstance(value, dt.date):
        return value
    return _as_date(pd.Timestamp(value).to_pydatetime())


def retention_due(
    engine: Engine | Connection, scope: Scope, *, as_of: dt.date, filters: Filters = Filters()
) -> pd.DataFrame:
    """The people past retention on ``as_of`` (rule in this module's docstring), longest overdue first.

    Columns: ``kind`` (``newcomer``/``member``), ``person_id``, ``code``, ``name``, ``municipality``,
    ``last_activity`` (date), ``due_date`` (last activity + ``retention_months``; on or before
    ``as_of``), ``version``. ``engine`` may also be a connection (to decide inside a write transaction).
    A municipality coordinator gets the people of their municipalities only; ``filters.municipalities``
    (the sidebar) narrows that to the chosen ones. ``filters.variants`` does not apply: the retention
    period is the same for every variant, and a waiting newcomer has none.

    Raises:
        AccessDenied: not a coordinator.
    """
    scope.require_coordinator()
    months = get_settings().retention_months
    rows = []
    for frame in (_newcomer_candidates(engine), _member_candidates(engine)):
        dates = [
            c
            for c in frame.columns
            if c not in ("kind", "person_id", "code", "name", "municipality", "version")
        ]
        for record in frame.to_dict("records"):
            known = [d for d in (_as_date(record[c]) for c in dates) if d is not None]
            if not known:
                continue
            last = max(known)
            due = retention_due_date(last, months)
            if due <= as_of:
                rows.append(
                    {
                        **{
                            k: record[k]
                            for k in ("kind", "person_id", "code", "name", "municipality", "version")
                        },
                        "last_activity": last,
                        "due_date": due,
                    }
                )
    frame = pd.DataFrame(rows, columns=RETENTION_COLUMNS)
    if scope.municipalities:  # a municipality coordinator: their people only
        frame = frame[frame["municipality"].isin(scope.municipalities)]
    if filters.municipalities:  # the sidebar's choice
        frame = frame[frame["municipality"].isin(filters.municipalities)]
    if frame.empty:
        return frame
    frame["name"] = frame["name"].str.strip()
    order = frame["kind"].map({NEWCOMER: 0, MEMBER: 1})
    return (
        frame.assign(_o=order)
        .sort_values(["due_date", "_o", "code"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def erased_counts(engine: Engine, scope: Scope) -> dict[str, int]:
    """How many people have been erased so far: ``{"newcomer": n, "member": n}``.

    Raises:
        AccessDenied: not a coordinator.
    """
    scope.require_coordinator()
    with engine.connect() as c:
        return {
            kind: int(
                c.execute(select(func.count()).select_from(model).where(model.erased.is_(True))).scalar_one()
            )
            for kind, model in ((NEWCOMER, Newcomer), (MEMBER, Member))
        }
