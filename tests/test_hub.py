"""Unit tests of samenhier.hub: which actions the Groep page offers, which action resolves each to-do,
the match decisions, and the cards of "Mijn groepen" (from group_progress on the shared workbook)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from samenhier import hub
from samenhier.queries.progress import group_progress
from samenhier.scope import Scope
from samenhier.todos import Todo

AS_OF = dt.date(2026, 11, 15)


def test_each_todo_has_the_action_that_resolves_it():
    assert hub.todo_action(Todo("no_meeting", {"days": 30}), newcomer_id=None) == hub.TodoAction("meeting")
    assert hub.todo_action(Todo("baseline_missing"), newcomer_id=7) == hub.TodoAction(
        "survey", {"role": "nieuwkomer", "person_id": 7, "wave": "nulmeting"}
    )
    assert hub.todo_action(Todo("end_survey_due", {"month": 12}), newcomer_id=9) == hub.TodoAction(
        "survey", {"role": "nieuwkomer", "person_id": 9, "wave": "eindmeting"}
    )
    assert hub.todo_action(Todo("vog_missing", {"n": 2}), newcomer_id=None) == hub.TodoAction("vog")
    assert hub.todo_action(Todo("group_size", {"n": 2}), newcomer_id=None) == hub.TodoAction("members")


def test_a_survey_todo_without_newcomer_or_an_unknown_todo_is_a_programming_error():
    with pytest.raises(ValueError, match="newcomer"):
        hub.todo_action(Todo("baseline_missing"), newcomer_id=None)
    with pytest.raises(ValueError, match="unknown"):
        hub.todo_action(Todo("make_coffee"), newcomer_id=1)


def test_every_todo_code_has_an_action_that_resolves_it():
    from samenhier.todos import CODES

    actions = {code: hub.todo_action(Todo(code, {"milestone_id": 3}), newcomer_id=1).action for code in CODES}
    assert actions == {
        "no_meeting": "meeting",
        "baseline_missing": "survey",
        "end_survey_due": "survey",
        "vog_missing": "vog",
        "group_size": "members",
        "some_concerns": "check_in",
        "serious_concerns": "check_in",
        "milestones_overdue": "milestones",
    }


@pytest.mark.parametrize(
    ("match_status", "group_status", "coordinator", "expected"),
    [
        (
            "voorgesteld",
            "wacht op match",
            False,
            ["accept", "decline"],
        ),  # a builder decides on the proposal for their group
        ("actief", "actief", True, ["end"]),
        (None, "wacht op match", True, ["propose"]),
        (None, "actief", True, ["propose"]),  # a second household, confirmed by the service
        (None, "wacht op match", False, []),  # proposing is the coordinator's
        (None, "training", True, []),  # not trained yet: propose_match refuses it
        ("afgerond", "afgerond", True, []),
    ],
)
def test_match_decisions(match_status, group_status, coordinator, expected):
    assert (
        hub.match_decisions(match_status, group_status=group_status, is_coordinator=coordinator) == expected
    )


def test_actions_of_a_running_group_for_its_community_builder():
    offered = hub.hub_actions(
        status="actief",
        is_coordinator=False,
        match_started=True,
        respondents=5,
        match_status="actief",
        members_without_vog=0,
        training_done=True,
    )
    # actief may go to afgerond / gestopt / wacht op match (rules.GROUP_TRANSITIONS); no VOG missing; not a coordinator
    assert offered == ["meeting", "check_in", "survey", "status", "match"]


def test_actions_of_a_group_in_training_for_a_coordinator():
    offered = hub.hub_actions(
        status="training",
        is_coordinator=True,
        match_started=False,
        respondents=0,
        match_status=None,
        members_without_vog=2,
        training_done=False,
    )
    assert offered == ["check_in", "status", "vog", "training", "edit"]


def test_a_stopped_group_offers_no_status_change():
    offered = hub.hub_actions(
        status="gestopt",
        is_coordinator=False,
        match_started=True,
        respondents=3,
        match_status="gestopt",
        members_without_vog=0,
        training_done=True,
    )
    assert offered == ["meeting", "check_in", "survey"]
    assert hub.allowed_statuses("gestopt") == []
    assert hub.allowed_statuses("wacht op match") == ["training", "actief", "gestopt"]


@pytest.mark.parametrize(
    ("month", "of", "unit", "text"),
    [
        (7, 12, "months", "maand 7/12"),
        (13, 12, "months", "maand 13/12"),
        (7, 10, "weeks", "week 7/10"),
        (None, 12, "months", ""),
        (pd.NA, 10, "weeks", ""),
    ],
)
def test_period_text(month, of, unit, text):
    assert hub.period_text(month, of, unit, "nl") == text


def test_period_text_in_english_and_the_length_of_a_year():
    assert hub.period_text(3, 10, "weeks", "en") == "week 3/10"
    assert hub.period_text(3, 12, "months", "en") == "month 3/12"
    assert hub.length_text(10, "weeks", "nl") == "10 weken"
    assert hub.length_text(1, "months", "nl") == "1 maand"


def test_selected_value_maps_the_chosen_row_through_the_shown_frame():
    shown = pd.DataFrame(
        {"code": ["0518-002", "0034-010"]}, index=[17, 3]
    )  # sorted and filtered: index is not position
    assert hub.selected_value([1], shown, "code") == "0034-010"
    assert hub.selected_value([], shown, "code") is None
    assert hub.selected_value([5], shown, "code") is None  # a row of a longer frame, no longer shown


def test_cards_of_a_community_builder_from_the_workbook(workbook_engine, workbook_sheets):
    from sqlmodel import Session, select

    from samenhier.models import CommunityBuilder

    with Session(workbook_engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == "Joris Kramer")).one()
    cards = hub.group_cards(
        group_progress(workbook_engine, Scope.community_builder("joris", builder.id), as_of=AS_OF)
    )
    groups = workbook_sheets["groepen"]
    assert {c.code for c in cards} == set(
        groups.loc[groups["community_builder"] == "Joris Kramer", "groep_code"]
    )
    first = cards[0]  # the one group with a to-do comes first
    meetings = workbook_sheets["bijeenkomsten"]
    last = (
        pd.to_datetime(meetings.loc[meetings["groep_code"] == "0392-018", "datum"], dayfirst=True)
        .max()
        .date()
    )
    matches = workbook_sheets["koppelingen"]
    started = (
        pd.to_datetime(
            matches.loc[
                (matches["groep_code"] == "0392-018") & (matches["status"] == "actief"), "gestart_op"
            ],
            dayfirst=True,
        )
        .iloc[0]
        .date()
    )
    whole_months = (AS_OF.year - started.year) * 12 + AS_OF.month - started.month - (AS_OF.day < started.day)
    months = whole_months + 1  # month 1 is the first calendar month after the start (rules.group_year_month)
    assert (first.code, first.status, first.days_since_meeting, first.last_meeting) == (
        "0392-018",
        "actief",
        (AS_OF - last).days,
        last,
    )
    assert first.month == months == 12
    assert [t.code for t in first.todos] == ["end_survey_due"]
    assert first.can_log_meeting
    waiting = next(c for c in cards if c.code == "0392-019")
    assert (waiting.month, waiting.days_since_meeting, waiting.todos, waiting.can_log_meeting) == (
        None,
        None,
        [],
        False,
    )


def test_group_progress_narrowed_to_one_group(workbook_engine):
    everything = group_progress(workbook_engine, Scope.coordinator("anna"), as_of=AS_OF)
    one = everything[everything["code"] == "0518-001"].iloc[0]
    narrowed = group_progress(
        workbook_engine, Scope.coordinator("anna"), as_of=AS_OF, group_ids=(int(one["group_id"]),)
    )
    assert list(narrowed["code"]) == ["0518-001"]
