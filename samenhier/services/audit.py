"""The audit trail: every write records who did what to which record, with the changed fields."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlmodel import Session, SQLModel

from samenhier.clock import now_utc
from samenhier.models import AuditEvent


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple) and not value:
        return None  # an empty list (e.g. a builder account's municipalities) is no value, as None is
    return value


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    """``{field: [before, after]}`` for the fields whose value differs (``version`` left out; an empty list
    counts as no value)."""
    before, after = before or {}, after or {}
    fields = (set(before) | set(after)) - {"version", "id", "password_hash"}
    return {
        f: [_plain(before.get(f)), _plain(after.get(f))]
        for f in sorted(fields)
        if _plain(before.get(f)) != _plain(after.get(f))
    }


def record(
    session: Session,
    username: str,
    action: str,
    *,
    record: SQLModel | None = None,
    table_name: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add an audit event to ``session`` (it commits with the write it describes).

    ``changes`` defaults to :func:`diff` of ``before`` and ``after``; pass ``changes={}`` where the
    values themselves must not be kept (erasure, passwords).
    """
    event = AuditEvent(
        at=now_utc(),
        username=username,
        action=action,
        table_name=table_name or (record.__tablename__ if record is not None else ""),
        record_id=getattr(record, "id", None),
        record_code=str(getattr(record, "code", "") or getattr(record, "username", "") or ""),
        changes=json.dumps(
            diff(before, after) if changes is None else changes, ensure_ascii=False, default=str
        ),
    )
    session.add(event)
    return event
