"""Time-to-settled in a real browser: Playwright driving Chromium against ``streamlit run serve.py``."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from samenhier import PROJECT_ROOT
from samenhier.bench.results import PageResult
from samenhier.bench.store import BENCH_PASSWORD

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
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(PROJECT_ROOT / "serve.py"),
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
            "--server.fileWatcherType=none",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
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
                for result in [p for p in shown if not p.page.endswith("overview.py")] + [
                    p for p in shown if p.page.endswith("overview.py")
                ]:
                    if getattr(result, visit) is None:
                        setattr(result, visit, timed(lambda r=result: links[r.page].click(), result.title))
        finally:
            browser.close()
    return login, ""


def _url_path(page: str) -> str:
    """The ``url_path`` of a page script (``views/overview.py`` → ``overzicht``), from the page registry."""
    from samenhier.pages import by_path

    return by_path(page).url_path
