"""AppTest tests of the data page (views/data.py): import with preview and confirmation, export, backup
and restore; the download buttons on the overview; the automatic backup when a session starts.

Expected counts are worked out from the workbook with pandas in the test.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
from apptest_helpers import login_session, run_app, texts
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from samenhier import PROJECT_ROOT
from samenhier.backup import make_backup
from samenhier.scope import Scope
from samenhier.services.users import create_user
from samenhier.ui import md

PAGE = "views/data.py"
SHEETS = ["community_builders", "groepen", "leden", "nieuwkomers", "koppelingen", "bijeenkomsten", "enquetes"]
ANNA = Scope.coordinator("anna")


@pytest.fixture
def store(imported_engine):
    """The workbook's store with a coordinator account."""
    create_user(imported_engine, "anna", "een-lang-wachtwoord", "coordinator")
    return imported_engine


def backups_folder(engine) -> Path:
    return Path(engine.url.database).parent / "backups"


def sheet_csv(frame: pd.DataFrame) -> bytes:
    """A sheet as Dutch Excel saves it: ; separated, UTF-8 with BOM, dd-mm-jjjj."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(frame.columns)
    for row in frame.itertuples(index=False):
        writer.writerow(
            [
                ""
                if v is None or (not isinstance(v, str) and pd.isna(v))
                else v.strftime("%d-%m-%Y")
                if isinstance(v, dt.datetime)
                else str(int(v))
                if isinstance(v, float)
                else str(v)
                for v in row
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def count(engine, table: str) -> int:
    with engine.connect() as c:
        return c.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()


def table_values(at, index: int = 0) -> pd.DataFrame:
    return at.dataframe[index].value


# ------------------------------------------------------------------------------------------ access


def test_only_coordinators_get_the_page(store):
    at = run_app(ANNA, page=PAGE)
    assert not at.exception
    assert [t.value for t in at.title] == ["Gegevens"]
    builder = create_user(
        store, "samira", "een-lang-wachtwoord", "community_builder", community_builder="Samira Benali"
    )
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run_app(builder, page=PAGE)  # not in a community builder's navigation
    # and should the page be reached some other way, it refuses by itself
    at = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=60)
    at.session_state["lang"], at.session_state["session_token"] = "nl", login_session(builder)
    at.run()
    assert "Dit record bestaat niet of je hebt er geen toegang toe." in texts(at)
    assert not at.title and not at.file_uploader and not at.button


# ------------------------------------------------------------------------------------------ import


def test_csv_upload_shows_a_preview_and_writes_only_on_confirmation(store, workbook_sheets, dump_tables):
    meetings = workbook_sheets["bijeenkomsten"].copy()
    sizes = meetings.groupby(["groep_code", "datum", "soort"])["duur_minuten"].transform("size")
    changed = int(meetings.index[sizes == 1][0])
    meetings.loc[changed, "duur_minuten"] = int(meetings.loc[changed, "duur_minuten"]) + 5
    new_row = {c: None for c in meetings.columns} | {
        "groep_code": "0034-001",
        "datum": dt.datetime(2026, 11, 14),
        "soort": "online",
        "duur_minuten": 45,
        "aanwezig_leden": 3,
        "aanwezig_nieuwkomers": 1,
        "notitie": "nieuw",
    }
    meetings = pd.concat([meetings, pd.DataFrame([new_row])], ignore_index=True)
    files = [
        (f"{s}.csv", sheet_csv(meetings if s == "bijeenkomsten" else workbook_sheets[s]), "text/csv")
        for s in SHEETS
    ]
    at = run_app(ANNA, page=PAGE)
    before = dump_tables(store)  # after the login (which adds a session row)
    at.file_uploader[0].set_value(files)
    at.run()

    assert not at.exception
    assert "Dit verandert er" in texts(at)
    preview = table_values(at)
    assert list(preview.columns) == ["Werkblad", "Nieuw", "Gewijzigd", "Ongewijzigd", "Conflicten"]
    rows = {r["Werkblad"]: (r["Nieuw"], r["Gewijzigd"], r["Ongewijzigd"]) for _, r in preview.iterrows()}
    n_meetings = len(workbook_sheets["bijeenkomsten"])
    assert rows["bijeenkomsten"] == (1, 1, n_meetings - 1)
    assert rows["groepen"] == (0, 0, len(workbook_sheets["groepen"]))
    # field level: the one changed meeting, its duration before → after, on its CSV row (header = row 1)
    fields = table_values(at, 1)
    old = int(workbook_sheets["bijeenkomsten"].loc[changed, "duur_minuten"])
    assert fields[["Werkblad", "Rij", "Kolom", "Nu", "Werkboek", "In de app gewijzigd"]].values.tolist() == [
        ["bijeenkomsten", changed + 2, "duur_minuten", str(old), str(old + 5), False]
    ]
    assert dump_tables(store) == before  # nothing written yet

    at.button(key="data_import_confirm").click()
    at.run()

    assert not at.exception
    assert "De import is opgeslagen: 1 nieuw, 1 gewijzigd." in texts(at)
    assert count(store, "meeting") == n_meetings + 1
    with store.connect() as c:
        event_id, username, action = c.execute(
            text("SELECT id, username, action FROM audit_event ORDER BY id DESC LIMIT 1")
        ).one()
    assert (username, action) == ("anna", "import")
    [link] = [p for p in at.get("page_link") if "audittrail" in p.proto.label]
    assert link.proto.page.endswith(f"audit?event={event_id}") or f"event={event_id}" in str(link.proto)
    assert not at.file_uploader[0].value  # an empty uploader for the next files


def test_an_invalid_upload_lists_every_problem_and_writes_nothing(store, workbook_sheets, dump_tables):
    meetings = workbook_sheets["bijeenkomsten"].copy().astype(object)
    meetings.loc[7, "datum"] = "31-02-2025"
    members = workbook_sheets["leden"].copy().astype(object)
    members.loc[3, "rol"] = "voorzitter"
    at = run_app(ANNA, page=PAGE)
    before = dump_tables(store)  # after the login (which adds a session row)
    at.file_uploader[0].set_value(
        [
            ("bijeenkomsten.csv", sheet_csv(meetings), "text/csv"),
            ("Leden.csv", sheet_csv(members), "text/csv"),
        ]
    )
    at.run()

    assert not at.exception
    assert "2 problemen" in texts(at)
    problems = table_values(at)
    assert [tuple(r) for r in problems[["Werkblad", "Rij", "Kolom", "Waarde"]].itertuples(index=False)] == [
        ("leden", 5, "rol", "voorzitter"),
        ("bijeenkomsten", 9, "datum", "31-02-2025"),
    ]  # frame index + 2
    assert not [b for b in at.button if b.key == "data_import_confirm"]
    assert dump_tables(store) == before


def test_the_check_runs_once_per_set_of_files_and_again_on_confirmation(
    store, workbook_sheets, monkeypatch, dump_tables
):
    """Other widgets on the page rerun it; the preview is not recomputed for that. The confirmed import
    checks again: here the group was renamed meanwhile, so the new meeting's group no longer exists."""
    from samenhier.services import data

    calls = []
    real = data.import_files
    monkeypatch.setattr(data, "import_files", lambda *a, **k: calls.append(k["dry_run"]) or real(*a, **k))
    meeting = pd.DataFrame(
        [
            {
                "groep_code": "0034-001",
                "datum": dt.datetime(2026, 11, 14),
                "soort": "online",
                "duur_minuten": 45,
                "aanwezig_leden": 3,
                "aanwezig_nieuwkomers": 1,
                "notitie": "nieuw",
            }
        ]
    )
    at = run_app(ANNA, page=PAGE)
    at.file_uploader[0].set_value(("bijeenkomsten.csv", sheet_csv(meeting), "text/csv"))
    at.run()
    at.run()  # a rerun, as any other widget makes (only the open tab runs: the export radio is not drawn now)
    assert calls == [True]
    assert "Dit verandert er" in texts(at)

    with store.begin() as c:
        c.execute(text("UPDATE welcome_group SET code = '0034-901' WHERE code = '0034-001'"))
    before = dump_tables(store)
    at.button(key="data_import_confirm").click()
    at.run()
    assert calls == [True, False]
    [problems] = [d.value for d in at.dataframe if "Rij" in d.value.columns]
    assert [tuple(r) for r in problems[["Werkblad", "Rij", "Kolom", "Waarde"]].itertuples(index=False)] == [
        ("bijeenkomsten", 2, "groep_code", "0034-001")
    ]
    assert dump_tables(store) == before


def test_uploading_the_same_workbook_changes_nothing(store, workbook_path):
    at = run_app(ANNA, page=PAGE)
    at.file_uploader[0].set_value(
        (
            workbook_path.name,
            workbook_path.read_bytes(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    )
    at.run()
    assert "importeren verandert niets" in texts(at)
    assert not [b for b in at.button if b.key == "data_import_confirm"]


# ------------------------------------------------------------------------------------------ export


def test_export_offers_both_formats_and_names_the_filters(store):
    at = run_app(ANNA, page=PAGE, query={"tab": "export"})
    assert "Alle groepen: er staan geen filters aan in de zijbalk." in texts(at)
    assert at.radio(key="data_export_format").options == [
        "Excel-werkboek (.xlsx)",
        "CSV-bestanden voor Excel (.zip, één bestand per werkblad)",
    ]
    assert [b.label for b in at.get("download_button")] == ["Export downloaden"]  # only the open tab runs
    assert "Leeg werkboek (sjabloon)" in [
        b.label for b in run_app(ANNA, page=PAGE, query={"tab": "import"}).get("download_button")
    ]
    at.radio(key="data_export_format").set_value("csv")
    at.multiselect(key="filter_municipalities").set_value(["Haarlem"])
    at.run()
    assert not at.exception
    assert "Alleen wat de filters in de zijbalk selecteren: Haarlem." in texts(at)
    # what the button downloads is export_store's output, tested in test_export.py (AppTest has no runtime
    # to run a download's deferred callable)


# ------------------------------------------------------------------------------------------ backup, restore


def test_backup_button_makes_a_backup_in_the_folder(store):
    at = run_app(ANNA, page=PAGE, query={"tab": "backup"})
    folder = backups_folder(store)
    autos = list(folder.glob("samenhier-auto-*.db"))  # the session's automatic backup
    at.button(key="data_backup_make").click()
    at.run()
    assert not at.exception
    [made] = list(folder.glob("samenhier-handmatig-*.db"))
    assert f"Back-up gemaakt: {md(made.name)}" in texts(at)  # Markdown source: - and . escaped
    listed = table_values(at)
    assert set(listed["file"]) == {made.name, *(p.name for p in autos)}
    assert [b.label for b in at.get("download_button") if b.label == "Deze back-up downloaden"]


def test_restore_from_the_folder_after_checking_and_confirming(store, dump_tables):
    folder = backups_folder(store)
    folder.mkdir(exist_ok=True)
    made = make_backup(store, folder)
    original = {
        t: count(store, t) for t in ("welcome_group", "member", "newcomer", "meeting", "survey_response")
    }
    with store.begin() as c:
        c.execute(text("DELETE FROM survey_response"))

    at = run_app(ANNA, page=PAGE, query={"tab": "backup"})
    at.selectbox(key="data_restore_choice_0").set_value(made.name)
    at.run()
    assert not at.exception
    assert f"{original['welcome_group']} groepen, {original['member']} leden" in texts(at)
    assert at.button(key="data_restore_confirm_0").disabled  # not before the box is ticked
    assert count(store, "survey_response") == 0

    at.checkbox(key="data_restore_sure_0").check()
    at.run()
    at.button(key="data_restore_confirm_0").click()
    at.run()

    assert not at.exception
    assert f"Hersteld uit {md(made.name)}" in texts(at)
    assert {t: count(store, t) for t in original} == original
    [safety] = list(folder.glob("samenhier-voor-herstel-*.db"))
    with closing(sqlite3.connect(safety)) as db:
        assert db.execute("SELECT count(*) FROM survey_response").fetchone()[0] == 0  # what was there before


def test_restore_refuses_a_file_that_is_not_a_backup(store, dump_tables):
    at = run_app(ANNA, page=PAGE, query={"tab": "backup"})
    before = dump_tables(store)  # after the login (which adds a session row)
    at.file_uploader[0].set_value(
        ("<img src=x onerror=alert(1)>.db", b"dit is geen database", "application/octet-stream")
    )
    at.run()
    assert not at.exception
    # the file name is user data: shown as typed, its Markdown/HTML characters escaped
    assert (
        "Deze back-up wordt niet hersteld: '\\<img src\\=x onerror\\=alert\\(1\\)\\>\\.db' is geen SQLite\\-database"
        in texts(at)
    )
    assert not [b for b in at.button if (b.key or "").startswith("data_restore_confirm")]
    assert dump_tables(store) == before


def test_a_session_start_makes_the_daily_backup_once(store):
    folder = backups_folder(store)
    run_app(ANNA)
    first = list(folder.glob("samenhier-auto-*.db"))
    assert len(first) == 1
    run_app(ANNA)  # a second session the same day
    assert list(folder.glob("samenhier-auto-*.db")) == first


def test_no_automatic_backup_when_turned_off_and_the_folder_made_when_needed(store, monkeypatch):
    monkeypatch.setenv("SAMENHIER_BACKUP_KEEP", "0")
    from samenhier.settings import get_settings

    get_settings.cache_clear()
    at = run_app(ANNA, page=PAGE, query={"tab": "backup"})
    folder = backups_folder(store)
    assert not folder.exists()
    assert "Automatische back-ups staan uit" in texts(at)
    at.button(key="data_backup_make").click()
    at.run()
    assert not at.exception
    assert (
        [p.name for p in folder.iterdir()] == [p.name for p in folder.glob("samenhier-handmatig-*.db")] != []
    )


# ------------------------------------------------------------------------------------------ overview downloads


def test_overview_offers_the_table_it_shows_for_download(store, workbook_sheets, monkeypatch):
    """The frame handed to download_buttons is the table on screen: codes (not links), Dutch headers, the
    groups the user may see."""
    from samenhier import widgets

    offered = []
    monkeypatch.setattr(widgets, "download_buttons", lambda frame, name: offered.append((frame, name)))
    at = run_app(ANNA)
    assert not at.exception
    [(frame, name)] = offered
    assert name == "groepen"
    assert list(frame.columns) == [
        "Code",
        "Naam",
        "Gemeente",
        "Status",
        "Community builder",
        "Groepsjaar",  # month or week of the group's year, by its variant (issue 19)
        "Laatste bijeenkomst",
        "Dagen sinds",
        "Aandacht",
    ]
    assert sorted(frame["Code"]) == sorted(workbook_sheets["groepen"]["groep_code"])

    offered.clear()
    builder = create_user(
        store, "samira", "een-lang-wachtwoord", "community_builder", community_builder="Samira Benali"
    )
    run_app(builder)
    groups = workbook_sheets["groepen"]
    assert sorted(offered[0][0]["Code"]) == sorted(
        groups.loc[groups["community_builder"].str.strip() == "Samira Benali", "groep_code"]
    )


def test_overview_download_buttons(store):
    at = run_app(ANNA)
    assert [b.label for b in at.get("download_button")] == ["Excel (.xlsx)", "CSV"]


def test_restore_shows_the_account_changes_before_replacing_anything(store):
    folder = backups_folder(store)
    folder.mkdir(exist_ok=True)
    made = make_backup(store, folder)
    create_user(store, "nieuwe_collega", "een-lang-wachtwoord", "coordinator")

    at = run_app(ANNA, page=PAGE, query={"tab": "backup"})
    at.selectbox(key="data_restore_choice_0").set_value(made.name)
    at.run()
    assert not at.exception
    [warning] = [w.value for w in at.warning]
    assert warning.startswith("Deze back-up verandert 1 account;")
    assert f"- {md('nieuwe_collega')} (coördinator) verdwijnt" in warning  # the name escaped: it is user text
    assert at.checkbox(key="data_restore_sure_0").label.endswith("ook de accounts hierboven")
    at.checkbox(key="data_restore_sure_0").check()
    at.run()
    at.button(key="data_restore_confirm_0").click()
    at.run()
    assert not at.exception
    assert f"Hersteld uit {md(made.name)}" in texts(at)
    assert count(store, "user_account") == 1
