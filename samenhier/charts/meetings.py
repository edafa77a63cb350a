"""Charts of the meetings page: the year heatmap and meetings per month (by municipality, by kind)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from samenhier.charts.style import (
    PARTIAL_OPACITY,
    PARTIAL_PATTERN,
    integer_axis,
    layout,
    municipality_colour,
    municipality_dash,
)
from samenhier.escape import PLOTLY, user_text
from samenhier.models import MeetingKind

KIND_COLOURS = {  # Okabe–Ito colours (colour-blind safe)
    MeetingKind.GROUP_ACTIVITY.value: "#009E73",
    MeetingKind.ONE_TO_ONE.value: "#E69F00",
    MeetingKind.BUILDER_VISIT.value: "#56B4E9",
    MeetingKind.ONLINE.value: "#999999",
}
HEATMAP_LEVELS = ["#e4e4e4", "#ffffff", "#c6e3f5", "#6bb3e0", "#1f78b4", "#08306b"]
"""Discrete heatmap colours: outside the group's year or in the future (grey), no meeting (white), 1, 2,
3 and 4 or more meetings (light to dark blue, ColorBrewer "Blues": readable with colour blindness)."""
OUTSIDE, NO_MEETING = -1, 0
"""The heatmap's z of a cell outside the group's year (or in the future) and of a cell without a meeting;
any other z is the number of meetings (colours step at 1, 2, 3 and 4 or more)."""
TOP_LEVEL = 4
"""Four meetings or more in one cell share the darkest colour."""


def _discrete_scale(levels: list[str]) -> list[list]:
    """A plotly colourscale of flat steps, one per level (for zmin = OUTSIDE − ½, zmax = TOP_LEVEL + ½)."""
    steps = []
    for index, colour in enumerate(levels):
        steps += [[index / len(levels), colour], [(index + 1) / len(levels), colour]]
    return steps


def _values(series: pd.Series, kind: type = int) -> list[int | float | None]:
    """Figures for plotly: counts as whole numbers (``kind`` int) or meetings per group (``kind`` float), None
    (no point, no bar) where missing."""
    return [None if pd.isna(v) else kind(v) for v in series]


def meeting_heatmap(
    grid: pd.DataFrame,
    *,
    row_key: str,
    row_label: Callable[[dict], str],
    row_title: Callable[[dict], str] | None = None,
    column: str,
    columns: Sequence,
    column_labels: Sequence[str] | None = None,
    describe: Callable[[list], str],
    x_title: str,
    outside: pd.Series | None = None,
) -> go.Figure:
    """Rows × columns of meeting counts on a discrete scale: grey outside the group's year or in the
    future (z = :data:`OUTSIDE`), white for no meeting (z = 0), then 1, 2, 3 and 4+ meetings (z = the count); municipalities named at the right of
    their block of rows, in their own colour (:func:`~samenhier.charts.style.municipality_colour`).

    ``grid`` is long (one row per row × column, as from :func:`samenhier.queries.meetings.week_heatmap`
    or ``programme_heatmap``) with ``row_key`` (one value per heatmap row, rows kept in the order they
    first appear), ``column`` (values from ``columns``), ``meetings`` (count), ``details`` (list of
    ``(date, kind)``) and ``municipality``. ``row_label`` makes a row's label from its first grid row (a
    dict of column → value; labels must be unique, and short: they share a phone's 358 px with the grid);
    ``row_title`` (default ``row_label``) names the row in full in the hover text; ``column_labels`` (default: ``columns`` as text) are the x categories —
    every one is on the axis, also when no row has a meeting there; ``describe`` turns a cell's details
    into hover text. ``outside`` (bool per grid row, as
    :func:`samenhier.queries.meetings.outside_group_year`) marks the cells outside the group's year. The
    colours are explained by :func:`heatmap_legend`, shown under the chart (the figure has no colour bar).
    """
    labels = [str(c) for c in (column_labels if column_labels is not None else columns)]
    firsts = grid.drop_duplicates(row_key, keep="first")
    keys = list(firsts[row_key])
    rows = firsts.to_dict("records")
    y = [user_text(row_label(row), PLOTLY) for row in rows]  # group names: user text, not Plotly HTML
    titles = [user_text((row_title or row_label)(row), PLOTLY) for row in rows]
    cells = grid.assign(_outside=outside.to_numpy() if outside is not None else False)
    counts = cells.pivot(index=row_key, columns=column, values="meetings").reindex(
        index=keys, columns=list(columns)
    )
    outside_grid = cells.pivot(index=row_key, columns=column, values="_outside").reindex(
        index=keys, columns=list(columns)
    )
    details = cells.pivot(index=row_key, columns=column, values="details").reindex(
        index=keys, columns=list(columns)
    )
    # Whole grids at once: OUTSIDE outside the year, else the count, NO_MEETING where there is none.
    count_values = counts.to_numpy(dtype=float, na_value=np.nan)
    is_outside = outside_grid.fillna(False).to_numpy(dtype=bool)
    missing = np.isnan(count_values)
    whole = np.nan_to_num(count_values, nan=0).astype(np.int64)
    z = np.where(is_outside, OUTSIDE, np.where(missing, NO_MEETING, whole)).astype(np.int16)
    counts_text = np.where(missing, "", whole.astype(str)).tolist()
    text = [[describe(d) if isinstance(d, list) and d else "" for d in row] for row in details.to_numpy()]
    customdata = [
        [[n, t, title] for n, t in zip(n_row, t_row, strict=True)]
        for n_row, t_row, title in zip(counts_text, text, titles, strict=True)
    ]
    # The trace as a dict: plotly validates it once (go.Figure(go.Heatmap(…)) validates 7,950 cells twice).
    # customdata as one NumPy array, not lists of lists of pairs: plotly copies and checks nested lists cell by
    # cell (at 150 × 53 that was most of a warm rerun of the page), an array at once. It still goes out as lists.
    fig = go.Figure(
        data=[
            dict(
                type="heatmap",
                z=z.tolist(),
                x=labels,
                y=y,
                customdata=np.array(customdata, dtype=str),
                colorscale=_discrete_scale(HEATMAP_LEVELS),
                zmin=OUTSIDE - 0.5,
                zmax=TOP_LEVEL + 0.5,
                xgap=1,
                ygap=1,
                hoverongaps=False,
                showscale=False,  # the legend is HTML under the chart (heatmap_legend): it wraps on a phone
                hovertemplate="%{customdata[2]}<br>%{x}: %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
            )
        ]
    )
    annotations, shapes = [], []
    if "municipality" in firsts.columns:
        names = list(firsts["municipality"])
        for index, name in enumerate(names):
            if index == 0 or names[index - 1] != name:
                annotations.append(
                    dict(
                        text=f"<b>{name}</b>",
                        x=1.0,
                        xref="paper",
                        xanchor="left",
                        y=y[index],
                        yref="y",
                        yanchor="middle",
                        showarrow=False,
                        font=dict(color=municipality_colour(name), size=12),
                    )
                )
                if index:
                    shapes.append(
                        dict(
                            type="line",
                            xref="paper",
                            x0=0,
                            x1=1,
                            yref="y",
                            y0=index - 0.5,
                            y1=index - 0.5,
                            line=dict(color="#555", width=1),
                        )
                    )
    fig.update_layout(
        xaxis=dict(
            type="category",
            categoryorder="array",
            categoryarray=labels,
            title=x_title,
            tickangle=-60,
            side="top",
        ),
        yaxis=dict(type="category", categoryorder="array", categoryarray=y, autorange="reversed"),
        annotations=annotations,
        shapes=shapes,
    )
    layout(fig, height=220 + 22 * max(1, len(y)))
    return fig.update_layout(margin=dict(l=10, r=110, t=30, b=10))


def level_names(level_labels: Sequence[str]) -> list[str]:
    """The names of the heatmap's six colours, lowest first: ``level_labels`` (outside the year, no meeting),
    then 1, 2, 3 and 4+ meetings."""
    return [*level_labels, "1", "2", "3", f"{TOP_LEVEL}+"]


def heatmap_legend(title: str, level_labels: Sequence[str]) -> str:
    """The heatmap's legend as HTML for ``st.html``: ``title``, then a swatch in each colour of
    :data:`HEATMAP_LEVELS` with its name (:func:`level_names`), in a row that wraps. Plotly's colour bar
    is sized by the grid, which on a phone is 70-150 px wide: its six names ran into each other."""
    swatch = (
        '<span style="display:inline-flex;align-items:center;gap:4px;margin-right:12px">'
        '<span style="width:14px;height:14px;background:{colour};border:1px solid #999;display:inline-block"></span>'
        "{name}</span>"
    )
    items = "".join(
        swatch.format(colour=colour, name=html.escape(name))
        for colour, name in zip(HEATMAP_LEVELS, level_names(level_labels), strict=True)
    )
    return (
        '<div style="display:flex;flex-wrap:wrap;align-items:center;row-gap:4px;font-size:0.85rem;color:#555">'
        f'<span style="margin-right:12px">{html.escape(title)}:</span>{items}</div>'
    )


def _partial_marks(month_labels: Sequence[str], partial_month: int | None, partial_label: str) -> dict:
    """Layout of the partial month: a light band behind it with ``partial_label`` on top."""
    if partial_month is None:
        return {}
    label = month_labels[partial_month - 1]
    return dict(
        shapes=[
            dict(
                type="rect",
                xref="x",
                yref="paper",
                x0=partial_month - 1.5,
                x1=partial_month - 0.5,
                y0=0,
                y1=1,
                fillcolor="#f2f2f2",
                line=dict(width=0),
                layer="below",
            )
        ],
        annotations=[
            dict(
                text=partial_label,
                x=label,
                xref="x",
                y=1,
                yref="paper",
                yanchor="top",
                showarrow=False,
                textangle=-90,
                font=dict(size=11, color="#555"),
            )
        ],
    )


def meetings_by_municipality(
    monthly: pd.DataFrame,
    *,
    month_labels: Sequence[str],
    axis_title: str,
    partial_month: int | None = None,
    partial_label: str = "",
    groups: pd.DataFrame | None = None,
) -> go.Figure:
    """One line per municipality, in its fixed colour and dash (:mod:`samenhier.charts.style`): meetings per month.

    ``monthly`` has columns ``municipality``, ``month`` (1–12; a programme week 1–10 for a variant counted
    in weeks), ``kind``, ``meetings`` (as from :func:`samenhier.queries.meetings.monthly_counts`);
    ``month_labels`` are the x labels, one per month (or week). Months
    missing from ``monthly`` (not yet happened) have no point. ``partial_month`` (1–12) is the month
    that is not over yet: its points are open circles under a band labelled ``partial_label``.
    With ``groups`` (``municipality``, ``month``, ``groups``, as from
    :func:`samenhier.queries.meetings.programme_groups_reached`) each point is meetings per group
    that reached the month (two decimals), so later months do not fall only because fewer groups got there.
    """
    # One pivot and dict traces: with 40 municipalities, per-municipality pandas steps and add_scatter
    # calls cost more than everything else on the page.
    totals = monthly.pivot_table(
        index="municipality", columns="month", values="meetings", aggfunc="sum", sort=True
    )
    periods = range(1, len(month_labels) + 1)
    totals = totals.reindex(columns=periods)
    if groups is not None:
        reached = groups.pivot_table(index="municipality", columns="month", values="groups", aggfunc="sum")
        reached = reached.reindex(index=totals.index, columns=periods)
        totals = (totals / reached).round(2)
    symbols = ["circle-open" if m == partial_month else "circle" for m in periods]
    traces = []
    for municipality, row in totals.iterrows():
        name = str(municipality)
        values = _values(row, float if groups is not None else int)
        traces.append(
            dict(
                type="scatter",
                x=list(month_labels),
                y=values,
                name=name,
                mode="lines+markers",
                line=dict(color=municipality_colour(name), dash=municipality_dash(name)),
                marker=dict(color=municipality_colour(name), symbol=symbols, size=8),
                hovertemplate="%{x}: %{y}<extra>" + name + "</extra>",
            )
        )
    fig = go.Figure(data=traces)
    largest = float(totals.max().max()) if totals.notna().any().any() else 0.0
    y_axis = (
        dict(title=axis_title, rangemode="tozero")
        if groups is not None
        else dict(title=axis_title, **integer_axis(largest))
    )
    fig.update_layout(
        showlegend=True,  # plotly hides the legend of a lone trace: one municipality's line still names it
        xaxis=dict(type="category", categoryorder="array", categoryarray=list(month_labels)),
        yaxis=y_axis,
        **_partial_marks(month_labels, partial_month, partial_label),
    )
    return layout(fig)


def meetings_by_kind(
    monthly: pd.DataFrame,
    *,
    month_labels: Sequence[str],
    kind_label: Callable[[str], str],
    axis_title: str,
    partial_month: int | None = None,
    partial_label: str = "",
    groups: pd.DataFrame | None = None,
) -> go.Figure:
    """Stacked bars: meetings per month, one colour per kind of meeting (vocabulary order).

    ``monthly`` and ``month_labels`` as for :func:`meetings_by_municipality`; ``kind_label`` shows a stored
    kind in the user's language. Months missing from ``monthly`` have no bar. The bars of ``partial_month``
    (the month not over yet) are hatched and lighter, under a band labelled ``partial_label``. With
    ``groups`` (as for :func:`meetings_by_municipality`) each bar is meetings of that kind per group that
    reached the month (two decimals; the groups of every municipality together), in the same unit as the
    municipality chart beside it.
    """
    periods = range(1, len(month_labels) + 1)
    totals = monthly.groupby(["kind", "month"], as_index=False)["meetings"].sum()
    if groups is not None:
        reached = groups.groupby("month")["groups"].sum()
        totals["meetings"] = (totals["meetings"] / totals["month"].map(reached)).round(2)
    patterns = [PARTIAL_PATTERN if m == partial_month else "" for m in periods]
    opacity = [PARTIAL_OPACITY if m == partial_month else 1.0 for m in periods]
    fig = go.Figure()
    for kind in MeetingKind:
        part = totals[totals["kind"] == kind.value].set_index("month").reindex(periods)
        fig.add_bar(
            x=list(month_labels),
            y=_values(part["meetings"], int if groups is None else float),
            name=kind_label(kind.value),
            marker=dict(color=KIND_COLOURS[kind.value], pattern=dict(shape=patterns), opacity=opacity),
            hovertemplate="%{x}: %{y}<extra>" + kind_label(kind.value) + "</extra>",
        )
    per_month = totals.groupby("month")["meetings"].sum()
    largest = float(per_month.max()) if len(per_month) else 0.0
    fig.update_layout(
        barmode="stack",
        xaxis=dict(type="category", categoryorder="array", categoryarray=list(month_labels)),
        yaxis=dict(title=axis_title, rangemode="tozero")
        if groups is not None
        else dict(title=axis_title, **integer_axis(largest)),
        **_partial_marks(month_labels, partial_month, partial_label),
    )
    return layout(fig)
