"""Exports: the import layout, export → import changes nothing, formula neutralisation, filters, access, CLI.

Expected layouts come from the workbook as plain pandas reads it; files are read back with openpyxl
and the csv module, not with samenhier's own readers, except where the round trip is the point.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile

import pandas as pd
import pytest
from cli_helpers import cli_env, run_cli
from openpyxl import load_workbook
from sqlalchemy import text

from samenhier.io.export import csv_bytes, export_frames, write_files, xlsx_bytes
from samenhier.io.formula import neutralise, restore
from samenhier.io.workbook import import_frames, import_paths
from samenhier.scope import AccessDenied, Filters, Scope
from samenhier.services.data import export_store

SHEETS = ["community_builders", "groepen", "leden", "nieuwkomers", "koppelingen", "bijeenkomsten", "enquetes"]
COORDINATOR = Scope.coordinator("anna")


def without_audit(dump: dict) -> dict:
    return {name: rows for name, rows in dump.items() if name != "audit_event"}


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel reads accents and Arabic script right"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


# ------------------------------------------------------------------------------------------ layout


def test_sheets_and_columns_are_the_workbooks(imported_engine, workbook_sheets):
    frames = export_frames(imported_engine, COORDINATOR)
    assert list(frames) == list(workbook_sheets)
    for sheet, frame in frames.items():
        assert list(frame.columns) == list(workbook_sheets[sheet].columns), sheet
        assert len(frame) == len(workbook_sheets[sheet]), sheet


def test_xlsx_has_real_dates_numbers_and_text(imported_engine, tmp_path, workbook_sheets):
    [path] = write_files(export_frames(imported_engine, COORDINATOR), tmp_path / "export.xlsx", "xlsx")
    book = load_workbook(path)
    assert book.sheetnames == SHEETS
    groups = book["groepen"]
    assert [c.value for c in groups[1]] == list(workbook_sheets["groepen"].columns)
    code, signup = (
        groups["A2"],
        groups["G2"],
    )  # the first group, as in the workbook: 0518-001, signed up 04-05-2022
    assert (code.value, code.data_type) == ("0518-001", "s")
    assert (
        signup.is_date and signup.value.date() == dt.date(2022, 5, 4) and signup.number_format == "DD-MM-YYYY"
    )
    size = book["nieuwkomers"]["G3"]  # N0002 Ruta Berhane, household of 4 (test_import's spot check)
    assert (size.value, size.data_type) == (4, "n")


def test_csv_is_for_dutch_excel(imported_engine, tmp_path):
    write_files(export_frames(imported_engine, COORDINATOR), tmp_path / "csv", "csv")
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(f"{s}.csv" for s in SHEETS)
    data = (tmp_path / "csv" / "groepen.csv").read_bytes()
    rows = csv_rows(data)
    assert rows[0][:3] == ["groep_code", "naam", "gemeente"]
    assert rows[1][0] == "0518-001" and rows[1][6] == "04-05-2022"  # dd-mm-jjjj
    assert b"\r\n" in data
    builders = csv_rows((tmp_path / "csv" / "community_builders.csv").read_bytes())
    assert [
        "Samira Benali",
        "samira.benali0@voorbeeld.nl",
        "Den Haag",
        "Nederlands, Arabisch, Engels",
    ] in builders
    assert any("Leyla Ayd\u0131n" in row for row in builders)  # the dotless ı survives


# ------------------------------------------------------------------------------------------ round trip


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_export_then_import_changes_nothing(
    imported_engine, engine, tmp_path, dump_tables, fmt, workbook_sheets
):
    """Into the same store: 0 new, 0 changed. Into an empty store: the same rows as the original store."""
    target = tmp_path / ("export.xlsx" if fmt == "xlsx" else "csv")
    write_files(export_frames(imported_engine, COORDINATOR), target, fmt)
    before = dump_tables(imported_engine)

    result = import_paths(imported_engine, [target], username="test")
    assert {s.sheet: (s.new, s.changed, s.unchanged) for s in result.sheets} == {
        s: (0, 0, len(workbook_sheets[s])) for s in SHEETS
    }
    assert without_audit(dump_tables(imported_engine)) == without_audit(before)

    import_paths(engine, [target], username="test")
    assert without_audit(dump_tables(engine)) == without_audit(before)


HOSTILE = {
    # (sheet, key column, key, column): text that a spreadsheet would run, or that must survive as it is
    ("groepen", "groep_code", "0518-001", "notities"): '=HYPERLINK("http://voorbeeld.nl","klik")',
    ("groepen", "groep_code", "0599-001", "notities"): "+31 6 12345678 bellen",
    ("groepen", "groep_code", "0599-002", "notities"): "-5 graden, toch gewandeld",
    ("groepen", "groep_code", "0518-002", "notities"): "@SUM(1+1)",
    ("leden", "lid_code", "L0002", "voornaam"): "Zoë",
    ("leden", "lid_code", "L0003", "achternaam"): "'s-Gravenzande",
    ("nieuwkomers", "nieuwkomer_code", "N0001", "voornaam"): "محمد",  # Arabic script
    ("nieuwkomers", "nieuwkomer_code", "N0001", "achternaam"): "الحسن",
    ("nieuwkomers", "nieuwkomer_code", "N0002", "telefoon"): "+31 6 42358542",
    (
        "groepen",
        "groep_code",
        "0034-002",
        "notities",
    ): "eerste regel\r\ntweede regel",  # stored with \n, as Excel has it
}


QUOTED = "'=al met een aanhalingsteken"


@pytest.fixture
def hostile_engine(imported_engine, workbook_frames):
    """The workbook's store with the texts of HOSTILE stored (through the import, as a coordinator would)."""
    for (sheet, key_column, key, column), value in HOSTILE.items():
        frame = workbook_frames[sheet]
        frame.loc[frame[key_column] == key, column] = value
    import_frames(imported_engine, workbook_frames, username="test")
    # Text that starts with a quote before '=' cannot come in through an import (there the quote is Excel's
    # text marker and is dropped); a form could store it, so it is put in directly.
    with imported_engine.begin() as c:
        c.execute(text("UPDATE welcome_group SET notes = :n WHERE code = '0034-001'"), {"n": QUOTED})
        for table in (
            "welcome_group",
            "member",
            "newcomer",
        ):  # as if imported so: comparable with a fresh import
            c.execute(text(f"UPDATE {table} SET version = 1"))
    return imported_engine


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_formula_text_arabic_and_accents_survive_the_round_trip(
    hostile_engine, engine, tmp_path, dump_tables, fmt
):
    with hostile_engine.connect() as c:
        stored = c.execute(text("SELECT notes FROM welcome_group WHERE code = '0518-001'")).scalar_one()
    assert stored == HOSTILE[("groepen", "groep_code", "0518-001", "notities")]
    target = tmp_path / ("export.xlsx" if fmt == "xlsx" else "csv")
    write_files(export_frames(hostile_engine, COORDINATOR), target, fmt)

    dry = import_paths(hostile_engine, [target], username="test", dry_run=True)
    assert all(s.new == s.changed == 0 for s in dry.sheets)
    import_paths(engine, [target], username="test")
    assert without_audit(dump_tables(engine)) == without_audit(dump_tables(hostile_engine))
    with engine.connect() as c:
        assert c.execute(text("SELECT first_name, last_name FROM newcomer WHERE code = 'N0001'")).one() == (
            "محمد",
            "الحسن",
        )
        assert (
            c.execute(text("SELECT notes FROM welcome_group WHERE code = '0034-001'")).scalar_one() == QUOTED
        )
        assert (
            c.execute(text("SELECT notes FROM welcome_group WHERE code = '0034-002'")).scalar_one()
            == "eerste regel\ntweede regel"
        )


def test_formula_text_is_neutralised_in_the_files(hostile_engine, tmp_path):
    frames = export_frames(hostile_engine, COORDINATOR)
    book = load_workbook(io.BytesIO(xlsx_bytes(frames)))
    notes = {row[0].value: row[8] for row in book["groepen"].iter_rows(min_row=2)}
    assert (notes["0518-001"].value, notes["0518-001"].data_type) == (
        "'" + '=HYPERLINK("http://voorbeeld.nl","klik")',
        "s",
    )
    assert notes["0599-001"].value == "'+31 6 12345678 bellen"
    assert notes["0599-002"].value == "'-5 graden, toch gewandeld"
    assert notes["0518-002"].value == "'@SUM(1+1)"
    assert notes["0034-001"].value == "'" + QUOTED
    assert not [
        c for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"
    ]  # no formula anywhere
    rows = csv_rows(csv_bytes(frames["groepen"]))
    by_code = {row[0]: row[8] for row in rows[1:]}
    assert by_code["0518-001"] == "'" + '=HYPERLINK("http://voorbeeld.nl","klik")'
    assert by_code["0599-002"] == "'-5 graden, toch gewandeld"
    members = {row[0]: row[3] for row in csv_rows(csv_bytes(frames["leden"]))[1:]}
    assert members["L0003"] == "'s-Gravenzande"  # a quote before a letter is left alone


def test_neutralising_text_but_not_numbers():
    """Each OWASP trigger character on text; numbers, negative ones too, stay numbers in both formats."""
    texts = [
        "=1+1",
        "+1",
        "-1",
        "@A1",
        "\t=1",
        "\r=1",
        "Den Haag",
        "'s-Gravenhage",
        "",
        "06-12345678",
        "محمد",
    ]
    expected = [
        "'=1+1",
        "'+1",
        "'-1",
        "'@A1",
        "'\t=1",
        "'\r=1",
        "Den Haag",
        "'s-Gravenhage",
        "",
        "06-12345678",
        "محمد",
    ]
    frame = pd.DataFrame(
        {
            "tekst": texts,
            "getal": [-5, 3, -2, 0, 7, -1, 2, 3, 4, 5, 6],
            "kommagetal": [-2.5, 0.25, 1.0, 2, 3, 4, 5, 6, 7, 8, 9.5],
        }
    )
    rows = csv_rows(csv_bytes(frame))
    assert [r[0] for r in rows[1:]] == expected
    assert [r[1] for r in rows[1:4]] == ["-5", "3", "-2"]  # no quote before a negative number
    assert [r[2] for r in rows[1:4]] == ["-2,5", "0,25", "1"]  # decimal comma
    as_excel_reads_it = pd.read_csv(io.BytesIO(csv_bytes(frame)), sep=";", decimal=",", encoding="utf-8-sig")
    assert as_excel_reads_it["getal"].tolist()[:3] == [-5, 3, -2] and pd.api.types.is_integer_dtype(
        as_excel_reads_it["getal"]
    )
    assert as_excel_reads_it["kommagetal"].tolist()[:2] == [-2.5, 0.25]

    sheet = load_workbook(io.BytesIO(xlsx_bytes({"blad": frame})))["blad"]
    cells = list(sheet.iter_rows(min_row=2, values_only=False))
    # Whether a carriage return reads back as such or as a line feed depends on openpyxl's XML parser (lxml,
    # installed with python-docx, keeps it; the standard library's turns it into a line feed); the quote in
    # front is what matters
    assert [(r[0].value or "").replace("\r", "\n") for r in cells] == [
        e.replace("\r", "\n") for e in expected
    ]
    assert all(r[0].data_type == "s" for r in cells if r[0].value)
    assert [(r[1].value, r[1].data_type) for r in cells[:3]] == [(-5, "n"), (3, "n"), (-2, "n")]
    assert (cells[0][2].value, cells[0][2].data_type) == (-2.5, "n")
    assert [restore(neutralise(t)) for t in texts + ["''=x", "'+", "="]] == texts + ["''=x", "'+", "="]


def test_view_frames_with_timestamps_and_missing_values():
    """What a page shows: Timestamps (dates at midnight), nullable integers, labels; empty cells stay empty."""
    frame = pd.DataFrame(
        {
            "Laatste bijeenkomst": pd.to_datetime(["2026-11-03", None]),
            "Dagen": pd.array([12, None], dtype="Int64"),
            "Gezondheid": ["aandacht", "✓"],
        }
    )
    rows = csv_rows(csv_bytes(frame))
    assert rows == [
        ["Laatste bijeenkomst", "Dagen", "Gezondheid"],
        ["03-11-2026", "12", "aandacht"],
        ["", "", "✓"],
    ]
    sheet = load_workbook(io.BytesIO(xlsx_bytes({"overzicht": frame})))["overzicht"]
    first, second = list(sheet.iter_rows(min_row=2))
    assert first[0].value == dt.datetime(2026, 11, 3) and first[0].number_format == "DD-MM-YYYY"
    assert (first[1].value, first[1].data_type) == (12, "n")
    assert [c.value for c in second] == [None, None, "✓"]


# ------------------------------------------------------------------------------------------ filters, access, audit


def test_a_filtered_export_holds_the_filtered_groups_and_imports_alone(
    imported_engine, engine, workbook_sheets
):
    frames = export_frames(imported_engine, COORDINATOR, Filters(municipalities=("Den Haag",)))
    groups = workbook_sheets["groepen"]
    den_haag = set(groups.loc[groups["gemeente"] == "Den Haag", "groep_code"])
    assert set(frames["groepen"]["groep_code"]) == den_haag
    meetings = workbook_sheets["bijeenkomsten"]
    assert len(frames["bijeenkomsten"]) == int(meetings["groep_code"].isin(den_haag).sum())
    members = workbook_sheets["leden"]
    assert set(frames["leden"]["lid_code"]) == set(
        members.loc[members["groep_code"].isin(den_haag), "lid_code"]
    )
    newcomers, matches = workbook_sheets["nieuwkomers"], workbook_sheets["koppelingen"]
    matched_here = set(matches.loc[matches["groep_code"].isin(den_haag), "nieuwkomer_code"])
    living_here = set(newcomers.loc[newcomers["gemeente"] == "Den Haag", "nieuwkomer_code"])
    assert set(frames["nieuwkomers"]["nieuwkomer_code"]) == matched_here | living_here

    result = import_frames(engine, frames, username="test")  # a consistent subset: every reference resolves
    assert {s.sheet: s.new for s in result.sheets}["groepen"] == len(den_haag)


def test_a_community_builder_cannot_export_the_store(imported_engine):
    with pytest.raises(AccessDenied):
        export_frames(imported_engine, Scope.community_builder("samira", 1))
    with pytest.raises(AccessDenied):
        export_store(imported_engine, Scope.community_builder("samira", 1), fmt="xlsx")


def test_the_export_service_is_audited(imported_engine, workbook_sheets):
    data = export_store(imported_engine, COORDINATOR, fmt="csv")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert sorted(archive.namelist()) == sorted(f"{s}.csv" for s in SHEETS)
    with imported_engine.connect() as c:
        username, action, code, changes = c.execute(
            text("SELECT username, action, record_code, changes FROM audit_event ORDER BY id DESC LIMIT 1")
        ).one()
    assert (username, action, code) == ("anna", "export", "csv")
    assert json.loads(changes)["rows"] == {s: len(workbook_sheets[s]) for s in SHEETS}


# ------------------------------------------------------------------------------------------ command line


def test_cli_export_xlsx_and_csv_reimport_as_no_change(imported_engine, tmp_path, workbook_sheets):
    env = cli_env(imported_engine.url.database)
    done = run_cli("export", str(tmp_path / "werkboek.xlsx"), env=env)
    assert done.returncode == 0, done.stderr
    assert "1 bestand" in done.stdout
    done = run_cli("export", str(tmp_path / "csv"), "--format", "csv", env=env)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == sorted(f"{s}.csv" for s in SHEETS)
    for target in (tmp_path / "werkboek.xlsx", tmp_path / "csv"):
        result = import_paths(imported_engine, [target], username="test", dry_run=True)
        assert {s.sheet: (s.new, s.changed) for s in result.sheets} == {s: (0, 0) for s in SHEETS}
