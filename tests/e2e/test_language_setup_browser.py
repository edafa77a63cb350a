"""Browser journeys of issue 14's leftovers, items 1 and 2: the language chosen (on the login page, in the sidebar)
is kept across a reload and a new tab, and the first account made on the setup page stays logged in by cookie."""

from __future__ import annotations

from e2e.conftest import PASSWORD
from e2e_helpers import expect_text, open_app, settle
from playwright.sync_api import Page, expect

from samenhier.web import COOKIE, LANG_COOKIE


def _sidebar(page: Page):
    return page.locator('[data-testid="stSidebar"]')


def test_the_language_is_kept_before_and_after_the_login(page: Page, workbook_app):
    open_app(page, workbook_app.url)
    expect(page.get_by_label("Gebruikersnaam")).to_be_visible()
    _sidebar(page).get_by_role("button", name="English").click()
    settle(page)
    expect(page.get_by_label("Username")).to_be_visible()
    lang = next(c for c in page.context.cookies() if c["name"] == LANG_COOKIE)
    assert lang["value"] == "en" and lang["httpOnly"]
    page.reload()
    settle(page)
    expect(page.get_by_label("Username")).to_be_visible()  # the login page keeps its language

    page.get_by_label("Username").fill("leyla")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    settle(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.reload()
    settle(page)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()  # still English after a reload
    other = page.context.new_page()
    open_app(other, workbook_app.url + "/bijeenkomsten")
    expect(other.get_by_role("button", name="Log out")).to_be_visible()  # and in a new tab

    _sidebar(page).get_by_text("Nederlands", exact=True).click()
    settle(page)
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()
    page.reload()
    settle(page)
    expect(
        page.get_by_role("button", name="Uitloggen")
    ).to_be_visible()  # the sidebar choice is the account's now
    other.reload()
    settle(other)
    expect(other.get_by_role("button", name="Uitloggen")).to_be_visible()


def test_the_first_account_stays_logged_in_after_a_reload(page: Page, fresh_app):
    open_app(page, fresh_app.url)
    expect_text(page, "eerste start")
    page.get_by_label("Gebruikersnaam").fill("anna")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Wachtwoord herhalen").fill("iets-anders-dan-het-wachtwoord")
    page.get_by_role("button", name="Account aanmaken").click()
    settle(page)
    expect_text(page, "De wachtwoorden zijn niet gelijk")
    expect(page.get_by_label("Gebruikersnaam")).to_have_value(
        "anna"
    )  # the name is kept, the passwords are not

    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Wachtwoord herhalen").fill(PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()
    settle(page)
    expect_text(page, "Welkom bij Samen Hier")
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.reload()
    settle(page)
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()  # F5 no longer asks for the login
    expect_text(page, "Welkom bij Samen Hier")
    other = page.context.new_page()
    open_app(other, fresh_app.url)
    expect(other.get_by_role("button", name="Uitloggen")).to_be_visible()


def test_number_fields_are_empty_after_a_saved_meeting(page: Page, workbook_app):
    """Item 11: after a successful save the form is cleared in the browser too (AppTest saw empty state, the
    browser kept showing the numbers)."""
    import re

    from e2e_helpers import choose, log_in, nav, open_tab

    open_app(page, workbook_app.url)
    log_in(page, "leyla", PASSWORD)
    nav(page, "Bijeenkomsten")
    panel = open_tab(page, "Bijeenkomst vastleggen")
    choose(page, panel, "Groep", "0599-014")
    fields = {"Duur (min)": "45", "Leden aanwezig": "2", "Nieuwkomers aanwezig": "1"}
    for name, value in fields.items():
        panel.get_by_role("spinbutton", name=name).fill(value)
    panel.get_by_label("Notitie").fill("Koffie in de bibliotheek")
    choose(page, panel, "Soort", "online")
    panel.get_by_role("button", name=re.compile("Bijeenkomst opslaan voor groep 0599-014")).click()
    settle(page)
    expect_text(page, "Bijeenkomst vastgelegd: groep 0599-014")
    for name in fields:
        expect(panel.get_by_role("spinbutton", name=name)).to_have_value("")
    expect(panel.get_by_label("Notitie")).to_have_value("")
