"""Reads about survey outcomes: response, loneliness per wave, paired change, the end-of-year questions.

Every function takes the user's :class:`~samenhier.scope.Scope` and the sidebar
:class:`~samenhier.scope.Filters`, plus the page's own filters ``cohorts`` (years the groups
started: the year of a group's first match start) and ``roles`` (``nieuwkomer``/``lid``; empty =
all), and sees only responses of groups in :func:`~samenhier.scope.visible_groups` dated on or
before ``as_of``. Answers are scored and counted in SQL (:func:`samenhier.loneliness.score_sql`); only
counts per wave/role/band or per score pair come back, so the work does not grow with the number of
responses in pandas. Statistics are in :mod:`samenhier.survey_stats`.

**Small numbers** (:mod:`samenhier.disclosure`): counts come back per group and are summed per *cell*
(municipality × variant × cohort, per wave and role); a cell with fewer than
``Settings.min_cell_size`` people, or with every person in one answer while it has fewer than twice
that, is left out of every figure (``complementary=False`` turns this off, for the tests that show
why it is needed). A figure whose people were all left out, or that is about fewer than the minimum,
is suppressed: its n and figures are NaN and ``suppressed`` is True.

A response's role is ``nieuwkomer`` when it belongs to a newcomer, else ``lid`` (member).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Select, and_, case, extract, func, literal, or_, select
from sqlalchemy.engine import Engine

from samenhier.disclosure import ATOM, NO_COHORT, coverage, keep_safe_cells, suppress_small
from samenhier.loneliness import Band, band, score_sql
from samenhier.models import (
    LONELINESS_ITEMS,
    Match,
    MatchStatus,
    Member,
    Municipality,
    Newcomer,
    RespondentRole,
    SelfReportedChange,
    SurveyResponse,
    Wave,
    WelcomeGroup,
)
from samenhier.queries.common import read_frame
from samenhier.queries.timelines import variant_timelines
from samenhier.scope import AccessDenied, Filters, Scope, visible_groups
from samenhier.settings import get_settings
from samenhier.survey_stats import (
    FEEL_AT_HOME,
    LONELINESS,
    LONELY,
    ROLES,
    add_shares,
    paired_change_from_counts,
    weighted_median,
)
from samenhier.timeline import waves_reached_by_variant

WAVE_ORDER = {w.value: i for i, w in enumerate(Wave)}
ROLE_ORDER = {r: i for i, r in enumerate(ROLES)}
CATEGORIES = (LONELY, *(b.value for b in Band))
"""The categories of :func:`loneliness_by_wave`: lonely (total ≥ 2), then the three bands."""
CHANGE_ORDER = {c.value: i for i, c in enumerate(SelfReportedChange)}


def _role_of(response=SurveyResponse):
    return case(
        (response.newcomer_id.is_not(None), RespondentRole.NEWCOMER.value), else_=RespondentRole.MEMBER.value
    )


def _first_start():
    """Per group, the start date of its first started match (subquery: group_id, first_start)."""
    return (
        select(Match.group_id, func.min(Match.started_date).label("first_start"))
        .where(Match.started_date.is_not(None), Match.status != MatchStatus.DECLINED.value)
        .group_by(Match.group_id)
        .subquery()
    )


def selected_groups(scope: Scope, filters: Filters = Filters(), cohorts: tuple[int, ...] = ()) -> Select:
    """``SELECT welcome_group.id`` of the visible groups (:func:`visible_groups`) in ``cohorts`` (empty = all).

    A group's cohort is the calendar year in which its first match started; a group without a started
    match is in no cohort (and left out as soon as cohorts are chosen).
    """
    query = visible_groups(scope, filters)
    if cohorts:
        first = _first_start()
        query = query.where(
            WelcomeGroup.id.in_(
                select(first.c.group_id).where(
                    extract("year", first.c.first_start).in_([int(c) for c in cohorts])
                )
            )
        )
    return query


def survey_cohorts(engine: Engine, scope: Scope, filters: Filters = Filters()) -> list[int]:
    """The cohorts (years of the first match start) among the visible groups, ascending."""
    first = _first_start()
    with engine.connect() as connection:
        years = connection.execute(
            select(extract("year", first.c.first_start).label("year"))
            .where(first.c.group_id.in_(visible_groups(scope, filters)))
            .distinct()
        ).scalars()
        return sorted(int(y) for y in years if y is not None)


def _responses(
    scope: Scope, filters: Filters, cohorts: tuple[int, ...], roles: tuple[str, ...], as_of: dt.date
):
    """Subquery of the selected, scored responses: id, group_id, wave, role, person_id, date, total,
    feel_at_home, self_reported_change, new_contacts."""
    r = SurveyResponse
    role = _role_of(r)
    scores = score_sql({item: getattr(r, item) for item in LONELINESS_ITEMS})
    query = select(
        r.id,
        r.group_id,
        r.wave,
        role.label("role"),
        func.coalesce(r.newcomer_id, r.member_id).label("person_id"),
        r.date,
        scores.total.label("total"),
        r.feel_at_home,
        r.self_reported_change,
        r.new_contacts,
    ).where(r.group_id.in_(selected_groups(scope, filters, cohorts)), r.date <= as_of)
    if roles:
        query = query.where(role.in_(list(roles)))
    return query.subquery()


def _min_n() -> int:
    return get_settings().min_cell_size


def _cells(engine: Engine, groups: Select) -> pd.DataFrame:
    """The cell of each of ``groups``: columns group_id, municipality, variant, cohort (year of the first
    match start, :data:`~samenhier.disclosure.NO_COHORT` without one)."""
    first = _first_start()
    frame = read_frame(
        engine,
        select(
            WelcomeGroup.id.label("group_id"),
            Municipality.name.label("municipality"),
            WelcomeGroup.variant,
            extract("year", first.c.first_start).label("cohort"),
        )
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .outerjoin(first, first.c.group_id == WelcomeGroup.id)
        .where(WelcomeGroup.id.in_(groups)),
    )
    frame["cohort"] = frame["cohort"].fillna(NO_COHORT).astype(int)
    return frame.astype({"group_id": "int64"})


def _keep_safe(
    rows: pd.DataFrame,
    cells: pd.DataFrame,
    *,
    by: list[str],
    n: str,
    parts: list[str],
    complementary: bool,
    pool: bool,
    full: list[str] = (),
) -> pd.DataFrame:
    """``rows`` (per group_id, with ``by``) of the cells that may count (:func:`samenhier.disclosure.keep_safe_cells`;
    ``pool``: the selection is not narrowed by any filter), with a boolean column ``pooled``."""
    if not complementary:
        return rows.assign(pooled=False)
    columns = list(rows.columns)
    with_cells = rows.astype({"group_id": "int64"}).merge(
        cells[["group_id", *[c for c in ATOM if c not in columns]]], on="group_id"
    )
    return keep_safe_cells(with_cells, by=by, n=n, parts=parts, min_n=_min_n(), pool=pool, full=full)[
        [*columns, "pooled"]
    ]


def _everything(filters: Filters, cohorts: tuple[int, ...]) -> bool:
    """No filter narrows the selection: the small cells may count as one pool (see :mod:`samenhier.disclosure`)."""
    return not (filters.municipalities or filters.variants or cohorts)


def _hidden_where_empty(frame: pd.DataFrame, raw_keys: pd.DataFrame, keys: list[str], n: str) -> pd.DataFrame:
    """``frame`` plus a row (``n`` NaN) for each of ``raw_keys`` (the keys that had people before cells were
    left out) that is missing from it: those figures exist but are hidden."""
    missing = raw_keys.drop_duplicates().merge(frame[keys], on=keys, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"][keys]
    if missing.empty:
        return frame
    return pd.concat([frame, missing.assign(**{n: float("nan")})], ignore_index=True)


def _order(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    orders = {
        "wave": WAVE_ORDER,
        "role": ROLE_ORDER,
        "category": {c: i for i, c in enumerate(CATEGORIES)},
        "answer": CHANGE_ORDER,
        "measure": {LONELINESS: 0, FEEL_AT_HOME: 1},
    }
    return frame.sort_values(
        by, key=lambda c: c.map(orders[c.name]) if c.name in orders else c, kind="stable"
    ).reset_index(drop=True)


# Response ------------------------------------------------------------------------------------------


@dataclass
class ResponseRates:
    """Response per wave and role.

    ``by_municipality``: wave, role, municipality (None for the row that combines the cells too small to
    show apart, see :mod:`samenhier.disclosure`), invited, responses, rate (0–1), suppressed;
    ``totals``: wave, role, invited, responses, rate, suppressed. ``responses`` and ``rate`` are NaN
    where suppressed (fewer invited than ``Settings.min_cell_size``, or every cell left out); so is
    ``invited`` then (0 stays 0).
    """

    by_municipality: pd.DataFrame
    totals: pd.DataFrame


def response_rates(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    as_of: dt.date,
    cohorts: tuple[int, ...] = (),
    roles: tuple[str, ...] = (),
    complementary: bool = True,
) -> ResponseRates:
    """Responses / people in groups that reached each wave, per municipality and role.

    A group reached a wave when one of its matches did (by its variant's timeline,
    :meth:`samenhier.timeline.Timeline.waves_reached`: the tussenmeting 6 months / 5 weeks in, the
    eindmeting the grace period, ``Settings.end_survey_grace_days``, after the end of its year)
    or when anyone in it answered that wave. Its people for that wave are its members (not archived)
    and the newcomers of its matches that reached the wave; anyone who answered the wave in the group
    counts as invited too (an archived member, a newcomer whose match stopped earlier), so a rate never
    exceeds 100%. Responses are those dated on or before ``as_of``. Cells (see the module notes) with
    fewer invited people than ``Settings.min_cell_size``, or with a response of 0% or 100% among fewer
    than twice that, are left out (without any filter: counted together as one row, municipality None,
    when that pool is safe). Without ``complementary``, municipalities with fewer invited people
    than the minimum are combined into one row (municipality None), suppressed if still too small.
    """
    groups = selected_groups(scope, filters, cohorts)
    group_places = _cells(engine, groups)
    matches = read_frame(
        engine,
        select(
            Match.group_id,
            Match.newcomer_id,
            Match.started_date,
            Match.ended_date,
            Match.status,
            WelcomeGroup.variant,
        )
        .join(WelcomeGroup, WelcomeGroup.id == Match.group_id)
        .where(
            Match.group_id.in_(groups),
            Match.started_date.is_not(None),
            Match.status != MatchStatus.DECLINED.value,
        ),
    )
    # One row per match and wave it reached (the rule applied to whole columns, not match by match).
    waves = waves_reached_by_variant(
        matches["started_date"],
        matches["ended_date"],
        matches["status"],
        matches["variant"],
        variant_timelines(engine),
        as_of,
    )
    reached = pd.concat(
        [
            matches.loc[waves[wave.value], ["group_id", "newcomer_id"]].assign(wave=wave.value)
            for wave in Wave
        ],
        ignore_index=True,
    ).rename(columns={"newcomer_id": "person_id"})
    reached = reached.astype({"group_id": "int64", "person_id": "int64"})[["group_id", "person_id", "wave"]]
    members = read_frame(
        engine,
        select(Member.group_id, func.count().label("members"))
        .where(Member.group_id.in_(groups), Member.archived.is_(False))
        .group_by(Member.group_id),
    )
    r = SurveyResponse
    # Member responses per group and wave, and how many of them come from people not among the
    # group's current members (archived, or since moved to another group): they are added to the invited.
    member_responses = read_frame(
        engine,
        select(
            r.group_id,
            r.wave,
            func.count().label("responses"),
            func.sum(case((or_(Member.archived.is_(True), Member.group_id != r.group_id), 1), else_=0)).label(
                "extra"
            ),
        )
        .join(Member, Member.id == r.member_id)
        .where(r.group_id.in_(groups), r.date <= as_of)
        .group_by(r.group_id, r.wave),
    )
    newcomer_responses = read_frame(
        engine,
        select(r.group_id, r.newcomer_id.label("person_id"), r.wave).where(
            r.group_id.in_(groups), r.date <= as_of, r.newcomer_id.is_not(None)
        ),
    )

    # Newcomers: the union of those whose match reached the wave and those who answered it.
    invited_newcomers = pd.concat([reached, newcomer_responses]).drop_duplicates()
    newcomer_rows = (
        invited_newcomers.groupby(["group_id", "wave"])
        .size()
        .rename("invited")
        .to_frame()
        .join(newcomer_responses.groupby(["group_id", "wave"]).size().rename("responses"))
        .fillna(0)
        .reset_index()
        .assign(role=RespondentRole.NEWCOMER.value)
    )
    # Members: every current member of a group that reached the wave, plus the extra responders.
    reached_groups = pd.concat(
        [
            reached[["group_id", "wave"]],
            member_responses[["group_id", "wave"]],
            newcomer_responses[["group_id", "wave"]],
        ]
    ).drop_duplicates()
    member_rows = (
        reached_groups.merge(members, on="group_id", how="left")
        .merge(member_responses, on=["group_id", "wave"], how="left")
        .fillna({"members": 0, "responses": 0, "extra": 0})
    )
    member_rows = member_rows.assign(
        invited=member_rows["members"] + member_rows["extra"], role=RespondentRole.MEMBER.value
    )
    rows = pd.concat(
        [
            newcomer_rows[["group_id", "wave", "role", "invited", "responses"]],
            member_rows[["group_id", "wave", "role", "invited", "responses"]],
        ]
    )
    if roles:
        rows = rows[rows["role"].isin(roles)]
    rows = rows.astype({"group_id": "int64"}).merge(group_places, on="group_id")
    rows = rows[rows["invited"] > 0]
    raw = rows[["wave", "role"]]
    rows = _keep_safe(
        rows,
        group_places,
        by=["wave", "role"],
        n="invited",
        parts=["responses"],
        complementary=complementary,
        pool=_everything(filters, cohorts),
    )
    rows["municipality"] = rows["municipality"].where(~rows["pooled"], None)  # the pool: one row, "other"
    by_municipality = rows.groupby(["wave", "role", "municipality"], as_index=False, dropna=False)[
        ["invited", "responses"]
    ].sum()
    totals = rows.groupby(["wave", "role"], as_index=False)[["invited", "responses"]].sum()
    totals = _hidden_where_empty(totals, raw, ["wave", "role"], "invited")

    min_n = _min_n()
    small = by_municipality["invited"] < min_n
    combined = (
        by_municipality[small]
        .groupby(["wave", "role"], as_index=False)[["invited", "responses"]]
        .sum()
        .assign(municipality=None)
    )
    by_municipality = pd.concat([by_municipality[~small], combined], ignore_index=True)

    def finish(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        frame = frame.astype({"invited": float, "responses": float})
        frame["rate"] = frame["responses"] / frame["invited"]
        frame = suppress_small(frame, n="invited", columns=["responses", "rate"], min_n=min_n)
        return _order(frame, by)

    by_municipality = finish(by_municipality, ["wave", "role"])
    # Within a wave and role: municipalities by name, the combined row last.
    by_municipality = (
        by_municipality.assign(_last=by_municipality["municipality"].isna())
        .sort_values(
            ["wave", "role", "_last", "municipality"],
            key=lambda c: (
                c.map(WAVE_ORDER) if c.name == "wave" else (c.map(ROLE_ORDER) if c.name == "role" else c)
            ),
            kind="stable",
        )
        .drop(columns="_last")
        .reset_index(drop=True)
    )
    columns = ["wave", "role", "municipality", "invited", "responses", "rate", "suppressed"]
    return ResponseRates(
        by_municipality=by_municipality[columns],
        totals=finish(totals, ["wave", "role"])[[c for c in columns if c != "municipality"]],
    )


def _date(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


# Loneliness per wave -------------------------------------------------------------------------------


def loneliness_by_wave(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    as_of: dt.date,
    cohorts: tuple[int, ...] = (),
    roles: tuple[str, ...] = (),
    complementary: bool = True,
) -> pd.DataFrame:
    """Share lonely and the band distribution per wave and role, with Wilson 95% intervals.

    One row per wave, role and category (``eenzaam`` = total ≥ 2, then ``niet eenzaam``, ``matig
    eenzaam``, ``ernstig eenzaam``), for every wave and role with responses. Columns: ``wave``,
    ``role``, ``category``, ``responses`` (all responses of that wave and role), ``n`` (those with a
    total score: at most one item unanswered), ``k`` (of those, in the category), ``share`` (k/n, 0–1),
    ``ci_low``, ``ci_high``, ``suppressed`` (n below ``Settings.min_cell_size``, or every cell left out:
    n, k, share and interval are then NaN), ``left_out`` and ``pooled`` (scored responses of that wave and role
    whose cell was left out, or counted only in the pool of small cells: :func:`samenhier.disclosure.coverage`;
    for the page's note, :func:`samenhier.survey_stats.coverage_note`, never shown as figures). These are all
    responses of a wave, not the same people in every wave: see :func:`paired_changes` for that. Cells
    (module notes) with fewer than the minimum scored responses, or with a category of 0% or 100% among
    fewer than twice that, are left out.
    """
    responses = _responses(scope, filters, cohorts, roles, as_of)
    # Counted per group and total score (0–6 or NULL) and banded afterwards: grouping by the band
    # expression made SQLite score every response once per branch of the band CASE.
    counts = read_frame(
        engine,
        select(
            responses.c.group_id,
            responses.c.wave,
            responses.c.role,
            responses.c.total,
            func.count().label("count"),
        ).group_by(responses.c.group_id, responses.c.wave, responses.c.role, responses.c.total),
    )
    counts["band"] = [None if pd.isna(total) else band(int(total)).value for total in counts["total"]]
    raw = counts[["wave", "role"]]
    scored = counts["band"].notna()
    counts = counts.assign(
        n=counts["count"].where(scored, 0),
        lonely=counts["count"].where(counts["band"].isin([Band.MODERATE.value, Band.SEVERE.value]), 0),
        **{f"_{b.value}": counts["count"].where(counts["band"] == b.value, 0) for b in Band},
    )
    accounted = counts[["wave", "role", "n"]].assign(pooled=False)
    if complementary:
        cells = _cells(engine, selected_groups(scope, filters, cohorts))
        counts = _keep_safe(
            counts,
            cells,
            by=["wave", "role"],
            n="n",
            parts=["lonely", *(f"_{b.value}" for b in Band)],
            complementary=True,
            pool=_everything(filters, cohorts),
        )
        accounted, kept = accounted.drop(columns="pooled"), counts
    else:
        kept = accounted
    left_out = coverage(accounted, kept, by=["wave", "role"], n="n")[["wave", "role", "left_out", "pooled"]]
    counts = counts.groupby(["wave", "role", "band"], dropna=False, as_index=False)["count"].sum()
    rows = []
    for wave, role in raw.drop_duplicates().itertuples(index=False):
        if not ((counts["wave"] == wave) & (counts["role"] == role)).any():
            rows += [(wave, role, category, math.nan, math.nan, 0) for category in CATEGORIES]
    for (wave, role), part in counts.groupby(["wave", "role"]):
        by_band = dict(zip(part["band"].fillna(""), part["count"], strict=True))
        n = sum(by_band.get(b.value, 0) for b in Band)
        lonely = by_band.get(Band.MODERATE.value, 0) + by_band.get(Band.SEVERE.value, 0)
        for category in CATEGORIES:
            k = lonely if category == LONELY else by_band.get(category, 0)
            rows.append((wave, role, category, int(part["count"].sum()), n, k))
    frame = pd.DataFrame(rows, columns=["wave", "role", "category", "responses", "n", "k"])
    frame = add_shares(frame.astype({"responses": float, "n": float, "k": int}).fillna({"n": 0}))
    frame["n"] = frame["n"].where(frame["responses"].notna())
    frame = suppress_small(frame, n="n", columns=["k", "share", "ci_low", "ci_high"], min_n=_min_n())
    frame = frame.merge(left_out, on=["wave", "role"], how="left").fillna({"left_out": 0, "pooled": 0})
    return _order(frame.astype({"left_out": "int64", "pooled": "int64"}), ["wave", "role", "category"])


# Paired change -------------------------------------------------------------------------------------


@dataclass
class PairedChanges:
    """Change between nulmeting and eindmeting of the same people.

    ``summary``: one row per role and measure (``loneliness``: total 0–6; ``feel_at_home``: 1–5) with
    ``n`` (people with both scores), ``baseline_mean``, ``end_mean``, ``mean_change`` (end − baseline,
    points; negative = lower at the end), ``ci_low``/``ci_high`` (t interval, 95%), ``decreased``,
    ``same``, ``increased`` (people), ``statistic``/``p_value`` (Wilcoxon signed-rank, two-sided, zero
    changes by Pratt's method), ``sign_p_value`` (sign test, two-sided),
    ``suppressed`` (n below ``Settings.min_cell_size``: every figure but n is then NaN).

    ``pairs``: role, measure, baseline, end (scores), people — how many people moved from each baseline
    score to each end score; only for the roles and measures not suppressed.

    ``distribution``: role, measure, change (end − baseline), people; only where not suppressed.
    """

    summary: pd.DataFrame
    pairs: pd.DataFrame
    distribution: pd.DataFrame


SUMMARY_FIGURES = [
    "baseline_mean",
    "end_mean",
    "mean_change",
    "ci_low",
    "ci_high",
    "decreased",
    "same",
    "increased",
    "statistic",
    "p_value",
    "sign_p_value",
]


def paired_changes(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    as_of: dt.date,
    cohorts: tuple[int, ...] = (),
    roles: tuple[str, ...] = (),
    complementary: bool = True,
) -> PairedChanges:
    """Loneliness total and feel-at-home at nulmeting and eindmeting of the same person in the same group.

    A person counts for a measure when both their nulmeting and their eindmeting (in the same group,
    both dated on or before ``as_of``) have that score: a total (at most one item unanswered) or a
    feel-at-home answer. Statistics: :func:`samenhier.survey_stats.paired_change`. Cells (module notes)
    with fewer than the minimum people, or with everyone decreased, the same or increased while fewer
    than twice that, are left out of a measure.
    """
    responses = _responses(scope, filters, cohorts, roles, as_of)
    base = select(responses).where(responses.c.wave == Wave.BASELINE.value).subquery("base")
    end = select(responses).where(responses.c.wave == Wave.END.value).subquery("end_")
    joined = and_(
        base.c.role == end.c.role, base.c.person_id == end.c.person_id, base.c.group_id == end.c.group_id
    )

    def pairs_of(measure: str, column: str) -> Select:
        return (
            select(
                base.c.group_id,
                base.c.role,
                literal(measure).label("measure"),
                base.c[column].label("baseline"),
                end.c[column].label("end"),
                func.count().label("people"),
            )
            .select_from(base.join(end, joined))
            .where(base.c[column].is_not(None), end.c[column].is_not(None))
            .group_by(base.c.group_id, base.c.role, base.c[column], end.c[column])
        )

    pairs = pd.concat(
        [
            read_frame(engine, pairs_of(LONELINESS, "total")),
            read_frame(engine, pairs_of(FEEL_AT_HOME, "feel_at_home")),
        ],
        ignore_index=True,
    )
    pairs = pairs.astype({"baseline": int, "end": int, "people": int})
    pairs["change"] = pairs["end"] - pairs["baseline"]
    raw = pairs[["role", "measure"]]
    if complementary and not pairs.empty:
        pairs = pairs.assign(
            decreased=pairs["people"].where(pairs["change"] < 0, 0),
            same=pairs["people"].where(pairs["change"] == 0, 0),
            increased=pairs["people"].where(pairs["change"] > 0, 0),
        )
        pairs = _keep_safe(
            pairs,
            _cells(engine, selected_groups(scope, filters, cohorts)),
            by=["role", "measure"],
            n="people",
            parts=["decreased", "same", "increased"],
            complementary=True,
            pool=_everything(filters, cohorts),
        )
    pairs = pairs.groupby(["role", "measure", "baseline", "end", "change"], as_index=False)["people"].sum()
    rows = []
    for (role, measure), part in pairs.groupby(["role", "measure"]):
        n = int(part["people"].sum())
        change = paired_change_from_counts(part["change"], part["people"])
        rows.append(
            dict(
                role=role,
                measure=measure,
                n=n,
                baseline_mean=float((part["baseline"] * part["people"]).sum() / n),
                end_mean=float((part["end"] * part["people"]).sum() / n),
                mean_change=change.mean,
                ci_low=change.ci_low,
                ci_high=change.ci_high,
                decreased=change.decreased,
                same=change.same,
                increased=change.increased,
                statistic=change.statistic,
                p_value=change.p_value,
                sign_p_value=change.sign_p_value,
            )
        )
    summary = pd.DataFrame(rows, columns=["role", "measure", "n", *SUMMARY_FIGURES])
    summary = _hidden_where_empty(summary.astype({"n": float}), raw, ["role", "measure"], "n")
    summary = suppress_small(summary, n="n", columns=SUMMARY_FIGURES, min_n=_min_n())
    shown = summary.loc[~summary["suppressed"], ["role", "measure"]]
    pairs = pairs.merge(shown, on=["role", "measure"])
    distribution = pairs.groupby(["role", "measure", "change"], as_index=False)["people"].sum()
    return PairedChanges(
        summary=_order(summary, ["role", "measure"]),
        pairs=_order(
            pairs[["role", "measure", "baseline", "end", "people"]], ["role", "measure", "baseline", "end"]
        ),
        distribution=_order(distribution, ["role", "measure", "change"]),
    )


# End of year ---------------------------------------------------------------------------------------


@dataclass
class EndOfYear:
    """The eindmeting's own questions.

    ``change``: role, answer (``minder``/``gelijk``/``meer``), n (people who answered the question),
    k, share, ci_low, ci_high (Wilson 95%), suppressed; ``contacts``: role, n (who answered), mean,
    median (new people met through the group), suppressed; ``contacts_distribution``: role,
    new_contacts, people (only where not suppressed).
    """

    change: pd.DataFrame
    contacts: pd.DataFrame
    contacts_distribution: pd.DataFrame


def end_of_year(
    engine: Engine,
    scope: Scope,
    filters: Filters = Filters(),
    *,
    as_of: dt.date,
    cohorts: tuple[int, ...] = (),
    roles: tuple[str, ...] = (),
    complementary: bool = True,
) -> EndOfYear:
    """Self-reported change in loneliness and new contacts at the eindmeting, per role (see :class:`EndOfYear`).

    Cells (module notes) with fewer than the minimum answers, or (self-reported change) with one answer
    of 0% or 100% among fewer than twice that, are left out.
    """
    responses = _responses(scope, filters, cohorts, roles, as_of)
    at_end = responses.c.wave == Wave.END.value
    answers = read_frame(
        engine,
        select(
            responses.c.group_id,
            responses.c.role,
            responses.c.self_reported_change.label("answer"),
            func.count().label("k"),
        )
        .where(at_end, responses.c.self_reported_change.is_not(None))
        .group_by(responses.c.group_id, responses.c.role, responses.c.self_reported_change),
    )
    cells = _cells(engine, selected_groups(scope, filters, cohorts)) if complementary else None
    raw_answers = answers[["role"]]
    if complementary and not answers.empty:
        answers = answers.assign(
            **{f"_{a.value}": answers["k"].where(answers["answer"] == a.value, 0) for a in SelfReportedChange}
        )
        answers = _keep_safe(
            answers,
            cells,
            by=["role"],
            n="k",
            parts=[f"_{a.value}" for a in SelfReportedChange],
            complementary=True,
            pool=_everything(filters, cohorts),
        )
    answers = answers.groupby(["role", "answer"], as_index=False)["k"].sum() if not answers.empty else answers
    rows = []
    for role in raw_answers["role"].drop_duplicates():
        if role not in set(answers["role"]):
            rows += [(role, a.value, math.nan, 0) for a in SelfReportedChange]
    for role, part in answers.groupby("role"):
        by_answer = dict(zip(part["answer"], part["k"], strict=True))
        n = int(part["k"].sum())
        rows += [(role, a.value, n, int(by_answer.get(a.value, 0))) for a in SelfReportedChange]
    change = pd.DataFrame(rows, columns=["role", "answer", "n", "k"]).astype({"n": float, "k": int})
    change = add_shares(change.fillna({"n": 0})).assign(n=change["n"])
    change = suppress_small(change, n="n", columns=["k", "share", "ci_low", "ci_high"], min_n=_min_n())

    contacts = read_frame(
        engine,
        select(responses.c.group_id, responses.c.role, responses.c.new_contacts, func.count().label("people"))
        .where(at_end, responses.c.new_contacts.is_not(None))
        .group_by(responses.c.group_id, responses.c.role, responses.c.new_contacts),
    )
    raw_contacts = contacts[["role"]]
    values = [f"_{int(v)}" for v in contacts["new_contacts"].drop_duplicates()]
    contacts = contacts.assign(
        **{v: contacts["people"].where(contacts["new_contacts"] == int(v[1:]), 0) for v in values}
    )
    contacts = _keep_safe(
        contacts,
        cells,
        by=["role"],
        n="people",
        parts=[],
        full=values,
        complementary=complementary,
        pool=_everything(filters, cohorts),
    )[["group_id", "role", "new_contacts", "people", "pooled"]]
    contacts = (
        contacts.groupby(["role", "new_contacts"], as_index=False)["people"].sum()
        if not contacts.empty
        else contacts.drop(columns="group_id")
    )
    rows = []
    for role, part in contacts.groupby("role"):
        n = int(part["people"].sum())
        rows.append(
            (
                role,
                n,
                float((part["new_contacts"] * part["people"]).sum() / n),
                weighted_median(part["new_contacts"], part["people"]),
            )
        )
    summary = pd.DataFrame(rows, columns=["role", "n", "mean", "median"]).astype({"n": float})
    summary = _hidden_where_empty(summary, raw_contacts, ["role"], "n")
    summary = suppress_small(summary, n="n", columns=["mean", "median"], min_n=_min_n())
    distribution = contacts.merge(summary.loc[~summary["suppressed"], ["role"]], on="role")
    return EndOfYear(
        change=_order(change, ["role", "answer"]),
        contacts=_order(summary, ["role"]),
        contacts_distribution=_order(
            distribution.astype({"new_contacts": int, "people": int}), ["role", "new_contacts"]
        ),
    )


# The entry form ------------------------------------------------------------------------------------


def respondents(engine: Engine, scope: Scope, group_id: int, *, as_of: dt.date | None = None) -> pd.DataFrame:
    """The people of a group who can answer its survey, newcomers first.

    Columns: ``role`` (nieuwkomer/lid), ``person_id`` (newcomer or member id), ``code``, ``name``, and
    per wave (``nulmeting``, ``tussenmeting``, ``eindmeting``) the date of their response in this group
    (None when they have none). Members: the group's members that are not erased; newcomers: those
    of the group's matches that were not declined.

    Raises:
        AccessDenied: the group does not exist or is not visible to ``scope``.
    """
    with engine.connect() as connection:
        visible = connection.execute(
            select(WelcomeGroup.id).where(
                WelcomeGroup.id == group_id, WelcomeGroup.id.in_(visible_groups(scope, include_archived=True))
            )
        ).scalar_one_or_none()
    if visible is None:
        raise AccessDenied(f"group {group_id} is not visible to {scope.username}")
    newcomers = read_frame(
        engine,
        select(
            literal(RespondentRole.NEWCOMER.value).label("role"),
            Newcomer.id.label("person_id"),
            Newcomer.code,
            (Newcomer.first_name + " " + Newcomer.last_name).label("name"),
        )
        .where(
            Newcomer.id.in_(
                select(Match.newcomer_id).where(
                    Match.group_id == group_id, Match.status != MatchStatus.DECLINED.value
                )
            ),
            Newcomer.erased.is_(False),
        )
        .order_by(Newcomer.code),
    )
    members = read_frame(
        engine,
        select(
            literal(RespondentRole.MEMBER.value).label("role"),
            Member.id.label("person_id"),
            Member.code,
            (Member.first_name + " " + Member.last_name).label("name"),
        )
        .where(Member.group_id == group_id, Member.erased.is_(False))
        .order_by(Member.code),
    )
    people = pd.concat([newcomers, members], ignore_index=True)
    dates = read_frame(
        engine,
        select(
            _role_of().label("role"),
            func.coalesce(SurveyResponse.newcomer_id, SurveyResponse.member_id).label("person_id"),
            SurveyResponse.wave,
            SurveyResponse.date,
        ).where(SurveyResponse.group_id == group_id),
    )
    for wave in Wave:
        part = dates[dates["wave"] == wave.value][["role", "person_id", "date"]].rename(
            columns={"date": wave.value}
        )
        people = people.merge(part, on=["role", "person_id"], how="left")
        people[wave.value] = [_date(d) for d in people[wave.value]]
    return people


def survey_response(engine: Engine, scope: Scope, *, role: str, person_id: int, wave: str) -> dict | None:
    """The stored response of one person in one wave, as a dict of :class:`SurveyResponse`'s fields
    (id, version, group_id, date, the six items, feel_at_home, self_reported_change, new_contacts), or
    None when there is none or its group is not visible to ``scope``."""
    person = SurveyResponse.newcomer_id if role == RespondentRole.NEWCOMER.value else SurveyResponse.member_id
    with engine.connect() as connection:
        row = (
            connection.execute(
                select(*SurveyResponse.__table__.columns).where(
                    person == person_id,
                    SurveyResponse.wave == wave,
                    SurveyResponse.group_id.in_(visible_groups(scope, include_archived=True)),
                )
            )
            .mappings()
            .first()
        )
    return None if row is None else dict(row)
