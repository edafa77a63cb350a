import datetime as dt

import pytest

from samenhier.io.workbook import import_paths
from samenhier.queries.report import headline_report

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL


def test_workbook_imports_all_rows(workbook_engine):
    report = headline_report(workbook_engine, dt.date(2026, 11, 15))
    assert report["counts"]["bijeenkomsten"] == 1631


def test_second_import_changes_nothing(workbook_engine, workbook_path):
    result = import_paths(workbook_engine, [workbook_path], username="test")
    assert all(s.new == 0 and s.changed == 0 for s in result.sheets)
