"""Charts of the survey page: response, loneliness per wave, paired change, the end-of-year questions.

Pure functions DataFrame → plotly Figure over the frames of :mod:`samenhier.queries.surveys`. Rows
marked ``suppressed`` are never drawn. ``label(vocabulary, value)`` turns a stored word into the text
of the user's language (``i18n.label`` with the language bound); other texts come in as arguments.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from samenhier.charts.style import layout
from samenhier.loneliness import Band
from samenhier.models import SelfReportedChange, Wave
from samenhier.survey_stats import LONELY, ROLES

Label = Callable[[str, str], str]
ROLE_COLOURS = {"nieuwkomer": "#2a9d8f", "lid": "#264653"}
BAND_COLOURS = {
    Band.NOT_LONELY.value: "#a8dadc",
    Band.MODERATE.value: "#f4a261",
    Band.SEVERE.value: "#e76f51",
}
CHANGE_COLOURS = {
    SelfReportedChange.LESS.value: "#2a9d8f",
    SelfReportedChange.SAME.value: "#c7d2e0",
    SelfReportedChange.MORE.value: "#e76f51",
}


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~frame["suppressed"]] if "suppressed" in frame else frame


def _finish(fig: go.Figure, *, height: int = 360) -> go.Figure:
    """The dashboard's layout, with the legend above the plot (below it, it would cover the x-axis title)."""
    layout(fig, height=height)
    fig.update_layout(
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0, traceorder="normal"), margin=dict(t=50)
    )
    return fig


def response_rates(totals: pd.DataFrame, *, label: Label, axis_title: str) -> go.Figure:
    """Grouped bars: response rate (%) per wave, one bar per role, labelled ``responses/invited``.

    ``totals``: wave, role, invited, responses, rate (0–1), suppressed.
    """
    fig = go.Figure()
    shown = _shown(totals)
    for role in ROLES:
        part = shown[shown["role"] == role]
        if part.empty:
            continue
        fig.add_bar(
            x=[label("wave", w) for w in part["wave"]],
            y=part["rate"] * 100,
            name=label("respondent_role", role),
            marker_color=ROLE_COLOURS[role],
            text=[f"{int(r)}/{int(i)}" for r, i in zip(part["responses"], part["invited"], strict=True)],
            textposition="outside",
            hovertemplate="%{x}: %{y:.0f}% (%{text})<extra>" + label("respondent_role", role) + "</extra>",
        )
    fig.update_layout(barmode="group", yaxis=dict(title=axis_title, range=[0, 110], ticksuffix="%"))
    return _finish(fig)


def lonely_shares(shares: pd.DataFrame, *, label: Label, axis_title: str) -> go.Figure:
    """Bars with 95% intervals: share lonely (total ≥ 2) per wave, one bar per role, ``n`` on each bar.

    ``shares``: :func:`samenhier.queries.surveys.loneliness_by_wave` (rows of category ``eenzaam`` are used).
    """
    fig = go.Figure()
    shown = _shown(shares[shares["category"] == LONELY])
    for role in ROLES:
        part = shown[shown["role"] == role]
        if part.empty:
            continue
        fig.add_bar(
            x=[label("wave", w) for w in part["wave"]],
            y=part["share"] * 100,
            name=label("respondent_role", role),
            marker_color=ROLE_COLOURS[role],
            error_y=dict(
                type="data",
                symmetric=False,
                array=(part["ci_high"] - part["share"]) * 100,
                arrayminus=(part["share"] - part["ci_low"]) * 100,
                color="#555",
            ),
            text=[f"n = {int(n)}" for n in part["n"]],
            textposition="inside",
            insidetextanchor="start",
            hovertemplate="%{x}: %{y:.0f}% (%{text})<extra>" + label("respondent_role", role) + "</extra>",
        )
    fig.update_layout(barmode="group", yaxis=dict(title=axis_title, range=[0, 105], ticksuffix="%"))
    return _finish(fig)


def band_distribution(shares: pd.DataFrame, *, label: Label, axis_title: str) -> go.Figure:
    """Stacked bars (100%): the three loneliness bands per wave and role (two-level x axis, ``n`` under each bar)."""
    fig = go.Figure()
    shown = _shown(shares[shares["category"] != LONELY])
    order = {w.value: i for i, w in enumerate(Wave)}
    shown = shown.sort_values(
        ["wave", "role"],
        key=lambda c: c.map(order) if c.name == "wave" else c.map({r: i for i, r in enumerate(ROLES)}),
    )
    for band in Band:
        part = shown[shown["category"] == band.value]
        if part.empty:
            continue
        fig.add_bar(
            x=[
                [label("wave", w) for w in part["wave"]],
                [
                    f"{label('respondent_role', r)} (n = {int(n)})"
                    for r, n in zip(part["role"], part["n"], strict=True)
                ],
            ],
            y=part["share"] * 100,
            name=label("band", band.value),
            marker_color=BAND_COLOURS[band.value],
            text=[f"{s * 100:.0f}%" for s in part["share"]],
            textposition="inside",
            hovertemplate="%{x}: %{y:.0f}%<extra>" + label("band", band.value) + "</extra>",
        )
    fig.update_layout(barmode="stack", yaxis=dict(title=axis_title, range=[0, 100], ticksuffix="%"))
    return _finish(fig, height=400)


def change_distribution(
    distribution: pd.DataFrame, measure: str, *, label: Label, x_title: str, y_title: str
) -> go.Figure:
    """Bars: how many people changed by each number of points (end − baseline) on ``measure``, per role.

    ``distribution``: role, measure, change, people (:class:`samenhier.queries.surveys.PairedChanges`).
    """
    fig = go.Figure()
    part_measure = distribution[distribution["measure"] == measure]
    for role in ROLES:
        part = part_measure[part_measure["role"] == role]
        if part.empty:
            continue
        fig.add_bar(
            x=part["change"],
            y=part["people"],
            name=label("respondent_role", role),
            marker_color=ROLE_COLOURS[role],
            text=part["people"],
            textposition="outside",
            hovertemplate="%{x:+d}: %{y}<extra>" + label("respondent_role", role) + "</extra>",
        )
    fig.update_layout(
        barmode="group", xaxis=dict(title=x_title, dtick=1, zeroline=True), yaxis=dict(title=y_title)
    )
    return _finish(fig)


def dumbbell(
    summary: pd.DataFrame,
    measure: str,
    *,
    label: Label,
    baseline_name: str,
    end_name: str,
    x_title: str,
    x_range: tuple[float, float],
) -> go.Figure:
    """Dumbbell: per role, the mean score at the nulmeting and at the eindmeting of the same people, joined by a line.

    ``summary``: :class:`samenhier.queries.surveys.PairedChanges` ``summary``; ``x_range`` the scale (0–6, 1–5).
    """
    shown = _shown(summary[summary["measure"] == measure])
    fig = go.Figure()
    roles = [label("respondent_role", r) for r in shown["role"]]
    for role, row in zip(roles, shown.itertuples(), strict=True):
        fig.add_scatter(
            x=[row.baseline_mean, row.end_mean],
            y=[role, role],
            mode="lines",
            line=dict(color="#999", width=3),
            showlegend=False,
            hoverinfo="skip",
        )
    fig.add_scatter(
        x=shown["baseline_mean"],
        y=roles,
        mode="markers",
        name=baseline_name,
        marker=dict(size=14, color="#c7d2e0"),
        hovertemplate="%{y}: %{x:.2f}<extra>" + baseline_name + "</extra>",
    )
    fig.add_scatter(
        x=shown["end_mean"],
        y=roles,
        mode="markers",
        name=end_name,
        marker=dict(size=14, color="#2a9d8f"),
        text=[f"n = {int(n)}" for n in shown["n"]],
        hovertemplate="%{y}: %{x:.2f} (%{text})<extra>" + end_name + "</extra>",
    )
    fig.update_layout(
        xaxis=dict(title=x_title, range=[x_range[0] - 0.2, x_range[1] + 0.2], dtick=1),
        yaxis=dict(type="category"),
    )
    return _finish(fig, height=140 + 50 * max(1, len(shown)))


def self_reported_change(change: pd.DataFrame, *, label: Label, axis_title: str) -> go.Figure:
    """Stacked horizontal bars (100%): less / same / more lonely at the eindmeting, per role.

    ``change``: :class:`samenhier.queries.surveys.EndOfYear` ``change``.
    """
    shown = _shown(change)
    fig = go.Figure()
    for answer in SelfReportedChange:
        part = shown[shown["answer"] == answer.value]
        if part.empty:
            continue
        fig.add_bar(
            y=[label("respondent_role", r) for r in part["role"]],
            x=part["share"] * 100,
            orientation="h",
            name=label("change", answer.value),
            marker_color=CHANGE_COLOURS[answer.value],
            text=[f"{s * 100:.0f}%" for s in part["share"]],
            textposition="inside",
            hovertemplate="%{y}: %{x:.0f}%<extra>" + label("change", answer.value) + "</extra>",
        )
    fig.update_layout(
        barmode="stack",
        xaxis=dict(title=axis_title, range=[0, 100], ticksuffix="%"),
        yaxis=dict(type="category"),
    )
    return _finish(fig, height=140 + 50 * max(1, shown["role"].nunique()))
