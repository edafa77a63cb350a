"""Shared fixtures: a migrated temporary store per test, the shared workbook, a fixed clock.

The store is a SQLite file. Tests marked ``both_backends`` (the storage and service tests) run twice:
on SQLite and on PostgreSQL, a database of their own on a throwaway server that the session starts
on 127.0.0.1 (tests/pg_server.py); their PostgreSQL runs are skipped, with the reason, when
PostgreSQL is not installed. Run only those with ``pytest -m both_backends -k postgresql``.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sample_data import require_workbook
from sqlalchemy import inspect

from samenhier.db import get_engine, make_engine, migrate
from samenhier.settings import get_settings

AS_OF = "2026-11-15"
"""The as-of date the workbook's figures are checked for (its last meeting is on this day)."""


BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "both_backends: run the test on SQLite and on PostgreSQL (see tests/conftest.py)"
    )


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_backends"):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """The store's database: ``sqlite``, or for tests marked ``both_backends`` also ``postgresql``."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server():
    """A throwaway PostgreSQL server for this test session (skips the test when PostgreSQL is not installed)."""
    from tests.pg_server import PostgresServer, unavailable_reason

    if reason := unavailable_reason():
        pytest.skip(reason)
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _pg_migrated_template(postgres_server) -> str:
    """Name of a PostgreSQL database migrated to the newest schema, copied for each test."""
    engine = make_engine(postgres_server.create_database("template_migrated"))
    migrate(engine)
    engine.dispose()
    return "template_migrated"


@pytest.fixture(scope="session")
def _pg_imported_template(postgres_server, _pg_migrated_template, workbook_path) -> str:
    """Name of a PostgreSQL database with the shared workbook imported, copied for each test."""
    from samenhier.io.workbook import import_paths

    engine = make_engine(postgres_server.create_database("template_imported", template=_pg_migrated_template))
    import_paths(engine, [workbook_path], username="test")
    engine.dispose()
    return "template_imported"


_pg_names = itertools.count(1)


def _pg_database(request, template_fixture: str) -> str:
    """URL of a new PostgreSQL database copied from the template of ``template_fixture``, dropped after the test."""
    server = request.getfixturevalue("postgres_server")
    template = request.getfixturevalue(template_fixture)
    name = f"test_{next(_pg_names)}"
    url = server.create_database(name, template=template)
    request.addfinalizer(lambda: server.drop_database(name))
    return url


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def db_url(request, backend, tmp_path, monkeypatch) -> str:
    """URL of a fresh, migrated store for this test (a SQLite file, or a PostgreSQL database when
    ``backend`` is ``postgresql``); also set as SAMENHIER_DATABASE_URL."""
    # A test that asks for the workbook gets a copy of a store it was imported into once per session.
    imported = not WORKBOOK_FIXTURES.isdisjoint(request.fixturenames)
    if backend == "postgresql":
        url = _pg_database(request, "_pg_imported_template" if imported else "_pg_migrated_template")
    else:
        path = tmp_path / "samenhier.db"
        shutil.copy(request.getfixturevalue("_imported_template" if imported else "_migrated_template"), path)
        url = f"sqlite:///{path}"
    monkeypatch.setenv("SAMENHIER_DATABASE_URL", url)
    return url


@pytest.fixture
def engine(db_url):
    """An engine on the test's own store (migrated, empty)."""
    engine = get_engine(db_url)
    yield engine
    engine.dispose()
    get_engine.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_streamlit_caches():
    """Every test starts and ends with empty st.cache_data / st.cache_resource (AppTest shares them per process)."""
    from apptest_helpers import clear_streamlit_caches

    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


@pytest.fixture(autouse=True)
def _test_settings(monkeypatch):
    """A fixed clock, no login delay, and settings re-read for every test; a developer's ``.env`` file is not read
    (tests/test_settings_sources.py tests that it would be)."""
    monkeypatch.setattr("samenhier.settings.env_files", lambda: ())
    monkeypatch.setenv("SAMENHIER_TODAY", AS_OF)
    monkeypatch.setenv("SAMENHIER_LOGIN_FAILURE_DELAY_SECONDS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def workbook_path() -> Path:
    try:
        return require_workbook()
    except FileNotFoundError as missing:
        pytest.fail(str(missing))


WORKBOOK_FIXTURES = frozenset({"workbook_engine", "surveyed_engine"})
"""Fixtures whose store starts with the shared workbook imported (``db_url`` copies it from a template)."""


@pytest.fixture
def workbook_engine(engine):
    """A store with the shared workbook imported (by ``import_paths``, as user "test"; see ``db_url``)."""
    return engine


# --------------------------------------------------------------------------- shared by the data-layer tests


@pytest.fixture(scope="session")
def workbook_sheets(workbook_path) -> dict[str, pd.DataFrame]:
    """The workbook as the *tests* read it (plain pandas, independent of samenhier.io), fully empty rows dropped.

    Expected figures are computed from these frames; never modify them (copy first).
    """
    sheets = pd.read_excel(workbook_path, sheet_name=None, dtype=object, engine="openpyxl")
    return {name: frame.dropna(how="all") for name, frame in sheets.items()}


@pytest.fixture(scope="session")
def _workbook_frames(workbook_path) -> dict[str, pd.DataFrame]:
    from samenhier.io.workbook import read_workbook

    return read_workbook(workbook_path)


@pytest.fixture
def workbook_frames(_workbook_frames) -> dict[str, pd.DataFrame]:
    """A private copy of the workbook's raw frames (samenhier.io.workbook.read_workbook), safe to alter."""
    return {name: frame.copy(deep=True) for name, frame in _workbook_frames.items()}


@pytest.fixture(scope="session")
def _imported_template(_migrated_template, workbook_path, tmp_path_factory) -> Path:
    """A store file with the shared workbook imported once per session (copied for each test)."""
    from samenhier.io.workbook import import_paths

    path = tmp_path_factory.mktemp("imported") / "imported.db"
    shutil.copy(_migrated_template, path)
    engine = make_engine(f"sqlite:///{path}")
    import_paths(engine, [workbook_path], username="test")
    engine.dispose()
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


@pytest.fixture
def imported_engine(request, backend, tmp_path, monkeypatch):
    """Like ``workbook_engine`` (a store with the workbook imported) but copied from a template: fast."""
    if backend == "postgresql":
        url = _pg_database(request, "_pg_imported_template")
    else:
        path = tmp_path / "imported.db"
        shutil.copy(request.getfixturevalue("_imported_template"), path)
        url = f"sqlite:///{path}"
    monkeypatch.setenv("SAMENHIER_DATABASE_URL", url)
    engine = get_engine(url)
    yield engine
    engine.dispose()
    get_engine.cache_clear()


def dump_tables(engine) -> dict[str, list[tuple]]:
    """Every row of every table (alembic_version included), ordered, for before/after comparisons."""
    with engine.connect() as connection:
        names = sorted(inspect(connection).get_table_names())
        return {
            name: connection.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY 1').fetchall()
            for name in names
        }


@pytest.fixture(name="dump_tables")
def _dump_tables_fixture():
    """:func:`dump_tables` as a fixture, so test modules need not import conftest."""
    return dump_tables
