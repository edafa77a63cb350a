"""Milestones per variant (issue 19): due dates (negative offsets: before the start), the overdue rule and
its to-do, check-off and undo (audited, versioned, scoped), a group that switches variant, and the
national coordinators' edits of a variant's list (rename, move, retire — past check-offs stay).

Expected values are worked out by hand or from the shared workbook with plain pandas."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from samenhier import milestones as rules
from samenhier.models import AuditEvent, CommunityBuilder, Milestone, WelcomeGroup
from samenhier.queries.milestones import group_milestones, variant_milestones
from samenhier.queries.progress import group_progress
from samenhier.scope import AccessDenied, Scope
from samenhier.services import milestones as service
from samenhier.services import records
from samenhier.services.common import ValidationFailed, VersionConflict
from samenhier.services.meetings import ConfirmationNeeded
from samenhier.todos import Todo

AS_OF = dt.date(2026, 11, 15)
NATIONAL = Scope.coordinator("anna")
HERVESTIGING = "0599-017"  # the workbook's running hervestiging group (Rotterdam, Tekle Mehari)

ACTIEPLAN = [  # the migration's defaults (db/migrations/versions/0009_milestones.py), copied by hand
    ("Actieplan besproken met de community builder", -42),
    ("Woning ingericht (meubels, witgoed, huisraad)", -7),
    ("Ontvangst bij aankomst geregeld (wie haalt op, tolk)", -7),
    ("Welkomstpakket met boodschappen klaar", -1),
    ("Inschrijving bij de gemeente (BRP) en BSN", 7),
    ("Zorgverzekering afgesloten", 14),
    ("Ingeschreven bij de huisarts", 14),
    ("Bankrekening geopend", 14),
    ("School of kinderopvang geregeld", 30),
    ("DigiD aangevraagd", 30),
    ("Toeslagen en kinderbijslag aangevraagd", 30),
    ("Inburgering: brede intake bij de gemeente", 60),
]


# ------------------------------------------------------------------------------------------- the rules


def test_due_date_counts_days_from_the_start_and_negative_offsets_lie_before_it():
    start = dt.date(2026, 3, 1)
    assert rules.due_date(start, -42) == dt.date(2026, 1, 18)  # 28 February, 31 January … by the calendar
    assert rules.due_date(start, -1) == dt.date(2026, 2, 28)  # 2026 is no leap year
    assert rules.due_date(start, 0) == start
    assert rules.due_date(start, 30) == dt.date(2026, 3, 31)
    assert rules.due_date(None, 30) is None
    assert rules.due_date(pd.NaT, -7) is None


@pytest.mark.parametrize(
    ("due", "done", "running", "overdue"),
    [
        (dt.date(2026, 11, 14), False, True, True),  # the day before the peildatum: overdue
        (dt.date(2026, 11, 15), False, True, False),  # on the due day itself: still on time
        (dt.date(2026, 11, 14), True, True, False),  # checked off
        (dt.date(2026, 11, 14), False, False, False),  # no running match (ended, or not started)
        (None, False, True, False),  # no start, no due date
    ],
)
def test_overdue_rule(due, done, running, overdue):
    assert rules.is_overdue(due, AS_OF, done=done, running=running) is overdue


def test_one_todo_names_the_longest_overdue_milestone():
    late = [
        rules.Overdue(3, "Bankrekening geopend", dt.date(2026, 11, 1), 14),
        rules.Overdue(1, "Woning ingericht", dt.date(2026, 10, 1), 45),
        rules.Overdue(2, "DigiD aangevraagd", dt.date(2026, 10, 1), 45),
    ]
    assert rules.overdue_todo(late) == Todo(
        "milestones_overdue", {"n": 3, "first": "DigiD aangevraagd", "milestone_id": 2}
    )
    assert rules.overdue_todo([]) is None


# ------------------------------------------------------------------------------- store, query, to-do


def _group_id(engine, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup.id).where(WelcomeGroup.code == code)).one()


def _builder(engine, name: str) -> Scope:
    with Session(engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == name)).one()
    return Scope.community_builder(name.split()[0].lower(), builder.id)


def _workbook_start(workbook_sheets, code: str) -> dt.date:
    matches = workbook_sheets["koppelingen"]
    return pd.Timestamp(matches.loc[matches["groep_code"] == code, "gestart_op"].iloc[0]).date()


@pytest.mark.both_backends
def test_the_migration_seeds_the_hervestiging_actieplan_and_nothing_for_the_other_variants(engine):
    frame = variant_milestones(engine, NATIONAL)
    assert list(zip(frame["name"], frame["due_offset_days"], strict=True)) == ACTIEPLAN
    assert set(frame["variant"]) == {"hervestiging"}
    assert list(frame["position"]) == list(range(1, 13))
    assert not frame["retired"].any() and (frame["checked"] == 0).all()


@pytest.mark.both_backends
def test_the_hervestiging_group_of_the_workbook_shows_its_actieplan_with_due_dates(
    workbook_engine, workbook_sheets
):
    start = _workbook_start(workbook_sheets, HERVESTIGING)
    assert start == dt.date(2026, 2, 6)  # koppelingen: 0599-017 ↔ N0064, gestart_op 06-02-2026, still actief
    checklist = group_milestones(
        workbook_engine, NATIONAL, _group_id(workbook_engine, HERVESTIGING), as_of=AS_OF
    )
    assert (checklist.variant, checklist.start, checklist.running) == ("hervestiging", start, True)
    items = checklist.items
    assert list(items["name"]) == [name for name, _ in ACTIEPLAN]
    assert items["due_date"].iloc[0] == dt.date(2025, 12, 26)  # 6 February − 42 days
    assert items["due_date"].iloc[1] == dt.date(2026, 1, 30)  # − 7 days
    assert items["due_date"].iloc[-1] == dt.date(2026, 4, 7)  # + 60 days
    assert (items["state"] == rules.OVERDUE).all()  # nothing checked off, nine months in
    assert items["days_overdue"].iloc[0] == (AS_OF - dt.date(2025, 12, 26)).days == 324


@pytest.mark.both_backends
def test_overdue_milestones_become_one_todo_of_the_running_hervestiging_group_only(
    workbook_engine, workbook_sheets
):
    progress = group_progress(workbook_engine, NATIONAL, as_of=AS_OF).set_index("code")
    with_todo = {
        code
        for code, todos in progress["todos"].items()
        if any(t.code == "milestones_overdue" for t in todos)
    }
    groups, matches = workbook_sheets["groepen"], workbook_sheets["koppelingen"]
    hervestiging = set(groups.loc[groups["variant"].str.strip().str.lower() == "hervestiging", "groep_code"])
    running = set(matches.loc[matches["status"].str.strip() == "actief", "groep_code"])
    assert with_todo == hervestiging & running == {HERVESTIGING}
    todo = next(t for t in progress.loc[HERVESTIGING, "todos"] if t.code == "milestones_overdue")
    assert todo.params["n"] == 12 and todo.params["first"] == ACTIEPLAN[0][0]


@pytest.mark.both_backends
def test_check_off_and_undo_by_the_groups_builder_are_versioned_and_audited(workbook_engine):
    engine, group = workbook_engine, _group_id(workbook_engine, HERVESTIGING)
    tekle = _builder(engine, "Tekle Mehari")
    first = group_milestones(engine, tekle, group, as_of=AS_OF).items.iloc[1]  # Woning ingericht
    saved = service.check_off_milestone(
        engine,
        tekle,
        group_id=group,
        milestone_id=int(first["milestone_id"]),
        done_date=dt.date(2026, 2, 1),
        expected_version=None,
    )
    items = group_milestones(engine, tekle, group, as_of=AS_OF).items.set_index("name")
    row = items.loc[ACTIEPLAN[1][0]]
    assert (row["state"], row["done_date"], row["checked_by"], row["check_version"]) == (
        rules.DONE,
        dt.date(2026, 2, 1),
        "tekle",
        1,
    )
    progress = group_progress(engine, tekle, as_of=AS_OF).set_index("code")
    assert (
        next(t for t in progress.loc[HERVESTIGING, "todos"] if t.code == "milestones_overdue").params["n"]
        == 11
    )

    with pytest.raises(VersionConflict):  # a second tab that still showed it unchecked
        service.check_off_milestone(
            engine,
            tekle,
            group_id=group,
            milestone_id=int(first["milestone_id"]),
            done_date=AS_OF,
            expected_version=None,
        )
    with pytest.raises(ValidationFailed) as failed:
        service.check_off_milestone(
            engine,
            tekle,
            group_id=group,
            milestone_id=int(first["milestone_id"]),
            done_date=AS_OF,
            expected_version=1,
        )
    assert [e.code for e in failed.value.errors] == ["milestone_done"]

    service.undo_milestone_check(engine, tekle, check_id=saved.id, expected_version=1)
    row = group_milestones(engine, tekle, group, as_of=AS_OF).items.set_index("name").loc[ACTIEPLAN[1][0]]
    assert (row["state"], row["done_date"], row["checked_by"], row["check_version"]) == (
        rules.OVERDUE,
        None,
        None,
        2,
    )
    with pytest.raises(VersionConflict):
        service.undo_milestone_check(engine, tekle, check_id=saved.id, expected_version=1)
    # checked again later: the same row, version 3
    again = service.check_off_milestone(
        engine,
        tekle,
        group_id=group,
        milestone_id=int(first["milestone_id"]),
        done_date=AS_OF,
        expected_version=2,
    )
    assert (again.id, again.version) == (saved.id, 3)
    with Session(engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.table_name == "milestone_check").order_by(AuditEvent.id)
        ).all()
    assert [(e.action, e.username, e.record_code) for e in events] == [
        ("milestone_check", "tekle", HERVESTIGING),
        ("milestone_undo", "tekle", HERVESTIGING),
        ("milestone_check", "tekle", HERVESTIGING),
    ]
    assert '"done_date": [null, "2026-02-01"]' in events[0].changes


@pytest.mark.both_backends
def test_check_off_refuses_a_future_date_another_variants_milestone_and_other_builders(workbook_engine):
    engine, group = workbook_engine, _group_id(workbook_engine, HERVESTIGING)
    milestone = int(group_milestones(engine, NATIONAL, group, as_of=AS_OF).items["milestone_id"].iloc[0])
    with pytest.raises(ValidationFailed) as failed:
        service.check_off_milestone(
            engine,
            NATIONAL,
            group_id=group,
            milestone_id=milestone,
            done_date=AS_OF + dt.timedelta(days=1),
            expected_version=None,
        )
    assert [e.code for e in failed.value.errors] == ["future_date"]
    statushouders = _group_id(engine, "0518-001")
    with pytest.raises(ValidationFailed) as failed:
        service.check_off_milestone(
            engine,
            NATIONAL,
            group_id=statushouders,
            milestone_id=milestone,
            done_date=AS_OF,
            expected_version=None,
        )
    assert [e.code for e in failed.value.errors] == ["choice"]
    leyla = _builder(engine, "Leyla Aydın")  # Rotterdam too, but not 0599-017's builder
    with pytest.raises(AccessDenied):
        service.check_off_milestone(
            engine, leyla, group_id=group, milestone_id=milestone, done_date=AS_OF, expected_version=None
        )
    with pytest.raises(AccessDenied):
        group_milestones(engine, leyla, group, as_of=AS_OF)
    rotterdam = Scope.coordinator("rosa", ["Rotterdam"])
    service.check_off_milestone(
        engine, rotterdam, group_id=group, milestone_id=milestone, done_date=AS_OF, expected_version=None
    )
    with pytest.raises(AccessDenied):
        group_milestones(engine, Scope.coordinator("dirk", ["Den Haag"]), group, as_of=AS_OF)


@pytest.mark.both_backends
def test_a_group_that_switches_variant_keeps_its_check_offs(workbook_engine):
    engine, group = workbook_engine, _group_id(workbook_engine, HERVESTIGING)
    items = group_milestones(engine, NATIONAL, group, as_of=AS_OF).items
    huisarts = int(items.loc[items["name"] == "Ingeschreven bij de huisarts", "milestone_id"].iloc[0])
    service.check_off_milestone(
        engine,
        NATIONAL,
        group_id=group,
        milestone_id=huisarts,
        done_date=dt.date(2026, 2, 20),
        expected_version=None,
    )
    with Session(engine) as session:
        version = session.get(WelcomeGroup, group).version
    records.update_group(
        engine, NATIONAL, group_id=group, expected_version=version, changes={"variant": "statushouders"}
    )

    after = group_milestones(engine, NATIONAL, group, as_of=AS_OF)
    assert after.variant == "statushouders"
    assert list(after.items.loc[after.items["in_checklist"], "name"]) == []  # statushouders has no milestones
    earlier = after.items[~after.items["in_checklist"]]
    assert list(earlier["name"]) == ["Ingeschreven bij de huisarts"]
    assert earlier["done_date"].iloc[0] == dt.date(2026, 2, 20)
    todos = group_progress(engine, NATIONAL, as_of=AS_OF).set_index("code").loc[HERVESTIGING, "todos"]
    assert not any(t.code == "milestones_overdue" for t in todos)  # no milestones of the variant it has now

    records.update_group(
        engine, NATIONAL, group_id=group, expected_version=version + 1, changes={"variant": "hervestiging"}
    )
    back = group_milestones(engine, NATIONAL, group, as_of=AS_OF).items.set_index("name")
    assert back.loc["Ingeschreven bij de huisarts", "state"] == rules.DONE
    assert (back["state"] == rules.OVERDUE).sum() == 11


@pytest.mark.both_backends
def test_rename_move_retire_and_reinstate_keep_past_check_offs(workbook_engine):
    engine, group = workbook_engine, _group_id(workbook_engine, HERVESTIGING)
    listed = variant_milestones(engine, NATIONAL, variant="hervestiging").set_index("name")
    bank = int(listed.loc["Bankrekening geopend", "milestone_id"])
    digid = int(listed.loc["DigiD aangevraagd", "milestone_id"])
    service.check_off_milestone(
        engine,
        NATIONAL,
        group_id=group,
        milestone_id=bank,
        done_date=dt.date(2026, 2, 10),
        expected_version=None,
    )

    service.update_milestone(
        engine,
        NATIONAL,
        milestone_id=bank,
        expected_version=1,
        name="Bankrekening en pinpas",
        due_offset_days=21,
    )
    items = group_milestones(engine, NATIONAL, group, as_of=AS_OF).items.set_index("milestone_id")
    assert items.loc[bank, "name"] == "Bankrekening en pinpas" and items.loc[bank, "state"] == rules.DONE
    assert items.loc[bank, "due_date"] == dt.date(2026, 2, 27)  # 6 February + 21 days

    service.update_milestone(
        engine,
        NATIONAL,
        milestone_id=digid,
        expected_version=1,
        name="DigiD aangevraagd",
        due_offset_days=300,
    )
    items = group_milestones(engine, NATIONAL, group, as_of=AS_OF).items.set_index("milestone_id")
    assert (
        items.loc[digid, "due_date"] == dt.date(2026, 12, 3) and items.loc[digid, "state"] == rules.OPEN
    )  # 6 Feb + 300 days

    service.retire_milestone(engine, NATIONAL, milestone_id=bank, expected_version=2)
    checklist = group_milestones(engine, NATIONAL, group, as_of=AS_OF).items
    assert bank not in set(checklist.loc[checklist["in_checklist"], "milestone_id"])
    earlier = checklist[~checklist["in_checklist"]]
    assert list(earlier["milestone_id"]) == [bank] and earlier["done_date"].iloc[0] == dt.date(2026, 2, 10)
    with engine.connect() as c:  # nothing was deleted
        assert (
            c.execute(text("SELECT count(*) FROM milestone_check WHERE done_date IS NOT NULL")).scalar_one()
            == 1
        )
        assert c.execute(text("SELECT count(*) FROM milestone")).scalar_one() == 12
    with pytest.raises(ValidationFailed):  # a retired milestone is not checked off again
        service.check_off_milestone(
            engine,
            NATIONAL,
            group_id=_group_id(engine, "0599-004"),
            milestone_id=bank,
            done_date=AS_OF,
            expected_version=None,
        )

    service.reinstate_milestone(engine, NATIONAL, milestone_id=bank, expected_version=3)
    items = group_milestones(engine, NATIONAL, group, as_of=AS_OF).items.set_index("milestone_id")
    assert items.loc[bank, "in_checklist"] and items.loc[bank, "state"] == rules.DONE


@pytest.mark.both_backends
def test_adding_milestones_to_a_ten_week_variant_and_their_overdue_rule(workbook_engine, workbook_sheets):
    """Studenten (ten weeks, weekly): a step in week 5 (+28 days) and one at the end (+70 days). The workbook's
    studenten group 0518-001 completed its ten weeks (an ended match: nothing is overdue any more); a running
    group that switches to studenten gets its to-do the day after week 5's step was due."""
    engine = workbook_engine
    groups, matches = workbook_sheets["groepen"], workbook_sheets["koppelingen"]
    code = groups.loc[groups["variant"].str.strip() == "studenten", "groep_code"].iloc[0]
    assert code == "0518-001" and matches.loc[matches["groep_code"] == code, "status"].iloc[0] == "afgerond"
    week5 = service.add_milestone(
        engine, NATIONAL, variant="studenten", name="Tussenevaluatie week 5", due_offset_days=28
    )
    end = service.add_milestone(engine, NATIONAL, variant="studenten", name="Afsluiting", due_offset_days=70)
    assert variant_milestones(engine, NATIONAL, variant="studenten")["position"].tolist() == [1, 2]
    ended = group_milestones(engine, NATIONAL, _group_id(engine, code), as_of=AS_OF)
    assert (ended.start, ended.running) == (dt.date(2022, 7, 9), False)
    assert list(ended.items["due_date"]) == [
        dt.date(2022, 8, 6),
        dt.date(2022, 9, 17),
    ]  # 9 July + 28 and + 70 days
    assert list(ended.items["state"]) == [rules.OPEN, rules.OPEN]

    group = _group_id(engine, HERVESTIGING)
    with Session(engine) as session:
        version = session.get(WelcomeGroup, group).version
    records.update_group(
        engine, NATIONAL, group_id=group, expected_version=version, changes={"variant": "studenten"}
    )
    as_of = dt.date(2026, 2, 6) + dt.timedelta(days=29)  # its match started 6 February 2026
    checklist = group_milestones(engine, NATIONAL, group, as_of=as_of).items.set_index("milestone_id")
    assert checklist.loc[week5.id, "due_date"] == dt.date(2026, 3, 6)
    assert (checklist.loc[week5.id, "state"], checklist.loc[week5.id, "days_overdue"]) == (rules.OVERDUE, 1)
    assert checklist.loc[end.id, "state"] == rules.OPEN
    todos = group_progress(engine, NATIONAL, as_of=as_of).set_index("code").loc[HERVESTIGING, "todos"]
    assert (
        Todo("milestones_overdue", {"n": 1, "first": "Tussenevaluatie week 5", "milestone_id": week5.id})
        in todos
    )
    on_the_day = (
        group_progress(engine, NATIONAL, as_of=as_of - dt.timedelta(days=1))
        .set_index("code")
        .loc[HERVESTIGING, "todos"]
    )
    assert not any(t.code == "milestones_overdue" for t in on_the_day)


@pytest.mark.both_backends
def test_editing_a_variants_list_is_for_national_coordinators_and_validated(engine):
    for scope in (Scope.coordinator("rosa", ["Rotterdam"]), Scope.community_builder("samira", 1)):
        with pytest.raises(AccessDenied):
            service.add_milestone(engine, scope, variant="hervestiging", name="Iets", due_offset_days=1)
    with pytest.raises(AccessDenied):
        variant_milestones(engine, Scope.community_builder("samira", 1))
    with pytest.raises(ValidationFailed) as failed:
        service.add_milestone(
            engine, NATIONAL, variant="hervestiging", name=" bankrekening GEOPEND ", due_offset_days=731
        )
    assert {(e.field, e.code) for e in failed.value.errors} == {
        ("name", "milestone_name_taken"),
        ("due_offset_days", "milestone_offset"),
    }
    with pytest.raises(ValidationFailed) as failed:
        service.add_milestone(engine, NATIONAL, variant="onbekend", name="", due_offset_days=None)
    assert {(e.field, e.code) for e in failed.value.errors} == {
        ("variant", "choice"),
        ("name", "required"),
        ("due_offset_days", "required"),
    }
    with Session(engine) as session:
        milestone = session.exec(select(Milestone).where(Milestone.name == "DigiD aangevraagd")).one()
    with pytest.raises(VersionConflict):
        service.update_milestone(
            engine, NATIONAL, milestone_id=milestone.id, expected_version=7, name="DigiD", due_offset_days=30
        )
    saved = service.add_milestone(
        engine, NATIONAL, variant="hervestiging", name="Kennismaking met de buren", due_offset_days=700
    )
    assert saved.version == 1


@pytest.mark.both_backends
def test_a_change_that_makes_milestones_overdue_says_how_many_groups_get_a_todo_before_saving(
    workbook_engine,
):
    """Issue 19, item 3. The workbook's one running hervestiging group, 0599-017, started 6 February 2026;
    on 15 November 2026 a step due +282 days (15 November) is on time, +281 days (14 November) is overdue."""
    engine = workbook_engine
    with pytest.raises(ConfirmationNeeded) as asked:
        service.add_milestone(engine, NATIONAL, variant="hervestiging", name="Evaluatie", due_offset_days=281)
    assert [(w.code, w.params["n"]) for w in asked.value.warnings] == [("milestone_effect", 1)]
    assert "1 groep krijgt hiermee een nieuwe to-do (0599-017)" in asked.value.warnings[0].message("nl")
    assert variant_milestones(engine, NATIONAL, variant="hervestiging")["name"].tolist() == [
        n for n, _ in ACTIEPLAN
    ]  # nothing written
    on_time = service.add_milestone(
        engine, NATIONAL, variant="hervestiging", name="Evaluatie", due_offset_days=282
    )
    with pytest.raises(ConfirmationNeeded):  # moved one day earlier: overdue for 0599-017
        service.update_milestone(
            engine,
            NATIONAL,
            milestone_id=on_time.id,
            expected_version=1,
            name="Evaluatie",
            due_offset_days=281,
        )
    service.update_milestone(
        engine,
        NATIONAL,
        milestone_id=on_time.id,
        expected_version=1,
        name="Evaluatie",
        due_offset_days=281,
        confirm_effect=True,
    )
    # Already overdue for every running group (−42 → −40), or only for groups that checked it off: no question.
    first = int(variant_milestones(engine, NATIONAL, variant="hervestiging")["milestone_id"].iloc[0])
    service.update_milestone(
        engine, NATIONAL, milestone_id=first, expected_version=1, name=ACTIEPLAN[0][0], due_offset_days=-40
    )
    todo = next(
        t
        for t in group_progress(engine, NATIONAL, as_of=AS_OF).set_index("code").loc[HERVESTIGING, "todos"]
        if t.code == "milestones_overdue"
    )
    assert todo.params["n"] == 13
    # Retired, the step gives no to-do; put back, it would again: asked first.
    service.retire_milestone(engine, NATIONAL, milestone_id=first, expected_version=2)
    with pytest.raises(ConfirmationNeeded):
        service.reinstate_milestone(engine, NATIONAL, milestone_id=first, expected_version=3)
    service.reinstate_milestone(engine, NATIONAL, milestone_id=first, expected_version=3, confirm_effect=True)
