"""Chart specs (issue 14, item 9): one fixed colour-blind-safe colour per municipality in every chart,
whole-number count axes, the current month marked as partial, the heatmap's "outside the year" apart
from "no meeting", and Programmajaar as meetings per group that reached the month.

Expected values are worked out by hand from the small frames below and from the Okabe–Ito palette.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from samenhier.charts import matching as matching_charts
from samenhier.charts import meetings as meeting_charts
from samenhier.charts import progress as progress_charts
from samenhier.charts import style
from samenhier.queries import meetings as meeting_queries

D = dt.date.fromisoformat
MONTHS = [f"m{m}" for m in range(1, 13)]
OKABE_ITO = {"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}


def monthly(rows):
    return pd.DataFrame(rows, columns=["municipality", "month", "kind", "meetings"])


def test_every_municipality_has_one_fixed_okabe_ito_colour():
    assert style.municipality_colour("Den Haag") == "#0072B2"  # first of the reference list: blue
    assert style.municipality_colour("Almere") == "#E69F00"  # orange
    assert style.municipality_colour("Haarlem") == "#009E73"  # bluish green
    assert style.municipality_colour("Rotterdam") == "#CC79A7"  # reddish purple
    from samenhier.municipalities import MUNICIPALITIES

    looks = {(style.municipality_colour(m), style.municipality_dash(m)) for m in MUNICIPALITIES}
    assert len(looks) == len(MUNICIPALITIES) == 40  # colour and dash together tell all forty apart
    assert {style.municipality_colour(m) for m in MUNICIPALITIES} == OKABE_ITO
    assert (
        style.municipality_colour("Nergenshuizen") == style.municipality_colour("Nergenshuizen") in OKABE_ITO
    )


def test_a_municipality_keeps_its_colour_across_charts_and_filters():
    both = monthly([("Almere", 1, "online", 2), ("Rotterdam", 1, "online", 1)])
    only_rotterdam = monthly([("Rotterdam", 1, "online", 1)])
    lines = {
        t.name: t.line.color
        for t in meeting_charts.meetings_by_municipality(both, month_labels=MONTHS, axis_title="n").data
    }
    alone = {
        t.name: t.line.color
        for t in meeting_charts.meetings_by_municipality(
            only_rotterdam, month_labels=MONTHS, axis_title="n"
        ).data
    }
    # Rotterdam is the second line in one chart and the first in the other: its colour does not move
    assert lines == {"Almere": "#E69F00", "Rotterdam": "#CC79A7"} and alone == {"Rotterdam": "#CC79A7"}
    funnel = matching_charts.funnel(
        pd.DataFrame(
            {
                "municipality": ["Almere", "Rotterdam"],
                "step": ["registered", "registered"],
                "newcomers": [3, 2],
            }
        ),
        steps=("registered",),
        label=str,
    )
    assert {t.name: t.marker.color for t in funnel.data} == {"Almere": "#E69F00", "Rotterdam": "#CC79A7"}
    grid = pd.DataFrame(
        {
            "group_id": [1, 2],
            "code": ["A", "R"],
            "municipality": ["Almere", "Rotterdam"],
            "week": ["2026-W01"] * 2,
            "meetings": [1, 0],
            "details": [[], []],
        }
    )
    heatmap = meeting_charts.meeting_heatmap(
        grid,
        row_key="group_id",
        row_label=lambda r: r["code"],
        column="week",
        columns=["2026-W01"],
        describe=str,
        x_title="",
    )
    assert {a.text: a.font.color for a in heatmap.layout.annotations} == {
        "<b>Almere</b>": "#E69F00",
        "<b>Rotterdam</b>": "#CC79A7",
    }


@pytest.mark.parametrize(
    ("largest", "dtick"), [(0, 1), (3, 1), (6, 1), (7, 2), (12, 2), (13, 5), (40, 10), (250, 50), (1300, 500)]
)
def test_count_axes_step_in_whole_numbers(largest, dtick):
    assert style.count_dtick(largest) == dtick


def test_count_charts_have_integer_axes_and_mark_the_partial_month():
    frame = monthly(
        [("Almere", 1, "online", 2), ("Almere", 2, "online", 1), ("Almere", 3, "groepsactiviteit", 1)]
    )
    by_town = meeting_charts.meetings_by_municipality(
        frame, month_labels=MONTHS, axis_title="n", partial_month=3, partial_label="lopend"
    )
    assert (by_town.layout.yaxis.dtick, by_town.layout.yaxis.tickformat) == (1, "d")
    assert list(by_town.data[0].marker.symbol)[:4] == ["circle", "circle", "circle-open", "circle"]
    assert by_town.layout.annotations[0].text == "lopend" and by_town.layout.annotations[0].x == "m3"
    assert (by_town.layout.shapes[0].x0, by_town.layout.shapes[0].x1) == (
        1.5,
        2.5,
    )  # the band around the third category
    by_kind = meeting_charts.meetings_by_kind(
        frame, month_labels=MONTHS, kind_label=str, axis_title="n", partial_month=3, partial_label="lopend"
    )
    assert by_kind.layout.yaxis.dtick == 1 and by_kind.layout.yaxis.tickformat == "d"
    for trace in by_kind.data:
        assert list(trace.marker.pattern.shape)[:4] == ["", "", "/", ""]
    cadence = progress_charts.meeting_cadence(
        pd.DataFrame({"month": ["2026-10", "2026-11"], "meetings": [9, 3]}),
        axis_title="n",
        hover="%{y}",
        partial_month="2026-11",
        partial_label="lopend",
    )
    assert (
        cadence.layout.yaxis.dtick == 2 and cadence.layout.yaxis.tickformat == "d"
    )  # 9 meetings: steps of 2
    assert list(cadence.data[0].marker.pattern.shape) == ["", "/"]
    assert cadence.layout.annotations[0].text == "lopend"
    whole = meeting_charts.meetings_by_municipality(frame, month_labels=MONTHS, axis_title="n")
    assert not whole.layout.shapes and "circle-open" not in list(whole.data[0].marker.symbol)


def test_programme_year_shows_meetings_per_group_that_reached_the_month():
    frame = monthly([("Almere", 1, "online", 6), ("Almere", 2, "online", 3)])
    reached = pd.DataFrame({"municipality": ["Almere", "Almere"], "month": [1, 2], "groups": [3, 1]})
    fig = meeting_charts.meetings_by_municipality(frame, month_labels=MONTHS, axis_title="n", groups=reached)
    # January: 6 meetings by 3 groups; February: 3 meetings by the 1 group that got there — more per group, not fewer
    assert list(fig.data[0].y)[:3] == [2.0, 3.0, None]


def test_heatmap_tells_outside_the_year_from_no_meeting_on_a_discrete_scale():
    grid = pd.DataFrame(
        {
            "group_id": [1, 1, 1],
            "code": ["A"] * 3,
            "municipality": ["Almere"] * 3,
            "week": ["2026-W01", "2026-W02", "2026-W03"],
            "meetings": [0, 0, 6],
            "details": [[], [], []],
        }
    )
    fig = meeting_charts.meeting_heatmap(
        grid,
        row_key="group_id",
        row_label=lambda r: r["code"],
        column="week",
        columns=list(grid["week"]),
        describe=str,
        x_title="",
        outside=pd.Series([True, False, False]),
    )
    trace = fig.data[0]
    assert list(trace.z[0]) == [-1, 0, 6]
    assert (trace.zmin, trace.zmax) == (-1.5, 4.5)  # 6 meetings take the top colour (4+)
    assert trace.showscale is False  # the legend is HTML under the chart: it wraps on a phone
    colours = [trace.colorscale[i][1] for i in range(0, len(trace.colorscale), 2)]
    # The legend names the six colours in the order of the scale: z = -1 (outside), 0, 1, 2, 3, 4+.
    legend = meeting_charts.heatmap_legend("Bijeenkomsten", ("buiten jaar", "0 <b>"))
    import re

    swatches = re.findall(r"background:(#[0-9a-f]{6});[^>]*></span>([^<]*)</span>", legend)
    assert swatches == list(zip(colours, ["buiten jaar", "0 &lt;b&gt;", "1", "2", "3", "4+"], strict=True))
    assert legend.count("Bijeenkomsten:") == 1
    assert len(colours) == 6 and len(set(colours)) == 6  # six flat steps: a discrete scale


def test_outside_group_year_rule():
    # A group year from Wednesday 2026-01-07: ISO week 1 (29 Dec – 4 Jan) ends before it; week 2 holds it.
    weeks = pd.DataFrame(
        {
            "week": ["2026-W01", "2026-W02", "2026-W47", "2027-W01", "2027-W02"],
            "start_date": [D("2026-01-07")] * 5,
        }
    )
    assert meeting_queries.outside_group_year(weeks, as_of=D("2027-01-20")).tolist() == [
        True,
        False,
        False,
        False,
        True,
    ]
    # 2027-W02 starts on 11 January 2027, after the twelve months (7 Jan 2026 up to 6 Jan 2027); as of 15 November
    # 2026 every week from W47 (16 November) on is in the future.
    assert meeting_queries.outside_group_year(weeks, as_of=D("2026-11-15")).tolist() == [
        True,
        False,
        True,
        True,
        True,
    ]
    no_start = pd.DataFrame({"week": ["2026-W01", "2026-W50"], "start_date": [None, None]})
    assert meeting_queries.outside_group_year(no_start, as_of=D("2026-11-15")).tolist() == [False, True]
    months = pd.DataFrame(
        {"start_date": [D("2026-01-15")] * 4, "ended_date": [D("2026-03-01")] * 4, "month": [1, 2, 3, 4]}
    )
    # months begin 15 Jan, 15 Feb, 15 Mar, 15 Apr; the match ended 1 March
    assert meeting_queries.outside_group_year(months, as_of=D("2026-11-15")).tolist() == [
        False,
        False,
        True,
        True,
    ]
