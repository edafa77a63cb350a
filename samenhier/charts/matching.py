"""Charts of the matching page: the waiting queue per municipality, wait times, and the matching funnel."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pandas as pd
import plotly.graph_objects as go

from samenhier.charts.style import layout

NEWCOMER_COLOUR = "#e76f51"
GROUP_COLOUR = "#f2a541"
FUNNEL_COLOURS = ["#264653", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#8d99ae", "#b5838d", "#6d597a"]


def _height(summary: pd.DataFrame) -> int:
    return 140 + 50 * max(1, len(summary))


def pending_matches(summary: pd.DataFrame, *, labels: Mapping[str, str], axis_title: str) -> go.Figure:
    """Grouped horizontal bars per municipality: newcomers waiting next to groups waiting.

    ``summary`` is :func:`samenhier.queries.matching.queue_summary`'s frame (``municipality``,
    ``newcomers_waiting``, ``groups_waiting``); ``labels`` maps ``newcomers`` and ``groups`` to legend
    texts in the user's language.
    """
    fig = go.Figure()
    for column, key, colour in (("newcomers_waiting", "newcomers", NEWCOMER_COLOUR), ("groups_waiting", "groups", GROUP_COLOUR)):
        fig.add_bar(
            y=summary["municipality"], x=summary[column], name=labels[key], orientation="h", marker_color=colour,
            text=summary[column], textposition="auto", hovertemplate="%{y}: %{x}<extra>" + labels[key] + "</extra>",
        )
    fig.update_layout(barmode="group", xaxis_title=axis_title, yaxis=dict(autorange="reversed", type="category"))
    return layout(fig, height=_height(summary))


def wait_times(summary: pd.DataFrame, *, labels: Mapping[str, str], axis_title: str) -> go.Figure:
    """Median and 90th percentile of the days waiting, per municipality, for newcomers and for groups.

    ``summary`` as for :func:`pending_matches` (columns ``newcomer_wait_median``, ``newcomer_wait_p90``,
    ``group_wait_median``, ``group_wait_p90``, days; missing values are left out); ``labels`` maps each
    of those column names to a legend text. The median is a solid bar, the 90th percentile a lighter one.
    """
    fig = go.Figure()
    styles = {
        "newcomer_wait_median": (NEWCOMER_COLOUR, 1.0), "newcomer_wait_p90": (NEWCOMER_COLOUR, 0.45),
        "group_wait_median": (GROUP_COLOUR, 1.0), "group_wait_p90": (GROUP_COLOUR, 0.45),
    }
    for column, (colour, opacity) in styles.items():
        values = pd.to_numeric(summary[column], errors="coerce")
        fig.add_bar(
            y=summary["municipality"], x=values.round(0), name=labels[column], orientation="h", marker_color=colour,
            marker_opacity=opacity, hovertemplate="%{y}: %{x}<extra>" + labels[column] + "</extra>",
        )
    fig.update_layout(barmode="group", xaxis_title=axis_title, yaxis=dict(autorange="reversed", type="category"))
    return layout(fig, height=140 + 90 * max(1, len(summary)))


def funnel(frame: pd.DataFrame, *, steps: tuple[str, ...], label: Callable[[str], str]) -> go.Figure:
    """One funnel trace per municipality over ``steps`` (e.g. registered → proposed → started → completed).

    ``frame`` is :func:`samenhier.queries.matching.funnel`'s frame (``municipality``, ``step``,
    ``newcomers``); ``label`` turns a step into its text in the user's language.
    """
    fig = go.Figure()
    for index, (municipality, part) in enumerate(frame.groupby("municipality", sort=True)):
        part = part.set_index("step").reindex(list(steps))
        fig.add_trace(go.Funnel(
            name=municipality, y=[label(s) for s in steps], x=part["newcomers"].fillna(0).astype(int).tolist(),
            textinfo="value", marker_color=FUNNEL_COLOURS[index % len(FUNNEL_COLOURS)],
        ))
    return layout(fig, height=380)
