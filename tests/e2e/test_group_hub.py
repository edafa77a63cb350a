"""The Groep page as the hub, in a real browser: a group chosen in the overview's table opens in the
same tab (still logged in), and an action on the hub writes exactly that group."""

from __future__ import annotations

from e2e.conftest import PASSWORD
from e2e_helpers import expect_text, log_in_again, main, settle
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text


def test_a_group_chosen_in_the_overview_opens_in_the_same_tab_and_takes_a_check_in(page: Page, workbook_app):
    code = "0392-021"  # Joris Kramer's group, waiting for a match; no other browser test touches it
    log_in_again(page, workbook_app.url, "coordinator", PASSWORD)
    main(page).get_by_label("Zoek").fill(code)
    main(page).get_by_label("Zoek").press("Enter")
    settle(page)
    expect_text(page, "1 van 90 groepen")
    grid = main(page).locator('[data-testid="stDataFrame"]').first
    page.wait_for_timeout(
        1000
    )  # the grid draws its (filtered) rows on a canvas after the script run has ended
    box = grid.bounding_box()
    page.mouse.click(
        box["x"] + 18, box["y"] + 35 + 17
    )  # the row's selection box: first column, first row under the header
    settle(page)
    expect(page).to_have_url(f"{workbook_app.url}/groep?group={code}", timeout=30_000)
    assert len(page.context.pages) == 1, "the group opened in the same tab"
    expect_text(page, "Welkomgroep")  # the group's page, not the login form
    expect(page.get_by_label("Gebruikersnaam")).to_have_count(0)

    main(page).locator('[data-testid="stButtonGroup"]').get_by_text("Check-in", exact=True).click()
    settle(page)
    main(page).get_by_text("goed", exact=True).click()
    main(page).get_by_role("textbox", name="Notitie").fill("Kennismaking gepland")
    main(page).get_by_role("button", name=f"Check-in van {code} opslaan").click()
    settle(page)
    expect_text(page, f"Check-in opgeslagen: {code}")

    engine = create_engine(workbook_app.db_url)
    with engine.connect() as connection:
        notes = connection.execute(
            text(
                "SELECT g.code, p.assessment, p.text, p.author FROM progress_note p JOIN welcome_group g ON g.id = p.group_id"
            )
        ).all()
    engine.dispose()
    assert [tuple(n) for n in notes] == [(code, "goed", "Kennismaking gepland", "coordinator")]
