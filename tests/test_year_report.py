"""``report --year 2026`` on the sample workbook (as of 2026-11-15), every figure of the ``year`` object
recomputed here from the workbook with plain pandas and scipy (not the product's queries), for the
whole programme and for one municipality; the documents (docx, pdf, xlsx) read back; the suppression
rule on hand cases.

Definitions: the docstring of samenhier/queries/year_report.py. The scoring of the De Jong Gierveld
items is written again here from shared/data/README.md.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections import Counter

import pandas as pd
import pytest
from cli_helpers import cli_env, run_cli
from dateutil.relativedelta import relativedelta
from scipy import stats

from samenhier.queries.year_report import protect_parts

AS_OF = dt.date(2026, 11, 15)
FIRST, LAST = dt.date(2026, 1, 1), AS_OF
MIN_N = 5
CITY_SPELLINGS = {
    "den haag": "Den Haag",
    "'s-gravenhage": "Den Haag",
    "almere": "Almere",
    "haarlem": "Haarlem",
    "rotterdam": "Rotterdam",
}
EMOTIONAL = ["leegte", "mis_mensen", "in_de_steek"]  # ja / min of meer = 1, nee = 0
SOCIAL = ["terugvallen", "vertrouwen", "verbonden"]  # nee / min of meer = 1, ja = 0
BANDS = ["niet eenzaam", "matig eenzaam", "ernstig eenzaam"]
ROLES = ["nieuwkomer", "lid"]
WAVES = ["nulmeting", "tussenmeting", "eindmeting"]


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory, workbook_path) -> dict[str, str]:
    env = cli_env(tmp_path_factory.mktemp("year") / "samenhier.db")
    done = run_cli("import", str(workbook_path), env=env)
    assert done.returncode == 0, done.stderr
    return env


@pytest.fixture(scope="module")
def report(cli_store) -> dict:
    done = run_cli(
        "report", "--year", "2026", "--as-of", AS_OF.isoformat(), "--format", "json", env=cli_store
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def almere(cli_store) -> dict:
    done = run_cli("report", "--year", "2026", "--municipality", "Almere", "--format", "json", env=cli_store)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


# ------------------------------------------------------------------------------ the test's own computations


def day(value) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)) or str(value).strip() == "":
        return None
    return pd.Timestamp(value).date()


def city(name: str) -> str:
    return CITY_SPELLINGS[" ".join(str(name).replace("\u2019", "'").split()).lower()]


def word(value) -> str:
    return " ".join(str(value).split()).lower()


def answer(value) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)) or not str(value).strip():
        return None
    return " ".join(str(value).replace("-", " ").split()).lower()


def scores(row) -> tuple[int | None, int | None, int | None]:
    """(emotional, social, total) by the manual's missing-item rules."""
    emo = [answer(row[c]) for c in EMOTIONAL]
    soc = [answer(row[c]) for c in SOCIAL]
    emo_s = [0 if a == "nee" else 1 for a in emo if a is not None]
    soc_s = [0 if a == "ja" else 1 for a in soc if a is not None]
    emotional = sum(emo_s) if len(emo_s) == 3 else None
    social = sum(soc_s) if len(soc_s) == 3 else None
    total = sum(emo_s) + sum(soc_s) if len(emo_s) + len(soc_s) >= 5 else None
    return emotional, social, total


def band(total: int) -> str:
    return "niet eenzaam" if total <= 1 else "matig eenzaam" if total <= 4 else "ernstig eenzaam"


def hide(n: int, gone: bool = False) -> int | None:
    """``gone``: there were people, but all of them are in cells left out: hidden, not "nobody"."""
    return None if 0 < n < MIN_N or (gone and n == 0) else int(n)


def parts(counts: dict, n: int, gone: bool = False) -> dict:
    if n == 0:
        return dict.fromkeys(counts) if gone else counts  # nobody: zeros, nothing to hide
    if n < 2 * MIN_N and n in counts.values():  # everyone in one part of a small table: every answer known
        return dict.fromkeys(counts)
    return protect_parts(counts, MIN_N) if n >= MIN_N else dict.fromkeys(counts)


def share_block(k: int, n: int, gone: bool = False) -> dict:
    # shown only over 5+ people and when neither the k inside nor the n - k outside is a group of 1-4,
    # and not 0% or 100% over fewer than 10 (every answer known)
    if n < MIN_N or 0 < k < MIN_N or 0 < n - k < MIN_N or (k in (0, n) and n < 2 * MIN_N):
        return {
            "n": hide(n, gone),
            "k": None,
            "share": None,
            "ci_low": None,
            "ci_high": None,
        }
    ci = stats.binomtest(k, n).proportion_ci(method="wilson")
    return {
        "n": n,
        "k": k,
        "share": round(k / n, 4),
        "ci_low": round(ci.low, 4),
        "ci_high": round(ci.high, 4),
    }


def split_parts(counts: dict, inside: list, n: int, gone: bool = False) -> dict:
    """A table split by a shown share: each side protected against its own (then known) total."""
    k = sum(counts[key] for key in inside)
    if share_block(k, n)["share"] is None or n == 0:
        return parts(counts, n, gone)
    inner = protect_parts({key: counts[key] for key in counts if key in inside}, MIN_N)
    outer = protect_parts({key: counts[key] for key in counts if key not in inside}, MIN_N)
    return {key: inner.get(key, outer.get(key)) for key in counts}


def in_period(d) -> bool:
    return d is not None and FIRST <= d <= LAST


NOTE = {"left_out": set(), "pooled": set()}
"""The responses (row labels) one :func:`expected_year` left out of a figure or counted only in the pool."""


def counted(
    rows: pd.DataFrame, cell_of: dict, pool: bool, n: str, parts=(), full=(), response: str | None = None
) -> pd.DataFrame:
    """The ``rows`` (column ``group``: a group code; 0/1 columns ``n``, ``parts``, ``full``) whose cell counts,
    by SECURITY.md's cell method written again here: a cell (municipality × variant, ``cell_of[group]``)
    counts when its n is at least 5 and, when below 10, none of ``parts`` holds 0 or all of it and none of
    ``full`` all of it; in an unfiltered report the failing cells count together when together they pass."""

    def passes(cell: pd.DataFrame) -> bool:
        m = int(cell[n].sum())
        if m < MIN_N:
            return False
        small = m < 2 * MIN_N
        return not small or not (
            any(int(cell[p].sum()) in (0, m) for p in parts) or any(int(cell[f].sum()) == m for f in full)
        )

    keep, failing = [], []
    for _, cell in rows.groupby(rows["group"].map(cell_of)):
        (keep if passes(cell) else failing).append(cell)
    pooled = pool and failing and passes(pd.concat(failing))
    if response is not None:  # the note: responses in the figure's n that it leaves out or pools
        for cell in failing:
            NOTE["pooled" if pooled else "left_out"].update(cell.loc[cell[n].astype(bool), response])
    if pooled:
        keep += failing
    return pd.concat(keep) if keep else rows.iloc[:0]


def expected_year(sheets: dict[str, pd.DataFrame], cities: set[str] | None = None) -> dict:
    """The ``year`` object for 2026 from the workbook, optionally for some municipalities only."""
    groups = sheets["groepen"].copy()
    groups["city"] = groups["gemeente"].map(city)
    groups["code"] = groups["groep_code"].map(str.strip)
    if cities:
        groups = groups[groups["city"].isin(cities)]
    codes = set(groups["code"])
    cell_of = {
        code: (c, word(v))
        for code, c, v in zip(groups["code"], groups["city"], groups["variant"], strict=True)
    }
    pool = not cities
    NOTE["left_out"].clear()
    NOTE["pooled"].clear()
    matches = sheets["koppelingen"].copy()
    matches["group"] = matches["groep_code"].map(str.strip)
    matches = matches[matches["group"].isin(codes)]
    matches["newcomer"] = matches["nieuwkomer_code"].map(str.strip)
    matches["start"] = matches["gestart_op"].map(day)
    matches["end"] = matches["beeindigd_op"].map(day)
    matches["status"] = matches["status"].map(word)
    assert set(matches["status"]) <= {"actief", "afgerond", "gestopt"} and matches["start"].notna().all()
    newcomers = sheets["nieuwkomers"].copy()
    newcomers["code"] = newcomers["nieuwkomer_code"].map(str.strip)
    household = dict(zip(newcomers["code"], newcomers["huishoudgrootte"].astype(int), strict=True))

    started = matches[matches["start"].map(in_period)]
    completed = matches[(matches["status"] == "afgerond") & matches["end"].map(in_period)]
    stopped = matches[(matches["status"] == "gestopt") & matches["end"].map(in_period)]
    running = matches[(matches["start"] <= LAST) & matches["end"].map(lambda d: d is None or d >= FIRST)]
    reached = set(running["newcomer"])
    members = sheets["leden"].copy()
    members = members[
        members["groep_code"].map(str.strip).isin(set(running["group"]))
        & (members["lid_sinds"].map(day) <= LAST)
    ]

    meetings = sheets["bijeenkomsten"].copy()
    meetings["group"] = meetings["groep_code"].map(str.strip)
    meetings["date"] = meetings["datum"].map(day)
    meetings = meetings[meetings["group"].isin(codes) & meetings["date"].map(in_period)]
    hours = float((meetings["duur_minuten"].astype(int) * meetings["aanwezig_leden"].astype(int)).sum()) / 60
    per_month = Counter(d.strftime("%Y-%m") for d in meetings["date"])
    months = [f"2026-{m:02d}" for m in range(1, 12)]
    group_months = set()
    for m in running.itertuples():
        for month in months:
            month_first = dt.date(2026, int(month[5:]), 1)
            month_last = min(month_first + relativedelta(months=1) - dt.timedelta(days=1), LAST)
            if m.start <= month_last and (m.end is None or m.end >= month_first):
                group_months.add((m.group, month))
    in_gm = sum(
        (g, d.strftime("%Y-%m")) in group_months
        for g, d in zip(meetings["group"], meetings["date"], strict=True)
    )

    # The waiting queue: all newcomers (of the cities), every match of the workbook counts for "matched".
    all_matches = sheets["koppelingen"]
    first_start = {}
    for code, start in zip(
        all_matches["nieuwkomer_code"].map(str.strip), all_matches["gestart_op"].map(day), strict=True
    ):
        if start is not None:
            first_start[code] = min(start, first_start.get(code, start))
    queue = newcomers[newcomers["status"].map(word) != "afgemeld"]
    if cities:
        queue = queue[queue["gemeente"].map(city).isin(cities)]

    def waiting(code, registered, on: dt.date) -> bool:
        return day(registered) <= on and (code not in first_start or first_start[code] > on)

    waiting_end = [
        c for c, r in zip(queue["code"], queue["aangemeld_op"], strict=True) if waiting(c, r, LAST)
    ]
    matched = [c for c in set(started["newcomer"]) if in_period(first_start[c])]
    registered = dict(zip(newcomers["code"], newcomers["aangemeld_op"].map(day), strict=True))
    waits = [(first_start[c] - registered[c]).days for c in matched]
    passed = []
    for c, r, arrival in zip(
        queue["code"], queue["aangemeld_op"], queue["in_nederland_sinds"].map(day), strict=True
    ):
        past = arrival + relativedelta(years=3) + dt.timedelta(days=1)
        if in_period(past) and waiting(c, r, past):
            passed.append(c)

    programme = {
        "matches_started": hide(len(started)),
        "matches_completed": hide(len(completed)),
        "matches_stopped": hide(len(stopped)),
        "stop_reasons": protect_parts(
            dict(
                sorted(
                    Counter(
                        stopped["reden_einde"].map(lambda v: "" if pd.isna(v) else str(v).strip())
                    ).items()
                )
            ),
            MIN_N,
        ),
        "households_reached": hide(len(reached)),
        "people_reached": None if 0 < len(reached) < MIN_N else sum(household[c] for c in reached),
        "volunteers_active": hide(len(members)),
        "meetings": len(meetings),
        "meetings_per_month": {m: per_month.get(m, 0) for m in months},
        "volunteer_hours": round(hours, 1),
        "group_months": len(group_months),
        "meetings_per_group_month": round(in_gm / len(group_months), 2) if group_months else None,
        "newcomers_waiting_at_end": hide(len(waiting_end)),
        "matched_in_period": hide(len(waits)),
        "median_wait_days": float(statistics.median(waits)) if len(waits) >= MIN_N else None,
        "waited_past_three_years": hide(len(passed)),
    }

    surveys = sheets["enquetes"].copy()
    surveys["group"] = surveys["groep_code"].map(str.strip)
    surveys = surveys[surveys["group"].isin(codes)]
    surveys["date"] = surveys["datum"].map(day)
    surveys = surveys[surveys["date"] <= LAST]
    surveys["row"] = surveys.index
    surveys["role"] = surveys["rol"].map(word)
    surveys["wave"] = surveys["meting"].map(word)
    surveys["person"] = surveys["respondent_code"].map(str.strip)
    scored = [scores(row) for _, row in surveys.iterrows()]
    surveys["emotional"] = [s[0] for s in scored]
    surveys["social"] = [s[1] for s in scored]
    surveys["total"] = [s[2] for s in scored]
    surveys["home"] = surveys["thuis_voelen"].map(lambda v: None if pd.isna(v) else int(v))
    surveys["change"] = surveys["eenzaamheid_verandering"].map(lambda v: None if pd.isna(v) else word(v))
    this_year = surveys[surveys["date"] >= FIRST]

    waves = {}
    for wave in WAVES:
        waves[wave] = {}
        for role in ROLES:
            part = this_year[(this_year["wave"] == wave) & (this_year["role"] == role)]
            part = part.assign(
                one=1,
                n_total=part["total"].notna(),
                n_emo=part["emotional"].notna(),
                n_soc=part["social"].notna(),
                n_home=part["home"].notna(),
                k_total=part["total"].map(lambda t: pd.notna(t) and t >= 2),
                k_emo=part["emotional"].map(lambda t: pd.notna(t) and t >= 2),
                k_soc=part["social"].map(lambda t: pd.notna(t) and t >= 2),
                k_home=part["home"].map(lambda h: pd.notna(h) and h >= 4),
                **{b: part["total"].map(lambda t, b=b: pd.notna(t) and band(int(t)) == b) for b in BANDS},
                **{f"h{v}": part["home"] == v for v in range(1, 6)},
            )
            # A wave's figures count only the responses its response count counts (SECURITY.md: else a figure's
            # pool of small cells, minus the count, gives the cells' size).
            responses = counted(part, cell_of, pool, "one", response="row")
            kept = lambda n, ps=(), fs=(), rows=responses: counted(rows, cell_of, pool, n, ps, fs, "row")  # noqa: E731
            total = [int(t) for t in kept("n_total", ["k_total", *BANDS])["total"] if pd.notna(t)]
            emo = [int(e) for e in kept("n_emo", ["k_emo"])["emotional"] if pd.notna(e)]
            soc = [int(s) for s in kept("n_soc", ["k_soc"])["social"] if pd.notna(s)]
            home_rows = kept("n_home", ["k_home"], [f"h{v}" for v in range(1, 6)])
            home = [int(h) for h in home_rows["home"] if pd.notna(h)]
            had = {c: bool(part[c].any()) for c in ("one", "n_total", "n_emo", "n_soc", "n_home")}
            waves[wave][role] = {
                "responses": hide(len(responses), had["one"]),
                "lonely": share_block(sum(t >= 2 for t in total), len(total), had["n_total"]),
                "emotional": share_block(sum(e >= 2 for e in emo), len(emo), had["n_emo"]),
                "social": share_block(sum(s >= 2 for s in soc), len(soc), had["n_soc"]),
                "bands": split_parts(
                    {b: sum(band(t) == b for t in total) for b in BANDS},
                    BANDS[1:],
                    len(total),
                    had["n_total"],
                ),
                "feel_at_home": {
                    **share_block(sum(h >= 4 for h in home), len(home), had["n_home"]),
                    "distribution": split_parts(
                        {str(v): home.count(v) for v in range(1, 6)}, ["4", "5"], len(home), had["n_home"]
                    ),
                    "all_same": len(home) >= MIN_N and len(set(home)) == 1,
                },
            }
    change = {}
    for role in ROLES:
        part = this_year[
            (this_year["wave"] == "eindmeting") & (this_year["role"] == role) & this_year["change"].notna()
        ]
        part = part.assign(one=1, **{a: part["change"] == a for a in ("minder", "gelijk", "meer")})
        had = not part.empty
        part = counted(part, cell_of, pool, "one", ["minder", "gelijk", "meer"], response="row")
        answers = {a: int((part["change"] == a).sum()) for a in ("minder", "gelijk", "meer")}
        less = share_block(answers["minder"], len(part), had)
        change[role] = {
            "n": hide(len(part), had),
            "answers": split_parts(answers, ["minder"], len(part), had),
            "share_less": less["share"],
            "ci_low": less["ci_low"],
            "ci_high": less["ci_high"],
        }
    paired = {role: expected_paired(surveys, role, cell_of, pool) for role in ROLES}
    attrition = {role: expected_attrition(surveys, matches, role, cell_of, pool) for role in ROLES}
    return {
        "programme": programme,
        "survey": {
            "waves": waves,
            "self_reported_change": change,
            "paired": paired,
            "attrition": attrition,
            "left_out": bool(NOTE["left_out"]),
            "pooled": len(NOTE["pooled"] - NOTE["left_out"]),
        },
    }


def change_block(before: list[float], after: list[float], gone: bool = False) -> dict:
    n = len(before)
    if n < MIN_N:
        return {
            "n": hide(n, gone) if n else (None if gone else 0),
            **dict.fromkeys(
                [
                    "baseline_mean",
                    "end_mean",
                    "mean_change",
                    "ci_low",
                    "ci_high",
                    "decreased",
                    "same",
                    "increased",
                    "wilcoxon_p",
                    "sign_p",
                    "all_same",
                ]
            ),
        }
    d = pd.Series(after, dtype=float) - pd.Series(before, dtype=float)
    sd = d.std(ddof=1)
    half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
    down, same, up = int((d < 0).sum()), int((d == 0).sum()), int((d > 0).sum())
    p = stats.wilcoxon(d, zero_method="pratt").pvalue if down + up else math.nan
    sign = stats.binomtest(down, down + up).pvalue if down + up else math.nan
    sig = lambda v: None if math.isnan(v) else float(f"{v:.4g}")  # noqa: E731
    return {
        "n": n,
        "baseline_mean": round(sum(before) / n, 3),
        "end_mean": round(sum(after) / n, 3),
        "mean_change": round(d.mean(), 3),
        "ci_low": round(d.mean() - half, 3),
        "ci_high": round(d.mean() + half, 3),
        **parts({"decreased": down, "same": same, "increased": up}, n),
        "wilcoxon_p": sig(p),
        "sign_p": sig(sign),
        "all_same": bool(sd == 0),
    }


def expected_paired(surveys: pd.DataFrame, role: str, cell_of: dict, pool: bool) -> dict:
    mine = surveys[surveys["role"] == role]
    end = mine[(mine["wave"] == "eindmeting") & (mine["date"] >= FIRST)]
    base = mine[mine["wave"] == "nulmeting"]
    pairs = base.merge(end, on=["person", "group"], suffixes=("_b", "_e"))
    lonely = pairs[pairs["total_b"].notna() & pairs["total_e"].notna()]
    had_lonely = not lonely.empty
    lonely = counted(
        lonely.assign(
            one=1,
            down=lonely["total_e"] < lonely["total_b"],
            same=lonely["total_e"] == lonely["total_b"],
            up=lonely["total_e"] > lonely["total_b"],
            **{
                f"{b}>{e}": (lonely["total_b"].map(band) == b) & (lonely["total_e"].map(band) == e)
                for b in BANDS
                for e in BANDS
            },
        ),
        cell_of,
        pool,
        "one",
        ["down", "same", "up"],
        [f"{b}>{e}" for b in BANDS for e in BANDS],
        "row_e",
    )
    loneliness = change_block(
        list(lonely["total_b"].astype(int)), list(lonely["total_e"].astype(int)), had_lonely
    )
    cells = {
        (b, e): int(((lonely["total_b"].map(band) == b) & (lonely["total_e"].map(band) == e)).sum())
        for b in BANDS
        for e in BANDS
    }
    shown = parts(cells, len(lonely), had_lonely)
    loneliness["bands"] = {b: {e: shown[(b, e)] for e in BANDS} for b in BANDS}
    home = pairs[pairs["home_b"].notna() & pairs["home_e"].notna()]
    had_home = not home.empty
    home = counted(
        home.assign(
            one=1,
            down=home["home_e"] < home["home_b"],
            same=home["home_e"] == home["home_b"],
            up=home["home_e"] > home["home_b"],
            at_home_b=home["home_b"] >= 4,
            at_home_e=home["home_e"] >= 4,
        ),
        cell_of,
        pool,
        "one",
        ["down", "same", "up", "at_home_b", "at_home_e"],
        response="row_e",
    )
    feel = change_block(list(home["home_b"].astype(int)), list(home["home_e"].astype(int)), had_home)
    feel["share_at_home_baseline"] = share_block(int((home["home_b"] >= 4).sum()), len(home))["share"]
    feel["share_at_home_end"] = share_block(int((home["home_e"] >= 4).sum()), len(home))["share"]
    return {"loneliness": loneliness, "feel_at_home": feel}


def expected_attrition(
    surveys: pd.DataFrame, matches: pd.DataFrame, role: str, cell_of: dict, pool: bool
) -> dict:
    mine = surveys[surveys["role"] == role]
    ends = set(
        zip(
            mine.loc[mine["wave"] == "eindmeting", "person"],
            mine.loc[mine["wave"] == "eindmeting", "group"],
            strict=True,
        )
    )
    running = matches[(matches["start"] <= LAST) & matches["end"].map(lambda d: d is None or d >= FIRST)]
    people = []  # (group, what became of them)
    for row in mine[mine["wave"] == "nulmeting"].itertuples():
        if role == "nieuwkomer":
            match = running[(running["newcomer"] == row.person) & (running["group"] == row.group)]
        else:  # every group has one match in the workbook; a member's nulmeting lies just before its start
            match = running[
                (running["group"] == row.group) & (running["start"] <= row.date + dt.timedelta(days=31))
            ]
        if match.empty:
            continue
        m = match.iloc[-1]
        if (row.person, row.group) in ends:
            people.append((row.group, "with_end"))
        elif m["status"] == "gestopt" and m["end"] is not None and m["end"] <= LAST:
            people.append((row.group, "stopped"))
        else:
            year_over = (
                m["end"]
                if m["end"] is not None and m["end"] <= LAST
                else m["start"] + relativedelta(months=12)
            )
            people.append(
                (row.group, "missing" if year_over + dt.timedelta(days=30) <= LAST else "still_running")
            )
    what = ("with_end", "still_running", "stopped", "missing")
    frame = pd.DataFrame(people, columns=["group", "what"])
    frame = frame.assign(one=1, **{w: frame["what"] == w for w in what})
    had = not frame.empty
    frame = counted(frame, cell_of, pool, "one", full=what)
    n = len(frame)
    rest = {k: int(frame[k].sum()) for k in what}
    return {"baseline": hide(n, had), **parts(rest, n, had)}


# ------------------------------------------------------------------------------ the figures


def test_json_has_the_headline_and_the_year(report):
    assert report["as_of"] == "2026-11-15" and "counts" in report and "survey" in report
    year = report["year"]
    assert year["year"] == 2026 and year["period"] == {"from": "2026-01-01", "to": "2026-11-15"}
    assert year["suppressed_below"] == MIN_N and year["filters"] == {"municipalities": [], "variants": []}


def test_programme_figures(report, workbook_sheets):
    expected = expected_year(workbook_sheets)["programme"]
    got = report["year"]["programme"]
    assert got == expected
    # Figures really exercised: the workbook has stops in 2026 (hidden, fewer than 5) and a waiting queue.
    assert (
        got["matches_started"] > 0
        and got["newcomers_waiting_at_end"] > 0
        and got["households_reached"] >= MIN_N
    )


@pytest.mark.parametrize(
    "section", ["waves", "self_reported_change", "paired", "attrition", "left_out", "pooled"]
)
def test_survey_figures(report, workbook_sheets, section):
    expected = expected_year(workbook_sheets)["survey"][section]
    assert {"left_out", "pooled"} < report["year"]["survey"].keys()
    assert report["year"]["survey"][section] == expected


def test_issue_findings_are_visible(report):
    """The oddities the issue found show up as such (every member +1 on feeling at home: zero-width
    interval flagged; newcomers and members never pooled)."""
    paired = report["year"]["survey"]["paired"]
    assert paired["lid"]["feel_at_home"]["all_same"] is True
    assert paired["lid"]["feel_at_home"]["ci_low"] == paired["lid"]["feel_at_home"]["ci_high"]
    assert set(report["year"]["survey"]["self_reported_change"]) == {"nieuwkomer", "lid"}


def test_one_municipality(almere, workbook_sheets):
    expected = expected_year(workbook_sheets, {"Almere"})
    year = almere["year"]
    assert year["filters"]["municipalities"] == ["Almere"]
    assert "counts" not in almere  # programme-wide headline figures stay out of a municipality's report
    assert year["programme"] == expected["programme"]
    assert year["survey"] == expected["survey"]


def test_unknown_municipality_is_refused(cli_store):
    done = run_cli("report", "--year", "2026", "--municipality", "Atlantis", env=cli_store)
    assert done.returncode == 1
    assert "Atlantis" in done.stderr and "Almere" in done.stderr


def test_municipality_without_groups_gives_zeros_and_a_document(cli_store, tmp_path):
    """Amsterdam is a known municipality without groups in the workbook: zeros, nothing suppressed, a PDF."""
    done = run_cli(
        "report", "--year", "2026", "--municipality", "Amsterdam", "--format", "json", env=cli_store
    )
    assert done.returncode == 0, done.stderr
    programme = json.loads(done.stdout)["year"]["programme"]
    assert (
        programme["households_reached"] == 0
        and programme["meetings"] == 0
        and programme["median_wait_days"] is None
    )
    done = run_cli(
        "report",
        "--year",
        "2026",
        "--municipality",
        "Amsterdam",
        "--format",
        "pdf",
        "--output",
        str(tmp_path / "a.pdf"),
        env=cli_store,
    )
    assert done.returncode == 0, done.stderr


def test_year_not_begun_is_refused(cli_store):
    done = run_cli("report", "--year", "2027", "--format", "json", env=cli_store)
    assert done.returncode == 1 and "2027" in done.stderr


# ------------------------------------------------------------------------------ suppression by hand


def test_protect_parts_by_hand():
    # 3 is below 5: hidden; alone it could be recovered from the total, so the smallest other (10) goes too.
    assert protect_parts({"a": 3, "b": 10, "c": 20}, 5) == {"a": None, "b": None, "c": 20}
    # two small parts together count 7 >= 5: enough.
    assert protect_parts({"a": 3, "b": 4, "c": 20}, 5) == {"a": None, "b": None, "c": 20}
    # 1 + 1 = 2 < 5, then + 2 = 4 < 5, then everything.
    assert protect_parts({"a": 1, "b": 1, "c": 2, "d": 30}, 5) == dict.fromkeys("abcd")
    # zeros describe nobody and are never a complement; nothing small, nothing hidden.
    assert protect_parts({"a": 0, "b": 3, "c": 9}, 5) == {"a": 0, "b": None, "c": None}
    assert protect_parts({"a": 0, "b": 12}, 5) == {"a": 0, "b": 12}


# ------------------------------------------------------------------------------ documents


def headline(report: dict) -> list[str]:
    """The headline figures as the Dutch documents print them (thousands '.', decimal ',')."""
    p = report["year"]["programme"]
    hours = f"{p['volunteer_hours']:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return [
        str(p["matches_started"]),
        str(p["households_reached"]),
        str(p["people_reached"]),
        str(p["volunteers_active"]),
        str(p["meetings"]),
        hours,
    ]


def test_docx_reads_back(cli_store, report, tmp_path):
    from docx import Document

    target = tmp_path / "jaarverslag.docx"
    done = run_cli("report", "--year", "2026", "--format", "docx", "--output", str(target), env=cli_store)
    assert done.returncode == 0, done.stderr
    document = Document(str(target))
    first_table = document.tables[0]
    assert [c.text for c in first_table.rows[0].cells] == headline(report)
    text = "\n".join(p.text for p in document.paragraphs)
    assert (
        "Jaarverslag Samen Hier 2026" in text
        and "minstens zo groot" in text
        and "regressie naar het gemiddelde" in text
    )
    assert len(document.inline_shapes) >= 1  # the charts
    assert document.paragraphs[0].style.name == "Title"  # built on the template's styles
    assert "year." not in text  # no missing translation key


def test_pdf_reads_back(cli_store, report, tmp_path):
    from pypdf import PdfReader

    target = tmp_path / "jaarverslag.pdf"
    done = run_cli("report", "--year", "2026", "--format", "pdf", "--output", str(target), env=cli_store)
    assert done.returncode == 0, done.stderr
    reader = PdfReader(str(target))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Jaarverslag Samen Hier 2026" in text
    first_page = reader.pages[0].extract_text()
    for value in headline(report):
        assert value in first_page
    assert sum(len(page.images) for page in reader.pages) >= 1
    assert "Wilcoxon" in text and "GGD" in text


def test_pdf_in_english(cli_store, tmp_path):
    from pypdf import PdfReader

    target = tmp_path / "report.pdf"
    done = run_cli(
        "report", "--year", "2026", "--format", "pdf", "--lang", "en", "--output", str(target), env=cli_store
    )
    assert done.returncode == 0, done.stderr
    text = PdfReader(str(target)).pages[0].extract_text()
    assert "Samen Hier annual report 2026" in text and "Households reached" in text


def test_xlsx_has_every_table_on_its_own_sheet(cli_store, report, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "jaarverslag.xlsx"
    done = run_cli("report", "--year", "2026", "--format", "xlsx", "--output", str(target), env=cli_store)
    assert done.returncode == 0, done.stderr
    book = load_workbook(target)
    for sheet in (
        "programma",
        "eenzaamheid_nieuwkomer",
        "eenzaamheid_lid",
        "banden_nieuwkomer",
        "zelf_gerapporteerd",
        "voor_na_nieuwkomer",
        "voor_na_lid",
        "banden_voor_na_lid",
        "uitval",
        "toelichting",
    ):
        assert sheet in book.sheetnames
    rows = {r[0]: r[1] for r in book["programma"].iter_rows(min_row=3, values_only=True)}
    assert rows["Koppelingen gestart"] == report["year"]["programme"]["matches_started"]
    assert rows["Koppelingen gestopt"] == "x"  # suppressed, not a number (CBS's mark for a secret figure)
    lid = list(book["eenzaamheid_lid"].iter_rows(min_row=3, values_only=True))
    assert lid[0][3] == report["year"]["survey"]["waves"]["nulmeting"]["lid"]["lonely"]["share"]


def test_text_report(cli_store, report):
    done = run_cli("report", "--year", "2026", env=cli_store)
    assert done.returncode == 0, done.stderr
    assert (
        "Jaarverslag Samen Hier 2026" in done.stdout and "1 januari 2026 t/m 15 november 2026" in done.stdout
    )
    assert "Kanttekeningen" in done.stdout and "11-itemschaal" in done.stdout


def test_formats_other_than_text_and_json_need_a_year(cli_store):
    done = run_cli("report", "--format", "pdf", env=cli_store)
    assert done.returncode == 2 and "--year" in done.stderr


@pytest.mark.both_backends
def test_year_figures_on_both_backends(imported_engine, workbook_sheets):
    """The query itself, on SQLite and on PostgreSQL, gives the workbook's figures (dates come back as dates)."""
    from samenhier.queries.year_report import year_figures
    from samenhier.scope import Scope

    figures = year_figures(imported_engine, Scope.coordinator(), year=2026, as_of=AS_OF)
    expected = expected_year(workbook_sheets)
    assert figures["programme"] == expected["programme"]
    assert figures["survey"] == expected["survey"]


def test_word_uses_a_restyled_template(cli_store, tmp_path):
    """A coordinator's own copy of the template (header text, Title colour changed in Word) is used when
    SAMENHIER_REPORT_TEMPLATE points at it; a missing template is named in the error."""
    from docx import Document
    from docx.shared import RGBColor

    from samenhier.reports.render import TEMPLATE

    own = Document(str(TEMPLATE))
    own.sections[0].header.paragraphs[0].text = "Gemeente Almere — subsidieverantwoording"
    own.styles["Title"].font.color.rgb = RGBColor(0xAA, 0x00, 0x00)
    own.add_paragraph("Voorwoord van de coördinator.")
    template = tmp_path / "mijn-sjabloon.docx"
    own.save(str(template))
    target = tmp_path / "verslag.docx"
    env = {**cli_store, "SAMENHIER_REPORT_TEMPLATE": str(template)}
    done = run_cli("report", "--year", "2026", "--format", "docx", "--output", str(target), env=env)
    assert done.returncode == 0, done.stderr
    document = Document(str(target))
    assert document.sections[0].header.paragraphs[0].text == "Gemeente Almere — subsidieverantwoording"
    assert document.styles["Title"].font.color.rgb == RGBColor(0xAA, 0x00, 0x00)
    assert (
        document.paragraphs[0].text == "Voorwoord van de coördinator."
    )  # the template's own text comes first
    assert document.paragraphs[1].text == "Jaarverslag Samen Hier 2026"
    missing = run_cli(
        "report",
        "--year",
        "2026",
        "--format",
        "docx",
        "--output",
        str(target),
        env={**cli_store, "SAMENHIER_REPORT_TEMPLATE": str(tmp_path / "weg.docx")},
    )
    assert missing.returncode == 1 and "weg.docx" in missing.stderr


def test_a_municipality_coordinator_gets_their_municipality_only(imported_engine, workbook_sheets):
    """A Rotterdam coordinator (issue 16) gets Rotterdam's figures, waiting queue included, whatever the filters."""
    from samenhier.queries.year_report import year_figures
    from samenhier.scope import Filters, Scope

    rotterdam = Scope.coordinator("rina", municipalities=("Rotterdam",))
    expected = expected_year(workbook_sheets, {"Rotterdam"})
    for filters in (Filters(), Filters(municipalities=("Rotterdam", "Almere"))):
        figures = year_figures(imported_engine, rotterdam, year=2026, as_of=AS_OF, filters=filters)
        assert figures["programme"] == expected["programme"]
        assert figures["survey"] == expected["survey"]


def test_the_report_says_that_responses_are_left_out_or_pooled(report, almere, workbook_sheets):
    """Almere's report leaves out the responses of its small cells (by this test's own cell rule) and says so,
    without saying how many; the all-cities report says how many count only in the pool; both languages."""
    from samenhier.reports import content

    mine = expected_year(workbook_sheets, {"Almere"})["survey"]
    everything = expected_year(workbook_sheets)["survey"]
    assert mine["left_out"] is True and mine["pooled"] == 0 and everything["pooled"] >= MIN_N

    def notes(figures, lang, words):
        blocks = content.build(figures, lang, charts=False).blocks
        return [b.text for b in blocks if isinstance(b, content.Paragraph) and words in b.text]

    nl = notes(almere["year"], "nl", "Niet alle antwoorden van dit jaar tellen mee in de enquêtecijfers")
    en = notes(almere["year"], "en", "Not every response of this year is counted in the survey figures")
    assert len(nl) == len(en) == 1
    assert "tellen alleen samen mee" not in nl[0] and "nobody can be recognised" in en[0]
    assert not any(ch.isdigit() for ch in nl[0])  # how many were left out is not said
    pooled = notes(report["year"], "en", "count only together")
    assert len(pooled) == 1 and f"{everything['pooled']} responses from small sets of groups" in pooled[0]
    assert content.coverage_note({"left_out": False, "pooled": 0}, "nl") is None
