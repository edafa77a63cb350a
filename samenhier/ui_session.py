"""Session and authentication for the pages: the session token (HttpOnly cookie or this tab's login), the
logged-in :class:`~samenhier.scope.Scope` rebuilt from the store on every run, login, logout, the idle
watcher, and the once-per-session automatic backup. Part of the Streamlit glue (:mod:`samenhier.ui`
re-exports it); it draws nothing but the login form (:mod:`samenhier.ui_login`).
"""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st

from samenhier import web
from samenhier.scope import Scope
from samenhier.settings import get_settings
from samenhier.ui_cache import engine
from samenhier.ui_language import ACCOUNT_LANG_KEY, LANG_CHOSEN_KEY, LANG_KEY, LANG_USER_KEY, current_language
from samenhier.ui_login import login_form

SCOPE_KEY = "scope"
LAST_SEEN_KEY = "last_seen"
BACKUP_CHECKED_KEY = "daily_backup_checked"
TOKEN_KEY = "session_token"
"""Session state key of a token from the in-tab login form (when the cookie routes are not served: AppTest,
``streamlit run app.py``). Only the server writes session state, so it is as trustworthy as the cookie."""
LOGOUT_REASON_KEY = "logout_reason"
IDLE_CHECK_SECONDS = 20
"""How often an open page checks whether its session has ended (idle timeout, logout in another tab)."""

_log = logging.getLogger(__name__)
_backup_lock = threading.Lock()


def session_token() -> str | None:
    """This browser's session token: from the tab's own login, else the HttpOnly cookie (read-only to us)."""
    token = st.session_state.get(TOKEN_KEY)
    if token:
        return token
    try:
        token = st.context.cookies.get(web.COOKIE)
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


@st.fragment(run_every=IDLE_CHECK_SECONDS)
def end_session_when_idle() -> None:
    """Clear the screen by itself once the session has ended — after the idle timeout, or a logout in another
    tab — instead of at the next click: a fragment that reruns every :data:`IDLE_CHECK_SECONDS` and, when no
    time is left, reruns the whole app (which then shows the login). It draws nothing and is not activity."""
    if session_token() is not None and session_seconds_left() <= 0:
        st.rerun(scope="app")


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
        if key != LANG_KEY:
            del st.session_state[key]
    if reason and reason not in ("missing", "logout"):
        st.session_state[LOGOUT_REASON_KEY] = reason


def logout(reason: str = "") -> None:
    """End the session in the store — every tab that shares it asks for the login at its next run — and forget
    the user in this one."""
    from samenhier.services.sessions import revoke

    revoke(engine(), session_token(), reason or "logout")
    _forget_user(reason)


def require_scope() -> Scope:
    """The logged-in scope; without one, shows the login form in place of the page and stops it (a login
    made in the form starts the session and runs the page again)."""
    scope = current_scope()
    if scope is None:
        token = login_form(st.session_state.pop(LOGOUT_REASON_KEY, ""))
        if token is not None:
            login_token(token)
            st.rerun()
        st.stop()
    return scope


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
