"""The disclosure rules (samenhier/disclosure.py) on small hand-made tables, values worked out by hand."""

from __future__ import annotations

import math

import pandas as pd

from samenhier.disclosure import (
    cell_safe,
    dominance_n,
    hide_count,
    keep_safe_cells,
    one_sided,
    share_or_none,
    share_shown,
    suppress_small,
)


def test_threshold_and_dominance_rules():
    assert dominance_n(5) == 10
    # 0% or 100% over 5–9 people reveals everyone's answer; over 10 or more it may be shown
    assert one_sided(0, 7, 5) and one_sided(7, 7, 5) and not one_sided(3, 7, 5)
    assert not one_sided(0, 10, 5) and not one_sided(10, 10, 5) and not one_sided(0, 0, 5)
    assert [hide_count(n, 5) for n in (0, 1, 4, 5, None)] == [0, None, None, 5, None]
    # a cell: at least 5 people, and (below 10) no answer held by nobody or by everyone
    assert cell_safe(5, [2, 3], 5) and not cell_safe(4, [2, 2], 5) and not cell_safe(6, [0, 6], 5)
    assert cell_safe(10, [0, 10], 5)
    # a distribution's bar: only "everyone in one bar" counts (a value nobody gave describes nobody)
    assert cell_safe(6, [], 5, full=[0, 0, 6, 0]) is False and cell_safe(6, [], 5, full=[0, 1, 5, 0]) is True
    # the documents' stricter share: neither the part nor the rest may be a group of 1–4
    assert (
        share_shown(5, 10, 5)
        and not share_shown(3, 20, 5)
        and not share_shown(17, 20, 5)
        and not share_shown(0, 7, 5)
    )
    assert (
        share_or_none(0.0, 7, 5) is None
        and share_or_none(0.0, 12, 5) == 0.0
        and share_or_none(0.5, 4, 5) is None
    )


def test_a_suppressed_row_shows_neither_its_figures_nor_its_n():
    frame = pd.DataFrame({"n": [3.0, 8.0, 0.0, math.nan], "k": [1.0, 4.0, 0.0, math.nan]})
    out = suppress_small(frame, n="n", columns=["k"], min_n=5)
    assert list(out["suppressed"]) == [True, False, True, True]
    assert math.isnan(out.loc[0, "n"]) and math.isnan(out.loc[0, "k"])
    assert out.loc[1, "n"] == 8 and out.loc[1, "k"] == 4
    assert out.loc[2, "n"] == 0  # nobody: 0 describes nobody


def test_small_cells_are_left_out_and_pooled_only_without_a_filter():
    # Two groups per cell. Cell A (Haarlem, 2019): 3 + 3 = 6 people, 2 lonely: safe.
    # Cell B (Den Haag, 2019): 2 people: too small. Cell C (Den Haag, 2020): 4 people, 4 lonely (and too small).
    rows = pd.DataFrame(
        {
            "group_id": [1, 2, 3, 4],
            "municipality": ["Haarlem", "Haarlem", "Den Haag", "Den Haag"],
            "variant": ["s"] * 4,
            "cohort": [2019, 2019, 2019, 2020],
            "wave": ["t"] * 4,
            "n": [3, 3, 2, 4],
            "lonely": [1, 1, 2, 4],
        }
    )
    rows["rest"] = rows["n"] - rows["lonely"]
    kept = keep_safe_cells(rows, by=["wave"], n="n", parts=["lonely", "rest"], min_n=5)
    assert list(kept["group_id"]) == [1, 2] and not kept["pooled"].any()
    # Without a filter the small cells count together when that pool is safe: B + C = 6 people, 6 lonely
    # is 100% of fewer than 10, so the pool is not safe and stays out.
    assert list(
        keep_safe_cells(rows, by=["wave"], n="n", parts=["lonely", "rest"], min_n=5, pool=True)["group_id"]
    ) == [1, 2]
    # With one lonely person less in C the pool (6 people, 5 lonely) is safe and counts.
    rows.loc[3, ["lonely", "rest"]] = [3, 1]
    pooled = keep_safe_cells(rows, by=["wave"], n="n", parts=["lonely", "rest"], min_n=5, pool=True)
    assert list(pooled["group_id"]) == [1, 2, 3, 4] and list(pooled["pooled"]) == [False, False, True, True]
