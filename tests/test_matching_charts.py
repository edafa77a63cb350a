"""The matching charts are pure: the figure carries exactly the numbers of the frame it was given."""

import pandas as pd

from samenhier.charts.matching import funnel, pending_matches, wait_times

SUMMARY = pd.DataFrame(
    {
        "municipality": ["Almere", "Haarlem"],
        "newcomers_waiting": [2, 7],
        "groups_waiting": [1, 4],
        "newcomer_wait_median": [114.0, None],
        "newcomer_wait_p90": [150.0, None],
        "group_wait_median": [161.0, 195.5],
        "group_wait_p90": [161.0, 301.9],
    }
)


def test_pending_matches_has_newcomers_next_to_groups():
    fig = pending_matches(SUMMARY, labels={"newcomers": "N", "groups": "G"}, axis_title="x")
    assert [(t.name, list(t.y), list(t.x)) for t in fig.data] == [
        ("N", ["Almere", "Haarlem"], [2, 7]),
        ("G", ["Almere", "Haarlem"], [1, 4]),
    ]
    assert fig.layout.barmode == "group"


def test_wait_times_rounds_days_and_leaves_out_what_is_missing():
    labels = {
        c: c for c in ("newcomer_wait_median", "newcomer_wait_p90", "group_wait_median", "group_wait_p90")
    }
    fig = wait_times(SUMMARY, labels=labels, axis_title="days")
    values = {t.name: list(t.x) for t in fig.data}
    assert values["group_wait_median"] == [161, 196]  # 195.5 rounds half to even: 196
    assert values["newcomer_wait_median"][0] == 114 and pd.isna(values["newcomer_wait_median"][1])


def test_one_funnel_per_municipality():
    frame = pd.DataFrame(
        {
            "municipality": ["Almere"] * 3 + ["Haarlem"] * 3,
            "step": ["registered", "proposed", "started"] * 2,
            "newcomers": [6, 4, 4, 10, 3, 3],
            "median_days": [None] * 6,
        }
    )
    fig = funnel(frame, steps=("registered", "proposed", "started", "completed"), label=str.upper)
    assert [list(t.x) for t in fig.data] == [[6, 4, 4, 0], [10, 3, 3, 0]]  # a missing step counts 0
    assert list(fig.data[0].y) == ["REGISTERED", "PROPOSED", "STARTED", "COMPLETED"]
    assert [a.text for a in fig.layout.annotations] == ["Almere", "Haarlem"]  # subplot titles
