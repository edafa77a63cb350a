"""Who is asking, and what they asked for: the user scope and the global filters of every query.

Access control lives here and in the services, not in the pages: every query and service takes a
:class:`Scope`, and :func:`visible_groups` / :func:`visible_municipality_ids` are the places that decide
which welcome groups and municipalities a user may see. Three roles (README, "Roles"; SECURITY.md):

- a *national* coordinator (no municipalities on the account) sees every group and newcomer;
- a *municipality* coordinator sees only the records of their municipalities: groups (and through them
  members, matches, meetings, surveys), newcomers by the newcomer's municipality, community builders by
  the builder's municipality. This is the AVG's need-to-know between partner organisations;
- a community builder sees only the groups they guide (and those groups' members, newcomer, meetings
  and surveys).

Whole-store operations (backup, restore, retention over everyone, demo data) are for national
coordinators only: :meth:`Scope.require_national`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, false, select, true

from samenhier.models import (
    CommunityBuilder,
    Municipality,
    UserAccount,
    UserMunicipality,
    UserRole,
    WelcomeGroup,
)


class AccessDenied(PermissionError):
    """The user's scope does not include the record or action asked for."""


@dataclass(frozen=True)
class Scope:
    """The logged-in user as the data layer sees it (hashable: usable as a cache key)."""

    username: str
    role: UserRole
    community_builder_id: int | None = None
    municipalities: tuple[str, ...] = ()
    """A coordinator's municipalities (names, sorted); empty for a national coordinator and a builder."""

    @property
    def is_coordinator(self) -> bool:
        """A coordinator of any reach (national or of some municipalities)."""
        return self.role == UserRole.COORDINATOR

    @property
    def is_national(self) -> bool:
        """A coordinator of every municipality."""
        return self.is_coordinator and not self.municipalities

    @classmethod
    def coordinator(cls, username: str = "system", municipalities: tuple[str, ...] | list[str] = ()) -> Scope:
        """A coordinator: national without ``municipalities``, else of those municipalities only."""
        return cls(
            username=username, role=UserRole.COORDINATOR, municipalities=tuple(sorted(set(municipalities)))
        )

    @classmethod
    def community_builder(cls, username: str, community_builder_id: int) -> Scope:
        return cls(
            username=username, role=UserRole.COMMUNITY_BUILDER, community_builder_id=community_builder_id
        )

    @property
    def municipality_filter(self) -> str:
        """How the sidebar offers the municipality filter to this user (issue 14, "filters a role can use"):

        - ``"choice"``: a national coordinator, or a coordinator of several municipalities, chooses among
          the municipalities in reach;
        - ``"fixed"``: a coordinator of one municipality sees it named, not offered as a choice;
        - ``"none"``: a community builder gets no municipality filter: they see only the groups they guide,
          and a filter set to "all" would suggest they could see other cities.
        """
        if not self.is_coordinator:
            return "none"
        return "fixed" if len(self.municipalities) == 1 else "choice"

    def require_coordinator(self) -> None:
        """Raises :class:`AccessDenied` unless this is a coordinator."""
        if not self.is_coordinator:
            raise AccessDenied("only a coordinator may do this")

    def require_national(self) -> None:
        """Raises :class:`AccessDenied` unless this is a national coordinator (whole-store operations)."""
        if not self.is_national:
            raise AccessDenied("only a national coordinator may do this")

    def narrow(self, filters: Filters) -> Filters:
        """``filters`` limited to this coordinator's municipalities (unchanged for a national coordinator or a
        builder). Choosing only municipalities outside the reach selects nothing."""
        if not self.municipalities:
            return filters
        chosen = [m for m in (filters.municipalities or self.municipalities) if m in self.municipalities]
        return Filters(municipalities=tuple(chosen) or ("\u2205",), variants=filters.variants)

    def covers(self, municipality: str | None) -> bool:
        """Whether a coordinator's reach includes ``municipality`` (a name; None: a record without one,
        which only national coordinators see). False for community builders (they are scoped by group)."""
        return self.is_national or (self.is_coordinator and municipality in self.municipalities)


@dataclass(frozen=True)
class Filters:
    """The sidebar's global filters; empty tuples mean "all"."""

    municipalities: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()


def visible_groups(scope: Scope, filters: Filters = Filters(), *, include_archived: bool = False) -> Select:
    """A ``SELECT welcome_group.id`` of the groups ``scope`` may see, narrowed by ``filters``.

    Use as a subquery: ``WHERE group_id IN visible_groups(scope, filters)``.
    """
    query = select(WelcomeGroup.id)
    if not scope.is_coordinator:
        # A community builder without a link sees nothing (id -1 never exists).
        query = query.where(WelcomeGroup.community_builder_id == (scope.community_builder_id or -1))
    if scope.municipalities:
        query = query.where(WelcomeGroup.municipality_id.in_(visible_municipality_ids(scope)))
    if filters.municipalities:
        query = query.join(Municipality, Municipality.id == WelcomeGroup.municipality_id).where(
            Municipality.name.in_(filters.municipalities)
        )
    if filters.variants:
        query = query.where(WelcomeGroup.variant.in_(filters.variants))
    if not include_archived:
        query = query.where(WelcomeGroup.archived.is_(False))
    return query


def visible_municipality_ids(scope: Scope, filters: Filters = Filters()) -> Select:
    """A ``SELECT municipality.id`` of the municipalities whose newcomers and community builders ``scope``
    may see, narrowed by ``filters``: all for a national coordinator, theirs for a municipality
    coordinator, none for a community builder (who sees newcomers only through their own groups).

    Use as a subquery: ``WHERE newcomer.municipality_id IN visible_municipality_ids(scope, filters)``.
    """
    query = select(Municipality.id)
    if not scope.is_coordinator:
        return query.where(Municipality.id == -1)
    if scope.municipalities:
        query = query.where(Municipality.name.in_(scope.municipalities))
    if filters.municipalities:
        query = query.where(Municipality.name.in_(filters.municipalities))
    return query


def in_reach(municipality_id_column, scope: Scope) -> ColumnElement[bool]:
    """A SQL condition: the record whose municipality is ``municipality_id_column`` is within a coordinator's
    reach. Always true for a national coordinator (records without a municipality included), always false
    for a community builder (who reaches records through their groups instead)."""
    if scope.is_national:
        return true()
    if not scope.is_coordinator:
        return false()
    return municipality_id_column.in_(visible_municipality_ids(scope))


def visible_accounts(scope: Scope) -> Select:
    """A ``SELECT user_account.id`` of the accounts ``scope`` may see and manage: all for a national
    coordinator; for a municipality coordinator, the accounts of builders working in their municipalities
    and of coordinators whose municipalities all lie within theirs (never a national account); none for
    a community builder."""
    query = select(UserAccount.id)
    if scope.is_national:
        return query
    if not scope.is_coordinator:
        return query.where(false())
    builders = select(CommunityBuilder.id).where(in_reach(CommunityBuilder.municipality_id, scope))
    has_any = select(UserMunicipality.user_id)
    outside = select(UserMunicipality.user_id).where(
        UserMunicipality.municipality_id.not_in(visible_municipality_ids(scope))
    )
    return query.where(
        (UserAccount.community_builder_id.in_(builders))
        | (
            (UserAccount.role == UserRole.COORDINATOR.value)
            & UserAccount.id.in_(has_any)
            & UserAccount.id.not_in(outside)
        )
    )
