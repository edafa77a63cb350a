"""Charts of "Mijn groepen": a group's meeting cadence."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from samenhier.charts.style import layout


def meeting_cadence(cadence: pd.DataFrame, *, axis_title: str, hover: str) -> go.Figure:
    """Bars: meetings per calendar month. ``cadence`` has columns ``month`` (``YYYY-MM``) and
    ``meetings`` (count), as :func:`samenhier.queries.progress.meeting_cadence` returns; ``hover`` is a
    hover template naming the count (e.g. ``"%{y} bijeenkomsten"``)."""
    fig = go.Figure(go.Bar(x=cadence["month"], y=cadence["meetings"], marker_color="#2a9d8f", text=cadence["meetings"],
                           textposition="outside", hovertemplate="%{x}: " + hover + "<extra></extra>"))
    fig.update_layout(yaxis_title=axis_title, xaxis=dict(type="category"), yaxis=dict(rangemode="tozero", dtick=1))
    return layout(fig, height=260)
