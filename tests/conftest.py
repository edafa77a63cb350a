"""Shared fixtures: a migrated temporary SQLite store per test, the shared workbook, a fixed clock."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from samenhier import PROJECT_ROOT
from samenhier.db import get_engine, make_engine, migrate
from samenhier.settings import get_settings

WORKBOOK = PROJECT_ROOT.parent / "shared" / "data" / "samenhier-voorbeeld.xlsx"
"""The coordinator's workbook, as shipped beside the project (never edited)."""
AS_OF = "2026-11-15"
"""The as-of date the workbook's figures are checked for (its last meeting is on this day)."""


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    engine.dispose()
    return path


@pytest.fixture
def db_url(tmp_path, _migrated_template, monkeypatch) -> str:
    """URL of a fresh, migrated SQLite file for this test; also set as SAMENHIER_DATABASE_URL."""
    path = tmp_path / "samenhier.db"
    shutil.copy(_migrated_template, path)
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
    """A fixed clock, no login delay, and settings re-read for every test."""
    monkeypatch.setenv("SAMENHIER_TODAY", AS_OF)
    monkeypatch.setenv("SAMENHIER_LOGIN_FAILURE_DELAY_SECONDS", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def workbook_path() -> Path:
    if not WORKBOOK.is_file():
        pytest.fail(f"the shared workbook is missing at {WORKBOOK}")
    return WORKBOOK


@pytest.fixture
def workbook_engine(engine, workbook_path):
    """A store with the shared workbook imported."""
    from samenhier.io.workbook import import_paths

    import_paths(engine, [workbook_path], username="test")
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
def imported_engine(tmp_path, _imported_template, monkeypatch):
    """Like ``workbook_engine`` (a store with the workbook imported) but copied from a template: fast."""
    path = tmp_path / "imported.db"
    shutil.copy(_imported_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("SAMENHIER_DATABASE_URL", url)
    engine = get_engine(url)
    yield engine
    engine.dispose()
    get_engine.cache_clear()


def dump_tables(engine) -> dict[str, list[tuple]]:
    """Every row of every table (alembic_version included), ordered, for before/after comparisons."""
    with engine.connect() as connection:
        names = [r[0] for r in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {name: connection.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY 1').fetchall() for name in names}


@pytest.fixture(name="dump_tables")
def _dump_tables_fixture():
    """:func:`dump_tables` as a fixture, so test modules need not import conftest."""
    return dump_tables
