"""Exports: the store in the import layout, and any table as .xlsx or as CSV for Dutch Excel.

:func:`export_frames` gives the seven sheets with the same sheet and column names the import reads
(Dutch vocabulary words, canonical municipality names, dates as dates), so exporting and importing
again changes nothing. The writers take any DataFrames, so a page can offer what it shows as a
download (:func:`samenhier.widgets.download_buttons`):

- **xlsx**: dates are real date cells shown ``dd-mm-jjjj``, numbers are number cells, text is text.
- **CSV**: ``;``-separated UTF-8 with a byte-order mark (Dutch Excel opens it with accents and Arabic
  script intact), dates ``dd-mm-jjjj``, decimal commas, one file per sheet.

In both, text that a spreadsheet would run as a formula gets a quote in front
(:mod:`samenhier.io.formula`); numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.engine import Engine

from samenhier.clock import AMSTERDAM
from samenhier.io.formula import neutralise
from samenhier.io.rows import SHEETS, required_columns
from samenhier.models import (
    CommunityBuilder,
    Match,
    Meeting,
    Member,
    Municipality,
    Newcomer,
    SurveyResponse,
    WelcomeGroup,
)
from samenhier.queries.common import read_frame
from samenhier.scope import Filters, Scope, visible_groups

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
ZIP_MIME = "application/zip"
FORMATS = ("xlsx", "csv")
CSV_DELIMITER = ";"
CSV_ENCODING = "utf-8-sig"
XLSX_DATE_FORMAT = "DD-MM-YYYY"
XLSX_DATETIME_FORMAT = "DD-MM-YYYY HH:MM"
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

SHEET_COLUMNS: dict[str, list[str]] = {sheet: required_columns(model) for sheet, model in SHEETS.items()}
"""Per sheet, its columns in the order of the workbook (the Dutch names the import reads)."""
DATE_COLUMNS = {
    "aangemeld_op",
    "training_afgerond_op",
    "lid_sinds",
    "vog_datum",
    "in_nederland_sinds",
    "verblijfsvergunning_sinds",
    "voorgesteld_op",
    "gestart_op",
    "beeindigd_op",
    "datum",
}
_INT_COLUMNS = {
    "huishoudgrootte",
    "duur_minuten",
    "aanwezig_leden",
    "aanwezig_nieuwkomers",
    "thuis_voelen",
    "nieuwe_contacten",
}


# ---------------------------------------------------------------------------------------------- the store


def export_frames(engine: Engine, scope: Scope, filters: Filters = Filters()) -> dict[str, pd.DataFrame]:
    """The store as the seven sheets of the import layout, rows in the order they were stored.

    Columns per sheet: :data:`SHEET_COLUMNS`. Dates are ``datetime.date`` (or None), whole numbers
    ``Int64`` (<NA> when empty), text ``str`` (or None). Archived records are included (the import
    layout has no column for it; importing leaves the flag alone).

    Without ``filters`` this is everything. With filters: the groups the filters select, with their
    members, matches, meetings and surveys; the newcomers matched to those groups plus, with a
    municipality filter, the newcomers living there (without one, the newcomers never matched); the
    community builders guiding those groups plus those working in a filtered municipality.

    Raises:
        AccessDenied: ``scope`` is not a coordinator (the export holds every newcomer's personal data).

    A municipality coordinator's export is narrowed to their municipalities, as if filtered by them.
    """
    scope.require_coordinator()
    filters = scope.narrow(filters)
    groups = visible_groups(scope, filters, include_archived=True)
    filtered = bool(filters.municipalities or filters.variants)
    group = WelcomeGroup.__table__.alias("g")
    place = Municipality.__table__.alias("place")

    builders = (
        select(
            CommunityBuilder.name.label("naam"),
            CommunityBuilder.email.label("e-mail"),
            place.c.name.label("gemeente"),
            CommunityBuilder.languages.label("talen"),
        )
        .outerjoin(place, place.c.id == CommunityBuilder.municipality_id)
        .order_by(CommunityBuilder.id)
    )
    if filtered:
        guiding = select(WelcomeGroup.community_builder_id).where(WelcomeGroup.id.in_(groups))
        builders = builders.where(
            or_(
                CommunityBuilder.id.in_(guiding),
                place.c.name.in_(filters.municipalities) if filters.municipalities else literal(False),
            )
        )

    group_sheet = (
        select(
            WelcomeGroup.code.label("groep_code"),
            WelcomeGroup.name.label("naam"),
            Municipality.name.label("gemeente"),
            WelcomeGroup.variant,
            CommunityBuilder.name.label("community_builder"),
            WelcomeGroup.status,
            WelcomeGroup.signup_date.label("aangemeld_op"),
            WelcomeGroup.training_completed_date.label("training_afgerond_op"),
            WelcomeGroup.notes.label("notities"),
        )
        .join(Municipality, Municipality.id == WelcomeGroup.municipality_id)
        .outerjoin(CommunityBuilder, CommunityBuilder.id == WelcomeGroup.community_builder_id)
        .where(WelcomeGroup.id.in_(groups))
        .order_by(WelcomeGroup.id)
    )
    members = (
        select(
            Member.code.label("lid_code"),
            group.c.code.label("groep_code"),
            Member.first_name.label("voornaam"),
            Member.last_name.label("achternaam"),
            Member.email.label("e-mail"),
            Member.phone.label("telefoon"),
            Member.role.label("rol"),
            Member.joined_date.label("lid_sinds"),
            Member.vog_date.label("vog_datum"),
        )
        .join(group, group.c.id == Member.group_id)
        .where(Member.group_id.in_(groups))
        .order_by(Member.id)
    )
    newcomers = (
        select(
            Newcomer.code.label("nieuwkomer_code"),
            Newcomer.first_name.label("voornaam"),
            Newcomer.last_name.label("achternaam"),
            Municipality.name.label("gemeente"),
            Newcomer.country_of_origin.label("land_van_herkomst"),
            Newcomer.languages.label("talen"),
            Newcomer.household_size.label("huishoudgrootte"),
            Newcomer.arrival_date.label("in_nederland_sinds"),
            Newcomer.permit_date.label("verblijfsvergunning_sinds"),
            Newcomer.registration_date.label("aangemeld_op"),
            Newcomer.status,
            Newcomer.email.label("e-mail"),
            Newcomer.phone.label("telefoon"),
        )
        .join(Municipality, Municipality.id == Newcomer.municipality_id)
        .order_by(Newcomer.id)
    )
    if filtered:
        matched_here = select(Match.newcomer_id).where(Match.group_id.in_(groups))
        elsewhere = (
            Municipality.name.in_(filters.municipalities)
            if filters.municipalities
            else Newcomer.id.not_in(select(Match.newcomer_id))
        )
        newcomers = newcomers.where(or_(Newcomer.id.in_(matched_here), elsewhere))
    matches = (
        select(
            group.c.code.label("groep_code"),
            Newcomer.code.label("nieuwkomer_code"),
            Match.proposed_date.label("voorgesteld_op"),
            Match.started_date.label("gestart_op"),
            Match.ended_date.label("beeindigd_op"),
            Match.status,
            Match.end_reason.label("reden_einde"),
        )
        .join(group, group.c.id == Match.group_id)
        .join(Newcomer, Newcomer.id == Match.newcomer_id)
        .where(Match.group_id.in_(groups))
        .order_by(Match.id)
    )
    meetings = (
        select(
            group.c.code.label("groep_code"),
            Meeting.date.label("datum"),
            Meeting.kind.label("soort"),
            Meeting.duration_minutes.label("duur_minuten"),
            Meeting.members_present.label("aanwezig_leden"),
            Meeting.newcomers_present.label("aanwezig_nieuwkomers"),
            Meeting.note.label("notitie"),
        )
        .join(group, group.c.id == Meeting.group_id)
        .where(Meeting.group_id.in_(groups))
        .order_by(Meeting.id)  # the import pairs meetings of one group, day and kind in this order
    )
    respondent_member = Member.__table__.alias("respondent_member")
    respondent_newcomer = Newcomer.__table__.alias("respondent_newcomer")
    surveys = (
        select(
            func.coalesce(respondent_member.c.code, respondent_newcomer.c.code).label("respondent_code"),
            case((SurveyResponse.member_id.is_not(None), "lid"), else_="nieuwkomer").label("rol"),
            group.c.code.label("groep_code"),
            SurveyResponse.wave.label("meting"),
            SurveyResponse.date.label("datum"),
            SurveyResponse.emptiness.label("leegte"),
            SurveyResponse.fall_back_on.label("terugvallen"),
            SurveyResponse.trust.label("vertrouwen"),
            SurveyResponse.miss_people.label("mis_mensen"),
            SurveyResponse.connected.label("verbonden"),
            SurveyResponse.abandoned.label("in_de_steek"),
            SurveyResponse.feel_at_home.label("thuis_voelen"),
            SurveyResponse.self_reported_change.label("eenzaamheid_verandering"),
            SurveyResponse.new_contacts.label("nieuwe_contacten"),
        )
        .join(group, group.c.id == SurveyResponse.group_id)
        .outerjoin(respondent_member, respondent_member.c.id == SurveyResponse.member_id)
        .outerjoin(respondent_newcomer, respondent_newcomer.c.id == SurveyResponse.newcomer_id)
        .where(SurveyResponse.group_id.in_(groups))
        .order_by(SurveyResponse.id)
    )
    queries = {
        "community_builders": builders,
        "groepen": group_sheet,
        "leden": members,
        "nieuwkomers": newcomers,
        "koppelingen": matches,
        "bijeenkomsten": meetings,
        "enquetes": surveys,
    }
    return {sheet: _typed(read_frame(engine, queries[sheet]), SHEET_COLUMNS[sheet]) for sheet in SHEETS}


def _typed(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame[columns].copy()
    for column in columns:
        if column in DATE_COLUMNS:
            frame[column] = pd.Series(
                [None if pd.isna(v) else pd.Timestamp(v).date() for v in frame[column]],
                index=frame.index,
                dtype=object,
            )
        elif column in _INT_COLUMNS:
            frame[column] = pd.array(frame[column], dtype="Int64")
        else:
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


# ---------------------------------------------------------------------------------------------- cells


def _plain(value: Any) -> Any:
    """A cell value as a plain Python value: None, bool, int, float, date, datetime (naive, Amsterdam) or str."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):  # numpy numbers and bools
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(AMSTERDAM).replace(tzinfo=None)
        return value.date() if value.time() == dt.time() else value
    if isinstance(value, bool | int | float | dt.date | str):
        return value
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


def csv_text(value: Any) -> str:
    """One cell as Dutch Excel reads it from a ``;`` CSV: ``dd-mm-jjjj`` dates, decimal commas, neutralised text."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")
    if isinstance(value, dt.datetime):
        return value.strftime("%d-%m-%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    return neutralise(value)


def _xlsx_cell(sheet, value: Any) -> Any:
    value = _plain(value)
    if isinstance(value, dt.datetime | dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = XLSX_DATETIME_FORMAT if isinstance(value, dt.datetime) else XLSX_DATE_FORMAT
        return cell
    if isinstance(value, str):
        # Characters XML cannot hold (control codes) cannot be in an .xlsx at all; they become U+FFFD.
        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", neutralise(value))
        if text.startswith("#"):  # openpyxl would write "#N/A" and the like as an error cell
            cell = WriteOnlyCell(sheet, value=text)
            cell.data_type = "s"
            return cell
        return text
    return value


def sheet_title(name: str) -> str:
    """``name`` as an Excel sheet title: at most 31 characters, none of ``[]:*?/\\``."""
    return _SHEET_TITLE_FORBIDDEN.sub("_", name)[:31] or "Blad1"


# ---------------------------------------------------------------------------------------------- writers


def write_xlsx(frames: Mapping[str, pd.DataFrame], target: str | Path | BinaryIO) -> None:
    """Write ``frames`` (sheet name → frame) as one .xlsx workbook, a sheet per frame, header in row 1."""
    workbook = Workbook(write_only=True)
    for name, frame in frames.items():
        sheet = workbook.create_sheet(sheet_title(name))
        sheet.append([_xlsx_cell(sheet, str(c)) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_xlsx_cell(sheet, v) for v in row])
    workbook.save(target)


def write_csv(frame: pd.DataFrame, target: BinaryIO) -> None:
    """Write ``frame`` as a CSV file for Dutch Excel: ``;``, UTF-8 with BOM, CRLF, header in row 1."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([csv_text(str(c)) for c in frame.columns])
    writer.writerows([csv_text(v) for v in row] for row in frame.itertuples(index=False, name=None))
    target.write(text.getvalue().encode(CSV_ENCODING))


def xlsx_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """:func:`write_xlsx` into memory."""
    buffer = io.BytesIO()
    write_xlsx(frames, buffer)
    return buffer.getvalue()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """:func:`write_csv` into memory."""
    buffer = io.BytesIO()
    write_csv(frame, buffer)
    return buffer.getvalue()


def csv_zip_bytes(frames: Mapping[str, pd.DataFrame]) -> bytes:
    """A .zip with one CSV file per frame, named ``<sheet>.csv`` (the import reads the zip as it is)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, frame in frames.items():
            archive.writestr(f"{name}.csv", csv_bytes(frame))
    return buffer.getvalue()


def _replace_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_files(frames: Mapping[str, pd.DataFrame], path: str | Path, fmt: str) -> list[Path]:
    """Write ``frames`` to disk: ``xlsx`` → the workbook ``path``; ``csv`` → the folder ``path`` with one
    ``<sheet>.csv`` per frame. Each file is written whole or not at all (temporary file, then renamed).

    Returns:
        The files written.

    Raises:
        ValueError: ``fmt`` is not ``xlsx`` or ``csv``.
    """
    path = Path(path)
    if fmt == "xlsx":
        _replace_atomically(path, xlsx_bytes(frames))
        return [path]
    if fmt == "csv":
        written = []
        for name, frame in frames.items():
            _replace_atomically(path / f"{name}.csv", csv_bytes(frame))
            written.append(path / f"{name}.csv")
        return written
    raise ValueError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
