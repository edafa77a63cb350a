"""What a person does in the browser, as functions over a Playwright page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

TIMEOUT = 30_000


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the current script run."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT)
    page.wait_for_timeout(300)


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    settle(page)


def log_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Inloggen").click()
    settle(page)


def nav(page: Page, title: str) -> None:
    """Click a page in the sidebar navigation."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    settle(page)


def expect_text(page: Page, text: str) -> None:
    expect(page.get_by_text(text, exact=False).first).to_be_visible(timeout=TIMEOUT)
