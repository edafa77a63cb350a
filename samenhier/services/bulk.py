"""Bulk edits from a table: several records changed at once (Beheer's member table, ``st.data_editor``).

Each record is written by its own service call, in its own short transaction, with the version it was
shown with: one invalid or outdated row does not keep the others from being saved, and nothing is written
to a row the user did not change. The page says which rows were saved and which were not, and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from samenhier import i18n
from samenhier.models import Member
from samenhier.scope import AccessDenied, Scope
from samenhier.services.common import FieldError, ValidationFailed, VersionConflict, require_group_access
from samenhier.services.records import update_member


@dataclass(frozen=True)
class RowEdit:
    """One changed row: the record's ``record_id``, the ``version`` it was shown with, the ``changes``
    (field → new value) and the ``original`` values of those fields as shown (see
    :func:`samenhier.forms.edited_records`)."""

    record_id: int
    version: int
    changes: Mapping[str, Any]
    original: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RowProblem:
    """Why one row was not saved: its ``errors`` (invalid values), or ``conflict`` (someone changed the
    record since it was shown), or ``denied`` (deleted or moved out of reach while it was being saved)."""

    record_id: int
    errors: tuple[FieldError, ...] = ()
    conflict: bool = False
    denied: bool = False

    def messages(self, lang: str | None = None) -> list[str]:
        """The reasons in ``lang``, one line each."""
        if self.conflict:
            return [i18n.t("forms.changed_meanwhile", lang)]
        if self.denied:
            return [i18n.t("common.not_found_or_denied", lang)]
        return [error.message(lang) for error in self.errors]


@dataclass(frozen=True)
class BulkResult:
    """What a bulk edit did: the ids ``saved`` (in the order given), the rows not saved (``problems``)
    and the warnings of the saved writes (e.g. a group's size)."""

    saved: tuple[int, ...]
    problems: tuple[RowProblem, ...]
    warnings: tuple[FieldError, ...] = ()


def update_members(engine: Engine, scope: Scope, *, edits: Sequence[RowEdit]) -> BulkResult:
    """Write each edit with :func:`samenhier.services.records.update_member` (coordinators only; the same
    field rules, audit and version check as the member form). A row that is invalid or changed since it
    was shown is reported in ``problems`` and not written; the other rows are.

    Raises:
        AccessDenied: not a coordinator, or a row is a member the coordinator cannot reach (no such
            member, or of a group outside their municipalities): then nothing is written.
        sqlalchemy.exc.OperationalError: the store stayed locked (the rows written before stay written).
    """
    scope.require_coordinator()
    with Session(engine) as session:  # every row first: a row out of reach refuses the whole edit
        for edit in edits:
            member = session.get(Member, edit.record_id)
            if member is None:
                raise AccessDenied(f"member {edit.record_id} is not accessible to {scope.username}")
            require_group_access(session, scope, member.group_id)
    saved: list[int] = []
    problems: list[RowProblem] = []
    warnings: list[FieldError] = []
    for edit in edits:
        try:
            result = update_member(
                engine,
                scope,
                member_id=edit.record_id,
                expected_version=edit.version,
                changes=dict(edit.changes),
                original=dict(edit.original),
            )
        except ValidationFailed as exc:
            problems.append(RowProblem(edit.record_id, errors=tuple(exc.errors)))
        except VersionConflict:
            problems.append(RowProblem(edit.record_id, conflict=True))
        except AccessDenied:
            problems.append(RowProblem(edit.record_id, denied=True))
        else:
            saved.append(edit.record_id)
            warnings.extend(getattr(result, "warnings", ()) or ())
    return BulkResult(tuple(saved), tuple(problems), tuple(warnings))
