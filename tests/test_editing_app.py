"""AppTest of the editing pages: Beheer (forms, kept input, conflicts between two browser sessions,
archive/delete), Mijn groepen (a community builder's progress updates, only on their own groups) and
the audit trail."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from samenhier.models import AuditEvent, CommunityBuilder, ProgressNote, WelcomeGroup
from samenhier.queries.common import count_rows
from samenhier.scope import Scope
from samenhier.services.users import create_user
from samenhier.ui import md
from tests.apptest_helpers import APP, login_session, run_app, set_account_language, texts

ANNA = Scope.coordinator("anna")


@pytest.fixture
def workbook_engine(workbook_engine):
    """The workbook's store with accounts (without any, the app shows its first-run setup)."""
    create_user(workbook_engine, "anna", "anna-haar-wachtwoord", "coordinator")
    create_user(
        workbook_engine, "joris", "een-lang-wachtwoord", "community_builder", community_builder="Joris Kramer"
    )
    return workbook_engine


def _group(engine, code) -> WelcomeGroup:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup).where(WelcomeGroup.code == code)).one()


def _submit(at, label: str):
    """The button ``label``, or the one that names its record before it ("0518-001 · … opslaan")."""
    return next(b for b in at.button if b.label == label or b.label.endswith(" " + label.lower()))


def _open_group(at, group_id: int):
    at.selectbox(key="manage_groups_open").set_value(group_id).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_edit_a_group_and_see_it_on_the_overview(workbook_engine):
    group = _group(workbook_engine, "0518-001")
    at = _open_group(run_app(ANNA, page="views/manage.py"), group.id)
    at.text_input(key=f"groups-{group.id}-name").set_value("Welkomgroep Zonnebloem")
    _submit(at, "Opslaan").click().run()
    assert not at.exception
    assert f"{md(f'0518-001 · {group.name}')} is opgeslagen." in [x.value for x in at.success]
    assert [x.value for x in at.toast] == [f"{md(f'0518-001 · {group.name}')} is opgeslagen."]
    assert _group(workbook_engine, "0518-001").name == "Welkomgroep Zonnebloem"
    at.switch_page("views/overview.py").run()
    table = at.dataframe[0].value
    assert "Welkomgroep Zonnebloem" in set(table["name"])
    assert "Welkomgroep Schalkwijk 1" not in set(table["name"])


def test_failed_validation_keeps_the_input_and_writes_nothing(workbook_engine):
    group = _group(workbook_engine, "0518-001")
    audit_before = count_rows(workbook_engine, AuditEvent)
    at = _open_group(run_app(ANNA, page="views/manage.py"), group.id)
    at.text_input(key=f"groups-{group.id}-name").set_value("   ")
    at.text_area(key=f"groups-{group.id}-notes").set_value("Nieuwe notitie")
    _submit(at, "Opslaan").click().run()
    assert not at.exception
    shown = texts(at)
    assert "Dit veld is verplicht." in shown
    assert "Niet opgeslagen: verbeter de gemarkeerde velden." in shown
    assert at.text_input(key=f"groups-{group.id}-name").value == "   "
    assert at.text_area(key=f"groups-{group.id}-notes").value == "Nieuwe notitie"
    assert count_rows(workbook_engine, AuditEvent) == audit_before
    assert _group(workbook_engine, "0518-001").notes == group.notes


def test_two_sessions_one_wins_the_other_is_told(workbook_engine):
    group = _group(workbook_engine, "0518-002")
    anna = _open_group(run_app(ANNA, page="views/manage.py"), group.id)
    bert = _open_group(run_app(Scope.coordinator("bert"), page="views/manage.py"), group.id)
    anna.text_input(key=f"groups-{group.id}-name").set_value("Welkomgroep Anna")
    _submit(anna, "Opslaan").click().run()
    bert.text_area(key=f"groups-{group.id}-notes").set_value("Notitie van Bert")
    _submit(bert, "Opslaan").click().run()
    assert not bert.exception
    shown = texts(bert)
    assert "Iemand anders heeft dit record gewijzigd nadat je het opende" in shown
    conflict = bert.dataframe[-1].value
    assert list(conflict.iloc[0]) == ["Naam", group.name, "Welkomgroep Anna", ""]
    assert list(conflict.iloc[1]) == ["Notities", "", group.notes, "Notitie van Bert"]
    stored = _group(workbook_engine, "0518-002")
    assert (stored.name, stored.notes, stored.version) == ("Welkomgroep Anna", group.notes, group.version + 1)
    _submit(bert, "Mijn wijzigingen opnieuw toepassen").click().run()
    assert f"{md('0518-002 · Welkomgroep Anna')} is opgeslagen." in [x.value for x in bert.success]
    stored = _group(workbook_engine, "0518-002")
    assert (stored.name, stored.notes, stored.version) == (
        "Welkomgroep Anna",
        "Notitie van Bert",
        group.version + 2,
    )


def test_reload_drops_my_input(workbook_engine):
    group = _group(workbook_engine, "0518-003")
    anna = _open_group(run_app(ANNA, page="views/manage.py"), group.id)
    bert = _open_group(run_app(Scope.coordinator("bert"), page="views/manage.py"), group.id)
    anna.text_input(key=f"groups-{group.id}-name").set_value("Welkomgroep Anna")
    _submit(anna, "Opslaan").click().run()
    bert.text_input(key=f"groups-{group.id}-name").set_value("Welkomgroep Bert")
    _submit(bert, "Opslaan").click().run()
    _submit(bert, "Opnieuw laden").click().run()
    assert bert.text_input(key=f"groups-{group.id}-name").value == "Welkomgroep Anna"
    assert _group(workbook_engine, "0518-003").name == "Welkomgroep Anna"


def test_create_with_generated_code_then_delete_after_confirmation(workbook_engine):
    at = run_app(ANNA, page="views/manage.py")
    at.selectbox(key="manage_groups_open").set_value("new").run()
    at.text_input(key="groups-new-name").set_value("Welkomgroep Nieuw")
    at.selectbox(key="groups-new-municipality").set_value("Den Haag")
    _submit(at, "Aanmaken").click().run()
    assert not at.exception, [e.value for e in at.exception]
    # the success names the record (issue 14 leftovers, item 8): its new code and its name
    assert [s.value for s in at.success] == [
        f"{md('0518-025 Welkomgroep Nieuw')} is aangemaakt."
    ]  # Markdown-escaped
    created = _group(workbook_engine, "0518-025")  # the workbook's Den Haag groups end at 0518-024
    assert at.selectbox(key="manage_groups_open").value == created.id
    at.button(key=f"groups-delete-{created.id}-button").click().run()
    assert f"{md('0518-025 · Welkomgroep Nieuw')} definitief verwijderen?" in texts(at)
    at.button(key=f"groups-delete-{created.id}-confirm").click().run()
    assert f"{md('0518-025 · Welkomgroep Nieuw')} is verwijderd." in [x.value for x in at.success]
    assert at.selectbox(key="manage_groups_open").value is None
    with Session(workbook_engine) as session:
        assert session.exec(select(WelcomeGroup).where(WelcomeGroup.code == "0518-025")).first() is None


def test_group_with_history_offers_archive_not_delete(workbook_engine):
    group = _group(workbook_engine, "0518-001")
    at = _open_group(run_app(ANNA, page="views/manage.py"), group.id)
    assert "Heeft geschiedenis" in " ".join(c.value for c in at.caption)
    assert not [b for b in at.button if b.key == f"groups-delete-{group.id}-button"]
    at.button(key=f"groups-archive-{group.id}-button").click().run()
    assert f"{md(f'0518-001 · {group.name}')} is gearchiveerd." in [x.value for x in at.success]
    assert _group(workbook_engine, "0518-001").archived


def _joris(engine) -> Scope:
    with Session(engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == "Joris Kramer")).one()
    return Scope.community_builder("joris", builder.id)


def test_builder_sees_only_own_groups_and_no_manage_page(workbook_engine):
    joris = _joris(workbook_engine)
    at = run_app(joris, page="views/my_groups.py", query={"group": "0518-022"})  # Samira's group
    assert not at.exception
    cards = [m.value for m in at.markdown if m.value.startswith("**0")]
    assert cards and all(c.startswith("**0392\\-") for c in cards)
    assert "0518\\-022" not in texts(at)
    with pytest.raises(ValueError, match="Could not find a navigation page") as exc:
        at.switch_page("views/manage.py")  # not in a community builder's navigation at all
    assert "my_groups.py" in str(exc.value) and "audit.py" not in str(exc.value)


def test_check_in_with_concerns_needs_a_note(workbook_engine):
    joris = _joris(workbook_engine)
    group = _group(workbook_engine, "0392-019")
    at = run_app(joris, page="views/group.py", query={"group": "0392-019", "action": "check_in"})
    at.radio(key=f"hub-checkin-{group.id}-assessment").set_value("ernstige zorgen")
    at.button(key=f"hub-checkin-{group.id}-submit").click().run()
    assert "Beschrijf de zorgen in de notitie." in texts(at)
    assert count_rows(workbook_engine, ProgressNote) == 0


def test_audit_page_lists_and_filters(workbook_engine):
    group = _group(workbook_engine, "0518-001")
    at = _open_group(run_app(ANNA, page="views/manage.py"), group.id)
    at.text_input(key=f"groups-{group.id}-name").set_value("Welkomgroep Audit")
    _submit(at, "Opslaan").click().run()
    at.switch_page("views/audit.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    # newest first: the edit, the two accounts of the fixture, the workbook import
    assert list(table["action"]) == ["gewijzigd", "aangemaakt", "aangemaakt", "import"]
    assert list(table["username"])[:3] == ["anna", "setup", "setup"]
    assert table.iloc[0]["changes"] == "Naam: Welkomgroep Schalkwijk 1 → Welkomgroep Audit"
    at.multiselect(key="audit_actions").set_value(["import"]).run()
    assert list(at.dataframe[0].value["action"]) == ["import"]
    assert "1 van 1 gebeurtenissen" in texts(at)


@pytest.mark.parametrize("section", ["groups", "members", "newcomers", "builders", "users"])
def test_every_section_opens_a_record_in_english(workbook_engine, section):
    """Each section lists its records and opens the first in a form, in English.

    The section and record are chosen through session state before the page's first run: AppTest
    formats a widget's value with its format_func in the test's own thread, where the session's
    language is not known, so set_value on a translated radio fails in English.
    """
    from sqlalchemy import text

    table, column = {
        "groups": ("welcome_group", "code"),
        "members": ("member", "code"),
        "newcomers": ("newcomer", "code"),
        "builders": ("community_builder", "name"),
        "users": ("user_account", "username"),
    }[section]
    with workbook_engine.connect() as c:
        first_id = c.execute(text(f"SELECT id FROM {table} ORDER BY lower({column}) LIMIT 1")).scalar_one()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state["session_token"] = login_session(ANNA)
    set_account_language("anna", "en")  # a logged-in user sees the app in their account's language
    at.session_state["manage_section"] = section
    at.session_state[f"manage_{section}_open"] = first_id
    at.run()
    at.switch_page("views/manage.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key=f"manage_{section}_open").options[0].startswith("➕ New")
    assert any(b.label.startswith("Save ") for b in at.button)  # "Save <the record>"
    assert at.get("form"), "the record's form is shown"


def test_member_form_refuses_a_foreign_phone_number(workbook_engine):
    with Session(workbook_engine) as session:
        from samenhier.models import Member

        member = session.exec(select(Member).where(Member.code == "L0001")).one()
    at = run_app(ANNA, page="views/manage.py")
    at.radio(key="manage_section").set_value("members").run()
    at.selectbox(key="manage_members_open").set_value(member.id).run()
    at.text_input(key=f"members-{member.id}-phone").set_value("+32 470 12 34 56")
    _submit(at, "Opslaan").click().run()
    assert "Geen geldig Nederlands telefoonnummer (bijvoorbeeld 06-12345678 of +31 6 12345678)." in texts(at)
    assert at.text_input(key=f"members-{member.id}-phone").value == "+32 470 12 34 56"
    with Session(workbook_engine) as session:
        assert session.get(Member, member.id).phone == member.phone


def test_coordinator_my_groups_page_shows_todos(workbook_engine):
    at = run_app(ANNA, page="views/my_groups.py", query={"group": "0392-018"})
    assert not at.exception, [e.value for e in at.exception]
    assert "De eindmeting is aan de beurt (maand 12 van 12)." in texts(at)
    assert "90 van 90 groepen" in texts(at)  # every group of the workbook that is not archived


def test_a_section_opens_from_its_link_and_the_link_follows_the_section(workbook_engine):
    at = run_app(ANNA, page="views/manage.py", query={"tab": "newcomers"})
    assert at.radio(key="manage_section").value == "newcomers"
    assert at.query_params["tab"] in (["newcomers"], "newcomers")
    at.radio(key="manage_section").set_value("builders").run()
    assert at.radio(key="manage_section").value == "builders"
    assert at.query_params["tab"] in (["builders"], "builders")
