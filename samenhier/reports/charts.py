"""The year report's charts as PNG images (matplotlib, no display needed: the ``Agg`` backend).

Colours per role are the survey page's (:data:`samenhier.charts.surveys.ROLE_COLOURS`), so the report
looks like the dashboard. Suppressed figures (None) are not drawn.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from samenhier import formatting, i18n  # noqa: E402
from samenhier.charts.surveys import ROLE_COLOURS  # noqa: E402
from samenhier.models import Wave  # noqa: E402
from samenhier.survey_stats import ROLES  # noqa: E402

SIZE = (7.0, 3.0)
"""Inches; at 150 dpi a 1050 × 450 pixel image that fits an A4 page's text width."""


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def meetings_chart(per_month: dict[str, int], lang: str) -> bytes:
    """Bars: meetings per calendar month (``{YYYY-MM: count}``)."""
    fig, ax = plt.subplots(figsize=SIZE)
    labels = [formatting.format_date(dt.date(int(m[:4]), int(m[5:7]), 1), lang, fmt="MMM") for m in per_month]
    ax.bar(labels, list(per_month.values()), color="#264653")
    ax.set_ylabel(i18n.t("year.chart.meetings_axis", lang))
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def has_lonely_shares(waves: dict[str, Any]) -> bool:
    """Whether :func:`lonely_chart` has anything to draw (a share not suppressed)."""
    return any(waves[w.value][r]["lonely"]["share"] is not None for w in Wave for r in ROLES)


def lonely_chart(waves: dict[str, Any], lang: str) -> bytes:
    """Share lonely per wave and role with its 95% interval (error bars), the roles side by side."""
    fig, ax = plt.subplots(figsize=SIZE)
    width = 0.38
    for i, role in enumerate(ROLES):
        xs, ys, errors = [], [], [[], []]
        for j, wave in enumerate(Wave):
            block = waves[wave.value][role]["lonely"]
            if block["share"] is None:
                continue
            xs.append(j + (i - 0.5) * width)
            ys.append(100 * block["share"])
            errors[0].append(100 * (block["share"] - block["ci_low"]))
            errors[1].append(100 * (block["ci_high"] - block["share"]))
        if xs:  # a role whose every share is suppressed is not drawn (nor in the legend)
            ax.bar(
                xs,
                ys,
                width=width,
                yerr=errors,
                capsize=3,
                color=ROLE_COLOURS[role],
                label=i18n.t(f"surveys.people.{role}", lang),
            )
    ax.set_xticks(range(len(Wave)), [i18n.label("wave", w.value, lang) for w in Wave])
    ax.set_ylim(0, 100)
    ax.set_ylabel(i18n.t("year.chart.lonely_axis", lang))
    ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncols=len(ROLES))
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
