"""The session's language and what it shows as text: translation, dates in that language, text made inert
for Markdown. Part of the Streamlit glue (:mod:`samenhier.ui` re-exports it for the pages); it imports no
other glue module but :mod:`samenhier.ui_cache`.

Every date goes through :mod:`samenhier.formatting` (its one home); :func:`fmt_date` and :func:`date_column`
only supply the session's language.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from samenhier import formatting, i18n
from samenhier.escape import MARKDOWN, user_text
from samenhier.scope import Scope
from samenhier.ui_cache import engine
from samenhier.web import LANG_COOKIE

LANG_KEY = "lang"


def current_language() -> str:
    """The session's language code (``nl`` or ``en``; the default for a new session)."""
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

            set_language(
                engine(), scope.username, current_language()
            )  # chosen on this tab's login page just now
        else:
            account = st.session_state.get(ACCOUNT_LANG_KEY)
            if account in i18n.LANGUAGES:
                st.session_state[LANG_KEY] = account
        st.session_state[LANG_USER_KEY] = scope.username
    elif LANG_KEY not in st.session_state:
        try:
            remembered = st.context.cookies.get(LANG_COOKIE)
        except Exception:  # no browser context
            remembered = None
        if isinstance(remembered, str) and remembered in i18n.LANGUAGES:
            st.session_state[LANG_KEY] = remembered
    lang = current_language()
    i18n.set_language(lang)
    return lang


def switch_language_next_run(lang: str) -> None:
    """Show the app in ``lang`` from the next run on (e.g. after "Mijn instellingen" saved a new language)."""
    st.session_state[LANG_PENDING_KEY] = lang


def t(key: str, **params: Any) -> str:
    """Translate ``key`` into the session's language (see :mod:`samenhier.i18n`)."""
    return i18n.t(key, current_language(), **params)


def md(text: Any) -> str:
    """User data made inert inside st.markdown and every other element that reads Markdown: the one
    escape helper, :func:`samenhier.escape.user_text` (links, images, autolinks and HTML show as typed)."""
    return user_text(text, MARKDOWN)


def fmt_date(value: Any) -> str:
    """A date written out for sentences in the session's language (``3 maart 2026``); empty for missing
    (:func:`samenhier.formatting.format_date`)."""
    return formatting.format_date(value, current_language())


def date_format() -> str:
    """The session language's date pattern for ``st.date_input`` and date columns (nl ``DD-MM-YYYY``,
    en ``YYYY-MM-DD``; :func:`samenhier.formatting.date_input_format`)."""
    return formatting.date_input_format(current_language())


def date_column(label: str) -> Any:
    """A sortable date column in the language's numeric style (nl ``DD-MM-YYYY``, en ``YYYY-MM-DD``)."""
    return st.column_config.DateColumn(label, format=date_format())
