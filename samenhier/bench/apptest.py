"""Driving the app with Streamlit's AppTest: a full server-side run of one page (or one tab of it), cold and
warm, with its CPU time, peak memory and the largest payload it sends to the browser."""

from __future__ import annotations

import base64
import gc
import json
import re
import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from unittest.mock import patch

from samenhier import PROJECT_ROOT
from samenhier.bench.machine import load_average, peak_rss_mib, reset_peak_rss
from samenhier.bench.results import PageResult, Payload

APP = PROJECT_ROOT / "app.py"
BLANK_PAGE = 'import streamlit as st\nst.write("")\n'


def coordinator_pages() -> list[str]:
    """The page scripts (``views/….py``) a coordinator has, from the page registry (:mod:`samenhier.pages`), in order."""
    from samenhier.models import UserRole
    from samenhier.pages import pages_for

    return [p.path for p in pages_for(UserRole.COORDINATOR)]


EXTRA_STATES: dict[str, list[tuple[str, dict]]] = {
    "meetings": [("year · programme", {"meetings_view": "programme"})],
    "group": [("one group", {"?group": "{group}"})],
}
"""States of a page besides its tabs, by page name: a name and the session state (or ``?query``) set before
the run; ``{group}`` stands for a group of the benchmark's community builder."""
BUILDER_PAGES = ("overview", "group", "my_groups", "meetings")
"""The community builder's pages timed (her default states): the ones that show her groups only."""

Step = tuple[str | None, object, str | None, tuple[str, dict] | None]
"""One timed run: (page script, scope, standalone script, (state name, state))."""


def bench_plan(coordinator, builder, group: str, *, names: list[str] | None = None) -> list[Step]:
    """Every page a coordinator has, in its default state, each of its other tabs (``?tab=``) and the
    states of :data:`EXTRA_STATES`; then the community builder's :data:`BUILDER_PAGES`. ``names`` keeps only
    those pages (e.g. ``["overview"]``); ``group`` is the code the group states open."""
    from samenhier.models import UserRole
    from samenhier.pages import pages_for

    def states(page, role) -> list[tuple[str, dict]]:
        extra = [
            (name, {k: v.format(group=group) if isinstance(v, str) else v for k, v in state.items()})
            for name, state in EXTRA_STATES.get(page.name, [])
        ]
        return [(slug, {"?tab": slug}) for slug in page.tabs_for(role)[1:]] + extra

    plan: list[Step] = []
    for page in pages_for(UserRole.COORDINATOR):
        if not names or page.name in names:
            plan += [
                (page.path, coordinator, None, None),
                *((page.path, coordinator, None, s) for s in states(page, UserRole.COORDINATOR)),
            ]
    for page in pages_for(UserRole.COMMUNITY_BUILDER):
        if page.name in BUILDER_PAGES and (not names or page.name in names):
            plan.append((page.path, builder, None, None))
            if page.name == "group":
                plan += [
                    (page.path, builder, None, s)
                    for s in states(page, UserRole.COMMUNITY_BUILDER)
                    if s[0] == "one group"
                ]
    return plan


def _walk(node) -> Iterable:
    yield node
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        for child in children.values():
            yield from _walk(child)


def _array_length(value) -> int:
    """Number of values in a plotly data array: a list (nested for heatmaps) or a typed array ``{dtype, bdata, shape}``."""
    if isinstance(value, dict) and "bdata" in value:
        if "shape" in value:
            shape = [int(s) for s in str(value["shape"]).split(",")]
            count = 1
            for s in shape:
                count *= s
            return count
        itemsize = int(re.sub(r"\D", "", value.get("dtype", "f8")) or 8)
        return len(base64.b64decode(value["bdata"])) // max(itemsize, 1)
    if isinstance(value, list | tuple):
        return sum(_array_length(v) if isinstance(v, list | tuple | dict) else 1 for v in value)
    return 0


def _chart_points(spec: str) -> int:
    """Data points of a plotly figure: per trace the longest of x, y, z, text and customdata, summed."""
    try:
        figure = json.loads(spec)
    except (TypeError, ValueError):
        return 0
    return sum(
        max(
            (_array_length(trace.get(key)) for key in ("x", "y", "z", "text", "customdata", "values")),
            default=0,
        )
        for trace in figure.get("data", [])
    )


def page_payload(at) -> Payload:
    """The largest element an AppTest run produced (protobuf bytes), with its size in rows × columns or points."""
    largest, total = Payload(), 0
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or getattr(node, "children", None):
            continue
        size = proto.ByteSize()
        total += size
        if size <= largest.bytes:
            continue
        kind = getattr(node, "type", type(node).__name__)
        shape = ""
        if kind in ("arrow_data_frame", "dataframe", "arrow_table", "table"):
            try:
                rows, cols = node.value.shape
                shape = f"{rows} × {cols}"
            except Exception:  # a styled or unusual frame: bytes still say enough
                shape = "?"
        elif kind == "plotly_chart":
            shape = f"{_chart_points(proto.spec)} points"
        largest = Payload(kind=kind, shape=shape, bytes=size)
    largest.total_bytes = total
    return largest


@contextmanager
def server_like_script_cache() -> Iterator[None]:
    """Compile each script once, as Streamlit's server does (one ``ScriptCache`` per process).

    AppTest makes a new ``ScriptCache`` for every run, so every run would recompile ``app.py`` and the
    page (20–70 ms for a long page): a cost users of the real server do not pay after the first run.
    """
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_script_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    shared = ScriptCache()
    with (
        patch.object(app_test, "ScriptCache", lambda: shared),
        patch.object(local_script_runner, "ScriptCache", lambda: shared),
    ):
        yield


def _clear_caches() -> None:
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def _timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU milliseconds of ``run()`` (CPU time of this process: on a shared machine it
    varies less with the other users' load than the wall clock does)."""
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    run()
    return (time.perf_counter() - start) * 1000, (time.process_time() - cpu) * 1000


def _errors(at) -> str:
    problems = [f"{e.proto.type}: {e.message}" if e.proto.type else str(e.value) for e in at.exception]
    return "; ".join(p.splitlines()[0] for p in problems)[:300]


def time_page(
    page: str | None, scope, *, runs: int, script: str | None = None, state: tuple[str, dict] | None = None
) -> PageResult:
    """Cold and warm medians of ``runs`` full runs of ``page`` (``views/x.py``) for ``scope``.

    ``script`` instead of a page: the source of a standalone app (the blank floor). ``state``: a name and
    the session state (or ``?query`` parameter) of a non-default state of the page (:func:`bench_plan`).
    """
    from streamlit.testing.v1 import AppTest

    role = "-" if scope is None else scope.role.value
    result = PageResult(
        page=page or "(blank)", role=role, state=state[0] if state else "", load=load_average().split()[0]
    )
    resettable = reset_peak_rss()
    if script is not None:
        at = AppTest.from_string(script, default_timeout=600)
    else:
        at = AppTest.from_file(str(APP), default_timeout=600)
        at.session_state["lang"] = "nl"
        if scope is not None:  # a real session, as a browser gets at login (rights come from the store)
            from samenhier.db import database_url, get_engine
            from samenhier.services.sessions import start

            at.session_state["session_token"] = start(get_engine(database_url()), scope.username)
        at.run()  # the navigation is registered on the first run; then the page can be chosen
        at.switch_page(page)
        for key, value in (state[1] if state else {}).items():
            if key.startswith("?"):
                at.query_params[key[1:]] = value
            else:
                at.session_state[key] = value
    cold_cpu, warm_cpu = [], []
    for _ in range(runs):
        _clear_caches()
        wall, cpu = _timed(at.run)
        result.cold_runs.append(wall)
        cold_cpu.append(cpu)
        if error := _errors(at):
            result.error = error
            return result
    for _ in range(runs):
        wall, cpu = _timed(at.run)
        result.warm_runs.append(wall)
        warm_cpu.append(cpu)
    result.cold_ms = statistics.median(result.cold_runs)
    result.warm_ms = statistics.median(result.warm_runs)
    result.cold_cpu_ms = statistics.median(cold_cpu)
    result.warm_cpu_ms = statistics.median(warm_cpu)
    result.peak_rss_mib = peak_rss_mib(resettable)
    result.payload = page_payload(at)
    result.error = _errors(at)
    result.title = str(at.title[0].value) if len(at.title) else ""
    return result
