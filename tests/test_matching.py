"""Pure matching rules: wait days, the three-year end, the score's components, the optimal assignment,
and the match state machine. Every expected value is worked out by hand in the comment beside it."""

import datetime as dt
import itertools

import numpy as np
import pandas as pd
import pytest

from samenhier.matching import (
    MATCH_TRANSITIONS,
    Weights,
    assign,
    can_change_match_status,
    household_component,
    language_component,
    points,
    score,
    shared_languages,
    split_languages,
    suggest,
    urgency_component,
    waiting_component,
)
from samenhier.models import MatchStatus
from samenhier.rules import days_left, eligibility_end, wait_days
from samenhier.settings import get_settings

D = dt.date


# ------------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("registered", "as_of", "expected"),
    [
        (D(2026, 11, 15), D(2026, 11, 15), 0),  # registered today
        (D(2026, 11, 4), D(2026, 11, 15), 11),  # N0073 in the workbook: 15 − 4
        (D(2026, 8, 10), D(2026, 11, 15), 97),  # 21 (rest of Aug) + 30 + 31 + 15
        (D(2025, 11, 15), D(2026, 11, 15), 365),  # a year without 29 February
        (D(2023, 11, 15), D(2024, 11, 15), 366),  # a year over 29 February 2024
    ],
)
def test_wait_days(registered, as_of, expected):
    assert wait_days(registered, as_of) == expected


@pytest.mark.parametrize(
    ("arrival", "end"),
    [
        (D(2023, 10, 19), D(2026, 10, 19)),  # same calendar day three years on
        (D(2020, 2, 29), D(2023, 2, 28)),  # 29 February → 28 February (2023 is no leap year)
        (D(2024, 2, 29), D(2027, 2, 28)),  # likewise from the last leap day
        (D(2021, 2, 28), D(2024, 2, 28)),  # 28 February stays 28 February even in a leap year
        (D(2021, 3, 1), D(2024, 3, 1)),  # 1 March stays 1 March, 29 Feb 2024 in between changes nothing
    ],
)
def test_three_year_end(arrival, end):
    assert eligibility_end(arrival, get_settings().eligibility_years) == end


def test_days_left_counts_to_the_last_eligible_day():
    # Arrival 2024-02-29 ends 2027-02-28: from 2026-11-15 that is 15 (rest of Nov) + 31 + 31 + 28 = 105 days.
    assert days_left(D(2024, 2, 29), D(2026, 11, 15)) == 105
    assert days_left(D(2023, 11, 15), D(2026, 11, 15)) == 0  # the last day itself
    assert (
        days_left(D(2023, 10, 19), D(2026, 11, 15)) == -27
    )  # N0076: 12 days of October + 15 of November past


# ------------------------------------------------------------------------------------------ components


def test_languages_are_split_and_compared_case_insensitively():
    assert split_languages(" Dari,  Pasjtoe ,") == ["Dari", "Pasjtoe"]
    assert split_languages(None) == []
    assert shared_languages("Dari, Pasjtoe", "Nederlands, dari, Farsi") == ["Dari"]
    assert language_component("Dari, Pasjtoe", "Nederlands, Dari, Farsi") == 1.0
    assert language_component("Tigrinya", "Nederlands, Engels") == 0.0
    assert language_component("Tigrinya", "") == 0.0


@pytest.mark.parametrize(
    ("household", "members", "expected"),
    [
        (4, 3, 0.75),  # 3 members for 4 persons
        (1, 5, 1.0),  # more members than persons: capped at 1
        (6, 3, 0.5),
        (2, 0, 0.0),  # a group without members
    ],
)
def test_household_component(household, members, expected):
    assert household_component(household, members) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("left", "expected"),
    [
        (0, 1.0),  # last eligible day
        (-5, 1.0),  # past it (never suggested, but the formula is clipped)
        (90, 1 - 90 / 365),  # 0.7534…
        (365, 0.0),
        (400, 0.0),
    ],
)
def test_urgency_component(left, expected):
    assert urgency_component(left) == pytest.approx(expected)


def test_waiting_component():
    assert waiting_component(73, 146) == pytest.approx(0.3)  # (73/365 + 146/365) / 2 = (0.2 + 0.4) / 2
    assert waiting_component(400, None) == pytest.approx(0.5)  # (1 + 0) / 2: newcomer capped, group unknown
    assert waiting_component(0, 0) == 0.0


def test_score_and_points_with_default_weights():
    components = {"language": 1.0, "household": 0.75, "urgency": 0.5, "waiting": 0.3}
    # (3·1 + 2·0.75 + 3·0.5 + 1·0.3) / 9 · 100 = 6.3 / 9 · 100 = 70
    assert score(components, Weights()) == pytest.approx(70.0)
    share = points(components, Weights())
    assert share["language"] == pytest.approx(300 / 9)  # 33.3
    assert share["household"] == pytest.approx(150 / 9)  # 16.7
    assert sum(share.values()) == pytest.approx(70.0)
    assert score(components, Weights(0, 0, 0, 0)) == 0.0


def test_weights_come_from_the_settings(monkeypatch):
    assert Weights.from_settings() == Weights(3, 2, 3, 1)
    monkeypatch.setenv("SAMENHIER_MATCH_WEIGHT_LANGUAGE", "0")
    monkeypatch.setenv("SAMENHIER_MATCH_WEIGHT_WAITING", "2.5")
    get_settings.cache_clear()
    assert Weights.from_settings() == Weights(0, 2, 3, 2.5)


# ------------------------------------------------------------------------------------------ assignment


def _greedy(matrix: np.ndarray) -> list[tuple[int, int]]:
    """First come, first served: each row in order takes its best column still free."""
    taken, pairs = set(), []
    for r, row in enumerate(matrix):
        free = [c for c in range(len(row)) if c not in taken]
        if not free:
            break
        best = max(free, key=lambda c: row[c])
        taken.add(best)
        pairs.append((r, best))
    return pairs


def _brute_force_best(matrix: np.ndarray) -> float:
    rows, cols = matrix.shape
    if rows <= cols:
        return max(
            sum(matrix[r, c] for r, c in zip(range(rows), perm, strict=True))
            for perm in itertools.permutations(range(cols), rows)
        )
    return max(
        sum(matrix[r, c] for c, r in zip(range(cols), perm, strict=True))
        for perm in itertools.permutations(range(rows), cols)
    )


def test_assignment_beats_greedy_on_a_small_case():
    # Newcomer A (registered first) scores 0.9 with G1 and 0.8 with G2; newcomer B 0.85 with G1 and 0.1 with G2.
    # Greedy: A takes G1 (0.9), B is left with G2 (0.1): total 1.0. Optimal: A–G2 0.8 + B–G1 0.85 = 1.65.
    matrix = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert sum(matrix[r, c] for r, c in _greedy(matrix)) == pytest.approx(1.0)
    assert assign(matrix) == [(0, 1), (1, 0)]
    assert sum(matrix[r, c] for r, c in assign(matrix)) == pytest.approx(1.65)


@pytest.mark.parametrize("shape", [(3, 3), (4, 2), (2, 5)])
def test_assignment_is_optimal_also_for_rectangular_matrices(shape):
    matrix = np.random.default_rng(sum(shape)).random(shape)
    pairs = assign(matrix)
    assert len(pairs) == min(shape)
    assert len({r for r, _ in pairs}) == len({c for _, c in pairs}) == min(shape)  # each used once
    assert sum(matrix[r, c] for r, c in pairs) == pytest.approx(_brute_force_best(matrix))


def test_assign_of_nothing_is_nothing():
    assert assign(np.zeros((0, 3))) == []


def test_suggest_prefers_the_best_total_over_first_come():
    # Only language and household count (weights 1, 1, 0, 0): score = 100 · (language + household) / 2.
    # G1 speaks Arabisch and Tigrinya (4 members), G2 only Arabisch (2 members).
    # A (Arabisch, 3 persons): G1 → (1 + 1)/2 = 100; G2 → (1 + 2/3)/2 = 83.33.
    # B (Tigrinya, 4 persons): G1 → (1 + 1)/2 = 100; G2 → (0 + 2/4)/2 = 25.
    # First come (A first): A–G1 100 + B–G2 25 = 125. Optimal: A–G2 83.33 + B–G1 100 = 183.33.
    newcomers = pd.DataFrame(
        {
            "newcomer_id": [1, 2],
            "languages": ["Arabisch", "Tigrinya"],
            "household_size": [3, 4],
            "days_left": [500, 500],
            "wait_days": [30, 10],
        }
    )
    groups = pd.DataFrame(
        {
            "group_id": [11, 12],
            "languages": ["Nederlands, Arabisch, Tigrinya", "Nederlands, Arabisch"],
            "members": [4, 2],
            "wait_days": [pd.NA, 5],
        }
    )
    weights = Weights(language=1, household=1, urgency=0, waiting=0)
    pairs = suggest(newcomers, groups, weights)
    assert list(zip(pairs["newcomer_id"], pairs["group_id"], strict=True)) == [
        (2, 11),
        (1, 12),
    ]  # best score first
    assert pairs["score"].tolist() == pytest.approx([100.0, 250 / 3])
    assert pairs["score"].sum() == pytest.approx(100 + 250 / 3)  # 183.33 > 125
    assert pairs.loc[1, "shared_languages"] == "Arabisch"
    assert pairs.loc[0, "household"] == 1.0 and pairs.loc[1, "household"] == pytest.approx(2 / 3)


def test_urgency_decides_who_gets_the_only_group():
    # One group, two newcomers alike but for their days left: 30 days left → urgency 1 − 30/365; 300 → 1 − 300/365.
    newcomers = pd.DataFrame(
        {
            "newcomer_id": [1, 2],
            "languages": ["Arabisch"] * 2,
            "household_size": [1, 1],
            "days_left": [300, 30],
            "wait_days": [0, 0],
        }
    )
    groups = pd.DataFrame({"group_id": [11], "languages": ["Arabisch"], "members": [3], "wait_days": [0]})
    pairs = suggest(newcomers, groups, Weights())
    assert pairs["newcomer_id"].tolist() == [2]
    # (3·1 + 2·1 + 3·(335/365) + 0) / 9 · 100
    assert pairs.loc[0, "score"] == pytest.approx((5 + 3 * 335 / 365) / 9 * 100)


# ------------------------------------------------------------------------------------------ state machine

ALLOWED = {
    (None, MatchStatus.PROPOSED),
    (MatchStatus.PROPOSED, MatchStatus.ACTIVE),
    (MatchStatus.PROPOSED, MatchStatus.DECLINED),
    (MatchStatus.ACTIVE, MatchStatus.COMPLETED),
    (MatchStatus.ACTIVE, MatchStatus.STOPPED),
}


@pytest.mark.parametrize(("current", "new"), list(itertools.product([None, *MatchStatus], MatchStatus)))
def test_every_match_transition(current, new):
    assert can_change_match_status(current.value if current else None, new.value) == (
        (current, new) in ALLOWED
    )


def test_final_statuses_allow_nothing():
    for final in (MatchStatus.COMPLETED, MatchStatus.STOPPED, MatchStatus.DECLINED):
        assert MATCH_TRANSITIONS[final] == frozenset()
