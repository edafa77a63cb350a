"""Journey: a coordinator opens the Jaarverslag, checks the year's figures and downloads the report as PDF
and Word, which open and show the same headline figures (computed from the workbook with plain pandas)."""

from __future__ import annotations

from docx import Document
from e2e.conftest import PASSWORD
from e2e_helpers import IDLE, expect_text, log_in, main, open_app
from playwright.sync_api import Page
from pypdf import PdfReader
from test_year_report import expected_year


def test_coordinator_downloads_the_year_report(page: Page, workbook_app, workbook_sheets, tmp_path):
    expected = expected_year(workbook_sheets)["programme"]
    open_app(page, workbook_app.url)
    log_in(page, "coordinator", PASSWORD)
    # The first run draws the charts of the preview: on a loaded 2-core machine that takes longer than
    # the helpers' 30 seconds, so wait for the run to end with more patience.
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Jaarverslag").click()
    page.wait_for_timeout(500)
    page.wait_for_selector(IDLE, timeout=180_000)
    expect_text(page, "Voorbeeld van het verslag")
    expect_text(page, "Huishoudens bereikt")
    expect_text(page, "Kanttekeningen")

    with page.expect_download(timeout=120_000) as download:
        main(page).get_by_role("button", name="PDF").click()
    assert download.value.suggested_filename == "jaarverslag-2026.pdf"
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    first_page = PdfReader(str(pdf)).pages[0].extract_text()
    assert "Jaarverslag Samen Hier 2026" in first_page
    assert str(expected["households_reached"]) in first_page and str(expected["meetings"]) in first_page

    with page.expect_download(timeout=120_000) as download:
        main(page).get_by_role("button", name="Word (.docx)").click()
    word = tmp_path / download.value.suggested_filename
    download.value.save_as(word)
    headline = [c.text for c in Document(str(word)).tables[0].rows[0].cells]
    assert str(expected["matches_started"]) == headline[0] and str(expected["meetings"]) == headline[4]
