"""Refresh the screenshots in docs/ (`make screenshots`): the app on the shared workbook, in headless Chromium.

Starts `streamlit run serve.py` on a free port with a throwaway store (the workbook imported, one
coordinator account), logs in through the login form, and saves one PNG per page.
Needs Debian's chromium (/usr/bin/chromium) and the Python package playwright (no browser download).
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

CHROMIUM = os.environ.get("SAMENHIER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
WORKBOOK = ROOT / "tests" / "data" / "samenhier-voorbeeld.xlsx"
PASSWORD = "schermafdruk-wachtwoord"
PAGES = {  # file name in docs/ → url path of the page (navigated to through the sidebar, keeping the session)
    "groep": "groep",  # first: the deep link opened before logging in lands here
    "overzicht": "overzicht",
    "bijeenkomsten": "bijeenkomsten",
    "koppelen": "koppelen",
    "enquetes": "enquetes",
    "mijn-groepen": "mijn-groepen",
    "beheer": "beheer",
    "gegevens": "gegevens",
    "privacy": "privacy",
    "audit": "audit",
}
DEEP_LINK_GROUP = "0599-013"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_store(folder: Path) -> str:
    url = f"sqlite:///{folder / 'screens.db'}"
    env = {**os.environ, "SAMENHIER_DATABASE_URL": url}
    run = lambda *args, **kw: subprocess.run([sys.executable, "-m", "samenhier", *args], cwd=ROOT, env=env, check=True, **kw)  # noqa: E731
    run("import", str(WORKBOOK), stdout=subprocess.DEVNULL)
    run("create-user", "coordinator", "--role", "coordinator", input=PASSWORD + "\n", text=True, stdout=subprocess.DEVNULL)
    return url


def start_app(url: str, port: int, today: str) -> subprocess.Popen:
    env = {**os.environ, "SAMENHIER_DATABASE_URL": url, "SAMENHIER_TODAY": today}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless=true", f"--server.port={port}",
         "--server.address=127.0.0.1", "--browser.gatherUsageStats=false"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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
        page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000)
        page.wait_for_timeout(750)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--today", default="2026-11-15", help="SAMENHIER_TODAY for the figures")
    parser.add_argument("--lang", default="nl", choices=["nl", "en"])
    parser.add_argument("--size", default="1400x1600", help="viewport WIDTHxHEIGHT (e.g. 1440x900, or 390x844 for a phone)")
    parser.add_argument("--suffix", default="", help="added to each file name (e.g. -390 for the phone size)")
    parser.add_argument("pages", nargs="*", help="only these (names in docs/)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        url = prepare_store(Path(folder))
        port = free_port()
        app = start_app(url, port, args.today)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                width, height = (int(x) for x in args.size.lower().split("x"))
                page = browser.new_page(viewport={"width": width, "height": height})
                base = f"http://127.0.0.1:{port}"
                # Open a deep link before logging in: after login the app must land on that group.
                page.goto(f"{base}/groep?group={DEEP_LINK_GROUP}")
                settle(page)
                if args.lang == "en":
                    page.get_by_text("English").click()
                    settle(page)
                page.get_by_label("Gebruikersnaam" if args.lang == "nl" else "Username").fill("coordinator")
                page.get_by_label("Wachtwoord" if args.lang == "nl" else "Password", exact=True).fill(PASSWORD)
                page.keyboard.press("Enter")
                page.wait_for_selector('[data-testid="stSidebarNav"]', state="attached", timeout=120_000)  # logged in
                settle(page)
                for name, path in PAGES.items():
                    if args.pages and name not in args.pages:
                        continue
                    if width < 640 and page.locator('[data-testid="stSidebarNav"]').is_hidden():  # phone: open the menu
                        page.locator('[data-testid="stExpandSidebarButton"], [data-testid="stSidebarCollapsedControl"] button').first.click()
                        page.wait_for_timeout(300)
                    nav = page.locator('[data-testid="stSidebarNav"] a')
                    link = nav.first if name == "overzicht" else page.locator(f'[data-testid="stSidebarNav"] a[href$="/{path}"]')
                    if link.count() == 0:
                        print(f"skipped {name}: no such page in the navigation")
                        continue
                    if name != "groep":  # the group page is where the deep link landed
                        link.first.click()
                    settle(page)
                    if width < 640 and page.locator('[data-testid="stSidebar"] [data-testid="stSidebarCollapseButton"] button').count():
                        page.locator('[data-testid="stSidebar"] [data-testid="stSidebarCollapseButton"] button').first.click()
                        page.wait_for_timeout(300)
                    suffix = ("" if args.lang == "nl" else "-en") + args.suffix
                    target = args.out / f"{name}{suffix}.png"
                    page.screenshot(path=str(target), full_page=True)
                    print(target)
                browser.close()
        finally:
            app.terminate()
            app.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
