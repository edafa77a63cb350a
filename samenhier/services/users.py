"""User accounts: creation, login with Argon2 password hashes, lockout after repeated failures."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from samenhier.clock import now_utc
from samenhier.db import write_engine
from samenhier.io.rows import fold_vocabulary
from samenhier.models import CommunityBuilder, Municipality, UserAccount, UserRole
from samenhier.scope import Scope
from samenhier.services import audit
from samenhier.settings import get_settings

MIN_PASSWORD_LENGTH = 10
HASHER = PasswordHasher()  # argon2id with the library's RFC 9106 "low memory" defaults
_DUMMY_HASH = HASHER.hash("not a password of anyone")


class UserError(ValueError):
    """A user account could not be created or changed; ``field`` names the input, ``code`` the reason."""

    def __init__(self, field: str, code: str, message: str):
        self.field, self.code = field, code
        super().__init__(message)


class LoginFailed(Exception):
    """Wrong name or password, or the account is locked: deliberately one answer for all three."""


def count_users(engine: Engine) -> int:
    """Number of accounts in the store (0 means: show the first-run setup)."""
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(UserAccount)).one())


def create_user(
    engine: Engine,
    username: str,
    password: str,
    role: UserRole | str,
    *,
    community_builder: str | None = None,
    municipalities: Sequence[str] = (),
    actor: str = "setup",
    actor_scope: Scope | None = None,
    email: str | None = None,
) -> Scope:
    """Create an account and return its scope.

    ``community_builder`` (the name as on the community_builders sheet) is required for role
    ``community_builder``: that links the account to the groups the builder guides.
    ``municipalities`` (names or aliases, e.g. ``'s-Gravenhage``) make a coordinator a municipality
    coordinator; none means a national coordinator. ``actor_scope``, when given, is the account
    creating this one: a municipality coordinator may only create accounts within their own
    municipalities (no national ones), and only for builders of those municipalities. ``email``: where the
    weekly digest goes; a community builder's account without one takes the builder's address.

    Raises:
        UserError: empty or taken username (``username``), password shorter than
            :data:`MIN_PASSWORD_LENGTH` (``password``), unknown role (``role``), missing or unknown
            community builder (``community_builder``), unknown municipality or municipalities on a
            builder account (``municipalities``), a municipality coordinator creating an account
            beyond their own municipalities (``municipalities``, code ``beyond_scope``), an
            invalid e-mail address (``email``).
    """
    username = username.strip()
    if not username:
        raise UserError("username", "required", "username is required")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError("password", "too_short", f"password must have at least {MIN_PASSWORD_LENGTH} characters")
    try:
        role = UserRole(role)
    except ValueError:
        raise UserError("role", "unknown", f"role must be one of {', '.join(r.value for r in UserRole)}") from None
    if email is not None and email.strip():
        try:
            email = validate_email(email.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            raise UserError("email", "invalid", f"{email!r} is not an e-mail address") from None
    else:
        email = None
    with Session(write_engine(engine), expire_on_commit=False) as session:  # reads, then writes: BEGIN IMMEDIATE
        if session.exec(select(UserAccount).where(func.lower(UserAccount.username) == username.lower())).first():
            raise UserError("username", "taken", f"username {username!r} is already taken")
        municipality_rows = _municipalities(session, municipalities) if municipalities else []
        if municipality_rows and role != UserRole.COORDINATOR:
            raise UserError("municipalities", "coordinator_only", "only a coordinator account has municipalities")
        builder_id = None
        if role == UserRole.COMMUNITY_BUILDER:
            if not community_builder:
                raise UserError("community_builder", "required", "a community builder account needs --community-builder NAME")
            wanted = fold_vocabulary(community_builder)
            builder = next((b for b in session.exec(select(CommunityBuilder)) if fold_vocabulary(b.name) == wanted), None)
            if builder is None:
                raise UserError("community_builder", "unknown", f"no community builder named {community_builder!r}")
            builder_id = builder.id
            email = email or builder.email
        if actor_scope is not None:
            _check_within(session, actor_scope, role, [m.name for m in municipality_rows], builder_id)
        user = UserAccount(
            username=username, password_hash=HASHER.hash(password), role=role.value,
            community_builder_id=builder_id, created_at=now_utc(), email=email,
        )
        user.municipalities = municipality_rows
        session.add(user)
        session.flush()
        names = sorted(m.name for m in municipality_rows)
        audit.record(session, actor, "create", record=user, after={"username": username, "role": role.value, "community_builder_id": builder_id,
                                                                  **({"municipalities": ", ".join(names)} if names else {})})
        session.commit()
        return Scope(username=username, role=role, community_builder_id=builder_id, municipalities=tuple(names))


def _municipalities(session: Session, names: Sequence[str]) -> list[Municipality]:
    """The municipalities named (aliases as in the workbook accepted). Raises UserError naming an unknown one."""
    from samenhier.municipalities import canonical_municipality

    found = []
    for name in names:
        canonical = canonical_municipality(name)
        row = session.exec(select(Municipality).where(Municipality.name == canonical)).first() if canonical else None
        if row is None:
            raise UserError("municipalities", "unknown", f"unknown municipality {name!r}")
        if row not in found:
            found.append(row)
    return found


def _check_within(session: Session, actor: Scope, role: UserRole, municipalities: Sequence[str], builder_id: int | None) -> None:
    """A municipality coordinator may make accounts only inside their own reach (issue: partner organisations)."""
    actor.require_coordinator()
    if actor.is_national:
        return
    if role == UserRole.COORDINATOR and (not municipalities or not set(municipalities) <= set(actor.municipalities)):
        raise UserError("municipalities", "beyond_scope", "a municipality coordinator can only create accounts for their own municipalities")
    if role == UserRole.COMMUNITY_BUILDER:
        builder_town = session.exec(select(Municipality.name).join(CommunityBuilder, CommunityBuilder.municipality_id == Municipality.id)
                                    .where(CommunityBuilder.id == builder_id)).first()
        if not actor.covers(builder_town):
            raise UserError("community_builder", "beyond_scope", "this community builder works outside your municipalities")


def account_scope(session: Session, user: UserAccount) -> Scope:
    """The :class:`Scope` of an account as the store has it now (role, builder, municipalities)."""
    names = tuple(sorted(m.name for m in user.municipalities))
    return Scope(username=user.username, role=UserRole(user.role), community_builder_id=user.community_builder_id,
                 municipalities=names if user.role == UserRole.COORDINATOR else ())


def authenticate(engine: Engine, username: str, password: str) -> Scope:
    """Check a login and return the user's scope.

    Failed attempts are counted per account; after ``login_max_failures`` the account is locked for
    ``login_lock_minutes`` (even the right password is refused meanwhile). Every failure takes about
    as long as a success (a hash is verified for unknown names too) and is audited.

    Raises:
        LoginFailed: unknown name, wrong password, inactive or locked account (one message for all).
    """
    settings = get_settings()
    now = now_utc()
    with Session(write_engine(engine), expire_on_commit=False) as session:  # reads, then writes: BEGIN IMMEDIATE
        user = session.exec(select(UserAccount).where(func.lower(UserAccount.username) == username.strip().lower())).first()
        stored_hash = user.password_hash if user is not None else _DUMMY_HASH
        try:
            verified = HASHER.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            verified = False
        locked = user is not None and user.locked_until is not None and _aware(user.locked_until) > now
        if user is None or not verified or locked or not user.active:
            if user is not None and not locked:
                user.failed_logins += 1
                if user.failed_logins >= settings.login_max_failures:
                    user.locked_until = now + dt.timedelta(minutes=settings.login_lock_minutes)
                    user.failed_logins = 0
            audit.record(session, username.strip()[:80] or "?", "login_failed", table_name="user_account",
                         record=user, changes={"locked": bool(locked)})
            session.commit()
            time.sleep(settings.login_failure_delay_seconds)
            raise LoginFailed("wrong username or password")
        user.failed_logins = 0
        user.locked_until = None
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        audit.record(session, user.username, "login", record=user, changes={})
        scope = account_scope(session, user)
        session.commit()
        return scope


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)



def account_is_usable(engine: Engine, username: str) -> bool:
    """False once the account has been deactivated (checked on every page run, so deactivating an account
    takes effect in sessions that are already open; accounts are never deleted). A lock after failed
    logins does not end open sessions: those failures may be someone else's guesses."""
    with Session(engine) as session:
        active = session.exec(select(UserAccount.active).where(UserAccount.username == username)).first()
    return active is not False  # None: no such account (a scope made by a test or script), not a deactivation
