"""Streamlit glue shared by app.py and the pages: the engine, the logged-in scope, filters, language, caching.

This is the only module of the package that imports Streamlit. It holds no business rules: those are
in the queries and services, which take the :class:`~samenhier.scope.Scope` kept here in
``st.session_state``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from samenhier import formatting, i18n
from samenhier.clock import today
from samenhier.db import database_url, get_engine
from samenhier.escape import MARKDOWN, user_text
from samenhier.scope import AccessDenied, Filters, Scope
from samenhier.settings import get_settings

T = TypeVar("T")
SCOPE_KEY = "scope"
LANG_KEY = "lang"
FILTERS_KEY = "filters"
LAST_SEEN_KEY = "last_seen"
BACKUP_CHECKED_KEY = "daily_backup_checked"
_log = logging.getLogger(__name__)
_backup_lock = threading.Lock()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return get_engine(url)


def engine() -> Engine:
    """The process-wide engine for the configured store (migrated on first use)."""
    return _engine(database_url())


def t(key: str, **params: Any) -> str:
    """Translate ``key`` into the session's language (see :mod:`samenhier.i18n`)."""
    return i18n.t(key, current_language(), **params)


def current_language() -> str:
    lang = st.session_state.get(LANG_KEY, i18n.DEFAULT_LANGUAGE)
    return lang if lang in i18n.LANGUAGES else i18n.DEFAULT_LANGUAGE


LANG_USER_KEY = "lang_user"
"""The account whose language this browser session has taken (once per session and user: see apply_language)."""
LANG_CHOSEN_KEY = "lang_chosen"
"""True when the language was chosen on the login page of this tab (the in-tab login keeps it for the account)."""
LANG_PENDING_KEY = "lang_pending"
"""A language to switch to at the next run (saved in "Mijn instellingen", after the sidebar's switch was drawn)."""
ACCOUNT_LANG_KEY = "account_lang"


def apply_language(scope: Scope | None = None) -> str:
    """Make the session's language current for this script run; returns it. Call it with the run's scope.

    Where the language comes from (issue 14 leftovers, item 1): a logged-in user's language is their account's
    (``user_account.language``, also in "Mijn instellingen"), taken at the first run of each browser session —
    a reload, a new tab, the page after logging in — and changed by the sidebar switch, which stores it in the
    account. Before the login, the language chosen on the login page is kept in this browser (the
    ``samenhier_lang`` cookie, set by :data:`samenhier.web.LANGUAGE_PATH`), and the login makes it the
    account's language (see :func:`samenhier.web.login`)."""
    pending = st.session_state.pop(LANG_PENDING_KEY, None)
    if pending in i18n.LANGUAGES:
        st.session_state[LANG_KEY] = pending
    if scope is not None and st.session_state.get(LANG_USER_KEY) != scope.username:
        if st.session_state.pop(LANG_CHOSEN_KEY, False) and LANG_KEY in st.session_state:
            from samenhier.services.users import set_language

            set_language(engine(), scope.username, current_language())  # chosen on this tab's login page just now
        else:
            account = st.session_state.get(ACCOUNT_LANG_KEY)
            if account in i18n.LANGUAGES:
                st.session_state[LANG_KEY] = account
        st.session_state[LANG_USER_KEY] = scope.username
    elif LANG_KEY not in st.session_state:
        from samenhier.web import LANG_COOKIE

        try:
            remembered = st.context.cookies.get(LANG_COOKIE)
        except Exception:  # no browser context
            remembered = None
        if isinstance(remembered, str) and remembered in i18n.LANGUAGES:
            st.session_state[LANG_KEY] = remembered
    lang = current_language()
    i18n.set_language(lang)
    return lang


def language_chosen() -> None:
    """The sidebar switch's callback: a logged-in user's choice is stored as their account's language (every new
    tab and the next login open in it); before the login it is remembered for the in-tab login."""
    scope = current_scope()
    if scope is None:
        st.session_state[LANG_CHOSEN_KEY] = True
        return
    from samenhier.services.users import set_language

    set_language(engine(), scope.username, current_language())
    st.session_state[LANG_USER_KEY] = scope.username


def switch_language_next_run(lang: str) -> None:
    """Show the app in ``lang`` from the next run on (e.g. after "Mijn instellingen" saved a new language)."""
    st.session_state[LANG_PENDING_KEY] = lang


TOKEN_KEY = "session_token"
"""Session state key of a token from the in-tab login form (when the cookie routes are not served: AppTest,
``streamlit run app.py``). Only the server writes session state, so it is as trustworthy as the cookie."""
LOGOUT_REASON_KEY = "logout_reason"


def session_token() -> str | None:
    """This browser's session token: from the tab's own login, else the HttpOnly cookie (read-only to us)."""
    from samenhier.web import COOKIE

    token = st.session_state.get(TOKEN_KEY)
    if token:
        return token
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser context (bare script run)
        return None
    return token if isinstance(token, str) and token else None


def current_scope() -> Scope | None:
    """The logged-in user's scope, built from the store on every call (:func:`samenhier.services.sessions.resume`):
    role, linked builder and active as they are now. None without a valid session (never logged in, logged
    out in another tab, idle too long, account deactivated, its rights changed, or gone after a restore);
    then the reason is kept for the login form."""
    from samenhier.services.sessions import resume

    token = session_token()
    if token is None:
        st.session_state.pop(SCOPE_KEY, None)
        return None
    resumed = resume(engine(), token)
    if resumed.scope is None:
        _forget_user(resumed.reason)
        return None
    st.session_state[SCOPE_KEY] = resumed.scope  # this run's derived scope (never read back as a grant)
    st.session_state[ACCOUNT_LANG_KEY] = resumed.language
    st.session_state[LAST_SEEN_KEY] = time.time()
    return resumed.scope


def session_seconds_left() -> float:
    """Seconds until this browser's session ends by itself (0 when it already has); does not count as activity."""
    from samenhier.services.sessions import resume

    return resume(engine(), session_token(), touch=False).seconds_left


IDLE_CHECK_SECONDS = 20
"""How often an open page checks whether its session has ended (idle timeout, logout in another tab)."""


@st.fragment(run_every=IDLE_CHECK_SECONDS)
def end_session_when_idle() -> None:
    """Clear the screen by itself once the session has ended — after the idle timeout, or a logout in another
    tab — instead of at the next click: a fragment that reruns every :data:`IDLE_CHECK_SECONDS` and, when no
    time is left, reruns the whole app (which then shows the login). It draws nothing and is not activity."""
    if session_token() is not None and session_seconds_left() <= 0:
        st.rerun(scope="app")


def login(scope: Scope) -> None:
    """Start a session for the (just created or checked) account of ``scope`` in this tab."""
    from samenhier.services.sessions import start

    login_token(start(engine(), scope.username))


def login_token(token: str) -> None:
    """Remember a session token from a login made in this tab (see :data:`TOKEN_KEY`)."""
    st.session_state.pop(LOGOUT_REASON_KEY, None)
    st.session_state[TOKEN_KEY] = token
    st.session_state[LAST_SEEN_KEY] = time.time()


def _forget_user(reason: str = "") -> None:
    for key in list(st.session_state.keys()):
        if key not in (LANG_KEY,):
            del st.session_state[key]
    if reason and reason not in ("missing", "logout"):
        st.session_state[LOGOUT_REASON_KEY] = reason


def logout(reason: str = "") -> None:
    """End the session in the store — every tab that shares it asks for the login at its next run — and forget
    the user (and every cached view) in this one."""
    from samenhier.services.sessions import revoke

    revoke(engine(), session_token(), reason or "logout")
    _forget_user(reason)


def require_scope() -> Scope:
    """The logged-in scope; without one, shows the login form in place of the page and stops it."""
    scope = current_scope()
    if scope is None:
        from samenhier.widgets import login_form  # widgets imports this module

        login_form()
        st.stop()
    return scope


def current_filters() -> Filters:
    return st.session_state.get(FILTERS_KEY, Filters())


def as_of() -> dt.date:
    """The peildatum of every figure: today (Europe/Amsterdam) or SAMENHIER_TODAY."""
    return today()


@st.cache_data(show_spinner=False, ttl=600, max_entries=512)
def _cached_call(name: str, _fn: Callable[..., T], url: str, version: tuple, scope: Scope, args: tuple, kwargs_items: tuple) -> T:
    # ``name`` is in the key (every wrapped query shares this one cached function); ``_fn`` is not hashed;
    # ``version`` (see data_version) makes a write by anyone — another session, the CLI, a restore — a miss.
    return _fn(_engine(url), scope, *args, **dict(kwargs_items))


def data_version(store: Engine) -> tuple:
    """What identifies the store's content: every write is audited, so the audit trail's size, newest id and
    newest time change with every write — in this app, another browser session, the CLI or a restore."""
    from sqlalchemy import func, select

    from samenhier.models import AuditEvent

    with store.connect() as connection:
        return tuple(connection.execute(select(func.count(), func.max(AuditEvent.id), func.max(AuditEvent.at))).one())


def cached(fn: Callable[..., T]) -> Callable[..., T]:
    """Cache a query ``fn(engine, scope, …)`` per store, user scope and every argument.

    The wrapper drops the engine from the cache key (it is not hashable) but keys on the database URL,
    so two stores never share entries, and on the scope, so two users never do. Cleared by
    :func:`clear_caches` after every write.
    """

    name = f"{fn.__module__}.{fn.__qualname__}"

    def wrapper(scope: Scope, *args: Any, **kwargs: Any) -> T:
        url = database_url()
        return _cached_call(name, fn, url, data_version(_engine(url)), scope, args, tuple(sorted(kwargs.items())))

    wrapper.__doc__ = fn.__doc__
    return wrapper


def clear_caches() -> None:
    """Forget every cached query result (call after a write)."""
    st.cache_data.clear()


def settings():
    """The product settings (see :mod:`samenhier.settings`)."""
    return get_settings()


def md(text: Any) -> str:
    """User data made inert inside st.markdown and every other element that reads Markdown: the one
    escape helper, :func:`samenhier.escape.user_text` (links, images, autolinks and HTML show as typed)."""
    return user_text(text, MARKDOWN)


def fmt_date(value: Any) -> str:
    """A date for people in the session's language (``3 maart 2026``); empty for missing."""
    if value is None or value is pd.NaT or (not isinstance(value, dt.date) and pd.isna(value)):  # NaT is a date too
        return ""
    if isinstance(value, pd.Timestamp):
        value = value.date()
    return i18n.format_date(value, current_language())


def date_column(label: str) -> Any:
    """A sortable date column in the language's numeric style (nl ``DD-MM-YYYY``, en ``YYYY-MM-DD``)."""
    fmt = formatting.date_input_format(current_language())
    return st.column_config.DateColumn(label, format=fmt)


def daily_backup() -> None:
    """Once per browser session: the automatic daily backup, if one is due (:func:`samenhier.backup.auto_backup`
    with the settings ``backup_dir`` and ``backup_keep``). A failure is logged, never shown: it must not
    keep anyone from working; a store that is not SQLite has no automatic backups."""
    if st.session_state.get(BACKUP_CHECKED_KEY):
        return
    st.session_state[BACKUP_CHECKED_KEY] = True
    from samenhier.backup import BackupError, auto_backup, backup_dir

    current = get_settings()
    if current.backup_keep <= 0:
        return
    try:
        store = engine()
        with _backup_lock:  # two sessions starting together make one backup
            auto_backup(store, directory=backup_dir(store, current.backup_dir), keep=current.backup_keep)
    except BackupError as exc:
        if exc.code != "unsupported":
            _log.warning("automatic backup failed: %s", exc)
    except OSError as exc:
        _log.warning("automatic backup failed: %s", exc)


def denied() -> None:
    """Say that the record does not exist or is not the user's, and stop the page."""
    st.error(t("common.not_found_or_denied"))
    st.stop()


__all__ = ["AccessDenied"]
