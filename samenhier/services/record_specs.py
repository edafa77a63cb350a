"""The record kinds of the Beheer page: for welcome groups, members, newcomers, community builders and user
accounts, how a record reads as form values, how those are validated (the rules are listed in
:mod:`samenhier.services.records`), and what history keeps it from being deleted. Each is a
:class:`~samenhier.services.record_engine.Kind` for the generic flows of :mod:`samenhier.services.record_engine`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from samenhier import fields
from samenhier.clock import now_utc
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
from samenhier.municipalities import MUNICIPALITIES
from samenhier.rules import GROUP_TRANSITIONS, TRAINED_STATUSES
from samenhier.scope import Scope
from samenhier.services.common import Label
from samenhier.services.record_checks import Checker
from samenhier.services.record_engine import Kind, count
from samenhier.services.users import (
    HASHER,
    MIN_PASSWORD_LENGTH,
    USERNAME_PATTERN,
    confusable_with,
    normalize_username,
    password_is_weak,
)


def _next_code(session: Session, column, prefix: str, width: int) -> str:
    """``prefix`` + one more than the highest number in use after it, zero-padded to ``width`` (or wider, as in use)."""
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    numbers = [
        m.group(1)
        for c in session.exec(select(column).where(column.like(prefix + "%")))
        if (m := pattern.fullmatch(c))
    ]
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


# -- welcome groups


def _group_values(session: Session, g: WelcomeGroup) -> dict[str, Any]:
    return {
        "code": g.code,
        "name": g.name,
        "municipality": _municipality_name(session, g.municipality_id),
        "variant": g.variant,
        "status": g.status,
        "community_builder_id": g.community_builder_id,
        "signup_date": g.signup_date,
        "training_completed_date": g.training_completed_date,
        "notes": g.notes,
        "archived": g.archived,
        "version": g.version,
    }


def _validate_group(
    session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None
):
    c = Checker(v)
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
    c.text("notes", max_len=fields.MAX_TEXT)
    if status and before is not None and status != before["status"]:
        current = GroupStatus(before["status"])
        allowed = GROUP_TRANSITIONS[current]
        if not allowed:
            c.error("status", "status_final", current=Label("group_status", current.value))
        elif GroupStatus(status) not in allowed:
            order = list(GroupStatus)
            c.error(
                "status",
                "status_transition",
                current=Label("group_status", current.value),
                new=Label("group_status", status),
                allowed=tuple(Label("group_status", s.value) for s in sorted(allowed, key=order.index)),
            )
    if (
        status
        and not c.failed("status")
        and GroupStatus(status) in TRAINED_STATUSES
        and training is None
        and not c.failed("training_completed_date")
    ):
        c.error("training_completed_date", "training_required", status=Label("group_status", status))
    if training and signup and training < signup:
        c.error("training_completed_date", "training_before_signup", date=signup)
    if training and record_id is not None:
        first_match = session.exec(
            select(func.min(Match.proposed_date)).where(Match.group_id == record_id)
        ).one()
        if first_match is not None and training > first_match:
            c.error("training_completed_date", "training_after_match", date=first_match)
    if c.errors:
        return {}, c.errors
    clean = dict(
        name=name,
        municipality_id=_municipality_id(session, municipality),
        variant=variant,
        status=status,
        community_builder_id=builder_id,
        signup_date=signup,
        training_completed_date=training,
        notes=clean_text(v.get("notes")),
    )
    if before is None:
        clean["code"] = code or _next_code(
            session, WelcomeGroup.code, MUNICIPALITIES[municipality][2:] + "-", 3
        )
    return clean, []


def _group_history(session: Session, g: WelcomeGroup) -> dict[str, int]:
    counts = {
        "members": count(session, Member, Member.group_id == g.id),
        "matches": count(session, Match, Match.group_id == g.id),
        "meetings": count(session, Meeting, Meeting.group_id == g.id),
        "surveys": count(session, SurveyResponse, SurveyResponse.group_id == g.id),
        "check_ins": count(session, ProgressNote, ProgressNote.group_id == g.id),
        "milestones": count(session, MilestoneCheck, MilestoneCheck.group_id == g.id),
    }
    return {k: n for k, n in counts.items() if n}


GROUP_FIELDS = (
    "name",
    "municipality",
    "variant",
    "status",
    "community_builder_id",
    "signup_date",
    "training_completed_date",
    "notes",
)
GROUP = Kind(
    model=WelcomeGroup,
    create_fields=frozenset({"code", *GROUP_FIELDS}),
    update_fields=frozenset(GROUP_FIELDS),
    values=_group_values,
    validate=_validate_group,
    history=_group_history,
)


# -- members


def _member_values(session: Session, m: Member) -> dict[str, Any]:
    return {
        "code": m.code,
        "group_id": m.group_id,
        "first_name": m.first_name,
        "last_name": m.last_name,
        "email": m.email,
        "phone": m.phone,
        "role": m.role,
        "joined_date": m.joined_date,
        "vog_date": m.vog_date,
        "archived": m.archived,
        "version": m.version,
    }


def _validate_member(
    session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None
):
    c = Checker(v)
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
    clean = dict(
        group_id=group_id,
        first_name=first,
        last_name=last,
        email=email,
        phone=phone,
        role=role,
        joined_date=joined,
        vog_date=vog,
    )
    if before is None:
        clean["code"] = code or _next_code(session, Member.code, "L", 4)
    return clean, []


def _member_history(session: Session, m: Member) -> dict[str, int]:
    n = count(session, SurveyResponse, SurveyResponse.member_id == m.id)
    return {"surveys": n} if n else {}


MEMBER_FIELDS = ("group_id", "first_name", "last_name", "email", "phone", "role", "joined_date", "vog_date")
MEMBER = Kind(
    model=Member,
    create_fields=frozenset({"code", *MEMBER_FIELDS}),
    update_fields=frozenset(MEMBER_FIELDS),
    values=_member_values,
    validate=_validate_member,
    history=_member_history,
)


# -- newcomers


def _newcomer_values(session: Session, n: Newcomer) -> dict[str, Any]:
    return {
        "code": n.code,
        "first_name": n.first_name,
        "last_name": n.last_name,
        "municipality": _municipality_name(session, n.municipality_id),
        "country_of_origin": n.country_of_origin,
        "languages": n.languages,
        "household_size": n.household_size,
        "arrival_date": n.arrival_date,
        "permit_date": n.permit_date,
        "registration_date": n.registration_date,
        "status": n.status,
        "email": n.email,
        "phone": n.phone,
        "archived": n.archived,
        "version": n.version,
    }


def _validate_newcomer(
    session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None
):
    c = Checker(v)
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
        first_name=first,
        last_name=last,
        municipality_id=_municipality_id(session, municipality),
        country_of_origin=country,
        languages=languages,
        household_size=size,
        arrival_date=arrival,
        permit_date=permit,
        registration_date=registration,
        status=status,
        email=email,
        phone=phone,
    )
    if before is None:
        clean["code"] = code or _next_code(session, Newcomer.code, "N", 4)
    return clean, []


def _newcomer_history(session: Session, n: Newcomer) -> dict[str, int]:
    counts = {
        "matches": count(session, Match, Match.newcomer_id == n.id),
        "surveys": count(session, SurveyResponse, SurveyResponse.newcomer_id == n.id),
    }
    return {k: c for k, c in counts.items() if c}


NEWCOMER_FIELDS = (
    "first_name",
    "last_name",
    "municipality",
    "country_of_origin",
    "languages",
    "household_size",
    "arrival_date",
    "permit_date",
    "registration_date",
    "status",
    "email",
    "phone",
)
NEWCOMER = Kind(
    model=Newcomer,
    create_fields=frozenset({"code", *NEWCOMER_FIELDS}),
    update_fields=frozenset(NEWCOMER_FIELDS),
    values=_newcomer_values,
    validate=_validate_newcomer,
    history=_newcomer_history,
)


# -- community builders


def _builder_values(session: Session, b: CommunityBuilder) -> dict[str, Any]:
    return {
        "name": b.name,
        "email": b.email,
        "municipality": _municipality_name(session, b.municipality_id),
        "languages": b.languages,
        "archived": b.archived,
        "version": b.version,
    }


def _validate_builder(
    session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None
):
    c = Checker(v)
    name = c.text("name", required=True)
    if name and not c.failed("name"):
        folded = fold_vocabulary(name)
        if any(
            fold_vocabulary(b.name) == folded
            for b in session.exec(select(CommunityBuilder).where(CommunityBuilder.id != (record_id or -1)))
        ):
            c.error("name", "name_taken")
    email = c.email("email")
    municipality = c.municipality("municipality")
    languages = c.text("languages", max_len=200)
    if c.errors:
        return {}, c.errors
    return dict(
        name=name, email=email, municipality_id=_municipality_id(session, municipality), languages=languages
    ), []


def _builder_history(session: Session, b: CommunityBuilder) -> dict[str, int]:
    counts = {
        "groups": count(session, WelcomeGroup, WelcomeGroup.community_builder_id == b.id),
        "accounts": count(session, UserAccount, UserAccount.community_builder_id == b.id),
    }
    return {k: n for k, n in counts.items() if n}


BUILDER_FIELDS = ("name", "email", "municipality", "languages")
BUILDER = Kind(
    model=CommunityBuilder,
    create_fields=frozenset(BUILDER_FIELDS),
    update_fields=frozenset(BUILDER_FIELDS),
    values=_builder_values,
    validate=_validate_builder,
    history=_builder_history,
    label=lambda b: b.name,
)


# -- user accounts (no delete: an account is deactivated; its name stays in the audit trail)


def _user_values(session: Session, u: UserAccount) -> dict[str, Any]:
    return {
        "username": u.username,
        "role": u.role,
        "community_builder_id": u.community_builder_id,
        "municipalities": sorted(m.name for m in u.municipalities),
        "active": u.active,
        "email": u.email,
        "weekly_digest": u.weekly_digest,
        "language": u.language,
        "version": u.version,
    }


def _active_coordinators(session: Session, *, other_than: int | None) -> int:
    return count(
        session,
        UserAccount,
        UserAccount.role == UserRole.COORDINATOR.value,
        UserAccount.active.is_(True),
        UserAccount.id != (other_than or -1),
    )


def _user_validator(scope: Scope):
    def validate(session: Session, v: dict[str, Any], before: dict[str, Any] | None, record_id: int | None):
        c = Checker(v)
        username = before["username"] if before else _new_login(session, c, v)
        role = c.choice("role", UserRole)
        builder_id = _account_builder(session, c, v, before, role)
        municipalities = _account_municipalities(session, scope, c, v, before, role)
        active = bool(v.get("active", True))
        email = c.email("email")
        if (
            email is None
            and before is None
            and builder_id is not None
            and not c.failed("community_builder_id")
        ):
            builder = session.get(CommunityBuilder, builder_id)
            email = (
                builder.email if builder is not None else None
            )  # the builder's address, as in the workbook
        weekly_digest = v.get("weekly_digest", True)
        if not isinstance(weekly_digest, bool):
            c.error("weekly_digest", "choice")
        language = c.choice("language", {"nl": "nl", "en": "en"}, required=False) or "nl"
        if before is not None:
            _check_demotion(session, scope, c, before, role, active, record_id)
        if c.errors:
            return {}, c.errors
        clean = dict(
            role=role,
            community_builder_id=builder_id,
            municipalities=municipalities,
            active=active,
            email=email,
            weekly_digest=weekly_digest,
            language=language,
        )
        if before is None:
            clean.update(username=username, password_hash=HASHER.hash(v["password"]), created_at=now_utc())
        return clean, []

    return validate


def _new_login(session: Session, c: Checker, v: Mapping[str, Any]) -> str:
    """A new account's username (normalised; free, valid, not confusable with another) and password (long and strong)."""
    username = c.text("username", required=True, max_len=80)
    if username and not c.failed("username"):
        username = normalize_username(username)
        taken = session.exec(
            select(UserAccount.id).where(func.lower(UserAccount.username) == username.lower())
        ).first()
        if taken is not None:
            c.error("username", "username_taken")
        elif not USERNAME_PATTERN.fullmatch(username):
            c.error("username", "username_invalid")
        elif confusable_with(username, session.exec(select(UserAccount.username)).all()):
            c.error("username", "username_confusable")
    if len(v.get("password") or "") < MIN_PASSWORD_LENGTH:
        c.error("password", "password_too_short", n=MIN_PASSWORD_LENGTH)
    elif password_is_weak(v["password"], username or ""):
        c.error("password", "password_weak")
    return username


def _account_builder(
    session: Session, c: Checker, v: Mapping[str, Any], before: Mapping[str, Any] | None, role: str | None
) -> int | None:
    """The community builder of a community builder's account (required; not an archived one newly chosen); else None."""
    if role != UserRole.COMMUNITY_BUILDER.value:
        return None
    builder_id = v.get("community_builder_id")
    if builder_id is None:
        c.error("community_builder_id", "builder_required")
        return None
    builder = session.get(CommunityBuilder, builder_id)
    if builder is None or (
        builder.archived and (before is None or before["community_builder_id"] != builder_id)
    ):
        c.error("community_builder_id", "choice")
    return builder_id


def _check_demotion(
    session: Session,
    scope: Scope,
    c: Checker,
    before: Mapping[str, Any],
    role: str | None,
    active: bool,
    record_id: int | None,
) -> None:
    """A coordinator cannot demote or deactivate their own account (``own_account``), nor the last active
    coordinator (``last_coordinator``)."""
    demoted = (
        before["role"] == UserRole.COORDINATOR.value
        and before["active"]
        and (role != UserRole.COORDINATOR.value or not active)
    )
    field = "role" if role != before["role"] else "active"
    if demoted and fold_vocabulary(before["username"]) == fold_vocabulary(scope.username):
        c.error(field, "own_account")
    elif demoted and _active_coordinators(session, other_than=record_id) == 0:
        c.error(field, "last_coordinator")


def _account_municipalities(
    session: Session,
    scope: Scope,
    c: Checker,
    v: Mapping[str, Any],
    before: Mapping[str, Any] | None,
    role: str | None,
) -> list[Municipality]:
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
        own_account = before is not None and fold_vocabulary(before["username"]) == fold_vocabulary(
            scope.username
        )
        if own_account and names != list(before["municipalities"]):
            c.error("municipalities", "own_municipalities")
        elif role == UserRole.COORDINATOR.value and (
            not names or not set(names) <= set(scope.municipalities)
        ):
            c.error("municipalities", "beyond_scope")
    return rows if role == UserRole.COORDINATOR.value else []


USER_FIELDS = (
    "role",
    "community_builder_id",
    "municipalities",
    "active",
    "email",
    "weekly_digest",
    "language",
)
ACCOUNT_SETTINGS_FIELDS = ("email", "weekly_digest", "language")
"""What an account holder may change on their own account (:func:`update_account_settings`)."""


def user_kind(scope: Scope) -> Kind:
    return Kind(
        model=UserAccount,
        create_fields=frozenset({"username", "password", *USER_FIELDS}),
        update_fields=frozenset(USER_FIELDS),
        values=_user_values,
        validate=_user_validator(scope),
        label=lambda u: u.username,
    )


KINDS = {"welcome_group": GROUP, "member": MEMBER, "newcomer": NEWCOMER, "community_builder": BUILDER}
VALUES = {
    WelcomeGroup: _group_values,
    Member: _member_values,
    Newcomer: _newcomer_values,
    CommunityBuilder: _builder_values,
    UserAccount: _user_values,
}
