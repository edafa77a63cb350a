"""AppTest tests of the small findings of the newcomer tester (issue 14 leftovers, items 3-13), each worked out
from the workbook or by hand."""

from __future__ import annotations

import pandas as pd
from apptest_helpers import run_app, texts

from samenhier.io.export import XLSX_MIME
from samenhier.scope import Scope
from samenhier.services.users import create_user

PASSWORD = "een-lang-wachtwoord"
ANNA = Scope.coordinator("anna")


def test_the_onboarding_import_shows_the_same_summary_as_gegevens(engine, workbook_path):
    """Item 10: after the first-run import the onboarding gives way to the overview, which shows the summary."""
    create_user(engine, "anna", PASSWORD, "coordinator")
    at = run_app(ANNA)
    assert "Welkom bij Samen Hier" in texts(at)
    at.file_uploader[0].set_value((workbook_path.name, workbook_path.read_bytes(), XLSX_MIME)).run()
    at.button(key="onboarding_import_confirm").click().run()
    assert not at.exception
    sheets = pd.read_excel(workbook_path, sheet_name=None)
    new = sum(len(frame.dropna(how="all")) for frame in sheets.values())
    shown = texts(at)
    assert (
        f"De import is opgeslagen: {new:,} nieuw, 0 gewijzigd.".replace(",", ".") in shown
        or f"De import is opgeslagen: {new} nieuw, 0 gewijzigd." in shown
    )
    assert "Overzicht welkomgroepen" in shown and "Welkom bij Samen Hier" not in shown
    at.run()  # shown once
    assert "De import is opgeslagen" not in texts(at)


def test_required_fields_are_marked_and_the_mark_is_explained(workbook_engine):
    """Item 5: the shared form helpers mark required fields with "*" and say under the form what it means. The
    meeting log form: date, kind, duration and the two counts are required by services/meetings.py; the note is not."""
    from sqlmodel import Session, select

    from samenhier.models import WelcomeGroup
    from tests.apptest_helpers import open_tab

    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    with Session(workbook_engine) as s:
        gid = s.exec(select(WelcomeGroup.id).where(WelcomeGroup.code == "0518-019")).one()
    at = open_tab(run_app(ANNA, page="views/meetings.py"), "meetings", "Bijeenkomst vastleggen")
    at.selectbox(key="meetings_log_group").set_value(gid).run()
    labels = {
        w.key.rsplit("-", 1)[-1]: w.label
        for kind in ("date_input", "selectbox", "number_input", "text_area")
        for w in at.get(kind)
        if w.key and w.key.startswith(f"meetings_log-{gid}-")
    }
    assert labels == {
        "date": "Datum *",
        "kind": "Soort *",
        "duration_minutes": "Duur (min) *",
        "members_present": "Leden aanwezig *",
        "newcomers_present": "Nieuwkomers aanwezig *",
        "note": "Notitie",
    }
    assert r"\* = verplicht veld" in [c.value for c in at.caption]


def test_the_group_page_says_how_many_days_since_the_last_meeting(workbook_engine, workbook_path):
    """Item 7: "17 dagen sinds de laatste bijeenkomst", not "Dagen sinds 17" (the number from the workbook)."""
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    meetings = pd.read_excel(workbook_path, sheet_name="bijeenkomsten")
    last = pd.to_datetime(meetings.loc[meetings["groep_code"] == "0518-019", "datum"], dayfirst=True).max()
    days = (pd.Timestamp("2026-11-15") - last).days
    at = run_app(ANNA, page="views/group.py", query={"group": "0518-019"})
    shown = texts(at)
    phrase = (
        "1 dag sinds de laatste bijeenkomst" if days == 1 else f"{days} dagen sinds de laatste bijeenkomst"
    )
    assert phrase in shown and "Dagen sinds" not in shown


def test_days_since_text_in_both_languages():
    from samenhier.hub import days_since_text

    assert [days_since_text(d, "nl") for d in (None, 0, 1, 17, 1200)] == [
        "nog geen bijeenkomst",
        "vandaag bijeengekomen",
        "1 dag sinds de laatste bijeenkomst",
        "17 dagen sinds de laatste bijeenkomst",
        "1.200 dagen sinds de laatste bijeenkomst",
    ]
    assert days_since_text(17, "en") == "17 days since the last meeting"


def test_an_ended_group_shows_the_date_of_its_last_meeting_not_a_growing_count():
    """A finished group's card read "1.531 dagen sinds de laatste bijeenkomst"; after the year, the date says more."""
    import datetime as dt

    from samenhier.hub import days_since_text

    last = dt.date(2022, 3, 3)
    assert (
        days_since_text(1531, "nl", status="afgerond", last_meeting=last)
        == "laatste bijeenkomst op 3 maart 2022"
    )
    assert days_since_text(1531, "en", status="gestopt", last_meeting=last) == "last meeting on March 3, 2022"
    assert (
        days_since_text(9, "nl", status="actief", last_meeting=last) == "9 dagen sinds de laatste bijeenkomst"
    )
    assert days_since_text(None, "nl", status="afgerond", last_meeting=None) == "nog geen bijeenkomst"


def test_a_municipality_coordinator_exports_their_municipalities_not_all_groups(workbook_engine):
    """Item 9: Gegevens → Exporteren names what the export holds for a coordinator of one municipality."""
    from tests.apptest_helpers import open_tab

    rosa = create_user(workbook_engine, "rosa", PASSWORD, "coordinator", municipalities=["Rotterdam"])
    at = open_tab(run_app(rosa, page="views/data.py"), "data", "Exporteren")
    captions = [c.value for c in at.caption]
    assert "De groepen van je gemeente Rotterdam (er staan geen filters aan in de zijbalk)." in captions
    assert not any(c.startswith("Alle groepen") for c in captions)
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    national = open_tab(run_app(ANNA, page="views/data.py"), "data", "Exporteren")
    assert "Alle groepen: er staan geen filters aan in de zijbalk." in [c.value for c in national.caption]
