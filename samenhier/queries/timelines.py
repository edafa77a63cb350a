"""Reads of the programme variants' timelines (issue 19): the stored timelines and the Beheer → Varianten
table (what a change would do: :mod:`samenhier.queries.timeline_preview`).

The rules themselves are in :mod:`samenhier.timeline`.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from samenhier.models import Variant, VariantTimeline
from samenhier.queries.common import read_frame
from samenhier.scope import Scope
from samenhier.settings import get_settings
from samenhier.timeline import Timeline, default_timelines, make_timeline

TABLE_COLUMNS = [
    "timeline_id",
    "version",
    "variant",
    "duration",
    "unit",
    "midterm_at",
    "quiet_after_days",
    "end_grace_days",
]


def variant_timelines(engine: Engine, settings=None) -> dict[str, Timeline]:
    """``{variant: Timeline}`` for every variant: the stored timeline, with None values resolved by
    ``settings`` (default :func:`~samenhier.settings.get_settings`); the seeded default for a variant the
    store has no row for (:data:`samenhier.timeline.DEFAULTS`)."""
    settings = settings or get_settings()
    timelines = default_timelines(settings)
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                VariantTimeline.variant,
                VariantTimeline.duration,
                VariantTimeline.unit,
                VariantTimeline.midterm_at,
                VariantTimeline.quiet_after_days,
                VariantTimeline.end_grace_days,
            )
        ).all()
    for row in rows:
        timelines[row.variant] = make_timeline(*row, settings=settings)
    return timelines


def timeline_table(engine: Engine, scope: Scope) -> pd.DataFrame:
    """One row per programme variant, in :class:`~samenhier.models.Variant` order, as stored.

    Columns: ``timeline_id``, ``version``, ``variant``, ``duration`` (in ``unit``), ``unit`` (``months`` /
    ``weeks``), ``midterm_at`` (units after the start), ``quiet_after_days`` and ``end_grace_days`` (days;
    <NA>: the programme-wide setting). A variant without a stored row is left out.

    Raises:
        AccessDenied: not a coordinator.
    """
    scope.require_coordinator()
    frame = read_frame(
        engine,
        select(
            VariantTimeline.id.label("timeline_id"),
            VariantTimeline.version,
            VariantTimeline.variant,
            VariantTimeline.duration,
            VariantTimeline.unit,
            VariantTimeline.midterm_at,
            VariantTimeline.quiet_after_days,
            VariantTimeline.end_grace_days,
        ),
    )
    order = {v.value: i for i, v in enumerate(Variant)}
    frame = frame.sort_values("variant", key=lambda s: s.map(order)).reset_index(drop=True)
    for column in ("quiet_after_days", "end_grace_days"):
        frame[column] = frame[column].astype("Int64")
    return frame[TABLE_COLUMNS]
