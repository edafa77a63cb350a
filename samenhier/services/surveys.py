"""Writes about surveys: entering (or replacing) one person's response in one wave.

One response per person per wave (unique in the schema): saving a response for a person and wave
that already has one replaces it — a version-checked, audited update — so a coordinator or community
builder corrects a response by entering it again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from samenhier import consistency, fields
from samenhier.db import write_engine
from samenhier.loneliness import FEEL_AT_HOME_MAX, FEEL_AT_HOME_MIN
from samenhier.models import (
    LONELINESS_ITEMS,
    Answer,
    Match,
    MatchStatus,
    Member,
    Newcomer,
    RespondentRole,
    SelfReportedChange,
    SurveyResponse,
    Wave,
)
from samenhier.scope import Scope, visible_groups
from samenhier.services import audit
from samenhier.services.common import (
    FieldError,
    ValidationFailed,
    VersionConflict,
    check_version,
    require_group_access,
    snapshot,
)

MAX_NEW_CONTACTS = fields.MAX_NEW_CONTACTS
"""Upper bound of ``new_contacts``, as in the workbook import (:class:`samenhier.io.rows.SurveyRow`)."""
WAVE_ORDER = list(Wave)


def _respondent_errors(
    session: Session, role: str, person_id: int, group_id: int, wave: str, date: dt.date | None
) -> list[FieldError]:
    """Who answered, in which wave, when (see :func:`save_survey_response`): a member or newcomer of the group
    at the survey's date, a known wave, a date given and not after today."""
    errors: list[FieldError] = []
    if role not in (RespondentRole.NEWCOMER.value, RespondentRole.MEMBER.value):
        errors.append(FieldError("person", "survey_person"))
    elif not _belongs_to_group(session, role, person_id, group_id, date):
        errors.append(FieldError("person", "survey_person"))
    if wave not in {w.value for w in Wave}:
        errors.append(FieldError("wave", "survey_wave"))
    if date is None:
        errors.append(FieldError("date", "survey_date_required"))
    else:
        try:
            fields.check_past(date)  # the shared field rule (the import applies it too)
        except fields.FieldRuleError:
            errors.append(FieldError("date", "survey_date_future"))
    return errors


def _answer_errors(
    wave: str,
    answers: Mapping[str, str | None],
    feel_at_home: int | None,
    self_reported_change: str | None,
    new_contacts: int | None,
) -> list[FieldError]:
    """The errors of the answers themselves (see :func:`save_survey_response`): allowed values, the eindmeting-only
    questions, at least one question answered.

    Raises:
        ValueError: ``answers`` names an item that is not one of the six loneliness items (a programming error).
    """
    errors: list[FieldError] = []
    unknown = set(answers) - set(LONELINESS_ITEMS)
    if unknown:
        raise ValueError(f"unknown loneliness items {sorted(unknown)}")
    for item in LONELINESS_ITEMS:
        if answers.get(item) is not None and answers[item] not in {a.value for a in Answer}:
            errors.append(FieldError(item, "survey_answer"))
    if feel_at_home is not None and (
        isinstance(feel_at_home, bool)
        or not isinstance(feel_at_home, int)
        or not FEEL_AT_HOME_MIN <= feel_at_home <= FEEL_AT_HOME_MAX
    ):
        errors.append(FieldError("feel_at_home", "survey_feel_at_home"))
    at_end = wave == Wave.END.value
    if self_reported_change is not None:
        if not at_end:
            errors.append(FieldError("self_reported_change", "survey_end_only"))
        elif self_reported_change not in {c.value for c in SelfReportedChange}:
            errors.append(FieldError("self_reported_change", "survey_change"))
    if new_contacts is not None:
        if not at_end:
            errors.append(FieldError("new_contacts", "survey_end_only"))
        elif (
            isinstance(new_contacts, bool)
            or not isinstance(new_contacts, int)
            or not 0 <= new_contacts <= MAX_NEW_CONTACTS
        ):
            errors.append(FieldError("new_contacts", "survey_new_contacts", {"maximum": MAX_NEW_CONTACTS}))
    if (
        all(answers.get(i) is None for i in LONELINESS_ITEMS)
        and feel_at_home is None
        and self_reported_change is None
        and new_contacts is None
    ):
        errors.append(FieldError("answers", "survey_empty"))
    return errors


def save_survey_response(
    engine: Engine,
    scope: Scope,
    *,
    group_id: int,
    role: str,
    person_id: int,
    wave: str,
    date: dt.date | None,
    answers: Mapping[str, str | None],
    feel_at_home: int | None = None,
    self_reported_change: str | None = None,
    new_contacts: int | None = None,
    expected_version: int | None = None,
) -> int:
    """Enter the survey response of one member or newcomer of a group in one wave; returns its id.

    ``role`` is ``nieuwkomer`` (``person_id`` a newcomer id) or ``lid`` (a member id); ``answers``
    maps the six De Jong Gierveld items (:data:`samenhier.models.LONELINESS_ITEMS`) to ``ja``, ``min
    of meer``, ``nee`` or None (not answered; a missing key is the same); ``feel_at_home`` is 1–5 or
    None; ``self_reported_change`` (``minder``/``gelijk``/``meer``) and ``new_contacts`` (0–999) belong
    to the eindmeting only. ``expected_version`` is the version of the response the form was showing
    (None when it showed none).

    If the person already has a response in this wave, it is replaced (its version bumped) and the
    audit event lists the changed fields; otherwise a response is added. Rules checked, all at once:
    the person belonged to the group at the survey's date (a member of it, or a newcomer whose group
    it then was: see :func:`_belongs_to_group`); a response this person gave in another group is only
    replaced by a user who may see that group (else AccessDenied, as for any group not theirs); the date
    is given and not after today; waves keep their order — a response is dated after this person's
    responses in earlier waves and before those in later waves (no eindmeting before the nulmeting);
    at least one question is answered; every answer is one of the allowed values.

    Raises:
        AccessDenied: the group is not the user's (checked first; nothing else is revealed).
        ValidationFailed: every invalid field (codes ``validation.survey_*``); nothing written.
        VersionConflict: the person's response in this wave changed, appeared or disappeared since the
            form was opened; nothing written.
    """
    answers = dict(answers)
    errors: list[FieldError] = []
    with Session(
        write_engine(engine), expire_on_commit=False
    ) as session:  # reads, then writes: BEGIN IMMEDIATE
        consistency.install(session)  # the store's rules, checked before the commit (as in db.session_scope)
        require_group_access(session, scope, group_id)

        errors += _respondent_errors(session, role, person_id, group_id, wave, date)

        errors += _answer_errors(wave, answers, feel_at_home, self_reported_change, new_contacts)

        person_column = (
            SurveyResponse.newcomer_id if role == RespondentRole.NEWCOMER.value else SurveyResponse.member_id
        )
        existing = None
        if not any(e.field in ("person", "wave") for e in errors):
            others = session.exec(select(SurveyResponse).where(person_column == person_id)).all()
            existing = next((r for r in others if r.wave == wave), None)
            if existing is not None and existing.group_id != group_id:
                # The answer was given in another group (a re-matched newcomer): only who may see that group
                # may replace it; anyone else gets the same answer as for any group not theirs.
                require_group_access(session, scope, existing.group_id)
            visible = set(session.execute(visible_groups(scope, include_archived=True)).scalars().all())
            others = [
                r for r in others if r.group_id in visible
            ]  # no dates of another group's answers in messages
            if date is not None:
                errors += _wave_order_errors(wave, date, [r for r in others if r.wave != wave])
        if errors:
            raise ValidationFailed(errors)

        if existing is None:
            if expected_version is not None:
                raise VersionConflict({}, {})
        else:
            if expected_version is None:
                raise VersionConflict(snapshot(existing), {})
            check_version(existing, expected_version)

        values = dict(
            group_id=group_id,
            wave=wave,
            date=date,
            feel_at_home=feel_at_home,
            self_reported_change=self_reported_change,
            new_contacts=new_contacts,
            **{item: answers.get(item) for item in LONELINESS_ITEMS},
        )
        if existing is None:
            response = SurveyResponse(
                member_id=person_id if role == RespondentRole.MEMBER.value else None,
                newcomer_id=person_id if role == RespondentRole.NEWCOMER.value else None,
                **values,
            )
            session.add(response)
            session.flush()
            audit.record(session, scope.username, "create", record=response, after=snapshot(response))
        else:
            response = existing
            before = snapshot(response)
            for field, value in values.items():
                setattr(response, field, value)
            response.version += 1
            session.add(response)
            session.flush()
            audit.record(
                session, scope.username, "update", record=response, before=before, after=snapshot(response)
            )
        try:
            session.commit()
        except IntegrityError:
            # Someone saved a response for this person and wave between our check and our write.
            session.rollback()
            raise VersionConflict({}, {}) from None
        return int(response.id)


def _belongs_to_group(
    session: Session, role: str, person_id: int, group_id: int, date: dt.date | None
) -> bool:
    """Whether the respondent belonged to ``group_id`` at ``date``: a member (not erased) of that group; a
    newcomer (not erased) whose group at that date it was — the group of their latest match (not declined)
    proposed on or before ``date``, else of their first match (an answer given just before the proposal).
    Without a date: any match (not declined) with the group."""
    if role == RespondentRole.MEMBER.value:
        member = session.get(Member, person_id)
        return member is not None and member.group_id == group_id and not member.erased
    newcomer = session.get(Newcomer, person_id)
    if newcomer is None or newcomer.erased:
        return False
    matches = session.exec(
        select(Match.group_id, Match.proposed_date)
        .where(Match.newcomer_id == person_id, Match.status != MatchStatus.DECLINED.value)
        .order_by(Match.proposed_date, Match.id)
    ).all()
    if date is None:
        return any(g == group_id for g, _ in matches)
    before = [g for g, proposed in matches if proposed <= date]
    group_at = before[-1] if before else (matches[0][0] if matches else None)
    return group_at == group_id


def _wave_order_errors(wave: str, date: dt.date, others: list[SurveyResponse]) -> list[FieldError]:
    """A response must be dated after the person's earlier waves and before their later ones."""
    position = WAVE_ORDER.index(Wave(wave))
    errors = []
    earlier = [r.date for r in others if WAVE_ORDER.index(Wave(r.wave)) < position]
    later = [r.date for r in others if WAVE_ORDER.index(Wave(r.wave)) > position]
    if earlier and date <= max(earlier):
        errors.append(FieldError("date", "survey_not_after_earlier", {"date": max(earlier)}))
    if later and date >= min(later):
        errors.append(FieldError("date", "survey_not_before_later", {"date": min(later)}))
    return errors
