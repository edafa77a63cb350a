"""Services of the Beheer page: one test per validation rule (exact message), codes, conflicts,
archive versus delete, and access. The clock is fixed at 2026-11-15 (conftest)."""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest
from sqlmodel import Session, select

from samenhier.models import AuditEvent, Match, Member, Newcomer, SurveyResponse, UserAccount, WelcomeGroup
from samenhier.queries.common import count_rows
from samenhier.scope import AccessDenied, Scope
from samenhier.services import records
from samenhier.services.common import ValidationFailed, VersionConflict
from samenhier.services.records import HasHistory, is_dutch_phone_number

pytestmark = pytest.mark.both_backends  # storage and service tests: SQLite and PostgreSQL

COORDINATOR = Scope.coordinator("anna")
D = dt.date


def group_values(**overrides):
    values = dict(
        code="",
        name="Welkomgroep Test",
        municipality="Den Haag",
        variant="statushouders",
        status="werving",
        community_builder_id=None,
        signup_date=D(2026, 1, 10),
        training_completed_date=None,
        notes="",
    )
    return {**values, **overrides}


def member_values(group_id, **overrides):
    values = dict(
        code="",
        group_id=group_id,
        first_name="Kees",
        last_name="Peters",
        email="kees@voorbeeld.nl",
        phone="06-12345678",
        role="lid",
        joined_date=D(2026, 1, 10),
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
        arrival_date=D(2025, 1, 5),
        permit_date=D(2025, 3, 1),
        registration_date=D(2025, 6, 1),
        status="wacht",
        email=None,
        phone=None,
    )
    return {**values, **overrides}


def builder_values(**overrides):
    return {
        **dict(
            name="Samira Benali", email="samira@voorbeeld.nl", municipality="Den Haag", languages="Arabisch"
        ),
        **overrides,
    }


def only_error(exc_info) -> tuple[str, str]:
    errors = exc_info.value.errors
    assert len(errors) == 1, errors
    return errors[0].field, errors[0].message("nl")


@pytest.fixture
def group(engine):
    return records.create_group(engine, COORDINATOR, values=group_values())


# ------------------------------------------------------------------------------ one test per rule


def test_required(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_group(engine, COORDINATOR, values=group_values(name="   "))
    assert only_error(exc) == ("name", "Dit veld is verplicht.")


def test_too_long(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_group(engine, COORDINATOR, values=group_values(name="x" * 101))
    assert only_error(exc) == ("name", "Te lang: hoogstens 100 tekens.")


def test_email_format(engine, group):
    with pytest.raises(ValidationFailed) as exc:
        records.create_member(engine, COORDINATOR, values=member_values(group.id, email="kees@voorbeeld"))
    assert only_error(exc) == ("email", "Geen geldig e-mailadres (bijvoorbeeld naam@voorbeeld.nl).")


def test_phone_format(engine, group):
    with pytest.raises(ValidationFailed) as exc:
        records.create_member(engine, COORDINATOR, values=member_values(group.id, phone="06-1234"))
    assert only_error(exc) == (
        "phone",
        "Geen geldig Nederlands telefoonnummer (bijvoorbeeld 06-12345678 of +31 6 12345678).",
    )


@pytest.mark.parametrize(
    "text",
    [
        "06-12345678",
        "0612345678",
        "+31 6 12345678",
        "0031 6 1234 5678",
        "+31 (0)6 1234 5678",
        "070-1234567",
        "(070) 123 45 67",
        "020 123 4567",
        "06-90999039",
    ],
)
def test_dutch_phone_numbers_accepted(text):
    assert is_dutch_phone_number(text)


@pytest.mark.parametrize(
    "text", ["06-1234", "06-123456789", "+32 470 12 34 56", "0612345678 x12", "06-FLOWERS1", "12345"]
)
def test_other_phone_numbers_refused(text):
    assert not is_dutch_phone_number(text)


def test_every_workbook_phone_number_is_accepted(workbook_path):
    sheets = pd.read_excel(workbook_path, sheet_name=["leden", "nieuwkomers"], dtype=str)
    phones = pd.concat([sheets["leden"]["telefoon"], sheets["nieuwkomers"]["telefoon"]]).dropna()
    assert len(phones) == 406 + 98
    assert all(is_dutch_phone_number(p.strip()) for p in phones)


def test_future_date(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_group(engine, COORDINATOR, values=group_values(signup_date=D(2026, 11, 16)))
    assert only_error(exc) == (
        "signup_date",
        "Deze datum ligt in de toekomst (vandaag is het 15 november 2026).",
    )


def test_invalid_date(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_group(engine, COORDINATOR, values=group_values(signup_date="2026-02-31"))
    assert only_error(exc) == ("signup_date", "Geen geldige datum.")


def test_choice(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_group(engine, COORDINATOR, values=group_values(variant="onbekend"))
    assert only_error(exc) == ("variant", "Kies een van de mogelijke waarden.")


def test_unknown_municipality(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_group(engine, COORDINATOR, values=group_values(municipality="Atlantis"))
    assert only_error(exc) == ("municipality", "Onbekende gemeente.")


def test_code_format(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_group(engine, COORDINATOR, values=group_values(code="0518 004"))
    assert only_error(exc) == (
        "code",
        "Een code bestaat uit letters, cijfers, punten en streepjes (hoogstens 20 tekens).",
    )


def test_code_taken_ignores_case(engine, group):
    records.create_member(engine, COORDINATOR, values=member_values(group.id, code="L0001"))
    with pytest.raises(ValidationFailed) as exc:
        records.create_member(engine, COORDINATOR, values=member_values(group.id, code="l0001"))
    assert only_error(exc) == ("code", "De code l0001 is al in gebruik.")


def test_builder_name_taken_ignores_case_and_accents(engine):
    records.create_builder(engine, COORDINATOR, values=builder_values(name="Zoë de Vries"))
    with pytest.raises(ValidationFailed) as exc:
        records.create_builder(engine, COORDINATOR, values=builder_values(name="zoe  de vries"))
    assert only_error(exc) == ("name", "Er is al een community builder met deze naam.")


def test_household_size(engine):
    for size in (0, 16, 2.5, "drie"):
        with pytest.raises(ValidationFailed) as exc:
            records.create_newcomer(engine, COORDINATOR, values=newcomer_values(household_size=size))
        assert only_error(exc) == ("household_size", "Een huishouden telt 1 tot en met 15 personen.")
    assert (
        records.create_newcomer(engine, COORDINATOR, values=newcomer_values(household_size=15)).code
        == "N0001"
    )


def test_training_before_signup(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_group(
            engine, COORDINATOR, values=group_values(status="training", training_completed_date=D(2026, 1, 9))
        )
    assert only_error(exc) == (
        "training_completed_date",
        "De training kan niet vóór de aanmelding (10 januari 2026) afgerond zijn.",
    )


def test_training_after_first_match(workbook_engine, workbook_path):
    matches = pd.read_excel(workbook_path, sheet_name="koppelingen")
    first = matches[matches["groep_code"] == "0518-001"]["voorgesteld_op"].min().date()  # 2022-06-21
    group = _group(workbook_engine, "0518-001")
    with pytest.raises(ValidationFailed) as exc:
        records.update_group(
            workbook_engine,
            COORDINATOR,
            group_id=group.id,
            expected_version=group.version,
            changes={"training_completed_date": first + dt.timedelta(days=1)},
        )
    assert only_error(exc) == (
        "training_completed_date",
        "De training moet afgerond zijn vóór de eerste koppeling (21 juni 2022).",
    )
    assert first == D(2022, 6, 21)


def test_training_required_after_training_statuses(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_group(engine, COORDINATOR, values=group_values(status="wacht op match"))
    assert only_error(exc) == (
        "training_completed_date",
        "Vul de trainingsdatum in: een groep met status wacht op match heeft de training afgerond.",
    )


def test_permit_before_arrival(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_newcomer(engine, COORDINATOR, values=newcomer_values(permit_date=D(2025, 1, 4)))
    assert only_error(exc) == (
        "permit_date",
        "De verblijfsvergunning kan niet vóór de aankomst in Nederland (5 januari 2025) zijn verleend.",
    )


def test_registration_before_arrival(engine):
    with pytest.raises(ValidationFailed) as exc:
        records.create_newcomer(engine, COORDINATOR, values=newcomer_values(registration_date=D(2025, 1, 1)))
    assert only_error(exc) == (
        "registration_date",
        "De aanmelding kan niet vóór de aankomst in Nederland (5 januari 2025) liggen.",
    )


def test_status_transition_refused_names_the_allowed_ones(engine, group):
    with pytest.raises(ValidationFailed) as exc:
        records.update_group(
            engine, COORDINATOR, group_id=group.id, expected_version=1, changes={"status": "actief"}
        )
    assert only_error(exc) == (
        "status",
        "Een groep met status werving kan niet naar actief; wel naar: training, gestopt.",
    )
    assert (
        exc.value.errors[0].message("en")
        == "A group with status recruiting cannot move to active; it can move to: training, stopped."
    )


def test_stopped_is_final(engine):
    stopped = records.create_group(engine, COORDINATOR, values=group_values(status="gestopt"))
    with pytest.raises(ValidationFailed) as exc:
        records.update_group(
            engine, COORDINATOR, group_id=stopped.id, expected_version=1, changes={"status": "werving"}
        )
    assert only_error(exc) == ("status", "Een groep met status gestopt kan niet meer van status veranderen.")


def test_archived_record_is_read_only(engine, group):
    member = records.create_member(engine, COORDINATOR, values=member_values(group.id))
    archived = records.archive_member(engine, COORDINATOR, member_id=member.id, expected_version=1)
    with pytest.raises(ValidationFailed) as exc:
        records.update_member(
            engine,
            COORDINATOR,
            member_id=member.id,
            expected_version=archived.version,
            changes={"last_name": "Jansen"},
        )
    assert only_error(exc) == (
        "archived",
        "Dit record is gearchiveerd; herstel het eerst om het te wijzigen.",
    )


def test_username_taken_password_too_short_builder_required(engine):
    records.create_user_account(
        engine,
        COORDINATOR,
        values=dict(username="Anna", password="x-lang-genoeg-wachtwoord", role="coordinator"),
    )
    with pytest.raises(ValidationFailed) as exc:
        records.create_user_account(
            engine,
            COORDINATOR,
            values=dict(
                username="anna", password="kort", role="community_builder", community_builder_id=None
            ),
        )
    messages = {e.field: e.message("nl") for e in exc.value.errors}
    assert messages == {
        "username": "Deze gebruikersnaam is al in gebruik.",
        "password": "Het wachtwoord moet minstens 10 tekens hebben.",
        "community_builder_id": "Kies de community builder bij dit account.",
    }
    assert count_rows(engine, UserAccount) == 1


def test_own_account_and_last_coordinator(engine):
    anna = records.create_user_account(
        engine,
        COORDINATOR,
        values=dict(username="anna", password="x-lang-genoeg-wachtwoord", role="coordinator"),
    )
    with pytest.raises(ValidationFailed) as exc:
        records.update_user_account(
            engine, COORDINATOR, user_id=anna.id, expected_version=1, changes={"active": False}
        )
    assert only_error(exc) == ("active", "Je kunt je eigen account niet deactiveren of een andere rol geven.")
    with pytest.raises(ValidationFailed) as exc:
        records.update_user_account(
            engine, Scope.coordinator("bert"), user_id=anna.id, expected_version=1, changes={"active": False}
        )
    assert only_error(exc) == (
        "active",
        "Dit is de laatste actieve coördinator; maak eerst een ander account coördinator.",
    )
    records.create_user_account(
        engine,
        COORDINATOR,
        values=dict(username="bert", password="y-lang-genoeg-wachtwoord", role="coordinator"),
    )
    saved = records.update_user_account(
        engine, Scope.coordinator("bert"), user_id=anna.id, expected_version=1, changes={"active": False}
    )
    assert saved.version == 2


def test_all_field_errors_at_once_and_nothing_written(engine, group):
    before = count_rows(engine, Member), count_rows(engine, AuditEvent)
    with pytest.raises(ValidationFailed) as exc:
        records.create_member(
            engine,
            COORDINATOR,
            values=member_values(group.id, first_name="", email="x@", phone="abc", joined_date=None),
        )
    assert [e.field for e in exc.value.errors] == ["first_name", "email", "phone", "joined_date"]
    assert (count_rows(engine, Member), count_rows(engine, AuditEvent)) == before


# ------------------------------------------------------------------------------------- warnings, codes


def test_group_size_is_a_warning_not_a_block(engine, group):
    ids = [records.create_member(engine, COORDINATOR, values=member_values(group.id)).id for _ in range(6)]
    seventh = records.create_member(engine, COORDINATOR, values=member_values(group.id))
    assert [w.message("nl") for w in seventh.warnings] == [
        "Groep 0518-001 telt nu 7 leden; de richtlijn is 3 tot 6 leden."
    ]
    assert count_rows(engine, Member) == 7  # written all the same
    for member_id in [seventh.id, *ids[:3]]:
        saved = records.archive_member(engine, COORDINATOR, member_id=member_id, expected_version=1)
    # 7 members − 4 archived = 3: inside 3–6, so the last archive gives no warning; one more does.
    assert saved.warnings == ()
    smaller = records.archive_member(engine, COORDINATOR, member_id=ids[3], expected_version=1)
    assert [w.message("nl") for w in smaller.warnings] == [
        "Groep 0518-001 telt nu 2 leden; de richtlijn is 3 tot 6 leden."
    ]


def test_codes_generated_when_empty(engine):
    assert records.create_group(engine, COORDINATOR, values=group_values()).code == "0518-001"
    assert records.create_group(engine, COORDINATOR, values=group_values()).code == "0518-002"
    assert (
        records.create_group(engine, COORDINATOR, values=group_values(municipality="'s-Gravenhage")).code
        == "0518-003"
    )
    assert (
        records.create_group(engine, COORDINATOR, values=group_values(municipality="Rotterdam")).code
        == "0599-001"
    )
    assert records.create_newcomer(engine, COORDINATOR, values=newcomer_values()).code == "N0001"


def test_codes_continue_after_the_workbook(workbook_engine, workbook_path):
    sheets = pd.read_excel(workbook_path, sheet_name=None, dtype=str)
    den_haag = sheets["groepen"]["groep_code"][sheets["groepen"]["groep_code"].str.startswith("0518-")]
    expected_group = f"0518-{den_haag.str[5:].astype(int).max() + 1:03d}"  # 0518-025
    expected_member = f"L{sheets['leden']['lid_code'].str[1:].astype(int).max() + 1:04d}"  # L0407
    expected_newcomer = (
        f"N{sheets['nieuwkomers']['nieuwkomer_code'].str[1:].astype(int).max() + 1:04d}"  # N0099
    )
    group = records.create_group(workbook_engine, COORDINATOR, values=group_values())
    assert group.code == expected_group == "0518-025"
    assert (
        records.create_member(workbook_engine, COORDINATOR, values=member_values(group.id)).code
        == expected_member
        == "L0407"
    )
    assert (
        records.create_newcomer(workbook_engine, COORDINATOR, values=newcomer_values()).code
        == expected_newcomer
        == "N0099"
    )


def test_text_is_stored_trimmed_and_nfc(engine, group):
    decomposed = "Zeyne\u0301p"  # e + combining acute accent
    saved = records.create_member(
        engine, COORDINATOR, values=member_values(group.id, first_name=f"  {decomposed} ")
    )
    with Session(engine) as session:
        assert session.get(Member, saved.id).first_name == "Zeynép"


# ------------------------------------------------------------------------------------------ conflicts


def test_version_conflict_two_sessions(engine, group):
    opened = records_group_values(engine, group.id)  # both sessions open the form at version 1
    records.update_group(
        engine,
        COORDINATOR,
        group_id=group.id,
        expected_version=opened["version"],
        changes={"name": "Welkomgroep Zon"},
        original=opened,
    )
    with pytest.raises(VersionConflict) as exc:
        records.update_group(
            engine,
            Scope.coordinator("bert"),
            group_id=group.id,
            expected_version=opened["version"],
            changes={"notes": "Bert was hier"},
            original=opened,
        )
    assert exc.value.changed == {"name": ("Welkomgroep Test", "Welkomgroep Zon")}
    assert exc.value.current["version"] == 2
    now = records_group_values(engine, group.id)
    assert (now["name"], now["notes"], now["version"]) == ("Welkomgroep Zon", "", 2)
    # re-apply: Bert's change on top of the current version keeps Anna's name
    records.update_group(
        engine,
        Scope.coordinator("bert"),
        group_id=group.id,
        expected_version=2,
        changes={"notes": "Bert was hier"},
        original=exc.value.current,
    )
    now = records_group_values(engine, group.id)
    assert (now["name"], now["notes"], now["version"]) == ("Welkomgroep Zon", "Bert was hier", 3)


def test_simultaneous_saves_exactly_one_wins(engine, group):
    barrier = threading.Barrier(2)
    outcome: dict[str, str] = {}

    def save(user: str) -> None:
        barrier.wait()
        try:
            records.update_group(
                engine,
                Scope.coordinator(user),
                group_id=group.id,
                expected_version=1,
                changes={"notes": user},
            )
            outcome[user] = "saved"
        except VersionConflict:
            outcome[user] = "conflict"

    threads = [threading.Thread(target=save, args=(u,)) for u in ("anna", "bert")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcome.values()) == ["conflict", "saved"]
    winner = next(u for u, o in outcome.items() if o == "saved")
    now = records_group_values(engine, group.id)
    assert (now["notes"], now["version"]) == (winner, 2)


def records_group_values(engine, group_id):
    from samenhier.queries.records import group_record

    return group_record(engine, COORDINATOR, group_id)


# ---------------------------------------------------------------------------------- archive vs delete


def _group(engine, code) -> WelcomeGroup:
    with Session(engine) as session:
        return session.exec(select(WelcomeGroup).where(WelcomeGroup.code == code)).one()


def test_group_with_history_is_archived_not_deleted(workbook_engine, workbook_path):
    sheets = pd.read_excel(workbook_path, sheet_name=None)
    code = "0518-001"
    expected = {
        "members": int((sheets["leden"]["groep_code"] == code).sum()),
        "matches": int((sheets["koppelingen"]["groep_code"] == code).sum()),
        "meetings": int((sheets["bijeenkomsten"]["groep_code"] == code).sum()),
        "surveys": int((sheets["enquetes"]["groep_code"] == code).sum()),
    }
    group = _group(workbook_engine, code)
    before = count_rows(workbook_engine, WelcomeGroup), count_rows(workbook_engine, AuditEvent)
    with pytest.raises(HasHistory) as exc:
        records.delete_group(workbook_engine, COORDINATOR, group_id=group.id, expected_version=group.version)
    assert exc.value.history == expected
    assert (count_rows(workbook_engine, WelcomeGroup), count_rows(workbook_engine, AuditEvent)) == before
    records.archive_group(workbook_engine, COORDINATOR, group_id=group.id, expected_version=group.version)
    from samenhier.queries.groups import group_overview

    assert code not in set(group_overview(workbook_engine, COORDINATOR, as_of=D(2026, 11, 15))["code"])
    assert _group(workbook_engine, code).archived


def test_records_without_history_are_deleted(engine, group):
    member = records.create_member(engine, COORDINATOR, values=member_values(group.id))
    with pytest.raises(HasHistory) as exc:
        records.delete_group(engine, COORDINATOR, group_id=group.id, expected_version=1)
    assert exc.value.history == {"members": 1}
    records.delete_member(engine, COORDINATOR, member_id=member.id, expected_version=1)
    records.delete_group(engine, COORDINATOR, group_id=group.id, expected_version=1)
    newcomer = records.create_newcomer(engine, COORDINATOR, values=newcomer_values())
    records.delete_newcomer(engine, COORDINATOR, newcomer_id=newcomer.id, expected_version=1)
    assert (count_rows(engine, WelcomeGroup), count_rows(engine, Member), count_rows(engine, Newcomer)) == (
        0,
        0,
        0,
    )


def test_member_and_newcomer_with_history_cannot_be_deleted(workbook_engine, workbook_path):
    surveys = pd.read_excel(workbook_path, sheet_name="enquetes")
    matches = pd.read_excel(workbook_path, sheet_name="koppelingen")
    with Session(workbook_engine) as session:
        member = session.exec(select(Member).where(Member.code == "L0001")).one()
        newcomer = session.exec(select(Newcomer).where(Newcomer.code == "N0001")).one()
    with pytest.raises(HasHistory) as exc:
        records.delete_member(
            workbook_engine, COORDINATOR, member_id=member.id, expected_version=member.version
        )
    assert exc.value.history == {"surveys": int((surveys["respondent_code"] == "L0001").sum())}
    with pytest.raises(HasHistory) as exc:
        records.delete_newcomer(
            workbook_engine, COORDINATOR, newcomer_id=newcomer.id, expected_version=newcomer.version
        )
    assert exc.value.history == {
        "matches": int((matches["nieuwkomer_code"] == "N0001").sum()),
        "surveys": int((surveys["respondent_code"] == "N0001").sum()),
    }
    assert count_rows(workbook_engine, SurveyResponse) == len(surveys)
    assert count_rows(workbook_engine, Match) == len(matches)


def test_builder_with_groups_cannot_be_deleted(workbook_engine, workbook_path):
    groups = pd.read_excel(workbook_path, sheet_name="groepen")
    from samenhier.models import CommunityBuilder

    with Session(workbook_engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == "Joris Kramer")).one()
    with pytest.raises(HasHistory) as exc:
        records.delete_builder(
            workbook_engine, COORDINATOR, builder_id=builder.id, expected_version=builder.version
        )
    assert exc.value.history == {"groups": int((groups["community_builder"] == "Joris Kramer").sum())}


# --------------------------------------------------------------------------------------------- access


def test_community_builder_cannot_use_the_manage_services(workbook_engine):
    from samenhier.models import CommunityBuilder

    with Session(workbook_engine) as session:
        builder = session.exec(select(CommunityBuilder).where(CommunityBuilder.name == "Joris Kramer")).one()
    joris = Scope.community_builder("joris", builder.id)
    own = _group(workbook_engine, "0392-001")  # Joris's own group: still a coordinator's form
    before = count_rows(workbook_engine, AuditEvent)
    with pytest.raises(AccessDenied):
        records.update_group(
            workbook_engine, joris, group_id=own.id, expected_version=own.version, changes={"name": "X"}
        )
    with pytest.raises(AccessDenied):
        records.create_group(workbook_engine, joris, values=group_values())
    with pytest.raises(AccessDenied):
        records.archive_group(workbook_engine, joris, group_id=own.id, expected_version=own.version)
    assert count_rows(workbook_engine, AuditEvent) == before
    assert _group(workbook_engine, "0392-001").name == own.name
