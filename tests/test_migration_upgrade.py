"""An older store (schema 0001, with data) upgrades in place to the newest schema, and back."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from samenhier.db import MIGRATIONS_DIR, alembic_config, make_engine, migrate
from samenhier.io.workbook import import_paths
from samenhier.queries.report import headline_report


def _head() -> str:
    """The newest revision (other branches add migrations: the test must not name one)."""
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def _to(engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(cfg, revision)


@pytest.mark.both_backends
def test_store_at_0001_upgrades_and_keeps_its_data(db_url, workbook_path):
    engine = make_engine(db_url)
    migrate(engine)
    import_paths(engine, [workbook_path], username="test")
    before = headline_report(engine, dt.date(2026, 11, 15))
    _to(engine, "0001", down=True)
    assert "progress_note" not in inspect(engine).get_table_names()
    migrate(engine)
    assert "progress_note" in inspect(engine).get_table_names()
    assert "ix_audit_event_table_record" in {i["name"] for i in inspect(engine).get_indexes("audit_event")}
    assert headline_report(engine, dt.date(2026, 11, 15)) == before
    with engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == _head()
    engine.dispose()
