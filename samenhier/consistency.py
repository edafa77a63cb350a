"""The consistency rules of the store: what must hold between records, checked before every commit.

Field rules (one value at a time) live in :mod:`samenhier.fields`; these rules relate records to each
other — a match to its group and its newcomer, a meeting to its group's size. They are checked in the
same transaction as the write that could break them, right before it commits: every write service
(through :func:`samenhier.db.session_scope`, which calls :func:`install`) and every import
(:func:`samenhier.io.workbook.import_frames`). A write that would break a rule is refused with
:class:`ConsistencyError`, naming the rule and every record involved; nothing is written.

Only violations that involve a record written in the transaction refuse it (see :func:`install`): a
store that already broke a rule before these checks existed can still be repaired one record at a time.

The rules (code → what must hold). Sources: the match workflow of :mod:`samenhier.services.matches`
(accept makes the match ``actief``, the group ``actief`` and the newcomer ``gematcht``; end leaves the
newcomer ``gematcht``), the life cycles in DESIGN.md, and the coordinator's workbook, which holds them all:

- ``active_match_group``: a running (``actief``) match's group is ``actief``;
- ``active_match_newcomer``: a running match's newcomer is ``gematcht``;
- ``active_group_without_match``: an ``actief`` group has a running match;
- ``matched_newcomer_without_match``: a ``gematcht`` newcomer has a match that started (running or ended);
- ``newcomer_running_matches``: a newcomer has at most one running (``voorgesteld`` or ``actief``) match;
- ``group_running_matches``: a group has at most :data:`~samenhier.matching.MAX_RUNNING_PER_GROUP`
  running matches;
- ``proposed_match_newcomer``: a proposed match's newcomer is ``wacht``;
- ``proposed_match_group``: a proposed match's group is ``wacht op match`` or ``actief``;
- ``ended_match_end_date``: an ended match (``afgerond``, ``gestopt``, ``afgewezen``) has an end date, on
  or after its start (and its proposal);
- ``running_match_end_date``: a proposed or running match has no end date;
- ``started_match_start_date``: a running or ended (``afgerond``/``gestopt``) match has a start date,
  a proposed or declined one none;
- ``match_municipality``: a match's group and newcomer live in the same municipality;
- ``match_before_training``: a match is proposed on or after its group finished training;
- ``match_before_registration``: a match is proposed on or after its newcomer registered;
- ``trained_group_training_date``: a group past training (``wacht op match``, ``actief``, ``afgerond``)
  has a training date;
- ``group_contact_persons``: a group has at most one (non-archived) contact person;
- ``meeting_members_present``: a meeting counts at most as many members present as its group has members
  (archived members included: they may have been there then);
- ``survey_member_group``: a member's survey answers belong to the member's group;
- ``survey_newcomer_group``: a newcomer's survey answers belong to a group they were matched with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from samenhier import i18n
from samenhier.matching import MAX_RUNNING_PER_GROUP, RUNNING_STATUSES
from samenhier.models import (
    GroupStatus,
    Match,
    MatchStatus,
    Meeting,
    Member,
    MemberRole,
    Newcomer,
    NewcomerStatus,
    SurveyResponse,
    WelcomeGroup,
)
from samenhier.rules import TRAINED_STATUSES
from samenhier.services.common import FieldError, ValidationFailed

ENDED = (MatchStatus.COMPLETED.value, MatchStatus.STOPPED.value, MatchStatus.DECLINED.value)
STARTED = (MatchStatus.ACTIVE.value, MatchStatus.COMPLETED.value, MatchStatus.STOPPED.value)
SHEET_OF_TABLE = {
    "community_builder": "community_builders",
    "welcome_group": "groepen",
    "member": "leden",
    "newcomer": "nieuwkomers",
    "match": "koppelingen",
    "meeting": "bijeenkomsten",
    "survey_response": "enquetes",
}
"""The workbook sheet that holds each table's records (to locate a violation in an import)."""


@dataclass(frozen=True)
class RecordRef:
    """One record involved in a violation: its table, id and how people know it (a code, ``0518-022 ↔ N0084``, …)."""

    table: str
    id: int
    label: str

    def describe(self, lang: str | None = None) -> str:
        return i18n.t(f"consistency.record.{self.table}", lang, label=self.label)


@dataclass(frozen=True)
class Violation:
    """One broken rule: ``rule`` (a code of the module docstring, i18n ``consistency.rule.<rule>``) and the records involved."""

    rule: str
    records: tuple[RecordRef, ...]
    params: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def message(self, lang: str | None = None) -> str:
        return i18n.t(f"consistency.rule.{self.rule}", lang, **self.params)

    def describe(self, lang: str | None = None) -> str:
        """``Regel: … — groep 0518-022, koppeling 0518-022 ↔ N0084``."""
        return f"{self.message(lang)} — {', '.join(r.describe(lang) for r in self.records)}"


class ConsistencyError(ValidationFailed):
    """The write would break consistency rules; nothing was written. ``violations`` lists every one.

    A :class:`~samenhier.services.common.ValidationFailed` (field ``consistency``, code
    ``validation.consistency``), so every page that shows a refused write shows these too."""

    def __init__(self, violations: list[Violation]):
        self.violations = violations
        super().__init__([FieldError("consistency", "consistency", {"rule": v}) for v in violations])


# ----------------------------------------------------------------------------------------------- rules

G = aliased(WelcomeGroup, name="g")
N = aliased(Newcomer, name="n")


def _match_label(group_code: str, newcomer_code: str) -> str:
    return f"{group_code} ↔ {newcomer_code}"


def _match_rows(session: Session, *where) -> Iterable[Any]:
    query = (
        select(
            Match.id,
            Match.status,
            Match.proposed_date,
            Match.started_date,
            Match.ended_date,
            G.id.label("group_id"),
            G.code.label("group_code"),
            G.status.label("group_status"),
            G.training_completed_date,
            G.municipality_id.label("group_municipality"),
            N.id.label("newcomer_id"),
            N.code.label("newcomer_code"),
            N.status.label("newcomer_status"),
            N.registration_date,
            N.municipality_id.label("newcomer_municipality"),
        )
        .join(G, G.id == Match.group_id)
        .join(N, N.id == Match.newcomer_id)
        .where(*where)
        .order_by(G.code, N.code)
    )
    return session.execute(query)


def _refs(row, *, group: bool = False, newcomer: bool = False) -> tuple[RecordRef, ...]:
    refs = [RecordRef("match", row.id, _match_label(row.group_code, row.newcomer_code))]
    if group:
        refs.append(RecordRef("welcome_group", row.group_id, row.group_code))
    if newcomer:
        refs.append(RecordRef("newcomer", row.newcomer_id, row.newcomer_code))
    return tuple(refs)


TOUCHED_LIMIT = 5_000
"""Above this many touched records (a bulk import), the rules read the whole store instead of an ``IN``
list of ids (which SQLite caps at 32,766 parameters); the result is the same, filtered to the touched."""


@dataclass(frozen=True)
class _Reach:
    """The records whose rules a transaction can have broken: ids per table (``None``: the whole store).

    A violation names its records (:class:`RecordRef`); only one naming a touched record counts
    (:func:`violations`). So each rule reads just the rows that could produce such a violation: the
    touched matches and those of touched groups and newcomers, the groups and newcomers of touched
    matches, and so on (see each rule)."""

    matches: set[int] | None = None
    groups: set[int] | None = None
    newcomers: set[int] | None = None
    members: set[int] | None = None
    meetings: set[int] | None = None
    responses: set[int] | None = None

    @classmethod
    def of(cls, session: Session, touched: dict[str, set[int]] | None) -> _Reach:
        if touched is None or sum(len(ids) for ids in touched.values()) > TOUCHED_LIMIT:
            return cls()
        matches = set(touched.get("match", ()))
        members = set(touched.get("member", ()))
        groups, newcomers = set(touched.get("welcome_group", ())), set(touched.get("newcomer", ()))
        if (
            matches
        ):  # a changed match can break a rule of its group or newcomer (the running counts, a status)
            for group_id, newcomer_id in session.execute(
                select(Match.group_id, Match.newcomer_id).where(Match.id.in_(matches))
            ):
                groups.add(group_id)
                newcomers.add(newcomer_id)
        return cls(
            matches=matches,
            groups=groups,
            newcomers=newcomers,
            members=members,
            meetings=set(touched.get("meeting", ())),
            responses=set(touched.get("survey_response", ())),
        )

    @property
    def everything(self) -> bool:
        return self.matches is None


def _match_rules(session: Session, reach: _Reach) -> list[Violation]:
    found: list[Violation] = []
    where = (
        []
        if reach.everything
        else [
            or_(
                Match.id.in_(reach.matches),
                Match.group_id.in_(reach.groups),
                Match.newcomer_id.in_(reach.newcomers),
            )
        ]
    )
    for row in _match_rows(session, *where):
        status = row.status
        if status == MatchStatus.ACTIVE.value and row.group_status != GroupStatus.ACTIVE.value:
            found.append(
                Violation("active_match_group", _refs(row, group=True), {"status": row.group_status})
            )
        if status == MatchStatus.ACTIVE.value and row.newcomer_status != NewcomerStatus.MATCHED.value:
            found.append(
                Violation("active_match_newcomer", _refs(row, newcomer=True), {"status": row.newcomer_status})
            )
        if status == MatchStatus.PROPOSED.value and row.newcomer_status != NewcomerStatus.WAITING.value:
            found.append(
                Violation(
                    "proposed_match_newcomer", _refs(row, newcomer=True), {"status": row.newcomer_status}
                )
            )
        if status == MatchStatus.PROPOSED.value and row.group_status not in (
            GroupStatus.AWAITING_MATCH.value,
            GroupStatus.ACTIVE.value,
        ):
            found.append(
                Violation("proposed_match_group", _refs(row, group=True), {"status": row.group_status})
            )
        if status in ENDED and (
            row.ended_date is None or row.ended_date < (row.started_date or row.proposed_date)
        ):
            found.append(Violation("ended_match_end_date", _refs(row), {"status": status}))
        if status in RUNNING_STATUSES and row.ended_date is not None:
            found.append(Violation("running_match_end_date", _refs(row), {"status": status}))
        if (status in STARTED) != (row.started_date is not None):
            found.append(Violation("started_match_start_date", _refs(row), {"status": status}))
        if row.group_municipality != row.newcomer_municipality:
            found.append(Violation("match_municipality", _refs(row, group=True, newcomer=True)))
        if row.training_completed_date is not None and row.proposed_date < row.training_completed_date:
            found.append(
                Violation(
                    "match_before_training", _refs(row, group=True), {"date": row.training_completed_date}
                )
            )
        if row.proposed_date < row.registration_date:
            found.append(
                Violation(
                    "match_before_registration", _refs(row, newcomer=True), {"date": row.registration_date}
                )
            )
    return found


def _running_counts(session: Session, reach: _Reach) -> list[Violation]:
    """Names the owner and its running matches: only owners touched or with a touched match can count."""
    found: list[Violation] = []
    for owner, column, limit, rule, owners in (
        (Newcomer, Match.newcomer_id, 1, "newcomer_running_matches", reach.newcomers),
        (WelcomeGroup, Match.group_id, MAX_RUNNING_PER_GROUP, "group_running_matches", reach.groups),
    ):
        where = [] if owners is None else [column.in_(owners)]
        busy = [
            owner_id
            for owner_id, n in session.execute(
                select(column, func.count())
                .where(Match.status.in_(RUNNING_STATUSES), *where)
                .group_by(column)
            )
            if n > limit
        ]
        for owner_id in busy:
            rows = list(_match_rows(session, column == owner_id, Match.status.in_(RUNNING_STATUSES)))
            code = session.get(owner, owner_id).code
            table = owner.__tablename__
            refs = (RecordRef(table, owner_id, code), *(r for row in rows for r in _refs(row)))
            found.append(Violation(rule, refs, {"n": len(rows), "max": limit}))
    return found


def _status_without_match(session: Session, reach: _Reach) -> list[Violation]:
    """An ``actief`` group without a running match, a ``gematcht`` newcomer without a started one. The
    violation names the group's (newcomer's) other matches too: ending the last running match breaks it
    (the reach holds the groups and newcomers of touched matches)."""
    found: list[Violation] = []
    in_groups = [] if reach.groups is None else [WelcomeGroup.id.in_(reach.groups)]
    in_newcomers = [] if reach.newcomers is None else [Newcomer.id.in_(reach.newcomers)]
    running = (
        select(Match.id)
        .where(Match.group_id == WelcomeGroup.id, Match.status == MatchStatus.ACTIVE.value)
        .exists()
    )
    for group_id, code in session.execute(
        select(WelcomeGroup.id, WelcomeGroup.code)
        .where(WelcomeGroup.status == GroupStatus.ACTIVE.value, ~running, *in_groups)
        .order_by(WelcomeGroup.code)
    ):
        others = tuple(r for row in _match_rows(session, Match.group_id == group_id) for r in _refs(row))
        found.append(
            Violation("active_group_without_match", (RecordRef("welcome_group", group_id, code), *others))
        )
    started = select(Match.id).where(Match.newcomer_id == Newcomer.id, Match.status.in_(STARTED)).exists()
    for newcomer_id, code in session.execute(
        select(Newcomer.id, Newcomer.code)
        .where(Newcomer.status == NewcomerStatus.MATCHED.value, ~started, *in_newcomers)
        .order_by(Newcomer.code)
    ):
        others = tuple(
            r for row in _match_rows(session, Match.newcomer_id == newcomer_id) for r in _refs(row)
        )
        found.append(
            Violation("matched_newcomer_without_match", (RecordRef("newcomer", newcomer_id, code), *others))
        )
    for group_id, code, status in session.execute(
        select(WelcomeGroup.id, WelcomeGroup.code, WelcomeGroup.status)
        .where(
            WelcomeGroup.status.in_([s.value for s in TRAINED_STATUSES]),
            WelcomeGroup.training_completed_date.is_(None),
            *in_groups,
        )
        .order_by(WelcomeGroup.code)
    ):
        found.append(
            Violation(
                "trained_group_training_date",
                (RecordRef("welcome_group", group_id, code),),
                {"status": status},
            )
        )
    return found


def _group_rules(session: Session, reach: _Reach) -> list[Violation]:
    found: list[Violation] = []
    groups = None if reach.everything else reach.groups | _groups_of_members(session, reach.members)
    contacts = (
        select(Member.group_id)
        .where(
            Member.role == MemberRole.CONTACT_PERSON.value,
            Member.archived.is_(False),
            *([] if groups is None else [Member.group_id.in_(groups)]),
        )
        .group_by(Member.group_id)
        .having(func.count() > 1)
    )
    for group_id in session.execute(contacts).scalars():
        group = session.get(WelcomeGroup, group_id)
        members = session.execute(
            select(Member.id, Member.code)
            .where(
                Member.group_id == group_id,
                Member.role == MemberRole.CONTACT_PERSON.value,
                Member.archived.is_(False),
            )
            .order_by(Member.code)
        ).all()
        found.append(
            Violation(
                "group_contact_persons",
                (
                    RecordRef("welcome_group", group_id, group.code),
                    *(RecordRef("member", i, c) for i, c in members),
                ),
                {"n": len(members)},
            )
        )
    # Meetings are the big table (hundreds of thousands): only those of touched groups and meetings are read.
    size = select(Member.group_id, func.count().label("n")).group_by(Member.group_id).subquery()
    query = (
        select(
            Meeting.id,
            Meeting.date,
            Meeting.kind,
            Meeting.members_present,
            WelcomeGroup.id.label("group_id"),
            WelcomeGroup.code,
            func.coalesce(size.c.n, 0).label("size"),
        )
        .join(WelcomeGroup, WelcomeGroup.id == Meeting.group_id)
        .outerjoin(size, size.c.group_id == Meeting.group_id)
        .where(Meeting.members_present > func.coalesce(size.c.n, 0))
    )
    if groups is not None:
        if not groups and not reach.meetings:
            return found
        query = query.where(or_(Meeting.group_id.in_(groups), Meeting.id.in_(reach.meetings)))
    for row in session.execute(query.order_by(WelcomeGroup.code, Meeting.date)):
        label = f"{row.code} {row.date.isoformat()} {row.kind}"
        found.append(
            Violation(
                "meeting_members_present",
                (RecordRef("meeting", row.id, label), RecordRef("welcome_group", row.group_id, row.code)),
                {"present": row.members_present, "size": row.size},
            )
        )
    return found


def _groups_of_members(session: Session, member_ids: set[int]) -> set[int]:
    if not member_ids:
        return set()
    return set(session.execute(select(Member.group_id).where(Member.id.in_(member_ids))).scalars())


def _survey_rules(session: Session, reach: _Reach) -> list[Violation]:
    """Names the response and its member (newcomer): only touched ones of those can count."""
    found: list[Violation] = []
    if not reach.everything and not (reach.responses or reach.members or reach.newcomers):
        return found
    by_member = (
        []
        if reach.everything
        else [or_(SurveyResponse.id.in_(reach.responses), SurveyResponse.member_id.in_(reach.members))]
    )
    by_newcomer = (
        []
        if reach.everything
        else [or_(SurveyResponse.id.in_(reach.responses), SurveyResponse.newcomer_id.in_(reach.newcomers))]
    )
    wrong_member = (
        select(
            SurveyResponse.id,
            SurveyResponse.wave,
            Member.id.label("member_id"),
            Member.code,
            WelcomeGroup.code.label("group_code"),
        )
        .join(Member, Member.id == SurveyResponse.member_id)
        .join(WelcomeGroup, WelcomeGroup.id == SurveyResponse.group_id)
        .where(SurveyResponse.group_id != Member.group_id, *by_member)
    )
    for row in session.execute(wrong_member):
        found.append(
            Violation(
                "survey_member_group",
                (
                    RecordRef("survey_response", row.id, f"{row.code} {row.wave}"),
                    RecordRef("member", row.member_id, row.code),
                ),
                {"group": row.group_code},
            )
        )
    matched = (
        select(Match.id)
        .where(Match.newcomer_id == SurveyResponse.newcomer_id, Match.group_id == SurveyResponse.group_id)
        .exists()
    )
    wrong_newcomer = (
        select(
            SurveyResponse.id,
            SurveyResponse.wave,
            Newcomer.id.label("newcomer_id"),
            Newcomer.code,
            WelcomeGroup.code.label("group_code"),
        )
        .join(Newcomer, Newcomer.id == SurveyResponse.newcomer_id)
        .join(WelcomeGroup, WelcomeGroup.id == SurveyResponse.group_id)
        .where(~matched, *by_newcomer)
    )
    for row in session.execute(wrong_newcomer):
        found.append(
            Violation(
                "survey_newcomer_group",
                (
                    RecordRef("survey_response", row.id, f"{row.code} {row.wave}"),
                    RecordRef("newcomer", row.newcomer_id, row.code),
                ),
                {"group": row.group_code},
            )
        )
    return found


RULES: tuple[str, ...] = (
    "active_match_group",
    "active_match_newcomer",
    "active_group_without_match",
    "matched_newcomer_without_match",
    "newcomer_running_matches",
    "group_running_matches",
    "proposed_match_newcomer",
    "proposed_match_group",
    "ended_match_end_date",
    "running_match_end_date",
    "started_match_start_date",
    "match_municipality",
    "match_before_training",
    "match_before_registration",
    "trained_group_training_date",
    "group_contact_persons",
    "meeting_members_present",
    "survey_member_group",
    "survey_newcomer_group",
)
"""Every rule's code, in the order of the module docstring."""


def violations(session: Session, touched: dict[str, set[int]] | None = None) -> list[Violation]:
    """Every broken rule in the store as ``session`` sees it (flushed, uncommitted writes included).

    ``touched``: table name → ids of records written in this transaction; when given, only violations
    that involve one of them are returned (``None``: all of the store's), and each rule reads only the
    rows that could produce one (:class:`_Reach`): a write no longer scans the whole store.
    """
    session.flush()
    reach = _Reach.of(session, touched)
    found = (
        _match_rules(session, reach)
        + _running_counts(session, reach)
        + _status_without_match(session, reach)
        + _group_rules(session, reach)
        + _survey_rules(session, reach)
    )
    if touched is None:
        return found
    return [v for v in found if any(r.id in touched.get(r.table, ()) for r in v.records)]


# ------------------------------------------------------------------------------------------ enforcing

TOUCHED_KEY = "samenhier_touched"
CHECK_KEY = "samenhier_check_consistency"


def touch(session: Session, table: str, ids: Iterable[int]) -> None:
    """Mark records as written in this transaction (for bulk statements the session does not track)."""
    session.info.setdefault(TOUCHED_KEY, {}).setdefault(table, set()).update(i for i in ids if i is not None)


def _after_flush(session: Session, _context) -> None:
    for obj in list(session.new) + list(session.dirty):
        table = getattr(obj, "__tablename__", None)
        if table in SHEET_OF_TABLE and getattr(obj, "id", None) is not None:
            touch(session, table, [obj.id])


def _before_commit(session: Session) -> None:
    if not session.info.get(CHECK_KEY):
        return
    session.flush()
    touched = session.info.get(TOUCHED_KEY) or {}
    if not touched:
        return
    found = violations(session, touched)
    if found:
        raise ConsistencyError(found)


def install(session: Session, *, on_commit: bool = True) -> Session:
    """Track the records ``session`` writes; with ``on_commit``, refuse its commit with
    :class:`ConsistencyError` when a rule is broken by a record it wrote. Returns ``session``."""
    event.listen(session, "after_flush", _after_flush)
    if on_commit:
        session.info[CHECK_KEY] = True
        event.listen(session, "before_commit", _before_commit)
    return session


def touched_records(session: Session) -> dict[str, set[int]]:
    """Table name → ids written so far in this transaction (see :func:`install`)."""
    return {t: set(ids) for t, ids in (session.info.get(TOUCHED_KEY) or {}).items()}
