"""Reads of the audit trail (coordinators only): who did what to which record, when, and what changed.

A municipality coordinator sees the events about the records and accounts of their municipalities
(:func:`events_in_reach`); events about records since deleted, about other municipalities and about
the whole store (imports, backups: table ``*``) are for national coordinators.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.engine import Engine

from samenhier.clock import AMSTERDAM
from samenhier.models import (
    AuditEvent,
    CommunityBuilder,
    Match,
    Meeting,
    Member,
    Newcomer,
    ProgressNote,
    SurveyResponse,
    WelcomeGroup,
)
from samenhier.queries.common import read_frame
from samenhier.scope import Scope, in_reach, visible_accounts, visible_groups

AUDIT_COLUMNS = ["id", "at", "username", "action", "table_name", "record_id", "record_code", "changes"]


@dataclass(frozen=True)
class AuditPage:
    """The newest ``events`` matching a filter (at most the limit asked for) and how many match in ``total``."""

    events: pd.DataFrame
    total: int


def _local_midnight_utc(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=AMSTERDAM).astimezone(dt.UTC)


def events_in_reach(scope: Scope) -> ColumnElement[bool]:
    """A SQL condition on :class:`AuditEvent`: the event is about a record or account within ``scope``'s reach
    (always true for a national coordinator)."""
    if scope.is_national:
        return true()
    groups = visible_groups(scope, include_archived=True)

    def about(model, ids) -> ColumnElement[bool]:
        return and_(AuditEvent.table_name == model.__tablename__, AuditEvent.record_id.in_(ids))

    return or_(
        about(WelcomeGroup, groups),
        *(about(model, select(model.id).where(model.group_id.in_(groups)))
          for model in (Member, Match, Meeting, SurveyResponse, ProgressNote)),
        about(Newcomer, select(Newcomer.id).where(in_reach(Newcomer.municipality_id, scope))),
        about(CommunityBuilder, select(CommunityBuilder.id).where(in_reach(CommunityBuilder.municipality_id, scope))),
        and_(AuditEvent.table_name == "user_account", AuditEvent.record_id.in_(visible_accounts(scope))),
    )


def audit_events(
    engine: Engine, scope: Scope, *, since: dt.date | None = None, until: dt.date | None = None,
    usernames: tuple[str, ...] = (), actions: tuple[str, ...] = (), tables: tuple[str, ...] = (), search: str = "",
    record: tuple[str, int] | None = None, limit: int = 500,
) -> AuditPage:
    """Audit events, newest first, filtered in SQL.

    ``since`` / ``until``: calendar days in Europe/Amsterdam, both included; ``usernames``, ``actions``,
    ``tables``: any of (empty: all); ``search``: part of the record's code or the username
    (case-insensitive); ``record``: ``(table_name, record_id)`` for one record's history.

    Columns of :attr:`AuditPage.events`: ``id``, ``at`` (moment, Europe/Amsterdam, time-zone aware),
    ``username``, ``action`` (create, update, status_change, archive, restore, delete, activate,
    deactivate, password_reset, import, login, login_failed), ``table_name``, ``record_id``,
    ``record_code``, ``changes`` (dict ``{field: [before, after]}``; for an import, per sheet the new
    and changed rows).

    Raises:
        AccessDenied: not a coordinator.
    """
    scope.require_coordinator()
    conditions = [events_in_reach(scope)]
    if since is not None:
        conditions.append(AuditEvent.at >= _local_midnight_utc(since))
    if until is not None:
        conditions.append(AuditEvent.at < _local_midnight_utc(until + dt.timedelta(days=1)))
    if usernames:
        conditions.append(AuditEvent.username.in_(usernames))
    if actions:
        conditions.append(AuditEvent.action.in_(actions))
    if tables:
        conditions.append(AuditEvent.table_name.in_(tables))
    if search.strip():
        needle = f"%{search.strip().lower()}%"
        conditions.append(or_(func.lower(AuditEvent.record_code).like(needle), func.lower(AuditEvent.username).like(needle)))
    if record is not None:
        conditions.extend([AuditEvent.table_name == record[0], AuditEvent.record_id == record[1]])
    with engine.connect() as c:
        total = int(c.execute(select(func.count()).select_from(AuditEvent).where(*conditions)).scalar_one())
    frame = read_frame(engine, (
        select(AuditEvent.id, AuditEvent.at, AuditEvent.username, AuditEvent.action, AuditEvent.table_name,
               AuditEvent.record_id, AuditEvent.record_code, AuditEvent.changes)
        .where(*conditions).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    ))
    frame["at"] = pd.to_datetime(frame["at"], utc=True).dt.tz_convert(AMSTERDAM)
    frame["record_id"] = frame["record_id"].astype("Int64")
    frame["changes"] = [json.loads(c) if c else {} for c in frame["changes"]]
    return AuditPage(events=frame[AUDIT_COLUMNS], total=total)


def audit_options(engine: Engine, scope: Scope) -> dict[str, list[str]]:
    """The values present, for the filters: ``usernames``, ``actions``, ``tables`` (each sorted).

    Raises:
        AccessDenied: not a coordinator.
    """
    scope.require_coordinator()
    with engine.connect() as c:
        def distinct(column) -> list[str]:
            return sorted(v for v in c.execute(select(column).where(events_in_reach(scope)).distinct()).scalars() if v)

        return {"usernames": distinct(AuditEvent.username), "actions": distinct(AuditEvent.action),
                "tables": distinct(AuditEvent.table_name)}


def describe_changes(changes: dict[str, Any], *, field_label=lambda f: f, value_text=lambda f, v: str(v)) -> str:
    """``changes`` as one line for people: ``name: Oud → Nieuw; status: werving → training``.

    ``field_label(field)`` names a field, ``value_text(field, value)`` shows a value (None shows as
    ``–``). A value that is not a ``[before, after]`` pair (an import's per-sheet counts) is shown as is.
    """
    parts = []
    for field, change in changes.items():
        if isinstance(change, list) and len(change) == 2:
            before, after = ("–" if v is None or v == "" else value_text(field, v) for v in change)
            parts.append(f"{field_label(field)}: {before} → {after}")
        elif isinstance(change, dict):
            parts.append(f"{field_label(field)}: " + ", ".join(f"{k} {v}" for k, v in change.items()))
        else:
            parts.append(f"{field_label(field)}: {value_text(field, change)}")
    return "; ".join(parts)
