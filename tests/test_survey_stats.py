"""Scoring (Python and SQL), Wilson intervals, paired statistics and the summary sentences, checked by hand.

Scoring rules (shared/data/README.md, after De Jong Gierveld & Van Tilburg 2006): emotional items
(leegte, mis_mensen, in_de_steek) score 1 for ja / min of meer; social items (terugvallen,
vertrouwen, verbonden) score 1 for nee / min of meer; the total is missing with more than one item
missing; a subscale is missing when any of its items is; bands 0–1 / 2–4 / 5–6.
"""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from scipy import stats
from sqlalchemy import Column, MetaData, String, Table, select
from sqlmodel import create_engine

from samenhier import i18n
from samenhier.loneliness import Band, band, band_sql, feel_at_home, score, score_sql
from samenhier.models import LONELINESS_ITEMS
from samenhier.survey_stats import (
    add_shares,
    format_p_value,
    interval_warning,
    paired_change,
    paired_change_from_counts,
    paired_summary,
    suppress_small,
    weighted_median,
    wilson_interval,
)
from tests.survey_workbook import wilson_by_hand

EMOTIONAL = ("emptiness", "miss_people", "abandoned")  # leegte, mis_mensen, in_de_steek
SOCIAL = ("fall_back_on", "trust", "connected")  # terugvallen, vertrouwen, verbonden


def answers(emotional, social) -> dict[str, str | None]:
    return dict(zip(EMOTIONAL, emotional, strict=True)) | dict(zip(SOCIAL, social, strict=True))


# Scoring: hand-worked answer patterns ------------------------------------------------------------


@pytest.mark.parametrize(
    ("emotional", "social", "expected"),
    [
        # (emotional answers), (social answers), (emotional, social, total) worked out by hand
        (("nee", "nee", "nee"), ("ja", "ja", "ja"), (0, 0, 0)),
        (("ja", "ja", "ja"), ("nee", "nee", "nee"), (3, 3, 6)),
        # min of meer on an emotional item counts as lonely: 1 + 0 + 0
        (("min of meer", "nee", "nee"), ("ja", "ja", "ja"), (1, 0, 1)),
        # min of meer on a social item counts as lonely too: 0 + 0 + 1
        (("nee", "nee", "nee"), ("ja", "ja", "min of meer"), (0, 1, 1)),
        # min of meer on both kinds: emotional 1 + 1 + 0 = 2, social 1 + 0 + 0 = 1, total 3
        (("min of meer", "ja", "nee"), ("min of meer", "ja", "ja"), (2, 1, 3)),
        (("min of meer",) * 3, ("min of meer",) * 3, (3, 3, 6)),
        # "ja" on a social item is the not-lonely answer: social 0 + 1 + 0
        (("nee", "nee", "nee"), ("ja", "nee", "ja"), (0, 1, 1)),
    ],
)
def test_score_complete_answers(emotional, social, expected):
    s = score(answers(emotional, social))
    assert (s.emotional, s.social, s.total) == expected


def test_one_missing_emotional_item_keeps_the_total_but_not_its_subscale():
    # emotional: ja 1, None, min of meer 1 → subscale missing; social: nee 1, ja 0, ja 0 → 1; total 1+1+1 = 3
    s = score(answers(("ja", None, "min of meer"), ("nee", "ja", "ja")))
    assert (s.emotional, s.social, s.total) == (None, 1, 3)
    assert s.band is Band.MODERATE and s.lonely is True


def test_one_missing_social_item_keeps_the_total_but_not_its_subscale():
    # emotional: nee, nee, min of meer → 1; social: None, min of meer 1, ja 0 → missing; total 2
    s = score(answers(("nee", "nee", "min of meer"), (None, "min of meer", "ja")))
    assert (s.emotional, s.social, s.total) == (1, None, 2)


def test_two_missing_items_leave_the_total_missing():
    # one missing in each subscale: both subscales and the total are missing
    s = score(answers(("ja", None, "ja"), ("nee", "nee", None)))
    assert (s.emotional, s.social, s.total) == (None, None, None)
    assert s.band is None and s.lonely is None
    # two missing in one subscale: the other subscale survives, the total does not
    s = score(answers((None, None, "ja"), ("nee", "ja", "ja")))
    assert (s.emotional, s.social, s.total) == (None, 1, None)


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, Band.NOT_LONELY),
        (1, Band.NOT_LONELY),
        (2, Band.MODERATE),
        (4, Band.MODERATE),
        (5, Band.SEVERE),
        (6, Band.SEVERE),
        (None, None),
    ],
)
def test_bands(total, expected):
    assert band(total) == expected


def test_feel_at_home_is_the_answer_itself():
    assert [feel_at_home(v) for v in (1, 3, 5, None)] == [1, 3, 5, None]
    for bad in (0, 6, 2.5, True):
        with pytest.raises(ValueError):
            feel_at_home(bad)


@pytest.mark.both_backends
def test_sql_scoring_equals_python_scoring_for_every_answer_pattern(db_url):
    """All 4^6 = 4096 patterns of ja / min of meer / nee / unanswered, scored by SQL and by Python."""
    engine = create_engine(db_url)
    table = Table("patterns", MetaData(), *(Column(item, String, nullable=True) for item in LONELINESS_ITEMS))
    table.metadata.create_all(engine)
    patterns = [
        dict(zip(LONELINESS_ITEMS, p, strict=True))
        for p in itertools.product([None, "ja", "min of meer", "nee"], repeat=6)
    ]
    with engine.begin() as c:
        c.execute(table.insert(), patterns)
        scores = score_sql({item: table.c[item] for item in LONELINESS_ITEMS})
        rows = c.execute(
            select(*table.c, scores.emotional, scores.social, scores.total, band_sql(scores.total))
        ).all()
    assert len(rows) == 4096
    for row in rows:
        given = dict(zip(LONELINESS_ITEMS, row[:6], strict=True))
        expected = score(given)
        assert tuple(row[6:9]) == (expected.emotional, expected.social, expected.total), given
        assert row[9] == (None if expected.band is None else expected.band.value), given
    engine.dispose()


# Wilson interval ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("k", "n"), [(31, 44), (0, 5), (5, 5), (1, 2), (114, 252), (27, 44)])
def test_wilson_interval_matches_the_formula(k, n):
    low, high = wilson_interval(k, n)
    expected_low, expected_high = wilson_by_hand(k, n)
    assert low == pytest.approx(expected_low, abs=1e-9)
    assert high == pytest.approx(expected_high, abs=1e-9)


def test_wilson_interval_of_a_known_case():
    # 31 of 44: p = 0.7045; by hand with z = 1.96: centre (0.7045 + 0.04366)/1.0873 = 0.6881,
    # half 1.96/1.0873 · √(0.004731 + 0.0004961) = 0.1303 → 0.558 – 0.818.
    low, high = wilson_interval(31, 44)
    assert (round(low, 3), round(high, 3)) == (0.558, 0.818)


def test_wilson_interval_without_answers_and_bad_input():
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(6, 5)


def test_add_shares_and_suppress_small():
    frame = add_shares(pd.DataFrame({"k": [3, 1], "n": [12, 4]}))
    assert frame["share"].tolist() == [0.25, 0.25]
    assert frame.loc[0, "ci_low"] == pytest.approx(wilson_by_hand(3, 12)[0])
    shown = suppress_small(frame, n="n", columns=["k", "share", "ci_low", "ci_high"], min_n=5)
    assert shown["suppressed"].tolist() == [False, True]
    assert shown.loc[0, "share"] == 0.25
    assert shown.loc[1, ["k", "share", "ci_low", "ci_high"]].isna().all()


# Paired change -----------------------------------------------------------------------------------


def test_paired_change_by_hand():
    d = [-2, -1, -1, 0, 1, -3]
    result = paired_change(d)
    # mean −6/6 = −1; deviations −1 0 0 1 2 −2 → Σ² = 10, sd = √(10/5) = √2, se = √2/√6 = 0.57735;
    # t(0.975, 5) = 2.5706 (table) → −1 ± 1.4841.
    assert result.n == 6 and result.mean == -1
    assert result.ci_low == pytest.approx(-2.4841, abs=1e-4)
    assert result.ci_high == pytest.approx(0.4841, abs=1e-4)
    assert (result.decreased, result.same, result.increased) == (4, 1, 1)
    # Wilcoxon with Pratt's zeros (J. W. Pratt 1959): rank all |d| = 2 1 1 0 1 3 → 0 gets rank 1, the
    # three 1s ranks 2–4 (average 3), 2 → 5, 3 → 6; the zero's rank is then dropped. The only positive
    # difference (+1) has rank 3, so T+ = 3, T− = 5 + 3 + 3 + 6 = 17, statistic min = 3.
    assert result.nonzero == 5
    assert result.statistic == 3
    # p-value: under H0 each of the 2^5 = 32 sign patterns of the ranks 5 3 3 3 6 is equally likely. T+ ≤ 3
    # only for no positive rank or one of the three rank-3 differences positive: 4 patterns; two-sided
    # p = 2 · 4/32 = 0.25. The same by enumeration:
    ranks = [5, 3, 3, 3, 6]
    sums = [
        sum(r for r, s in zip(ranks, signs, strict=True) if s)
        for signs in itertools.product([0, 1], repeat=5)
    ]
    assert sum(s <= 3 for s in sums) == 4
    assert result.p_value == pytest.approx(2 * 4 / 32)
    # Sign test: of the 5 who changed, 4 went down and 1 up; under H0 Binomial(5, ½):
    # P(X ≤ 1) + P(X ≥ 4) = (1 + 5 + 5 + 1)/32 = 0.375.
    assert result.sign_p_value == pytest.approx(12 / 32)
    assert not result.all_same


def test_paired_change_matches_scipy_on_the_exact_textbook_case():
    # Wilcoxon (1945) via scipy's own documentation: differences without ties → exact p 0.041259765625.
    d = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75]
    result = paired_change(d)
    assert result.statistic == 24
    assert result.p_value == pytest.approx(0.041259765625)
    sem = stats.sem(d)
    t = stats.t.ppf(0.975, len(d) - 1)
    assert result.ci_low == pytest.approx(sum(d) / len(d) - t * sem)


def test_paired_change_edge_cases():
    nobody = paired_change([])
    assert nobody.n == 0 and math.isnan(nobody.mean) and math.isnan(nobody.p_value)
    unchanged = paired_change([0, 0, 0, 0, 0])
    assert unchanged.mean == 0 and unchanged.same == 5 and math.isnan(unchanged.p_value)
    constant = paired_change([1, 1, 1, 1, 1])
    assert (constant.ci_low, constant.ci_high) == (1, 1)
    assert constant.all_same and interval_warning(constant.ci_low, constant.ci_high, constant.n)
    assert not interval_warning(-0.5, 0.5, 10) and not interval_warning(math.nan, math.nan, 0)
    # five positive differences, all ranks positive: exact two-sided p = 2 · 1/32
    assert constant.p_value == pytest.approx(2 / 32)
    one = paired_change([2])
    assert one.mean == 2 and math.isnan(one.ci_low)


def test_paired_change_from_counts_expands_the_distribution():
    from_counts = paired_change_from_counts([-2, 0, 1], [3, 1, 2])
    direct = paired_change([-2, -2, -2, 0, 1, 1])
    assert from_counts == direct
    assert weighted_median([0, 3, 8], [1, 1, 3]) == 8
    assert weighted_median([2, 4], [1, 1]) == 3


# Summaries ---------------------------------------------------------------------------------------


def test_paired_summary_sentence_in_both_languages():
    summary = pd.DataFrame(
        [
            dict(
                role="nieuwkomer",
                measure="loneliness",
                n=44,
                decreased=31,
                same=9,
                increased=4,
                mean_change=-1.25,
                ci_low=-1.6,
                ci_high=-0.84,
                p_value=0.0004,
                suppressed=False,
            ),
            dict(
                role="nieuwkomer",
                measure="feel_at_home",
                n=3,
                decreased=0,
                same=1,
                increased=2,
                mean_change=0.7,
                ci_low=0.1,
                ci_high=1.2,
                p_value=0.5,
                suppressed=True,
            ),
        ]
    )
    nl = paired_summary(summary, "nieuwkomer", "nl")
    assert nl.startswith(
        "Van de 44 nieuwkomers met een nul- en eindmeting is de eenzaamheidsscore bij 31 gedaald, "
        "bij 9 gelijk gebleven en bij 4 gestegen; gemiddeld −1,2 punt (95%-interval −1,6 tot −0,8)"
    )
    assert "waarschijnlijk geen toeval (Wilcoxon-toets, p < 0,001)" in nl
    assert (
        "Te weinig nieuwkomers met een nul- en eindmeting om de verandering in thuis voelen te tonen." in nl
    )
    en = paired_summary(summary, "nieuwkomer", "en")
    assert en.startswith(
        "Of the 44 newcomers with a baseline and an end survey, the loneliness score went down for 31"
    )
    assert (
        paired_summary(summary, "lid", "nl") == "Nog geen leden met zowel een nulmeting als een eindmeting."
    )


def test_p_values_for_people():
    assert format_p_value(0.0123, "nl") == "0,012"
    assert format_p_value(0.0123, "en") == "0.012"
    assert format_p_value(0.00001, "nl") == "< 0,001"
    assert format_p_value(float("nan")) == ""


def test_dynamic_message_keys_exist_in_both_catalogs():
    """Keys built at run time (not found by tests/test_i18n.py's extractor)."""
    keys = [f"surveys.item.{i}" for i in LONELINESS_ITEMS] + [f"surveys.field.{i}" for i in LONELINESS_ITEMS]
    keys += [
        f"surveys.field.{f}"
        for f in ("date", "person", "wave", "answers", "feel_at_home", "self_reported_change", "new_contacts")
    ]
    keys += [
        f"surveys.{kind}.{m}"
        for kind in ("measure", "summary.paired", "summary.paired_few")
        for m in ("loneliness", "feel_at_home")
    ]
    keys += ["surveys.people.nieuwkomer", "surveys.people.lid"]
    keys += [
        f"validation.survey_{c}"
        for c in (
            "person",
            "wave",
            "date_required",
            "date_future",
            "answer",
            "feel_at_home",
            "end_only",
            "change",
            "new_contacts",
            "empty",
            "not_after_earlier",
            "not_before_later",
        )
    ]
    for lang in i18n.LANGUAGES:
        missing = [k for k in keys if i18n.t(k, lang) == k]
        assert not missing, (lang, missing)
