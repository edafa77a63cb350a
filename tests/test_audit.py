"""The audit trail: every kind of write leaves one event with user, record, action and before → after;
the audit query filters in SQL and is for coordinators only."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from sqlmodel import Session, select

from samenhier.models import AuditEvent
from samenhier.queries.audit import audit_events, audit_options, describe_changes, readable_events
from samenhier.scope import AccessDenied, Scope
from samenhier.services import data, matches, privacy, progress, records, users
from samenhier.services.matches import propose_match

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

ANNA = Scope.coordinator("anna")


def _events(engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))


def _last(engine) -> tuple[str, str, str, str, dict]:
    event = _events(engine)[-1]
    return event.username, event.action, event.table_name, event.record_code, json.loads(event.changes)


def _group(engine, **overrides):
    values = dict(
        code="",
        name="Welkomgroep Test",
        municipality="Den Haag",
        variant="statushouders",
        status="werving",
        community_builder_id=None,
        signup_date=dt.date(2026, 1, 10),
        training_completed_date=None,
        notes="",
    )
    return records.create_group(engine, ANNA, values={**values, **overrides})


def test_create_update_status_archive_restore_delete(engine):
    group = _group(engine)
    assert _last(engine) == (
        "anna",
        "create",
        "welcome_group",
        "0518-001",
        {
            "archived": [None, False],
            "code": [None, "0518-001"],
            "municipality": [None, "Den Haag"],
            "name": [None, "Welkomgroep Test"],
            "notes": [None, ""],
            "signup_date": [None, "2026-01-10"],
            "status": [None, "werving"],
            "variant": [None, "statushouders"],
        },
    )
    records.update_group(
        engine,
        ANNA,
        group_id=group.id,
        expected_version=1,
        changes={"name": "Welkomgroep Zon", "notes": "Start"},
    )
    assert _last(engine) == (
        "anna",
        "update",
        "welcome_group",
        "0518-001",
        {"name": ["Welkomgroep Test", "Welkomgroep Zon"], "notes": ["", "Start"]},
    )
    progress.change_group_status(
        engine, Scope.coordinator("bert"), group_id=group.id, expected_version=2, status="training"
    )
    assert _last(engine) == (
        "bert",
        "status_change",
        "welcome_group",
        "0518-001",
        {"status": ["werving", "training"]},
    )
    records.archive_group(engine, ANNA, group_id=group.id, expected_version=3)
    assert _last(engine) == ("anna", "archive", "welcome_group", "0518-001", {"archived": [False, True]})
    records.restore_group(engine, ANNA, group_id=group.id, expected_version=4)
    assert _last(engine) == ("anna", "restore", "welcome_group", "0518-001", {"archived": [True, False]})
    records.delete_group(engine, ANNA, group_id=group.id, expected_version=5)
    username, action, table, code, changes = _last(engine)
    assert (username, action, table, code) == ("anna", "delete", "welcome_group", "0518-001")
    assert changes["name"] == ["Welkomgroep Zon", None] and changes["status"] == ["training", None]
    assert len(_events(engine)) == 6


def test_member_events_name_the_group_not_its_id(engine):
    group = _group(engine)
    member = records.create_member(
        engine,
        ANNA,
        values=dict(
            code="",
            group_id=group.id,
            first_name="Kees",
            last_name="Peters",
            email=None,
            phone="06-12345678",
            role="lid",
            joined_date=dt.date(2026, 1, 10),
            vog_date=None,
        ),
    )
    assert _last(engine)[4]["group"] == [None, "0518-001"]
    progress.record_vog(engine, ANNA, member_id=member.id, expected_version=1, vog_date=dt.date(2026, 2, 3))
    assert _last(engine) == ("anna", "update", "member", "L0001", {"vog_date": [None, "2026-02-03"]})


def test_check_in_event(engine):
    group = _group(engine)
    progress.add_check_in(
        engine, ANNA, group_id=group.id, date=dt.date(2026, 11, 2), assessment="enkele zorgen", text="Stil."
    )
    assert _last(engine) == (
        "anna",
        "create",
        "progress_note",
        "0518-001",
        {
            "assessment": [None, "enkele zorgen"],
            "date": [None, "2026-11-02"],
            "group": [None, "0518-001"],
            "text": [None, "Stil."],
        },
    )


def test_accounts_login_failed_login_password_reset_deactivate(engine):
    users.create_user(engine, "anna", "geheim-wachtwoord", "coordinator", actor="setup")
    users.authenticate(engine, "anna", "geheim-wachtwoord")
    assert _last(engine)[:3] == ("anna", "login", "user_account")
    with pytest.raises(users.LoginFailed):
        users.authenticate(engine, "anna", "fout")
    assert _last(engine)[:3] == ("anna", "login_failed", "user_account")
    saved = records.create_user_account(
        engine, ANNA, values=dict(username="bert", password="bert-zijn-wachtwoord", role="coordinator")
    )
    assert _last(engine) == (
        "anna",
        "create",
        "user_account",
        "bert",
        {
            "active": [None, True],
            "language": [None, "nl"],
            "role": [None, "coordinator"],
            "username": [None, "bert"],
            "weekly_digest": [None, True],
        },
    )  # the digest is on by default
    records.reset_password(
        engine, ANNA, user_id=saved.id, expected_version=1, new_password="nieuw-lang-wachtwoord"
    )
    assert _last(engine) == ("anna", "password_reset", "user_account", "bert", {})
    records.update_user_account(engine, ANNA, user_id=saved.id, expected_version=2, changes={"active": False})
    assert _last(engine) == ("anna", "deactivate", "user_account", "bert", {"active": [True, False]})
    assert not any("argon2" in e.changes or "bert-zijn-wachtwoord" in e.changes for e in _events(engine))


def test_import_event_counts_rows_per_sheet(workbook_engine, workbook_path):
    sheets = pd.read_excel(workbook_path, sheet_name=None)
    event = [e for e in _events(workbook_engine) if e.action == "import"]
    assert len(event) == 1 and event[0].username == "test"
    assert json.loads(event[0].changes) == {
        sheet: {"new": len(frame), "changed": 0} for sheet, frame in sheets.items()
    }


def test_audit_query_filters_and_access(engine):
    group = _group(engine)
    records.update_group(
        engine, Scope.coordinator("bert"), group_id=group.id, expected_version=1, changes={"notes": "x"}
    )
    _group(engine, municipality="Rotterdam")
    page = audit_events(engine, ANNA)
    assert page.total == 3 and list(page.events["action"]) == ["create", "update", "create"]
    assert list(audit_events(engine, ANNA, usernames=("bert",)).events["record_code"]) == ["0518-001"]
    assert audit_events(engine, ANNA, search="0599").total == 1
    assert audit_events(engine, ANNA, record=("welcome_group", group.id)).total == 2
    assert audit_events(engine, ANNA, actions=("update",), limit=1).events.iloc[0]["changes"] == {
        "notes": ["", "x"]
    }
    assert audit_events(engine, ANNA, since=dt.date.today() + dt.timedelta(days=2)).total == 0
    assert audit_options(engine, ANNA) == {
        "usernames": ["anna", "bert"],
        "actions": ["create", "update"],
        "tables": ["welcome_group"],
    }
    assert str(page.events["at"].dt.tz) == "Europe/Amsterdam"
    with pytest.raises(AccessDenied):
        audit_events(engine, Scope.community_builder("joris", 1))


def test_describe_changes():
    assert (
        describe_changes({"name": ["Oud", "Nieuw"], "vog_date": [None, "2026-02-03"]})
        == "name: Oud → Nieuw; vog_date: – → 2026-02-03"
    )
    assert describe_changes({"groepen": {"new": 2, "changed": 0}}) == "groepen: new 2, changed 0"


def test_describe_changes_counts_per_sheet():
    assert (
        describe_changes(
            {"groepen": {"new": 2, "changed": 0}}, sub_label={"new": "nieuw", "changed": "gewijzigd"}.get
        )
        == "groepen: nieuw 2, gewijzigd 0"
    )


def _readable(engine, lang="nl", **filters):
    return readable_events(engine, audit_events(engine, ANNA, **filters).events, lang)


def test_readable_trail_names_actions_records_and_values_in_words(engine):
    from tests.matching_helpers import two_city_store

    store = two_city_store(engine)
    match_id = propose_match(
        engine,
        ANNA,
        newcomer_id=store.ids["NH1"],
        group_id=store.ids["H1"],
        proposed_date=dt.date(2026, 11, 1),
    )
    matches.accept_match(
        engine, ANNA, match_id=match_id, started_date=dt.date(2026, 11, 10), expected_version=1
    )
    trail, english = _readable(engine), _readable(engine, "en")
    assert list(trail.columns) == ["at", "username", "action", "record_type", "record", "changes"]
    # newest first: the group became active, the newcomer matched, the match started, the proposal
    assert list(trail["action"]) == [
        "status groep gewijzigd",
        "nieuwkomer gekoppeld",
        "koppeling gestart",
        "koppeling voorgesteld",
    ]
    assert list(trail["record_type"]) == ["welkomgroep", "nieuwkomer", "koppeling", "koppeling"]
    assert list(trail["record"]) == ["H1 Groep H1", "NH1 Nieuw NH1", "H1 ↔ NH1", "H1 ↔ NH1"]
    assert trail["changes"].iloc[0] == "Status: wacht op match → actief"
    assert english["changes"].iloc[0] == "Status: awaiting match → active"
    started = trail["changes"].iloc[2]
    assert "Gestart op: – → 10-11-2026" in started and "Status:" in started
    proposal = trail["changes"].iloc[3]
    # ids of other records read as their code and name; dates dd-mm-jjjj
    assert "Groep: – → H1 Groep H1" in proposal and "Nieuwkomer: – → NH1 Nieuw NH1" in proposal
    assert "Voorgesteld op: – → 01-11-2026" in proposal
    assert list(english["action"])[2:] == ["match started", "match proposed"]
    assert "Started on: – → 2026-11-10" in english["changes"].iloc[2]
    for text in [*trail["changes"], *english["changes"], *trail["record"]]:
        for raw in ("None", "True", "False", "nan", "group_id", "_id"):
            assert raw not in text, (raw, text)


def test_readable_trail_yes_no_and_the_right_word_for_exports(engine):
    users.create_user(engine, "anna", "geheim-wachtwoord", "coordinator", actor="setup")
    records.create_user_account(
        engine, ANNA, values=dict(username="bert", password="bert-zijn-wachtwoord", role="coordinator")
    )
    data.export_store(engine, ANNA, fmt="xlsx")
    group = _group(engine)
    member = records.create_member(
        engine,
        ANNA,
        values=dict(
            code="",
            group_id=group.id,
            first_name="Kees",
            last_name="Peters",
            email=None,
            phone="06-12345678",
            role="lid",
            joined_date=dt.date(2026, 1, 10),
            vog_date=None,
        ),
    )
    privacy.export_person(engine, ANNA, kind="member", person_id=member.id)
    trail = _readable(engine)
    assert list(trail["action"])[:3] == ["inzage-export", "aangemaakt", "aangemaakt"]
    assert trail["record"].iloc[0] == "L0001 Kees Peters"
    export = trail[trail["record_type"] == "werkboek"].iloc[0]
    assert (export["action"], export["record"]) == ("export", "XLSX")
    assert "Gemeenten: alle" in export["changes"] and "groepen 0, leden 0" in export["changes"]
    account = trail[trail["record"] == "bert"].iloc[0]
    assert "Actief: – → Ja" in account["changes"] and "Rol: – → coördinator" in account["changes"]
    assert (
        "Gearchiveerd: – → Nee" in trail[trail["record"] == "0518-001 Welkomgroep Test"].iloc[-1]["changes"]
    )
