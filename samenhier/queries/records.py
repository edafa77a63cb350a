"""Reads of the Beheer (manage) page: lists of records to search and pick from, and one record's
form values (with its ``version``, for conflict detection).

Groups and members are restricted to :func:`~samenhier.scope.visible_groups`; newcomers, community
builders and accounts are for coordinators only (:class:`~samenhier.scope.AccessDenied` otherwise), and
for a municipality coordinator only those of their municipalities (:func:`~samenhier.scope.in_reach`,
:func:`~samenhier.scope.visible_accounts`).
The form values use the keys of :mod:`samenhier.services.records` (municipality by name, related
records by id), so a form can hand them back unchanged.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from samenhier.io.rows import fold_vocabulary
from samenhier.models import (
    CommunityBuilder,
    Member,
    Municipality,
    Newcomer,
    UserAccount,
    UserMunicipality,
    WelcomeGroup,
)
from samenhier.municipalities import MUNICIPALITIES
from samenhier.queries.common import read_frame
from samenhier.scope import AccessDenied, Filters, Scope, in_reach, visible_accounts, visible_groups
from samenhier.services import records as record_services


def search_frame(frame: pd.DataFrame, text: str, columns: list[str]) -> pd.DataFrame:
    """The rows of ``frame`` where any of ``columns`` contains ``text`` (case- and accent-insensitive; empty: all)."""
    needle = fold_vocabulary(text)
    if not needle or frame.empty:
        return frame
    haystack = frame[columns].fillna("").astype(str).agg(" ".join, axis=1).map(fold_vocabulary)
    return frame[haystack.str.contains(needle, regex=False)]


def municipality_names() -> list[str]:
    """Every municipality a record may name (the reference list), alphabetically."""
    return sorted(MUNICIPALITIES, key=fold_vocabulary)


def groups_table(
    engine: Engine, scope: Scope, filters: Filters = Filters(), *, include_archived: bool = False
) -> pd.DataFrame:
    """The visible welcome groups, by code.

    Columns: ``group_id``, ``code``, ``name``, ``municipality``, ``variant``, ``status``,
    ``community_builder_id``, ``community_builder`` (name or None), ``signup_date``,
    ``training_completed_date``, ``members`` (count of members not archived), ``archived``, ``version``.
    """
    members = (
        select(Member.group_id, func.count().label("members"))
        .where(Member.archived.is_(False))
        .group_by(Member.group_id)
        .subquery()
    )
    frame = read_frame(
        engine,
        (
            select(
                WelcomeGroup.id.label("group_id"),
                WelcomeGroup.code,
                WelcomeGroup.name,
                Municipality.name.label("municipality"),
                WelcomeGroup.variant,
                WelcomeGroup.status,
                WelcomeGroup.community_builder_id,
                CommunityBuilder.name.label("community_builder"),
                WelcomeGroup.signup_date,
                WelcomeGroup.training_completed_date,
                func.coalesce(members.c.members, 0).label("members"),
                WelcomeGroup.archived,
                WelcomeGroup.version,
            )
            .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
            .outerjoin(CommunityBuilder, CommunityBuilder.id == WelcomeGroup.community_builder_id)
            .outerjoin(members, members.c.group_id == WelcomeGroup.id)
            .where(WelcomeGroup.id.in_(visible_groups(scope, filters, include_archived=include_archived)))
            .order_by(WelcomeGroup.code)
        ),
    )
    frame["community_builder_id"] = frame["community_builder_id"].astype("Int64")
    return frame


def members_table(
    engine: Engine, scope: Scope, filters: Filters = Filters(), *, include_archived: bool = False
) -> pd.DataFrame:
    """Members of the visible groups, by group code and name.

    Columns: ``member_id``, ``code``, ``group_id``, ``group_code``, ``group_name``, ``first_name``,
    ``last_name``, ``email``, ``phone``, ``role``, ``joined_date``, ``vog_date``, ``archived``, ``version``.
    """
    query = (
        select(
            Member.id.label("member_id"),
            Member.code,
            Member.group_id,
            WelcomeGroup.code.label("group_code"),
            WelcomeGroup.name.label("group_name"),
            Member.first_name,
            Member.last_name,
            Member.email,
            Member.phone,
            Member.role,
            Member.joined_date,
            Member.vog_date,
            Member.archived,
            Member.version,
        )
        .join(WelcomeGroup, WelcomeGroup.id == Member.group_id)
        .where(Member.group_id.in_(visible_groups(scope, filters, include_archived=include_archived)))
        .order_by(WelcomeGroup.code, Member.last_name, Member.first_name)
    )
    if not include_archived:
        query = query.where(Member.archived.is_(False))
    return read_frame(engine, query)


def newcomers_table(
    engine: Engine, scope: Scope, filters: Filters = Filters(), *, include_archived: bool = False
) -> pd.DataFrame:
    """Every newcomer in the filtered municipalities (coordinators only), by code.

    Columns: ``newcomer_id``, ``code``, ``first_name``, ``last_name``, ``municipality``,
    ``country_of_origin``, ``languages``, ``household_size`` (persons), ``arrival_date``, ``permit_date``,
    ``registration_date``, ``status``, ``email``, ``phone``, ``archived``, ``version``.

    Raises:
        AccessDenied: not a coordinator.
    """
    scope.require_coordinator()
    query = (
        select(
            Newcomer.id.label("newcomer_id"),
            Newcomer.code,
            Newcomer.first_name,
            Newcomer.last_name,
            Municipality.name.label("municipality"),
            Newcomer.country_of_origin,
            Newcomer.languages,
            Newcomer.household_size,
            Newcomer.arrival_date,
            Newcomer.permit_date,
            Newcomer.registration_date,
            Newcomer.status,
            Newcomer.email,
            Newcomer.phone,
            Newcomer.archived,
            Newcomer.version,
        )
        .join(Municipality, Municipality.id == Newcomer.municipality_id)
        .where(in_reach(Newcomer.municipality_id, scope))
        .order_by(Newcomer.code)
    )
    if filters.municipalities:
        query = query.where(Municipality.name.in_(filters.municipalities))
    if not include_archived:
        query = query.where(Newcomer.archived.is_(False))
    return read_frame(engine, query)


def builders_table(engine: Engine, scope: Scope, *, include_archived: bool = False) -> pd.DataFrame:
    """Community builders (coordinators only), by name.

    Columns: ``builder_id``, ``name``, ``email``, ``municipality``, ``languages``, ``groups`` (count of
    groups they guide, not archived), ``archived``, ``version``.

    Raises:
        AccessDenied: not a coordinator.
    """
    scope.require_coordinator()
    groups = (
        select(WelcomeGroup.community_builder_id, func.count().label("groups"))
        .where(WelcomeGroup.archived.is_(False))
        .group_by(WelcomeGroup.community_builder_id)
        .subquery()
    )
    query = (
        select(
            CommunityBuilder.id.label("builder_id"),
            CommunityBuilder.name,
            CommunityBuilder.email,
            Municipality.name.label("municipality"),
            CommunityBuilder.languages,
            func.coalesce(groups.c.groups, 0).label("groups"),
            CommunityBuilder.archived,
            CommunityBuilder.version,
        )
        .outerjoin(Municipality, Municipality.id == CommunityBuilder.municipality_id)
        .outerjoin(groups, groups.c.community_builder_id == CommunityBuilder.id)
        .where(in_reach(CommunityBuilder.municipality_id, scope))
        .order_by(CommunityBuilder.name)
    )
    if not include_archived:
        query = query.where(CommunityBuilder.archived.is_(False))
    return read_frame(engine, query)


def users_table(engine: Engine, scope: Scope) -> pd.DataFrame:
    """Login accounts (coordinators only), by username.

    Columns: ``user_id``, ``username``, ``role``, ``community_builder_id``, ``community_builder``,
    ``municipalities`` (a coordinator's, joined by ``, ``; empty: national), ``email`` (the account's own;
    None: a builder's account uses the builder's), ``weekly_digest``, ``active``, ``created_at``, ``version``. A municipality coordinator gets the accounts of
    :func:`~samenhier.scope.visible_accounts` only.

    Raises:
        AccessDenied: not a coordinator.
    """
    scope.require_coordinator()
    frame = read_frame(
        engine,
        (
            select(
                UserAccount.id.label("user_id"),
                UserAccount.username,
                UserAccount.role,
                UserAccount.community_builder_id,
                CommunityBuilder.name.label("community_builder"),
                UserAccount.email,
                UserAccount.weekly_digest,
                UserAccount.active,
                UserAccount.created_at,
                UserAccount.version,
            )
            .outerjoin(CommunityBuilder, CommunityBuilder.id == UserAccount.community_builder_id)
            .where(UserAccount.id.in_(visible_accounts(scope)))
            .order_by(func.lower(UserAccount.username))
        ),
    )
    frame["community_builder_id"] = frame["community_builder_id"].astype("Int64")
    reach = read_frame(
        engine,
        select(UserMunicipality.user_id, Municipality.name)
        .join(Municipality, Municipality.id == UserMunicipality.municipality_id)
        .order_by(Municipality.name),
    )
    names = reach.groupby("user_id")["name"].agg(", ".join).to_dict() if len(reach) else {}
    frame.insert(5, "municipalities", [names.get(u, "") for u in frame["user_id"]])
    return frame


def account_municipality_options(engine: Engine, scope: Scope) -> list[str]:
    """Municipalities a coordinator account may be given by ``scope``: every municipality in the store for a
    national coordinator, their own for a municipality coordinator, by name.

    Raises:
        AccessDenied: not a coordinator.
    """
    scope.require_coordinator()
    with engine.connect() as c:
        return list(
            c.execute(
                select(Municipality.name).where(in_reach(Municipality.id, scope)).order_by(Municipality.name)
            ).scalars()
        )


def builder_options(engine: Engine, scope: Scope) -> dict[int, str]:
    """Community builders a group or account may be linked to: id → name (not archived), by name.

    Raises:
        AccessDenied: not a coordinator (linking is theirs; a community builder has no use for the list).
    """
    scope.require_coordinator()
    with engine.connect() as c:
        rows = c.execute(
            select(CommunityBuilder.id, CommunityBuilder.name)
            .where(CommunityBuilder.archived.is_(False))
            .where(in_reach(CommunityBuilder.municipality_id, scope))
            .order_by(CommunityBuilder.name)
        ).all()
    return {int(i): n for i, n in rows}


def group_options(engine: Engine, scope: Scope, filters: Filters = Filters()) -> dict[int, str]:
    """Visible groups a member may belong to: id → ``code · name`` (not archived), by code."""
    with engine.connect() as c:
        rows = c.execute(
            select(WelcomeGroup.id, WelcomeGroup.code, WelcomeGroup.name)
            .where(WelcomeGroup.id.in_(visible_groups(scope, filters)))
            .order_by(WelcomeGroup.code)
        ).all()
    return {int(i): f"{code} · {name}" for i, code, name in rows}


def _form_values(engine: Engine, model, record_id: int, allowed) -> dict[str, Any]:
    with Session(engine) as session:
        record = session.get(model, record_id)
        if record is None or not allowed(record):
            raise AccessDenied(f"{model.__tablename__} {record_id} is not accessible")
        return record_services.form_values(session, record)


def _visible_group_ids(engine: Engine, scope: Scope) -> set[int]:
    with engine.connect() as c:
        return set(c.execute(visible_groups(scope, include_archived=True)).scalars())


def _reachable(engine: Engine, scope: Scope, model, record_id: int) -> bool:
    """Whether a newcomer's or community builder's municipality is within the coordinator's reach."""
    scope.require_coordinator()
    with engine.connect() as c:
        return (
            c.execute(
                select(model.id).where(model.id == record_id, in_reach(model.municipality_id, scope))
            ).first()
            is not None
        )


def group_record(engine: Engine, scope: Scope, group_id: int) -> dict[str, Any]:
    """A group's form values: code, name, municipality, variant, status, community_builder_id,
    signup_date, training_completed_date, notes, archived, version.

    Raises:
        AccessDenied: no such group, or not visible to ``scope``.
    """
    visible = _visible_group_ids(engine, scope)
    return _form_values(engine, WelcomeGroup, group_id, lambda g: g.id in visible)


def member_record(engine: Engine, scope: Scope, member_id: int) -> dict[str, Any]:
    """A member's form values: code, group_id, first_name, last_name, email, phone, role, joined_date,
    vog_date, archived, version. Raises AccessDenied as :func:`group_record`."""
    visible = _visible_group_ids(engine, scope)
    return _form_values(engine, Member, member_id, lambda m: m.group_id in visible)


def newcomer_record(engine: Engine, scope: Scope, newcomer_id: int) -> dict[str, Any]:
    """A newcomer's form values (the fields of :func:`samenhier.services.records.create_newcomer`,
    archived, version). Raises AccessDenied for anyone but a coordinator of the newcomer's municipality."""
    reachable = _reachable(engine, scope, Newcomer, newcomer_id)
    return _form_values(engine, Newcomer, newcomer_id, lambda n: reachable)


def builder_record(engine: Engine, scope: Scope, builder_id: int) -> dict[str, Any]:
    """A community builder's form values: name, email, municipality, languages, archived, version (coordinators
    of the builder's municipality only)."""
    reachable = _reachable(engine, scope, CommunityBuilder, builder_id)
    return _form_values(engine, CommunityBuilder, builder_id, lambda b: reachable)


def user_record(engine: Engine, scope: Scope, user_id: int) -> dict[str, Any]:
    """An account's form values: username, role, community_builder_id, active, email, weekly_digest, language,
    version (coordinators only;
    a municipality coordinator only for the accounts of :func:`~samenhier.scope.visible_accounts`)."""
    scope.require_coordinator()
    with engine.connect() as c:
        visible = c.execute(
            select(UserAccount.id).where(
                UserAccount.id == user_id, UserAccount.id.in_(visible_accounts(scope))
            )
        ).first()
    return _form_values(engine, UserAccount, user_id, lambda u: visible is not None)


def account_settings(engine: Engine, scope: Scope) -> dict[str, Any]:
    """The logged-in user's own account, for "Mijn instellingen": ``user_id``, ``username``, ``email``,
    ``weekly_digest``, ``language``, ``version``, and ``builder_email`` (the linked community builder's
    address, used for the digest when ``email`` is empty; None otherwise).

    Raises:
        AccessDenied: no account of that name (removed since the login).
    """
    with Session(engine) as session:
        account = session.scalars(
            select(UserAccount).where(func.lower(UserAccount.username) == scope.username.lower())
        ).first()
        if account is None:
            raise AccessDenied(f"no account {scope.username!r}")
        builder = (
            session.get(CommunityBuilder, account.community_builder_id)
            if account.community_builder_id
            else None
        )
        values = record_services.form_values(session, account)
        return {
            "user_id": account.id,
            "username": account.username,
            "email": values["email"],
            "weekly_digest": values["weekly_digest"],
            "language": values["language"],
            "version": values["version"],
            "builder_email": builder.email if builder is not None else None,
        }
