"""Refresh the screenshots in docs/screenshots/ (`make screenshots`): the app on the shared workbook, in headless Chromium.

Starts `streamlit run serve.py` on a free port with a throwaway store (the workbook imported, a
coordinator and a community builder account), logs in through the login form, and saves one PNG per page
of the page registry (samenhier/pages.py), named ``<url path>-<size>.png`` (``-builder`` for the
community builder's pages that differ from the coordinator's), at desktop size (1440 × 900) and phone
size (390 × 844). Needs Debian's chromium (/usr/bin/chromium) and the Python package playwright (no browser download).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from samenhier.models import UserRole  # noqa: E402
from samenhier.pages import pages_for  # noqa: E402

CHROMIUM = os.environ.get("SAMENHIER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WORKBOOK = ROOT / "tests" / "data" / "samenhier-voorbeeld.xlsx"
PASSWORD = "schermafdruk-wachtwoord"
SIZES = {"desktop": (1440, 900), "phone": (390, 844)}
ACCOUNTS = {"coordinator": "coordinator", "community_builder": "opbouwwerker"}
BUILDER = "Samira Benali"  # guides groups in Den Haag in the workbook
BUILDER_PAGES = ("overview", "group", "meetings", "matching", "surveys", "my_groups")
"""The community builder's pages that show something else than the coordinator's (her own groups only)."""
DEEP_LINK_GROUP = "0518-019"  # one of the builder's groups: both roles may open it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_store(folder: Path) -> str:
    url = f"sqlite:///{folder / 'screens.db'}"
    env = {**os.environ, "SAMENHIER_DATABASE_URL": url}

    def run(*args, **kw):
        return subprocess.run([sys.executable, "-m", "samenhier", *args], cwd=ROOT, env=env, check=True, **kw)

    run("import", str(WORKBOOK), stdout=subprocess.DEVNULL)
    run(
        "create-user",
        ACCOUNTS["coordinator"],
        "--role",
        "coordinator",
        input=PASSWORD + "\n",
        text=True,
        stdout=subprocess.DEVNULL,
    )
    run(
        "create-user",
        ACCOUNTS["community_builder"],
        "--role",
        "community_builder",
        "--community-builder",
        BUILDER,
        input=PASSWORD + "\n",
        text=True,
        stdout=subprocess.DEVNULL,
    )
    return url


def start_app(url: str, port: int, today: str) -> subprocess.Popen:
    env = {**os.environ, "SAMENHIER_DATABASE_URL": url, "SAMENHIER_TODAY": today}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "serve.py",
            "--server.headless=true",
            f"--server.port={port}",
            "--server.address=127.0.0.1",
            "--browser.gatherUsageStats=false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("streamlit did not start")


IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script (and a rerun it started), and charts have drawn."""
    page.wait_for_load_state("networkidle")
    for _ in range(2):
        page.wait_for_selector(IDLE, timeout=120_000)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
        )
        page.wait_for_timeout(750)


def shoot(browser, base: str, role: str, size: str, args) -> None:
    """Log in as ``role`` in a new page of ``size`` and save every page of the role (see the module docstring)."""
    width, height = SIZES[size]
    page = browser.new_page(viewport={"width": width, "height": height})
    # Open a deep link before logging in: after login the app must land on that group.
    page.goto(f"{base}/groep?group={DEEP_LINK_GROUP}")
    settle(page)
    if args.lang == "en":
        page.get_by_text("English").click()
        settle(page)
    page.get_by_label("Gebruikersnaam" if args.lang == "nl" else "Username").fill(ACCOUNTS[role])
    page.get_by_label("Wachtwoord" if args.lang == "nl" else "Password", exact=True).fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_selector('[data-testid="stSidebarNav"]', state="attached", timeout=120_000)  # logged in
    settle(page)
    shown = pages_for(UserRole(role))
    shown = [p for p in shown if p.name == "group"] + [
        p for p in shown if p.name != "group"
    ]  # the deep link landed on the group
    for entry in shown:
        if args.pages and entry.url_path not in args.pages:
            continue
        if role != "coordinator" and entry.name not in BUILDER_PAGES:
            continue
        if width < 640 and page.locator('[data-testid="stSidebarNav"]').is_hidden():  # phone: open the menu
            page.locator(
                '[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button'
            ).first.click()
            page.wait_for_timeout(300)
        nav = page.locator('[data-testid="stSidebarNav"] a')
        link = (
            nav.first
            if entry.default
            else page.locator(f'[data-testid="stSidebarNav"] a[href$="/{entry.url_path}"]')
        )
        if link.count() == 0:
            print(f"skipped {entry.url_path}: no such page in the navigation")
            continue
        if entry.name != "group":
            link.first.click()
        settle(page)
        if (
            width < 640
            and page.locator(
                '[data-testid="stSidebar"] [data-testid="stSidebarCollapseButton"] button'
            ).count()
        ):
            page.locator(
                '[data-testid="stSidebar"] [data-testid="stSidebarCollapseButton"] button'
            ).first.click()
            page.wait_for_timeout(300)
        who = "" if role == "coordinator" else "-builder"
        target = args.out / f"{entry.url_path}{who}-{size}{'' if args.lang == 'nl' else '-en'}.png"
        page.screenshot(path=str(target), full_page=True)
        print(target)
    page.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--today", default="2026-11-15", help="SAMENHIER_TODAY for the figures")
    parser.add_argument("--lang", default="nl", choices=["nl", "en"])
    parser.add_argument(
        "--size", choices=[*SIZES, "all"], default="all", help="desktop (1440x900), phone (390x844) or all"
    )
    parser.add_argument("--role", choices=[*ACCOUNTS, "all"], default="all")
    parser.add_argument("pages", nargs="*", help="only these (url paths, e.g. overzicht groep)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_store(Path(folder))
        port = free_port()
        app = start_app(url, port, args.today)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for role in ACCOUNTS if args.role == "all" else [args.role]:
                    for size in SIZES if args.size == "all" else [args.size]:
                        shoot(browser, f"http://127.0.0.1:{port}", role, size, args)
                browser.close()
        finally:
            app.terminate()
            app.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
