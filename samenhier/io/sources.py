"""Finding the sheets in what a coordinator gives: workbooks (.xlsx), CSV files named like a sheet, folders of
such CSV files, and .zip files of them; each read by :mod:`samenhier.io.xlsx` or :mod:`samenhier.io.csv_files`."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from samenhier.io.csv_files import read_csv_bytes
from samenhier.io.errors import ImportFailed, ImportIssue
from samenhier.io.limits import MAX_UNPACKED_BYTES, MAX_ZIP_BYTES
from samenhier.io.xlsx import read_workbook


def _is_data_file(name: str) -> bool:
    base = Path(name).name
    return base.lower().endswith(".csv") and not base.startswith(
        ("~$", ".")
    )  # skip Excel lock files, hidden files


def _zip_members(path: Path) -> list[tuple[str, bytes]]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                m
                for m in archive.infolist()
                if not m.is_dir() and _is_data_file(m.filename) and "__MACOSX" not in m.filename
            ]
            if sum(m.file_size for m in members) > MAX_ZIP_BYTES:
                raise ImportFailed(
                    [ImportIssue(path.name, None, None, f"{MAX_ZIP_BYTES // 2**20} MB", "too_large")]
                )
            return [(Path(m.filename).name, archive.read(m)) for m in members]
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFailed([ImportIssue(path.name, None, None, type(exc).__name__, "not_a_zip")]) from exc


def read_sources(paths: Iterable[str | Path]) -> dict[str, pd.DataFrame]:
    """The sheets in ``paths``: workbooks (.xlsx), CSV files named like a sheet, folders of such CSV
    files, and .zip files of them. Sheets not given are absent from the result.

    Raises:
        ImportFailed: every problem of every file at once — a missing or unreadable file, an empty
            folder, a CSV file named like no sheet, or one sheet given twice.
    """
    frames: dict[str, pd.DataFrame] = {}
    origin: dict[str, str] = {}
    issues: list[ImportIssue] = []
    total_bytes = 0

    def add(sheet: str, frame: pd.DataFrame, source: str) -> None:
        if sheet in frames:
            issues.append(ImportIssue(sheet, None, None, f"{origin[sheet]}, {source}", "sheet_twice"))
        else:
            frames[sheet], origin[sheet] = frame, source

    for raw in paths:
        path = Path(raw)
        try:
            if path.is_dir():
                files = sorted(p for p in path.iterdir() if p.is_file() and _is_data_file(p.name))
                if not files:
                    raise ImportFailed([ImportIssue(path.name, None, None, str(path), "folder_empty")])
                members = [(p.name, p.read_bytes()) for p in files]
            elif path.suffix.lower() == ".csv":
                members = [(path.name, read_bytes(path))]
            elif path.suffix.lower() == ".zip":
                members = _zip_members(path)
                if not members:
                    raise ImportFailed([ImportIssue(path.name, None, None, path.name, "folder_empty")])
            else:
                for sheet, frame in read_workbook(path).items():
                    add(sheet, frame, path.name)
                continue
        except ImportFailed as failed:
            issues += failed.issues
            continue
        total_bytes += sum(len(data) for _name, data in members)
        if total_bytes > MAX_UNPACKED_BYTES:  # all files of one import together, before parsing any
            issues.append(
                ImportIssue(path.name, None, None, f"{MAX_UNPACKED_BYTES // 2**20} MB", "too_large")
            )
            break
        for name, data in members:
            try:
                sheet, frame = read_csv_bytes(name, data)
            except ImportFailed as failed:
                issues += failed.issues
                continue
            add(sheet, frame, name)
    if issues:
        raise ImportFailed(issues)
    return frames


def read_bytes(path: Path) -> bytes:
    """The file's bytes.

    Raises:
        ImportFailed: ``file_missing``.
    """
    if not path.is_file():
        raise ImportFailed([ImportIssue(path.name, None, None, str(path), "file_missing")])
    return path.read_bytes()
