"""A subject-access export (:class:`samenhier.services.privacy.PersonExport`) as files for the person:
JSON (machine-readable, stable English keys — AVG article 20, data portability) and an Excel workbook
with one sheet per section and column names in the coordinator's language (for reading).

The Excel file opens safely: text that Excel would take for a formula (``=…``, ``+…``, ``-…``,
``@…``) is stored as text, never as a formula. File names carry the person's code, never their name.
"""

from __future__ import annotations

import io
import json
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from samenhier import i18n
from samenhier.services.privacy import SECTIONS, PersonExport

FORMAT = "samenhier-inzage-1"
"""``format`` of the JSON export; raised when its layout changes."""

COLUMN_KEYS = {
    column: f"privacy.col.{column}"
    for column in (
        "code",
        "first_name",
        "last_name",
        "municipality",
        "country_of_origin",
        "languages",
        "household_size",
        "arrival_date",
        "permit_date",
        "registration_date",
        "status",
        "email",
        "phone",
        "archived",
        "erased",
        "group_code",
        "group_name",
        "role",
        "joined_date",
        "vog_date",
        "proposed_date",
        "started_date",
        "ended_date",
        "end_reason",
        "wave",
        "date",
        "emptiness",
        "fall_back_on",
        "trust",
        "miss_people",
        "connected",
        "abandoned",
        "feel_at_home",
        "self_reported_change",
        "new_contacts",
        "source",
        "text",
        "at",
        "username",
        "action",
        "table_name",
        "record_code",
        "changes",
    )
}
"""Message key of every column an export can have (``privacy.col.<column>``)."""
SECTION_KEYS = {section: f"privacy.section.{section}" for section in SECTIONS}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def file_name(export: PersonExport, extension: str) -> str:
    """``inzage-N0001-2026-11-15.json``: the person's code and the export's date (UTC), no name."""
    return f"inzage-{export.code}-{export.created_at.date().isoformat()}.{extension}"


def to_json(export: PersonExport) -> bytes:
    """The export as UTF-8 JSON: ``format``, ``kind``, ``code``, ``created_at`` (UTC, ISO 8601),
    ``created_by``, then one key per section (lists of objects with the fields of
    :class:`~samenhier.services.privacy.PersonExport`)."""
    document = {
        "format": FORMAT,
        "kind": export.kind,
        "code": export.code,
        "created_at": export.created_at.isoformat(),
        "created_by": export.created_by,
        **{section: export.sections[section] for section in SECTIONS},
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(
        value, str
    ):  # control characters stored before they were refused: shown as �, never a crash
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def to_xlsx(export: PersonExport, lang: str | None = None) -> bytes:
    """The export as an Excel workbook (.xlsx): a first sheet saying what this is, then one sheet per
    section that has rows, column names in ``lang``. Values as stored (vocabulary words in Dutch)."""
    book = Workbook()
    about = book.active
    about.title = i18n.t("privacy.section.about", lang)[:31]
    about.append([i18n.t("privacy.export.heading", lang, code=export.code)])
    about.append(
        [
            i18n.t(
                "privacy.export.created",
                lang,
                at=export.created_at.isoformat(timespec="seconds"),
                by=export.created_by,
            )
        ]
    )
    about.append([i18n.t("privacy.export.explanation", lang)])
    for section in SECTIONS:
        rows = export.sections[section]
        if not rows:
            continue
        sheet = book.create_sheet(i18n.t(SECTION_KEYS[section], lang)[:31])
        columns = list(rows[0])
        sheet.append([i18n.t(COLUMN_KEYS[c], lang) if c in COLUMN_KEYS else c for c in columns])
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(60, max(12, len(str(column)) + 4))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(_FORMULA_START):
                    cell.data_type = "s"  # text, not a formula: Excel shows it as typed
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
