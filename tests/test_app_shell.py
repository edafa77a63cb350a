"""AppTest tests of the shell (setup, login, roles, language) and the overview and group pages.

Expected values are worked out from the workbook with pandas in the test, not from the queries.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from apptest_helpers import run_app, texts
from sqlalchemy import text as sql
from sqlmodel import Session, select

from samenhier.models import CommunityBuilder
from samenhier.scope import Scope
from samenhier.services.users import create_user

AS_OF = pd.Timestamp("2026-11-15")


@pytest.fixture
def store(workbook_engine):
    """The workbook's store with a coordinator account (the app shows the first-run setup without any account)."""
    create_user(workbook_engine, "anna", "een-lang-wachtwoord", "coordinator")
    return workbook_engine


@pytest.fixture(scope="module")
def sheets(workbook_path):
    return pd.read_excel(workbook_path, sheet_name=None)


def builder_scope(engine, name: str) -> Scope:
    """Create a community builder account for ``name`` (as in the workbook) and return its scope."""
    with Session(engine) as s:
        s.exec(select(CommunityBuilder).where(CommunityBuilder.name == name)).one()
    return create_user(
        engine, name.split()[0].lower(), "een-lang-wachtwoord", "community_builder", community_builder=name
    )


def overview_codes(at) -> set[str]:
    frame = at.dataframe[0].value
    return set(frame["code"])


# -- first run, login ---------------------------------------------------------------------------------


def test_first_run_shows_setup_and_creates_the_first_coordinator(engine):
    at = run_app()
    assert "eerste start" in texts(at).lower()
    at.text_input(key="setup_username").input("anna")
    at.text_input(key="setup_password").input("een-lang-wachtwoord")
    at.text_input(key="setup_repeat").input("een-lang-wachtwoord")
    at.button[0].click()  # the form's submit button
    at.run()
    assert not at.exception
    assert at.session_state["scope"] == Scope.coordinator("anna")
    # The browser then shows the overview (AppTest keeps the old page, so open the app again as that user):
    # on an empty store it offers import, demo data or an empty start.
    at = run_app(Scope.coordinator("anna"))
    assert "Welkom bij Samen Hier" in texts(at)


def test_setup_refuses_a_short_password_and_keeps_the_name(engine):
    at = run_app()
    at.text_input(key="setup_username").input("anna")
    at.text_input(key="setup_password").input("kort")
    at.text_input(key="setup_repeat").input("kort")
    at.button[0].click()
    at.run()
    assert "minstens 10 tekens" in texts(at)
    assert at.text_input(key="setup_username").value == "anna"
    assert "scope" not in at.session_state


def test_demo_data_from_the_first_run(engine):
    create_user(engine, "anna", "een-lang-wachtwoord", "coordinator")
    at = run_app(Scope.coordinator("anna"))
    at.button(key="onboarding_demo").click()
    at.run()
    at.run()  # after st.rerun()
    assert not at.exception
    assert at.metric[0].label == "Actieve groepen"
    assert int(at.metric[0].value) > 0


def test_wrong_password_is_refused_with_a_non_revealing_message(engine):
    create_user(engine, "anna", "een-lang-wachtwoord", "coordinator")
    messages = []
    for name, password in (("anna", "verkeerd-wachtwoord"), ("niemand", "een-lang-wachtwoord")):
        at = run_app()
        at.text_input(key="login_username").input(name)
        at.text_input(key="login_password").input(password)
        at.button[0].click()
        at.run()
        assert "scope" not in at.session_state
        messages.append([e.value for e in at.error])
    assert messages[0] == messages[1] == [messages[0][0]]  # same single message for both


def test_right_password_logs_in(engine):
    create_user(engine, "anna", "een-lang-wachtwoord", "coordinator")
    at = run_app()
    at.text_input(key="login_username").input("Anna")
    at.text_input(key="login_password").input("een-lang-wachtwoord")
    at.button[0].click()
    at.run()
    assert at.session_state["scope"] == Scope.coordinator("anna")
    assert not at.error


# -- overview -----------------------------------------------------------------------------------------


def test_coordinator_overview_kpis_match_the_workbook(store, sheets):
    groups, meetings, newcomers = sheets["groepen"], sheets["bijeenkomsten"], sheets["nieuwkomers"]
    active = groups[groups["status"] == "actief"]
    last = meetings.groupby("groep_code")["datum"].max()
    met_recently = sum(
        (AS_OF - last.get(code, pd.Timestamp("1900-01-01"))).days <= 21 for code in active["groep_code"]
    )
    in_last_30 = ((meetings["datum"] <= AS_OF) & (meetings["datum"] > AS_OF - pd.Timedelta(days=30))).sum()
    expected = [
        str(len(active)),
        str((groups["status"] == "wacht op match").sum()),
        str((newcomers["status"] == "wacht").sum()),
        str(in_last_30),
        f"{round(100 * met_recently / len(active))}%",
    ]
    at = run_app(Scope.coordinator("anna"))
    assert not at.exception
    assert [m.value for m in at.metric] == expected


def test_coordinator_sees_all_four_cities_and_every_group(store, sheets):
    at = run_app(Scope.coordinator("anna"))
    table = at.dataframe[0].value
    assert set(table["municipality"]) == {"Den Haag", "Almere", "Haarlem", "Rotterdam"}
    assert overview_codes(at) == set(sheets["groepen"]["groep_code"])
    spec = at.get("plotly_chart")[0].proto.spec
    assert "Rotterdam" in spec


def test_community_builder_sees_only_their_own_groups(store, sheets):
    groups = sheets["groepen"]
    own = set(groups.loc[groups["community_builder"] == "Leyla Aydın", "groep_code"])
    at = run_app(builder_scope(store, "Leyla Aydın"))
    assert not at.exception
    assert overview_codes(at) == own
    assert at.metric[2].value == "–"  # the waiting queue of newcomers is not theirs to see


def test_community_builder_gets_nothing_for_another_builders_group_by_url(store, sheets):
    groups = sheets["groepen"]
    other = groups.loc[groups["community_builder"] == "Joris Kramer", "groep_code"].iloc[0]
    at = run_app(builder_scope(store, "Leyla Aydın"), page="views/group.py", query={"group": other})
    assert not at.exception
    shown = texts(at)
    assert "bestaat niet of je hebt er geen toegang toe" in shown
    assert groups.loc[groups["groep_code"] == other, "naam"].iloc[0] not in shown


def test_sidebar_filter_narrows_the_overview(store, sheets):
    at = run_app(Scope.coordinator("anna"))
    at.multiselect(key="filter_municipalities").select("Haarlem")
    at.run()
    groups = sheets["groepen"]
    assert overview_codes(at) == set(groups.loc[groups["gemeente"] == "Haarlem", "groep_code"])
    assert at.metric[0].value == str(
        ((groups["gemeente"] == "Haarlem") & (groups["status"] == "actief")).sum()
    )


def test_free_text_search_finds_a_group_by_name(store, sheets):
    at = run_app(Scope.coordinator("anna"))
    at.text_input(key="ov_search").input("schalkwijk 1")
    at.run()
    groups = sheets["groepen"]
    expected = set(groups.loc[groups["naam"].str.lower().str.contains("schalkwijk 1"), "groep_code"])
    assert overview_codes(at) == expected


def test_language_switch_changes_the_page_text(store):
    at = run_app(Scope.coordinator("anna"))
    assert "Overzicht welkomgroepen" in texts(at)
    at.radio(key="lang").set_value("en")
    at.run()
    assert "Welcome groups overview" in texts(at)
    assert "As of: November 15, 2026" in texts(at)
    assert at.metric[0].label == "Active groups"


# -- group page ---------------------------------------------------------------------------------------


def test_group_page_by_deep_link_shows_members_newcomer_and_timeline(store, sheets):
    members = sheets["leden"][sheets["leden"]["groep_code"] == "0518-001"]
    at = run_app(Scope.coordinator("anna"), page="views/group.py", query={"group": "0518-001"})
    assert not at.exception
    shown = texts(at)
    assert "Welkomgroep Schalkwijk 1" in shown
    assert f"Leden ({len(members)})" in shown
    assert "Khaled Hamdan" in shown  # koppelingen: 0518-001 ↔ N0001
    # timeline dates from groepen / koppelingen, written the Dutch way
    for text in ("4 mei 2022", "9 juli 2022", "17 september 2022"):
        assert text in shown
    member_table = at.dataframe[0].value
    assert member_table.iloc[0]["role"] == "contactpersoon"
    assert set(member_table["code"]) == set(members["lid_code"])


def test_each_page_runs_for_each_role(store):
    for scope in (Scope.coordinator("anna"), builder_scope(store, "Samira Benali")):
        for page in ("views/overview.py", "views/group.py"):
            at = run_app(scope, page=page)
            assert not at.exception, (scope.role, page, at.exception)


def test_session_times_out_after_inactivity(store):
    at = run_app(Scope.coordinator("anna"))
    idle_since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=31)  # the default timeout is 30 minutes
    with store.begin() as c:
        c.execute(sql("UPDATE user_session SET last_seen_at = :t"), {"t": idle_since})
    at.run()
    assert "scope" not in at.session_state
    assert "niet actief" in texts(at)
