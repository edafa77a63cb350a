"""Scoring of the De Jong Gierveld 6-item loneliness scale.

Source: J. de Jong Gierveld & T. van Tilburg (2006), "A 6-item scale for overall, emotional, and
social loneliness: confirmatory tests on survey data", *Research on Aging* 28(5), 582–598; and the
scoring rules restated in ``shared/data/README.md``:

- emotional items (leegte, mis_mensen, in_de_steek): ``ja`` or ``min of meer`` scores 1, ``nee`` 0;
- social items (terugvallen, vertrouwen, verbonden): ``nee`` or ``min of meer`` scores 1, ``ja`` 0;
- total 0–6, emotional and social subscales 0–3 each;
- the total is missing when more than one item is missing (with exactly one missing item the total
  is the sum of the five answered items); a subscale is missing when any of its items is missing;
- bands of the total: 0–1 not lonely, 2–4 moderately lonely, 5–6 severely lonely; lonely means ≥ 2.

The scale is meant for group-level reporting, not to label individuals.

The same rules exist twice: in Python (:func:`score`, :func:`score_frame`, for single responses and
small frames) and as SQL expressions (:func:`score_sql`, :func:`band_sql`), so that queries can count
by band inside the database instead of loading every response. ``tests/test_survey_stats.py`` checks
that both give the same scores for every possible answer pattern.

Feel-at-home ("Ik voel me thuis in mijn woonplaats") is a single item scored as answered, 1 (not at
all) … 5 (completely); see :func:`feel_at_home`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, case, func, literal

from samenhier.models import LONELINESS_ITEMS, Answer

EMOTIONAL_ITEMS = ("emptiness", "miss_people", "abandoned")
"""leegte, mis_mensen, in_de_steek: negatively worded, a 'yes' means lonely."""
SOCIAL_ITEMS = ("fall_back_on", "trust", "connected")
"""terugvallen, vertrouwen, verbonden: positively worded, a 'no' means lonely."""
LONELY_THRESHOLD = 2
FEEL_AT_HOME_MIN, FEEL_AT_HOME_MAX = 1, 5
"""Range of the feel-at-home item: 1 (not at all) … 5 (completely)."""


class Band(StrEnum):
    NOT_LONELY = "niet eenzaam"
    MODERATE = "matig eenzaam"
    SEVERE = "ernstig eenzaam"


@dataclass(frozen=True)
class LonelinessScore:
    """Scores of one response; ``None`` where the missing-answer rules leave a score undefined."""

    emotional: int | None
    social: int | None
    total: int | None

    @property
    def band(self) -> Band | None:
        return band(self.total)

    @property
    def lonely(self) -> bool | None:
        return None if self.total is None else self.total >= LONELY_THRESHOLD


def item_score(item: str, answer: str | Answer | None) -> int | None:
    """The 0/1 score of one item's answer, or ``None`` when it is unanswered.

    Raises:
        ValueError: ``item`` is not one of :data:`LONELINESS_ITEMS`, or ``answer`` is not a canonical
            answer (``ja``, ``min of meer``, ``nee``; normalise spellings first, see
            :func:`samenhier.io.rows.parse_answer`).
    """
    if item not in LONELINESS_ITEMS:
        raise ValueError(f"unknown loneliness item {item!r}")
    if answer is None:
        return None
    answer = Answer(answer)
    if item in EMOTIONAL_ITEMS:
        return 0 if answer is Answer.NO else 1
    return 0 if answer is Answer.YES else 1


def score(answers: dict[str, str | None]) -> LonelinessScore:
    """Score one response, given ``{item: answer or None}`` for the six items (missing keys = unanswered)."""
    scores = {item: item_score(item, answers.get(item)) for item in LONELINESS_ITEMS}

    def subscale(items: tuple[str, ...]) -> int | None:
        values = [scores[i] for i in items]
        return None if any(v is None for v in values) else sum(values)

    answered = [v for v in scores.values() if v is not None]
    total = sum(answered) if len(answered) >= len(LONELINESS_ITEMS) - 1 else None
    return LonelinessScore(emotional=subscale(EMOTIONAL_ITEMS), social=subscale(SOCIAL_ITEMS), total=total)


def band(total: int | None) -> Band | None:
    """The band of a total score: 0–1 not lonely, 2–4 moderately, 5–6 severely lonely; ``None`` if missing.

    Raises:
        ValueError: ``total`` outside 0–6.
    """
    if total is None or pd.isna(total):
        return None
    if not 0 <= total <= 6:
        raise ValueError(f"loneliness total {total} is outside 0–6")
    if total <= 1:
        return Band.NOT_LONELY
    return Band.MODERATE if total <= 4 else Band.SEVERE


def score_frame(responses: pd.DataFrame) -> pd.DataFrame:
    """Add the scores to a frame of responses that has the six item columns (canonical answers or None).

    Returns the same frame with nullable-integer columns ``emotional``, ``social``, ``total`` (0–3,
    0–3, 0–6), ``band`` (:class:`Band` value or None) and nullable-boolean ``lonely`` (total ≥ 2) — the
    same values as :func:`score` row by row, computed column-wise (tens of thousands of responses at
    national scale; ``tests/test_loneliness.py`` compares both on every answer pattern).

    Raises:
        ValueError: an item column holds an answer that is not canonical (as :func:`item_score`).
    """
    out = responses.copy()
    canonical = [a.value for a in Answer]
    scores: dict[str, pd.Series] = {}
    for item in LONELINESS_ITEMS:
        column = out[item]
        answered = column.notna().to_numpy(dtype=bool)
        unknown = answered & ~column.isin(canonical).to_numpy(dtype=bool)
        if unknown.any():
            Answer(column[unknown].iloc[0])  # raises the ValueError item_score would
        not_lonely = (Answer.NO if item in EMOTIONAL_ITEMS else Answer.YES).value
        value = np.where(column.eq(not_lonely).fillna(False).to_numpy(dtype=bool), 0, 1)
        scores[item] = pd.Series(pd.array(value, dtype="Int64"), index=out.index).where(answered, pd.NA)
    answered_count = sum(scores[i].notna().astype(int) for i in LONELINESS_ITEMS)
    summed = sum(scores[i].fillna(0) for i in LONELINESS_ITEMS)
    total = summed.where(answered_count >= len(LONELINESS_ITEMS) - 1, pd.NA).astype("Int64")
    out["emotional"] = sum(scores[i] for i in EMOTIONAL_ITEMS).astype("Int64")  # NA when any is NA
    out["social"] = sum(scores[i] for i in SOCIAL_ITEMS).astype("Int64")
    out["total"] = total
    known = total.notna().to_numpy(dtype=bool)
    values = total.fillna(0).to_numpy(dtype=int)
    bands = np.where(
        values <= 1, Band.NOT_LONELY.value, np.where(values <= 4, Band.MODERATE.value, Band.SEVERE.value)
    )
    out["band"] = [str(b) if k else None for b, k in zip(bands, known, strict=True)]
    out["lonely"] = (total >= LONELY_THRESHOLD).astype("boolean")
    return out


def feel_at_home(value: int | None) -> int | None:
    """The feel-at-home score of an answer: the answer itself (1–5), ``None`` when unanswered.

    Raises:
        ValueError: ``value`` is not a whole number from 1 to 5.
    """
    if value is None or (not isinstance(value, int) and pd.isna(value)):
        return None
    if isinstance(value, bool) or int(value) != value or not FEEL_AT_HOME_MIN <= value <= FEEL_AT_HOME_MAX:
        raise ValueError(f"feel-at-home answer {value!r} is not a whole number from 1 to 5")
    return int(value)


def item_score_sql(item: str, column: ColumnElement) -> ColumnElement:
    """SQL for :func:`item_score`: 0/1 for the answer in ``column``, NULL when unanswered.

    Raises:
        ValueError: ``item`` is not one of :data:`LONELINESS_ITEMS`.
    """
    if item not in LONELINESS_ITEMS:
        raise ValueError(f"unknown loneliness item {item!r}")
    not_lonely = Answer.NO if item in EMOTIONAL_ITEMS else Answer.YES
    return case((column.is_(None), None), (column == not_lonely.value, 0), else_=1)


@dataclass(frozen=True)
class ScoreSql:
    """SQL expressions of one response's scores (NULL where the missing-answer rules leave them undefined)."""

    emotional: ColumnElement
    social: ColumnElement
    total: ColumnElement


def score_sql(columns: Mapping[str, ColumnElement]) -> ScoreSql:
    """SQL for :func:`score`, given ``{item: column}`` for the six items (e.g. ``SurveyResponse.emptiness``).

    A subscale is the sum of its three item scores (NULL if any is NULL, as SQL addition gives); the
    total is the sum of the answered items when at most one item is unanswered, else NULL.
    """
    scores = {item: item_score_sql(item, columns[item]) for item in LONELINESS_ITEMS}
    answered = sum((case((columns[item].is_(None), 0), else_=1) for item in LONELINESS_ITEMS), literal(0))
    summed = sum((func.coalesce(scores[item], 0) for item in LONELINESS_ITEMS), literal(0))
    return ScoreSql(
        emotional=scores[EMOTIONAL_ITEMS[0]] + scores[EMOTIONAL_ITEMS[1]] + scores[EMOTIONAL_ITEMS[2]],
        social=scores[SOCIAL_ITEMS[0]] + scores[SOCIAL_ITEMS[1]] + scores[SOCIAL_ITEMS[2]],
        total=case((answered >= len(LONELINESS_ITEMS) - 1, summed), else_=None),
    )


def band_sql(total: ColumnElement) -> ColumnElement:
    """SQL for :func:`band`: the :class:`Band` word of a total score, NULL when the total is NULL."""
    return case(
        (total.is_(None), None),
        (total <= 1, Band.NOT_LONELY.value),
        (total <= 4, Band.MODERATE.value),
        else_=Band.SEVERE.value,
    )
