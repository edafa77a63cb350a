"""Caching for the pages: the process-wide engine and :func:`cached` query results. Part of the Streamlit
glue (:mod:`samenhier.ui` re-exports it); it imports no other glue module.

One invalidation mechanism: every cached result is keyed on :func:`data_version`, which every write changes
(every write is audited). A write in this session, in another browser, by the CLI or a restore makes the
next read a miss; nothing has to be cleared after a write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from samenhier.db import database_url, get_engine
from samenhier.models import AuditEvent
from samenhier.scope import Scope

T = TypeVar("T")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return get_engine(url)


def engine() -> Engine:
    """The process-wide engine for the configured store (migrated on first use)."""
    return _engine(database_url())


@st.cache_data(show_spinner=False, ttl=600, max_entries=512)
def _cached_call(
    name: str, _fn: Callable[..., T], url: str, version: tuple, scope: Scope, args: tuple, kwargs_items: tuple
) -> T:
    # ``name`` is in the key (every wrapped query shares this one cached function); ``_fn`` is not hashed;
    # ``version`` (see data_version) makes a write by anyone — another session, the CLI, a restore — a miss.
    return _fn(_engine(url), scope, *args, **dict(kwargs_items))


@st.cache_resource(show_spinner=False, ttl=600, max_entries=64)
def _built(
    name: str, url: str, version: tuple, scope: Scope, lang: str, key: tuple, _build: Callable[[], T]
) -> T:
    # Held as the object itself (cache_resource: not pickled or copied per hit, unlike cache_data).
    return _build()


def cached_build(name: str, build: Callable[[], T], *, scope: Scope, lang: str, key: tuple) -> T:
    """``build()`` once per store, data version, user scope, language and ``key``; the same object after.

    For derived objects that are expensive to make and cheap to hand out, such as a chart figure (at national
    scale the meetings heatmap takes about 100 ms CPU to build, most of a warm rerun). ``key`` must hold every
    input of ``build`` that is not the store's content, the scope or the language (the page's filters, year,
    view, peildatum): two calls with the same key get the same object. The object is shared by every
    session of that user, so callers must not change it (``st.plotly_chart`` does not: it copies the figure).
    """
    url = database_url()
    return _built(name, url, data_version(_engine(url)), scope, lang, key, build)


def data_version(store: Engine) -> tuple:
    """What identifies the store's content: every write is audited, so the audit trail's size, newest id and
    newest time change with every write — in this app, another browser session, the CLI or a restore."""
    with store.connect() as connection:
        return tuple(
            connection.execute(select(func.count(), func.max(AuditEvent.id), func.max(AuditEvent.at))).one()
        )


def cached(fn: Callable[..., T]) -> Callable[..., T]:
    """Cache a query ``fn(engine, scope, …)`` per store, data version, user scope and every argument.

    The wrapper drops the engine from the cache key (it is not hashable) but keys on the database URL,
    so two stores never share entries, and on the scope, so two users never do. The key includes
    :func:`data_version`, so a result never outlives a write.
    """

    name = f"{fn.__module__}.{fn.__qualname__}"

    def wrapper(scope: Scope, *args: Any, **kwargs: Any) -> T:
        url = database_url()
        return _cached_call(
            name, fn, url, data_version(_engine(url)), scope, args, tuple(sorted(kwargs.items()))
        )

    wrapper.__doc__ = fn.__doc__
    return wrapper
