"""Validation of one row of each workbook sheet (pydantic models whose aliases are the Dutch columns).

Every cell goes through a parser here that either returns a clean value or raises a
``PydanticCustomError`` whose *type* is a stable error code (``date``, ``vocabulary``, …) with the
offending value in its context; :mod:`samenhier.io.importer` turns those into :class:`~samenhier.io.errors.ImportIssue`
objects that name sheet, row and column. Nothing is guessed: an ambiguous or impossible value is an
error.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from samenhier import fields
from samenhier.loneliness import FEEL_AT_HOME_MAX, FEEL_AT_HOME_MIN
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
from samenhier.municipalities import canonical_municipality

EXCEL_EPOCH = dt.date(1899, 12, 30)
"""Day 0 of Excel's 1900 date system for serials after 28-02-1900 (Excel counts a phantom 29-02-1900)."""
EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)
"""Every date in the programme's records lies in this window; anything outside is a typing error
(e.g. a year typed alone, ``2023``, which Excel would read as serial day 2023 = 15-07-1905)."""
_DATE_PATTERNS = (
    (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"), ("d", "m", "y")),  # dd-mm-jjjj (Dutch Excel)
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),  # jjjj-mm-dd (ISO)
)
_MIDNIGHT = re.compile(r"^(\S+)[ T]0{1,2}:00(:00(\.0+)?)?$")
"""A date written with a midnight time, as several tools export dates: ``2026-01-20 00:00:00``, ``20-1-2026 0:00``."""
SHOWN_VALUE_LENGTH = 80
"""A value longer than this is cut (with …) where a problem message shows it."""


def is_blank(value: Any) -> bool:
    """True for an empty cell: None, NaN/NaT, or text that is only white space."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value.__class__.__name__ in ("NaTType", "NAType"):
        return True
    return isinstance(value, str) and not value.strip()


def clean_text(value: Any) -> str:
    """Text as stored: Unicode NFC, trimmed, line breaks as ``\n`` (as Excel has them in a cell; CSV files
    may bring ``\r\n``, which an .xlsx cannot even hold), inner runs of white space kept as they are."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n").strip()


def _error(code: str, value: Any, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError(code, "{code}: {value}", {"code": code, "value": _show(value), **ctx})


def _show(value: Any) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10]
    text = clean_text(value)
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[:SHOWN_VALUE_LENGTH] + "…"


def parse_date(value: Any) -> dt.date:
    """A calendar date from an Excel cell: a date/datetime, an Excel serial number, ``dd-mm-jjjj`` or ``jjjj-mm-dd``.

    Raises:
        PydanticCustomError: ``date`` for anything else, including impossible dates (31-02-2025, month 13);
            ``date_range`` for a date outside :data:`EARLIEST_DATE` – :data:`LATEST_DATE`.
    """
    parsed = _parse_date(value)
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise _error("date_range", value, earliest=EARLIEST_DATE.year, latest=LATEST_DATE.year)
    return parsed


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    if isinstance(value, int | float) and not isinstance(value, bool):
        if (
            float(value).is_integer() and 61 <= value <= 2_958_465
        ):  # Excel serials from 1900-03-01 to 9999-12-31
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise _error("date", value)
    text = clean_text(value)
    if midnight := _MIDNIGHT.match(text):
        text = midnight.group(1)
    for pattern, order in _DATE_PATTERNS:
        found = pattern.match(text)
        if found:
            parts = dict(zip(order, map(int, found.groups()), strict=True))
            try:
                return dt.date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                raise _error("date", value) from None
    raise _error("date", value)


def parse_int(value: Any, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number from a cell (``12``, ``12.0``, ``"12"``, ``"12,0"``) within ``minimum``–``maximum``.

    Text with exactly three zeros after the separator (``"1.000"``, ``"12,000"``) is refused: it reads
    as a thousand in Dutch and as one in English (or the other way round), so it is never guessed.

    Raises:
        PydanticCustomError: ``integer`` for text or fractions, ``ambiguous_number`` for ``1.000``,
            ``range`` outside the bounds.
    """
    if isinstance(value, bool):
        raise _error("integer", value)
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = clean_text(value).replace(" ", "")
        if re.fullmatch(r"-?\d+[.,]000", text):
            raise _error("ambiguous_number", value)
        if re.fullmatch(r"-?\d+([.,]0+)?", text) is None:
            raise _error("integer", value)
        number = float(text.replace(",", "."))
    if not number.is_integer():
        raise _error("integer", value)
    result = int(number)
    if (minimum is not None and result < minimum) or (maximum is not None and result > maximum):
        raise _error(
            "range",
            value,
            minimum="" if minimum is None else minimum,
            maximum="" if maximum is None else maximum,
        )
    return result


def fold_vocabulary(text: str) -> str:
    """Spelling-insensitive form of a vocabulary word: no accents, case folded, hyphens as spaces."""
    decomposed = unicodedata.normalize("NFD", clean_text(text))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("-", " ").replace("_", " ").split()).casefold()


def parse_vocabulary(value: Any, enum: type[StrEnum]) -> str:
    """The canonical word of ``enum`` that ``value`` spells (``Min-of-meer`` → ``min of meer``).

    Raises:
        PydanticCustomError: ``vocabulary`` naming the allowed words.
    """
    folded = fold_vocabulary(value)
    for member in enum:
        if fold_vocabulary(member.value) == folded:
            return member.value
    raise _error("vocabulary", value, allowed=", ".join(m.value for m in enum))


def parse_answer(value: Any) -> str | None:
    """A loneliness item answer (``ja``, ``min of meer``, ``nee`` in any spelling), or None when empty."""
    return None if is_blank(value) else parse_vocabulary(value, Answer)


def parse_municipality(value: Any) -> str:
    """The canonical municipality name for a spelling or alias.

    Raises:
        PydanticCustomError: ``municipality`` when the name is unknown.
    """
    name = canonical_municipality(clean_text(value))
    if name is None:
        raise _error("municipality", value)
    return name


def _required(parser):
    def run(value: Any) -> Any:
        if is_blank(value):
            raise _error("required", value)
        return parser(value)

    return run


def _optional(parser):
    return lambda value: None if is_blank(value) else parser(value)


def _vocab(enum: type[StrEnum]):
    return _required(lambda v: parse_vocabulary(v, enum))


def _int(minimum: int | None = None, maximum: int | None = None):
    return lambda v: parse_int(v, minimum=minimum, maximum=maximum)


def _rule(check, parser=clean_text, **kwargs):
    """A parser followed by a field rule of :mod:`samenhier.fields` (the forms' rules), its error as an import error."""

    def run(value: Any) -> Any:
        parsed = parser(value)
        if parsed == "" or parsed is None:
            return parsed
        try:
            check(parsed, **kwargs)
        except fields.FieldRuleError as broken:
            raise _error(broken.code, value, **{k: str(v) for k, v in broken.params.items()}) from None
        return parsed

    return run


Text = Annotated[str, BeforeValidator(_required(_rule(fields.check_text, name=True)))]
"""A required name or other short text (at most 100 characters, no control or direction characters)."""
OptionalText = Annotated[str, BeforeValidator(_rule(fields.check_text, name=True))]
Code = Annotated[str, BeforeValidator(_required(_rule(fields.check_code)))]
Languages = Annotated[str, BeforeValidator(_rule(fields.check_text, max_len=fields.MAX_LANGUAGES))]
Notes = Annotated[str, BeforeValidator(_rule(fields.check_text, max_len=fields.MAX_TEXT, multiline=True))]
Reason = Annotated[str, BeforeValidator(_rule(fields.check_text, max_len=fields.MAX_REASON, multiline=True))]
Email = Annotated[str, BeforeValidator(_rule(fields.check_email))]
Phone = Annotated[str, BeforeValidator(_rule(fields.check_phone))]
Date = Annotated[dt.date, BeforeValidator(_required(_rule(fields.check_past, parse_date)))]
"""A required date of something that happened: not after today."""
OptionalDate = Annotated[dt.date | None, BeforeValidator(_optional(_rule(fields.check_past, parse_date)))]
MunicipalityName = Annotated[str, BeforeValidator(_required(parse_municipality))]
AnswerValue = Annotated[str | None, BeforeValidator(parse_answer)]


class SheetRow(BaseModel):
    """Base of the row models: fields are filled by their Dutch column names (aliases)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", frozen=True)


class CommunityBuilderRow(SheetRow):
    name: Text = Field(alias="naam")
    email: Email = Field(alias="e-mail", default="")
    municipality: MunicipalityName = Field(alias="gemeente")
    languages: Languages = Field(alias="talen", default="")


class GroupRow(SheetRow):
    code: Code = Field(alias="groep_code")
    name: Text = Field(alias="naam")
    municipality: MunicipalityName = Field(alias="gemeente")
    variant: Annotated[str, BeforeValidator(_vocab(Variant))] = Field(alias="variant")
    community_builder: OptionalText = Field(alias="community_builder", default="")
    status: Annotated[str, BeforeValidator(_vocab(GroupStatus))] = Field(alias="status")
    signup_date: Date = Field(alias="aangemeld_op")
    training_completed_date: OptionalDate = Field(alias="training_afgerond_op", default=None)
    notes: Notes = Field(alias="notities", default="")


class MemberRow(SheetRow):
    code: Code = Field(alias="lid_code")
    group_code: Text = Field(alias="groep_code")
    first_name: Text = Field(alias="voornaam")
    last_name: OptionalText = Field(alias="achternaam", default="")
    email: Email = Field(alias="e-mail", default="")
    phone: Phone = Field(alias="telefoon", default="")
    role: Annotated[str, BeforeValidator(_vocab(MemberRole))] = Field(alias="rol")
    joined_date: Date = Field(alias="lid_sinds")
    vog_date: OptionalDate = Field(alias="vog_datum", default=None)


class NewcomerRow(SheetRow):
    code: Code = Field(alias="nieuwkomer_code")
    first_name: Text = Field(alias="voornaam")
    last_name: OptionalText = Field(alias="achternaam", default="")
    municipality: MunicipalityName = Field(alias="gemeente")
    country_of_origin: OptionalText = Field(alias="land_van_herkomst", default="")
    languages: Languages = Field(alias="talen", default="")
    household_size: Annotated[
        int, BeforeValidator(_required(_int(fields.HOUSEHOLD_MIN, fields.HOUSEHOLD_MAX)))
    ] = Field(alias="huishoudgrootte")
    arrival_date: Date = Field(alias="in_nederland_sinds")
    permit_date: OptionalDate = Field(alias="verblijfsvergunning_sinds", default=None)
    registration_date: Date = Field(alias="aangemeld_op")
    status: Annotated[str, BeforeValidator(_vocab(NewcomerStatus))] = Field(alias="status")
    email: Email = Field(alias="e-mail", default="")
    phone: Phone = Field(alias="telefoon", default="")


class MatchRow(SheetRow):
    group_code: Text = Field(alias="groep_code")
    newcomer_code: Text = Field(alias="nieuwkomer_code")
    proposed_date: Date = Field(alias="voorgesteld_op")
    started_date: OptionalDate = Field(alias="gestart_op", default=None)
    ended_date: OptionalDate = Field(alias="beeindigd_op", default=None)
    status: Annotated[str, BeforeValidator(_vocab(MatchStatus))] = Field(alias="status")
    end_reason: Reason = Field(alias="reden_einde", default="")


class MeetingRow(SheetRow):
    group_code: Text = Field(alias="groep_code")
    date: Date = Field(alias="datum")
    kind: Annotated[str, BeforeValidator(_vocab(MeetingKind))] = Field(alias="soort")
    duration_minutes: Annotated[
        int, BeforeValidator(_required(_int(fields.DURATION_MIN, fields.DURATION_MAX)))
    ] = Field(alias="duur_minuten")
    members_present: Annotated[int, BeforeValidator(_required(_int(0, fields.PRESENT_MAX)))] = Field(
        alias="aanwezig_leden"
    )
    newcomers_present: Annotated[int, BeforeValidator(_required(_int(0, fields.PRESENT_MAX)))] = Field(
        alias="aanwezig_nieuwkomers"
    )
    note: Notes = Field(alias="notitie", default="")


class SurveyRow(SheetRow):
    respondent_code: Text = Field(alias="respondent_code")
    role: Annotated[str, BeforeValidator(_vocab(RespondentRole))] = Field(alias="rol")
    group_code: Text = Field(alias="groep_code")
    wave: Annotated[str, BeforeValidator(_vocab(Wave))] = Field(alias="meting")
    date: Date = Field(alias="datum")
    emptiness: AnswerValue = Field(alias="leegte", default=None)
    fall_back_on: AnswerValue = Field(alias="terugvallen", default=None)
    trust: AnswerValue = Field(alias="vertrouwen", default=None)
    miss_people: AnswerValue = Field(alias="mis_mensen", default=None)
    connected: AnswerValue = Field(alias="verbonden", default=None)
    abandoned: AnswerValue = Field(alias="in_de_steek", default=None)
    feel_at_home: Annotated[
        int | None, BeforeValidator(_optional(_int(FEEL_AT_HOME_MIN, FEEL_AT_HOME_MAX)))
    ] = Field(alias="thuis_voelen", default=None)
    self_reported_change: Annotated[
        str | None, BeforeValidator(_optional(lambda v: parse_vocabulary(v, SelfReportedChange)))
    ] = Field(alias="eenzaamheid_verandering", default=None)
    new_contacts: Annotated[int | None, BeforeValidator(_optional(_int(0, fields.MAX_NEW_CONTACTS)))] = Field(
        alias="nieuwe_contacten", default=None
    )


SHEETS: dict[str, type[SheetRow]] = {
    "community_builders": CommunityBuilderRow,
    "groepen": GroupRow,
    "leden": MemberRow,
    "nieuwkomers": NewcomerRow,
    "koppelingen": MatchRow,
    "bijeenkomsten": MeetingRow,
    "enquetes": SurveyRow,
}
"""The workbook's sheets in dependency order (a sheet refers only to sheets before it)."""


def required_columns(model: type[SheetRow]) -> list[str]:
    """The Dutch column names a sheet must have (every field's alias)."""
    return [f.alias for f in model.model_fields.values() if f.alias]
