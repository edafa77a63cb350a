"""The common look of every chart: layout, one fixed colour per municipality, integer axes, the partial month.

Colours come from the Okabe–Ito palette (Okabe & Ito, "Color Universal Design", 2008), which stays
distinguishable for the common forms of colour blindness. A municipality keeps its colour in every chart
and every filter: the colour is fixed by its place in :data:`samenhier.municipalities.MUNICIPALITIES`
(the four programme cities first), not by its place in one chart's legend. Beyond eight municipalities
the colours repeat with another line dash, so that no two of the forty listed look alike.
"""

from __future__ import annotations

import math
import zlib

import plotly.graph_objects as go

from samenhier.municipalities import MUNICIPALITIES

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
"""Okabe–Ito: blue, orange, bluish green, reddish purple, sky blue, vermillion, yellow, black."""
DASHES = ["solid", "dash", "dot", "dashdot", "longdash"]
PARTIAL_PATTERN = "/"
"""Bar fill pattern of a month that is not over yet (plotly ``marker.pattern.shape``)."""
PARTIAL_OPACITY = 0.55
_ORDER = {name: index for index, name in enumerate(MUNICIPALITIES)}


def _slot(municipality: str) -> int:
    """A municipality's fixed place: its index in the reference list, else a stable hash of its name."""
    if municipality in _ORDER:
        return _ORDER[municipality]
    return len(_ORDER) + zlib.crc32(municipality.encode("utf-8")) % 997


def municipality_colour(municipality: str) -> str:
    """The municipality's colour, the same in every chart (Den Haag blue, Almere orange, Haarlem green,
    Rotterdam purple, …)."""
    return OKABE_ITO[_slot(municipality) % len(OKABE_ITO)]


def municipality_dash(municipality: str) -> str:
    """The line dash that, with :func:`municipality_colour`, tells the municipality apart (solid for the first eight)."""
    return DASHES[(_slot(municipality) // len(OKABE_ITO)) % len(DASHES)]


def count_dtick(largest: float, *, ticks: int = 6) -> int:
    """A whole tick step for a count axis up to ``largest``: 1, 2, 5, 10, 20, 50, … with at most about
    ``ticks`` ticks (never a half person or half a meeting)."""
    if not largest or largest <= ticks or math.isnan(largest):
        return 1
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    for step in (1, 2, 5, 10):
        if step * power >= raw:
            return int(step * power)
    return int(10 * power)  # pragma: no cover - the loop always returns


def integer_axis(largest: float) -> dict:
    """Plotly axis settings for a count: whole ticks (:func:`count_dtick`), no decimals, starting at 0."""
    return dict(dtick=count_dtick(largest), tick0=0, tickformat="d", rangemode="tozero")


def layout(fig: go.Figure, *, height: int = 360) -> go.Figure:
    """Apply the dashboard's margins, font, legend position and height (pixels) to ``fig``."""
    fig.update_layout(
        height=height,
        margin=dict(l=10, r=10, t=30, b=10),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", traceorder="normal"),
        font=dict(size=13),
        plot_bgcolor="white",
    )
    return fig
