"""Reads about welcome groups: the overview table, KPI tiles, status counts and one group's page.

Every function takes the user's :class:`~samenhier.scope.Scope` and returns only what that user may
see. Aggregation over meetings happens in SQL; per-group arithmetic on dates happens in pandas.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlalchemy.engine import Engine

from samenhier.io.rows import fold_vocabulary
from samenhier.models import (
    CommunityBuilder,
    GroupStatus,
    Match,
    MatchStatus,
    Meeting,
    Member,
    Municipality,
    Newcomer,
    NewcomerStatus,
    SurveyResponse,
    Wave,
    WelcomeGroup,
)
from samenhier.privacy import initials
from samenhier.queries.common import read_frame
from samenhier.queries.timelines import variant_timelines
from samenhier.scope import AccessDenied, Filters, Scope, in_reach, visible_groups
from samenhier.settings import get_settings
from samenhier.timeline import column_by_variant, periods_by_variant

OVERVIEW_COLUMNS = [
    "group_id",
    "code",
    "name",
    "municipality",
    "variant",
    "status",
    "community_builder",
    "members",
    "match_started",
    "month",
    "year_length",
    "year_unit",
    "last_meeting",
    "days_since_meeting",
    "health",
]


class Health:
    """Health flags of a group in the overview (stored words; labels via i18n ``health.<flag>``)."""

    ATTENTION = "aandacht"  # active, and no meeting within the inactivity threshold
    YEAR_OVER = "jaar voorbij"  # active past the end of its variant's group year (12 months, 10 weeks)
    OK = "ok"
    NONE = ""  # not active: no cadence to judge


def running_match():
    """Per group, its current match: the newest non-declined one (subquery: group_id, match_id, started, ended, newcomer_id, match_status)."""
    ranked = (
        select(
            Match.group_id,
            Match.id.label("match_id"),
            Match.newcomer_id,
            Match.started_date.label("match_started"),
            Match.ended_date.label("match_ended"),
            Match.status.label("match_status"),
            func.row_number()
            .over(partition_by=Match.group_id, order_by=(Match.proposed_date.desc(), Match.id.desc()))
            .label("rank"),
        )
        .where(Match.status != MatchStatus.DECLINED.value)
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1).subquery()


def group_overview(
    engine: Engine, scope: Scope, filters: Filters = Filters(), *, as_of: dt.date
) -> pd.DataFrame:
    """One row per visible welcome group, groups needing attention first.

    Columns: ``group_id``, ``code``, ``name``, ``municipality``, ``variant``, ``status`` (stored Dutch
    word), ``community_builder`` (name or None), ``members`` (count, not archived), ``match_started``
    (date the current match started, or NaT), ``month`` (period of the group year by the variant's
    timeline — month 1–12, or week 1–10 for studenten — for active groups, above ``year_length`` once the
    year is over; else <NA>), ``year_length`` / ``year_unit`` (the variant's ``duration`` and ``unit``,
    :mod:`samenhier.timeline`), ``last_meeting`` (date of the last meeting on or before ``as_of``, or
    NaT), ``days_since_meeting`` (days, <NA> without meetings), ``health`` (:class:`Health` word: active
    and no meeting within the variant's ``quiet_after_days`` → ``aandacht``).
    """
    # Correlated per group: one seek in ix_meeting_group_date / ix_member_group_id each, so the cost
    # grows with the number of groups shown, not with the (hundreds of thousands of) meetings.
    last_meeting = (
        select(func.max(Meeting.date))
        .where(Meeting.group_id == WelcomeGroup.id, Meeting.date <= as_of)
        .scalar_subquery()
    )
    members = (
        select(func.count())
        .select_from(Member)
        .where(Member.group_id == WelcomeGroup.id, Member.archived.is_(False))
        .scalar_subquery()
    )
    match = running_match()
    query = (
        select(
            WelcomeGroup.id.label("group_id"),
            WelcomeGroup.code,
            WelcomeGroup.name,
            Municipality.name.label("municipality"),
            WelcomeGroup.variant,
            WelcomeGroup.status,
            CommunityBuilder.name.label("community_builder"),
            members.label("members"),
            match.c.match_started,
            last_meeting.label("last_meeting"),
        )
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .outerjoin(CommunityBuilder, CommunityBuilder.id == WelcomeGroup.community_builder_id)
        .outerjoin(match, match.c.group_id == WelcomeGroup.id)
        .where(WelcomeGroup.id.in_(visible_groups(scope, filters)))
        .order_by(Municipality.name, WelcomeGroup.code)
    )
    frame = read_frame(engine, query)
    return _add_health(frame, as_of, variant_timelines(engine))


def _days_until(as_of: dt.date, dates: pd.Series) -> pd.Series:
    """Whole days from each date to ``as_of`` (nullable Int64; <NA> where the date is missing)."""
    return (pd.Timestamp(as_of) - pd.to_datetime(dates)).dt.days.astype("Int64")


def _add_health(frame: pd.DataFrame, as_of: dt.date, timelines) -> pd.DataFrame:
    threshold = column_by_variant(frame["variant"], timelines, "quiet_after_days")
    active = frame["status"] == GroupStatus.ACTIVE.value
    frame["month"] = periods_by_variant(frame["match_started"], frame["variant"], timelines, as_of).where(
        active, pd.NA
    )
    frame["year_length"] = column_by_variant(frame["variant"], timelines, "duration").astype(int)
    frame["year_unit"] = column_by_variant(frame["variant"], timelines, "unit").astype(object)
    frame["days_since_meeting"] = _days_until(as_of, frame["last_meeting"])
    # An active group that never met counts from the start of its match.
    quiet_days = frame["days_since_meeting"].fillna(_days_until(as_of, frame["match_started"])).fillna(0)
    frame["match_started"] = pd.to_datetime(frame["match_started"]).dt.date
    frame["last_meeting"] = pd.to_datetime(frame["last_meeting"]).dt.date
    health = pd.Series(Health.NONE, index=frame.index, dtype=object)
    health[active] = Health.OK
    health[active & (frame["month"].fillna(0) > frame["year_length"])] = Health.YEAR_OVER
    health[active & (quiet_days > threshold)] = Health.ATTENTION
    frame["health"] = health
    rank = frame["health"].map({Health.ATTENTION: 0, Health.YEAR_OVER: 1, Health.OK: 2}).fillna(3)
    frame = frame.assign(_rank=rank, _days=frame["days_since_meeting"].fillna(-1))
    frame = frame.sort_values(
        ["_rank", "_days", "municipality", "code"], ascending=[True, False, True, True], kind="stable"
    )
    return frame.drop(columns=["_rank", "_days"]).reset_index(drop=True)[OVERVIEW_COLUMNS]


def filter_overview(
    overview: pd.DataFrame, *, statuses: list[str] = (), builders: list[str] = (), search: str = ""
) -> pd.DataFrame:
    """The rows of :func:`group_overview` with one of ``statuses`` and ``builders`` (empty = all) whose
    code, name, municipality or community builder contains ``search`` (case- and accent-insensitive)."""
    mask = pd.Series(True, index=overview.index)
    if statuses:
        mask &= overview["status"].isin(statuses)
    if builders:
        mask &= overview["community_builder"].isin(builders)
    needle = fold_vocabulary(search)
    if needle:
        haystack = (
            overview[["code", "name", "municipality", "community_builder"]]
            .fillna("")
            .astype(str)
            .agg(" ".join, axis=1)
        )
        mask &= haystack.map(fold_vocabulary).str.contains(needle, regex=False)
    return overview[mask]


@dataclass(frozen=True)
class Kpis:
    """The overview's tiles. ``share_met_recently`` is a fraction 0–1 (None without active groups)."""

    active_groups: int
    groups_waiting: int
    newcomers_waiting: int
    meetings_last_30_days: int
    share_met_recently: float | None


def kpis(engine: Engine, scope: Scope, filters: Filters = Filters(), *, as_of: dt.date) -> Kpis:
    """The KPI tiles as of ``as_of``.

    - active groups: status ``actief``; groups waiting: status ``wacht op match``;
    - newcomers waiting: status ``wacht`` in the filtered municipalities (coordinators only: a community
      builder sees waiting newcomers of none of their groups, so 0);
    - meetings in the last 30 days: dated in (as_of − 30 days, as_of];
    - share met recently: active groups with a meeting within their variant's ``quiet_after_days`` /
      active groups (the same rule as :func:`group_overview`'s health: a meeting dated in
      [as_of − days, as_of]; 21 days, 10 for studenten: :mod:`samenhier.timeline`).

    Counted in SQL (no per-group rows are loaded).
    """
    timelines = variant_timelines(engine)
    since = case(
        {v: as_of - dt.timedelta(days=tl.quiet_after_days) for v, tl in timelines.items()},
        value=WelcomeGroup.variant,
        else_=as_of - dt.timedelta(days=get_settings().inactive_after_days),
    )
    is_active = WelcomeGroup.status == GroupStatus.ACTIVE.value
    met_recently = (
        select(Meeting.id)
        .where(Meeting.group_id == WelcomeGroup.id, Meeting.date <= as_of, Meeting.date >= since)
        .exists()
    )
    counted = select(
        func.count().filter(is_active),
        func.count().filter(WelcomeGroup.status == GroupStatus.AWAITING_MATCH.value),
        func.count().filter(and_(is_active, met_recently)),
    ).where(WelcomeGroup.id.in_(visible_groups(scope, filters)))
    with engine.connect() as connection:
        active, waiting, met = connection.execute(counted).one()
        meetings = connection.execute(
            select(func.count())
            .select_from(Meeting)
            .where(and_(Meeting.date <= as_of, Meeting.date > as_of - dt.timedelta(days=30)))
            .where(Meeting.group_id.in_(visible_groups(scope, filters)))
        ).scalar_one()
        newcomers = 0
        if scope.is_coordinator:
            query = (
                select(func.count())
                .select_from(Newcomer)
                .where(
                    Newcomer.status == NewcomerStatus.WAITING.value,
                    Newcomer.archived.is_(False),
                    in_reach(Newcomer.municipality_id, scope),
                )
            )
            if filters.municipalities:
                query = query.join(Municipality, Municipality.id == Newcomer.municipality_id).where(
                    Municipality.name.in_(filters.municipalities)
                )
            newcomers = connection.execute(query).scalar_one()
    return Kpis(
        active_groups=int(active),
        groups_waiting=int(waiting),
        newcomers_waiting=int(newcomers),
        meetings_last_30_days=int(meetings),
        share_met_recently=(int(met) / int(active)) if active else None,
    )


def status_counts(overview: pd.DataFrame) -> pd.DataFrame:
    """Groups per municipality and status, from :func:`group_overview`'s frame.

    Columns: ``municipality``, ``status``, ``groups`` (count); statuses in life-cycle order.
    """
    counts = overview.groupby(["municipality", "status"]).size().rename("groups").reset_index()
    order = {s.value: i for i, s in enumerate(GroupStatus)}
    return counts.sort_values(
        ["municipality", "status"], key=lambda c: c.map(order) if c.name == "status" else c
    ).reset_index(drop=True)


def group_names(engine: Engine, scope: Scope, filters: Filters = Filters()) -> dict[str, str]:
    """The visible groups (not archived) for choosing one: code → ``code · name``, by code.

    A light read for pickers (the group page, Mijn groepen): two columns, no per-group aggregates.
    """
    with engine.connect() as connection:
        rows = connection.execute(
            select(WelcomeGroup.code, WelcomeGroup.name)
            .where(WelcomeGroup.id.in_(visible_groups(scope, filters)))
            .order_by(WelcomeGroup.code)
        ).all()
    return {code: f"{code} · {name}" for code, name in rows}


def group_id_for_code(engine: Engine, scope: Scope, code: str) -> int:
    """The id of the group with ``code``.

    Raises:
        AccessDenied: no such group, or not visible to ``scope`` (deliberately the same answer, so a
            community builder cannot probe which codes exist).
    """
    with engine.connect() as connection:
        group_id = connection.execute(
            select(WelcomeGroup.id).where(
                WelcomeGroup.code == code, WelcomeGroup.id.in_(visible_groups(scope, include_archived=True))
            )
        ).scalar_one_or_none()
    if group_id is None:
        raise AccessDenied(f"group {code!r} is not visible to {scope.username}")
    return group_id


@dataclass
class GroupDetail:
    """Everything the group page shows. Frames as documented in :func:`group_detail`."""

    group: dict
    members: pd.DataFrame
    matches: pd.DataFrame
    meetings: pd.DataFrame
    surveys: pd.DataFrame
    timeline: pd.DataFrame


def group_detail(engine: Engine, scope: Scope, code: str) -> GroupDetail:
    """One group's page.

    - ``group``: group_id, version, code, name, municipality, variant, status, community_builder,
      signup_date, training_completed_date, notes;
    - ``members``: code, first_name, last_name, email, phone, role, joined_date, vog_date — contact
      person first;
    - ``matches``: match_id, version, newcomer_id, newcomer_code, first_name, last_name, household_size,
      country_of_origin, languages, proposed_date, started_date, ended_date, status, end_reason — newest first; for a community
      builder a declined proposal's newcomer shows as initials only (``first_name`` ``K. H.``, last
      name, country and languages empty: :func:`samenhier.privacy.initials`);
    - ``meetings``: id, date, kind, duration_minutes, members_present, newcomers_present, note — newest first;
    - ``surveys``: wave, role (nieuwkomer/lid), responses (count) — in wave order;
    - ``timeline``: event (signup/training/proposed/started/ended), date — in date order.

    Raises:
        AccessDenied: the group does not exist or is not visible to ``scope``.
    """
    group_id = group_id_for_code(engine, scope, code)
    group = (
        read_frame(
            engine,
            select(
                WelcomeGroup.id.label("group_id"),
                WelcomeGroup.version,
                WelcomeGroup.code,
                WelcomeGroup.name,
                Municipality.name.label("municipality"),
                WelcomeGroup.variant,
                WelcomeGroup.status,
                CommunityBuilder.name.label("community_builder"),
                WelcomeGroup.signup_date,
                WelcomeGroup.training_completed_date,
                WelcomeGroup.notes,
            )
            .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
            .outerjoin(CommunityBuilder, CommunityBuilder.id == WelcomeGroup.community_builder_id)
            .where(WelcomeGroup.id == group_id),
        )
        .iloc[0]
        .to_dict()
    )
    members = read_frame(
        engine,
        select(
            Member.code,
            Member.first_name,
            Member.last_name,
            Member.email,
            Member.phone,
            Member.role,
            Member.joined_date,
            Member.vog_date,
        )
        .where(Member.group_id == group_id, Member.archived.is_(False))
        .order_by((Member.role != "contactpersoon"), Member.last_name, Member.first_name),
    )
    matches = read_frame(
        engine,
        select(
            Match.id.label("match_id"),
            Match.version,
            Match.newcomer_id,
            Newcomer.code.label("newcomer_code"),
            Newcomer.first_name,
            Newcomer.last_name,
            Newcomer.household_size,
            Newcomer.country_of_origin,
            Newcomer.languages,
            Match.proposed_date,
            Match.started_date,
            Match.ended_date,
            Match.status,
            Match.end_reason,
        )
        .join(Newcomer, Newcomer.id == Match.newcomer_id)
        .where(Match.group_id == group_id)
        .order_by(Match.proposed_date.desc(), Match.id.desc()),
    )
    if not scope.is_coordinator:
        # Minimal display: a community builder sees in full only the newcomers of their group. One whose
        # proposal was declined is not (or no longer) theirs: initials only, no household details.
        declined = matches["status"] == MatchStatus.DECLINED.value
        matches.loc[declined, "first_name"] = [
            initials(f, last)
            for f, last in zip(
                matches.loc[declined, "first_name"], matches.loc[declined, "last_name"], strict=True
            )
        ]
        matches.loc[declined, ["last_name", "country_of_origin", "languages"]] = ""
    meetings = read_frame(
        engine,
        select(
            Meeting.id,
            Meeting.date,
            Meeting.kind,
            Meeting.duration_minutes,
            Meeting.members_present,
            Meeting.newcomers_present,
            Meeting.note,
        )
        .where(Meeting.group_id == group_id)
        .order_by(Meeting.date.desc(), Meeting.id.desc()),
    )
    role = case((SurveyResponse.newcomer_id.is_not(None), "nieuwkomer"), else_="lid").label("role")
    wave_order = case({w.value: i for i, w in enumerate(Wave)}, value=SurveyResponse.wave)
    surveys = read_frame(
        engine,
        select(SurveyResponse.wave, role, func.count().label("responses"))
        .where(SurveyResponse.group_id == group_id)
        .group_by(SurveyResponse.wave, role)
        .order_by(wave_order, role),
    )
    events = [("signup", group["signup_date"]), ("training", group["training_completed_date"])]
    for _, m in matches.iloc[::-1].iterrows():
        events += [
            ("proposed", m["proposed_date"]),
            ("started", m["started_date"]),
            ("ended", m["ended_date"]),
        ]
    timeline = (
        pd.DataFrame(
            [(e, pd.to_datetime(d).date()) for e, d in events if d is not None and not pd.isna(d)],
            columns=["event", "date"],
        )
        .sort_values("date", kind="stable")
        .reset_index(drop=True)
    )
    return GroupDetail(
        group=group, members=members, matches=matches, meetings=meetings, surveys=surveys, timeline=timeline
    )
