"""Data in and out, as user actions: import files, export the store, back up and restore. Coordinators only.

Each function checks the user's scope first (:class:`~samenhier.scope.AccessDenied` for anyone but a
coordinator: these actions reach every newcomer's personal data) and leaves an audit event: the
import through :func:`samenhier.io.workbook.import_frames`, the others here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import Engine

from samenhier import backup
from samenhier.db import session_scope
from samenhier.io import export
from samenhier.io.workbook import ImportResult, import_paths
from samenhier.scope import Filters, Scope
from samenhier.services import audit


def import_files(
    engine: Engine, scope: Scope, *, paths: Iterable[str | Path], dry_run: bool, on_conflict: str = "keep-app"
) -> ImportResult:
    """Import workbooks, CSV files, folders or zips of CSV files (see :func:`samenhier.io.workbook.import_paths`);
    with ``dry_run`` only report what would change. ``on_conflict``: ``keep-app`` or ``take-workbook`` for
    fields changed in the app since the last import. A backup is taken right before the import writes.

    Raises:
        AccessDenied: not a national coordinator (a workbook may hold every municipality's records; imports
            by municipality coordinators are not supported yet).
        ImportFailed: every problem in the files; nothing written.
    """
    scope.require_national()
    return import_paths(engine, paths, username=scope.username, dry_run=dry_run, on_conflict=on_conflict)


def _record(engine: Engine, scope: Scope, action: str, code: str, changes: dict) -> None:
    with session_scope(engine) as session:
        audit.record(session, scope.username, action, table_name="*", changes=changes).record_code = code


def export_store(engine: Engine, scope: Scope, *, fmt: str, filters: Filters = Filters()) -> bytes:
    """The store in the import layout (:func:`samenhier.io.export.export_frames`): ``xlsx`` → a workbook,
    ``csv`` → a .zip of one CSV file per sheet. Audited with the format, filters and row counts.

    Raises:
        AccessDenied: not a coordinator.
        ValueError: unknown ``fmt``.
    """
    if fmt not in export.FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    frames = export.export_frames(engine, scope, filters)
    data = export.xlsx_bytes(frames) if fmt == "xlsx" else export.csv_zip_bytes(frames)
    _record(
        engine,
        scope,
        "export",
        fmt,
        {
            "format": fmt,
            "municipalities": list(filters.municipalities),
            "variants": list(filters.variants),
            "rows": {sheet: len(frame) for sheet, frame in frames.items()},
        },
    )
    return data


def export_to_disk(
    engine: Engine, scope: Scope, *, path: str | Path, fmt: str, filters: Filters = Filters()
) -> list[Path]:
    """Like :func:`export_store` but written to ``path``: the workbook file (``xlsx``) or a folder of CSV files (``csv``).

    Returns:
        The files written.

    Raises:
        AccessDenied: not a coordinator.
        ValueError: unknown ``fmt``.
        OSError: the files cannot be written.
    """
    frames = export.export_frames(engine, scope, filters)
    written = export.write_files(frames, path, fmt)
    _record(
        engine,
        scope,
        "export",
        fmt,
        {
            "format": fmt,
            "path": str(path),
            "municipalities": list(filters.municipalities),
            "variants": list(filters.variants),
            "rows": {sheet: len(frame) for sheet, frame in frames.items()},
        },
    )
    return written


def backup_now(
    engine: Engine, scope: Scope, *, folder: str | Path | None = None, target: str | Path | None = None
) -> Path:
    """A backup of the store: a new ``samenhier-handmatig-…`` file in ``folder`` (created if needed), or at
    ``target`` (a file, or an existing folder). Give one of the two.

    Raises:
        AccessDenied: not a national coordinator (a backup holds every municipality).
        BackupError: ``unsupported`` (not SQLite) or ``failed``.
        ValueError: neither or both of ``folder`` and ``target``.
    """
    scope.require_national()
    if (folder is None) == (target is None):
        raise ValueError("give either folder or target")
    made = backup.backup_into(engine, folder) if folder is not None else backup.make_backup(engine, target)
    _record(engine, scope, "backup", made.name, {"file": str(made)})
    return made


def check_restore(engine: Engine, scope: Scope, *, source: str | Path) -> backup.BackupInfo:
    """Check the backup ``source`` before restoring it (:func:`samenhier.backup.check_backup`) and list the
    accounts restoring it would add, remove or change (:attr:`~samenhier.backup.BackupInfo.accounts`):
    show those to the user and pass them to :func:`restore` once confirmed. Reads only.

    Raises:
        AccessDenied: not a national coordinator (a restore replaces every municipality's data).
        BackupError: the backup is refused; ``unsupported`` for a store that is not SQLite.
    """
    scope.require_national()
    return backup.check_backup(source, engine)


def restore(
    engine: Engine,
    scope: Scope,
    *,
    source: str | Path,
    safety_dir: str | Path,
    confirmed_accounts: tuple[backup.AccountChange, ...] = (),
) -> backup.RestoreResult:
    """Replace the store by the backup ``source`` after checking and rebuilding it; the store as it was is
    kept in ``safety_dir`` first. ``confirmed_accounts``: the account changes from :func:`check_restore`
    that the user confirmed; the restore is refused unless they are exactly the changes it would make.
    The audit event (written into the restored store) lists the account changes by name.

    Raises:
        AccessDenied: not a national coordinator (a restore replaces every municipality's data).
        BackupError: the backup is refused (``accounts_unconfirmed``: other account changes than
            confirmed) or cannot be copied; the store is unchanged.
    """
    scope.require_national()
    result = backup.restore_backup(
        engine, source, safety_dir=safety_dir, confirmed_accounts=confirmed_accounts
    )
    _record(
        engine,
        scope,
        "restore",
        Path(source).name,
        {
            "file": Path(source).name,
            "revision": result.info.revision,
            "safety_copy": str(result.safety_copy),
            "counts": dict(result.info.counts),
            "accounts": {
                change: [a.username for a in result.info.accounts if a.change == change]
                for change in ("added", "removed", "changed")
                if any(a.change == change for a in result.info.accounts)
            },
        },
    )
    return result
