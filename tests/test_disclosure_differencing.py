"""Issue 16 item 4, "done when": with the workbook imported, no hidden figure of the Enquêtes page can be
worked out by subtracting figures shown for other filter choices (municipality incl. all, cohort incl.
all, role; every wave, every figure of every tab), nor from ``report --shareable``; and the same search
finds the issue's own example when the page's protection is switched off (so the search can fail).

The search (tests/differencing.py) knows nothing of the rules in samenhier/disclosure.py: it reads what
is shown and which groups each choice covers, and subtracts.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from samenhier.models import Municipality, WelcomeGroup
from samenhier.queries import surveys as q
from samenhier.queries.report import headline_report
from samenhier.scope import Filters, Scope
from tests.differencing import Search

pytestmark = pytest.mark.both_backends

AS_OF = dt.date(2026, 11, 15)
COORDINATOR = Scope.coordinator("coordinator")
ALL = "all"


def _groups(engine, filters: Filters, cohorts: tuple[int, ...]) -> frozenset[int]:
    with engine.connect() as c:
        return frozenset(c.execute(q.selected_groups(COORDINATOR, filters, cohorts)).scalars())


def _choice(municipality, cohort, role) -> str:
    return f"municipality={municipality} cohort={cohort} role={role}"


def page_figures(
    search: Search, engine, municipality: str, cohort, role: str, *, complementary: bool = True
) -> None:
    """Every figure the Enquêtes page shows for one filter choice, added to ``search``."""
    filters = Filters(municipalities=() if municipality == ALL else (municipality,))
    cohorts = () if cohort == ALL else (cohort,)
    roles = () if role == ALL else (role,)
    choice = _choice(municipality, cohort, role)
    groups = _groups(engine, filters, cohorts)
    args = dict(as_of=AS_OF, cohorts=cohorts, roles=roles, complementary=complementary)

    rates = q.response_rates(engine, COORDINATOR, filters, **args)
    for r in rates.totals.itertuples():
        search.add(choice, groups, ("response", r.wave, r.role), r.invited, r.responses)
    rows = []
    for r in rates.by_municipality.itertuples():
        if isinstance(r.municipality, str):  # a named municipality's row (the pool row is what is left)
            row_choice = f"{choice} row={r.municipality}"
            if row_choice not in rows:
                rows.append(row_choice)
            search.add(
                row_choice,
                groups & _groups(engine, Filters(municipalities=(r.municipality,)), ()),
                ("response", r.wave, r.role),
                r.invited,
                r.responses,
            )
    search.families.append((choice, rows))

    shares = q.loneliness_by_wave(engine, COORDINATOR, filters, **args)
    for r in shares.itertuples():
        search.add(choice, groups, ("lonely", r.wave, r.role, r.category), r.n, r.k)

    paired = q.paired_changes(engine, COORDINATOR, filters, **args)
    for r in paired.summary.itertuples():
        for part in ("decreased", "same", "increased"):
            search.add(choice, groups, ("paired", r.role, r.measure, part), r.n, getattr(r, part))
        shown = paired.distribution[
            (paired.distribution["role"] == r.role) & (paired.distribution["measure"] == r.measure)
        ]
        for change in range(-6, 7):  # a bar that is not drawn is a shown 0
            people = shown.loc[shown["change"] == change, "people"].sum() if not r.suppressed else None
            search.add(
                choice, groups, ("change distribution", r.role, r.measure, change), r.n, people, kind="dist"
            )

    end = q.end_of_year(engine, COORDINATOR, filters, **args)
    for r in end.change.itertuples():
        search.add(choice, groups, ("self-reported", r.role, r.answer), r.n, r.k)
    for r in end.contacts.itertuples():
        search.add(choice, groups, ("new contacts", r.role), r.n, kind="count")
        shown = end.contacts_distribution[end.contacts_distribution["role"] == r.role]
        for value in range(0, 31):
            people = shown.loc[shown["new_contacts"] == value, "people"].sum() if not r.suppressed else None
            search.add(choice, groups, ("new contacts distribution", r.role, value), r.n, people, kind="dist")


def _lattice(engine) -> tuple[list[str], list]:
    with engine.connect() as c:
        municipalities = sorted(
            c.execute(
                select(Municipality.name)
                .join(WelcomeGroup, WelcomeGroup.municipality_id == Municipality.id)
                .distinct()
            ).scalars()
        )
    return municipalities, q.survey_cohorts(engine, COORDINATOR)


def _families(search: Search, municipalities, cohorts, role: str) -> None:
    """The lattice's splits: all municipalities into each one, all cohorts into each one (cohort "all"
    also holds groups without a started match: the remainder must be safe too)."""
    for cohort in [ALL, *cohorts]:
        search.families.append(
            (_choice(ALL, cohort, role), [_choice(m, cohort, role) for m in municipalities])
        )
    for municipality in [ALL, *municipalities]:
        search.families.append(
            (_choice(municipality, ALL, role), [_choice(municipality, c, role) for c in cohorts])
        )


def test_no_hidden_figure_of_the_surveys_page_or_the_shareable_report_can_be_worked_out(imported_engine):
    engine = imported_engine
    municipalities, cohorts = _lattice(engine)
    assert (
        len(municipalities) == 4 and len(cohorts) >= 6
    )  # the workbook: four cities, groups starting 2019–2026
    search = Search(min_n=5)
    for role in (ALL, "nieuwkomer", "lid"):
        for municipality in [ALL, *municipalities]:
            for cohort in [ALL, *cohorts]:
                # Every municipality × cohort; a role filter only picks the rows of that role (the
                # figures per role are the same), so it is tried on the margins of the lattice.
                if role == ALL or ALL in (municipality, cohort):
                    page_figures(search, engine, municipality, cohort, role)
        _families(search, municipalities, cohorts, role)
    shareable_figures(search, engine)
    leaks = search.leaks()
    assert leaks == []
    # The search looked at something: the unfiltered page shows figures, and filtered choices hide some.
    shown = [o for o in search.observations if o.n is not None]
    hidden = [o for o in search.observations if o.n is None]
    assert len(shown) > 1000 and len(hidden) > 100


def shareable_figures(search: Search, engine) -> None:
    """The figures of ``report --shareable`` that are about survey respondents, as observations of the
    whole store (the page's "all" choice covers the same groups but not the archived ones)."""
    report = headline_report(engine, AS_OF, min_n=5)
    survey = report["survey"]
    with engine.connect() as c:
        everything = frozenset(c.execute(select(WelcomeGroup.id)).scalars())
    for key in (
        "newcomers_share_lonely_baseline",
        "newcomers_share_lonely_end",
        "newcomers_share_loneliness_decreased",
        "members_share_loneliness_decreased",
    ):
        n, share = survey["n"][key], survey[key]
        k = None if share is None or n is None else round(share * n)
        search.add("report --shareable", everything, ("report", key), n, k)
    for municipality, p in report["pending_matches"].items():
        waiting, past = p["newcomers_waiting"], p["waiting_past_three_years"]
        search.add(
            f"report {municipality}",
            frozenset(),
            ("report waiting past three years", municipality),
            waiting,
            past,
        )


def test_the_search_finds_the_issues_example_without_the_protection(imported_engine):
    """Issue 16: cohort 2019, tussenmeting, members: all cities 2/7 lonely, Haarlem 0/5, Den Haag hidden:
    so Den Haag is 2/2. With cells left out (the protection) switched off the search must find it."""
    engine = imported_engine
    municipalities, _ = _lattice(engine)
    search = Search(min_n=5)
    for municipality in [ALL, *municipalities]:
        page_figures(search, engine, municipality, 2019, "lid", complementary=False)
    search.families.append((_choice(ALL, 2019, "lid"), [_choice(m, 2019, "lid") for m in municipalities]))
    leaks = search.leaks()
    example = [
        leak
        for leak in leaks
        if leak.key == ("lonely", "tussenmeting", "lid", "eenzaam") and (leak.n, leak.k) == (2, 2)
    ]
    assert example, leaks
    assert "municipality=Haarlem cohort=2019" in example[0].how
    # ... and with the protection on, the same choices give nothing away.
    safe = Search(min_n=5)
    for municipality in [ALL, *municipalities]:
        page_figures(safe, engine, municipality, 2019, "lid")
    safe.families.append((_choice(ALL, 2019, "lid"), [_choice(m, 2019, "lid") for m in municipalities]))
    assert safe.leaks() == []
