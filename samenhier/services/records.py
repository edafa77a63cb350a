"""Writes of the Beheer (manage) page: create, edit, archive and delete welcome groups, members,
newcomers, community builders and user accounts (coordinators only).

Every function here is one user action (see :mod:`samenhier.services.common`): it checks access
first, validates every field and raises :class:`ValidationFailed` with all problems at once (nothing
written), writes in one short transaction (``BEGIN IMMEDIATE`` on SQLite, see
:func:`samenhier.db.session_scope`), refuses to overwrite a record that changed since the form was
opened (:class:`VersionConflict`), bumps ``version`` and adds an audit event in the same transaction.

Records are passed as ``values`` / ``changes`` mappings keyed by *form field* (the same keys the
record queries in :mod:`samenhier.queries.records` return): a municipality by its name, a community
builder by id, a member's group by id. An update takes only the fields that changed (``changes``),
so re-applying an edit after a conflict never reverts fields someone else changed meanwhile.

Validation rules (each with its ``validation.<code>`` message; the rules for single values — lengths, e-mail,
phone, codes, dates not in the future, household size, control characters — are :mod:`samenhier.fields`,
shared with the import; rules between records are :mod:`samenhier.consistency`, checked before every commit):

- ``required``; ``too_long`` (names 100, notes 2,000 characters);
- ``email`` (syntax, via *email-validator*); ``phone``: a Dutch number — country code 31 and the length
  of a Dutch mobile or fixed-line number (via *phonenumbers*), written with digits, spaces, ``+ - ( ) .``;
- ``code_format`` (letters, digits, ``. _ -``, at most 20) and ``code_taken`` (unique, case-insensitive);
  an empty code is generated: group ``<CBS number>-<NNN>`` (``0518-025``), member ``L<NNNN>``,
  newcomer ``N<NNNN>``, one more than the highest in use;
- dates in order: group ``signup_date`` ≤ ``training_completed_date`` ≤ its first match proposal
  (``training_before_signup``, ``training_after_match``); newcomer ``arrival_date`` ≤ ``permit_date``
  (``permit_before_arrival``) and ≤ ``registration_date`` (``registration_before_arrival``); dates of
  things that happened are not after today (``future_date``);
- ``household_size`` 1–15; ``choice`` (a vocabulary word or an existing record); ``municipality``;
- group status: only the changes of :data:`samenhier.rules.GROUP_TRANSITIONS` (``status_transition``,
  ``status_final``); a status after training needs a training date (``training_required``);
- ``name_taken`` (community builder), ``username_taken``, ``password_too_short``, ``builder_required``,
  ``own_account`` (a coordinator cannot demote or deactivate themself), ``last_coordinator``;
- ``archived``: an archived record is read-only until restored; ``erased``: a member or newcomer whose
  personal data was erased (:mod:`samenhier.services.privacy`) stays read-only.

Group size (``min_group_size``–``max_group_size`` members, settings) is a *warning*, not a block:
:attr:`Saved.warnings` carries a ``group_size`` :class:`FieldError` after a member change leaves a
group outside the range.

Archive instead of delete: groups, members and newcomers with history (meetings, surveys, matches,
members, check-ins) can only be archived; :func:`delete_group` & co. raise :class:`HasHistory` for them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from samenhier import fields
from samenhier.clock import now_utc
from samenhier.db import session_scope
from samenhier.io.rows import clean_text, fold_vocabulary
from samenhier.models import (
    CommunityBuilder,
    GroupStatus,
    Match,
    Meeting,
    Member,
    MemberRole,
    MilestoneCheck,
    Municipality,
    Newcomer,
    NewcomerStatus,
    ProgressNote,
    SurveyResponse,
    UserAccount,
    UserRole,
    Variant,
    WelcomeGroup,
)
from samenhier.municipalities import MUNICIPALITIES, canonical_municipality
from samenhier.rules import GROUP_TRANSITIONS, TRAINED_STATUSES
from samenhier.scope import AccessDenied, Scope
from samenhier.services import audit
from samenhier.services.common import FieldError, Label, ValidationFailed, VersionConflict, record_in_reach
from samenhier.services.sessions import revoke_user
from samenhier.services.users import (
    HASHER,
    MIN_PASSWORD_LENGTH,
    USERNAME_PATTERN,
    confusable_with,
    normalize_username,
    password_is_weak,
)
from samenhier.settings import get_settings

# The field rules themselves live in samenhier.fields (shared with the import); re-exported here for callers.
MAX_NAME = fields.MAX_NAME
MAX_TEXT = fields.MAX_TEXT
CODE_PATTERN = fields.CODE_PATTERN
is_dutch_phone_number = fields.is_dutch_phone_number


@dataclass(frozen=True)
class Saved:
    """The record as written: its id, code (or username/name), new version, and warnings (e.g. group size)."""

    id: int
    code: str
    version: int
    warnings: tuple[FieldError, ...] = ()


class HasHistory(RuntimeError):
    """A hard delete was refused: the record has history. ``history`` maps kind → count, e.g.
    ``{"meetings": 12, "surveys": 3}`` (kinds: members, matches, meetings, surveys, check_ins, groups, accounts)."""

    def __init__(self, history: dict[str, int]):
        self.history = history
        super().__init__("record has history: " + ", ".join(f"{k} {n}" for k, n in history.items()))


# --------------------------------------------------------------------------------------------- checks


class _Checker:
    """Turns raw form values into clean ones, collecting a :class:`FieldError` per invalid field."""

    def __init__(self, values: Mapping[str, Any]):
        self.values = values
        self.errors: list[FieldError] = []

    def error(self, field: str, error_code: str, /, **params: Any) -> None:
        if not any(e.field == field for e in self.errors):  # one message per field: the first problem
            self.errors.append(FieldError(field, error_code, params))

    def failed(self, field: str) -> bool:
        return any(e.field == field for e in self.errors)

    def rule(self, field: str, check, value: Any, **kwargs: Any) -> Any:
        """``check(value, **kwargs)`` (a rule of :mod:`samenhier.fields`); a broken rule becomes this field's error."""
        try:
            return check(value, **kwargs)
        except fields.FieldRuleError as broken:
            self.error(field, broken.code, **broken.params)
            return value

    def text(self, field: str, *, required: bool = False, max_len: int = MAX_NAME, multiline: bool | None = None) -> str:
        """Cleaned text; ``multiline`` (default: for free text longer than a name) allows tabs and line breaks,
        otherwise names and codes refuse bidirectional overrides too."""
        value = clean_text(self.values.get(field))
        multiline = max_len > fields.MAX_LANGUAGES if multiline is None else multiline
        if required and not value:
            self.error(field, "required")
        else:
            self.rule(field, fields.check_text, value, max_len=max_len, multiline=multiline, name=not multiline)
        return value

    def email(self, field: str) -> str | None:
        value = clean_text(self.values.get(field))
        if not value:
            return None
        return self.rule(field, fields.check_email, value)

    def phone(self, field: str) -> str | None:
        value = clean_text(self.values.get(field))
        if not value:
            return None
        return self.rule(field, fields.check_phone, value)

    def date(self, field: str, *, required: bool = False, past: bool = True) -> dt.date | None:
        """A date (``date``, ``datetime``, pandas Timestamp or ISO text); ``past``: not after today."""
        value = self.values.get(field)
        if value is None or (not isinstance(value, dt.date) and pd.isna(value)) or value == "":
            if required:
                self.error(field, "required")
            return None
        if isinstance(value, pd.Timestamp):
            value = value.date()
        elif isinstance(value, dt.datetime):
            value = value.date()
        elif isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value.strip()[:10])
            except ValueError:
                self.error(field, "date")
                return None
        if not isinstance(value, dt.date):
            self.error(field, "date")
            return None
        if past:
            self.rule(field, fields.check_past, value)
        return value

    def choice(self, field: str, allowed: type[StrEnum] | Mapping[Any, Any], *, required: bool = True) -> Any:
        value = self.values.get(field)
        if value is None or value == "":
            if required:
                self.error(field, "required")
            return None
        options = {m.value for m in allowed} if isinstance(allowed, type) else set(allowed)
        if value not in options:
            self.error(field, "choice")
            return None
        return value

    def municipality(self, field: str, *, required: bool = True) -> str | None:
        raw = clean_text(self.values.get(field))
        if not raw:
            if required:
                self.error(field, "required")
            return None
        name = canonical_municipality(raw)
        if name is None:
            self.error(field, "municipality")
        return name

    def code(self, session: Session, field: str, model: type[SQLModel], record_id: int | None) -> str:
        value = clean_text(self.values.get(field))
        if not value:
            return ""  # generated by the caller
        self.rule(field, fields.check_code, value)
        if self.failed(field):
            pass
        elif session.exec(
            select(model.id).where(func.lower(model.code) == value.lower(), model.id != (record_id or -1))
        ).first() is not None:
            self.error(field, "code_taken", code=value)
        return value


def _next_code(session: Session, column, prefix: str, width: int) -> str:
    """``prefix`` + one more than the highest number in use after it, zero-padded to ``width`` (or wider, as in use)."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    numbers = [m.group(1) for c in session.exec(select(column).where(column.like(prefix + "%"))) if (m := pattern.fullmatch(c))]
    width = max([width, *map(len, numbers)])
    return f"{prefix}{max(map(int, numbers), default=0) + 1:0{width}d}"


def _municipality_id(session: Session, name: str) -> int:
    """The id of municipality ``name`` (a canonical name), adding it from the reference list when new."""
    row = session.exec(select(Municipality).where(Municipality.name == name)).first()
    if row is None:
        row = Municipality(name=name, cbs_code=MUNICIPALITIES[name])
        session.add(row)
        session.flush()
    return row.id


def _municipality_name(session: Session, municipality_id: int | None) -> str | None:
    row = session.get(Municipality, municipality_id) if municipality_id is not None else None
    return row.name if row else None


# ------------------------------------------------------------------------------------------- entities


@dataclass(frozen=True)
class _Kind:
    """How one kind of record is read as form values, validated, audited and checked for history."""

    model: type[SQLModel]
    create_fields: frozenset[str]
    update_fields: frozenset[str]
    values: Callable[[Session, Any], dict[str, Any]]
    validate: Callable[[Session, dict[str, Any], dict[str, Any] | None, int | None], tuple[dict[str, Any], list[FieldError]]]
    history: Callable[[Session, Any], dict[str, int]] = lambda session, record: {}
    label: Callable[[Any], str] = lambda record: str(getattr(record, "code", "") or "")


def _count(session: Session, model, *where) -> int:
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


# -- welcome groups


def _group_values(session: Session, g: WelcomeGroup) -> dict[str, Any]:
    return {
        "code": g.code, "name": g.name, "municipality": _municipality_name(session, g.municipality_id), "variant": g.variant,
        "status": g.status, "community_builder_id": g.community_builder_id, "signup_date": g.signup_date,
        "training_completed_date": g.training_completed_date, "notes": g.notes, "archived": g.archived, "version": g.version,
    }


def _validate_group(session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None):
    c = _Checker(v)
    code = c.code(session, "code", WelcomeGroup, record_id) if before is None else before["code"]
    name = c.text("name", required=True)
    municipality = c.municipality("municipality")
    variant = c.choice("variant", Variant)
    status = c.choice("status", GroupStatus)
    builder_id = v.get("community_builder_id")
    if builder_id is not None:
        builder = session.get(CommunityBuilder, builder_id)
        changed = before is None or before.get("community_builder_id") != builder_id
        if builder is None or (builder.archived and changed):
            c.error("community_builder_id", "choice")
    signup = c.date("signup_date", required=True)
    training = c.date("training_completed_date")
    c.text("notes", max_len=MAX_TEXT)
    if status and before is not None and status != before["status"]:
        current = GroupStatus(before["status"])
        allowed = GROUP_TRANSITIONS[current]
        if not allowed:
            c.error("status", "status_final", current=Label("group_status", current.value))
        elif GroupStatus(status) not in allowed:
            order = list(GroupStatus)
            c.error("status", "status_transition", current=Label("group_status", current.value),
                    new=Label("group_status", status),
                    allowed=tuple(Label("group_status", s.value) for s in sorted(allowed, key=order.index)))
    if (status and not c.failed("status") and GroupStatus(status) in TRAINED_STATUSES and training is None
            and not c.failed("training_completed_date")):
        c.error("training_completed_date", "training_required", status=Label("group_status", status))
    if training and signup and training < signup:
        c.error("training_completed_date", "training_before_signup", date=signup)
    if training and record_id is not None:
        first_match = session.exec(select(func.min(Match.proposed_date)).where(Match.group_id == record_id)).one()
        if first_match is not None and training > first_match:
            c.error("training_completed_date", "training_after_match", date=first_match)
    if c.errors:
        return {}, c.errors
    clean = dict(
        name=name, municipality_id=_municipality_id(session, municipality), variant=variant, status=status,
        community_builder_id=builder_id, signup_date=signup, training_completed_date=training,
        notes=clean_text(v.get("notes")),
    )
    if before is None:
        clean["code"] = code or _next_code(session, WelcomeGroup.code, MUNICIPALITIES[municipality][2:] + "-", 3)
    return clean, []


def _group_history(session: Session, g: WelcomeGroup) -> dict[str, int]:
    counts = {
        "members": _count(session, Member, Member.group_id == g.id),
        "matches": _count(session, Match, Match.group_id == g.id),
        "meetings": _count(session, Meeting, Meeting.group_id == g.id),
        "surveys": _count(session, SurveyResponse, SurveyResponse.group_id == g.id),
        "check_ins": _count(session, ProgressNote, ProgressNote.group_id == g.id),
        "milestones": _count(session, MilestoneCheck, MilestoneCheck.group_id == g.id),
    }
    return {k: n for k, n in counts.items() if n}


GROUP_FIELDS = ("name", "municipality", "variant", "status", "community_builder_id", "signup_date", "training_completed_date", "notes")
_GROUP = _Kind(
    model=WelcomeGroup, create_fields=frozenset({"code", *GROUP_FIELDS}), update_fields=frozenset(GROUP_FIELDS),
    values=_group_values, validate=_validate_group, history=_group_history,
)


# -- members


def _member_values(session: Session, m: Member) -> dict[str, Any]:
    return {
        "code": m.code, "group_id": m.group_id, "first_name": m.first_name, "last_name": m.last_name, "email": m.email,
        "phone": m.phone, "role": m.role, "joined_date": m.joined_date, "vog_date": m.vog_date, "archived": m.archived,
        "version": m.version,
    }


def _validate_member(session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None):
    c = _Checker(v)
    code = c.code(session, "code", Member, record_id) if before is None else before["code"]
    group_id = v.get("group_id")
    if group_id is None:
        c.error("group_id", "required")
    else:
        group = session.get(WelcomeGroup, group_id)
        if group is None or (group.archived and (before is None or before["group_id"] != group_id)):
            c.error("group_id", "choice")
    first = c.text("first_name", required=True)
    last = c.text("last_name")
    email = c.email("email")
    phone = c.phone("phone")
    role = c.choice("role", MemberRole)
    joined = c.date("joined_date", required=True)
    vog = c.date("vog_date")
    if c.errors:
        return {}, c.errors
    clean = dict(group_id=group_id, first_name=first, last_name=last, email=email, phone=phone, role=role,
                 joined_date=joined, vog_date=vog)
    if before is None:
        clean["code"] = code or _next_code(session, Member.code, "L", 4)
    return clean, []


def _member_history(session: Session, m: Member) -> dict[str, int]:
    n = _count(session, SurveyResponse, SurveyResponse.member_id == m.id)
    return {"surveys": n} if n else {}


MEMBER_FIELDS = ("group_id", "first_name", "last_name", "email", "phone", "role", "joined_date", "vog_date")
_MEMBER = _Kind(
    model=Member, create_fields=frozenset({"code", *MEMBER_FIELDS}), update_fields=frozenset(MEMBER_FIELDS),
    values=_member_values, validate=_validate_member, history=_member_history,
)


# -- newcomers


def _newcomer_values(session: Session, n: Newcomer) -> dict[str, Any]:
    return {
        "code": n.code, "first_name": n.first_name, "last_name": n.last_name,
        "municipality": _municipality_name(session, n.municipality_id), "country_of_origin": n.country_of_origin,
        "languages": n.languages, "household_size": n.household_size, "arrival_date": n.arrival_date,
        "permit_date": n.permit_date, "registration_date": n.registration_date, "status": n.status, "email": n.email,
        "phone": n.phone, "archived": n.archived, "version": n.version,
    }


def _validate_newcomer(session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None):
    c = _Checker(v)
    code = c.code(session, "code", Newcomer, record_id) if before is None else before["code"]
    first = c.text("first_name", required=True)
    last = c.text("last_name")
    municipality = c.municipality("municipality")
    country = c.text("country_of_origin")
    languages = c.text("languages", max_len=200)
    size = v.get("household_size")
    if size is None or size == "":
        c.error("household_size", "required")
    else:
        try:
            size_number = float(size)
        except (TypeError, ValueError):
            size_number = float("nan")
        if not (size_number.is_integer() and fields.HOUSEHOLD_MIN <= size_number <= fields.HOUSEHOLD_MAX):
            c.error("household_size", "household_size", min=fields.HOUSEHOLD_MIN, max=fields.HOUSEHOLD_MAX)
        else:
            size = int(size_number)
    arrival = c.date("arrival_date", required=True)
    permit = c.date("permit_date")
    registration = c.date("registration_date", required=True)
    status = c.choice("status", NewcomerStatus)
    email = c.email("email")
    phone = c.phone("phone")
    if arrival and permit and permit < arrival:
        c.error("permit_date", "permit_before_arrival", date=arrival)
    if arrival and registration and registration < arrival:
        c.error("registration_date", "registration_before_arrival", date=arrival)
    if c.errors:
        return {}, c.errors
    clean = dict(
        first_name=first, last_name=last, municipality_id=_municipality_id(session, municipality), country_of_origin=country,
        languages=languages, household_size=size, arrival_date=arrival, permit_date=permit, registration_date=registration,
        status=status, email=email, phone=phone,
    )
    if before is None:
        clean["code"] = code or _next_code(session, Newcomer.code, "N", 4)
    return clean, []


def _newcomer_history(session: Session, n: Newcomer) -> dict[str, int]:
    counts = {
        "matches": _count(session, Match, Match.newcomer_id == n.id),
        "surveys": _count(session, SurveyResponse, SurveyResponse.newcomer_id == n.id),
    }
    return {k: c for k, c in counts.items() if c}


NEWCOMER_FIELDS = (
    "first_name", "last_name", "municipality", "country_of_origin", "languages", "household_size", "arrival_date",
    "permit_date", "registration_date", "status", "email", "phone",
)
_NEWCOMER = _Kind(
    model=Newcomer, create_fields=frozenset({"code", *NEWCOMER_FIELDS}), update_fields=frozenset(NEWCOMER_FIELDS),
    values=_newcomer_values, validate=_validate_newcomer, history=_newcomer_history,
)


# -- community builders


def _builder_values(session: Session, b: CommunityBuilder) -> dict[str, Any]:
    return {
        "name": b.name, "email": b.email, "municipality": _municipality_name(session, b.municipality_id),
        "languages": b.languages, "archived": b.archived, "version": b.version,
    }


def _validate_builder(session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None):
    c = _Checker(v)
    name = c.text("name", required=True)
    if name and not c.failed("name"):
        folded = fold_vocabulary(name)
        if any(fold_vocabulary(b.name) == folded for b in session.exec(select(CommunityBuilder).where(CommunityBuilder.id != (record_id or -1)))):
            c.error("name", "name_taken")
    email = c.email("email")
    municipality = c.municipality("municipality")
    languages = c.text("languages", max_len=200)
    if c.errors:
        return {}, c.errors
    return dict(name=name, email=email, municipality_id=_municipality_id(session, municipality), languages=languages), []


def _builder_history(session: Session, b: CommunityBuilder) -> dict[str, int]:
    counts = {
        "groups": _count(session, WelcomeGroup, WelcomeGroup.community_builder_id == b.id),
        "accounts": _count(session, UserAccount, UserAccount.community_builder_id == b.id),
    }
    return {k: n for k, n in counts.items() if n}


BUILDER_FIELDS = ("name", "email", "municipality", "languages")
_BUILDER = _Kind(
    model=CommunityBuilder, create_fields=frozenset(BUILDER_FIELDS), update_fields=frozenset(BUILDER_FIELDS),
    values=_builder_values, validate=_validate_builder, history=_builder_history, label=lambda b: b.name,
)


# -- user accounts (no delete: an account is deactivated; its name stays in the audit trail)


def _user_values(session: Session, u: UserAccount) -> dict[str, Any]:
    return {"username": u.username, "role": u.role, "community_builder_id": u.community_builder_id,
            "municipalities": sorted(m.name for m in u.municipalities), "active": u.active,
            "email": u.email, "weekly_digest": u.weekly_digest, "language": u.language, "version": u.version}


def _active_coordinators(session: Session, *, other_than: int | None) -> int:
    return _count(session, UserAccount, UserAccount.role == UserRole.COORDINATOR.value, UserAccount.active.is_(True),
                  UserAccount.id != (other_than or -1))


def _user_validator(scope: Scope):
    def validate(session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None):
        c = _Checker(v)
        username = before["username"] if before else c.text("username", required=True, max_len=80)
        if before is None and username and not c.failed("username"):
            username = normalize_username(username)
            taken = session.exec(select(UserAccount.id).where(func.lower(UserAccount.username) == username.lower())).first()
            if taken is not None:
                c.error("username", "username_taken")
            elif not USERNAME_PATTERN.fullmatch(username):
                c.error("username", "username_invalid")
            elif confusable_with(username, session.exec(select(UserAccount.username)).all()):
                c.error("username", "username_confusable")
        if before is None and len(v.get("password") or "") < MIN_PASSWORD_LENGTH:
            c.error("password", "password_too_short", n=MIN_PASSWORD_LENGTH)
        elif before is None and password_is_weak(v["password"], username or ""):
            c.error("password", "password_weak")
        role = c.choice("role", UserRole)
        builder_id = v.get("community_builder_id") if role == UserRole.COMMUNITY_BUILDER.value else None
        if role == UserRole.COMMUNITY_BUILDER.value:
            builder = session.get(CommunityBuilder, builder_id) if builder_id is not None else None
            if builder_id is None:
                c.error("community_builder_id", "builder_required")
            elif builder is None or (builder.archived and (before is None or before["community_builder_id"] != builder_id)):
                c.error("community_builder_id", "choice")
        municipalities = _account_municipalities(session, scope, c, v, before, role)
        active = bool(v.get("active", True))
        email = c.email("email")
        if email is None and before is None and role == UserRole.COMMUNITY_BUILDER.value and not c.failed("community_builder_id"):
            builder = session.get(CommunityBuilder, builder_id)
            email = builder.email if builder is not None else None  # the builder's address, as in the workbook
        weekly_digest = v.get("weekly_digest", True)
        if not isinstance(weekly_digest, bool):
            c.error("weekly_digest", "choice")
        language = c.choice("language", {"nl": "nl", "en": "en"}, required=False) or "nl"
        if before is not None:
            demoted = before["role"] == UserRole.COORDINATOR.value and before["active"] and (
                role != UserRole.COORDINATOR.value or not active)
            if demoted and fold_vocabulary(before["username"]) == fold_vocabulary(scope.username):
                c.error("role" if role != before["role"] else "active", "own_account")
            elif demoted and _active_coordinators(session, other_than=record_id) == 0:
                c.error("role" if role != before["role"] else "active", "last_coordinator")
        if c.errors:
            return {}, c.errors
        clean = dict(role=role, community_builder_id=builder_id, municipalities=municipalities, active=active, email=email,
                     weekly_digest=weekly_digest, language=language)
        if before is None:
            clean.update(username=username, password_hash=HASHER.hash(v["password"]), created_at=now_utc())
        return clean, []

    return validate


def _account_municipalities(session: Session, scope: Scope, c: _Checker, v: Mapping[str, Any], before: Mapping[str, Any] | None,
                            role: str | None) -> list[Municipality]:
    """The account's municipalities (a coordinator's reach; none: national). A municipality coordinator gives
    only their own, never none (that would be a national account), and cannot change their own account's."""
    names = sorted({str(n) for n in (v.get("municipalities") or ())})
    rows = [session.exec(select(Municipality).where(Municipality.name == n)).first() for n in names]
    if any(r is None for r in rows):
        c.error("municipalities", "choice")
        return []
    if names and role != UserRole.COORDINATOR.value:
        c.error("municipalities", "coordinator_only")
    elif not scope.is_national:
        own_account = before is not None and fold_vocabulary(before["username"]) == fold_vocabulary(scope.username)
        if own_account and names != list(before["municipalities"]):
            c.error("municipalities", "own_municipalities")
        elif role == UserRole.COORDINATOR.value and (not names or not set(names) <= set(scope.municipalities)):
            c.error("municipalities", "beyond_scope")
    return rows if role == UserRole.COORDINATOR.value else []


USER_FIELDS = ("role", "community_builder_id", "municipalities", "active", "email", "weekly_digest", "language")
ACCOUNT_SETTINGS_FIELDS = ("email", "weekly_digest", "language")
"""What an account holder may change on their own account (:func:`update_account_settings`)."""


def _user_kind(scope: Scope) -> _Kind:
    return _Kind(
        model=UserAccount, create_fields=frozenset({"username", "password", *USER_FIELDS}),
        update_fields=frozenset(USER_FIELDS), values=_user_values, validate=_user_validator(scope),
        label=lambda u: u.username,
    )


# ------------------------------------------------------------------------------------ generic flows


def _readable(session: Session, values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Form values for the audit trail: ids of related records replaced by their name or code."""
    if values is None:
        return None
    out = {k: v for k, v in values.items() if k != "version"}
    if "community_builder_id" in out:
        builder = session.get(CommunityBuilder, out.pop("community_builder_id")) if out.get("community_builder_id") else None
        out["community_builder"] = builder.name if builder else None
    if "group_id" in out:
        group = session.get(WelcomeGroup, out.pop("group_id")) if out.get("group_id") else None
        out["group"] = group.code if group else None
    return out


def _audit(session: Session, scope: Scope, kind: _Kind, action: str, record: Any, **kwargs: Any) -> None:
    """An audit event for ``record``, named by its code, username or name (see :func:`audit.record`)."""
    event = audit.record(session, scope.username, action, record=record, **kwargs)
    event.record_code = event.record_code or kind.label(record)


def _coordinator_only(scope: Scope) -> Callable[[Session, Any], None]:
    """The access check of every record action: a coordinator, and for a municipality coordinator a record
    of their municipalities (called with the record as stored, and again with the record as it would be
    saved, so a record cannot be moved or created outside their reach either)."""
    def check(session: Session, record: Any) -> None:
        scope.require_coordinator()
        if record is not None and not scope.is_national and not record_in_reach(session, scope, record):
            raise AccessDenied(f"{record.__tablename__} {record.id} is outside {scope.username}'s municipalities")

    return check


def _check_fields(given: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(given) - allowed
    if unknown:
        raise TypeError(f"unknown or read-only fields: {', '.join(sorted(unknown))}")


def _conflict_if_changed(record: Any, before: dict[str, Any], expected_version: int, original: Mapping[str, Any] | None) -> None:
    if record.version != expected_version:
        changed = {k: (v, before.get(k)) for k, v in (original or {}).items() if k in before and k != "version" and before.get(k) != v}
        raise VersionConflict(before, changed)


def _group_size_warnings(session: Session, group_ids: set[int | None]) -> tuple[FieldError, ...]:
    """A ``group_size`` warning for each group whose active members fall outside the settings' range."""
    settings = get_settings()
    warnings = []
    for group_id in sorted(g for g in group_ids if g is not None):
        group = session.get(WelcomeGroup, group_id)
        n = _count(session, Member, Member.group_id == group_id, Member.archived.is_(False))
        if group is not None and not settings.min_group_size <= n <= settings.max_group_size:
            warnings.append(FieldError("group_id", "group_size", {"code": group.code, "n": n, "min": settings.min_group_size,
                                                                  "max": settings.max_group_size}))
    return tuple(warnings)


def _flush_unique(session: Session, field: str, code: str, value: str) -> None:
    """Flush; a unique constraint that another writer won meanwhile becomes a field error."""
    try:
        session.flush()
    except IntegrityError as exc:
        if "UNIQUE" in str(exc.orig).upper() or "unique" in str(exc.orig):
            raise ValidationFailed([FieldError(field, code, {"code": value})]) from exc
        raise


def _create(engine: Engine, scope: Scope, kind: _Kind, values: Mapping[str, Any], *, authorize) -> Saved:
    _check_fields(values, kind.create_fields)
    with session_scope(engine) as session:
        authorize(session, None)
        clean, errors = kind.validate(session, dict(values), None, None)
        if errors:
            raise ValidationFailed(errors)
        record = kind.model(**clean)
        authorize(session, record)
        session.add(record)
        unique_field = "code" if "code" in clean else ("username" if "username" in clean else "name")
        _flush_unique(session, unique_field, "code_taken" if unique_field == "code" else f"{unique_field}_taken",
                      str(clean.get(unique_field, "")))
        after = kind.values(session, record)
        _audit(session, scope, kind, "create", record, after=_readable(session, after))
        warnings = _group_size_warnings(session, {clean.get("group_id")}) if kind.model is Member else ()
        return Saved(record.id, kind.label(record), record.version, warnings)


def _load(session: Session, kind: _Kind, record_id: int, authorize) -> Any:
    record = session.get(kind.model, record_id, with_for_update=True)
    if record is None:
        raise AccessDenied(f"{kind.model.__tablename__} {record_id} does not exist")
    authorize(session, record)
    return record


def _update(
    engine: Engine, scope: Scope, kind: _Kind, record_id: int, expected_version: int, changes: Mapping[str, Any],
    original: Mapping[str, Any] | None, *, authorize, action: str | None = None, allowed: frozenset[str] | None = None,
    extra: Callable[[Any], None] | None = None,
) -> Saved:
    _check_fields(changes, allowed or kind.update_fields)
    with session_scope(engine) as session:
        record = _load(session, kind, record_id, authorize)
        before = kind.values(session, record)
        _conflict_if_changed(record, before, expected_version, original)
        if getattr(record, "archived", False):
            raise ValidationFailed([FieldError("archived", "archived")])
        if getattr(record, "erased", False):  # erased on request (services/privacy.py): its names stay gone
            raise ValidationFailed([FieldError("erased", "erased")])
        clean, errors = kind.validate(session, {**before, **changes}, before, record.id)
        if errors:
            raise ValidationFailed(errors)
        changed = {k: v for k, v in clean.items() if getattr(record, k) != v}
        if not changed and extra is None:
            return Saved(record.id, kind.label(record), record.version)
        for k, v in changed.items():
            setattr(record, k, v)
        authorize(session, record)  # not moved out of the user's reach
        if extra is not None:
            extra(record)
        record.version += 1
        session.flush()
        after = kind.values(session, record)
        if action is None:
            action = "status_change" if set(changed) == {"status"} else "update"
        _audit(session, scope, kind, action, record, before=_readable(session, before), after=_readable(session, after))
        warnings = ()
        if kind.model is Member and "group_id" in changed:
            warnings = _group_size_warnings(session, {before["group_id"], record.group_id})
        return Saved(record.id, kind.label(record), record.version, warnings)


def _set_archived(engine: Engine, scope: Scope, kind: _Kind, record_id: int, expected_version: int, archived: bool) -> Saved:
    with session_scope(engine) as session:
        record = _load(session, kind, record_id, _coordinator_only(scope))
        before = kind.values(session, record)
        _conflict_if_changed(record, before, expected_version, None)
        if record.archived == archived:
            return Saved(record.id, kind.label(record), record.version)
        record.archived = archived
        record.version += 1
        _audit(session, scope, kind, "archive" if archived else "restore", record,
               changes={"archived": [not archived, archived]})
        session.flush()
        warnings = _group_size_warnings(session, {record.group_id}) if kind.model is Member else ()
        return Saved(record.id, kind.label(record), record.version, warnings)


def _delete(engine: Engine, scope: Scope, kind: _Kind, record_id: int, expected_version: int) -> tuple[FieldError, ...]:
    with session_scope(engine) as session:
        record = _load(session, kind, record_id, _coordinator_only(scope))
        before = kind.values(session, record)
        _conflict_if_changed(record, before, expected_version, None)
        history = kind.history(session, record)
        if history:
            raise HasHistory(history)
        _audit(session, scope, kind, "delete", record, before=_readable(session, before), after=None)
        group_id = getattr(record, "group_id", None)
        session.delete(record)
        session.flush()
        return _group_size_warnings(session, {group_id}) if kind.model is Member else ()


def record_history(engine: Engine, scope: Scope, *, table: str, record_id: int) -> dict[str, int]:
    """What keeps a record from being deleted: kind → count (empty: it may be deleted). Coordinators only.

    ``table``: ``welcome_group``, ``member``, ``newcomer`` or ``community_builder``.

    Raises:
        AccessDenied: not a coordinator, or no such record.
    """
    scope.require_coordinator()
    kind = _KINDS[table]
    with Session(engine) as session:
        record = session.get(kind.model, record_id)
        if record is None:
            raise AccessDenied(f"{table} {record_id} does not exist")
        _coordinator_only(scope)(session, record)
        return kind.history(session, record)


_KINDS = {"welcome_group": _GROUP, "member": _MEMBER, "newcomer": _NEWCOMER, "community_builder": _BUILDER}
_VALUES = {WelcomeGroup: _group_values, Member: _member_values, Newcomer: _newcomer_values,
           CommunityBuilder: _builder_values, UserAccount: _user_values}


def form_values(session: Session, record: SQLModel) -> dict[str, Any]:
    """A record's values as its form and the update functions name them (see the module docstring)."""
    return _VALUES[type(record)](session, record)


# ------------------------------------------------------------------------------------- public actions


def create_group(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a welcome group. ``values``: ``code`` (empty: generated), ``name``, ``municipality`` (name),
    ``variant``, ``status`` (any, it is entered as it is), ``community_builder_id`` (or None),
    ``signup_date``, ``training_completed_date`` (or None), ``notes``.

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return _create(engine, scope, _GROUP, values, authorize=_coordinator_only(scope))


def update_group(engine: Engine, scope: Scope, *, group_id: int, expected_version: int, changes: Mapping[str, Any],
                 original: Mapping[str, Any] | None = None) -> Saved:
    """Change a group's fields (those of :func:`create_group` except ``code``, which is stable).

    ``expected_version`` is the version the form was opened with, ``original`` its values then (to
    name what changed meanwhile in a conflict). A change of ``status`` alone is audited as ``status_change``.

    Raises:
        AccessDenied: not a coordinator or no such group. VersionConflict: the group changed since
        ``expected_version``. ValidationFailed: see the module's rules (also for an archived group).
    """
    return _update(engine, scope, _GROUP, group_id, expected_version, changes, original, authorize=_coordinator_only(scope))


def archive_group(engine: Engine, scope: Scope, *, group_id: int, expected_version: int) -> Saved:
    """Archive a group: hidden from lists and figures, kept with its history. Raises as :func:`update_group`."""
    return _set_archived(engine, scope, _GROUP, group_id, expected_version, True)


def restore_group(engine: Engine, scope: Scope, *, group_id: int, expected_version: int) -> Saved:
    """Undo :func:`archive_group`."""
    return _set_archived(engine, scope, _GROUP, group_id, expected_version, False)


def delete_group(engine: Engine, scope: Scope, *, group_id: int, expected_version: int) -> None:
    """Delete a group that has no history (no members, matches, meetings, surveys or check-ins).

    Raises:
        HasHistory: it has history (archive it instead); nothing deleted. AccessDenied, VersionConflict.
    """
    _delete(engine, scope, _GROUP, group_id, expected_version)


def create_member(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a member. ``values``: ``code`` (empty: generated), ``group_id``, ``first_name``, ``last_name``,
    ``email``, ``phone``, ``role``, ``joined_date``, ``vog_date`` (or None).

    :attr:`Saved.warnings` has a ``group_size`` warning when the group is now outside the size range.

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return _create(engine, scope, _MEMBER, values, authorize=_coordinator_only(scope))


def update_member(engine: Engine, scope: Scope, *, member_id: int, expected_version: int, changes: Mapping[str, Any],
                  original: Mapping[str, Any] | None = None) -> Saved:
    """Change a member's fields (as :func:`create_member`, not ``code``); moving to another group
    (``group_id``) warns about both groups' sizes. Raises as :func:`update_group`."""
    return _update(engine, scope, _MEMBER, member_id, expected_version, changes, original, authorize=_coordinator_only(scope))


def archive_member(engine: Engine, scope: Scope, *, member_id: int, expected_version: int) -> Saved:
    """Archive a member (left the group); warns when the group becomes too small."""
    return _set_archived(engine, scope, _MEMBER, member_id, expected_version, True)


def restore_member(engine: Engine, scope: Scope, *, member_id: int, expected_version: int) -> Saved:
    """Undo :func:`archive_member`."""
    return _set_archived(engine, scope, _MEMBER, member_id, expected_version, False)


def delete_member(engine: Engine, scope: Scope, *, member_id: int, expected_version: int) -> tuple[FieldError, ...]:
    """Delete a member without survey responses; returns group-size warnings.

    Raises:
        HasHistory: the member answered surveys (archive instead). AccessDenied, VersionConflict.
    """
    return _delete(engine, scope, _MEMBER, member_id, expected_version)


def create_newcomer(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a newcomer (statushouder). ``values``: ``code`` (empty: generated), ``first_name``,
    ``last_name``, ``municipality``, ``country_of_origin``, ``languages``, ``household_size`` (1–15),
    ``arrival_date``, ``permit_date`` (or None), ``registration_date``, ``status``, ``email``, ``phone``.

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return _create(engine, scope, _NEWCOMER, values, authorize=_coordinator_only(scope))


def update_newcomer(engine: Engine, scope: Scope, *, newcomer_id: int, expected_version: int, changes: Mapping[str, Any],
                    original: Mapping[str, Any] | None = None) -> Saved:
    """Change a newcomer's fields (as :func:`create_newcomer`, not ``code``). Raises as :func:`update_group`."""
    return _update(engine, scope, _NEWCOMER, newcomer_id, expected_version, changes, original, authorize=_coordinator_only(scope))


def archive_newcomer(engine: Engine, scope: Scope, *, newcomer_id: int, expected_version: int) -> Saved:
    """Archive a newcomer (kept with matches and surveys, hidden from lists)."""
    return _set_archived(engine, scope, _NEWCOMER, newcomer_id, expected_version, True)


def restore_newcomer(engine: Engine, scope: Scope, *, newcomer_id: int, expected_version: int) -> Saved:
    """Undo :func:`archive_newcomer`."""
    return _set_archived(engine, scope, _NEWCOMER, newcomer_id, expected_version, False)


def delete_newcomer(engine: Engine, scope: Scope, *, newcomer_id: int, expected_version: int) -> None:
    """Delete a newcomer without matches or surveys.

    Raises:
        HasHistory: matches or surveys exist (archive instead). AccessDenied, VersionConflict.
    """
    _delete(engine, scope, _NEWCOMER, newcomer_id, expected_version)


def create_builder(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a community builder. ``values``: ``name`` (unique), ``email``, ``municipality``, ``languages``.

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return _create(engine, scope, _BUILDER, values, authorize=_coordinator_only(scope))


def update_builder(engine: Engine, scope: Scope, *, builder_id: int, expected_version: int, changes: Mapping[str, Any],
                   original: Mapping[str, Any] | None = None) -> Saved:
    """Change a community builder's fields. Raises as :func:`update_group`."""
    return _update(engine, scope, _BUILDER, builder_id, expected_version, changes, original, authorize=_coordinator_only(scope))


def archive_builder(engine: Engine, scope: Scope, *, builder_id: int, expected_version: int) -> Saved:
    """Archive a community builder (no longer offered for groups and accounts; existing links stay)."""
    return _set_archived(engine, scope, _BUILDER, builder_id, expected_version, True)


def restore_builder(engine: Engine, scope: Scope, *, builder_id: int, expected_version: int) -> Saved:
    """Undo :func:`archive_builder`."""
    return _set_archived(engine, scope, _BUILDER, builder_id, expected_version, False)


def delete_builder(engine: Engine, scope: Scope, *, builder_id: int, expected_version: int) -> None:
    """Delete a community builder who guides no group and has no account.

    Raises:
        HasHistory: groups or accounts refer to them (archive instead). AccessDenied, VersionConflict.
    """
    _delete(engine, scope, _BUILDER, builder_id, expected_version)


def create_user_account(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a login account. ``values``: ``username``, ``password`` (at least
    :data:`~samenhier.services.users.MIN_PASSWORD_LENGTH` characters, stored as an Argon2 hash),
    ``role``, ``community_builder_id`` (required for role ``community_builder``), ``active``; optional
    ``email`` (a community builder's account without one takes the builder's address), ``weekly_digest``
    (default True) and ``language`` (``nl``, default, or ``en``).

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return _create(engine, scope, _user_kind(scope), values, authorize=_coordinator_only(scope))


def update_user_account(engine: Engine, scope: Scope, *, user_id: int, expected_version: int, changes: Mapping[str, Any],
                        original: Mapping[str, Any] | None = None) -> Saved:
    """Change an account's ``role``, ``community_builder_id``, ``active``, ``email``, ``weekly_digest`` or
    ``language`` (see :func:`update_account_settings`). A coordinator cannot
    demote or deactivate their own account, nor the last active coordinator. Raises as :func:`update_group`."""
    kind = _user_kind(scope)
    action = None
    if set(changes) == {"active"}:
        action = "activate" if changes["active"] else "deactivate"
    return _update(engine, scope, kind, user_id, expected_version, changes, original,
                   authorize=_coordinator_only(scope), action=action)


def update_account_settings(engine: Engine, scope: Scope, *, user_id: int, expected_version: int,
                            changes: Mapping[str, Any], original: Mapping[str, Any] | None = None) -> Saved:
    """Change an account's e-mail settings: ``email`` (where the weekly digest goes; empty: none — a
    community builder's account then uses the builder's address), ``weekly_digest`` (True/False) and
    ``language`` (``nl``/``en``: of the digest). Any user on their own account; a coordinator on any.

    Raises:
        AccessDenied: another user's account (for a community builder), or no such account.
        ValidationFailed: ``email`` (not an e-mail address), ``choice`` (language, weekly_digest).
        VersionConflict: the account changed since ``expected_version``.
    """
    def own_or_coordinator(_session: Session, record: UserAccount) -> None:
        if not scope.is_coordinator and fold_vocabulary(record.username) != fold_vocabulary(scope.username):
            raise AccessDenied(f"account {record.id} is not {scope.username}'s")

    return _update(engine, scope, _user_kind(scope), user_id, expected_version, changes, original,
                   authorize=own_or_coordinator, allowed=frozenset(ACCOUNT_SETTINGS_FIELDS))


def reset_password(engine: Engine, scope: Scope, *, user_id: int, expected_version: int, new_password: str) -> Saved:
    """Set a new password for an account and lift a lock-out. The audit event keeps no password data.

    Raises:
        AccessDenied: not a coordinator or no such account. VersionConflict. ValidationFailed:
        ``password_too_short``.
    """
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed([FieldError("password", "password_too_short", {"n": MIN_PASSWORD_LENGTH})])
    kind = _user_kind(scope)
    with session_scope(engine) as session:
        user = _load(session, kind, user_id, _coordinator_only(scope))
        if password_is_weak(new_password, user.username):
            raise ValidationFailed([FieldError("password", "password_weak", {})])
        _conflict_if_changed(user, kind.values(session, user), expected_version, None)
        user.password_hash = HASHER.hash(new_password)
        revoke_user(session, user.id, "rights")  # the old password's sessions end (the fingerprint would too)
        user.failed_logins = 0
        user.locked_until = None
        user.version += 1
        _audit(session, scope, kind, "password_reset", user, changes={})
        return Saved(user.id, user.username, user.version)
