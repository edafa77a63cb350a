"""Why the Enquêtes figures differ between filter choices and roles (issue 14): how many responses the cells
rule left out or pooled (samenhier/disclosure.py ``coverage``), the sentence that says so
(samenhier/survey_stats.py ``coverage_note``) and the page showing it only when something was left out or pooled.

The hand-worked example and the workbook figures are worked out here, without the code under test."""

from __future__ import annotations

import pandas as pd
import pytest

from samenhier.disclosure import coverage, keep_safe_cells
from samenhier.scope import Scope
from samenhier.survey_stats import coverage_note
from tests.apptest_helpers import open_tab, run_app
from tests.survey_workbook import _fold, scored_responses, sheets, surveyed_store

PAGE = "views/surveys.py"

# -- the accounting, by hand --------------------------------------------------------------------------

# One wave, min_n 5. Cells (municipality, variant, cohort) with n scored responses, of whom `lonely`:
#   Almere  statushouders 2025: n 6, lonely 2 -> safe (>= 5, 2/6 is neither 0% nor 100%)
#   Almere  studenten     2026: n 3, lonely 1 -> too small
#   Haarlem statushouders 2025: n 4, lonely 2 -> too small
#   Haarlem statushouders 2024: n 8, lonely 3 -> safe
# Without a filter the two small cells pool: n 7, lonely 3 (3/7) -> the pool is safe and counts.
# With a filter nothing pools: 3 + 4 = 7 responses are left out.
CELLS = pd.DataFrame(
    {
        "municipality": ["Almere", "Almere", "Haarlem", "Haarlem"],
        "variant": ["statushouders", "studenten", "statushouders", "statushouders"],
        "cohort": [2025, 2026, 2025, 2024],
        "wave": ["nulmeting"] * 4,
        "n": [6, 3, 4, 8],
        "lonely": [2, 1, 2, 3],
    }
)


def _accounting(rows: pd.DataFrame, *, pool: bool) -> dict:
    kept = keep_safe_cells(rows, by=["wave"], n="n", parts=["lonely"], min_n=5, pool=pool)
    return coverage(rows, kept, by=["wave"], n="n").set_index("wave").to_dict("index")


def test_with_a_filter_the_small_cells_are_left_out():
    assert _accounting(CELLS, pool=False) == {"nulmeting": {"people": 21, "left_out": 7, "pooled": 0}}


def test_without_a_filter_the_small_cells_count_together():
    assert _accounting(CELLS, pool=True) == {"nulmeting": {"people": 21, "left_out": 0, "pooled": 7}}


def test_a_pool_that_is_not_safe_itself_is_left_out_and_waves_are_counted_apart():
    # The small cells' lonely set to 0: the pool is 0 of 7, 0% under 10 people -> not safe, left out.
    # A second wave with one safe cell only: nothing left out there.
    rows = pd.concat(
        [
            CELLS.assign(lonely=[2, 0, 0, 3]),
            CELLS.iloc[[0]].assign(wave="eindmeting", n=12, lonely=5),
        ],
        ignore_index=True,
    )
    assert _accounting(rows, pool=True) == {
        "eindmeting": {"people": 12, "left_out": 0, "pooled": 0},
        "nulmeting": {"people": 21, "left_out": 7, "pooled": 0},
    }


# -- the sentence ---------------------------------------------------------------------------------------


def _shares(left_out: list[int], pooled: list[int]) -> pd.DataFrame:
    # loneliness_by_wave repeats a wave and role's left_out and pooled on each of its four categories.
    rows = []
    for (wave, role), out, pool in zip(
        [("nulmeting", "nieuwkomer"), ("nulmeting", "lid")], left_out, pooled, strict=True
    ):
        rows += [{"wave": wave, "role": role, "category": c, "left_out": out, "pooled": pool} for c in "abcd"]
    return pd.DataFrame(rows)


def test_no_note_when_every_response_counts_on_its_own():
    assert coverage_note(_shares([0, 0], [0, 0]), "nl") is None


def test_left_out_responses_are_named_without_their_number():
    # The number left out for two filter choices would differ by the size of a small cell: it is not given,
    # for 3 responses (a small cell) no more than for 1,207.
    for left_out in ([7, 1200], [3, 0]):
        note = coverage_note(_shares(left_out, [0, 0]), "nl")
        assert note.startswith(
            "Niet alle antwoorden tellen mee in deze cijfers: antwoorden uit groepjes (één gemeente, variant en "
            "startjaar) met te weinig antwoorden blijven weg."
        )
        assert "Zo kun je niemand herkennen" in note
        assert "samen mee" not in note
        assert not any(str(n) in note for n in (3, 7, 1200, 1207))
        english = coverage_note(_shares(left_out, [0, 0]), "en")
        assert english.startswith("Not every response is counted in these figures")


def test_pooled_responses_are_named_with_their_number():
    note = coverage_note(_shares([0, 0], [7, 9]), "nl")
    assert note.startswith(
        "16 antwoorden uit kleine groepjes (één gemeente, variant en startjaar) tellen alleen samen mee, niet per groepje."
    )
    assert "tellen mee in deze cijfers" not in note


# -- the page, on the shared workbook ---------------------------------------------------------------------


def _cells_by_hand(municipality: str) -> pd.DataFrame:
    """Per wave, role and cell of ``municipality``'s groups: n scored responses and the four category counts,
    with ``safe`` by the rules (n >= 5; under 10, no category 0% or 100%)."""
    wb = sheets()
    groups = wb["groepen"].assign(
        gemeente=lambda g: g["gemeente"].map(_fold).replace({"'s gravenhage": "den haag"}),
        variant=lambda g: g["variant"].map(_fold),
    )
    started = wb["koppelingen"].dropna(subset=["gestart_op"])
    cohort = started.groupby("groep_code")["gestart_op"].min().dt.year.rename("cohort")
    groups = groups.merge(cohort, left_on="groep_code", right_index=True, how="left").fillna({"cohort": -1})
    responses = scored_responses().drop(columns=["gemeente"]).merge(groups, on="groep_code")
    part = responses[(responses["gemeente"] == _fold(municipality)) & responses["total"].notna()]
    cells = (
        part.assign(
            lonely=part["total"] >= 2,
            not_lonely=part["total"] <= 1,
            moderate=part["total"].between(2, 4),
            severe=part["total"] >= 5,
        )
        .groupby(["meting", "rol", "variant", "cohort"])[["lonely", "not_lonely", "moderate", "severe"]]
        .agg(["sum", "size"])
    )
    out = pd.DataFrame(
        {
            "n": cells[("lonely", "size")],
            **{c: cells[(c, "sum")] for c in ("lonely", "not_lonely", "moderate", "severe")},
        }
    ).reset_index()
    counts = out[["lonely", "not_lonely", "moderate", "severe"]]
    one_sided = ((counts == 0) | counts.eq(out["n"], axis=0)).any(axis=1) & (out["n"] < 10)
    return out.assign(safe=(out["n"] >= 5) & ~one_sided)


@pytest.fixture
def surveyed_engine(db_url):
    yield from surveyed_store(db_url)


def _notes(at) -> list[str]:
    return [
        c.value
        for c in at.caption
        if "tellen mee in deze cijfers" in c.value or "tellen alleen samen" in c.value
    ]


def test_a_national_coordinator_filtering_on_haarlem_is_told_that_responses_are_left_out(surveyed_engine):
    cells = _cells_by_hand("Haarlem")
    left_out = int(cells.loc[~cells["safe"], "n"].sum())
    assert left_out > 0  # Haarlem has small cells: the note must say some responses are left out
    at = run_app(Scope.coordinator("coordinator"), page=PAGE)
    at.sidebar.multiselect(key="filter_municipalities").set_value(["Haarlem"]).run()
    open_tab(at, "surveys", "Eenzaamheid per meting")
    assert not at.exception
    [note] = _notes(at)
    assert note.startswith("Niet alle antwoorden tellen mee in deze cijfers")

    # Haarlem's groups of cohort 2022, members only: every cell safe, nothing left out or pooled: no note.
    at.multiselect(key="surveys_cohorts").set_value([2022]).run()
    at.multiselect(key="surveys_roles").set_value(["lid"]).run()
    assert not at.exception
    assert cells.query("cohort == 2022 and rol == 'lid'")["safe"].all()
    assert _notes(at) == []
    assert at.dataframe  # the figures are there, only the note is not


def test_rotterdams_coordinator_is_told_which_responses_count_only_together(surveyed_engine):
    cells = _cells_by_hand("Rotterdam")
    small = cells[~cells["safe"]]
    pools = small.groupby(["meting", "rol"])[["n", "lonely", "not_lonely", "moderate", "severe"]].sum()
    parts = pools[["lonely", "not_lonely", "moderate", "severe"]]
    pool_safe = (pools["n"] >= 5) & ~(
        ((parts == 0) | parts.eq(pools["n"], axis=0)).any(axis=1) & (pools["n"] < 10)
    )
    assert pool_safe.all()  # so every small cell of Rotterdam counts, together
    at = run_app(Scope.coordinator("rosa", ["Rotterdam"]), page=PAGE, lang="en")
    open_tab(at, "surveys", "Loneliness per wave")
    assert not at.exception
    [note] = [c.value for c in at.caption if "count only together" in c.value]
    assert note.startswith(
        f"{int(small['n'].sum())} responses from small sets of groups (one municipality, variant and start year) count only together"
    )
    assert "not counted in these figures" not in note
