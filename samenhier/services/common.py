"""What every write service shares: validation errors by field, version conflicts, access checks.

A service is one function per user action: ``def log_meeting(engine, scope, *, …) -> int``. It checks
access (:func:`require_group_access`), validates every field and raises :class:`ValidationFailed`
with all problems at once (nothing written), writes in one short transaction, bumps ``version`` on
updates (raising :class:`VersionConflict` when the record changed since it was read), and adds an
audit event (:mod:`samenhier.services.audit`) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, SQLModel, select

from samenhier import formatting, i18n
from samenhier.models import CommunityBuilder, Member, Municipality, UserAccount, UserRole, WelcomeGroup
from samenhier.scope import AccessDenied, Scope, visible_accounts, visible_groups


@dataclass(frozen=True)
class Label:
    """A message parameter that is a stored vocabulary word, shown in the reader's language
    (``Label("group_status", "wacht op match")`` → ``i18n.label("group_status", …, lang)``)."""

    vocabulary: str
    value: str


def _render_param(value: Any, lang: str | None) -> Any:
    """A message parameter for people: dates as ``3 maart 2026``, :class:`Label` in ``lang``, lists joined."""
    if isinstance(value, Label):
        return i18n.label(value.vocabulary, value.value, lang)
    if callable(
        getattr(value, "describe", None)
    ):  # e.g. a broken consistency rule (samenhier.consistency.Violation)
        return value.describe(lang)
    if isinstance(value, dt.date):
        return formatting.format_date(value, lang)
    if isinstance(value, list | tuple):
        return ", ".join(str(_render_param(v, lang)) for v in value)
    return value


@dataclass(frozen=True)
class FieldError:
    """One invalid field: ``field`` (the form field / attribute), ``code`` (i18n key ``validation.<code>``).

    ``params`` fill the message's placeholders; dates and :class:`Label` values are rendered in the
    reader's language.
    """

    field: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        return i18n.t(
            f"validation.{self.code}", lang, **{k: _render_param(v, lang) for k, v in self.params.items()}
        )


class ValidationFailed(ValueError):
    """The input is invalid; nothing was written. ``errors`` lists every invalid field."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message('en')}" for e in errors))

    def for_field(self, name: str) -> list[FieldError]:
        return [e for e in self.errors if e.field == name]


class VersionConflict(RuntimeError):
    """The record changed since the form was opened. ``current`` holds its values now, ``changed`` the
    fields that differ from what the user started from (``{field: (then, now)}``)."""

    def __init__(self, current: dict[str, Any], changed: dict[str, tuple[Any, Any]]):
        self.current, self.changed = current, changed
        super().__init__(f"record changed meanwhile: {', '.join(changed) or 'version'}")


def require_group_access(session: Session, scope: Scope, group_id: int) -> WelcomeGroup:
    """The group, if ``scope`` may see and edit it.

    Raises:
        AccessDenied: no such group, or not one of the user's (one answer for both).
    """
    group = session.exec(
        select(WelcomeGroup).where(
            WelcomeGroup.id == group_id, WelcomeGroup.id.in_(visible_groups(scope, include_archived=True))
        )
    ).first()
    if group is None:
        raise AccessDenied(f"group {group_id} is not accessible to {scope.username}")
    return group


def check_version(record: SQLModel, expected_version: int, original: Mapping[str, Any] | None = None) -> None:
    """Raise :class:`VersionConflict` when ``record.version`` is not ``expected_version``.

    ``original`` (the values the form started from) lets the conflict name the fields that changed.
    """
    if record.version == expected_version:
        return
    current = record.model_dump()
    changed = {k: (v, current.get(k)) for k, v in (original or {}).items() if current.get(k) != v}
    raise VersionConflict(current, changed)


def snapshot(record: SQLModel) -> dict[str, Any]:
    """The record's field values (for audit before/after)."""
    return record.model_dump()


def record_in_reach(session: Session, scope: Scope, record: Any) -> bool:
    """Whether a coordinator's reach (:meth:`Scope.covers`) includes ``record``: a welcome group, member,
    newcomer or community builder by its municipality (a member by their group's), an account by
    :func:`~samenhier.scope.visible_accounts` (a coordinator account: all its municipalities within reach).
    Always True for a national coordinator; community builders are checked by group instead
    (:func:`require_group_access`)."""
    if scope.is_national:
        return True
    if isinstance(record, UserAccount):
        if (
            record.role == UserRole.COORDINATOR.value
        ):  # within reach when all its municipalities are (validated by the account form)
            names = {m.name for m in record.municipalities}
            return bool(names) and names <= set(scope.municipalities)
        if record.id is None:  # a new builder account: by the builder's municipality
            builder = session.get(CommunityBuilder, record.community_builder_id)
            return builder is not None and scope.covers(_municipality_name(session, builder.municipality_id))
        return (
            session.exec(
                select(UserAccount.id).where(
                    UserAccount.id == record.id, UserAccount.id.in_(visible_accounts(scope))
                )
            ).first()
            is not None
        )
    if isinstance(record, Member):
        group = session.get(WelcomeGroup, record.group_id)
        municipality_id = group.municipality_id if group is not None else None
    else:  # WelcomeGroup, Newcomer, CommunityBuilder
        municipality_id = record.municipality_id
    return scope.covers(_municipality_name(session, municipality_id))


def _municipality_name(session: Session, municipality_id: int | None) -> str | None:
    municipality = session.get(Municipality, municipality_id) if municipality_id is not None else None
    return municipality.name if municipality is not None else None
