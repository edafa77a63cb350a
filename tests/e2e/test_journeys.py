"""The journeys people actually make, in a real browser against the running app."""

from __future__ import annotations

import re

from e2e.conftest import PASSWORD
from e2e_helpers import expect_text, log_in, nav, open_app, settle
from playwright.sync_api import Page, expect


def test_first_run_create_account_and_load_demo_data(page: Page, fresh_app):
    open_app(page, fresh_app.url)
    expect_text(page, "eerste start")
    page.get_by_label("Gebruikersnaam").fill("anna")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Wachtwoord herhalen").fill(PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()
    settle(page)
    expect_text(page, "Welkom bij Samen Hier")
    page.get_by_role("tab", name="Demogegevens").click()
    page.get_by_role("button", name="Demogegevens laden").click()
    settle(page)
    expect_text(page, "Actieve groepen")
    expect_text(page, "Groepen per status en gemeente")


def test_coordinator_logs_in_and_filters_the_overview(page: Page, workbook_app):
    open_app(page, workbook_app.url)
    log_in(page, "coordinator", PASSWORD)
    expect_text(page, "Overzicht welkomgroepen")
    expect_text(page, "90 van 90 groepen")
    page.get_by_label("Zoeken").fill("Schalkwijk")
    page.keyboard.press("Enter")
    settle(page)
    expect_text(page, "van 90 groepen")
    expect(page.get_by_text("90 van 90 groepen")).to_have_count(0)


def test_wrong_password_is_refused(page: Page, workbook_app):
    open_app(page, workbook_app.url)
    log_in(page, "coordinator", "niet-het-wachtwoord")
    expect_text(page, "Onjuiste naam of wachtwoord")


def test_deep_link_survives_the_login(page: Page, workbook_app):
    open_app(page, f"{workbook_app.url}/groep?group=0599-013")
    log_in(page, "coordinator", PASSWORD)
    expect_text(page, "Welkomgroep Stedenwijk 13")
    expect_text(page, "Rana Darwish")


def test_community_builder_sees_only_own_groups_and_not_others_by_link(page: Page, workbook_app):
    open_app(page, f"{workbook_app.url}/groep?group=0518-001")  # Samira Benali's group
    log_in(page, "leyla", PASSWORD)
    expect_text(page, "bestaat niet of je hebt er geen toegang toe")
    nav(page, "Overzicht")
    expect_text(page, "Overzicht welkomgroepen")
    expect(page.get_by_text("Samira Benali")).to_have_count(0)


def test_language_switch(page: Page, workbook_app):
    open_app(page, workbook_app.url)
    page.get_by_text("English").click()
    settle(page)
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    settle(page)
    expect_text(page, "Welcome groups overview")
    expect_text(page, "As of: November 15, 2026")


def test_first_run_imports_the_shared_workbook_through_the_upload(
    page: Page, fresh_app, workbook_path, workbook_sheets
):
    open_app(page, fresh_app.url)
    page.get_by_label("Gebruikersnaam").fill("anna")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_label("Wachtwoord herhalen").fill(PASSWORD)
    page.get_by_role("button", name="Account aanmaken").click()
    settle(page)
    expect_text(page, "Welkom bij Samen Hier")
    page.get_by_role("tab", name="Werkboek importeren").click()
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(workbook_path)
    settle(page)
    expect_text(page, "Controle geslaagd")
    # the preview: one row per sheet, every row of the workbook new (read with pandas: fully empty rows dropped);
    # the table is drawn on a canvas, its cells are in the page as an accessible (hidden) table
    preview = page.locator('[data-testid="stDataFrame"]').first
    for sheet in ("groepen", "leden", "bijeenkomsten", "enquetes"):
        row = preview.locator("tr").filter(
            has=page.locator('td[aria-colindex="1"]', has_text=re.compile(f"^{sheet}$"))
        )
        expect(row.locator('td[aria-colindex="2"]')).to_have_text(str(len(workbook_sheets[sheet])))
    expect_text(page, "Er staan nog geen groepen")  # nothing imported yet
    page.get_by_role("button", name="Importeren").click()
    settle(page)
    groups = len(workbook_sheets["groepen"])
    expect_text(page, f"{groups} van {groups} groepen")
