"""Privacy actions (coordinators only): a person's subject-access export, erasure on request, and the
anonymisation of everyone past the retention period (AVG/GDPR articles 15, 17 and 5(1)(e)).

The rules — which fields identify a person, what replaces them, which free text counts as naming
them — are in :mod:`samenhier.privacy`; who is past retention in :mod:`samenhier.queries.privacy`.

Erasure, in one short write transaction with its audit event:

1. the person's identifying fields (:data:`samenhier.privacy.IDENTIFYING_FIELDS`) are replaced
   (names → ``[gewist]``, contact fields → NULL, country and languages → empty), ``erased`` is set
   and ``version`` raised; code, dates, household size, municipality, status, role and VOG date stay;
2. free text in *every* group that names them is cleared (meeting notes, check-ins, the groups' notes,
   reasons a match ended) — by full name, first name or last name alone, e-mail, phone, possessives
   included (:class:`samenhier.privacy.PersonMatcher`) — and for a newcomer the reasons their own
   matches ended;
3. earlier audit events are scrubbed: on the person's own record every identifying value, anywhere
   else every value that names them, becomes ``[gewist]``;
4. the erasure register gets a row with hashes of their code and name phrases (no names), which a later
   import uses to scrub rows that would bring their data back (:func:`scrub_erased_rows`);
5. an ``erase`` audit event records *that* it happened (which fields, how many notes and audit
   events, and why) but none of the erased values.

Meetings, matches and survey answers stay as they were, so every programme figure stays the same.
After the commit the SQLite write-ahead log is checkpointed and truncated, so the old values do not
linger in the ``-wal`` file either (SQLite's ``secure_delete``, switched on in :mod:`samenhier.db`,
zeroes them inside the database file).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from samenhier.clock import now_utc
from samenhier.db import checkpoint, session_scope
from samenhier.models import (
    LONELINESS_ITEMS,
    AuditEvent,
    ErasureRegister,
    Match,
    Meeting,
    Member,
    Municipality,
    Newcomer,
    ProgressNote,
    SurveyResponse,
    WelcomeGroup,
)
from samenhier.privacy import (
    ERASED,
    IDENTIFYING_FIELDS,
    MEMBER,
    NEWCOMER,
    PERSON_KINDS,
    PersonMatcher,
    code_hash,
    erased_values,
)
from samenhier.queries.privacy import retention_due
from samenhier.scope import AccessDenied, Scope
from samenhier.services import audit
from samenhier.services.common import FieldError, ValidationFailed, VersionConflict, record_in_reach

MODELS = {MEMBER: Member, NEWCOMER: Newcomer}
SECTIONS = ("person", "matches", "survey_responses", "notes", "audit_events")
"""Sections of a :class:`PersonExport`, in order."""
REQUEST, RETENTION = "request", "retention"
"""Why a person was erased (``reason`` in the ``erase`` audit event)."""


class _NoteSource(NamedTuple):
    """A free-text field that may name people: its table's model, the text field, the column holding
    the group, and the date shown with it in an export."""

    model: type
    text: str
    group: str
    date: str


_NOTE_SOURCES = {
    "meeting": _NoteSource(Meeting, "note", "group_id", "date"),
    "progress_note": _NoteSource(ProgressNote, "text", "group_id", "date"),
    "welcome_group": _NoteSource(WelcomeGroup, "notes", "id", "signup_date"),
    "match": _NoteSource(Match, "end_reason", "group_id", "ended_date"),
}


@dataclass(frozen=True)
class PersonExport:
    """Everything the store holds about one person (a subject-access export).

    ``sections`` maps each of :data:`SECTIONS` to a list of rows (dicts of plain values):

    - ``person``: one row, the person's record — a newcomer: code, first_name, last_name,
      municipality, country_of_origin, languages, household_size, arrival_date, permit_date,
      registration_date, status, email, phone, archived, erased; a member: code, group_code,
      group_name, first_name, last_name, email, phone, role, joined_date, vog_date, archived, erased;
    - ``matches`` (newcomers): group_code, group_name, proposed_date, started_date, ended_date, status,
      end_reason;
    - ``survey_responses``: group_code, wave, date, the six loneliness items, feel_at_home,
      self_reported_change, new_contacts (the answers as given; no scores are stored);
    - ``notes``: free text in their groups that names them — source (meeting, progress_note,
      welcome_group, match), group_code, date, text;
    - ``audit_events``: at (UTC), username, action, table_name, record_code, changes — events on their
      record, their matches and survey responses, and any other event whose values name them.
    """

    kind: str
    person_id: int
    code: str
    created_at: dt.datetime
    created_by: str
    sections: dict[str, list[dict[str, Any]]]


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: the person, the fields it replaced (those that held a value), the free-text
    fields it cleared per table, and how many earlier audit events it scrubbed."""

    kind: str
    person_id: int
    code: str
    fields: tuple[str, ...]
    notes_cleared: dict[str, int] = field(default_factory=dict)
    audit_events_scrubbed: int = 0


def _check_kind(kind: str) -> None:
    if kind not in PERSON_KINDS:
        raise ValueError(f"kind must be one of {PERSON_KINDS}, not {kind!r}")


def _load(session: Session, kind: str, person_id: int, scope: Scope, *, for_update: bool = False):
    _check_kind(kind)
    record = session.get(MODELS[kind], person_id, with_for_update=for_update)
    if record is None or not record_in_reach(session, scope, record):  # one answer for both
        raise AccessDenied(f"{kind} {person_id} does not exist")
    return record


def _load_many(session: Session, keys: Sequence[tuple[str, int]]) -> list[tuple[str, Any]]:
    """The records of ``(kind, id)`` pairs, in that order, read in chunks."""
    found: dict[tuple[str, int], Any] = {}
    for kind, model in MODELS.items():
        for chunk in _chunks(i for k, i in keys if k == kind):
            found.update(
                ((kind, r.id), r) for r in session.exec(select(model).where(model.id.in_(chunk))).scalars()
            )
    return [(kind, found[(kind, i)]) for kind, i in keys]


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value  # dates and datetimes as ISO 8601


def _row(**values: Any) -> dict[str, Any]:
    return {k: _plain(v) for k, v in values.items()}


CHUNK = 500
"""Ids per ``IN (…)`` list (SQLite allows some thousands of variables per statement)."""


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


@dataclass(frozen=True)
class _Note:
    """One non-empty free-text field: where it is (``source``, record ``id``, ``group_id``), its date, its text."""

    source: str
    id: int
    group_id: int
    date: Any
    text: str


def _related_groups(session: Session, people: Sequence[tuple[str, Any]]) -> dict[tuple[str, int], set[int]]:
    """Per person, the groups whose free text may name them: a member's group; a newcomer's matched groups."""
    related: dict[tuple[str, int], set[int]] = {
        (kind, r.id): ({r.group_id} if kind == MEMBER else set()) for kind, r in people
    }
    for chunk in _chunks(r.id for kind, r in people if kind == NEWCOMER):
        for newcomer_id, group_id in session.exec(
            select(Match.newcomer_id, Match.group_id).where(Match.newcomer_id.in_(chunk))
        ):
            related[(NEWCOMER, newcomer_id)].add(group_id)
    return related


def _notes_in(session: Session, group_ids: Iterable[int] | None) -> list[_Note]:
    """Every non-empty free text (:data:`_NOTE_SOURCES`) of the groups (None: of every group), read without
    loading records."""
    notes = []
    for source, spec in _NOTE_SOURCES.items():
        model = spec.model
        group, text = getattr(model, spec.group), getattr(model, spec.text)
        if group_ids is None:
            rows = session.exec(select(model.id, group, getattr(model, spec.date), text).where(text != ""))
            notes += [_Note(source, *row) for row in rows]
            continue
        for chunk in _chunks(group_ids):
            rows = session.exec(
                select(model.id, group, getattr(model, spec.date), text).where(group.in_(chunk), text != "")
            )
            notes += [_Note(source, *row) for row in rows]
    return sorted(notes, key=lambda n: (list(_NOTE_SOURCES).index(n.source), n.id))


def _group_codes(session: Session, ids: set[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    rows = session.exec(
        select(WelcomeGroup.id, WelcomeGroup.code, WelcomeGroup.name).where(WelcomeGroup.id.in_(ids))
    ).all()
    return {i: (code, name) for i, code, name in rows}


def _person_row(session: Session, kind: str, record) -> dict[str, Any]:
    if kind == NEWCOMER:
        municipality = session.get(Municipality, record.municipality_id)
        return _row(
            code=record.code,
            first_name=record.first_name,
            last_name=record.last_name,
            municipality=municipality.name if municipality else None,
            country_of_origin=record.country_of_origin,
            languages=record.languages,
            household_size=record.household_size,
            arrival_date=record.arrival_date,
            permit_date=record.permit_date,
            registration_date=record.registration_date,
            status=record.status,
            email=record.email,
            phone=record.phone,
            archived=record.archived,
            erased=record.erased,
        )
    group = session.get(WelcomeGroup, record.group_id)
    return _row(
        code=record.code,
        group_code=group.code,
        group_name=group.name,
        first_name=record.first_name,
        last_name=record.last_name,
        email=record.email,
        phone=record.phone,
        role=record.role,
        joined_date=record.joined_date,
        vog_date=record.vog_date,
        archived=record.archived,
        erased=record.erased,
    )


def _audit_events_about(
    session: Session, kind: str, record, matcher: PersonMatcher, match_ids: list[int], response_ids: list[int]
) -> list[AuditEvent]:
    """Audit events on the person's record, their matches and survey responses, and every other event
    with a value that names them; oldest first."""
    own = {
        (kind, record.id),
        *(("match", i) for i in match_ids),
        *(("survey_response", i) for i in response_ids),
    }
    candidates = session.exec(
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.table_name.in_([kind, "match", "survey_response"]),
                AuditEvent.changes.not_in(("", "{}")),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    ).scalars()
    return [e for e in candidates if (e.table_name, e.record_id) in own or _names_in(matcher, e)]


def _changes(text: str | None) -> dict[str, Any] | None:
    """An audit event's ``changes`` as a dict (None when it is not a JSON object)."""
    try:
        changes = json.loads(text or "{}")
    except ValueError:
        return None
    return changes if isinstance(changes, dict) else None


def _names_in(matcher: PersonMatcher, event: AuditEvent) -> bool:
    """True when a value in the event's changes names the person."""
    changes = _changes(event.changes)
    return bool(changes) and bool(matcher.owners(changes))


def _collect(session: Session, kind: str, record) -> dict[str, list[dict[str, Any]]]:
    matcher = PersonMatcher.for_person(record, kind)
    person_column = SurveyResponse.newcomer_id if kind == NEWCOMER else SurveyResponse.member_id
    matches = (
        list(
            session.exec(
                select(Match).where(Match.newcomer_id == record.id).order_by(Match.proposed_date, Match.id)
            ).scalars()
        )
        if kind == NEWCOMER
        else []
    )
    responses = list(
        session.exec(
            select(SurveyResponse)
            .where(person_column == record.id)
            .order_by(SurveyResponse.date, SurveyResponse.id)
        ).scalars()
    )
    own_matches = {m.id for m in matches}
    related = _related_groups(session, [(kind, record)])[(kind, record.id)]
    notes = [
        n
        for n in _notes_in(session, related)
        if matcher.names(n.text) and not (n.source == "match" and n.id in own_matches)
    ]
    groups = _group_codes(
        session, {m.group_id for m in matches} | {r.group_id for r in responses} | {n.group_id for n in notes}
    )
    events = _audit_events_about(
        session, kind, record, matcher, [m.id for m in matches], [r.id for r in responses]
    )
    note_rows = [
        _row(source=n.source, group_code=groups[n.group_id][0], date=n.date, text=n.text) for n in notes
    ]
    return {
        "person": [_person_row(session, kind, record)],
        "matches": [
            _row(
                group_code=groups[m.group_id][0],
                group_name=groups[m.group_id][1],
                proposed_date=m.proposed_date,
                started_date=m.started_date,
                ended_date=m.ended_date,
                status=m.status,
                end_reason=m.end_reason,
            )
            for m in matches
        ],
        "survey_responses": [
            _row(
                group_code=groups[r.group_id][0],
                wave=r.wave,
                date=r.date,
                **{item: getattr(r, item) for item in LONELINESS_ITEMS},
                feel_at_home=r.feel_at_home,
                self_reported_change=r.self_reported_change,
                new_contacts=r.new_contacts,
            )
            for r in responses
        ],
        "notes": note_rows,
        "audit_events": [
            _row(
                at=e.at,
                username=e.username,
                action=e.action,
                table_name=e.table_name,
                record_code=e.record_code,
                changes=json.loads(e.changes or "{}"),
            )
            for e in events
        ],
    }


def export_person(engine: Engine, scope: Scope, *, kind: str, person_id: int) -> PersonExport:
    """Everything held about one member or newcomer (:class:`PersonExport`), for a subject-access
    request; the export itself is audited (``export``, without the exported values). Render it with
    :mod:`samenhier.io.subject_access` (JSON and Excel).

    Raises:
        AccessDenied: not a coordinator, or no such person. ValueError: unknown ``kind``.
    """
    scope.require_coordinator()
    _check_kind(kind)
    with session_scope(engine) as session:
        record = _load(session, kind, person_id, scope)
        sections = _collect(session, kind, record)
        event = audit.record(session, scope.username, "export", record=record, changes={})
        return PersonExport(
            kind=kind,
            person_id=record.id,
            code=record.code,
            created_at=event.at,
            created_by=scope.username,
            sections=sections,
        )


# --------------------------------------------------------------------------------------------- erasure


def _erase_in(
    session: Session, scope: Scope, people: Sequence[tuple[str, Any]], reason: str
) -> list[Erasure]:
    """Erase ``people`` (``(kind, record)`` pairs, loaded in ``session``) inside the caller's transaction.

    Works for one person or thousands alike: free text is read once per group and audit events once,
    each compared with the phrases of everyone being erased at the same time. Steps: clear the notes naming
    them, erase their own fields, scrub earlier audit events, register hashes, audit each erasure.
    """
    matchers = {(kind, r.id): PersonMatcher.for_person(r, kind) for kind, r in people}
    everyone = PersonMatcher.union(matchers.values())
    cleared = _clear_notes(session, people, everyone)
    fields = _erase_fields(session, people)
    scrubbed_events = _scrub_audit_events(session, people, everyone)

    # The erasure register: hashes only, so that an import can recognise their data (scrub_erased_rows).
    erased_at = now_utc()
    session.add_all(
        [
            ErasureRegister(
                kind=kind,
                code_hash=code_hash(record.code),
                phrase_hashes=json.dumps(matchers[(kind, record.id)].hashes()),
                longest=matchers[(kind, record.id)].longest,
                erased_at=erased_at,
            )
            for kind, record in people
        ]
    )

    erasures = []
    for kind, record in people:
        key = (kind, record.id)
        audit.record(
            session,
            scope.username,
            "erase",
            record=record,
            changes={
                "fields": ", ".join(fields[key]),
                "reason": reason,
                "notes_cleared": dict(cleared[key]),
                "audit_events_scrubbed": scrubbed_events[key],
            },
        )
        erasures.append(
            Erasure(
                kind=kind,
                person_id=record.id,
                code=record.code,
                fields=fields[key],
                notes_cleared=dict(cleared[key]),
                audit_events_scrubbed=scrubbed_events[key],
            )
        )
    return erasures


def _clear_notes(
    session: Session, people: Sequence[tuple[str, Any]], everyone: PersonMatcher
) -> dict[tuple[str, int], Counter[str]]:
    """Clear the free text naming any of ``people``, in every group (a check-in in another group names them too),
    and why a newcomer's own matches ended, named or not. Returns per person the notes cleared, per source."""
    to_clear: dict[tuple[str, int], set[tuple[str, int]]] = defaultdict(set)
    for note in _notes_in(session, None):
        for owner in everyone.owners(note.text):
            to_clear[(note.source, note.id)].add(owner)
    for chunk in _chunks(r.id for kind, r in people if kind == NEWCOMER):
        for match_id, newcomer_id in session.exec(
            select(Match.id, Match.newcomer_id).where(Match.newcomer_id.in_(chunk), Match.end_reason != "")
        ):
            to_clear[("match", match_id)].add((NEWCOMER, newcomer_id))
    cleared: dict[tuple[str, int], Counter[str]] = {(kind, r.id): Counter() for kind, r in people}
    for source, spec in _NOTE_SOURCES.items():
        ids = [i for (s, i) in to_clear if s == source]
        for chunk in _chunks(ids):
            model = spec.model
            session.execute(
                update(model)
                .where(model.id.in_(chunk))
                .values({spec.text: "", "version": model.version + 1})
                .execution_options(synchronize_session=False)
            )
        for note_id in ids:
            for owner in to_clear[(source, note_id)]:
                cleared[owner][source] += 1
    return cleared


def _erase_fields(
    session: Session, people: Sequence[tuple[str, Any]]
) -> dict[tuple[str, int], tuple[str, ...]]:
    """Overwrite the identifying fields of ``people``'s own records; returns per person the fields that held a value."""
    fields = {}
    for kind, record in people:
        fields[(kind, record.id)] = tuple(
            f for f in IDENTIFYING_FIELDS[kind] if getattr(record, f) not in (None, "")
        )
        for name, value in erased_values(kind).items():
            setattr(record, name, value)
        record.erased = True
        record.version += 1
        session.add(record)
    return fields


def _scrub_audit_events(
    session: Session, people: Sequence[tuple[str, Any]], everyone: PersonMatcher
) -> Counter[tuple[str, int]]:
    """Earlier audit events: values naming ``people``, and every identifying value on their own records, erased.
    Returns per person the number of events rewritten."""
    own_fields = {(kind, r.id): IDENTIFYING_FIELDS[kind] for kind, r in people}
    scrubbed_events: Counter[tuple[str, int]] = Counter()
    rewrites = []
    for event_id, table, record_id, text in session.exec(
        select(AuditEvent.id, AuditEvent.table_name, AuditEvent.record_id, AuditEvent.changes).where(
            AuditEvent.changes.not_in(("", "{}"))
        )
    ):
        changes = _changes(text)
        own = (table, record_id) if (table, record_id) in own_fields else None
        owners = everyone.owners(changes) if changes else set()
        if not changes or (not owners and own is None):
            continue
        scrubbed = everyone.scrub(changes)
        for name in own_fields.get(own, ()):
            if name in scrubbed:
                scrubbed[name] = _erase_values(scrubbed[name])
        if scrubbed != changes:
            rewrites.append(
                {"event_id": event_id, "scrubbed": json.dumps(scrubbed, ensure_ascii=False, default=str)}
            )
            for owner in owners | ({own} if own else set()):
                scrubbed_events[owner] += 1
    if rewrites:
        table = AuditEvent.__table__  # Core: one statement run for every rewritten event
        session.connection().execute(
            update(table).where(table.c.id == bindparam("event_id")).values(changes=bindparam("scrubbed")),
            rewrites,
        )
    return scrubbed_events


def _erase_values(value: Any) -> Any:
    """An audit ``[before, after]`` pair (or single value) of an identifying field with every value erased."""
    if isinstance(value, list):
        return [_erase_values(v) for v in value]
    return value if value in (None, "") else ERASED


def erase_person(
    engine: Engine, scope: Scope, *, kind: str, person_id: int, expected_version: int, confirm_code: str
) -> Erasure:
    """Erase a member's or newcomer's personal data on their request (what happens: this module's docstring).

    ``confirm_code`` must be the person's code as typed by the coordinator: erasure cannot be undone.

    Raises:
        AccessDenied: not a coordinator, or no such person. VersionConflict: the record changed since
        ``expected_version``. ValidationFailed: ``confirm_code`` (``erase_confirm``: not the person's
        code) or ``erased`` (already erased). ValueError: unknown ``kind``.
    """
    scope.require_coordinator()
    _check_kind(kind)
    with session_scope(engine) as session:
        record = _load(session, kind, person_id, scope, for_update=True)
        errors = []
        if record.erased:
            errors.append(FieldError("person", "erased"))
        if (confirm_code or "").strip().casefold() != record.code.casefold():
            errors.append(FieldError("confirm_code", "erase_confirm", {"code": record.code}))
        if errors:
            raise ValidationFailed(errors)
        if record.version != expected_version:
            raise VersionConflict(record.model_dump(include={"code", "version"}), {})
        [erasure] = _erase_in(session, scope, [(kind, record)], REQUEST)
    checkpoint(engine)
    return erasure


def anonymise_past_retention(
    engine: Engine,
    scope: Scope,
    *,
    as_of: dt.date,
    confirm: bool,
    people: Sequence[tuple[str, int]] | None = None,
) -> list[Erasure]:
    """Erase everyone past the retention period on ``as_of`` (:func:`samenhier.queries.privacy.retention_due`)
    in one transaction, each with an ``erase`` audit event (reason ``retention``).

    ``people``: the ``(kind, person_id)`` pairs the coordinator saw and confirmed; only those that are
    (still) past retention are erased. None: everyone past retention now (the command line).

    Raises:
        AccessDenied: not a coordinator. ValidationFailed: ``confirm`` (``retention_confirm``) not given.
    """
    scope.require_coordinator()
    if not confirm:
        raise ValidationFailed([FieldError("confirm", "retention_confirm")])
    wanted = None if people is None else {(kind, int(i)) for kind, i in people}
    with session_scope(engine) as session:
        # Decided inside the write transaction (BEGIN IMMEDIATE): nobody changes the list meanwhile.
        due = retention_due(session.connection(), scope, as_of=as_of)
        keys = [
            (k, int(i))
            for k, i in zip(due["kind"], due["person_id"], strict=True)
            if wanted is None or (k, int(i)) in wanted
        ]
        records = _load_many(session, keys)
        erasures = _erase_in(session, scope, records, RETENTION) if records else []
    if erasures:
        checkpoint(engine)
    return erasures


# --------------------------------------------------------------------------------------------- imports


_IMPORT_TEXT_FIELDS = {"groepen": "notes", "bijeenkomsten": "note", "koppelingen": "end_reason"}
"""Free-text fields of the import's rows (sheet → field of its row model) that may name people."""
_IMPORT_PEOPLE = {"leden": MEMBER, "nieuwkomers": NEWCOMER}


def scrub_erased_rows(session: Session, rows: dict[str, list[tuple[int, Any]]]) -> int:
    """Keep an import from bringing an erased person's data back (issue 21.6), using the erasure register:
    in ``rows`` (sheet → validated ``(excel_row, row)`` pairs, as :func:`samenhier.io.workbook.import_frames`
    has them) free text that names an erased person (:data:`_IMPORT_TEXT_FIELDS`; found as erasure finds
    it, possessives included) becomes empty — as erasure left it — and a member or newcomer row with an
    erased person's code gets the erased values (:func:`samenhier.privacy.erased_values`) instead of its
    identifying fields. Rows are replaced in place; nothing is written.

    Returns:
        How many rows were scrubbed.
    """
    register = session.exec(
        select(
            ErasureRegister.kind,
            ErasureRegister.code_hash,
            ErasureRegister.phrase_hashes,
            ErasureRegister.longest,
        )
    ).all()
    if not register:
        return 0
    matcher = PersonMatcher.from_hashes(
        ((json.loads(hashes), code) for _kind, code, hashes, _n in register),
        longest=max(n for *_rest, n in register),
    )
    erased_codes = {(kind, code) for kind, code, _h, _n in register}
    scrubbed = 0
    for sheet, text_field in _IMPORT_TEXT_FIELDS.items():
        for i, (excel_row, row) in enumerate(rows.get(sheet, [])):
            if matcher.names(getattr(row, text_field, None)):
                rows[sheet][i] = (excel_row, row.model_copy(update={text_field: ""}))
                scrubbed += 1
    for sheet, kind in _IMPORT_PEOPLE.items():
        for i, (excel_row, row) in enumerate(rows.get(sheet, [])):
            if (kind, code_hash(row.code)) in erased_codes:
                rows[sheet][i] = (excel_row, row.model_copy(update=erased_values(kind)))
                scrubbed += 1
    return scrubbed
