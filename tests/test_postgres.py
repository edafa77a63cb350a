"""PostgreSQL as the store for several coordinators: what is specific to it beyond the storage and service
tests that run on both databases (``both_backends`` in tests/conftest.py).

- Every query gives exactly the frame on PostgreSQL that it gives on SQLite (same workbook imported in
  both): values, column order and dtypes — the pages draw them without knowing the database.
- ``python -m samenhier init-db`` creates the schema in an empty PostgreSQL database; two started at once
  both succeed (the migration holds the write lock).
- The national demo's bulk insert leaves PostgreSQL's id sequences ready for the next record.

Skipped, with the reason, when PostgreSQL is not installed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil

import pandas as pd
import pytest
from alembic.script import ScriptDirectory
from cli_helpers import cli_env, run_cli, start_cli
from sqlalchemy import inspect, text
from sqlmodel import Session, SQLModel, select

from samenhier.db import MIGRATIONS_DIR, database_url, make_engine
from samenhier.demo_national import NationalSize, load_national
from samenhier.models import CommunityBuilder, WelcomeGroup
from samenhier.queries import audit, groups, matching, meetings, progress, records, report, surveys
from samenhier.scope import Filters, Scope
from samenhier.services import records as record_services

AS_OF = dt.date(2026, 11, 15)
COORDINATOR = Scope.coordinator("coordinator")
BUILDER = "Leyla Aydın"  # guides 18 groups in Rotterdam in the workbook
GROUP_ID = 5  # ids are given in import order, the same in both stores

# ---------------------------------------------------------------------------------- the same answers


@pytest.fixture(scope="module")
def stores(tmp_path_factory, _imported_template, _pg_imported_template, postgres_server):
    """(SQLite engine, PostgreSQL engine), each on its own copy of the imported workbook (read only here)."""
    path = tmp_path_factory.mktemp("both") / "sqlite.db"
    shutil.copy(_imported_template, path)
    sqlite = make_engine(f"sqlite:///{path}")
    postgres = make_engine(postgres_server.create_database("same_answers", template=_pg_imported_template))
    yield sqlite, postgres
    sqlite.dispose()
    postgres.dispose()
    postgres_server.drop_database("same_answers")


def _builder_scope(engine) -> Scope:
    with Session(engine) as session:
        builder_id = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == BUILDER)).one().id
    return Scope.community_builder("leyla", builder_id)


F = Filters()
QUERIES = {
    "group_overview": lambda e, s: groups.group_overview(e, s, F, as_of=AS_OF),
    "group_overview_filtered": lambda e, s: groups.group_overview(
        e, s, Filters(municipalities=("Rotterdam",)), as_of=AS_OF
    ),
    "kpis": lambda e, s: groups.kpis(e, s, F, as_of=AS_OF),
    "group_detail": lambda e, s: groups.group_detail(e, COORDINATOR, "0599-013"),
    "waiting_newcomers": lambda e, s: matching.waiting_newcomers(
        e, COORDINATOR, F, as_of=AS_OF, municipality="Den Haag"
    ),
    "waiting_groups": lambda e, s: matching.waiting_groups(e, s, F, as_of=AS_OF, municipality="Rotterdam"),
    "proposable_groups": lambda e, s: matching.proposable_groups(
        e, COORDINATOR, F, as_of=AS_OF, municipality="Haarlem"
    ),
    "queue_summary": lambda e, s: matching.queue_summary(e, s, F, as_of=AS_OF),
    "open_matches": lambda e, s: matching.open_matches(e, s, F),
    "suggestions": lambda e, s: matching.suggestions(e, COORDINATOR, F, as_of=AS_OF, municipality="Den Haag"),
    "funnel": lambda e, s: matching.funnel(e, s, F, start=dt.date(2024, 11, 15), end=AS_OF, as_of=AS_OF),
    "week_heatmap": lambda e, s: meetings.week_heatmap(e, s, F, year=2026),
    "monthly_counts": lambda e, s: meetings.monthly_counts(e, s, F, year=2025, as_of=AS_OF),
    "programme_heatmap": lambda e, s: meetings.programme_heatmap(e, s, F, year=2025, as_of=AS_OF),
    "programme_monthly_counts": lambda e, s: meetings.programme_monthly_counts(
        e, s, F, year=2025, as_of=AS_OF
    ),
    "meeting_years": lambda e, s: meetings.meeting_years(e, s, F, as_of=AS_OF),
    "cadence": lambda e, s: meetings.cadence(e, s, F, as_of=AS_OF),
    "loggable_groups": lambda e, s: meetings.loggable_groups(e, s, F),
    "group_meetings": lambda e, s: meetings.group_meetings(e, COORDINATOR, GROUP_ID),
    "group_progress": lambda e, s: progress.group_progress(e, s, F, as_of=AS_OF),
    "meeting_cadence": lambda e, s: progress.meeting_cadence(e, COORDINATOR, GROUP_ID, as_of=AS_OF),
    "group_members": lambda e, s: progress.group_members(e, COORDINATOR, GROUP_ID),
    "groups_table": lambda e, s: records.groups_table(e, COORDINATOR, F),
    "members_table": lambda e, s: records.members_table(e, COORDINATOR, F),
    "newcomers_table": lambda e, s: records.newcomers_table(e, COORDINATOR, F),
    "builders_table": lambda e, s: records.builders_table(e, COORDINATOR),
    "group_record": lambda e, s: records.group_record(e, COORDINATOR, GROUP_ID),
    "survey_cohorts": lambda e, s: surveys.survey_cohorts(e, s, F),
    "response_rates": lambda e, s: surveys.response_rates(e, s, F, as_of=AS_OF),
    "loneliness_by_wave": lambda e, s: surveys.loneliness_by_wave(e, s, F, as_of=AS_OF),
    "paired_changes": lambda e, s: surveys.paired_changes(e, s, F, as_of=AS_OF),
    "end_of_year": lambda e, s: surveys.end_of_year(e, s, F, as_of=AS_OF),
    "respondents": lambda e, s: surveys.respondents(e, COORDINATOR, GROUP_ID),
    "headline_report": lambda e, s: report.headline_report(e, AS_OF),
    # the moments differ (each store was imported at its own time): compare everything else
    "audit_events": lambda e, s: audit.audit_events(e, COORDINATOR).events.drop(columns=["at"]),
}


def _parts(value, name: str) -> dict:
    """A query's answer split into comparable parts: frames, and the fields of dataclasses / named tuples."""
    if dataclasses.is_dataclass(value):
        return {
            k: v
            for f in dataclasses.fields(value)
            for k, v in _parts(getattr(value, f.name), f"{name}.{f.name}").items()
        }
    if hasattr(value, "_asdict"):
        return {k: v for field, x in value._asdict().items() for k, v in _parts(x, f"{name}.{field}").items()}
    return {name: value}


@pytest.mark.parametrize("role", ["coordinator", "community_builder"])
@pytest.mark.parametrize("name", list(QUERIES))
def test_every_query_answers_the_same_on_postgresql_as_on_sqlite(stores, name, role):
    sqlite, postgres = stores
    on_sqlite = _parts(
        QUERIES[name](sqlite, COORDINATOR if role == "coordinator" else _builder_scope(sqlite)), name
    )
    on_postgres = _parts(
        QUERIES[name](postgres, COORDINATOR if role == "coordinator" else _builder_scope(postgres)), name
    )
    assert on_sqlite.keys() == on_postgres.keys()
    for part, expected in on_sqlite.items():
        if isinstance(expected, pd.DataFrame):
            assert not expected.empty or name in ("proposable_groups", "suggestions"), (
                f"{part}: nothing to compare"
            )
            pd.testing.assert_frame_equal(on_postgres[part], expected, check_dtype=True, obj=part)
        else:
            assert on_postgres[part] == expected, part


def test_audit_moments_are_time_zone_aware_on_both(stores):
    for engine in stores:
        at = audit.audit_events(engine, COORDINATOR).events["at"]
        assert len(at) and str(at.dt.tz) == "Europe/Amsterdam", engine.dialect.name


# ---------------------------------------------------------------------------------- the command line


def _head() -> str:
    [head] = ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()
    return head


def test_init_db_twice_at_once_on_an_empty_postgresql_database(postgres_server):
    """Two processes (say the app and `init-db`) migrating one empty database at the same moment: both
    succeed, the schema is built once (the migration holds the write lock, the second finds it done)."""
    url = postgres_server.create_database("init_twice")
    try:
        env = cli_env(url)
        first, second = start_cli("init-db", env=env), start_cli("init-db", env=env)
        outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in (first, second)]
        assert [code for code, _ in outcomes] == [0, 0], outcomes
        engine = make_engine(url)
        with engine.connect() as c:
            assert set(inspect(c).get_table_names()) == set(SQLModel.metadata.tables) | {"alembic_version"}
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [_head()]
        engine.dispose()
        again = run_cli("init-db", env=env)
        assert again.returncode == 0, again.stderr
    finally:
        postgres_server.drop_database("init_twice")


def test_a_postgresql_url_is_used_as_given():
    url = "postgresql+psycopg://samenhier:geheim%21@db.example.org:5433/samenhier"
    assert database_url(url) == url


# ---------------------------------------------------------------------------------- bulk demo data


@pytest.mark.both_backends
def test_after_the_national_demo_the_app_can_add_records(engine):
    """The national demo writes rows with their own ids; a group made afterwards gets the next id."""
    size = NationalSize(
        municipalities=2, groups=6, newcomers=8, waiting_newcomers=2, meetings_per_year=4, years=2
    )
    counts = load_national(engine, AS_OF, seed=1, size=size)
    assert counts["welcome_group"] == 6
    saved = record_services.create_group(
        engine,
        Scope.coordinator("anna"),
        values=dict(
            code="",
            name="Na de demo",
            municipality="Den Haag",
            variant="statushouders",
            status="werving",
            community_builder_id=None,
            signup_date=dt.date(2026, 11, 1),
            training_completed_date=None,
            notes="",
        ),
    )
    assert saved.id == 7  # six demo groups with ids 1..6
    with Session(engine) as session:
        assert session.get(WelcomeGroup, 7).name == "Na de demo"
