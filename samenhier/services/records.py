"""Writes of the Beheer (manage) page: create, edit, archive and delete welcome groups, members,
newcomers, community builders and user accounts (coordinators only).

Every function here is one user action (see :mod:`samenhier.services.common`): it checks access
first, validates every field and raises :class:`ValidationFailed` with all problems at once (nothing
written), writes in one short transaction (``BEGIN IMMEDIATE`` on SQLite, see
:func:`samenhier.db.session_scope`), refuses to overwrite a record that changed since the form was
opened (:class:`VersionConflict`), bumps ``version`` and adds an audit event in the same transaction.

Where the parts live: the generic flows in :mod:`samenhier.services.record_engine`, the five kinds (form values,
validation, history) in :mod:`samenhier.services.record_specs`, form values checked field by field in
:mod:`samenhier.services.record_checks` (over :mod:`samenhier.fields`, shared with the import). This module
keeps the public actions and the names callers import.

Records are passed as ``values`` / ``changes`` mappings keyed by *form field* (the same keys the
record queries in :mod:`samenhier.queries.records` return): a municipality by its name, a community
builder by id, a member's group by id. An update takes only the fields that changed (``changes``),
so re-applying an edit after a conflict never reverts fields someone else changed meanwhile.

Validation rules (each with its ``validation.<code>`` message; the rules for single values — lengths, e-mail,
phone, codes, dates not in the future, household size, control characters — are :mod:`samenhier.fields`,
shared with the import; rules between records are :mod:`samenhier.consistency`, checked before every commit):

- ``required``; ``too_long`` (names 100, notes 2,000 characters);
- ``email`` (syntax, via *email-validator*); ``phone``: a Dutch number — country code 31 and the length
  of a Dutch mobile or fixed-line number (via *phonenumbers*), written with digits, spaces, ``+ - ( ) .``;
- ``code_format`` (letters, digits, ``. _ -``, at most 20) and ``code_taken`` (unique, case-insensitive);
  an empty code is generated: group ``<CBS number>-<NNN>`` (``0518-025``), member ``L<NNNN>``,
  newcomer ``N<NNNN>``, one more than the highest in use;
- dates in order: group ``signup_date`` ≤ ``training_completed_date`` ≤ its first match proposal
  (``training_before_signup``, ``training_after_match``); newcomer ``arrival_date`` ≤ ``permit_date``
  (``permit_before_arrival``) and ≤ ``registration_date`` (``registration_before_arrival``); dates of
  things that happened are not after today (``future_date``);
- ``household_size`` 1–15; ``choice`` (a vocabulary word or an existing record); ``municipality``;
- group status: only the changes of :data:`samenhier.rules.GROUP_TRANSITIONS` (``status_transition``,
  ``status_final``); a status after training needs a training date (``training_required``);
- ``name_taken`` (community builder), ``username_taken``, ``password_too_short``, ``builder_required``,
  ``own_account`` (a coordinator cannot demote or deactivate themself), ``last_coordinator``;
- ``archived``: an archived record is read-only until restored; ``erased``: a member or newcomer whose
  personal data was erased (:mod:`samenhier.services.privacy`) stays read-only.

Group size (``min_group_size``–``max_group_size`` members, settings) is a *warning*, not a block:
:attr:`Saved.warnings` carries a ``group_size`` :class:`FieldError` after a member change leaves a
group outside the range.

Archive instead of delete: groups, members and newcomers with history (meetings, surveys, matches,
members, check-ins) can only be archived; :func:`delete_group` & co. raise :class:`HasHistory` for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from samenhier import fields
from samenhier.db import session_scope
from samenhier.io.rows import fold_vocabulary
from samenhier.models import UserAccount
from samenhier.scope import AccessDenied, Scope
from samenhier.services.common import FieldError, ValidationFailed
from samenhier.services.record_engine import (
    HasHistory,
    Saved,
    conflict_if_changed,
    coordinator_only,
    create_record,
    delete_record,
    load_record,
    record_audit,
    set_archived,
    update_record,
)
from samenhier.services.record_specs import (
    ACCOUNT_SETTINGS_FIELDS,
    BUILDER,
    BUILDER_FIELDS,
    GROUP,
    GROUP_FIELDS,
    KINDS,
    MEMBER,
    MEMBER_FIELDS,
    NEWCOMER,
    NEWCOMER_FIELDS,
    USER_FIELDS,
    VALUES,
    user_kind,
)
from samenhier.services.sessions import revoke_user
from samenhier.services.users import HASHER, MIN_PASSWORD_LENGTH, password_is_weak

# The field rules themselves live in samenhier.fields (shared with the import); re-exported here for callers.
MAX_NAME = fields.MAX_NAME
MAX_TEXT = fields.MAX_TEXT
CODE_PATTERN = fields.CODE_PATTERN
is_dutch_phone_number = fields.is_dutch_phone_number
__all__ = [
    "ACCOUNT_SETTINGS_FIELDS",
    "BUILDER_FIELDS",
    "CODE_PATTERN",
    "GROUP_FIELDS",
    "MAX_NAME",
    "MAX_TEXT",
    "MEMBER_FIELDS",
    "NEWCOMER_FIELDS",
    "USER_FIELDS",
    "HasHistory",
    "Saved",
    "is_dutch_phone_number",
]


def record_history(engine: Engine, scope: Scope, *, table: str, record_id: int) -> dict[str, int]:
    """What keeps a record from being deleted: kind → count (empty: it may be deleted). Coordinators only.

    ``table``: ``welcome_group``, ``member``, ``newcomer`` or ``community_builder``.

    Raises:
        AccessDenied: not a coordinator, or no such record.
    """
    scope.require_coordinator()
    kind = KINDS[table]
    with Session(engine) as session:
        record = session.get(kind.model, record_id)
        if record is None:
            raise AccessDenied(f"{table} {record_id} does not exist")
        coordinator_only(scope)(session, record)
        return kind.history(session, record)


def form_values(session: Session, record: SQLModel) -> dict[str, Any]:
    """A record's values as its form and the update functions name them (see the module docstring)."""
    return VALUES[type(record)](session, record)


# ------------------------------------------------------------------------------------- public actions


def create_group(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a welcome group. ``values``: ``code`` (empty: generated), ``name``, ``municipality`` (name),
    ``variant``, ``status`` (any, it is entered as it is), ``community_builder_id`` (or None),
    ``signup_date``, ``training_completed_date`` (or None), ``notes``.

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return create_record(GROUP, engine, scope, values, authorize=coordinator_only(scope))


def update_group(
    engine: Engine,
    scope: Scope,
    *,
    group_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    original: Mapping[str, Any] | None = None,
) -> Saved:
    """Change a group's fields (those of :func:`create_group` except ``code``, which is stable).

    ``expected_version`` is the version the form was opened with, ``original`` its values then (to
    name what changed meanwhile in a conflict). A change of ``status`` alone is audited as ``status_change``.

    Raises:
        AccessDenied: not a coordinator or no such group. VersionConflict: the group changed since
        ``expected_version``. ValidationFailed: see the module's rules (also for an archived group).
    """
    return update_record(
        GROUP, engine, scope, group_id, expected_version, changes, original, authorize=coordinator_only(scope)
    )


def archive_group(engine: Engine, scope: Scope, *, group_id: int, expected_version: int) -> Saved:
    """Archive a group: hidden from lists and figures, kept with its history. Raises as :func:`update_group`."""
    return set_archived(GROUP, engine, scope, group_id, expected_version, True)


def restore_group(engine: Engine, scope: Scope, *, group_id: int, expected_version: int) -> Saved:
    """Undo :func:`archive_group`."""
    return set_archived(GROUP, engine, scope, group_id, expected_version, False)


def delete_group(engine: Engine, scope: Scope, *, group_id: int, expected_version: int) -> None:
    """Delete a group that has no history (no members, matches, meetings, surveys or check-ins).

    Raises:
        HasHistory: it has history (archive it instead); nothing deleted. AccessDenied, VersionConflict.
    """
    delete_record(GROUP, engine, scope, group_id, expected_version)


def create_member(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a member. ``values``: ``code`` (empty: generated), ``group_id``, ``first_name``, ``last_name``,
    ``email``, ``phone``, ``role``, ``joined_date``, ``vog_date`` (or None).

    :attr:`Saved.warnings` has a ``group_size`` warning when the group is now outside the size range.

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return create_record(MEMBER, engine, scope, values, authorize=coordinator_only(scope))


def update_member(
    engine: Engine,
    scope: Scope,
    *,
    member_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    original: Mapping[str, Any] | None = None,
) -> Saved:
    """Change a member's fields (as :func:`create_member`, not ``code``); moving to another group
    (``group_id``) warns about both groups' sizes. Raises as :func:`update_group`."""
    return update_record(
        MEMBER,
        engine,
        scope,
        member_id,
        expected_version,
        changes,
        original,
        authorize=coordinator_only(scope),
    )


def archive_member(engine: Engine, scope: Scope, *, member_id: int, expected_version: int) -> Saved:
    """Archive a member (left the group); warns when the group becomes too small."""
    return set_archived(MEMBER, engine, scope, member_id, expected_version, True)


def restore_member(engine: Engine, scope: Scope, *, member_id: int, expected_version: int) -> Saved:
    """Undo :func:`archive_member`."""
    return set_archived(MEMBER, engine, scope, member_id, expected_version, False)


def delete_member(
    engine: Engine, scope: Scope, *, member_id: int, expected_version: int
) -> tuple[FieldError, ...]:
    """Delete a member without survey responses; returns group-size warnings.

    Raises:
        HasHistory: the member answered surveys (archive instead). AccessDenied, VersionConflict.
    """
    return delete_record(MEMBER, engine, scope, member_id, expected_version)


def create_newcomer(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a newcomer (statushouder). ``values``: ``code`` (empty: generated), ``first_name``,
    ``last_name``, ``municipality``, ``country_of_origin``, ``languages``, ``household_size`` (1–15),
    ``arrival_date``, ``permit_date`` (or None), ``registration_date``, ``status``, ``email``, ``phone``.

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return create_record(NEWCOMER, engine, scope, values, authorize=coordinator_only(scope))


def update_newcomer(
    engine: Engine,
    scope: Scope,
    *,
    newcomer_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    original: Mapping[str, Any] | None = None,
) -> Saved:
    """Change a newcomer's fields (as :func:`create_newcomer`, not ``code``). Raises as :func:`update_group`."""
    return update_record(
        NEWCOMER,
        engine,
        scope,
        newcomer_id,
        expected_version,
        changes,
        original,
        authorize=coordinator_only(scope),
    )


def archive_newcomer(engine: Engine, scope: Scope, *, newcomer_id: int, expected_version: int) -> Saved:
    """Archive a newcomer (kept with matches and surveys, hidden from lists)."""
    return set_archived(NEWCOMER, engine, scope, newcomer_id, expected_version, True)


def restore_newcomer(engine: Engine, scope: Scope, *, newcomer_id: int, expected_version: int) -> Saved:
    """Undo :func:`archive_newcomer`."""
    return set_archived(NEWCOMER, engine, scope, newcomer_id, expected_version, False)


def delete_newcomer(engine: Engine, scope: Scope, *, newcomer_id: int, expected_version: int) -> None:
    """Delete a newcomer without matches or surveys.

    Raises:
        HasHistory: matches or surveys exist (archive instead). AccessDenied, VersionConflict.
    """
    delete_record(NEWCOMER, engine, scope, newcomer_id, expected_version)


def create_builder(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a community builder. ``values``: ``name`` (unique), ``email``, ``municipality``, ``languages``.

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return create_record(BUILDER, engine, scope, values, authorize=coordinator_only(scope))


def update_builder(
    engine: Engine,
    scope: Scope,
    *,
    builder_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    original: Mapping[str, Any] | None = None,
) -> Saved:
    """Change a community builder's fields. Raises as :func:`update_group`."""
    return update_record(
        BUILDER,
        engine,
        scope,
        builder_id,
        expected_version,
        changes,
        original,
        authorize=coordinator_only(scope),
    )


def archive_builder(engine: Engine, scope: Scope, *, builder_id: int, expected_version: int) -> Saved:
    """Archive a community builder (no longer offered for groups and accounts; existing links stay)."""
    return set_archived(BUILDER, engine, scope, builder_id, expected_version, True)


def restore_builder(engine: Engine, scope: Scope, *, builder_id: int, expected_version: int) -> Saved:
    """Undo :func:`archive_builder`."""
    return set_archived(BUILDER, engine, scope, builder_id, expected_version, False)


def delete_builder(engine: Engine, scope: Scope, *, builder_id: int, expected_version: int) -> None:
    """Delete a community builder who guides no group and has no account.

    Raises:
        HasHistory: groups or accounts refer to them (archive instead). AccessDenied, VersionConflict.
    """
    delete_record(BUILDER, engine, scope, builder_id, expected_version)


def create_user_account(engine: Engine, scope: Scope, *, values: Mapping[str, Any]) -> Saved:
    """Add a login account. ``values``: ``username``, ``password`` (at least
    :data:`~samenhier.services.users.MIN_PASSWORD_LENGTH` characters, stored as an Argon2 hash),
    ``role``, ``community_builder_id`` (required for role ``community_builder``), ``active``; optional
    ``email`` (a community builder's account without one takes the builder's address), ``weekly_digest``
    (default True) and ``language`` (``nl``, default, or ``en``).

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: see the module's rules.
    """
    return create_record(user_kind(scope), engine, scope, values, authorize=coordinator_only(scope))


def update_user_account(
    engine: Engine,
    scope: Scope,
    *,
    user_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    original: Mapping[str, Any] | None = None,
) -> Saved:
    """Change an account's ``role``, ``community_builder_id``, ``active``, ``email``, ``weekly_digest`` or
    ``language`` (see :func:`update_account_settings`). A coordinator cannot
    demote or deactivate their own account, nor the last active coordinator. Raises as :func:`update_group`."""
    kind = user_kind(scope)
    action = None
    if set(changes) == {"active"}:
        action = "activate" if changes["active"] else "deactivate"
    return update_record(
        kind,
        engine,
        scope,
        user_id,
        expected_version,
        changes,
        original,
        authorize=coordinator_only(scope),
        action=action,
    )


def update_account_settings(
    engine: Engine,
    scope: Scope,
    *,
    user_id: int,
    expected_version: int,
    changes: Mapping[str, Any],
    original: Mapping[str, Any] | None = None,
) -> Saved:
    """Change an account's e-mail settings: ``email`` (where the weekly digest goes; empty: none — a
    community builder's account then uses the builder's address), ``weekly_digest`` (True/False) and
    ``language`` (``nl``/``en``: of the digest). Any user on their own account; a coordinator on any.

    Raises:
        AccessDenied: another user's account (for a community builder), or no such account.
        ValidationFailed: ``email`` (not an e-mail address), ``choice`` (language, weekly_digest).
        VersionConflict: the account changed since ``expected_version``.
    """

    def own_or_coordinator(_session: Session, record: UserAccount) -> None:
        if not scope.is_coordinator and fold_vocabulary(record.username) != fold_vocabulary(scope.username):
            raise AccessDenied(f"account {record.id} is not {scope.username}'s")

    return update_record(
        user_kind(scope),
        engine,
        scope,
        user_id,
        expected_version,
        changes,
        original,
        authorize=own_or_coordinator,
        allowed=frozenset(ACCOUNT_SETTINGS_FIELDS),
    )


def reset_password(
    engine: Engine, scope: Scope, *, user_id: int, expected_version: int, new_password: str
) -> Saved:
    """Set a new password for an account and lift a lock-out. The audit event keeps no password data.

    Raises:
        AccessDenied: not a coordinator or no such account. VersionConflict. ValidationFailed:
        ``password_too_short``.
    """
    if len(new_password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationFailed([FieldError("password", "password_too_short", {"n": MIN_PASSWORD_LENGTH})])
    kind = user_kind(scope)
    with session_scope(engine) as session:
        user = load_record(session, kind, user_id, coordinator_only(scope))
        if password_is_weak(new_password, user.username):
            raise ValidationFailed([FieldError("password", "password_weak", {})])
        conflict_if_changed(user, kind.values(session, user), expected_version, None)
        user.password_hash = HASHER.hash(new_password)
        revoke_user(session, user.id, "rights")  # the old password's sessions end (the fingerprint would too)
        user.failed_logins = 0
        user.locked_until = None
        user.version += 1
        record_audit(session, scope, kind, "password_reset", user, changes={})
        return Saved(user.id, user.username, user.version)
