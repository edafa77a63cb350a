"""Charts of "Mijn groepen": a group's meeting cadence."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from samenhier.charts.style import PARTIAL_OPACITY, PARTIAL_PATTERN, integer_axis, layout


def meeting_cadence(
    cadence: pd.DataFrame,
    *,
    axis_title: str,
    hover: str,
    partial_month: str | None = None,
    partial_label: str = "",
) -> go.Figure:
    """Bars: meetings per calendar month. ``cadence`` has columns ``month`` (``YYYY-MM``) and
    ``meetings`` (count), as :func:`samenhier.queries.progress.meeting_cadence` returns; ``hover`` is a
    hover template naming the count (e.g. ``"%{y} bijeenkomsten"``). The bar of ``partial_month``
    (``YYYY-MM``, the month not over yet) is hatched and lighter, labelled ``partial_label``; the count
    axis has whole ticks only."""
    months = list(cadence["month"])
    partial = [month == partial_month for month in months]
    fig = go.Figure(
        go.Bar(
            x=months,
            y=cadence["meetings"],
            text=cadence["meetings"],
            textposition="outside",
            marker=dict(
                color="#0072B2",
                pattern=dict(shape=[PARTIAL_PATTERN if p else "" for p in partial]),
                opacity=[PARTIAL_OPACITY if p else 1.0 for p in partial],
            ),
            hovertemplate="%{x}: " + hover + "<extra></extra>",
        )
    )
    largest = float(cadence["meetings"].max()) if len(cadence) else 0.0
    fig.update_layout(
        yaxis_title=axis_title,
        xaxis=dict(type="category"),
        yaxis=dict(integer_axis(largest), range=[0, largest * 1.2 + 0.5]),
    )  # room for the numbers on top
    if partial_month in months:
        fig.add_annotation(
            text=partial_label,
            x=partial_month,
            xref="x",
            y=1,
            yref="paper",
            yanchor="top",
            showarrow=False,
            font=dict(size=11, color="#555"),
        )
    return layout(fig, height=260)
