"""What a change to a variant's timeline would do to its groups, before it is saved (issue 19, item 3;
Beheer → Varianten). Nothing is written here."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlalchemy.engine import Engine

from samenhier.queries.progress import group_progress
from samenhier.queries.timelines import variant_timelines
from samenhier.scope import Filters, Scope
from samenhier.settings import get_settings
from samenhier.timeline import Timeline, make_timeline

PREVIEW_COLUMNS = [
    "group_id",
    "code",
    "name",
    "status",
    "period_before",
    "period_after",
    "todos_new",
    "todos_gone",
]


def timeline_change_preview(
    engine: Engine, scope: Scope, *, variant: str, changes: dict, as_of: dt.date
) -> pd.DataFrame:
    """What saving ``changes`` (fields of ``variant_timeline``) to ``variant``'s timeline would change for the
    groups of that variant that ``scope`` sees, as of ``as_of`` — computed, nothing written.

    One row per group whose period or to-dos change: ``group_id``, ``code``, ``name``, ``status``,
    ``period_before`` / ``period_after`` (``(period, duration, unit)`` or None without a running match),
    ``todos_new`` / ``todos_gone`` (to-do codes, :mod:`samenhier.todos`, that the change adds / removes).
    Ordered by code. Only today's view changes: stored meetings, surveys and check-ins stay as they are.

    Raises:
        AccessDenied: not a national coordinator (only they change timelines).
    """
    scope.require_national()
    settings = get_settings()
    current = variant_timelines(engine, settings)
    before = current[variant]
    stored = {
        "duration": before.duration,
        "unit": before.unit,
        "midterm_at": before.midterm_at,
        "quiet_after_days": before.quiet_after_days,
        "end_grace_days": before.end_grace_days,
    }
    stored.update({k: v for k, v in changes.items() if k in stored})
    proposed = {
        **current,
        variant: make_timeline(
            variant,
            stored["duration"],
            stored["unit"],
            stored["midterm_at"],
            stored["quiet_after_days"],
            stored["end_grace_days"],
            settings=settings,
        ),
    }
    filters = Filters(variants=(variant,))
    old = group_progress(engine, scope, filters, as_of=as_of, timelines=current)
    new = group_progress(engine, scope, filters, as_of=as_of, timelines=proposed)
    new = new.set_index("group_id").loc[old["group_id"]]
    rows = []
    for row, after in zip(old.itertuples(index=False), new.itertuples(), strict=True):

        def period(month, tl: Timeline):
            return None if pd.isna(month) else (int(month), tl.duration, tl.unit)

        period_before, period_after = period(row.month, before), period(after.month, proposed[variant])
        codes_before, codes_after = [t.code for t in row.todos], [t.code for t in after.todos]
        todos_new = [c for c in codes_after if c not in codes_before]
        todos_gone = [c for c in codes_before if c not in codes_after]
        if period_before != period_after or todos_new or todos_gone:
            rows.append(
                (
                    int(row.group_id),
                    row.code,
                    row.name,
                    row.status,
                    period_before,
                    period_after,
                    todos_new,
                    todos_gone,
                )
            )
    return pd.DataFrame(rows, columns=PREVIEW_COLUMNS).sort_values("code").reset_index(drop=True)
