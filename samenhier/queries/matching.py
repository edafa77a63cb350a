"""Reads for matching: the waiting queue (newcomers and groups), its summary per municipality, the
running matches, match suggestions and the matching funnel.

Who sees what (enforced here, not only in the page):

- A **coordinator** sees every waiting newcomer by name, every group, and gets suggestions.
- A **community builder** sees groups only through :func:`~samenhier.scope.visible_groups` (their own
  groups), and the newcomers proposed to or matched with those groups. Waiting newcomers are in no
  group, so a community builder never gets them row by row (:func:`waiting_newcomers` and
  :func:`suggestions` raise :class:`~samenhier.scope.AccessDenied`); :func:`queue_summary` gives them
  only counts of the queue in their own municipalities, with the wait-time statistics and the urgent
  and not-eligible counts suppressed below ``min_cell_size`` waiting newcomers.

Filters: ``filters.municipalities`` narrows newcomers (by where they live) and groups;
``filters.variants`` narrows groups and matches only (a waiting newcomer has no variant yet).

Day counts are whole days; wait days are ``as_of − start`` (:func:`samenhier.rules.wait_days`), the
eligibility end and days left come from :func:`samenhier.rules.eligibility_end` / ``days_left`` with
the ``eligibility_years`` setting. Medians and 90th percentiles use linear interpolation between
the closest ranks (numpy's default): the median of 10 and 20 days is 15.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import func, select, union
from sqlalchemy.engine import Engine

from samenhier.matching import RUNNING_STATUSES, Weights, suggest
from samenhier.models import (
    CommunityBuilder,
    GroupStatus,
    Match,
    MatchStatus,
    Member,
    Municipality,
    Newcomer,
    NewcomerStatus,
    WelcomeGroup,
)
from samenhier.queries.common import read_frame
from samenhier.rules import eligibility_end
from samenhier.scope import Filters, Scope, in_reach, visible_groups, visible_municipality_ids
from samenhier.settings import get_settings


class Flag:
    """Eligibility flag of a waiting newcomer (labels via i18n ``matching.flag.<flag>``)."""

    URGENT = "urgent"  # fewer than ``urgent_days_left`` days of eligibility left (0 = last day)
    NOT_ELIGIBLE = "not_eligible"  # past the eligibility end (still shown: the coordinator decides)
    OK = "ok"


NEWCOMER_COLUMNS = [
    "newcomer_id",
    "code",
    "name",
    "municipality",
    "household_size",
    "languages",
    "registration_date",
    "wait_days",
    "eligibility_end",
    "days_left",
    "flag",
    "proposed_group",
    "version",
]
GROUP_COLUMNS = [
    "group_id",
    "code",
    "name",
    "municipality",
    "variant",
    "status",
    "community_builder",
    "languages",
    "members",
    "training_completed_date",
    "wait_days",
    "running_matches",
    "proposed_newcomer",
    "version",
]
SUMMARY_COLUMNS = [
    "municipality",
    "newcomers_waiting",
    "urgent",
    "not_eligible",
    "newcomer_wait_median",
    "newcomer_wait_p90",
    "groups_waiting",
    "group_wait_median",
    "group_wait_p90",
    "proposals",
]
OPEN_MATCH_COLUMNS = [
    "match_id",
    "municipality",
    "group_id",
    "group_code",
    "group_name",
    "community_builder",
    "newcomer_id",
    "newcomer_code",
    "newcomer_name",
    "household_size",
    "status",
    "proposed_date",
    "started_date",
    "version",
]
FUNNEL_STEPS = ("registered", "proposed", "started", "completed", "stopped", "withdrawn")
"""Steps of the funnel; ``stopped`` and ``withdrawn`` are the exits beside ``completed``."""
FUNNEL_COLUMNS = ["municipality", "step", "newcomers", "median_days"]


# ---------------------------------------------------------------------------------------------- helpers


def _days(as_of: dt.date, dates: pd.Series) -> pd.Series:
    """Whole days from each date to ``as_of`` (nullable Int64, <NA> where the date is missing)."""
    return (pd.Timestamp(as_of) - pd.to_datetime(dates)).dt.days.astype("Int64")


def _as_dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).dt.date


def _quantile(values: pd.Series, q: float) -> float | None:
    values = pd.to_numeric(values, errors="coerce").dropna()
    return float(np.quantile(values.to_numpy(dtype=float), q)) if len(values) else None


def _count_by(frame: pd.DataFrame, mask: pd.Series) -> dict[str, int]:
    """Per municipality of ``frame``, how many rows ``mask`` selects."""
    return mask.groupby(frame["municipality"]).sum().to_dict()


def _quantiles_by(frame: pd.DataFrame, column: str) -> dict[str, tuple[float | None, float | None]]:
    """Per municipality of ``frame``: the median and 90th percentile of ``column`` (as :func:`_quantile`)."""
    values = pd.to_numeric(frame[column], errors="coerce").astype(float)
    result = {}
    for name, part in values.groupby(frame["municipality"]):
        part = part.dropna().to_numpy()
        result[name] = (
            (float(np.quantile(part, 0.5)), float(np.quantile(part, 0.9))) if len(part) else (None, None)
        )
    return result


def _running_proposals():
    """Open proposals (status voorgesteld): match_id, group_id, newcomer_id."""
    return select(Match.id, Match.group_id, Match.newcomer_id).where(
        Match.status == MatchStatus.PROPOSED.value
    )


def _newcomer_municipality_filter(query, filters: Filters):
    if filters.municipalities:
        query = query.where(Municipality.name.in_(filters.municipalities))
    return query


def _scope_municipalities(scope: Scope, filters: Filters):
    """A ``SELECT municipality.id`` of the municipalities whose queue ``scope`` may see in aggregate.

    Coordinator: every municipality in their reach. Community builder: those of their groups and their own.
    """
    if scope.is_coordinator:
        query = visible_municipality_ids(scope)
    else:
        query = union(
            select(WelcomeGroup.municipality_id.label("id")).where(
                WelcomeGroup.id.in_(visible_groups(scope))
            ),
            select(CommunityBuilder.municipality_id.label("id")).where(
                CommunityBuilder.id == (scope.community_builder_id or -1),
                CommunityBuilder.municipality_id.is_not(None),
            ),
        )
        query = select(query.subquery().c.id)
    if filters.municipalities:
        named = select(Municipality.id).where(Municipality.name.in_(filters.municipalities))
        ids = query.subquery()
        query = select(ids.c.id).where(ids.c.id.in_(named))
    return query


def _waiting_newcomer_rows(engine: Engine, filters: Filters, municipality_ids=None) -> pd.DataFrame:
    """Every waiting newcomer (status wacht, not archived) in the filtered municipalities, unscoped: internal only."""
    proposals = _running_proposals().subquery()
    query = (
        select(
            Newcomer.id.label("newcomer_id"),
            Newcomer.code,
            Newcomer.first_name,
            Newcomer.last_name,
            Municipality.name.label("municipality"),
            Newcomer.household_size,
            Newcomer.languages,
            Newcomer.arrival_date,
            Newcomer.registration_date,
            Newcomer.version,
            func.min(WelcomeGroup.code).label("proposed_group"),
        )
        .join(Municipality, Municipality.id == Newcomer.municipality_id)
        .outerjoin(proposals, proposals.c.newcomer_id == Newcomer.id)
        .outerjoin(WelcomeGroup, WelcomeGroup.id == proposals.c.group_id)
        .where(Newcomer.status == NewcomerStatus.WAITING.value, Newcomer.archived.is_(False))
        .group_by(Newcomer.id, Municipality.name)
    )
    query = _newcomer_municipality_filter(query, filters)
    if municipality_ids is not None:
        query = query.where(Newcomer.municipality_id.in_(municipality_ids))
    return read_frame(engine, query)


def _with_eligibility(frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    settings = get_settings()
    frame["wait_days"] = _days(as_of, frame["registration_date"])
    frame["registration_date"] = _as_dates(frame["registration_date"])
    frame["eligibility_end"] = [
        eligibility_end(d, settings.eligibility_years) for d in _as_dates(frame["arrival_date"])
    ]
    frame["days_left"] = pd.array([(end - as_of).days for end in frame["eligibility_end"]], dtype="Int64")
    flag = pd.Series(Flag.OK, index=frame.index, dtype=object)
    flag[frame["days_left"] < settings.urgent_days_left] = Flag.URGENT
    flag[frame["days_left"] < 0] = Flag.NOT_ELIGIBLE
    frame["flag"] = flag
    return frame


# ---------------------------------------------------------------------------------------------- queue


def waiting_newcomers(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    as_of: dt.date,
    municipality: str | None = None,
) -> pd.DataFrame:
    """The waiting newcomers (status ``wacht``, not archived), urgent first. Coordinators only.

    Columns: ``newcomer_id``, ``code``, ``name`` (first and last name), ``municipality``,
    ``household_size`` (persons), ``languages`` (text as recorded), ``registration_date``, ``wait_days``
    (as_of − registration, days), ``eligibility_end`` (last eligible day: arrival + ``eligibility_years``),
    ``days_left`` (eligibility end − as_of; 0 on the last day, negative after), ``flag`` (:class:`Flag`:
    ``urgent`` below ``urgent_days_left`` days left, ``not_eligible`` past the end, else ``ok``),
    ``proposed_group`` (code of the group of an open proposal, or None), ``version``.
    Order: urgent, ok, not eligible; then fewest days left; then code.

    Raises:
        AccessDenied: the scope is not a coordinator (waiting newcomers are in nobody's group).
    """
    scope.require_coordinator()
    frame = _waiting_newcomer_rows(
        engine, filters, None if scope.is_national else visible_municipality_ids(scope)
    )
    if municipality is not None:
        frame = frame[frame["municipality"] == municipality].copy()
    if frame.empty:
        return pd.DataFrame(columns=NEWCOMER_COLUMNS)
    frame = _with_eligibility(frame, as_of)
    frame["name"] = (frame["first_name"].fillna("") + " " + frame["last_name"].fillna("")).str.strip()
    rank = frame["flag"].map({Flag.URGENT: 0, Flag.OK: 1, Flag.NOT_ELIGIBLE: 2})
    frame = frame.assign(_rank=rank).sort_values(["_rank", "days_left", "code"], kind="stable")
    return frame.reset_index(drop=True)[NEWCOMER_COLUMNS]


def _groups(
    engine: Engine,
    scope: Scope,
    filters: Filters,
    *,
    as_of: dt.date,
    statuses: tuple[str, ...],
    municipality: str | None,
) -> pd.DataFrame:
    members = (
        select(Member.group_id, func.count().label("members"))
        .where(Member.archived.is_(False))
        .group_by(Member.group_id)
        .subquery()
    )
    running = (
        select(Match.group_id, func.count().label("running_matches"))
        .where(Match.status.in_(RUNNING_STATUSES))
        .group_by(Match.group_id)
        .subquery()
    )
    proposed = (
        select(Match.group_id, func.min(Newcomer.code).label("proposed_newcomer"))
        .join(Newcomer, Newcomer.id == Match.newcomer_id)
        .where(Match.status == MatchStatus.PROPOSED.value)
        .group_by(Match.group_id)
        .subquery()
    )
    query = (
        select(
            WelcomeGroup.id.label("group_id"),
            WelcomeGroup.code,
            WelcomeGroup.name,
            Municipality.name.label("municipality"),
            WelcomeGroup.variant,
            WelcomeGroup.status,
            CommunityBuilder.name.label("community_builder"),
            func.coalesce(CommunityBuilder.languages, "").label("languages"),
            func.coalesce(members.c.members, 0).label("members"),
            WelcomeGroup.training_completed_date,
            func.coalesce(running.c.running_matches, 0).label("running_matches"),
            proposed.c.proposed_newcomer,
            WelcomeGroup.version,
        )
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .outerjoin(CommunityBuilder, CommunityBuilder.id == WelcomeGroup.community_builder_id)
        .outerjoin(members, members.c.group_id == WelcomeGroup.id)
        .outerjoin(running, running.c.group_id == WelcomeGroup.id)
        .outerjoin(proposed, proposed.c.group_id == WelcomeGroup.id)
        .where(WelcomeGroup.id.in_(visible_groups(scope, filters)), WelcomeGroup.status.in_(statuses))
    )
    if municipality is not None:
        query = query.where(Municipality.name == municipality)
    frame = read_frame(engine, query)
    if frame.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    frame["wait_days"] = _days(as_of, frame["training_completed_date"])
    frame["training_completed_date"] = _as_dates(frame["training_completed_date"])
    frame = frame.sort_values(
        ["wait_days", "code"], ascending=[False, True], na_position="last", kind="stable"
    )
    return frame.reset_index(drop=True)[GROUP_COLUMNS]


def waiting_groups(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    as_of: dt.date,
    municipality: str | None = None,
) -> pd.DataFrame:
    """The visible groups waiting for a match (status ``wacht op match``), longest waiting first.

    Columns: ``group_id``, ``code``, ``name``, ``municipality``, ``variant``, ``status``,
    ``community_builder`` (name or None), ``languages`` (the community builder's languages: members'
    languages are not recorded), ``members`` (count, not archived), ``training_completed_date``,
    ``wait_days`` (as_of − training completed, days; <NA> without a training date), ``running_matches``
    (proposed or active matches), ``proposed_newcomer`` (newcomer code of an open proposal, or None),
    ``version``.
    """
    return _groups(
        engine,
        scope,
        filters,
        as_of=as_of,
        statuses=(GroupStatus.AWAITING_MATCH.value,),
        municipality=municipality,
    )


def proposable_groups(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    as_of: dt.date,
    municipality: str | None = None,
) -> pd.DataFrame:
    """The visible groups a match can be proposed to: waiting (``wacht op match``) or, as a confirmed
    second match, ``actief``. Columns as :func:`waiting_groups`; waiting groups first."""
    frame = _groups(
        engine,
        scope,
        filters,
        as_of=as_of,
        statuses=(GroupStatus.AWAITING_MATCH.value, GroupStatus.ACTIVE.value),
        municipality=municipality,
    )
    order = frame["status"].map({GroupStatus.AWAITING_MATCH.value: 0, GroupStatus.ACTIVE.value: 1})
    return (
        frame.assign(_o=order)
        .sort_values(["_o", "code"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def queue_summary(
    engine: Engine, scope: Scope, filters: Filters = Filters(), *, as_of: dt.date
) -> pd.DataFrame:
    """The waiting queue per municipality, one row each, by name.

    Columns: ``municipality``; ``newcomers_waiting`` (status ``wacht``, not archived), ``urgent`` and
    ``not_eligible`` (of them, see :class:`Flag`), ``newcomer_wait_median`` and ``newcomer_wait_p90``
    (their wait days: as_of − registration); ``groups_waiting`` (visible groups with status ``wacht op
    match``), ``group_wait_median`` and ``group_wait_p90`` (as_of − training completed); ``proposals``
    (open proposals to visible groups). Statistics are floats in days, None without values.

    Municipalities: coordinator — those with a waiting newcomer or group; community builder — their
    own (of their groups and their own record), even with nobody waiting. For a community builder the
    newcomer figures other than the count are None when fewer than ``min_cell_size`` newcomers wait
    there (too few people to report on), and groups are their own groups only.
    """
    settings = get_settings()
    newcomers = _waiting_newcomer_rows(
        engine, filters, None if scope.is_national else _scope_municipalities(scope, filters)
    )
    if not newcomers.empty:
        newcomers = _with_eligibility(newcomers, as_of)
    groups = waiting_groups(engine, scope, filters, as_of=as_of)
    proposals = read_frame(
        engine,
        select(Municipality.name.label("municipality"), func.count().label("proposals"))
        .select_from(Match)
        .join(WelcomeGroup, WelcomeGroup.id == Match.group_id)
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .where(Match.status == MatchStatus.PROPOSED.value, Match.group_id.in_(visible_groups(scope, filters)))
        .group_by(Municipality.name),
    )
    names = set(newcomers["municipality"]) | set(groups["municipality"])
    if not scope.is_coordinator:
        names |= set(
            read_frame(
                engine,
                select(Municipality.name).where(Municipality.id.in_(_scope_municipalities(scope, filters))),
            )["name"]
        )
    # Per municipality in one pass each (a loop of boolean masks over the frames cost ~10 ms per
    # municipality: seconds for a national programme).
    waiting_count = newcomers["municipality"].value_counts().to_dict() if len(newcomers) else {}
    urgent = _count_by(newcomers, newcomers["flag"] == Flag.URGENT) if len(newcomers) else {}
    not_eligible = _count_by(newcomers, newcomers["flag"] == Flag.NOT_ELIGIBLE) if len(newcomers) else {}
    newcomer_waits = _quantiles_by(newcomers, "wait_days") if len(newcomers) else {}
    group_count = groups["municipality"].value_counts().to_dict()
    group_waits = _quantiles_by(groups, "wait_days")
    proposed = proposals.groupby("municipality")["proposals"].sum().to_dict()
    rows = []
    for name in sorted(names):
        waiting = int(waiting_count.get(name, 0))
        hidden = not scope.is_coordinator and waiting < settings.min_cell_size
        newcomer_median, newcomer_p90 = newcomer_waits.get(name, (None, None))
        group_median, group_p90 = group_waits.get(name, (None, None))
        rows.append(
            {
                "municipality": name,
                "newcomers_waiting": waiting,
                "urgent": None if hidden else int(urgent.get(name, 0)),
                "not_eligible": None if hidden else int(not_eligible.get(name, 0)),
                "newcomer_wait_median": None if hidden or not waiting else newcomer_median,
                "newcomer_wait_p90": None if hidden or not waiting else newcomer_p90,
                "groups_waiting": int(group_count.get(name, 0)),
                "group_wait_median": group_median,
                "group_wait_p90": group_p90,
                "proposals": int(proposed.get(name, 0)),
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


# ---------------------------------------------------------------------------------------------- matches


def open_matches(
    engine: Engine, scope: Scope, filters: Filters = Filters(), *, municipality: str | None = None
) -> pd.DataFrame:
    """Running matches (``voorgesteld`` or ``actief``) of visible groups: proposals first, then by start.

    Columns: ``match_id``, ``municipality`` (the group's), ``group_id``, ``group_code``, ``group_name``,
    ``community_builder``, ``newcomer_id``, ``newcomer_code``, ``newcomer_name`` (first and last name:
    a community builder sees the newcomers of their own groups), ``household_size``, ``status``,
    ``proposed_date``, ``started_date`` (None while proposed), ``version``.
    """
    query = (
        select(
            Match.id.label("match_id"),
            Municipality.name.label("municipality"),
            WelcomeGroup.id.label("group_id"),
            WelcomeGroup.code.label("group_code"),
            WelcomeGroup.name.label("group_name"),
            CommunityBuilder.name.label("community_builder"),
            Newcomer.id.label("newcomer_id"),
            Newcomer.code.label("newcomer_code"),
            Newcomer.first_name,
            Newcomer.last_name,
            Newcomer.household_size,
            Match.status,
            Match.proposed_date,
            Match.started_date,
            Match.version,
        )
        .join(WelcomeGroup, WelcomeGroup.id == Match.group_id)
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .join(Newcomer, Newcomer.id == Match.newcomer_id)
        .outerjoin(CommunityBuilder, CommunityBuilder.id == WelcomeGroup.community_builder_id)
        .where(Match.status.in_(RUNNING_STATUSES), Match.group_id.in_(visible_groups(scope, filters)))
    )
    if municipality is not None:
        query = query.where(Municipality.name == municipality)
    frame = read_frame(engine, query)
    if frame.empty:
        return pd.DataFrame(columns=OPEN_MATCH_COLUMNS)
    frame["newcomer_name"] = (
        frame["first_name"].fillna("") + " " + frame["last_name"].fillna("")
    ).str.strip()
    frame["proposed_date"] = _as_dates(frame["proposed_date"])
    frame["started_date"] = [None if pd.isna(d) else d for d in _as_dates(frame["started_date"])]
    order = frame["status"].map({MatchStatus.PROPOSED.value: 0, MatchStatus.ACTIVE.value: 1})
    frame = frame.assign(_o=order).sort_values(["_o", "proposed_date", "match_id"], kind="stable")
    return frame.reset_index(drop=True)[OPEN_MATCH_COLUMNS]


SUGGESTION_COLUMNS = [
    "newcomer_id",
    "newcomer_code",
    "newcomer_name",
    "group_id",
    "group_code",
    "group_name",
    "score",
    "language",
    "household",
    "urgency",
    "waiting",
    "shared_languages",
    "household_size",
    "members",
    "days_left",
    "newcomer_wait_days",
    "group_wait_days",
]


def suggestions(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    as_of: dt.date,
    municipality: str,
    weights: Weights | None = None,
) -> pd.DataFrame:
    """Suggested pairs for ``municipality``: the optimal assignment (:func:`samenhier.matching.suggest`)
    of its waiting newcomers to its waiting groups, best score first. Advice only; writes nothing.

    Candidates: newcomers of :func:`waiting_newcomers` still eligible (``days_left`` ≥ 0) and without an
    open proposal; groups of :func:`waiting_groups` without a running match. ``weights`` default to the
    settings (:meth:`~samenhier.matching.Weights.from_settings`).

    Columns: ``newcomer_id``, ``newcomer_code``, ``newcomer_name``, ``group_id``, ``group_code``,
    ``group_name``, ``score`` (0–100), ``language``, ``household``, ``urgency``, ``waiting`` (components
    0–1), ``shared_languages`` (text), ``household_size``, ``members``, ``days_left``,
    ``newcomer_wait_days``, ``group_wait_days`` (days).

    Raises:
        AccessDenied: the scope is not a coordinator.
    """
    scope.require_coordinator()
    newcomers = waiting_newcomers(engine, scope, filters, as_of=as_of, municipality=municipality)
    newcomers = newcomers[(newcomers["days_left"] >= 0) & newcomers["proposed_group"].isna()].sort_values(
        "code"
    )
    groups = waiting_groups(engine, scope, filters, as_of=as_of, municipality=municipality)
    groups = groups[groups["running_matches"] == 0].sort_values("code")
    if newcomers.empty or groups.empty:
        return pd.DataFrame(columns=SUGGESTION_COLUMNS)
    pairs = suggest(newcomers, groups, weights or Weights.from_settings())
    pairs = pairs.merge(
        newcomers[["newcomer_id", "code", "name"]].rename(
            columns={"code": "newcomer_code", "name": "newcomer_name"}
        ),
        on="newcomer_id",
        how="left",
    )
    pairs = pairs.merge(
        groups[["group_id", "code", "name"]].rename(columns={"code": "group_code", "name": "group_name"}),
        on="group_id",
        how="left",
    )
    return pairs[SUGGESTION_COLUMNS]


# ---------------------------------------------------------------------------------------------- funnel


def funnel(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    start: dt.date,
    end: dt.date,
    as_of: dt.date,
) -> pd.DataFrame:
    """The matching funnel per municipality for the newcomers registered from ``start`` to ``end`` (inclusive).

    Cohort: newcomers (not archived) living in the filtered municipalities with a registration date in
    the period; for a community builder only those with a match (of any status) with one of their
    groups. Their matches count when the group is visible (scope and filters) and the step's date is on
    or before ``as_of``. Per newcomer:

    - ``registered``: in the cohort;
    - ``proposed``: has a proposal; ``median_days``: registration → first proposal;
    - ``started``: has a match that started (the first one, if several); median: that match's proposal → start;
    - ``completed``: that match ended ``afgerond``; median: start → end;
    - ``stopped``: that match ended ``gestopt``; median: start → end;
    - ``withdrawn``: the newcomer's status is ``afgemeld`` (no date is recorded: median None).

    Columns: ``municipality``, ``step`` (:data:`FUNNEL_STEPS`, in that order), ``newcomers`` (count),
    ``median_days`` (float days, None without values). Every step is present for every municipality
    with a cohort. An empty frame when ``start`` is after ``end``.
    """
    if start > end:
        return pd.DataFrame(columns=FUNNEL_COLUMNS)
    groups = visible_groups(scope, filters)
    cohort_query = (
        select(
            Newcomer.id.label("newcomer_id"),
            Municipality.name.label("municipality"),
            Newcomer.registration_date,
            Newcomer.status,
        )
        .join(Municipality, Municipality.id == Newcomer.municipality_id)
        .where(
            Newcomer.archived.is_(False),
            Newcomer.registration_date >= start,
            Newcomer.registration_date <= end,
        )
    )
    cohort_query = _newcomer_municipality_filter(cohort_query, filters)
    if scope.is_coordinator:
        cohort_query = cohort_query.where(in_reach(Newcomer.municipality_id, scope))
    else:
        cohort_query = cohort_query.where(
            Newcomer.id.in_(select(Match.newcomer_id).where(Match.group_id.in_(groups)))
        )
    cohort = read_frame(engine, cohort_query)
    if cohort.empty:
        return pd.DataFrame(columns=FUNNEL_COLUMNS)
    matches = read_frame(
        engine,
        select(
            Match.id.label("match_id"),
            Match.newcomer_id,
            Match.status,
            Match.proposed_date,
            Match.started_date,
            Match.ended_date,
        ).where(
            Match.group_id.in_(groups),
            Match.proposed_date <= as_of,
            Match.newcomer_id.in_(cohort_query.with_only_columns(Newcomer.id)),
        ),
    )
    for column in ("proposed_date", "started_date", "ended_date"):
        matches[column] = pd.to_datetime(matches[column])
    # A start or end after the as-of date has not happened yet.
    matches.loc[matches["started_date"] > pd.Timestamp(as_of), ["started_date", "ended_date"]] = pd.NaT
    matches.loc[matches["ended_date"] > pd.Timestamp(as_of), "ended_date"] = pd.NaT
    cohort["registration_date"] = pd.to_datetime(cohort["registration_date"])

    first_proposal = matches.groupby("newcomer_id")["proposed_date"].min().rename("first_proposed")
    started = matches.dropna(subset=["started_date"]).sort_values(["started_date", "match_id"])
    started = started.drop_duplicates("newcomer_id").set_index("newcomer_id")
    people = (
        cohort.set_index("newcomer_id")
        .join(first_proposal)
        .join(
            started[["proposed_date", "started_date", "ended_date", "status"]].rename(
                columns={"status": "match_status"}
            )
        )
    )
    ended = people["ended_date"].notna()
    steps = {
        "registered": (pd.Series(True, index=people.index), None),
        "proposed": (
            people["first_proposed"].notna(),
            people["first_proposed"] - people["registration_date"],
        ),
        "started": (people["started_date"].notna(), people["started_date"] - people["proposed_date"]),
        "completed": (
            ended & (people["match_status"] == MatchStatus.COMPLETED.value),
            people["ended_date"] - people["started_date"],
        ),
        "stopped": (
            ended & (people["match_status"] == MatchStatus.STOPPED.value),
            people["ended_date"] - people["started_date"],
        ),
        "withdrawn": (people["status"] == NewcomerStatus.WITHDRAWN.value, None),
    }
    municipality = people["municipality"]
    counted, medians = {}, {}
    for step in FUNNEL_STEPS:  # per step at once for every municipality, not per municipality and step
        mask, durations = steps[step]
        mask = mask.fillna(False).astype(bool)
        counted[step] = mask.groupby(municipality).sum().to_dict()
        if durations is not None:
            days = durations[mask].dt.days.astype(float)
            medians[step] = {
                name: float(np.quantile(part.to_numpy(), 0.5))
                for name, part in days.dropna().groupby(municipality[mask].loc[days.dropna().index])
            }
    rows = [
        {
            "municipality": name,
            "step": step,
            "newcomers": int(counted[step].get(name, 0)),
            "median_days": medians.get(step, {}).get(name),
        }
        for name in sorted(municipality.unique())
        for step in FUNNEL_STEPS
    ]
    return pd.DataFrame(rows, columns=FUNNEL_COLUMNS)
