"""``python -m samenhier report`` end to end, every figure recomputed in the test from the workbook with pandas.

Definitions: the docstring of samenhier/queries/report.py. The loneliness scoring is implemented here
again, in a few lines, from the rules in shared/data/README.md (not imported from samenhier).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter

import pandas as pd
import pytest
from cli_helpers import cli_env, run_cli

AS_OF = dt.date(2026, 11, 15)
GROUP_STATUSES = ["werving", "training", "wacht op match", "actief", "afgerond", "gestopt"]  # DESIGN.md
CITY_SPELLINGS = {
    "den haag": "Den Haag",
    "'s-gravenhage": "Den Haag",
    "almere": "Almere",
    "haarlem": "Haarlem",
    "rotterdam": "Rotterdam",
}
EMOTIONAL = ["leegte", "mis_mensen", "in_de_steek"]  # ja / min of meer = 1, nee = 0
SOCIAL = ["terugvallen", "vertrouwen", "verbonden"]  # nee / min of meer = 1, ja = 0


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cli_store(request, tmp_path_factory, workbook_path) -> dict[str, str]:
    """A store filled by ``python -m samenhier import <workbook>``; returns the environment that points at it.

    Once a SQLite file, once an empty PostgreSQL database (the import migrates it first).
    """
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        env = cli_env(server.create_database("report_cli"))
        request.addfinalizer(lambda: server.drop_database("report_cli"))
    else:
        env = cli_env(tmp_path_factory.mktemp("report") / "samenhier.db")
    done = run_cli("import", str(workbook_path), env=env)
    assert done.returncode == 0, done.stderr
    return env


@pytest.fixture(scope="module")
def report_stdout(cli_store) -> str:
    done = run_cli("report", "--as-of", AS_OF.isoformat(), "--format", "json", env=cli_store)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def report(report_stdout) -> dict:
    return json.loads(report_stdout)


# ------------------------------------------------------------------------------ the test's own computations


def day(value) -> dt.date:
    return pd.Timestamp(value).date()


def days(column: pd.Series) -> pd.Series:
    return column.map(day)


def city(name: str) -> str:
    return CITY_SPELLINGS[" ".join(name.replace("\u2019", "'").split()).lower()]


def plus_years(date: dt.date, years: int) -> dt.date:
    """Same calendar day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)


def answer(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return None
    word = " ".join(str(value).replace("-", " ").split()).lower()
    assert word in ("ja", "min of meer", "nee"), value
    return word


def loneliness_total(row) -> int | None:
    scores = [0 if answer(row[c]) == "nee" else 1 for c in EMOTIONAL if answer(row[c]) is not None]
    scores += [0 if answer(row[c]) == "ja" else 1 for c in SOCIAL if answer(row[c]) is not None]
    return sum(scores) if len(scores) >= 5 else None  # more than one missing item: no total


def share(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


# ------------------------------------------------------------------------------ output shape


def test_stdout_is_exactly_one_json_object(report_stdout):
    text = report_stdout.strip()
    value, end = json.JSONDecoder().raw_decode(text)
    assert end == len(text)
    assert isinstance(value, dict)
    assert set(value) == {
        "as_of",
        "counts",
        "groups_by_status",
        "pending_matches",
        "meetings_per_month",
        "survey",
    }
    assert value["as_of"] == "2026-11-15"


# ------------------------------------------------------------------------------ figures


def test_counts(report, workbook_sheets):
    s = workbook_sheets
    expected = {
        "community_builders": len(s["community_builders"]),
        "groepen": int((days(s["groepen"]["aangemeld_op"]) <= AS_OF).sum()),
        "leden": int((days(s["leden"]["lid_sinds"]) <= AS_OF).sum()),
        "nieuwkomers": int((days(s["nieuwkomers"]["aangemeld_op"]) <= AS_OF).sum()),
        "koppelingen": int((days(s["koppelingen"]["voorgesteld_op"]) <= AS_OF).sum()),
        "bijeenkomsten": int((days(s["bijeenkomsten"]["datum"]) <= AS_OF).sum()),
        "enquetes": int((days(s["enquetes"]["datum"]) <= AS_OF).sum()),
    }
    assert report["counts"] == expected
    assert expected["bijeenkomsten"] == 1631  # every meeting: the last one is on the as-of date


def test_groups_by_status(report, workbook_sheets):
    groups = workbook_sheets["groepen"]
    groups = groups[days(groups["aangemeld_op"]) <= AS_OF]
    cities = groups["gemeente"].map(city)
    expected = {
        c: {
            status: int(((cities == c) & (groups["status"].str.strip().str.lower() == status)).sum())
            for status in GROUP_STATUSES
        }
        for c in sorted(set(cities))
    }
    assert report["groups_by_status"] == expected
    # every status listed for every city, zeros included, and no group lost
    assert all(list(v) == GROUP_STATUSES for v in report["groups_by_status"].values())
    assert any(0 in v.values() for v in report["groups_by_status"].values())
    assert sum(sum(v.values()) for v in report["groups_by_status"].values()) == len(groups)


def test_pending_matches(report, workbook_sheets):
    groups = workbook_sheets["groepen"]
    groups = groups[days(groups["aangemeld_op"]) <= AS_OF]
    newcomers = workbook_sheets["nieuwkomers"]
    waiting = newcomers[
        (newcomers["status"].str.strip() == "wacht") & (days(newcomers["aangemeld_op"]) <= AS_OF)
    ]
    waiting_cities = waiting["gemeente"].map(city)
    group_cities = groups["gemeente"].map(city)

    expected = {}
    for c in sorted(set(group_cities) | set(waiting_cities)):
        mine = waiting[waiting_cities == c]
        waits = [(AS_OF - day(d)).days for d in mine["aangemeld_op"]]
        expected[c] = {
            "newcomers_waiting": len(mine),
            "waiting_past_three_years": sum(
                plus_years(day(d), 3) < AS_OF for d in mine["in_nederland_sinds"]
            ),
            "groups_waiting": int(((group_cities == c) & (groups["status"] == "wacht op match")).sum()),
            "median_wait_days": float(statistics.median(waits)) if waits else None,
        }
    assert report["pending_matches"] == expected
    # the workbook has newcomers past three years, so that figure is really exercised
    assert sum(v["waiting_past_three_years"] for v in expected.values()) > 0


def test_meetings_per_month(report, workbook_sheets):
    dates = [d for d in days(workbook_sheets["bijeenkomsten"]["datum"]) if d <= AS_OF]
    per_month = Counter(d.strftime("%Y-%m") for d in dates)
    first = min(dates)
    expected, year, month = {}, first.year, first.month
    while (year, month) <= (AS_OF.year, AS_OF.month):
        key = f"{year:04d}-{month:02d}"
        expected[key] = per_month.get(key, 0)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    got = report["meetings_per_month"]
    assert list(got) == list(expected)  # every month, in order, from the first meeting's to the as-of month
    assert got == expected
    assert sum(got.values()) == len(dates)
    # a few months by hand from the workbook: the first meeting is on 28 May 2019, none in August 2019
    assert list(got)[0] == "2019-05" and list(got)[-1] == "2026-11"
    assert got["2019-08"] == 0
    assert got["2026-11"] == sum(1 for d in dates if (d.year, d.month) == (2026, 11))


def test_survey(report, workbook_sheets):
    surveys = workbook_sheets["enquetes"]
    surveys = surveys[days(surveys["datum"]) <= AS_OF].copy()
    surveys["total"] = [loneliness_total(row) for _, row in surveys.iterrows()]
    scored = surveys[surveys["total"].notna()]
    newcomers = scored[scored["rol"].str.strip() == "nieuwkomer"]

    def lonely_share(wave: str) -> float | None:
        part = newcomers[newcomers["meting"].str.strip() == wave]
        return share(int((part["total"] >= 2).sum()), len(part))

    end = surveys[
        (surveys["meting"].str.strip() == "eindmeting") & surveys["eenzaamheid_verandering"].notna()
    ]
    roles = end["rol"].str.strip()

    def less(part: pd.DataFrame) -> float | None:
        return share(int((part["eenzaamheid_verandering"].str.strip() == "minder").sum()), len(part))

    # The same newcomers at both waves (same person, same group), scored at both.
    keys = ["respondent_code", "groep_code"]
    base = newcomers[newcomers["meting"].str.strip() == "nulmeting"][[*keys, "total"]]
    pairs = base.merge(newcomers[newcomers["meting"].str.strip() == "eindmeting"][[*keys, "total"]], on=keys)
    expected = {
        "responses": len(surveys),
        "scored": len(scored),
        "newcomers_share_lonely_baseline": lonely_share("nulmeting"),
        "newcomers_share_lonely_end": lonely_share("eindmeting"),
        "newcomers_paired": {
            "n": len(pairs),
            "share_lonely_baseline": share(int((pairs["total_x"] >= 2).sum()), len(pairs)),
            "share_lonely_end": share(int((pairs["total_y"] >= 2).sum()), len(pairs)),
        },
        "newcomers_share_loneliness_decreased": less(end[roles == "nieuwkomer"]),
        "members_share_loneliness_decreased": less(end[roles == "lid"]),
        "n": {
            "newcomers_share_lonely_baseline": int((newcomers["meting"].str.strip() == "nulmeting").sum()),
            "newcomers_share_lonely_end": int((newcomers["meting"].str.strip() == "eindmeting").sum()),
            "newcomers_share_loneliness_decreased": int((roles == "nieuwkomer").sum()),
            "members_share_loneliness_decreased": int((roles == "lid").sum()),
        },
    }
    # The figures the check found (issue 18): never pooled, and the paired newcomers named.
    assert (
        expected["n"]["newcomers_share_loneliness_decreased"],
        expected["n"]["members_share_loneliness_decreased"],
    ) == (44, 166)
    assert (
        expected["newcomers_paired"]["n"] == 39
        and expected["newcomers_paired"]["share_lonely_baseline"] == 1.0
    )
    assert report["survey"] == expected
    # the workbook has unscored responses, so the missing-item rule is exercised
    assert expected["scored"] < expected["responses"]


def test_scoring_in_this_test_follows_the_rules():
    """The test's own scorer, on two hand cases (so a slip in it cannot hide a slip in the product)."""
    row = dict.fromkeys(EMOTIONAL, "nee") | dict.fromkeys(SOCIAL, "ja")
    assert loneliness_total(row) == 0
    row |= {"leegte": "Min-of-meer", "verbonden": None}
    assert loneliness_total(row) == 1
    row |= {"vertrouwen": ""}
    assert loneliness_total(row) is None


# ------------------------------------------------------------------------------ text format


def test_text_report(cli_store, workbook_sheets):
    done = run_cli("report", "--as-of", AS_OF.isoformat(), "--format", "text", env=cli_store)
    assert done.returncode == 0, done.stderr
    assert "15 november 2026" in done.stdout
    meetings = int((days(workbook_sheets["bijeenkomsten"]["datum"]) <= AS_OF).sum())
    assert f"{meetings:,}".replace(",", ".") in done.stdout  # Dutch thousands separator: 1.631
    assert done.stderr == ""


def test_report_defaults_to_the_clock(cli_store, report):
    """Without --as-of the report is for SAMENHIER_TODAY (set to the as-of date in cli_env)."""
    done = run_cli("report", "--format", "json", env=cli_store)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == report
