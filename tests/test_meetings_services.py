"""Logging, editing and deleting meetings (services, no Streamlit) on the hand-made store (meetings_helpers).

Limits from that store: T-001 has 4 members (and one archived), its current match started
2025-12-29 with a household of 3; T-002's match ran 2020-06-01 – 2021-01-03; T-006 has no match.
The clock says 2026-11-15.
"""

import datetime as dt
import json

import pytest
from meetings_helpers import MEETINGS, build_store
from sqlmodel import Session, select

from samenhier.models import AuditEvent, Meeting
from samenhier.queries.common import count_rows
from samenhier.scope import AccessDenied
from samenhier.services import meetings as svc
from samenhier.services.common import ValidationFailed, VersionConflict

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

D = dt.date.fromisoformat
VALID = dict(
    date=D("2026-11-14"), kind="online", duration_minutes=60, members_present=3, newcomers_present=2, note=""
)


@pytest.fixture
def store(engine):
    return build_store(engine)


def counts(engine) -> tuple[int, int]:
    return count_rows(engine, Meeting), count_rows(engine, AuditEvent)


def refused(engine, call, **changes) -> ValidationFailed:
    """Call ``call`` with VALID updated by ``changes``; it must fail validation and write nothing."""
    before = counts(engine)
    with pytest.raises(ValidationFailed) as failed:
        call(**{**VALID, **changes})
    assert counts(engine) == before
    return failed.value


def codes(failed: ValidationFailed) -> dict[str, str]:
    return {e.field: e.code for e in failed.errors}


def test_log_meeting_writes_and_audits(engine, store):
    meetings, events = counts(engine)
    saved = svc.log_meeting(
        engine, store.anna, group_id=store.groups["T-001"], **{**VALID, "note": "  koffie\u0301  "}
    )
    assert counts(engine) == (meetings + 1, events + 1)
    assert saved.version == 1 and saved.warnings == []
    with Session(engine) as s:
        meeting = s.get(Meeting, saved.meeting_id)
        event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (meeting.group_id, meeting.date, meeting.kind, meeting.duration_minutes) == (
        store.groups["T-001"],
        D("2026-11-14"),
        "online",
        60,
    )
    assert (meeting.members_present, meeting.newcomers_present) == (3, 2)
    assert meeting.note == "koffié"  # trimmed and NFC: e + combining acute became one é
    assert (event.username, event.action, event.table_name, event.record_id) == (
        "anna",
        "create",
        "meeting",
        saved.meeting_id,
    )
    assert json.loads(event.changes)["kind"] == [None, "online"]


def test_a_builder_cannot_log_for_another_builders_group(engine, store):
    before = counts(engine)
    with pytest.raises(AccessDenied):
        svc.log_meeting(engine, store.bram, group_id=store.groups["T-001"], **VALID)
    with pytest.raises(AccessDenied):  # a group that does not exist gets the same answer
        svc.log_meeting(engine, store.bram, group_id=9999, **VALID)
    assert counts(engine) == before


def test_first_day_of_the_match_is_allowed_the_day_before_is_not(engine, store):
    log = lambda **v: svc.log_meeting(engine, store.coordinator, group_id=store.groups["T-001"], **v)  # noqa: E731
    failed = refused(engine, log, date=D("2025-12-28"), kind="groepsactiviteit")
    assert codes(failed) == {"date": "meetings.before_match_start"}
    assert failed.errors[0].params["start"] == D("2025-12-29")
    saved = log(
        **{**VALID, "date": D("2025-12-29"), "kind": "online"}
    )  # 29 Dec: the start; no online meeting then yet
    assert saved.warnings == []


def test_future_date_is_refused_today_is_fine(engine, store):
    log = lambda **v: svc.log_meeting(engine, store.coordinator, group_id=store.groups["T-001"], **v)  # noqa: E731
    failed = refused(engine, log, date=D("2026-11-16"))
    assert codes(failed) == {"date": "meetings.date_in_future"}
    assert log(**{**VALID, "date": D("2026-11-15")}).meeting_id > 0


def test_after_the_match_ended_is_a_warning_not_a_block(engine, store):
    before = count_rows(engine, Meeting)
    saved = svc.log_meeting(
        engine,
        store.coordinator,
        group_id=store.groups["T-002"],
        **{**VALID, "date": D("2021-02-01"), "newcomers_present": 1},
    )
    assert count_rows(engine, Meeting) == before + 1
    assert [(w.field, w.code, w.params["end"]) for w in saved.warnings] == [
        ("date", "meetings.after_match_end", D("2021-01-03"))
    ]
    # On the match's last day there is no warning.
    assert (
        svc.log_meeting(
            engine,
            store.coordinator,
            group_id=store.groups["T-002"],
            **{**VALID, "date": D("2021-01-03"), "kind": "één-op-één", "newcomers_present": 1},
        ).warnings
        == []
    )


def test_group_without_a_match_cannot_have_meetings(engine, store):
    log = lambda **v: svc.log_meeting(engine, store.coordinator, group_id=store.groups["T-006"], **v)  # noqa: E731
    assert codes(refused(engine, log, members_present=2, newcomers_present=1)) == {
        "date": "meetings.no_match"
    }  # 2 members


@pytest.mark.parametrize(
    ("field", "value", "code", "limit"),
    [
        ("members_present", 5, "meetings.members_range", 4),  # 4 members; the archived one does not count
        ("members_present", -1, "meetings.members_range", 4),
        ("newcomers_present", 4, "meetings.newcomers_range", 3),  # household of 3
        ("duration_minutes", 0, "meetings.duration_range", 1440),
        ("duration_minutes", 1441, "meetings.duration_range", 1440),
        ("duration_minutes", 12.5, "meetings.whole_number", None),
        ("duration_minutes", None, "meetings.required", None),
        ("members_present", None, "meetings.required", None),
        ("kind", "vergadering", "meetings.kind_unknown", None),
        ("kind", "", "meetings.required", None),
        ("date", None, "meetings.required", None),
        ("note", "x" * 2001, "meetings.note_too_long", None),
    ],
)
def test_each_invalid_field_is_refused(engine, store, field, value, code, limit):
    log = lambda **v: svc.log_meeting(engine, store.anna, group_id=store.groups["T-001"], **v)  # noqa: E731
    failed = refused(engine, log, **{field: value})
    assert codes(failed) == {field: code}
    if limit is not None:
        assert failed.errors[0].params["max"] == limit


def test_limits_themselves_are_accepted(engine, store):
    saved = svc.log_meeting(
        engine,
        store.anna,
        group_id=store.groups["T-001"],
        **{**VALID, "duration_minutes": 1440, "members_present": 4, "newcomers_present": 3},
    )
    assert saved.meeting_id > 0
    saved = svc.log_meeting(
        engine,
        store.anna,
        group_id=store.groups["T-001"],
        **{
            **VALID,
            "kind": "groepsactiviteit",
            "duration_minutes": 1,
            "members_present": 0,
            "newcomers_present": 0,
        },
    )
    assert saved.meeting_id > 0


def test_all_errors_at_once(engine, store):
    log = lambda **v: svc.log_meeting(engine, store.anna, group_id=store.groups["T-001"], **v)  # noqa: E731
    failed = refused(
        engine,
        log,
        date=D("2027-01-01"),
        kind="?",
        duration_minutes=0,
        members_present=9,
        newcomers_present=9,
    )
    assert codes(failed) == {
        "date": "meetings.date_in_future",
        "kind": "meetings.kind_unknown",
        "duration_minutes": "meetings.duration_range",
        "members_present": "meetings.members_range",
        "newcomers_present": "meetings.newcomers_range",
    }


def test_duplicate_needs_confirmation(engine, store):
    # T-001 had a groepsactiviteit on 2026-11-10.
    same = {**VALID, "date": D("2026-11-10"), "kind": "groepsactiviteit"}
    before = counts(engine)
    with pytest.raises(svc.ConfirmationNeeded) as needed:
        svc.log_meeting(engine, store.anna, group_id=store.groups["T-001"], **same)
    assert [(w.field, w.code) for w in needed.value.warnings] == [("date", "meetings.duplicate")]
    assert counts(engine) == before
    svc.log_meeting(engine, store.anna, group_id=store.groups["T-001"], **same, confirm_duplicate=True)
    assert counts(engine) == (before[0] + 1, before[1] + 1)
    # Another kind on that date is no duplicate.
    svc.log_meeting(engine, store.anna, group_id=store.groups["T-001"], **{**same, "kind": "online"})


def find(engine, store, code: str, day: str) -> Meeting:
    with Session(engine) as s:
        return s.exec(
            select(Meeting).where(Meeting.group_id == store.groups[code], Meeting.date == D(day))
        ).one()


def test_update_meeting_bumps_version_and_audits(engine, store):
    meeting = find(engine, store, "T-001", "2026-11-01")
    before = counts(engine)
    saved = svc.update_meeting(
        engine,
        store.anna,
        meeting_id=meeting.id,
        expected_version=1,
        date=meeting.date,
        kind=meeting.kind,
        duration_minutes=45,
        members_present=meeting.members_present,
        newcomers_present=meeting.newcomers_present,
        note="korter dan gepland",
    )
    assert saved.version == 2
    assert counts(engine) == (before[0], before[1] + 1)
    changed = find(engine, store, "T-001", "2026-11-01")
    assert (changed.duration_minutes, changed.note, changed.version) == (45, "korter dan gepland", 2)
    with Session(engine) as s:
        event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "update" and event.record_id == meeting.id
    assert json.loads(event.changes) == {"duration_minutes": [90, 45], "note": ["", "korter dan gepland"]}


def test_update_keeps_itself_out_of_the_duplicate_check_but_not_others(engine, store):
    meeting = find(engine, store, "T-001", "2026-11-01")
    fields = dict(
        date=meeting.date, kind=meeting.kind, duration_minutes=90, members_present=2, newcomers_present=1
    )
    saved = svc.update_meeting(
        engine, store.anna, meeting_id=meeting.id, expected_version=1, **{**fields, "duration_minutes": 80}
    )
    assert saved.version == 2
    # Moving it onto 2026-11-10 (another groepsactiviteit) asks for confirmation, and writes nothing.
    with pytest.raises(svc.ConfirmationNeeded):
        svc.update_meeting(
            engine,
            store.anna,
            meeting_id=meeting.id,
            expected_version=2,
            **{**fields, "date": D("2026-11-10")},
        )
    assert find(engine, store, "T-001", "2026-11-01").version == 2


def test_update_validates_like_logging(engine, store):
    meeting = find(engine, store, "T-001", "2026-11-01")
    before = counts(engine)
    with pytest.raises(ValidationFailed) as failed:
        svc.update_meeting(
            engine,
            store.anna,
            meeting_id=meeting.id,
            expected_version=1,
            date=D("2026-12-01"),
            kind=meeting.kind,
            duration_minutes=90,
            members_present=2,
            newcomers_present=7,
        )
    assert codes(failed.value) == {
        "date": "meetings.date_in_future",
        "newcomers_present": "meetings.newcomers_range",
    }
    assert counts(engine) == before
    assert find(engine, store, "T-001", "2026-11-01").version == 1


def test_update_version_conflict_names_the_changed_field(engine, store):
    meeting = find(engine, store, "T-001", "2026-11-01")
    seen = dict(
        date=meeting.date,
        kind=meeting.kind,
        duration_minutes=90,
        members_present=2,
        newcomers_present=1,
        note="",
    )
    svc.update_meeting(
        engine, store.coordinator, meeting_id=meeting.id, expected_version=1, **{**seen, "members_present": 4}
    )
    with pytest.raises(VersionConflict) as conflict:
        svc.update_meeting(
            engine,
            store.anna,
            meeting_id=meeting.id,
            expected_version=1,
            original=seen,
            **{**seen, "duration_minutes": 30},
        )
    assert conflict.value.changed == {"members_present": (2, 4)}
    assert find(engine, store, "T-001", "2026-11-01").duration_minutes == 90


def test_other_builder_cannot_edit_or_delete(engine, store):
    meeting = find(engine, store, "T-001", "2026-11-01")
    before = counts(engine)
    with pytest.raises(AccessDenied):
        svc.update_meeting(
            engine,
            store.bram,
            meeting_id=meeting.id,
            expected_version=1,
            date=meeting.date,
            kind=meeting.kind,
            duration_minutes=10,
            members_present=0,
            newcomers_present=0,
        )
    with pytest.raises(AccessDenied):
        svc.delete_meeting(engine, store.bram, meeting_id=meeting.id, expected_version=1)
    with pytest.raises(AccessDenied):
        svc.delete_meeting(engine, store.coordinator, meeting_id=99999, expected_version=1)
    assert counts(engine) == before


def test_delete_meeting_audits_what_it_removed(engine, store):
    meeting = find(engine, store, "T-001", "2026-11-01")
    meetings, events = counts(engine)
    with pytest.raises(VersionConflict):
        svc.delete_meeting(engine, store.anna, meeting_id=meeting.id, expected_version=7)
    assert counts(engine) == (meetings, events)
    svc.delete_meeting(engine, store.anna, meeting_id=meeting.id, expected_version=1)
    assert counts(engine) == (meetings - 1, events + 1)
    with Session(engine) as s:
        event = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.record_id, event.username) == ("delete", meeting.id, "anna")
    assert json.loads(event.changes)["date"] == ["2026-11-01", None]
    with Session(engine) as s:
        left = s.exec(select(Meeting).where(Meeting.group_id == store.groups["T-001"])).all()
    assert len(left) == len(MEETINGS["T-001"]) - 1 and D("2026-11-01") not in {m.date for m in left}


def test_every_validation_code_has_a_message_in_both_languages():
    import inspect
    import re

    from samenhier import i18n

    codes_used = set(re.findall(r'"(meetings\.[a-z_]+)"', inspect.getsource(svc)))
    assert {"meetings.required", "meetings.duplicate", "meetings.after_match_end"} <= codes_used
    for lang in i18n.LANGUAGES:
        missing = [c for c in codes_used if i18n.t(f"validation.{c}", lang) == f"validation.{c}"]
        assert not missing, (lang, missing)
