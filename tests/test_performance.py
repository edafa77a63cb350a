"""The work done for national scale keeps every figure the same: vectorised rules against the rules
themselves, row-limited heatmaps against the full ones, SQL-side counts against hand-worked values,
the bulk meetings import against its old rules (new / changed / unchanged, version + 1), paging and
the searchable picker in the browser. No timings here: those are in ``python -m samenhier bench``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import statistics

import pandas as pd
import pytest
from meetings_helpers import build_store
from sqlalchemy import text
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from samenhier.charts.matching import funnel as funnel_chart
from samenhier.io.workbook import import_frames
from samenhier.models import MatchStatus, Meeting, Wave
from samenhier.queries import groups as group_queries
from samenhier.queries import meetings as meeting_queries
from samenhier.rules import (
    group_year_month,
    group_year_months,
    survey_waves_reached,
    survey_waves_reached_columns,
)

AS_OF = dt.date(2026, 11, 15)
D = dt.date.fromisoformat

# Starts and as-of dates around month ends and a leap day, where "one calendar month later" clips.
STARTS = [
    D(d)
    for d in (
        "2024-01-31",
        "2024-02-29",
        "2025-01-31",
        "2025-03-31",
        "2025-08-31",
        "2025-11-15",
        "2025-11-16",
        "2025-12-31",
        "2026-01-15",
        "2026-02-28",
        "2026-11-15",
        "2026-11-16",
    )
]
AS_OFS = [
    D(d)
    for d in (
        "2024-02-29",
        "2025-02-28",
        "2025-09-30",
        "2026-02-28",
        "2026-03-01",
        "2026-11-15",
        "2026-12-31",
    )
]


# ------------------------------------------------------------------------------------- vectorised rules


def test_group_year_months_is_group_year_month_for_every_pair():
    for as_of in AS_OFS:
        got = group_year_months(pd.Series([*STARTS, None], dtype=object), as_of)
        expected = [group_year_month(s, as_of) for s in STARTS] + [None]
        assert [None if pd.isna(v) else int(v) for v in got] == expected, as_of


def test_survey_waves_reached_columns_is_survey_waves_reached_for_every_case():
    ends = [None, D("2025-09-30"), D("2026-02-28"), D("2026-08-31"), D("2026-11-15")]
    cases = [
        (s, e, status)
        for s, e, status in itertools.product([None, *STARTS], ends, [m.value for m in MatchStatus])
        if e is None or (s is not None and e >= s)
    ]
    frame = pd.DataFrame(cases, columns=["started", "ended", "status"])
    for as_of in AS_OFS:
        got = survey_waves_reached_columns(frame["started"], frame["ended"], frame["status"], as_of)
        for i, (started, ended, status) in enumerate(cases):
            expected = {w.value for w in survey_waves_reached(started, ended, status, as_of)}
            assert {w.value for w in Wave if got.iloc[i][w.value]} == expected, (
                started,
                ended,
                status,
                as_of,
            )


# ------------------------------------------------------------------------------------- reads


@pytest.fixture
def store(engine):
    return build_store(engine)


def test_kpis_counted_in_sql_hand_worked(engine, store):
    kpis = group_queries.kpis(engine, store.coordinator, as_of=AS_OF)
    # Active: T-001, T-003, T-004, T-005. Met within 21 days of 15 November (on or after 25 October):
    # only T-001 (10 November); T-005 last met 23 October (23 days), T-003 and T-004 never.
    assert (kpis.active_groups, kpis.groups_waiting) == (4, 0)
    assert kpis.share_met_recently == 1 / 4
    # Meetings dated 16 October … 15 November: T-001 on 20, 25, 25 October, 1 and 10 November; T-005 on 23 October.
    assert kpis.meetings_last_30_days == 6
    assert kpis.newcomers_waiting == 0  # every newcomer of the store is matched


def test_kpis_for_a_builder_only_count_their_groups(engine, store):
    kpis = group_queries.kpis(engine, store.bram, as_of=AS_OF)
    # Bram's active group is T-004 (no meetings).
    assert (kpis.active_groups, kpis.share_met_recently, kpis.meetings_last_30_days) == (1, 0.0, 0)


def test_week_heatmap_with_max_rows_is_the_first_rows_of_the_whole_grid(engine, store):
    whole = meeting_queries.week_heatmap(engine, store.coordinator, year=2026)
    rows = list(whole["group_id"].drop_duplicates())
    assert meeting_queries.week_heatmap_size(engine, store.coordinator, year=2026) == len(rows) == 4
    first_two = meeting_queries.week_heatmap(engine, store.coordinator, year=2026, max_rows=2)
    expected = whole[whole["group_id"].isin(rows[:2])].reset_index(drop=True)
    pd.testing.assert_frame_equal(first_two, expected)
    assert meeting_queries.week_heatmap_size(engine, store.bram, year=2026) == 1  # T-004 ran this year


def test_programme_heatmap_with_max_rows_is_the_first_rows_of_the_whole_grid(engine, store):
    whole = meeting_queries.programme_heatmap(engine, store.coordinator, year=2026, as_of=AS_OF)
    matches = list(whole["match_id"].drop_duplicates())
    assert meeting_queries.programme_heatmap_size(engine, store.coordinator, year=2026) == len(matches) == 3
    first = meeting_queries.programme_heatmap(engine, store.coordinator, year=2026, as_of=AS_OF, max_rows=1)
    pd.testing.assert_frame_equal(first, whole[whole["match_id"] == matches[0]].reset_index(drop=True))


def test_cadence_median_gap_of_an_odd_number_of_gaps(engine, store):
    days = [D("2026-10-02"), D("2026-10-05"), D("2026-10-05"), D("2026-10-12"), D("2026-11-01")]
    with Session(engine) as session:
        for day in days:  # T-003's match started 1 October 2026
            session.add(
                Meeting(
                    group_id=store.groups["T-003"],
                    date=day,
                    kind="online",
                    duration_minutes=60,
                    members_present=1,
                    newcomers_present=1,
                    version=1,
                )
            )
        session.commit()
    row = meeting_queries.cadence(engine, store.coordinator, as_of=AS_OF).set_index("code").loc["T-003"]
    distinct = sorted(set(days))
    gaps = [
        (b - a).days for a, b in itertools.pairwise(distinct)
    ]  # 3, 7, 20 (two meetings on 5 October: one date)
    assert row["median_gap_days"] == statistics.median(gaps) == 7
    assert row["longest_gap_days"] == max(gaps) == 20
    assert row["meetings_4w"] == 1  # after 18 October: 1 November


# ------------------------------------------------------------------------------------- bulk meetings import


def test_meetings_only_import_counts_and_versions(
    imported_engine, workbook_frames, workbook_sheets, dump_tables
):
    sheet = workbook_sheets["bijeenkomsten"]
    meetings = workbook_frames["bijeenkomsten"]
    again = import_frames(imported_engine, {"bijeenkomsten": meetings}, username="test")
    assert [(s.sheet, s.new, s.changed, s.unchanged) for s in again.sheets] == [
        ("bijeenkomsten", 0, 0, len(sheet))
    ]

    unique = sheet.groupby(["groep_code", "datum", "soort"])["duur_minuten"].transform("size") == 1
    first, second = (int(i) for i in sheet.index[unique][:2])
    new_duration = 45 if int(sheet.loc[first, "duur_minuten"]) != 45 else 50
    meetings.loc[first, "duur_minuten"] = new_duration
    meetings.loc[second, "notitie"] = "nieuwe notitie"
    extra = meetings.loc[[first]].assign(datum="01-01-2010")  # a date nobody met on: a new meeting
    meetings = pd.concat([meetings, extra], ignore_index=True)
    before = dump_tables(imported_engine)
    result = import_frames(imported_engine, {"bijeenkomsten": meetings}, username="test")
    after = dump_tables(imported_engine)

    assert [(s.new, s.changed, s.unchanged) for s in result.sheets] == [(1, 2, len(sheet) - 2)]
    assert len(after["meeting"]) == len(before["meeting"]) + 1
    for name in before:
        if name not in ("meeting", "audit_event"):
            assert after[name] == before[name], name
    with imported_engine.connect() as c:

        def stored(i: int):
            return c.execute(
                text(
                    "SELECT mt.duration_minutes, mt.note, mt.version FROM meeting mt JOIN welcome_group g ON g.id = mt.group_id "
                    "WHERE g.code = :g AND mt.date = :d AND mt.kind = :k"
                ),
                {
                    "g": sheet.loc[i, "groep_code"],
                    "d": pd.Timestamp(sheet.loc[i, "datum"]).date().isoformat(),
                    "k": sheet.loc[i, "soort"],
                },
            ).one()

        assert tuple(stored(first))[::2] == (new_duration, 2)
        assert tuple(stored(second))[1:] == ("nieuwe notitie", 2)
        assert c.execute(
            text("SELECT count(*), min(version) FROM meeting WHERE date = '2010-01-01'")
        ).one() == (1, 1)


# ------------------------------------------------------------------------------------- charts


def test_funnel_grid_of_forty_municipalities():
    names = [
        f"Gemeente {i:02d}" for i in range(40)
    ]  # 10 rows of 4: make_subplots refused more than 9 rows here
    frame = pd.DataFrame(
        [
            (n, step, 40 - i - k)
            for i, n in enumerate(names)
            for k, step in enumerate(("registered", "proposed"))
        ],
        columns=["municipality", "step", "newcomers"],
    )
    fig = funnel_chart(frame, steps=("registered", "proposed", "started"), label=str.upper)
    assert [t.name for t in fig.data] == names
    assert [list(t.x) for t in fig.data[:2]] == [[40, 39, 0], [39, 38, 0]]
    assert [a.text for a in fig.layout.annotations] == names
    layout = fig.layout.to_plotly_json()
    axes = [axis for name, axis in layout.items() if name.startswith(("xaxis", "yaxis"))]
    assert len(axes) == 80 and all(0 <= a["domain"][0] < a["domain"][1] <= 1 for a in axes)
    # One row shares its y axis (the steps): the second row's funnels follow its first, y5.
    assert [t.yaxis for t in fig.data[4:8]] == ["y5", "y6", "y7", "y8"]
    assert [layout[f"yaxis{i}"].get("matches") for i in (5, 6, 7, 8)] == [None, "y5", "y5", "y5"]


# ------------------------------------------------------------------------------------- widgets


def _pager_app():
    import pandas as pd
    import streamlit as st

    from samenhier.widgets import paginate

    rows = st.session_state.get("rows", 250)
    shown = paginate(pd.DataFrame({"n": range(rows)}), key="pager")
    st.dataframe(shown)


def test_paginate_shows_one_page_and_clamps_when_the_table_shrinks():
    at = AppTest.from_function(_pager_app, default_timeout=30)
    at.session_state["lang"] = "nl"
    at.run()
    assert list(at.dataframe[0].value["n"]) == list(range(100))
    assert at.caption[0].value == "Rij 1–100 van 250"
    at.number_input(key="pager").set_value(3).run()
    assert list(at.dataframe[0].value["n"]) == list(range(200, 250))
    at.session_state["rows"] = 150  # a filter made the table shorter: page 3 no longer exists
    at.run()
    assert not at.exception and list(at.dataframe[0].value["n"]) == list(range(100, 150))
    at.session_state["rows"] = 40
    at.run()
    assert len(at.number_input) == 0 and list(at.dataframe[0].value["n"]) == list(range(40))


def _picker_app():
    import pandas as pd
    import streamlit as st

    from samenhier.actions import choose_later, pick

    n = st.session_state.get("n", 500)
    groups = pd.DataFrame(
        {
            "code": [f"G{i:04d}" for i in range(n)],
            "text": [f"G{i:04d} · Groep {'Noord' if i % 2 else 'Zuid'} {i}" for i in range(n)],
        }
    )
    if st.session_state.pop("deep_link", None):
        choose_later("group", st.session_state.pop("deep_link_code"))
    row = pick(groups, key="group", id_column="code", label="Groep", format_row=lambda r: r.text, limit=200)
    st.session_state["picked"] = None if row is None else row["code"]


def test_pick_searches_long_lists_and_keeps_the_choice():
    at = AppTest.from_function(_picker_app, default_timeout=30)
    at.session_state["lang"] = "nl"
    at.session_state["deep_link"], at.session_state["deep_link_code"] = True, "G0450"
    at.run()
    box = at.selectbox(key="group")
    assert len(box.options) == 201 and box.value == "G0450"  # the first 200 and the chosen one (a deep link)
    assert at.session_state["picked"] == "G0450"
    assert "200 van 500" in at.caption[0].value
    at.text_input(key="group_search").set_value("noord 4").run()
    box = at.selectbox(key="group")
    expected = [
        f"G{i:04d}" for i in range(500) if i % 2 and f" {i}".startswith(" 4")
    ]  # "Noord 4…", case-insensitive
    assert [o.split(" · ")[0] for o in box.options] == ["G0450", *expected]
    at.selectbox(key="group").set_value("G0041").run()
    at.text_input(key="group_search").set_value(
        "bestaat niet"
    ).run()  # no match: the choice made stays offered
    box = at.selectbox(key="group")
    assert [o.split(" · ")[0] for o in box.options] == ["G0041"] and box.value == "G0041"
    assert "0 van 0" in at.caption[0].value
    at.session_state["n"] = (
        20  # a short list without the chosen group: a plain selectbox, the choice is dropped
    )
    at.run()
    box = at.selectbox(key="group")
    assert len(at.text_input) == 0 and len(box.options) == 20 and box.value is None
    assert at.session_state["picked"] is None
