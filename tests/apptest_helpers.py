"""Helpers for AppTest page tests: a logged-in app on the test's store."""

from __future__ import annotations

import functools

import streamlit as st
from sqlalchemy import update
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from samenhier import PROJECT_ROOT
from samenhier.clock import now_utc
from samenhier.db import database_url, get_engine, session_scope
from samenhier.models import Municipality, UserAccount
from samenhier.scope import Scope
from samenhier.services import sessions

APP = str(PROJECT_ROOT / "app.py")


def clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@functools.cache
def _unusable_hash() -> str:
    from samenhier.services.users import HASHER

    return HASHER.hash("apptest account: logs in through login_session only")


def login_session(scope: Scope) -> str:
    """A real session (:mod:`samenhier.services.sessions`) for the account of ``scope`` in the test's store
    (SAMENHIER_DATABASE_URL), making the account first if the test did not; returns its token. The app then
    derives the scope from the store like for any browser."""
    with session_scope(get_engine(database_url())) as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == scope.username)).first()
        if user is None:
            user = UserAccount(
                username=scope.username,
                password_hash=_unusable_hash(),
                role=scope.role.value,
                community_builder_id=scope.community_builder_id,
                created_at=now_utc(),
            )
            if scope.municipalities:  # a municipality coordinator (issue 16)
                user.municipalities = list(
                    session.exec(select(Municipality).where(Municipality.name.in_(scope.municipalities)))
                )
            session.add(user)
            session.flush()
        if sessions.scope_of(user) != scope:
            raise AssertionError(f"account {scope.username!r} exists with other rights than {scope}")
        return sessions.create(session, user)


def set_account_language(username: str, lang: str) -> None:
    with session_scope(get_engine(database_url())) as session:
        session.exec(update(UserAccount).where(UserAccount.username == username).values(language=lang))


def run_app(
    scope: Scope | None = None, *, lang: str = "nl", page: str | None = None, query: dict | None = None
) -> AppTest:
    """Run app.py once, logged in as ``scope`` (None: not logged in), optionally on ``page`` (e.g. "views/group.py")."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    if scope is not None:
        at.session_state["session_token"] = login_session(scope)
        set_account_language(
            scope.username, lang
        )  # a logged-in user sees the app in their account's language
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def texts(at: AppTest) -> str:
    """All text the page shows in markdown, titles, captions, infos, errors and metrics labels (one string)."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "error",
        "warning",
        "success",
        "text",
    ):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [m.label for m in at.metric]
    return "\n".join(parts)


def open_tab(at: AppTest, page_key: str, label: str) -> AppTest:
    """Open the tab ``label`` of the page's tabs (``samenhier.actions.tabs(page_key, …)``) and run: only the open tab runs."""
    at.session_state[f"tabs-{page_key}"] = label
    return at.run()
