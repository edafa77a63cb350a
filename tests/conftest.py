"""Shared fixtures: a migrated temporary SQLite store per test, the shared workbook, a fixed clock."""

from __future__ import annotations

import shutil
from pathlib import Path

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
