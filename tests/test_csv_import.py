"""Import of the workbook's sheets as CSV files the way Dutch Excel writes them, and of other spellings.

Every variant is made *in the test* from the workbook as plain pandas reads it (``workbook_sheets``),
written with the standard library's csv module, and must give exactly the store that importing the
clean workbook gives (``imported_engine``): same rows, same ids, same values. Invalid values must be
reported with sheet, spreadsheet row (header = row 1) and column, and write nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import cli_env, query, run_cli
from openpyxl import Workbook

from samenhier.io.csv_files import decode, detect_delimiter, read_csv_bytes, sheet_for_name
from samenhier.io.workbook import ImportFailed, import_frames, import_paths

EXCEL_EPOCH = dt.date(
    1899, 12, 30
)  # Excel's day 0 for serials after 28-02-1900 (Microsoft's 1900 date system)
SHEETS = ["community_builders", "groepen", "leden", "nieuwkomers", "koppelingen", "bijeenkomsten", "enquetes"]


def without_audit(dump: dict) -> dict:
    return {name: rows for name, rows in dump.items() if name != "audit_event"}


def cell_text(value, date_format: str) -> str:
    """A workbook cell as Excel writes it into a CSV file."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.strftime(date_format)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def csv_bytes(
    frame: pd.DataFrame,
    *,
    delimiter=";",
    encoding="utf-8-sig",
    date_format="%d-%m-%Y",
    cell=None,
    trailing: list[str] = (),
) -> bytes:
    """``frame`` as CSV text (CRLF, minimal quoting), each cell through ``cell(column, text)`` if given."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        texts = [cell_text(v, date_format) for v in row]
        writer.writerow([cell(c, t) if cell else t for c, t in zip(frame.columns, texts, strict=True)])
    return (out.getvalue() + "".join(trailing)).encode(encoding)


def write_sheets(folder: Path, sheets: dict[str, pd.DataFrame], **options) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SHEETS:
        path = folder / f"{name}.csv"
        path.write_bytes(csv_bytes(sheets[name], **options))
        paths.append(path)
    return paths


def import_equals_clean(engine, clean_engine, paths, dump_tables) -> None:
    result = import_paths(engine, paths, username="test")
    assert {s.sheet: (s.changed, s.unchanged) for s in result.sheets} == {s: (0, 0) for s in SHEETS}
    assert without_audit(dump_tables(engine)) == without_audit(dump_tables(clean_engine))


# ----------------------------------------------------------------------------------- format variants


def test_semicolon_utf8_bom_dutch_dates(engine, imported_engine, workbook_sheets, tmp_path, dump_tables):
    """Dutch Excel's "CSV UTF-8": ; separated, BOM, dd-mm-jjjj."""
    paths = write_sheets(
        tmp_path / "csv", workbook_sheets, delimiter=";", encoding="utf-8-sig", date_format="%d-%m-%Y"
    )
    assert paths[1].read_bytes().startswith(b"\xef\xbb\xbfgroep_code;naam;")
    import_equals_clean(engine, imported_engine, paths, dump_tables)


def test_comma_utf8_without_bom_iso_dates(engine, imported_engine, workbook_sheets, tmp_path, dump_tables):
    """, separated (fields with a comma, such as talen, quoted), no BOM, jjjj-mm-dd; imported as a folder."""
    write_sheets(tmp_path / "csv", workbook_sheets, delimiter=",", encoding="utf-8", date_format="%Y-%m-%d")
    assert b'"Nederlands, Arabisch, Engels"' in (tmp_path / "csv" / "community_builders.csv").read_bytes()
    import_equals_clean(engine, imported_engine, [tmp_path / "csv"], dump_tables)


def test_windows_1252(engine, imported_engine, workbook_sheets, tmp_path, dump_tables):
    """Dutch Excel's plain "CSV": Windows-1252. A sheet with characters outside it (the dotless ı of
    Aydın, Yılmaz) cannot be saved that way, so those sheets come as UTF-8 beside the others."""
    folder = tmp_path / "csv"
    folder.mkdir()
    in_1252 = []
    for name in SHEETS:
        text = csv_bytes(workbook_sheets[name], encoding="utf-8").decode("utf-8")
        try:
            data = text.encode("cp1252")
            in_1252.append(name)
        except UnicodeEncodeError:
            data = text.encode("utf-8")
        (folder / f"{name}.csv").write_bytes(data)
    # één-op-één is é = 0xE9 in Windows-1252, which is not valid UTF-8 on its own
    assert (
        "bijeenkomsten" in in_1252
        and b"\xe9\xe9n-op-\xe9\xe9n" in (folder / "bijeenkomsten.csv").read_bytes()
    )
    assert len(in_1252) >= 3
    import_equals_clean(engine, imported_engine, [folder], dump_tables)


ALIASES = {"Den Haag": "'s-Gravenhage", "Rotterdam": "  rotterdam ", "Almere": "ALMERE", "Haarlem": "haarlem"}
VOCABULARY_COLUMNS = {
    "variant",
    "status",
    "rol",
    "soort",
    "meting",
    "leegte",
    "terugvallen",
    "vertrouwen",
    "mis_mensen",
    "verbonden",
    "in_de_steek",
    "eenzaamheid_verandering",
}
INT_COLUMNS = {
    "huishoudgrootte",
    "duur_minuten",
    "aanwezig_leden",
    "aanwezig_nieuwkomers",
    "thuis_voelen",
    "nieuwe_contacten",
}


def messy(column: str, text: str) -> str:
    """One cell spelled the way hand-kept sheets spell it; each change is one the README promises to accept."""
    if not text:
        return text
    if column == "gemeente":
        text = ALIASES.get(text, text)
    elif column in VOCABULARY_COLUMNS:
        text = (
            text.upper().replace(" ", "-") if len(text) % 2 else text.title()
        )  # MIN-OF-MEER, Min Of Meer, …
    elif column in INT_COLUMNS:
        text = f"{text},0"  # decimal comma
    elif len(text) == 10 and text[2] == "-" and text[5] == "-":
        day, month, year = text.split("-")
        text = f"{int(day)}-{int(month)}-{year}"  # d-m-jjjj, Excel's Dutch short date
    return f" {unicodedata.normalize('NFD', text)}  "  # stray spaces, decomposed accents


def test_messy_spellings(engine, imported_engine, workbook_sheets, tmp_path, dump_tables):
    """Stray spaces, case in vocabularies and headers, aliases, decimal commas, d-m-jjjj, NFD text, columns in
    another order, and empty rows at the end (one with only separators, as Excel writes it)."""
    folder = tmp_path / "csv"
    folder.mkdir()
    for name in SHEETS:
        frame = workbook_sheets[name]
        frame = frame[list(reversed(frame.columns))]
        frame.columns = [c.upper() if i % 2 else c for i, c in enumerate(frame.columns)]
        original = dict(zip(frame.columns, workbook_sheets[name].columns[::-1], strict=True))
        trailing = [";" * (len(frame.columns) - 1) + "\r\n", "\r\n"]
        data = csv_bytes(frame, cell=lambda c, t, original=original: messy(original[c], t), trailing=trailing)
        (folder / f"{name}.csv").write_bytes(data)
    sample = (folder / "nieuwkomers.csv").read_bytes().decode("utf-8-sig")
    assert "'s-Gravenhage" in sample and unicodedata.normalize("NFD", "Syrië") in sample and ",0 " in sample
    import_equals_clean(engine, imported_engine, sorted(folder.iterdir()), dump_tables)


def test_zip_of_csv_files(engine, imported_engine, workbook_sheets, tmp_path, dump_tables):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for name in SHEETS:
            z.writestr(f"samenhier/{name}.csv", csv_bytes(workbook_sheets[name]))
        z.writestr("__MACOSX/samenhier/._groepen.csv", b"\x00\x05")  # what macOS adds; ignored
    import_equals_clean(engine, imported_engine, [archive], dump_tables)


def test_xlsx_with_excel_serials_and_text_dates(
    engine, imported_engine, workbook_sheets, tmp_path, dump_tables
):
    """A workbook whose date cells are plain numbers (Excel serials, e.g. after pasting values) or dd-mm-jjjj text."""
    path = tmp_path / "serials.xlsx"
    workbook = Workbook()
    workbook.remove(workbook.active)
    serials = 0
    for name in SHEETS:
        sheet = workbook.create_sheet(name)
        frame = workbook_sheets[name]
        sheet.append(list(frame.columns))
        for i, row in enumerate(frame.itertuples(index=False)):
            cells = []
            for value in row:
                if isinstance(value, dt.datetime):
                    serials += i % 2 == 0
                    value = (value.date() - EXCEL_EPOCH).days if i % 2 == 0 else value.strftime("%d-%m-%Y")
                elif value is not None and not isinstance(value, str) and pd.isna(value):
                    value = None
                cells.append(value)
            sheet.append(cells)
        sheet.append([" "] * len(frame.columns))  # rows at the end that only look empty
        sheet.append([None, ""])
    workbook.save(path)
    assert serials > 1000
    assert (
        pd.read_excel(path, sheet_name="groepen", header=None).shape[0] == len(workbook_sheets["groepen"]) + 2
    )  # header + " " row
    import_equals_clean(engine, imported_engine, [path], dump_tables)


def test_files_given_one_by_one_or_as_a_folder_or_with_the_workbook(
    imported_engine, workbook_sheets, workbook_path, tmp_path
):
    """Files themselves, a folder, or a subset of sheets beside nothing else: all resolve against the store."""
    paths = write_sheets(tmp_path / "csv", workbook_sheets)
    for given in ([tmp_path / "csv"], paths, [paths[5]]):
        result = import_paths(imported_engine, given, username="test", dry_run=True)
        expected = (
            {s: len(workbook_sheets[s]) for s in SHEETS}
            if len(given) != 1 or given[0].is_dir()
            else {"bijeenkomsten": 1631}
        )
        assert {s.sheet: s.unchanged for s in result.sheets} == expected
        assert all(s.new == s.changed == 0 for s in result.sheets)
    with pytest.raises(ImportFailed) as failed:
        import_paths(imported_engine, [workbook_path, paths[1]], username="test")
    assert [(i.sheet, i.code) for i in failed.value.issues] == [("groepen", "sheet_twice")]
    assert (
        "samenhier-voorbeeld.xlsx" in failed.value.issues[0].value
        and "groepen.csv" in failed.value.issues[0].value
    )


# ----------------------------------------------------------------------------------- detection, unit level


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("groepen.csv", "groepen"),
        ("Groepen.CSV", "groepen"),
        ("Enquêtes.csv", "enquetes"),
        ("community builders.csv", "community_builders"),
        ("groepen (1).csv", None),
    ],
)
def test_file_names_map_to_sheets(name, sheet):
    assert sheet_for_name(name) == sheet


@pytest.mark.parametrize(
    ("data", "text"),
    [
        ("één".encode("utf-8-sig"), "één"),
        ("één".encode(), "één"),
        ("één".encode("cp1252"), "één"),  # b"\xe9\xe9n": invalid UTF-8, so Windows-1252
        ("Yılmaz".encode(), "Yılmaz"),
        ("€ 5".encode("cp1252"), "€ 5"),  # 0x80 is € in Windows-1252
    ],
)
def test_encodings(data, text):
    assert decode("x.csv", data) == text


@pytest.mark.parametrize(("data", "shown"), [("naam".encode("utf-16"), "UTF-16"), (b"caf\x81", "byte 0x81")])
def test_undecodable_bytes_are_refused(data, shown):
    """UTF-16, and 0x81: not valid UTF-8 and one of the five bytes Windows-1252 leaves unassigned."""
    with pytest.raises(ImportFailed) as failed:
        decode("x.csv", data)
    assert [(i.code, i.value) for i in failed.value.issues] == [("csv_encoding", shown)]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("naam;e-mail;gemeente;talen\r\nA;a@x.nl;Haarlem;Nederlands, Engels\r\n", ";"),
        (
            'naam,e-mail,gemeente,talen\r\nA,a@x.nl,Haarlem,"Nederlands, Engels"\r\n',
            ",",
        ),  # csv.Sniffer gives up on this one
        ("naam;e-mail;gemeente;talen\r\n", ";"),
    ],
)
def test_delimiter(text, delimiter):
    assert detect_delimiter(text, "community_builders") == delimiter


def test_multiline_cells_keep_spreadsheet_row_numbers(imported_engine):
    """A quoted note spanning two lines is one spreadsheet row: the row after it is row 4, not 5."""
    text = (
        "groep_code;datum;soort;duur_minuten;aanwezig_leden;aanwezig_nieuwkomers;notitie\r\n"
        '0034-001;14-02-2023;groepsactiviteit;120;1;1;"eerste regel\r\ntweede regel"\r\n'
        "0034-001;25-02-2023;groepsactiviteit;180;1;1;\r\n"
        "0034-001;31-02-2023;online;60;1;1;\r\n"
    )
    sheet, frame = read_csv_bytes("bijeenkomsten.csv", text.encode("utf-8-sig"))
    assert sheet == "bijeenkomsten"
    assert list(frame["notitie"]) == ["eerste regel\r\ntweede regel", "", ""]
    with pytest.raises(ImportFailed) as failed:
        import_frames(imported_engine, {sheet: frame}, username="test")
    assert [(i.sheet, i.row, i.column) for i in failed.value.issues] == [("bijeenkomsten", 4, "datum")]


# ----------------------------------------------------------------------------------- invalid values


def edited(workbook_sheets, sheet: str, index: int, column: str, value: str) -> dict[str, bytes]:
    """The seven sheets as ;-CSV with one cell of ``sheet`` (frame index ``index``) replaced by ``value``."""
    files = {}
    for name in SHEETS:
        frame = workbook_sheets[name].copy()
        if name == sheet:
            frame[column] = frame[column].astype(object)
            frame.loc[index, column] = value
        files[name] = csv_bytes(frame)
    return files


BAD_VALUES = [
    # sheet, frame index, column, text in the CSV cell, error code
    ("bijeenkomsten", 10, "datum", "31-02-2025", "date"),  # no 31 February
    ("koppelingen", 3, "voorgesteld_op", "15-13-2024", "date"),  # no 13th month
    ("leden", 7, "lid_sinds", "2024-13-01", "date"),
    ("bijeenkomsten", 11, "datum", "3/4/2025", "date"),  # 3 April or March 4: ambiguous
    ("bijeenkomsten", 12, "datum", "03-04-25", "date"),  # two-digit year
    (
        "bijeenkomsten",
        13,
        "datum",
        "45123",
        "date",
    ),  # a serial as text in a CSV: Excel would have written a date
    ("leden", 30, "groep_code", "0518-999", "unknown_group"),  # unknown code
    ("koppelingen", 6, "nieuwkomer_code", "N9999", "unknown_newcomer"),
    ("groepen", 5, "status", "bezig", "vocabulary"),
    ("nieuwkomers", 5, "gemeente", "Amsterdamm", "municipality"),
    ("bijeenkomsten", 14, "duur_minuten", "twee uur", "integer"),  # text in a number column
    ("bijeenkomsten", 15, "duur_minuten", "90,5", "integer"),  # not whole
    ("nieuwkomers", 8, "huishoudgrootte", "1.000", "ambiguous_number"),  # a thousand or one?
    ("enquetes", 4, "thuis_voelen", "6", "range"),
]


@pytest.mark.parametrize(
    ("sheet", "index", "column", "value", "code"),
    BAD_VALUES,
    ids=[f"{b[0]}-{b[2]}-{b[4]}" for b in BAD_VALUES],
)
def test_an_invalid_value_is_located_and_nothing_written(
    imported_engine, workbook_sheets, tmp_path, dump_tables, sheet, index, column, value, code
):
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, data in edited(workbook_sheets, sheet, index, column, value).items():
        (folder / f"{name}.csv").write_bytes(data)
    # and a valid change earlier in the dependency order, which must not be written either
    groups = (
        (folder / "groepen.csv")
        .read_bytes()
        .replace(b";Welkomgroep Schalkwijk 1;", b";Welkomgroep Hernoemd;")
    )
    assert b";Welkomgroep Hernoemd;" in groups
    (folder / "groepen.csv").write_bytes(groups)
    before = dump_tables(imported_engine)

    with pytest.raises(ImportFailed) as failed:
        import_paths(imported_engine, [folder], username="test")

    # spreadsheet row: frame index 0 is row 2 (the header is row 1)
    assert [(i.sheet, i.row, i.column, i.code) for i in failed.value.issues] == [
        (sheet, index + 2, column, code)
    ]
    assert value in failed.value.issues[0].describe("nl")
    assert dump_tables(imported_engine) == before


def test_several_files_report_every_problem_at_once(engine, workbook_sheets, tmp_path, dump_tables):
    folder = tmp_path / "csv"
    folder.mkdir()
    files = edited(workbook_sheets, "bijeenkomsten", 0, "soort", "feest")
    files["groepen"] = (
        files["groepen"] + b"0518-099;Nieuw;Den Haag;statushouders;;werving;01-01-2026;;;extra\r\n"
    )
    files["onbekend"] = b"a;b\r\n1;2\r\n"
    for name, data in files.items():
        (folder / f"{name}.csv").write_bytes(data)
    (folder / "leden.csv").write_bytes("lid_code;groep_code\r\n".encode("utf-16"))
    before = dump_tables(engine)
    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, [folder], username="test")
    found = {(i.sheet, i.row, i.code) for i in failed.value.issues}
    assert found == {
        ("onbekend.csv", None, "csv_unknown_sheet"),
        ("leden.csv", None, "csv_encoding"),
        ("groepen", len(workbook_sheets["groepen"]) + 2, "csv_extra_cells"),
    }  # the file problems stop the import before row checks; the bad soort is found once the files are fixed
    assert dump_tables(engine) == before


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("groepen.csv", b"", "csv_empty"),
        (
            "groepen.csv",
            b"a\tb\tc\r\n1\t2\t3\r\n",
            "csv_header",
        ),  # tab-separated: no known column under ; or ,
        ("groepen.csv", b"groep_code;naam;naam\r\n", "csv_duplicate_column"),
        ("kladblok.txt", b"x", "not_a_workbook"),
        ("archief.zip", b"PK\x03\x04 kapot", "not_a_zip"),
    ],
)
def test_unreadable_files_are_refused(engine, tmp_path, dump_tables, name, data, code):
    path = tmp_path / name
    path.write_bytes(data)
    before = dump_tables(engine)
    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, [path], username="test")
    assert [i.code for i in failed.value.issues] == [code]
    assert dump_tables(engine) == before


def test_an_empty_folder_is_refused(engine, tmp_path):
    (tmp_path / "leeg").mkdir()
    (tmp_path / "leeg" / "~$groepen.csv").write_bytes(b"lock")  # Excel's lock file is not a sheet
    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, [tmp_path / "leeg"], username="test")
    assert [i.code for i in failed.value.issues] == ["folder_empty"]


def test_a_partial_sheet_set_changes_only_what_differs(imported_engine, workbook_sheets, tmp_path):
    """One corrected CSV (a meeting's duration) beside the store: one change, found by group, date and kind."""
    meetings = workbook_sheets["bijeenkomsten"].copy()
    sizes = meetings.groupby(["groep_code", "datum", "soort"])["duur_minuten"].transform("size")
    i = int(meetings.index[sizes == 1][0])
    meetings.loc[i, "duur_minuten"] = int(meetings.loc[i, "duur_minuten"]) + 5
    path = tmp_path / "bijeenkomsten.csv"
    path.write_bytes(csv_bytes(meetings))
    result = import_paths(imported_engine, [path], username="test")
    assert [(s.sheet, s.new, s.changed, s.unchanged) for s in result.sheets] == [
        ("bijeenkomsten", 0, 1, len(meetings) - 1)
    ]


# ----------------------------------------------------------------------------------- command line


def test_cli_import_takes_a_folder_or_the_files_themselves(tmp_path, workbook_sheets):
    paths = write_sheets(tmp_path / "csv", workbook_sheets)
    database = tmp_path / "cli.db"
    env = cli_env(database)

    done = run_cli("import", str(tmp_path / "csv"), env=env)
    assert done.returncode == 0, done.stderr
    assert query(database, "SELECT count(*) FROM meeting")[0][0] == len(workbook_sheets["bijeenkomsten"])

    done = run_cli("import", "--dry-run", *map(str, paths), env=env)
    assert done.returncode == 0, done.stderr
    lines = [line.split() for line in done.stdout.splitlines() if line.strip().split(" ")[0] in SHEETS]
    assert {line[0]: (line[2], line[4], line[6]) for line in lines} == {
        s: ("0", "0", str(len(workbook_sheets[s]))) for s in SHEETS
    }


def test_cli_import_names_the_csv_cell(tmp_path, workbook_sheets):
    folder = tmp_path / "csv"
    folder.mkdir()
    for name, data in edited(workbook_sheets, "bijeenkomsten", 7, "datum", "31-02-2025").items():
        (folder / f"{name}.csv").write_bytes(data)
    database = tmp_path / "cli.db"
    done = run_cli("import", str(folder), env=cli_env(database))
    assert done.returncode == 1
    assert "bijeenkomsten, rij 9, kolom datum" in done.stderr and "31-02-2025" in done.stderr
    assert query(database, "SELECT count(*) FROM welcome_group")[0][0] == 0
