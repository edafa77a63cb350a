"""The match workflow services: propose → accept/decline → end, their validation, access and audit."""

import itertools
import json
import threading

import pytest
from sqlmodel import Session, select

from samenhier.matching import can_change_match_status
from samenhier.models import (
    AuditEvent,
    GroupStatus,
    Match,
    MatchStatus,
    Newcomer,
    NewcomerStatus,
    WelcomeGroup,
)
from samenhier.scope import AccessDenied, Scope
from samenhier.services.common import ValidationFailed, VersionConflict
from samenhier.services.matches import accept_match, decline_match, end_match, propose_match
from tests.matching_helpers import AS_OF, D, two_city_store

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

COORDINATOR = Scope.coordinator("coord")


@pytest.fixture
def store(engine):
    return two_city_store(engine)


def anna(store) -> Scope:
    return Scope.community_builder("anna", store.ids["Anna"])


def bram(store) -> Scope:
    return Scope.community_builder("bram", store.ids["Bram"])


def codes(failed: ValidationFailed) -> set[tuple[str, str]]:
    return {(e.field, e.code) for e in failed.errors}


def propose(store, newcomer="NH1", group="H1", **kwargs) -> int:
    return propose_match(
        store.engine,
        COORDINATOR,
        newcomer_id=store.ids[newcomer],
        group_id=store.ids[group],
        proposed_date=kwargs.pop("proposed_date", D(2026, 11, 1)),
        **kwargs,
    )


# ------------------------------------------------------------------------------------------ happy path


def test_propose_accept_end_moves_everyone_along(store):
    match_id = propose(store)
    with Session(store.engine) as session:
        match = session.get(Match, match_id)
    assert (match.status, match.proposed_date, match.version) == ("voorgesteld", D(2026, 11, 1), 1)
    # A proposal changes no status: both are still waiting, the queue shows the proposal. Their versions go
    # up (1 → 2): the proposal changed their running matches.
    newcomer, group = store.get(Newcomer, "NH1"), store.get(WelcomeGroup, "H1")
    assert (newcomer.status, newcomer.version) == (NewcomerStatus.WAITING.value, 2)
    assert (group.status, group.version) == (GroupStatus.AWAITING_MATCH.value, 2)

    accept_match(
        store.engine, COORDINATOR, match_id=match_id, started_date=D(2026, 11, 10), expected_version=1
    )
    with Session(store.engine) as session:
        match = session.get(Match, match_id)
    assert (match.status, match.started_date, match.version) == ("actief", D(2026, 11, 10), 2)
    newcomer, group = store.get(Newcomer, "NH1"), store.get(WelcomeGroup, "H1")
    assert (newcomer.status, newcomer.version) == ("gematcht", 3)
    assert (group.status, group.version) == ("actief", 3)

    end_match(
        store.engine, COORDINATOR, match_id=match_id, outcome="afgerond", ended_date=AS_OF, expected_version=2
    )
    with Session(store.engine) as session:
        match = session.get(Match, match_id)
    assert (match.status, match.ended_date, match.end_reason, match.version) == (
        "afgerond",
        AS_OF,
        "jaar afgerond",
        3,
    )
    assert store.get(WelcomeGroup, "H1").status == "afgerond"  # default: the outcome's word
    assert store.get(Newcomer, "NH1").status == "gematcht"


def test_every_step_is_audited_with_its_changes(store):
    match_id = propose(store)
    accept_match(
        store.engine, COORDINATOR, match_id=match_id, started_date=D(2026, 11, 10), expected_version=1
    )
    with Session(store.engine) as session:
        events = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    # propose: 1 event (the match); accept: match, newcomer, group
    assert [(e.action, e.table_name, e.username) for e in events] == [
        ("match_propose", "match", "coord"),
        ("match_accept", "match", "coord"),
        ("newcomer_matched", "newcomer", "coord"),
        ("group_status", "welcome_group", "coord"),
    ]
    assert json.loads(events[1].changes)["status"] == ["voorgesteld", "actief"]
    assert json.loads(events[2].changes) == {"status": ["wacht", "gematcht"]}
    assert events[2].record_code == "NH1"


def test_decline_keeps_both_waiting_and_allows_a_new_proposal(store):
    match_id = propose(store)
    decline_match(
        store.engine,
        COORDINATOR,
        match_id=match_id,
        declined_date=D(2026, 11, 5),
        reason="  past niet qua  tijden ",
        expected_version=1,
    )
    with Session(store.engine) as session:
        match = session.get(Match, match_id)
    assert (match.status, match.ended_date, match.end_reason) == (
        "afgewezen",
        D(2026, 11, 5),
        "past niet qua  tijden",
    )
    assert store.get(Newcomer, "NH1").status == "wacht"
    assert store.get(WelcomeGroup, "H1").status == "wacht op match"
    second = propose(store, group="H2")  # the newcomer has no running match any more
    assert second != match_id


def test_stopping_early_needs_a_reason_and_can_send_the_group_back(store):
    match_id = propose(store)
    accept_match(
        store.engine, COORDINATOR, match_id=match_id, started_date=D(2026, 11, 2), expected_version=1
    )
    with pytest.raises(ValidationFailed) as failed:
        end_match(
            store.engine,
            COORDINATOR,
            match_id=match_id,
            outcome="gestopt",
            ended_date=AS_OF,
            reason=" ",
            expected_version=2,
        )
    assert codes(failed.value) == {("reason", "match_reason_required")}
    end_match(
        store.engine,
        COORDINATOR,
        match_id=match_id,
        outcome="gestopt",
        ended_date=AS_OF,
        reason="verhuisd",
        expected_version=2,
        group_status="wacht op match",
    )
    assert store.get(WelcomeGroup, "H1").status == "wacht op match"
    with Session(store.engine) as session:
        assert session.get(Match, match_id).end_reason == "verhuisd"


# ------------------------------------------------------------------------------------------ rules


def test_all_proposal_errors_at_once_and_nothing_written(store):
    store.newcomer("NX", "Almere", arrival=D(2025, 1, 1), registered=D(2026, 1, 1), status="afgemeld")
    before = store.counts()
    with pytest.raises(ValidationFailed) as failed:
        propose(store, newcomer="NX", group="H1", proposed_date=D(2026, 12, 1))
    assert codes(failed.value) == {
        ("newcomer", "match_newcomer_not_waiting"),
        ("group", "match_municipality"),
        ("proposed_date", "match_date_future"),
    }
    assert store.counts() == before
    assert "newcomer" in str(failed.value)  # the English summary names the fields


def test_dates_must_follow_registration_and_training(store):
    # NH1 registered 2026-05-01; H2 finished training 2026-09-15.
    with pytest.raises(ValidationFailed) as failed:
        propose(store, group="H2", proposed_date=D(2026, 4, 30))
    assert codes(failed.value) == {
        ("proposed_date", "match_date_before_registration"),
        ("proposed_date", "match_date_before_training"),
    }
    with pytest.raises(ValidationFailed) as failed:
        propose(store, group="H2", proposed_date=None)
    assert codes(failed.value) == {("proposed_date", "match_date_required")}
    propose(store, group="H2", proposed_date=D(2026, 9, 15))  # the training's own day is fine


def test_accept_decline_end_dates_in_order(store):
    match_id = propose(store, proposed_date=D(2026, 11, 1))
    before = store.counts()
    with pytest.raises(ValidationFailed) as failed:
        accept_match(
            store.engine, COORDINATOR, match_id=match_id, started_date=D(2026, 10, 31), expected_version=1
        )
    assert codes(failed.value) == {("started_date", "match_date_order")}
    with pytest.raises(ValidationFailed) as failed:
        decline_match(
            store.engine,
            COORDINATOR,
            match_id=match_id,
            declined_date=D(2026, 11, 16),
            reason="",
            expected_version=1,
        )
    assert codes(failed.value) == {
        ("declined_date", "match_date_future"),
        ("reason", "match_reason_required"),
    }
    assert store.counts() == before
    accept_match(
        store.engine, COORDINATOR, match_id=match_id, started_date=D(2026, 11, 1), expected_version=1
    )  # same day: fine
    with pytest.raises(ValidationFailed) as failed:
        end_match(
            store.engine,
            COORDINATOR,
            match_id=match_id,
            outcome="klaar",
            ended_date=D(2026, 10, 1),
            reason="x" * 501,
            expected_version=2,
            group_status="actief",
        )
    assert codes(failed.value) == {
        ("outcome", "match_outcome"),
        ("ended_date", "match_date_order"),
        ("reason", "match_reason_too_long"),
        ("group_status", "match_group_status"),
    }


def test_a_newcomer_has_at_most_one_running_match(store):
    propose(store, group="H1")
    before = store.counts()
    with pytest.raises(ValidationFailed) as failed:
        propose(store, group="H2")
    assert codes(failed.value) == {("newcomer", "match_newcomer_busy")}
    assert store.counts() == before


def test_a_second_running_match_of_a_group_needs_confirmation_and_a_third_is_refused(store):
    store.newcomer("NH3", "Haarlem", arrival=D(2025, 5, 1), registered=D(2026, 6, 1))
    propose(store, newcomer="NH1", group="H1")
    with pytest.raises(ValidationFailed) as failed:
        propose(store, newcomer="NH2", group="H1")
    assert codes(failed.value) == {("confirm_second", "match_group_busy")}
    propose(store, newcomer="NH2", group="H1", confirm_second=True)
    with pytest.raises(ValidationFailed) as failed:
        propose(store, newcomer="NH3", group="H1", confirm_second=True)
    assert codes(failed.value) == {("group", "match_group_full")}


def test_an_active_group_gets_a_second_match_only_when_confirmed_and_stays_active(store):
    first = propose(store, newcomer="NH1", group="H1")
    accept_match(store.engine, COORDINATOR, match_id=first, started_date=D(2026, 11, 2), expected_version=1)
    with pytest.raises(ValidationFailed) as failed:
        propose(store, newcomer="NH2", group="H1")
    assert codes(failed.value) == {("confirm_second", "match_group_busy")}
    second = propose(store, newcomer="NH2", group="H1", confirm_second=True)
    accept_match(store.engine, COORDINATOR, match_id=second, started_date=D(2026, 11, 3), expected_version=1)
    # Ending the first leaves the group active: the second still runs.
    end_match(
        store.engine,
        COORDINATOR,
        match_id=first,
        outcome="gestopt",
        ended_date=AS_OF,
        reason="verhuisd",
        expected_version=2,
    )
    assert store.get(WelcomeGroup, "H1").status == "actief"
    end_match(
        store.engine, COORDINATOR, match_id=second, outcome="afgerond", ended_date=AS_OF, expected_version=2
    )
    assert store.get(WelcomeGroup, "H1").status == "afgerond"


def test_a_group_not_waiting_is_refused(store):
    store.group("H9", "Haarlem", "Anna", status="training", training=None)
    with pytest.raises(ValidationFailed) as failed:
        propose(store, group="H9")
    assert codes(failed.value) == {("group", "match_group_not_waiting")}


def test_past_eligibility_needs_the_coordinators_confirmation(store):
    # Arrived 2023-11-14: eligible up to 2026-11-14; a proposal on 2026-11-15 is one day past it.
    store.newcomer("NOLD", "Haarlem", arrival=D(2023, 11, 14), registered=D(2026, 1, 5))
    with pytest.raises(ValidationFailed) as failed:
        propose(store, newcomer="NOLD", proposed_date=AS_OF)
    assert codes(failed.value) == {("confirm_past_eligibility", "match_past_eligibility")}
    propose(
        store, newcomer="NOLD", proposed_date=D(2026, 11, 14)
    )  # the last eligible day needs no confirmation
    store.newcomer("NOLD2", "Haarlem", arrival=D(2023, 11, 14), registered=D(2026, 1, 5))
    propose(store, newcomer="NOLD2", group="H2", proposed_date=AS_OF, confirm_past_eligibility=True)


def test_a_stale_version_is_a_conflict(store):
    match_id = propose(store)
    accept_match(
        store.engine, COORDINATOR, match_id=match_id, started_date=D(2026, 11, 2), expected_version=1
    )
    before = store.counts()
    with pytest.raises(VersionConflict):
        end_match(
            store.engine,
            COORDINATOR,
            match_id=match_id,
            outcome="afgerond",
            ended_date=AS_OF,
            expected_version=1,
        )
    assert store.counts() == before


def _race(first, second, pause_in, attribute, monkeypatch):
    """Run ``first`` in a thread that pauses inside its transaction (at ``pause_in.attribute``) while
    ``second`` runs in another thread; returns {"first": outcome, "second": outcome}."""
    real = getattr(pause_in, attribute)
    inside, release = threading.Event(), threading.Event()

    def paused(*args, **kwargs):
        result = real(*args, **kwargs)
        if threading.current_thread().name == "first" and not inside.is_set():
            inside.set()
            release.wait(10)
        return result

    monkeypatch.setattr(pause_in, attribute, paused)
    outcomes = {}

    def run(name, action):
        try:
            outcomes[name] = action()
        except Exception as exc:  # the outcome is what the test looks at
            outcomes[name] = exc

    one = threading.Thread(target=run, args=("first", first), name="first")
    one.start()
    assert inside.wait(10)
    two = threading.Thread(target=run, args=("second", second), name="second")
    two.start()
    two.join(0.5)  # the second writer queues for the write lock while the first holds it
    assert two.is_alive(), "the second write did not wait for the first one's transaction"
    release.set()
    one.join(20)
    two.join(20)
    return outcomes


def test_two_simultaneous_proposals_for_one_newcomer_cannot_both_succeed(store, monkeypatch):
    # Two coordinators propose NH1 at the same moment, to H1 and to H2. SQLite write transactions begin
    # IMMEDIATE, so the second waits for the first and then sees NH1 already proposed.
    from samenhier.services import matches

    outcomes = _race(
        lambda: propose(store, newcomer="NH1", group="H1"),
        lambda: propose(store, newcomer="NH1", group="H2"),
        matches,
        "_running",
        monkeypatch,
    )
    assert isinstance(outcomes["first"], int)
    assert isinstance(outcomes["second"], ValidationFailed | VersionConflict)
    assert [(m.group_id, m.status) for m in store.matches_of("NH1")] == [(store.ids["H1"], "voorgesteld")]


def test_two_simultaneous_accepts_do_not_both_write(store, monkeypatch):
    match_id = propose(store)
    from samenhier.services import matches

    outcomes = _race(
        lambda: decline_match(
            store.engine,
            COORDINATOR,
            match_id=match_id,
            declined_date=AS_OF,
            reason="nee",
            expected_version=1,
        ),
        lambda: accept_match(
            store.engine, COORDINATOR, match_id=match_id, started_date=AS_OF, expected_version=1
        ),
        matches,
        "check_version",
        monkeypatch,
    )
    assert not isinstance(outcomes["first"], Exception)
    assert isinstance(outcomes["second"], VersionConflict)
    assert [m.status for m in store.matches_of("NH1")] == ["afgewezen"]
    assert store.get(Newcomer, "NH1").status == "wacht"


# ------------------------------------------------------------------------------------------ access


def test_only_a_coordinator_proposes(store):
    before = store.counts()
    with pytest.raises(AccessDenied):
        propose_match(
            store.engine,
            anna(store),
            newcomer_id=store.ids["NH1"],
            group_id=store.ids["H1"],
            proposed_date=D(2026, 11, 1),
        )
    assert store.counts() == before


def test_a_community_builder_acts_on_their_own_groups_only(store):
    mine = propose(store, newcomer="NH1", group="H1")  # Anna's group
    theirs = propose(store, newcomer="NA1", group="A1")  # Bram's group
    before = store.counts()
    for action, kwargs in (
        (accept_match, {"started_date": AS_OF}),
        (decline_match, {"declined_date": AS_OF, "reason": "nee"}),
        (end_match, {"outcome": "afgerond", "ended_date": AS_OF}),
    ):
        with pytest.raises(AccessDenied):
            action(store.engine, anna(store), match_id=theirs, expected_version=1, **kwargs)
    with pytest.raises(AccessDenied):  # a match that does not exist: the same answer
        accept_match(store.engine, anna(store), match_id=9999, started_date=AS_OF, expected_version=1)
    assert store.counts() == before
    accept_match(store.engine, anna(store), match_id=mine, started_date=AS_OF, expected_version=1)
    with Session(store.engine) as session:
        assert session.get(Match, mine).status == "actief"
        assert session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first().username == "anna"
    decline_match(
        store.engine,
        bram(store),
        match_id=theirs,
        declined_date=AS_OF,
        reason="te ver weg",
        expected_version=1,
    )


# ------------------------------------------------------------------------------------------ every transition

ACTIONS = {
    MatchStatus.ACTIVE: lambda engine, match_id: accept_match(
        engine, COORDINATOR, match_id=match_id, started_date=AS_OF, expected_version=1
    ),
    MatchStatus.DECLINED: lambda engine, match_id: decline_match(
        engine, COORDINATOR, match_id=match_id, declined_date=AS_OF, reason="nee", expected_version=1
    ),
    MatchStatus.COMPLETED: lambda engine, match_id: end_match(
        engine, COORDINATOR, match_id=match_id, outcome="afgerond", ended_date=AS_OF, expected_version=1
    ),
    MatchStatus.STOPPED: lambda engine, match_id: end_match(
        engine,
        COORDINATOR,
        match_id=match_id,
        outcome="gestopt",
        ended_date=AS_OF,
        reason="verhuisd",
        expected_version=1,
    ),
}
SETUP = {  # a consistent store for a match in each status: (match dates, newcomer status, group status)
    MatchStatus.PROPOSED: ({"proposed": D(2026, 11, 1)}, "wacht", "wacht op match"),
    MatchStatus.ACTIVE: ({"proposed": D(2026, 9, 1), "started": D(2026, 9, 10)}, "gematcht", "actief"),
    MatchStatus.COMPLETED: (
        {"proposed": D(2025, 9, 1), "started": D(2025, 9, 10), "ended": D(2026, 9, 10)},
        "gematcht",
        "afgerond",
    ),
    MatchStatus.STOPPED: (
        {"proposed": D(2026, 1, 1), "started": D(2026, 1, 10), "ended": D(2026, 5, 1)},
        "gematcht",
        "gestopt",
    ),
    MatchStatus.DECLINED: ({"proposed": D(2026, 10, 1), "ended": D(2026, 10, 5)}, "wacht", "wacht op match"),
}


@pytest.mark.parametrize(("current", "target"), list(itertools.product(SETUP, ACTIONS)))
def test_every_transition_through_the_services(store, current, target):
    dates, newcomer_status, group_status = SETUP[current]
    store.group("HT", "Haarlem", "Anna", status=group_status, training=D(2025, 8, 1), signup=D(2025, 6, 1))
    store.newcomer("NT", "Haarlem", arrival=D(2025, 1, 1), registered=D(2025, 8, 1), status=newcomer_status)
    match_id = store.match("MT", "HT", "NT", status=current.value, **dates)
    before = store.counts()
    if can_change_match_status(current.value, target.value):
        ACTIONS[target](store.engine, match_id)
        with Session(store.engine) as session:
            assert session.get(Match, match_id).status == target.value
    else:
        with pytest.raises(ValidationFailed) as failed:
            ACTIONS[target](store.engine, match_id)
        assert ("status", "match_transition") in codes(failed.value)
        assert store.counts() == before
