"""Entering a survey response: access, validation (all errors at once, nothing written), wave order,
one response per person per wave (editing replaces, versioned and audited)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session, func, select

from samenhier.models import AuditEvent, Match, Member, SurveyResponse, Wave, WelcomeGroup
from samenhier.queries.common import count_rows
from samenhier.scope import AccessDenied, Scope
from samenhier.services.common import ValidationFailed, VersionConflict
from samenhier.services.surveys import save_survey_response
from tests.survey_workbook import surveyed_store

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

COORDINATOR = Scope.coordinator("coordinator")
NOT_LONELY = {
    "emptiness": "nee",
    "fall_back_on": "ja",
    "trust": "ja",
    "miss_people": "nee",
    "connected": "ja",
    "abandoned": "nee",
}

DUTCH_MONTHS = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
]
"""Dates in messages are written the Dutch way, e.g. 26 maart 2026."""


@pytest.fixture
def surveyed_engine(db_url):
    yield from surveyed_store(db_url)


@pytest.fixture
def newcomer_without_end(surveyed_engine):
    """A newcomer with a nulmeting and no eindmeting in a group with a running match: (group_id, newcomer_id, baseline date)."""
    with Session(surveyed_engine) as session:
        for match in session.exec(select(Match).where(Match.status == "actief").order_by(Match.id)):
            waves = {
                r.wave: r.date
                for r in session.exec(
                    select(SurveyResponse).where(SurveyResponse.newcomer_id == match.newcomer_id)
                )
            }
            if Wave.BASELINE.value in waves and Wave.END.value not in waves:
                return match.group_id, match.newcomer_id, waves
    pytest.fail("the workbook has no running match whose newcomer lacks an eindmeting")


def save(engine, scope=COORDINATOR, **kwargs):
    values = dict(answers=NOT_LONELY, feel_at_home=4, date=dt.date(2026, 11, 10))
    values.update(kwargs)
    return save_survey_response(engine, scope, **values)


def test_adds_a_response_with_an_audit_event(surveyed_engine, newcomer_without_end):
    group_id, newcomer_id, _ = newcomer_without_end
    responses, events = count_rows(surveyed_engine, SurveyResponse), count_rows(surveyed_engine, AuditEvent)
    new_id = save(
        surveyed_engine,
        group_id=group_id,
        role="nieuwkomer",
        person_id=newcomer_id,
        wave="eindmeting",
        self_reported_change="minder",
        new_contacts=3,
    )
    assert count_rows(surveyed_engine, SurveyResponse) == responses + 1
    assert count_rows(surveyed_engine, AuditEvent) == events + 1
    with Session(surveyed_engine) as session:
        stored = session.get(SurveyResponse, new_id)
        assert (stored.newcomer_id, stored.member_id, stored.group_id, stored.wave) == (
            newcomer_id,
            None,
            group_id,
            "eindmeting",
        )
        assert (
            stored.emptiness,
            stored.fall_back_on,
            stored.feel_at_home,
            stored.self_reported_change,
            stored.new_contacts,
        ) == ("nee", "ja", 4, "minder", 3)
        event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.table_name, event.record_id, event.username) == (
        "create",
        "survey_response",
        new_id,
        "coordinator",
    )
    assert json.loads(event.changes)["wave"] == [None, "eindmeting"]


def test_entering_again_replaces_the_response_with_a_new_version(surveyed_engine, newcomer_without_end):
    group_id, newcomer_id, _ = newcomer_without_end
    first = save(
        surveyed_engine, group_id=group_id, role="nieuwkomer", person_id=newcomer_id, wave="eindmeting"
    )
    count = count_rows(surveyed_engine, SurveyResponse)
    changed = dict(NOT_LONELY, emptiness="min of meer")
    second = save(
        surveyed_engine,
        group_id=group_id,
        role="nieuwkomer",
        person_id=newcomer_id,
        wave="eindmeting",
        answers=changed,
        feel_at_home=5,
        expected_version=1,
    )
    assert second == first
    assert count_rows(surveyed_engine, SurveyResponse) == count  # replaced, not added
    with Session(surveyed_engine) as session:
        stored = session.get(SurveyResponse, first)
        assert (stored.version, stored.emptiness, stored.feel_at_home) == (2, "min of meer", 5)
        event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "update" and event.record_id == first
    assert json.loads(event.changes) == {"emptiness": ["nee", "min of meer"], "feel_at_home": [4, 5]}


def test_a_stale_form_is_a_version_conflict_and_writes_nothing(surveyed_engine, newcomer_without_end):
    group_id, newcomer_id, _ = newcomer_without_end
    args = dict(group_id=group_id, role="nieuwkomer", person_id=newcomer_id, wave="eindmeting")
    save(surveyed_engine, **args)
    save(surveyed_engine, **args, feel_at_home=2, expected_version=1)
    events = count_rows(surveyed_engine, AuditEvent)
    with pytest.raises(VersionConflict):
        save(surveyed_engine, **args, feel_at_home=5, expected_version=1)  # opened before the second save
    with pytest.raises(VersionConflict):
        save(surveyed_engine, **args, feel_at_home=5)  # the form showed no response, but one exists now
    with Session(surveyed_engine) as session:
        stored = session.exec(
            select(SurveyResponse).where(
                SurveyResponse.newcomer_id == newcomer_id, SurveyResponse.wave == "eindmeting"
            )
        ).one()
    assert (stored.version, stored.feel_at_home) == (2, 2)
    assert count_rows(surveyed_engine, AuditEvent) == events


def test_every_invalid_field_is_reported_at_once_and_nothing_is_written(
    surveyed_engine, newcomer_without_end
):
    group_id, newcomer_id, _ = newcomer_without_end
    before = count_rows(surveyed_engine, SurveyResponse), count_rows(surveyed_engine, AuditEvent)
    with pytest.raises(ValidationFailed) as failed:
        save(
            surveyed_engine,
            group_id=group_id,
            role="nieuwkomer",
            person_id=newcomer_id,
            wave="tussenmeting",
            date=dt.date(2026, 11, 16),  # the day after the as-of date (SAMENHIER_TODAY=2026-11-15)
            answers=dict(NOT_LONELY, trust="misschien"),
            feel_at_home=6,
            self_reported_change="minder",
            new_contacts=2,
        )
    codes = {(e.field, e.code) for e in failed.value.errors}
    assert codes == {
        ("date", "survey_date_future"),
        ("trust", "survey_answer"),
        ("feel_at_home", "survey_feel_at_home"),
        ("self_reported_change", "survey_end_only"),
        ("new_contacts", "survey_end_only"),
    }
    assert (count_rows(surveyed_engine, SurveyResponse), count_rows(surveyed_engine, AuditEvent)) == before
    # every message reads as a sentence in both languages
    for error in failed.value.errors:
        assert not error.message("nl").startswith("validation.") and not error.message("en").startswith(
            "validation."
        )


def test_end_questions_and_empty_response(surveyed_engine, newcomer_without_end):
    group_id, newcomer_id, _ = newcomer_without_end
    args = dict(group_id=group_id, role="nieuwkomer", person_id=newcomer_id, wave="eindmeting")
    with pytest.raises(ValidationFailed) as failed:
        save(surveyed_engine, **args, answers={}, feel_at_home=None)
    assert [(e.field, e.code) for e in failed.value.errors] == [("answers", "survey_empty")]
    with pytest.raises(ValidationFailed) as failed:
        save(surveyed_engine, **args, self_reported_change="weet niet", new_contacts=-1)
    assert {(e.field, e.code) for e in failed.value.errors} == {
        ("self_reported_change", "survey_change"),
        ("new_contacts", "survey_new_contacts"),
    }
    with pytest.raises(ValidationFailed) as failed:
        save(surveyed_engine, **args, date=None)
    assert [(e.field, e.code) for e in failed.value.errors] == [("date", "survey_date_required")]


def test_no_end_response_before_the_baseline(surveyed_engine, newcomer_without_end):
    group_id, newcomer_id, waves = newcomer_without_end
    baseline = waves["nulmeting"]
    count = count_rows(surveyed_engine, SurveyResponse)
    args = dict(group_id=group_id, role="nieuwkomer", person_id=newcomer_id, wave="eindmeting")
    for date in (baseline - dt.timedelta(days=1), baseline):
        with pytest.raises(ValidationFailed) as failed:
            save(surveyed_engine, **args, date=date)
        errors = failed.value.errors
        assert any(e.field == "date" and e.code == "survey_not_after_earlier" for e in errors)
        latest = max(waves.values())
        assert f"{latest.day} {DUTCH_MONTHS[latest.month - 1]} {latest.year}" in next(
            e for e in errors if e.field == "date"
        ).message("nl")
    assert count_rows(surveyed_engine, SurveyResponse) == count
    # ...and once there is an eindmeting (10 November), the nulmeting cannot be moved after it.
    save(surveyed_engine, **args, date=dt.date(2026, 11, 10))
    with pytest.raises(ValidationFailed) as failed:
        save(
            surveyed_engine,
            group_id=group_id,
            role="nieuwkomer",
            person_id=newcomer_id,
            wave="nulmeting",
            date=dt.date(2026, 11, 12),
            expected_version=1,
        )
    assert [(e.field, e.code) for e in failed.value.errors] == [("date", "survey_not_before_later")]
    assert "10 november 2026" in failed.value.errors[0].message("nl")
    assert "November 10, 2026" in failed.value.errors[0].message("en")


def test_person_must_belong_to_the_group(surveyed_engine):
    with Session(surveyed_engine) as session:
        member = session.exec(select(Member).order_by(Member.id)).first()
        other_group = session.exec(select(WelcomeGroup.id).where(WelcomeGroup.id != member.group_id)).first()
        matched = session.exec(select(Match).where(Match.group_id != member.group_id)).first()
    count = count_rows(surveyed_engine, SurveyResponse)
    for role, person_id in (
        ("lid", member.id),
        ("nieuwkomer", matched.newcomer_id),
        ("lid", 10**6),
        ("gast", member.id),
    ):
        group = other_group if role != "nieuwkomer" else member.group_id
        with pytest.raises(ValidationFailed) as failed:
            save(surveyed_engine, group_id=group, role=role, person_id=person_id, wave="tussenmeting")
        assert [(e.field, e.code) for e in failed.value.errors] == [("person", "survey_person")]
    with pytest.raises(ValidationFailed) as failed:
        save(surveyed_engine, group_id=member.group_id, role="lid", person_id=member.id, wave="slotmeting")
    assert [(e.field, e.code) for e in failed.value.errors] == [("wave", "survey_wave")]
    assert count_rows(surveyed_engine, SurveyResponse) == count


def test_community_builder_may_only_enter_for_their_own_groups(surveyed_engine, newcomer_without_end):
    group_id, newcomer_id, _ = newcomer_without_end
    with Session(surveyed_engine) as session:
        builder_id = session.get(WelcomeGroup, group_id).community_builder_id
        other_builder = session.exec(
            select(WelcomeGroup.community_builder_id).where(
                WelcomeGroup.community_builder_id != builder_id,
                WelcomeGroup.community_builder_id.is_not(None),
            )
        ).first()
    count, events = count_rows(surveyed_engine, SurveyResponse), count_rows(surveyed_engine, AuditEvent)
    outsider = Scope.community_builder("outsider", other_builder)
    # Access is checked before anything else: even invalid input gets AccessDenied, not field errors.
    with pytest.raises(AccessDenied):
        save(
            surveyed_engine,
            outsider,
            group_id=group_id,
            role="nieuwkomer",
            person_id=newcomer_id,
            wave="eindmeting",
            answers={},
        )
    assert (count_rows(surveyed_engine, SurveyResponse), count_rows(surveyed_engine, AuditEvent)) == (
        count,
        events,
    )
    own = Scope.community_builder("own", builder_id)
    new_id = save(
        surveyed_engine, own, group_id=group_id, role="nieuwkomer", person_id=newcomer_id, wave="eindmeting"
    )
    with Session(surveyed_engine) as session:
        assert (
            session.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.record_id == new_id, AuditEvent.username == "own")
            ).one()
            == 1
        )
