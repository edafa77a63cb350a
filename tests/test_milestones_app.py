"""AppTest of the milestones (issue 19): the hervestiging group of the shared workbook shows its actieplan
checklist on the Groep page, its overdue to-do opens the check-off, and a check-off can be undone; and
Beheer → Mijlpalen, where a national coordinator adds, edits and retires milestones (others only look)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from samenhier.models import CommunityBuilder, Milestone, MilestoneCheck, WelcomeGroup
from samenhier.scope import Scope
from samenhier.ui import md
from tests.apptest_helpers import run_app, texts

AS_OF = dt.date(2026, 11, 15)  # SAMENHIER_TODAY of the tests
CODE = "0599-017"  # the workbook's running hervestiging group: Tekle Mehari's, match started 06-02-2026
ANNA = Scope.coordinator("anna")


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def tekle(engine) -> Scope:
    with Session(engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == "Tekle Mehari")).one()
    return Scope.community_builder("tekle", builder.id)


def group_id(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup.id).where(WelcomeGroup.code == CODE)).one()


def button(at, label: str):
    found = [b for b in at.button if b.label in (label, md(label))]
    assert found, (label, [b.label for b in at.button])
    return found[0]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_hervestiging_group_shows_its_actieplan_checklist(workbook_engine, lang):
    at = ok(run_app(tekle(workbook_engine), lang=lang, page="views/group.py", query={"group": CODE}))
    shown = texts(at)
    title = "Actieplan en mijlpalen" if lang == "nl" else "Action plan and milestones"
    assert title in shown
    assert (
        "0 van 12 afgevinkt · start 6 februari 2026"
        if lang == "nl"
        else "0 of 12 checked off · start February 6, 2026"
    ) in shown
    table = next(d.value for d in at.dataframe if len(d.value) == 12)
    assert table["name"].iloc[0] == "⚠️ Actieplan besproken met de community builder"
    assert table["due_date"].iloc[0].date() == dt.date(2025, 12, 26)  # 6 February 2026 − 42 days
    assert table["offset"].iloc[0] == (
        "42 dagen vóór de start" if lang == "nl" else "42 days before the start"
    )


def test_the_overdue_todo_opens_the_check_off_and_an_undo_reopens_it(workbook_engine):
    engine, gid = workbook_engine, group_id(workbook_engine)
    at = ok(run_app(tekle(engine), page="views/group.py", query={"group": CODE}))
    button(
        at,
        "12 mijlpalen zijn over tijd, het langst: Actieplan besproken met de community builder. → Afvinken",
    ).click().run()
    ok(at)
    assert at.session_state["hub_action"] == "milestones"
    with Session(engine) as session:
        first = session.exec(
            select(Milestone).where(Milestone.name == "Actieplan besproken met de community builder")
        ).one()
    assert at.selectbox(key=f"hub-milestone-{gid}").value == first.id
    form = f"hub-milestone-check-{first.id}"
    at.date_input(key=f"{form}-done_date").set_value(dt.date(2025, 12, 20))
    ok(at.button(key=f"{form}-submit").click().run())
    assert any("Afgevinkt: Actieplan besproken met de community builder" in s.value for s in at.success)
    assert "1 van 12 afgevinkt" in texts(at)
    with Session(engine) as session:
        check = session.exec(select(MilestoneCheck).where(MilestoneCheck.milestone_id == first.id)).one()
    assert (check.group_id, check.done_date, check.checked_by, check.version) == (
        gid,
        dt.date(2025, 12, 20),
        "tekle",
        1,
    )
    # the to-do now counts eleven
    assert any(b.label.startswith("11 mijlpalen zijn over tijd") for b in at.button)

    # the same milestone stays chosen: now its undo, which asks first and names it
    ok(at.button(key=f"hub-milestone-undo-{check.id}-button").click().run())
    assert any("ongedaan maken" in w.value and "Actieplan besproken" in w.value for w in at.warning)
    ok(at.button(key=f"hub-milestone-undo-{check.id}-confirm").click().run())
    assert any("Afvinken ongedaan gemaakt" in s.value for s in at.success)
    with engine.connect() as c:
        assert c.execute(
            text("SELECT done_date, checked_by, version FROM milestone_check WHERE id = :i"), {"i": check.id}
        ).one() == (None, None, 2)
        assert c.execute(
            text("SELECT action FROM audit_event WHERE table_name = 'milestone_check' ORDER BY id")
        ).scalars().all() == ["milestone_check", "milestone_undo"]


def test_a_statushouders_group_has_no_checklist(workbook_engine):
    at = ok(run_app(ANNA, page="views/group.py", query={"group": "0518-002"}))
    assert "Actieplan en mijlpalen" not in texts(at)
    assert "milestones" not in (at.segmented_control[0].options if at.segmented_control else [])


def manage(scope, lang="nl"):
    return ok(run_app(scope, lang=lang, page="views/manage.py", query={"tab": "milestones"}))


def test_beheer_lists_the_actieplan_and_a_national_coordinator_adds_edits_and_retires(workbook_engine):
    engine = workbook_engine
    at = manage(ANNA)
    table = next(d.value for d in at.dataframe if "due_offset_days" in d.value)
    assert len(table) == 12 and table["name"].iloc[1] == "Woning ingericht (meubels, witgoed, huisraad)"
    assert table["offset"].iloc[1] == "7 dagen vóór de start"

    at.selectbox(key="manage_milestones_open").set_value("new").run()
    ok(at)
    form = "milestone-new-hervestiging-0"
    at.text_input(key=f"{form}-name").input("Sleutel van de woning opgehaald")
    at.number_input(key=f"{form}-due_offset_days").set_value(-3)
    ok(at.button(key=f"{form}-submit").click().run())
    # due 3 days before the start: overdue at once for the running hervestiging group 0599-017 — asked first
    assert any("1 groep krijgt hiermee een nieuwe to-do" in w.value for w in at.warning)
    with Session(engine) as session:
        assert (
            session.exec(select(Milestone).where(Milestone.name == "Sleutel van de woning opgehaald")).first()
            is None
        )
    ok(at.button(key=f"{form}-confirm").click().run())
    assert any("Sleutel van de woning opgehaald" in s.value for s in at.success)
    with Session(engine) as session:
        added = session.exec(
            select(Milestone).where(Milestone.name == "Sleutel van de woning opgehaald")
        ).one()
    assert (added.variant, added.due_offset_days, added.position, added.retired) == (
        "hervestiging",
        -3,
        13,
        False,
    )

    # the new one is chosen: change its offset
    assert at.selectbox(key="manage_milestones_open").value == added.id
    edit = f"milestone-edit-{added.id}"
    at.number_input(key=f"{edit}-due_offset_days").set_value(-5)
    ok(at.button(key=f"{edit}-submit").click().run())
    with Session(engine) as session:
        assert (
            session.get(Milestone, added.id).due_offset_days,
            session.get(Milestone, added.id).version,
        ) == (-5, 2)

    ok(at.button(key=f"milestone-retire-{added.id}-button").click().run())
    ok(at.button(key=f"milestone-retire-{added.id}-confirm").click().run())
    with Session(engine) as session:
        assert session.get(Milestone, added.id).retired is True
    assert any("is vervallen" in s.value for s in at.success)

    # shown again with the lapsed ones, and put back: it is overdue at once for 0599-017, so the page asks first
    at.checkbox(key="manage_milestones_retired").check().run()
    at.selectbox(key="manage_milestones_open").set_value(added.id).run()
    ok(at.button(key=f"milestone-reinstate-{added.id}-submit").click().run())
    assert any("1 groep krijgt hiermee een nieuwe to-do" in w.value for w in at.warning)
    ok(at.button(key=f"milestone-reinstate-{added.id}-confirm").click().run())
    with Session(engine) as session:
        assert session.get(Milestone, added.id).retired is False


def test_a_municipality_coordinator_sees_the_list_but_cannot_edit_it(workbook_engine):
    at = manage(Scope.coordinator("rosa", ["Rotterdam"]), lang="en")
    assert any("Only national coordinators change the milestones" in i.value for i in at.info)
    assert not [s for s in at.selectbox if s.key == "manage_milestones_open"]
    table = next(d.value for d in at.dataframe if "due_offset_days" in d.value)
    assert len(table) == 12


def test_a_step_named_with_markup_shows_as_text_in_the_todo_checklist_and_cards(workbook_engine):
    from samenhier.services import milestones as service

    xss = "<script>alert('x')</script>[klik](javascript:alert(2))"
    service.add_milestone(
        workbook_engine, ANNA, variant="hervestiging", name=xss, due_offset_days=-700, confirm_effect=True
    )
    at = ok(run_app(ANNA, page="views/group.py", query={"group": CODE}))
    todo = next(
        b.label for b in at.button if "13 mijlpalen zijn over tijd" in b.label
    )  # the oldest step: this one
    assert "<script>" not in todo and "\\<script\\>" in todo and "](javascript" not in todo
    table = next(d.value for d in at.dataframe if len(d.value) == 13)
    assert f"⚠️ {xss}" in list(table["name"])  # a table cell is plain text
    cards = ok(run_app(ANNA, page="views/my_groups.py", query={"group": CODE}))
    line = next(m.value for m in cards.markdown if "13 mijlpalen" in m.value)
    assert "<script>" not in line and "\\<script\\>" in line and "](javascript" not in line
