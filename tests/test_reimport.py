"""Re-importing the workbook after edits in the app (issue 15): conflicts, keep-app / take-workbook, records the
workbook no longer lists, contradicting workbooks, every sheet on its own, a backup before every import.

The app edits are the issue's own: in the app 0518-022 ↔ N0084 was proposed and accepted, and 0034-010 ↔ N0060
was ended. The workbook (tests/data) still says 0518-022 "wacht op match", N0084 "wacht", and 0034-010 ↔ N0060
"actief" (checked with pandas in ``test_the_workbook_says_what_the_issue_says``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import cli_env, run_cli
from sqlmodel import Session, select

from samenhier import consistency
from samenhier.io.csv_files import read_csv_bytes
from samenhier.io.rows import SHEETS
from samenhier.io.workbook import ImportFailed, import_frames, import_paths
from samenhier.models import AuditEvent, Match, Newcomer, WelcomeGroup
from samenhier.scope import Scope
from samenhier.services.matches import accept_match, end_match, propose_match

pytestmark = pytest.mark.both_backends

COORDINATOR = Scope.coordinator("coord")


def by_code(session, model, code):
    return session.exec(select(model).where(model.code == code)).one()


def match_of(session, group_code, newcomer_code) -> Match:
    g, n = by_code(session, WelcomeGroup, group_code), by_code(session, Newcomer, newcomer_code)
    return session.exec(select(Match).where(Match.group_id == g.id, Match.newcomer_id == n.id)).one()


def app_edits(engine) -> None:
    """The issue's edits, made through the services as the app makes them."""
    with Session(engine) as session:
        group, newcomer = by_code(session, WelcomeGroup, "0518-022"), by_code(session, Newcomer, "N0084")
        ended = match_of(session, "0034-010", "N0060")
    match_id = propose_match(
        engine, COORDINATOR, newcomer_id=newcomer.id, group_id=group.id, proposed_date=dt.date(2026, 11, 10)
    )
    accept_match(
        engine, COORDINATOR, match_id=match_id, started_date=dt.date(2026, 11, 12), expected_version=1
    )
    end_match(
        engine,
        COORDINATOR,
        match_id=ended.id,
        outcome="gestopt",
        ended_date=dt.date(2026, 11, 14),
        reason="verhuisd",
        expected_version=ended.version,
    )


def state(engine) -> dict:
    with Session(engine) as session:
        new = match_of(session, "0518-022", "N0084")
        ended = match_of(session, "0034-010", "N0060")
        return {
            "0518-022": by_code(session, WelcomeGroup, "0518-022").status,
            "N0084": by_code(session, Newcomer, "N0084").status,
            "0034-010": by_code(session, WelcomeGroup, "0034-010").status,
            "N0060": by_code(session, Newcomer, "N0060").status,
            "new match": new.status,
            "ended match": (ended.status, ended.ended_date, ended.end_reason),
        }


AFTER_APP_EDITS = {
    "0518-022": "actief",
    "N0084": "gematcht",
    "0034-010": "gestopt",
    "N0060": "gematcht",
    "new match": "actief",
    "ended match": ("gestopt", dt.date(2026, 11, 14), "verhuisd"),
}
"""By hand from the match workflow (services/matches.py): accept makes group actief and newcomer gematcht; stopping
the group's only running match makes the group gestopt; the newcomer stays gematcht."""


def test_the_workbook_says_what_the_issue_says(workbook_sheets):
    g = workbook_sheets["groepen"].set_index("groep_code")["status"]
    n = workbook_sheets["nieuwkomers"].set_index("nieuwkomer_code")["status"]
    k = workbook_sheets["koppelingen"]
    assert (g["0518-022"], n["N0084"], g["0034-010"]) == ("wacht op match", "wacht", "actief")
    assert k.loc[(k.groep_code == "0034-010") & (k.nieuwkomer_code == "N0060"), "status"].tolist() == [
        "actief"
    ]
    assert k.loc[(k.groep_code == "0518-022") & (k.nieuwkomer_code == "N0084")].empty


GROUP_ROW, NEWCOMER_ROW = 74, 85
"""Excel rows of 0518-022 in groepen and N0084 in nieuwkomers (checked with pandas in the test below)."""


def test_the_rows_of_the_records(workbook_path):
    raw = pd.read_excel(workbook_path, sheet_name=None)
    assert raw["groepen"].index[raw["groepen"]["groep_code"] == "0518-022"][0] + 2 == GROUP_ROW
    assert raw["nieuwkomers"].index[raw["nieuwkomers"]["nieuwkomer_code"] == "N0084"][0] + 2 == NEWCOMER_ROW


def test_reimport_keeps_the_apps_edits_by_default(imported_engine, workbook_path):
    app_edits(imported_engine)
    assert state(imported_engine) == AFTER_APP_EDITS

    preview = import_paths(imported_engine, [workbook_path], username="test", dry_run=True)
    expected_conflicts = {
        ("groepen", "0518-022", "status", "actief", "wacht op match"),
        ("nieuwkomers", "N0084", "status", "gematcht", "wacht"),
        ("groepen", "0034-010", "status", "gestopt", "actief"),
        ("koppelingen", "0034-010 ↔ N0060", "status", "gestopt", "actief"),
        ("koppelingen", "0034-010 ↔ N0060", "beeindigd_op", dt.date(2026, 11, 14), None),
        ("koppelingen", "0034-010 ↔ N0060", "reden_einde", "verhuisd", ""),
    }
    assert {(c.sheet, c.record, c.column, c.before, c.after) for c in preview.conflicts} == expected_conflicts
    assert all(not c.applied for c in preview.conflicts)
    assert preview.changes == preview.conflicts  # nothing else differs from the workbook
    # reported, not deleted; named by codes and the newcomer's name (workbook: N0084 is Rami Haddad)
    assert [(m.sheet, m.record) for m in preview.missing] == [("koppelingen", "0518-022 ↔ N0084 Rami Haddad")]
    rows = {(c.sheet, c.record): c.row for c in preview.conflicts}
    assert rows[("groepen", "0518-022")] == GROUP_ROW  # Excel row: frame index + 2

    result = import_paths(imported_engine, [workbook_path], username="test")
    assert result.applied and result.on_conflict == "keep-app"
    assert {s.sheet: s.changed for s in result.sheets} == {s: 0 for s in SHEETS}
    assert state(imported_engine) == AFTER_APP_EDITS
    with Session(imported_engine) as session:
        assert consistency.violations(session) == []
        event = session.get(AuditEvent, result.audit_id)
    assert event.action == "import"
    assert json.loads(event.changes)["groepen"] == {"new": 0, "changed": 0, "conflicts": 2, "kept": 2}


def test_take_workbook_is_refused_with_reasons_when_it_would_contradict_the_app(
    imported_engine, workbook_path, dump_tables
):
    """The workbook wins on the group and the newcomer, but the match made in the app is not in the workbook
    and is never deleted: 0518-022 would be 'wacht op match' with a running match. Refused, nothing written."""
    app_edits(imported_engine)
    before = dump_tables(imported_engine)
    with pytest.raises(ImportFailed) as caught:
        import_paths(imported_engine, [workbook_path], username="test", on_conflict="take-workbook")
    assert dump_tables(imported_engine) == before
    messages = [i.describe("nl") for i in caught.value.issues]
    broken = [m for m in messages if "0518-022 ↔ N0084" in m]
    assert any(f"groepen, rij {GROUP_ROW}: groep 0518-022" in m for m in broken)
    assert any(f"nieuwkomers, rij {NEWCOMER_ROW}: nieuwkomer N0084" in m for m in broken)


def test_take_workbook_wins_where_the_store_stays_consistent(imported_engine, workbook_path, workbook_frames):
    """Only the ended match: with take-workbook the workbook's 'actief' comes back for the match and its group,
    together, and the store is consistent."""
    with Session(imported_engine) as session:
        ended = match_of(session, "0034-010", "N0060")
    end_match(
        imported_engine,
        COORDINATOR,
        match_id=ended.id,
        outcome="gestopt",
        ended_date=dt.date(2026, 11, 14),
        reason="verhuisd",
        expected_version=ended.version,
    )
    result = import_frames(imported_engine, workbook_frames, username="test", on_conflict="take-workbook")
    assert {(c.record, c.column) for c in result.conflicts if c.applied} == {
        ("0034-010", "status"),
        ("0034-010 ↔ N0060", "status"),
        ("0034-010 ↔ N0060", "beeindigd_op"),
        ("0034-010 ↔ N0060", "reden_einde"),
    }
    with Session(imported_engine) as session:
        assert match_of(session, "0034-010", "N0060").status == "actief"
        assert by_code(session, WelcomeGroup, "0034-010").status == "actief"
        assert consistency.violations(session) == []


def test_the_contradicting_workbook_is_refused_naming_both(engine, workbook_frames, dump_tables):
    """An 'actief' match for a group that is 'wacht op match' and a newcomer who is 'wacht'."""
    extra = workbook_frames["koppelingen"].iloc[[0]].copy()
    extra[
        [
            "groep_code",
            "nieuwkomer_code",
            "voorgesteld_op",
            "gestart_op",
            "beeindigd_op",
            "status",
            "reden_einde",
        ]
    ] = ["0518-022", "N0084", dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 3), None, "actief", None]
    workbook_frames["koppelingen"] = pd.concat([workbook_frames["koppelingen"], extra], ignore_index=True)
    excel_row = len(workbook_frames["koppelingen"]) + 1
    before = dump_tables(engine)
    with pytest.raises(ImportFailed) as caught:
        import_frames(engine, workbook_frames, username="test")
    assert dump_tables(engine) == before
    issues = [i for i in caught.value.issues if i.code == "consistency"]
    assert {i.params["rule"].rule for i in issues} == {"active_match_group", "active_match_newcomer"}
    for issue in issues:
        assert (issue.sheet, issue.row) == ("koppelingen", excel_row)
        text = issue.describe("nl")
        assert "0518-022 ↔ N0084" in text
    assert any("groep 0518-022" in i.describe("nl") for i in issues)
    assert any("nieuwkomer N0084" in i.describe("nl") for i in issues)


# ----------------------------------------------------------------------------------------- one sheet alone


def test_records_no_longer_in_the_workbook_are_named_by_code_and_name(imported_engine, workbook_frames):
    """Issue 14 leftovers, item 3: the list names each record as the app does, code and name (worked out from
    the workbook's own rows here)."""
    groups, members, newcomers = (workbook_frames[s] for s in ("groepen", "leden", "nieuwkomers"))
    group, member, newcomer = groups.iloc[-1], members.iloc[-1], newcomers.iloc[-1]
    frames = {"groepen": groups.iloc[:-1], "leden": members.iloc[:-1], "nieuwkomers": newcomers.iloc[:-1]}
    result = import_frames(imported_engine, frames, username="test", dry_run=True)
    assert {(m.sheet, m.record) for m in result.missing} == {
        ("groepen", f"{group['groep_code']} {group['naam']}"),
        ("leden", f"{member['lid_code']} {member['voornaam']} {member['achternaam']}"),
        ("nieuwkomers", f"{newcomer['nieuwkomer_code']} {newcomer['voornaam']} {newcomer['achternaam']}"),
    }


@pytest.mark.parametrize("sheet", list(SHEETS))
def test_every_sheet_alone_into_the_imported_store_changes_nothing(imported_engine, workbook_frames, sheet):
    result = import_frames(imported_engine, {sheet: workbook_frames[sheet]}, username="test")
    expected = len(workbook_frames[sheet].dropna(how="all"))
    assert [(s.sheet, s.new, s.changed, s.unchanged) for s in result.sheets] == [(sheet, 0, 0, expected)]
    assert result.missing == []


@pytest.mark.parametrize("sheet", list(SHEETS))
def test_every_sheet_alone_into_an_empty_store_works_or_is_refused_with_locations(
    engine, workbook_frames, sheet
):
    """An empty store knows no group, newcomer or builder: sheets that refer to them are refused, every problem
    with sheet, row and column (never a traceback); the first two sheets need nothing and import."""
    try:
        result = import_frames(engine, {sheet: workbook_frames[sheet]}, username="test")
    except ImportFailed as failed:
        assert sheet not in ("community_builders",)
        assert failed.issues and all(i.sheet == sheet and i.row for i in failed.issues)
        assert all(i.column for i in failed.issues if i.code != "consistency")
        # nieuwkomers alone: 'gematcht' newcomers without any match contradict the store (consistency)
        assert {i.code for i in failed.issues} <= {
            "unknown_builder",
            "unknown_group",
            "unknown_newcomer",
            "unknown_member",
            "consistency",
        }
    else:
        assert sheet == "community_builders"
        assert result.sheets[0].new == len(workbook_frames[sheet].dropna(how="all"))


def test_koppelingen_csv_alone_with_dutch_and_midnight_dates(imported_engine, workbook_sheets):
    """The issue's crash: `import koppelingen.csv` (dates as 20-1-2026) stopped with AttributeError; dates with a
    midnight time (2026-01-20 00:00:00) were refused."""
    k = workbook_sheets["koppelingen"].copy()
    for column in ("voorgesteld_op", "gestart_op", "beeindigd_op"):
        k[column] = k[column].map(lambda d: "" if pd.isna(d) else f"{d.day}-{d.month}-{d.year}")
    k.loc[k.index[0], "voorgesteld_op"] = (workbook_sheets["koppelingen"]["voorgesteld_op"].iloc[0]).strftime(
        "%Y-%m-%d 00:00:00"
    )
    data = k.to_csv(sep=";", index=False).encode("utf-8")
    sheet, frame = read_csv_bytes("koppelingen.csv", data)
    result = import_frames(imported_engine, {sheet: frame}, username="test")
    assert [(s.new, s.changed, s.unchanged) for s in result.sheets] == [(0, 0, len(k))]


# ----------------------------------------------------------------------------------------- backup, CLI


def test_a_backup_is_taken_right_before_every_import(imported_engine, workbook_frames, backend):
    if backend == "postgresql":
        result = import_frames(imported_engine, workbook_frames, username="test")
        assert result.backup is None  # pg_dump's job (README)
        return
    import sqlite3

    workbook_frames["groepen"].loc[0, "notities"] = "veranderd"
    result = import_frames(imported_engine, workbook_frames, username="test")
    assert result.backup is not None and result.backup.name.startswith("samenhier-voor-import-")
    code = workbook_frames["groepen"].loc[0, "groep_code"]
    with sqlite3.connect(result.backup) as c:  # the copy holds the state before the import
        (notes,) = c.execute("SELECT notes FROM welcome_group WHERE code = ?", (code,)).fetchone()
    assert notes != "veranderd"
    dry = import_frames(imported_engine, workbook_frames, username="test", dry_run=True)
    assert dry.backup is None


def test_cli_dry_run_lists_the_conflicts_by_code(imported_engine, workbook_path, backend):
    if backend == "postgresql":
        pytest.skip("the CLI is run against the SQLite file")
    app_edits(imported_engine)
    path = Path(imported_engine.url.database)
    env = cli_env(path)
    done = run_cli("import", "--dry-run", str(workbook_path), env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(
        f"groepen, rij {GROUP_ROW}, 0518-022, status: app 'actief', werkboek 'wacht op match'" in line
        for line in lines
    )
    assert any(
        "koppelingen" in line and "0034-010 ↔ N0060, reden_einde: app 'verhuisd'" in line for line in lines
    )
    assert "0518-022 ↔ N0084" in done.stdout  # no longer in the workbook: reported
    taken = run_cli("import", "--on-conflict", "take-workbook", str(workbook_path), env=env)
    assert taken.returncode == 1
    assert "0518-022 ↔ N0084" in taken.stderr


def test_the_templates_extras_are_fine(imported_engine, workbook_path, tmp_path):
    """Issue 22 item 3: an "Uitleg" sheet first (ignored), frozen header rows and Excel tables (ListObjects) on every
    sheet. Built with openpyxl from the sample workbook; importing it changes nothing."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table

    book = load_workbook(workbook_path)
    explanation = book.create_sheet("Uitleg", 0)
    explanation.append(["kolom", "betekenis"])
    explanation.append(["groep_code", "vaste code van de groep"])
    for number, sheet in enumerate(SHEETS):
        ws = book[sheet]
        ws.freeze_panes = "A2"
        ws.add_table(
            Table(displayName=f"Tabel{number}", ref=f"A1:{get_column_letter(ws.max_column)}{ws.max_row}")
        )
    path = tmp_path / "sjabloon.xlsx"
    book.save(path)
    assert load_workbook(path)["groepen"].tables  # the tables were written

    result = import_paths(imported_engine, [path], username="test", dry_run=True)
    assert all(s.new == s.changed == 0 for s in result.sheets)
    assert [s.sheet for s in result.sheets] == list(SHEETS)


def test_the_preview_writes_dates_as_the_tables_do():
    # The newcomer tester saw "2026-11-15" in the re-import preview, where every table says 15-11-2026.
    import datetime as dt

    from samenhier.io.results import FieldChange, ImportResult

    change = FieldChange(
        "koppelingen", 5, "0599-017 ↔ N0090", "gestopt_op", None, dt.date(2026, 11, 15), True, False
    )
    result = ImportResult(sheets=[], applied=False, changes=[change])
    assert result.changes_frame("nl").loc[0, ["before", "after"]].tolist() == ["", "15-11-2026"]
    assert result.changes_frame("en").loc[0, "after"] == "2026-11-15"
