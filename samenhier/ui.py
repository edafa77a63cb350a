"""What the pages import: the Streamlit glue in one namespace (``ui.t``, ``ui.engine``, ``ui.cached``,
``ui.require_scope``, …), plus the sidebar filters, the peildatum and the "not yours" stop.

Each job has its own module, and this one only gathers them (the import graph is one-way:
``ui_cache`` ← ``ui_language`` ← ``ui_login`` ← ``ui_session`` ← ``ui`` ← ``widgets`` / ``actions`` / ``forms``):

- :mod:`samenhier.ui_language` — the session's language, translation, dates in that language, Markdown escaping;
- :mod:`samenhier.ui_cache` — the engine and cached queries (one invalidation mechanism: the data version);
- :mod:`samenhier.ui_session` — session token, logged-in scope, login, logout, idle watcher, daily backup;
- :mod:`samenhier.ui_login` — the login form;
- :mod:`samenhier.widgets` — reusable widgets (language switch, filters, pager, import, downloads).

It holds no business rules: those are in the queries and services, which take the
:class:`~samenhier.scope.Scope` kept by :mod:`samenhier.ui_session`.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from samenhier.clock import today
from samenhier.scope import AccessDenied, Filters
from samenhier.settings import get_settings
from samenhier.ui_cache import cached, cached_build, engine
from samenhier.ui_language import (
    LANG_KEY,
    apply_language,
    current_language,
    date_column,
    date_format,
    fmt_date,
    md,
    switch_language_next_run,
    t,
)
from samenhier.ui_session import (
    IDLE_CHECK_SECONDS,
    current_scope,
    daily_backup,
    end_session_when_idle,
    language_chosen,
    login,
    logout,
    require_scope,
)

FILTERS_KEY = "filters"


def current_filters() -> Filters:
    """The sidebar filters of this session (:func:`samenhier.widgets.sidebar_filters` keeps them)."""
    return st.session_state.get(FILTERS_KEY, Filters())


def as_of() -> dt.date:
    """The peildatum of every figure: today (Europe/Amsterdam) or SAMENHIER_TODAY."""
    return today()


def settings():
    """The product settings (see :mod:`samenhier.settings`)."""
    return get_settings()


def denied() -> None:
    """Say that the record does not exist or is not the user's, and stop the page."""
    st.error(t("common.not_found_or_denied"))
    st.stop()


__all__ = [
    "FILTERS_KEY",
    "IDLE_CHECK_SECONDS",
    "LANG_KEY",
    "AccessDenied",
    "apply_language",
    "as_of",
    "cached",
    "cached_build",
    "current_filters",
    "current_language",
    "current_scope",
    "daily_backup",
    "date_column",
    "date_format",
    "denied",
    "end_session_when_idle",
    "engine",
    "fmt_date",
    "language_chosen",
    "login",
    "logout",
    "md",
    "require_scope",
    "settings",
    "switch_language_next_run",
    "t",
]
