"""Backup and restore of the SQLite store, safe while the app is in use; automatic daily backups.

- :func:`make_backup` copies the store with SQLite's online backup API (:meth:`sqlite3.Connection.backup`
  in one step): the copy is one consistent snapshot even while others write (the store runs in WAL
  mode, so writers are not held up), and it is a single self-contained file (journal mode DELETE).
- :func:`check_backup` refuses anything that is not a sound Samen Hier store: not an SQLite file,
  ``PRAGMA integrity_check`` or ``foreign_key_check`` failing, no Samen Hier tables, or a schema
  revision this version does not know (a backup from a newer version). An older schema is fine: it is
  upgraded (Alembic) after restoring.
- :func:`restore_backup` first checks a private copy of the file, then keeps a copy of the current
  store (``samenhier-voor-herstel-…``), then copies the checked file *into* the live store with the
  same backup API, so open connections of the running app simply see the restored data.
- :func:`auto_backup` makes a backup when the newest automatic one is a day old or more, and keeps the
  newest ``keep`` automatic backups (settings ``SAMENHIER_BACKUP_KEEP``, ``SAMENHIER_BACKUP_DIR``).

SQLite only: for another database (PostgreSQL) these functions raise :class:`BackupError`
``unsupported``; use that database's own tools (``pg_dump``).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy.engine import Engine

from samenhier import PROJECT_ROOT, i18n
from samenhier.clock import AMSTERDAM
from samenhier.db import MIGRATIONS_DIR, SQLITE_BUSY_TIMEOUT_MS, migrate

SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""
AUTO, MANUAL, BEFORE_RESTORE = "auto", "handmatig", "voor-herstel"
"""Kinds of backup, as they appear in the file names ``samenhier-<kind>-<YYYYMMDD-HHMMSS>.db``."""
BEFORE_IMPORT = "voor-import"
"""The backup every import takes right before it writes (samenhier.io.workbook.import_frames)."""
_NAME = re.compile(r"^samenhier-(auto|handmatig|voor-herstel|voor-import)-(\d{8}-\d{6})(?:-\d+)?\.db$")
_STAMP = "%Y%m%d-%H%M%S"
AUTO_INTERVAL = dt.timedelta(days=1)
COUNTED_TABLES = {"groups": "welcome_group", "members": "member", "newcomers": "newcomer", "meetings": "meeting"}


class BackupError(Exception):
    """A backup or restore was refused or failed; nothing was changed. ``code`` names the reason
    (i18n ``backup.error.<code>``), ``value`` the detail (a file name, SQLite's message)."""

    def __init__(self, code: str, value: str = ""):
        self.code, self.value = code, value
        super().__init__(f"{code}: {value}")

    def message(self, lang: str | None = None) -> str:
        return i18n.t(f"backup.error.{self.code}", lang, value=self.value)


@dataclass(frozen=True)
class BackupInfo:
    """What :func:`check_backup` found: schema revision, whether it is the newest, and row counts."""

    path: Path
    revision: str
    up_to_date: bool
    counts: dict[str, int] = field(default_factory=dict)
    """Rows per kind: ``groups``, ``members``, ``newcomers``, ``meetings``."""


@dataclass(frozen=True)
class RestoreResult:
    info: BackupInfo
    safety_copy: Path
    """The copy of the store as it was just before the restore."""


# ---------------------------------------------------------------------------------------------- where


def sqlite_path(engine: Engine) -> Path:
    """The database file behind ``engine``.

    Raises:
        BackupError: ``unsupported`` when the store is not an SQLite file.
    """
    url = engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise BackupError("unsupported", url.get_backend_name())
    return Path(url.database)


def backup_dir(engine: Engine, setting: str | None = None) -> Path:
    """The folder for backups: ``setting`` (``SAMENHIER_BACKUP_DIR``; relative to the project folder),
    else ``backups/`` beside the database file (``db/backups`` for the default store).

    Raises:
        BackupError: ``unsupported`` for a store that is not an SQLite file.
    """
    if setting:
        path = Path(setting)
        return path if path.is_absolute() else PROJECT_ROOT / path
    return sqlite_path(engine).parent / "backups"


def now_local() -> dt.datetime:
    """The current time in Europe/Amsterdam, without time zone (as backup file names show it)."""
    return dt.datetime.now(AMSTERDAM).replace(tzinfo=None, microsecond=0)


def backup_name(kind: str, at: dt.datetime) -> str:
    """``samenhier-<kind>-YYYYMMDD-HHMMSS.db``."""
    return f"samenhier-{kind}-{at.strftime(_STAMP)}.db"


def _free_name(folder: Path, kind: str, at: dt.datetime) -> Path:
    base = backup_name(kind, at).removesuffix(".db")
    path, n = folder / f"{base}.db", 1
    while path.exists():  # two backups within one second
        path, n = folder / f"{base}-{n}.db", n + 1
    return path


# ---------------------------------------------------------------------------------------------- backup


def backup_into(engine: Engine, folder: str | Path, *, kind: str = MANUAL, at: dt.datetime | None = None) -> Path:
    """:func:`make_backup` to a new ``samenhier-<kind>-YYYYMMDD-HHMMSS.db`` in ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return make_backup(engine, _free_name(folder, kind, at or now_local()))


def make_backup(engine: Engine, target: str | Path, *, kind: str = MANUAL, at: dt.datetime | None = None) -> Path:
    """Copy the store to ``target`` (a file, or an existing folder: then a new ``samenhier-<kind>-…`` file in
    it) with SQLite's online backup, consistent while others write. The file appears only when complete.

    Returns:
        The backup file.

    Raises:
        BackupError: ``unsupported`` (not SQLite), ``failed`` (SQLite could not copy or the copy is unsound).
    """
    source = sqlite_path(engine)
    target = Path(target)
    if target.is_dir():
        target = _free_name(target, kind, at or now_local())
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    os.close(handle)
    try:
        with closing(sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)) as src, closing(sqlite3.connect(partial)) as dst:
            src.backup(dst)  # pages=-1: all pages in one step, from one read snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            result = dst.execute("PRAGMA integrity_check").fetchall()
        if result != [("ok",)]:
            raise BackupError("failed", str(result[0][0]))
        os.replace(partial, target)
    except sqlite3.Error as exc:
        raise BackupError("failed", str(exc)) from exc
    finally:
        Path(partial).unlink(missing_ok=True)
    return target


# ---------------------------------------------------------------------------------------------- check


def _script() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(config)


def _inspect(path: Path, display: str) -> BackupInfo:
    """Integrity, foreign keys, Samen Hier tables and schema revision of the SQLite file ``path``."""
    try:
        with closing(sqlite3.connect(path)) as db:
            integrity = db.execute("PRAGMA integrity_check").fetchall()
            if integrity != [("ok",)]:
                lines = [line for line in str(integrity[0][0]).splitlines() if line.strip() and not line.startswith("***")]
                raise BackupError("corrupt", (lines or ["integrity_check"])[0][:200])
            if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise BackupError("corrupt", "foreign_key_check")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", *COUNTED_TABLES.values()} <= tables:
                raise BackupError("not_samenhier", display)
            revisions = [r[0] for r in db.execute("SELECT version_num FROM alembic_version")]
            counts = {k: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for k, t in COUNTED_TABLES.items()}
    except sqlite3.DatabaseError as exc:  # "file is not a database", "database disk image is malformed", …
        raise BackupError("corrupt", str(exc)) from exc
    if len(revisions) != 1:
        raise BackupError("not_samenhier", display)
    script = _script()
    revision = revisions[0]
    try:
        script.get_revision(revision)
    except (ResolutionError, CommandError, KeyError):
        raise BackupError("newer_schema", revision) from None
    return BackupInfo(path=path, revision=revision, up_to_date=revision in script.get_heads(), counts=counts)


def _checked_copy(source: Path, folder: Path) -> tuple[Path, BackupInfo]:
    if not source.is_file():
        raise BackupError("file_missing", str(source))
    with source.open("rb") as f:
        if f.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError("not_a_database", source.name)
    copy = folder / "candidate.db"
    shutil.copyfile(source, copy)  # checks and the restore read this copy: the original is never touched
    for suffix in ("-wal",):  # a backup taken by copying files may come with its write-ahead log
        if Path(f"{source}{suffix}").is_file():
            shutil.copyfile(f"{source}{suffix}", f"{copy}{suffix}")
    info = _inspect(copy, source.name)
    return copy, BackupInfo(path=source, revision=info.revision, up_to_date=info.up_to_date, counts=info.counts)


def check_backup(source: str | Path) -> BackupInfo:
    """Check that ``source`` is a sound Samen Hier store this version can restore (see the module docstring).

    Raises:
        BackupError: ``file_missing``, ``not_a_database``, ``corrupt``, ``not_samenhier`` or ``newer_schema``.
    """
    with tempfile.TemporaryDirectory() as folder:
        return _checked_copy(Path(source), Path(folder))[1]


# ---------------------------------------------------------------------------------------------- restore


def restore_backup(engine: Engine, source: str | Path, *, safety_dir: str | Path) -> RestoreResult:
    """Replace the store's content by the backup ``source``, after checking it and after saving the
    current store in ``safety_dir``; then bring the schema to the newest revision.

    Raises:
        BackupError: the backup is refused (see :func:`check_backup`), is the store itself (``same_file``),
            or SQLite could not copy it (``failed``); the store is unchanged.
    """
    live = sqlite_path(engine)
    source = Path(source)
    if source.exists() and live.exists() and source.resolve() == live.resolve():
        raise BackupError("same_file", source.name)
    with tempfile.TemporaryDirectory() as folder:
        copy, info = _checked_copy(source, Path(folder))
        safety = backup_into(engine, safety_dir, kind=BEFORE_RESTORE)
        try:
            with closing(sqlite3.connect(copy)) as src, closing(sqlite3.connect(live, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)) as dst:
                src.backup(dst)  # one step, in one write transaction of the live store: all or nothing
        except sqlite3.Error as exc:
            raise BackupError("failed", str(exc)) from exc
    engine.dispose()  # pooled connections reopen on the restored store
    if not info.up_to_date:
        migrate(engine)
    return RestoreResult(info=info, safety_copy=safety)


# ---------------------------------------------------------------------------------------------- the folder


def backup_time(path: Path) -> dt.datetime:
    """When a backup was made: from its name (``samenhier-auto-20261115-093000.db``), else the file's mtime."""
    found = _NAME.match(path.name)
    if found:
        return dt.datetime.strptime(found.group(2), _STAMP)
    return dt.datetime.fromtimestamp(path.stat().st_mtime, AMSTERDAM).replace(tzinfo=None, microsecond=0)


def backup_kind(path: Path) -> str:
    """``auto``, ``handmatig`` or ``voor-herstel`` from the name; empty for another ``.db`` file."""
    found = _NAME.match(path.name)
    return found.group(1) if found else ""


def list_backups(directory: str | Path) -> pd.DataFrame:
    """The ``.db`` files in ``directory``, newest first.

    Columns: ``file`` (name), ``kind`` (:func:`backup_kind`), ``created`` (datetime, Amsterdam time),
    ``size_bytes``. Empty (with these columns) when the folder does not exist.
    """
    directory = Path(directory)
    files = sorted(directory.glob("*.db")) if directory.is_dir() else []
    frame = pd.DataFrame(
        [(p.name, backup_kind(p), backup_time(p), p.stat().st_size) for p in files if p.is_file()],
        columns=["file", "kind", "created", "size_bytes"],
    )
    return frame.sort_values(["created", "file"], ascending=False, kind="stable").reset_index(drop=True)


def auto_backup(engine: Engine, *, directory: str | Path, keep: int, now: dt.datetime | None = None) -> Path | None:
    """The daily automatic backup: when ``keep`` > 0 and the newest automatic backup in ``directory`` is
    a day old or more (or there is none), make one; then delete automatic backups beyond the newest
    ``keep``. Manual backups and pre-restore copies are never deleted.

    Returns:
        The new backup, or None when none was due.

    Raises:
        BackupError: as :func:`make_backup` (``unsupported`` for a store that is not SQLite).
    """
    if keep <= 0:
        return None
    sqlite_path(engine)
    directory = Path(directory)
    now = now or now_local()
    autos = [p for p in directory.glob("samenhier-auto-*.db") if backup_kind(p) == AUTO] if directory.is_dir() else []
    newest = max((backup_time(p) for p in autos), default=None)
    made = None
    if newest is None or now - newest >= AUTO_INTERVAL:
        made = backup_into(engine, directory, kind=AUTO, at=now)
        autos.append(made)
    for old in sorted(autos, key=lambda p: (backup_time(p), p.name), reverse=True)[keep:]:
        old.unlink(missing_ok=True)
    return made
