"""The meetings page (AppTest) on the shared workbook: log through the form and see it counted, access
for community builders, invalid input refused with a message and nothing written, edit and delete.

Expected counts are computed from the workbook itself with pandas (not through the product's queries).
"""

import datetime as dt
import json

import pandas as pd
import pytest
from apptest_helpers import open_tab, run_app, texts
from sqlmodel import Session, select

from samenhier.models import AuditEvent, CommunityBuilder, Meeting, WelcomeGroup
from samenhier.queries.common import count_rows
from samenhier.scope import AccessDenied, Scope
from samenhier.services import meetings as meeting_service
from samenhier.services.users import create_user
from samenhier.ui import md

PAGE = "views/meetings.py"
GROUP = "0518-019"  # active, Den Haag, guided by Samira Benali
BUILDER = "Samira Benali"
DAY = dt.date(2026, 11, 14)  # Saturday of ISO week 2026-W46, the day before the clock's 2026-11-15


@pytest.fixture(scope="module")
def sheets(workbook_path) -> dict[str, pd.DataFrame]:
    return pd.read_excel(workbook_path, sheet_name=None)


@pytest.fixture
def app_store(workbook_engine):
    """The workbook store with a coordinator and one community builder account (the app needs an account)."""
    create_user(workbook_engine, "coco", "een lang wachtwoord", "coordinator")
    builder = create_user(
        workbook_engine, "samira", "een lang wachtwoord", "community_builder", community_builder=BUILDER
    )
    return workbook_engine, builder


def group_id(engine, code: str) -> int:
    with Session(engine) as s:
        return s.exec(select(WelcomeGroup.id).where(WelcomeGroup.code == code)).one()


def charts(at) -> dict[str, dict]:
    """The page's plotly figures by their first trace type: heatmap, scatter (per municipality), bar (per kind)."""
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    return {f["data"][0]["type"] if f["data"][0].get("type") else "scatter": f for f in figures}


def heatmap_cell(figure: dict, code: str, week: str):
    trace = figure["data"][0]
    row = next(i for i, label in enumerate(trace["y"]) if label == code or label.startswith(code + " "))
    return trace["z"][row][trace["x"].index(week)]


def trace_y(figure: dict, name: str, month: int) -> int:
    trace = next(t for t in figure["data"] if t["name"] == name)
    return trace["y"][month - 1]


def log_key(group: int, name: str) -> str:
    """The widget key of a field of the log form of ``group`` (samenhier.actions: ``{form}-{record id}-{field}``)."""
    return f"meetings_log-{group}-{name}"


def fill_log_form(at, *, group: int, date=DAY, kind="online", duration=60, members=2, newcomers=1, note=""):
    if at.session_state["tabs-meetings-slug"] != "log":
        open_tab(at, "meetings", "Bijeenkomst vastleggen")
    if at.selectbox(key="meetings_log_group").value != group:
        at.selectbox(key="meetings_log_group").set_value(group).run()
    at.date_input(key=log_key(group, "date")).set_value(date)
    at.selectbox(key=log_key(group, "kind")).set_value(kind)
    at.number_input(key=log_key(group, "duration_minutes")).set_value(duration)
    at.number_input(key=log_key(group, "members_present")).set_value(members)
    at.number_input(key=log_key(group, "newcomers_present")).set_value(newcomers)
    at.text_area(key=log_key(group, "note")).set_value(note)
    at.button(key=log_key(group, "submit")).click().run()
    return at


def test_logged_meeting_is_counted_in_heatmap_monthly_charts_and_overview(app_store, sheets):
    engine, _builder = app_store
    meetings, groups = sheets["bijeenkomsten"], sheets["groepen"]
    iso = meetings["datum"].dt.isocalendar()
    in_week = int(((meetings["groep_code"] == GROUP) & (iso["year"] == 2026) & (iso["week"] == 46)).sum())
    november = meetings[(meetings["datum"].dt.year == 2026) & (meetings["datum"].dt.month == 11)]
    online_nov = int((november["soort"] == "online").sum())
    den_haag = set(groups.loc[groups["gemeente"] == "Den Haag", "groep_code"])
    den_haag_nov = int(november["groep_code"].isin(den_haag).sum())
    last_30 = int(((meetings["datum"] > "2026-10-16") & (meetings["datum"] <= "2026-11-15")).sum())

    at = run_app(Scope.coordinator("coco"), page=PAGE)
    assert not at.exception
    before = charts(at)
    assert (heatmap_cell(before["heatmap"], GROUP, "2026-W46") or 0) == in_week
    assert trace_y(before["bar"], "online", 11) == online_nov
    assert trace_y(before["scatter"], "Den Haag", 11) == den_haag_nov
    assert len(before["heatmap"]["data"][0]["x"]) == 53 and before["heatmap"]["data"][0]["x"][0] == "2026-W01"

    rows = count_rows(engine, Meeting)
    gid = group_id(engine, GROUP)
    fill_log_form(at, group=gid, note="Samen naar de bibliotheek")
    assert not at.exception
    assert count_rows(engine, Meeting) == rows + 1
    name = f"groep {GROUP} {groups.loc[groups['groep_code'] == GROUP, 'naam'].iloc[0].strip()}"
    assert [s.value for s in at.success] == [f"Bijeenkomst vastgelegd: {md(name)}, 14 november 2026, online."]
    # The form is empty again for the next meeting.
    assert at.number_input(key=log_key(gid, "duration_minutes")).value is None
    open_tab(at, "meetings", "Jaaroverzicht")
    after = charts(at)
    assert heatmap_cell(after["heatmap"], GROUP, "2026-W46") == in_week + 1
    assert trace_y(after["bar"], "online", 11) == online_nov + 1
    assert trace_y(after["scatter"], "Den Haag", 11) == den_haag_nov + 1

    at.switch_page("views/overview.py").run()
    tile = next(m for m in at.metric if m.label == "Bijeenkomsten (30 dagen)")
    assert tile.value == str(last_30 + 1)


def test_community_builder_logs_only_for_own_groups(app_store, sheets):
    engine, builder = app_store
    groups, matches = sheets["groepen"], sheets["koppelingen"]
    started = set(matches.loc[matches["gestart_op"].notna(), "groep_code"])
    own = set(groups.loc[groups["community_builder"] == BUILDER, "groep_code"]) & started

    at = run_app(builder, page=PAGE)
    assert not at.exception
    heatmap = charts(at)["heatmap"]["data"][0]
    open_tab(at, "meetings", "Bijeenkomst vastleggen")
    options = at.selectbox(key="meetings_log_group").options
    assert {o.split(" · ")[0] for o in options} == own
    assert {label.split(" · ")[0] for label in heatmap["y"]} <= set(
        groups.loc[groups["community_builder"] == BUILDER, "groep_code"]
    )

    # Calling the service directly for another builder's group is refused too, and writes nothing.
    other = groups.loc[
        (groups["community_builder"] != BUILDER) & groups["groep_code"].isin(started), "groep_code"
    ].iloc[0]
    before = (count_rows(engine, Meeting), count_rows(engine, AuditEvent))
    with pytest.raises(AccessDenied):
        meeting_service.log_meeting(
            engine,
            builder,
            group_id=group_id(engine, other),
            date=DAY,
            kind="online",
            duration_minutes=60,
            members_present=1,
            newcomers_present=1,
        )
    assert (count_rows(engine, Meeting), count_rows(engine, AuditEvent)) == before


def test_builder_scope_is_linked_to_the_workbook_builder(app_store):
    engine, builder = app_store
    with Session(engine) as s:
        assert s.get(CommunityBuilder, builder.community_builder_id).name == BUILDER


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"date": dt.date(2026, 11, 16)}, "de datum ligt in de toekomst (vandaag is het 15 november 2026)"),
        ({"members": 99}, "moet tussen 0 en"),
        ({"newcomers": 9}, "moet tussen 0 en"),
        ({"duration": None}, "vul dit veld in"),
        ({"duration": 2000}, "de duur moet tussen 1 en 1440 minuten liggen"),
        ({"date": dt.date(2020, 1, 1)}, "de datum ligt vóór de start van de koppeling"),
    ],
)
def test_invalid_input_shows_a_message_keeps_the_form_and_writes_nothing(app_store, changes, expected):
    engine, _builder = app_store
    at = run_app(Scope.coordinator("coco"), page=PAGE)
    before = (count_rows(engine, Meeting), count_rows(engine, AuditEvent))
    gid = group_id(engine, GROUP)
    fill_log_form(at, group=gid, **changes)
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    # at the field, as a sentence: the rule's text with a capital (the import uses it mid-line, lower case)
    assert "Niet opgeslagen" in errors and expected[:1].upper() + expected[1:] in errors
    assert (count_rows(engine, Meeting), count_rows(engine, AuditEvent)) == before
    # What was typed is still there.
    if "date" in changes:
        assert at.date_input(key=log_key(gid, "date")).value == changes["date"]
    if "members" in changes:
        assert at.number_input(key=log_key(gid, "members_present")).value == changes["members"]


def test_duplicate_asks_for_confirmation_before_saving(app_store, sheets):
    engine, _builder = app_store
    meetings = sheets["bijeenkomsten"]
    existing = meetings[meetings["groep_code"] == GROUP].sort_values("datum").iloc[-1]
    at = run_app(Scope.coordinator("coco"), page=PAGE)
    rows = count_rows(engine, Meeting)
    gid = group_id(engine, GROUP)
    fill_log_form(at, group=gid, date=existing["datum"].date(), kind=existing["soort"])
    assert count_rows(engine, Meeting) == rows
    assert "al een bijeenkomst van deze soort" in texts(at)
    at.button(key=log_key(gid, "confirm")).click().run()
    assert not at.exception
    assert count_rows(engine, Meeting) == rows + 1


def test_edit_and_delete_a_meeting(app_store):
    engine, builder = app_store
    gid = group_id(engine, GROUP)
    with Session(engine) as s:
        meeting = s.exec(
            select(Meeting).where(Meeting.group_id == gid).order_by(Meeting.date.desc(), Meeting.id.desc())
        ).first()
    at = open_tab(run_app(builder, page=PAGE), "meetings", "Bewerken of verwijderen")
    at.selectbox(key="meetings_edit_group").set_value(gid).run()
    choice = at.selectbox(key=f"meetings_edit_choice_{gid}")
    assert choice.value is None and choice.options[0].startswith(
        meeting.date.strftime("%-d ")
    )  # newest first, none chosen
    choice.set_value(meeting.id).run()
    prefix = f"meetings_edit-{meeting.id}-"
    at.number_input(key=prefix + "duration_minutes").set_value(25)
    at.button(key=prefix + "submit").click().run()
    assert not at.exception
    assert (
        len(at.success) == 1
        and at.success[0].value.startswith("Bijeenkomst van ")
        and at.success[0].value.endswith(" is gewijzigd.")
    )
    with Session(engine) as s:
        changed = s.get(Meeting, meeting.id)
        assert (changed.duration_minutes, changed.version) == (25, meeting.version + 1)

    rows = count_rows(engine, Meeting)
    at.button(key=f"meetings_delete-{meeting.id}-button").click().run()
    assert "echt verwijderen? Dit kan niet ongedaan worden gemaakt" in texts(at)
    assert count_rows(engine, Meeting) == rows  # asking is not deleting
    at.button(key=f"meetings_delete-{meeting.id}-confirm").click().run()
    assert not at.exception
    assert count_rows(engine, Meeting) == rows - 1
    with Session(engine) as s:
        assert s.get(Meeting, meeting.id) is None
        actions = [e.action for e in s.exec(select(AuditEvent).where(AuditEvent.table_name == "meeting"))]
    assert actions == ["update", "delete"]


def test_programme_year_view_and_cadence_tab(app_store, sheets):
    engine, _builder = app_store
    matches = sheets["koppelingen"]
    started_2025 = set(matches.loc[matches["gestart_op"].dt.year == 2025, "groep_code"])
    at = run_app(Scope.coordinator("coco"), page=PAGE)
    at.radio(key="meetings_view").set_value("programme").run()
    at.selectbox(key="meetings_year").set_value(2025).run()
    assert not at.exception
    heatmap = charts(at)["heatmap"]["data"][0]
    assert heatmap["x"] == [f"Maand {m}" for m in range(1, 13)]
    assert {label.split(" · ")[0] for label in heatmap["y"]} == started_2025
    # Both charts below it speak of programme months, in meetings per group that reached the month.
    assert {"Per programmamaand per gemeente", "Per programmamaand per soort bijeenkomst"} <= set(
        s.value for s in at.subheader
    )
    for chart in ("scatter", "bar"):  # per municipality, per kind
        assert charts(at)[chart]["layout"]["yaxis"]["title"]["text"] == "Bijeenkomsten per groep"
    assert "Regelmaat per actieve groep" not in texts(at)  # only the open tab runs
    assert "Regelmaat per actieve groep" in texts(open_tab(at, "meetings", "Regelmaat"))
    assert not at.get("plotly_chart")


def test_page_in_english_has_no_missing_texts(app_store):
    at = run_app(Scope.coordinator("coco"), lang="en", page=PAGE)
    assert not at.exception
    shown = texts(at)
    assert "Meetings per group per week in 2026" in shown
    assert "meetings." not in shown and "validation." not in shown


def test_edit_after_someone_else_changed_the_meeting_overwrites_nothing(app_store):
    engine, builder = app_store
    gid = group_id(engine, GROUP)
    at = open_tab(run_app(builder, page=PAGE), "meetings", "Bewerken of verwijderen")
    at.selectbox(key="meetings_edit_group").set_value(gid).run()
    with Session(engine) as s:
        meeting_id = s.exec(
            select(Meeting.id).where(Meeting.group_id == gid).order_by(Meeting.date.desc())
        ).first()
    at.selectbox(key=f"meetings_edit_choice_{gid}").set_value(meeting_id).run()
    with Session(engine) as s:
        seen = s.get(Meeting, meeting_id)
    # Meanwhile the coordinator changes the members present.
    meeting_service.update_meeting(
        engine,
        Scope.coordinator("coco"),
        meeting_id=meeting_id,
        expected_version=seen.version,
        date=seen.date,
        kind=seen.kind,
        duration_minutes=seen.duration_minutes,
        members_present=0,
        newcomers_present=seen.newcomers_present,
        note=seen.note,
    )
    prefix = f"meetings_edit-{meeting_id}-"
    at.number_input(key=prefix + "duration_minutes").set_value(5)
    at.button(key=prefix + "submit").click().run()
    assert not at.exception
    assert "is intussen door iemand anders gewijzigd. Er is niets opgeslagen" in texts(at)
    with Session(engine) as s:
        now = s.get(Meeting, meeting_id)
    assert (now.duration_minutes, now.members_present, now.version) == (
        seen.duration_minutes,
        0,
        seen.version + 1,
    )
    # The form now shows the stored values, ready for a second try.
    assert at.number_input(key=prefix + "members_present").value == 0


def test_empty_store_says_there_is_nothing_yet(engine):
    create_user(engine, "coco", "een lang wachtwoord", "coordinator")
    at = run_app(Scope.coordinator("coco"), page=PAGE)
    assert not at.exception
    shown = texts(at)
    assert "Geen groepen met een bijeenkomst of een lopende koppeling in 2026." in shown
    assert "Er zijn geen actieve groepen." in texts(open_tab(at, "meetings", "Regelmaat"))
    assert "nog niets om vast te leggen" in texts(open_tab(at, "meetings", "Bijeenkomst vastleggen"))


def test_programme_year_of_a_weekly_variant_speaks_of_weeks_everywhere(app_store, sheets):
    # 0518-001 is the workbook's studenten group (10 weeks), matched in 2022: that cohort has a week grid.
    groups = sheets["groepen"]
    assert groups.loc[groups["groep_code"] == "0518-001", "variant"].iloc[0] == "studenten"
    at = run_app(Scope.coordinator("coco"), page=PAGE)
    at.radio(key="meetings_view").set_value("programme").run()
    at.selectbox(key="meetings_year").set_value(2022).run()
    at.radio(key="meetings_unit").set_value("weeks").run()
    assert not at.exception, at.exception
    weeks = [f"Week {w}" for w in range(1, 11)]
    assert charts(at)["heatmap"]["data"][0]["x"] == weeks
    assert {"Per programmaweek per gemeente", "Per programmaweek per soort bijeenkomst"} <= {
        s.value for s in at.subheader
    }
    caption = "Per programmaweek: bijeenkomsten gedeeld door het aantal groepen dat die week bereikte."
    assert caption in texts(at)
    for chart in ("scatter", "bar"):
        assert all(len(trace["x"]) == 10 for trace in charts(at)[chart]["data"])
