"""Every write acts on a record that is on screen (issue 14), in a real browser on the shared workbook.

The reported bug: Koppelen → Koppelingen, a Den Haag match chosen, the municipality switched to Almere,
"Beëindigen" ended an Almere match. Here, and for its siblings (decline, accept, the meeting edit
picker, Beheer's record chooser, survey entry): choose a record, change a filter or the municipality,
then act. Either no action is offered, or the action names and writes a record visible in the table;
the store shows that no other record changed.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from e2e.conftest import PASSWORD
from e2e_helpers import choose, expect_text, log_in, log_in_again, main, nav, open_app, open_tab, settle
from playwright.sync_api import Page, expect
from sqlalchemy import create_engine, text

from samenhier.scope import Scope
from samenhier.services.matches import propose_match


@pytest.fixture(scope="module")
def store(workbook_app):
    engine = create_engine(workbook_app.db_url)
    yield engine
    engine.dispose()


def rows(store, table: str) -> dict[int, tuple]:
    """Every record of ``table`` by id, all columns: equal before and after means nothing changed."""
    with store.connect() as connection:
        return {r[0]: tuple(r) for r in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))}  # noqa: S608 - fixed names


def match_id(store, group_code: str, newcomer_code: str) -> int:
    with store.connect() as connection:
        return connection.execute(
            text(
                "SELECT m.id FROM match m JOIN welcome_group g ON g.id = m.group_id JOIN newcomer n ON n.id = m.newcomer_id "
                "WHERE g.code = :g AND n.code = :n AND m.status IN ('voorgesteld', 'actief')"
            ),
            {"g": group_code, "n": newcomer_code},
        ).scalar_one()


def id_of(store, table: str, code: str) -> int:
    with store.connect() as connection:
        return connection.execute(text(f"SELECT id FROM {table} WHERE code = :c"), {"c": code}).scalar_one()  # noqa: S608


def only_changed(before: dict, after: dict, changed: set[int]) -> None:
    assert set(before) == set(after)
    assert {k for k in before if before[k] != after[k]} == changed


def matches_panel(page: Page, workbook_app, municipality: str):
    log_in_again(page, workbook_app.url, "coordinator", PASSWORD)
    nav(page, "Koppelen")
    choose(page, main(page), "Gemeente", municipality)
    return open_tab(page, "Koppelingen")


def pick_match(page: Page, panel, pair: str) -> None:
    choose(page, panel, "Koppeling", pair)
    expect(panel.get_by_role("combobox", name="Koppeling")).to_have_value(re.compile("^" + re.escape(pair)))


def confirm(page: Page, panel, name_pattern: str) -> None:
    """Click the action button, see the question naming the record, and confirm with the button that names it too."""
    panel.get_by_role("button", name=re.compile(name_pattern)).first.click()
    settle(page)
    buttons = panel.get_by_role("button", name=re.compile(name_pattern))
    expect(buttons).to_have_count(2)  # the form's button and the question's
    buttons.last.click()
    settle(page)


def test_end_after_switching_municipality_acts_on_no_hidden_match(page: Page, workbook_app, store):
    den_haag, almere = match_id(store, "0518-019", "N0062"), match_id(store, "0034-010", "N0060")
    before = rows(store, "match")
    panel = matches_panel(page, workbook_app, "Den Haag")
    pick_match(page, panel, "0518-019 ↔ N0062")
    expect(
        panel.get_by_role("button", name=re.compile(r"Koppeling 0518-019 ↔ N0062 .* beëindigen"))
    ).to_be_visible()

    choose(page, main(page), "Gemeente", "Almere")  # the reported step
    panel = open_tab(page, "Koppelingen")
    expect(panel.get_by_role("combobox", name="Koppeling")).to_have_value("")  # the Den Haag choice is gone
    expect(panel.get_by_role("button", name=re.compile("beëindigen"))).to_have_count(
        0
    )  # and so is its action
    assert rows(store, "match") == before

    pick_match(page, panel, "0034-010 ↔ N0060")  # a match the table shows: that one, and only that one, ends
    panel.locator("label").filter(has_text=re.compile("^afgerond$", re.IGNORECASE)).first.click()
    confirm(page, panel, r"Koppeling 0034-010 ↔ N0060 .*beëindigen")
    expect_text(page, "is beëindigd.")
    after = rows(store, "match")
    only_changed(before, after, {almere})
    assert after[den_haag] == before[den_haag]


def test_decline_and_accept_act_on_the_proposal_shown(page: Page, workbook_app, store):
    coordinator = Scope.coordinator("coordinator")
    almere = propose_match(
        store,
        coordinator,
        newcomer_id=id_of(store, "newcomer", "N0086"),
        group_id=id_of(store, "welcome_group", "0034-013"),
        proposed_date=dt.date(2026, 11, 12),
    )
    haarlem = propose_match(
        store,
        coordinator,
        newcomer_id=id_of(store, "newcomer", "N0098"),
        group_id=id_of(store, "welcome_group", "0392-022"),
        proposed_date=dt.date(2026, 11, 12),
    )
    before = rows(store, "match")

    panel = matches_panel(page, workbook_app, "Almere")
    pick_match(page, panel, "0034-013 ↔ N0086")
    choose(page, main(page), "Gemeente", "Haarlem")
    panel = open_tab(page, "Koppelingen")
    expect(panel.get_by_role("button", name=re.compile("afwijzen|accepteren"))).to_have_count(0)

    pick_match(page, panel, "0392-022 ↔ N0098")
    panel.get_by_label(re.compile("^Reden")).last.fill("Past niet bij de gezinssituatie")
    confirm(page, panel, r"Koppeling 0392-022 ↔ N0098 .*afwijzen")
    expect_text(page, "is afgewezen")
    only_changed(before, rows(store, "match"), {haarlem})

    before = rows(store, "match")
    choose(page, main(page), "Gemeente", "Almere")
    panel = open_tab(page, "Koppelingen")
    pick_match(page, panel, "0034-013 ↔ N0086")
    panel.get_by_role("button", name=re.compile(r"Koppeling 0034-013 ↔ N0086 .*accepteren")).click()
    settle(page)
    expect_text(page, "is gestart.")
    only_changed(before, rows(store, "match"), {almere})
    # the next action offered is not "end": the choice is cleared after accepting
    expect(panel.get_by_role("button", name=re.compile("beëindigen"))).to_have_count(0)


def test_meeting_edit_picker_forgets_a_meeting_of_another_group(page: Page, workbook_app, store):
    before = rows(store, "meeting")
    log_in_again(page, workbook_app.url, "coordinator", PASSWORD)
    nav(page, "Bijeenkomsten")
    panel = open_tab(page, "Bewerken of verwijderen")
    choose(page, panel, "Groep", "0518-002")
    box = panel.get_by_role("combobox", name="Bijeenkomst", exact=True)
    box.click()
    page.get_by_role("option").first.click()  # the newest meeting of 0518-002
    settle(page)
    expect(
        panel.get_by_role("button", name=re.compile("Wijzigingen opslaan: .* van groep 0518-002 "))
    ).to_be_visible()

    choose(page, panel, "Groep", "0034-010")  # another group: its meetings are shown now, none chosen
    expect(panel.get_by_role("combobox", name="Bijeenkomst", exact=True)).to_have_value("")
    expect(panel.get_by_role("button", name=re.compile("Wijzigingen opslaan|verwijderen"))).to_have_count(0)
    assert rows(store, "meeting") == before

    box.click()
    page.get_by_role("option").first.click()
    settle(page)
    panel.get_by_role("spinbutton", name="Duur (min)").fill("75")
    panel.get_by_role("button", name=re.compile("Wijzigingen opslaan: .* van groep 0034-010 ")).click()
    settle(page)
    expect_text(page, "is gewijzigd.")
    after = rows(store, "meeting")
    changed = {k for k in before if before[k] != after[k]}
    assert len(changed) == 1
    with store.connect() as connection:
        group, minutes = connection.execute(
            text(
                "SELECT g.code, m.duration_minutes FROM meeting m JOIN welcome_group g ON g.id = m.group_id WHERE m.id = :i"
            ),
            {"i": changed.pop()},
        ).one()
    assert (group, minutes) == ("0034-010", 75)


def test_beheer_closes_a_record_the_search_no_longer_shows(page: Page, workbook_app, store):
    before = rows(store, "welcome_group")
    log_in_again(page, workbook_app.url, "coordinator", PASSWORD)
    nav(page, "Beheer")
    choose(page, main(page), "Record openen", "0518-003")
    expect(main(page).get_by_role("button", name=re.compile(r"^0518-003 · .* opslaan$"))).to_be_visible()

    main(page).get_by_label("Zoeken").fill("0034-01")
    main(page).get_by_label("Zoeken").press("Enter")
    settle(page)
    expect(main(page).get_by_role("combobox", name="Record openen")).to_have_value("")
    expect(main(page).get_by_role("button", name=re.compile("opslaan|archiveren|verwijderen"))).to_have_count(
        0
    )
    assert rows(store, "welcome_group") == before

    choose(page, main(page), "Record openen", "0034-011")
    main(page).get_by_label("Notities").fill("Nieuwe afspraak gemaakt")
    main(page).get_by_role("button", name=re.compile(r"^0034-011 · .* opslaan$")).click()
    settle(page)
    expect_text(page, "is opgeslagen.")
    only_changed(before, rows(store, "welcome_group"), {id_of(store, "welcome_group", "0034-011")})


def test_survey_entry_forgets_the_person_of_another_group(page: Page, workbook_app, store):
    before = rows(store, "survey_response")
    log_in_again(page, workbook_app.url, "coordinator", PASSWORD)
    nav(page, "Enquêtes")
    panel = open_tab(page, "Antwoorden invoeren")
    choose(page, panel, "Groep", "0518-002")
    person = panel.get_by_role("combobox", name="Persoon", exact=True)
    person.click()
    page.get_by_role("option").first.click()
    settle(page)
    expect(panel.get_by_role("button", name=re.compile("^nulmeting · .* opslaan$"))).to_be_visible()

    choose(page, panel, "Groep", "0518-003")
    expect(panel.get_by_role("combobox", name="Persoon", exact=True)).to_have_value("")
    expect(panel.get_by_role("button", name=re.compile("opslaan$"))).to_have_count(0)
    assert rows(store, "survey_response") == before


def test_a_tab_opens_from_its_link_and_the_link_follows_the_tab(page: Page, workbook_app):
    open_app(
        page, f"{workbook_app.url}/koppelen?tab=funnel"
    )  # a link opened in a new browser session survives the login
    log_in(page, "coordinator", PASSWORD)
    expect(main(page).get_by_role("tab", name="Trechter", exact=True)).to_have_attribute(
        "aria-selected", "true"
    )
    open_tab(page, "Koppelingen")
    expect(page).to_have_url(re.compile(r"/koppelen\?tab=matches$"))
