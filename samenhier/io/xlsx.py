"""Reading the coordinator's workbook (.xlsx): the seven sheets as frames of raw cell values."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd

from samenhier.io.errors import ImportFailed, ImportIssue
from samenhier.io.limits import MAX_ROWS, MAX_XLSX_UNPACKED_BYTES
from samenhier.io.rows import SHEETS, fold_vocabulary


def read_workbook(path: str | Path) -> dict[str, pd.DataFrame]:
    """The seven sheets of an .xlsx workbook as frames of raw cell values (dtype object).

    Raises:
        ImportFailed: the file is missing or not a readable workbook, or a sheet is missing.
    """
    from openpyxl import load_workbook  # only when a workbook is read: the app starts without it

    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ImportFailed([ImportIssue(name, None, None, str(path), "file_missing")])
    try:
        with zipfile.ZipFile(
            path
        ) as archive:  # an .xlsx is a zip of XML: bound what it unpacks to before parsing
            unpacked = sum(m.file_size for m in archive.infolist())
        if unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise ImportFailed(
                [ImportIssue(name, None, None, f"{MAX_XLSX_UNPACKED_BYTES // 2**20} MB", "too_large")]
            )
        book = load_workbook(
            path, read_only=True
        )  # sheet names only; other sheets ("Uitleg") are never parsed
        names = {fold_vocabulary(n): n for n in book.sheetnames}
        book.close()
        missing = [s for s in SHEETS if fold_vocabulary(s) not in names]
        if missing:
            raise ImportFailed([ImportIssue(s, None, None, "", "sheet_missing") for s in missing])
        frames = pd.read_excel(
            path, sheet_name=[names[fold_vocabulary(s)] for s in SHEETS], dtype=object, engine="openpyxl"
        )
    except ImportFailed:
        raise
    except Exception as exc:  # openpyxl and zipfile raise many kinds for a non-workbook
        raise ImportFailed([ImportIssue(name, None, None, type(exc).__name__, "not_a_workbook")]) from exc
    result = {s: frames[names[fold_vocabulary(s)]] for s in SHEETS}
    too_long = [s for s, f in result.items() if len(f) > MAX_ROWS]
    if too_long:
        raise ImportFailed(
            [ImportIssue(s, None, None, name, "too_many_rows", {"limit": MAX_ROWS}) for s in too_long]
        )
    return result
