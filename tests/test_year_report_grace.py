"""The year report's attrition uses each match's own variant's end-survey grace period (Beheer → Varianten),
falling back to ``SAMENHIER_END_SURVEY_GRACE_DAYS`` for a variant that stores none — as the to-dos and the
response rates do (samenhier/timeline.py).

A hand-made store, every date worked out in the comments. As of 2026-11-15, three matches that completed
their year on 2026-10-01 (started 2025-10-01), each with one newcomer who answered the nulmeting and not
the eindmeting:

| group | variant | grace stored | end survey due | on 2026-11-15 |
|---|---|---|---|---|
| G-KORT | statushouders | 10 days | 2026-10-01 + 10 = 2026-10-11 | missing |
| G-LANG | hervestiging | 60 days | 2026-10-01 + 60 = 2026-11-30 | not yet due (still running) |
| G-ZONDER | ad hoc | none: the setting | 30 → 2026-10-31 (missing); 50 → 2026-11-20 (not yet due) | |
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from samenhier.models import (
    CommunityBuilder,
    Match,
    Municipality,
    Newcomer,
    SurveyResponse,
    VariantTimeline,
    WelcomeGroup,
)
from samenhier.queries.year_report import year_figures
from samenhier.scope import Scope

D = dt.date.fromisoformat
AS_OF = D("2026-11-15")
pytestmark = pytest.mark.both_backends
GROUPS = [("G-KORT", "statushouders", 10), ("G-LANG", "hervestiging", 60), ("G-ZONDER", "ad hoc", None)]


def _build(engine) -> None:
    with Session(engine) as s:
        for variant, grace in ((v, g) for _, v, g in GROUPS):
            timeline = s.exec(select(VariantTimeline).where(VariantTimeline.variant == variant)).one()
            timeline.end_grace_days = grace
            s.add(timeline)
        town = Municipality(name="Almere", cbs_code="GM0034")
        s.add(town)
        s.flush()
        builder = CommunityBuilder(name="Anna", municipality_id=town.id)
        s.add(builder)
        s.flush()
        for n, (code, variant, _) in enumerate(GROUPS):
            group = WelcomeGroup(
                code=code,
                name=f"Groep {code}",
                municipality_id=town.id,
                variant=variant,
                status="afgerond",
                community_builder_id=builder.id,
                signup_date=D("2025-06-01"),
            )
            newcomer = Newcomer(
                code=f"N{n}",
                first_name="Nieuw",
                last_name=str(n),
                municipality_id=town.id,
                household_size=1,
                arrival_date=D("2024-06-01"),
                registration_date=D("2025-06-01"),
                status="gematcht",
            )
            s.add_all([group, newcomer])
            s.flush()
            s.add(
                Match(
                    group_id=group.id,
                    newcomer_id=newcomer.id,
                    proposed_date=D("2025-09-15"),
                    started_date=D("2025-10-01"),
                    ended_date=D("2026-10-01"),
                    status="afgerond",
                )
            )
            s.add(
                SurveyResponse(
                    newcomer_id=newcomer.id, group_id=group.id, wave="nulmeting", date=D("2025-10-01")
                )
            )
        s.commit()


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        # 30 (the default): G-KORT and G-ZONDER are due (10-11, 10-31), G-LANG not (11-30)
        (None, {"with_end": 0, "still_running": 1, "stopped": 0, "missing": 2}),
        # 50: G-ZONDER's fallback moves its due date to 11-20, after the as-of date; the others keep their own
        ("50", {"with_end": 0, "still_running": 2, "stopped": 0, "missing": 1}),
    ],
)
def test_attrition_counts_each_match_by_its_variants_grace(engine, monkeypatch, setting, expected):
    if setting is None:
        monkeypatch.delenv("SAMENHIER_END_SURVEY_GRACE_DAYS", raising=False)
    else:
        monkeypatch.setenv("SAMENHIER_END_SURVEY_GRACE_DAYS", setting)
    _build(engine)
    figures = year_figures(engine, Scope.coordinator("anna"), year=2026, as_of=AS_OF, min_n=1)
    assert figures["survey"]["attrition"]["nieuwkomer"] == {"baseline": 3, **expected}
    assert figures["survey"]["attrition"]["lid"] == {
        "baseline": 0,
        "with_end": 0,
        "still_running": 0,
        "stopped": 0,
        "missing": 0,
    }


def test_a_running_match_is_due_its_variants_grace_after_the_end_of_its_year(engine):
    """G-LANG (hervestiging, 60 days) still running: started 2025-10-01, its 12-month year ended 2026-10-01,
    the end survey is due 2026-10-01 + 60 = 2026-11-30: not yet due on 2026-11-15 (with the global 30 days
    it would have been due on 2026-10-31: missing). The other two stay as above: both missing."""
    _build(engine)
    with Session(engine) as s:
        group = s.exec(select(WelcomeGroup).where(WelcomeGroup.code == "G-LANG")).one()
        group.status = "actief"
        match = s.exec(select(Match).where(Match.group_id == group.id)).one()
        match.ended_date, match.status = None, "actief"
        s.add_all([group, match])
        s.commit()
    figures = year_figures(engine, Scope.coordinator("anna"), year=2026, as_of=AS_OF, min_n=1)
    assert figures["survey"]["attrition"]["nieuwkomer"] == {
        "baseline": 3,
        "with_end": 0,
        "still_running": 1,
        "stopped": 0,
        "missing": 2,
    }
