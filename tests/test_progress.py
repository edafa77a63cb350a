"""Group progress for community builders: status transitions, check-ins, VOG and training, to-dos,
meeting cadence — and that a builder can act only on their own groups, also through the services."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlmodel import Session, select

from samenhier.consistency import ConsistencyError
from samenhier.models import AuditEvent, CommunityBuilder, Member, ProgressNote, WelcomeGroup
from samenhier.queries.common import count_rows
from samenhier.queries.progress import check_ins, group_members, group_progress, meeting_cadence
from samenhier.scope import AccessDenied, Scope
from samenhier.services import progress, records
from samenhier.services.common import ValidationFailed, VersionConflict
from samenhier.settings import get_settings
from samenhier.todos import Todo, group_todos

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

AS_OF = dt.date(2026, 11, 15)
COORDINATOR = Scope.coordinator("anna")


def _builder_scope(engine, name: str, username: str) -> Scope:
    with Session(engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == name)).one()
    return Scope.community_builder(username, builder.id)


def _group(engine, code) -> WelcomeGroup:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup).where(WelcomeGroup.code == code)).one()


def _new_group(engine, **overrides) -> records.Saved:
    values = dict(
        code="",
        name="Welkomgroep Test",
        municipality="Haarlem",
        variant="statushouders",
        status="werving",
        community_builder_id=None,
        signup_date=dt.date(2026, 1, 10),
        training_completed_date=None,
        notes="",
    )
    return records.create_group(engine, COORDINATOR, values={**values, **overrides})


# ------------------------------------------------------------------------------------ status changes

ALLOWED = [  # the life cycle of DESIGN.md, by hand
    ("werving", "training"),
    ("werving", "gestopt"),
    ("training", "werving"),
    ("training", "wacht op match"),
    ("afgerond", "wacht op match"),
]
MATCH_WORKFLOW = [
    ("wacht op match", "actief"),
    ("actief", "afgerond"),
    ("actief", "gestopt"),
    ("actief", "wacht op match"),
]
"""Steps of the life cycle that go with a match (accept, end): the consistency rules (samenhier/consistency.py)
refuse them as a bare status change, which would leave a running match with a group that is not 'actief', or an
'actief' group without one (issue 15)."""
REFUSED = [
    ("werving", "actief"),
    ("werving", "afgerond"),
    ("training", "afgerond"),
    ("wacht op match", "afgerond"),
    ("afgerond", "actief"),
    ("gestopt", "werving"),
    ("gestopt", "actief"),
]


@pytest.mark.parametrize(("current", "new"), ALLOWED)
def test_allowed_status_change(engine, current, new):
    group = _new_group(engine, status=current, training_completed_date=dt.date(2026, 2, 1))
    saved = progress.change_group_status(
        engine, COORDINATOR, group_id=group.id, expected_version=1, status=new
    )
    assert saved.version == 2
    assert _group(engine, group.code).status == new


@pytest.mark.parametrize(("current", "new"), MATCH_WORKFLOW)
def test_status_steps_of_the_match_workflow_are_refused_alone(imported_engine, workbook_sheets, current, new):
    groups = workbook_sheets["groepen"]
    code = groups.loc[groups["status"].str.strip().str.lower() == current, "groep_code"].iloc[0]
    group = _group(imported_engine, code)
    with pytest.raises(ConsistencyError) as exc:
        progress.change_group_status(
            imported_engine, COORDINATOR, group_id=group.id, expected_version=group.version, status=new
        )
    rule = "active_group_without_match" if new == "actief" else "active_match_group"
    assert rule in {v.rule for v in exc.value.violations}
    assert _group(imported_engine, code).status == current


@pytest.mark.parametrize(("current", "new"), REFUSED)
def test_refused_status_change(engine, current, new):
    group = _new_group(engine, status=current, training_completed_date=dt.date(2026, 2, 1))
    with pytest.raises(ValidationFailed) as exc:
        progress.change_group_status(engine, COORDINATOR, group_id=group.id, expected_version=1, status=new)
    assert [(e.field, e.code) for e in exc.value.errors] == [
        ("status", "status_final" if current == "gestopt" else "status_transition")
    ]
    assert _group(engine, group.code).status == current


def test_awaiting_match_needs_the_training_date(engine):
    group = _new_group(engine, status="training")
    with pytest.raises(ValidationFailed) as exc:
        progress.change_group_status(
            engine, COORDINATOR, group_id=group.id, expected_version=1, status="wacht op match"
        )
    assert [e.message("nl") for e in exc.value.errors] == [
        "Vul de trainingsdatum in: een groep met status wacht op match heeft de training afgerond."
    ]


def test_training_completed_moves_the_group_on(engine):
    group = _new_group(engine, status="training")
    saved = progress.record_training_completed(
        engine,
        COORDINATOR,
        group_id=group.id,
        expected_version=1,
        training_completed_date=dt.date(2026, 3, 1),
    )
    stored = _group(engine, group.code)
    assert (stored.status, stored.training_completed_date, saved.version) == (
        "wacht op match",
        dt.date(2026, 3, 1),
        2,
    )


def test_status_change_conflict(engine):
    group = _new_group(engine)
    progress.change_group_status(
        engine, COORDINATOR, group_id=group.id, expected_version=1, status="training"
    )
    with pytest.raises(VersionConflict):
        progress.change_group_status(
            engine, COORDINATOR, group_id=group.id, expected_version=1, status="gestopt"
        )
    assert _group(engine, group.code).status == "training"


# --------------------------------------------------------------------------------- check-ins and VOG


def test_check_in_is_stored_and_shown(engine):
    group = _new_group(engine)
    progress.add_check_in(
        engine, COORDINATOR, group_id=group.id, date=dt.date(2026, 11, 1), assessment="goed", text=""
    )
    progress.add_check_in(
        engine,
        COORDINATOR,
        group_id=group.id,
        date=dt.date(2026, 11, 14),
        assessment="enkele zorgen",
        text="Twee leden haken af.",
    )
    shown = check_ins(engine, COORDINATOR, group.id)
    assert list(shown["assessment"]) == ["enkele zorgen", "goed"]
    assert list(shown["author"]) == ["anna", "anna"]
    row = group_progress(engine, COORDINATOR, as_of=AS_OF).set_index("code").loc[group.code]
    assert (row["last_check_in"], row["last_assessment"]) == (dt.date(2026, 11, 14), "enkele zorgen")


def test_check_in_validation(engine):
    group = _new_group(engine)
    with pytest.raises(ValidationFailed) as exc:
        progress.add_check_in(
            engine,
            COORDINATOR,
            group_id=group.id,
            date=dt.date(2026, 11, 16),
            assessment="ernstige zorgen",
            text=" ",
        )
    assert {e.field: e.message("nl") for e in exc.value.errors} == {
        "date": "Deze datum ligt in de toekomst (vandaag is het 15 november 2026).",
        "text": "Beschrijf de zorgen in de notitie.",
    }
    with pytest.raises(ValidationFailed) as exc:
        progress.add_check_in(engine, COORDINATOR, group_id=group.id, date=None, assessment="prima", text="")
    assert {e.field: e.code for e in exc.value.errors} == {"date": "required", "assessment": "choice"}
    assert count_rows(engine, ProgressNote) == 0


def test_vog_recorded(workbook_engine):
    group = _new_group(workbook_engine)
    member = records.create_member(
        workbook_engine,
        COORDINATOR,
        values=dict(
            code="",
            group_id=group.id,
            first_name="Kees",
            last_name="Peters",
            email=None,
            phone=None,
            role="lid",
            joined_date=dt.date(2026, 1, 10),
            vog_date=None,
        ),
    )
    todos = (
        group_progress(workbook_engine, COORDINATOR, as_of=AS_OF).set_index("code").loc[group.code, "todos"]
    )
    assert Todo("vog_missing", {"n": 1}) in todos
    progress.record_vog(
        workbook_engine, COORDINATOR, member_id=member.id, expected_version=1, vog_date=dt.date(2026, 2, 3)
    )
    members = group_members(workbook_engine, COORDINATOR, group.id)
    assert list(members["vog_date"]) == [dt.date(2026, 2, 3)]
    with pytest.raises(ValidationFailed) as exc:
        progress.record_vog(
            workbook_engine, COORDINATOR, member_id=member.id, expected_version=2, vog_date=None
        )
    assert exc.value.errors[0].message("nl") == "Dit veld is verplicht."


# ---------------------------------------------------------------------------------------------- access


def test_builder_acts_only_on_own_groups(workbook_engine, workbook_path):
    groups = pd.read_excel(workbook_path, sheet_name="groepen")
    joris = _builder_scope(workbook_engine, "Joris Kramer", "joris")
    own_codes = set(groups[groups["community_builder"] == "Joris Kramer"]["groep_code"])
    assert set(group_progress(workbook_engine, joris, as_of=AS_OF)["code"]) == own_codes
    own = _group(workbook_engine, "0392-019")  # Joris's, wacht op match
    other = _group(workbook_engine, "0518-022")  # Samira's, wacht op match
    assert own.code in own_codes and other.code not in own_codes
    before = (count_rows(workbook_engine, AuditEvent), count_rows(workbook_engine, ProgressNote))
    with pytest.raises(AccessDenied):
        progress.change_group_status(
            workbook_engine, joris, group_id=other.id, expected_version=other.version, status="gestopt"
        )
    with pytest.raises(AccessDenied):
        progress.add_check_in(
            workbook_engine, joris, group_id=other.id, date=AS_OF, assessment="goed", text=""
        )
    with pytest.raises(AccessDenied):
        progress.record_training_completed(
            workbook_engine,
            joris,
            group_id=other.id,
            expected_version=other.version,
            training_completed_date=AS_OF,
        )
    with Session(workbook_engine) as session:
        other_member = session.exec(select(Member).where(Member.group_id == other.id)).first()
    with pytest.raises(AccessDenied):
        progress.record_vog(
            workbook_engine,
            joris,
            member_id=other_member.id,
            expected_version=other_member.version,
            vog_date=AS_OF,
        )
    with pytest.raises(AccessDenied):
        check_ins(workbook_engine, joris, other.id)
    assert (count_rows(workbook_engine, AuditEvent), count_rows(workbook_engine, ProgressNote)) == before
    assert _group(workbook_engine, other.code).status == "wacht op match"
    progress.change_group_status(
        workbook_engine, joris, group_id=own.id, expected_version=own.version, status="gestopt"
    )
    assert _group(workbook_engine, own.code).status == "gestopt"


# ------------------------------------------------------------------------------------ to-dos, cadence


def test_end_survey_due_in_the_last_month(workbook_engine, workbook_path):
    """Active matches in month ≥ 12 of their year whose newcomer has no eindmeting, worked out from the workbook."""
    sheets = pd.read_excel(workbook_path, sheet_name=None)
    matches = sheets["koppelingen"][sheets["koppelingen"]["status"] == "actief"]
    ends = set(sheets["enquetes"][sheets["enquetes"]["meting"] == "eindmeting"]["respondent_code"])
    expected = set()
    for _, m in matches.iterrows():
        start = m["gestart_op"].date()
        months = (AS_OF.year - start.year) * 12 + AS_OF.month - start.month - (AS_OF.day < start.day) + 1
        if months >= 12 and m["nieuwkomer_code"] not in ends:
            expected.add(m["groep_code"])
    assert expected == {"0392-018", "0599-015"}  # started 17-11-2025 and 08-12-2025
    frame = group_progress(workbook_engine, COORDINATOR, as_of=AS_OF)
    due = {r.code for r in frame.itertuples() if any(t.code == "end_survey_due" for t in r.todos)}
    assert due == expected


def test_todo_rules():
    settings = get_settings()  # 21 days, group size 3–6
    base = dict(
        status="actief",
        quiet_days=21,
        month=5,
        has_newcomer=True,
        has_baseline=True,
        has_end=False,
        members=4,
        members_without_vog=0,
        settings=settings,
    )
    assert group_todos(**base) == []
    assert group_todos(**{**base, "quiet_days": 22}) == [Todo("no_meeting", {"days": 22})]
    assert group_todos(**{**base, "has_baseline": False}) == [Todo("baseline_missing")]
    assert group_todos(**{**base, "month": 12}) == [
        Todo("end_survey_due", {"month": 12, "of": 12, "unit": "months"})
    ]
    assert group_todos(**{**base, "month": 12, "has_end": True}) == []
    assert group_todos(**{**base, "members": 2, "members_without_vog": 1}) == [
        Todo("vog_missing", {"n": 1}),
        Todo("group_size", {"n": 2, "min": 3, "max": 6}),
    ]
    assert group_todos(**{**base, "status": "afgerond", "quiet_days": 400, "members": 1}) == []


def test_meeting_cadence_per_month(workbook_engine, workbook_path):
    meetings = pd.read_excel(workbook_path, sheet_name="bijeenkomsten")
    mine = meetings[
        (meetings["groep_code"] == "0599-020")
        & (meetings["datum"] >= "2025-12-01")
        & (meetings["datum"] <= "2026-11-15")
    ]
    expected = mine.groupby(mine["datum"].dt.strftime("%Y-%m")).size()
    group = _group(workbook_engine, "0599-020")
    cadence = meeting_cadence(workbook_engine, COORDINATOR, group.id, as_of=AS_OF)
    assert list(cadence["month"]) == ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
    assert dict(zip(cadence["month"], cadence["meetings"], strict=True)) == {
        m: int(expected.get(m, 0)) for m in cadence["month"]
    }
    assert cadence["minutes"].sum() == mine["duur_minuten"].sum()


def test_group_progress_puts_groups_with_todos_first_then_active_ones(workbook_engine):
    import datetime as dt

    from samenhier.queries.progress import group_progress
    from samenhier.scope import Scope

    frame = group_progress(workbook_engine, Scope.coordinator(), as_of=dt.date(2026, 11, 15))
    order = ["actief", "wacht op match", "training", "werving", "afgerond", "gestopt"]
    keys = [
        (-len(todos), order.index(status), code)
        for todos, status, code in zip(frame["todos"], frame["status"], frame["code"], strict=True)
    ]
    assert keys == sorted(keys)
    assert frame["status"].iloc[len([t for t in frame["todos"] if t])] in (
        "actief",
        "wacht op match",
        "training",
        "werving",
    )
