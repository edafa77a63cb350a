"""What an import did (or, for a preview, would do): per-sheet counts, every field change with its conflict
state, and the records the input no longer lists."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from samenhier import formatting


@dataclass
class SheetSummary:
    """How an import changes one sheet's records."""

    sheet: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    conflicts: int = 0
    """Fields the workbook would change that were changed in the app since the record's last import."""
    kept: int = 0
    """Of those, the fields whose app value stays (``keep-app``)."""


@dataclass
class ImportResult:
    """Per sheet, the rows that are new, changed and unchanged; ``applied`` is False for a preview.

    ``changes``: every field the workbook changes (or would), :class:`FieldChange`; ``missing``: records the
    imported sheets no longer list (kept); ``on_conflict``: the choice made; ``audit_id``: the import's
    audit event (None for a preview); ``backup``: the backup file made right before it (None when none).
    """

    sheets: list[SheetSummary]
    applied: bool
    changes: list[FieldChange] = field(default_factory=list)
    missing: list[MissingRecord] = field(default_factory=list)
    on_conflict: str = "keep-app"
    audit_id: int | None = None
    backup: Path | None = None

    def as_frame(self) -> pd.DataFrame:
        """Columns: ``sheet``, ``new``, ``changed``, ``unchanged``, ``conflicts`` (row / field counts)."""
        return pd.DataFrame(
            [
                {k: getattr(s, k) for k in ("sheet", "new", "changed", "unchanged", "conflicts")}
                for s in self.sheets
            ],
            columns=["sheet", "new", "changed", "unchanged", "conflicts"],
        )

    def changes_frame(self, lang: str | None = None) -> pd.DataFrame:
        """Columns: ``sheet``, ``row`` (Excel), ``record``, ``column``, ``before``, ``after``, ``conflict`` (bool),
        ``applied`` (bool: False where the app's value is kept). Values as text, so the frame shows and exports as
        is; dates as the tables write them in ``lang`` (``15-11-2026`` in Dutch, :func:`formatting.date_text`)."""
        return pd.DataFrame(
            [
                (
                    c.sheet,
                    c.row,
                    c.record,
                    c.column,
                    _text(c.before, lang),
                    _text(c.after, lang),
                    c.conflict,
                    c.applied,
                )
                for c in self.changes
            ],
            columns=["sheet", "row", "record", "column", "before", "after", "conflict", "applied"],
        )

    @property
    def conflicts(self) -> list[FieldChange]:
        return [c for c in self.changes if c.conflict]


def _text(value: Any, lang: str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return formatting.date_text(value, lang)
    return str(value)


@dataclass(frozen=True)
class FieldChange:
    """One field the workbook changes: ``sheet``, Excel ``row``, ``record`` (its code or key), ``column``
    (Dutch), ``before`` → ``after`` (as people read them: names and codes, not ids), ``conflict`` (changed in
    the app since the record's last import) and ``applied`` (written, or would be: False when the app's value
    is kept)."""

    sheet: str
    row: int
    record: str
    column: str
    before: Any
    after: Any
    conflict: bool
    applied: bool


@dataclass(frozen=True)
class MissingRecord:
    """A record in the store that the imported sheet no longer lists: reported, never deleted."""

    sheet: str
    record: str
