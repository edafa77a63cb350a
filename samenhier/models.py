"""The store's tables (SQLModel) and the programme's vocabularies.

Values stored in the database are the programme's Dutch words (as in the coordinator's workbook);
class and column names are English (see the glossary, docs/glossary.md). Every vocabulary and range is
enforced twice: by validation in :mod:`samenhier.io.rows` / the services, and by named CHECK
constraints here, so that no path into the database can store a value outside them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, MetaData, UniqueConstraint
from sqlalchemy.orm import relationship
from sqlmodel import Field, Relationship, SQLModel

# Named constraints, so that Alembic batch migrations on SQLite can find them again.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class Variant(StrEnum):
    """Programme variant of a welcome group."""

    STATUSHOUDERS = "statushouders"
    HERVESTIGING = "hervestiging"
    STUDENTEN = "studenten"
    STUDENTSPONSORING = "studentsponsoring"
    AD_HOC = "ad hoc"


class GroupStatus(StrEnum):
    """Life cycle of a welcome group: werving → training → wacht op match → actief → afgerond/gestopt."""

    RECRUITING = "werving"
    TRAINING = "training"
    AWAITING_MATCH = "wacht op match"
    ACTIVE = "actief"
    COMPLETED = "afgerond"
    STOPPED = "gestopt"


class MemberRole(StrEnum):
    CONTACT_PERSON = "contactpersoon"
    MEMBER = "lid"


class NewcomerStatus(StrEnum):
    WAITING = "wacht"
    MATCHED = "gematcht"
    WITHDRAWN = "afgemeld"


class MatchStatus(StrEnum):
    """A match is proposed, then runs (actief) and ends completed or stopped; a declined proposal is afgewezen."""

    PROPOSED = "voorgesteld"
    ACTIVE = "actief"
    COMPLETED = "afgerond"
    STOPPED = "gestopt"
    DECLINED = "afgewezen"


class MeetingKind(StrEnum):
    GROUP_ACTIVITY = "groepsactiviteit"
    ONE_TO_ONE = "één-op-één"
    BUILDER_VISIT = "bezoek community builder"
    ONLINE = "online"


class Wave(StrEnum):
    """Survey waves, in the order they are taken."""

    BASELINE = "nulmeting"
    MIDTERM = "tussenmeting"
    END = "eindmeting"


class Answer(StrEnum):
    """Answer to a De Jong Gierveld item."""

    YES = "ja"
    MORE_OR_LESS = "min of meer"
    NO = "nee"


class SelfReportedChange(StrEnum):
    LESS = "minder"
    SAME = "gelijk"
    MORE = "meer"


class RespondentRole(StrEnum):
    NEWCOMER = "nieuwkomer"
    MEMBER = "lid"


class UserRole(StrEnum):
    COORDINATOR = "coordinator"
    COMMUNITY_BUILDER = "community_builder"


def _in(column: str, enum: type[StrEnum], *, nullable: bool = False) -> str:
    values = ", ".join("'" + v.value.replace("'", "''") + "'" for v in enum)
    clause = f"{column} IN ({values})"
    return f"({column} IS NULL OR {clause})" if nullable else clause


LONELINESS_ITEMS = ("emptiness", "fall_back_on", "trust", "miss_people", "connected", "abandoned")
"""The six De Jong Gierveld items, as columns of :class:`SurveyResponse`, in the workbook's order
(leegte, terugvallen, vertrouwen, mis_mensen, verbonden, in_de_steek)."""


class Municipality(SQLModel, table=True):
    __tablename__ = "municipality"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    cbs_code: str = Field(unique=True)


class CommunityBuilder(SQLModel, table=True):
    __tablename__ = "community_builder"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    email: str | None = None
    municipality_id: int | None = Field(default=None, foreign_key="municipality.id")
    languages: str = ""
    archived: bool = False
    version: int = 1


class WelcomeGroup(SQLModel, table=True):
    __tablename__ = "welcome_group"
    __table_args__ = (
        CheckConstraint(_in("variant", Variant), name="variant"),
        CheckConstraint(_in("status", GroupStatus), name="status"),
        CheckConstraint(
            "training_completed_date IS NULL OR training_completed_date >= signup_date", name="dates_order"
        ),
        Index("ix_welcome_group_municipality_status", "municipality_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    name: str
    municipality_id: int = Field(foreign_key="municipality.id")
    variant: str
    status: str
    community_builder_id: int | None = Field(default=None, foreign_key="community_builder.id", index=True)
    signup_date: dt.date
    training_completed_date: dt.date | None = None
    notes: str = ""
    archived: bool = False
    version: int = 1


class Member(SQLModel, table=True):
    __tablename__ = "member"
    __table_args__ = (CheckConstraint(_in("role", MemberRole), name="role"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    group_id: int = Field(foreign_key="welcome_group.id", index=True)
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    role: str = MemberRole.MEMBER.value
    joined_date: dt.date
    vog_date: dt.date | None = None
    archived: bool = False
    erased: bool = False
    version: int = 1


class Newcomer(SQLModel, table=True):
    __tablename__ = "newcomer"
    __table_args__ = (
        CheckConstraint(_in("status", NewcomerStatus), name="status"),
        CheckConstraint("household_size BETWEEN 1 AND 15", name="household_size"),
        CheckConstraint("permit_date IS NULL OR permit_date >= arrival_date", name="arrival_before_permit"),
        Index("ix_newcomer_municipality_status", "municipality_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    first_name: str
    last_name: str
    municipality_id: int = Field(foreign_key="municipality.id")
    country_of_origin: str = ""
    languages: str = ""
    household_size: int = 1
    arrival_date: dt.date
    permit_date: dt.date | None = None
    registration_date: dt.date
    status: str = NewcomerStatus.WAITING.value
    email: str | None = None
    phone: str | None = None
    archived: bool = False
    erased: bool = False
    version: int = 1


class Match(SQLModel, table=True):
    """A koppeling: one welcome group with one newcomer (and their household)."""

    __tablename__ = "match"
    __table_args__ = (
        CheckConstraint(_in("status", MatchStatus), name="status"),
        CheckConstraint(
            "started_date IS NULL OR started_date >= proposed_date", name="proposed_before_start"
        ),
        CheckConstraint("ended_date IS NULL OR ended_date >= proposed_date", name="proposed_before_end"),
        CheckConstraint(
            "ended_date IS NULL OR started_date IS NULL OR ended_date >= started_date",
            name="start_before_end",
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="welcome_group.id", index=True)
    newcomer_id: int = Field(foreign_key="newcomer.id", index=True)
    proposed_date: dt.date
    started_date: dt.date | None = None
    ended_date: dt.date | None = None
    status: str = MatchStatus.PROPOSED.value
    end_reason: str = ""
    version: int = 1


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"
    __table_args__ = (
        CheckConstraint(_in("kind", MeetingKind), name="kind"),
        CheckConstraint("duration_minutes BETWEEN 1 AND 1440", name="duration"),
        CheckConstraint("members_present >= 0", name="members_present"),
        CheckConstraint("newcomers_present >= 0", name="newcomers_present"),
        Index("ix_meeting_group_date", "group_id", "date"),
        # Date-range reads (per month and kind, groups that met in a year) are answered from this index
        # alone; it starts with date, so it also serves plain date ranges (migration 0003).
        Index("ix_meeting_date_group_kind", "date", "group_id", "kind"),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="welcome_group.id")
    date: dt.date
    kind: str
    duration_minutes: int
    members_present: int = 0
    newcomers_present: int = 0
    note: str = ""
    version: int = 1


class SurveyResponse(SQLModel, table=True):
    """One person's answers in one wave. The respondent is a member or a newcomer, never both."""

    __tablename__ = "survey_response"
    __table_args__ = (
        CheckConstraint(_in("wave", Wave), name="wave"),
        CheckConstraint("(member_id IS NULL) <> (newcomer_id IS NULL)", name="one_respondent"),
        *(CheckConstraint(_in(item, Answer, nullable=True), name=item) for item in LONELINESS_ITEMS),
        CheckConstraint("feel_at_home IS NULL OR feel_at_home BETWEEN 1 AND 5", name="feel_at_home"),
        CheckConstraint(
            _in("self_reported_change", SelfReportedChange, nullable=True), name="self_reported_change"
        ),
        CheckConstraint("new_contacts IS NULL OR new_contacts >= 0", name="new_contacts"),
        UniqueConstraint("member_id", "wave", name="uq_survey_response_member_wave"),
        UniqueConstraint("newcomer_id", "wave", name="uq_survey_response_newcomer_wave"),
        Index("ix_survey_response_group_wave", "group_id", "wave"),
    )
    id: int | None = Field(default=None, primary_key=True)
    member_id: int | None = Field(default=None, foreign_key="member.id")
    newcomer_id: int | None = Field(default=None, foreign_key="newcomer.id")
    group_id: int = Field(foreign_key="welcome_group.id")
    wave: str
    date: dt.date
    emptiness: str | None = None
    fall_back_on: str | None = None
    trust: str | None = None
    miss_people: str | None = None
    connected: str | None = None
    abandoned: str | None = None
    feel_at_home: int | None = None
    self_reported_change: str | None = None
    new_contacts: int | None = None
    version: int = 1


class UserMunicipality(SQLModel, table=True):
    """The municipalities of a municipality coordinator's account (none: a national coordinator)."""

    __tablename__ = "user_municipality"
    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", primary_key=True)


class UserAccount(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(_in("role", UserRole), name="role"),
        CheckConstraint(
            "role <> 'community_builder' OR community_builder_id IS NOT NULL", name="builder_linked"
        ),
        CheckConstraint("language IN ('nl', 'en')", name="language"),
    )
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, index=True)
    password_hash: str
    role: str
    community_builder_id: int | None = Field(default=None, foreign_key="community_builder.id")
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    active: bool = True
    created_at: dt.datetime
    version: int = 1
    # Spelled out for SQLAlchemy: this module's postponed annotations hide the generic argument from SQLModel.
    municipalities: list[Municipality] = Relationship(
        sa_relationship=relationship(
            "Municipality", secondary="user_municipality", order_by="Municipality.name"
        )
    )
    """A coordinator's municipalities; none: a national coordinator (see samenhier.scope)."""
    # Reminders by e-mail (migration 0005): where the weekly digest goes, whether the account wants it,
    # and the language it is written in.
    email: str | None = None
    weekly_digest: bool = True
    language: str = "nl"


class DigestStatus(StrEnum):
    """State of one account's weekly digest: being sent, sent, or failed (retried on the next run)."""

    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class DigestDelivery(SQLModel, table=True):
    """The weekly digest of one account in one ISO week (``2026-W51``): at most one is sent per week.

    Holds no content of the mail: who, which week, the state, attempts, and a short technical reason
    for a failure (an SMTP code or error class, never an address or to-do).
    """

    __tablename__ = "digest_delivery"
    __table_args__ = (
        CheckConstraint(_in("status", DigestStatus), name="status"),
        CheckConstraint("attempts >= 1", name="attempts"),
        UniqueConstraint("user_id", "iso_week", name="uq_digest_delivery_user_week"),
    )
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    iso_week: str
    status: str
    attempts: int = 1
    last_attempt_at: dt.datetime
    sent_at: dt.datetime | None = None
    error: str = ""


class UserSession(SQLModel, table=True):
    """A login that survives reloads and new tabs: the browser holds a random token (in an HttpOnly cookie),
    the store only its SHA-256 (``token_hash``), so a copy of the database opens no session.

    ``rights`` fingerprints what the session was granted (account id, name, role, linked builder, password
    hash); a session whose account no longer matches it — role, scope or password changed, or the account
    gone after a restore — ends (see :mod:`samenhier.services.sessions`)."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, index=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    rights: str
    created_at: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = None
    revoked_reason: str = ""


class LoginThrottle(SQLModel, table=True):
    """Failed logins counted per client and per account-from-that-client (never per account alone, so a
    stranger who knows a name cannot lock its owner out). ``key`` is a SHA-256 of the kind and the value
    (no addresses or names in clear); ``audited`` is the failure count last written to the audit trail."""

    __tablename__ = "login_throttle"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, index=True)
    failures: int = 0
    first_failure_at: dt.datetime
    last_failure_at: dt.datetime
    blocked_until: dt.datetime | None = None
    audited: int = 0


class AuditEvent(SQLModel, table=True):
    """Who did what to which record, when; ``changes`` is JSON ``{field: [before, after]}``."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_at", "at"),
        Index("ix_audit_event_table_record", "table_name", "record_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime
    username: str
    action: str
    table_name: str = ""
    record_id: int | None = None
    record_code: str = ""
    changes: str = "{}"


class CheckInAssessment(StrEnum):
    """How a group is doing, as judged at a check-in by its community builder."""

    GOOD = "goed"
    SOME_CONCERNS = "enkele zorgen"
    SERIOUS_CONCERNS = "ernstige zorgen"


class ProgressNote(SQLModel, table=True):
    """A dated check-in on a welcome group: how it is doing (``assessment``) and a free-text note."""

    __tablename__ = "progress_note"
    __table_args__ = (
        CheckConstraint(_in("assessment", CheckInAssessment), name="assessment"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_progress_note_group_date", "group_id", "date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="welcome_group.id")
    date: dt.date
    assessment: str
    text: str = ""
    author: str
    created_at: dt.datetime
    version: int = 1


class ErasureRegister(SQLModel, table=True):
    """One erased person, without their data: hashes of their code and of the phrases that named them
    (:func:`samenhier.privacy.phrase_hash`), so that an import can recognise text that would bring their
    data back (issue 21.6). ``phrase_hashes`` is a JSON list; ``longest`` the most words of one phrase."""

    __tablename__ = "erasure_register"
    __table_args__ = (CheckConstraint("kind IN ('member', 'newcomer')", name="kind"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    code_hash: str = Field(index=True)
    phrase_hashes: str = "[]"
    longest: int = 0
    erased_at: dt.datetime


class Milestone(SQLModel, table=True):
    """A named step of a variant's checklist (issue 19; the hervestiging *actieplan*), due ``due_offset_days``
    after the group's start (its running match's start date; negative: before the newcomer arrives).

    Never deleted: a national coordinator renames it, moves its due date or retires it (``retired``), and
    past check-offs (:class:`MilestoneCheck`) stay. ``position`` orders the checklist."""

    __tablename__ = "milestone"
    __table_args__ = (
        CheckConstraint(_in("variant", Variant), name="variant"),
        CheckConstraint("due_offset_days BETWEEN -730 AND 730", name="due_offset"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_milestone_variant_position", "variant", "position"),
    )
    id: int | None = Field(default=None, primary_key=True)
    variant: str
    name: str
    due_offset_days: int
    position: int = 0
    retired: bool = False
    version: int = 1


class MilestoneCheck(SQLModel, table=True):
    """One group's check-off of one milestone: done on ``done_date``, checked by ``checked_by`` at
    ``checked_at``. An undo clears those three (the row stays, its version goes up, the audit trail keeps
    both); one row per group and milestone."""

    __tablename__ = "milestone_check"
    __table_args__ = (
        UniqueConstraint("group_id", "milestone_id", name="uq_milestone_check_group_milestone"),
        CheckConstraint("(done_date IS NULL) = (checked_by IS NULL)", name="done_by"),
        CheckConstraint("version >= 1", name="version_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="welcome_group.id")
    milestone_id: int = Field(foreign_key="milestone.id", index=True)
    done_date: dt.date | None = None
    checked_by: str | None = None
    checked_at: dt.datetime | None = None
    version: int = 1


class TimelineUnit(StrEnum):
    """The unit a programme variant's year is counted in."""

    MONTHS = "months"
    WEEKS = "weeks"


class VariantTimeline(SQLModel, table=True):
    """The timeline of one programme variant (issue 19): how long its group year runs, when a group counts
    as quiet and when the survey waves are due. The rules are in :mod:`samenhier.timeline`.

    ``duration`` in ``unit`` (months or weeks); ``midterm_at``: the tussenmeting is due that many units
    after the start; ``quiet_after_days`` / ``end_grace_days``: None means the programme-wide setting
    (``SAMENHIER_INACTIVE_AFTER_DAYS``, ``SAMENHIER_END_SURVEY_GRACE_DAYS``)."""

    __tablename__ = "variant_timeline"
    __table_args__ = (
        CheckConstraint(_in("variant", Variant), name="variant"),
        CheckConstraint(_in("unit", TimelineUnit), name="unit"),
        CheckConstraint("duration >= 1 AND duration <= 520", name="duration_range"),
        CheckConstraint("midterm_at >= 1 AND midterm_at <= duration", name="midterm_range"),
        CheckConstraint("quiet_after_days IS NULL OR quiet_after_days >= 1", name="quiet_positive"),
        CheckConstraint("end_grace_days IS NULL OR end_grace_days >= 0", name="grace_not_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    variant: str = Field(unique=True)
    duration: int
    unit: str
    midterm_at: int
    quiet_after_days: int | None = None
    end_grace_days: int | None = None
    version: int = 1
