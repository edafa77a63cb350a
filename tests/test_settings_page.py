"""AppTest of "Mijn instellingen" (a user's own digest settings) and the e-mail fields of Beheer → Accounts
(issue 17, item 3)."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from samenhier.models import AuditEvent, UserAccount
from samenhier.scope import Scope
from samenhier.services.users import create_user
from tests.apptest_helpers import run_app, texts

ANNA = Scope.coordinator("anna")


@pytest.fixture
def accounts(workbook_engine):
    create_user(workbook_engine, "anna", "een-lang-wachtwoord", "coordinator")
    joris = create_user(
        workbook_engine, "joris", "een-lang-wachtwoord", "community_builder", community_builder="Joris Kramer"
    )
    return workbook_engine, joris


def _account(engine, username: str) -> UserAccount:
    with Session(engine) as session:
        return session.exec(select(UserAccount).where(UserAccount.username == username)).one()


def _submit(at, label: str):
    """The button labelled ``label``, or named after its record ("joris opslaan" for "Opslaan")."""
    return next(b for b in at.button if b.label == label or b.label.endswith(" " + label.lower()))


def test_a_builder_turns_the_digest_off_and_changes_address_and_language(accounts):
    engine, joris = accounts
    user = _account(engine, "joris")
    assert (
        user.email == "joris.kramer0@voorbeeld.nl"
    )  # the builder's address from the workbook, taken at creation
    at = run_app(joris, page="views/my_settings.py")
    assert not at.exception, [e.value for e in at.exception]
    prefix = f"settings-{user.id}"
    assert at.text_input(key=f"{prefix}-email").value == "joris.kramer0@voorbeeld.nl"
    assert at.checkbox(key=f"{prefix}-weekly_digest").value is True
    at.text_input(key=f"{prefix}-email").set_value("joris@samenhier.example")
    at.checkbox(key=f"{prefix}-weekly_digest").uncheck()
    at.selectbox(key=f"{prefix}-language").set_value("en")
    _submit(at, "Opslaan").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Je instellingen zijn opgeslagen." in texts(at)
    user = _account(engine, "joris")
    assert (user.email, user.weekly_digest, user.language) == ("joris@samenhier.example", False, "en")
    with Session(engine) as session:
        event = session.exec(
            select(AuditEvent).where(AuditEvent.table_name == "user_account", AuditEvent.action == "update")
        ).one()
    assert event.username == "joris" and event.record_code == "joris"


def test_an_invalid_address_is_refused_at_the_field_and_kept(accounts):
    engine, joris = accounts
    user = _account(engine, "joris")
    at = run_app(joris, page="views/my_settings.py")
    prefix = f"settings-{user.id}"
    at.text_input(key=f"{prefix}-email").set_value("joris-at-voorbeeld")
    _submit(at, "Opslaan").click().run()
    assert at.text_input(key=f"{prefix}-email").value == "joris-at-voorbeeld"
    assert _account(engine, "joris").email == "joris.kramer0@voorbeeld.nl"
    assert "Je instellingen zijn opgeslagen." not in texts(at)


def test_a_coordinator_without_address_is_told_there_is_no_digest(accounts):
    at = run_app(ANNA, page="views/my_settings.py", lang="en")
    assert not at.exception, [e.value for e in at.exception]
    assert "There is no e-mail address: you get no weekly summary." in texts(at)


def test_beheer_sets_an_accounts_address_and_digest_choice(accounts):
    engine, _ = accounts
    user = _account(engine, "joris")
    at = run_app(ANNA, page="views/manage.py")
    at.radio(key="manage_section").set_value("users").run()
    at.selectbox(key="manage_users_open").set_value(user.id).run()
    assert not at.exception, [e.value for e in at.exception]
    at.checkbox(key=f"users-{user.id}-weekly_digest").uncheck()
    at.text_input(key=f"users-{user.id}-email").set_value("j.kramer@samenhier.example")
    _submit(at, "Opslaan").click().run()
    assert not at.exception, [e.value for e in at.exception]
    user = _account(engine, "joris")
    assert (user.email, user.weekly_digest) == ("j.kramer@samenhier.example", False)
    table = at.dataframe[0].value
    assert table.loc[table["username"] == "joris", "email"].iloc[0] == "j.kramer@samenhier.example"
