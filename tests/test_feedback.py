"""The pure half of the write path (samenhier.feedback): outcomes of real service calls, field errors
at the field, and "the same submission twice"."""

import datetime as dt

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from samenhier.feedback import (
    BUSY,
    CONFIRM,
    CONFLICT,
    DENIED,
    INVALID,
    SAVED,
    Shown,
    attempt,
    fingerprint,
    is_repeat,
    outcome_text,
    split_errors,
)
from samenhier.models import Match, MatchStatus
from samenhier.scope import Scope
from samenhier.services.matches import accept_match, decline_match, end_match, propose_match
from tests.matching_helpers import D, two_city_store

COORDINATOR = Scope.coordinator("coord")


@pytest.fixture
def store(engine):
    return two_city_store(engine)


def proposed(store) -> int:
    return propose_match(
        store.engine,
        COORDINATOR,
        newcomer_id=store.ids["NH1"],
        group_id=store.ids["H1"],
        proposed_date=D(2026, 11, 1),
    )


def test_saved_outcome_carries_the_result_and_writes(store):
    match_id = proposed(store)
    outcome = attempt(
        lambda: accept_match(
            store.engine, COORDINATOR, match_id=match_id, started_date=D(2026, 11, 2), expected_version=1
        ),
        "nl",
    )
    assert outcome.status == SAVED and outcome.ok
    with Session(store.engine) as session:
        match = session.get(Match, match_id)
        assert (match.status, match.started_date, match.version) == (
            MatchStatus.ACTIVE.value,
            D(2026, 11, 2),
            2,
        )


def test_a_shown_version_that_is_not_current_writes_nothing(store):
    """The wrong-record guard: the click carries the version that was rendered; a stale one is refused."""
    match_id = proposed(store)
    accept_match(
        store.engine, COORDINATOR, match_id=match_id, started_date=D(2026, 11, 2), expected_version=1
    )
    before = store.counts()
    outcome = attempt(
        lambda: end_match(
            store.engine,
            COORDINATOR,
            match_id=match_id,
            outcome="afgerond",
            ended_date=D(2026, 11, 10),
            reason="",
            expected_version=1,
        ),
        "nl",
    )
    assert outcome.status == CONFLICT and not outcome.ok
    assert store.counts() == before
    shown = Shown(match_id, 1, "koppeling H1 ↔ NH1")
    text = outcome_text(outcome, shown, "nl")
    assert text.startswith("koppeling H1 ↔ NH1 is intussen door iemand anders gewijzigd")


def test_validation_errors_come_back_by_field_in_the_language(store):
    match_id = proposed(store)
    outcome = attempt(
        lambda: decline_match(
            store.engine,
            COORDINATOR,
            match_id=match_id,
            declined_date=D(2026, 11, 16),
            reason="",
            expected_version=1,
        ),
        "nl",
    )
    assert outcome.status == INVALID
    # the texts of validation.match_date_future and validation.match_reason_required in the Dutch catalog
    assert outcome.errors == {
        "declined_date": ["Deze datum ligt in de toekomst."],
        "reason": ["Geef een reden."],
    }


def test_a_group_that_is_not_the_users_is_denied(store):
    match_id = proposed(store)
    bram = Scope.community_builder("bram", store.ids["Bram"])  # Almere; H1 is Anna's, in Haarlem
    before = store.counts()
    outcome = attempt(
        lambda: end_match(
            store.engine,
            bram,
            match_id=match_id,
            outcome="afgerond",
            ended_date=D(2026, 11, 10),
            reason="",
            expected_version=1,
        ),
        "en",
    )
    assert outcome.status == DENIED
    assert store.counts() == before
    assert outcome_text(outcome, None, "en") == "This record does not exist or you have no access to it."


def test_a_locked_store_is_busy_and_other_errors_propagate():
    def locked():
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    assert attempt(locked).status == BUSY
    with pytest.raises(ZeroDivisionError):
        attempt(lambda: 1 / 0)


def test_a_confirmation_asked_by_the_service_is_an_outcome():
    from samenhier.services.common import FieldError
    from samenhier.services.meetings import ConfirmationNeeded

    def asks():
        raise ConfirmationNeeded([FieldError("date", "meetings.duplicate")])

    outcome = attempt(asks, "nl")
    assert outcome.status == CONFIRM
    assert len(outcome.warnings) == 1
    assert outcome.warnings[0].startswith("Deze groep heeft op deze datum al een bijeenkomst van deze soort.")


def test_errors_split_between_the_fields_shown_and_the_rest():
    at_field, general = split_errors(
        {"reason": ["Geef een reden."], "newcomer": ["Al gekoppeld."], "version": ["Oud."]},
        ["reason", "ended_date"],
        {"newcomer": "Nieuwkomer"},
    )
    assert at_field == {"reason": ["Geef een reden."]}
    assert general == ["Nieuwkomer: Al gekoppeld.", "Oud."]


def test_the_same_values_again_are_a_repeat():
    last = fingerprint(
        "meeting_log", 12, {"date": dt.date(2026, 11, 3), "duration_minutes": 60, "note": "Koffie "}
    )
    assert is_repeat(
        last, "meeting_log", 12, {"date": dt.date(2026, 11, 3), "duration_minutes": 60.0, "note": " Koffie"}
    )
    assert not is_repeat(
        last, "meeting_log", 12, {"date": dt.date(2026, 11, 4), "duration_minutes": 60, "note": "Koffie"}
    )
    assert not is_repeat(
        last, "meeting_log", 13, {"date": dt.date(2026, 11, 3), "duration_minutes": 60, "note": "Koffie"}
    )
    assert not is_repeat(
        last, "meeting_edit", 12, {"date": dt.date(2026, 11, 3), "duration_minutes": 60, "note": "Koffie"}
    )
    assert not is_repeat(
        None, "meeting_log", 12, {"date": dt.date(2026, 11, 3), "duration_minutes": 60, "note": "Koffie"}
    )
    # empty text is no value: a blank note and no note are the same submission
    assert fingerprint("x", 1, {"note": "  "}) == fingerprint("x", 1, {"note": None})
