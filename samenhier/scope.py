"""Who is asking, and what they asked for: the user scope and the global filters of every query.

Access control lives here and in the services, not in the pages: every query and service takes a
:class:`Scope`, and :func:`visible_group_ids` is the one place that decides which welcome groups a
user may see. A coordinator sees every group; a community builder only the groups they guide (and,
through them, those groups' members, newcomers, matches, meetings and surveys).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select

from samenhier.models import Municipality, UserRole, WelcomeGroup


class AccessDenied(PermissionError):
    """The user's scope does not include the record or action asked for."""


@dataclass(frozen=True)
class Scope:
    """The logged-in user as the data layer sees it (hashable: usable as a cache key)."""

    username: str
    role: UserRole
    community_builder_id: int | None = None

    @property
    def is_coordinator(self) -> bool:
        return self.role == UserRole.COORDINATOR

    @classmethod
    def coordinator(cls, username: str = "system") -> Scope:
        return cls(username=username, role=UserRole.COORDINATOR)

    @classmethod
    def community_builder(cls, username: str, community_builder_id: int) -> Scope:
        return cls(username=username, role=UserRole.COMMUNITY_BUILDER, community_builder_id=community_builder_id)

    def require_coordinator(self) -> None:
        """Raises :class:`AccessDenied` unless this is a coordinator."""
        if not self.is_coordinator:
            raise AccessDenied("only a coordinator may do this")


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
    if filters.municipalities:
        query = query.join(Municipality, Municipality.id == WelcomeGroup.municipality_id).where(
            Municipality.name.in_(filters.municipalities)
        )
    if filters.variants:
        query = query.where(WelcomeGroup.variant.in_(filters.variants))
    if not include_archived:
        query = query.where(WelcomeGroup.archived.is_(False))
    return query
