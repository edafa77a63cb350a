"""The four values the import used to accept while the forms refused them (issue 15 item 5, issue 20 item 1), each
through both paths: a malformed e-mail address or phone number, a 5,000-character name, more members present than
the group has, and a date in the future.

Both paths run on the store with the shared workbook imported (clock 2026-11-15, conftest). The import path
re-imports the workbook with one cell changed (frame index 3 = Excel row 5) and must name sheet, row, column and
reason and write nothing; the form path calls the service behind the form and must refuse the field and write
nothing. The expected group sizes are counted from the workbook with plain pandas.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from samenhier.io.workbook import ImportFailed, import_frames
from samenhier.models import WelcomeGroup
from samenhier.scope import Scope
from samenhier.services import meetings, records
from samenhier.services.common import ValidationFailed

pytestmark = pytest.mark.both_backends

COORDINATOR = Scope.coordinator("anna")
TOMORROW = dt.date(2026, 11, 16)  # SAMENHIER_TODAY is 2026-11-15


def group_id(engine, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup.id).where(WelcomeGroup.code == code)).one()


def refused_by_import(engine, frames, dump_tables, sheet: str, column: str, value) -> list[tuple]:
    """Re-import with ``sheet``'s Excel row 5, ``column`` set to ``value``: the problems as (sheet, row, column, code)."""
    frame = frames[sheet]
    frame[column] = frame[column].astype(object)
    frame.at[frame.index[3], column] = value
    before = dump_tables(engine)
    with pytest.raises(ImportFailed) as caught:
        import_frames(engine, frames, username="test")
    assert dump_tables(engine) == before  # nothing written
    return [(i.sheet, i.row, i.column, i.code) for i in caught.value.issues]


def refused_by_form(engine, dump_tables, call) -> list[tuple[str, str]]:
    """The form's service refuses: its errors as (field, code); nothing written."""
    before = dump_tables(engine)
    with pytest.raises(ValidationFailed) as caught:
        call()
    assert dump_tables(engine) == before
    return [(e.field, e.code) for e in caught.value.errors]


def member_values(engine, sheets, **overrides):
    values = dict(
        code="",
        group_id=group_id(engine, sheets["leden"].at[0, "groep_code"]),
        first_name="Kees",
        last_name="Peters",
        email="kees@voorbeeld.nl",
        phone="06-12345678",
        role="lid",
        joined_date=dt.date(2026, 1, 10),
        vog_date=None,
    )
    return {**values, **overrides}


def newcomer_values(**overrides):
    values = dict(
        code="",
        first_name="Amal",
        last_name="Al-Hakimi",
        municipality="Rotterdam",
        country_of_origin="Jemen",
        languages="Arabisch",
        household_size=3,
        arrival_date=dt.date(2025, 1, 5),
        permit_date=None,
        registration_date=dt.date(2025, 6, 1),
        status="wacht",
        email=None,
        phone=None,
    )
    return {**values, **overrides}


# -- 1. a malformed e-mail address or phone number


@pytest.mark.parametrize(
    ("column", "field", "value", "code"),
    [
        ("e-mail", "email", "geen-adres@", "email"),
        ("telefoon", "phone", "12345", "phone"),
    ],
)
def test_a_malformed_address_or_number(
    imported_engine, workbook_frames, workbook_sheets, dump_tables, column, field, value, code
):
    assert ("leden", 5, column, code) in refused_by_import(
        imported_engine, workbook_frames, dump_tables, "leden", column, value
    )
    values = member_values(imported_engine, workbook_sheets, **{field: value})
    assert refused_by_form(
        imported_engine,
        dump_tables,
        lambda: records.create_member(imported_engine, COORDINATOR, values=values),
    ) == [(field, code)]


# -- 2. a 5,000-character name


def test_a_five_thousand_character_name(imported_engine, workbook_frames, dump_tables):
    name = "x" * 5000
    found = refused_by_import(imported_engine, workbook_frames, dump_tables, "nieuwkomers", "voornaam", name)
    assert ("nieuwkomers", 5, "voornaam", "too_long") in found
    assert refused_by_form(
        imported_engine,
        dump_tables,
        lambda: records.create_newcomer(
            imported_engine, COORDINATOR, values=newcomer_values(first_name=name)
        ),
    ) == [("first_name", "too_long")]


# -- 3. more members present than the group has


def test_more_members_present_than_the_group_has(
    imported_engine, workbook_frames, workbook_sheets, dump_tables
):
    meeting = workbook_sheets["bijeenkomsten"].iloc[3]
    size = int((workbook_sheets["leden"]["groep_code"] == meeting["groep_code"]).sum())
    assert size > 0
    found = refused_by_import(
        imported_engine, workbook_frames, dump_tables, "bijeenkomsten", "aanwezig_leden", size + 1
    )
    assert found == [("bijeenkomsten", 5, "aanwezig_leden", "consistency")]

    def log():
        return meetings.log_meeting(
            imported_engine,
            COORDINATOR,
            group_id=group_id(imported_engine, meeting["groep_code"]),
            date=meeting["datum"].date(),
            kind=meeting["soort"],
            duration_minutes=60,
            members_present=size + 1,
            newcomers_present=0,
            confirm_duplicate=True,
        )

    errors = refused_by_form(imported_engine, dump_tables, log)
    assert errors == [("members_present", "meetings.members_range")]


# -- 4. a date in the future


def test_a_date_in_the_future(imported_engine, workbook_frames, workbook_sheets, dump_tables):
    found = refused_by_import(
        imported_engine, workbook_frames, dump_tables, "leden", "lid_sinds", "16-11-2026"
    )
    assert ("leden", 5, "lid_sinds", "future_date") in found
    values = member_values(imported_engine, workbook_sheets, joined_date=TOMORROW)
    assert refused_by_form(
        imported_engine,
        dump_tables,
        lambda: records.create_member(imported_engine, COORDINATOR, values=values),
    ) == [("joined_date", "future_date")]


def test_a_meeting_in_the_future(imported_engine, workbook_frames, workbook_sheets, dump_tables):
    found = refused_by_import(
        imported_engine, workbook_frames, dump_tables, "bijeenkomsten", "datum", TOMORROW.isoformat()
    )
    assert ("bijeenkomsten", 5, "datum", "future_date") in found
    meeting = workbook_sheets["bijeenkomsten"].iloc[3]
    errors = refused_by_form(
        imported_engine,
        dump_tables,
        lambda: meetings.log_meeting(
            imported_engine,
            COORDINATOR,
            group_id=group_id(imported_engine, meeting["groep_code"]),
            date=TOMORROW,
            kind=meeting["soort"],
            duration_minutes=60,
            members_present=1,
            newcomers_present=0,
        ),
    )
    assert errors == [("date", "meetings.date_in_future")]
