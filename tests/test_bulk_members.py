"""The bulk member edit of Beheer as a service: each changed row written on its own, with the version it
was shown with; an invalid, outdated or foreign row is reported and not written, the others are."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from samenhier.models import Member
from samenhier.scope import AccessDenied, Scope
from samenhier.services import records
from samenhier.services.bulk import RowEdit, update_members

ANNA = Scope.coordinator("anna")


def _group(engine, code):
    return records.create_group(
        engine,
        ANNA,
        values=dict(
            code=code,
            name=f"Groep {code}",
            municipality="Den Haag",
            variant="statushouders",
            status="werving",
            community_builder_id=None,
            signup_date=dt.date(2026, 1, 10),
            training_completed_date=None,
            notes="",
        ),
    ).id


def _member(engine, group_id, code, email):
    return records.create_member(
        engine,
        ANNA,
        values=dict(
            code=code,
            group_id=group_id,
            first_name="Kees",
            last_name=code,
            email=email,
            phone="06-12345678",
            role="lid",
            joined_date=dt.date(2026, 1, 10),
            vog_date=None,
        ),
    ).id


def _stored(engine, member_id):
    with Session(engine) as session:
        return session.exec(select(Member).where(Member.id == member_id)).one()


def test_each_row_is_saved_or_reported_on_its_own(engine):
    group = _group(engine, "T-001")
    good, bad, stale = (_member(engine, group, f"L-00{i}", f"lid{i}@voorbeeld.nl") for i in (1, 2, 3))
    stale_version = _stored(engine, stale).version
    records.update_member(
        engine, ANNA, member_id=stale, expected_version=stale_version, changes={"phone": "070-1234567"}
    )

    result = update_members(
        engine,
        ANNA,
        edits=[
            RowEdit(
                good, _stored(engine, good).version, {"vog_date": dt.date(2026, 3, 1)}, {"vog_date": None}
            ),
            RowEdit(
                bad, _stored(engine, bad).version, {"email": "geen-adres"}, {"email": "lid2@voorbeeld.nl"}
            ),
            RowEdit(stale, stale_version, {"email": "nieuw@voorbeeld.nl"}, {"email": "lid3@voorbeeld.nl"}),
        ],
    )

    assert result.saved == (good,)
    assert [(p.record_id, p.conflict) for p in result.problems] == [(bad, False), (stale, True)]
    assert [e.field for e in result.problems[0].errors] == ["email"]
    assert result.problems[1].messages("nl") == [
        "Dit record is intussen door iemand anders gewijzigd. De actuele gegevens staan nu op het scherm; controleer ze en "
        "probeer het opnieuw."
    ]
    assert _stored(engine, good).vog_date == dt.date(2026, 3, 1)
    assert _stored(engine, bad).email == "lid2@voorbeeld.nl"  # not written
    assert (
        _stored(engine, stale).email == "lid3@voorbeeld.nl" and _stored(engine, stale).phone == "070-1234567"
    )


def test_a_builder_may_not_bulk_edit(engine):
    member = _member(engine, _group(engine, "T-002"), "L-010", "lid10@voorbeeld.nl")
    builder = Scope.community_builder("nadia", 1)
    with pytest.raises(AccessDenied):
        update_members(
            engine,
            builder,
            edits=[RowEdit(member, _stored(engine, member).version, {"phone": "070-7654321"})],
        )
    assert _stored(engine, member).phone == "06-12345678"


def test_a_member_outside_a_municipal_coordinators_reach_refuses_the_whole_edit(engine):
    group = _group(engine, "T-003")  # in Den Haag
    first, second = (
        _member(engine, group, "L-011", "lid11@voorbeeld.nl"),
        _member(engine, group, "L-012", "lid12@voorbeeld.nl"),
    )
    rotterdam = records.create_group(
        engine,
        ANNA,
        values=dict(
            code="T-004",
            name="Groep Rotterdam",
            municipality="Rotterdam",
            variant="statushouders",
            status="werving",
            community_builder_id=None,
            signup_date=dt.date(2026, 1, 10),
            training_completed_date=None,
            notes="",
        ),
    ).id
    own = _member(engine, rotterdam, "L-013", "lid13@voorbeeld.nl")
    rob = Scope.coordinator("rob", municipalities=("Rotterdam",))
    with pytest.raises(AccessDenied):
        update_members(
            engine,
            rob,
            edits=[
                RowEdit(own, _stored(engine, own).version, {"phone": "010-7654321"}),
                RowEdit(first, _stored(engine, first).version, {"phone": "070-7654321"}),
            ],
        )
    assert [_stored(engine, m).phone for m in (own, first, second)] == ["06-12345678"] * 3  # nothing written
    result = update_members(
        engine, rob, edits=[RowEdit(own, _stored(engine, own).version, {"phone": "010-7654321"})]
    )
    assert result.saved == (own,) and _stored(engine, own).phone == "010-7654321"
