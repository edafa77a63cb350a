"""Writes about meetings: log, edit and delete a meeting (one function per user action).

Every function checks access first (a community builder may only act on the groups they guide:
:func:`~samenhier.services.common.require_group_access`), validates all fields at once
(:class:`~samenhier.services.common.ValidationFailed`, nothing written), writes in one short
transaction and records an audit event in that same transaction.

The rules of a meeting (issue "Meeting frequency across the year, and logging meetings"):

- ``date`` is required, not after today (Europe/Amsterdam, :func:`samenhier.clock.today`) and not
  before the start of the group's first match; a date after the end of the match it falls under is
  allowed with a warning (a late entry for a finished year);
- ``kind`` is one of :class:`~samenhier.models.MeetingKind`;
- ``duration_minutes`` is a whole number from 1 to 1440 (one day);
- ``members_present`` is 0 … the group's members (not archived); ``newcomers_present`` is 0 … the
  household size of the newcomer of the group's current match (1 when unknown);
- ``note`` is free text, stored normalised (Unicode NFC, trimmed), at most :data:`MAX_NOTE_LENGTH`
  characters;
- a second meeting of the same group on the same date and of the same kind is a likely double
  entry: it is written only when the caller confirms (``confirm_duplicate=True``), otherwise
  :class:`ConfirmationNeeded` is raised.

Validation codes are i18n keys ``validation.meetings.<code>``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from samenhier import fields
from samenhier.db import session_scope
from samenhier.io.rows import clean_text
from samenhier.models import Match, MatchStatus, Meeting, MeetingKind, Member, Newcomer, WelcomeGroup
from samenhier.queries.groups import running_match
from samenhier.scope import AccessDenied, Scope
from samenhier.services import audit
from samenhier.services.common import (
    FieldError,
    ValidationFailed,
    check_version,
    require_group_access,
    snapshot,
)

MIN_DURATION_MINUTES = fields.DURATION_MIN
MAX_DURATION_MINUTES = fields.DURATION_MAX
MAX_NOTE_LENGTH = fields.MAX_TEXT
FIELDS = ("date", "kind", "duration_minutes", "members_present", "newcomers_present", "note")
"""The fields a user enters (in form order); ``FieldError.field`` is one of these."""


@dataclass(frozen=True)
class MeetingSaved:
    """A written meeting: its id and new version, and warnings the user should see (nothing blocked)."""

    meeting_id: int
    version: int
    warnings: list[FieldError] = field(default_factory=list)


class ConfirmationNeeded(Exception):
    """Nothing written: the input is valid but looks like a mistake; ``warnings`` say why.

    Call again with ``confirm_duplicate=True`` once the user confirmed.
    """

    def __init__(self, warnings: list[FieldError]):
        self.warnings = warnings
        super().__init__("; ".join(f"{w.field}: {w.message('en')}" for w in warnings))


@dataclass(frozen=True)
class GroupLimits:
    """What a meeting of one group is checked against."""

    members: int
    household_size: int
    match_periods: list[tuple[dt.date, dt.date | None]]
    """``(started, ended or None)`` of the group's matches that started (declined ones left out), by start."""


def group_limits(session: Session, group_id: int) -> GroupLimits:
    """The group's non-archived member count, its current match's household size (1 when unknown) and match periods."""
    members = session.exec(
        select(func.count())
        .select_from(Member)
        .where(Member.group_id == group_id, Member.archived.is_(False))
    ).one()
    current = running_match()
    household = session.exec(
        select(Newcomer.household_size)
        .join(current, current.c.newcomer_id == Newcomer.id)
        .where(current.c.group_id == group_id)
    ).first()
    periods = session.exec(
        select(Match.started_date, Match.ended_date)
        .where(
            Match.group_id == group_id,
            Match.status != MatchStatus.DECLINED.value,
            Match.started_date.is_not(None),
        )
        .order_by(Match.started_date)
    ).all()
    return GroupLimits(
        members=int(members), household_size=int(household or 1), match_periods=[(s, e) for s, e in periods]
    )


def _whole_number(value: Any) -> int | None:
    """``value`` as an int when it is a whole number (bools refused), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _validate(
    session: Session, group: WelcomeGroup, values: dict[str, Any], *, exclude_id: int | None = None
) -> tuple[dict[str, Any], list[FieldError], list[FieldError], bool]:
    """Check ``values`` (the :data:`FIELDS`) for ``group``.

    Returns the cleaned values, the errors (block), the warnings (do not block) and whether another
    meeting (not ``exclude_id``) of the group has the same date and kind.
    """
    errors: list[FieldError] = []
    warnings: list[FieldError] = []
    clean: dict[str, Any] = {}
    limits = group_limits(session, group.id)

    date = _check_date(values.get("date"), limits, errors, warnings)
    if date is not None:
        clean["date"] = date

    kind = clean_text(values.get("kind"))
    if not kind:
        errors.append(FieldError("kind", "meetings.required"))
    elif kind not in {k.value for k in MeetingKind}:
        errors.append(FieldError("kind", "meetings.kind_unknown"))
    else:
        clean["kind"] = kind

    bounds = {
        "duration_minutes": (MIN_DURATION_MINUTES, MAX_DURATION_MINUTES, "meetings.duration_range"),
        "members_present": (0, limits.members, "meetings.members_range"),
        "newcomers_present": (0, limits.household_size, "meetings.newcomers_range"),
    }
    for name, (low, high, code) in bounds.items():
        raw = values.get(name)
        number = _whole_number(raw)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            errors.append(FieldError(name, "meetings.required"))
        elif number is None:
            errors.append(FieldError(name, "meetings.whole_number"))
        elif not low <= number <= high:
            errors.append(FieldError(name, code, {"min": low, "max": high}))
        else:
            clean[name] = number

    note = clean_text(values.get("note"))
    if len(note) > MAX_NOTE_LENGTH:
        errors.append(FieldError("note", "meetings.note_too_long", {"max": MAX_NOTE_LENGTH}))
    else:
        try:
            fields.check_text(
                note, max_len=MAX_NOTE_LENGTH, multiline=True
            )  # the shared field rules (control characters)
        except fields.FieldRuleError as broken:
            errors.append(FieldError("note", broken.code, broken.params))
    clean["note"] = note

    duplicate = False
    if date is not None and "kind" in clean:
        query = (
            select(func.count())
            .select_from(Meeting)
            .where(Meeting.group_id == group.id, Meeting.date == date, Meeting.kind == clean["kind"])
        )
        if exclude_id is not None:
            query = query.where(Meeting.id != exclude_id)
        duplicate = session.exec(query).one() > 0
    return clean, errors, warnings, duplicate


def _check_date(
    value: Any, limits: GroupLimits, errors: list[FieldError], warnings: list[FieldError]
) -> dt.date | None:
    """The meeting's date (a datetime counts as its day), or None when missing; adds its errors (in the future,
    no match, before the match started) and warning (after the match ended) to ``errors`` / ``warnings``."""
    date = value.date() if isinstance(value, dt.datetime) else value
    if not isinstance(date, dt.date):
        errors.append(FieldError("date", "meetings.required"))
        return None
    try:
        fields.check_past(date)  # the shared field rule (the import applies it too)
    except fields.FieldRuleError as broken:
        errors.append(FieldError("date", "meetings.date_in_future", broken.params))
        return date
    if not limits.match_periods:
        errors.append(FieldError("date", "meetings.no_match"))
    else:
        under = [(s, e) for s, e in limits.match_periods if s <= date]
        if not under:
            errors.append(
                FieldError("date", "meetings.before_match_start", {"start": limits.match_periods[0][0]})
            )
        else:
            ended = under[-1][1]
            if ended is not None and date > ended:
                warnings.append(FieldError("date", "meetings.after_match_end", {"end": ended}))
    return date


def _check(errors: list[FieldError], duplicate: bool, confirm_duplicate: bool) -> None:
    if errors:
        raise ValidationFailed(errors)
    if duplicate and not confirm_duplicate:
        raise ConfirmationNeeded([FieldError("date", "meetings.duplicate")])


def log_meeting(
    engine: Engine,
    scope: Scope,
    *,
    group_id: int,
    date: dt.date | None,
    kind: str | None,
    duration_minutes: int | None,
    members_present: int | None,
    newcomers_present: int | None,
    note: str = "",
    confirm_duplicate: bool = False,
) -> MeetingSaved:
    """Log a meeting of group ``group_id`` (rules in the module docstring) and audit it (``create``).

    Returns:
        the new meeting's id, version 1, and warnings (``meetings.after_match_end``).

    Raises:
        AccessDenied: no such group, or not one of ``scope``'s (nothing written).
        ValidationFailed: every invalid field at once (nothing written).
        ConfirmationNeeded: a meeting of this group, date and kind exists and ``confirm_duplicate``
            is False (nothing written).
    """
    values = dict(
        date=date,
        kind=kind,
        duration_minutes=duration_minutes,
        members_present=members_present,
        newcomers_present=newcomers_present,
        note=note,
    )
    with session_scope(engine) as session:
        group = require_group_access(session, scope, group_id)
        clean, errors, warnings, duplicate = _validate(session, group, values)
        _check(errors, duplicate, confirm_duplicate)
        meeting = Meeting(group_id=group.id, **clean)
        session.add(meeting)
        session.flush()
        audit.record(session, scope.username, "create", record=meeting, after=snapshot(meeting))
        return MeetingSaved(meeting_id=meeting.id, version=meeting.version, warnings=warnings)


def _meeting_for(session: Session, scope: Scope, meeting_id: int) -> tuple[Meeting, WelcomeGroup]:
    """The meeting and its group, if ``scope`` may act on it; AccessDenied otherwise (also when it does not exist)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise AccessDenied(f"meeting {meeting_id} is not accessible to {scope.username}")
    return meeting, require_group_access(session, scope, meeting.group_id)


def update_meeting(
    engine: Engine,
    scope: Scope,
    *,
    meeting_id: int,
    expected_version: int,
    date: dt.date | None,
    kind: str | None,
    duration_minutes: int | None,
    members_present: int | None,
    newcomers_present: int | None,
    note: str = "",
    original: dict[str, Any] | None = None,
    confirm_duplicate: bool = False,
) -> MeetingSaved:
    """Change a logged meeting (not its group); same rules as :func:`log_meeting`; audited as ``update``.

    ``expected_version`` is the version the user started editing from; ``original`` (optional) the
    values they saw, so that a conflict can name the fields someone else changed.

    Returns:
        the meeting's id, its new version (one higher) and warnings.

    Raises:
        AccessDenied: no such meeting, or its group is not one of ``scope``'s (nothing written).
        VersionConflict: the meeting changed since ``expected_version`` (nothing written).
        ValidationFailed, ConfirmationNeeded: as :func:`log_meeting` (the meeting itself is not its
            own duplicate).
    """
    values = dict(
        date=date,
        kind=kind,
        duration_minutes=duration_minutes,
        members_present=members_present,
        newcomers_present=newcomers_present,
        note=note,
    )
    with session_scope(engine) as session:
        meeting, group = _meeting_for(session, scope, meeting_id)
        check_version(meeting, expected_version, original)
        clean, errors, warnings, duplicate = _validate(session, group, values, exclude_id=meeting.id)
        _check(errors, duplicate, confirm_duplicate)
        before = snapshot(meeting)
        for name, value in clean.items():
            setattr(meeting, name, value)
        if snapshot(meeting) == before:
            return MeetingSaved(meeting_id=meeting.id, version=meeting.version, warnings=warnings)
        meeting.version += 1
        session.add(meeting)
        audit.record(
            session, scope.username, "update", record=meeting, before=before, after=snapshot(meeting)
        )
        return MeetingSaved(meeting_id=meeting.id, version=meeting.version, warnings=warnings)


def delete_meeting(engine: Engine, scope: Scope, *, meeting_id: int, expected_version: int) -> None:
    """Delete a logged meeting; audited as ``delete`` with the values it had.

    Raises:
        AccessDenied: no such meeting, or its group is not one of ``scope``'s (nothing deleted).
        VersionConflict: the meeting changed since the user saw it (nothing deleted).
    """
    with session_scope(engine) as session:
        meeting, _group = _meeting_for(session, scope, meeting_id)
        check_version(meeting, expected_version)
        audit.record(session, scope.username, "delete", record=meeting, before=snapshot(meeting), after={})
        session.delete(meeting)
