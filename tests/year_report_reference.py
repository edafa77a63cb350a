"""The year report as it was computed before it was made column-wise (issue: first view 7 s nationally): row by
row, one Python date at a time. Kept only as the reference of ``tests/test_year_report_same.py``, which
checks that the column-wise :mod:`samenhier.queries.year_report` gives exactly these figures on the demo
store. Definitions: the docstring of samenhier/queries/year_report.py. Not used by the product."""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from samenhier.disclosure import hide_count, one_sided, protect_parts, share_shown
from samenhier.loneliness import Band, score_frame
from samenhier.models import (
    LONELINESS_ITEMS,
    Match,
    MatchStatus,
    Meeting,
    Member,
    Municipality,
    Newcomer,
    NewcomerStatus,
    RespondentRole,
    SelfReportedChange,
    SurveyResponse,
    Wave,
    WelcomeGroup,
)
from samenhier.queries.common import read_frame
from samenhier.queries.timelines import variant_timelines
from samenhier.rules import eligibility_end
from samenhier.scope import Filters, Scope, visible_groups, visible_municipality_ids
from samenhier.settings import get_settings
from samenhier.survey_stats import ROLES, paired_change, wilson_interval
from samenhier.timeline import timeline_for

RUNNING = (MatchStatus.ACTIVE.value, MatchStatus.COMPLETED.value, MatchStatus.STOPPED.value)
"""Statuses of a match that started (proposed and declined ones never ran)."""
SUBSCALE_LONELY = 2
"""Emotional or social loneliness: a subscale score of 2 or 3 (of 3)."""
AT_HOME = (4, 5)
"""Feel-at-home answers that count as "feels at home"."""
BANDS = tuple(b.value for b in Band)


def period_of(year: int, as_of: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the reporting ``year`` as of ``as_of``.

    Raises:
        ValueError: ``as_of`` is before 1 January of ``year`` (the year has not begun).
    """
    first = dt.date(year, 1, 1)
    if as_of < first:
        raise ValueError(f"the year {year} has not begun on {as_of.isoformat()}")
    return first, min(dt.date(year, 12, 31), as_of)


def _dates(column: pd.Series) -> pd.Series:
    return column.map(lambda v: None if v is None or pd.isna(v) else pd.Timestamp(v).date())


def _sig(value: float) -> float | None:
    """A p-value to 4 significant digits (a tiny p stays visible as such, not rounded to 0)."""
    return None if value is None or math.isnan(value) else float(f"{value:.4g}")


def _round(value: float | None, digits: int) -> float | None:
    return (
        None
        if value is None or (isinstance(value, float) and math.isnan(value))
        else round(float(value), digits)
    )


def year_figures(
    engine: Engine,
    scope: Scope,
    *,
    year: int,
    as_of: dt.date,
    filters: Filters = Filters(),
    min_n: int | None = None,
) -> dict[str, Any]:
    """The figures of ``year`` (definitions in this module's docstring) as a JSON-ready dict with keys
    ``year``, ``period`` (``{from, to}`` ISO dates), ``filters`` (``{municipalities, variants}``),
    ``suppressed_below``, ``programme`` and ``survey``. ``min_n`` defaults to ``Settings.min_cell_size``.

    The year report goes to funders and municipalities and covers the waiting queue: coordinators only.

    Raises:
        AccessDenied: ``scope`` is not a coordinator.
        ValueError: the year has not begun on ``as_of``.

    A municipality coordinator's report covers their municipalities only (:meth:`Scope.narrow`).
    """
    scope.require_coordinator()
    filters = scope.narrow(filters)
    first, last = period_of(year, as_of)
    settings = get_settings()
    min_n = settings.min_cell_size if min_n is None else min_n
    groups_q = visible_groups(scope, filters, include_archived=True)
    matches = read_frame(
        engine,
        select(
            Match.id.label("match_id"),
            Match.group_id,
            Match.newcomer_id,
            Match.started_date,
            Match.ended_date,
            Match.status,
            Match.end_reason,
            Newcomer.household_size,
            WelcomeGroup.variant,
        )
        .join(Newcomer, Newcomer.id == Match.newcomer_id)
        .join(WelcomeGroup, WelcomeGroup.id == Match.group_id)
        .where(Match.group_id.in_(groups_q), Match.status.in_(RUNNING), Match.started_date.is_not(None)),
    )
    matches["started_date"] = _dates(matches["started_date"])
    matches["ended_date"] = _dates(matches["ended_date"])
    # The end of each match's group year and its end-survey grace period by its variant's timeline
    # (12 months; 10 weeks for studenten; the grace stored per variant, else the setting).
    timelines = variant_timelines(engine, settings)
    own = [timeline_for(timelines, v) for v in matches["variant"]]
    matches["year_end"] = [t.end_date(d) for t, d in zip(own, matches["started_date"], strict=True)]
    matches["grace_days"] = [t.end_grace_days for t in own]
    programme = _programme(
        engine, scope, matches, groups_q, filters, first, last, settings.eligibility_years, min_n
    )
    survey = _survey(engine, matches, groups_q, first, last, min_n)
    return {
        "year": year,
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "filters": {"municipalities": list(filters.municipalities), "variants": list(filters.variants)},
        "suppressed_below": min_n,
        "programme": programme,
        "survey": survey,
    }


# Suppression (the rules: samenhier.disclosure) ---------------------------------------------------------


def _parts(counts: dict[Any, int], n: int, min_n: int) -> dict[Any, int | None]:
    """:func:`protect_parts` of a table over ``n`` people: all hidden when ``n`` is below ``min_n``, or when
    one part holds everyone while ``n`` is below ``2 × min_n`` (:func:`samenhier.disclosure.one_sided`);
    all zeros shown when nobody is in it."""
    if n == 0:
        return {k: 0 for k in counts}
    if n < min_n or any(one_sided(v, n, min_n) and v == n for v in counts.values()):
        return dict.fromkeys(counts)
    return protect_parts(counts, min_n)


def _split_parts(counts: dict[Any, int], inside: tuple, n: int, min_n: int) -> dict[Any, int | None]:
    """The parts of a table whose ``inside`` parts add up to a share's k: when the share is shown (so k and
    n − k are known), each side is protected against its own known total; else the whole table."""
    k = sum(counts[key] for key in inside)
    if n == 0 or not share_shown(k, n, min_n):
        return _parts(counts, n, min_n)
    inner = protect_parts({key: v for key, v in counts.items() if key in inside}, min_n)
    outer = protect_parts({key: v for key, v in counts.items() if key not in inside}, min_n)
    return {key: inner[key] if key in inside else outer[key] for key in counts}


def _share_block(k: int, n: int, min_n: int) -> dict[str, Any]:
    """``{n, k, share, ci_low, ci_high}`` (Wilson 95%); n None when below ``min_n``, the rest None unless
    :func:`share_shown`."""
    if not share_shown(k, n, min_n):
        return {
            "n": int(n) if n >= min_n else (None if n else 0),
            "k": None,
            "share": None,
            "ci_low": None,
            "ci_high": None,
        }
    low, high = wilson_interval(k, n)
    return {
        "n": int(n),
        "k": int(k),
        "share": round(k / n, 4),
        "ci_low": round(low, 4),
        "ci_high": round(high, 4),
    }


# Programme -------------------------------------------------------------------------------------------


def _running(matches: pd.DataFrame, first: dt.date, last: dt.date) -> pd.Series:
    return (
        (matches["started_date"] <= last) & matches["ended_date"].map(lambda d: d is None or d >= first)
    ).astype(bool)


def _programme(engine, scope, matches, groups_q, filters, first, last, years, min_n) -> dict[str, Any]:
    in_period = lambda column: column.map(lambda d: d is not None and first <= d <= last).astype(bool)  # noqa: E731
    started = matches[in_period(matches["started_date"])]
    completed = matches[(matches["status"] == MatchStatus.COMPLETED.value) & in_period(matches["ended_date"])]
    stopped = matches[(matches["status"] == MatchStatus.STOPPED.value) & in_period(matches["ended_date"])]
    running = matches[_running(matches, first, last)]
    households = running.drop_duplicates("newcomer_id")
    members = read_frame(
        engine,
        select(Member.id, Member.group_id).where(
            Member.group_id.in_(running["group_id"].unique().tolist() or [-1]), Member.joined_date <= last
        ),
    )
    meetings = read_frame(
        engine,
        select(Meeting.group_id, Meeting.date, Meeting.duration_minutes, Meeting.members_present).where(
            Meeting.group_id.in_(groups_q), Meeting.date >= first, Meeting.date <= last
        ),
    )
    meetings["date"] = _dates(meetings["date"])
    months = pd.period_range(first.strftime("%Y-%m"), last.strftime("%Y-%m"), freq="M")
    by_month = Counter(d.strftime("%Y-%m") for d in meetings["date"])
    month_counts = [by_month.get(str(p), 0) for p in months]
    hours = float((meetings["duration_minutes"] * meetings["members_present"]).sum()) / 60

    # Group-months: calendar months of the period in which a group had a running match.
    group_months: set[tuple[int, str]] = set()
    for m in running.itertuples():
        start = max(m.started_date, first)
        stop = min(m.ended_date or last, last)
        for period in pd.period_range(start.strftime("%Y-%m"), stop.strftime("%Y-%m"), freq="M"):
            group_months.add((int(m.group_id), str(period)))
    in_group_months = sum(
        (int(g), d.strftime("%Y-%m")) in group_months
        for g, d in zip(meetings["group_id"], meetings["date"], strict=True)
    )

    newcomers = read_frame(
        engine,
        select(
            Newcomer.id,
            Newcomer.arrival_date,
            Newcomer.registration_date,
            Newcomer.status,
            Municipality.name.label("municipality"),
        )
        .join(Municipality, Municipality.id == Newcomer.municipality_id)
        .where(Newcomer.municipality_id.in_(visible_municipality_ids(scope, filters))),
    )
    newcomers["arrival_date"] = _dates(newcomers["arrival_date"])
    newcomers["registration_date"] = _dates(newcomers["registration_date"])
    all_starts = read_frame(
        engine,
        select(Match.newcomer_id, Match.started_date).where(
            Match.status.in_(RUNNING), Match.started_date.is_not(None)
        ),
    )
    first_start = _dates(all_starts["started_date"]).groupby(all_starts["newcomer_id"]).min()
    newcomers["first_start"] = newcomers["id"].map(first_start)
    newcomers["first_start"] = newcomers["first_start"].map(lambda d: None if d is None or pd.isna(d) else d)
    candidates = newcomers[newcomers["status"] != NewcomerStatus.WITHDRAWN.value]

    def waiting_on(day_of: pd.Series) -> pd.Series:
        return (candidates["registration_date"] <= day_of) & np.array(
            [fs is None or fs > d for fs, d in zip(candidates["first_start"], day_of, strict=True)],
            dtype=bool,
        )

    waiting_end = candidates[waiting_on(pd.Series([last] * len(candidates), index=candidates.index))]
    matched = newcomers[
        newcomers["first_start"].map(lambda d: d is not None and first <= d <= last).astype(bool)
    ]
    # Only newcomers of the selected groups' matches count as matched in a filtered report.
    matched = matched[matched["id"].isin(started["newcomer_id"])]
    waits = [
        (fs - reg).days for fs, reg in zip(matched["first_start"], matched["registration_date"], strict=True)
    ]
    past_day = candidates["arrival_date"].map(lambda a: eligibility_end(a, years) + dt.timedelta(days=1))
    passed = candidates[past_day.map(lambda d: first <= d <= last).astype(bool) & waiting_on(past_day)]

    def show(n):
        return hide_count(n, min_n)

    return {
        "matches_started": show(len(started)),
        "matches_completed": show(len(completed)),
        "matches_stopped": show(len(stopped)),
        "stop_reasons": protect_parts(dict(sorted(Counter(stopped["end_reason"].fillna("")).items())), min_n),
        "households_reached": show(len(households)),
        "people_reached": None if 0 < len(households) < min_n else int(households["household_size"].sum()),
        "volunteers_active": show(int(members["id"].nunique())),
        "meetings": len(meetings),
        "meetings_per_month": {str(p): int(c) for p, c in zip(months, month_counts, strict=True)},
        "volunteer_hours": round(hours, 1),
        "group_months": len(group_months),
        "meetings_per_group_month": round(in_group_months / len(group_months), 2) if group_months else None,
        "newcomers_waiting_at_end": show(len(waiting_end)),
        "matched_in_period": show(len(waits)),
        "median_wait_days": float(statistics.median(waits)) if len(waits) >= min_n else None,
        "waited_past_three_years": show(len(passed)),
    }


# Survey ----------------------------------------------------------------------------------------------


def _survey(engine, matches, groups_q, first, last, min_n) -> dict[str, Any]:
    r = SurveyResponse
    responses = read_frame(
        engine,
        select(
            r.newcomer_id,
            r.member_id,
            r.group_id,
            r.wave,
            r.date,
            r.feel_at_home,
            r.self_reported_change,
            *[getattr(r, i) for i in LONELINESS_ITEMS],
        ).where(r.group_id.in_(groups_q), r.date <= last),
    )
    responses["date"] = _dates(responses["date"])
    responses["role"] = np.where(
        responses["newcomer_id"].notna(), RespondentRole.NEWCOMER.value, RespondentRole.MEMBER.value
    )
    responses["person_id"] = responses["newcomer_id"].fillna(responses["member_id"]).astype(int)
    scored = score_frame(responses)
    in_period = scored["date"].map(lambda d: first <= d).astype(bool)
    waves = {}
    for wave in Wave:
        waves[wave.value] = {}
        for role in ROLES:
            part = scored[in_period & (scored["wave"] == wave.value) & (scored["role"] == role)]
            waves[wave.value][role] = _wave_block(part, min_n)
    change = {}
    for role in ROLES:
        part = scored[
            in_period
            & (scored["wave"] == Wave.END.value)
            & (scored["role"] == role)
            & scored["self_reported_change"].notna()
        ]
        answers = {c.value: int((part["self_reported_change"] == c.value).sum()) for c in SelfReportedChange}
        n = len(part)
        less = _share_block(answers[SelfReportedChange.LESS.value], n, min_n)
        change[role] = {
            "n": hide_count(n, min_n),
            "answers": _split_parts(answers, (SelfReportedChange.LESS.value,), n, min_n),
            "share_less": less["share"],
            "ci_low": less["ci_low"],
            "ci_high": less["ci_high"],
        }
    paired = {role: _paired(scored, role, first, min_n) for role in ROLES}
    attrition = {role: _attrition(scored, matches, role, first, last, min_n) for role in ROLES}
    return {"waves": waves, "self_reported_change": change, "paired": paired, "attrition": attrition}


def _wave_block(part: pd.DataFrame, min_n: int) -> dict[str, Any]:
    total = part["total"].dropna()
    emotional = part["emotional"].dropna()
    social = part["social"].dropna()
    home = part["feel_at_home"].dropna().astype(int)
    bands = {b: int((part["band"] == b).sum()) for b in BANDS}
    distribution = {str(v): int((home == v).sum()) for v in range(1, 6)}
    at_home = _share_block(int(home.isin(AT_HOME).sum()), len(home), min_n)
    return {
        "responses": hide_count(len(part), min_n),
        "lonely": _share_block(int((total >= 2).sum()), len(total), min_n),
        "emotional": _share_block(int((emotional >= SUBSCALE_LONELY).sum()), len(emotional), min_n),
        "social": _share_block(int((social >= SUBSCALE_LONELY).sum()), len(social), min_n),
        "bands": _split_parts(bands, (Band.MODERATE.value, Band.SEVERE.value), len(total), min_n),
        "feel_at_home": {
            **at_home,
            "distribution": _split_parts(distribution, tuple(str(v) for v in AT_HOME), len(home), min_n),
            "all_same": bool(len(home) >= min_n and home.nunique() == 1),
        },
    }


def _pairs(scored: pd.DataFrame, role: str, first: dt.date) -> pd.DataFrame:
    """One row per person of ``role`` with an eindmeting in the period and a nulmeting in the same group."""
    mine = scored[scored["role"] == role]
    end = mine[(mine["wave"] == Wave.END.value) & mine["date"].map(lambda d: d >= first).astype(bool)]
    base = mine[mine["wave"] == Wave.BASELINE.value]
    return base.merge(end, on=["person_id", "group_id"], suffixes=("_base", "_end"))


def _change_block(before: pd.Series, after: pd.Series, min_n: int) -> dict[str, Any]:
    keep = before.notna() & after.notna()
    before, after = before[keep].astype(float), after[keep].astype(float)
    n = len(before)
    if n < min_n:
        return {
            "n": None if n else 0,
            "baseline_mean": None,
            "end_mean": None,
            "mean_change": None,
            "ci_low": None,
            "ci_high": None,
            "decreased": None,
            "same": None,
            "increased": None,
            "wilcoxon_p": None,
            "sign_p": None,
            "all_same": None,
        }
    change = paired_change((after - before).to_numpy())
    counts = _parts(
        {"decreased": change.decreased, "same": change.same, "increased": change.increased}, n, min_n
    )
    return {
        "n": n,
        "baseline_mean": _round(before.mean(), 3),
        "end_mean": _round(after.mean(), 3),
        "mean_change": _round(change.mean, 3),
        "ci_low": _round(change.ci_low, 3),
        "ci_high": _round(change.ci_high, 3),
        **counts,
        "wilcoxon_p": _sig(change.p_value),
        "sign_p": _sig(change.sign_p_value),
        "all_same": bool(change.all_same),
    }


def _paired(scored: pd.DataFrame, role: str, first: dt.date, min_n: int) -> dict[str, Any]:
    pairs = _pairs(scored, role, first)
    loneliness = _change_block(pairs["total_base"], pairs["total_end"], min_n)
    both = pairs[pairs["band_base"].notna() & pairs["band_end"].notna()]
    cells = {
        (b, e): int(((both["band_base"] == b) & (both["band_end"] == e)).sum()) for b in BANDS for e in BANDS
    }
    shown = _parts(cells, len(both), min_n)
    loneliness["bands"] = {b: {e: shown[(b, e)] for e in BANDS} for b in BANDS}
    home = _change_block(pairs["feel_at_home_base"], pairs["feel_at_home_end"], min_n)
    kept = pairs[pairs["feel_at_home_base"].notna() & pairs["feel_at_home_end"].notna()]
    for wave, column in (("baseline", "feel_at_home_base"), ("end", "feel_at_home_end")):
        block = _share_block(int(kept[column].astype(int).isin(AT_HOME).sum()), len(kept), min_n)
        home[f"share_at_home_{wave}"] = block["share"]
    return {"loneliness": loneliness, "feel_at_home": home}


def _attrition(scored, matches, role, first, last, min_n) -> dict[str, Any]:
    mine = scored[scored["role"] == role]
    base = mine[mine["wave"] == Wave.BASELINE.value]
    ends = set(
        zip(
            mine.loc[mine["wave"] == Wave.END.value, "person_id"],
            mine.loc[mine["wave"] == Wave.END.value, "group_id"],
            strict=True,
        )
    )
    running = matches[_running(matches, first, last)]
    # Each baseline's match, looked up in dicts (not a frame filter per row: thousands of baselines nationally).
    by_key: dict[tuple, list] = {}
    for m in running.sort_values("started_date").to_dict("records"):
        key = (m["newcomer_id"], m["group_id"]) if role == RespondentRole.NEWCOMER.value else m["group_id"]
        by_key.setdefault(key, []).append(m)
    counts = Counter()
    for row in base.itertuples():
        if role == RespondentRole.NEWCOMER.value:
            candidates = by_key.get((row.person_id, row.group_id), [])
        else:
            candidates = [
                m
                for m in by_key.get(row.group_id, [])
                if m["started_date"] <= row.date + dt.timedelta(days=31)
            ]
        if not candidates:
            continue
        m = candidates[-1]
        counts["baseline"] += 1
        if (row.person_id, row.group_id) in ends:
            counts["with_end"] += 1
        elif m["status"] == MatchStatus.STOPPED.value and (
            m["ended_date"] is not None and m["ended_date"] <= last
        ):
            counts["stopped"] += 1
        else:
            # the grace of the match's own variant (see the module docstring)
            grace = dt.timedelta(days=int(m["grace_days"]))
            due = (
                (m["ended_date"] + grace)
                if m["ended_date"] is not None and m["ended_date"] <= last
                else (m["year_end"]) + grace
            )
            counts["missing" if due <= last else "still_running"] += 1
    n = counts["baseline"]
    parts = {k: counts[k] for k in ("with_end", "still_running", "stopped", "missing")}
    return {"baseline": hide_count(n, min_n), **_parts(parts, n, min_n)}
