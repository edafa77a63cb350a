"""Import of the coordinator's sheets into the store: validate everything, then write all or nothing.

The import is idempotent by the workbook's own keys: community builders by ``naam``, groups, members
and newcomers by their code, matches by (``groep_code``, ``nieuwkomer_code``), surveys by
(``respondent_code``, ``meting``), and meetings by (``groep_code``, ``datum``, ``soort``) plus their
order within that key (the workbook may hold two meetings of one kind on one day). Importing the same
workbook twice changes nothing; a changed row updates its record and raises its version. A member or
newcomer whose personal data was erased keeps it erased: their row is recognised by its code and
counted as unchanged, however it reads.

Reading is elsewhere (:mod:`samenhier.io.sources`: files, folders and zips; :mod:`samenhier.io.xlsx`,
:mod:`samenhier.io.csv_files`); problems are :mod:`samenhier.io.errors`; what an import did is
:mod:`samenhier.io.results`; edits made in the app since the last import are :mod:`samenhier.io.conflicts`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import func, insert, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from samenhier import consistency, i18n
from samenhier.clock import now_utc
from samenhier.consistency import Violation
from samenhier.db import write_engine
from samenhier.io.conflicts import ON_CONFLICT, TABLE_OF_SHEET, app_changes_since_import, column_of
from samenhier.io.errors import ImportFailed, ImportIssue
from samenhier.io.formula import restore as restore_formula_text
from samenhier.io.limits import FIRST_DATA_ROW
from samenhier.io.results import FieldChange, ImportResult, MissingRecord, SheetSummary
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
from samenhier.io.sources import read_sources
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


def _prepare(sheet: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[ImportIssue]]:
    """Column names trimmed and lower-cased, fully empty rows dropped, Excel row numbers kept as the index,
    and the quote that an export puts before formula-like text removed again (:mod:`samenhier.io.formula`)."""
    frame = frame.copy()
    for i in range(frame.shape[1]):  # by position: cell types and the object dtype stay as they are
        column = frame.iloc[:, i]
        if column.dtype == object and column.map(lambda v: isinstance(v, str) and v.startswith("'")).any():
            frame.isetitem(
                i, pd.Series([restore_formula_text(v) for v in column], index=frame.index, dtype=object)
            )
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


def _person(code: str, person: Any) -> str:
    """``code first last`` of a member or newcomer, as the app names them (an erased one reads ``[gewist]``)."""
    return f"{code} {person.first_name} {person.last_name or ''}".rstrip()


@dataclass(frozen=True)
class _Placed:
    """A record known only by its id (meetings are written in bulk, without ORM objects)."""

    id: int


@dataclass(frozen=True)
class _RuleText:
    """A broken rule in an import problem: its text in the reader's language; ``rule`` is its code."""

    violation: Violation

    @property
    def rule(self) -> str:
        return self.violation.rule

    def describe(self, lang: str | None = None) -> str:
        return self.violation.message(lang)


class _LocatedRecords:
    """The records of a broken rule with where the input holds them: ``koppelingen, rij 75: koppeling 0518-022 ↔ N0084``."""

    def __init__(self, located: tuple):
        self.located = located

    def describe(self, lang: str | None = None) -> str:
        parts = []
        for ref, where in self.located:
            text = ref.describe(lang)
            if where is not None:
                text = f"{where[0]}, {i18n.t('import.where.row', lang, row=where[1])}: {text}"
            parts.append(text)
        return "; ".join(parts)


_RULE_COLUMN = {
    ("meeting_members_present", "meeting"): "aanwezig_leden",
    ("active_match_group", "welcome_group"): "status",
    ("active_match_group", "match"): "status",
    ("active_match_newcomer", "newcomer"): "status",
    ("active_match_newcomer", "match"): "status",
    ("active_group_without_match", "welcome_group"): "status",
    ("matched_newcomer_without_match", "newcomer"): "status",
    ("proposed_match_newcomer", "match"): "status",
    ("proposed_match_group", "match"): "status",
    ("ended_match_end_date", "match"): "beeindigd_op",
    ("running_match_end_date", "match"): "beeindigd_op",
    ("started_match_start_date", "match"): "gestart_op",
    ("match_before_training", "match"): "voorgesteld_op",
    ("match_before_registration", "match"): "voorgesteld_op",
    ("trained_group_training_date", "welcome_group"): "training_afgerond_op",
    ("group_contact_persons", "member"): "rol",
    ("match_municipality", "match"): "groep_code",
    ("survey_member_group", "survey_response"): "groep_code",
    ("survey_newcomer_group", "survey_response"): "groep_code",
}
"""The column that locates a broken rule on the sheet row of its first record (for the problem table)."""


class _Importer:
    """Applies validated rows inside one session, counting new / changed / unchanged, collecting issues,
    field changes and conflicts with edits made in the app (see :func:`app_changes_since_import`)."""

    def __init__(self, session: Session, *, on_conflict: str = "keep-app"):
        if on_conflict not in ON_CONFLICT:
            raise ValueError(f"on_conflict must be one of {ON_CONFLICT}")
        self.session = session
        self.take_workbook = on_conflict == "take-workbook"
        self.issues: list[ImportIssue] = []
        self.changes: list[FieldChange] = []
        self.missing: list[MissingRecord] = []
        self.summaries: dict[str, SheetSummary] = {s: SheetSummary(s) for s in SHEETS}
        self.placed: list[
            tuple[str, Any, str, int]
        ] = []  # (table, record, sheet, Excel row) of every row applied
        self.municipalities = self._ensure_municipalities()
        self.app_changed = app_changes_since_import(session)
        # Every reference resolves from the store, so that any subset of sheets imports on its own;
        # each sheet method refreshes the lookups it changes.
        self.builders = {
            _key(name): i for i, name in session.exec(select(CommunityBuilder.id, CommunityBuilder.name))
        }
        self.groups_by_code = dict(session.exec(select(WelcomeGroup.code, WelcomeGroup.id)).all())
        self.members_by_code = dict(session.exec(select(Member.code, Member.id)).all())
        self.newcomers_by_code = dict(session.exec(select(Newcomer.code, Newcomer.id)).all())
        self.erased_newcomers = set(session.exec(select(Newcomer.id).where(Newcomer.erased.is_(True))).all())

    def _ensure_municipalities(self) -> dict[str, int]:
        existing = {m.name: m for m in self.session.exec(select(Municipality))}
        for name, code in MUNICIPALITIES.items():
            if name not in existing:
                existing[name] = Municipality(name=name, cbs_code=code)
                self.session.add(existing[name])
        self.session.flush()
        return {name: m.id for name, m in existing.items()}

    def issue(self, sheet: str, row: int, column: str, value: Any, code: str, **params: Any) -> None:
        self.issues.append(
            ImportIssue(
                sheet,
                row,
                column,
                clean_text(value) if not isinstance(value, dt.date) else value.isoformat(),
                code,
                params,
            )
        )

    def _readable(self, attribute: str, value: Any) -> Any:
        """A value as the workbook shows it: ids of related records as their name or code."""
        if value is None:
            return None
        if attribute == "municipality_id":
            return next((n for n, i in self.municipalities.items() if i == value), value)
        lookups = {
            "community_builder_id": (CommunityBuilder, "name"),
            "group_id": (WelcomeGroup, "code"),
            "newcomer_id": (Newcomer, "code"),
            "member_id": (Member, "code"),
        }
        if attribute in lookups:
            model, name = lookups[attribute]
            record = self.session.get(model, value)
            return getattr(record, name) if record is not None else value
        return value

    def upsert(
        self,
        sheet: str,
        excel_row: int,
        label: str,
        existing: Any | None,
        values: dict[str, Any],
        factory: type,
    ) -> Any:
        summary = self.summaries[sheet]
        table = TABLE_OF_SHEET[sheet]
        if existing is not None and getattr(existing, "erased", False):
            # A person erased on request (services/privacy.py) is never filled in again from an old workbook.
            summary.unchanged += 1
            return existing
        if existing is None:
            record = factory(**values)
            self.session.add(record)
            summary.new += 1
            self.placed.append((table, record, sheet, excel_row))
            return record
        self.placed.append((table, existing, sheet, excel_row))
        changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
        app_fields = self.app_changed.get((table, existing.id), set())
        taken = {}
        for k, v in changed.items():
            conflict = k in app_fields
            applied = self.take_workbook or not conflict
            self.changes.append(
                FieldChange(
                    sheet,
                    excel_row,
                    label,
                    column_of(sheet, k),
                    self._readable(k, getattr(existing, k)),
                    self._readable(k, v),
                    conflict,
                    applied,
                )
            )
            if applied:
                taken[k] = v
            else:
                summary.kept += 1
            summary.conflicts += conflict
        if taken:
            for k, v in taken.items():
                setattr(existing, k, v)
            existing.version += 1
            summary.changed += 1
        else:
            summary.unchanged += 1
        return existing

    def report_missing(self, sheet: str, stored: Mapping[Any, str], listed: Iterable[Any]) -> None:
        """Records of ``sheet`` in the store (key → label) that the workbook no longer lists: reported, never deleted."""
        listed = set(listed)
        self.missing += [
            MissingRecord(sheet, label)
            for key, label in sorted(stored.items(), key=lambda kv: kv[1])
            if key not in listed
        ]

    def duplicates(
        self, sheet: str, rows: list[tuple[int, SheetRow]], key, column: str
    ) -> list[tuple[int, SheetRow]]:
        seen: dict[Any, int] = {}
        kept = []
        for excel_row, row in rows:
            k = key(row)
            if k in seen:
                self.issue(
                    sheet,
                    excel_row,
                    column,
                    k if isinstance(k, str) else " / ".join(map(str, k)),
                    "duplicate",
                    first_row=seen[k],
                )
            else:
                seen[k] = excel_row
                kept.append((excel_row, row))
        return kept

    def locations(self) -> dict[tuple[str, int], tuple[str, int]]:
        """``(table, id)`` → ``(sheet, Excel row)`` of every record a row of the input was applied to."""
        return {
            (table, record.id): (sheet, row)
            for table, record, sheet, row in self.placed
            if record.id is not None
        }

    def violation_issue(
        self, violation: Violation, where: Mapping[tuple[str, int], tuple[str, int]]
    ) -> ImportIssue:
        """A broken consistency rule as an import problem, located at the first record the input holds."""
        located = [(r, where.get((r.table, r.id))) for r in violation.records]
        first = next(((r, loc) for r, loc in located if loc is not None), None)
        sheet, row = first[1] if first is not None else ("", None)
        column = _RULE_COLUMN.get((violation.rule, first[0].table)) if first is not None else None
        return ImportIssue(
            sheet,
            row,
            column,
            first[0].label if first is not None else violation.records[0].label,
            "consistency",
            {"rule": _RuleText(violation), "records": _LocatedRecords(tuple(located))},
        )

    # -- sheets, in dependency order --------------------------------------------------------------

    def community_builders(self, rows: list[tuple[int, CommunityBuilderRow]]) -> None:
        sheet = "community_builders"
        if not rows:  # a partial import (e.g. only meetings): the builders in the store serve (see __init__)
            return
        existing = {_key(b.name): b for b in self.session.exec(select(CommunityBuilder))}
        self.report_missing(sheet, {k: b.name for k, b in existing.items()}, (_key(r.name) for _, r in rows))
        for excel_row, row in self.duplicates(sheet, rows, lambda r: _key(r.name), "naam"):
            values = dict(
                name=row.name,
                email=row.email or None,
                municipality_id=self.municipalities[row.municipality],
                languages=row.languages,
            )
            existing[_key(row.name)] = self.upsert(
                sheet, excel_row, row.name, existing.get(_key(row.name)), values, CommunityBuilder
            )
        self.session.flush()
        self.builders = {k: b.id for k, b in existing.items()}

    def groups(self, rows: list[tuple[int, GroupRow]]) -> None:
        sheet = "groepen"
        if not rows:
            return
        existing = {g.code: g for g in self.session.exec(select(WelcomeGroup))}
        self.report_missing(
            sheet, {c: f"{c} {g.name}" for c, g in existing.items()}, (r.code for _, r in rows)
        )
        for excel_row, row in self.duplicates(sheet, rows, lambda r: r.code, "groep_code"):
            builder_id = None
            if row.community_builder:
                builder_id = self.builders.get(_key(row.community_builder))
                if builder_id is None:
                    self.issue(
                        sheet, excel_row, "community_builder", row.community_builder, "unknown_builder"
                    )
                    continue
            if row.training_completed_date and row.training_completed_date < row.signup_date:
                self.issue(
                    sheet,
                    excel_row,
                    "training_afgerond_op",
                    row.training_completed_date,
                    "date_before",
                    other="aangemeld_op",
                )
                continue
            values = dict(
                code=row.code,
                name=row.name,
                municipality_id=self.municipalities[row.municipality],
                variant=row.variant,
                status=row.status,
                community_builder_id=builder_id,
                signup_date=row.signup_date,
                training_completed_date=row.training_completed_date,
                notes=row.notes,
            )
            existing[row.code] = self.upsert(
                sheet, excel_row, row.code, existing.get(row.code), values, WelcomeGroup
            )
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
            return
        existing = {m.code: m for m in self.session.exec(select(Member))}
        self.report_missing(sheet, {c: _person(c, m) for c, m in existing.items()}, (r.code for _, r in rows))
        for excel_row, row in self.duplicates(sheet, rows, lambda r: r.code, "lid_code"):
            group_id = self._group_id(sheet, excel_row, row.group_code)
            if group_id is None:
                continue
            values = dict(
                code=row.code,
                group_id=group_id,
                first_name=row.first_name,
                last_name=row.last_name,
                email=row.email or None,
                phone=row.phone or None,
                role=row.role,
                joined_date=row.joined_date,
                vog_date=row.vog_date,
            )
            existing[row.code] = self.upsert(
                sheet, excel_row, row.code, existing.get(row.code), values, Member
            )
        self.session.flush()
        self.members_by_code = {code: m.id for code, m in existing.items()}

    def newcomers(self, rows: list[tuple[int, NewcomerRow]]) -> None:
        sheet = "nieuwkomers"
        if not rows:
            return
        existing = {n.code: n for n in self.session.exec(select(Newcomer))}
        self.report_missing(sheet, {c: _person(c, n) for c, n in existing.items()}, (r.code for _, r in rows))
        for excel_row, row in self.duplicates(sheet, rows, lambda r: r.code, "nieuwkomer_code"):
            if row.permit_date and row.permit_date < row.arrival_date:
                self.issue(
                    sheet,
                    excel_row,
                    "verblijfsvergunning_sinds",
                    row.permit_date,
                    "date_before",
                    other="in_nederland_sinds",
                )
                continue
            if row.registration_date < row.arrival_date:  # the form's registration_before_arrival
                self.issue(
                    sheet,
                    excel_row,
                    "aangemeld_op",
                    row.registration_date,
                    "date_before",
                    other="in_nederland_sinds",
                )
                continue
            values = dict(
                code=row.code,
                first_name=row.first_name,
                last_name=row.last_name,
                municipality_id=self.municipalities[row.municipality],
                country_of_origin=row.country_of_origin,
                languages=row.languages,
                household_size=row.household_size,
                arrival_date=row.arrival_date,
                permit_date=row.permit_date,
                registration_date=row.registration_date,
                status=row.status,
                email=row.email or None,
                phone=row.phone or None,
            )
            existing[row.code] = self.upsert(
                sheet, excel_row, row.code, existing.get(row.code), values, Newcomer
            )
        self.session.flush()
        self.newcomers_by_code = {code: n.id for code, n in existing.items()}
        self.erased_newcomers = {n.id for n in existing.values() if n.erased}

    def matches(self, rows: list[tuple[int, MatchRow]]) -> None:
        sheet = "koppelingen"
        if not rows:
            return
        existing = {(m.group_id, m.newcomer_id): m for m in self.session.exec(select(Match))}
        codes = (
            {i: c for c, i in self.groups_by_code.items()},
            {i: c for c, i in self.newcomers_by_code.items()},
        )
        names = {
            i: f"{first} {last or ''}".strip()
            for i, first, last in self.session.exec(
                select(Newcomer.id, Newcomer.first_name, Newcomer.last_name)
            )
        }
        self.report_missing(
            sheet,
            {
                k: f"{codes[0].get(k[0])} ↔ {codes[1].get(k[1])} {names.get(k[1], '')}".rstrip()
                for k in existing
            },
            (
                (self.groups_by_code.get(r.group_code), self.newcomers_by_code.get(r.newcomer_code))
                for _, r in rows
            ),
        )
        for excel_row, row in self.duplicates(
            sheet, rows, lambda r: (r.group_code, r.newcomer_code), "nieuwkomer_code"
        ):
            group_id = self._group_id(sheet, excel_row, row.group_code)
            newcomer_id = self.newcomers_by_code.get(row.newcomer_code)
            if newcomer_id is None:
                self.issue(sheet, excel_row, "nieuwkomer_code", row.newcomer_code, "unknown_newcomer")
            if group_id is None or newcomer_id is None:
                continue
            order_ok = True
            for column, later, earlier, earlier_column in (
                ("gestart_op", row.started_date, row.proposed_date, "voorgesteld_op"),
                (
                    "beeindigd_op",
                    row.ended_date,
                    row.started_date or row.proposed_date,
                    "gestart_op" if row.started_date else "voorgesteld_op",
                ),
            ):
                if later and earlier and later < earlier:
                    self.issue(sheet, excel_row, column, later, "date_before", other=earlier_column)
                    order_ok = False
            if not order_ok:
                continue
            values = dict(
                group_id=group_id,
                newcomer_id=newcomer_id,
                proposed_date=row.proposed_date,
                started_date=row.started_date,
                ended_date=row.ended_date,
                status=row.status,
                end_reason=row.end_reason,
            )
            if newcomer_id in self.erased_newcomers:  # why it ended was cleared with their data
                values["end_reason"] = ""
            self.upsert(
                sheet,
                excel_row,
                f"{row.group_code} ↔ {row.newcomer_code}",
                existing.get((group_id, newcomer_id)),
                values,
                Match,
            )
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
                keyed.append((excel_row, group_id, row))
        if not keyed:
            return
        stored = select(
            Meeting.id,
            Meeting.group_id,
            Meeting.date,
            Meeting.kind,
            *(getattr(Meeting, f) for f in MEETING_FIELDS),
            Meeting.version,
        ).where(
            Meeting.date >= min(r.date for _, _, r in keyed), Meeting.date <= max(r.date for _, _, r in keyed)
        )
        existing: dict[tuple, list] = defaultdict(list)
        for m in self.session.execute(stored.order_by(Meeting.id)):
            existing[(m.group_id, m.date, m.kind)].append(m)
        occurrence: dict[tuple, int] = defaultdict(int)
        new, changed, new_rows = [], [], []
        for excel_row, group_id, row in keyed:
            key = (group_id, row.date, row.kind)
            nth = occurrence[key]
            occurrence[key] += 1
            current = existing[key][nth] if nth < len(existing[key]) else None
            values = dict(
                duration_minutes=row.duration_minutes,
                members_present=row.members_present,
                newcomers_present=row.newcomers_present,
                note=row.note,
            )
            if current is None:
                new.append(dict(group_id=group_id, date=row.date, kind=row.kind, **values, version=1))
                new_rows.append(excel_row)
                summary.new += 1
                continue
            self.placed.append(("meeting", _Placed(current.id), sheet, excel_row))
            differs = {k: v for k, v in values.items() if getattr(current, k) != v}
            app_fields = self.app_changed.get(("meeting", current.id), set())
            label = f"{row.group_code} {row.date.isoformat()} {row.kind}"
            taken = {}
            for k, v in differs.items():
                conflict = k in app_fields
                applied = self.take_workbook or not conflict
                self.changes.append(
                    FieldChange(
                        sheet,
                        excel_row,
                        label,
                        column_of(sheet, k),
                        getattr(current, k),
                        v,
                        conflict,
                        applied,
                    )
                )
                summary.conflicts += conflict
                if applied:
                    taken[k] = v
                else:
                    summary.kept += 1
            if taken:
                changed.append(dict(id=current.id, **taken, version=current.version + 1))
                summary.changed += 1
            else:
                summary.unchanged += 1
        if new:
            last_id = self.session.execute(select(func.max(Meeting.id))).scalar() or 0
            self.session.execute(insert(Meeting), new)
            new_ids = list(
                self.session.execute(
                    select(Meeting.id).where(Meeting.id > last_id).order_by(Meeting.id)
                ).scalars()
            )
            consistency.touch(
                self.session, "meeting", new_ids
            )  # bulk statements: the session does not see them
            self.placed += [
                ("meeting", _Placed(i), sheet, r) for i, r in zip(new_ids, new_rows, strict=False)
            ]
        if changed:
            self.session.execute(update(Meeting), changed)  # ORM bulk UPDATE by primary key
            consistency.touch(self.session, "meeting", (c["id"] for c in changed))

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
                person_id, lookup_key, ids = (
                    self.newcomers_by_code.get(row.respondent_code),
                    "n",
                    {"newcomer_id": None},
                )
                code = "unknown_newcomer"
            else:
                person_id, lookup_key, ids = (
                    self.members_by_code.get(row.respondent_code),
                    "m",
                    {"member_id": None},
                )
                code = "unknown_member"
            if person_id is None:
                self.issue(sheet, excel_row, "respondent_code", row.respondent_code, code)
            if group_id is None or person_id is None:
                continue
            ids = {
                "member_id": person_id if lookup_key == "m" else None,
                "newcomer_id": person_id if lookup_key == "n" else None,
            }
            values = dict(
                **ids,
                group_id=group_id,
                wave=row.wave,
                date=row.date,
                emptiness=row.emptiness,
                fall_back_on=row.fall_back_on,
                trust=row.trust,
                miss_people=row.miss_people,
                connected=row.connected,
                abandoned=row.abandoned,
                feel_at_home=row.feel_at_home,
                self_reported_change=row.self_reported_change,
                new_contacts=row.new_contacts,
            )
            self.upsert(
                sheet,
                excel_row,
                f"{row.respondent_code} {row.wave}",
                existing.get((lookup_key, person_id, row.wave)),
                values,
                SurveyResponse,
            )
        self.session.flush()


def backup_before_import(engine: Engine) -> Path | None:
    """A backup of the store right before an import writes (``samenhier-voor-import-…db`` in the backup folder,
    :func:`samenhier.backup.backup_dir`), so that the state before it can be restored. None for a store that
    is not an SQLite file (PostgreSQL: use ``pg_dump``).

    Raises:
        BackupError: ``failed``: SQLite could not copy the store (the import is not started).
    """
    from samenhier import backup
    from samenhier.settings import get_settings

    try:
        folder = backup.backup_dir(engine, get_settings().backup_dir)
    except backup.BackupError:  # unsupported: not an SQLite file
        return None
    return backup.backup_into(engine, folder, kind=backup.BEFORE_IMPORT)


def import_frames(
    engine: Engine,
    frames: Mapping[str, pd.DataFrame],
    *,
    username: str,
    dry_run: bool = False,
    source: str = "",
    on_conflict: str = "keep-app",
) -> ImportResult:
    """Validate and import the seven sheets in one transaction (or, with ``dry_run``, only report what would change).

    ``frames`` maps sheet name → raw cells as read from the workbook (a sheet may be absent when
    importing a subset, e.g. only ``bijeenkomsten`` from a CSV; references then resolve against the
    store). Nothing is written unless every row of every sheet is valid and the store, with the rows
    applied, breaks none of the consistency rules (:mod:`samenhier.consistency`) for a record the import
    writes.

    ``on_conflict`` (see :data:`ON_CONFLICT`): for a field changed in the app since the record's last
    import, ``keep-app`` keeps the app's value, ``take-workbook`` writes the workbook's. Records that a
    sheet no longer lists are reported in :attr:`ImportResult.missing`, never deleted.

    Returns:
        :class:`ImportResult` with per-sheet counts, every field change and conflict, and the missing records.

    Raises:
        ImportFailed: with every problem found (sheet, Excel row, column, value, reason).
        ValueError: unknown ``on_conflict``.
    """
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict must be one of {ON_CONFLICT}")
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
    made = None if dry_run else backup_before_import(engine)

    with Session(
        write_engine(engine), expire_on_commit=False
    ) as session:  # BEGIN IMMEDIATE: waits for other writers
        consistency.install(
            session, on_commit=False
        )  # tracks what the import writes; checked below, located per row
        importer = _Importer(session, on_conflict=on_conflict)
        # -- hardening (issue 21.6): rows that would bring an erased person's data back are scrubbed first,
        #    using the erasure register (samenhier/services/privacy.py). Keep this call when restructuring io/.
        from samenhier.services.privacy import scrub_erased_rows

        scrub_erased_rows(session, validated)
        # -- end hardening
        try:
            importer.community_builders(validated["community_builders"])
            importer.groups(validated["groepen"])
            importer.members(validated["leden"])
            importer.newcomers(validated["nieuwkomers"])
            importer.matches(validated["koppelingen"])
            importer.meetings(validated["bijeenkomsten"])
            importer.surveys(validated["enquetes"])
            session.flush()
        except IntegrityError as exc:
            session.rollback()
            raise ImportFailed([ImportIssue("", None, None, str(exc.orig), "constraint")]) from exc
        if importer.issues:
            session.rollback()
            raise ImportFailed(importer.issues)
        broken = consistency.violations(session, consistency.touched_records(session))
        if broken:
            where = importer.locations()
            failed = ImportFailed([importer.violation_issue(v, where) for v in broken])
            session.rollback()
            raise failed
        summaries = [importer.summaries[s] for s in SHEETS if s in frames]
        result = ImportResult(
            summaries,
            applied=not dry_run,
            changes=importer.changes,
            missing=importer.missing,
            on_conflict=on_conflict,
            backup=made,
        )
        if dry_run:
            session.rollback()
            return result
        event = AuditEvent(
            at=now_utc(),
            username=username,
            action="import",
            table_name="*",
            record_code=source,
            changes=json.dumps(
                {
                    s.sheet: {
                        "new": s.new,
                        "changed": s.changed,
                        **({"conflicts": s.conflicts, "kept": s.kept} if s.conflicts else {}),
                    }
                    for s in summaries
                }
            ),
        )
        session.add(event)
        session.commit()
        result.audit_id = event.id
    return result


def import_paths(
    engine: Engine,
    paths: Iterable[str | Path],
    *,
    username: str,
    dry_run: bool = False,
    on_conflict: str = "keep-app",
) -> ImportResult:
    """Import from disk: workbooks (.xlsx), CSV files named like a sheet, folders of CSV files, or .zip
    files of them (see :func:`samenhier.io.sources.read_sources`); then as :func:`import_frames`.

    Raises:
        ImportFailed: a file is missing or unreadable, a sheet comes twice, or rows are invalid; nothing is written.
    """
    paths = list(paths)
    frames = read_sources(paths)
    return import_frames(
        engine,
        frames,
        username=username,
        dry_run=dry_run,
        source=", ".join(Path(p).name for p in paths),
        on_conflict=on_conflict,
    )
