"""Backup and restore of the SQLite store: consistent under concurrent writes, checked before restoring,
automatic daily backups with retention, the CLI commands and the audited services.

Files are inspected with the standard library's sqlite3, independent of samenhier.db.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import threading
from contextlib import closing
from pathlib import Path
from types import SimpleNamespace

import pytest
from cli_helpers import cli_env, query, run_cli
from sample_data import WORKBOOK
from sqlalchemy import text
from sqlalchemy.engine import make_url

from samenhier import PROJECT_ROOT
from samenhier.backup import (
    BackupError,
    auto_backup,
    backup_dir,
    backup_kind,
    check_backup,
    list_backups,
    make_backup,
    restore_backup,
)
from samenhier.scope import AccessDenied, Scope
from samenhier.services.data import backup_now, restore

COORDINATOR = Scope.coordinator("anna")


def sqlite_dump(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table of the SQLite file ``path``, ordered (stdlib sqlite3)."""
    with closing(sqlite3.connect(path)) as db:
        names = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {n: db.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names}


def pragma(path: Path, name: str) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(f"PRAGMA {name}").fetchall()


def store_file(engine) -> Path:
    return Path(engine.url.database)


# ------------------------------------------------------------------------------------------ backup


def test_a_backup_is_a_complete_single_file_copy(imported_engine, tmp_path, dump_tables):
    made = make_backup(imported_engine, tmp_path)
    assert made.parent == tmp_path and backup_kind(made) == "handmatig"
    assert pragma(made, "integrity_check") == [("ok",)]
    assert pragma(made, "journal_mode") == [("delete",)]  # no -wal file needed beside it
    assert not Path(f"{made}-wal").exists()
    assert sqlite_dump(made) == dump_tables(imported_engine)


def test_a_backup_taken_during_concurrent_writes_restores_to_a_consistent_store(
    imported_engine, engine, tmp_path
):
    """A writer commits, as fast as it can, transactions that each add a meeting *and* raise the group's
    version. In any consistent snapshot: meetings added == version raised. A torn copy would break it."""
    live = store_file(imported_engine)
    with closing(sqlite3.connect(live)) as db:
        group_id, version_before = db.execute(
            "SELECT id, version FROM welcome_group ORDER BY id LIMIT 1"
        ).fetchone()
    commits = 0
    progress = threading.Condition()
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer() -> None:
        nonlocal commits
        try:
            with closing(sqlite3.connect(live, timeout=30, isolation_level=None)) as db:
                db.execute("PRAGMA journal_mode=WAL")
                while not stop.is_set():
                    db.execute("BEGIN IMMEDIATE")
                    db.execute(
                        "INSERT INTO meeting (group_id, date, kind, duration_minutes, members_present, newcomers_present, note, version)"
                        " VALUES (?, '2026-11-15', 'online', 60, 1, 1, ?, 1)",
                        (group_id, f"schrijver {commits}"),
                    )
                    db.execute("UPDATE welcome_group SET version = version + 1 WHERE id = ?", (group_id,))
                    db.execute("COMMIT")
                    with progress:
                        commits += 1
                        progress.notify_all()
        except BaseException as exc:  # surfaced in the test below
            failures.append(exc)
            with progress:
                progress.notify_all()

    def wait_for(n: int) -> None:
        with progress:
            assert progress.wait_for(lambda: commits >= n or failures, timeout=120)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        wait_for(25)
        made = make_backup(imported_engine, tmp_path / "tijdens-schrijven.db")
        at_backup = commits
        wait_for(at_backup + 25)  # the writer was never held up for long: it went on after the backup
    finally:
        stop.set()
        thread.join()
    assert not failures

    def invariant(path: Path) -> tuple[int, int]:
        with closing(sqlite3.connect(path)) as db:
            added = db.execute("SELECT count(*) FROM meeting WHERE note LIKE 'schrijver %'").fetchone()[0]
            version = db.execute("SELECT version FROM welcome_group WHERE id = ?", (group_id,)).fetchone()[0]
        return added, version - version_before

    added, raised = invariant(made)
    assert added == raised
    assert 25 <= added <= at_backup < commits  # a snapshot from while the writer ran, not before or after
    assert pragma(made, "integrity_check") == [("ok",)]

    restore_backup(engine, made, safety_dir=tmp_path / "veiligheid")
    assert invariant(store_file(engine)) == (added, added)
    assert pragma(store_file(engine), "integrity_check") == [("ok",)]
    assert pragma(store_file(engine), "foreign_key_check") == []


def test_backup_of_a_store_that_is_not_sqlite_is_refused(tmp_path):
    for url in ("postgresql+psycopg://samen@localhost/samenhier", "sqlite://"):
        with pytest.raises(BackupError) as refused:
            make_backup(SimpleNamespace(url=make_url(url)), tmp_path)
        assert refused.value.code == "unsupported"
        assert "pg_dump" in refused.value.message("nl")
    assert list(tmp_path.iterdir()) == []


def test_the_backup_folder(imported_engine):
    assert (
        backup_dir(imported_engine) == store_file(imported_engine).parent / "backups"
    )  # default: beside the store
    assert backup_dir(imported_engine, "elders/kopieen") == PROJECT_ROOT / "elders" / "kopieen"
    assert backup_dir(imported_engine, "/srv/kopieen") == Path("/srv/kopieen")


# ------------------------------------------------------------------------------------------ restore


def test_restore_replaces_the_data_and_keeps_a_copy_of_what_was_there(imported_engine, tmp_path, dump_tables):
    original = dump_tables(imported_engine)
    made = make_backup(imported_engine, tmp_path)
    with imported_engine.begin() as c:  # work done after the backup, to be undone
        c.execute(text("DELETE FROM survey_response"))
        c.execute(text("UPDATE welcome_group SET name = 'Later hernoemd'"))
    with imported_engine.connect() as c:  # a pooled connection that was open before the restore
        assert c.execute(text("SELECT count(*) FROM survey_response")).scalar_one() == 0
    changed = dump_tables(imported_engine)

    result = restore_backup(imported_engine, made, safety_dir=tmp_path / "veiligheid")

    assert dump_tables(imported_engine) == original
    assert (
        backup_kind(result.safety_copy) == "voor-herstel"
        and result.safety_copy.parent == tmp_path / "veiligheid"
    )
    assert sqlite_dump(result.safety_copy) == changed
    assert result.info.counts == {
        "groups": len(original["welcome_group"]),
        "members": len(original["member"]),
        "newcomers": len(original["newcomer"]),
        "meetings": len(original["meeting"]),
    }
    assert made.is_file()  # the backup itself is untouched


def _sqlite_file(path: Path, sql: str = "") -> Path:
    with closing(sqlite3.connect(path)) as db:
        db.executescript(sql or "CREATE TABLE notities (tekst TEXT)")
    return path


def _newer(path: Path, backup: Path) -> Path:
    shutil.copy(backup, path)
    with closing(sqlite3.connect(path)) as db:
        db.execute("UPDATE alembic_version SET version_num = 'ffff_uit_de_toekomst'")
        db.commit()
    return path


def _damaged(path: Path, backup: Path) -> Path:
    data = bytearray(backup.read_bytes())
    data[8192 : len(data) // 2] = b"\x00" * (len(data) // 2 - 8192)  # wipe pages after the first two
    path.write_bytes(bytes(data))
    return path


def _truncated(path: Path, backup: Path) -> Path:
    path.write_bytes(backup.read_bytes()[: backup.stat().st_size // 3])
    return path


REFUSALS = {
    "text": (lambda p, b: (p.write_text("dit is geen database"), p)[1], "not_a_database"),
    "workbook": (lambda p, b: (shutil.copy(WORKBOOK, p), p)[1], "not_a_database"),
    "other_sqlite": (lambda p, b: _sqlite_file(p), "not_samenhier"),
    "newer_schema": (_newer, "newer_schema"),
    "damaged": (_damaged, "corrupt"),
    "truncated": (_truncated, "corrupt"),
    "missing": (lambda p, b: p, "file_missing"),
}


@pytest.mark.parametrize("kind", list(REFUSALS))
def test_restore_refuses_and_changes_nothing(imported_engine, tmp_path, dump_tables, kind):
    backup = make_backup(imported_engine, tmp_path / "goed.db")
    make, code = REFUSALS[kind]
    candidate = make(tmp_path / f"kandidaat-{kind}.db", backup)
    before = dump_tables(imported_engine)

    with pytest.raises(BackupError) as refused:
        restore_backup(imported_engine, candidate, safety_dir=tmp_path / "veiligheid")

    assert refused.value.code == code
    assert refused.value.message("nl") != f"backup.error.{code}"  # a sentence, not the key
    assert dump_tables(imported_engine) == before
    assert not (tmp_path / "veiligheid").exists()  # refused before anything was copied
    with pytest.raises(BackupError):
        check_backup(candidate)


def test_restore_refuses_the_store_itself(imported_engine, tmp_path):
    with pytest.raises(BackupError) as refused:
        restore_backup(imported_engine, store_file(imported_engine), safety_dir=tmp_path)
    assert refused.value.code == "same_file"


def test_check_reports_schema_and_counts(imported_engine, tmp_path, workbook_sheets):
    info = check_backup(make_backup(imported_engine, tmp_path))
    # The head of the migration chain (revision ids need not grow along it: branches are re-chained at merge).
    from alembic.script import ScriptDirectory

    from samenhier.db import MIGRATIONS_DIR

    newest = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert info.revision == newest and info.up_to_date
    assert info.counts == {
        "groups": len(workbook_sheets["groepen"]),
        "members": len(workbook_sheets["leden"]),
        "newcomers": len(workbook_sheets["nieuwkomers"]),
        "meetings": len(workbook_sheets["bijeenkomsten"]),
    }


# ------------------------------------------------------------------------------------------ automatic, retention


def test_daily_automatic_backups_keep_the_newest(imported_engine, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    manual = make_backup(imported_engine, folder)
    start = dt.datetime(2026, 11, 1, 9, 0)
    made = []
    # one session per 8 hours for five days: a backup on the first and whenever the newest is a day old
    for hours in range(0, 5 * 24, 8):
        result = auto_backup(imported_engine, directory=folder, keep=3, now=start + dt.timedelta(hours=hours))
        if result:
            made.append(result.name)
    # day 0 09:00, then 24 h later (day 1 09:00), … : five backups, hours 0, 24, 48, 72, 96
    assert made == [f"samenhier-auto-202611{d:02d}-090000.db" for d in range(1, 6)]
    autos = sorted(p.name for p in folder.glob("samenhier-auto-*.db"))
    assert autos == made[-3:]  # retention 3: the newest three
    assert manual.is_file()  # manual backups are never pruned
    listed = list_backups(folder)
    assert set(listed["file"]) == {*made[-3:], manual.name}
    autos_listed = listed[listed["kind"] == "auto"]
    assert list(autos_listed["file"]) == list(reversed(made[-3:]))  # newest first
    assert list(autos_listed["created"]) == [start + dt.timedelta(hours=h) for h in (96, 72, 48)]
    assert auto_backup(imported_engine, directory=folder, keep=0, now=start + dt.timedelta(days=30)) is None


# ------------------------------------------------------------------------------------------ services, CLI


def test_services_are_coordinator_only_and_audited(imported_engine, tmp_path):
    builder = Scope.community_builder("samira", 1)
    folder = tmp_path / "kopieen"
    folder.mkdir()
    good = make_backup(imported_engine, tmp_path / "goed.db")
    with pytest.raises(AccessDenied):
        backup_now(imported_engine, builder, folder=folder)
    with pytest.raises(AccessDenied):
        restore(imported_engine, builder, source=good, safety_dir=folder)
    assert list(folder.iterdir()) == []
    with pytest.raises(ValueError):
        backup_now(imported_engine, COORDINATOR)

    made = backup_now(
        imported_engine, COORDINATOR, folder=folder / "nog" / "niet" / "daar"
    )  # created on the way
    assert made.parent == folder / "nog" / "niet" / "daar" and made.name.startswith("samenhier-handmatig-")
    restore(imported_engine, COORDINATOR, source=made, safety_dir=tmp_path / "veiligheid")
    with imported_engine.connect() as c:
        events = c.execute(
            text("SELECT username, action, record_code FROM audit_event ORDER BY id DESC LIMIT 2")
        ).all()
    # the backup's own event is not in the backup (made after the copy), so after the restore only the restore shows
    assert [tuple(e) for e in events][0] == ("anna", "restore", made.name)
    assert ("anna", "backup", made.name) not in [tuple(e) for e in events]


def test_cli_backup_and_restore(imported_engine, tmp_path):
    database = store_file(imported_engine)
    env = cli_env(database)
    meetings = query(database, "SELECT count(*) FROM meeting")[0][0]
    done = run_cli("backup", str(tmp_path), env=env)
    assert done.returncode == 0, done.stderr
    [made] = list(tmp_path.glob("samenhier-handmatig-*.db"))
    assert str(made) in done.stdout
    done = run_cli("backup", f"{tmp_path / 'nieuwe-map'}/", env=env)  # a folder that does not exist yet
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "nieuwe-map").iterdir()][0].startswith("samenhier-handmatig-")

    with closing(sqlite3.connect(database)) as db:
        db.execute("DELETE FROM meeting")
        db.commit()
    bad = tmp_path / "kapot.db"
    bad.write_text("geen database")
    refused = run_cli("restore", str(bad), env=env)
    assert (
        refused.returncode == 1
        and "geen SQLite-database" in refused.stderr
        and "Traceback" not in refused.stderr
    )
    assert query(database, "SELECT count(*) FROM meeting")[0][0] == 0

    done = run_cli("restore", str(made), env=env)
    assert done.returncode == 0, done.stderr
    assert query(database, "SELECT count(*) FROM meeting")[0][0] == meetings
    assert list(
        (database.parent / "backups").glob("samenhier-voor-herstel-*.db")
    )  # the safety copy, in the default folder


def test_cli_restore_lists_account_changes_and_asks(imported_engine, tmp_path):
    from samenhier.services.users import create_user

    database = store_file(imported_engine)
    env = cli_env(database)
    made = make_backup(imported_engine, tmp_path / "zonder-accounts.db")
    create_user(
        imported_engine, "lena", "een-lang-wachtwoord", "coordinator"
    )  # not in the backup: the restore removes it

    asked = run_cli("restore", str(made), env=env)  # standard input is no terminal: nobody can answer
    assert asked.returncode == 1, asked.stdout
    assert (
        "De back-up verandert 1 account:" in asked.stdout and "lena (coördinator) verdwijnt" in asked.stdout
    )
    assert "Niet hersteld" in asked.stderr
    assert query(database, "SELECT username FROM user_account") == [("lena",)]

    done = run_cli("restore", str(made), "--yes", env=env)
    assert done.returncode == 0, done.stderr
    assert query(database, "SELECT username FROM user_account") == []
