"""Charts of the matching page: the waiting queue per municipality, wait times, and the matching funnel."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pandas as pd
import plotly.graph_objects as go

from samenhier.charts.style import layout, municipality_colour

NEWCOMER_COLOUR = "#e76f51"
NEWCOMER_LIGHT = "#f5b9a8"
GROUP_COLOUR = "#f2a541"
GROUP_LIGHT = "#f9d8a6"
FUNNEL_COLUMNS = 4
"""Funnels per row; more municipalities wrap to the next row."""
FUNNEL_ROW_GAP = 60
"""Pixels between two rows of funnels (room for the subplot titles)."""
LEGEND_ON_TOP = dict(orientation="h", yanchor="bottom", y=1.0, x=0)


def _height(summary: pd.DataFrame) -> int:
    return 140 + 50 * max(1, len(summary))


def pending_matches(summary: pd.DataFrame, *, labels: Mapping[str, str], axis_title: str) -> go.Figure:
    """Grouped horizontal bars per municipality: newcomers waiting next to groups waiting.

    ``summary`` is :func:`samenhier.queries.matching.queue_summary`'s frame (``municipality``,
    ``newcomers_waiting``, ``groups_waiting``); ``labels`` maps ``newcomers`` and ``groups`` to legend
    texts in the user's language.
    """
    fig = go.Figure()
    for column, key, colour in (
        ("newcomers_waiting", "newcomers", NEWCOMER_COLOUR),
        ("groups_waiting", "groups", GROUP_COLOUR),
    ):
        fig.add_bar(
            y=summary["municipality"],
            x=summary[column],
            name=labels[key],
            orientation="h",
            marker_color=colour,
            text=summary[column],
            textposition="auto",
            hovertemplate="%{y}: %{x}<extra>" + labels[key] + "</extra>",
        )
    fig.update_layout(
        barmode="group", xaxis_title=axis_title, yaxis=dict(autorange="reversed", type="category")
    )
    return layout(fig, height=_height(summary)).update_layout(legend=LEGEND_ON_TOP)


def wait_times(summary: pd.DataFrame, *, labels: Mapping[str, str], axis_title: str) -> go.Figure:
    """Median and 90th percentile of the days waiting, per municipality, for newcomers and for groups.

    ``summary`` as for :func:`pending_matches` (columns ``newcomer_wait_median``, ``newcomer_wait_p90``,
    ``group_wait_median``, ``group_wait_p90``, days; missing values are left out); ``labels`` maps each
    of those column names to a legend text. The median is a full colour, the 90th percentile a lighter one.
    """
    fig = go.Figure()
    styles = {
        "newcomer_wait_median": NEWCOMER_COLOUR,
        "newcomer_wait_p90": NEWCOMER_LIGHT,
        "group_wait_median": GROUP_COLOUR,
        "group_wait_p90": GROUP_LIGHT,
    }
    for column, colour in styles.items():
        values = pd.to_numeric(summary[column], errors="coerce")
        fig.add_bar(
            y=summary["municipality"],
            x=values.round(0),
            name=labels[column],
            orientation="h",
            marker_color=colour,
            hovertemplate="%{y}: %{x}<extra>" + labels[column] + "</extra>",
        )
    fig.update_layout(
        barmode="group", xaxis_title=axis_title, yaxis=dict(autorange="reversed", type="category")
    )
    return layout(fig, height=140 + 90 * max(1, len(summary))).update_layout(legend=LEGEND_ON_TOP)


def _domain(low: float, high: float) -> list[float]:
    """An axis domain, rounded and kept inside [0, 1] (sums of fractions drift by 1e-17)."""
    return [min(1.0, max(0.0, round(low, 6))), min(1.0, max(0.0, round(high, 6)))]


def funnel(frame: pd.DataFrame, *, steps: tuple[str, ...], label: Callable[[str], str]) -> go.Figure:
    """One small funnel per municipality, in the municipality's colour, over ``steps`` (e.g. registered → proposed → started → completed),
    :data:`FUNNEL_COLUMNS` to a row, each step's count with its share of the first step.

    ``frame`` is :func:`samenhier.queries.matching.funnel`'s frame (``municipality``, ``step``,
    ``newcomers``); ``label`` turns a step into its text in the user's language.

    The grid of small charts is laid out here (axis domains and title annotations, as
    ``plotly.subplots.make_subplots`` would with shared y axes): ``make_subplots`` validates every axis
    one by one and took a quarter of a second for the 40 municipalities of a national programme.
    """
    names = sorted(frame["municipality"].unique())
    columns = max(1, min(FUNNEL_COLUMNS, len(names)))
    rows = max(1, math.ceil(len(names) / columns))
    height = 60 + 260 * rows
    # A gap in pixels between rows: as a fraction of the height it would shrink the charts of a long grid.
    h_gap, v_gap = 0.04, FUNNEL_ROW_GAP / height if rows > 1 else 0.0
    width = (1 - h_gap * (columns - 1)) / columns
    tall = (1 - v_gap * (rows - 1)) / rows
    y_labels = [label(s) for s in steps]
    counts = frame.pivot_table(index="municipality", columns="step", values="newcomers", aggfunc="sum")
    counts = counts.reindex(index=names, columns=list(steps)).fillna(0).astype(int)
    traces, axes, titles = [], {}, []
    for index, name in enumerate(names):
        row, column = divmod(index, columns)
        suffix = "" if index == 0 else str(index + 1)
        left = column * (width + h_gap)
        top = 1 - row * (tall + v_gap)
        first_in_row = "" if row == 0 else str(row * columns + 1)
        axes[f"xaxis{suffix}"] = dict(domain=_domain(left, left + width), anchor=f"y{suffix}")
        axes[f"yaxis{suffix}"] = dict(
            domain=_domain(top - tall, top),
            anchor=f"x{suffix}",
            **({} if column == 0 else dict(matches=f"y{first_in_row}", showticklabels=False)),
        )
        titles.append(
            dict(
                text=name,
                x=left + width / 2,
                y=top,
                xref="paper",
                yref="paper",
                xanchor="center",
                yanchor="bottom",
                showarrow=False,
                font=dict(size=16),
            )
        )
        traces.append(
            dict(
                type="funnel",
                name=name,
                y=y_labels,
                x=counts.loc[name].tolist(),
                xaxis=f"x{suffix}",
                yaxis=f"y{suffix}",
                textinfo="value+percent initial",
                marker=dict(color=municipality_colour(name)),
                showlegend=False,
                connector=dict(fillcolor="#d8efec"),
            )
        )
    fig = go.Figure(data=traces, layout=dict(annotations=titles, **axes))
    return layout(fig, height=height)
