"""The hervestiging actieplan in a real browser (issue 19): the overdue to-do of the workbook's running
hervestiging group opens the check-off with the step chosen; checking it off writes exactly that step."""

from __future__ import annotations

from e2e.conftest import PASSWORD
from e2e_helpers import expect_text, log_in_again, main, settle
from playwright.sync_api import Page
from sqlalchemy import create_engine, text


def test_the_overdue_todo_checks_off_the_step_it_names(page: Page, workbook_app):
    code = "0599-017"  # hervestiging, match started 06-02-2026: every step of the actieplan is overdue
    step = "Actieplan besproken met de community builder"  # due 42 days before the start: the longest overdue
    log_in_again(page, f"{workbook_app.url}/groep?group={code}", "coordinator", PASSWORD)
    expect_text(page, "Actieplan en mijlpalen")
    expect_text(page, "0 van 12 afgevinkt")
    main(page).get_by_role(
        "button", name=f"12 mijlpalen zijn over tijd, het langst: {step}. → Afvinken"
    ).click()
    settle(page)
    main(page).get_by_role("button", name=f"Afvinken: {step}").click()
    settle(page)
    expect_text(page, f"Afgevinkt: {step}")
    expect_text(page, "1 van 12 afgevinkt")

    engine = create_engine(workbook_app.db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT g.code, m.name, c.checked_by FROM milestone_check c JOIN welcome_group g ON g.id = c.group_id "
                "JOIN milestone m ON m.id = c.milestone_id WHERE c.done_date IS NOT NULL"
            )
        ).all()
    engine.dispose()
    assert [tuple(r) for r in rows] == [(code, step, "coordinator")]
