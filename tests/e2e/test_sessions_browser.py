"""Browser journeys of sessions (issue 14 item 4, issue 21 items 1 and 8): a login survives a reload and a new
tab, logging out in one tab ends every tab, the cookie is out of JavaScript's reach, the app cannot be framed
by another site, and /overzicht opens without a "Page not found" dialog."""

from __future__ import annotations

import urllib.request

from conftest import PASSWORD
from e2e_helpers import expect_text, log_in, main, open_app, settle
from playwright.sync_api import Page, expect

from samenhier.web import COOKIE


def _logged_in(page: Page) -> bool:
    return page.get_by_role("button", name="Uitloggen").count() == 1


def test_login_survives_reload_and_new_tab_and_logout_ends_every_tab(page: Page, workbook_app):
    open_app(page, workbook_app.url + "/groep?group=0518-001")
    log_in(page, "coordinator", PASSWORD)
    expect_text(page, "0518-001")
    assert _logged_in(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]  # plain http here
    assert COOKIE not in page.evaluate("document.cookie")  # JavaScript cannot read the token

    page.reload()
    settle(page)
    assert _logged_in(page), "a reload asked for the password again"
    expect_text(page, "0518-001")

    other = page.context.new_page()  # a group link opened in a new tab
    open_app(other, workbook_app.url + "/groep?group=0518-002")
    assert _logged_in(other), "a new tab asked for the password again"
    expect(main(other).get_by_text("0518-002").first).to_be_visible()

    page.get_by_role("button", name="Uitloggen").click()
    settle(page)
    expect(page.get_by_label("Gebruikersnaam")).to_be_visible()

    # The other tab's next click asks for the login (its session ended in the store).
    other.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Bijeenkomsten").click()
    settle(other)
    expect(other.get_by_label("Gebruikersnaam")).to_be_visible()
    assert not _logged_in(other)
    # And a reload does not bring the session back.
    other.reload()
    settle(other)
    expect(other.get_by_label("Gebruikersnaam")).to_be_visible()


def test_overzicht_opens_without_page_not_found(page: Page, workbook_app):
    open_app(page, workbook_app.url + "/overzicht")
    log_in(page, "coordinator", PASSWORD)
    expect(main(page).get_by_role("heading", name="Overzicht").first).to_be_visible()
    open_app(page, workbook_app.url + "/overzicht")
    assert page.get_by_text("Page not found").count() == 0


def test_pages_cannot_be_framed_by_another_site(workbook_app):
    for path in ("/", "/groep", "/_stcore/health"):
        with urllib.request.urlopen(workbook_app.url + path, timeout=10) as response:
            assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
            assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]


def test_login_route_refuses_a_post_from_another_site(workbook_app):
    request = urllib.request.Request(
        workbook_app.url + "/auth/login",
        data=b"username=coordinator&password=x&next=/",
        headers={"Origin": "https://evil.example"},
        method="POST",
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        status = 200
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status == 403


def test_a_page_clears_itself_when_its_session_ends_without_a_click(page: Page, workbook_app):
    """The idle watcher (issue 21 item 8): once the session has ended — here by a logout in another tab, the
    same check as the idle timeout — the open page shows the login by itself, within IDLE_CHECK_SECONDS."""
    from samenhier.ui import IDLE_CHECK_SECONDS

    open_app(page, workbook_app.url + "/groep?group=0518-001")
    log_in(page, "coordinator", PASSWORD)
    other = page.context.new_page()
    open_app(other, workbook_app.url)
    other.get_by_role("button", name="Uitloggen").click()
    settle(other)
    expect(page.get_by_label("Gebruikersnaam")).to_be_visible(timeout=(IDLE_CHECK_SECONDS + 15) * 1000)
    assert page.get_by_text("Khaled Hamdan").count() == 0  # the group's newcomer is no longer on screen


def test_a_phone_reloads_with_the_sidebar_closed_and_a_desktop_with_it_open(browser, workbook_app):
    # Issue 14: on a phone the sidebar is the menu; opening it to change pages was remembered by Streamlit
    # (localStorage) and the next reload opened it over the page (samenhier/web.py PhoneSidebarMiddleware).
    # A phone as the browser emulates one (is_mobile: a 980 px layout viewport until the meta tag is read; a
    # plain 390 px window passed while real phones failed).
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=3
    )
    page = context.new_page()

    def sidebar_right() -> float:
        box = page.locator('[data-testid="stSidebar"]').bounding_box()
        return box["x"] + box["width"]

    open_app(page, workbook_app.url + "/")
    log_in(page, "coordinator", PASSWORD)
    assert sidebar_right() <= 0  # closed after the login
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Bijeenkomsten").click()
    settle(page)
    assert page.evaluate("Object.keys(localStorage).some(k => k.startsWith('stSidebarCollapsed-'))")
    page.reload()
    settle(page)
    expect(main(page).get_by_role("heading", name="Bijeenkomsten").first).to_be_visible()
    assert sidebar_right() <= 0, "the reload opened the sidebar over the page"
    expect(page.locator('[data-testid="stExpandSidebarButton"]')).to_be_visible()
    context.close()

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    open_app(page, workbook_app.url + "/")
    log_in(page, "coordinator", PASSWORD)
    expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible()  # a desktop starts with it open
    page.reload()
    settle(page)
    expect(page.locator('[data-testid="stSidebarNav"]')).to_be_visible()  # and keeps it open
    page.close()
