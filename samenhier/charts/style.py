"""The common look of every chart."""

from __future__ import annotations

import plotly.graph_objects as go


def layout(fig: go.Figure, *, height: int = 360) -> go.Figure:
    """Apply the dashboard's margins, font, legend position and height (pixels) to ``fig``."""
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", traceorder="normal"),
        font=dict(size=13), plot_bgcolor="white",
    )
    return fig
