"""Import of the coordinator's workbook, checked against the workbook as pandas reads it in the test.

Invalid input is made by copying the workbook's frames (``read_workbook``) and altering one cell; the
Excel row of frame index ``i`` is ``i + 2`` (row 1 holds the column names).
"""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections import Counter

import pandas as pd
import pytest
from sqlalchemy import text

from samenhier.io.workbook import ImportFailed, import_frames, import_paths

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

TABLE_OF_SHEET = {
    "community_builders": "community_builder",
    "groepen": "welcome_group",
    "leden": "member",
    "nieuwkomers": "newcomer",
    "koppelingen": "match",
    "bijeenkomsten": "meeting",
    "enquetes": "survey_response",
}


def norm(value):
    """One cell or column value in a comparable form: text NFC-trimmed, dates ISO, whole floats int, blanks None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        value = unicodedata.normalize("NFC", value).strip()
        return value or None
    return value


def rows_of(frame: pd.DataFrame, columns: list[str]) -> Counter:
    return Counter(tuple(norm(v) for v in row) for row in frame[columns].itertuples(index=False))


def rows_in_db(engine, sql: str) -> Counter:
    with engine.connect() as c:
        return Counter(tuple(norm(v) for v in row) for row in c.exec_driver_sql(sql))


def count(engine, table: str) -> int:
    with engine.connect() as c:
        return c.exec_driver_sql(f'SELECT count(*) FROM "{table}"').scalar_one()


def without_audit(dump: dict) -> dict:
    return {name: rows for name, rows in dump.items() if name != "audit_event"}


# --------------------------------------------------------------------------------------- a clean import


def test_counts_equal_the_workbook(imported_engine, workbook_sheets):
    for sheet, table in TABLE_OF_SHEET.items():
        assert count(imported_engine, table) == len(workbook_sheets[sheet]), sheet


def test_programme_cities_have_their_cbs_codes(imported_engine):
    with imported_engine.connect() as c:
        codes = dict(c.execute(text("SELECT name, cbs_code FROM municipality")).fetchall())
    # CBS codes from the glossary in DESIGN.md
    assert {k: codes[k] for k in ("Den Haag", "Almere", "Haarlem", "Rotterdam")} == {
        "Den Haag": "GM0518",
        "Almere": "GM0034",
        "Haarlem": "GM0392",
        "Rotterdam": "GM0599",
    }


def _iso(row) -> tuple:
    """A row with its dates as ISO text (SQLite returns dates as text, PostgreSQL as dates)."""
    return tuple(v.isoformat() if isinstance(v, dt.date) else v for v in row)


def test_spot_checks(imported_engine):
    """A few records read off the workbook by eye."""
    with imported_engine.connect() as c:
        member = c.execute(
            text(
                "SELECT m.first_name, m.last_name, m.role, m.joined_date, m.vog_date, g.code "
                "FROM member m JOIN welcome_group g ON g.id = m.group_id WHERE m.code = 'L0001'"
            )
        ).one()
        assert _iso(member) == ("Kees", "Peters", "contactpersoon", "2022-05-04", "2022-06-10", "0518-001")
        newcomer = c.execute(
            text(
                "SELECT first_name, last_name, household_size, arrival_date FROM newcomer WHERE code = 'N0002'"
            )
        ).one()
        assert _iso(newcomer) == ("Ruta", "Berhane", 4, "2021-11-16")
        meeting = c.execute(
            text(
                "SELECT mt.duration_minutes, mt.members_present, mt.note FROM meeting mt JOIN welcome_group g ON g.id = mt.group_id "
                "WHERE g.code = '0034-001' AND mt.date = '2023-02-14' AND mt.kind = 'groepsactiviteit'"
            )
        ).all()
        assert [tuple(r) for r in meeting] == [(120, 1, "taaloefening")]
        match = c.execute(
            text(
                "SELECT k.started_date, k.ended_date, k.status, k.end_reason FROM match k "
                "JOIN newcomer n ON n.id = k.newcomer_id WHERE n.code = 'N0072'"
            )
        ).one()
        assert _iso(match) == ("2026-07-28", None, "actief", "")


def test_unicode_names_are_stored_nfc(imported_engine, workbook_sheets):
    leyla = "Leyla Ayd\u0131n"  # dotless ı (U+0131)
    zeynep = "Y\u0131lmaz"
    with imported_engine.connect() as c:
        builder_id = c.execute(
            text("SELECT id FROM community_builder WHERE name = :n"), {"n": leyla}
        ).scalar_one()
        guided = c.execute(
            text("SELECT count(*) FROM welcome_group WHERE community_builder_id = :b"), {"b": builder_id}
        ).scalar_one()
        assert c.execute(text("SELECT last_name FROM newcomer WHERE code = 'N0003'")).scalar_one() == zeynep
        names = [
            r[0]
            for r in c.execute(
                text(
                    "SELECT name FROM community_builder UNION ALL SELECT first_name || ' ' || last_name FROM newcomer "
                    "UNION ALL SELECT first_name || ' ' || last_name FROM member"
                )
            )
        ]
    groups = workbook_sheets["groepen"]
    assert guided == int((groups["community_builder"].str.strip() == leyla).sum()) > 0
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


def test_nfd_and_padded_text_is_stored_nfc_and_trimmed(imported_engine, workbook_frames):
    members = workbook_frames["leden"]
    i = int(members.index[members["lid_code"] == "L0002"][0])
    members.loc[i, "voornaam"] = "  Zoe\u0308 "  # Zoë with a combining diaeresis, padded
    result = import_frames(imported_engine, workbook_frames, username="test")
    assert {s.sheet: s.changed for s in result.sheets}["leden"] == 1
    with imported_engine.connect() as c:
        assert (
            c.execute(text("SELECT first_name FROM member WHERE code = 'L0002'")).scalar_one() == "Zo\u00eb"
        )


# The whole workbook, row by row: each sheet's cells (pandas, normalised in the test) against the stored rows.
ROUND_TRIP = {
    "community_builders": (
        ["naam", "e-mail", "gemeente", "talen"],
        "SELECT b.name, b.email, m.name, b.languages FROM community_builder b JOIN municipality m ON m.id = b.municipality_id",
    ),
    "groepen": (
        [
            "groep_code",
            "naam",
            "gemeente",
            "variant",
            "community_builder",
            "status",
            "aangemeld_op",
            "training_afgerond_op",
            "notities",
        ],
        "SELECT g.code, g.name, m.name, g.variant, b.name, g.status, g.signup_date, g.training_completed_date, g.notes "
        "FROM welcome_group g JOIN municipality m ON m.id = g.municipality_id LEFT JOIN community_builder b ON b.id = g.community_builder_id",
    ),
    "leden": (
        [
            "lid_code",
            "groep_code",
            "voornaam",
            "achternaam",
            "e-mail",
            "telefoon",
            "rol",
            "lid_sinds",
            "vog_datum",
        ],
        "SELECT l.code, g.code, l.first_name, l.last_name, l.email, l.phone, l.role, l.joined_date, l.vog_date "
        "FROM member l JOIN welcome_group g ON g.id = l.group_id",
    ),
    "nieuwkomers": (
        [
            "nieuwkomer_code",
            "voornaam",
            "achternaam",
            "gemeente",
            "land_van_herkomst",
            "talen",
            "huishoudgrootte",
            "in_nederland_sinds",
            "verblijfsvergunning_sinds",
            "aangemeld_op",
            "status",
            "e-mail",
            "telefoon",
        ],
        "SELECT n.code, n.first_name, n.last_name, m.name, n.country_of_origin, n.languages, n.household_size, "
        "n.arrival_date, n.permit_date, n.registration_date, n.status, n.email, n.phone "
        "FROM newcomer n JOIN municipality m ON m.id = n.municipality_id",
    ),
    "koppelingen": (
        [
            "groep_code",
            "nieuwkomer_code",
            "voorgesteld_op",
            "gestart_op",
            "beeindigd_op",
            "status",
            "reden_einde",
        ],
        "SELECT g.code, n.code, k.proposed_date, k.started_date, k.ended_date, k.status, k.end_reason "
        "FROM match k JOIN welcome_group g ON g.id = k.group_id JOIN newcomer n ON n.id = k.newcomer_id",
    ),
    "bijeenkomsten": (
        ["groep_code", "datum", "soort", "duur_minuten", "aanwezig_leden", "aanwezig_nieuwkomers", "notitie"],
        "SELECT g.code, t.date, t.kind, t.duration_minutes, t.members_present, t.newcomers_present, t.note "
        "FROM meeting t JOIN welcome_group g ON g.id = t.group_id",
    ),
    "enquetes": (
        [
            "respondent_code",
            "rol",
            "groep_code",
            "meting",
            "datum",
            "leegte",
            "terugvallen",
            "vertrouwen",
            "mis_mensen",
            "verbonden",
            "in_de_steek",
            "thuis_voelen",
            "eenzaamheid_verandering",
            "nieuwe_contacten",
        ],
        "SELECT COALESCE(l.code, n.code), CASE WHEN l.id IS NULL THEN 'nieuwkomer' ELSE 'lid' END, g.code, s.wave, s.date, "
        "s.emptiness, s.fall_back_on, s.trust, s.miss_people, s.connected, s.abandoned, s.feel_at_home, "
        "s.self_reported_change, s.new_contacts FROM survey_response s JOIN welcome_group g ON g.id = s.group_id "
        "LEFT JOIN member l ON l.id = s.member_id LEFT JOIN newcomer n ON n.id = s.newcomer_id",
    ),
}


@pytest.mark.parametrize("sheet", list(ROUND_TRIP))
def test_every_row_is_stored_as_in_the_workbook(imported_engine, workbook_sheets, sheet):
    columns, sql = ROUND_TRIP[sheet]
    expected = rows_of(workbook_sheets[sheet], columns)
    stored = rows_in_db(imported_engine, sql)
    assert sum(expected.values()) == len(workbook_sheets[sheet])
    assert stored == expected


# --------------------------------------------------------------------------------------- idempotence, changes


def test_second_import_changes_nothing(imported_engine, workbook_path, workbook_sheets, dump_tables):
    before = dump_tables(imported_engine)
    result = import_paths(imported_engine, [workbook_path], username="test")
    after = dump_tables(imported_engine)

    assert result.applied is True
    assert {s.sheet: (s.new, s.changed, s.unchanged) for s in result.sheets} == {
        sheet: (0, 0, len(frame)) for sheet, frame in workbook_sheets.items()
    }
    assert without_audit(after) == without_audit(before)
    # The import itself is audited: exactly one new event, and it says nothing changed.
    new_events = after["audit_event"][len(before["audit_event"]) :]
    assert after["audit_event"][: len(before["audit_event"])] == before["audit_event"]
    assert len(new_events) == 1
    with imported_engine.connect() as c:
        action, changes = c.execute(
            text("SELECT action, changes FROM audit_event ORDER BY id DESC LIMIT 1")
        ).one()
    assert action == "import"
    assert json.loads(changes) == {sheet: {"new": 0, "changed": 0} for sheet in TABLE_OF_SHEET}


def test_other_spellings_of_the_same_records_change_nothing(imported_engine, workbook_frames, dump_tables):
    """README: aliases, case, stray spaces, dd-mm-jjjj text dates, Excel serials and an empty last row give the same result."""
    f = workbook_frames
    groups, newcomers, meetings, surveys = f["groepen"], f["nieuwkomers"], f["bijeenkomsten"], f["enquetes"]
    den_haag = groups.index[groups["gemeente"] == "Den Haag"]
    groups.loc[den_haag[0], "gemeente"] = "'s-Gravenhage"
    groups.loc[den_haag[1], "gemeente"] = "  den haag "
    groups.loc[den_haag[2], "gemeente"] = "\u2019s-Gravenhage"
    groups.loc[groups.index[0], "status"] = groups.loc[groups.index[0], "status"].upper()
    newcomers.loc[newcomers.index[0], "gemeente"] = "DEN HAAG"
    newcomers.loc[newcomers.index[0], "huishoudgrootte"] = (
        f" {newcomers.loc[newcomers.index[0], 'huishoudgrootte']} "
    )
    day = meetings.loc[meetings.index[0], "datum"]
    meetings.loc[meetings.index[0], "datum"] = day.strftime("%d-%m-%Y")
    meetings.loc[meetings.index[1], "datum"] = (
        meetings.loc[meetings.index[1], "datum"].date() - dt.date(1899, 12, 30)
    ).days
    meetings.loc[meetings.index[2], "duur_minuten"] = f"{meetings.loc[meetings.index[2], 'duur_minuten']},0"
    for item in ("leegte", "terugvallen", "vertrouwen", "mis_mensen", "verbonden", "in_de_steek"):
        surveys[item] = surveys[item].map(lambda v: v.upper().replace(" ", "-") if isinstance(v, str) else v)
    surveys.loc[surveys.index[0], "meting"] = " Nulmeting"
    f["leden"] = pd.concat(
        [f["leden"], pd.DataFrame([{c: None for c in f["leden"].columns}])], ignore_index=True
    )
    f["community_builders"] = f["community_builders"].rename(columns={"e-mail": " E-mail "})

    before = dump_tables(imported_engine)
    result = import_frames(imported_engine, f, username="test")

    assert [(s.sheet, s.new, s.changed) for s in result.sheets if s.new or s.changed] == []
    assert without_audit(dump_tables(imported_engine)) == without_audit(before)


def test_a_changed_cell_updates_one_record(imported_engine, workbook_frames, workbook_sheets, dump_tables):
    meetings = workbook_frames["bijeenkomsten"]
    # a meeting whose (group, date, kind) is unique in the workbook, so the row is unambiguous
    sheet = workbook_sheets["bijeenkomsten"]
    key_sizes = sheet.groupby(["groep_code", "datum", "soort"])["duur_minuten"].transform("size")
    i = int(sheet.index[key_sizes == 1][0])
    old = int(sheet.loc[i, "duur_minuten"])
    new = 45 if old != 45 else 50
    meetings.loc[i, "duur_minuten"] = new
    group_code, day, kind = (
        sheet.loc[i, "groep_code"],
        sheet.loc[i, "datum"].date().isoformat(),
        sheet.loc[i, "soort"],
    )

    before = dump_tables(imported_engine)
    result = import_frames(imported_engine, workbook_frames, username="test")
    after = dump_tables(imported_engine)

    assert {s.sheet: (s.new, s.changed) for s in result.sheets} == {
        s: (0, 1 if s == "bijeenkomsten" else 0) for s in TABLE_OF_SHEET
    }
    differing = set(before["meeting"]) ^ set(after["meeting"])
    assert len(differing) == 2  # the old and the new version of one row
    with imported_engine.connect() as c:
        row = c.execute(
            text(
                "SELECT mt.duration_minutes, mt.version FROM meeting mt JOIN welcome_group g ON g.id = mt.group_id "
                "WHERE g.code = :g AND mt.date = :d AND mt.kind = :k"
            ),
            {"g": group_code, "d": day, "k": kind},
        ).one()
    assert tuple(row) == (new, 2)
    for name in before:
        if name not in ("meeting", "audit_event"):
            assert after[name] == before[name], name


# --------------------------------------------------------------------------------------- invalid input

BAD_CELLS = [
    # sheet, frame index, column, bad value, error code
    ("bijeenkomsten", 10, "datum", "31-02-2025", "date"),
    ("koppelingen", 3, "voorgesteld_op", "2025-13-01", "date"),
    ("nieuwkomers", 5, "gemeente", "Amsterdamm", "municipality"),
    ("groepen", 7, "gemeente", "Atlantis", "municipality"),
    ("bijeenkomsten", 7, "groep_code", "9999-999", "unknown_group"),
    ("leden", 30, "groep_code", "0518-999", "unknown_group"),
    ("enquetes", 3, "leegte", "misschien", "vocabulary"),
    ("enquetes", 40, "verbonden", "5", "vocabulary"),
    ("bijeenkomsten", 12, "duur_minuten", -30, "range"),
    ("bijeenkomsten", 13, "duur_minuten", 0, "range"),
    ("nieuwkomers", 8, "huishoudgrootte", 0, "range"),
    ("leden", 20, "lid_code", "L0003", "duplicate"),
    ("nieuwkomers", 9, "nieuwkomer_code", "N0001", "duplicate"),
    ("leden", 5, "voornaam", None, "required"),
    ("bijeenkomsten", 20, "datum", "  ", "required"),
    ("groepen", 3, "community_builder", "Niemand Bekend", "unknown_builder"),
    ("koppelingen", 6, "nieuwkomer_code", "N9999", "unknown_newcomer"),
    ("enquetes", 2, "respondent_code", "L9999", "unknown_member"),
    ("groepen", 4, "training_afgerond_op", "2000-01-01", "date_before"),  # training before sign-up
    ("nieuwkomers", 11, "verblijfsvergunning_sinds", "2000-01-01", "date_before"),  # permit before arrival
    ("koppelingen", 2, "beeindigd_op", "2000-01-01", "date_before"),  # ended before it started
]


@pytest.mark.parametrize(
    ("sheet", "index", "column", "value", "code"), BAD_CELLS, ids=[f"{c[0]}-{c[2]}-{c[4]}" for c in BAD_CELLS]
)
def test_an_invalid_cell_refuses_the_whole_import(
    imported_engine, workbook_frames, dump_tables, sheet, index, column, value, code
):
    # A valid change earlier in the dependency order: it must not be written either.
    workbook_frames["groepen"].loc[0, "naam"] = "Welkomgroep Hernoemd"
    workbook_frames[sheet].loc[index, column] = value
    before = dump_tables(imported_engine)

    with pytest.raises(ImportFailed) as failed:
        import_frames(imported_engine, workbook_frames, username="test")

    issues = failed.value.issues
    assert [(i.sheet, i.row, i.column, i.code) for i in issues] == [(sheet, index + 2, column, code)]
    described = issues[0].describe("nl")
    assert described.startswith(f"{sheet}, rij {index + 2}, kolom {column}: ")
    if value is not None and str(value).strip():
        assert str(value) in described
    assert dump_tables(imported_engine) == before


def test_an_invalid_row_writes_nothing_into_an_empty_store(engine, workbook_frames, dump_tables):
    """The refusal comes late (an unknown group on the last-but-one sheet): everything before it is rolled back."""
    workbook_frames["bijeenkomsten"].loc[100, "groep_code"] = "0518-999"
    before = dump_tables(engine)
    with pytest.raises(ImportFailed) as failed:
        import_frames(engine, workbook_frames, username="test")
    assert [(i.sheet, i.row, i.column) for i in failed.value.issues] == [("bijeenkomsten", 102, "groep_code")]
    assert dump_tables(engine) == before
    # The migrations seed reference data (the schema version and the variants' milestones); the rest is empty.
    seeded = {"alembic_version", "milestone", "variant_timeline"}
    assert all(rows == [] for name, rows in before.items() if name not in seeded)


def test_row_numbers_count_blank_rows_in_the_middle(engine, workbook_frames):
    """A blank row inside a sheet is skipped, but the rows below it keep their Excel row numbers."""
    meetings = workbook_frames["bijeenkomsten"]
    blank = pd.DataFrame([dict.fromkeys(meetings.columns)])
    meetings = pd.concat([meetings.iloc[:10], blank, meetings.iloc[10:]], ignore_index=True)
    meetings.loc[15, "soort"] = "feest"  # Excel row 17: header, ten rows, the blank row 12, then rows 13…
    workbook_frames["bijeenkomsten"] = meetings
    with pytest.raises(ImportFailed) as failed:
        import_frames(engine, workbook_frames, username="test")
    assert [(i.sheet, i.row, i.column) for i in failed.value.issues] == [("bijeenkomsten", 17, "soort")]


def test_every_problem_is_reported_at_once(engine, workbook_frames):
    workbook_frames["leden"].loc[2, "lid_sinds"] = "gisteren"
    workbook_frames["bijeenkomsten"].loc[5, "soort"] = "feest"
    workbook_frames["enquetes"].loc[0, "thuis_voelen"] = 9
    with pytest.raises(ImportFailed) as failed:
        import_frames(engine, workbook_frames, username="test")
    assert [(i.sheet, i.row, i.column, i.code) for i in failed.value.issues] == [
        ("leden", 4, "lid_sinds", "date"),
        ("bijeenkomsten", 7, "soort", "vocabulary"),
        ("enquetes", 2, "thuis_voelen", "range"),
    ]


def test_a_missing_column_is_named(engine, workbook_frames):
    workbook_frames["bijeenkomsten"] = workbook_frames["bijeenkomsten"].drop(columns=["duur_minuten"])
    with pytest.raises(ImportFailed) as failed:
        import_frames(engine, workbook_frames, username="test")
    assert [(i.sheet, i.row, i.column, i.code) for i in failed.value.issues] == [
        ("bijeenkomsten", None, "duur_minuten", "column_missing")
    ]


def test_a_missing_file(engine, tmp_path, dump_tables):
    before = dump_tables(engine)
    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, [tmp_path / "bestaat-niet.xlsx"], username="test")
    [issue] = failed.value.issues
    assert issue.code == "file_missing"
    assert "bestaat-niet.xlsx" in issue.describe("nl")
    assert dump_tables(engine) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("notities.xlsx", b"dit is geen werkboek\n"),
        ("leeg.xlsx", b""),
    ],
)
def test_a_file_that_is_not_a_workbook(engine, tmp_path, dump_tables, name, content):
    # A .csv file is read as CSV since CSV import exists: see tests/test_csv_import.py.
    path = tmp_path / name
    path.write_bytes(content)
    before = dump_tables(engine)
    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, [path], username="test")
    [issue] = failed.value.issues
    assert issue.code == "not_a_workbook"
    assert issue.describe("nl").startswith(name)
    assert "Excel" in issue.describe("nl")
    assert dump_tables(engine) == before


def test_a_workbook_without_the_sheets(engine, tmp_path, workbook_frames):
    path = tmp_path / "half.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        workbook_frames["groepen"].to_excel(writer, sheet_name="groepen", index=False)
    with pytest.raises(ImportFailed) as failed:
        import_paths(engine, [path], username="test")
    missing = sorted(i.sheet for i in failed.value.issues if i.code == "sheet_missing")
    assert missing == sorted(set(TABLE_OF_SHEET) - {"groepen"})


# --------------------------------------------------------------------------------------- dry run


def test_dry_run_writes_nothing(engine, workbook_path, workbook_sheets, dump_tables):
    before = dump_tables(engine)
    result = import_paths(engine, [workbook_path], username="test", dry_run=True)
    assert result.applied is False
    assert {s.sheet: (s.new, s.changed, s.unchanged) for s in result.sheets} == {
        sheet: (len(frame), 0, 0) for sheet, frame in workbook_sheets.items()
    }
    assert dump_tables(engine) == before


def test_dry_run_of_a_change_reports_it_without_writing(imported_engine, workbook_frames, dump_tables):
    workbook_frames["nieuwkomers"].loc[0, "huishoudgrootte"] = (
        7 if workbook_frames["nieuwkomers"].loc[0, "huishoudgrootte"] != 7 else 6
    )
    before = dump_tables(imported_engine)
    result = import_frames(imported_engine, workbook_frames, username="test", dry_run=True)
    assert {s.sheet: s.changed for s in result.sheets}["nieuwkomers"] == 1
    assert dump_tables(imported_engine) == before
