"""Statistics of the survey outcomes: Wilson intervals, paired change, small-cell suppression, summaries.

Pure functions: no database, no Streamlit. The queries in :mod:`samenhier.queries.surveys` count in
SQL and hand the counts to these functions; the page shows what they return.

- Shares (lonely, per band, self-reported change) get a 95% **Wilson score interval** (E. B. Wilson
  1927, "Probable inference, the law of succession, and statistical inference", JASA 22:209–212),
  computed by ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``. Unlike the textbook
  ``p ± 1.96·√(p(1−p)/n)`` it stays inside 0–1 and behaves with small n and shares near 0 or 1.
- Paired change (eindmeting − nulmeting per person) gets the mean with a 95% **t interval**
  (mean ± t(0.975, n−1) · sd/√n), a two-sided **Wilcoxon signed-rank test** with Pratt's treatment
  of zero differences (``scipy.stats.wilcoxon(d, zero_method="pratt")``: the people whose score did
  not change are ranked too and then left out of the sums, J. W. Pratt 1959, JASA 54:655–667 — "no
  change" is a real outcome on a 0–6 scale, 55 of 128 member pairs in the workbook; Wilcoxon's own
  convention of dropping them overstates the change) and a two-sided **sign test** (of the people
  whose score changed, how many went down against up; ``scipy.stats.binomtest(down, down + up)``).
  The scores are short ordinal scales, so these tests, not a t-test, are the tests we report.
  A p-value is "the chance of a difference at least this large if nothing really changed".
- :func:`interval_warning` flags an interval of zero width and answers that are all the same (every
  member +1 on feeling at home gives "+1,0 to +1,0", which says the data look odd, not that the
  change is certain).
- Figures over fewer than ``Settings.min_cell_size`` people are suppressed (:func:`suppress_small`,
  with every other disclosure rule in :mod:`samenhier.disclosure`): privacy, and too few to mean anything.
- The summary sentences (:func:`response_summary`, …) turn those figures into one plain sentence in
  Dutch or English, saying "too few" instead of a figure wherever a figure is suppressed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from babel.numbers import format_decimal
from scipy import stats

from samenhier import formatting, i18n
from samenhier.disclosure import suppress_small  # noqa: F401  (re-exported: the rule lives in disclosure)
from samenhier.models import RespondentRole, SelfReportedChange, Wave

CONFIDENCE = 0.95
SIGNIFICANCE = 0.05
"""A p-value below this is described as "probably not chance" in the summaries."""
LONELY = "eenzaam"
"""Category of :func:`samenhier.queries.surveys.loneliness_by_wave` for "lonely" (total ≥ 2), beside the three bands."""
LONELINESS = "loneliness"
FEEL_AT_HOME = "feel_at_home"
"""The two measures of the paired comparison: the loneliness total (0–6) and feel-at-home (1–5)."""
ROLES = (RespondentRole.NEWCOMER.value, RespondentRole.MEMBER.value)


def wilson_interval(k: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of the proportion ``k``/``n``, as fractions 0–1.

    Returns ``(nan, nan)`` when ``n`` is 0 (no share to estimate).

    Raises:
        ValueError: ``n`` negative, or ``k`` outside 0…``n``.
    """
    k, n = int(k), int(n)
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    return (float(ci.low), float(ci.high))


def add_shares(frame: pd.DataFrame, *, k: str = "k", n: str = "n") -> pd.DataFrame:
    """``frame`` with float columns ``share`` (= k/n), ``ci_low``, ``ci_high`` (Wilson, 95%) added; NaN where n is 0."""
    out = frame.copy()
    intervals = [wilson_interval(a, b) for a, b in zip(out[k], out[n], strict=True)]
    out["share"] = [a / b if b else math.nan for a, b in zip(out[k], out[n], strict=True)]
    out["ci_low"] = [lo for lo, _ in intervals]
    out["ci_high"] = [hi for _, hi in intervals]
    for column in ("share", "ci_low", "ci_high"):
        out[column] = out[column].astype(float)
    return out


@dataclass(frozen=True)
class PairedChange:
    """Change eindmeting − nulmeting of a score, over the people who answered both.

    ``n`` people; ``mean`` change (score points; negative = lower at the end) with its t interval
    ``ci_low``–``ci_high``; ``decreased``/``same``/``increased``: people whose score went down, stayed,
    went up; ``statistic`` and ``p_value`` of the two-sided Wilcoxon signed-rank test, zero differences
    by Pratt's method (NaN when there are no people or every difference is 0); ``nonzero``: people
    whose score changed; ``sign_p_value``: two-sided sign test over those (NaN when nobody changed).
    """

    n: int
    mean: float
    ci_low: float
    ci_high: float
    decreased: int
    same: int
    increased: int
    statistic: float
    p_value: float
    nonzero: int
    sign_p_value: float = math.nan

    @property
    def all_same(self) -> bool:
        """Every person changed by the same amount (the interval then has zero width)."""
        return self.n >= 2 and self.ci_low == self.ci_high


def paired_change(differences: Sequence[float], confidence: float = CONFIDENCE) -> PairedChange:
    """The :class:`PairedChange` of per-person differences (end − baseline). NaNs are left out.

    The interval is the t interval of the mean (NaN for fewer than 2 people; a single point when every
    difference is the same); the tests are ``scipy.stats.wilcoxon(differences, zero_method="pratt")`` and
    the sign test (see the module notes).
    """
    d = np.asarray(differences, dtype=float)
    d = d[~np.isnan(d)]
    n = len(d)
    nan = math.nan
    if n == 0:
        return PairedChange(0, nan, nan, nan, 0, 0, 0, nan, nan, 0)
    mean = float(d.mean())
    if n < 2:
        low = high = nan
    else:
        sd = float(d.std(ddof=1))
        if sd == 0:
            low = high = mean
        else:
            low, high = (
                float(v) for v in stats.t.interval(confidence, df=n - 1, loc=mean, scale=sd / math.sqrt(n))
            )
    nonzero = int((d != 0).sum())
    decreased, increased = int((d < 0).sum()), int((d > 0).sum())
    if nonzero:
        test = stats.wilcoxon(d, zero_method="pratt")
        statistic, p_value = float(test.statistic), float(test.pvalue)
        sign_p = float(stats.binomtest(decreased, decreased + increased).pvalue)
    else:
        statistic = p_value = sign_p = nan
    return PairedChange(
        n=n,
        mean=mean,
        ci_low=low,
        ci_high=high,
        decreased=decreased,
        same=int((d == 0).sum()),
        increased=increased,
        statistic=statistic,
        p_value=p_value,
        nonzero=nonzero,
        sign_p_value=sign_p,
    )


def interval_warning(low: float, high: float, n: int | None = None) -> bool:
    """True when a 95% interval has zero width (``low == high``) over 2 or more people: every answer or
    change was the same, so the interval says the data look odd, not that the figure is certain."""
    if low != low or high != high:  # NaN: no interval to warn about
        return False
    return low == high and (n is None or n >= 2)


def paired_change_from_counts(changes: Sequence[int], people: Sequence[int]) -> PairedChange:
    """:func:`paired_change` of a distribution: ``people[i]`` persons changed by ``changes[i]`` points."""
    return paired_change(np.repeat(np.asarray(changes, dtype=float), np.asarray(people, dtype=int)))


def weighted_median(values: Sequence[float], weights: Sequence[int]) -> float:
    """The median of ``values`` where ``values[i]`` occurs ``weights[i]`` times (NaN when empty)."""
    expanded = np.repeat(np.asarray(values, dtype=float), np.asarray(weights, dtype=int))
    return float(np.median(expanded)) if len(expanded) else math.nan


# Plain-language summaries ------------------------------------------------------------------------


def _t(key: str, lang: str | None, **params) -> str:
    return i18n.t(key, lang, **params)


def _share(value: float, lang: str | None) -> str:
    return formatting.format_share(value, lang)


def _number(value: float, lang: str | None, decimals: int = 1) -> str:
    return formatting.format_number(value, lang, decimals=decimals)


def _signed(value: float, lang: str | None) -> str:
    """``+0,4`` / ``−1,2``: a change with its sign (a true minus sign), one decimal."""
    text = format_decimal(abs(value), format="#,##0.0", locale=lang or i18n.get_language())
    if round(value, 1) == 0:
        return text
    return ("+" if value > 0 else "−") + text


def _role_plural(role: str, lang: str | None) -> str:
    return _t(f"surveys.people.{role}", lang)


def response_summary(totals: pd.DataFrame, role: str, lang: str | None = None) -> str:
    """One sentence on the response of ``role`` in each wave, from :func:`samenhier.queries.surveys.response_rates`'s
    ``totals`` (columns wave, role, invited, responses, rate, suppressed)."""
    parts = []
    for wave in Wave:
        row = totals[(totals["wave"] == wave.value) & (totals["role"] == role)]
        if row.empty or row.iloc[0]["invited"] == 0:  # NaN: hidden, not none
            continue
        row = row.iloc[0]
        label = i18n.label("wave", wave.value, lang)
        if row["suppressed"]:
            parts.append(_t("surveys.summary.response_part_few", lang, wave=label))
        else:
            parts.append(
                _t(
                    "surveys.summary.response_part",
                    lang,
                    wave=label,
                    k=int(row["responses"]),
                    n=int(row["invited"]),
                    share=_share(row["rate"], lang),
                )
            )
    if not parts:
        return _t("surveys.summary.response_none", lang, people=_role_plural(role, lang))
    return _t("surveys.summary.response", lang, people=_role_plural(role, lang), parts=", ".join(parts))


def coverage_note(shares: pd.DataFrame, lang: str | None = None) -> str | None:
    """Why the figures of :func:`samenhier.queries.surveys.loneliness_by_wave` may differ from those of another
    filter choice or role (issue 14), or None when every response counts on its own.

    From its ``left_out`` and ``pooled`` columns (per wave and role, repeated per category), summed over the
    waves and roles shown: responses of small cells left out of every figure (with a filter), and responses
    of small cells that count only together (without a filter). How many were left out is not given: the
    difference of that number for two filter choices would be the size of a small cell, which the threshold
    rule keeps hidden like every figure about fewer than ``min_n`` people (:mod:`samenhier.disclosure`). The
    pool is safe by construction (at least ``min_n`` people), so its number is given.
    """
    per_wave = shares.drop_duplicates(["wave", "role"])
    return coverage_text(
        bool(per_wave["left_out"].sum()), int(per_wave["pooled"].sum()), "surveys.coverage", lang
    )


def coverage_text(left_out: bool, pooled: int, keys: str, lang: str | None = None) -> str | None:
    """The sentences of a note on the cell method (Enquêtes page, year report): that responses were left out
    (``left_out``; never how many), how many count only in the pool (``pooled``), and why — the messages
    ``<keys>.left_out``, ``<keys>.pooled`` and ``<keys>.why``. None when neither applies."""
    sentences = []
    if left_out:
        sentences.append(_t(f"{keys}.left_out", lang))
    if pooled:
        sentences.append(_t(f"{keys}.pooled", lang, count=formatting.format_number(pooled, lang, decimals=0)))
    if not sentences:
        return None
    return " ".join([*sentences, _t(f"{keys}.why", lang)])


def loneliness_summary(shares: pd.DataFrame, role: str, lang: str | None = None) -> str:
    """One sentence on the share lonely of ``role`` at the nulmeting and the eindmeting, from
    :func:`samenhier.queries.surveys.loneliness_by_wave` (rows with category ``eenzaam``)."""
    lonely = shares[(shares["role"] == role) & (shares["category"] == LONELY)]
    parts = []
    for wave in (Wave.BASELINE, Wave.MIDTERM, Wave.END):
        row = lonely[lonely["wave"] == wave.value]
        if row.empty or row.iloc[0]["n"] == 0:  # NaN: hidden, not none
            continue
        row = row.iloc[0]
        label = i18n.label("wave", wave.value, lang)
        if row["suppressed"]:
            parts.append(_t("surveys.summary.lonely_part_few", lang, wave=label))
        else:
            parts.append(
                _t(
                    "surveys.summary.lonely_part",
                    lang,
                    wave=label,
                    share=_share(row["share"], lang),
                    n=int(row["n"]),
                    low=_share(row["ci_low"], lang),
                    high=_share(row["ci_high"], lang),
                )
            )
    if not parts:
        return _t("surveys.summary.no_answers", lang, people=_role_plural(role, lang))
    return _t("surveys.summary.lonely", lang, people=_role_plural(role, lang), parts="; ".join(parts))


def format_p_value(p_value: float, lang: str | None = None) -> str:
    """A p-value for people: three decimals (``0,012``), ``< 0,001`` below that, empty when NaN."""
    if p_value != p_value:
        return ""
    return _number(p_value, lang, decimals=3) if p_value >= 0.001 else "< " + _number(0.001, lang, decimals=3)


def _p_phrase(p_value: float, lang: str | None) -> str:
    if p_value != p_value:
        return _t("surveys.summary.test_none", lang)
    p = ("p = " if p_value >= 0.001 else "p ") + format_p_value(p_value, lang)
    key = "surveys.summary.test_significant" if p_value < SIGNIFICANCE else "surveys.summary.test_chance"
    return _t(key, lang, p=p)


def paired_summary(summary: pd.DataFrame, role: str, lang: str | None = None) -> str:
    """Sentences on the paired change of ``role``: how many went down / stayed / went up in loneliness,
    the mean change with its interval and the test, and the same for feel-at-home; from
    :func:`samenhier.queries.surveys.paired_changes`'s ``summary``. A measure nobody has both scores
    for is left out; "too few" replaces the figures of a suppressed measure."""
    people = _role_plural(role, lang)
    rows = summary[(summary["role"] == role) & ((summary["n"] > 0) | summary["n"].isna())]
    if rows.empty:
        return _t("surveys.summary.paired_none", lang, people=people)
    sentences = []
    for measure in (LONELINESS, FEEL_AT_HOME):
        row = rows[rows["measure"] == measure]
        if row.empty:
            continue
        row = row.iloc[0]
        if row["suppressed"]:
            sentences.append(_t(f"surveys.summary.paired_few.{measure}", lang, people=people))
            continue
        sentences.append(
            _t(
                f"surveys.summary.paired.{measure}",
                lang,
                people=people,
                n=int(row["n"]),
                down=int(row["decreased"]),
                same=int(row["same"]),
                up=int(row["increased"]),
                mean=_signed(row["mean_change"], lang),
                low=_signed(row["ci_low"], lang),
                high=_signed(row["ci_high"], lang),
                test=_p_phrase(row["p_value"], lang),
            )
        )
        if interval_warning(row["ci_low"], row["ci_high"], int(row["n"])):
            sentences.append(_t("surveys.summary.all_same", lang))
    return " ".join(sentences)


def end_of_year_summary(
    change: pd.DataFrame, contacts: pd.DataFrame, role: str, lang: str | None = None
) -> str:
    """One sentence on the self-reported change (share ``minder``) and the new contacts of ``role`` at the
    eindmeting, from :func:`samenhier.queries.surveys.end_of_year`."""
    people = _role_plural(role, lang)
    rows = change[(change["role"] == role) & (change["answer"] == SelfReportedChange.LESS.value)]
    sentences = []
    if rows.empty or rows.iloc[0]["n"] == 0:
        sentences.append(_t("surveys.summary.no_answers", lang, people=people))
    elif rows.iloc[0]["suppressed"]:
        sentences.append(_t("surveys.summary.change_few", lang, people=people))
    else:
        row = rows.iloc[0]
        sentences.append(
            _t(
                "surveys.summary.change",
                lang,
                people=people,
                share=_share(row["share"], lang),
                n=int(row["n"]),
                low=_share(row["ci_low"], lang),
                high=_share(row["ci_high"], lang),
            )
        )
    rows = contacts[contacts["role"] == role]
    if not rows.empty and not rows.iloc[0]["suppressed"] and rows.iloc[0]["n"] > 0:
        row = rows.iloc[0]
        sentences.append(
            _t(
                "surveys.summary.contacts",
                lang,
                mean=_number(row["mean"], lang),
                median=_number(row["median"], lang, decimals=0),
                n=int(row["n"]),
            )
        )
    return " ".join(sentences)
