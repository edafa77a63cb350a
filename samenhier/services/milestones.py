"""Writes of the milestones (issue 19): check off and undo on a group's page; add, rename, move and retire
a variant's milestones in Beheer.

Check-offs: a community builder on the groups they guide, a coordinator on the groups of their reach
(:func:`~samenhier.services.common.require_group_access`, checked first). Editing a variant's list is for
national coordinators (:meth:`~samenhier.scope.Scope.require_national`): the list is the programme's,
shared by every municipality. Each function is one user action: all field errors at once, one short
transaction, a version check, an audit event. Nothing is ever deleted: an undo clears the check-off
(the audit trail keeps who checked it and when), a milestone is retired, not removed, and its past
check-offs stay.

Validation codes (``validation.<code>``): ``required``, ``future_date``, ``too_long``, ``choice`` (an
unknown variant, or a milestone that is not on the group's current list), ``milestone_name_taken``,
``milestone_offset`` (outside ±730 days), ``milestone_done`` (already checked off),
``milestone_not_done`` (nothing to undo), ``archived`` (the group is archived).

Changing the list shows its effect before it is saved (issue 19, item 3): a new milestone, or a new due
offset, that would be overdue at once for running groups raises
:class:`~samenhier.services.meetings.ConfirmationNeeded` (``milestone_effect``: "3 groepen krijgen een
nieuwe to-do"); the page asks, and calls again with ``confirm_effect=True``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from samenhier.clock import now_utc, today
from samenhier.db import session_scope
from samenhier.fields import MAX_NAME
from samenhier.milestones import MAX_OFFSET_DAYS
from samenhier.models import Match, MatchStatus, Milestone, MilestoneCheck, Variant, WelcomeGroup
from samenhier.scope import AccessDenied, Scope
from samenhier.services import audit
from samenhier.services.common import (
    FieldError,
    ValidationFailed,
    VersionConflict,
    check_version,
    require_group_access,
)
from samenhier.services.meetings import ConfirmationNeeded
from samenhier.services.record_checks import Checker
from samenhier.services.record_engine import Saved


def _conflict(current: Any) -> VersionConflict:
    return VersionConflict(current.model_dump() if current is not None else {}, {})


def check_off_milestone(
    engine: Engine,
    scope: Scope,
    *,
    group_id: int,
    milestone_id: int,
    done_date: dt.date | None,
    expected_version: int | None,
) -> Saved:
    """Check off ``milestone_id`` for ``group_id``, done on ``done_date`` (not in the future), by the user.

    ``expected_version``: the version of the group's check-off row as the page showed it (None when it
    showed none, i.e. never checked). Returns the check-off (``code``: the group's code).

    Raises:
        AccessDenied: not the user's group (or no such group). VersionConflict: someone checked or
        undid it since. ValidationFailed: ``required``, ``future_date``, ``choice`` (not a milestone of
        the group's variant, or retired), ``milestone_done``, ``archived``.
    """
    c = Checker({"done_date": done_date})
    day = c.date("done_date", required=True)
    with session_scope(engine) as session:
        group = require_group_access(session, scope, group_id)
        milestone = session.get(Milestone, milestone_id)
        if milestone is None or milestone.variant != group.variant or milestone.retired:
            c.error("milestone", "choice")
        if group.archived:
            c.error("archived", "archived")
        if c.errors:
            raise ValidationFailed(c.errors)
        check = session.exec(
            select(MilestoneCheck).where(
                MilestoneCheck.group_id == group.id, MilestoneCheck.milestone_id == milestone.id
            )
        ).first()
        if (
            check is None
            and expected_version is not None
            or check is not None
            and check.version != expected_version
        ):
            raise _conflict(check)
        if check is not None and check.done_date is not None:
            raise ValidationFailed([FieldError("milestone", "milestone_done")])
        if check is None:
            check = MilestoneCheck(group_id=group.id, milestone_id=milestone.id)
        else:
            check.version += 1
        check.done_date, check.checked_by, check.checked_at = day, scope.username, now_utc()
        session.add(check)
        session.flush()
        event = audit.record(
            session,
            scope.username,
            "milestone_check",
            record=check,
            before={"milestone": milestone.name, "done_date": None},
            after={"milestone": milestone.name, "done_date": day},
        )
        event.record_code = group.code
        return Saved(id=check.id, code=group.code, version=check.version)


def undo_milestone_check(engine: Engine, scope: Scope, *, check_id: int, expected_version: int) -> Saved:
    """Undo a check-off (a mistake, or the step has to be done again): the milestone is open again. The
    row stays with a new version; the audit trail keeps who checked it, when, and who undid it.

    Raises:
        AccessDenied: the check-off's group is not the user's (or no such check-off). VersionConflict.
        ValidationFailed: ``milestone_not_done``, ``archived``.
    """
    with session_scope(engine) as session:
        check = session.get(MilestoneCheck, check_id)
        if check is None:
            raise AccessDenied(f"check-off {check_id} is not accessible to {scope.username}")
        group = require_group_access(session, scope, check.group_id)
        check_version(check, expected_version)
        if group.archived:
            raise ValidationFailed([FieldError("archived", "archived")])
        if check.done_date is None:
            raise ValidationFailed([FieldError("milestone", "milestone_not_done")])
        milestone = session.get(Milestone, check.milestone_id)
        before = {"milestone": milestone.name, "done_date": check.done_date, "checked_by": check.checked_by}
        check.done_date = check.checked_by = check.checked_at = None
        check.version += 1
        session.add(check)
        event = audit.record(
            session,
            scope.username,
            "milestone_undo",
            record=check,
            before=before,
            after={"milestone": milestone.name, "done_date": None, "checked_by": None},
        )
        event.record_code = group.code
        return Saved(id=check.id, code=group.code, version=check.version)


def _validate(
    session: Session, c: Checker, variant: str | None, *, milestone_id: int | None
) -> tuple[str, int | None]:
    name = c.text("name", required=True, max_len=MAX_NAME)
    offset = c.values.get("due_offset_days")
    if offset is None or offset == "":
        c.error("due_offset_days", "required")
    else:
        try:
            offset = int(offset)
        except (TypeError, ValueError):
            c.error("due_offset_days", "milestone_offset", max=MAX_OFFSET_DAYS)
        else:
            if not -MAX_OFFSET_DAYS <= offset <= MAX_OFFSET_DAYS:
                c.error("due_offset_days", "milestone_offset", max=MAX_OFFSET_DAYS)
    if name and variant and not c.failed("name"):
        taken = session.exec(
            select(Milestone.id).where(
                Milestone.variant == variant,
                Milestone.retired.is_(False),
                func.lower(Milestone.name) == name.lower(),
                Milestone.id != (milestone_id or -1),
            )
        ).first()
        if taken is not None:
            c.error("name", "milestone_name_taken", name=name)
    return name, None if c.failed("due_offset_days") else offset


def new_todo_groups(
    session: Session,
    variant: str,
    offset: int,
    *,
    milestone_id: int | None = None,
    old_offset: int | None = None,
) -> list[str]:
    """The codes (sorted) of the groups that would get a new ``milestones_overdue`` item if ``variant`` had
    a milestone due ``offset`` days after the start: groups (not archived) of the variant with a running
    match whose due date (start + ``offset``) lies before today, that have not checked it off, and for
    which it was not overdue already (with ``old_offset``, the milestone's offset before the change)."""
    now = today()
    rows = session.exec(
        select(WelcomeGroup.id, Match.started_date, WelcomeGroup.code)
        .join(Match, Match.group_id == WelcomeGroup.id)
        .where(
            WelcomeGroup.variant == variant,
            WelcomeGroup.archived.is_(False),
            Match.status == MatchStatus.ACTIVE.value,
            Match.started_date.is_not(None),
        )
    ).all()
    done: set[int] = set()
    if milestone_id is not None:
        done = set(
            session.exec(
                select(MilestoneCheck.group_id).where(
                    MilestoneCheck.milestone_id == milestone_id, MilestoneCheck.done_date.is_not(None)
                )
            ).all()
        )

    def late(start: dt.date, days: int | None) -> bool:
        return days is not None and start + dt.timedelta(days=days) < now

    return sorted(
        {
            code
            for group, start, code in rows
            if group not in done and late(start, offset) and not late(start, old_offset)
        }
    )


def _effect(session: Session, variant: str, offset: int | None, confirmed: bool, **kwargs: Any) -> None:
    if confirmed or offset is None:
        return
    codes = new_todo_groups(session, variant, offset, **kwargs)
    if codes:
        # the groups by code (the first five): a coordinator should see which groups a change reaches
        named = ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")
        raise ConfirmationNeeded(
            [FieldError("due_offset_days", "milestone_effect", {"n": len(codes), "groups": named})]
        )


def add_milestone(
    engine: Engine,
    scope: Scope,
    *,
    variant: str | None,
    name: str | None,
    due_offset_days: int | None,
    confirm_effect: bool = False,
) -> Saved:
    """Add a milestone at the end of ``variant``'s list, due ``due_offset_days`` after the start (negative: before).
    When it would be overdue at once for running groups, nothing is written until ``confirm_effect``.

    Raises:
        AccessDenied: not a national coordinator. ValidationFailed: ``required``, ``choice`` (variant),
        ``too_long``, ``milestone_name_taken`` (a milestone of that name is on the list),
        ``milestone_offset``. ConfirmationNeeded: ``milestone_effect`` (see :func:`new_todo_groups`).
    """
    scope.require_national()
    c = Checker({"variant": variant, "name": name, "due_offset_days": due_offset_days})
    variant = c.choice("variant", Variant)
    with session_scope(engine) as session:
        name, offset = _validate(session, c, variant, milestone_id=None)
        if c.errors:
            raise ValidationFailed(c.errors)
        _effect(session, variant, offset, confirm_effect)
        last = session.exec(select(func.max(Milestone.position)).where(Milestone.variant == variant)).one()
        milestone = Milestone(variant=variant, name=name, due_offset_days=offset, position=(last or 0) + 1)
        session.add(milestone)
        session.flush()
        event = audit.record(
            session,
            scope.username,
            "create",
            record=milestone,
            after={"variant": variant, "name": name, "due_offset_days": offset},
        )
        event.record_code = name
        return Saved(id=milestone.id, code=name, version=milestone.version)


def update_milestone(
    engine: Engine,
    scope: Scope,
    *,
    milestone_id: int,
    expected_version: int,
    name: str | None,
    due_offset_days: int | None,
    confirm_effect: bool = False,
) -> Saved:
    """Rename a milestone and/or change its due offset. Check-offs stay (they refer to the milestone,
    whatever it is called); a new offset moves the due dates of every group of the variant, and when
    that makes it overdue for running groups nothing is written until ``confirm_effect``.

    Raises:
        AccessDenied: not a national coordinator, or no such milestone. VersionConflict.
        ValidationFailed: as :func:`add_milestone`; ``archived`` for a retired milestone.
        ConfirmationNeeded: ``milestone_effect``.
    """
    scope.require_national()
    with session_scope(engine) as session:
        milestone = session.get(Milestone, milestone_id)
        if milestone is None:
            raise AccessDenied(f"milestone {milestone_id} does not exist")
        check_version(milestone, expected_version)
        c = Checker({"name": name, "due_offset_days": due_offset_days})
        name, offset = _validate(session, c, milestone.variant, milestone_id=milestone.id)
        if milestone.retired:
            c.error("archived", "archived")
        if c.errors:
            raise ValidationFailed(c.errors)
        _effect(
            session,
            milestone.variant,
            offset,
            confirm_effect,
            milestone_id=milestone.id,
            old_offset=milestone.due_offset_days,
        )
        before = {"name": milestone.name, "due_offset_days": milestone.due_offset_days}
        milestone.name, milestone.due_offset_days = name, offset
        milestone.version += 1
        session.add(milestone)
        event = audit.record(
            session,
            scope.username,
            "update",
            record=milestone,
            before=before,
            after={"name": name, "due_offset_days": offset},
        )
        event.record_code = name
        return Saved(id=milestone.id, code=name, version=milestone.version)


def _set_retired(
    engine: Engine,
    scope: Scope,
    milestone_id: int,
    expected_version: int,
    retired: bool,
    confirm_effect: bool = False,
) -> Saved:
    scope.require_national()
    with session_scope(engine) as session:
        milestone = session.get(Milestone, milestone_id)
        if milestone is None:
            raise AccessDenied(f"milestone {milestone_id} does not exist")
        check_version(milestone, expected_version)
        if not retired:
            c = Checker({"name": milestone.name, "due_offset_days": milestone.due_offset_days})
            _validate(
                session, c, milestone.variant, milestone_id=milestone.id
            )  # its name may be in use again
            if c.errors:
                raise ValidationFailed(c.errors)
            _effect(
                session,
                milestone.variant,
                milestone.due_offset_days,
                confirm_effect,
                milestone_id=milestone.id,
            )
        milestone.retired = retired
        milestone.version += 1
        session.add(milestone)
        event = audit.record(
            session,
            scope.username,
            "archive" if retired else "restore",
            record=milestone,
            before={"retired": not retired},
            after={"retired": retired},
        )
        event.record_code = milestone.name
        return Saved(id=milestone.id, code=milestone.name, version=milestone.version)


def retire_milestone(engine: Engine, scope: Scope, *, milestone_id: int, expected_version: int) -> Saved:
    """Take a milestone off its variant's list: no group sees it as a step to do or gets a to-do for it
    any more; groups that checked it off keep their check-off (shown under "earlier").

    Raises:
        AccessDenied: not a national coordinator, or no such milestone. VersionConflict.
    """
    return _set_retired(engine, scope, milestone_id, expected_version, True)


def reinstate_milestone(
    engine: Engine, scope: Scope, *, milestone_id: int, expected_version: int, confirm_effect: bool = False
) -> Saved:
    """Put a retired milestone back on its variant's list (its past check-offs count again); when it is
    overdue at once for running groups that never checked it off, nothing is written until ``confirm_effect``.

    Raises:
        AccessDenied: not a national coordinator, or no such milestone. VersionConflict.
        ValidationFailed: ``milestone_name_taken`` (another milestone of that name is on the list now).
        ConfirmationNeeded: ``milestone_effect``.
    """
    return _set_retired(engine, scope, milestone_id, expected_version, False, confirm_effect)
