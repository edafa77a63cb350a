"""Security suite, partner organisations: a coordinator of Rotterdam only, on the workbook's store.

Under the AVG's need-to-know principle a municipality coordinator sees and changes only the records of
their municipalities. Every query of ``samenhier.queries`` runs here as a Rotterdam coordinator: nothing
that identifies a group, member or newcomer outside Rotterdam may come back (worked out from the workbook
itself, not from the store). Every write service, asked to act on Den Haag's records, must refuse and
write nothing. Both lists are those of ``test_security``, which are checked against the modules, so a new
query or service without a case fails the suite.
"""

from __future__ import annotations

import datetime as dt
import shutil
from types import SimpleNamespace

import pandas as pd
import pytest
import test_security
from sqlalchemy import text
from test_security import AS_OF, PASSWORD, _clean, _found, _query_cases, _service_cases, _text

from samenhier.db import make_engine
from samenhier.scope import AccessDenied, Filters, Scope
from samenhier.services import matches, progress, records
from samenhier.services.common import ValidationFailed
from samenhier.services.users import UserError, authenticate, create_user

ROTTERDAM = Scope.coordinator("rosa", ["Rotterdam"])
NATIONAL = Scope.coordinator("anna")


@pytest.fixture(scope="module")
def sheets(workbook_path):
    return pd.read_excel(workbook_path, sheet_name=None)


def _outside_rotterdam(sheets) -> set[str]:
    """Codes, names, e-mail addresses and phone numbers of groups, members and newcomers outside Rotterdam
    (members by their group's municipality), minus anything a Rotterdam record shares (e.g. a group name)."""
    groups, members, newcomers = sheets["groepen"], sheets["leden"], sheets["nieuwkomers"]
    in_rotterdam = groups["gemeente"].str.strip().str.casefold() == "rotterdam"
    rotterdam_groups = set(groups.loc[in_rotterdam, "groep_code"])
    own, foreign = set(), set()
    for _, g in groups.iterrows():
        (own if g["groep_code"] in rotterdam_groups else foreign).update(
            {_clean(g["groep_code"]), _clean(g["naam"])}
        )
    for _, m in members.iterrows():
        values = {
            _clean(m["lid_code"]),
            f"{_clean(m['voornaam'])} {_clean(m['achternaam'])}",
            _clean(m["e-mail"]),
            _clean(m["telefoon"]),
        }
        (own if m["groep_code"] in rotterdam_groups else foreign).update(values)
    for _, n in newcomers.iterrows():
        values = {
            _clean(n["nieuwkomer_code"]),
            f"{_clean(n['voornaam'])} {_clean(n['achternaam'])}",
            _clean(n["e-mail"]),
            _clean(n["telefoon"]),
        }
        (own if _clean(n["gemeente"]).casefold() == "rotterdam" else foreign).update(values)
    return foreign - own - {""}


@pytest.fixture(scope="module")
def city_store(tmp_path_factory, _imported_template):
    """The workbook's store with, in Den Haag, one open proposal, one check-in and a builder account; and the
    ids of Den Haag records for every service to act on (the names of ``test_security``'s fixture)."""
    path = tmp_path_factory.mktemp("city") / "store.db"
    shutil.copy(_imported_template, path)
    engine = make_engine(f"sqlite:///{path}")

    def one(sql, **params):
        with engine.connect() as c:
            return c.execute(text(sql), params).first()

    den_haag = one("SELECT id FROM municipality WHERE name = 'Den Haag'")[0]
    waiting_group = one(
        "SELECT id FROM welcome_group WHERE municipality_id = :m AND status = 'wacht op match' ORDER BY code",
        m=den_haag,
    )[0]
    waiting_newcomer = one(
        "SELECT id FROM newcomer WHERE status = 'wacht' AND municipality_id = :m ORDER BY code", m=den_haag
    )[0]
    proposal = matches.propose_match(
        engine,
        NATIONAL,
        newcomer_id=waiting_newcomer,
        group_id=waiting_group,
        proposed_date=AS_OF,
        confirm_past_eligibility=True,
    )
    active_match, group, newcomer = one(
        "SELECT m.id, m.group_id, m.newcomer_id FROM match m JOIN welcome_group g ON g.id = m.group_id "
        "WHERE g.municipality_id = :m AND m.status = 'actief' ORDER BY m.id",
        m=den_haag,
    )
    progress.add_check_in(engine, NATIONAL, group_id=group, date=AS_OF, assessment="goed", text="")
    member, member_group = one(
        "SELECT m.id, m.group_id FROM member m JOIN welcome_group g ON g.id = m.group_id "
        "WHERE g.municipality_id = :m ORDER BY m.id",
        m=den_haag,
    )
    meeting = one(
        "SELECT m.id FROM meeting m JOIN welcome_group g ON g.id = m.group_id WHERE g.municipality_id = :m ORDER BY m.id",
        m=den_haag,
    )[0]
    respondent = one(
        "SELECT s.member_id, s.group_id, s.wave FROM survey_response s JOIN welcome_group g ON g.id = s.group_id "
        "WHERE g.municipality_id = :m AND s.member_id IS NOT NULL ORDER BY s.id",
        m=den_haag,
    )
    builder = one("SELECT id FROM community_builder WHERE municipality_id = :m ORDER BY name", m=den_haag)[0]
    rotterdam_group = one(
        "SELECT g.id FROM welcome_group g JOIN municipality p ON p.id = g.municipality_id "
        "WHERE p.name = 'Rotterdam' AND g.status = 'wacht op match' ORDER BY g.code"
    )[0]
    code = one("SELECT code FROM welcome_group WHERE id = :g", g=group)[0]
    create_user(engine, "anna", PASSWORD, "coordinator")
    create_user(engine, "samira", PASSWORD, "community_builder", community_builder="Samira Benali")
    national_account = one("SELECT id FROM user_account WHERE username = 'anna'")[0]
    milestone, milestone_check = test_security._milestone_with_check(engine, NATIONAL, group)
    yield SimpleNamespace(
        engine=engine,
        proposal=proposal,
        active_match=active_match,
        group=group,
        group_code=code,
        waiting_group=waiting_group,
        member=member,
        member_group=member_group,
        meeting=meeting,
        respondent=respondent,
        newcomer=newcomer,
        waiting_newcomer=waiting_newcomer,
        own_group=rotterdam_group,
        own_code=None,
        other_builder=builder,
        municipality="Den Haag",
        national_account=national_account,
        milestone=milestone,
        milestone_check=milestone_check,
    )
    engine.dispose()


def test_a_rotterdam_coordinator_receives_no_one_outside_rotterdam_from_any_query(city_store, sheets):
    foreign = _outside_rotterdam(sheets)
    assert len(foreign) > 400  # three other cities' groups, members and newcomers
    leaks, empty_for_everyone = {}, []
    for name, (_kind, call) in _query_cases(city_store).items():
        try:
            shown = _text(call(city_store.engine, ROTTERDAM))
        except AccessDenied:
            continue  # refusing is fine too
        leaked = _found(foreign, shown)
        if leaked:
            leaks[name] = leaked[:5]
        if not _found(foreign, _text(call(city_store.engine, NATIONAL))):
            empty_for_everyone.append(name)
    assert leaks == {}
    # The queries that list people or groups do show other cities to a national coordinator: Rotterdam's
    # clean answer is the scope's doing, not an empty query.
    assert {
        "records.newcomers_table",
        "records.members_table",
        "privacy.people",
        "matching.waiting_newcomers",
        "groups.group_overview",
        "audit.audit_events",
    }.isdisjoint(empty_for_everyone)


def test_a_rotterdam_coordinator_still_sees_all_of_rotterdam(city_store, sheets):
    from samenhier.queries import records as q

    newcomers = sheets["nieuwkomers"]
    expected = set(newcomers.loc[newcomers["gemeente"].str.strip() == "Rotterdam", "nieuwkomer_code"])
    assert set(q.newcomers_table(city_store.engine, ROTTERDAM, include_archived=True)["code"]) == expected
    groups = sheets["groepen"]
    expected_groups = set(groups.loc[groups["gemeente"].str.strip() == "Rotterdam", "groep_code"])
    assert set(q.groups_table(city_store.engine, ROTTERDAM, include_archived=True)["code"]) == expected_groups
    assert len(expected) == 27 and len(expected_groups) == 27  # counted in the workbook by hand


def _refusing_cases(s) -> dict[str, object]:
    """The write services of ``test_security`` aimed at Den Haag; the creations made there in Rotterdam are
    aimed at Den Haag here."""
    day = AS_OF
    cases = dict(_service_cases(s))
    cases.update(
        {
            "records.create_builder": lambda e, sc: records.create_builder(
                e, sc, values=dict(name="Nieuwe Builder", email=None, municipality="Den Haag", languages="")
            ),
            "records.create_group": lambda e, sc: records.create_group(
                e,
                sc,
                values=dict(
                    code="",
                    name="Welkomgroep X",
                    municipality="Den Haag",
                    variant="statushouders",
                    status="werving",
                    community_builder_id=None,
                    signup_date=day,
                    training_completed_date=None,
                    notes="",
                ),
            ),
            "records.create_newcomer": lambda e, sc: records.create_newcomer(
                e,
                sc,
                values=dict(
                    code="",
                    first_name="Test",
                    last_name="Nieuwkomer",
                    municipality="Den Haag",
                    country_of_origin="",
                    languages="",
                    household_size=1,
                    arrival_date=day,
                    permit_date=None,
                    registration_date=day,
                    status="wacht",
                    email=None,
                    phone=None,
                ),
            ),
            # a national account, and a builder account for Den Haag's builder
            "records.create_user_account": lambda e, sc: records.create_user_account(
                e,
                sc,
                values=dict(
                    username="indringer",
                    password=PASSWORD,
                    role="coordinator",
                    community_builder_id=None,
                    municipalities=[],
                    active=True,
                ),
            ),
            "records.reset_password": lambda e, sc: records.reset_password(
                e, sc, user_id=s.national_account, expected_version=1, new_password=PASSWORD
            ),
            "records.update_user_account": lambda e, sc: records.update_user_account(
                e, sc, user_id=s.national_account, expected_version=1, changes={"active": False}
            ),
        }
    )
    # Allowed within the reach, checked below: retention (their own people only) and exports (narrowed).
    for name in ("privacy.anonymise_past_retention", "data.export_store", "data.export_to_disk"):
        cases.pop(name)
    return cases


def test_every_write_on_another_municipalitys_records_is_refused_and_writes_nothing(city_store):
    from tests.conftest import dump_tables

    before = dump_tables(city_store.engine)
    allowed = []
    for name, call in _refusing_cases(city_store).items():
        try:
            call(city_store.engine, ROTTERDAM)
        except AccessDenied:
            continue
        except ValidationFailed as failed:  # the account form's own refusal: beyond their municipalities
            if any(e.code == "beyond_scope" for e in failed.errors):
                continue
            allowed.append(f"{name}: {failed.errors}")
        except Exception as exc:  # noqa: BLE001 — any other answer means the access check did not come first
            allowed.append(f"{name}: {type(exc).__name__}")
        else:
            allowed.append(name)
    assert allowed == []
    assert dump_tables(city_store.engine) == before


def test_a_group_cannot_be_moved_out_of_reach(city_store):
    from samenhier.queries import records as q

    group = q.groups_table(city_store.engine, ROTTERDAM).iloc[0]
    with pytest.raises(AccessDenied):
        records.update_group(
            city_store.engine,
            ROTTERDAM,
            group_id=int(group["group_id"]),
            expected_version=int(group["version"]),
            changes={"municipality": "Den Haag"},
        )
    assert q.group_record(city_store.engine, NATIONAL, int(group["group_id"]))["municipality"] == "Rotterdam"


def test_export_of_a_rotterdam_coordinator_holds_rotterdam_only(city_store, sheets):
    from samenhier.io.export import export_frames

    frames = export_frames(city_store.engine, ROTTERDAM, Filters())
    assert set(frames["groepen"]["gemeente"]) == {"Rotterdam"}
    assert set(frames["nieuwkomers"]["gemeente"]) == {"Rotterdam"}
    assert not _found(_outside_rotterdam(sheets), _text(frames))
    # Choosing another city in the filter selects nothing rather than everything.
    assert export_frames(city_store.engine, ROTTERDAM, Filters(municipalities=("Almere",)))["groepen"].empty


def test_whole_store_operations_are_national_only(city_store, tmp_path):
    from samenhier.services import data

    for call in (
        lambda sc: data.backup_now(city_store.engine, sc, folder=tmp_path),
        lambda sc: data.import_files(city_store.engine, sc, paths=[], dry_run=True),
    ):
        with pytest.raises(AccessDenied):
            call(ROTTERDAM)


def test_retention_lists_and_erases_only_their_own_people(city_store):
    from samenhier.queries.privacy import retention_due

    far = dt.date(2040, 1, 1)  # everyone is past retention by then
    everyone = retention_due(city_store.engine, NATIONAL, as_of=far)
    own = retention_due(city_store.engine, ROTTERDAM, as_of=far)
    assert set(own["municipality"]) == {"Rotterdam"}
    assert len(own) == (everyone["municipality"] == "Rotterdam").sum() > 0


# -- accounts ---------------------------------------------------------------------------------------------


def test_create_user_with_municipalities_gives_a_scope_of_those(engine):
    from samenhier.demo import load_demo

    load_demo(engine, dt.date(2026, 11, 15))
    scope = create_user(
        engine, "rosa", PASSWORD, "coordinator", municipalities=["rotterdam ", "'s-Gravenhage"]
    )
    assert scope.municipalities == ("Den Haag", "Rotterdam") and not scope.is_national
    assert authenticate(engine, "rosa", PASSWORD) == scope
    national = create_user(engine, "anna", PASSWORD, "coordinator")
    assert national.is_national and authenticate(engine, "anna", PASSWORD).municipalities == ()
    with pytest.raises(UserError) as unknown:
        create_user(engine, "x", PASSWORD, "coordinator", municipalities=["Atlantis"])
    assert unknown.value.field == "municipalities"
    # a municipality coordinator cannot make a national account, nor one beyond their reach
    for municipalities in ([], ["Almere"]):
        with pytest.raises(UserError) as beyond:
            create_user(
                engine,
                "y",
                PASSWORD,
                "coordinator",
                municipalities=municipalities,
                actor_scope=Scope.coordinator("rosa", ["Rotterdam"]),
            )
        assert beyond.value.code == "beyond_scope"


def test_account_form_keeps_a_municipality_coordinator_within_reach(city_store):
    from samenhier.queries import records as q

    saved = records.create_user_account(
        city_store.engine,
        ROTTERDAM,
        values=dict(
            username="tom",
            password=PASSWORD,
            role="coordinator",
            community_builder_id=None,
            municipalities=["Rotterdam"],
            active=True,
        ),
    )
    assert q.user_record(city_store.engine, ROTTERDAM, saved.id)["municipalities"] == ["Rotterdam"]
    with pytest.raises(ValidationFailed) as widen:
        records.update_user_account(
            city_store.engine,
            ROTTERDAM,
            user_id=saved.id,
            expected_version=saved.version,
            changes={"municipalities": ["Rotterdam", "Almere"]},
        )
    assert [e.code for e in widen.value.errors] == ["beyond_scope"]
    shown = q.users_table(city_store.engine, ROTTERDAM)
    assert "anna" not in set(shown["username"]) and "samira" not in set(
        shown["username"]
    )  # national; Den Haag's builder
    assert "tom" in set(shown["username"])
    assert set(q.users_table(city_store.engine, NATIONAL)["username"]) >= {"anna", "samira", "tom"}
    assert q.account_municipality_options(city_store.engine, ROTTERDAM) == ["Rotterdam"]
    # no municipalities on a builder account
    with pytest.raises(ValidationFailed) as builder:
        records.update_user_account(
            city_store.engine,
            NATIONAL,
            user_id=saved.id,
            expected_version=saved.version,
            changes={"role": "community_builder", "community_builder_id": city_store.other_builder},
        )
    assert "coordinator_only" in [e.code for e in builder.value.errors]


# -- pages --------------------------------------------------------------------------------------------------


def test_pages_of_a_rotterdam_coordinator_name_no_one_outside_rotterdam(workbook_engine, sheets):
    from tests.apptest_helpers import run_app

    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    foreign = _outside_rotterdam(sheets)
    for page in (
        "views/overview.py",
        "views/matching.py",
        "views/manage.py",
        "views/privacy.py",
        "views/audit.py",
        "views/meetings.py",
    ):
        at = run_app(ROTTERDAM, page=page)
        assert not at.exception, (page, [e.value for e in at.exception])
        shown = "\n".join(
            [_text(d.value) for d in at.dataframe]
            + [str(s.options) for s in at.selectbox]
            + [m.value for m in at.markdown]
        )
        assert _found(foreign, shown) == [], page
    # the sidebar names Rotterdam and offers no other municipality (tests/test_sidebar_filters_scope.py)
    at = run_app(ROTTERDAM, page="views/overview.py")
    assert [m.key for m in at.sidebar.multiselect] == ["filter_variants"]
    assert "Gemeente: Rotterdam" in [c.value for c in at.sidebar.caption]


def test_accounts_section_offers_their_municipalities_and_data_page_says_what_is_national(workbook_engine):
    from tests.apptest_helpers import run_app, texts

    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    at = run_app(ROTTERDAM, page="views/manage.py")
    at.radio(key="manage_section").set_value("users").run()
    assert not at.exception
    assert "anna" not in set(at.dataframe[0].value["username"])  # a national account
    at = run_app(ROTTERDAM, page="views/data.py")
    assert "Importeren, back-ups en herstellen doet een landelijk coördinator" in texts(at)
    at = run_app(ROTTERDAM, lang="en", page="views/data.py")
    assert "Imports, backups and restores are done by a national coordinator" in texts(at)


def test_year_report_of_a_rotterdam_coordinator_equals_the_national_report_filtered_on_rotterdam(city_store):
    from samenhier.queries.year_report import year_figures

    own = year_figures(city_store.engine, ROTTERDAM, year=2026, as_of=AS_OF)
    filtered = year_figures(
        city_store.engine, NATIONAL, year=2026, as_of=AS_OF, filters=Filters(municipalities=("Rotterdam",))
    )
    everyone = year_figures(city_store.engine, NATIONAL, year=2026, as_of=AS_OF)
    assert own["programme"] == filtered["programme"]
    assert own["programme"] != everyone["programme"]
