"""The daily work, in a real browser against the running app on the shared workbook: log a meeting and
see it in the heatmap, propose and accept a match, enter a survey response, and edit a group while a
colleague edits it too (a conflict, then re-applying).

One app server for the module (``workbook_app``, and for the meeting journey a second one on PostgreSQL);
every test logs in on its own page and works on records no other test here touches. Expected values
come from the workbook, read with pandas.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest
from e2e.conftest import PASSWORD, RESULTS
from e2e_helpers import choose, expect_text, heatmap_cell, log_in_again, main, nav, open_app, open_tab, settle
from playwright.sync_api import Browser, Page, expect

from samenhier import PROJECT_ROOT

AS_OF = dt.date(2026, 11, 15)  # the app's SAMENHIER_TODAY (tests/e2e/conftest.py)


def fold(series: pd.Series) -> pd.Series:
    """Workbook text as the import reads it: trimmed, lower case (spellings vary in the workbook)."""
    return series.astype(str).str.strip().str.casefold()


def day(value) -> dt.date | None:
    """A workbook date (a real Excel date, dd-mm-jjjj or jjjj-mm-dd text)."""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date()
    text = str(value).strip()
    for fmt in ("%d-%m-%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            pass
    return None


@pytest.fixture(scope="module")
def sheets(workbook_path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(workbook_path, sheet_name=None, dtype=object)


def group_name(sheets, code: str) -> str:
    groups = sheets["groepen"]
    return str(groups.loc[groups["groep_code"] == code, "naam"].iloc[0]).strip()


# ----------------------------------------------------------------------------------------------- meetings


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_community_builder_logs_a_meeting_and_sees_it_in_the_heatmap(page: Page, request, store, sheets):
    """Also on PostgreSQL: the app on a database of the throwaway test server (skipped without PostgreSQL)."""
    workbook_app = request.getfixturevalue("workbook_app" if store == "sqlite" else "postgres_workbook_app")
    code = "0599-014"  # Leyla Aydın's group, in its year
    row = code  # the heatmap's axis names a group by its code (the name is in the hover text)
    week = f"{AS_OF.isocalendar().year}-W{AS_OF.isocalendar().week:02d}"  # the meeting is logged on the as-of date
    meetings = sheets["bijeenkomsten"]
    in_week = sum(
        1
        for g, d in zip(meetings["groep_code"], meetings["datum"], strict=True)
        if str(g).strip() == code and (found := day(d)) and found.isocalendar()[:2] == AS_OF.isocalendar()[:2]
    )

    log_in_again(page, workbook_app.url, "leyla", PASSWORD)
    nav(page, "Bijeenkomsten")
    open_tab(page, "Jaaroverzicht")
    assert heatmap_cell(page, row, week, expected=in_week or None) == (
        in_week or None
    )  # an empty cell is drawn blank

    panel = open_tab(page, "Bijeenkomst vastleggen")
    choose(page, panel, "Groep", code)
    panel.get_by_role("spinbutton", name="Duur (min)").fill("90")
    panel.get_by_role("spinbutton", name="Leden aanwezig").fill("3")
    panel.get_by_role("spinbutton", name="Nieuwkomers aanwezig").fill("1")
    panel.get_by_label("Notitie").fill("Samen naar de markt")
    choose(page, panel, "Soort", "online")  # the kind: nothing is preselected
    panel.get_by_role("button", name=re.compile(f"Bijeenkomst opslaan voor groep {code}")).click()
    settle(page)
    expect_text(page, f"Bijeenkomst vastgelegd: groep {code} {group_name(sheets, code)}, 15 november 2026")

    open_tab(page, "Jaaroverzicht")
    assert heatmap_cell(page, row, week, expected=in_week + 1) == in_week + 1


# ----------------------------------------------------------------------------------------------- matching


def test_coordinator_proposes_a_match_and_accepts_it(page: Page, workbook_app, sheets):
    newcomers, groups = sheets["nieuwkomers"], sheets["groepen"]
    newcomer = sorted(
        newcomers.loc[
            (fold(newcomers["gemeente"]) == "haarlem") & (fold(newcomers["status"]) == "wacht"),
            "nieuwkomer_code",
        ]
    )[0]
    group = sorted(
        groups.loc[
            (fold(groups["gemeente"]) == "haarlem") & (fold(groups["status"]) == "wacht op match"),
            "groep_code",
        ]
    )[0]

    log_in_again(page, workbook_app.url, "coordinator", PASSWORD)
    nav(page, "Koppelen")
    choose(page, main(page), "Gemeente", "Haarlem")
    panel = open_tab(page, "Koppelingen")
    choose(page, panel, "Nieuwkomer", newcomer)
    choose(page, panel, "Groep", group)
    panel.get_by_role("button", name=re.compile(f"Koppeling {group} ↔ {newcomer} .*voorstellen")).click()
    settle(page)
    expect_text(page, "is voorgesteld.")

    panel = open_tab(page, "Koppelingen")
    pair = f"{group} ↔ {newcomer}"
    choose(page, panel, "Koppeling", pair)
    assert panel.get_by_role("combobox", name="Koppeling").input_value().endswith("· voorgesteld")
    panel.get_by_role("button", name=re.compile(f"Koppeling {pair} .*accepteren")).click()
    settle(page)
    expect_text(page, "is gestart.")

    panel = open_tab(
        page, "Koppelingen"
    )  # after accepting, the next action offered is not "end": nothing is chosen
    expect(panel.get_by_role("combobox", name="Koppeling")).to_have_value("")
    expect(panel.get_by_role("button", name=re.compile("beëindigen"))).to_have_count(0)
    # the newcomer no longer waits: the queue of Haarlem has one fewer
    waiting = len(
        newcomers.loc[(fold(newcomers["gemeente"]) == "haarlem") & (fold(newcomers["status"]) == "wacht")]
    )
    open_tab(page, "Wachtrij")
    expect_text(page, f"Wachtende nieuwkomers ({waiting - 1})")


# ----------------------------------------------------------------------------------------------- surveys

ITEMS = {  # question on the form → answer given
    "Ik ervaar een leegte om me heen": "nee",
    "Er zijn genoeg mensen op wie ik in geval van narigheid kan terugvallen": "ja",
    "Ik heb veel mensen op wie ik volledig kan vertrouwen": "min of meer",
    "Ik mis mensen om me heen": "nee",
    "Er zijn voldoende mensen met wie ik me nauw verbonden voel": "ja",
    "Vaak voel ik me in de steek gelaten": "nee",
}


def test_community_builder_enters_a_survey_response(page: Page, workbook_app, sheets):
    code = "0599-013"  # Leyla Aydın's group
    members, surveys = sheets["leden"], sheets["enquetes"]
    waves = surveys.assign(meting=fold(surveys["meting"])).groupby("respondent_code")["meting"].agg(set)
    own = members[members["groep_code"] == code]
    person = sorted(
        c
        for c in own["lid_code"]
        if "nulmeting" in waves.get(c, set()) and "tussenmeting" not in waves.get(c, set())
    )[0]
    first, last = (
        str(own.loc[own["lid_code"] == person, column].iloc[0]).strip()
        for column in ("voornaam", "achternaam")
    )

    log_in_again(page, workbook_app.url, "leyla", PASSWORD)
    nav(page, "Enquêtes")
    panel = open_tab(page, "Antwoorden invoeren")
    choose(page, panel, "Groep", code)
    choose(page, panel, "Persoon", f"({person})")
    expect(panel.get_by_text("Eerder ingevuld: nulmeting")).to_be_visible()
    panel.get_by_role("radiogroup", name="Meting").get_by_text("tussenmeting", exact=True).click()
    settle(page)
    for question, answer in ITEMS.items():
        panel.get_by_role("radiogroup", name=question).get_by_text(answer, exact=True).click()
    panel.get_by_role("radiogroup", name="Ik voel me thuis in mijn woonplaats").get_by_text(
        "4", exact=True
    ).click()
    panel.get_by_role("button", name=f"tussenmeting · {first} {last} ({person}) opslaan").click()
    settle(page)
    expect_text(page, f"Opgeslagen: tussenmeting van {first} {last}.")
    # read back from the store: the person's answered waves now include today's tussenmeting
    panel = open_tab(page, "Antwoorden invoeren")
    expect(panel.get_by_text("tussenmeting 15 november 2026")).to_be_visible()


# ----------------------------------------------------------------------------------------------- editing


def open_group_in_beheer(page: Page, url: str, code: str, *, logged_in: bool = False) -> None:
    if logged_in:  # the session cookie outlives the page: opening the app again keeps the login
        open_app(page, url)
    else:
        log_in_again(page, url, "coordinator", PASSWORD)
    nav(page, "Beheer")
    choose(page, main(page), "Record openen", code)
    expect(main(page).get_by_role("heading", name=code)).to_be_visible()


def test_two_coordinators_edit_one_group_the_second_is_told_and_reapplies(
    page: Page, browser: Browser, browser_context_args, workbook_app, sheets
):
    code = "0392-005"
    name = group_name(sheets, code)
    colleague = browser.new_context(**browser_context_args)
    other = colleague.new_page()
    try:
        open_group_in_beheer(page, workbook_app.url, code)
        open_group_in_beheer(other, workbook_app.url, code)

        page.get_by_label("Naam *").fill(f"{name} (nieuw)")
        page.get_by_role("button", name=f"{code} · {name} opslaan").click()
        settle(page)
        expect_text(page, f"{code} · {name} is opgeslagen.")

        other.get_by_label("Notities").fill("Gebeld over de startdatum")
        other.get_by_role("button", name=f"{code} · {name} opslaan").click()
        settle(other)
        expect_text(other, "Iemand anders heeft dit record gewijzigd")
        expect(main(other).get_by_text("is opgeslagen.")).to_have_count(0)
        other.get_by_role("button", name="Mijn wijzigingen opnieuw toepassen").click()
        settle(other)
        expect_text(other, f"{code} · {name} (nieuw) is opgeslagen.")

        # both changes are stored: the first browser, reopening the group, sees the name and the note
        open_group_in_beheer(page, workbook_app.url, code, logged_in=True)
        expect(page.get_by_label("Naam *")).to_have_value(f"{name} (nieuw)")
        expect(page.get_by_label("Notities")).to_have_value("Gebeld over de startdatum")
    except Exception:
        RESULTS.mkdir(
            exist_ok=True
        )  # the conftest hook keeps the first browser's screen; keep the colleague's too
        other.screenshot(
            path=str(RESULTS / "test_two_coordinators_edit_one_group-colleague.png"), full_page=True
        )
        raise
    finally:
        colleague.close()


# ----------------------------------------------------------------------------------------------- export


@pytest.mark.skipif(
    not (PROJECT_ROOT / "views" / "data.py").exists(), reason="no Gegevens page (export) in this version yet"
)
def test_coordinator_downloads_an_export_that_holds_the_workbooks_records(
    page: Page, workbook_app, sheets, tmp_path
):
    log_in_again(page, workbook_app.url, "coordinator", PASSWORD)
    nav(page, "Gegevens")
    panel = open_tab(page, "Exporteren")
    panel.get_by_text("Excel-werkboek (.xlsx)").click()
    settle(page)
    with page.expect_download(timeout=60_000) as download:
        panel.get_by_role("button", name="Export downloaden").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    assert path.name == "samenhier-export-2026-11-15.xlsx"
    exported = pd.read_excel(path, sheet_name=None, dtype=object)
    # every group and member of the workbook is in it, by code (the other tests here add no groups or members)
    for sheet, code in (("groepen", "groep_code"), ("leden", "lid_code"), ("nieuwkomers", "nieuwkomer_code")):
        assert set(exported[sheet][code].astype(str).str.strip()) == set(
            sheets[sheet][code].dropna().astype(str).str.strip()
        ), sheet
