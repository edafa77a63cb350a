"""Reading one of the workbook's sheets from a CSV file as Dutch Excel writes it (folders and zips of them:
:mod:`samenhier.io.sources`).

One CSV file holds one sheet and is named like it (``groepen.csv``, ``Enquêtes.csv``: case, accents,
``_``/``-``/spaces do not matter). What varies between Excel versions and settings is detected, never
guessed:

- **encoding**: UTF-8 with a byte-order mark; else UTF-8 when the bytes are valid UTF-8 (strict
  decoding: Windows-1252 text with accents practically never is); else Windows-1252 (strict: its five
  unassigned bytes are an error). UTF-16 ("Unicode-tekst") is refused with a clear message.
- **delimiter**: ``;`` (Dutch Excel) or ``,``, proposed by :class:`csv.Sniffer` and confirmed by the
  header row, which must hold the sheet's column names.

Cells arrive as text; the row models of :mod:`samenhier.io.rows` parse dates (``dd-mm-jjjj``,
``jjjj-mm-dd``), whole numbers (``12`` or ``12,0``), vocabulary spellings and aliases. Row numbers are
those a spreadsheet shows: the header is row 1, and a quoted cell spanning lines is still one row.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from samenhier.io.errors import ImportFailed, ImportIssue
from samenhier.io.limits import FIRST_DATA_ROW, MAX_ROWS, MAX_UNPACKED_BYTES
from samenhier.io.rows import SHEETS, clean_text, fold_vocabulary, is_blank, required_columns

DELIMITERS = (";", ",")
"""Separators Excel writes: ``;`` where the decimal separator is a comma (nl), ``,`` elsewhere."""
# MAX_UNPACKED_BYTES, MAX_ROWS: see samenhier.io.limits (MAX_UNPACKED_BYTES is importable from here too).
__all__ = [
    "DELIMITERS",
    "MAX_UNPACKED_BYTES",
    "decode",
    "detect_delimiter",
    "read_csv",
    "read_csv_bytes",
    "sheet_for_name",
]


def sheet_for_name(file_name: str) -> str | None:
    """The sheet a CSV file holds, from its name (``Groepen.csv`` → ``groepen``), or None."""
    stem = fold_vocabulary(Path(file_name).stem)
    return next((s for s in SHEETS if fold_vocabulary(s) == stem), None)


def decode(file_name: str, data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without BOM) or Windows-1252, see the module docstring.

    Raises:
        ImportFailed: ``csv_encoding`` for UTF-16 or bytes that are neither.
    """
    if data.startswith(codecs.BOM_UTF8):
        candidates: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in data:
        raise ImportFailed([ImportIssue(file_name, None, None, "UTF-16", "csv_encoding")])
    else:
        candidates = ("utf-8", "cp1252")
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            failure = exc
    raise ImportFailed(
        [ImportIssue(file_name, None, None, f"byte {failure.object[failure.start]:#04x}", "csv_encoding")]
    )


def _header(line: str, delimiter: str) -> set[str]:
    return {clean_text(c).casefold() for c in next(csv.reader([line], delimiter=delimiter), [])}


def detect_delimiter(text: str, sheet: str) -> str:
    """``;`` or ``,``: the :class:`csv.Sniffer`'s proposal if the header row then holds the sheet's
    column names, else the delimiter under which the header holds the most of them.

    Raises:
        ImportFailed: ``csv_header`` when the first row holds none of the sheet's column names.
    """
    lines = text.splitlines()
    first = lines[0] if lines else ""
    proposals: list[str] = []
    try:
        proposals.append(csv.Sniffer().sniff("\n".join(lines[:50]), delimiters="".join(DELIMITERS)).delimiter)
    except csv.Error:  # the sniffer gives up on some quoting patterns; the header decides then
        pass
    proposals += [d for d in DELIMITERS if d not in proposals]
    wanted = set(required_columns(SHEETS[sheet]))
    found = {d: len(wanted & _header(first, d)) for d in proposals}
    best = max(proposals, key=lambda d: (found[d] == len(wanted), found[d]))  # max keeps the first of equals
    if found[best] == 0:
        raise ImportFailed([ImportIssue(sheet, 1, None, first[:60], "csv_header")])
    return best


def read_csv_bytes(file_name: str, data: bytes) -> tuple[str, pd.DataFrame]:
    """One CSV file as ``(sheet, frame)``: the frame has the file's column names and one row per
    spreadsheet row below the header (text cells, dtype object), blank rows included so that row
    numbers stay right.

    Raises:
        ImportFailed: unknown file name, encoding, header, a duplicate column or cells beyond the last
            column (every problem of the file at once).
    """
    sheet = sheet_for_name(file_name)
    if sheet is None:
        raise ImportFailed(
            [
                ImportIssue(
                    file_name,
                    None,
                    None,
                    Path(file_name).name,
                    "csv_unknown_sheet",
                    {"allowed": ", ".join(SHEETS)},
                )
            ]
        )
    if len(data) > MAX_UNPACKED_BYTES:  # before decoding or parsing anything
        raise ImportFailed([ImportIssue(sheet, None, None, f"{MAX_UNPACKED_BYTES // 2**20} MB", "too_large")])
    if data.count(b"\n") > MAX_ROWS + 1:
        raise ImportFailed([ImportIssue(sheet, None, None, file_name, "too_many_rows", {"limit": MAX_ROWS})])
    text = decode(file_name, data)
    if not text.strip():
        raise ImportFailed([ImportIssue(sheet, None, None, file_name, "csv_empty")])
    delimiter = detect_delimiter(text, sheet)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    try:
        for record in reader:
            records.append(record)
    except csv.Error as exc:  # a field over csv.field_size_limit(), a NUL where the parser cannot take it, …
        row = reader.line_num  # physical line: as a spreadsheet numbers rows unless a quoted cell spans lines
        if "field larger than field limit" in str(exc):
            raise ImportFailed(
                [ImportIssue(sheet, row, None, "", "csv_field_too_large", {"limit": csv.field_size_limit()})]
            ) from None
        raise ImportFailed(
            [ImportIssue(sheet, row, None, "", "csv_malformed", {"reason": str(exc)})]
        ) from None
    header, body = records[0], records[1:]
    issues: list[ImportIssue] = []
    names = [clean_text(c) for c in header]
    keep = [
        i for i, name in enumerate(names) if name
    ]  # unnamed columns must be empty (Excel writes trailing ;)
    folded = [names[i].casefold() for i in keep]
    for i, name in enumerate(folded):
        if name in folded[:i]:
            issues.append(ImportIssue(sheet, 1, names[keep[i]], names[keep[i]], "csv_duplicate_column"))
    rows = []
    for offset, record in enumerate(body):
        excel_row = FIRST_DATA_ROW + offset
        stray = [c for i, c in enumerate(record) if (i >= len(names) or not names[i]) and not is_blank(c)]
        if stray:
            issues.append(ImportIssue(sheet, excel_row, None, clean_text(stray[0]), "csv_extra_cells"))
        rows.append([record[i] if i < len(record) else "" for i in keep])
    if issues:
        raise ImportFailed(issues)
    return sheet, pd.DataFrame(rows, columns=[names[i] for i in keep], dtype=object)


def read_csv(path: str | Path) -> tuple[str, pd.DataFrame]:
    """:func:`read_csv_bytes` for a file on disk.

    Raises:
        ImportFailed: ``file_missing``, or as :func:`read_csv_bytes`.
    """
    path = Path(path)
    if not path.is_file():
        raise ImportFailed([ImportIssue(path.name, None, None, str(path), "file_missing")])
    return read_csv_bytes(path.name, path.read_bytes())
