"""Charts of the overview: groups by status."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from samenhier.charts.style import layout
from samenhier.models import GroupStatus

STATUS_COLOURS = {
    GroupStatus.RECRUITING.value: "#c7d2e0",
    GroupStatus.TRAINING.value: "#9fb6d3",
    GroupStatus.AWAITING_MATCH.value: "#f2a541",
    GroupStatus.ACTIVE.value: "#2a9d8f",
    GroupStatus.COMPLETED.value: "#264653",
    GroupStatus.STOPPED.value: "#b5838d",
}


def groups_by_status(counts: pd.DataFrame, *, label: Callable[[str], str], axis_title: str) -> go.Figure:
    """Stacked horizontal bars: groups per municipality, one colour per status in life-cycle order.

    ``counts`` has columns ``municipality``, ``status`` (stored word), ``groups``; ``label`` turns a
    status into the legend text of the user's language.
    """
    fig = go.Figure()
    for status in GroupStatus:
        part = counts[counts["status"] == status.value]
        if part.empty:
            continue
        fig.add_bar(
            y=part["municipality"],
            x=part["groups"],
            name=label(status.value),
            orientation="h",
            marker_color=STATUS_COLOURS[status.value],
            text=part["groups"],
            textposition="inside",
            hovertemplate="%{y}: %{x}<extra>" + label(status.value) + "</extra>",
        )
    municipalities = sorted(counts["municipality"].unique())
    fig.update_layout(
        barmode="stack",
        xaxis_title=axis_title,
        yaxis=dict(
            type="category", categoryorder="array", categoryarray=municipalities, autorange="reversed"
        ),
    )
    return layout(fig, height=120 + 45 * max(1, counts["municipality"].nunique()))
