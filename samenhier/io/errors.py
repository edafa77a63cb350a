"""What goes wrong in an import: :class:`ImportIssue` (one located problem) and :class:`ImportFailed` (all of them;
nothing was written). Every reader and the importer report through these two."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from samenhier import i18n
from samenhier.io.rows import SHEETS


@dataclass(frozen=True)
class ImportIssue:
    """One problem in the input: where (sheet, Excel row, column), the value found, and why (a code)."""

    sheet: str
    row: int | None
    column: str | None
    value: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str | None = None) -> str:
        """The reason in words, in ``lang`` (default: the current language)."""
        params = {
            k: v.describe(lang) if callable(getattr(v, "describe", None)) else v
            for k, v in self.params.items()
        }
        return i18n.t(f"import.error.{self.code}", lang, value=self.value, **params)

    def describe(self, lang: str | None = None) -> str:
        """``sheet, rij 5, kolom datum: 31-02-2025 — …`` in ``lang``."""
        where = [self.sheet]
        if self.row is not None:
            where.append(i18n.t("import.where.row", lang, row=self.row))
        if self.column:
            where.append(i18n.t("import.where.column", lang, column=self.column))
        return f"{', '.join(where)}: {self.message(lang)}"


class ImportFailed(Exception):
    """The input has problems; nothing was written. ``issues`` lists every one found."""

    def __init__(self, issues: list[ImportIssue]):
        self.issues = sorted(
            issues, key=lambda i: (list(SHEETS).index(i.sheet) if i.sheet in SHEETS else -1, i.row or 0)
        )
        super().__init__("\n".join(i.describe("en") for i in self.issues[:20]))
