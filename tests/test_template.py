"""The empty workbook for coordinators who start from Excel (issue 22, item 2): its drop-down lists hold
exactly the vocabularies of models.py (and the municipality list), dates are formatted dd-mm-jjjj, the
Uitleg sheet explains every column, and it imports — empty, and filled with the sample's rows, giving
the same report as the sample workbook itself."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from apptest_helpers import run_app
from cli_helpers import cli_env, run_cli
from openpyxl.utils import range_boundaries

from samenhier.db import get_engine, make_engine, migrate
from samenhier.io.template import template_bytes
from samenhier.io.workbook import import_paths
from samenhier.models import (
    Answer,
    GroupStatus,
    MatchStatus,
    MeetingKind,
    MemberRole,
    NewcomerStatus,
    RespondentRole,
    SelfReportedChange,
    Variant,
    Wave,
)
from samenhier.municipalities import MUNICIPALITIES
from samenhier.queries.report import headline_report
from samenhier.scope import Scope

SHEETS = ["community_builders", "groepen", "leden", "nieuwkomers", "koppelingen", "bijeenkomsten", "enquetes"]


def words(enum) -> set[str]:
    return {member.value for member in enum}


EXPECTED_LISTS = {
    ("community_builders", "gemeente"): set(MUNICIPALITIES),
    ("groepen", "gemeente"): set(MUNICIPALITIES),
    ("groepen", "variant"): words(Variant),
    ("groepen", "status"): words(GroupStatus),
    ("leden", "rol"): words(MemberRole),
    ("nieuwkomers", "gemeente"): set(MUNICIPALITIES),
    ("nieuwkomers", "status"): words(NewcomerStatus),
    ("koppelingen", "status"): words(MatchStatus),
    ("bijeenkomsten", "soort"): words(MeetingKind),
    ("enquetes", "rol"): words(RespondentRole),
    ("enquetes", "meting"): words(Wave),
    **{
        ("enquetes", item): words(Answer)
        for item in ("leegte", "terugvallen", "vertrouwen", "mis_mensen", "verbonden", "in_de_steek")
    },
    ("enquetes", "eenzaamheid_verandering"): words(SelfReportedChange),
}
"""Every closed column of the workbook guide (docs/werkboek.md) and the words models.py allows there."""


@pytest.fixture(scope="module")
def template() -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(template_bytes("nl")))


def _header(sheet) -> list[str]:
    return [cell.value for cell in sheet[1]]


def _list_values(workbook, formula: str) -> list[str]:
    sheet_part, cells = formula.split("!")
    sheet = workbook[sheet_part.strip("'")]
    min_col, min_row, max_col, max_row = range_boundaries(cells.replace("$", ""))
    return [
        sheet.cell(row=r, column=c).value
        for c in range(min_col, max_col + 1)
        for r in range(min_row, max_row + 1)
    ]


def test_sheets_in_order_with_their_headers_and_the_guide_first(template, workbook_path):
    assert template.sheetnames == ["Uitleg", *SHEETS]
    sample = openpyxl.load_workbook(workbook_path, read_only=True)
    for name in SHEETS:
        sample_header = [c.value.strip() for c in next(sample[name].iter_rows(max_row=1)) if c.value]
        assert _header(template[name]) == sample_header, name
        assert template[name].freeze_panes == "A2"
        assert template[name].max_row == 1  # no data rows


def test_drop_downs_hold_exactly_the_vocabularies(template):
    found = {}
    for name in SHEETS:
        sheet = template[name]
        header = _header(sheet)
        for rule in sheet.data_validations.dataValidation:
            if rule.type != "list":
                continue
            [cells] = rule.sqref.ranges
            assert cells.min_row == 2 and cells.max_row >= 1000 and cells.min_col == cells.max_col
            values = _list_values(template, rule.formula1)
            assert len(values) == len(set(values)), f"{name}.{header[cells.min_col - 1]} lists a word twice"
            found[(name, header[cells.min_col - 1])] = set(values)
            assert rule.showErrorMessage
    assert found == EXPECTED_LISTS


def test_number_rules_follow_the_import(template):
    rules = {}
    for name in SHEETS:
        header = _header(template[name])
        for rule in template[name].data_validations.dataValidation:
            if rule.type == "whole":
                [cells] = rule.sqref.ranges
                rules[(name, header[cells.min_col - 1])] = (rule.formula1, rule.formula2)
    assert rules == {
        ("nieuwkomers", "huishoudgrootte"): ("1", "15"),
        ("bijeenkomsten", "duur_minuten"): ("1", "1440"),
        ("bijeenkomsten", "aanwezig_leden"): ("0", "99"),
        ("bijeenkomsten", "aanwezig_nieuwkomers"): ("0", "99"),
        ("enquetes", "thuis_voelen"): ("1", "5"),
        ("enquetes", "nieuwe_contacten"): ("0", None),
    }


def test_date_columns_are_formatted_dd_mm_jjjj(template, workbook_sheets):
    for name in SHEETS:
        sheet = template[name]
        for index, column in enumerate(_header(sheet), start=1):
            letter = openpyxl.utils.get_column_letter(index)
            is_date = (
                workbook_sheets[name][column]
                .dropna()
                .map(lambda v: isinstance(v, dt.datetime | dt.date))
                .any()
                if column in workbook_sheets[name]
                else False
            )
            fmt = sheet.column_dimensions[letter].number_format
            assert (fmt == "DD-MM-YYYY") == is_date, f"{name}.{column}: {fmt}"


def test_the_guide_explains_every_column_in_the_chosen_language(template):
    guide = template["Uitleg"]
    rows = {(r[0], r[1]): r for r in guide.iter_rows(min_row=6, max_col=5, values_only=True) if r[0]}
    for name in SHEETS:
        for column in _header(template[name]):
            assert (name, column) in rows, f"{name}.{column} is not explained"
            assert rows[(name, column)][3], f"{name}.{column} has no explanation"
    assert rows[("groepen", "variant")][4] == ", ".join(v.value for v in Variant)
    assert rows[("groepen", "groep_code")][2] == "ja" and rows[("groepen", "notities")][2] in (None, "")
    english = openpyxl.load_workbook(io.BytesIO(template_bytes("en")))["Uitleg"]
    assert english["A1"].value == "Empty Samen Hier workbook"
    assert guide["A1"].value == "Leeg werkboek van Samen Hier"


def test_the_empty_template_imports_cleanly(engine, tmp_path):
    path = tmp_path / "sjabloon.xlsx"
    path.write_bytes(template_bytes())
    result = import_paths(engine, [path], username="test")
    assert [(s.sheet, s.new, s.changed, s.unchanged) for s in result.sheets] == [(s, 0, 0, 0) for s in SHEETS]


def test_filled_with_the_samples_rows_it_imports_to_the_same_report(imported_engine, workbook_path, tmp_path):
    template = openpyxl.load_workbook(io.BytesIO(template_bytes()))
    sample = openpyxl.load_workbook(workbook_path)
    for name in SHEETS:
        rows = list(sample[name].iter_rows(values_only=True))
        sample_header = [str(h).strip() if h is not None else None for h in rows[0]]
        target = template[name]
        order = [sample_header.index(column) for column in _header(target)]
        for row in rows[1:]:
            target.append([row[i] for i in order])
    path = tmp_path / "ingevuld.xlsx"
    template.save(path)

    store = make_engine(f"sqlite:///{tmp_path / 'from-template.db'}")
    migrate(store)
    import_paths(store, [path], username="test")
    for as_of in (dt.date(2026, 11, 15), dt.date(2026, 12, 20)):
        assert headline_report(store, as_of) == headline_report(imported_engine, as_of)
    store.dispose()


def test_template_command_writes_the_workbook(tmp_path):
    target = tmp_path / "leeg.xlsx"
    run = run_cli("template", str(target), "--lang", "en", env=cli_env(tmp_path / "unused.db"))
    assert run.returncode == 0, run.stderr
    assert "Empty workbook written" in run.stdout
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["Uitleg", *SHEETS]
    assert workbook["Uitleg"]["A1"].value == "Empty Samen Hier workbook"
    assert not (tmp_path / "unused.db").exists()  # it needs no store


def test_gegevens_offers_the_template_for_download(engine):
    from samenhier.services.users import create_user

    create_user(engine, "anna", "een-lang-wachtwoord", "coordinator")
    get_engine.cache_clear()
    at = run_app(Scope.coordinator("anna"), page="views/data.py")
    assert not at.exception, [e.value for e in at.exception]
    assert "Leeg werkboek (sjabloon)" in [b.label for b in at.get("download_button")]


def test_the_workbook_guide_describes_every_sheet_and_column():
    """docs/werkboek.md and the import layout do not drift apart: each sheet has its section, and each
    of its columns a row there (column names in backticks, several may share a row)."""
    import re

    from samenhier import PROJECT_ROOT
    from samenhier.io.export import SHEET_COLUMNS

    guide = (PROJECT_ROOT / "docs" / "werkboek.md").read_text(encoding="utf-8")
    sections = dict(
        re.findall(r"^### (\w+) — .*?\n(.*?)(?=^### |^The six statements|\Z)", guide, flags=re.M | re.S)
    )
    assert list(sections) == SHEETS
    for sheet, columns in SHEET_COLUMNS.items():
        first_cells = re.findall(r"^\|((?: ?`[^`]+`,?)+) \|", sections[sheet], flags=re.M)
        names = {name for cell in first_cells for name in re.findall(r"`([^`]+)`", cell)}
        assert set(columns) <= names, f"{sheet}: {sorted(set(columns) - names)} not in docs/werkboek.md"
