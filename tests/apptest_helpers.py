"""Helpers for AppTest page tests: a logged-in app on the test's store."""

from __future__ import annotations

import time

import streamlit as st
from streamlit.testing.v1 import AppTest

from samenhier import PROJECT_ROOT
from samenhier.scope import Scope

APP = str(PROJECT_ROOT / "app.py")


def clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def run_app(scope: Scope | None = None, *, lang: str = "nl", page: str | None = None, query: dict | None = None) -> AppTest:
    """Run app.py once, logged in as ``scope`` (None: not logged in), optionally on ``page`` (e.g. "views/group.py")."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    if scope is not None:
        at.session_state["scope"] = scope
        at.session_state["last_seen"] = time.time()
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
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "error", "warning", "success", "text"):
        parts += [str(e.value) for e in at.get(kind)]
    parts += [m.label for m in at.metric]
    return "\n".join(parts)


def open_tab(at: AppTest, page_key: str, label: str) -> AppTest:
    """Open the tab ``label`` of the page's tabs (``samenhier.actions.tabs(page_key, …)``) and run: only the open tab runs."""
    at.session_state[f"tabs-{page_key}"] = label
    return at.run()
