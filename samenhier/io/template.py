"""An empty workbook for coordinators who start from Excel (issue 22, item 2).

:func:`template_bytes` gives an .xlsx with a first sheet *Uitleg* (every column of every sheet: what it
holds, whether it is required, the words it accepts) and then the seven sheets of the import layout
(:data:`samenhier.io.export.SHEET_COLUMNS`), each with its header row frozen and:

- a drop-down list (Excel data validation) on every closed column, holding exactly the vocabulary the
  import accepts: gemeente (:data:`samenhier.municipalities.MUNICIPALITIES`), variant, status (per
  sheet: group, newcomer or match), rol (member or respondent), soort, meting, the six loneliness items
  and eenzaamheid_verandering (:mod:`samenhier.models`). The lists live in columns of the Uitleg sheet
  (a list written into the rule itself may hold at most 255 characters; the municipalities do not fit);
- whole-number rules for the counted columns (household 1–15, minutes 1–1440, attendance 0–99,
  feeling at home 1–5, new contacts 0 or more), as the import checks them;
- date columns formatted ``dd-mm-jjjj``.

Sheet and column names stay Dutch in both languages (the import reads them); ``lang`` is the language
of the Uitleg sheet and of the validation messages.
"""

from __future__ import annotations

import io
from enum import StrEnum

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from samenhier import i18n
from samenhier.io.export import DATE_COLUMNS, SHEET_COLUMNS, XLSX_DATE_FORMAT
from samenhier.io.rows import SHEETS
from samenhier.models import (
    Answer,
    GroupStatus,
    MatchStatus,
    MeetingKind,
    MemberRole,
    NewcomerStatus,
    RespondentRole,
    SelfReportedChange,
    Variant,
    Wave,
)
from samenhier.municipalities import MUNICIPALITIES

GUIDE_SHEET = "Uitleg"
"""The first sheet: the explanation (the import skips it)."""
MAX_ROWS = 5000
"""Rows of each sheet that carry the drop-downs and number rules (a programme's workbook has far fewer)."""
LONELINESS_COLUMNS = ("leegte", "terugvallen", "vertrouwen", "mis_mensen", "verbonden", "in_de_steek")


def _words(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


VOCABULARIES: dict[str, tuple[str, ...]] = {
    "gemeente": tuple(MUNICIPALITIES),
    "variant": _words(Variant),
    "group_status": _words(GroupStatus),
    "newcomer_status": _words(NewcomerStatus),
    "match_status": _words(MatchStatus),
    "member_role": _words(MemberRole),
    "respondent_role": _words(RespondentRole),
    "meeting_kind": _words(MeetingKind),
    "wave": _words(Wave),
    "answer": _words(Answer),
    "change": _words(SelfReportedChange),
}
"""Every closed vocabulary of the workbook, by name: the words the import accepts (its canonical spellings)."""

CLOSED_COLUMNS: dict[tuple[str, str], str] = {
    ("community_builders", "gemeente"): "gemeente",
    ("groepen", "gemeente"): "gemeente",
    ("groepen", "variant"): "variant",
    ("groepen", "status"): "group_status",
    ("leden", "rol"): "member_role",
    ("nieuwkomers", "gemeente"): "gemeente",
    ("nieuwkomers", "status"): "newcomer_status",
    ("koppelingen", "status"): "match_status",
    ("bijeenkomsten", "soort"): "meeting_kind",
    ("enquetes", "rol"): "respondent_role",
    ("enquetes", "meting"): "wave",
    **{("enquetes", item): "answer" for item in LONELINESS_COLUMNS},
    ("enquetes", "eenzaamheid_verandering"): "change",
}
"""(sheet, column) → the name of its vocabulary in :data:`VOCABULARIES`."""

NUMBER_COLUMNS: dict[tuple[str, str], tuple[int, int | None]] = {
    ("nieuwkomers", "huishoudgrootte"): (1, 15),
    ("bijeenkomsten", "duur_minuten"): (1, 1440),
    ("bijeenkomsten", "aanwezig_leden"): (0, 99),
    ("bijeenkomsten", "aanwezig_nieuwkomers"): (0, 99),
    ("enquetes", "thuis_voelen"): (1, 5),
    ("enquetes", "nieuwe_contacten"): (0, None),
}
"""(sheet, column) → (lowest, highest or None) whole number the import accepts."""

_GUIDE_COLUMNS = 5  # sheet, column, required, meaning, allowed values; the lists start after a blank column
_LIST_FIRST_COLUMN = _GUIDE_COLUMNS + 2


def _required(sheet: str, column: str) -> bool:
    model = SHEETS[sheet]
    return next(f.is_required() for f in model.model_fields.values() if f.alias == column)


def _list_ranges() -> dict[str, str]:
    """Vocabulary name → the absolute range of its list on the Uitleg sheet (``'Uitleg'!$H$2:$H$41``)."""
    ranges = {}
    for offset, (name, words) in enumerate(VOCABULARIES.items()):
        letter = get_column_letter(_LIST_FIRST_COLUMN + offset)
        ranges[name] = f"{quote_sheetname(GUIDE_SHEET)}!${letter}$2:${letter}${1 + len(words)}"
    return ranges


def _guide(workbook: Workbook, lang: str) -> None:
    sheet = workbook.active
    sheet.title = GUIDE_SHEET
    bold = Font(bold=True)
    sheet.append([i18n.t("template.title", lang)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([i18n.t("template.intro", lang)])
    sheet.append([i18n.t("template.guide", lang)])
    sheet.append([])
    header = [
        i18n.t(f"template.head.{h}", lang) for h in ("sheet", "column", "required", "meaning", "values")
    ]
    sheet.append(header)
    for cell in sheet[5]:
        cell.font = bold
    for name, columns in SHEET_COLUMNS.items():
        for column in columns:
            vocabulary = CLOSED_COLUMNS.get((name, column))
            if vocabulary:
                allowed = ", ".join(VOCABULARIES[vocabulary])
            elif column in DATE_COLUMNS:
                allowed = i18n.t("template.date", lang)
            elif (name, column) in NUMBER_COLUMNS:
                low, high = NUMBER_COLUMNS[name, column]
                allowed = f"{low}–{high}" if high is not None else f"≥ {low}"
            else:
                allowed = ""
            sheet.append(
                [
                    name,
                    column,
                    i18n.t("template.yes", lang) if _required(name, column) else "",
                    i18n.t(f"template.col.{name}.{column}", lang),
                    allowed,
                ]
            )
    for row in sheet.iter_rows(min_row=6, max_col=_GUIDE_COLUMNS):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (20, 26, 10, 70, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    # The drop-down lists, one per column to the right of the explanation (the rules refer to them).
    for offset, (name, words) in enumerate(VOCABULARIES.items()):
        column = _LIST_FIRST_COLUMN + offset
        top = sheet.cell(row=1, column=column, value=name)
        top.font = bold
        for row, word in enumerate(words, start=2):
            sheet.cell(row=row, column=column, value=word)
        sheet.column_dimensions[get_column_letter(column)].width = max(14, max(len(w) for w in words) + 2)


def _data_sheet(workbook: Workbook, name: str, lang: str, ranges: dict[str, str]) -> None:
    sheet = workbook.create_sheet(name)
    columns = SHEET_COLUMNS[name]
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cells = f"{letter}2:{letter}{MAX_ROWS + 1}"
        sheet.column_dimensions[letter].width = max(12, len(column) + 4)
        vocabulary = CLOSED_COLUMNS.get((name, column))
        if vocabulary:
            rule = DataValidation(
                type="list",
                formula1=ranges[vocabulary],
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column,
                error=i18n.t("template.list_error", lang),
            )
        elif (name, column) in NUMBER_COLUMNS:
            low, high = NUMBER_COLUMNS[name, column]
            rule = DataValidation(
                type="whole",
                operator="between" if high is not None else "greaterThanOrEqual",
                formula1=str(low),
                formula2=str(high) if high is not None else None,
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=column,
                error=i18n.t("template.number_error", lang, min=low, max=high if high is not None else "…"),
            )
        else:
            rule = None
        if rule is not None:
            rule.add(cells)
            sheet.add_data_validation(rule)
        if column in DATE_COLUMNS:
            sheet.column_dimensions[letter].number_format = XLSX_DATE_FORMAT


def template_bytes(lang: str = i18n.DEFAULT_LANGUAGE) -> bytes:
    """The empty workbook as .xlsx bytes (see the module docstring); ``lang``: ``nl`` or ``en``.

    Raises:
        ValueError: ``lang`` is not one of :data:`samenhier.i18n.LANGUAGES`.
    """
    if lang not in i18n.LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}")
    workbook = Workbook()
    _guide(workbook, lang)
    ranges = _list_ranges()
    for name in SHEET_COLUMNS:
        _data_sheet(workbook, name, lang, ranges)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
