"""The import's public face: importing the coordinator's workbook, CSV files, folders or zips of them.

Callers import from here; each job has its own module:

- :mod:`samenhier.io.errors`: :class:`ImportIssue` (one located problem) and :class:`ImportFailed`;
- :mod:`samenhier.io.limits`: size limits, checked before parsing;
- :mod:`samenhier.io.xlsx`: reading a workbook (:func:`read_workbook`);
- :mod:`samenhier.io.csv_files`: reading a sheet from a CSV file;
- :mod:`samenhier.io.sources`: finding the sheets in files, folders and zips (:func:`read_sources`);
- :mod:`samenhier.io.rows`: validating one row of each sheet (the field rules are :mod:`samenhier.fields`);
- :mod:`samenhier.io.importer`: writing all or nothing (:func:`import_frames`, :func:`import_paths`);
- :mod:`samenhier.io.conflicts` and :mod:`samenhier.io.results`: edits made in the app, what an import did.
"""

from __future__ import annotations

from samenhier.io.conflicts import ON_CONFLICT, app_changes_since_import, column_of
from samenhier.io.errors import ImportFailed, ImportIssue
from samenhier.io.importer import backup_before_import, import_frames, import_paths
from samenhier.io.limits import FIRST_DATA_ROW, MAX_ROWS, MAX_XLSX_UNPACKED_BYTES
from samenhier.io.results import FieldChange, ImportResult, MissingRecord, SheetSummary
from samenhier.io.sources import read_sources
from samenhier.io.xlsx import read_workbook

__all__ = [
    "FIRST_DATA_ROW",
    "MAX_ROWS",
    "MAX_XLSX_UNPACKED_BYTES",
    "ON_CONFLICT",
    "FieldChange",
    "ImportFailed",
    "ImportIssue",
    "ImportResult",
    "MissingRecord",
    "SheetSummary",
    "app_changes_since_import",
    "backup_before_import",
    "column_of",
    "import_frames",
    "import_paths",
    "read_sources",
    "read_workbook",
]
