"""Survey queries on the shared workbook, against figures worked out from the workbook with pandas and scipy."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from scipy import stats
from sqlmodel import Session, select

from samenhier.models import CommunityBuilder, Match, Member, SurveyResponse, Wave, WelcomeGroup
from samenhier.queries import surveys as q
from samenhier.rules import survey_waves_reached, survey_waves_reached_columns
from samenhier.scope import AccessDenied, Filters, Scope
from samenhier.survey_stats import LONELY
from tests.survey_workbook import (
    paired,
    scored_responses,
    share_lonely,
    sheets,
    surveyed_store,
    wilson_by_hand,
)

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

AS_OF = dt.date(2026, 11, 15)
COORDINATOR = Scope.coordinator("coordinator")
B, M, E = Wave.BASELINE, Wave.MIDTERM, Wave.END


@pytest.fixture
def surveyed_engine(db_url):
    """The shared workbook imported into this test's own store."""
    yield from surveyed_store(db_url)


# The survey schedule rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("started", "ended", "status", "as_of", "expected"),
    [
        # running: six months after 15 Jan is 15 Jul, twelve months 15 Jan next year
        ("2026-01-15", None, "actief", "2026-07-14", (B,)),
        ("2026-01-15", None, "actief", "2026-07-15", (B, M)),
        ("2026-01-15", None, "actief", "2027-01-15", (B, M, E)),
        # completed its year
        ("2025-01-10", "2025-12-20", "afgerond", "2026-11-15", (B, M, E)),
        # completed, but the as-of date is before it ended: not at the end yet
        ("2025-01-10", "2025-12-20", "afgerond", "2025-12-19", (B, M)),
        # stopped after four months: only the nulmeting; stopped after eight: no eindmeting ever
        ("2025-01-10", "2025-05-01", "gestopt", "2026-11-15", (B,)),
        ("2025-01-10", "2025-09-01", "gestopt", "2026-11-15", (B, M)),
        # not started (yet), or a proposal
        ("2026-12-01", None, "actief", "2026-11-15", ()),
        (None, None, "voorgesteld", "2026-11-15", ()),
        # calendar months: 31 Aug + 6 months = 28 Feb
        ("2025-08-31", None, "actief", "2026-02-27", (B,)),
        ("2025-08-31", None, "actief", "2026-02-28", (B, M)),
    ],
)
def test_survey_waves_reached(started, ended, status, as_of, expected):
    to_date = lambda s: None if s is None else dt.date.fromisoformat(s)  # noqa: E731
    assert survey_waves_reached(to_date(started), to_date(ended), status, to_date(as_of)) == expected


def test_eindmeting_is_due_after_the_grace_period():
    """Issue 18: end surveys are dated up to weeks after the end date, so the eindmeting is due from the end
    date plus the grace period (0034-011 ended 2026-11-12; on 2026-11-15 its end survey is not yet due)."""
    D = dt.date
    assert Wave.END not in survey_waves_reached(
        D(2025, 11, 12), D(2026, 11, 12), "afgerond", D(2026, 11, 15), grace_days=30
    )
    assert Wave.END not in survey_waves_reached(
        D(2025, 11, 12), D(2026, 11, 12), "afgerond", D(2026, 12, 11), grace_days=30
    )
    assert Wave.END in survey_waves_reached(
        D(2025, 11, 12), D(2026, 11, 12), "afgerond", D(2026, 12, 12), grace_days=30
    )
    # still running: twelve months after the start (12 Nov 2026) plus 30 days = 12 Dec 2026
    assert Wave.END not in survey_waves_reached(
        D(2025, 11, 12), None, "actief", D(2026, 12, 11), grace_days=30
    )
    assert Wave.END in survey_waves_reached(D(2025, 11, 12), None, "actief", D(2026, 12, 12), grace_days=30)
    columns = survey_waves_reached_columns(
        pd.Series([D(2025, 11, 12)] * 2),
        pd.Series([D(2026, 11, 12), None]),
        pd.Series(["afgerond", "actief"]),
        D(2026, 12, 11),
        grace_days=30,
    )
    assert not columns["eindmeting"].any()


# Loneliness per wave -----------------------------------------------------------------------------


def test_loneliness_by_wave_matches_the_workbook(surveyed_engine):
    shares = q.loneliness_by_wave(surveyed_engine, COORDINATOR, as_of=AS_OF)
    responses = scored_responses()
    assert (pd.to_datetime(responses["datum"]) <= pd.Timestamp(AS_OF)).all()  # so every response counts
    assert len(shares) == 3 * 2 * 4  # waves × roles × (lonely + three bands)
    for wave in Wave:
        for role in ("nieuwkomer", "lid"):
            k, n = share_lonely(responses, wave.value, role)
            row = shares[
                (shares["wave"] == wave.value) & (shares["role"] == role) & (shares["category"] == LONELY)
            ].iloc[0]
            assert (row["n"], row["k"]) == (n, k), (wave, role)
            assert (
                row["responses"] == ((responses["meting"] == wave.value) & (responses["rol"] == role)).sum()
            )
            assert row["share"] == pytest.approx(k / n)
            assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson_by_hand(k, n))
            scored = responses[
                (responses["meting"] == wave.value) & (responses["rol"] == role) & responses["total"].notna()
            ]
            bands = {
                "niet eenzaam": (scored["total"] <= 1).sum(),
                "matig eenzaam": scored["total"].between(2, 4).sum(),
                "ernstig eenzaam": (scored["total"] >= 5).sum(),
            }
            for category, count in bands.items():
                band_row = shares[
                    (shares["wave"] == wave.value)
                    & (shares["role"] == role)
                    & (shares["category"] == category)
                ].iloc[0]
                assert band_row["k"] == count, (wave, role, category)
                assert not band_row["suppressed"]


def test_newcomers_share_lonely_at_baseline_is_what_the_workbook_says(surveyed_engine):
    # One figure spelled out: newcomer nulmeting responses scored by hand from the sheet.
    responses = scored_responses()
    k, n = share_lonely(responses, "nulmeting", "nieuwkomer")
    assert n == 66  # every newcomer nulmeting has at most one unanswered item
    shares = q.loneliness_by_wave(surveyed_engine, COORDINATOR, as_of=AS_OF)
    row = shares.query("wave == 'nulmeting' and role == 'nieuwkomer' and category == @LONELY").iloc[0]
    assert row["k"] == k and row["n"] == 66


# Paired change -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["nieuwkomer", "lid"])
def test_paired_changes_match_the_workbook_and_scipy(surveyed_engine, role):
    result = q.paired_changes(surveyed_engine, COORDINATOR, as_of=AS_OF)
    responses = scored_responses()
    for measure, column in (("loneliness", "total"), ("feel_at_home", "thuis_voelen")):
        expected = paired(responses, role, column)
        change = expected["change"].to_numpy(dtype=float)
        row = result.summary[(result.summary["role"] == role) & (result.summary["measure"] == measure)].iloc[
            0
        ]
        assert row["n"] == len(expected)
        assert (row["decreased"], row["same"], row["increased"]) == (
            (change < 0).sum(),
            (change == 0).sum(),
            (change > 0).sum(),
        )
        assert row["baseline_mean"] == pytest.approx(expected["baseline"].mean())
        assert row["end_mean"] == pytest.approx(expected["end"].mean())
        assert row["mean_change"] == pytest.approx(change.mean())
        half = stats.t.ppf(0.975, len(change) - 1) * change.std(ddof=1) / math.sqrt(len(change))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((change.mean() - half, change.mean() + half))
        if (change != 0).any():
            test = stats.wilcoxon(change, zero_method="pratt")  # "no change" counts (issue 18)
            assert row["statistic"] == pytest.approx(test.statistic)
            assert row["p_value"] == pytest.approx(test.pvalue)
            down, up = int((change < 0).sum()), int((change > 0).sum())
            assert row["sign_p_value"] == pytest.approx(stats.binomtest(down, down + up).pvalue)
        distribution = result.distribution[
            (result.distribution["role"] == role) & (result.distribution["measure"] == measure)
        ]
        assert (
            dict(zip(distribution["change"], distribution["people"], strict=True))
            == pd.Series(change).value_counts().to_dict()
        )


def test_paired_means_count_pairs_within_one_group(surveyed_engine):
    result = q.paired_changes(surveyed_engine, COORDINATOR, as_of=AS_OF)
    pairs = result.pairs.query("role == 'nieuwkomer' and measure == 'loneliness'")
    expected = paired(scored_responses(), "nieuwkomer")
    assert pairs["people"].sum() == len(expected)
    by_pair = expected.groupby(["baseline", "end"]).size()
    assert {(int(a), int(b)): int(c) for (a, b), c in by_pair.items()} == {
        (r.baseline, r.end): r.people for r in pairs.itertuples()
    }


# End of year -------------------------------------------------------------------------------------


def test_end_of_year_matches_the_workbook(surveyed_engine):
    result = q.end_of_year(surveyed_engine, COORDINATOR, as_of=AS_OF)
    responses = scored_responses()
    end = responses[responses["meting"] == "eindmeting"]
    for role in ("nieuwkomer", "lid"):
        mine = end[end["rol"] == role]
        answered = mine["eenzaamheid_verandering"].dropna()
        for answer in ("minder", "gelijk", "meer"):
            row = result.change.query("role == @role and answer == @answer").iloc[0]
            k = int((answered == answer).sum())
            assert (row["n"], row["k"]) == (len(answered), k)
            assert (row["ci_low"], row["ci_high"]) == pytest.approx(wilson_by_hand(k, len(answered)))
        contacts = mine["nieuwe_contacten"].dropna()
        row = result.contacts.query("role == @role").iloc[0]
        assert row["n"] == len(contacts)
        assert row["mean"] == pytest.approx(contacts.mean())
        assert row["median"] == contacts.median()


# Response ----------------------------------------------------------------------------------------


def test_response_rates_match_the_workbook(surveyed_engine):
    # The counting itself; leaving small cells out (test_disclosure_cells.py) is switched off here.
    rates = q.response_rates(surveyed_engine, COORDINATOR, as_of=AS_OF, complementary=False)
    wb = sheets()
    matches = wb["koppelingen"]
    responses = scored_responses()
    started = matches[matches["gestart_op"].notna() & (matches["gestart_op"] <= pd.Timestamp(AS_OF))]
    # nulmeting: newcomers of every started match; members of every group with a started match
    newcomers_invited = set(started["nieuwkomer_code"])
    base = responses[responses["meting"] == "nulmeting"]
    newcomers_invited |= set(base.loc[base["rol"] == "nieuwkomer", "respondent_code"])
    members = wb["leden"]
    groups = set(started["groep_code"]) | set(base["groep_code"])
    members_invited = set(members.loc[members["groep_code"].isin(groups), "lid_code"]) | set(
        base.loc[base["rol"] == "lid", "respondent_code"]
    )
    totals = rates.totals.set_index(["wave", "role"])
    assert totals.loc[("nulmeting", "nieuwkomer"), "invited"] == len(newcomers_invited)
    assert totals.loc[("nulmeting", "nieuwkomer"), "responses"] == (base["rol"] == "nieuwkomer").sum()
    assert totals.loc[("nulmeting", "lid"), "invited"] == len(members_invited)
    assert totals.loc[("nulmeting", "lid"), "responses"] == (base["rol"] == "lid").sum()
    # eindmeting: newcomers of matches that completed their year 30 days (the grace period, default) before
    # the as-of date, or run past twelve months and 30 days (issue 18: 0034-011 ended 2026-11-12, not due yet)
    grace = pd.Timedelta(days=30)
    ended = (matches["status"] == "afgerond") & (matches["beeindigd_op"] + grace <= pd.Timestamp(AS_OF))
    running_long = (matches["status"] == "actief") & (
        matches["gestart_op"] + pd.DateOffset(months=12) + grace <= pd.Timestamp(AS_OF)
    )
    assert "N0065" not in set(matches.loc[ended, "nieuwkomer_code"])  # 0034-011, ended 2026-11-12
    end = responses[responses["meting"] == "eindmeting"]
    end_newcomers = set(matches.loc[ended | running_long, "nieuwkomer_code"]) | set(
        end.loc[end["rol"] == "nieuwkomer", "respondent_code"]
    )
    assert totals.loc[("eindmeting", "nieuwkomer"), "invited"] == len(end_newcomers)
    assert totals.loc[("eindmeting", "nieuwkomer"), "rate"] == pytest.approx(
        (end["rol"] == "nieuwkomer").sum() / len(end_newcomers)
    )
    # the municipalities add up to the totals (none of them is small in the workbook)
    by_municipality = rates.by_municipality
    assert by_municipality["municipality"].notna().all()
    summed = by_municipality.groupby(["wave", "role"])[["invited", "responses"]].sum()
    assert (summed["invited"] == totals["invited"].reindex(summed.index)).all()
    assert (summed["responses"] == totals["responses"].reindex(summed.index)).all()
    assert (rates.totals["rate"] <= 1).all()


def test_response_counts_archived_responders_and_small_municipalities(surveyed_engine, monkeypatch):
    # A member who answered the nulmeting, not the eindmeting, in a group that held the eindmeting.
    responses = scored_responses()
    members = responses[responses["rol"] == "lid"]
    ended_groups = set(members.loc[members["meting"] == "eindmeting", "groep_code"])
    waves = members.groupby("respondent_code")["meting"].agg(set)
    codes = members.loc[members["groep_code"].isin(ended_groups), "respondent_code"].unique()
    code = next(c for c in sorted(codes) if "nulmeting" in waves[c] and "eindmeting" not in waves[c])
    before = q.response_rates(surveyed_engine, COORDINATOR, as_of=AS_OF).totals.set_index(["wave", "role"])
    with Session(surveyed_engine) as session:
        member = session.exec(select(Member).where(Member.code == code)).one()
        member.archived = True  # they left the group
        session.add(member)
        session.commit()
    after = q.response_rates(surveyed_engine, COORDINATOR, as_of=AS_OF).totals.set_index(["wave", "role"])
    # still invited to the nulmeting they answered, no longer to the eindmeting they did not answer
    assert after.loc[("nulmeting", "lid"), "invited"] == before.loc[("nulmeting", "lid"), "invited"]
    assert after.loc[("eindmeting", "lid"), "invited"] == before.loc[("eindmeting", "lid"), "invited"] - 1

    # With a minimum of 60 people, municipalities below it are combined (and suppressed if still below).
    monkeypatch.setenv("SAMENHIER_MIN_CELL_SIZE", "60")
    from samenhier.settings import get_settings

    get_settings.cache_clear()
    rates = q.response_rates(surveyed_engine, COORDINATOR, as_of=AS_OF, complementary=False)
    newcomers = rates.by_municipality.query("wave == 'nulmeting' and role == 'nieuwkomer'")
    # every municipality has fewer than 60 invited newcomers: one combined row with their sum (72 ≥ 60)
    assert len(newcomers) == 1 and newcomers["municipality"].isna().all()
    assert newcomers.iloc[0]["invited"] == after.loc[("nulmeting", "nieuwkomer"), "invited"]
    ended = rates.totals.query("wave == 'eindmeting' and role == 'nieuwkomer'").iloc[0]
    assert (
        math.isnan(ended["invited"])
        and ended["suppressed"]
        and math.isnan(ended["rate"])
        and math.isnan(ended["responses"])
    )


# Scope, filters, suppression ---------------------------------------------------------------------


def _builder(engine, name: str) -> Scope:
    with Session(engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == name)).one()
    return Scope.community_builder("cb", builder.id)


def test_community_builder_sees_only_their_groups_and_small_cells_are_suppressed(surveyed_engine):
    scope = _builder(surveyed_engine, "Tekle Mehari")
    responses = scored_responses()
    mine = responses[responses["community_builder"] == "tekle mehari"]
    shares = q.loneliness_by_wave(surveyed_engine, scope, as_of=AS_OF, complementary=False)
    for wave in Wave:
        for role in ("nieuwkomer", "lid"):
            k, n = share_lonely(mine, wave.value, role)
            row = shares.query("wave == @wave.value and role == @role and category == @LONELY").iloc[0]
            if n < 5:  # a suppressed row shows neither its share nor its n
                assert (
                    row["suppressed"]
                    and math.isnan(row["n"])
                    and math.isnan(row["k"])
                    and math.isnan(row["share"])
                    and math.isnan(row["ci_low"])
                )
            else:
                assert not row["suppressed"] and (row["n"], row["k"]) == (n, k)
    # Tekle Mehari's groups have two newcomers with an eindmeting: below the minimum of 5.
    assert share_lonely(mine, "eindmeting", "nieuwkomer")[1] == 2
    paired_rows = q.paired_changes(surveyed_engine, scope, as_of=AS_OF, complementary=False)
    newcomer = paired_rows.summary.query("role == 'nieuwkomer'")
    assert (
        newcomer["suppressed"].all()
        and newcomer["mean_change"].isna().all()
        and newcomer["p_value"].isna().all()
    )
    assert paired_rows.distribution.query("role == 'nieuwkomer'").empty
    assert paired_rows.pairs.query("role == 'nieuwkomer'").empty
    member = paired_rows.summary.query("role == 'lid' and measure == 'loneliness'").iloc[0]
    assert member["n"] == len(paired(mine, "lid")) and not member["suppressed"]


def test_community_builder_cannot_open_another_builders_group(surveyed_engine):
    scope = _builder(surveyed_engine, "Tekle Mehari")
    with Session(surveyed_engine) as session:
        response = session.exec(
            select(SurveyResponse)
            .join(WelcomeGroup, WelcomeGroup.id == SurveyResponse.group_id)
            .where(
                WelcomeGroup.community_builder_id != scope.community_builder_id,
                SurveyResponse.member_id.is_not(None),
            )
        ).first()
    with pytest.raises(AccessDenied):
        q.respondents(surveyed_engine, scope, response.group_id)
    assert (
        q.survey_response(
            surveyed_engine, scope, role="lid", person_id=response.member_id, wave=response.wave
        )
        is None
    )
    assert (
        q.survey_response(
            surveyed_engine, COORDINATOR, role="lid", person_id=response.member_id, wave=response.wave
        )["id"]
        == response.id
    )


def test_filters_cohort_role_and_municipality(surveyed_engine):
    wb = sheets()
    responses = scored_responses()
    first_start = wb["koppelingen"].groupby("groep_code")["gestart_op"].min().dt.year
    assert q.survey_cohorts(surveyed_engine, COORDINATOR) == sorted(int(y) for y in first_start.unique())
    in_2024 = set(first_start[first_start == 2024].index)
    shares = q.loneliness_by_wave(
        surveyed_engine, COORDINATOR, as_of=AS_OF, cohorts=(2024,), roles=("lid",), complementary=False
    )
    assert set(shares["role"]) == {"lid"}
    k, n = share_lonely(responses[responses["groep_code"].isin(in_2024)], "nulmeting", "lid")
    row = shares.query("wave == 'nulmeting' and category == @LONELY").iloc[0]
    assert (row["n"], row["k"]) == (n, k)

    almere = Filters(municipalities=("Almere",))
    shares = q.loneliness_by_wave(surveyed_engine, COORDINATOR, almere, as_of=AS_OF, complementary=False)
    k, n = share_lonely(responses[responses["gemeente"] == "Almere"], "eindmeting", "lid")
    row = shares.query("wave == 'eindmeting' and role == 'lid' and category == @LONELY").iloc[0]
    assert (row["n"], row["k"]) == (n, k)
    rates = q.response_rates(surveyed_engine, COORDINATOR, almere, as_of=AS_OF, complementary=False)
    assert set(rates.by_municipality["municipality"]) == {"Almere"}


def test_as_of_date_leaves_later_responses_out(surveyed_engine):
    as_of = dt.date(2024, 1, 1)
    responses = scored_responses()
    earlier = responses[pd.to_datetime(responses["datum"]) <= pd.Timestamp(as_of)]
    shares = q.loneliness_by_wave(surveyed_engine, COORDINATOR, as_of=as_of)
    k, n = share_lonely(earlier, "eindmeting", "lid")
    row = shares.query("wave == 'eindmeting' and role == 'lid' and category == @LONELY").iloc[0]
    assert (row["n"], row["k"]) == (n, k)
    rates = q.response_rates(surveyed_engine, COORDINATOR, as_of=as_of).totals
    wb = sheets()
    matches = wb["koppelingen"]
    started = matches[matches["gestart_op"] <= pd.Timestamp(as_of)]
    base_newcomers = set(started["nieuwkomer_code"]) | set(
        earlier.query("meting == 'nulmeting' and rol == 'nieuwkomer'")["respondent_code"]
    )
    assert rates.query("wave == 'nulmeting' and role == 'nieuwkomer'").iloc[0]["invited"] == len(
        base_newcomers
    )
    assert (
        started["gestart_op"] + pd.DateOffset(months=6) > pd.Timestamp(as_of)
    ).any()  # the rule matters here


def test_respondents_and_stored_response(surveyed_engine):
    with Session(surveyed_engine) as session:
        match = session.exec(select(Match).where(Match.status == "afgerond")).first()
        member_ids = sorted(
            m.id for m in session.exec(select(Member).where(Member.group_id == match.group_id))
        )
    people = q.respondents(surveyed_engine, COORDINATOR, match.group_id)
    assert people.iloc[0]["role"] == "nieuwkomer" and people.iloc[0]["person_id"] == match.newcomer_id
    assert sorted(people.loc[people["role"] == "lid", "person_id"]) == member_ids
    stored = q.survey_response(
        surveyed_engine, COORDINATOR, role="nieuwkomer", person_id=match.newcomer_id, wave="nulmeting"
    )
    if stored is not None:
        assert people.iloc[0]["nulmeting"] == stored["date"]
        assert isinstance(stored["date"], dt.date) and stored["version"] == 1
