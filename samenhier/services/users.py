"""User accounts: creation (names and passwords checked), login with Argon2 password hashes, throttling of
failed logins per client, and the session a login starts (:mod:`samenhier.services.sessions`)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from samenhier.clock import now_utc
from samenhier.db import SQLITE_BUSY_TIMEOUT_MS, WRITE_BEGIN_OPTION, write_engine
from samenhier.i18n import DEFAULT_LANGUAGE, LANGUAGES
from samenhier.io.rows import fold_vocabulary
from samenhier.models import CommunityBuilder, LoginThrottle, Municipality, UserAccount, UserRole
from samenhier.scope import Scope
from samenhier.services import audit, sessions
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
    """Wrong name or password, or an inactive account: deliberately one answer for all three."""


class LoginThrottled(LoginFailed):
    """Too many failed logins from this client (for this name, or for any): try again after ``retry_after``
    seconds. Said the same way whether or not the name exists."""

    def __init__(self, retry_after: float):
        self.retry_after = max(1, round(retry_after))
        super().__init__(f"too many failed logins; try again in {self.retry_after} s")


class LoginBusy(RuntimeError):
    """The store is busy with a long write (an import, a backup): the login could not be recorded in time.
    Nothing was changed; the user can simply try again."""


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
    language: str = "nl",
) -> Scope:
    """Create an account and return its scope.

    ``community_builder`` (the name as on the community_builders sheet) is required for role
    ``community_builder``: that links the account to the groups the builder guides.
    ``municipalities`` (names or aliases, e.g. ``'s-Gravenhage``) make a coordinator a municipality
    coordinator; none means a national coordinator. ``actor_scope``, when given, is the account
    creating this one: a municipality coordinator may only create accounts within their own
    municipalities (no national ones), and only for builders of those municipalities. ``email``: where the
    weekly digest goes; a community builder's account without one takes the builder's address. ``language``:
    the account's language (``nl``/``en``), of the dashboard and the digest (the first-run setup passes the
    language its page was shown in).

    Raises:
        UserError: empty or taken username (``username``), password shorter than
            :data:`MIN_PASSWORD_LENGTH` (``password``), unknown role (``role``), missing or unknown
            community builder (``community_builder``), unknown municipality or municipalities on a
            builder account (``municipalities``), a municipality coordinator creating an account
            beyond their own municipalities (``municipalities``, code ``beyond_scope``), an
            invalid e-mail address (``email``).
    """
    username = normalize_username(username)
    if not username:
        raise UserError("username", "required", "username is required")
    if not USERNAME_PATTERN.fullmatch(username):
        raise UserError(
            "username",
            "invalid",
            "a username has 1-40 of the characters a-z, 0-9, '.', '_', '-' and starts with a letter or digit",
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(
            "password", "too_short", f"password must have at least {MIN_PASSWORD_LENGTH} characters"
        )
    if password_is_weak(password, username):
        raise UserError("password", "weak", "this password is too common or too easy to guess")
    try:
        role = UserRole(role)
    except ValueError:
        raise UserError(
            "role", "unknown", f"role must be one of {', '.join(r.value for r in UserRole)}"
        ) from None
    _require_language(language)
    if email is not None and email.strip():
        try:
            email = validate_email(email.strip(), check_deliverability=False).normalized
        except EmailNotValidError:
            raise UserError("email", "invalid", f"{email!r} is not an e-mail address") from None
    else:
        email = None
    with Session(
        write_engine(engine), expire_on_commit=False
    ) as session:  # reads, then writes: BEGIN IMMEDIATE
        if session.exec(
            select(UserAccount).where(func.lower(UserAccount.username) == username.lower())
        ).first():
            raise UserError("username", "taken", f"username {username!r} is already taken")
        if confusable_with(username, session.exec(select(UserAccount.username)).all()):
            raise UserError(
                "username", "confusable", f"username {username!r} looks too much like an existing one"
            )
        municipality_rows = _municipalities(session, municipalities) if municipalities else []
        if municipality_rows and role != UserRole.COORDINATOR:
            raise UserError(
                "municipalities", "coordinator_only", "only a coordinator account has municipalities"
            )
        builder_id = None
        if role == UserRole.COMMUNITY_BUILDER:
            if not community_builder:
                raise UserError(
                    "community_builder",
                    "required",
                    "a community builder account needs --community-builder NAME",
                )
            wanted = fold_vocabulary(community_builder)
            builder = next(
                (b for b in session.exec(select(CommunityBuilder)) if fold_vocabulary(b.name) == wanted), None
            )
            if builder is None:
                raise UserError(
                    "community_builder", "unknown", f"no community builder named {community_builder!r}"
                )
            builder_id = builder.id
            email = email or builder.email
        if actor_scope is not None:
            _check_within(session, actor_scope, role, [m.name for m in municipality_rows], builder_id)
        user = UserAccount(
            username=username,
            password_hash=HASHER.hash(password),
            role=role.value,
            community_builder_id=builder_id,
            created_at=now_utc(),
            email=email,
            language=language,
        )
        user.municipalities = municipality_rows
        session.add(user)
        session.flush()
        names = sorted(m.name for m in municipality_rows)
        audit.record(
            session,
            actor,
            "create",
            record=user,
            after={
                "username": username,
                "role": role.value,
                "community_builder_id": builder_id,
                **({"municipalities": ", ".join(names)} if names else {}),
            },
        )
        session.commit()
        return Scope(
            username=username, role=role, community_builder_id=builder_id, municipalities=tuple(names)
        )


def _municipalities(session: Session, names: Sequence[str]) -> list[Municipality]:
    """The municipalities named (aliases as in the workbook accepted). Raises UserError naming an unknown one."""
    from samenhier.municipalities import canonical_municipality

    found = []
    for name in names:
        canonical = canonical_municipality(name)
        row = (
            session.exec(select(Municipality).where(Municipality.name == canonical)).first()
            if canonical
            else None
        )
        if row is None:
            raise UserError("municipalities", "unknown", f"unknown municipality {name!r}")
        if row not in found:
            found.append(row)
    return found


def _check_within(
    session: Session, actor: Scope, role: UserRole, municipalities: Sequence[str], builder_id: int | None
) -> None:
    """A municipality coordinator may make accounts only inside their own reach (issue: partner organisations)."""
    actor.require_coordinator()
    if actor.is_national:
        return
    if role == UserRole.COORDINATOR and (
        not municipalities or not set(municipalities) <= set(actor.municipalities)
    ):
        raise UserError(
            "municipalities",
            "beyond_scope",
            "a municipality coordinator can only create accounts for their own municipalities",
        )
    if role == UserRole.COMMUNITY_BUILDER:
        builder_town = session.exec(
            select(Municipality.name)
            .join(CommunityBuilder, CommunityBuilder.municipality_id == Municipality.id)
            .where(CommunityBuilder.id == builder_id)
        ).first()
        if not actor.covers(builder_town):
            raise UserError(
                "community_builder",
                "beyond_scope",
                "this community builder works outside your municipalities",
            )


def account_scope(session: Session, user: UserAccount) -> Scope:
    """The :class:`Scope` of an account as the store has it now (role, builder, municipalities)."""
    names = tuple(sorted(m.name for m in user.municipalities))
    return Scope(
        username=user.username,
        role=UserRole(user.role),
        community_builder_id=user.community_builder_id,
        municipalities=names if user.role == UserRole.COORDINATOR else (),
    )


# -- names and passwords --------------------------------------------------------------------------------

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
"""A new account's name after :func:`normalize_username`: 1–40 characters from a-z, 0-9, ``.``, ``_``, ``-``.
No other scripts, so no Cyrillic "а" for a Latin "a"; ASCII look-alikes are caught by :func:`confusable_with`."""

_SKELETON_PAIRS = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_SKELETON_CHARS = str.maketrans(
    {"0": "o", "1": "l", "i": "l", "j": "l", "5": "s", "8": "b", ".": None, "_": None, "-": None}
)

WEAK_WORDS = (
    "wachtwoord",
    "welkom",
    "geheim",
    "samenhier",
    "samen",
    "hier",
    "coordinator",
    "coördinator",
    "community",
    "builder",
    "statushouder",
    "nieuwkomer",
    "welkomgroep",
)
"""Words zxcvbn's (English) dictionaries lack but a Dutch guesser tries first: passed as its user inputs."""


def normalize_username(raw: str) -> str:
    """A user name as stored and compared: Unicode NFKC (full-width ``ａｎｎａ`` becomes ``anna``), trimmed,
    lower case."""
    return unicodedata.normalize("NFKC", raw or "").strip().lower()


def _skeleton(name: str) -> str:
    # After Unicode TR39's idea of a "skeleton": what a name looks like, with look-alike letters folded
    # together (l/1/i, o/0, rn/m, vv/w) and separators dropped. Names are already ASCII (USERNAME_PATTERN).
    folded = normalize_username(name)
    for pair, single in _SKELETON_PAIRS:
        folded = folded.replace(pair, single)
    return folded.translate(_SKELETON_CHARS)


def confusable_with(username: str, existing: list[str]) -> str | None:
    """The existing name that ``username`` could be mistaken for on screen (``anna`` / ``anna.`` / ``arma`` vs
    ``anrna``, ``j.devries`` / ``jdevries``, ``l1sa`` / ``lisa``), or None."""
    mine = _skeleton(username)
    return next((other for other in existing if _skeleton(other) == mine), None)


def password_is_weak(password: str, username: str = "") -> bool:
    """True for a password that a guesser finds quickly: zxcvbn (Dropbox's estimator; common passwords,
    dictionary words, keyboard patterns, dates, repeats, l33t) scores it below 3 of 4 ("safely
    unguessable: moderate protection from offline slow-hash scenario", < 10^10 guesses), with the user's
    name and Dutch words of this programme as extra dictionary words."""
    from zxcvbn import zxcvbn

    result = zxcvbn(
        password[:100], user_inputs=[username, *WEAK_WORDS]
    )  # zxcvbn slows down on very long input
    return result["score"] < 3


# -- login ---------------------------------------------------------------------------------------------

LOCAL_CLIENT = "local"
"""The client of a login made without a network address (the command line, tests)."""

_ARGON2_SLOTS = threading.BoundedSemaphore(2)  # a flood of logins cannot take every core for password hashing
_client_locks: dict[str, threading.Lock] = {}


def _require_language(language: str) -> None:
    if language not in LANGUAGES:
        raise UserError("language", "unknown", f"language must be one of {', '.join(LANGUAGES)}")


def account_language(engine: Engine, username: str) -> str:
    """The language (``nl``/``en``) of the account ``username``; the default language for an unknown account."""
    with Session(engine) as session:
        found = session.exec(
            select(UserAccount.language).where(func.lower(UserAccount.username) == username.lower())
        ).first()
    return found if found in LANGUAGES else DEFAULT_LANGUAGE


def set_language(engine: Engine, username: str, language: str) -> bool:
    """Keep ``language`` (``nl``/``en``) as the account's language: the dashboard opens in it in every new
    browser session (a reload, a new tab, the next login), and the weekly digest is written in it (the same
    setting as "Mijn instellingen"), audited as the account's own edit. Returns True when it changed; an
    unknown account changes nothing (False).

    Raises:
        UserError: ``language`` is not one of :data:`samenhier.i18n.LANGUAGES` (field ``language``).
    """
    _require_language(language)
    with Session(write_engine(engine)) as session:
        user = session.exec(
            select(UserAccount).where(func.lower(UserAccount.username) == username.lower())
        ).first()
        if user is None or user.language == language:
            return False
        before = user.language
        user.language = language
        user.version += 1
        audit.record(
            session,
            user.username,
            "update",
            record=user,
            before={"language": before},
            after={"language": language},
        )
        session.commit()
        return True


_client_locks_guard = threading.Lock()


@dataclass(frozen=True)
class LoggedIn:
    """A successful login: the session token for the browser and the user's scope."""

    token: str
    scope: Scope


def _client_lock(client: str) -> threading.Lock:
    # One login at a time per client in this process: 200 parallel guesses from one address queue, and each
    # sees the failures counted before it (so most are refused by the throttle without hashing a password).
    with _client_locks_guard:
        if len(_client_locks) > 10_000:
            _client_locks.clear()
        return _client_locks.setdefault(client, threading.Lock())


def _throttle_key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()


def _throttle_keys(username: str, client: str) -> dict[str, int]:
    """The throttle keys of a login and the failures each allows before it slows down: the name from this
    client (``login_max_failures``) and this client for any name (four times that)."""
    settings = get_settings()
    return {
        _throttle_key("account-client", f"{username}\0{client}"): settings.login_max_failures,
        _throttle_key("client", client): 4 * settings.login_max_failures,
    }


def _blocked_for(session: Session, keys: dict[str, int], now: dt.datetime) -> float:
    rows = session.exec(select(LoginThrottle).where(LoginThrottle.key.in_(list(keys)))).all()
    waits = [(_aware(r.blocked_until) - now).total_seconds() for r in rows if r.blocked_until is not None]
    return max([w for w in waits if w > 0], default=0.0)


@contextmanager
def _login_transaction(engine: Engine) -> Iterator[Session]:
    """A write transaction that waits at most ``login_busy_seconds`` for the write lock (not the store's usual
    15 s): a login behind a long import answers "busy" quickly instead of hanging, and never holds the lock
    while a password is hashed. Raises OperationalError when the lock did not come in time."""
    wait_ms = int(get_settings().login_busy_seconds * 1000)
    dialect = engine.dialect.name
    with engine.connect() as connection:
        if dialect == "sqlite":
            connection.exec_driver_sql(f"PRAGMA busy_timeout={wait_ms}")
        elif dialect == "postgresql":
            connection.exec_driver_sql(
                "SELECT set_config('lock_timeout', %(ms)s, false)", {"ms": f"{wait_ms}ms"}
            )
        connection.commit()
        connection.execution_options(**{WRITE_BEGIN_OPTION: "IMMEDIATE"})
        try:
            with Session(bind=connection, expire_on_commit=False) as session:
                yield session
                session.commit()
        finally:
            connection.rollback()
            connection.execution_options(**{WRITE_BEGIN_OPTION: "DEFERRED"})
            if dialect == "sqlite":
                connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            elif dialect == "postgresql":
                connection.exec_driver_sql("RESET lock_timeout")
            connection.commit()


def _audit_failure_at(count: int, free: int) -> bool:
    # The first failure, then one summary row when the count reaches free, 2·free, 4·free, …: 200 failures
    # make a handful of rows, each saying how many attempts there were since when.
    if count == 1:
        return True
    if count < free:
        return False
    ratio = count / free
    return ratio == int(ratio) and int(ratio) & (int(ratio) - 1) == 0


def _record_failure(
    session: Session, keys: dict[str, int], actor: str, user: UserAccount | None, now: dt.datetime
) -> None:
    settings = get_settings()
    window = dt.timedelta(minutes=settings.login_lock_minutes)
    for number, (key, free) in enumerate(keys.items()):
        row = session.exec(select(LoginThrottle).where(LoginThrottle.key == key)).first()
        if row is None:
            row = LoginThrottle(key=key, first_failure_at=now, last_failure_at=now)
            session.add(row)
        elif now - _aware(row.last_failure_at) > window:  # quiet for a while: start counting again
            row.failures, row.first_failure_at, row.blocked_until, row.audited = 0, now, None, 0
        row.failures += 1
        row.last_failure_at = now
        if row.failures >= free:  # a growing wait: 30 s, 1, 2, 4, 8 min, … up to login_lock_minutes
            seconds = min(window.total_seconds(), 30 * 2 ** min(row.failures - free, 20))
            row.blocked_until = now + dt.timedelta(seconds=seconds)
        if number == 0 and _audit_failure_at(row.failures, free):  # the name-from-this-client counter
            row.audited = row.failures
            audit.record(
                session,
                actor,
                "login_failed",
                table_name="user_account",
                record=user,
                changes={
                    "attempts": row.failures,
                    "since": _aware(row.first_failure_at).isoformat(timespec="seconds"),
                    "slowed_down": row.blocked_until is not None,
                },
            )


def log_in(engine: Engine, username: str, password: str, *, client: str = LOCAL_CLIENT) -> LoggedIn:
    """Check a login and start a session (:mod:`samenhier.services.sessions`); returns its token and scope.

    The name is compared after :func:`normalize_username`. The password is verified (Argon2, about as long
    for unknown names) before and outside the short write transaction that records the outcome. Failed
    logins are throttled per ``client`` (a network address): after ``login_max_failures`` failures for one
    name from one client, and after four times that for any names from one client, that client waits 30 s,
    then 1, 2, 4 … minutes (at most ``login_lock_minutes``) before it may try again. Another client — the
    account's owner on their own computer — is not slowed down: knowing a name is not enough to lock its
    owner out. Failures are audited as a first row and then summaries (attempts, since when), not one row
    each.

    Raises:
        LoginThrottled: this client must wait (checked before the password; the same for any name).
        LoginFailed: unknown name, wrong password or inactive account (one message for all three).
        LoginBusy: the store stayed busy (a long import) for ``login_busy_seconds``; nothing was changed.
    """
    settings = get_settings()
    name = normalize_username(username)
    keys = _throttle_keys(name, client)
    actor = (unicodedata.normalize("NFKC", username or "").strip()[:80]) or "?"
    with _client_lock(client):
        now = now_utc()
        try:
            with Session(engine) as session:  # a read: no lock, runs beside an import
                wait = _blocked_for(session, keys, now)
                user = session.exec(
                    select(UserAccount).where(func.lower(UserAccount.username) == name)
                ).first()
        except OperationalError as exc:
            raise LoginBusy("the store is busy") from exc
        if wait > 0:
            raise LoginThrottled(wait)
        with _ARGON2_SLOTS:
            try:
                verified = HASHER.verify(user.password_hash if user is not None else _DUMMY_HASH, password)
            except (VerificationError, InvalidHashError):
                verified = False
            new_hash = (
                HASHER.hash(password) if verified and HASHER.check_needs_rehash(user.password_hash) else None
            )
        ok = user is not None and verified and user.active
        try:
            with _login_transaction(engine) as session:
                fresh = session.get(UserAccount, user.id) if ok else None
                if (
                    fresh is None or fresh.password_hash != user.password_hash or not fresh.active
                ):  # changed meanwhile
                    ok = False
                    _record_failure(session, keys, actor, user, now)
                else:
                    stale = session.exec(
                        select(LoginThrottle).where(LoginThrottle.key == next(iter(keys)))
                    ).first()
                    if stale is not None:
                        session.delete(stale)
                    if new_hash:
                        fresh.password_hash = new_hash
                    audit.record(session, fresh.username, "login", record=fresh, changes={})
                    token = sessions.create(session, fresh, now=now)
                    scope = sessions.scope_of(fresh)
        except OperationalError as exc:
            raise LoginBusy("the store is busy") from exc
        if not ok:
            time.sleep(settings.login_failure_delay_seconds)
            raise LoginFailed("wrong username or password")
    return LoggedIn(token, scope)


def authenticate(engine: Engine, username: str, password: str, *, client: str = LOCAL_CLIENT) -> Scope:
    """:func:`log_in`, returning only the scope (the command line and tests). Raises as :func:`log_in`."""
    return log_in(engine, username, password, client=client).scope


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
