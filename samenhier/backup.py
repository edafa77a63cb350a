"""Backup and restore of the SQLite store, safe while the app is in use; automatic daily backups.

- :func:`make_backup` copies the store with SQLite's online backup API (:meth:`sqlite3.Connection.backup`
  in one step): the copy is one consistent snapshot even while others write (the store runs in WAL
  mode, so writers are not held up), and it is a single self-contained file (journal mode DELETE).
- :func:`check_backup` refuses anything that is not a sound Samen Hier store: larger than
  ``SAMENHIER_RESTORE_MAX_MB``, not an SQLite file, ``PRAGMA integrity_check`` or ``foreign_key_check``
  failing, no Samen Hier tables, a schema revision this version does not know (a backup from a newer
  version), or a schema that is not *exactly* that revision's: every table, column, index, trigger and
  view is compared with a fresh store made through the migrations up to that revision, so a backup
  carrying a trigger, a view, an extra table or a dropped column is refused, naming what differs.
- A backup that passes is not restored as it is but **rebuilt**: a fresh store is made through the
  migrations, only the known tables and columns are copied into it (under its own constraints, with
  foreign keys checked), and it is upgraded to the newest schema. Nothing the file brings besides rows
  of known columns — no trigger, view, table or changed constraint — can reach the live store.
- Restoring replaces the accounts too: :func:`check_backup` (given the live store) lists which accounts
  the backup would add, remove or change (:class:`AccountChange`), and :func:`restore_backup` refuses
  (``accounts_unconfirmed``) unless the caller passes exactly that list back as confirmed.
- :func:`restore_backup` first checks and rebuilds a private copy of the file, then keeps a copy of the
  current store (``samenhier-voor-herstel-…``), then copies the rebuilt store *into* the live store with
  the same backup API, so open connections of the running app simply see the restored data.
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
from functools import cache
from pathlib import Path

import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.script.revision import ResolutionError
from alembic.util import CommandError
from sqlalchemy import Column, MetaData, Table, create_engine, insert, select
from sqlalchemy import exc as sqlalchemy_errors
from sqlalchemy.engine import Engine

from samenhier import data_root, i18n
from samenhier.clock import AMSTERDAM
from samenhier.db import (
    MIGRATIONS_DIR,
    SQLITE_BUSY_TIMEOUT_MS,
    alembic_config,
    make_engine,
    migrate,
    write_engine,
)

SQLITE_MAGIC = b"SQLite format 3\x00"
"""The first 16 bytes of every SQLite database file."""
AUTO, MANUAL, BEFORE_RESTORE = "auto", "handmatig", "voor-herstel"
"""Kinds of backup, as they appear in the file names ``samenhier-<kind>-<YYYYMMDD-HHMMSS>.db``."""
BEFORE_IMPORT = "voor-import"
"""The backup every import takes right before it writes (samenhier.io.workbook.import_frames)."""
_NAME = re.compile(r"^samenhier-(auto|handmatig|voor-herstel|voor-import)-(\d{8}-\d{6})(?:-\d+)?\.db$")
_STAMP = "%Y%m%d-%H%M%S"
AUTO_INTERVAL = dt.timedelta(days=1)
COUNTED_TABLES = {
    "groups": "welcome_group",
    "members": "member",
    "newcomers": "newcomer",
    "meetings": "meeting",
}


class BackupError(Exception):
    """A backup or restore was refused or failed; nothing was changed. ``code`` names the reason
    (i18n ``backup.error.<code>``), ``value`` the detail (a file name, SQLite's message)."""

    def __init__(self, code: str, value: str = ""):
        self.code, self.value = code, value
        super().__init__(f"{code}: {value}")

    def message(self, lang: str | None = None) -> str:
        return i18n.t(f"backup.error.{self.code}", lang, value=self.value)


@dataclass(frozen=True)
class AccountChange:
    """How restoring a backup would change one account (compared by user name with the live store).

    ``change``: ``added`` (only in the backup), ``removed`` (only in the live store) or ``changed``;
    ``fields``: for ``changed``, which of ``role``, ``community_builder``, ``active``, ``password`` differ;
    ``role_before`` / ``role_after``: the role in the live store / in the backup (None where absent).
    """

    username: str
    change: str
    fields: tuple[str, ...] = ()
    role_before: str | None = None
    role_after: str | None = None

    def describe(self, lang: str | None = None, escape=str) -> str:
        """One line for people, e.g. ``lena (coördinator) komt erbij``; ``escape`` is applied to the user name
        (pass the Markdown escape when the line goes into Markdown)."""

        def role(value: str | None) -> str:
            return i18n.label("user_role", value, lang) if value else "-"

        name = escape(self.username)
        if self.change == "changed":
            fields = ", ".join(i18n.t(f"restore.account_field.{f}", lang) for f in self.fields)
            return i18n.t(
                "restore.account.changed",
                lang,
                name=name,
                fields=fields,
                before=role(self.role_before),
                after=role(self.role_after),
            )
        key = "restore.account.added" if self.change == "added" else "restore.account.removed"
        return i18n.t(
            key, lang, name=name, role=role(self.role_after if self.change == "added" else self.role_before)
        )


@dataclass(frozen=True)
class BackupInfo:
    """What :func:`check_backup` found: schema revision, whether it is the newest, row counts, and
    (when checked against a live store) how the accounts would change."""

    path: Path
    revision: str
    up_to_date: bool
    counts: dict[str, int] = field(default_factory=dict)
    """Rows per kind: ``groups``, ``members``, ``newcomers``, ``meetings``."""
    accounts: tuple[AccountChange, ...] = ()
    """Accounts the restore would add, remove or change (empty when none, or when checked without a store)."""


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
    """The folder for backups: ``setting`` (``SAMENHIER_BACKUP_DIR``; relative to the project folder, or to
    the current folder when installed),
    else ``backups/`` beside the database file (``db/backups`` for the default store).

    Raises:
        BackupError: ``unsupported`` for a store that is not an SQLite file.
    """
    if setting:
        path = Path(setting)
        return path if path.is_absolute() else data_root() / path
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


def backup_into(
    engine: Engine, folder: str | Path, *, kind: str = MANUAL, at: dt.datetime | None = None
) -> Path:
    """:func:`make_backup` to a new ``samenhier-<kind>-YYYYMMDD-HHMMSS.db`` in ``folder`` (created if needed)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return make_backup(engine, _free_name(folder, kind, at or now_local()))


def make_backup(
    engine: Engine, target: str | Path, *, kind: str = MANUAL, at: dt.datetime | None = None
) -> Path:
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
        with (
            closing(sqlite3.connect(source, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)) as src,
            closing(sqlite3.connect(partial)) as dst,
        ):
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
                lines = [
                    line
                    for line in str(integrity[0][0]).splitlines()
                    if line.strip() and not line.startswith("***")
                ]
                raise BackupError("corrupt", (lines or ["integrity_check"])[0][:200])
            if db.execute("PRAGMA foreign_key_check").fetchone() is not None:
                raise BackupError("corrupt", "foreign_key_check")
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not {"alembic_version", *COUNTED_TABLES.values()} <= tables:
                raise BackupError("not_samenhier", display)
            revisions = [r[0] for r in db.execute("SELECT version_num FROM alembic_version")]
            counts = {
                k: db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for k, t in COUNTED_TABLES.items()
            }
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


def max_restore_bytes() -> int:
    """The largest backup file a restore accepts: ``SAMENHIER_RESTORE_MAX_MB`` (default 200) megabytes."""
    from samenhier.settings import get_settings

    return get_settings().restore_max_mb * 1_000_000


@cache
def _reference_store(revision: str) -> bytes:
    """A fresh, empty store made through the migrations up to ``revision`` (the file's bytes, journal mode DELETE)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reference.db"
        engine = make_engine(f"sqlite:///{path}")
        try:
            with write_engine(engine).begin() as connection:
                cfg = alembic_config(engine)
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, revision)
        finally:
            engine.dispose()
        with closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA journal_mode=DELETE")
        return path.read_bytes()


def _schema(db: sqlite3.Connection) -> dict[str, tuple]:
    """Every schema object but SQLite's own (``sqlite_*``), as ``"<type> <name>"`` → its shape: a table's
    columns (name, declared type, not null, default, primary key position, hidden), an index's table,
    uniqueness, partial flag and key columns, a trigger's or view's table."""
    shapes: dict[str, tuple] = {}
    objects = db.execute(
        "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
    ).fetchall()
    for kind, name, table in objects:
        if kind == "table":
            columns = db.execute(
                'SELECT name, upper(type), "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)',
                (name,),
            )
            shapes[f"table {name}"] = tuple(columns.fetchall())
        elif kind == "index":
            flags = db.execute(
                'SELECT "unique", partial FROM pragma_index_list(?) WHERE name = ?', (table, name)
            ).fetchone()
            keys = db.execute(
                'SELECT name, "desc" FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno', (name,)
            ).fetchall()
            shapes[f"index {name}"] = (table, tuple(flags or ()), tuple(keys))
        else:
            shapes[f"{kind} {name}"] = (table,)
    return shapes


def _compare_schema(candidate: sqlite3.Connection, reference: sqlite3.Connection, revision: str) -> None:
    """Refuse a candidate whose schema is not exactly the reference's (see the module docstring).

    Raises:
        BackupError: ``unexpected_object`` (a trigger, view, table or index the revision does not have),
            ``schema_mismatch`` (a missing object, or a table or index shaped differently).
    """
    have, want = _schema(candidate), _schema(reference)
    extra = sorted(set(have) - set(want))
    if extra:
        raise BackupError("unexpected_object", ", ".join(extra)[:300])
    for name in sorted(want):
        if name not in have:
            raise BackupError("schema_mismatch", f"{revision}: {name}")
        if have[name] != want[name]:
            if name.startswith("table "):
                theirs = {c[0]: c for c in have[name]}
                ours = {c[0]: c for c in want[name]}
                detail = (
                    [f"-{c}" for c in ours if c not in theirs]
                    + [f"+{c}" for c in theirs if c not in ours]
                    + [f"~{c}" for c in ours if c in theirs and ours[c] != theirs[c]]
                )
                raise BackupError("schema_mismatch", f"{revision}: {name} ({', '.join(detail) or 'order'})")
            raise BackupError("schema_mismatch", f"{revision}: {name}")


def _rebuild(candidate: Path, target: Path, revision: str) -> None:
    """Write to ``target`` a fresh store of ``revision`` holding the rows of the known tables and columns
    of ``candidate`` (checked by the store's own constraints and foreign keys), upgraded to the newest schema.

    Raises:
        BackupError: ``corrupt`` when a row breaks a constraint or a foreign key.
    """
    target.write_bytes(_reference_store(revision))
    engine = create_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA trusted_schema=OFF")  # no functions from the backup's schema
            connection.exec_driver_sql("ATTACH DATABASE ? AS candidate", (str(candidate),))
            known = MetaData()
            known.reflect(connection)
            for table in reversed(
                known.sorted_tables
            ):  # rows a migration seeds (milestones): the backup's own win
                if table.name != "alembic_version":
                    connection.execute(table.delete())
            for table in known.sorted_tables:
                if table.name == "alembic_version":
                    continue  # the reference's own row: the same revision
                columns = [c.name for c in table.columns]
                source = Table(table.name, MetaData(), *(Column(c) for c in columns), schema="candidate")
                connection.execute(
                    table.delete()
                )  # rows a migration seeded (variant_timeline): the backup's replace them
                connection.execute(insert(table).from_select(columns, select(*source.c)))
            connection.commit()
            broken = connection.exec_driver_sql("PRAGMA main.foreign_key_check").fetchone()
            connection.exec_driver_sql("DETACH DATABASE candidate")
    except sqlalchemy_errors.IntegrityError as exc:
        raise BackupError("corrupt", str(exc.orig)[:200]) from None
    except sqlalchemy_errors.DatabaseError as exc:
        raise BackupError("corrupt", str(exc.orig)[:200]) from None
    finally:
        engine.dispose()
    if broken is not None:
        raise BackupError("corrupt", f"foreign_key_check: {broken[0]}")
    upgraded = make_engine(f"sqlite:///{target}")
    try:
        migrate(upgraded)
    finally:
        upgraded.dispose()
    with closing(sqlite3.connect(target)) as db:
        db.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, as a backup


_ACCOUNTS = (
    "SELECT u.username, u.role, b.name, u.active, u.password_hash FROM user_account AS u "
    "LEFT JOIN community_builder AS b ON b.id = u.community_builder_id"
)


def _accounts(path: Path) -> dict[str, tuple]:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return {row[0]: row[1:] for row in db.execute(_ACCOUNTS)}


def account_changes(live: Path, restored: Path) -> tuple[AccountChange, ...]:
    """How the accounts of the store ``live`` would change if it became ``restored``, by user name:
    added, removed, or changed in role, linked community builder, active or password; sorted by name."""
    before, after = _accounts(live), _accounts(restored)
    changes = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            changes.append(AccountChange(name, "added", role_after=after[name][0]))
        elif name not in after:
            changes.append(AccountChange(name, "removed", role_before=before[name][0]))
        elif before[name] != after[name]:
            fields = tuple(
                f
                for f, b, a in zip(
                    ("role", "community_builder", "active", "password"),
                    before[name],
                    after[name],
                    strict=True,
                )
                if b != a
            )
            changes.append(
                AccountChange(name, "changed", fields, role_before=before[name][0], role_after=after[name][0])
            )
    return tuple(changes)


def _prepare(source: Path, folder: Path, live: Path | None) -> tuple[Path, BackupInfo]:
    """Check ``source`` and rebuild it in ``folder``; the rebuilt file and what was found."""
    if not source.is_file():
        raise BackupError("file_missing", str(source))
    wal = Path(f"{source}-wal")  # a backup taken by copying files may come with its write-ahead log
    size = source.stat().st_size + (wal.stat().st_size if wal.is_file() else 0)
    limit = max_restore_bytes()
    if size > limit:
        raise BackupError("too_large", f"{size / 1_000_000:,.0f} MB > {limit / 1_000_000:,.0f} MB")
    with source.open("rb") as f:
        if f.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError("not_a_database", source.name)
    copy = folder / "candidate.db"
    shutil.copyfile(source, copy)  # checks and the rebuild read this copy: the original is never touched
    if wal.is_file():
        shutil.copyfile(wal, f"{copy}-wal")
    info = _inspect(copy, source.name)
    reference = folder / "reference.db"
    reference.write_bytes(_reference_store(info.revision))
    try:
        with closing(sqlite3.connect(copy)) as theirs, closing(sqlite3.connect(reference)) as ours:
            theirs.execute("PRAGMA trusted_schema=OFF")
            _compare_schema(theirs, ours, info.revision)
    except sqlite3.DatabaseError as exc:
        raise BackupError("corrupt", str(exc)) from exc
    rebuilt = folder / "rebuilt.db"
    _rebuild(copy, rebuilt, info.revision)
    accounts = account_changes(live, rebuilt) if live is not None and live.exists() else ()
    return rebuilt, BackupInfo(
        path=source, revision=info.revision, up_to_date=info.up_to_date, counts=info.counts, accounts=accounts
    )


def check_backup(source: str | Path, engine: Engine | None = None) -> BackupInfo:
    """Check that ``source`` is a sound Samen Hier store of a known schema that this version can restore
    (see the module docstring); with ``engine``, also list how restoring it would change the accounts.

    Raises:
        BackupError: ``file_missing``, ``too_large``, ``not_a_database``, ``corrupt``, ``not_samenhier``,
            ``newer_schema``, ``unexpected_object`` or ``schema_mismatch``; ``unsupported`` when ``engine``
            is not an SQLite store.
    """
    live = sqlite_path(engine) if engine is not None else None
    with tempfile.TemporaryDirectory() as folder:
        return _prepare(Path(source), Path(folder), live)[1]


# ---------------------------------------------------------------------------------------------- restore


def restore_backup(
    engine: Engine,
    source: str | Path,
    *,
    safety_dir: str | Path,
    confirmed_accounts: tuple[AccountChange, ...] = (),
) -> RestoreResult:
    """Replace the store's content by the backup ``source``, checked and rebuilt (see the module
    docstring), after saving the current store in ``safety_dir``; the result has the newest schema.

    ``confirmed_accounts``: the account changes the user saw and confirmed (:attr:`BackupInfo.accounts`
    of :func:`check_backup` with this ``engine``); the restore goes ahead only when they are exactly the
    changes it would make now.

    Raises:
        BackupError: the backup is refused (see :func:`check_backup`), is the store itself (``same_file``),
            changes accounts other than confirmed (``accounts_unconfirmed``), or SQLite could not copy it
            (``failed``); the store is unchanged.
    """
    live = sqlite_path(engine)
    source = Path(source)
    if source.exists() and live.exists() and source.resolve() == live.resolve():
        raise BackupError("same_file", source.name)
    from samenhier.services import sessions

    with tempfile.TemporaryDirectory() as folder:
        rebuilt, info = _prepare(source, Path(folder), live)
        if tuple(info.accounts) != tuple(confirmed_accounts):
            raise BackupError("accounts_unconfirmed", ", ".join(a.username for a in info.accounts)[:300])
        safety = backup_into(engine, safety_dir, kind=BEFORE_RESTORE)
        open_sessions = sessions.snapshot(engine)
        try:
            with (
                closing(sqlite3.connect(rebuilt)) as src,
                closing(sqlite3.connect(live, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)) as dst,
            ):
                src.backup(dst)  # one step, in one write transaction of the live store: all or nothing
        except sqlite3.Error as exc:
            raise BackupError("failed", str(exc)) from exc
    engine.dispose()  # pooled connections reopen on the restored store
    sessions.carry_over(
        engine, open_sessions
    )  # logins are not data; each is checked against the restored accounts
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


def auto_backup(
    engine: Engine, *, directory: str | Path, keep: int, now: dt.datetime | None = None
) -> Path | None:
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
    autos = (
        [p for p in directory.glob("samenhier-auto-*.db") if backup_kind(p) == AUTO]
        if directory.is_dir()
        else []
    )
    newest = max((backup_time(p) for p in autos), default=None)
    made = None
    if newest is None or now - newest >= AUTO_INTERVAL:
        made = backup_into(engine, directory, kind=AUTO, at=now)
        autos.append(made)
    for old in sorted(autos, key=lambda p: (backup_time(p), p.name), reverse=True)[keep:]:
        old.unlink(missing_ok=True)
    return made
