"""AppTest of the Privacy page (Beheer → Privacy): export, erasure with typed confirmation, the retention
list with one-step anonymisation; coordinators only."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from apptest_helpers import clear_streamlit_caches, login_session, open_tab, run_app, texts
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from samenhier import PROJECT_ROOT, i18n
from samenhier.models import AuditEvent, Newcomer
from samenhier.privacy import ERASED
from samenhier.queries import privacy as privacy_queries
from samenhier.scope import Scope
from samenhier.services.users import create_user
from samenhier.ui import md

ANNA = Scope.coordinator("anna")
AS_OF = dt.date(2026, 11, 15)


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


@pytest.fixture
def store(imported_engine):
    create_user(imported_engine, "anna", "anna-haar-wachtwoord", "coordinator")
    create_user(
        imported_engine, "joris", "een-lang-wachtwoord", "community_builder", community_builder="Joris Kramer"
    )
    return imported_engine


def newcomer(engine, code: str) -> Newcomer:
    with Session(engine) as session:
        return session.exec(select(Newcomer).where(Newcomer.code == code)).one()


def audit_actions(engine) -> list[str]:
    with Session(engine) as session:
        return [e.action for e in session.exec(select(AuditEvent).order_by(AuditEvent.id))]


def open_person(store, code: str):
    at = run_app(ANNA, page="views/privacy.py")
    assert not at.exception, at.exception
    at.text_input(key="privacy_search").input(code).run()
    person = newcomer(store, code)
    at.selectbox(key="privacy_person_newcomer").set_value(person.id).run()
    assert not at.exception, at.exception
    return at, person


def builder_scope(store) -> Scope:
    from samenhier.models import CommunityBuilder

    with Session(store) as session:
        builder_id = session.exec(
            select(CommunityBuilder.id).where(CommunityBuilder.name == "Joris Kramer")
        ).one()
    return Scope.community_builder("joris", builder_id)


def test_only_coordinators_have_the_page(store):
    at = run_app(ANNA, page="views/privacy.py")
    assert "Privacy (AVG)" in [t.value for t in at.title]
    builder = builder_scope(store)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run_app(builder, page="views/privacy.py")  # not in a community builder's navigation
    # and the page itself refuses them, were it reached some other way
    page = AppTest.from_file(str(PROJECT_ROOT / "views" / "privacy.py"), default_timeout=60)
    page.session_state["session_token"] = login_session(builder)
    page.run()
    assert not page.title and not page.dataframe and not page.button
    assert [e.value for e in page.error] == [i18n.t("common.not_found_or_denied", "nl")]


def test_export_is_offered_as_json_and_excel_and_audited(store):
    at, person = open_person(store, "N0059")
    assert "N0059" in texts(at)
    at.button(key=f"privacy_export_newcomer-{person.id}").click().run()
    assert not at.exception
    assert (
        "Export klaar: 1 persoonsrecord, 1 koppelingen, 2 enquêteantwoorden, 0 notities, 0 audit-gebeurtenissen."
        in texts(at)
    )
    downloads = at.get("download_button")
    assert len(downloads) == 2
    assert audit_actions(store)[-1] == "export"


def test_erasure_with_a_wrong_code_writes_nothing_and_with_the_right_code_erases(store, dump_tables):
    at, person = open_person(store, "N0059")
    before = dump_tables(store)
    form = f"privacy_erase_newcomer-{person.id}"
    name = f"N0059 · {person.first_name} {person.last_name}"
    at.text_input(key=f"{form}-confirm_code").input("N0058")
    at.button(key=f"{form}-submit").click().run()
    assert [w.value for w in at.warning] == [
        f"De gegevens van {md(name)} echt definitief wissen? Dit kan niet ongedaan worden gemaakt."
    ]
    assert at.button(key=f"{form}-confirm").label == f"Gegevens van {md(name)} definitief wissen"
    at.button(key=f"{form}-confirm").click().run()
    assert "Typ precies de code N0059 om te bevestigen." in [e.value for e in at.error]
    assert dump_tables(store) == before
    at.text_input(key=f"{form}-confirm_code").input("N0059")
    at.button(key=f"{form}-submit").click().run()
    assert dump_tables(store) == before  # asking is not erasing
    at.button(key=f"{form}-confirm").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == [f"De gegevens van {md(name)} zijn gewist."]
    assert (
        "De gegevens van N0059 zijn gewist (0 notities leeggemaakt, 0 audit-gebeurtenissen geschoond)."
        in [i.value for i in at.info]
    )
    assert newcomer(store, "N0059").first_name == ERASED
    assert "De gegevens van deze persoon zijn al gewist." in [i.value for i in at.info]
    erase = [e for e in audit_actions(store) if e == "erase"]
    assert erase == ["erase"]


def test_retention_needs_the_box_ticked_then_anonymises_the_list(store, dump_tables):
    due = privacy_queries.retention_due(store, ANNA, as_of=AS_OF)
    at = open_tab(run_app(ANNA, page="views/privacy.py"), "privacy", "Bewaartermijn")
    assert len(due) > 100  # paged: the first 100 shown, the button takes the whole list
    assert len(at.dataframe[0].value) == 100
    assert f"Rij 1–100 van {len(due)}" in texts(at)
    button = f"Anonimiseer {len(due)} personen"
    before = dump_tables(store)
    next(b for b in at.button if b.label == button).click().run()
    assert "Vink eerst aan dat je de lijst hebt gecontroleerd." in [e.value for e in at.error]
    assert dump_tables(store) == before
    confirm_box(at).check()
    next(b for b in at.button if b.label == button).click().run()
    assert not at.exception
    assert f"{len(due)} personen geanonimiseerd." in [s.value for s in at.success]
    assert "Op 15 november 2026 is niemand over de bewaartermijn." in [s.value for s in at.success]
    assert privacy_queries.erased_counts(store, ANNA) == {
        "newcomer": int((due["kind"] == "newcomer").sum()),
        "member": int((due["kind"] == "member").sum()),
    }
    with Session(store) as session:
        reasons = {
            json.loads(e.changes)["reason"]
            for e in session.exec(select(AuditEvent).where(AuditEvent.action == "erase"))
        }
    assert reasons == {"retention"}


def confirm_box(at):
    return next(c for c in at.checkbox if c.label.startswith("Ik heb de lijst gecontroleerd"))


def test_the_retention_list_follows_the_sidebar_municipality_and_erases_only_that(store):
    # The newcomer tester chose Rotterdam in the sidebar: the list stayed whole and the click erased people
    # of all four cities. Now the list is Rotterdam's, and so is what the button anonymises.
    everyone = privacy_queries.retention_due(store, ANNA, as_of=AS_OF)
    rotterdam = everyone[everyone["municipality"] == "Rotterdam"]
    assert 0 < len(rotterdam) < len(everyone)
    at = open_tab(run_app(ANNA, page="views/privacy.py"), "privacy", "Bewaartermijn")
    confirm_box(at).check()  # ticked for the whole list …
    at.sidebar.multiselect(key="filter_municipalities").set_value(["Rotterdam"]).run()
    assert not at.exception, at.exception
    assert "Alleen wie bij Rotterdam hoort" in texts(at)
    shown = at.dataframe[0].value
    assert len(shown) == min(len(rotterdam), 100) and set(shown["code"]) <= set(rotterdam["code"])
    assert confirm_box(at).value is False  # … is not a tick for another list
    confirm_box(at).check()
    next(b for b in at.button if b.label == f"Anonimiseer {len(rotterdam)} personen").click().run()
    assert f"{len(rotterdam)} personen geanonimiseerd." in [s.value for s in at.success]
    left = privacy_queries.retention_due(store, ANNA, as_of=AS_OF)
    assert set(left["code"]) == set(everyone["code"]) - set(rotterdam["code"])


def test_a_long_retention_list_is_paged_and_the_action_still_takes_all(store, monkeypatch):
    # In 2040 most people of the workbook are past the 24 months (the query's own tests check who): the
    # table shows them 100 rows at a time, the last page the rest, and the button counts the whole list.
    from samenhier.settings import get_settings

    monkeypatch.setenv("SAMENHIER_TODAY", "2040-01-01")
    get_settings.cache_clear()
    total = len(privacy_queries.retention_due(store, ANNA, as_of=dt.date(2040, 1, 1)))
    assert total > 300
    pages, rest = -(-total // 100), total % 100 or 100
    at = open_tab(run_app(ANNA, page="views/privacy.py"), "privacy", "Bewaartermijn")
    assert not at.exception, at.exception
    assert len(at.dataframe[0].value) == 100
    assert f"Rij 1–100 van {total}" in texts(at)
    at.number_input(key="privacy_retention_page").set_value(pages).run()
    assert len(at.dataframe[0].value) == rest
    assert any(b.label == f"Anonimiseer {total} personen" for b in at.button)


def test_page_in_english(store):
    at = run_app(ANNA, lang="en", page="views/privacy.py")
    assert not at.exception
    assert "Privacy (GDPR)" in [t.value for t in at.title]
    # the retention tab opened from its deep link (a rerun from the test would re-send the kind radio's English label)
    at = run_app(ANNA, lang="en", page="views/privacy.py", query={"tab": "retention"})
    assert "Retention: 24 months after the last activity." in texts(at)


def test_charts_show_no_names_of_people(store, workbook_sheets):
    """Minimal display: every chart on every page is about groups and aggregates — no newcomer's or
    member's name (or e-mail address) is in any chart, for a coordinator or a community builder."""
    names = set()
    for sheet in ("nieuwkomers", "leden"):
        frame = workbook_sheets[sheet]
        names |= set(frame["voornaam"].str.strip() + " " + frame["achternaam"].str.strip()) | set(
            frame["e-mail"].str.strip()
        )
    charts = 0
    for scope in (ANNA, builder_scope(store)):
        for page in (
            "views/overview.py",
            "views/meetings.py",
            "views/matching.py",
            "views/surveys.py",
            "views/my_groups.py",
        ):
            at = run_app(scope, page=page)
            assert not at.exception, (page, at.exception)
            for chart in at.get("plotly_chart"):
                charts += 1
                spec = chart.proto.spec
                assert not [n for n in names if n in spec], (scope.username, page)
    assert charts >= 10


def test_the_chooser_offers_at_most_200_people_until_a_search_narrows_it(store, workbook_sheets):
    at = run_app(ANNA, page="views/privacy.py")
    at.radio(key="privacy_kind").set_value("member").run()
    members = len(workbook_sheets["leden"])  # 406 in the workbook
    assert f"De eerste 200 van {members} personen; zoek op code of naam om verder te zoeken." in texts(at)
    assert len(at.selectbox(key="privacy_person_member").options) == 200
    at.text_input(key="privacy_search").input("L0406").run()
    assert [o for o in at.selectbox(key="privacy_person_member").options if o.startswith("L0406")]
    assert "De eerste 200" not in texts(at)
