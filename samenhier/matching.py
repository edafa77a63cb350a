"""Matching rules, pure (no database, no Streamlit): the match state machine, the compatibility score
of a waiting newcomer and a waiting group, and the optimal assignment of suggestions.

**State machine** (:data:`MATCH_TRANSITIONS`): a match is proposed (``voorgesteld``), then accepted
(``actief``, the group year starts) or declined (``afgewezen``); a running match ends completed
(``afgerond``) or stopped early (``gestopt``). ``afgerond``, ``gestopt`` and ``afgewezen`` are final.

**Compatibility score** of a newcomer *n* and a group *g*: a weighted mean of four components, each
0–1, shown as 0–100 (``100 × Σ wᵢ·cᵢ / Σ wᵢ``; the weights are settings ``SAMENHIER_MATCH_WEIGHT_*``,
see :class:`Weights`):

- ``language``: 1 when *n* speaks a language of the group's community builder, else 0. (The members'
  languages are not recorded in the workbook or the store; the community builder bridges language.)
- ``household``: ``min(1, members / household size)``: a group should have at least as many members
  as the household has persons; fewer members score proportionally less (0 for a group without members).
- ``urgency``: ``clip(1 − days_left / 365, 0, 1)``: a newcomer with a year or more of eligibility left
  scores 0, one on their last eligible day 1 (90 days left: 0.753). Urgent newcomers come first.
- ``waiting``: the mean of ``min(1, newcomer wait days / 365)`` and ``min(1, group wait days / 365)``:
  whoever has waited longer (up to a year) is helped first.

**Assignment** (:func:`assign`): the pairs that maximise the *total* score over all pairs at once
(the linear sum assignment problem, solved exactly by :func:`scipy.optimize.linear_sum_assignment`),
not greedy first-come-first-served. Each newcomer and each group appears in at most one pair; with
more newcomers than groups, the score (urgency, waiting) decides who is suggested. Suggestions are
advice only: nothing is written until a coordinator proposes a match.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from samenhier.models import MatchStatus
from samenhier.settings import get_settings

# ---------------------------------------------------------------------------------------- state machine

MATCH_TRANSITIONS: dict[MatchStatus | None, frozenset[MatchStatus]] = {
    None: frozenset({MatchStatus.PROPOSED}),
    MatchStatus.PROPOSED: frozenset({MatchStatus.ACTIVE, MatchStatus.DECLINED}),
    MatchStatus.ACTIVE: frozenset({MatchStatus.COMPLETED, MatchStatus.STOPPED}),
    MatchStatus.COMPLETED: frozenset(),
    MatchStatus.STOPPED: frozenset(),
    MatchStatus.DECLINED: frozenset(),
}
"""Allowed changes of a match's status; ``None`` is "no match yet" (a proposal creates one)."""

RUNNING_STATUSES: tuple[str, ...] = (MatchStatus.PROPOSED.value, MatchStatus.ACTIVE.value)
"""A match is *running* from its proposal until it is declined or ends."""

MAX_RUNNING_PER_GROUP = 2
"""A group has one running match, or two when a coordinator confirms the second."""


def can_change_match_status(current: str | None, new: str) -> bool:
    """True when a match may go from ``current`` (None: not yet existing) to ``new`` (see :data:`MATCH_TRANSITIONS`)."""
    return MatchStatus(new) in MATCH_TRANSITIONS[None if current is None else MatchStatus(current)]


# ---------------------------------------------------------------------------------------- score

HORIZON_DAYS = 365
"""Days over which urgency and waiting grow from 0 to 1 (one year)."""

COMPONENTS = ("language", "household", "urgency", "waiting")
"""The score's components, in the order :class:`Weights` lists them."""


@dataclass(frozen=True)
class Weights:
    """Weights of the score's components (any non-negative numbers; only their ratios matter).

    Defaults are those of :mod:`samenhier.settings` (``SAMENHIER_MATCH_WEIGHT_LANGUAGE`` 3,
    ``…_HOUSEHOLD`` 2, ``…_URGENCY`` 3, ``…_WAITING`` 1): language and urgency weigh most, because a
    shared language makes the first months work and an expiring eligibility cannot wait.
    """

    language: float = 3.0
    household: float = 2.0
    urgency: float = 3.0
    waiting: float = 1.0

    @classmethod
    def from_settings(cls) -> Weights:
        s = get_settings()
        return cls(
            s.match_weight_language, s.match_weight_household, s.match_weight_urgency, s.match_weight_waiting
        )

    @property
    def total(self) -> float:
        return self.language + self.household + self.urgency + self.waiting


def split_languages(text: str | None) -> list[str]:
    """The languages in a comma-separated list (``"Dari, Pasjtoe"`` → ``["Dari", "Pasjtoe"]``), NFC, trimmed, no empties."""
    if not text or not isinstance(text, str):
        return []
    return [
        unicodedata.normalize("NFC", part).strip()
        for part in text.replace(";", ",").split(",")
        if part.strip()
    ]


def shared_languages(newcomer_languages: str | None, group_languages: str | None) -> list[str]:
    """The newcomer's languages (their spelling, their order) that the group side also speaks (case-insensitive)."""
    theirs = {language.casefold() for language in split_languages(group_languages)}
    return [language for language in split_languages(newcomer_languages) if language.casefold() in theirs]


def language_component(newcomer_languages: str | None, group_languages: str | None) -> float:
    """1.0 with at least one shared language, else 0.0."""
    return 1.0 if shared_languages(newcomer_languages, group_languages) else 0.0


def household_component(household_size: int, members: int) -> float:
    """``min(1, members / household_size)``; 0.0 for a group without members."""
    if members <= 0 or household_size <= 0:
        return 0.0
    return min(1.0, members / household_size)


def urgency_component(days_left: int) -> float:
    """``clip(1 − days_left / 365, 0, 1)``: 1.0 on the last eligible day (and after), 0.0 with a year or more left."""
    return float(min(1.0, max(0.0, 1.0 - days_left / HORIZON_DAYS)))


def waiting_component(newcomer_wait_days: int, group_wait_days: int | None) -> float:
    """Mean of ``min(1, days / 365)`` for the newcomer and the group (a group's unknown wait counts as 0)."""

    def part(days: int | None) -> float:
        return 0.0 if days is None or pd.isna(days) else min(1.0, max(0, int(days)) / HORIZON_DAYS)

    return (part(newcomer_wait_days) + part(group_wait_days)) / 2


def points(components: dict[str, float], weights: Weights) -> dict[str, float]:
    """Each component's share of the score, in score points: ``100 × wᵢ·cᵢ / Σ w`` (all 0 when all weights are 0).

    The points add up to :func:`score`; the page shows them as the "why" of a suggestion.
    """
    if weights.total <= 0:
        return dict.fromkeys(COMPONENTS, 0.0)
    return {name: 100.0 * getattr(weights, name) * components[name] / weights.total for name in COMPONENTS}


def score(components: dict[str, float], weights: Weights) -> float:
    """The compatibility score 0–100 of one pair from its ``components`` (see the module docstring); 0 when all weights are 0."""
    return sum(points(components, weights).values())


NEWCOMER_COLUMNS = ("newcomer_id", "languages", "household_size", "days_left", "wait_days")
GROUP_COLUMNS = ("group_id", "languages", "members", "wait_days")

PAIR_COLUMNS = [
    "newcomer_id",
    "group_id",
    "score",
    *COMPONENTS,
    "shared_languages",
    "household_size",
    "members",
    "days_left",
    "newcomer_wait_days",
    "group_wait_days",
]


def score_pairs(newcomers: pd.DataFrame, groups: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """Every newcomer × group pair with its components and score.

    ``newcomers`` needs columns :data:`NEWCOMER_COLUMNS` (``days_left``, ``wait_days`` in days);
    ``groups`` needs :data:`GROUP_COLUMNS` (``languages``: the languages spoken on the group's side,
    ``wait_days`` may be <NA>). Returns :data:`PAIR_COLUMNS`, one row per pair, newcomers in the order
    given, then groups in the order given. ``shared_languages`` is a comma-separated text.
    """
    rows = []
    for n in newcomers.itertuples(index=False):
        for g in groups.itertuples(index=False):
            parts = {
                "language": language_component(n.languages, g.languages),
                "household": household_component(int(n.household_size), int(g.members)),
                "urgency": urgency_component(int(n.days_left)),
                "waiting": waiting_component(
                    int(n.wait_days), None if pd.isna(g.wait_days) else int(g.wait_days)
                ),
            }
            rows.append(
                {
                    "newcomer_id": n.newcomer_id,
                    "group_id": g.group_id,
                    "score": score(parts, weights),
                    **parts,
                    "shared_languages": ", ".join(shared_languages(n.languages, g.languages)),
                    "household_size": int(n.household_size),
                    "members": int(g.members),
                    "days_left": int(n.days_left),
                    "newcomer_wait_days": int(n.wait_days),
                    "group_wait_days": pd.NA if pd.isna(g.wait_days) else int(g.wait_days),
                }
            )
    return pd.DataFrame(rows, columns=PAIR_COLUMNS)


def assign(scores: np.ndarray | Iterable[Iterable[float]]) -> list[tuple[int, int]]:
    """The (row, column) pairs of a score matrix with the largest total score, each row and column used at most once.

    ``scores[i][j]`` is the score of newcomer ``i`` with group ``j`` (any shape; ``min(rows, columns)``
    pairs come back, sorted by row). Solved exactly by :func:`scipy.optimize.linear_sum_assignment`.
    """
    matrix = np.asarray(scores, dtype=float)
    if matrix.size == 0:
        return []
    rows, columns = linear_sum_assignment(matrix, maximize=True)
    return [(int(r), int(c)) for r, c in zip(rows, columns, strict=True)]


def suggest(newcomers: pd.DataFrame, groups: pd.DataFrame, weights: Weights) -> pd.DataFrame:
    """The optimal set of suggested pairs (see :func:`assign`), best score first.

    Inputs as for :func:`score_pairs`. Returns :data:`PAIR_COLUMNS`, at most ``min(len(newcomers),
    len(groups))`` rows.
    """
    pairs = score_pairs(newcomers, groups, weights)
    if pairs.empty:
        return pairs
    matrix = pairs["score"].to_numpy(dtype=float).reshape(len(newcomers), len(groups))
    chosen = [r * len(groups) + c for r, c in assign(matrix)]
    return (
        pairs.iloc[chosen]
        .sort_values(["score", "newcomer_id"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )
