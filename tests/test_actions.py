"""The Streamlit half of the write path (samenhier.actions) in AppTest, on a real store and a real
service: pick from the shown frame, act on exactly that record, confirm naming it, feedback by the
button, the form cleared, the same values twice asks first."""

import datetime as dt

import pytest
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from samenhier.models import Match, MatchStatus
from tests.matching_helpers import D, two_city_store


def end_match_page():
    """A page like Koppelen → Koppelingen: a municipality filter, a picker over the matches shown, an end form."""
    import datetime as dt

    import streamlit as st

    from samenhier import actions, ui
    from samenhier.feedback import Shown
    from samenhier.forms import FormField
    from samenhier.queries import matching as queries
    from samenhier.scope import Scope
    from samenhier.services import matches as services

    scope = Scope.coordinator("coord")
    running = queries.open_matches(ui.engine(), scope)
    city = st.selectbox("Gemeente", sorted(set(running["municipality"])), key="city")
    here = running[running["municipality"] == city]
    st.dataframe(here[["group_code", "newcomer_code"]])
    row = actions.pick(
        here,
        key="pick",
        id_column="match_id",
        label="Koppeling",
        format_row=lambda r: f"{r.group_code} ↔ {r.newcomer_code}",
    )
    if row is not None:
        shown = Shown(
            int(row["match_id"]),
            int(row["version"]),
            f"koppeling {row['group_code']} ↔ {row['newcomer_code']}",
        )
        actions.action_form(
            "end",
            shown,
            fields=[
                FormField("outcome", "Uitkomst", "radio", options=["afgerond", "gestopt"]),
                FormField("ended_date", "Einddatum", "date", default=dt.date(2026, 11, 10)),
                FormField("reason", "Reden"),
            ],
            call=lambda s, v: services.end_match(
                ui.engine(), scope, match_id=s.id, expected_version=s.version, **v
            ),
            submit_label=f"{shown.name} beëindigen",
            done_text=f"{shown.name} beëindigd",
            confirm_text=f"{shown.name} echt beëindigen?",
            slot="pick",
            destructive=True,
        )


@pytest.fixture
def store(engine):
    store = two_city_store(engine)
    # consistent with the store's rules: proposed after the newcomer registered (NH1: 2026-05-01) and the training (H1: 2026-03-01)
    store.match(
        "haarlem",
        "H1",
        "NH1",
        status=MatchStatus.ACTIVE.value,
        proposed=D(2026, 5, 10),
        started=D(2026, 5, 20),
    )
    store.match(
        "almere",
        "A1",
        "NA1",
        status=MatchStatus.ACTIVE.value,
        proposed=D(2026, 10, 5),
        started=D(2026, 10, 10),
    )
    return store


def statuses(store) -> dict[int, tuple[str, int]]:
    with Session(store.engine) as session:
        return {m.id: (m.status, m.version) for m in session.exec(select(Match))}


def page() -> AppTest:
    at = AppTest.from_function(end_match_page, default_timeout=30)
    at.run()
    return at


def button(at: AppTest, label_start: str):
    found = [b for b in at.button if b.label.startswith(label_start)]
    assert len(found) == 1, [b.label for b in at.button]
    return found[0]


def test_nothing_is_chosen_at_first(store):
    at = page()
    assert at.selectbox(key="pick").value is None
    assert not at.button  # no action without a chosen record


def test_a_choice_the_filter_no_longer_shows_is_dropped_with_its_action(store):
    """The reported bug: a Haarlem match chosen, then the municipality switched: no action may reach Almere's match."""
    before = statuses(store)
    at = page()
    at.selectbox(key="city").set_value("Haarlem").run()
    at.selectbox(key="pick").set_value(store.ids["haarlem"]).run()
    assert button(at, "koppeling H1 ↔ NH1 beëindigen")
    at.selectbox(key="city").set_value("Almere").run()
    assert at.selectbox(key="pick").value is None
    assert not at.button
    assert statuses(store) == before


def test_end_asks_naming_the_record_then_ends_exactly_that_one(store):
    before = statuses(store)
    at = page()
    at.selectbox(key="city").set_value("Haarlem").run()
    at.selectbox(key="pick").set_value(store.ids["haarlem"]).run()
    at.radio(key=f"end-{store.ids['haarlem']}-outcome").set_value("afgerond")
    button(at, "koppeling H1 ↔ NH1 beëindigen").click().run()
    assert [w.value for w in at.warning] == ["koppeling H1 ↔ NH1 echt beëindigen?"]
    assert statuses(store) == before  # asked, nothing written yet
    at.button(key=f"end-{store.ids['haarlem']}-confirm").click().run()
    assert not at.error, [e.value for e in at.error]
    after = statuses(store)
    assert after[store.ids["haarlem"]] == (MatchStatus.COMPLETED.value, before[store.ids["haarlem"]][1] + 1)
    assert after[store.ids["almere"]] == before[store.ids["almere"]]
    assert [s.value for s in at.success] == [
        "koppeling H1 ↔ NH1 beëindigd"
    ]  # under the picker: the match left the list
    assert [t.value for t in at.toast] == ["koppeling H1 ↔ NH1 beëindigd"]
    assert at.selectbox(key="pick").value is None


def test_field_errors_show_at_the_field_and_keep_the_input(store):
    at = page()
    at.selectbox(key="city").set_value("Almere").run()
    at.selectbox(key="pick").set_value(store.ids["almere"]).run()
    key = f"end-{store.ids['almere']}"
    at.text_input(key=f"{key}-reason").input("x" * 501)
    at.radio(key=f"{key}-outcome").set_value("gestopt")
    button(at, "koppeling A1 ↔ NA1 beëindigen").click().run()
    at.button(key=f"{key}-confirm").click().run()
    assert at.text_input(key=f"{key}-reason").value == "x" * 501
    errors = [e.value for e in at.error]
    assert (
        len(errors) == 2 and "500" in errors[0]
    )  # under the reason: validation.match_reason_too_long names the limit
    assert errors[1] == "Niet opgeslagen: verbeter de gemarkeerde velden."  # forms.fix_errors, by the button
    assert statuses(store)[store.ids["almere"]][0] == MatchStatus.ACTIVE.value


def test_a_record_changed_since_it_was_shown_is_not_written(store):
    at = page()
    at.selectbox(key="city").set_value("Haarlem").run()
    at.selectbox(key="pick").set_value(store.ids["haarlem"]).run()
    key = f"end-{store.ids['haarlem']}"
    at.radio(key=f"{key}-outcome").set_value("afgerond")
    button(at, "koppeling H1 ↔ NH1 beëindigen").click().run()
    with Session(store.engine) as session:  # someone else edits the match meanwhile
        match = session.get(Match, store.ids["haarlem"])
        match.end_reason, match.version = "elders gewijzigd", match.version + 1
        session.add(match)
        session.commit()
    before = statuses(store)
    at.button(key=f"{key}-confirm").click().run()
    assert statuses(store) == before
    assert [w.value for w in at.warning][-1].startswith(
        "koppeling H1 ↔ NH1 is intussen door iemand anders gewijzigd"
    )


def log_meeting_page():
    """A form that adds under a record (a meeting of a group): cleared after saving, the same values again ask first."""
    import datetime as dt

    from sqlmodel import Session, select

    from samenhier import actions, ui
    from samenhier.feedback import Shown
    from samenhier.forms import FormField
    from samenhier.models import WelcomeGroup
    from samenhier.scope import Scope
    from samenhier.services import meetings as services

    scope = Scope.coordinator("coord")
    with Session(ui.engine()) as session:
        group = session.exec(select(WelcomeGroup).where(WelcomeGroup.code == "H1")).one()
        shown = Shown(group.id, None, f"groep {group.code} {group.name}")
    actions.action_form(
        "log",
        shown,
        fields=[
            FormField("date", "Datum", "date", default=dt.date(2026, 11, 10)),
            FormField("kind", "Soort", "select", options=["groepsactiviteit", "online"]),
            FormField("duration_minutes", "Duur", "int", min_value=0),
            FormField("members_present", "Leden", "int", min_value=0),
            FormField("newcomers_present", "Nieuwkomers", "int", min_value=0),
            FormField("note", "Notitie", "textarea"),
        ],
        call=lambda s, v: services.log_meeting(ui.engine(), scope, group_id=s.id, **v),
        submit_label="Opslaan",
        done_text=f"Bijeenkomst van {shown.name} opgeslagen",
        confirm_flag="confirm_duplicate",
    )


def test_saved_form_is_cleared_and_the_same_values_again_ask_first(store):
    from samenhier.models import Meeting

    with Session(store.engine) as session:  # H1 is in its year since 2026-05-20, so a meeting can be logged
        h1 = session.get(Match, store.ids["haarlem"])
        assert h1.started_date == D(2026, 5, 20)
    at = AppTest.from_function(log_meeting_page, default_timeout=30)
    at.run()
    key = f"log-{store.ids['H1']}"

    def fill():
        at.selectbox(key=f"{key}-kind").set_value("groepsactiviteit")
        at.number_input(key=f"{key}-duration_minutes").set_value(90)
        at.number_input(key=f"{key}-members_present").set_value(3)
        at.number_input(key=f"{key}-newcomers_present").set_value(1)

    fill()
    at.button(key=f"{key}-submit").click().run()
    assert [s.value for s in at.success] == ["Bijeenkomst van groep H1 Groep H1 opgeslagen"], [
        e.value for e in at.error
    ]
    assert at.number_input(key=f"{key}-duration_minutes").value is None  # cleared
    assert at.date_input(key=f"{key}-date").value == dt.date(2026, 11, 10)  # back to its default
    fill()
    at.button(key=f"{key}-submit").click().run()
    assert [w.value for w in at.warning] == [
        "Je hebt precies dit net al opgeslagen voor groep H1 Groep H1. Nog een keer opslaan?"
    ]
    with Session(store.engine) as session:
        assert len(session.exec(select(Meeting)).all()) == 1
    # saving again anyway: the service itself sees the duplicate (same group, day and kind) and asks; confirmed, it saves
    at.button(key=f"{key}-confirm").click().run()
    assert len(at.warning) == 1 and "al een bijeenkomst" in at.warning[0].value
    at.button(key=f"{key}-confirm").click().run()
    with Session(store.engine) as session:
        assert len(session.exec(select(Meeting)).all()) == 2
