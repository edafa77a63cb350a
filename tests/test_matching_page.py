"""The matching page (AppTest): waiting counts per municipality from the workbook, the propose → accept
workflow, validation messages, and what a community builder sees and may do."""

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import Session, select

from samenhier.models import CommunityBuilder, Match, Newcomer, WelcomeGroup
from samenhier.municipalities import canonical_municipality
from samenhier.queries.common import count_rows
from samenhier.scope import Scope
from samenhier.services.matches import propose_match
from samenhier.services.users import create_user
from samenhier.ui import md
from tests.apptest_helpers import open_tab, run_app, texts

PAGE = "views/matching.py"
COORDINATOR = Scope.coordinator("coord")
AS_OF = dt.date(2026, 11, 15)


@pytest.fixture
def store(workbook_engine):
    """The workbook's store with one account (without any, the app shows its first-run setup)."""
    create_user(workbook_engine, "coord", "a long enough password", "coordinator")
    return workbook_engine


@pytest.fixture(scope="module")
def sheets(workbook_path):
    return pd.read_excel(workbook_path, sheet_name=None)


def ids(engine, model, *codes) -> list[int]:
    with Session(engine) as session:
        return [session.exec(select(model.id).where(model.code == code)).one() for code in codes]


def builder(engine, name: str) -> Scope:
    with Session(engine) as session:
        b = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == name)).one()
    return Scope.community_builder(name.split()[0].lower(), b.id)


TABLES = {  # a column only that table has
    "summary": "newcomers_waiting",
    "newcomers": "days_left",
    "groups": "proposed_newcomer",
    "running": "newcomer",
    "funnel": "step",
}


def shown_table(at, name: str) -> pd.DataFrame:
    """The data of one of the page's tables (see :data:`TABLES`)."""
    return next(df.value for df in at.dataframe if TABLES[name] in df.value.columns)


def no_errors(at) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_waiting_counts_per_municipality_match_the_workbook(store, sheets):
    newcomers = sheets["nieuwkomers"].assign(gemeente=lambda f: f["gemeente"].map(canonical_municipality))
    groups = sheets["groepen"].assign(gemeente=lambda f: f["gemeente"].map(canonical_municipality))
    expected_newcomers = newcomers[newcomers["status"] == "wacht"].groupby("gemeente").size().to_dict()
    expected_groups = groups[groups["status"] == "wacht op match"].groupby("gemeente").size().to_dict()
    assert expected_newcomers == {
        "Almere": 2,
        "Den Haag": 10,
        "Haarlem": 7,
        "Rotterdam": 4,
    }  # as read from the sheet

    at = run_app(COORDINATOR, page=PAGE)
    no_errors(at)
    summary = shown_table(at, "summary").set_index("municipality")
    assert summary["newcomers_waiting"].to_dict() == expected_newcomers
    assert summary["groups_waiting"].to_dict() == expected_groups
    for municipality in expected_newcomers:
        at.selectbox(key="matching_municipality").set_value(municipality).run()
        no_errors(at)
        assert len(shown_table(at, "newcomers")) == expected_newcomers[municipality]
        assert len(shown_table(at, "groups")) == expected_groups[municipality]
    # the pending chart carries the same numbers
    assert "Koppelen" in texts(at)
    # only the open tab runs: the funnel's chart is drawn once its tab is opened, and the queue's tables are gone then
    assert [c.key for c in at.get("plotly_chart")] == ["chart_pending", "chart_wait"]
    at = open_tab(at, "matching", "Trechter")
    assert [c.key for c in at.get("plotly_chart")] == ["chart_pending", "chart_wait", "chart_funnel"]
    assert not [df for df in at.dataframe if "days_left" in df.value.columns]


def test_the_queue_marks_urgent_and_not_eligible(store):
    at = run_app(COORDINATOR, page=PAGE)
    at.selectbox(key="matching_municipality").set_value("Den Haag").run()
    queue = shown_table(at, "newcomers").set_index("code")
    # N0076 arrived 2023-10-19: three years ended 2026-10-19, 27 days before the as-of date; still listed, last.
    assert queue.loc["N0076", "flag"] == "niet meer in aanmerking"
    assert queue.loc["N0076", "days_left"] == -27
    assert queue.index[-1] == "N0076"
    at.selectbox(key="matching_municipality").set_value("Almere").run()
    queue = shown_table(at, "newcomers").set_index("code")
    assert queue.loc["N0089", "flag"] == "urgent" and queue.loc["N0089", "days_left"] == 35  # 2026-12-20


def matches_tab(at, municipality: str):
    at.selectbox(key="matching_municipality").set_value(municipality).run()
    return open_tab(at, "matching", "Koppelingen")


def test_propose_and_accept_moves_both_out_of_the_queue(store):
    (newcomer_id,) = ids(store, Newcomer, "N0098")
    (group_id,) = ids(store, WelcomeGroup, "0392-022")
    at = matches_tab(run_app(COORDINATOR, page=PAGE), "Haarlem")
    assert (
        at.selectbox(key="propose_newcomer").value is None and at.selectbox(key="propose_group").value is None
    )
    at.selectbox(key="propose_newcomer").set_value(newcomer_id).run()
    at.selectbox(key="propose_group").set_value(group_id).run()
    form = f"propose-{group_id}-{newcomer_id}"
    at.date_input(key=f"{form}-proposed_date").set_value(dt.date(2026, 11, 10))
    at.button(key=f"{form}-submit").click().run()
    no_errors(at)
    newcomer_name = (
        shown_table(open_tab(at, "matching", "Wachtrij"), "newcomers").set_index("code").loc["N0098", "name"]
    )
    assert [t.value for t in at.toast] == []  # shown once, in the run after the write
    queue = shown_table(at, "newcomers").set_index("code")
    assert queue.loc["N0098", "proposed_group"] == "0392-022"  # still waiting, now with a proposal

    at = open_tab(at, "matching", "Koppelingen")
    with Session(store) as session:
        match = session.exec(select(Match).where(Match.status == "voorgesteld")).one()
    at.selectbox(key="match_pick").set_value(match.id).run()
    at.date_input(key=f"accept-{match.id}-started_date").set_value(dt.date(2026, 11, 14))
    at.button(key=f"accept-{match.id}-submit").click().run()
    no_errors(at)
    name = f"Koppeling 0392-022 ↔ N0098 {newcomer_name}"
    assert [s.value for s in at.success] == [f"{md(name)} is gestart."]  # user text in Markdown: escaped
    assert [t.value for t in at.toast] == [f"{md(name)} is gestart."]
    assert (
        at.selectbox(key="match_pick").value is None
    )  # after accepting, "end" is not the next thing offered
    at = open_tab(at, "matching", "Wachtrij")
    assert "N0098" not in set(shown_table(at, "newcomers")["code"])
    assert "0392-022" not in {link.split("=")[-1] for link in shown_table(at, "groups")["link"]}
    summary = shown_table(at, "summary").set_index("municipality")
    assert (summary.loc["Haarlem", "newcomers_waiting"], summary.loc["Haarlem", "groups_waiting"]) == (
        6,
        3,
    )  # 7 − 1, 4 − 1
    with Session(store) as session:
        match = session.get(Match, match.id)
        assert (match.status, match.started_date) == ("actief", dt.date(2026, 11, 14))
        assert session.get(Newcomer, newcomer_id).status == "gematcht"
        assert session.get(WelcomeGroup, group_id).status == "actief"


def test_a_suggestion_is_proposed_with_one_click(store):
    at = run_app(COORDINATOR, page=PAGE)
    at.selectbox(key="matching_municipality").set_value("Almere").run()
    at = open_tab(at, "matching", "Suggesties")
    # Almere: N0089 (Arabisch) and N0086 (Dari, Pasjtoe) wait, one group 0034-013 whose builder Nadia speaks Dari.
    (newcomer_id,) = ids(store, Newcomer, "N0086")
    (group_id,) = ids(store, WelcomeGroup, "0034-013")
    assert "gedeelde taal: Dari" in texts(at)
    at.button(key=f"suggest-{group_id}-{newcomer_id}-button").click().run()
    no_errors(at)
    with Session(store) as session:
        match = session.exec(select(Match).where(Match.status == "voorgesteld")).one()
    assert (match.newcomer_id, match.group_id, match.proposed_date) == (newcomer_id, group_id, AS_OF)
    assert "Geen suggesties" in texts(at)  # the only group now has a running proposal
    assert len(at.success) == 1 and at.success[0].value.startswith(md("Koppeling 0034-013 ↔ N0086 "))


def test_invalid_proposal_says_why_writes_nothing_and_keeps_the_input(store):
    (newcomer_id,) = ids(store, Newcomer, "N0076")  # Den Haag; three years in NL ended 2026-10-19
    (group_id,) = ids(store, WelcomeGroup, "0518-022")  # finished training 2026-10-02
    before = count_rows(store, Match)
    at = matches_tab(run_app(COORDINATOR, page=PAGE), "Den Haag")
    at.selectbox(key="propose_newcomer").set_value(newcomer_id).run()
    at.selectbox(key="propose_group").set_value(group_id).run()
    form = f"propose-{group_id}-{newcomer_id}"
    at.date_input(key=f"{form}-proposed_date").set_value(dt.date(2026, 10, 1))
    at.button(key=f"{form}-submit").click().run()
    assert [e.value for e in at.error] == [
        "Het voorstel ligt vóór het einde van de training van de groep.",  # under the date
        "Niet opgeslagen: verbeter de gemarkeerde velden.",
    ]
    assert count_rows(store, Match) == before
    assert at.date_input(key=f"{form}-proposed_date").value == dt.date(
        2026, 10, 1
    )  # the form keeps what was entered

    at.date_input(key=f"{form}-proposed_date").set_value(
        dt.date(2026, 10, 25)
    )  # after training, but past her three years
    at.button(key=f"{form}-submit").click().run()
    assert [e.value for e in at.error] == [
        "Deze nieuwkomer is langer dan 3 jaar in Nederland en komt niet meer in aanmerking; bevestig als je toch wilt koppelen.",
        "Niet opgeslagen: verbeter de gemarkeerde velden.",
    ]
    assert count_rows(store, Match) == before

    at.checkbox(key=f"{form}-confirm_past_eligibility").check()
    at.button(key=f"{form}-submit").click().run()
    no_errors(at)
    assert count_rows(store, Match) == before + 1
    at = open_tab(at, "matching", "Wachtrij")
    assert shown_table(at, "newcomers").set_index("code").loc["N0076", "proposed_group"] == "0518-022"


def test_a_community_builder_sees_counts_and_acts_on_their_own_groups_only(store, sheets):
    samira = builder(store, "Samira Benali")
    n1, n2 = ids(store, Newcomer, "N0084", "N0082")
    g_samira, g_ruben = ids(store, WelcomeGroup, "0518-022", "0518-023")
    mine = propose_match(store, COORDINATOR, newcomer_id=n1, group_id=g_samira, proposed_date=AS_OF)
    theirs = propose_match(store, COORDINATOR, newcomer_id=n2, group_id=g_ruben, proposed_date=AS_OF)

    at = run_app(samira, page=PAGE)
    no_errors(at)
    shown = texts(at) + "\n".join(df.value.to_string() for df in at.dataframe)
    assert shown_table(at, "groups")["link"].tolist() == ["groep?group=0518-022"]
    assert [t.label for t in at.tabs] == ["Wachtrij", "Koppelingen", "Trechter"]  # no suggestions for her
    at = open_tab(at, "matching", "Koppelingen")
    no_errors(at)
    shown += texts(at) + "\n".join(df.value.to_string() for df in at.dataframe)
    waiting = sheets["nieuwkomers"][sheets["nieuwkomers"]["status"] == "wacht"]
    others = waiting[
        waiting["nieuwkomer_code"] != "N0084"
    ]  # N0084 is proposed to her own group: she may see that one
    for _, person in others.iterrows():
        assert person["nieuwkomer_code"] not in shown
        assert f"{person['voornaam']} {person['achternaam']}" not in shown
    assert "In Den Haag wachten 10 nieuwkomers." in shown  # the count only
    assert not [b for b in at.button if b.key and b.key.startswith(("suggest", "propose"))]
    # The matches she can pick (labels start with the group code): her new proposal, then her groups' running
    # matches in the workbook — never Ruben's 0518-023.
    groups, links = sheets["groepen"], sheets["koppelingen"]
    hers = set(groups.loc[groups["community_builder"] == "Samira Benali", "groep_code"])
    running = links[(links["status"] == "actief") & links["groep_code"].isin(hers)]
    gemeente = groups.set_index("groep_code")["gemeente"].map(canonical_municipality)
    expected = ["0518-022"] + sorted(
        running.loc[running["groep_code"].map(gemeente) == "Den Haag", "groep_code"]
    )
    options = at.selectbox(key="match_pick").options
    assert [o.split(" ")[0] for o in options] == expected == ["0518-022", "0518-019"]
    assert "N0084" in options[0]

    at.selectbox(key="match_pick").set_value(mine).run()
    at.button(key=f"accept-{mine}-submit").click().run()
    no_errors(at)
    with Session(store) as session:
        assert session.get(Match, mine).status == "actief"
        assert session.get(Match, theirs).status == "voorgesteld"


def test_the_page_in_english(store):
    at = run_app(COORDINATOR, page=PAGE, lang="en")
    no_errors(at)
    assert "Matching" in [t.value for t in at.title]
    assert "Waiting queue per municipality" in texts(at)
