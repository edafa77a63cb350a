"""Writes of the match workflow: propose, accept, decline, end. One function per user action.

Each call checks access first, validates every field (all problems at once, :class:`ValidationFailed`
with i18n keys ``validation.<code>``; nothing written), writes in one short transaction with an audit
event per changed record, and bumps ``version`` of every record it changes with a conditional
``UPDATE`` (:func:`_claim`), so that simultaneous writers get :class:`VersionConflict` rather than a
lost update. A proposal also bumps the newcomer's and the group's version (it changes their running
matches), which is how two simultaneous proposals for one newcomer cannot both succeed.

Who may do what:

- **propose**: coordinators only. Choosing a newcomer needs the waiting queue, which only a
  coordinator sees (see :mod:`samenhier.queries.matching`).
- **accept, decline, end**: a coordinator, or the community builder of the match's group (they hear
  from the group and the household whether it works). Another group's match is refused with
  :class:`~samenhier.scope.AccessDenied`, the same answer as for a match that does not exist.

Status changes (the state machine is :data:`samenhier.matching.MATCH_TRANSITIONS`):

=========  ====================  =====================  =================================
action     match                 newcomer               group
=========  ====================  =====================  =================================
propose    → ``voorgesteld``     stays ``wacht``        stays (``wacht op match``/``actief``)
accept     → ``actief``          → ``gematcht``         → ``actief``
decline    → ``afgewezen``       stays ``wacht``        stays (back in the queue)
end        → ``afgerond``/       stays ``gematcht``     → ``group_status`` (default: the same
           ``gestopt``                                  word as the outcome), unless another
                                                        match of the group is still ``actief``
=========  ====================  =====================  =================================

Rules checked (field → code):

- a newcomer has at most one running (proposed or active) match (``newcomer`` → ``match_newcomer_busy``)
  and must be waiting (``match_newcomer_not_waiting``);
- a group has at most one running match unless the coordinator confirms a second
  (``confirm_second`` → ``match_group_busy``; never more than two: ``match_group_full``) and must be
  waiting for a match, or ``actief`` for a confirmed second (``group`` → ``match_group_not_waiting``);
- newcomer and group live in the same municipality (``group`` → ``match_municipality``);
- a newcomer past their eligibility end (three years in NL) on the proposal date needs an explicit
  confirmation (``confirm_past_eligibility`` → ``match_past_eligibility``): the coordinator decides;
- dates are not in the future (``match_date_future``) and in order: proposal on/after the newcomer's
  registration (``match_date_before_registration``) and the group's training
  (``match_date_before_training``); start, decline and end on/after the proposal, end on/after the
  start (``match_date_order``);
- a reason is required to decline or to stop early (``reason`` → ``match_reason_required``), at most
  :data:`MAX_REASON_LENGTH` characters (``match_reason_too_long``);
- the match's status allows the step (``status`` → ``match_transition``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from samenhier.clock import today
from samenhier.db import session_scope
from samenhier.io.rows import clean_text
from samenhier.matching import MAX_RUNNING_PER_GROUP, RUNNING_STATUSES, can_change_match_status
from samenhier.models import GroupStatus, Match, MatchStatus, Newcomer, NewcomerStatus, WelcomeGroup
from samenhier.rules import can_change_group_status, eligibility_end
from samenhier.scope import AccessDenied, Scope
from samenhier.services import audit
from samenhier.services.common import (
    FieldError,
    ValidationFailed,
    VersionConflict,
    check_version,
    record_in_reach,
    require_group_access,
    snapshot,
)
from samenhier.settings import get_settings

MAX_REASON_LENGTH = 500
COMPLETED_REASON = "jaar afgerond"
"""The reason stored for a completed year when none is given (the workbook's own words)."""
END_OUTCOMES = (MatchStatus.COMPLETED.value, MatchStatus.STOPPED.value)
GROUP_STATUSES_AFTER_END = (
    GroupStatus.COMPLETED.value,
    GroupStatus.STOPPED.value,
    GroupStatus.AWAITING_MATCH.value,
)


def _check_date(errors: list[FieldError], field: str, value: dt.date | None) -> bool:
    """Adds an error for a missing or future date; True when the date can be compared further."""
    if not isinstance(value, dt.date):
        errors.append(FieldError(field, "match_date_required"))
        return False
    if value > today():
        errors.append(FieldError(field, "match_date_future"))
        return False
    return True


def _check_reason(errors: list[FieldError], reason: str, *, required: bool) -> str:
    reason = clean_text(reason)
    if required and not reason:
        errors.append(FieldError("reason", "match_reason_required"))
    if len(reason) > MAX_REASON_LENGTH:
        errors.append(FieldError("reason", "match_reason_too_long", {"max": MAX_REASON_LENGTH}))
    return reason


def _running(
    session: Session,
    *,
    newcomer_id: int | None = None,
    group_id: int | None = None,
    exclude: int | None = None,
) -> int:
    query = select(func.count()).select_from(Match).where(Match.status.in_(RUNNING_STATUSES))
    if newcomer_id is not None:
        query = query.where(Match.newcomer_id == newcomer_id)
    if group_id is not None:
        query = query.where(Match.group_id == group_id)
    if exclude is not None:
        query = query.where(Match.id != exclude)
    return int(session.exec(query).one())


def _load_match(session: Session, scope: Scope, match_id: int) -> tuple[Match, WelcomeGroup, Newcomer]:
    """The match, its group and newcomer, if ``scope`` may act on the group (else AccessDenied)."""
    match = session.get(Match, match_id)
    if match is None:
        raise AccessDenied(f"match {match_id} is not accessible to {scope.username}")
    group = require_group_access(session, scope, match.group_id)
    newcomer = session.get(Newcomer, match.newcomer_id)
    return match, group, newcomer


def _claim(session: Session, record) -> None:
    """Raise ``record.version`` by one in the database, only if it still is the version read in this transaction.

    A conditional ``UPDATE … WHERE version = :read`` is atomic on every database: of two simultaneous
    writers of one record, the second updates no row and gets :class:`VersionConflict` instead of
    silently overwriting (or of both passing a "no running match yet" check).
    """
    model = type(record)
    result = session.execute(
        update(model)
        .where(model.id == record.id, model.version == record.version)
        .values(version=record.version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        current = session.get(model, record.id)
        raise VersionConflict(current.model_dump() if current is not None else {}, {})
    record.version += 1


def _set(session: Session, scope: Scope, record, action: str, **values) -> None:
    """Change ``values`` on ``record`` (claiming and bumping its version, see :func:`_claim`) and audit the change."""
    before = snapshot(record)
    changed = {k: v for k, v in values.items() if getattr(record, k) != v}
    if not changed:
        return
    _claim(session, record)
    for key, value in changed.items():
        setattr(record, key, value)
    session.add(record)
    audit.record(session, scope.username, action, record=record, before=before, after=snapshot(record))


def _transition(errors: list[FieldError], match: Match, new: MatchStatus) -> bool:
    if can_change_match_status(match.status, new.value):
        return True
    errors.append(FieldError("status", "match_transition"))
    return False


def propose_match(
    engine: Engine,
    scope: Scope,
    *,
    newcomer_id: int,
    group_id: int,
    proposed_date: dt.date,
    confirm_second: bool = False,
    confirm_past_eligibility: bool = False,
) -> int:
    """Propose a match of a waiting newcomer with a group (from a suggestion or by hand); returns the match id.

    Raises:
        AccessDenied: not a coordinator; or the group or newcomer does not exist.
        ValidationFailed: see the module's rules (fields ``newcomer``, ``group``, ``proposed_date``,
            ``confirm_second``, ``confirm_past_eligibility``).
    """
    scope.require_coordinator()
    with session_scope(engine) as session:
        group = require_group_access(session, scope, group_id)
        newcomer = session.get(Newcomer, newcomer_id)
        if newcomer is None or not record_in_reach(session, scope, newcomer):  # one answer for both
            raise AccessDenied(f"newcomer {newcomer_id} does not exist")
        errors: list[FieldError] = []
        if newcomer.archived or newcomer.status != NewcomerStatus.WAITING.value:
            errors.append(FieldError("newcomer", "match_newcomer_not_waiting"))
        elif _running(session, newcomer_id=newcomer.id):
            errors.append(FieldError("newcomer", "match_newcomer_busy"))
        running = _running(session, group_id=group.id)
        if group.archived or group.status not in (GroupStatus.AWAITING_MATCH.value, GroupStatus.ACTIVE.value):
            errors.append(FieldError("group", "match_group_not_waiting"))
        elif running >= MAX_RUNNING_PER_GROUP:
            errors.append(FieldError("group", "match_group_full"))
        elif (running or group.status == GroupStatus.ACTIVE.value) and not confirm_second:
            errors.append(FieldError("confirm_second", "match_group_busy"))
        if newcomer.municipality_id != group.municipality_id:
            errors.append(FieldError("group", "match_municipality"))
        if _check_date(errors, "proposed_date", proposed_date):
            if proposed_date < newcomer.registration_date:
                errors.append(FieldError("proposed_date", "match_date_before_registration"))
            if group.training_completed_date is not None and proposed_date < group.training_completed_date:
                errors.append(FieldError("proposed_date", "match_date_before_training"))
            end = eligibility_end(newcomer.arrival_date, get_settings().eligibility_years)
            if proposed_date > end and not confirm_past_eligibility:
                errors.append(FieldError("confirm_past_eligibility", "match_past_eligibility"))
        if errors:
            raise ValidationFailed(errors)
        # A proposal changes what may happen to both (their running matches): claim them, so that a
        # simultaneous second proposal for the same newcomer or group fails instead of passing the checks too.
        _claim(session, newcomer)
        _claim(session, group)
        match = Match(
            group_id=group.id,
            newcomer_id=newcomer.id,
            proposed_date=proposed_date,
            status=MatchStatus.PROPOSED.value,
        )
        session.add(match)
        session.flush()
        audit.record(session, scope.username, "match_propose", record=match, after=snapshot(match))
        return int(match.id)


def accept_match(
    engine: Engine, scope: Scope, *, match_id: int, started_date: dt.date, expected_version: int
) -> None:
    """Accept a proposal: the group year starts. Match → ``actief``, newcomer → ``gematcht``, group → ``actief``.

    Raises:
        AccessDenied: the match does not exist or its group is not the user's.
        VersionConflict: the match changed since it was shown (``expected_version``).
        ValidationFailed: wrong status (``status``), start date missing, in the future or before the
            proposal (``started_date``), newcomer no longer waiting or busy elsewhere (``newcomer``),
            group neither waiting nor active (``group``).
    """
    with session_scope(engine) as session:
        match, group, newcomer = _load_match(session, scope, match_id)
        check_version(match, expected_version)
        errors: list[FieldError] = []
        if _transition(errors, match, MatchStatus.ACTIVE):
            if newcomer.status != NewcomerStatus.WAITING.value:
                errors.append(FieldError("newcomer", "match_newcomer_not_waiting"))
            elif session.exec(
                select(func.count())
                .select_from(Match)
                .where(Match.newcomer_id == newcomer.id, Match.status == MatchStatus.ACTIVE.value)
            ).one():
                errors.append(FieldError("newcomer", "match_newcomer_busy"))
            if group.status not in (GroupStatus.AWAITING_MATCH.value, GroupStatus.ACTIVE.value):
                errors.append(FieldError("group", "match_group_not_waiting"))
        if _check_date(errors, "started_date", started_date) and started_date < match.proposed_date:
            errors.append(FieldError("started_date", "match_date_order"))
        if errors:
            raise ValidationFailed(errors)
        _set(
            session, scope, match, "match_accept", status=MatchStatus.ACTIVE.value, started_date=started_date
        )
        _set(session, scope, newcomer, "newcomer_matched", status=NewcomerStatus.MATCHED.value)
        _set(session, scope, group, "group_status", status=GroupStatus.ACTIVE.value)


def decline_match(
    engine: Engine, scope: Scope, *, match_id: int, declined_date: dt.date, reason: str, expected_version: int
) -> None:
    """Decline a proposal, with a reason: match → ``afgewezen`` (``ended_date`` = ``declined_date``,
    ``end_reason`` = ``reason``); newcomer and group are waiting again (their statuses never changed).

    Raises:
        AccessDenied, VersionConflict: as :func:`accept_match`.
        ValidationFailed: wrong status (``status``), date missing, in the future or before the proposal
            (``declined_date``), reason empty or too long (``reason``).
    """
    with session_scope(engine) as session:
        match, _group, _newcomer = _load_match(session, scope, match_id)
        check_version(match, expected_version)
        errors: list[FieldError] = []
        _transition(errors, match, MatchStatus.DECLINED)
        if _check_date(errors, "declined_date", declined_date) and declined_date < match.proposed_date:
            errors.append(FieldError("declined_date", "match_date_order"))
        reason = _check_reason(errors, reason, required=True)
        if errors:
            raise ValidationFailed(errors)
        _set(
            session,
            scope,
            match,
            "match_decline",
            status=MatchStatus.DECLINED.value,
            ended_date=declined_date,
            end_reason=reason,
        )


def end_match(
    engine: Engine,
    scope: Scope,
    *,
    match_id: int,
    outcome: str,
    ended_date: dt.date,
    reason: str = "",
    expected_version: int,
    group_status: str | None = None,
) -> None:
    """End a running match: ``outcome`` ``afgerond`` (the year completed) or ``gestopt`` (stopped early).

    The reason is required when stopped; a completed year without one gets :data:`COMPLETED_REASON`.
    The group goes to ``group_status`` (one of :data:`GROUP_STATUSES_AFTER_END`: ``afgerond``,
    ``gestopt``, or ``wacht op match`` to go on with another household; default: the outcome's word),
    unless another match of the group is still ``actief`` (a confirmed second): then it stays ``actief``.
    The newcomer stays ``gematcht``.

    Raises:
        AccessDenied, VersionConflict: as :func:`accept_match`.
        ValidationFailed: wrong status (``status``), unknown outcome (``outcome``), date missing, in the
            future or before the start (``ended_date``), reason missing or too long (``reason``),
            group status not allowed (``group_status``).
    """
    with session_scope(engine) as session:
        match, group, _newcomer = _load_match(session, scope, match_id)
        check_version(match, expected_version)
        errors: list[FieldError] = []
        if outcome not in END_OUTCOMES:
            errors.append(FieldError("outcome", "match_outcome"))
        else:
            _transition(errors, match, MatchStatus(outcome))
        if (
            _check_date(errors, "ended_date", ended_date)
            and match.started_date is not None
            and ended_date < match.started_date
        ):
            errors.append(FieldError("ended_date", "match_date_order"))
        reason = _check_reason(errors, reason, required=outcome == MatchStatus.STOPPED.value)
        next_group = group_status or (outcome if outcome in END_OUTCOMES else None)
        if group_status is not None and (
            group_status not in GROUP_STATUSES_AFTER_END
            or not can_change_group_status(GroupStatus.ACTIVE.value, group_status)
        ):
            errors.append(FieldError("group_status", "match_group_status"))
        if errors:
            raise ValidationFailed(errors)
        if outcome == MatchStatus.COMPLETED.value and not reason:
            reason = COMPLETED_REASON
        _set(
            session,
            scope,
            match,
            f"match_{'complete' if outcome == MatchStatus.COMPLETED.value else 'stop'}",
            status=outcome,
            ended_date=ended_date,
            end_reason=reason,
        )
        session.flush()
        still_active = session.exec(
            select(func.count())
            .select_from(Match)
            .where(Match.group_id == group.id, Match.status == MatchStatus.ACTIVE.value)
        ).one()
        if not still_active and group.status == GroupStatus.ACTIVE.value:
            _set(session, scope, group, "group_status", status=next_group)
