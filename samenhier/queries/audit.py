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
from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.engine import Engine

from samenhier import formatting, i18n
from samenhier.clock import AMSTERDAM
from samenhier.models import (
    AuditEvent,
    CommunityBuilder,
    Match,
    Meeting,
    Member,
    MilestoneCheck,
    Municipality,
    Newcomer,
    ProgressNote,
    SurveyResponse,
    UserAccount,
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
        *(
            about(model, select(model.id).where(model.group_id.in_(groups)))
            for model in (Member, Match, Meeting, SurveyResponse, ProgressNote, MilestoneCheck)
        ),
        about(Newcomer, select(Newcomer.id).where(in_reach(Newcomer.municipality_id, scope))),
        about(
            CommunityBuilder,
            select(CommunityBuilder.id).where(in_reach(CommunityBuilder.municipality_id, scope)),
        ),
        and_(AuditEvent.table_name == "user_account", AuditEvent.record_id.in_(visible_accounts(scope))),
    )


MAX_SEARCH_LENGTH = 200
"""Longest search text of the audit trail; longer finds nothing (no code or user name is that long)."""


def like_escape(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'``: ``%``, ``_`` and ``\\`` match only themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def audit_events(
    engine: Engine,
    scope: Scope,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    usernames: tuple[str, ...] = (),
    actions: tuple[str, ...] = (),
    tables: tuple[str, ...] = (),
    search: str = "",
    record: tuple[str, int] | None = None,
    limit: int = 500,
    event_id: int | None = None,
) -> AuditPage:
    """Audit events, newest first, filtered in SQL.

    ``since`` / ``until``: calendar days in Europe/Amsterdam, both included; ``usernames``, ``actions``,
    ``tables``: any of (empty: all); ``search``: part of the record's code or the username
    (case-insensitive); ``record``: ``(table_name, record_id)`` for one record's history; ``event_id``: one event.

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
    if event_id is not None:  # one event, e.g. the import a page just reported (``?event=ID``)
        conditions.append(AuditEvent.id == event_id)
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
        if (
            len(search.strip()) > MAX_SEARCH_LENGTH
        ):  # no code or user name is this long (and SQLite refuses huge patterns)
            conditions.append(false())
        else:
            needle = "%" + like_escape(search.strip().lower()) + "%"
            conditions.append(
                or_(
                    func.lower(AuditEvent.record_code).like(needle, escape="\\"),
                    func.lower(AuditEvent.username).like(needle, escape="\\"),
                )
            )
    if record is not None:
        conditions.extend([AuditEvent.table_name == record[0], AuditEvent.record_id == record[1]])
    with engine.connect() as c:
        total = int(c.execute(select(func.count()).select_from(AuditEvent).where(*conditions)).scalar_one())
    frame = read_frame(
        engine,
        (
            select(
                AuditEvent.id,
                AuditEvent.at,
                AuditEvent.username,
                AuditEvent.action,
                AuditEvent.table_name,
                AuditEvent.record_id,
                AuditEvent.record_code,
                AuditEvent.changes,
            )
            .where(*conditions)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        ),
    )
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
            return sorted(
                v for v in c.execute(select(column).where(events_in_reach(scope)).distinct()).scalars() if v
            )

        return {
            "usernames": distinct(AuditEvent.username),
            "actions": distinct(AuditEvent.action),
            "tables": distinct(AuditEvent.table_name),
        }


# --- for people ------------------------------------------------------------------------------------------

READABLE_COLUMNS = ["at", "username", "action", "record_type", "record", "changes"]

_VOCABULARY = {
    ("welcome_group", "status"): "group_status",
    ("newcomer", "status"): "newcomer_status",
    ("match", "status"): "match_status",
    ("user_account", "role"): "user_role",
    ("member", "role"): "member_role",
    ("meeting", "kind"): "meeting_kind",
    ("progress_note", "assessment"): "check_in",
    ("survey_response", "wave"): "wave",
    ("survey_response", "respondent_role"): "respondent_role",
    ("survey_response", "self_reported_change"): "change",
}
"""Stored vocabulary words shown in the user's language: (table, field) → i18n prefix (``group_status.actief``)."""
_ANY_TABLE_VOCABULARY = {
    "variant": "variant",
    "status": "group_status",
    "kind": "meeting_kind",
    "assessment": "check_in",
    "wave": "wave",
}
_REFERENCES = {
    "group_id": "welcome_group",
    "newcomer_id": "newcomer",
    "member_id": "member",
    "community_builder_id": "community_builder",
    "municipality_id": "municipality",
    "match_id": "match",
}
"""Fields holding the id of another record: shown as that record's code and name."""
_FIELD_LABEL_KEYS = ("field.{}", "surveys.field.{}", "privacy.col.{}", "col.{}")


def action_key(action: str, table_name: str) -> str:
    """The i18n key naming an audit ``action`` on ``table_name``: an ``export`` of one person is a
    subject access export (``inzage-export``), of the store a plain export; ``restore`` of the store
    (table ``*``) is a backup put back, of a record its return from the archive."""
    if action == "export" and table_name in ("member", "newcomer"):
        return "audit.action.subject_access_export"
    if action == "restore" and table_name == "*":
        return "audit.action.restore_store"
    return f"audit.action.{action}"


def _translated(key: str, lang: str) -> str | None:
    text = i18n.t(key, lang)
    return None if text == key else text


def field_label(field: str, lang: str) -> str:
    """A changed field's name for people (``Groep`` for ``group_id``); the field itself when no label exists."""
    for pattern in _FIELD_LABEL_KEYS:
        text = _translated(pattern.format(field), lang)
        if text is not None:
            return text
    return field.replace("_", " ")


def _names(connection, table: str, ids: set[int]) -> dict[int, str]:
    """``{id: "code name"}`` for the records of ``table`` with ``ids`` (those that still exist)."""
    if not ids:
        return {}
    ids = sorted(ids)
    if table == "welcome_group":
        rows = connection.execute(
            select(WelcomeGroup.id, WelcomeGroup.code, WelcomeGroup.name).where(WelcomeGroup.id.in_(ids))
        )
        return {i: f"{code} {name}".strip() for i, code, name in rows}
    if table in ("member", "newcomer"):
        model = Member if table == "member" else Newcomer
        rows = connection.execute(
            select(model.id, model.code, model.first_name, model.last_name).where(model.id.in_(ids))
        )
        return {i: " ".join(p for p in (code, first, last) if p) for i, code, first, last in rows}
    if table == "community_builder":
        return dict(
            connection.execute(
                select(CommunityBuilder.id, CommunityBuilder.name).where(CommunityBuilder.id.in_(ids))
            ).all()
        )
    if table == "municipality":
        return dict(
            connection.execute(
                select(Municipality.id, Municipality.name).where(Municipality.id.in_(ids))
            ).all()
        )
    if table == "user_account":
        return dict(
            connection.execute(
                select(UserAccount.id, UserAccount.username).where(UserAccount.id.in_(ids))
            ).all()
        )
    if table == "match":
        rows = connection.execute(
            select(Match.id, WelcomeGroup.code, Newcomer.code)
            .join(WelcomeGroup, WelcomeGroup.id == Match.group_id)
            .join(Newcomer, Newcomer.id == Match.newcomer_id)
            .where(Match.id.in_(ids))
        )
        return {i: f"{group} ↔ {newcomer}" for i, group, newcomer in rows}
    if table == "meeting":
        rows = connection.execute(
            select(Meeting.id, WelcomeGroup.code, Meeting.date)
            .join(WelcomeGroup, WelcomeGroup.id == Meeting.group_id)
            .where(Meeting.id.in_(ids))
        )
        return {i: (code, day) for i, code, day in rows}
    if table in ("survey_response", "progress_note", "milestone_check"):
        model = {
            "survey_response": SurveyResponse,
            "progress_note": ProgressNote,
            "milestone_check": MilestoneCheck,
        }[table]
        rows = connection.execute(
            select(model.id, WelcomeGroup.code, WelcomeGroup.name)
            .join(WelcomeGroup, WelcomeGroup.id == model.group_id)
            .where(model.id.in_(ids))
        )
        return {i: f"{code} {name}" for i, code, name in rows}
    return {}


def readable_events(engine: Engine, events: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``events`` (:attr:`AuditPage.events`) as people read them, in ``lang``.

    Columns: ``at`` (local moment, no time zone: for a datetime column), ``username``, ``action`` (the
    action in words, see :func:`action_key`), ``record_type`` (the kind of record in words; "werkboek"
    for the whole store), ``record`` (code and name: ``0518-022 De Buren``, a match as ``0518-022 ↔
    N0084``, a meeting as group code and date; the stored code when the record is gone), ``changes``
    (:func:`describe_changes` with field labels, vocabulary words in ``lang``, ids of other records as
    their code and name, dates ``dd-mm-jjjj``, Ja/Nee and "–" for empty). No value is None.
    """
    wanted: dict[str, set[int]] = {}
    for table, record_id, changes in zip(
        events["table_name"], events["record_id"], events["changes"], strict=True
    ):
        if not pd.isna(record_id):
            wanted.setdefault(table, set()).add(int(record_id))
        for field, change in changes.items():
            if field in _REFERENCES:
                values = change if isinstance(change, list) else [change]
                wanted.setdefault(_REFERENCES[field], set()).update(
                    int(v) for v in values if isinstance(v, int)
                )
    with engine.connect() as connection:
        names = {table: _names(connection, table, ids) for table, ids in wanted.items()}

    def record_text(table: str, record_id, code: str) -> str:
        name = names.get(table, {}).get(int(record_id)) if not pd.isna(record_id) else None
        if isinstance(name, tuple):  # a meeting: group code and date
            return f"{name[0]} · {formatting.date_text(name[1], lang)}"
        if name:
            return name
        if table == "*" and code in ("xlsx", "csv"):
            return code.upper()
        return code or formatting.EMPTY

    def value_text(table: str, field: str, value: Any) -> str:
        if field in _REFERENCES and isinstance(value, int):
            return names.get(_REFERENCES[field], {}).get(value) or f"#{value}"
        vocabulary = _VOCABULARY.get((table, field)) or _ANY_TABLE_VOCABULARY.get(field)
        if vocabulary and isinstance(value, str):
            return _translated(f"{vocabulary}.{value}", lang) or value
        if isinstance(value, list):
            return (
                ", ".join(value_text(table, field, v) for v in value)
                or _translated("audit.all", lang)
                or formatting.EMPTY
            )
        return formatting.value_text(value, lang)

    return pd.DataFrame(
        {
            "at": events["at"].dt.tz_localize(None) if len(events) else pd.Series(dtype="datetime64[ns]"),
            "username": events["username"].fillna(formatting.EMPTY),
            "action": [
                _translated(action_key(a, tb), lang) or a.replace("_", " ")
                for a, tb in zip(events["action"], events["table_name"], strict=True)
            ],
            "record_type": [
                _translated(f"audit.table.{tb}", lang) or formatting.EMPTY for tb in events["table_name"]
            ],
            "record": [
                record_text(tb, rid, code)
                for tb, rid, code in zip(
                    events["table_name"], events["record_id"], events["record_code"], strict=True
                )
            ],
            "changes": [
                describe_changes(
                    c,
                    field_label=lambda f: field_label(f, lang),
                    value_text=lambda f, v, tb=tb: value_text(tb, f, v),
                    pairs=tb != "*",
                    sub_label=lambda k: _translated(f"audit.sub.{k}", lang) or str(k),
                )
                for c, tb in zip(events["changes"], events["table_name"], strict=True)
            ],
        },
        columns=READABLE_COLUMNS,
    )


def describe_changes(
    changes: dict[str, Any],
    *,
    field_label=lambda f: f,
    value_text=lambda f, v: str(v),
    sub_label=lambda k: k,
    pairs: bool = True,
) -> str:
    """``changes`` as one line for people: ``name: Oud → Nieuw; status: werving → training``.

    ``field_label(field)`` names a field, ``value_text(field, value)`` shows a value (None and "" show
    as ``–``). A value that is not a ``[before, after]`` pair (an import's per-sheet counts, an erasure's
    facts) is shown through ``value_text`` as well, a dict as ``sub_label(key) value, …``; with ``pairs`` False no list is read as a pair (the
    events of the whole store, table ``*``, hold lists such as the municipalities of an export).
    """
    parts = []
    for field, change in changes.items():
        if pairs and isinstance(change, list) and len(change) == 2:
            before, after = (
                formatting.EMPTY if formatting.is_empty(v) else value_text(field, v) for v in change
            )
            parts.append(f"{field_label(field)}: {before} → {after}")
        elif isinstance(change, dict):
            parts.append(
                f"{field_label(field)}: "
                + (
                    ", ".join(
                        f"{sub_label(k)} {formatting.EMPTY if formatting.is_empty(v) else value_text(field, v)}"
                        for k, v in change.items()
                    )
                    or formatting.EMPTY
                )
            )
        else:
            parts.append(
                f"{field_label(field)}: {formatting.EMPTY if formatting.is_empty(change) else value_text(field, change)}"
            )
    return "; ".join(parts)
