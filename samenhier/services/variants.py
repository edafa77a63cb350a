"""Writes of Beheer → Varianten: a national coordinator changes a programme variant's timeline (issue 19).

The timeline says how long a variant's group year runs, when its tussenmeting is due, when an active group
counts as quiet and how long after the year's end the eindmeting is still on time (:mod:`samenhier.timeline`).
Changing it changes how the groups of that variant are counted from now on — their period, to-dos and
reminders — and never rewrites history: meetings, surveys and check-ins stay as they were stored.
What a change would do is shown before it is saved (:func:`samenhier.queries.timelines.timeline_change_preview`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine

from samenhier.db import session_scope
from samenhier.models import TimelineUnit, VariantTimeline
from samenhier.scope import AccessDenied, Scope
from samenhier.services import audit
from samenhier.services.common import FieldError, ValidationFailed, check_version, snapshot
from samenhier.services.records import Saved

FIELDS = ("duration", "unit", "midterm_at", "quiet_after_days", "end_grace_days")
"""The fields of a timeline that can be changed (the variant itself cannot)."""

MAX_DURATION = {TimelineUnit.MONTHS.value: 60, TimelineUnit.WEEKS.value: 260}
"""Longest group year: five years, in months or weeks."""
MAX_DAYS = 365
"""Longest quiet threshold and end-survey grace period, in days."""


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def validate_timeline(values: Mapping[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    """Check a whole timeline (:data:`FIELDS`): ``unit`` ``months`` or ``weeks``; ``duration`` a whole number
    1–:data:`MAX_DURATION`; ``midterm_at`` 1–``duration``; ``quiet_after_days`` 1–365 or None (the
    setting); ``end_grace_days`` 0–365 or None (the setting). Returns the clean values and every error
    (field errors ``required``, ``choice``, ``timeline_range``)."""
    clean: dict[str, Any] = {}
    errors: list[FieldError] = []
    unit = values.get("unit")
    if unit not in MAX_DURATION:
        errors.append(FieldError("unit", "choice"))
    clean["unit"] = unit

    def number(name: str, low: int, high: int, *, optional: bool = False) -> None:
        raw = values.get(name)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if optional:
                clean[name] = None
            else:
                errors.append(FieldError(name, "required"))
            return
        value = _whole(raw)
        if value is None or not low <= value <= high:
            errors.append(FieldError(name, "timeline_range", {"low": low, "high": high}))
            return
        clean[name] = value

    number("duration", 1, MAX_DURATION.get(unit, MAX_DURATION[TimelineUnit.WEEKS.value]))
    number("midterm_at", 1, clean.get("duration") or 1)
    number("quiet_after_days", 1, MAX_DAYS, optional=True)
    number("end_grace_days", 0, MAX_DAYS, optional=True)
    return clean, errors


def update_variant_timeline(
    engine: Engine, scope: Scope, *, timeline_id: int, expected_version: int, changes: Mapping[str, Any]
) -> Saved:
    """Change a variant's timeline (only the :data:`FIELDS` in ``changes``), audited as ``update`` on
    ``variant_timeline`` with the changed fields (before → after). Nothing else is written: groups,
    meetings, surveys and check-ins stay as they are.

    Raises:
        AccessDenied: not a national coordinator (a municipality coordinator or a community builder), or no
        such timeline. VersionConflict: it changed since ``expected_version``. ValidationFailed: see
        :func:`validate_timeline`. TypeError: a field outside :data:`FIELDS`.
    """
    scope.require_national()
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise TypeError(f"unknown or read-only fields: {', '.join(unknown)}")
    with session_scope(engine) as session:
        record = session.get(VariantTimeline, timeline_id)
        if record is None:
            raise AccessDenied(f"variant timeline {timeline_id} does not exist")
        check_version(record, expected_version)
        before = snapshot(record)
        clean, errors = validate_timeline({**{name: before[name] for name in FIELDS}, **changes})
        if errors:
            raise ValidationFailed(errors)
        changed = {k: v for k, v in clean.items() if before[k] != v}
        if not changed:
            return Saved(record.id, record.variant, record.version)
        for name, value in changed.items():
            setattr(record, name, value)
        record.version += 1
        session.flush()
        after = snapshot(record)
        event = audit.record(session, scope.username, "update", record=record, before=before, after=after)
        event.record_code = record.variant
        return Saved(record.id, record.variant, record.version)
