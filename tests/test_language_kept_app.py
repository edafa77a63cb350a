"""AppTest tests: the chosen language is kept (issue 14 leftovers, item 1). A logged-in user's choice is stored as
the account's language, so a new browser session (a reload, a new tab: a new Streamlit session with the same
session token) opens in it; a language chosen on the login page carries into the account at the login."""

from __future__ import annotations

from apptest_helpers import APP, login_session, run_app, texts
from streamlit.testing.v1 import AppTest

from samenhier.scope import Scope
from samenhier.services.users import account_language, create_user

PASSWORD = "een-lang-wachtwoord"
ANNA = Scope.coordinator("anna")


def _new_browser_session(token: str) -> AppTest:
    """What a reload or a new tab is: a fresh Streamlit session (nothing in session state) with the cookie's token."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["session_token"] = token
    return at.run()


def test_the_sidebar_choice_is_kept_for_the_next_browser_session(workbook_engine):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    at = run_app(ANNA)
    assert "Overzicht welkomgroepen" in texts(at)
    at.radio(key="lang").set_value("en").run()
    assert "Welcome groups overview" in texts(at)
    assert account_language(workbook_engine, "anna") == "en"

    reloaded = _new_browser_session(login_session(ANNA))
    assert not reloaded.exception
    assert "Welcome groups overview" in texts(reloaded)
    assert reloaded.radio(key="lang").value == "en"

    reloaded.radio(key="lang").set_value("nl").run()
    assert "Overzicht welkomgroepen" in texts(_new_browser_session(login_session(ANNA)))


def test_a_language_chosen_on_the_login_page_carries_into_the_account(workbook_engine):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.radio(key="lang").set_value("en").run()
    assert "Samen Hier — log in" in texts(at)
    at.text_input(key="login_username").input("anna")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert "Welcome groups overview" in texts(at)
    assert account_language(workbook_engine, "anna") == "en"


def test_without_a_choice_the_login_opens_in_the_accounts_language(workbook_engine):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator", language="en")
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "Samen Hier — inloggen" in texts(at)  # the login page in the default language
    at.text_input(key="login_username").input("anna")
    at.text_input(key="login_password").input(PASSWORD)
    at.button[0].click().run()
    assert "Welcome groups overview" in texts(at)
    assert account_language(workbook_engine, "anna") == "en"


def test_a_language_saved_in_my_settings_switches_the_app(workbook_engine):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    at = run_app(ANNA, page="views/my_settings.py")
    at.selectbox(key=next(s.key for s in at.selectbox if s.key.endswith("-language"))).set_value("en")
    next(b for b in at.button if b.label == "Opslaan").click().run()
    assert not at.exception
    at.run()
    assert at.radio(key="lang").value == "en"
    assert account_language(workbook_engine, "anna") == "en"
