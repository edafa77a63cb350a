"""AppTest of the variants' timelines on the pages (issue 19): Beheer → Varianten for a national coordinator
(preview, then save), not for a municipality coordinator; the student group of the workbook counts weeks on
the Groep page, Mijn groepen and the overview, not "x/12"."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from samenhier.models import AuditEvent, VariantTimeline, WelcomeGroup
from samenhier.queries.timeline_preview import timeline_change_preview
from samenhier.scope import Scope
from samenhier.services import records
from samenhier.ui import md
from tests.apptest_helpers import run_app, texts
from tests.test_readable_sweep import problems

ANNA = Scope.coordinator("anna")
AS_OF = dt.date(2026, 11, 15)


def ok(at):
    assert not at.exception, [e.value for e in at.exception]
    return at


def _timeline(engine, variant) -> VariantTimeline:
    with Session(engine) as session:
        return session.exec(select(VariantTimeline).where(VariantTimeline.variant == variant)).one()


def _group(engine, code) -> WelcomeGroup:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup).where(WelcomeGroup.code == code)).one()


def test_a_national_coordinator_previews_then_saves_a_timeline(workbook_engine):
    record = _timeline(workbook_engine, "statushouders")
    at = ok(run_app(ANNA, page="views/manage.py", query={"tab": "variants"}))
    assert at.radio(key="manage_section").value == "variants"
    table = at.dataframe[0].value
    assert table["length"].tolist()[:3] == ["12 maanden", "12 maanden", "10 weken"]
    at.selectbox(key="variants_pick").set_value(record.id).run()
    at.number_input(key=f"variants-{record.id}-duration").set_value(2)
    at.number_input(key=f"variants-{record.id}-midterm").set_value(1)
    ok(at.button(key=f"variants-{record.id}-preview").click().run())
    preview = timeline_change_preview(
        workbook_engine, ANNA, variant="statushouders", changes={"duration": 2, "midterm_at": 1}, as_of=AS_OF
    )
    new_todo = int((preview["todos_new"].map(len) > 0).sum())
    assert new_todo > 0
    assert f"{new_todo} groepen krijgen een nieuwe taak" in texts(at)
    assert _timeline(workbook_engine, "statushouders").version == 1  # the preview wrote nothing
    assert not problems(
        at, "nl", page="views/manage.py"
    )  # no raw values, keys or code words (tests/test_readable_sweep.py)
    save = [b for b in at.button if b.label == "Tijdlijn van statushouders opslaan"]
    assert save, [b.label for b in at.button]
    ok(save[0].click().run())
    stored = _timeline(workbook_engine, "statushouders")
    assert (stored.duration, stored.midterm_at, stored.version) == (2, 1, 2)
    with Session(workbook_engine) as session:
        assert (
            session.exec(select(AuditEvent).where(AuditEvent.table_name == "variant_timeline")).one().username
            == "anna"
        )
    assert "Tijdlijn van statushouders opgeslagen." in texts(at)


def test_a_municipality_coordinator_has_no_variants_section(workbook_engine):
    at = ok(
        run_app(Scope.coordinator("rosa", ["Rotterdam"]), page="views/manage.py", query={"tab": "variants"})
    )
    assert "variants" not in at.radio(key="manage_section").options
    assert at.radio(key="manage_section").value != "variants"
    assert not [s for s in at.selectbox if s.key == "variants_pick"]


def test_the_student_group_shows_its_weeks_not_x_of_12(workbook_engine):
    # 0518-001 (studenten, afgerond): its group year is 10 weeks; nowhere "/12".
    at = ok(run_app(ANNA, page="views/group.py", query={"group": "0518-001"}))
    shown = texts(at)
    assert "Groepsjaar **10 weken**" in shown and "/12" not in shown
    # 0599-014 as a student group: started 2026-09-08, on 2026-11-15 day 68 → week 10 of 10.
    group = _group(workbook_engine, "0599-014")
    records.update_group(
        workbook_engine,
        ANNA,
        group_id=group.id,
        expected_version=group.version,
        changes={"variant": "studenten"},
    )
    at = ok(run_app(ANNA, page="views/group.py", query={"group": "0599-014"}))
    shown = texts(at)
    assert "Groepsjaar **week 10/10**" in shown
    assert md("De eindmeting is aan de beurt (week 10 van 10).") in [
        b.label.split(" → ")[0] for b in at.button
    ]
    cards = ok(run_app(ANNA, page="views/my_groups.py"))
    assert "week 10/10" in texts(cards)
    overview = ok(run_app(ANNA, page="views/overview.py"))
    frame = overview.dataframe[0].value
    assert frame.loc[frame["code"] == "0599-014", "month"].tolist() == ["week 10/10"]


def test_variants_section_and_preview_in_english(workbook_engine):
    """In English, chosen through session state before the first run (AppTest cannot rerun a page whose
    translated radio it formats in its own thread, see tests/test_editing_app.py)."""
    from streamlit.testing.v1 import AppTest

    from samenhier.variant_admin import PROPOSED_KEY
    from tests.apptest_helpers import APP, login_session, set_account_language

    record = _timeline(workbook_engine, "studenten")
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state["session_token"] = login_session(ANNA)
    set_account_language("anna", "en")  # a logged-in user sees the app in their account's language
    at.session_state["manage_section"] = "variants"
    at.session_state["variants_pick"] = record.id
    at.session_state[PROPOSED_KEY] = (
        record.id,
        1,
        {"unit": "weeks", "duration": 10, "midterm_at": 5, "quiet_after_days": 1, "end_grace_days": None},
    )
    at.run()
    ok(at.switch_page("views/manage.py").run())
    assert at.dataframe[0].value["length"].tolist()[2] == "10 weeks"
    assert "Effect on the groups of student community" in texts(at)
    assert [b.label for b in at.button if b.label.startswith("Save the timeline")] == [
        "Save the timeline of student community"
    ]
    assert not problems(at, "en", page="views/manage.py")
