"""The programme's headline figures as of a date (``python -m samenhier report``).

Definitions (issue "Data layer"):

- ``counts``: rows in the store that exist on the as-of date — community builders (all), groups
  signed up, members joined, newcomers registered, matches proposed, meetings held and survey
  responses answered on or before it;
- ``groups_by_status``: per municipality, the number of groups in each status (all six, current status);
- ``pending_matches``: per municipality, newcomers waiting (status ``wacht``), of whom waiting past
  three years (arrived in NL more than three years before the as-of date, see
  :func:`samenhier.rules.eligibility_end`), groups waiting (status ``wacht op match``), and the median
  of the waiting newcomers' wait days (as-of − registration; null without waiting newcomers);
- ``meetings_per_month``: meetings per calendar month ``YYYY-MM`` up to the as-of date, every month
  from the first meeting's to the as-of month present (0 where none);
- ``survey``: responses; scored (with a total loneliness score); share lonely (total ≥ 2) among scored
  newcomer responses at baseline and at the end (all responses of each wave: *not* the same people);
  ``newcomers_paired``: the newcomers with a scored nulmeting and eindmeting in the same group, ``n``
  and their share lonely at each; per role (never pooled, issue 18), the share of end-wave responses
  that answered the self-reported change question with ``minder``
  (``newcomers_share_loneliness_decreased``, ``members_share_loneliness_decreased``); ``n``: the
  denominator of every share.

Shares are fractions 0–1 rounded to 4 decimals (null when the denominator is 0).

For sharing outside the organisation (funders, municipalities: ``report --shareable``) the report is
made with ``min_n`` (``Settings.min_cell_size``, default 5) under the rules of
:mod:`samenhier.disclosure` (the same as the Enquêtes page and the year report): counts of people
(``leden``, ``nieuwkomers``, ``koppelingen``, ``enquetes``; per municipality ``newcomers_waiting``; the
survey's ``responses`` and ``scored``) of 1 to ``min_n`` − 1 become null; a median or share over fewer
than ``min_n`` people, or a share of 0% or 100% over fewer than ``2 × min_n``, becomes null together
with its n; ``waiting_past_three_years`` is a part of ``newcomers_waiting`` and is shown only when
neither it nor the rest is 1 to ``min_n`` − 1 and it is not 0% or 100% of fewer than ``2 × min_n``
(:func:`samenhier.disclosure.share_shown`), so that subtracting it gives nothing away either. The
report covers the whole store with no filters, so no other choice can be subtracted from it.
Counts of groups, community builders and meetings are not about people and stay. Such a report has
``suppressed_below: min_n``.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from samenhier import formatting, i18n
from samenhier.disclosure import hide_count, share_or_none, share_shown, suppress_statistic
from samenhier.loneliness import score_frame
from samenhier.models import (
    LONELINESS_ITEMS,
    CommunityBuilder,
    GroupStatus,
    Match,
    Meeting,
    Member,
    Municipality,
    Newcomer,
    NewcomerStatus,
    SelfReportedChange,
    SurveyResponse,
    Wave,
    WelcomeGroup,
)
from samenhier.queries.common import month_of, read_frame
from samenhier.rules import eligibility_end
from samenhier.settings import get_settings


def _share(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def headline_report(engine: Engine, as_of: dt.date, *, min_n: int | None = None) -> dict[str, Any]:
    """The report as one JSON-ready dict (keys and definitions in this module's docstring); with
    ``min_n``, the shareable version in which figures about fewer than ``min_n`` people are null."""
    with engine.connect() as c:

        def count(model, date_column=None) -> int:
            query = select(func.count()).select_from(model)
            if date_column is not None:
                query = query.where(date_column <= as_of)
            return int(c.execute(query).scalar_one())

        counts = {
            "community_builders": count(CommunityBuilder),
            "groepen": count(WelcomeGroup, WelcomeGroup.signup_date),
            "leden": count(Member, Member.joined_date),
            "nieuwkomers": count(Newcomer, Newcomer.registration_date),
            "koppelingen": count(Match, Match.proposed_date),
            "bijeenkomsten": count(Meeting, Meeting.date),
            "enquetes": count(SurveyResponse, SurveyResponse.date),
        }

    groups = read_frame(
        engine,
        select(Municipality.name.label("municipality"), WelcomeGroup.status)
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .where(WelcomeGroup.signup_date <= as_of),
    )
    groups_by_status = {
        m: {s.value: int((part["status"] == s.value).sum()) for s in GroupStatus}
        for m, part in sorted(groups.groupby("municipality"))
    }

    waiting = read_frame(
        engine,
        select(Municipality.name.label("municipality"), Newcomer.arrival_date, Newcomer.registration_date)
        .join(Municipality, Municipality.id == Newcomer.municipality_id)
        .where(Newcomer.status == NewcomerStatus.WAITING.value, Newcomer.registration_date <= as_of),
    )
    years = get_settings().eligibility_years
    pending: dict[str, dict[str, Any]] = {}
    for municipality in sorted(set(groups["municipality"]) | set(waiting["municipality"])):
        mine = waiting[waiting["municipality"] == municipality]
        wait = [(as_of - pd.Timestamp(d).date()).days for d in mine["registration_date"]]
        pending[municipality] = {
            "newcomers_waiting": len(mine),
            "waiting_past_three_years": sum(
                eligibility_end(pd.Timestamp(d).date(), years) < as_of for d in mine["arrival_date"]
            ),
            "groups_waiting": int(
                (
                    (groups["municipality"] == municipality)
                    & (groups["status"] == GroupStatus.AWAITING_MATCH.value)
                ).sum()
            ),
            "median_wait_days": float(statistics.median(wait)) if wait else None,
        }

    meetings = read_frame(
        engine,
        select(month_of(engine, Meeting.date).label("month"), func.count().label("n"))
        .where(Meeting.date <= as_of)
        .group_by("month"),
    )
    meetings_per_month: dict[str, int] = {}
    if len(meetings):
        by_month = dict(zip(meetings["month"], meetings["n"], strict=True))
        for period in pd.period_range(min(by_month), as_of.strftime("%Y-%m"), freq="M"):
            meetings_per_month[str(period)] = int(by_month.get(str(period), 0))

    responses = read_frame(
        engine,
        select(
            SurveyResponse.wave,
            SurveyResponse.newcomer_id,
            SurveyResponse.group_id,
            SurveyResponse.self_reported_change,
            *[getattr(SurveyResponse, i) for i in LONELINESS_ITEMS],
        ).where(SurveyResponse.date <= as_of),
    )
    scored = score_frame(responses)
    has_total = scored["total"].notna()
    newcomer = scored["newcomer_id"].notna()

    def share_lonely(wave: Wave) -> float | None:
        part = scored[has_total & newcomer & (scored["wave"] == wave.value)]
        return _share(int((part["total"] >= 2).sum()), len(part))

    end = scored[(scored["wave"] == Wave.END.value) & scored["self_reported_change"].notna()]

    def share_less(people: pd.DataFrame) -> float | None:
        return _share(
            int((people["self_reported_change"] == SelfReportedChange.LESS.value).sum()), len(people)
        )

    def lonely_n(wave: Wave) -> int:
        return len(scored[has_total & newcomer & (scored["wave"] == wave.value)])

    keys = ["newcomer_id", "group_id"]
    base = scored[has_total & newcomer & (scored["wave"] == Wave.BASELINE.value)][[*keys, "total"]]
    pairs = base.merge(
        scored[has_total & newcomer & (scored["wave"] == Wave.END.value)][[*keys, "total"]],
        on=keys,
        suffixes=("_base", "_end"),
    )
    end_newcomers, end_members = end[end["newcomer_id"].notna()], end[end["newcomer_id"].isna()]
    survey = {
        "responses": len(scored),
        "scored": int(has_total.sum()),
        "newcomers_share_lonely_baseline": share_lonely(Wave.BASELINE),
        "newcomers_share_lonely_end": share_lonely(Wave.END),
        "newcomers_paired": {
            "n": len(pairs),
            "share_lonely_baseline": _share(int((pairs["total_base"] >= 2).sum()), len(pairs)),
            "share_lonely_end": _share(int((pairs["total_end"] >= 2).sum()), len(pairs)),
        },
        "newcomers_share_loneliness_decreased": share_less(end_newcomers),
        "members_share_loneliness_decreased": share_less(end_members),
        "n": {
            "newcomers_share_lonely_baseline": lonely_n(Wave.BASELINE),
            "newcomers_share_lonely_end": lonely_n(Wave.END),
            "newcomers_share_loneliness_decreased": len(end_newcomers),
            "members_share_loneliness_decreased": len(end_members),
        },
    }
    report = {
        "as_of": as_of.isoformat(),
        "counts": counts,
        "groups_by_status": groups_by_status,
        "pending_matches": pending,
        "meetings_per_month": meetings_per_month,
        "survey": survey,
    }
    if min_n is None:
        return report
    denominators = dict(survey["n"])
    return _shareable(report, min_n, denominators)


PEOPLE_COUNTS = ("leden", "nieuwkomers", "koppelingen", "enquetes")
"""The ``counts`` that count people (or one person's match or survey answer)."""


def _shareable(report: dict[str, Any], min_n: int, denominators: dict[str, int]) -> dict[str, Any]:
    """``report`` with every figure about fewer than ``min_n`` people null (rules in the module docstring)."""
    out = {
        **report,
        "counts": dict(report["counts"]),
        "survey": dict(report["survey"]),
        "suppressed_below": min_n,
    }
    for key in PEOPLE_COUNTS:
        out["counts"][key] = hide_count(out["counts"][key], min_n)
    out["pending_matches"] = {
        municipality: {
            **p,
            "newcomers_waiting": hide_count(p["newcomers_waiting"], min_n),
            "waiting_past_three_years": p["waiting_past_three_years"]
            if p["newcomers_waiting"] == 0
            or share_shown(p["waiting_past_three_years"], p["newcomers_waiting"], min_n)
            else None,
            "median_wait_days": suppress_statistic(p["median_wait_days"], p["newcomers_waiting"], min_n),
        }
        for municipality, p in report["pending_matches"].items()
    }
    survey = out["survey"]
    shown_n = {}
    for key, n in denominators.items():
        survey[key] = share_or_none(survey[key], n, min_n)
        shown_n[key] = (
            hide_count(n, min_n) if survey[key] is not None or n == 0 else None
        )  # a hidden share hides its n
    survey["n"] = shown_n
    paired = dict(survey["newcomers_paired"])
    for key in ("share_lonely_baseline", "share_lonely_end"):
        paired[key] = share_or_none(paired[key], paired["n"], min_n)
    paired["n"] = hide_count(paired["n"], min_n)
    survey["newcomers_paired"] = paired
    survey["responses"] = hide_count(survey["responses"], min_n)
    survey["scored"] = hide_count(survey["scored"], min_n)
    return out


def report_text(report: dict[str, Any], lang: str | None = None) -> str:
    """The report for people, in ``lang``: headings, aligned counts, percentages (a suppressed figure,
    see :func:`headline_report` with ``min_n``, shows as ``<5``)."""
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    as_of = dt.date.fromisoformat(report["as_of"])
    below = report.get("suppressed_below")
    hidden = f"<{below}" if below else "–"

    def number(value) -> str:
        return hidden if value is None else formatting.format_number(value, lang)

    def plain(value):
        return hidden if value is None else value

    lines = [t("report.title", date=formatting.format_date(as_of, lang))]
    if below:
        lines.append(t("report.shareable", n=below))
    lines += ["", t("report.counts")]
    for key, value in report["counts"].items():
        lines.append(f"  {t('report.count.' + key):<28} {number(value):>8}")
    lines += ["", t("report.groups_by_status")]
    for municipality, statuses in report["groups_by_status"].items():
        parts = ", ".join(f"{i18n.label('group_status', s, lang)} {n}" for s, n in statuses.items() if n)
        lines.append(f"  {municipality:<14} {parts}")
    lines += ["", t("report.pending")]
    for municipality, p in report["pending_matches"].items():
        median = (
            "–" if p["median_wait_days"] is None else formatting.format_number(p["median_wait_days"], lang)
        )
        if p["median_wait_days"] is None and below and p["newcomers_waiting"] != 0:
            median = hidden
        lines.append(
            "  "
            + t(
                "report.pending_line",
                municipality=f"{municipality:<14}",
                newcomers=plain(p["newcomers_waiting"]),
                past=plain(p["waiting_past_three_years"]),
                groups=p["groups_waiting"],
                median=median,
            )
        )
    months = report["meetings_per_month"]
    lines += [
        "",
        t(
            "report.meetings_per_month",
            months=len(months),
            total=formatting.format_number(sum(months.values()), lang),
        ),
    ]
    for month in list(months)[-12:]:
        lines.append(f"  {month}  {months[month]:>4}")
    s = report["survey"]
    lines += ["", t("report.survey", responses=plain(s["responses"]), scored=plain(s["scored"]))]
    for key in (
        "newcomers_share_lonely_baseline",
        "newcomers_share_lonely_end",
        "newcomers_share_loneliness_decreased",
        "members_share_loneliness_decreased",
    ):
        value = hidden if s[key] is None else formatting.format_share(s[key], lang, decimals=1)
        lines.append(f"  {t('report.' + key):<58} {value:>7}  n = {plain(s['n'][key])}")
    paired = s["newcomers_paired"]
    lines.append(
        "  "
        + t(
            "report.newcomers_paired",
            n=plain(paired["n"]),
            baseline=hidden
            if paired["share_lonely_baseline"] is None
            else formatting.format_share(paired["share_lonely_baseline"], lang, decimals=1),
            end=hidden
            if paired["share_lonely_end"] is None
            else formatting.format_share(paired["share_lonely_end"], lang, decimals=1),
        )
    )
    return "\n".join(lines) + "\n"
