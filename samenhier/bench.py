"""Benchmark of the dashboard: ``python -m samenhier bench [--scale demo|national]``.

For every page a coordinator has (read from ``role_pages`` in ``app.py``), plus the overview as a
community builder, the benchmark runs the whole page the way Streamlit's server does — the app script,
the navigation and the page — with :class:`streamlit.testing.v1.AppTest`, and measures:

- **cold**: the server-side time of a full page run right after ``st.cache_data`` and
  ``st.cache_resource`` were cleared (every query runs); **warm**: the same run again with the caches
  filled (what a user waits for on every click). Medians of ``runs`` runs, in milliseconds. Scripts
  are compiled once, as on the server (:func:`server_like_script_cache`);
- the same as **CPU** time of the process (less disturbed by other users of a shared machine);
- a **blank** Streamlit page (``import streamlit as st; st.write("")``) the same way: the floor that
  AppTest and Streamlit themselves cost;
- **peak RSS** of the process while the page ran (``VmHWM`` from ``/proc/self/status``, reset before
  each page through ``/proc/self/clear_refs``; elsewhere the process-wide ``ru_maxrss``), in MiB;
- the **largest payload** the page sends to the browser: the element with the largest protobuf message
  (the bytes Streamlit sends over its websocket), with its rows × columns (tables) or data points
  (charts), and the page's total bytes.

It also times the import of a 50,000-row meetings file into a copy of the store (a CSV file through
``samenhier.io.csv_files`` when that module exists, else the same rows as a ``bijeenkomsten`` sheet
through :func:`samenhier.io.workbook.import_frames`).

The store is built fresh in a temporary folder (``--store PATH`` keeps it, and reuses a store that is
already filled there), with two accounts: a coordinator and a community builder. Nothing else is
written. Results are printed as a Markdown table and written to ``docs/benchmarks.md`` (one section per
scale; the other scale's section and any text outside the sections are kept), with the machine, the
load average, Python and library versions and the date. Timings on a shared machine are noisy: the load
average before and after is printed beside them. Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import base64
import datetime as dt
import gc
import json
import os
import platform
import random
import re
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from unittest.mock import patch

from samenhier import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"
DOCS = PROJECT_ROOT / "docs" / "benchmarks.md"
BLANK_PAGE = 'import streamlit as st\nst.write("")\n'
IMPORT_ROWS = 50_000
LIBRARIES = ("streamlit", "pandas", "numpy", "SQLAlchemy", "sqlmodel", "plotly", "pyarrow", "scipy")
GOALS = {"warm_ms": 150, "cold_ms": 1500, "ratio": 3.0, "import_s": 30, "rss_mib": 1024, "login_ms": 2000}
PAGE_STATES: dict[str, list[tuple[str, dict]]] = {
    "views/manage.py": [(section, {"manage_section": section}) for section in ("members", "newcomers", "builders", "users")],
    "views/meetings.py": [("programme", {"meetings_view": "programme"})],
}
"""The states of a page that its default run does not show, by name: session state set before the run
(Beheer's sections, the meetings page's programme year). The tabs of ``st.tabs`` all run in the default
run; tabs that run only when open (``?tab=``) are listed here with ``{"?tab": key}``."""
BENCH_PASSWORD = "bench-lang-genoeg-wachtwoord"  # passes the password-strength rule (zxcvbn)
"""Password of the benchmark's accounts (a throwaway store: the browser timing logs in with it)."""
"""The issue's goals (national scale, 2-core machine): shown beside the figures, never asserted."""


@dataclass
class Payload:
    """The largest element a page sends: its kind, its size (``rows × cols`` or ``points``) and protobuf bytes."""

    kind: str = ""
    shape: str = ""
    bytes: int = 0
    total_bytes: int = 0


@dataclass
class PageResult:
    """One page's figures. Times in milliseconds, memory in MiB; ``error`` is set when the page failed."""

    page: str
    role: str
    state: str = ""
    cold_ms: float | None = None
    warm_ms: float | None = None
    cold_runs: list[float] = field(default_factory=list)
    warm_runs: list[float] = field(default_factory=list)
    cold_cpu_ms: float | None = None
    warm_cpu_ms: float | None = None
    peak_rss_mib: float | None = None
    payload: Payload = field(default_factory=Payload)
    error: str = ""
    title: str = ""
    browser_first_ms: float | None = None
    browser_again_ms: float | None = None


@dataclass
class BenchResult:
    scale: str
    runs: int
    as_of: str
    started: str
    counts: dict[str, int]
    build_seconds: float | None
    machine: dict[str, str]
    pages: list[PageResult]
    import_seconds: float | None = None
    import_rows: int = 0
    import_method: str = ""
    import_peak_rss_mib: float | None = None
    process_peak_rss_mib: float | None = None
    load_before: str = ""
    load_after: str = ""
    seconds: float = 0.0
    login_settled_ms: float | None = None
    browser_note: str = ""


# ---------------------------------------------------------------------------------------------- machine


def _load_average() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def machine_info() -> dict[str, str]:
    """CPU count and model, RAM, OS, Python, SQLite and library versions."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "-"
    return {
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "ram": _ram_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        **versions,
    }


# ---------------------------------------------------------------------------------------------- memory


def _status_kib(name: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak_rss() -> bool:
    """Reset the process's peak RSS (Linux: ``VmHWM``); False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mib(resettable: bool) -> float:
    """Peak RSS since the last reset (or since the process started), in MiB."""
    if resettable and (kib := _status_kib("VmHWM")) is not None:
        return kib / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


# ---------------------------------------------------------------------------------------------- pages


def coordinator_pages() -> list[str]:
    """The page scripts (``views/….py``) a coordinator has, from the page registry (:mod:`samenhier.pages`), in order."""
    from samenhier.models import UserRole
    from samenhier.pages import pages_for

    return [p.path for p in pages_for(UserRole.COORDINATOR)]


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
        max((_array_length(trace.get(key)) for key in ("x", "y", "z", "text", "customdata", "values")), default=0)
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
    with patch.object(app_test, "ScriptCache", lambda: shared), patch.object(local_script_runner, "ScriptCache", lambda: shared):
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


def time_page(page: str | None, scope, *, runs: int, script: str | None = None, state: tuple[str, dict] | None = None) -> PageResult:
    """Cold and warm medians of ``runs`` full runs of ``page`` (``views/x.py``) for ``scope``.

    ``script`` instead of a page: the source of a standalone app (the blank floor). ``state``: a name and
    the session state (or ``?tab`` query parameter) of a non-default state of the page (:data:`PAGE_STATES`).
    """
    from streamlit.testing.v1 import AppTest

    role = "-" if scope is None else scope.role.value
    result = PageResult(page=page or "(blank)", role=role, state=state[0] if state else "")
    resettable = _reset_peak_rss()
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
    result.peak_rss_mib = _peak_rss_mib(resettable)
    result.payload = page_payload(at)
    result.error = _errors(at)
    result.title = str(at.title[0].value) if len(at.title) else ""
    return result


# ---------------------------------------------------------------------------------------------- store


def build_store(url: str, scale: str, as_of: dt.date, *, seed: int = 7) -> tuple[dict[str, int], bool]:
    """Fill the (empty) store at ``url`` with the demo or national data; returns rows per table and
    whether it was filled now (a store that already holds groups is used as it is)."""
    from samenhier.db import get_engine
    from samenhier.models import WelcomeGroup
    from samenhier.queries.common import count_rows

    engine = get_engine(url)
    built = not count_rows(engine, WelcomeGroup)
    if built:
        if scale == "national":
            from samenhier.demo_national import load_national

            load_national(engine, as_of, seed=seed)
        else:
            from samenhier.demo import load_demo

            load_demo(engine, as_of, seed=seed)
    from samenhier.models import Match, Meeting, Member, Newcomer, SurveyResponse, WelcomeGroup
    from samenhier.queries.common import count_rows

    tables = (WelcomeGroup, Member, Newcomer, Match, Meeting, SurveyResponse)
    return {t.__tablename__: count_rows(engine, t) for t in tables}, built


def bench_scopes(url: str):
    """A coordinator and a community builder (the builder guiding the most groups), with accounts in the
    store so that the app shows its pages (without any account it shows the first-run setup)."""
    from samenhier.db import get_engine
    from samenhier.scope import Scope
    from samenhier.services.users import count_users, create_user

    engine = get_engine(url)
    with engine.connect() as connection:
        builder_id, builder_name = connection.exec_driver_sql(
            "SELECT b.id, b.name FROM community_builder b JOIN welcome_group g ON g.community_builder_id = b.id "
            "GROUP BY b.id ORDER BY count(*) DESC, b.id LIMIT 1").one()
        taken = {r[0] for r in connection.exec_driver_sql("SELECT username FROM user_account")}
    if not count_users(engine) or "bench-coordinator" not in taken:
        create_user(engine, "bench-coordinator", BENCH_PASSWORD, "coordinator", actor="bench")
    if "bench-builder" not in taken:
        create_user(engine, "bench-builder", BENCH_PASSWORD, "community_builder", community_builder=builder_name, actor="bench")
    return Scope.coordinator("bench-coordinator"), Scope.community_builder("bench-builder", builder_id)


def meetings_import_frame(url: str, rows: int, as_of: dt.date, *, seed: int = 11):
    """``rows`` meetings in the workbook's ``bijeenkomsten`` layout, as a Dutch Excel CSV has them (text
    cells, dates ``dd-mm-jjjj``), for groups of the store with a started match, dated in the last year."""
    import pandas as pd

    from samenhier.db import get_engine
    from samenhier.models import MeetingKind

    rng = random.Random(seed)
    with get_engine(url).connect() as connection:
        codes = [r[0] for r in connection.exec_driver_sql(
            "SELECT DISTINCT g.code FROM welcome_group g JOIN match m ON m.group_id = g.id "
            "WHERE m.started_date IS NOT NULL ORDER BY g.code")]
    kinds = [k.value for k in MeetingKind]
    records = []
    for _ in range(rows):
        day = as_of - dt.timedelta(days=rng.randint(0, 364))
        records.append({
            "groep_code": rng.choice(codes), "datum": day.strftime("%d-%m-%Y"), "soort": rng.choice(kinds),
            "duur_minuten": str(rng.choice([45, 60, 90, 120])), "aanwezig_leden": str(rng.randint(1, 3)),
            "aanwezig_nieuwkomers": "1", "notitie": rng.choice(["", "koffie", "wandeling", "taalles"]),
        })
    return pd.DataFrame(records, dtype=object)


def time_import(url: str, rows: int, as_of: dt.date, folder: Path) -> tuple[float, str]:
    """Seconds to import ``rows`` meetings into a copy of the store at ``url``, and what was imported how.

    A CSV file through ``import_paths`` when the CSV import (``samenhier.io.csv_files``) exists, else
    the same rows as a ``bijeenkomsten`` sheet through :func:`~samenhier.io.workbook.import_frames`.
    """
    from importlib.util import find_spec

    from sqlalchemy.engine import make_url

    from samenhier.db import get_engine
    from samenhier.io.workbook import ImportFailed, import_frames, import_paths

    copy = folder / "import-copy.db"
    source, target = sqlite3.connect(make_url(url).database), sqlite3.connect(copy)
    try:
        source.backup(target)  # a consistent copy, WAL included
    finally:
        source.close()
        target.close()
    engine = get_engine(f"sqlite:///{copy}")
    frame = meetings_import_frame(url, rows, as_of)
    if find_spec("samenhier.io.csv_files") is not None:
        csv = folder / "bijeenkomsten.csv"
        frame.to_csv(csv, sep=";", index=False, encoding="utf-8-sig")
        method = f"CSV file of {rows:,} meetings via import_paths"

        def run():
            return import_paths(engine, [csv], username="bench")
    else:
        method = f"bijeenkomsten sheet of {rows:,} meetings via import_frames (no CSV import on this branch)"

        def run():
            return import_frames(engine, {"bijeenkomsten": frame}, username="bench", source="bench")
    started = time.perf_counter()
    try:
        result = run()
    except ImportFailed as failed:
        method += f" — REFUSED: {failed.issues[0].describe('en')}"
    else:
        summary = result.sheets[-1]
        method += f" ({summary.new:,} new, {summary.changed:,} changed, {summary.unchanged:,} unchanged)"
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, method


# ---------------------------------------------------------------------------------------------- browser

CHROMIUM = os.environ.get("SAMENHIER_CHROMIUM") or "/usr/bin/chromium"
_SETTLED = """(title) => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
  if (document.querySelector('[data-testid="stStatusWidget"]') || document.querySelector('[data-stale="true"]')) return false;
  const h1 = document.querySelector('[data-testid="stMain"] h1');
  return !title || (h1 !== null && h1.textContent.trim().startsWith(title));
}"""
"""True once Streamlit is idle with no stale element left and the page's title is shown."""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def app_server(url: str) -> Iterator[str]:
    """``streamlit run serve.py`` (app.py with the login routes, as `make run`) on the benchmark store, on a free port of 127.0.0.1; yields its address."""
    import subprocess
    import urllib.request

    port = _free_port()
    env = {**os.environ, "SAMENHIER_DATABASE_URL": url, "SAMENHIER_LOGIN_FAILURE_DELAY_SECONDS": "0"}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "serve.py"), "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{address}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.time() > deadline or process.poll() is not None:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.3)
        yield address
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def browser_times(url: str, pages: list[PageResult]) -> tuple[float | None, str]:
    """Time-to-settled in a real browser (Playwright driving Debian's Chromium, 1440 × 900) against
    ``streamlit run`` on the store at ``url``, as the benchmark coordinator.

    The clock starts at the click (Inloggen, or the page's link in the sidebar) and stops when Streamlit
    is idle, no element is stale and the page's title is on screen. Per page of ``pages`` (the
    coordinator's, in their default state) it fills ``browser_first_ms`` (first visit after login: the
    server's caches are cold for that page; for the overview, the login itself) and ``browser_again_ms``
    (the second visit, caches warm).
    Returns the milliseconds from clicking Inloggen to the first page settled, and a note (empty, or
    why no browser figures were taken).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, "no browser figures: Playwright is not installed (the dev extras: requirements-dev.lock)"
    if not Path(CHROMIUM).exists():
        return None, f"no browser figures: Chromium not found at {CHROMIUM}"
    shown = [p for p in pages if p.role == "coordinator" and not p.state and not p.error and p.title]
    with app_server(url) as address, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1440, "height": 900})
            page.goto(address)
            page.wait_for_function(_SETTLED, arg="", timeout=120_000)
            page.get_by_label("Gebruikersnaam").fill("bench-coordinator")
            page.get_by_label("Wachtwoord", exact=True).fill(BENCH_PASSWORD)
            first_title = next((p.title for p in shown if p.page.endswith("overview.py")), "")

            def timed(action, title: str) -> float:
                started = time.perf_counter()
                action()
                page.wait_for_function(_SETTLED, arg=title, timeout=120_000, polling=16)
                return (time.perf_counter() - started) * 1000

            login = timed(lambda: page.get_by_role("button", name="Inloggen").click(), first_title)
            nav = page.locator('[data-testid="stSidebarNav"]')
            links = {}
            for result in shown:  # the default page's link is the app's root address, not its url_path
                link = nav.locator(f'a[href$="/{_url_path(result.page)}"]')
                links[result.page] = link if link.count() else nav.locator("a").first
            for result in shown:  # the overview's first visit is the login itself
                if result.page.endswith("overview.py"):
                    result.browser_first_ms = login
            for visit in ("browser_first_ms", "browser_again_ms"):
                for result in [p for p in shown if not p.page.endswith("overview.py")] + [p for p in shown if p.page.endswith("overview.py")]:
                    if getattr(result, visit) is None:
                        setattr(result, visit, timed(lambda r=result: links[r.page].click(), result.title))
        finally:
            browser.close()
    return login, ""


def _url_path(page: str) -> str:
    """The ``url_path`` of a page script (``views/overview.py`` → ``overzicht``), from the page registry."""
    from samenhier.pages import by_path

    return by_path(page).url_path


# ---------------------------------------------------------------------------------------------- report


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _page_name(page: str) -> str:
    return Path(page).stem if page.endswith(".py") else page


def render(result: BenchResult) -> str:
    """The Markdown section of one benchmark run: setting, the table per page, import and memory."""
    m = result.machine
    lines = [
        f"### Scale `{result.scale}`",
        "",
        f"- date {result.started}; peildatum {result.as_of}; {result.runs} runs per median; whole run {result.seconds:,.0f} s",
        f"- machine: {m['cpus']} CPUs ({m['cpu']}), {m['ram']} RAM, {m['os']}",
        f"- load average (1, 5, 15 min) before: {result.load_before}; after: {result.load_after}",
        f"- Python {m['python']}, SQLite {m['sqlite']}, "
        + ", ".join(f"{name} {m[name]}" for name in LIBRARIES),
        "- store: " + ", ".join(f"{t} {n:,}" for t, n in result.counts.items())
        + ("" if result.build_seconds is None else f"; generated in {result.build_seconds:,.1f} s"),
        "",
        "| page | role | cold median ms | warm median ms | cold CPU ms | warm CPU ms | browser first visit ms | browser again ms "
        "| cold runs ms | warm runs ms | peak RSS MiB | largest payload | page bytes |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|---|--:|---|--:|",
    ]
    for p in result.pages:
        payload = f"{p.payload.kind} {p.payload.shape}, {p.payload.bytes:,} B" if p.payload.kind else "–"
        if p.error:
            payload = f"ERROR: {p.error}"
        lines.append(
            f"| {_page_name(p.page)}{f' · {p.state}' if p.state else ''} | {p.role} | {_ms(p.cold_ms)} | {_ms(p.warm_ms)} | "
            f"{_ms(p.cold_cpu_ms)} | {_ms(p.warm_cpu_ms)} | {_ms(p.browser_first_ms)} | {_ms(p.browser_again_ms)} | "
            f"{' '.join(_ms(x) for x in p.cold_runs)} | {' '.join(_ms(x) for x in p.warm_runs)} | "
            f"{'–' if p.peak_rss_mib is None else f'{p.peak_rss_mib:,.0f}'} | {payload} | {p.payload.total_bytes:,} |"
        )
    lines.append("")
    if result.login_settled_ms is not None:
        lines.append(f"- in the browser (Chromium, 1440 × 900, `streamlit run` on this store): from clicking *Inloggen* to the "
                     f"first page settled **{result.login_settled_ms:,.0f} ms** (goal ≤ {GOALS['login_ms']:,} ms); per page the "
                     "first visit after login (server caches cold) and the second (warm), click to settled")
    elif result.browser_note:
        lines.append(f"- {result.browser_note}")
    if result.import_seconds is not None:
        lines.append(f"- import of a {result.import_method}: **{result.import_seconds:,.1f} s** (goal ≤ {GOALS['import_s']} s); "
                     f"peak RSS during the import {_ms(result.import_peak_rss_mib)} MiB")
    if result.process_peak_rss_mib is not None:
        lines.append(f"- peak RSS of the benchmark process over all pages (the app's server process does the same work): "
                     f"**{result.process_peak_rss_mib:,.0f} MiB** (goal ≤ {GOALS['rss_mib']:,} MiB)")
    lines.append("")
    return "\n".join(lines)


def render_ratios(demo: dict, national: dict) -> str:
    """National cold / demo cold per page (goal ≤ 3), wall clock and CPU, from the two sections' saved results."""
    lines = ["### National cold / demo cold", "",
             f"demo measured {demo['started']}, national {national['started']}.", "",
             "| page | role | demo cold ms | national cold ms | ratio | demo cold CPU ms | national cold CPU ms | CPU ratio |",
             "|---|---|--:|--:|--:|--:|--:|--:|"]
    demo_pages = {(p["page"], p["role"], p.get("state", "")): p for p in demo["pages"]}

    def ratio(a, b) -> str:
        return f"{a / b:.2f}" if a is not None and b else "–"

    for p in national["pages"]:
        d = demo_pages.get((p["page"], p["role"], p.get("state", "")))
        if not d or d.get("cold_ms") is None or p.get("cold_ms") is None:
            continue
        name = _page_name(p["page"]) + (f" · {p['state']}" if p.get("state") else "")
        lines.append(f"| {name} | {p['role']} | {_ms(d['cold_ms'])} | {_ms(p['cold_ms'])} | "
                     f"{ratio(p['cold_ms'], d['cold_ms'])} | {_ms(d.get('cold_cpu_ms'))} | {_ms(p.get('cold_cpu_ms'))} | "
                     f"{ratio(p.get('cold_cpu_ms'), d.get('cold_cpu_ms'))} |")
    lines.append("")
    return "\n".join(lines)


HEADER = """# Benchmarks

Written by `python -m samenhier bench [--scale demo|national]` (see `samenhier/bench.py` for what is
measured and how). Times are server-side: one full run of the app script with the page, as
Streamlit's AppTest runs it; *cold* right after the caches were cleared, *warm* with them filled.
Goals at national scale on a 2-core machine: warm ≤ 150 ms, cold ≤ 1.5 s, national cold / demo cold
≤ 3, import of 50,000 meetings ≤ 30 s, peak RSS ≤ 1 GiB, first page after login settled in the browser
≤ 2 s. The browser columns are click-to-settled times in Chromium against `streamlit run` on the same
store. The machine may be shared: see the load average.
"""


def _section(scale: str) -> tuple[str, str]:
    return f"<!-- bench:{scale}:start -->", f"<!-- bench:{scale}:end -->"


def _saved(text: str, scale: str) -> dict | None:
    start, end = _section(scale)
    match = re.search(re.escape(start) + r"\n<!-- data (.*?) -->", text, re.S)
    return json.loads(match.group(1)) if match and end in text else None


def write_report(result: BenchResult, path: Path) -> None:
    """Put ``result``'s section into ``path`` (replacing the same scale's section, keeping the rest) and
    refresh the ratio section when both scales are there."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    data = json.dumps(asdict(result), ensure_ascii=False).replace("--", "- -")
    for scale, body in ((result.scale, f"<!-- data {data} -->\n{render(result)}"),):
        start, end = _section(scale)
        block = f"{start}\n{body}{end}"
        if start in text and end in text:
            text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m, b=block: b, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    demo, national = _saved(text, "demo"), _saved(text, "national")
    if demo and national:
        start, end = _section("ratio")
        block = f"{start}\n{render_ratios(demo, national)}{end}"
        if start in text:
            text = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, text, flags=re.S)
        else:
            text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------- main


def run_bench(
    scale: str = "demo", *, runs: int = 5, pages: list[str] | None = None, store: Path | None = None,
    import_rows: int = IMPORT_ROWS, output: Path | None = DOCS, seed: int = 7, echo: Callable[[str], None] = print,
    browser: bool = True,
) -> BenchResult:
    """Build (or reuse) a store of ``scale``, time every page and the import; print and write the report.

    ``pages``: page names to keep (e.g. ``["overview"]``; the blank floor always runs); ``import_rows=0``
    skips the import; ``output=None`` writes no file; ``browser=False`` skips the browser timing
    (:func:`browser_times`).
    """
    from streamlit.logger import set_log_level

    from samenhier.clock import today

    set_log_level("error")  # AppTest outside a server warns about the missing runtime on every run
    from streamlit import config

    config.set_option("client.showErrorDetails", "full")  # name a failing page's error (the app's config hides it from users)
    started = time.perf_counter()
    as_of = today()
    os.environ["SAMENHIER_TODAY"] = as_of.isoformat()  # every page computes for the date the store was made for
    load_before = _load_average()
    with tempfile.TemporaryDirectory(prefix="samenhier-bench-") as tmp:
        folder = Path(tmp)
        path = store or folder / f"{scale}.db"
        url = f"sqlite:///{Path(path).resolve()}"
        os.environ["SAMENHIER_DATABASE_URL"] = url
        echo(f"store {path} ({scale}) …")
        build_started = time.perf_counter()
        counts, built = build_store(url, scale, as_of, seed=seed)
        build_seconds = time.perf_counter() - build_started if built else None
        coordinator, builder = bench_scopes(url)
        wanted = coordinator_pages()
        if pages:
            wanted = [p for p in wanted if _page_name(p) in pages]
        plan: list[tuple[str | None, object, str | None, tuple | None]] = [(None, None, BLANK_PAGE, None)]
        for page in wanted:
            plan.append((page, coordinator, None, None))
            plan += [(page, coordinator, None, state) for state in PAGE_STATES.get(page, [])]
        if not pages or "overview" in pages:
            plan.append(("views/overview.py", builder, None, None))
        results = []
        with server_like_script_cache():
            for page, scope, script, state in plan:
                echo(f"  {page or '(blank)'}{f' ({state[0]})' if state else ''} as {getattr(scope, 'role', '-')} …")
                results.append(time_page(page, scope, runs=runs, script=script, state=state))
        login_ms, browser_note = None, "browser timing skipped (--no-browser)"
        if browser:
            echo("  in the browser …")
            try:
                login_ms, browser_note = browser_times(url, results)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports a failure, it does not stop on it
                browser_note = f"browser timing failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        page_peak = max((p.peak_rss_mib or 0 for p in results), default=0)
        import_seconds = method = import_peak = None
        if import_rows:
            echo(f"  import of {import_rows:,} meetings …")
            resettable = _reset_peak_rss()
            import_seconds, method = time_import(url, import_rows, as_of, folder)
            import_peak = _peak_rss_mib(resettable)
        from samenhier.db import get_engine

        get_engine.cache_clear()
    result = BenchResult(
        scale=scale, runs=runs, as_of=as_of.isoformat(), started=dt.datetime.now().isoformat(timespec="minutes"),
        counts=counts, build_seconds=build_seconds, machine=machine_info(), pages=results, import_seconds=import_seconds,
        import_rows=import_rows if import_seconds is not None else 0, import_method=method or "",
        import_peak_rss_mib=import_peak, process_peak_rss_mib=page_peak or None, load_before=load_before, load_after=_load_average(),
        seconds=time.perf_counter() - started, login_settled_ms=login_ms, browser_note=browser_note,
    )
    echo(render(result))
    if output is not None:
        write_report(result, output)
        echo(f"written to {output}")
    return result
