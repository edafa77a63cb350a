"""AppTest of the Jaarverslag page (Beheer → Jaarverslag): the headline figures of the year (checked
against the workbook with plain pandas, tests/test_year_report.py), the preview, the downloads, the
sidebar filters, English; coordinators only."""

from __future__ import annotations

import pytest
from apptest_helpers import login_session, run_app, texts
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest
from test_year_report import expected_year

from samenhier import PROJECT_ROOT, i18n
from samenhier.models import CommunityBuilder
from samenhier.scope import Scope
from samenhier.services.users import create_user

ANNA = Scope.coordinator("anna")
PAGE = "views/year_report.py"


@pytest.fixture
def store(imported_engine):
    create_user(imported_engine, "anna", "anna-haar-wachtwoord", "coordinator")
    return imported_engine


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_headline_preview_and_downloads(store, workbook_sheets):
    at = run_app(ANNA, page=PAGE)
    assert not at.exception, at.exception
    assert "Jaarverslag" in [t.value for t in at.title]
    assert at.selectbox(key="yr_year").value == 2026
    expected = expected_year(workbook_sheets)["programme"]
    shown = metrics(at)
    assert shown["Koppelingen gestart"] == str(expected["matches_started"])
    assert shown["Huishoudens bereikt"] == str(expected["households_reached"])
    assert shown["Bijeenkomsten"] == str(expected["meetings"])
    page = texts(at)
    assert "Kanttekeningen" in page and "11-itemschaal" in page  # the caveats and the GGD note
    assert any(
        "interval heeft geen breedte" in w.value for w in at.warning
    )  # every member +1 on feeling at home
    assert len(at.dataframe) >= 10  # the tables of the document
    images = at.get("image")
    assert len(images) == 2 and images[0].captions == ["Bijeenkomsten per maand"]  # its charts
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Word (.docx)", "PDF", "Excel (.xlsx)", "JSON"]


def test_sidebar_filter_and_another_year(store, workbook_sheets):
    at = run_app(ANNA, page=PAGE)
    at.multiselect(key="filter_municipalities").set_value(["Almere"]).run()
    assert not at.exception, at.exception
    almere = expected_year(workbook_sheets, {"Almere"})["programme"]
    assert metrics(at)["Bijeenkomsten"] == str(almere["meetings"])
    # Almere's small cells (municipality × variant) are left out of its survey figures, and the page says so
    assert expected_year(workbook_sheets, {"Almere"})["survey"]["left_out"]
    assert any("Niet alle antwoorden van dit jaar tellen mee" in c.value for c in at.caption)
    at.selectbox(key="yr_year").set_value(2025).run()
    assert not at.exception, at.exception
    assert any("Jaarverslag Samen Hier 2025" in h.value for h in at.header)


def test_in_english(store):
    at = run_app(ANNA, lang="en", page=PAGE)
    assert not at.exception, at.exception
    assert "Year report" in [t.value for t in at.title]
    assert "Households reached" in metrics(at)


def test_only_coordinators(store):
    create_user(store, "joris", "een-lang-wachtwoord", "community_builder", community_builder="Joris Kramer")
    with Session(store) as session:
        builder_id = session.exec(
            select(CommunityBuilder.id).where(CommunityBuilder.name == "Joris Kramer")
        ).one()
    builder = Scope.community_builder("joris", builder_id)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run_app(builder, page=PAGE)
    page = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=60)
    page.session_state["session_token"] = login_session(builder)
    page.run()
    assert not page.title and not page.metric
    assert [e.value for e in page.error] == [i18n.t("common.not_found_or_denied", "nl")]
