"""AppTest of the Groep page as the hub of one group, and of the cards of "Mijn groepen": every action
as a coordinator and a community builder, in Dutch and English, and a to-do's action."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from samenhier.models import CommunityBuilder, Match, Meeting, ProgressNote, SurveyResponse, WelcomeGroup
from samenhier.scope import Scope
from samenhier.services.users import create_user
from tests.apptest_helpers import run_app, texts

ANNA = Scope.coordinator("anna")


@pytest.fixture
def store(workbook_engine):
    create_user(workbook_engine, "anna", "anna-wachtwoord", "coordinator")
    create_user(workbook_engine, "joris", "joris-wachtwoord", "community_builder", community_builder="Joris Kramer")
    return workbook_engine


def joris(engine) -> Scope:
    with Session(engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == "Joris Kramer")).one()
    return Scope.community_builder("joris", builder.id)


def group(engine, code) -> WelcomeGroup:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup).where(WelcomeGroup.code == code)).one()


def button(at, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, (label, [b.label for b in at.button])
    return found[0]


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def hub(scope, code, *, lang="nl", action=None):
    query = {"group": code} if action is None else {"group": code, "action": action}
    return ok(run_app(scope, lang=lang, page="views/group.py", query=query))


def newcomer_id_of(engine, group_code) -> int:
    with Session(engine) as session:
        g = session.exec(select(WelcomeGroup).where(WelcomeGroup.code == group_code)).one()
        return session.exec(select(Match.newcomer_id).where(Match.group_id == g.id, Match.status == "actief")).one()


def test_a_todo_opens_the_end_survey_of_the_newcomer_and_saving_it_resolves_the_todo(store):
    scope = joris(store)
    g = group(store, "0392-018")  # Joris's group in month 12 without eindmeting (workbook)
    newcomer = newcomer_id_of(store, "0392-018")
    at = hub(scope, "0392-018")
    assert "De eindmeting is aan de beurt (maand 12 van 12)." in texts(at)
    button(at, "Eindmeting invoeren").click().run()
    ok(at)
    assert at.session_state["hub_action"] == "survey"
    person = at.selectbox(key=f"hub-survey-{g.id}-0-person")
    assert person.value == f"nieuwkomer:{newcomer}"
    assert at.radio(key=f"hub-survey-{g.id}-0-wave").value == "eindmeting"
    print([r.label for r in at.radio])
