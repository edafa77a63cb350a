"""The store's consistency rules (samenhier/consistency.py): each rule broken once, in a write that is refused.

Records are picked from the shared workbook as plain pandas reads it (``workbook_sheets``), the store is
the workbook imported (``imported_engine``). Each test writes through :func:`samenhier.db.session_scope`
— the transaction every write service uses — and expects the commit to be refused naming the rule and
the records, with nothing written.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from samenhier import consistency
from samenhier.consistency import RULES, ConsistencyError
from samenhier.db import session_scope
from samenhier.models import Match, Meeting, Member, Newcomer, SurveyResponse, WelcomeGroup
from samenhier.scope import Scope
from samenhier.services.common import ValidationFailed
from samenhier.services.records import update_group

pytestmark = pytest.mark.both_backends

COORDINATOR = Scope.coordinator("coord")


def folded(series: pd.Series) -> pd.Series:
    return series.astype(str).str.strip().str.lower()


@pytest.fixture
def sheets(workbook_sheets):
    return {k: v.copy() for k, v in workbook_sheets.items()}


def refused(engine, change) -> ConsistencyError:
    """Run ``change(session)`` in a write transaction; it must be refused. Returns the error."""
    with pytest.raises(ConsistencyError) as caught, session_scope(engine) as session:
        change(session)
    return caught.value


def rules_of(error: ConsistencyError) -> set[str]:
    return {v.rule for v in error.violations}


def labels_of(error: ConsistencyError, rule: str) -> set[str]:
    return {r.label for v in error.violations if v.rule == rule for r in v.records}


def by_code(session, model, code):
    return session.exec(select(model).where(model.code == code)).one()


def match_of(session, group_code, newcomer_code) -> Match:
    g, n = by_code(session, WelcomeGroup, group_code), by_code(session, Newcomer, newcomer_code)
    return session.exec(select(Match).where(Match.group_id == g.id, Match.newcomer_id == n.id)).one()


def first(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= folded(frame[column]) == value
    return frame[mask].iloc[0]


def active_pair(sheets) -> tuple[str, str]:
    row = first(sheets["koppelingen"], status="actief")
    return row["groep_code"], row["nieuwkomer_code"]


def completed_pair(sheets) -> tuple[str, str]:
    row = first(sheets["koppelingen"], status="afgerond")
    return row["groep_code"], row["nieuwkomer_code"]


def waiting_pair(sheets, *, same_municipality=True) -> tuple[str, str]:
    """A group 'wacht op match' and a newcomer 'wacht' (same municipality, or different ones)."""
    groups = sheets["groepen"][folded(sheets["groepen"]["status"]) == "wacht op match"]
    newcomers = sheets["nieuwkomers"][folded(sheets["nieuwkomers"]["status"]) == "wacht"]
    for _, g in groups.iterrows():
        for _, n in newcomers.iterrows():
            same = g["gemeente"].strip() == n["gemeente"].strip()
            late_enough = n["aangemeld_op"] <= g["training_afgerond_op"]
            if same == same_municipality and late_enough:
                return g["groep_code"], n["nieuwkomer_code"]
    raise AssertionError("the workbook has no such pair")


def new_match(
    session, group_code, newcomer_code, *, status="voorgesteld", proposed=dt.date(2026, 11, 10), **values
) -> Match:
    g, n = by_code(session, WelcomeGroup, group_code), by_code(session, Newcomer, newcomer_code)
    match = Match(group_id=g.id, newcomer_id=n.id, proposed_date=proposed, status=status, **values)
    session.add(match)
    return match


def test_the_workbook_and_the_rule_list(imported_engine):
    """The coordinator's workbook breaks no rule (checked by hand with pandas: every running match has an
    'actief' group and a 'gematcht' newcomer, …); the docstring lists every rule that RULES names."""
    with Session(imported_engine) as session:
        assert consistency.violations(session) == []
    for rule in RULES:
        assert f"``{rule}``" in consistency.__doc__


def test_active_match_needs_an_active_group(imported_engine, sheets):
    group, newcomer = active_pair(sheets)
    error = refused(
        imported_engine, lambda s: setattr(by_code(s, WelcomeGroup, group), "status", "wacht op match")
    )
    assert "active_match_group" in rules_of(error)
    assert labels_of(error, "active_match_group") == {group, f"{group} ↔ {newcomer}"}
    with Session(imported_engine) as session:  # nothing written
        assert by_code(session, WelcomeGroup, group).status == "actief"


def test_active_match_needs_a_matched_newcomer(imported_engine, sheets):
    group, newcomer = active_pair(sheets)
    error = refused(imported_engine, lambda s: setattr(by_code(s, Newcomer, newcomer), "status", "wacht"))
    assert labels_of(error, "active_match_newcomer") == {newcomer, f"{group} ↔ {newcomer}"}


def test_active_group_needs_a_running_match(imported_engine, sheets):
    group, newcomer = active_pair(sheets)

    def end(session):
        match = match_of(session, group, newcomer)
        match.status, match.ended_date = "afgerond", dt.date(2026, 11, 15)

    error = refused(imported_engine, end)
    assert labels_of(error, "active_group_without_match") == {group, f"{group} ↔ {newcomer}"}


def test_matched_newcomer_needs_a_started_match(imported_engine, sheets):
    newcomer = first(sheets["nieuwkomers"], status="wacht")["nieuwkomer_code"]
    error = refused(imported_engine, lambda s: setattr(by_code(s, Newcomer, newcomer), "status", "gematcht"))
    assert labels_of(error, "matched_newcomer_without_match") == {newcomer}


def test_a_newcomer_has_one_running_match(imported_engine, sheets):
    group, newcomer = waiting_pair(sheets)
    other = next(
        g
        for g in sheets["groepen"][folded(sheets["groepen"]["status"]) == "wacht op match"].itertuples()
        if g.groep_code != group
        and g.gemeente.strip() == first(sheets["groepen"], groep_code=group.lower())["gemeente"].strip()
    )

    def two(session):
        new_match(session, group, newcomer)
        new_match(session, other.groep_code, newcomer)

    error = refused(imported_engine, two)
    assert "newcomer_running_matches" in rules_of(error)
    assert newcomer in labels_of(error, "newcomer_running_matches")


def test_a_group_has_at_most_two_running_matches(imported_engine, sheets):
    group, _ = waiting_pair(sheets)
    city = first(sheets["groepen"], groep_code=group.lower())["gemeente"].strip()
    waiting = sheets["nieuwkomers"][
        (folded(sheets["nieuwkomers"]["status"]) == "wacht")
        & (sheets["nieuwkomers"]["gemeente"].str.strip() == city)
    ]
    assert len(waiting) >= 3

    def three(session):
        for code in waiting["nieuwkomer_code"][:3]:
            new_match(session, group, code, proposed=dt.date(2026, 11, 14))

    error = refused(imported_engine, three)
    assert "group_running_matches" in rules_of(error)
    assert group in labels_of(error, "group_running_matches")


def test_a_proposal_needs_a_waiting_newcomer(imported_engine, sheets):
    group, _ = waiting_pair(sheets)
    city = first(sheets["groepen"], groep_code=group.lower())["gemeente"].strip()
    done = sheets["koppelingen"][folded(sheets["koppelingen"]["status"]) == "afgerond"]
    newcomer = next(
        c
        for c in done["nieuwkomer_code"]
        if first(sheets["nieuwkomers"], nieuwkomer_code=c.lower())["gemeente"].strip() == city
    )
    error = refused(imported_engine, lambda s: new_match(s, group, newcomer))
    assert labels_of(error, "proposed_match_newcomer") == {newcomer, f"{group} ↔ {newcomer}"}


def test_a_proposal_needs_a_group_that_waits(imported_engine, sheets):
    group = first(sheets["groepen"], status="training")
    newcomer = sheets["nieuwkomers"][
        (folded(sheets["nieuwkomers"]["status"]) == "wacht")
        & (sheets["nieuwkomers"]["gemeente"].str.strip() == group["gemeente"].strip())
    ].iloc[0]
    error = refused(imported_engine, lambda s: new_match(s, group["groep_code"], newcomer["nieuwkomer_code"]))
    assert "proposed_match_group" in rules_of(error)


def test_an_ended_match_has_an_end_date_after_its_start(imported_engine, sheets):
    group, newcomer = completed_pair(sheets)
    error = refused(imported_engine, lambda s: setattr(match_of(s, group, newcomer), "ended_date", None))
    assert labels_of(error, "ended_match_end_date") == {f"{group} ↔ {newcomer}"}


def test_a_running_match_has_no_end_date(imported_engine, sheets):
    group, newcomer = active_pair(sheets)
    error = refused(
        imported_engine, lambda s: setattr(match_of(s, group, newcomer), "ended_date", dt.date(2026, 11, 15))
    )
    assert labels_of(error, "running_match_end_date") == {f"{group} ↔ {newcomer}"}


def test_a_started_match_has_a_start_date(imported_engine, sheets):
    group, newcomer = completed_pair(sheets)
    error = refused(imported_engine, lambda s: setattr(match_of(s, group, newcomer), "started_date", None))
    assert labels_of(error, "started_match_start_date") == {f"{group} ↔ {newcomer}"}


def test_a_match_stays_in_one_municipality(imported_engine, sheets):
    group, newcomer = waiting_pair(sheets, same_municipality=False)
    error = refused(imported_engine, lambda s: new_match(s, group, newcomer))
    assert labels_of(error, "match_municipality") == {group, newcomer, f"{group} ↔ {newcomer}"}


def test_a_match_is_proposed_after_the_training(imported_engine, sheets):
    group, newcomer = waiting_pair(sheets)
    training = first(sheets["groepen"], groep_code=group.lower())["training_afgerond_op"].date()
    registered = first(sheets["nieuwkomers"], nieuwkomer_code=newcomer.lower())["aangemeld_op"].date()
    day_before = training - dt.timedelta(days=1)
    assume = day_before >= registered  # waiting_pair picks a newcomer registered on or before the training
    assert assume
    error = refused(imported_engine, lambda s: new_match(s, group, newcomer, proposed=day_before))
    assert rules_of(error) == {"match_before_training"}


def test_a_match_is_proposed_after_the_registration(imported_engine, sheets):
    group, newcomer = waiting_pair(sheets)
    registered = first(sheets["nieuwkomers"], nieuwkomer_code=newcomer.lower())["aangemeld_op"].date()
    error = refused(
        imported_engine, lambda s: new_match(s, group, newcomer, proposed=registered - dt.timedelta(days=1))
    )
    assert "match_before_registration" in rules_of(error)


def test_a_trained_group_has_a_training_date(imported_engine, sheets):
    group = first(sheets["groepen"], status="wacht op match")["groep_code"]
    error = refused(
        imported_engine, lambda s: setattr(by_code(s, WelcomeGroup, group), "training_completed_date", None)
    )
    assert labels_of(error, "trained_group_training_date") == {group}


def test_a_group_has_one_contact_person(imported_engine, sheets):
    members = sheets["leden"]
    group = first(members, rol="contactpersoon")["groep_code"]
    other = members[(members["groep_code"] == group) & (folded(members["rol"]) == "lid")].iloc[0]["lid_code"]
    error = refused(imported_engine, lambda s: setattr(by_code(s, Member, other), "role", "contactpersoon"))
    assert "group_contact_persons" in rules_of(error)
    assert {group, other} <= labels_of(error, "group_contact_persons")


def test_no_more_members_present_than_the_group_has(imported_engine, sheets):
    meeting = sheets["bijeenkomsten"].iloc[0]
    size = int((sheets["leden"]["groep_code"] == meeting["groep_code"]).sum())

    def crowd(session):
        group = by_code(session, WelcomeGroup, meeting["groep_code"])
        stored = session.exec(
            select(Meeting).where(Meeting.group_id == group.id, Meeting.date == meeting["datum"].date())
        ).first()
        stored.members_present = size + 1

    error = refused(imported_engine, crowd)
    assert rules_of(error) == {"meeting_members_present"}
    assert error.violations[0].params == {"present": size + 1, "size": size}


def test_a_members_answers_belong_to_their_group(imported_engine, sheets):
    surveys = sheets["enquetes"]
    answer = first(surveys, rol="lid")
    other_group = next(c for c in sheets["groepen"]["groep_code"] if c != answer["groep_code"])

    def move(session):
        member = by_code(session, Member, answer["respondent_code"])
        response = session.exec(select(SurveyResponse).where(SurveyResponse.member_id == member.id)).first()
        response.group_id = by_code(session, WelcomeGroup, other_group).id

    error = refused(imported_engine, move)
    assert rules_of(error) == {"survey_member_group"}


def test_a_newcomers_answers_belong_to_a_group_they_were_matched_with(imported_engine, sheets):
    answer = first(sheets["enquetes"], rol="nieuwkomer")
    matched = set(
        sheets["koppelingen"].loc[
            sheets["koppelingen"]["nieuwkomer_code"] == answer["respondent_code"], "groep_code"
        ]
    )
    other_group = next(c for c in sheets["groepen"]["groep_code"] if c not in matched)

    def move(session):
        newcomer = by_code(session, Newcomer, answer["respondent_code"])
        response = session.exec(
            select(SurveyResponse).where(SurveyResponse.newcomer_id == newcomer.id)
        ).first()
        response.group_id = by_code(session, WelcomeGroup, other_group).id

    error = refused(imported_engine, move)
    assert rules_of(error) == {"survey_newcomer_group"}


def test_every_write_service_is_checked(imported_engine, sheets):
    """A service that knows nothing of matches (Beheer's group edit) is refused too: 'wacht op match' →
    'actief' is an allowed step of the group's life cycle, but only the match workflow may take it."""
    group = first(sheets["groepen"], status="wacht op match")["groep_code"]
    with Session(imported_engine) as session:
        record = by_code(session, WelcomeGroup, group)
    with pytest.raises(ValidationFailed) as caught:
        update_group(
            imported_engine,
            COORDINATOR,
            group_id=record.id,
            expected_version=record.version,
            changes={"status": "actief"},
        )
    assert isinstance(caught.value, ConsistencyError)
    assert [e.field for e in caught.value.errors] == ["consistency"]
    message = caught.value.errors[0].message("nl")
    assert "actief" in message and f"groep {group}" in message
    with Session(imported_engine) as session:
        assert by_code(session, WelcomeGroup, group).status == "wacht op match"


def test_an_old_break_does_not_block_other_writes(imported_engine, sheets):
    """Only rules broken by a record the write touches refuse it: a store broken before these checks
    existed can be repaired one record at a time."""
    group, _newcomer = active_pair(sheets)
    other = first(sheets["groepen"], status="training")["groep_code"]
    with imported_engine.begin() as c:  # bypass the services, as an old version could have
        c.execute(
            text("UPDATE welcome_group SET status = 'wacht op match' WHERE code = :code"), {"code": group}
        )
    with session_scope(imported_engine) as session:
        by_code(session, WelcomeGroup, other).notes = "nieuwe notitie"
    with Session(imported_engine) as session:
        assert by_code(session, WelcomeGroup, other).notes == "nieuwe notitie"
        assert {v.rule for v in consistency.violations(session)} == {"active_match_group"}


def test_a_write_is_checked_on_the_records_it_touched(imported_engine, sheets, monkeypatch):
    """Each rule reads only the rows a write could have broken (at national scale a whole-store check took
    about a second per write): a violation in a touched record is still caught, an old one elsewhere is not
    reported, and the answer equals the whole-store check filtered to the touched records."""
    group, newcomer = active_pair(sheets)
    done_group, done_newcomer = completed_pair(sheets)
    with imported_engine.begin() as c:  # an old break, not touched by the write below
        c.execute(
            text("UPDATE welcome_group SET status = 'wacht op match' WHERE code = :code"), {"code": group}
        )

    def reopen(session):
        match_of(session, done_group, done_newcomer).ended_date = None

    error = refused(imported_engine, reopen)
    assert rules_of(error) == {"ended_match_end_date"}
    assert labels_of(error, "ended_match_end_date") == {f"{done_group} ↔ {done_newcomer}"}
    with Session(imported_engine) as session:
        done = match_of(session, done_group, done_newcomer)
        done.ended_date = None  # flushed by violations(), never committed
        touched = {"match": {done.id}, "welcome_group": {by_code(session, WelcomeGroup, group).id}}
        whole = [
            v
            for v in consistency.violations(session)
            if any(r.id in touched.get(r.table, ()) for r in v.records)
        ]
        assert {v.rule for v in whole} == {"ended_match_end_date", "active_match_group"}
        assert consistency.violations(session, touched) == whole
        monkeypatch.setattr(consistency, "TOUCHED_LIMIT", 0)  # a bulk import: the whole store, filtered
        assert consistency.violations(session, touched) == whole
        session.rollback()
