"""The meeting charts are pure functions: a small hand-made frame in, the figure's data checked."""

import datetime as dt

import pandas as pd

from samenhier.charts import meetings as charts

D = dt.date.fromisoformat


def test_heatmap_keeps_every_week_and_leaves_empty_weeks_empty():
    weeks = ["2026-W01", "2026-W02", "2026-W03"]
    grid = pd.DataFrame(
        {
            "group_id": [7, 7, 7, 3, 3, 3],
            "code": ["B", "B", "B", "A", "A", "A"],
            "week": weeks * 2,
            "meetings": [2, 0, 0, 0, 0, 0],
            "details": [
                [(D("2025-12-29"), "online"), (D("2026-01-02"), "groepsactiviteit")],
                [],
                [],
                [],
                [],
                [],
            ],
        }
    )
    fig = charts.meeting_heatmap(
        grid,
        row_key="group_id",
        row_label=lambda r: r["code"],
        row_title=lambda r: f"{r['code']} in full",
        column="week",
        columns=weeks,
        describe=lambda d: ";".join(f"{day}:{kind}" for day, kind in d),
        x_title="week",
    )
    trace = fig.data[0]
    assert list(trace.x) == weeks  # W03 has no meeting anywhere and is still on the axis
    assert list(trace.y) == ["B", "A"]  # rows in the grid's order, not sorted
    assert [list(r) for r in trace.z] == [
        [2, 0, 0],
        [0, 0, 0],
    ]  # 0: no meeting (white), not "outside the year"
    # count, the meetings, and the row's full title for the hover text (the axis keeps the short label)
    assert list(trace.customdata[0][0]) == ["2", "2025-12-29:online;2026-01-02:groepsactiviteit", "B in full"]
    assert list(trace.customdata[1][2]) == ["0", "", "A in full"]  # A, W03: 0 meetings, none listed
    assert "%{customdata[2]}" in trace.hovertemplate
    assert fig.layout.xaxis.type == "category"


def test_monthly_charts_sum_kinds_and_leave_missing_months_out():
    monthly = pd.DataFrame(
        {
            "municipality": ["Almere", "Almere", "Den Haag", "Den Haag"],
            "month": [1, 1, 1, 2],
            "kind": ["online", "groepsactiviteit", "online", "online"],
            "meetings": [1, 2, 4, 0],
        }
    )
    labels = [f"m{m}" for m in range(1, 13)]
    by_town = charts.meetings_by_municipality(monthly, month_labels=labels, axis_title="n")
    towns = {t.name: list(t.y) for t in by_town.data}
    assert towns["Almere"][:3] == [3, None, None]  # 1 + 2 in January; February is not in the frame for Almere
    assert towns["Den Haag"][:3] == [4, 0, None]
    by_kind = charts.meetings_by_kind(monthly, month_labels=labels, kind_label=str.upper, axis_title="n")
    kinds = {t.name: list(t.y) for t in by_kind.data}
    assert kinds["ONLINE"][:2] == [5, 0] and kinds["GROEPSACTIVITEIT"][:2] == [2, None]
    assert set(kinds) == {"GROEPSACTIVITEIT", "ÉÉN-OP-ÉÉN", "BEZOEK COMMUNITY BUILDER", "ONLINE"}


def test_programme_bars_by_kind_are_per_group_like_the_municipality_lines_and_weeks_have_ten_columns():
    # Studenten (10 weeks): week 1 had 3 groups (2 in Almere, 1 in Den Haag), week 2 had 2. Almere's 2 groups
    # met 4 times online and once in a group activity in week 1; Den Haag's group twice online.
    monthly = pd.DataFrame(
        {
            "municipality": ["Almere", "Almere", "Den Haag", "Almere"],
            "month": [1, 1, 1, 2],
            "kind": ["online", "groepsactiviteit", "online", "online"],
            "meetings": [4, 1, 2, 3],
        }
    )
    groups = pd.DataFrame(
        {"municipality": ["Almere", "Den Haag", "Almere"], "month": [1, 1, 2], "groups": [2, 1, 2]}
    )
    weeks = [f"Week {w}" for w in range(1, 11)]
    by_kind = charts.meetings_by_kind(
        monthly, month_labels=weeks, kind_label=str, axis_title="per groep", groups=groups
    )
    kinds = {t.name: list(t.y) for t in by_kind.data}
    # online: (4 + 2) / 3 groups in week 1 = 2.0; 3 / 2 in week 2 = 1.5; groepsactiviteit 1 / 3 = 0.33
    assert kinds["online"][:3] == [2.0, 1.5, None]
    assert kinds["groepsactiviteit"][:2] == [0.33, None]
    assert all(len(t.x) == len(t.y) == 10 for t in by_kind.data)
    by_town = charts.meetings_by_municipality(
        monthly, month_labels=weeks, axis_title="per groep", groups=groups
    )
    towns = {t.name: list(t.y) for t in by_town.data}
    assert towns["Almere"][:2] == [2.5, 1.5] and towns["Den Haag"][:2] == [
        2.0,
        None,
    ]  # (4 + 1) / 2; 3 / 2; 2 / 1
    assert all(len(t.x) == len(t.y) == 10 for t in by_town.data)


def test_one_municipality_is_still_named_in_the_legend():
    monthly = pd.DataFrame({"municipality": ["Den Haag"], "month": [1], "kind": ["online"], "meetings": [2]})
    fig = charts.meetings_by_municipality(monthly, month_labels=["Week 1", "Week 2"], axis_title="n")
    assert fig.layout.showlegend is True and [t.name for t in fig.data] == ["Den Haag"]
