"""Server-side login sessions: a random token in the browser, its SHA-256 in the store, rights re-derived on every run.

A session is made at login (:func:`start`) and checked on every script run (:func:`resume`), which builds the
user's :class:`~samenhier.scope.Scope` from the store each time — role, linked community builder, active, the
account existing — never from what the browser or the Streamlit session remembers. A session ends:

- on logout (:func:`revoke`, every tab at once: they share the token);
- after ``session_timeout_minutes`` without activity, or ``session_max_hours`` after login;
- when its account is deactivated, or its role, linked community builder, name or password changes (the
  ``rights`` fingerprint no longer matches; :func:`revoke_user` also ends them explicitly);
- when its account is gone, e.g. after restoring a backup that lacks it (the row or the account is missing).

Only the hash of a token is stored (SHA-256: the token is 256 random bits, so no salt or slow hash is needed),
so a copy of the database or a backup opens no session. Source of the rules: issue 14 item 4, issue 21 item 1;
OWASP Session Management Cheat Sheet (random ≥ 64-bit tokens, idle and absolute timeouts, server-side
invalidation on logout and on privilege change).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from samenhier.clock import now_utc
from samenhier.db import session_scope
from samenhier.models import UserAccount, UserRole, UserSession
from samenhier.scope import Scope
from samenhier.settings import get_settings

TOUCH_EVERY = dt.timedelta(seconds=60)
"""How stale ``last_seen_at`` may get before a run writes it again (a write per click would queue behind imports)."""


@dataclass(frozen=True)
class Resumed:
    """The outcome of :func:`resume`: the scope (None when the session is not valid) and why not
    (``""``, ``"missing"``, ``"logout"``, ``"timeout"``, ``"expired"``, ``"account"``, ``"rights"``), and the
    account's language (``nl``/``en``; empty without a valid session): the dashboard opens in it."""

    scope: Scope | None
    reason: str = ""
    seconds_left: float = 0.0
    language: str = ""


def token_hash(token: str) -> str:
    """The stored form of a session token (hex SHA-256)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _municipalities(user: UserAccount) -> tuple[str, ...]:
    # A coordinator's municipalities (issue 16); empty for a national coordinator and for a builder.
    if user.role != UserRole.COORDINATOR.value:
        return ()
    return tuple(sorted(m.name for m in user.municipalities))


def rights_fingerprint(user: UserAccount) -> str:
    """A digest of what an account is allowed and how it logs in: id, name, role, linked community builder,
    municipalities and password hash. Any change of these ends the account's open sessions. ``user`` must be
    attached to an open session (its municipalities are loaded)."""
    material = "|".join(
        map(
            str,
            (
                user.id,
                user.username,
                user.role,
                user.community_builder_id,
                ",".join(_municipalities(user)),
                user.password_hash,
            ),
        )
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def scope_of(user: UserAccount) -> Scope:
    """The data layer's view of an account as stored now (role, builder, municipalities); ``user`` attached."""
    return Scope(
        username=user.username,
        role=UserRole(user.role),
        community_builder_id=user.community_builder_id,
        municipalities=_municipalities(user),
    )


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def create(session: Session, user: UserAccount, *, now: dt.datetime | None = None) -> str:
    """Add a session for ``user`` to ``session`` (committed with the caller's transaction); returns the token
    (URL-safe text, 43 characters), which only the browser keeps."""
    now = now or now_utc()
    settings = get_settings()
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            token_hash=token_hash(token),
            user_id=user.id,
            rights=rights_fingerprint(user),
            created_at=now,
            last_seen_at=now,
            expires_at=now + dt.timedelta(hours=settings.session_max_hours),
        )
    )
    # Forget sessions that ended more than a day ago (keeps the table small; nothing refers to them).
    session.exec(delete(UserSession).where(UserSession.expires_at < now - dt.timedelta(days=1)))
    return token


def start(engine: Engine, username: str) -> str:
    """A new session for the (existing) account ``username``; returns its token. For the first-run setup and
    tests; a login goes through :func:`samenhier.services.users.log_in`.

    Raises:
        LookupError: no such account.
    """
    with session_scope(engine) as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == username)).first()
        if user is None:
            raise LookupError(username)
        return create(session, user)


def resume(engine: Engine, token: str | None, *, touch: bool = True) -> Resumed:
    """Check the session of ``token`` against the store and build its scope from the account as it is now.

    ``touch``: record this run as activity (written at most once per :data:`TOUCH_EVERY`); the idle watcher
    passes False. A session found invalid for a lasting reason (timeout, account or rights changed) is
    revoked, so it stays ended even if the reason goes away (an account reactivated needs a new login).
    A store too busy to record the activity does not end the session.
    """
    if not token:
        return Resumed(None, "missing")
    now = now_utc()
    settings = get_settings()
    with Session(engine) as session:
        row = session.exec(select(UserSession).where(UserSession.token_hash == token_hash(token))).first()
        user = session.get(UserAccount, row.user_id) if row is not None else None
        active = user is not None and user.active
        rights = rights_fingerprint(user) if user is not None else ""
        scope = scope_of(user) if active else None
        language = user.language if user is not None else ""
    if row is None:
        return Resumed(None, "missing")
    if row.revoked_at is not None:
        return Resumed(None, row.revoked_reason or "logout")
    idle_left = (
        _aware(row.last_seen_at) + dt.timedelta(minutes=settings.session_timeout_minutes) - now
    ).total_seconds()
    absolute_left = (_aware(row.expires_at) - now).total_seconds()
    reason = ""
    if not active:
        reason = "account"
    elif rights != row.rights:
        reason = "rights"
    elif absolute_left <= 0:
        reason = "expired"
    elif idle_left <= 0:
        reason = "timeout"
    if reason:
        _revoke_rows(engine, UserSession.id == row.id, reason)
        return Resumed(None, reason)
    if touch and now - _aware(row.last_seen_at) >= TOUCH_EVERY:
        try:
            with session_scope(engine) as session:
                session.exec(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))
            idle_left = settings.session_timeout_minutes * 60.0
        except OperationalError:  # busy (a long import): the activity is recorded on a later run
            pass
    return Resumed(scope, "", min(idle_left, absolute_left), language)


def _revoke_rows(engine: Engine, where, reason: str) -> int:
    try:
        with session_scope(engine) as session:
            result = session.exec(
                update(UserSession)
                .where(where, UserSession.revoked_at.is_(None))
                .values(revoked_at=now_utc(), revoked_reason=reason)
            )
            return result.rowcount or 0
    except OperationalError:  # busy: the session is refused anyway by resume's checks
        return 0


def revoke(engine: Engine, token: str | None, reason: str = "logout") -> None:
    """End the session of ``token`` (logout: every tab that shares it asks for the login at its next run)."""
    if token:
        _revoke_rows(engine, UserSession.token_hash == token_hash(token), reason)


def revoke_user(session: Session, user_id: int, reason: str) -> None:
    """End every open session of an account, inside the caller's write transaction (deactivation, password
    reset, a change of role or scope)."""
    session.exec(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now_utc(), revoked_reason=reason)
    )


def snapshot(engine: Engine) -> list[dict]:
    """Every session row of the store (for :func:`carry_over` across a restore)."""
    with Session(engine) as session:
        return [row.model_dump() for row in session.exec(select(UserSession))]


def carry_over(engine: Engine, rows: list[dict]) -> None:
    """Put the sessions that were open before a restore back into the restored store: logins are not data, and
    a backup would otherwise log everyone out (or bring back sessions that had ended). Rows whose account id is
    not in the restored store are dropped; the others are checked at their next run as always, so a session
    whose account differs in the backup — another name, role, builder or password, or inactive — ends then."""
    with session_scope(engine) as session:
        session.exec(delete(UserSession))
        known = set(session.exec(select(UserAccount.id)).all())
        for row in rows:
            if row["user_id"] in known:
                session.add(UserSession(**row))
