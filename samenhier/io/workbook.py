"""Import of the coordinator's workbook (seven sheets) into the store: validate everything, then write all or nothing.

The import is idempotent by the workbook's own keys: community builders by ``naam``, groups, members
and newcomers by their code, matches by (``groep_code``, ``nieuwkomer_code``), surveys by
(``respondent_code``, ``meting``), and meetings by (``groep_code``, ``datum``, ``soort``) plus their
order within that key (the workbook may hold two meetings of one kind on one day). Importing the same
workbook twice changes nothing; a changed row updates its record and raises its version. A member or
newcomer whose personal data was erased keeps it erased: their row is recognised by its code and
counted as unchanged, however it reads.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from samenhier import i18n
from samenhier.clock import now_utc
from samenhier.db import write_engine
from samenhier.io.formula import restore as restore_formula_text
from samenhier.io.rows import (
    SHEETS,
    CommunityBuilderRow,
    GroupRow,
    MatchRow,
    MeetingRow,
    MemberRow,
    NewcomerRow,
    SheetRow,
    SurveyRow,
    clean_text,
    fold_vocabulary,
    is_blank,
    required_columns,
)
from samenhier.models import (
    AuditEvent,
    CommunityBuilder,
    Match,
    Meeting,
    Member,
    Municipality,
    Newcomer,
    RespondentRole,
    SurveyResponse,
    WelcomeGroup,
)
from samenhier.municipalities import MUNICIPALITIES

MEETING_FIELDS = ("duration_minutes", "members_present", "newcomers_present", "note")
"""A meeting's values besides its key (group, date, kind): what an import may change."""
FIRST_DATA_ROW = 2
"""Excel row number of a sheet's first data row (row 1 holds the column names)."""


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
        return i18n.t(f"import.error.{self.code}", lang, value=self.value, **self.params)

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
        self.issues = sorted(issues, key=lambda i: (list(SHEETS).index(i.sheet) if i.sheet in SHEETS else -1, i.row or 0))
        super().__init__("\n".join(i.describe("en") for i in self.issues[:20]))


@dataclass
class SheetSummary:
    """How an import changes one sheet's records."""

    sheet: str
    new: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass
class ImportResult:
    """Per sheet, the rows that are new, changed and unchanged; ``applied`` is False for a preview."""

    sheets: list[SheetSummary]
    applied: bool

    def as_frame(self) -> pd.DataFrame:
        """Columns: ``sheet``, ``new``, ``changed``, ``unchanged`` (row counts)."""
        return pd.DataFrame([vars(s) for s in self.sheets], columns=["sheet", "new", "changed", "unchanged"])


# ---------------------------------------------------------------------------------------------- reading


def read_workbook(path: str | Path) -> dict[str, pd.DataFrame]:
    """The seven sheets of an .xlsx workbook as frames of raw cell values (dtype object).

    Raises:
        ImportFailed: the file is missing or not a readable workbook, or a sheet is missing.
    """
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise ImportFailed([ImportIssue(name, None, None, str(path), "file_missing")])
    try:
        frames = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many kinds for a non-workbook
        raise ImportFailed([ImportIssue(name, None, None, type(exc).__name__, "not_a_workbook")]) from exc
    by_folded = {fold_vocabulary(k): v for k, v in frames.items()}
    missing = [s for s in SHEETS if fold_vocabulary(s) not in by_folded]
    if missing:
        raise ImportFailed([ImportIssue(s, None, None, "", "sheet_missing") for s in missing])
    return {s: by_folded[fold_vocabulary(s)] for s in SHEETS}


def _prepare(sheet: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[ImportIssue]]:
    """Column names trimmed and lower-cased, fully empty rows dropped, Excel row numbers kept as the index,
    and the quote that an export puts before formula-like text removed again (:mod:`samenhier.io.formula`)."""
    frame = frame.copy()
    for i in range(frame.shape[1]):  # by position: cell types and the object dtype stay as they are
        column = frame.iloc[:, i]
        if column.dtype == object and column.map(lambda v: isinstance(v, str) and v.startswith("'")).any():
            frame.isetitem(i, pd.Series([restore_formula_text(v) for v in column], index=frame.index, dtype=object))
    frame.columns = [clean_text(c).casefold() for c in frame.columns]
    frame.index = pd.RangeIndex(FIRST_DATA_ROW, FIRST_DATA_ROW + len(frame))
    frame = frame[~frame.apply(lambda row: all(is_blank(v) for v in row), axis=1)] if len(frame) else frame
    missing = [c for c in required_columns(SHEETS[sheet]) if c not in frame.columns]
    return frame, [ImportIssue(sheet, None, c, "", "column_missing") for c in missing]


def _validate(sheet: str, frame: pd.DataFrame) -> tuple[list[tuple[int, SheetRow]], list[ImportIssue]]:
    model = SHEETS[sheet]
    rows: list[tuple[int, SheetRow]] = []
    issues: list[ImportIssue] = []
    records = frame.to_dict(orient="index")
    for excel_row, record in records.items():
        try:
            rows.append((int(excel_row), model.model_validate(record)))
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else None
                ctx = dict(err.get("ctx") or {})
                value = ctx.pop("value", "") or clean_text(record.get(column, ""))
                ctx.pop("code", None)
                issues.append(ImportIssue(sheet, int(excel_row), column, str(value), err["type"], ctx))
    return rows, issues


# ---------------------------------------------------------------------------------------------- applying


def _key(text: str) -> str:
    return fold_vocabulary(text)


class _Importer:
    """Applies validated rows inside one session, counting new / changed / unchanged, collecting issues."""

    def __init__(self, session: Session):
        self.session = session
        self.issues: list[ImportIssue] = []
        self.summaries: dict[str, SheetSummary] = {s: SheetSummary(s) for s in SHEETS}
        self.municipalities = self._ensure_municipalities()

    def _ensure_municipalities(self) -> dict[str, int]:
        existing = {m.name: m for m in self.session.exec(select(Municipality))}
        for name, code in MUNICIPALITIES.items():
            if name not in existing:
                existing[name] = Municipality(name=name, cbs_code=code)
                self.session.add(existing[name])
        self.session.flush()
        return {name: m.id for name, m in existing.items()}

    def issue(self, sheet: str, row: int, column: str, value: Any, code: str, **params: Any) -> None:
        self.issues.append(ImportIssue(sheet, row, column, clean_text(value) if not isinstance(value, dt.date) else value.isoformat(), code, params))

    def upsert(self, sheet: str, existing: Any | None, values: dict[str, Any], factory: type) -> Any:
        summary = self.summaries[sheet]
        if existing is not None and getattr(existing, "erased", False):
            # A person erased on request (services/privacy.py) is never filled in again from an old workbook.
            summary.unchanged += 1
            return existing
        if existing is None:
            record = factory(**values)
            self.session.add(record)
            summary.new += 1
            return record
        changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if changed:
            for k, v in changed.items():
                setattr(existing, k, v)
            existing.version += 1
            summary.changed += 1
        else:
            summary.unchanged += 1
        return existing

    def duplicates(self, sheet: str, rows: list[tuple[int, SheetRow]], key, column: str) -> list[tuple[int, SheetRow]]:
        seen: dict[Any, int] = {}
        kept = []
        for excel_row, row in rows:
            k = key(row)
            if k in seen:
                self.issue(sheet, excel_row, column, k if isinstance(k, str) else " / ".join(map(str, k)), "duplicate", first_row=seen[k])
            else:
                seen[k] = excel_row
                kept.append((excel_row, row))
        return kept

    # -- sheets, in dependency order --------------------------------------------------------------

    def community_builders(self, rows: list[tuple[int, CommunityBuilderRow]]) -> None:
        sheet = "community_builders"
        if not rows:  # a partial import (e.g. only meetings): the names are enough, not every record
            self.builders = {_key(name): i for i, name in self.session.exec(select(CommunityBuilder.id, CommunityBuilder.name))}
            return
        existing = {_key(b.name): b for b in self.session.exec(select(CommunityBuilder))}
        for _excel_row, row in self.duplicates(sheet, rows, lambda r: _key(r.name), "naam"):
            values = dict(name=row.name, email=row.email or None, municipality_id=self.municipalities[row.municipality], languages=row.languages)
            existing[_key(row.name)] = self.upsert(sheet, existing.get(_key(row.name)), values, CommunityBuilder)
        self.session.flush()
        self.builders = {k: b.id for k, b in existing.items()}

    def groups(self, rows: list[tuple[int, GroupRow]]) -> None:
        sheet = "groepen"
        if not rows:
            self.groups_by_code = dict(self.session.exec(select(WelcomeGroup.code, WelcomeGroup.id)).all())
            return
        existing = {g.code: g for g in self.session.exec(select(WelcomeGroup))}
        for excel_row, row in self.duplicates(sheet, rows, lambda r: r.code, "groep_code"):
            builder_id = None
            if row.community_builder:
                builder_id = self.builders.get(_key(row.community_builder))
                if builder_id is None:
                    self.issue(sheet, excel_row, "community_builder", row.community_builder, "unknown_builder")
                    continue
            if row.training_completed_date and row.training_completed_date < row.signup_date:
                self.issue(sheet, excel_row, "training_afgerond_op", row.training_completed_date, "date_before", other="aangemeld_op")
                continue
            values = dict(
                code=row.code, name=row.name, municipality_id=self.municipalities[row.municipality], variant=row.variant,
                status=row.status, community_builder_id=builder_id, signup_date=row.signup_date,
                training_completed_date=row.training_completed_date, notes=row.notes,
            )
            existing[row.code] = self.upsert(sheet, existing.get(row.code), values, WelcomeGroup)
        self.session.flush()
        self.groups_by_code = {code: g.id for code, g in existing.items()}

    def _group_id(self, sheet: str, excel_row: int, code: str) -> int | None:
        group_id = self.groups_by_code.get(code)
        if group_id is None:
            self.issue(sheet, excel_row, "groep_code", code, "unknown_group")
        return group_id

    def members(self, rows: list[tuple[int, MemberRow]]) -> None:
        sheet = "leden"
        if not rows:
            self.members_by_code = dict(self.session.exec(select(Member.code, Member.id)).all())
            return
        existing = {m.code: m for m in self.session.exec(select(Member))}
        for excel_row, row in self.duplicates(sheet, rows, lambda r: r.code, "lid_code"):
            group_id = self._group_id(sheet, excel_row, row.group_code)
            if group_id is None:
                continue
            values = dict(
                code=row.code, group_id=group_id, first_name=row.first_name, last_name=row.last_name,
                email=row.email or None, phone=row.phone or None, role=row.role, joined_date=row.joined_date, vog_date=row.vog_date,
            )
            existing[row.code] = self.upsert(sheet, existing.get(row.code), values, Member)
        self.session.flush()
        self.members_by_code = {code: m.id for code, m in existing.items()}

    def newcomers(self, rows: list[tuple[int, NewcomerRow]]) -> None:
        sheet = "nieuwkomers"
        if not rows:
            self.newcomers_by_code = dict(self.session.exec(select(Newcomer.code, Newcomer.id)).all())
            return
        existing = {n.code: n for n in self.session.exec(select(Newcomer))}
        for excel_row, row in self.duplicates(sheet, rows, lambda r: r.code, "nieuwkomer_code"):
            if row.permit_date and row.permit_date < row.arrival_date:
                self.issue(sheet, excel_row, "verblijfsvergunning_sinds", row.permit_date, "date_before", other="in_nederland_sinds")
                continue
            values = dict(
                code=row.code, first_name=row.first_name, last_name=row.last_name, municipality_id=self.municipalities[row.municipality],
                country_of_origin=row.country_of_origin, languages=row.languages, household_size=row.household_size,
                arrival_date=row.arrival_date, permit_date=row.permit_date, registration_date=row.registration_date,
                status=row.status, email=row.email or None, phone=row.phone or None,
            )
            existing[row.code] = self.upsert(sheet, existing.get(row.code), values, Newcomer)
        self.session.flush()
        self.newcomers_by_code = {code: n.id for code, n in existing.items()}
        self.erased_newcomers = {n.id for n in existing.values() if n.erased}

    def matches(self, rows: list[tuple[int, MatchRow]]) -> None:
        sheet = "koppelingen"
        if not rows:
            return
        existing = {(m.group_id, m.newcomer_id): m for m in self.session.exec(select(Match))}
        for excel_row, row in self.duplicates(sheet, rows, lambda r: (r.group_code, r.newcomer_code), "nieuwkomer_code"):
            group_id = self._group_id(sheet, excel_row, row.group_code)
            newcomer_id = self.newcomers_by_code.get(row.newcomer_code)
            if newcomer_id is None:
                self.issue(sheet, excel_row, "nieuwkomer_code", row.newcomer_code, "unknown_newcomer")
            if group_id is None or newcomer_id is None:
                continue
            order_ok = True
            for column, later, earlier, earlier_column in (
                ("gestart_op", row.started_date, row.proposed_date, "voorgesteld_op"),
                ("beeindigd_op", row.ended_date, row.started_date or row.proposed_date, "gestart_op" if row.started_date else "voorgesteld_op"),
            ):
                if later and earlier and later < earlier:
                    self.issue(sheet, excel_row, column, later, "date_before", other=earlier_column)
                    order_ok = False
            if not order_ok:
                continue
            values = dict(
                group_id=group_id, newcomer_id=newcomer_id, proposed_date=row.proposed_date, started_date=row.started_date,
                ended_date=row.ended_date, status=row.status, end_reason=row.end_reason,
            )
            if newcomer_id in self.erased_newcomers:  # why it ended was cleared with their data
                values["end_reason"] = ""
            self.upsert(sheet, existing.get((group_id, newcomer_id)), values, Match)
        self.session.flush()

    def meetings(self, rows: list[tuple[int, MeetingRow]]) -> None:
        """Meetings are the big sheet (hundreds of thousands in a national store): the stored ones are read
        as plain rows, only in the date range of the sheet (a meeting's key includes its date), and new
        and changed ones are written in bulk — no ORM object per meeting, so time and memory stay small.
        Same rules as :meth:`upsert`: new, changed (version + 1) or unchanged."""
        sheet = "bijeenkomsten"
        summary = self.summaries[sheet]
        keyed = []
        for excel_row, row in rows:
            group_id = self._group_id(sheet, excel_row, row.group_code)
            if group_id is not None:
                keyed.append((group_id, row))
        if not keyed:
            return
        stored = select(Meeting.id, Meeting.group_id, Meeting.date, Meeting.kind, *(getattr(Meeting, f) for f in MEETING_FIELDS),
                        Meeting.version).where(Meeting.date >= min(r.date for _, r in keyed), Meeting.date <= max(r.date for _, r in keyed))
        existing: dict[tuple, list] = defaultdict(list)
        for m in self.session.execute(stored.order_by(Meeting.id)):
            existing[(m.group_id, m.date, m.kind)].append(m)
        occurrence: dict[tuple, int] = defaultdict(int)
        new, changed = [], []
        for group_id, row in keyed:
            key = (group_id, row.date, row.kind)
            nth = occurrence[key]
            occurrence[key] += 1
            current = existing[key][nth] if nth < len(existing[key]) else None
            values = dict(duration_minutes=row.duration_minutes, members_present=row.members_present,
                          newcomers_present=row.newcomers_present, note=row.note)
            if current is None:
                new.append(dict(group_id=group_id, date=row.date, kind=row.kind, **values, version=1))
                summary.new += 1
                continue
            differs = {k: v for k, v in values.items() if getattr(current, k) != v}
            if differs:
                changed.append(dict(id=current.id, **differs, version=current.version + 1))
                summary.changed += 1
            else:
                summary.unchanged += 1
        if new:
            self.session.execute(insert(Meeting), new)
        if changed:
            self.session.execute(update(Meeting), changed)  # ORM bulk UPDATE by primary key

    def surveys(self, rows: list[tuple[int, SurveyRow]]) -> None:
        sheet = "enquetes"
        if not rows:
            return
        existing = {}
        for s in self.session.exec(select(SurveyResponse)):
            existing[("m", s.member_id, s.wave) if s.member_id else ("n", s.newcomer_id, s.wave)] = s
        for excel_row, row in self.duplicates(sheet, rows, lambda r: (r.respondent_code, r.wave), "meting"):
            group_id = self._group_id(sheet, excel_row, row.group_code)
            if row.role == RespondentRole.NEWCOMER:
                person_id, lookup_key, ids = self.newcomers_by_code.get(row.respondent_code), "n", {"newcomer_id": None}
                code = "unknown_newcomer"
            else:
                person_id, lookup_key, ids = self.members_by_code.get(row.respondent_code), "m", {"member_id": None}
                code = "unknown_member"
            if person_id is None:
                self.issue(sheet, excel_row, "respondent_code", row.respondent_code, code)
            if group_id is None or person_id is None:
                continue
            ids = {"member_id": person_id if lookup_key == "m" else None, "newcomer_id": person_id if lookup_key == "n" else None}
            values = dict(
                **ids, group_id=group_id, wave=row.wave, date=row.date, emptiness=row.emptiness, fall_back_on=row.fall_back_on,
                trust=row.trust, miss_people=row.miss_people, connected=row.connected, abandoned=row.abandoned,
                feel_at_home=row.feel_at_home, self_reported_change=row.self_reported_change, new_contacts=row.new_contacts,
            )
            self.upsert(sheet, existing.get((lookup_key, person_id, row.wave)), values, SurveyResponse)
        self.session.flush()


def import_frames(
    engine: Engine, frames: Mapping[str, pd.DataFrame], *, username: str, dry_run: bool = False, source: str = ""
) -> ImportResult:
    """Validate and import the seven sheets in one transaction (or, with ``dry_run``, only report what would change).

    ``frames`` maps sheet name → raw cells as read from the workbook (a sheet may be absent when
    importing a subset, e.g. only ``bijeenkomsten`` from a CSV; references then resolve against the
    store). Nothing is written unless every row of every sheet is valid.

    Returns:
        :class:`ImportResult` with per-sheet counts of new, changed and unchanged rows.

    Raises:
        ImportFailed: with every problem found (sheet, Excel row, column, value, reason).
    """
    issues: list[ImportIssue] = []
    validated: dict[str, list] = {}
    for sheet in SHEETS:
        if sheet not in frames:
            validated[sheet] = []
            continue
        frame, column_issues = _prepare(sheet, frames[sheet])
        issues += column_issues
        if not column_issues:
            rows, row_issues = _validate(sheet, frame)
            validated[sheet] = rows
            issues += row_issues
    if issues:
        raise ImportFailed(issues)

    with Session(write_engine(engine), expire_on_commit=False) as session:  # BEGIN IMMEDIATE: waits for other writers
        importer = _Importer(session)
        try:
            importer.community_builders(validated["community_builders"])
            importer.groups(validated["groepen"])
            importer.members(validated["leden"])
            importer.newcomers(validated["nieuwkomers"])
            importer.matches(validated["koppelingen"])
            importer.meetings(validated["bijeenkomsten"])
            importer.surveys(validated["enquetes"])
        except IntegrityError as exc:
            session.rollback()
            raise ImportFailed([ImportIssue("", None, None, str(exc.orig), "constraint")]) from exc
        if importer.issues:
            session.rollback()
            raise ImportFailed(importer.issues)
        summaries = [importer.summaries[s] for s in SHEETS if s in frames]
        if dry_run:
            session.rollback()
            return ImportResult(summaries, applied=False)
        session.add(
            AuditEvent(
                at=now_utc(), username=username, action="import", table_name="*", record_code=source,
                changes=json.dumps({s.sheet: {"new": s.new, "changed": s.changed} for s in summaries}),
            )
        )
        session.commit()
    return ImportResult(summaries, applied=True)


def import_paths(engine: Engine, paths: Iterable[str | Path], *, username: str, dry_run: bool = False) -> ImportResult:
    """Import from disk: workbooks (.xlsx), CSV files named like a sheet, folders of CSV files, or .zip
    files of them (see :func:`samenhier.io.csv_files.read_sources`); then as :func:`import_frames`.

    Raises:
        ImportFailed: a file is missing or unreadable, a sheet comes twice, or rows are invalid; nothing is written.
    """
    from samenhier.io.csv_files import read_sources  # csv_files builds on this module

    paths = list(paths)
    frames = read_sources(paths)
    return import_frames(engine, frames, username=username, dry_run=dry_run, source=", ".join(Path(p).name for p in paths))
