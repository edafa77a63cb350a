"""AppTest of the Groep page as the hub of one group, and of the cards of "Mijn groepen": every action
as a coordinator and a community builder, in Dutch and English, and a to-do's action."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from samenhier.models import CommunityBuilder, Match, Meeting, ProgressNote, SurveyResponse, WelcomeGroup
from samenhier.scope import Scope
from samenhier.services.users import create_user
from samenhier.ui import md
from tests.apptest_helpers import run_app, texts

ANNA = Scope.coordinator("anna")


@pytest.fixture
def store(workbook_engine):
    create_user(workbook_engine, "anna", "een-lang-wachtwoord", "coordinator")
    create_user(
        workbook_engine, "joris", "een-lang-wachtwoord", "community_builder", community_builder="Joris Kramer"
    )
    return workbook_engine


def joris(engine) -> Scope:
    with Session(engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == "Joris Kramer")).one()
    return Scope.community_builder("joris", builder.id)


def group(engine, code) -> WelcomeGroup:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup).where(WelcomeGroup.code == code)).one()


def button(at, label: str):
    """The button that reads ``label`` on screen (labels are Markdown: user and to-do text arrive escaped)."""
    found = [b for b in at.button if b.label == label or b.label == md(label)]
    assert found, (label, [b.label for b in at.button])
    return found[0]


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def hub(scope, code, *, lang="nl", action=None):
    query = {"group": code} if action is None else {"group": code, "action": action}
    return ok(run_app(scope, lang=lang, page="views/group.py", query=query))


def newcomer_id_of(engine, group_code) -> int:
    with Session(engine) as session:
        g = session.exec(select(WelcomeGroup).where(WelcomeGroup.code == group_code)).one()
        return session.exec(
            select(Match.newcomer_id).where(Match.group_id == g.id, Match.status == "actief")
        ).one()


def submit(at, key: str):
    return ok(at.button(key=f"{key}-submit").click().run())


def confirm(at, key: str):
    return ok(at.button(key=f"{key}-confirm").click().run())


def test_a_todo_opens_the_end_survey_of_the_newcomer_and_saving_it_resolves_the_todo(store):
    scope = joris(store)
    g = group(store, "0392-018")  # Joris's group in month 12, its newcomer without eindmeting (workbook)
    newcomer = newcomer_id_of(store, "0392-018")
    at = hub(scope, "0392-018")
    button(at, "De eindmeting is aan de beurt (maand 12 van 12). → Eindmeting invoeren").click().run()
    ok(at)
    assert at.session_state["hub_action"] == "survey"
    assert at.selectbox(key=f"hub-survey-person-{g.id}").value == f"nieuwkomer:{newcomer}"
    assert at.radio(key=f"hub-survey-wave-{g.id}").value == "eindmeting"
    form = f"hub-survey-nieuwkomer-{newcomer}-eindmeting-{g.id}"
    for item, answer in [
        ("emptiness", "nee"),
        ("fall_back_on", "ja"),
        ("trust", "ja"),
        ("miss_people", "min of meer"),
        ("connected", "ja"),
        ("abandoned", "nee"),
    ]:
        at.radio(key=f"{form}-{item}").set_value(answer)
    at.radio(key=f"{form}-feel_at_home").set_value(4)
    submit(at, form)
    with Session(store) as session:
        saved = session.exec(
            select(SurveyResponse).where(
                SurveyResponse.newcomer_id == newcomer, SurveyResponse.wave == "eindmeting"
            )
        ).one()
    assert (saved.group_id, saved.date, saved.emptiness, saved.miss_people, saved.feel_at_home) == (
        g.id,
        dt.date(2026, 11, 15),
        "nee",
        "min of meer",
        4,
    )
    shown = texts(at)
    assert not [b for b in at.button if "De eindmeting is aan de beurt" in b.label]  # the to-do is resolved
    assert "Opgeslagen: eindmeting van" in shown


def test_builder_logs_a_meeting_from_the_card_link_and_the_form_is_cleared(store):
    scope = joris(store)
    g = group(store, "0392-018")
    with Session(store) as session:
        before = len(session.exec(select(Meeting).where(Meeting.group_id == g.id)).all())
    at = hub(scope, "0392-018", action="meeting")
    assert at.session_state["hub_action"] == "meeting"
    form = f"hub-meeting-{g.id}"
    at.date_input(key=f"{form}-date").set_value(dt.date(2026, 11, 14))
    at.selectbox(key=f"{form}-kind").set_value("online")
    at.number_input(key=f"{form}-duration_minutes").set_value(90)
    at.number_input(key=f"{form}-members_present").set_value(3)
    at.number_input(key=f"{form}-newcomers_present").set_value(1)
    at.text_area(key=f"{form}-note").set_value("Samen gekookt")
    submit(at, form)
    with Session(store) as session:
        meetings = session.exec(
            select(Meeting).where(Meeting.group_id == g.id).order_by(Meeting.id.desc())
        ).all()
    assert len(meetings) == before + 1
    new = meetings[0]
    assert (
        new.date,
        new.kind,
        new.duration_minutes,
        new.members_present,
        new.newcomers_present,
        new.note,
    ) == (dt.date(2026, 11, 14), "online", 90, 3, 1, "Samen gekookt")
    assert "Bijeenkomst vastgelegd: 0392-018" in texts(at)
    assert at.text_area(key=f"{form}-note").value == ""  # cleared after saving
    assert at.number_input(key=f"{form}-members_present").value is None


def test_a_meeting_with_more_members_present_than_the_group_has_is_refused_at_the_field(store):
    scope = joris(store)
    g = group(store, "0392-018")
    at = hub(scope, "0392-018", action="meeting")
    form = f"hub-meeting-{g.id}"
    at.number_input(key=f"{form}-duration_minutes").set_value(60)
    at.number_input(key=f"{form}-members_present").set_value(40)
    at.number_input(key=f"{form}-newcomers_present").set_value(1)
    submit(at, form)
    assert at.error, "an error is shown"
    assert at.number_input(key=f"{form}-members_present").value == 40  # kept


def test_builder_records_a_check_in_in_english(store):
    from samenhier import i18n

    scope = joris(store)
    g = group(store, "0392-019")  # Joris's, waiting for a match
    at = hub(scope, "0392-019", lang="en", action="check_in")
    form = f"hub-checkin-{g.id}"
    i18n.set_language("en")  # AppTest formats the radio's options with its format_func in this thread
    try:
        at.radio(key=f"{form}-assessment").set_value("enkele zorgen")
        at.text_area(key=f"{form}-text").set_value("One member moved away.")
        submit(at, form)
    finally:
        i18n.set_language("nl")
    with Session(store) as session:
        note = session.exec(select(ProgressNote)).one()
    assert (note.group_id, note.assessment, note.text, note.author) == (
        g.id,
        "enkele zorgen",
        "One member moved away.",
        "joris",
    )
    assert f"Check-in saved: 0392-019 · {g.name}." in texts(at)
    # The concern is now a to-do whose button names the action that closes it, in words (it once read
    # "→ hub.todo.some_concerns").
    concern = [b.label for b in at.button if b.key and b.key.startswith(f"hub-todo-{g.id}-")]
    assert any(label.endswith("→ Record a check-in") for label in concern), concern


def test_the_same_check_in_twice_asks_before_saving_again(store):
    scope = joris(store)
    g = group(store, "0392-019")
    at = hub(scope, "0392-019", action="check_in")
    form = f"hub-checkin-{g.id}"
    for _ in range(2):
        at.radio(key=f"{form}-assessment").set_value("goed")
        submit(at, form)
    with Session(store) as session:
        assert len(session.exec(select(ProgressNote)).all()) == 1
    assert "Nog een keer opslaan?" in texts(at)


def test_builder_changes_the_status_nothing_preselected(store):
    scope = joris(store)
    g = group(store, "0392-019")
    at = hub(scope, "0392-019", action="status")
    form = f"hub-status-{g.id}"
    box = at.selectbox(key=f"{form}-status")
    assert box.value is None
    assert box.options == [
        "training",
        "actief",
        "gestopt",
    ]  # GROUP_TRANSITIONS of wacht op match, in life-cycle order
    box.set_value("gestopt")
    submit(at, form)
    assert group(store, "0392-019").status == "gestopt"
    assert f"Status van 0392-019 · {g.name} gewijzigd." in texts(at)


def test_builder_cannot_edit_the_group_nor_open_another_builders_group(store):
    scope = joris(store)
    at = hub(scope, "0392-019")
    offered = at.button_group(key="hub_action").options
    # waiting for a match: no meeting to log yet, proposing is the coordinator's, editing too (samenhier.hub)
    assert list(offered) == ["Check-in", "Enquête", "Status"]
    coordinator = hub(ANNA, "0392-019")
    assert list(coordinator.button_group(key="hub_action").options) == [
        "Check-in",
        "Enquête",
        "Status",
        "Koppeling",
        "Groep bewerken",
    ]
    other = run_app(scope, page="views/group.py", query={"group": "0518-022"})  # Samira's
    ok(other)
    assert "Dit record bestaat niet" in texts(other)


def test_coordinator_proposes_then_accepts_a_match(store):
    g = group(store, "0392-019")  # Haarlem, waiting for a match
    at = hub(ANNA, "0392-019", action="match")
    form = f"hub-propose-{g.id}"
    options = at.selectbox(key=f"{form}-newcomer").options
    assert options, "waiting newcomers of Haarlem are offered"
    with Session(store) as session:
        from samenhier.models import Newcomer

        newcomer = session.exec(select(Newcomer).where(Newcomer.code == options[0].split(" · ")[0])).one()
    assert newcomer.status == "wacht"
    at.selectbox(key=f"{form}-newcomer").set_value(newcomer.id)
    submit(at, form)
    with Session(store) as session:
        match = session.exec(select(Match).where(Match.group_id == g.id, Match.status == "voorgesteld")).one()
    assert match.newcomer_id == newcomer.id
    accept = f"hub-accept-{match.id}"
    at.date_input(key=f"{accept}-started_date").set_value(dt.date(2026, 11, 15))
    submit(at, accept)
    assert f"Koppeling gestart: 0392-019 ↔ {newcomer.code}." in texts(at)
    with Session(store) as session:
        assert session.get(Match, match.id).status == "actief"
    assert group(store, "0392-019").status == "actief"


def test_coordinator_declines_a_proposal_after_confirming_in_english(store):
    from samenhier.queries.matching import waiting_newcomers
    from samenhier.services.matches import propose_match

    g = group(store, "0392-020")
    newcomer = waiting_newcomers(store, ANNA, as_of=dt.date(2026, 11, 15), municipality="Haarlem").iloc[0]
    match_id = propose_match(
        store,
        ANNA,
        newcomer_id=int(newcomer["newcomer_id"]),
        group_id=g.id,
        proposed_date=dt.date(2026, 11, 1),
    )
    at = hub(ANNA, "0392-020", lang="en", action="match")
    form = f"hub-decline-{match_id}"
    at.text_input(key=f"{form}-reason").set_value("Too far apart")
    submit(at, form)
    with Session(store) as session:
        assert (
            session.get(Match, match_id).status == "voorgesteld"
        )  # not yet: it asks first, naming the match
    assert f"Really decline match 0392-020 ↔ {newcomer['code']}?" in texts(at)
    confirm(at, form)
    with Session(store) as session:
        declined = session.get(Match, match_id)
    assert (declined.status, declined.end_reason) == ("afgewezen", "Too far apart")
    assert f"Match declined: 0392-020 ↔ {newcomer['code']}" in texts(at)


def test_builder_ends_the_match_of_a_group_at_the_end_of_its_year(store):
    scope = joris(store)
    g = group(store, "0392-018")
    with Session(store) as session:
        match = session.exec(select(Match).where(Match.group_id == g.id, Match.status == "actief")).one()
    at = hub(scope, "0392-018", action="match")
    form = f"hub-end-{match.id}"
    assert at.radio(key=f"{form}-outcome").value is None  # nothing preselected
    at.radio(key=f"{form}-outcome").set_value("afgerond")
    submit(at, form)
    confirm(at, form)
    with Session(store) as session:
        ended = session.get(Match, match.id)
    assert (ended.status, ended.ended_date, ended.end_reason) == (
        "afgerond",
        dt.date(2026, 11, 15),
        "jaar afgerond",
    )
    assert group(store, "0392-018").status == "afgerond"


def test_coordinator_records_the_training_and_the_group_moves_on(store):
    g = group(store, "0034-014")  # training, no training date (workbook)
    at = hub(ANNA, "0034-014", action="training")
    form = f"hub-training-{g.id}"
    at.date_input(key=f"{form}-training_completed_date").set_value(dt.date(2026, 11, 10))
    submit(at, form)
    stored = group(store, "0034-014")
    assert (stored.status, stored.training_completed_date, stored.version) == (
        "wacht op match",
        dt.date(2026, 11, 10),
        g.version + 1,
    )


def test_coordinator_edits_the_group_in_english(store):
    g = group(store, "0392-019")
    at = hub(ANNA, "0392-019", lang="en", action="edit")
    at.text_input(key=f"hub-edit-{g.id}-name").set_value("Welkomgroep Nieuw")
    button(at, "Save 0392-019").click().run()
    ok(at)
    assert group(store, "0392-019").name == "Welkomgroep Nieuw"
    assert "Saved: 0392-019 · " in texts(at)


def test_vog_todo_records_a_members_vog(store):
    from sqlalchemy import text

    from samenhier.models import Member

    g = group(store, "0392-019")
    with Session(store) as session:
        member = session.exec(
            select(Member).where(Member.group_id == g.id, Member.archived.is_(False))
        ).first()
    with store.begin() as connection:  # the workbook has every VOG: take one away
        connection.execute(text("UPDATE member SET vog_date = NULL WHERE id = :id"), {"id": member.id})
    at = hub(ANNA, g.code)
    button(at, "VOG ontbreekt nog voor 1 lid. → VOG vastleggen").click().run()
    ok(at)
    form = f"hub-vog-{g.id}"
    at.selectbox(key=f"{form}-member").set_value(member.id)
    submit(at, form)
    with Session(store) as session:
        assert session.get(Member, member.id).vog_date == dt.date(2026, 11, 15)


def test_the_current_group_follows_the_user_from_page_to_page(store):
    scope = joris(store)
    at = hub(scope, "0392-019")
    at.selectbox(key="group_code").set_value("0392-020").run()
    ok(at)
    assert at.query_params["group"] == ["0392-020"] or at.query_params["group"] == "0392-020"
    at.switch_page("views/my_groups.py").run()
    ok(at)
    first_card = next(m.value for m in at.markdown if m.value.startswith("**0"))
    assert first_card.startswith("**0392\\-020**") and "huidige groep" in first_card
    at.switch_page("views/group.py").run()
    ok(at)
    assert at.selectbox(key="group_code").value == "0392-020"


def test_my_groups_shows_one_card_per_group_of_the_builder(store, workbook_sheets):
    groups = workbook_sheets["groepen"]
    expected = set(groups.loc[groups["community_builder"] == "Joris Kramer", "groep_code"])
    at = ok(run_app(joris(store), page="views/my_groups.py"))
    titles = [m.value for m in at.markdown if m.value.startswith("**0")]
    codes = {t.split("**")[1].replace("\\", "") for t in titles}
    assert codes == expected
    first = titles[0]
    assert "0392" in first and "018" in first  # the group with a to-do comes first
    shown = texts(at)
    assert "maand 12/12" in shown
    assert "De eindmeting is aan de beurt (maand 12 van 12)." in shown
    assert (
        "10 dagen sinds de laatste bijeenkomst" in shown
    )  # 0392-018: last meeting 5 November, peildatum 15 November


def test_my_groups_cards_in_english(store):
    at = ok(run_app(ANNA, lang="en", page="views/my_groups.py"))
    assert "The end survey is due" in texts(at) or "end survey" in texts(at).lower()


def test_an_ended_group_shows_its_last_twelve_months_of_meetings_not_the_last_twelve_before_today(
    store, workbook_sheets
):
    # 0518-001 (studenten) ended in 2022: its chart ran over the twelve months before the peildatum, all zero,
    # under "a group without a meeting for 10 days needs attention" (second newcomer test).
    import pandas as pd

    groups = workbook_sheets["groepen"]
    assert groups.loc[groups["groep_code"] == "0518-001", "status"].iloc[0].strip() == "afgerond"
    meetings = workbook_sheets["bijeenkomsten"]
    days = pd.to_datetime(meetings.loc[meetings["groep_code"].str.strip() == "0518-001", "datum"])
    last = days.max()
    window = pd.period_range(last.to_period("M") - 11, last.to_period("M"), freq="M")
    in_window = int(days.dt.to_period("M").isin(window).sum())
    at = hub(Scope.coordinator("anna"), "0518-001")
    import base64
    import json

    import numpy as np

    def values(v):  # plotly sends number arrays as base64 typed arrays
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"]).tolist() if "bdata" in v else v

    traces = [json.loads(c.proto.spec)["data"][0] for c in at.get("plotly_chart")]
    [cadence] = [t for t in traces if t.get("type") == "bar"]  # meetings per calendar month
    assert cadence["x"] == [str(p) for p in window]
    assert sum(values(cadence["y"])) == in_window > 0
    shown = texts(at)
    assert f"De twaalf maanden tot en met de laatste bijeenkomst ({last.day} " in shown
    assert "vraagt aandacht" not in shown


def test_cadence_window_of_a_running_and_an_ended_group():
    from samenhier import hub as hub_rules

    today = dt.date(2026, 11, 15)
    assert hub_rules.cadence_until("actief", dt.date(2026, 11, 2), today) == (today, True)
    assert hub_rules.cadence_until("afgerond", dt.date(2022, 9, 10), today) == (dt.date(2022, 9, 10), False)
    assert hub_rules.cadence_until("gestopt", None, today) == (today, True)  # no meeting: nothing to end on
