"""The generic record engine of the write services: create, update, archive, restore and delete one record of
any kind, described by a :class:`Kind` (its model, fields, form values, validation and history).

Each flow is one user action (see :mod:`samenhier.services.common`): access check first (``authorize``, called
with the record as stored and again as it would be saved), every field validated at once
(:class:`~samenhier.services.common.ValidationFailed`, nothing written), one short transaction
(:func:`samenhier.db.session_scope`), a version check (:class:`~samenhier.services.common.VersionConflict`), the
version bumped and an audit event added in the same transaction. The kinds themselves are
:mod:`samenhier.services.record_specs`; the public actions are :mod:`samenhier.services.records`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, select

from samenhier.db import session_scope
from samenhier.models import CommunityBuilder, Member, WelcomeGroup
from samenhier.scope import AccessDenied, Scope
from samenhier.services import audit
from samenhier.services.common import FieldError, ValidationFailed, VersionConflict, record_in_reach
from samenhier.settings import get_settings


@dataclass(frozen=True)
class Saved:
    """The record as written: its id, code (or username/name), new version, and warnings (e.g. group size)."""

    id: int
    code: str
    version: int
    warnings: tuple[FieldError, ...] = ()


class HasHistory(RuntimeError):
    """A hard delete was refused: the record has history. ``history`` maps kind → count, e.g.
    ``{"meetings": 12, "surveys": 3}`` (kinds: members, matches, meetings, surveys, check_ins, groups, accounts)."""

    def __init__(self, history: dict[str, int]):
        self.history = history
        super().__init__("record has history: " + ", ".join(f"{k} {n}" for k, n in history.items()))


@dataclass(frozen=True)
class Kind:
    """How one kind of record is read as form values, validated, audited and checked for history."""

    model: type[SQLModel]
    create_fields: frozenset[str]
    update_fields: frozenset[str]
    values: Callable[[Session, Any], dict[str, Any]]
    validate: Callable[
        [Session, dict[str, Any], dict[str, Any] | None, int | None], tuple[dict[str, Any], list[FieldError]]
    ]
    history: Callable[[Session, Any], dict[str, int]] = lambda session, record: {}
    label: Callable[[Any], str] = lambda record: str(getattr(record, "code", "") or "")


def count(session: Session, model, *where) -> int:
    """How many rows of ``model`` match ``where``."""
    return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


# ------------------------------------------------------------------------------------ generic flows


def readable(session: Session, values: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Form values for the audit trail: ids of related records replaced by their name or code."""
    if values is None:
        return None
    out = {k: v for k, v in values.items() if k != "version"}
    if "community_builder_id" in out:
        builder = (
            session.get(CommunityBuilder, out.pop("community_builder_id"))
            if out.get("community_builder_id")
            else None
        )
        out["community_builder"] = builder.name if builder else None
    if "group_id" in out:
        group = session.get(WelcomeGroup, out.pop("group_id")) if out.get("group_id") else None
        out["group"] = group.code if group else None
    return out


def record_audit(session: Session, scope: Scope, kind: Kind, action: str, record: Any, **kwargs: Any) -> None:
    """An audit event for ``record``, named by its code, username or name (see :func:`audit.record`)."""
    event = audit.record(session, scope.username, action, record=record, **kwargs)
    event.record_code = event.record_code or kind.label(record)


def coordinator_only(scope: Scope) -> Callable[[Session, Any], None]:
    """The access check of every record action: a coordinator, and for a municipality coordinator a record
    of their municipalities (called with the record as stored, and again with the record as it would be
    saved, so a record cannot be moved or created outside their reach either)."""

    def check(session: Session, record: Any) -> None:
        scope.require_coordinator()
        if record is not None and not scope.is_national and not record_in_reach(session, scope, record):
            raise AccessDenied(
                f"{record.__tablename__} {record.id} is outside {scope.username}'s municipalities"
            )

    return check


def _check_fields(given: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(given) - allowed
    if unknown:
        raise TypeError(f"unknown or read-only fields: {', '.join(sorted(unknown))}")


def conflict_if_changed(
    record: Any, before: dict[str, Any], expected_version: int, original: Mapping[str, Any] | None
) -> None:
    """VersionConflict (with the fields changed since ``original``, the form's values) unless ``record`` is at ``expected_version``."""
    if record.version != expected_version:
        changed = {
            k: (v, before.get(k))
            for k, v in (original or {}).items()
            if k in before and k != "version" and before.get(k) != v
        }
        raise VersionConflict(before, changed)


def _group_size_warnings(session: Session, group_ids: set[int | None]) -> tuple[FieldError, ...]:
    """A ``group_size`` warning for each group whose active members fall outside the settings' range."""
    settings = get_settings()
    warnings = []
    for group_id in sorted(g for g in group_ids if g is not None):
        group = session.get(WelcomeGroup, group_id)
        n = count(session, Member, Member.group_id == group_id, Member.archived.is_(False))
        if group is not None and not settings.min_group_size <= n <= settings.max_group_size:
            warnings.append(
                FieldError(
                    "group_id",
                    "group_size",
                    {
                        "code": group.code,
                        "n": n,
                        "min": settings.min_group_size,
                        "max": settings.max_group_size,
                    },
                )
            )
    return tuple(warnings)


def _flush_unique(session: Session, field: str, code: str, value: str) -> None:
    """Flush; a unique constraint that another writer won meanwhile becomes a field error."""
    try:
        session.flush()
    except IntegrityError as exc:
        if "UNIQUE" in str(exc.orig).upper() or "unique" in str(exc.orig):
            raise ValidationFailed([FieldError(field, code, {"code": value})]) from exc
        raise


def create_record(kind: Kind, engine: Engine, scope: Scope, values: Mapping[str, Any], *, authorize) -> Saved:
    """Add a record of ``kind`` from form ``values`` (its ``create_fields``); ``authorize(session, record)`` is called
    with None first, then with the record as it would be saved.

    Raises:
        TypeError: a field not in ``create_fields``. AccessDenied (from ``authorize``). ValidationFailed: every
        field error at once, or a unique value (code, username, name) taken meanwhile.
    """
    _check_fields(values, kind.create_fields)
    with session_scope(engine) as session:
        authorize(session, None)
        clean, errors = kind.validate(session, dict(values), None, None)
        if errors:
            raise ValidationFailed(errors)
        record = kind.model(**clean)
        authorize(session, record)
        session.add(record)
        unique_field = "code" if "code" in clean else ("username" if "username" in clean else "name")
        _flush_unique(
            session,
            unique_field,
            "code_taken" if unique_field == "code" else f"{unique_field}_taken",
            str(clean.get(unique_field, "")),
        )
        after = kind.values(session, record)
        record_audit(session, scope, kind, "create", record, after=readable(session, after))
        warnings = _group_size_warnings(session, {clean.get("group_id")}) if kind.model is Member else ()
        return Saved(record.id, kind.label(record), record.version, warnings)


def load_record(session: Session, kind: Kind, record_id: int, authorize) -> Any:
    """The record, locked for update, after ``authorize(session, record)``; AccessDenied when there is none."""
    record = session.get(kind.model, record_id, with_for_update=True)
    if record is None:
        raise AccessDenied(f"{kind.model.__tablename__} {record_id} does not exist")
    authorize(session, record)
    return record


def update_record(
    kind: Kind,
    engine: Engine,
    scope: Scope,
    record_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    original: Mapping[str, Any] | None,
    *,
    authorize,
    action: str | None = None,
    allowed: frozenset[str] | None = None,
    extra: Callable[[Any], None] | None = None,
) -> Saved:
    """Apply ``changes`` (form fields, ``allowed`` or the kind's ``update_fields``) to a record at ``expected_version``,
    validated together with its other values; ``extra(record)`` may change more in the same transaction.
    ``action`` names the audit event (default ``update``, or ``status_change`` for a status alone).

    Raises:
        TypeError: a field not allowed. AccessDenied (from ``authorize``). VersionConflict: the record changed since
        ``expected_version`` (naming the fields changed since ``original``). ValidationFailed: field errors, or the
        record is archived or erased.
    """
    _check_fields(changes, allowed or kind.update_fields)
    with session_scope(engine) as session:
        record = load_record(session, kind, record_id, authorize)
        before = kind.values(session, record)
        conflict_if_changed(record, before, expected_version, original)
        if getattr(record, "archived", False):
            raise ValidationFailed([FieldError("archived", "archived")])
        if getattr(record, "erased", False):  # erased on request (services/privacy.py): its names stay gone
            raise ValidationFailed([FieldError("erased", "erased")])
        clean, errors = kind.validate(session, {**before, **changes}, before, record.id)
        if errors:
            raise ValidationFailed(errors)
        changed = {k: v for k, v in clean.items() if getattr(record, k) != v}
        if not changed and extra is None:
            return Saved(record.id, kind.label(record), record.version)
        for k, v in changed.items():
            setattr(record, k, v)
        authorize(session, record)  # not moved out of the user's reach
        if extra is not None:
            extra(record)
        record.version += 1
        session.flush()
        after = kind.values(session, record)
        if action is None:
            action = "status_change" if set(changed) == {"status"} else "update"
        record_audit(
            session,
            scope,
            kind,
            action,
            record,
            before=readable(session, before),
            after=readable(session, after),
        )
        warnings = ()
        if kind.model is Member and "group_id" in changed:
            warnings = _group_size_warnings(session, {before["group_id"], record.group_id})
        return Saved(record.id, kind.label(record), record.version, warnings)


def set_archived(
    kind: Kind, engine: Engine, scope: Scope, record_id: int, expected_version: int, archived: bool
) -> Saved:
    """Archive (``archived`` True) or restore a record; coordinators of its municipality only. Nothing happens (and no
    version is bumped) when it already is so.

    Raises:
        AccessDenied, VersionConflict.
    """
    with session_scope(engine) as session:
        record = load_record(session, kind, record_id, coordinator_only(scope))
        before = kind.values(session, record)
        conflict_if_changed(record, before, expected_version, None)
        if record.archived == archived:
            return Saved(record.id, kind.label(record), record.version)
        record.archived = archived
        record.version += 1
        record_audit(
            session,
            scope,
            kind,
            "archive" if archived else "restore",
            record,
            changes={"archived": [not archived, archived]},
        )
        session.flush()
        warnings = _group_size_warnings(session, {record.group_id}) if kind.model is Member else ()
        return Saved(record.id, kind.label(record), record.version, warnings)


def delete_record(
    kind: Kind, engine: Engine, scope: Scope, record_id: int, expected_version: int
) -> tuple[FieldError, ...]:
    """Delete a record without history; returns group-size warnings (members).

    Raises:
        HasHistory: ``kind.history`` finds some (archive instead). AccessDenied, VersionConflict.
    """
    with session_scope(engine) as session:
        record = load_record(session, kind, record_id, coordinator_only(scope))
        before = kind.values(session, record)
        conflict_if_changed(record, before, expected_version, None)
        history = kind.history(session, record)
        if history:
            raise HasHistory(history)
        record_audit(session, scope, kind, "delete", record, before=readable(session, before), after=None)
        group_id = getattr(record, "group_id", None)
        session.delete(record)
        session.flush()
        return _group_size_warnings(session, {group_id}) if kind.model is Member else ()
