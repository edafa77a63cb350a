"""Reads of the matching page: the queue, its summary, suggestions, running matches and the funnel."""

import itertools

import numpy as np
import pandas as pd
import pytest
from sqlmodel import Session, select

from samenhier.matching import Weights
from samenhier.models import CommunityBuilder
from samenhier.municipalities import canonical_municipality
from samenhier.queries import matching as q
from samenhier.scope import AccessDenied, Filters, Scope
from samenhier.services.matches import propose_match
from tests.matching_helpers import AS_OF, D, Store, two_city_store

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

COORDINATOR = Scope.coordinator("coord")


def builder_scope(engine, name: str) -> Scope:
    with Session(engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == name)).one()
    return Scope.community_builder(name.split()[0].lower(), builder.id)


@pytest.fixture(scope="module")
def sheets(workbook_path):
    return pd.read_excel(workbook_path, sheet_name=None)


def expected_queue(sheets) -> pd.DataFrame:
    """Per municipality, worked out from the workbook with pandas alone: waiting newcomers and groups, wait statistics."""
    newcomers = sheets["nieuwkomers"].assign(gemeente=lambda f: f["gemeente"].map(canonical_municipality))
    newcomers = newcomers[newcomers["status"].str.strip().str.lower() == "wacht"]
    newcomers = newcomers.assign(
        wait=(pd.Timestamp(AS_OF) - pd.to_datetime(newcomers["aangemeld_op"])).dt.days
    )
    groups = sheets["groepen"].assign(gemeente=lambda f: f["gemeente"].map(canonical_municipality))
    groups = groups[groups["status"].str.strip().str.lower() == "wacht op match"]
    groups = groups.assign(
        wait=(pd.Timestamp(AS_OF) - pd.to_datetime(groups["training_afgerond_op"])).dt.days
    )
    return pd.DataFrame(
        {
            "newcomers_waiting": newcomers.groupby("gemeente").size(),
            "newcomer_wait_median": newcomers.groupby("gemeente")["wait"].median(),
            "newcomer_wait_p90": newcomers.groupby("gemeente")["wait"].quantile(0.9),
            "groups_waiting": groups.groupby("gemeente").size(),
            "group_wait_median": groups.groupby("gemeente")["wait"].median(),
        }
    ).fillna({"newcomers_waiting": 0, "groups_waiting": 0})


# ------------------------------------------------------------------------------------------ workbook


def test_queue_summary_matches_the_workbook(workbook_engine, sheets):
    summary = q.queue_summary(workbook_engine, COORDINATOR, as_of=AS_OF).set_index("municipality")
    expected = expected_queue(sheets)
    assert sorted(summary.index) == sorted(expected.index) == ["Almere", "Den Haag", "Haarlem", "Rotterdam"]
    for column in expected.columns:
        assert summary[column].astype(float).to_dict() == pytest.approx(
            expected[column].astype(float).to_dict()
        ), column
    assert summary["proposals"].sum() == 0  # the workbook has no open proposals


def test_waiting_newcomers_flags_on_the_workbook(workbook_engine):
    frame = q.waiting_newcomers(workbook_engine, COORDINATOR, as_of=AS_OF).set_index("code")
    # N0089 arrived 2023-12-20: eligible up to 2026-12-20, 15 + 20 = 35 days left → urgent.
    assert (
        frame.loc["N0089", "eligibility_end"],
        frame.loc["N0089", "days_left"],
        frame.loc["N0089", "flag"],
    ) == (D(2026, 12, 20), 35, "urgent")
    # N0076 arrived 2023-10-19: ended 2026-10-19, 27 days ago → not eligible, still listed.
    assert (frame.loc["N0076", "days_left"], frame.loc["N0076", "flag"]) == (-27, "not_eligible")
    # N0073 registered 2026-11-04 → 11 days waiting; arrived 2024-05-10 → 2027-05-10, 176 days left (ok).
    assert (frame.loc["N0073", "wait_days"], frame.loc["N0073", "days_left"], frame.loc["N0073", "flag"]) == (
        11,
        176,
        "ok",
    )
    assert frame.loc["N0073", "name"] == "Farid Ahmadi"
    # urgent first, not eligible last
    order = frame["flag"].tolist()
    assert order == sorted(order, key=["urgent", "ok", "not_eligible"].index)


def test_suggestions_on_the_workbook_are_an_optimal_assignment(workbook_engine):
    # Haarlem: 7 waiting newcomers (all eligible), 4 waiting groups → 4 suggestions.
    pairs = q.suggestions(workbook_engine, COORDINATOR, as_of=AS_OF, municipality="Haarlem")
    assert len(pairs) == 4
    assert pairs["newcomer_id"].is_unique and pairs["group_id"].is_unique
    top = pairs.iloc[0]
    # N0098 is the most urgent (arrived 2023-12-27: 42 days left) and has waited since 2026-08-10 (97 days); she speaks
    # Arabisch like Joris, the builder of every Haarlem group, and is 1 person (household 1 with any group). Group wait
    # days (training → 2026-11-15): 0392-019 241, -020 150, -021 328, -022 67. Her score with group g:
    # (3·1 + 2·1 + 3·(1 − 42/365) + 1·(97 + wait_g)/730) / 9 · 100. (With 7 newcomers for 4 groups every group is
    # assigned, so the groups' wait adds the same to every full assignment: which group she gets is a tie.)
    group_wait = {"0392-019": 241, "0392-020": 150, "0392-021": 328, "0392-022": 67}
    assert top["newcomer_code"] == "N0098"
    assert top["score"] == pytest.approx(
        (5 + 3 * (1 - 42 / 365) + (97 + group_wait[top["group_code"]]) / 730) / 9 * 100
    )
    # The chosen four are the newcomers that add most: N0098 (urgent) and the three longest waiting among the
    # rest with a language in common: N0095 (294 days), N0090 (174), N0091 (166). N0092 speaks Turks, N0097 and
    # N0085 Tigrinya: no shared language, so they would add 3 · 100/9 points less.
    assert set(pairs["newcomer_code"]) == {"N0098", "N0095", "N0090", "N0091"}
    # Optimal: no other one-to-one choice of 4 pairs from the full score matrix has a larger total.
    newcomers = q.waiting_newcomers(workbook_engine, COORDINATOR, as_of=AS_OF, municipality="Haarlem")
    groups = q.waiting_groups(workbook_engine, COORDINATOR, as_of=AS_OF, municipality="Haarlem")
    from samenhier.matching import score_pairs

    matrix = (
        score_pairs(newcomers.sort_values("code"), groups.sort_values("code"), Weights())["score"]
        .to_numpy()
        .reshape(7, 4)
    )
    best = max(sum(matrix[r, c] for c, r in enumerate(rows)) for rows in itertools.permutations(range(7), 4))
    assert pairs["score"].sum() == pytest.approx(best)


def test_a_community_builder_sees_no_waiting_newcomer_by_name(workbook_engine):
    joris = builder_scope(workbook_engine, "Joris Kramer")
    with pytest.raises(AccessDenied):
        q.waiting_newcomers(workbook_engine, joris, as_of=AS_OF)
    with pytest.raises(AccessDenied):
        q.suggestions(workbook_engine, joris, as_of=AS_OF, municipality="Haarlem")


def test_a_community_builder_gets_counts_of_their_own_municipality_only(workbook_engine, sheets):
    expected = expected_queue(sheets)
    joris = builder_scope(
        workbook_engine, "Joris Kramer"
    )  # Haarlem, 7 waiting ≥ min_cell_size 5: statistics shown
    summary = q.queue_summary(workbook_engine, joris, as_of=AS_OF)
    assert summary["municipality"].tolist() == ["Haarlem"]
    row = summary.iloc[0]
    assert row["newcomers_waiting"] == expected.loc["Haarlem", "newcomers_waiting"] == 7
    assert row["newcomer_wait_median"] == pytest.approx(expected.loc["Haarlem", "newcomer_wait_median"])
    assert row["groups_waiting"] == 4  # all four waiting Haarlem groups are Joris's
    nadia = builder_scope(workbook_engine, "Nadia Rahimi")  # Almere: 2 waiting < 5 → only the count
    row = q.queue_summary(workbook_engine, nadia, as_of=AS_OF).iloc[0]
    assert (row["municipality"], row["newcomers_waiting"]) == ("Almere", 2)
    assert all(
        pd.isna(row[c]) for c in ("urgent", "not_eligible", "newcomer_wait_median", "newcomer_wait_p90")
    )
    # Groups: a builder's own only. Samira and Ruben share Den Haag's two waiting groups, one each.
    samira = builder_scope(workbook_engine, "Samira Benali")
    assert q.waiting_groups(workbook_engine, samira, as_of=AS_OF)["code"].tolist() == ["0518-022"]


def test_open_matches_are_scoped_to_visible_groups(workbook_engine, sheets):
    links = sheets["koppelingen"]
    running = links[links["status"] == "actief"]
    everything = q.open_matches(workbook_engine, COORDINATOR)
    assert sorted(everything["group_code"]) == sorted(running["groep_code"])
    leyla = builder_scope(workbook_engine, "Leyla Aydın")
    groups = sheets["groepen"]
    hers = set(groups.loc[groups["community_builder"] == "Leyla Aydın", "groep_code"])
    mine = q.open_matches(workbook_engine, leyla)
    assert set(mine["group_code"]) == hers & set(running["groep_code"])
    assert len(mine) == len(running[running["groep_code"].isin(hers)])


# ------------------------------------------------------------------------------------------ small stores


def test_flags_at_the_boundaries(engine):
    store = Store(engine)
    store.municipality("Haarlem", "GM0392")
    # days left on 2026-11-15: arrival 2024-02-13 → end 2027-02-13: 15 + 31 + 31 + 13 = 90
    for code, arrival in (
        ("N90", D(2024, 2, 13)),
        ("N89", D(2024, 2, 12)),
        ("N0", D(2023, 11, 15)),
        ("NM1", D(2023, 11, 14)),
        ("NLEAP", D(2024, 2, 29)),
    ):
        store.newcomer(code, "Haarlem", arrival=arrival, registered=D(2026, 1, 1))
    frame = q.waiting_newcomers(engine, COORDINATOR, as_of=AS_OF).set_index("code")
    assert frame["days_left"].to_dict() == {"N89": 89, "N0": 0, "N90": 90, "NLEAP": 105, "NM1": -1}
    assert frame["flag"].to_dict() == {
        "N89": "urgent",
        "N0": "urgent",
        "N90": "ok",
        "NLEAP": "ok",
        "NM1": "not_eligible",
    }
    assert frame.loc["NLEAP", "eligibility_end"] == D(2027, 2, 28)
    assert list(frame.index) == [
        "N0",
        "N89",
        "N90",
        "NLEAP",
        "NM1",
    ]  # urgent (fewest days first), ok, not eligible


def test_percentiles_are_interpolated(engine):
    store = Store(engine)
    store.municipality("Haarlem", "GM0392")
    for days in (10, 20, 30, 40):  # registered 10, 20, 30, 40 days before the as-of date
        store.newcomer(
            f"N{days}",
            "Haarlem",
            arrival=D(2025, 6, 1),
            registered=AS_OF - pd.Timedelta(days=days).to_pytimedelta(),
        )
    row = q.queue_summary(engine, COORDINATOR, as_of=AS_OF).iloc[0]
    assert row["newcomer_wait_median"] == 25.0  # (20 + 30) / 2
    assert row["newcomer_wait_p90"] == pytest.approx(37.0)  # rank 0.9 · 3 = 2.7: 30 + 0.7 · 10
    assert row["newcomer_wait_p90"] == pytest.approx(np.quantile([10, 20, 30, 40], 0.9))
    assert (row["groups_waiting"], pd.isna(row["group_wait_median"])) == (0, True)


def test_proposals_show_in_the_queue_and_leave_the_suggestions(engine):
    store = two_city_store(engine)
    before = q.suggestions(engine, COORDINATOR, as_of=AS_OF, municipality="Haarlem")
    # NH1 (Arabisch, 3 persons, 105 days left) and NH2 (Tigrinya, 1 person) for H1 (4 members) and H2 (2 members):
    # NH1–H1 is (3 + 2 + 3·(260/365) + (198 + 259)/730) / 9 · 100 and beats NH1–H2 (household 2/3).
    assert len(before) == 2 and set(before["newcomer_code"]) == {"NH1", "NH2"}
    pair = before.set_index("newcomer_code").loc["NH1"]
    assert pair["group_code"] == "H1"
    propose_match(
        engine, COORDINATOR, newcomer_id=store.ids["NH1"], group_id=store.ids["H1"], proposed_date=AS_OF
    )
    queue = q.waiting_newcomers(engine, COORDINATOR, as_of=AS_OF).set_index("code")
    assert queue.loc["NH1", "proposed_group"] == "H1" and pd.isna(queue.loc["NH2", "proposed_group"])
    groups = q.waiting_groups(engine, COORDINATOR, as_of=AS_OF).set_index("code")
    assert (groups.loc["H1", "proposed_newcomer"], groups.loc["H1", "running_matches"]) == ("NH1", 1)
    after = q.suggestions(engine, COORDINATOR, as_of=AS_OF, municipality="Haarlem")
    assert after[["newcomer_code", "group_code"]].values.tolist() == [["NH2", "H2"]]
    assert (
        q.queue_summary(engine, COORDINATOR, as_of=AS_OF)
        .set_index("municipality")
        .loc["Haarlem", "proposals"]
        == 1
    )


def test_filters_narrow_the_queue(engine):
    store = two_city_store(engine)
    store.group("H3", "Haarlem", "Anna", variant="hervestiging", training=D(2026, 10, 1))
    only_almere = Filters(municipalities=("Almere",))
    assert q.waiting_newcomers(engine, COORDINATOR, only_almere, as_of=AS_OF)["code"].tolist() == ["NA1"]
    assert q.waiting_groups(engine, COORDINATOR, only_almere, as_of=AS_OF)["code"].tolist() == ["A1"]
    resettlement = Filters(variants=("hervestiging",))
    assert q.waiting_groups(engine, COORDINATOR, resettlement, as_of=AS_OF)["code"].tolist() == ["H3"]
    # a waiting newcomer has no variant yet: the variant filter leaves the newcomers alone
    assert len(q.waiting_newcomers(engine, COORDINATOR, resettlement, as_of=AS_OF)) == 3


def test_funnel_by_hand(engine):
    store = two_city_store(engine)  # NH1, NH2 (Haarlem) and NA1 (Almere) are registered in 2026 and waiting
    store.group("HX", "Haarlem", "Anna", status="actief")
    store.group("HY", "Haarlem", "Anna", status="gestopt")
    store.group("HZ", "Haarlem", "Anna", status="afgerond", training=D(2024, 12, 1), signup=D(2024, 10, 1))
    # a: registered 2026-02-01, proposed +30 days, started +10 days, still running
    store.newcomer("Na", "Haarlem", arrival=D(2025, 1, 1), registered=D(2026, 2, 1), status="gematcht")
    store.match("ma", "HX", "Na", status="actief", proposed=D(2026, 3, 3), started=D(2026, 3, 13))
    # b: registered 2026-03-01, declined after 10 days, proposed again, started 20 days later, stopped 60 days after that
    store.newcomer("Nb", "Haarlem", arrival=D(2025, 1, 1), registered=D(2026, 3, 1), status="gematcht")
    store.match(
        "mb1", "H1", "Nb", status="afgewezen", proposed=D(2026, 3, 11), ended=D(2026, 3, 20), reason="nee"
    )
    store.match(
        "mb2",
        "HY",
        "Nb",
        status="gestopt",
        proposed=D(2026, 4, 10),
        started=D(2026, 4, 30),
        ended=D(2026, 6, 29),
    )
    # c: withdrew; e: registered 2025-01-10, proposed +30, started +10, completed after 365 days
    store.newcomer("Nc", "Haarlem", arrival=D(2025, 1, 1), registered=D(2026, 4, 1), status="afgemeld")
    store.newcomer("Ne", "Haarlem", arrival=D(2024, 6, 1), registered=D(2025, 1, 10), status="gematcht")
    store.match(
        "me",
        "HZ",
        "Ne",
        status="afgerond",
        proposed=D(2025, 2, 9),
        started=D(2025, 2, 19),
        ended=D(2026, 2, 19),
    )
    # outside the period
    store.newcomer("Nold", "Haarlem", arrival=D(2024, 6, 1), registered=D(2024, 12, 31))

    frame = q.funnel(engine, COORDINATOR, start=D(2025, 1, 1), end=D(2026, 12, 31), as_of=AS_OF)
    haarlem = frame[frame["municipality"] == "Haarlem"].set_index("step")
    # cohort: NH1, NH2, a, b, c, e = 6; proposed a, b, e; started a, b, e; completed e; stopped b; withdrawn c
    assert haarlem["newcomers"].to_dict() == {
        "registered": 6,
        "proposed": 3,
        "started": 3,
        "completed": 1,
        "stopped": 1,
        "withdrawn": 1,
    }
    # registration → first proposal: a 30, b 10, e 30 → 30; proposal → start (the started match): a 10, b 20, e 10 → 10
    assert haarlem.loc["proposed", "median_days"] == 30
    assert haarlem.loc["started", "median_days"] == 10
    assert haarlem.loc["completed", "median_days"] == 365
    assert haarlem.loc["stopped", "median_days"] == 60  # 2026-04-30 → 2026-06-29
    assert pd.isna(haarlem.loc["registered", "median_days"]) and pd.isna(
        haarlem.loc["withdrawn", "median_days"]
    )
    almere = frame[frame["municipality"] == "Almere"].set_index("step")["newcomers"]
    assert (almere["registered"], almere["proposed"]) == (1, 0)

    # Anna's funnel: only newcomers with a match in her groups (a, b, e), never the waiting queue
    anna = Scope.community_builder("anna", store.ids["Anna"])
    mine = q.funnel(engine, anna, start=D(2025, 1, 1), end=D(2026, 12, 31), as_of=AS_OF).set_index("step")
    assert set(mine["municipality"]) == {"Haarlem"}
    assert mine["newcomers"].to_dict() == {
        "registered": 3,
        "proposed": 3,
        "started": 3,
        "completed": 1,
        "stopped": 1,
        "withdrawn": 0,
    }
    bram = Scope.community_builder("bram", store.ids["Bram"])
    assert q.funnel(engine, bram, start=D(2025, 1, 1), end=D(2026, 12, 31), as_of=AS_OF).empty
    assert q.funnel(engine, COORDINATOR, start=D(2026, 1, 1), end=D(2025, 1, 1), as_of=AS_OF).empty
