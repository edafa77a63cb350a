"""Browser tests: the real app (`streamlit run app.py`) on a free port, driven by Playwright in Debian's Chromium.

Skipped, with the reason shown, when Chromium is not installed; .ci/run installs it so CI always runs them.
Each test gets a store of its own (the app server is started per test module with one store; tests that
need an empty store use the `fresh_app` fixture). A failing test leaves a screenshot in test-results/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from samenhier import PROJECT_ROOT

CHROMIUM = os.environ.get("SAMENHIER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "browser-wachtwoord"
RESULTS = PROJECT_ROOT / "test-results"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}, "accept_downloads": True}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """A running `streamlit run app.py` on its own store."""

    def __init__(self, folder: Path, *, today: str = "2026-11-15", db_url: str | None = None):
        self.db_url = db_url or f"sqlite:///{folder / 'e2e.db'}"
        self.env = {
            **os.environ,
            "SAMENHIER_DATABASE_URL": self.db_url,
            "SAMENHIER_TODAY": today,
            "SAMENHIER_LOGIN_FAILURE_DELAY_SECONDS": "0",
        }
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def cli(self, *args: str, input: str | None = None) -> None:
        subprocess.run(
            [sys.executable, "-m", "samenhier", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            check=True,
            input=input,
            text=True,
            capture_output=True,
        )

    def start(self) -> AppServer:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "serve.py",
                "--server.headless=true",
                f"--server.port={self.port}",
                "--server.address=127.0.0.1",
                "--browser.gatherUsageStats=false",
                "--server.fileWatcherType=none",
            ],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("streamlit did not answer /_stcore/health within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _workbook_app(folder: Path, workbook_path: Path, db_url: str | None = None):
    server = AppServer(folder, db_url=db_url)
    server.cli("import", str(workbook_path))
    server.cli("create-user", "coordinator", "--role", "coordinator", input=PASSWORD + "\n")
    server.cli(
        "create-user",
        "leyla",
        "--role",
        "community_builder",
        "--community-builder",
        "Leyla Aydın",
        input=PASSWORD + "\n",
    )
    return server.start()


@pytest.fixture(scope="module")
def workbook_app(tmp_path_factory, workbook_path):
    """The app on a store with the shared workbook, a coordinator 'coordinator' and a community builder 'leyla'."""
    server = _workbook_app(tmp_path_factory.mktemp("e2e"), workbook_path)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def postgres_workbook_app(tmp_path_factory, workbook_path, postgres_server):
    """Like ``workbook_app``, on an empty PostgreSQL database (the import migrates it) of the test server."""
    name = f"e2e_{tmp_path_factory.mktemp('pg').name}".lower().replace("-", "_")
    server = _workbook_app(
        tmp_path_factory.mktemp("e2e"), workbook_path, postgres_server.create_database(name)
    )
    yield server
    server.stop()
    postgres_server.drop_database(name)


@pytest.fixture
def fresh_app(tmp_path):
    """The app on an empty store (no account yet)."""
    server = AppServer(tmp_path)
    server.cli("init-db")
    server.start()
    yield server
    server.stop()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "page" in item.funcargs:
        RESULTS.mkdir(exist_ok=True)
        try:
            item.funcargs["page"].screenshot(path=str(RESULTS / f"{item.name}.png"), full_page=True)
        except Exception:  # the page may be gone; the failure itself is what matters
            pass
