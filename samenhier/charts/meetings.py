"""Charts of the meetings page: the year heatmap and meetings per month (by municipality, by kind)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import plotly.graph_objects as go

from samenhier.charts.style import layout
from samenhier.models import MeetingKind

KIND_COLOURS = {
    MeetingKind.GROUP_ACTIVITY.value: "#2a9d8f",
    MeetingKind.ONE_TO_ONE.value: "#e9c46a",
    MeetingKind.BUILDER_VISIT.value: "#f4a261",
    MeetingKind.ONLINE.value: "#8d99ae",
}
HEATMAP_SCALE = [[0.0, "#d8f0ec"], [0.5, "#2a9d8f"], [1.0, "#12463f"]]


def _values(series: pd.Series) -> list[int | None]:
    """Counts for plotly: whole numbers, None (no point, no bar) where missing."""
    return [None if pd.isna(v) else int(v) for v in series]


def meeting_heatmap(
    grid: pd.DataFrame,
    *,
    row_key: str,
    row_label: Callable[[pd.Series], str],
    column: str,
    columns: Sequence,
    column_labels: Sequence[str] | None = None,
    describe: Callable[[list], str],
    x_title: str,
    colour_title: str,
) -> go.Figure:
    """Rows × columns of meeting counts; a cell without meetings stays empty (no colour).

    ``grid`` is long (one row per row × column, as from :func:`samenhier.queries.meetings.week_heatmap`
    or ``programme_heatmap``) with ``row_key`` (one value per heatmap row, rows kept in the order they
    first appear), ``column`` (values from ``columns``), ``meetings`` (count) and ``details`` (list of
    ``(date, kind)``). ``row_label`` makes a row's label from its first grid row (labels must be
    unique); ``column_labels`` (default: ``columns`` as text) are the x categories — every one is on
    the axis, also when no row has a meeting there; ``describe`` turns a cell's details into hover text.
    """
    labels = [str(c) for c in (column_labels if column_labels is not None else columns)]
    firsts = grid.drop_duplicates(row_key, keep="first")
    keys = list(firsts[row_key])
    y = [row_label(row) for _, row in firsts.iterrows()]
    counts = grid.pivot(index=row_key, columns=column, values="meetings").reindex(index=keys, columns=list(columns))
    details = grid.pivot(index=row_key, columns=column, values="details").reindex(index=keys, columns=list(columns))
    z = [[None if pd.isna(v) or v == 0 else int(v) for v in row] for row in counts.to_numpy()]
    text = [[describe(d) if isinstance(d, list) and d else "" for d in row] for row in details.to_numpy()]
    # The trace as a dict: plotly validates it once (go.Figure(go.Heatmap(…)) validates 7,950 cells twice).
    fig = go.Figure(data=[dict(
        type="heatmap", z=z, x=labels, y=y, customdata=text, colorscale=HEATMAP_SCALE, zmin=1, xgap=1, ygap=1,
        hoverongaps=False, colorbar=dict(title=dict(text=colour_title), thickness=12, dtick=1, tickformat="d"),
        hovertemplate="%{y}<br>%{x}: %{z}<br>%{customdata}<extra></extra>",
    )])
    fig.update_layout(
        xaxis=dict(type="category", categoryorder="array", categoryarray=labels, title=x_title, tickangle=-60, side="top"),
        yaxis=dict(type="category", categoryorder="array", categoryarray=y, autorange="reversed"),
    )
    return layout(fig, height=160 + 22 * max(1, len(y)))


def meetings_by_municipality(
    monthly: pd.DataFrame, *, month_labels: Sequence[str], axis_title: str
) -> go.Figure:
    """One line per municipality: meetings per month (all kinds).

    ``monthly`` has columns ``municipality``, ``month`` (1–12), ``kind``, ``meetings`` (as from
    :func:`samenhier.queries.meetings.monthly_counts`); ``month_labels`` are the 12 x labels. Months
    missing from ``monthly`` (not yet happened) have no point.
    """
    # One pivot and dict traces: with 40 municipalities, per-municipality pandas steps and add_scatter
    # calls cost more than everything else on the page.
    totals = monthly.pivot_table(index="municipality", columns="month", values="meetings", aggfunc="sum", sort=True)
    totals = totals.reindex(columns=range(1, 13))
    fig = go.Figure(data=[
        dict(type="scatter", x=list(month_labels), y=_values(row), name=str(municipality), mode="lines+markers",
             hovertemplate="%{x}: %{y}<extra>" + str(municipality) + "</extra>")
        for municipality, row in totals.iterrows()
    ])
    fig.update_layout(xaxis=dict(type="category", categoryorder="array", categoryarray=list(month_labels)),
                      yaxis=dict(title=axis_title, rangemode="tozero"))
    return layout(fig)


def meetings_by_kind(
    monthly: pd.DataFrame, *, month_labels: Sequence[str], kind_label: Callable[[str], str], axis_title: str
) -> go.Figure:
    """Stacked bars: meetings per month, one colour per kind of meeting (vocabulary order).

    ``monthly`` as for :func:`meetings_by_municipality`; ``kind_label`` shows a stored kind in the
    user's language. Months missing from ``monthly`` have no bar.
    """
    totals = monthly.groupby(["kind", "month"], as_index=False)["meetings"].sum()
    fig = go.Figure()
    for kind in MeetingKind:
        part = totals[totals["kind"] == kind.value].set_index("month").reindex(range(1, 13))
        fig.add_bar(
            x=list(month_labels), y=_values(part["meetings"]), name=kind_label(kind.value),
            marker_color=KIND_COLOURS[kind.value],
            hovertemplate="%{x}: %{y}<extra>" + kind_label(kind.value) + "</extra>",
        )
    fig.update_layout(barmode="stack", xaxis=dict(type="category", categoryorder="array", categoryarray=list(month_labels)),
                      yaxis=dict(title=axis_title, rangemode="tozero"))
    return layout(fig)
