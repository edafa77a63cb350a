"""The store: engine, SQLite settings, sessions, and migrations applied on open.

The database URL comes from the setting ``SAMENHIER_DATABASE_URL`` (:mod:`samenhier.settings`; default
``sqlite:///db/samenhier.db``, relative to the project root, or to the current folder when installed). Opening the store runs Alembic ``upgrade head``, so an older database
file is upgraded in place, never recreated.

Two databases are supported: SQLite (one machine) and PostgreSQL
(``postgresql+psycopg://user:password@host/database``, for several coordinators on one shared
server). Write transactions behave the same on both: one writer at a time (see :func:`write_engine`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from samenhier import PROJECT_ROOT, data_root
from samenhier.settings import get_settings

MIGRATIONS_DIR = PROJECT_ROOT / "db" / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15_000


def database_url(override: str | None = None) -> str:
    """The database URL to use: ``override``, else the setting ``SAMENHIER_DATABASE_URL`` (default
    ``sqlite:///db/samenhier.db``).

    A relative SQLite path is taken relative to the project root (installed: the current folder), so the
    app and the CLI find the same file whatever the working directory.
    """
    url = override or get_settings().database_url
    path = sqlite_file(url)
    if path is not None:
        if (
            not path.parent.is_dir()
        ):  # a stat, not a mkdir on every call (every cached query asks for the URL)
            path.parent.mkdir(parents=True, exist_ok=True)
        url = make_url(url).set(database=str(path)).render_as_string(hide_password=False)
    return url


def sqlite_file(url: str | None = None) -> Path | None:
    """The absolute path of the SQLite file ``url`` names (relative to the project root), or None for
    another database or an in-memory one. Creates nothing."""
    parsed = make_url(url or get_settings().database_url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    return path if path.is_absolute() else data_root() / path


WRITE_BEGIN_OPTION = "samenhier_write_begin"
"""Execution option naming how a transaction starts: ``DEFERRED`` (default, reads) or ``IMMEDIATE`` (writes:
BEGIN IMMEDIATE on SQLite, the write lock on PostgreSQL)."""


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite starts transactions itself, lazily and always DEFERRED; switch that off so that
    # _sqlite_begin below decides how each transaction begins (SQLAlchemy's documented recipe for
    # pysqlite transactions).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Overwrite deleted and replaced content with zeros (Debian's build does by default, others do
    # not): an erased name must not survive in a free page of the file (see services/privacy.py).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # Why BEGIN IMMEDIATE for writes: a DEFERRED transaction that reads first and writes later holds
    # a read snapshot; if another connection commits in between, SQLite cannot upgrade it to a write
    # transaction and fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT) — the busy
    # timeout does not help, the conflict is logical. IMMEDIATE takes the write lock at BEGIN, where
    # the busy timeout does apply, so concurrent writers queue instead of failing. Reads stay DEFERRED
    # (WAL lets them run beside the one writer).
    mode = connection.get_execution_options().get(WRITE_BEGIN_OPTION, "DEFERRED")
    connection.exec_driver_sql(f"BEGIN {mode}")


POSTGRES_WRITE_LOCK = 0x5A4D_4E48  # "SMNH": the advisory lock every write transaction takes on PostgreSQL


def _postgres_begin(connection) -> None:
    # PostgreSQL's counterpart of BEGIN IMMEDIATE: a write transaction first takes one transaction-level
    # advisory lock (released at commit or rollback), so writers queue one after the other exactly as on
    # SQLite. Without it two READ COMMITTED transactions could both read "version 3" or "next code
    # L0412" and both write. Reads take no lock (MVCC), as with WAL on SQLite.
    if connection.get_execution_options().get(WRITE_BEGIN_OPTION) == "IMMEDIATE":
        connection.exec_driver_sql("SELECT pg_advisory_xact_lock(%(key)s)", {"key": POSTGRES_WRITE_LOCK})


def make_engine(url: str | None = None) -> Engine:
    """A new engine for ``url`` (see :func:`database_url`): on SQLite with foreign keys, WAL and a busy
    timeout; on PostgreSQL with a connection check on checkout. Write transactions begin as described
    in :func:`write_engine`.

    ``hide_parameters``: SQL parameter values (names, e-mail addresses, notes) never appear in error
    messages or SQL logging, so a traceback in the server's console or log carries no personal data.
    """
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        engine = create_engine(
            resolved,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            hide_parameters=True,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(resolved, pool_pre_ping=True, hide_parameters=True)
        if engine.dialect.name == "postgresql":
            event.listen(engine, "begin", _postgres_begin)
    return engine


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (Alembic ``upgrade head``); safe to run again.

    On PostgreSQL the migration holds the write lock (see :func:`write_engine`): of two processes
    starting at once, the second waits and then finds the schema up to date.
    """
    with write_engine(engine).begin() as connection:
        cfg = alembic_config(engine)
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, "head")


PRIVATE_UMASK = 0o077
"""Files the app creates are readable and writable by their owner only (mode 0600): they hold personal data."""


def restrict_new_files() -> None:
    """Set the process's umask to :data:`PRIVATE_UMASK`, so that every file it creates from now on — the
    SQLite store and its ``-wal``/``-shm`` files (whoever creates them first), backups, exports — is
    readable by its owner only. Called when the store is opened (:func:`get_engine`), so the app and the
    command line both start with it."""
    os.umask(PRIVATE_UMASK)


@cache
def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url``, migrated to the newest schema on first use; files of the
    store are made readable by their owner only (:func:`restrict_new_files`, and a store made earlier
    with a looser mode is tightened)."""
    restrict_new_files()
    engine = make_engine(url)
    migrate(engine)
    path = sqlite_file(url)
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if path is not None else ():
        if file.exists():
            file.chmod(0o600)  # personal data: readable by its owner only
    return engine


def write_engine(engine: Engine) -> Engine:
    """``engine`` for write transactions: on SQLite they start with ``BEGIN IMMEDIATE`` (see
    :func:`_sqlite_begin`), so a read-then-write transaction waits for the write lock (up to the busy
    timeout) instead of failing with "database is locked"; on PostgreSQL they first take one advisory
    lock (see :func:`_postgres_begin`), with the same effect. Same pool and connections as ``engine``."""
    if engine.dialect.name in ("sqlite", "postgresql"):
        return engine.execution_options(**{WRITE_BEGIN_OPTION: "IMMEDIATE"})
    return engine


def checkpoint(engine: Engine) -> bool:
    """On SQLite: copy the write-ahead log into the database file and truncate it to zero bytes, so that
    overwritten values (an erasure) do not linger in ``<db>-wal``. Returns True when the log was fully
    checkpointed (False when a reader kept it busy, or not SQLite: nothing to do)."""
    if engine.dialect.name != "sqlite":
        return False
    raw = (
        engine.raw_connection()
    )  # autocommit (isolation_level None, see _sqlite_pragmas): no BEGIN around the PRAGMA
    try:
        busy, _log_frames, _copied = raw.driver_connection.execute(
            "PRAGMA wal_checkpoint(TRUNCATE)"
        ).fetchone()
    finally:
        raw.close()
    return busy == 0


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One short write transaction: commits when the block ends, rolls back on any exception.

    The transaction takes the write lock first (see :func:`write_engine`): writers queue for the one
    write lock; a version check made inside the block cannot be raced by another writer. Right before
    the commit the store's consistency rules are checked for the records written in the block
    (:mod:`samenhier.consistency`): a write that breaks one raises ``ConsistencyError`` and is rolled back.
    """
    from samenhier import consistency  # imports the models, which need no engine: no cycle at module level

    with Session(write_engine(engine), expire_on_commit=False) as session:
        consistency.install(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
