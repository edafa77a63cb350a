"""Writes of "Mijn groepen": a community builder keeps their groups' progress up to date.

A community builder may act only on the groups they guide, a coordinator on every group; both are
checked here (:func:`~samenhier.services.common.require_group_access`), not only by what the page
shows. Each function is one user action with the guarantees of :mod:`samenhier.services.records`:
all field errors at once, one short transaction, version check, audit event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from samenhier.clock import now_utc
from samenhier.db import session_scope
from samenhier.fields import MAX_TEXT
from samenhier.models import CheckInAssessment, GroupStatus, ProgressNote, WelcomeGroup
from samenhier.scope import Scope
from samenhier.services import audit
from samenhier.services.common import FieldError, ValidationFailed, require_group_access
from samenhier.services.record_checks import Checker
from samenhier.services.record_engine import Saved, update_record
from samenhier.services.record_specs import GROUP, MEMBER


def _group_access(scope: Scope):
    def check(session: Session, record: Any) -> None:
        require_group_access(
            session, scope, record.id if isinstance(record, WelcomeGroup) else record.group_id
        )

    return check


def change_group_status(
    engine: Engine, scope: Scope, *, group_id: int, expected_version: int, status: str
) -> Saved:
    """Move a group to ``status``; only the changes of :data:`samenhier.rules.GROUP_TRANSITIONS` are
    allowed, and a status after training needs a training date. Audited as ``status_change``.

    Raises:
        AccessDenied: not the user's group (or no such group). VersionConflict: the group changed since
        ``expected_version``. ValidationFailed: ``status_transition``, ``status_final``,
        ``training_required``, ``choice``, ``archived``.
    """
    return update_record(
        GROUP,
        engine,
        scope,
        group_id,
        expected_version,
        {"status": status},
        None,
        authorize=_group_access(scope),
        action="status_change",
    )


def record_training_completed(
    engine: Engine,
    scope: Scope,
    *,
    group_id: int,
    expected_version: int,
    training_completed_date: dt.date | None,
    advance_status: bool = True,
) -> Saved:
    """Record that the group finished its training on ``training_completed_date``; with
    ``advance_status`` a group in ``training`` moves on to ``wacht op match`` in the same write.

    Raises:
        AccessDenied, VersionConflict as :func:`change_group_status`. ValidationFailed: ``required``,
        ``future_date``, ``training_before_signup``, ``training_after_match``, ``archived``.
    """
    if training_completed_date is None:
        raise ValidationFailed([FieldError("training_completed_date", "required")])
    changes: dict[str, Any] = {"training_completed_date": training_completed_date}

    def advance(group: WelcomeGroup) -> None:
        if advance_status and group.status == GroupStatus.TRAINING.value:
            group.status = GroupStatus.AWAITING_MATCH.value

    return update_record(
        GROUP,
        engine,
        scope,
        group_id,
        expected_version,
        changes,
        None,
        authorize=_group_access(scope),
        extra=advance,
    )


def record_vog(
    engine: Engine, scope: Scope, *, member_id: int, expected_version: int, vog_date: dt.date | None
) -> Saved:
    """Record the date a member's VOG (certificate of conduct) arrived.

    Raises:
        AccessDenied: the member's group is not the user's. VersionConflict. ValidationFailed:
        ``required``, ``future_date``, ``archived``.
    """
    if vog_date is None:
        raise ValidationFailed([FieldError("vog_date", "required")])
    return update_record(
        MEMBER,
        engine,
        scope,
        member_id,
        expected_version,
        {"vog_date": vog_date},
        None,
        authorize=_group_access(scope),
    )


def add_check_in(
    engine: Engine,
    scope: Scope,
    *,
    group_id: int,
    date: dt.date | None,
    assessment: str | None,
    text: str = "",
) -> int:
    """Add a dated check-in on a group: how it is doing (``goed``, ``enkele zorgen``, ``ernstige
    zorgen``) and a note, required when there are concerns. Returns the new check-in's id.

    Raises:
        AccessDenied: not the user's group. ValidationFailed: ``required``, ``future_date``, ``choice``,
        ``too_long``, ``note_required`` (concerns without a note), ``archived`` (the group is archived).
    """
    c = Checker({"date": date, "assessment": assessment, "text": text})
    day = c.date("date", required=True)
    assessment = c.choice("assessment", CheckInAssessment)
    note = c.text("text", max_len=MAX_TEXT)
    if assessment and assessment != CheckInAssessment.GOOD.value and not note and not c.failed("text"):
        c.error("text", "note_required")
    with session_scope(engine) as session:
        group = require_group_access(session, scope, group_id)
        if c.errors:
            raise ValidationFailed(c.errors)
        if group.archived:
            raise ValidationFailed([FieldError("archived", "archived")])
        check_in = ProgressNote(
            group_id=group.id,
            date=day,
            assessment=assessment,
            text=note,
            author=scope.username,
            created_at=now_utc(),
        )
        session.add(check_in)
        session.flush()
        event = audit.record(
            session,
            scope.username,
            "create",
            record=check_in,
            after={"group": group.code, "date": day, "assessment": assessment, "text": note},
        )
        event.record_code = group.code
        return check_in.id
