"""Privacy (AVG/GDPR): subject-access export, erasure on request, retention, minimal display and the
shareable report. Expected values are worked out in the tests from the workbook (plain pandas) or by
hand in a comment; the clock is fixed at 2026-11-15 (conftest)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import cli_env, run_cli
from dateutil.relativedelta import relativedelta
from openpyxl import load_workbook
from sqlalchemy import text
from sqlmodel import Session, select

from samenhier import i18n
from samenhier.io import subject_access
from samenhier.io.workbook import import_paths
from samenhier.models import AuditEvent, Match, Member, Newcomer
from samenhier.privacy import (
    ERASED,
    PersonMatcher,
    erased_values,
    initials,
    retention_due_date,
    suppress_count,
    suppress_statistic,
)
from samenhier.queries import groups as group_queries
from samenhier.queries import privacy as privacy_queries
from samenhier.queries.report import headline_report
from samenhier.scope import AccessDenied, Scope
from samenhier.services import matches, meetings, privacy, progress, records
from samenhier.services.common import ValidationFailed, VersionConflict

AS_OF = dt.date(2026, 11, 15)
ANNA = Scope.coordinator("anna")
CITIES = {
    "den haag": "Den Haag",
    "'s-gravenhage": "Den Haag",
    "almere": "Almere",
    "haarlem": "Haarlem",
    "rotterdam": "Rotterdam",
}
AYSE = "N0059"  # Ayşe Kaya: the one newcomer whose first and last name occur nowhere else in the workbook
KEES = "L0001"  # Kees Peters, contact person of 0518-001


# ------------------------------------------------------------------------------------------- helpers


def day(value) -> dt.date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def word(value) -> str:
    return " ".join(str(value).replace("-", " ").split()).lower()


def cell(value):
    """A workbook cell as stored: text trimmed, blanks None."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return str(value).strip() if isinstance(value, str) else value


def person_id(engine, model, code: str) -> int:
    with Session(engine) as session:
        return session.exec(select(model.id).where(model.code == code)).one()


def group_id(engine, code: str) -> int:
    return group_queries.group_id_for_code(engine, ANNA, code)


def db_bytes(engine) -> bytes:
    """The SQLite file and its write-ahead log, as they are on disk."""
    path = Path(engine.url.database)
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def text_cells(engine) -> list[str]:
    """Every text value in every table (read with plain SQL)."""
    with engine.connect() as c:
        tables = [
            r[0]
            for r in c.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            )
        ]
        values = []
        for table in tables:
            for row in c.exec_driver_sql(f'SELECT * FROM "{table}"'):
                values += [v for v in row if isinstance(v, str)]
    return values


def version_of(engine, model, record_id: int) -> int:
    with Session(engine) as session:
        return session.get(model, record_id).version


# ------------------------------------------------------------------------------------------- rules


def test_erased_values_replace_names_and_contact_details_only():
    assert erased_values("member") == {"first_name": ERASED, "last_name": "", "email": None, "phone": None}
    assert erased_values("newcomer") == {
        "first_name": ERASED,
        "last_name": "",
        "email": None,
        "phone": None,
        "country_of_origin": "",
        "languages": "",
    }


@pytest.mark.parametrize(
    ("note", "names"),
    [
        ("Ayşe kwam met haar dochter", True),
        ("AYSE belde af", True),  # case and accents do not matter
        ("gesprek met mevrouw Kaya", True),
        ("Kayak-tocht op de Maas", False),  # inside another word
        ("bel 06-12345678 na vijven", True),
        ("bel 0612345678 na vijven", True),  # the same number without separators
        ("mail ayse.kaya@voorbeeld.nl", True),
        ("samen gekookt", False),
        ("", False),
    ],
)
def test_matcher_finds_a_person_named_in_free_text(note, names):
    matcher = PersonMatcher.for_values(["Ayşe", "Kaya", "ayse.kaya@voorbeeld.nl", "06-12345678", None, ""])
    assert matcher.names(note) is names


def test_one_matcher_for_many_people_says_whose_name_a_text_holds():
    ayse = PersonMatcher.for_values(["Ayşe", "Kaya"], owner="N0059")
    kees = PersonMatcher.for_values(["Kees", "Kaya"], owner="L0001")  # two people named Kaya
    both = PersonMatcher.union([ayse, kees])
    assert both.owners("Ayşe en Kees kookten") == {"N0059", "L0001"}
    assert both.owners({"note": ["familie Kaya"], "n": 1}) == {"N0059", "L0001"}
    assert both.owners("Kees belde") == {"L0001"} and both.owners("samen gekookt") == set()


def test_matcher_scrubs_nested_values_and_ignores_the_erased_marker():
    matcher = PersonMatcher.for_values(["Kees", "Peters", ERASED, "x"])  # "x" is too short to look for
    assert matcher.phrases == {("kees",), ("peters",)}
    assert matcher.scrub({"note": ["Kees jarig", "taaloefening"], "n": 3, "x": "x"}) == {
        "note": [ERASED, "taaloefening"],
        "n": 3,
        "x": "x",
    }


@pytest.mark.parametrize(
    ("first", "last", "expected"),
    [
        ("Khaled", "Hamdan", "K. H."),
        ("Daan", "van der Berg", "D. B."),
        ("Amal", "Al-Hakimi", "A. H."),
        ("Anna", "", "A."),
        (ERASED, "", ERASED),
    ],
)
def test_initials(first, last, expected):
    assert initials(first, last) == expected


@pytest.mark.parametrize(
    ("last", "months", "due"),
    [
        (dt.date(2024, 11, 15), 24, dt.date(2026, 11, 15)),
        (dt.date(2024, 8, 31), 3, dt.date(2024, 11, 30)),  # no 31 November: the month's last day
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
    ],
)
def test_retention_due_date(last, months, due):
    assert retention_due_date(last, months) == due


def test_suppression_of_small_numbers():
    assert [suppress_count(n, 5) for n in (0, 1, 4, 5, None)] == [0, None, None, 5, None]
    assert suppress_statistic(198.5, 4, 5) is None and suppress_statistic(198.5, 5, 5) == 198.5


# ------------------------------------------------------------------------------- subject-access export


def others_identifiers(sheets, code: str) -> set[str]:
    """Full names, e-mail addresses and phone numbers of everyone but ``code`` (and not shared with them)."""
    people = []
    for sheet, code_column in (("nieuwkomers", "nieuwkomer_code"), ("leden", "lid_code")):
        frame = sheets[sheet]
        for row in frame.itertuples(index=False):
            row = row._asdict()
            people.append(
                (
                    row[code_column],
                    [
                        f"{cell(row['voornaam'])} {cell(row['achternaam'])}",
                        cell(row["e_mail"]),
                        cell(row["telefoon"]),
                    ],
                )
            )
    own = {v for c, values in people if c == code for v in values if v}
    return {v for c, values in people if c != code for v in values if v and v not in own}


@pytest.fixture(scope="module")
def sheets(workbook_path):
    frames = pd.read_excel(workbook_path, sheet_name=None, dtype=object)
    frames = {name: f.dropna(how="all") for name, f in frames.items()}
    for frame in frames.values():
        frame.columns = [c.replace("-", "_") for c in frame.columns]
    return frames


def test_export_of_a_newcomer_holds_exactly_their_record_matches_and_answers(imported_engine, sheets):
    newcomer_id = person_id(imported_engine, Newcomer, AYSE)
    export = privacy.export_person(imported_engine, ANNA, kind="newcomer", person_id=newcomer_id)
    row = sheets["nieuwkomers"].set_index("nieuwkomer_code").loc[AYSE]
    assert export.sections["person"] == [
        {
            "code": AYSE,
            "first_name": cell(row["voornaam"]),
            "last_name": cell(row["achternaam"]),
            "municipality": CITIES[word(row["gemeente"])],
            "country_of_origin": cell(row["land_van_herkomst"]),
            "languages": cell(row["talen"]),
            "household_size": int(row["huishoudgrootte"]),
            "arrival_date": day(row["in_nederland_sinds"]).isoformat(),
            "permit_date": day(row["verblijfsvergunning_sinds"]).isoformat(),
            "registration_date": day(row["aangemeld_op"]).isoformat(),
            "status": word(row["status"]),
            "email": cell(row["e_mail"]),
            "phone": cell(row["telefoon"]),
            "archived": False,
            "erased": False,
        }
    ]
    expected_matches = sheets["koppelingen"][sheets["koppelingen"]["nieuwkomer_code"] == AYSE]
    group_names = sheets["groepen"].set_index("groep_code")["naam"]
    assert export.sections["matches"] == [
        {
            "group_code": m["groep_code"],
            "group_name": group_names[m["groep_code"]],
            "proposed_date": day(m["voorgesteld_op"]).isoformat(),
            "started_date": day(m["gestart_op"]) and day(m["gestart_op"]).isoformat(),
            "ended_date": day(m["beeindigd_op"]) and day(m["beeindigd_op"]).isoformat(),
            "status": word(m["status"]),
            "end_reason": cell(m["reden_einde"]) or "",
        }
        for _, m in expected_matches.iterrows()
    ]
    answers = sheets["enquetes"][sheets["enquetes"]["respondent_code"] == AYSE].sort_values("datum")
    assert [
        (r["wave"], r["date"], r["emptiness"], r["feel_at_home"]) for r in export.sections["survey_responses"]
    ] == [
        (
            word(a["meting"]),
            day(a["datum"]).isoformat(),
            a["leegte"] if pd.isna(a["leegte"]) else word(a["leegte"]),
            int(a["thuis_voelen"]),
        )
        for _, a in answers.iterrows()
    ]
    assert (
        export.sections["notes"] == [] and export.sections["audit_events"] == []
    )  # the workbook names nobody in notes
    # Nobody else's name, e-mail address or phone number is in the export.
    document = subject_access.to_json(export).decode("utf-8")
    assert [v for v in others_identifiers(sheets, AYSE) if v in document] == []


def test_export_of_a_member_holds_their_group_record_and_answers(imported_engine, sheets):
    member_id = person_id(imported_engine, Member, KEES)
    export = privacy.export_person(imported_engine, ANNA, kind="member", person_id=member_id)
    row = sheets["leden"].set_index("lid_code").loc[KEES]
    person = export.sections["person"][0]
    assert (
        person["group_code"],
        person["first_name"],
        person["last_name"],
        person["email"],
        person["phone"],
        person["role"],
    ) == (
        row["groep_code"],
        row["voornaam"],
        row["achternaam"],
        row["e_mail"],
        row["telefoon"],
        word(row["rol"]),
    )
    answered = sheets["enquetes"][sheets["enquetes"]["respondent_code"] == KEES]
    assert sorted(r["wave"] for r in export.sections["survey_responses"]) == sorted(
        word(w) for w in answered["meting"]
    )
    assert export.sections["matches"] == []
    document = subject_access.to_json(export).decode("utf-8")
    assert [v for v in others_identifiers(sheets, KEES) if v in document] == []


def test_export_includes_notes_and_audit_events_that_name_the_person_and_is_audited_without_values(
    imported_engine,
):
    kees = person_id(imported_engine, Member, KEES)
    group = group_id(imported_engine, "0518-001")
    progress.add_check_in(
        imported_engine, ANNA, group_id=group, date=AS_OF, assessment="enkele zorgen", text="Kees wil stoppen"
    )
    progress.add_check_in(
        imported_engine, ANNA, group_id=group, date=AS_OF, assessment="goed", text="samen gekookt"
    )
    records.update_member(
        imported_engine, ANNA, member_id=kees, expected_version=1, changes={"phone": "06-11112222"}
    )
    export = privacy.export_person(imported_engine, ANNA, kind="member", person_id=kees)
    assert [(n["source"], n["group_code"], n["text"]) for n in export.sections["notes"]] == [
        ("progress_note", "0518-001", "Kees wil stoppen")
    ]
    events = export.sections["audit_events"]
    # the check-in that names him and the phone change on his record; not the other check-in
    assert [(e["action"], e["table_name"]) for e in events] == [
        ("create", "progress_note"),
        ("update", "member"),
    ]
    assert events[1]["changes"] == {"phone": ["06-01720368", "06-11112222"]}
    with Session(imported_engine) as session:
        last = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.action, last.table_name, last.record_code, last.changes) == ("export", "member", KEES, "{}")


def test_export_files_json_and_excel(imported_engine):
    newcomer_id = person_id(imported_engine, Newcomer, AYSE)
    group = group_id(imported_engine, "0599-015")  # Ayşe's group
    formula = '=HYPERLINK("http://voorbeeld.invalid","Ayşe")'
    meetings.log_meeting(
        imported_engine,
        ANNA,
        group_id=group,
        date=AS_OF,
        kind="online",
        duration_minutes=30,
        members_present=1,
        newcomers_present=1,
        note=formula,
    )
    export = privacy.export_person(imported_engine, ANNA, kind="newcomer", person_id=newcomer_id)
    document = json.loads(subject_access.to_json(export))
    assert (document["format"], document["kind"], document["code"]) == (
        "samenhier-inzage-1",
        "newcomer",
        AYSE,
    )
    assert document["person"][0]["first_name"] == "Ayşe"  # UTF-8, not \u escapes only
    assert (
        subject_access.file_name(export, "json")
        == f"inzage-{AYSE}-{export.created_at.date().isoformat()}.json"
    )
    for lang in i18n.LANGUAGES:
        book = load_workbook(io.BytesIO(subject_access.to_xlsx(export, lang)))
        titles = [
            i18n.t(f"privacy.section.{s}", lang)
            for s in ("about", "person", "matches", "survey_responses", "notes", "audit_events")
        ]
        assert book.sheetnames == titles  # the meeting's audit event names her too
        person = book[titles[1]]
        header = [c.value for c in person[1]]
        assert header[:3] == [
            i18n.t("privacy.col.code", lang),
            i18n.t("privacy.col.first_name", lang),
            i18n.t("privacy.col.last_name", lang),
        ]
        assert not any(
            str(h).startswith("privacy.")
            for sheet in book.worksheets
            for h in next(sheet.iter_rows(values_only=True))
        )
        assert [c.value for c in person[2]][:3] == [AYSE, "Ayşe", "Kaya"]
        note = book[titles[4]]["D2"]
        assert (note.value, note.data_type) == (formula, "s")  # shown as text, never run as a formula


def test_export_and_erasure_are_for_coordinators_only(imported_engine, dump_tables):
    builder = Scope.community_builder("samira", 1)
    newcomer_id = person_id(imported_engine, Newcomer, AYSE)
    before = dump_tables(imported_engine)
    with pytest.raises(AccessDenied):
        privacy.export_person(imported_engine, builder, kind="newcomer", person_id=newcomer_id)
    with pytest.raises(AccessDenied):
        privacy.erase_person(
            imported_engine,
            builder,
            kind="newcomer",
            person_id=newcomer_id,
            expected_version=1,
            confirm_code=AYSE,
        )
    with pytest.raises(AccessDenied):
        privacy.anonymise_past_retention(imported_engine, builder, as_of=AS_OF, confirm=True)
    with pytest.raises(AccessDenied):
        privacy_queries.retention_due(imported_engine, builder, as_of=AS_OF)
    with pytest.raises(AccessDenied):
        privacy_queries.people(imported_engine, builder, kind="member")
    assert dump_tables(imported_engine) == before


# ------------------------------------------------------------------------------------------- erasure


@pytest.fixture
def planted(imported_engine):
    """The workbook store plus free text and audit values that name Ayşe Kaya and Kees Peters (written
    through the services, so the WAL holds them too), and notes that name nobody."""
    engine = imported_engine
    ayse_group, kees_group = group_id(engine, "0599-015"), group_id(engine, "0518-001")
    meetings.log_meeting(
        engine,
        ANNA,
        group_id=ayse_group,
        date=AS_OF,
        kind="online",
        duration_minutes=45,
        members_present=2,
        newcomers_present=1,
        note="Ayşe vertelde over haar werk",
    )
    meetings.log_meeting(
        engine,
        ANNA,
        group_id=ayse_group,
        date=AS_OF - dt.timedelta(days=1),
        kind="online",
        duration_minutes=45,
        members_present=2,
        newcomers_present=1,
        note="samen gekookt",
    )
    progress.add_check_in(
        engine, ANNA, group_id=kees_group, date=AS_OF, assessment="goed", text="Kees regelt de VOG's"
    )
    kees = person_id(engine, Member, KEES)
    records.update_member(engine, ANNA, member_id=kees, expected_version=1, changes={"phone": "06-11112222"})
    with Session(engine) as session:
        version = session.exec(select(Member.version).where(Member.id == kees)).one()
    ayse_group_record = group_queries.group_detail(engine, ANNA, "0599-015").group
    records.update_group(
        engine,
        ANNA,
        group_id=ayse_group,
        expected_version=1,
        changes={"notes": f"{ayse_group_record['notes']}; familie Kaya"},
    )
    return engine, version


def test_erasing_a_newcomer_removes_their_identifying_values_from_the_database_file(
    planted, sheets, dump_tables
):
    engine, _ = planted
    row = sheets["nieuwkomers"].set_index("nieuwkomer_code").loc[AYSE]
    values = [cell(row["voornaam"]), cell(row["achternaam"]), cell(row["e_mail"]), cell(row["telefoon"])]
    assert all(v.encode() in db_bytes(engine) for v in values)  # there to begin with (file or WAL)
    report_before = headline_report(engine, AS_OF)
    before = dump_tables(engine)
    newcomer_id = person_id(engine, Newcomer, AYSE)
    erasure = privacy.erase_person(
        engine, ANNA, kind="newcomer", person_id=newcomer_id, expected_version=1, confirm_code="n0059"
    )
    assert erasure.fields == ("first_name", "last_name", "email", "phone", "country_of_origin", "languages")
    assert erasure.notes_cleared == {
        "meeting": 1,
        "welcome_group": 1,
    }  # her match is running: no end reason yet
    assert erasure.audit_events_scrubbed == 2  # the meeting's and the group note's events
    # Her first and last name occur nowhere else in the workbook; her e-mail and phone are hers alone.
    data = db_bytes(engine)
    assert [v for v in values if v.encode("utf-8") in data] == []
    assert not any(v in c for v in values for c in text_cells(engine))
    assert headline_report(engine, AS_OF) == report_before
    after = dump_tables(engine)
    changed = {t for t in before if before[t] != after[t]}
    assert changed == {
        "newcomer",
        "meeting",
        "welcome_group",
        "audit_event",
        "erasure_register",
    }  # matches, surveys, members untouched


def test_erasure_changes_exactly_the_identifying_fields_and_notes_naming_the_person(planted, dump_tables):
    engine, version = planted
    kees = person_id(engine, Member, KEES)
    with Session(engine) as session:
        record_before = session.get(Member, kees).model_dump()
    before = dump_tables(engine)
    privacy.erase_person(
        engine, ANNA, kind="member", person_id=kees, expected_version=version, confirm_code=KEES
    )
    with Session(engine) as session:
        record_after = session.get(Member, kees).model_dump()
        notes = {(n.text) for n in session.exec(select(progress.ProgressNote))}
    assert {
        k: (record_before[k], record_after[k]) for k in record_before if record_before[k] != record_after[k]
    } == {
        "first_name": ("Kees", ERASED),
        "last_name": ("Peters", ""),
        "email": ("kees.peters1@voorbeeld.nl", None),
        "phone": ("06-11112222", None),
        "erased": (False, True),
        "version": (version, version + 1),
    }
    assert notes == {""}  # his check-in named him
    after = dump_tables(engine)
    assert {t for t in before if before[t] != after[t]} == {
        "member",
        "progress_note",
        "audit_event",
        "erasure_register",
    }
    # Every other member row is as it was.
    assert [r for r in before["member"] if r[0] != kees] == [r for r in after["member"] if r[0] != kees]
    # Other people named Kees or Peters keep their names: the count of cells holding them drops by his.
    for name in ("Kees", "Peters"):
        assert sum(c == name for c in text_cells(engine)) == sum(
            r[3] == name or r[4] == name for r in before["member"] if r[0] != kees
        ) + sum(r[2] == name or r[3] == name for r in before["newcomer"])
    assert b"kees.peters1@voorbeeld.nl" not in db_bytes(engine)
    assert b"06-01720368" not in db_bytes(engine) and b"06-11112222" not in db_bytes(engine)


def test_erasure_scrubs_earlier_audit_events_and_records_itself_without_values(planted):
    engine, version = planted
    kees = person_id(engine, Member, KEES)
    privacy.erase_person(
        engine, ANNA, kind="member", person_id=kees, expected_version=version, confirm_code=KEES
    )
    with Session(engine) as session:
        events = list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))
    phone_change = next(e for e in events if e.table_name == "member" and e.action == "update")
    assert json.loads(phone_change.changes) == {"phone": [ERASED, ERASED]}
    check_in = next(e for e in events if e.table_name == "progress_note")
    assert json.loads(check_in.changes)["text"] == [None, ERASED]
    erase = events[-1]
    assert (erase.username, erase.action, erase.table_name, erase.record_id, erase.record_code) == (
        "anna",
        "erase",
        "member",
        kees,
        KEES,
    )
    assert json.loads(erase.changes) == {
        "fields": "first_name, last_name, email, phone",
        "reason": "request",
        "notes_cleared": {"progress_note": 1},
        "audit_events_scrubbed": 2,
    }
    assert not any(v in erase.changes for v in ("Kees", "Peters", "06-", "@"))


def test_report_unchanged_after_erasure_on_the_command_line(imported_engine):
    path = Path(imported_engine.url.database)
    env = cli_env(path)
    report = run_cli("report", "--as-of", AS_OF.isoformat(), "--format", "json", env=env)
    newcomer_id = person_id(imported_engine, Newcomer, AYSE)
    privacy.erase_person(
        imported_engine, ANNA, kind="newcomer", person_id=newcomer_id, expected_version=1, confirm_code=AYSE
    )
    again = run_cli("report", "--as-of", AS_OF.isoformat(), "--format", "json", env=env)
    assert report.returncode == again.returncode == 0
    assert again.stdout == report.stdout and json.loads(report.stdout)["counts"]["nieuwkomers"] == 98


def test_erasure_needs_the_code_typed_and_writes_nothing_otherwise(imported_engine, dump_tables):
    newcomer_id = person_id(imported_engine, Newcomer, AYSE)
    before = dump_tables(imported_engine)
    with pytest.raises(ValidationFailed) as failed:
        privacy.erase_person(
            imported_engine,
            ANNA,
            kind="newcomer",
            person_id=newcomer_id,
            expected_version=1,
            confirm_code="N0058",
        )
    assert [(e.field, e.message("nl")) for e in failed.value.errors] == [
        ("confirm_code", "Typ precies de code N0059 om te bevestigen.")
    ]
    with pytest.raises(VersionConflict):
        privacy.erase_person(
            imported_engine,
            ANNA,
            kind="newcomer",
            person_id=newcomer_id,
            expected_version=7,
            confirm_code=AYSE,
        )
    assert dump_tables(imported_engine) == before


def test_an_erased_person_cannot_be_erased_again_edited_or_refilled_by_an_import(
    imported_engine, workbook_path, dump_tables
):
    newcomer_id = person_id(imported_engine, Newcomer, AYSE)
    privacy.erase_person(
        imported_engine, ANNA, kind="newcomer", person_id=newcomer_id, expected_version=1, confirm_code=AYSE
    )
    before = dump_tables(imported_engine)
    with pytest.raises(ValidationFailed) as failed:
        privacy.erase_person(
            imported_engine,
            ANNA,
            kind="newcomer",
            person_id=newcomer_id,
            expected_version=2,
            confirm_code=AYSE,
        )
    assert [e.code for e in failed.value.errors] == ["erased"]
    with pytest.raises(ValidationFailed) as failed:
        records.update_newcomer(
            imported_engine, ANNA, newcomer_id=newcomer_id, expected_version=2, changes={"first_name": "Ayşe"}
        )
    assert [e.field for e in failed.value.errors] == ["erased"]
    assert dump_tables(imported_engine) == before
    result = import_paths(
        imported_engine, [workbook_path], username="test"
    )  # the original workbook still has her row
    assert {s.sheet: s.new + s.changed for s in result.sheets}["nieuwkomers"] == 0
    with Session(imported_engine) as session:
        assert session.get(Newcomer, newcomer_id).first_name == ERASED


def test_erased_people_are_not_offered_for_survey_entry(imported_engine):
    from samenhier.queries.surveys import respondents

    newcomer_id = person_id(imported_engine, Newcomer, AYSE)
    group = group_id(imported_engine, "0599-015")
    assert AYSE in set(respondents(imported_engine, ANNA, group)["code"])
    privacy.erase_person(
        imported_engine, ANNA, kind="newcomer", person_id=newcomer_id, expected_version=1, confirm_code=AYSE
    )
    assert AYSE not in set(respondents(imported_engine, ANNA, group)["code"])


def test_the_database_overwrites_deleted_content(engine):
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA secure_delete").scalar_one() == 1


# ------------------------------------------------------------------------------------------- retention


def expected_past_retention(sheets, months: int = 24) -> set[tuple[str, str]]:
    """The retention rule (samenhier/queries/privacy.py docstring) applied to the workbook with pandas."""
    k, e, b, g = sheets["koppelingen"], sheets["enquetes"], sheets["bijeenkomsten"], sheets["groepen"]
    due = set()

    def past(dates) -> bool:
        return max(d for d in dates if d is not None) + relativedelta(months=months) <= AS_OF

    for _, n in sheets["nieuwkomers"].iterrows():
        code = n["nieuwkomer_code"]
        mine = k[k["nieuwkomer_code"] == code]
        if word(n["status"]) == "wacht" or mine["status"].map(word).isin(["actief", "voorgesteld"]).any():
            continue
        dates = [day(n["aangemeld_op"])] + [
            day(v) for c in ("voorgesteld_op", "gestart_op", "beeindigd_op") for v in mine[c]
        ]
        dates += [day(v) for v in e.loc[e["respondent_code"] == code, "datum"]]
        if past(dates):
            due.add(("newcomer", code))
    finished = {
        row["groep_code"] for _, row in g.iterrows() if word(row["status"]) in ("afgerond", "gestopt")
    }
    for _, m in sheets["leden"].iterrows():
        code, group = m["lid_code"], m["groep_code"]
        if group not in finished:
            continue
        group_matches = k[k["groep_code"] == group]
        dates = [day(m["lid_sinds"]), day(m["vog_datum"])]
        dates += [day(v) for v in e.loc[e["respondent_code"] == code, "datum"]]
        dates += [day(v) for c in ("voorgesteld_op", "gestart_op", "beeindigd_op") for v in group_matches[c]]
        dates += [day(v) for v in b.loc[b["groep_code"] == group, "datum"]]
        if past(dates):
            due.add(("member", code))
    return due


def test_retention_list_follows_the_rule_on_the_workbook(imported_engine, sheets):
    due = privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF)
    assert set(zip(due["kind"], due["code"], strict=True)) == expected_past_retention(sheets)
    assert (due["due_date"] <= AS_OF).all() and list(due["due_date"]) == sorted(due["due_date"])
    assert all(
        d == retention_due_date(a, 24) for a, d in zip(due["last_activity"], due["due_date"], strict=True)
    )


def test_retention_setting_changes_the_list(imported_engine, sheets, monkeypatch):
    monkeypatch.setenv("SAMENHIER_RETENTION_MONTHS", "48")
    privacy_queries.get_settings.cache_clear()
    due = privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF)
    assert set(zip(due["kind"], due["code"], strict=True)) == expected_past_retention(sheets, months=48)
    assert len(due) < len(expected_past_retention(sheets))


def test_a_change_to_the_record_counts_as_activity_but_an_export_does_not(imported_engine):
    due = privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF)
    kind, code, person = due.iloc[0][["kind", "code", "person_id"]]
    privacy.export_person(imported_engine, ANNA, kind=kind, person_id=int(person))
    assert code in set(privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF)["code"])
    update = records.update_newcomer if kind == "newcomer" else records.update_member
    update(
        imported_engine,
        ANNA,
        **{f"{kind}_id": int(person)},
        expected_version=1,
        changes={"phone": "06-11112222"},
    )
    assert code not in set(privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF)["code"])


def test_a_member_who_left_a_running_group_is_judged_by_their_own_dates(imported_engine):
    # A member of an active group is listed only once they left it (archived), and then by their own
    # dates (joined, VOG, surveys), not by the group's recent meetings.
    due = privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF)
    active = group_queries.group_overview(imported_engine, ANNA, as_of=AS_OF)
    active_group = active[active["status"] == "actief"].iloc[0]["group_id"]
    with Session(imported_engine) as session:
        member = session.exec(
            select(Member).where(Member.group_id == int(active_group)).order_by(Member.id)
        ).first()
        member_id, code = member.id, member.code
    assert code not in set(due["code"])
    with imported_engine.begin() as c:  # left long ago, without an audit event (as after an import)
        c.execute(
            text("UPDATE member SET archived = 1, vog_date = NULL, joined_date = '2020-01-01' WHERE id = :i"),
            {"i": member_id},
        )
        c.execute(text("DELETE FROM survey_response WHERE member_id = :i"), {"i": member_id})
    due = privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF)
    row = due[due["code"] == code].iloc[0]
    assert (row["last_activity"], row["due_date"]) == (dt.date(2020, 1, 1), dt.date(2022, 1, 1))


def test_anonymising_needs_confirmation_then_erases_everyone_listed_in_one_go(
    imported_engine, sheets, dump_tables
):
    report_before = headline_report(imported_engine, AS_OF)
    before = dump_tables(imported_engine)
    with pytest.raises(ValidationFailed) as failed:
        privacy.anonymise_past_retention(imported_engine, ANNA, as_of=AS_OF, confirm=False)
    assert [e.code for e in failed.value.errors] == ["retention_confirm"]
    assert dump_tables(imported_engine) == before
    done = privacy.anonymise_past_retention(imported_engine, ANNA, as_of=AS_OF, confirm=True)
    assert {(e.kind, e.code) for e in done} == expected_past_retention(sheets)
    assert privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF).empty
    assert headline_report(imported_engine, AS_OF) == report_before
    erased = privacy_queries.erased_counts(imported_engine, ANNA)
    expected = expected_past_retention(sheets)
    assert erased == {
        "newcomer": sum(k == "newcomer" for k, _ in expected),
        "member": sum(k == "member" for k, _ in expected),
    }
    with Session(imported_engine) as session:
        reasons = [
            json.loads(e.changes)["reason"]
            for e in session.exec(select(AuditEvent).where(AuditEvent.action == "erase"))
        ]
    assert reasons == ["retention"] * len(expected)


def test_anonymising_only_the_people_confirmed(imported_engine):
    due = privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF)
    chosen = list(zip(due["kind"], due["person_id"], strict=True))[:2]
    not_due = ("newcomer", person_id(imported_engine, Newcomer, AYSE))  # her match is running
    done = privacy.anonymise_past_retention(
        imported_engine, ANNA, as_of=AS_OF, confirm=True, people=[*chosen, not_due]
    )
    assert [(e.kind, e.person_id) for e in done] == [(k, int(i)) for k, i in chosen]
    assert len(privacy_queries.retention_due(imported_engine, ANNA, as_of=AS_OF)) == len(due) - 2


def test_retention_on_the_command_line(imported_engine, sheets):
    path = Path(imported_engine.url.database)
    env = cli_env(path)
    expected = expected_past_retention(sheets)
    listed = run_cli("retention", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(
        f"{len(expected)} personen over de bewaartermijn (24 maanden) op 15 november 2026"
    )
    assert {line.split()[1] for line in lines[1:]} == {code for _, code in expected}
    names = {cell(v) for sheet in ("nieuwkomers", "leden") for v in sheets[sheet]["achternaam"]}
    assert not any(
        name in listed.stdout for name in names
    )  # codes only: terminal output ends up in mails and logs
    refused = run_cli("retention", "--apply", env=env)
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert privacy_queries.erased_counts(imported_engine, ANNA) == {"newcomer": 0, "member": 0}
    applied = run_cli("retention", "--apply", "--yes", env=env)
    assert applied.returncode == 0, applied.stderr
    assert applied.stdout.splitlines()[-1] == f"{len(expected)} personen geanonimiseerd."
    assert sum(privacy_queries.erased_counts(imported_engine, ANNA).values()) == len(expected)
    assert run_cli("retention", env=env).stdout.startswith("0 personen")


# ------------------------------------------------------------------------------- minimal display


def test_a_builder_sees_a_declined_proposals_newcomer_by_initials_only(imported_engine):
    with imported_engine.connect() as c:
        builder_id, group_code, group = c.execute(
            text(
                "SELECT community_builder_id, code, id FROM welcome_group WHERE status = 'wacht op match' AND community_builder_id IS NOT NULL "
                "ORDER BY code LIMIT 1"
            )
        ).one()
        municipality = c.execute(
            text("SELECT municipality_id FROM welcome_group WHERE id = :g"), {"g": group}
        ).scalar_one()
        newcomer, first, last = c.execute(
            text(
                "SELECT id, first_name, last_name FROM newcomer WHERE status = 'wacht' AND municipality_id = :m ORDER BY code LIMIT 1"
            ),
            {"m": municipality},
        ).one()
    match = matches.propose_match(
        imported_engine,
        ANNA,
        newcomer_id=newcomer,
        group_id=group,
        proposed_date=AS_OF,
        confirm_past_eligibility=True,
    )
    builder = Scope.community_builder("cb", builder_id)
    proposed = group_queries.group_detail(imported_engine, builder, group_code).matches
    assert (proposed.iloc[0]["first_name"], proposed.iloc[0]["last_name"]) == (
        first,
        last,
    )  # proposed to their group: theirs
    with Session(imported_engine) as session:
        version = session.get(Match, match).version
    matches.decline_match(
        imported_engine,
        builder,
        match_id=match,
        declined_date=AS_OF,
        reason="past niet",
        expected_version=version,
    )
    declined = group_queries.group_detail(imported_engine, builder, group_code).matches.iloc[0]
    expected = f"{first[0]}. {[w for w in last.replace('-', ' ').split() if w.lower() not in ('van', 'de', 'al', 'el')][-1][0]}."
    assert (
        declined["first_name"],
        declined["last_name"],
        declined["country_of_origin"],
        declined["languages"],
    ) == (expected, "", "", "")
    full = group_queries.group_detail(imported_engine, ANNA, group_code).matches.iloc[0]
    assert (full["first_name"], full["last_name"]) == (first, last)  # the coordinator sees the name


# ------------------------------------------------------------------------------- shareable report


def test_shareable_report_leaves_out_figures_about_fewer_than_five_people(imported_engine, sheets):
    report = headline_report(imported_engine, AS_OF, min_n=5)
    n = sheets["nieuwkomers"]
    waiting = n[n["status"].map(word) == "wacht"]
    per_city = waiting["gemeente"].map(word).map(CITIES).value_counts()
    assert report["suppressed_below"] == 5
    for city, p in report["pending_matches"].items():
        count = int(per_city.get(city, 0))
        assert p["newcomers_waiting"] == (None if 0 < count < 5 else count), city
        assert (p["median_wait_days"] is None) == (count < 5), city
    # Almere (2 waiting) and Rotterdam (4) are left out, Den Haag (10) and Haarlem (7) stay.
    assert {c for c, p in report["pending_matches"].items() if p["newcomers_waiting"] is None} == {
        "Almere",
        "Rotterdam",
    }
    assert (
        report["counts"] == headline_report(imported_engine, AS_OF)["counts"]
    )  # every total is well above 5
    past = [p["waiting_past_three_years"] for p in report["pending_matches"].values()]
    assert all(v is None or v == 0 or v >= 5 for v in past)


def test_shareable_report_on_the_command_line_says_so(imported_engine):
    env = cli_env(Path(imported_engine.url.database))
    done = run_cli("report", "--as-of", AS_OF.isoformat(), "--shareable", env=env)
    assert done.returncode == 0, done.stderr
    assert (
        "Deelbare versie: aantallen en cijfers over minder dan 5 personen zijn weggelaten (<5)."
        in done.stdout
    )
    # "0 of fewer than 5" would be 0% of a small group (samenhier.disclosure): hidden too
    assert (
        "Almere         nieuwkomers <5 (waarvan <5 langer dan drie jaar in NL), groepen 1, mediane wachttijd <5 dagen"
        in done.stdout
    )
    plain = run_cli("report", "--as-of", AS_OF.isoformat(), env=env)
    assert "<5" not in plain.stdout and "Deelbare" not in plain.stdout


def test_a_retention_list_is_named_by_its_people_not_its_length():
    from samenhier.privacy import list_id

    rotterdam, den_haag = [("newcomer", 4), ("member", 17)], [("newcomer", 5), ("member", 17)]
    assert list_id(rotterdam) == list_id(list(reversed(rotterdam)))  # the order on screen does not matter
    assert list_id(rotterdam) != list_id(den_haag)  # same length, other people: another list
