"""The column-wise year report (:func:`samenhier.queries.year_report.year_figures`) gives exactly the figures
of the row-by-row computation it replaced (``tests/year_report_reference.py``), on the demo store (four
cities, every variant, as of 2026-11-15): every year it covers, filters by municipality and by variant, a
municipality coordinator, no suppression, and variants with their own end-survey grace period.

The row-by-row computation was itself checked figure by figure against the workbook (test_year_report.py)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pandas as pd
import pytest
from sqlmodel import Session, select
from year_report_reference import year_figures as reference_figures

from samenhier.db import make_engine
from samenhier.demo import load_demo
from samenhier.models import VariantTimeline
from samenhier.queries.year_report import year_figures
from samenhier.scope import Filters, Scope

AS_OF = dt.date(2026, 11, 15)
NATIONAL = Scope.coordinator("anna")


@pytest.fixture(scope="module")
def demo_engine(_migrated_template, tmp_path_factory):
    path = tmp_path_factory.mktemp("demo-year") / "demo.db"
    shutil.copy(_migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    load_demo(engine, AS_OF)
    yield engine
    engine.dispose()


def _same(engine, scope, **kwargs) -> dict:
    # The reference predates the cell method (tests/test_year_report.py and test_year_report_differencing.py
    # check that): compared with it switched off, when nothing is left out or pooled.
    new = year_figures(engine, scope, complementary=False, **kwargs)
    assert (new["survey"].pop("left_out"), new["survey"].pop("pooled")) == (False, 0)
    old = reference_figures(engine, scope, **kwargs)
    assert json.dumps(new, sort_keys=True) == json.dumps(old, sort_keys=True)
    return new


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026])
@pytest.mark.parametrize("min_n", [None, 1])
def test_every_year_of_the_demo_store(demo_engine, year, min_n):
    figures = _same(demo_engine, NATIONAL, year=year, as_of=AS_OF, min_n=min_n)
    if year == 2026:  # the comparison is about a real year: matches, meetings, baselines
        assert (
            figures["programme"]["meetings"] > 0 and figures["survey"]["attrition"]["nieuwkomer"]["baseline"]
        )


def test_filters_and_a_municipality_coordinator(demo_engine):
    for filters in (
        Filters(municipalities=("Almere",)),
        Filters(variants=("studenten",)),
        Filters(municipalities=("Den Haag", "Rotterdam"), variants=("statushouders", "hervestiging")),
    ):
        _same(demo_engine, NATIONAL, year=2026, as_of=AS_OF, filters=filters, min_n=1)
    _same(demo_engine, Scope.coordinator("rina", municipalities=("Rotterdam",)), year=2025, as_of=AS_OF)
    _same(demo_engine, NATIONAL, year=2026, as_of=dt.date(2026, 3, 31), min_n=1)  # a running year


def test_variants_with_their_own_grace_period(demo_engine):
    with Session(demo_engine) as s:
        changed = {"hervestiging": 75, "studenten": 3, "statushouders": 0}
        for row in s.exec(select(VariantTimeline)).all():
            row.end_grace_days = changed.get(row.variant, row.end_grace_days)
            s.add(row)
        s.commit()
    try:
        for year in (2025, 2026):
            _same(demo_engine, NATIONAL, year=year, as_of=AS_OF, min_n=1)
    finally:
        with Session(demo_engine) as s:
            for row in s.exec(select(VariantTimeline)).all():
                row.end_grace_days = None
                s.add(row)
            s.commit()


def test_column_rules_equal_the_scalar_rules_on_every_day():
    """The two date rules the report now applies per column give, for every day of 2019–2028 (two leap days
    among them), what the scalar rules give: the end of a 12-month and a 10-week group year
    (Timeline.end_date) and the first day past eligibility (rules.eligibility_end + 1 day)."""
    from samenhier.queries.year_report import _past_eligibility
    from samenhier.rules import eligibility_end
    from samenhier.timeline import Timeline

    days = pd.Series(pd.date_range("2019-01-01", "2028-12-31", freq="D"))
    for timeline in (
        Timeline("statushouders", 12, "months", 6, 21, 30),
        Timeline("studenten", 10, "weeks", 5, 10, 30),
    ):
        column = timeline.end_dates(pd.concat([days, pd.Series([pd.NaT])], ignore_index=True))
        assert [d.date() for d in column.iloc[:-1]] == [timeline.end_date(d.date()) for d in days]
        assert pd.isna(column.iloc[-1])
    past = _past_eligibility(days, 3)
    assert [d.date() for d in past] == [eligibility_end(d.date(), 3) + dt.timedelta(days=1) for d in days]
    assert past[days == pd.Timestamp("2020-02-29")].iloc[0] == pd.Timestamp("2023-03-01")  # 28 Feb + 1 day
