"""The year report's content, independent of the format: a list of blocks (headings, paragraphs, the
headline figures, tables, charts) built from :func:`samenhier.queries.year_report.year_figures` in one
language. Every renderer (text, xlsx, docx, pdf) and the Jaarverslag page walk the same blocks, so the
documents show the same figures.

A suppressed figure (None in the figures) shows as :data:`HIDDEN` ("x", the mark CBS uses for figures kept
secret): it may be about fewer than ``suppressed_below`` people, or a larger part of the same total hidden so
that such a figure cannot be worked out; "<5" said the first of every hidden cell, also of a part of 23 people
or of a share. A figure that does not exist (no responses at all) shows as ``–``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from samenhier import formatting, i18n
from samenhier.loneliness import Band
from samenhier.models import SelfReportedChange, Wave
from samenhier.survey_stats import ROLES, coverage_text, format_p_value

HEADLINE = (
    "matches_started",
    "households_reached",
    "people_reached",
    "volunteers_active",
    "meetings",
    "volunteer_hours",
)
"""The headline figures, in order (keys of ``figures["programme"]``)."""
PROGRAMME_ROWS = (
    "matches_started",
    "matches_completed",
    "matches_stopped",
    "households_reached",
    "people_reached",
    "volunteers_active",
    "meetings",
    "volunteer_hours",
    "group_months",
    "meetings_per_group_month",
    "newcomers_waiting_at_end",
    "matched_in_period",
    "median_wait_days",
    "waited_past_three_years",
)
BANDS = tuple(b.value for b in Band)
ATTRITION = ("baseline", "with_end", "still_running", "stopped", "missing")
CHANGE = (
    "n",
    "baseline_mean",
    "end_mean",
    "mean_change",
    "ci",
    "decreased",
    "same",
    "increased",
    "wilcoxon_p",
    "sign_p",
)


@dataclass
class Heading:
    text: str
    level: int = 1


@dataclass
class Paragraph:
    text: str
    style: str = "normal"
    """``normal``, ``note`` (caveats, definitions) or ``warning`` (data that look odd)."""


@dataclass
class Headline:
    items: list[tuple[str, str]]
    """(label, value as text) of the headline figures."""


@dataclass
class Table:
    key: str
    """Short name, also the Excel sheet name (at most 31 characters)."""
    title: str
    values: pd.DataFrame
    """Cells as numbers (shares as fractions 0–1), ``<5`` where suppressed; for Excel."""
    text: pd.DataFrame
    """The same cells formatted for people in the report's language; for Word, PDF, text and the page."""


@dataclass
class Chart:
    key: str
    title: str
    png: bytes


@dataclass
class Report:
    lang: str
    title: str
    blocks: list[Any] = field(default_factory=list)

    def tables(self) -> list[Table]:
        return [b for b in self.blocks if isinstance(b, Table)]

    def charts(self) -> list[Chart]:
        return [b for b in self.blocks if isinstance(b, Chart)]


HIDDEN = "x"
"""The mark of a figure left out to protect people (see the module docstring)."""


class _Cells:
    """Formatting of one report's cells: numbers, shares, intervals, p-values, suppression marks."""

    def __init__(self, lang: str, below: int):
        self.lang, self.hidden = lang, HIDDEN

    def number(self, value, decimals: int | None = None) -> tuple[Any, str]:
        if value is None:
            return self.hidden, self.hidden
        return value, formatting.format_number(value, self.lang, decimals=decimals)

    def share(self, value, n: int | None = None) -> tuple[Any, str]:
        if n == 0:  # nobody to share over: no figure, nothing hidden
            return "–", "–"
        if value is None:
            return self.hidden, self.hidden
        return value, formatting.format_share(value, self.lang)

    def interval(self, low, high, percent: bool = True, n: int | None = None) -> tuple[Any, str]:
        if n == 0:
            return "–", "–"
        if low is None or high is None:
            return self.hidden, self.hidden
        fmt = (
            (lambda v: formatting.format_share(v, self.lang))
            if percent
            else (lambda v: _signed(v, self.lang))
        )
        text = f"{fmt(low)} – {fmt(high)}"
        return text, text

    def p(self, value) -> tuple[Any, str]:
        if value is None:
            return self.hidden, self.hidden
        return value, format_p_value(value, self.lang)


def _signed(value: float, lang: str) -> str:
    text = formatting.format_number(abs(value), lang, decimals=1)
    return text if round(value, 1) == 0 else ("+" if value > 0 else "−") + text


def _table(key: str, title: str, columns: list[str], rows: list[list[tuple[Any, str]]]) -> Table:
    values = pd.DataFrame([[v for v, _ in row] for row in rows], columns=columns)
    text = pd.DataFrame([[t for _, t in row] for row in rows], columns=columns)
    return Table(key=key, title=title, values=values, text=text)


def build(figures: dict[str, Any], lang: str, *, charts: bool = True) -> Report:
    """The blocks of the year report for ``figures`` (:func:`~samenhier.queries.year_report.year_figures`) in
    ``lang``; ``charts=False`` leaves the chart images out (faster, for the text format)."""
    t = lambda key, **kw: i18n.t(key, lang, **kw)  # noqa: E731
    c = _Cells(lang, figures["suppressed_below"])
    p, s = figures["programme"], figures["survey"]
    place = ", ".join(figures["filters"]["municipalities"]) or t("year.all_municipalities")
    variants = ", ".join(figures["filters"]["variants"])
    period = t(
        "year.period",
        start=formatting.format_date(_d(figures["period"]["from"]), lang),
        end=formatting.format_date(_d(figures["period"]["to"]), lang),
    )
    report = Report(lang=lang, title=t("year.title", year=figures["year"]))
    add = report.blocks.append
    add(Heading(report.title, 0))
    add(Paragraph(f"{place}{' · ' + variants if variants else ''} · {period}"))
    add(
        Headline(
            [(t(f"year.fig.{k}"), c.number(p[k], 1 if k == "volunteer_hours" else None)[1]) for k in HEADLINE]
        )
    )
    add(Paragraph(t("year.suppression_note", n=figures["suppressed_below"]), "note"))

    # Programme ---------------------------------------------------------------------------------------
    add(Heading(t("year.section.programme")))
    rows = []
    for key in PROGRAMME_ROWS:
        decimals = 1 if key == "volunteer_hours" else 2 if key == "meetings_per_group_month" else None
        rows.append([(t(f"year.fig.{key}"), t(f"year.fig.{key}")), c.number(p[key], decimals)])
    add(_table("programma", t("year.table.programme"), [t("year.col.figure"), t("year.col.value")], rows))
    if p["stop_reasons"]:
        rows = [
            [(r or t("year.no_reason"), r or t("year.no_reason")), c.number(n)]
            for r, n in p["stop_reasons"].items()
        ]
        add(
            _table(
                "redenen_gestopt",
                t("year.table.stop_reasons"),
                [t("year.col.reason"), t("year.col.matches")],
                rows,
            )
        )
    if charts and p["meetings_per_month"]:
        from samenhier.reports.charts import meetings_chart

        add(Chart("meetings", t("year.chart.meetings"), meetings_chart(p["meetings_per_month"], lang)))

    # Survey --------------------------------------------------------------------------------------------
    add(Heading(t("year.section.survey")))
    add(Paragraph(t("year.survey_intro")))
    report.blocks += [Paragraph(note, "note") for note in [coverage_note(s, lang)] if note]
    add(Paragraph(t("year.caveats"), "note"))
    add(Paragraph(t("year.ggd_note"), "note"))
    for role in ROLES:
        people = i18n.t(f"surveys.people.{role}", lang)
        rows, bands, home, warnings = [], [], [], []
        for wave in Wave:
            w = s["waves"][wave.value][role]
            label = (i18n.label("wave", wave.value, lang),) * 2
            rows.append(
                [
                    label,
                    c.number(w["responses"]),
                    c.number(w["lonely"]["n"]),
                    c.share(w["lonely"]["share"], w["lonely"]["n"]),
                    c.interval(w["lonely"]["ci_low"], w["lonely"]["ci_high"], n=w["lonely"]["n"]),
                    c.share(w["emotional"]["share"], w["emotional"]["n"]),
                    c.share(w["social"]["share"], w["social"]["n"]),
                    c.share(w["feel_at_home"]["share"], w["feel_at_home"]["n"]),
                ]
            )
            bands.append([label, *(c.number(w["bands"][b]) for b in BANDS)])
            home.append([label, *(c.number(w["feel_at_home"]["distribution"][str(v)]) for v in range(1, 6))])
            if w["feel_at_home"].get("all_same"):
                warnings.append(label[1])
        add(
            _table(
                f"eenzaamheid_{role}",
                t("year.table.waves", people=people),
                [
                    t("year.col.wave"),
                    t("year.col.responses"),
                    t("year.col.n"),
                    t("year.col.lonely"),
                    t("year.col.ci"),
                    t("year.col.emotional"),
                    t("year.col.social"),
                    t("year.col.at_home"),
                ],
                rows,
            )
        )
        add(
            _table(
                f"banden_{role}",
                t("year.table.bands", people=people),
                [t("year.col.wave"), *(i18n.label("band", b, lang) for b in BANDS)],
                bands,
            )
        )
        add(
            _table(
                f"thuis_voelen_{role}",
                t("year.table.feel_at_home", people=people),
                [t("year.col.wave"), *(str(v) for v in range(1, 6))],
                home,
            )
        )
        if warnings:
            add(
                Paragraph(
                    t("year.warning.all_same_answer", people=people, wave=", ".join(warnings)), "warning"
                )
            )
    from samenhier.reports.charts import has_lonely_shares, lonely_chart

    if charts and has_lonely_shares(s["waves"]):
        add(Chart("lonely", t("year.chart.lonely"), lonely_chart(s["waves"], lang)))

    add(Heading(t("year.section.change"), 2))
    rows = []
    for role in ROLES:
        ch = s["self_reported_change"][role]
        rows.append(
            [
                (i18n.label("respondent_role", role, lang),) * 2,
                c.number(ch["n"]),
                *(c.number(ch["answers"][a.value]) for a in SelfReportedChange),
                c.share(ch["share_less"], ch["n"]),
                c.interval(ch["ci_low"], ch["ci_high"], n=ch["n"]),
            ]
        )
    add(
        _table(
            "zelf_gerapporteerd",
            t("year.table.self_reported"),
            [
                t("year.col.role"),
                t("year.col.n"),
                *(i18n.label("change", a.value, lang) for a in SelfReportedChange),
                t("year.col.share_less"),
                t("year.col.ci"),
            ],
            rows,
        )
    )

    add(Heading(t("year.section.paired"), 2))
    add(Paragraph(t("year.paired_intro")))
    for role in ROLES:
        people = i18n.t(f"surveys.people.{role}", lang)
        pr = s["paired"][role]
        rows, warnings = [], []
        for measure in ("loneliness", "feel_at_home"):
            m = pr[measure]
            rows.append(
                [
                    (t(f"year.measure.{measure}"),) * 2,
                    c.number(m["n"]),
                    c.number(m["baseline_mean"], 1),
                    c.number(m["end_mean"], 1),
                    (m["mean_change"], _signed(m["mean_change"], lang))
                    if m["mean_change"] is not None
                    else c.number(None),
                    c.interval(m["ci_low"], m["ci_high"], percent=False),
                    c.number(m["decreased"]),
                    c.number(m["same"]),
                    c.number(m["increased"]),
                    c.p(m["wilcoxon_p"]),
                    c.p(m["sign_p"]),
                ]
            )
            if m.get("all_same"):
                warnings.append(
                    Paragraph(
                        t("year.warning.zero_width", people=people, measure=t(f"year.measure.{measure}")),
                        "warning",
                    )
                )
        add(
            _table(
                f"voor_na_{role}",
                t("year.table.paired", people=people),
                [
                    t("year.col.measure"),
                    t("year.col.n"),
                    t("year.col.before"),
                    t("year.col.after"),
                    t("year.col.change"),
                    t("year.col.ci"),
                    t("year.col.down"),
                    t("year.col.same"),
                    t("year.col.up"),
                    t("year.col.wilcoxon"),
                    t("year.col.sign"),
                ],
                rows,
            )
        )
        report.blocks.extend(warnings)
        table = pr["loneliness"]["bands"]
        rows = [[(i18n.label("band", b, lang),) * 2, *(c.number(table[b][e]) for e in BANDS)] for b in BANDS]
        add(
            _table(
                f"banden_voor_na_{role}",
                t("year.table.band_change", people=people),
                [t("year.col.baseline_band"), *(i18n.label("band", e, lang) for e in BANDS)],
                rows,
            )
        )

    add(Heading(t("year.section.attrition"), 2))
    rows = [
        [
            (i18n.label("respondent_role", role, lang),) * 2,
            *(c.number(s["attrition"][role][k]) for k in ATTRITION),
        ]
        for role in ROLES
    ]
    add(
        _table(
            "uitval",
            t("year.table.attrition"),
            [t("year.col.role"), *(t(f"year.attrition.{k}") for k in ATTRITION)],
            rows,
        )
    )

    # Appendix ------------------------------------------------------------------------------------------
    add(Heading(t("year.section.appendix")))
    for key in PROGRAMME_ROWS:
        add(Paragraph(f"{t(f'year.fig.{key}')}: {t(f'year.def.{key}')}", "note"))
    for key in (
        "period",
        "survey",
        "subscales",
        "attrition",
        "wilson",
        "t",
        "wilcoxon",
        "sign",
        "suppression",
        "cells",
    ):
        n = figures["suppressed_below"]
        add(Paragraph(t(f"year.method.{key}", n=n, n2=2 * n), "note"))
    return report


def coverage_note(survey: dict[str, Any], lang: str) -> str | None:
    """Why the survey figures may differ from the sum of other reports, or None when every response counts on
    its own: ``survey["left_out"]`` (some responses are in cells left out of a figure; how many is not said,
    as on the Enquêtes page: that number for two reports would give the size of a small cell) and
    ``survey["pooled"]`` (how many count only in the pool: at least ``Settings.min_cell_size`` when any). The cell method:
    :mod:`samenhier.queries.year_report`."""
    return coverage_text(bool(survey.get("left_out", False)), survey.get("pooled", 0), "year.coverage", lang)


def _d(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def headline_texts(figures: dict[str, Any], lang: str) -> dict[str, str]:
    """The headline figures as shown in every format: ``{key: text}`` (see :data:`HEADLINE`)."""
    c = _Cells(lang, figures["suppressed_below"])
    return {k: c.number(figures["programme"][k], 1 if k == "volunteer_hours" else None)[1] for k in HEADLINE}
