"""The benchmark's own store (demo or national scale, with its two accounts) and the timed import into a copy."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import time
from pathlib import Path

BENCH_PASSWORD = "bench-lang-genoeg-wachtwoord"  # passes the password-strength rule (zxcvbn)
"""Password of the benchmark's accounts (a throwaway store: the browser timing logs in with it)."""


def build_store(url: str, scale: str, as_of: dt.date, *, seed: int = 7) -> tuple[dict[str, int], bool]:
    """Fill the (empty) store at ``url`` with the demo or national data; returns rows per table and
    whether it was filled now (a store that already holds groups is used as it is)."""
    from samenhier.db import get_engine
    from samenhier.models import WelcomeGroup
    from samenhier.queries.common import count_rows

    engine = get_engine(url)
    built = not count_rows(engine, WelcomeGroup)
    if built:
        if scale == "national":
            from samenhier.demo_national import load_national

            load_national(engine, as_of, seed=seed)
        else:
            from samenhier.demo import load_demo

            load_demo(engine, as_of, seed=seed)
    from samenhier.models import Match, Meeting, Member, Newcomer, SurveyResponse, WelcomeGroup
    from samenhier.queries.common import count_rows

    tables = (WelcomeGroup, Member, Newcomer, Match, Meeting, SurveyResponse)
    return {t.__tablename__: count_rows(engine, t) for t in tables}, built


def bench_scopes(url: str):
    """A coordinator and a community builder (the builder guiding the most groups), with accounts in the
    store so that the app shows its pages (without any account it shows the first-run setup)."""
    from samenhier.db import get_engine
    from samenhier.scope import Scope
    from samenhier.services.users import count_users, create_user

    engine = get_engine(url)
    with engine.connect() as connection:
        builder_id, builder_name = connection.exec_driver_sql(
            "SELECT b.id, b.name FROM community_builder b JOIN welcome_group g ON g.community_builder_id = b.id "
            "GROUP BY b.id ORDER BY count(*) DESC, b.id LIMIT 1"
        ).one()
        taken = {r[0] for r in connection.exec_driver_sql("SELECT username FROM user_account")}
    if not count_users(engine) or "bench-coordinator" not in taken:
        create_user(engine, "bench-coordinator", BENCH_PASSWORD, "coordinator", actor="bench")
    if "bench-builder" not in taken:
        create_user(
            engine,
            "bench-builder",
            BENCH_PASSWORD,
            "community_builder",
            community_builder=builder_name,
            actor="bench",
        )
    return Scope.coordinator("bench-coordinator"), Scope.community_builder("bench-builder", builder_id)


def builder_group(url: str, builder) -> str:
    """The code of the first group (by code) that the community builder of ``builder`` guides."""
    from samenhier.db import get_engine

    with get_engine(url).connect() as connection:
        return connection.exec_driver_sql(
            "SELECT code FROM welcome_group WHERE community_builder_id = ? ORDER BY code LIMIT 1",
            (builder.community_builder_id,),
        ).scalar_one()


def meetings_import_frame(url: str, rows: int, as_of: dt.date, *, seed: int = 11):
    """``rows`` meetings in the workbook's ``bijeenkomsten`` layout, as a Dutch Excel CSV has them (text
    cells, dates ``dd-mm-jjjj``), for groups of the store with a started match, dated in the last year."""
    import pandas as pd

    from samenhier.db import get_engine
    from samenhier.models import MeetingKind

    rng = random.Random(seed)
    with get_engine(url).connect() as connection:
        codes = [
            r[0]
            for r in connection.exec_driver_sql(
                "SELECT DISTINCT g.code FROM welcome_group g JOIN match m ON m.group_id = g.id "
                "WHERE m.started_date IS NOT NULL ORDER BY g.code"
            )
        ]
    kinds = [k.value for k in MeetingKind]
    records = []
    for _ in range(rows):
        day = as_of - dt.timedelta(days=rng.randint(0, 364))
        records.append(
            {
                "groep_code": rng.choice(codes),
                "datum": day.strftime("%d-%m-%Y"),
                "soort": rng.choice(kinds),
                "duur_minuten": str(rng.choice([45, 60, 90, 120])),
                "aanwezig_leden": str(rng.randint(1, 3)),
                "aanwezig_nieuwkomers": "1",
                "notitie": rng.choice(["", "koffie", "wandeling", "taalles"]),
            }
        )
    return pd.DataFrame(records, dtype=object)


def time_import(url: str, rows: int, as_of: dt.date, folder: Path) -> tuple[float, str]:
    """Seconds to import ``rows`` meetings (a Dutch Excel CSV file through ``import_paths``) into a copy of the
    store at ``url``, and what was imported how (new / changed / unchanged, or why it was refused)."""
    from sqlalchemy.engine import make_url

    from samenhier.db import get_engine
    from samenhier.io.workbook import ImportFailed, import_paths

    copy = folder / "import-copy.db"
    source, target = sqlite3.connect(make_url(url).database), sqlite3.connect(copy)
    try:
        source.backup(target)  # a consistent copy, WAL included
    finally:
        source.close()
        target.close()
    engine = get_engine(f"sqlite:///{copy}")
    csv = folder / "bijeenkomsten.csv"
    meetings_import_frame(url, rows, as_of).to_csv(csv, sep=";", index=False, encoding="utf-8-sig")
    method = f"CSV file of {rows:,} meetings via import_paths"
    started = time.perf_counter()
    try:
        result = import_paths(engine, [csv], username="bench")
    except ImportFailed as failed:
        method += f" — REFUSED: {failed.issues[0].describe('en')}"
    else:
        summary = result.sheets[-1]
        method += f" ({summary.new:,} new, {summary.changed:,} changed, {summary.unchanged:,} unchanged)"
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, method
