"""Benchmark of the dashboard: ``python -m samenhier bench [--scale demo|national]``.

For every page and every tab a coordinator has (from the page registry, :mod:`samenhier.pages`), plus
the community builder's own pages, the benchmark runs the whole page the way Streamlit's server does —
the app script, the navigation and the page — with :class:`streamlit.testing.v1.AppTest`, and measures:

- **cold**: the server-side time of a full page run right after ``st.cache_data`` and
  ``st.cache_resource`` were cleared (every query runs); **warm**: the same run again with the caches
  filled (what a user waits for on every click). Medians of ``runs`` runs, in milliseconds. Scripts
  are compiled once, as on the server;
- the same as **CPU** time of the process (less disturbed by other users of a shared machine);
- a **blank** Streamlit page the same way: the floor that AppTest and Streamlit themselves cost;
- **peak RSS** of the process while the page ran, in MiB;
- the **largest payload** the page sends to the browser (protobuf bytes), with its rows × columns or
  data points, and the page's total bytes;
- the 1-minute **load average** of the machine when the page was timed (the machine may be shared).

In a real browser (Chromium through Playwright, against ``streamlit run serve.py`` on the same store)
it times the login to the first page settled and each page's first and second visit. It also times the
import of a 50,000-row meetings CSV file into a copy of the store.

The store is built fresh in a temporary folder (``--store PATH`` keeps it, and reuses a store that is
already filled there), with two accounts: a coordinator and a community builder. Results are printed as
a Markdown table and written to ``docs/benchmarks.md`` (one section per scale). Benchmarks are not
tests: nothing here asserts a time.

One module per job: :mod:`.machine` (the machine and memory), :mod:`.apptest` (driving a page),
:mod:`.store` (building the store, the import), :mod:`.browser` (browser timing), :mod:`.report`
(Markdown), :mod:`.results` (the figures and goals).
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from samenhier.bench.apptest import (
    BLANK_PAGE,
    bench_plan,
    coordinator_pages,
    server_like_script_cache,
    time_page,
)
from samenhier.bench.browser import browser_times
from samenhier.bench.machine import load_average, machine_info, peak_rss_mib, reset_peak_rss
from samenhier.bench.report import page_name, render, write_report
from samenhier.bench.results import DOCS, IMPORT_ROWS, BenchResult, PageResult, Payload
from samenhier.bench.store import bench_scopes, build_store, builder_group, time_import

__all__ = [
    "DOCS",
    "BenchResult",
    "PageResult",
    "Payload",
    "coordinator_pages",
    "render",
    "run_bench",
    "write_report",
]


def run_bench(
    scale: str = "demo",
    *,
    runs: int = 5,
    pages: list[str] | None = None,
    store: Path | None = None,
    import_rows: int = IMPORT_ROWS,
    output: Path | None = DOCS,
    seed: int = 7,
    echo: Callable[[str], None] = print,
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

    config.set_option(
        "client.showErrorDetails", "full"
    )  # name a failing page's error (the app's config hides it from users)
    started = time.perf_counter()
    as_of = today()
    os.environ["SAMENHIER_TODAY"] = (
        as_of.isoformat()
    )  # every page computes for the date the store was made for
    load_before = load_average()
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
        plan = [
            (None, None, BLANK_PAGE, None),
            *bench_plan(coordinator, builder, builder_group(url, builder), names=pages),
        ]
        results = []
        with server_like_script_cache():
            for page, scope, script, state in plan:
                echo(
                    f"  {page_name(page or '(blank)')}{f' ({state[0]})' if state else ''} as {getattr(scope, 'role', '-')} …"
                )
                results.append(time_page(page, scope, runs=runs, script=script, state=state))
        login_ms, browser_note, browser_load = None, "browser timing skipped (--no-browser)", ""
        if browser:
            echo("  in the browser …")
            browser_load = load_average()
            try:
                login_ms, browser_note = browser_times(url, results)
            except Exception as exc:  # noqa: BLE001 - a benchmark reports a failure, it does not stop on it
                browser_note = (
                    f"browser timing failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                )
        page_peak = max((p.peak_rss_mib or 0 for p in results), default=0)
        import_seconds = method = import_peak = None
        if import_rows:
            echo(f"  import of {import_rows:,} meetings …")
            resettable = reset_peak_rss()
            import_seconds, method = time_import(url, import_rows, as_of, folder)
            import_peak = peak_rss_mib(resettable)
        from samenhier.db import get_engine

        get_engine.cache_clear()
    result = BenchResult(
        scale=scale,
        runs=runs,
        as_of=as_of.isoformat(),
        started=dt.datetime.now().isoformat(timespec="minutes"),
        counts=counts,
        build_seconds=build_seconds,
        machine=machine_info(),
        pages=results,
        import_seconds=import_seconds,
        import_rows=import_rows if import_seconds is not None else 0,
        import_method=method or "",
        import_peak_rss_mib=import_peak,
        process_peak_rss_mib=page_peak or None,
        load_before=load_before,
        load_after=load_average(),
        seconds=time.perf_counter() - started,
        login_settled_ms=login_ms,
        browser_note=browser_note,
        browser_load=browser_load,
    )
    echo(render(result))
    if output is not None:
        write_report(result, output)
        echo(f"written to {output}")
    return result
