"""Security suite: role scoping, login limiting, password hashing, cache and session isolation, and
user data rendered as text (no HTML injection)."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from apptest_helpers import run_app
from argon2 import PasswordHasher
from sample_data import WORKBOOK
from sqlalchemy import text
from sqlmodel import Session, select

from samenhier import PROJECT_ROOT
from samenhier.models import UserAccount
from samenhier.queries import groups as group_queries
from samenhier.scope import AccessDenied, Filters, Scope
from samenhier.services import users
from samenhier.services.users import LoginFailed, authenticate, create_user

AS_OF = dt.date(2026, 11, 15)
PASSWORD = "een-lang-wachtwoord"
XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>[klik](javascript:alert(2))"


@pytest.fixture(scope="module")
def sheets(workbook_path):
    return pd.read_excel(workbook_path, sheet_name=None)


def builder(engine, name: str) -> Scope:
    return create_user(engine, name.split()[0].lower(), PASSWORD, "community_builder", community_builder=name)


def own_codes(sheets, name: str) -> set[str]:
    groups = sheets["groepen"]
    return set(groups.loc[groups["community_builder"] == name, "groep_code"])


# -- role scoping in the query layer ------------------------------------------------------------------


@pytest.mark.both_backends
def test_group_queries_return_only_the_builders_groups(workbook_engine, sheets):
    scope = builder(workbook_engine, "Joris Kramer")
    overview = group_queries.group_overview(workbook_engine, scope, as_of=AS_OF)
    assert set(overview["code"]) == own_codes(sheets, "Joris Kramer")
    kpis = group_queries.kpis(workbook_engine, scope, as_of=AS_OF)
    assert kpis.newcomers_waiting == 0  # the queue of unmatched newcomers belongs to no group of theirs
    groups = sheets["groepen"]
    expected_active = ((groups["community_builder"] == "Joris Kramer") & (groups["status"] == "actief")).sum()
    assert kpis.active_groups == expected_active


@pytest.mark.both_backends
def test_group_detail_of_another_builders_group_is_denied(workbook_engine, sheets):
    scope = builder(workbook_engine, "Joris Kramer")
    other = sorted(own_codes(sheets, "Leyla Aydın"))[0]
    with pytest.raises(AccessDenied):
        group_queries.group_detail(workbook_engine, scope, other)
    with pytest.raises(AccessDenied):  # the same answer for a code that does not exist
        group_queries.group_detail(workbook_engine, scope, "9999-999")


@pytest.mark.both_backends
def test_builder_account_without_link_sees_nothing(workbook_engine):
    unlinked = Scope(username="x", role=Scope.community_builder("x", 1).role, community_builder_id=None)
    assert group_queries.group_overview(workbook_engine, unlinked, as_of=AS_OF).empty


# -- login limiting and password storage --------------------------------------------------------------


@pytest.mark.both_backends
def test_account_locks_after_repeated_failures_even_for_the_right_password(engine, monkeypatch):
    monkeypatch.setenv("SAMENHIER_LOGIN_MAX_FAILURES", "3")
    users.get_settings.cache_clear()
    create_user(engine, "anna", PASSWORD, "coordinator")
    for _ in range(3):
        with pytest.raises(LoginFailed):
            authenticate(engine, "anna", "fout-wachtwoord")
    with pytest.raises(LoginFailed):
        authenticate(engine, "anna", PASSWORD)  # locked
    # Fifteen minutes later (the default lock) the right password works again.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=16)
    monkeypatch.setattr(users, "now_utc", lambda: later)
    assert authenticate(engine, "anna", PASSWORD).username == "anna"


@pytest.mark.both_backends
def test_failed_logins_are_audited_without_the_password(engine):
    create_user(engine, "anna", PASSWORD, "coordinator")
    with pytest.raises(LoginFailed):
        authenticate(engine, "anna", "geheim-fout-123")
    with engine.connect() as c:
        rows = c.execute(text("SELECT action, changes FROM audit_event WHERE action = 'login_failed'")).all()
    assert len(rows) == 1
    assert "geheim-fout-123" not in rows[0].changes


@pytest.mark.both_backends
def test_passwords_are_stored_as_argon2id_with_at_least_owasp_minimum_cost(engine):
    create_user(engine, "anna", PASSWORD, "coordinator")
    with Session(engine) as s:
        stored = s.exec(select(UserAccount.password_hash)).one()
    assert PASSWORD not in stored
    assert stored.startswith("$argon2id$")
    # OWASP Password Storage Cheat Sheet: argon2id with m ≥ 19 MiB, t ≥ 2, p ≥ 1.
    params = dict(re.findall(r"([mtp])=(\d+)", stored))
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and int(params["p"]) >= 1
    assert PasswordHasher().verify(stored, PASSWORD)


# -- sessions and caches ------------------------------------------------------------------------------


def test_cached_pages_never_serve_one_users_data_to_another(workbook_engine, sheets):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    coordinator = run_app(Scope.coordinator("anna"))  # fills the cache with every group
    assert len(coordinator.dataframe[0].value) == len(sheets["groepen"])
    scope = builder(workbook_engine, "Nadia Rahimi")
    at = run_app(scope)  # same process, same cache
    codes = set(at.dataframe[0].value["code"])
    assert codes == own_codes(sheets, "Nadia Rahimi")


def test_two_sessions_keep_their_own_user(workbook_engine, sheets):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    scope = builder(workbook_engine, "Nadia Rahimi")
    first, second = run_app(Scope.coordinator("anna")), run_app(scope)
    for _ in range(2):  # the two sessions take turns, as two browsers on one server do
        first.run()
        second.run()
        assert first.session_state["scope"].username == "anna"
        assert second.session_state["scope"].username == "nadia"
        assert len(first.dataframe[0].value) == len(sheets["groepen"])
        codes = set(second.dataframe[0].value["code"])
        assert codes == own_codes(sheets, "Nadia Rahimi")


def test_cache_keys_include_the_user_scope(db_url):
    """``ui.cached`` keys every result on the user's scope: another user never gets it from the cache,
    the same user does."""
    from samenhier import ui

    calls = []

    def query(engine, scope, *, n):
        calls.append(scope.username)
        return f"{scope.username}:{n}"

    cached = ui.cached(query)
    anna, nadia = Scope.coordinator("anna"), Scope.community_builder("nadia", 3)
    assert [cached(anna, n=1), cached(nadia, n=1), cached(anna, n=1), cached(nadia, n=1)] == [
        "anna:1", "nadia:1", "anna:1", "nadia:1"]
    assert calls == ["anna", "nadia"]


# -- user data is shown as text -----------------------------------------------------------------------


def test_no_code_allows_raw_html():
    offenders = []
    for path in [PROJECT_ROOT / "app.py", *PROJECT_ROOT.joinpath("views").glob("*.py"), *PROJECT_ROOT.joinpath("samenhier").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "unsafe_allow_html":
                offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert offenders == []


def test_script_and_img_in_names_and_notes_render_as_text(workbook_engine):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    with workbook_engine.begin() as c:
        c.execute(text("UPDATE welcome_group SET name = :x, notes = :x WHERE code = '0518-001'"), {"x": XSS})
        c.execute(text("UPDATE newcomer SET first_name = :x WHERE code = 'N0001'"), {"x": XSS})
        c.execute(text("UPDATE member SET first_name = :x WHERE code = 'L0001'"), {"x": XSS})
    at = run_app(Scope.coordinator("anna"), page="views/group.py", query={"group": "0518-001"})
    assert not at.exception
    markdown = [m for m in at.markdown]
    assert all(not m.proto.allow_html for m in markdown)
    # Where user data goes into Markdown it is escaped, so no tag or link survives as markup.
    newcomer = next(m.value for m in markdown if "N0001" in m.value)
    assert "<script>" not in newcomer and "\\<script\\>" in newcomer and "](javascript" not in newcomer
    assert "\\<script\\>" in at.header[0].value and "<script>" not in at.header[0].value
    # Notes (st.text) and tables carry the text itself, which Streamlit shows as plain text.
    assert XSS in [t.value for t in at.text]
    assert any(XSS in name for name in at.dataframe[0].value["name"])


# -- role scoping of every query and every write service ----------------------------------------------
#
# A community builder (Tekle Mehari, Rotterdam) asks every query of samenhier/queries for what they may
# see and for another builder's records (Leyla Aydın, also Rotterdam: the same municipality, so a
# municipality-level aggregate cannot hide a leak). Nothing that identifies another builder's group
# — its code or name, its members' or newcomers' codes, names, e-mail addresses or phone numbers, or
# those of newcomers in no group — may come back. Every write service, asked to act on Leyla's
# records, must raise AccessDenied and write nothing. The lists below are checked against the modules,
# so a new query or service without a case here fails the suite.

BUILDER, OTHER = "Tekle Mehari", "Leyla Aydın"


def _clean(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def _foreign_identifiers(sheets, builder: str) -> set[str]:
    """What identifies a group of another builder, or a newcomer who is not in one of ``builder``'s groups."""
    groups, members, newcomers, matches = sheets["groepen"], sheets["leden"], sheets["nieuwkomers"], sheets["koppelingen"]
    own_groups = set(groups.loc[groups["community_builder"] == builder, "groep_code"])
    own_newcomers = set(matches.loc[matches["groep_code"].isin(own_groups), "nieuwkomer_code"])

    def ids(frame, code_column) -> list[tuple[str, set[str]]]:
        out = []
        for _, row in frame.iterrows():
            values = {_clean(row[code_column])}
            if "voornaam" in row:
                values |= {f"{_clean(row['voornaam'])} {_clean(row['achternaam'])}", _clean(row["e-mail"]), _clean(row["telefoon"])}
            else:
                values.add(_clean(row["naam"]))
            out.append((row[code_column], values - {""}))
        return out

    own, foreign = set(), set()
    for code, values in ids(groups, "groep_code"):
        (own if code in own_groups else foreign).update(values)
    for code, values in ids(members, "lid_code"):
        group = members.loc[members["lid_code"] == code, "groep_code"].iloc[0]
        (own if group in own_groups else foreign).update(values)
    for code, values in ids(newcomers, "nieuwkomer_code"):
        (own if code in own_newcomers else foreign).update(values)
    return foreign - own  # a group name two groups share is not foreign


def _found(values: set[str], shown: str) -> list[str]:
    """The ``values`` that occur in ``shown`` as a whole (not as part of a longer code, name or number)."""
    return sorted(v for v in values if re.search(r"(?<![\w@.-])" + re.escape(v) + r"(?![\w@-])", shown))


def _text(value) -> str:
    """Everything a query returned, as one text: frame cells, dict keys and values, dataclass fields."""
    if isinstance(value, pd.DataFrame):
        return value.to_csv(index=False)
    if isinstance(value, dict):
        return " | ".join(f"{_text(k)}={_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return " | ".join(_text(v) for v in value)
    if dataclasses.is_dataclass(value):
        return _text({f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    return str(value)


@pytest.fixture(scope="module")
def scoped_store(tmp_path_factory, _imported_template):
    """The workbook's store (shared by the scoping tests, which write nothing) with one open proposal and
    one check-in on the other builder's groups, so that every service has something to act on."""
    import shutil

    from samenhier.db import make_engine
    from samenhier.services import matches, progress

    path = tmp_path_factory.mktemp("scoping") / "store.db"
    shutil.copy(_imported_template, path)
    engine = make_engine(f"sqlite:///{path}")
    anna = Scope.coordinator("anna")
    with engine.connect() as c:
        def first_row(sql, **params):
            return c.execute(text(sql), params).first()

        builder_id = first_row("SELECT id FROM community_builder WHERE name = :n", n=BUILDER)[0]
        other = first_row("SELECT id FROM community_builder WHERE name = :n", n=OTHER)[0]
        waiting_group, municipality = first_row(
            "SELECT id, municipality_id FROM welcome_group WHERE community_builder_id = :b AND status = 'wacht op match' ORDER BY code",
            b=other)
        waiting_newcomer = first_row("SELECT id FROM newcomer WHERE status = 'wacht' AND municipality_id = :m ORDER BY code",
                               m=municipality)[0]
    proposal = matches.propose_match(engine, anna, newcomer_id=waiting_newcomer, group_id=waiting_group, proposed_date=AS_OF,
                                     confirm_past_eligibility=True)
    with engine.connect() as c:
        def first(sql):
            return c.execute(text(sql), {"b": other}).first()

        active_match, active_group = first(
            "SELECT m.id, m.group_id FROM match m JOIN welcome_group g ON g.id = m.group_id "
            "WHERE g.community_builder_id = :b AND m.status = 'actief' ORDER BY m.id")
        progress.add_check_in(engine, anna, group_id=active_group, date=AS_OF, assessment="goed", text="")
        member_id, member_group = first(
            "SELECT m.id, m.group_id FROM member m JOIN welcome_group g ON g.id = m.group_id "
            "WHERE g.community_builder_id = :b ORDER BY m.id")
        meeting = first("SELECT m.id FROM meeting m JOIN welcome_group g ON g.id = m.group_id WHERE g.community_builder_id = :b "
                        "ORDER BY m.id")[0]
        respondent = first("SELECT s.member_id, s.group_id, s.wave FROM survey_response s JOIN welcome_group g ON g.id = s.group_id "
                           "WHERE g.community_builder_id = :b AND s.member_id IS NOT NULL ORDER BY s.id")
        newcomer_id = first("SELECT newcomer_id FROM match m JOIN welcome_group g ON g.id = m.group_id "
                            "WHERE g.community_builder_id = :b ORDER BY m.id")[0]
        own_group = c.execute(text("SELECT id, code FROM welcome_group WHERE community_builder_id = :b ORDER BY code"),
                              {"b": builder_id}).first()
        codes = dict(c.execute(text("SELECT id, code FROM welcome_group")).all())
    yield SimpleNamespace(
        engine=engine, scope=Scope.community_builder("tekle", builder_id), other_builder=other, proposal=proposal,
        active_match=active_match, group=active_group, group_code=codes[active_group], waiting_group=waiting_group,
        member=member_id, member_group=member_group, meeting=meeting, respondent=respondent, newcomer=newcomer_id,
        waiting_newcomer=waiting_newcomer, own_group=own_group[0], own_code=own_group[1], municipality="Rotterdam",
    )
    engine.dispose()


def _query_cases(s) -> dict[str, tuple[str, object]]:
    """``module.function`` → (``scoped``: returns only the builder's own / ``denied``: AccessDenied, call)."""
    import samenhier.queries.year_report as year_report
    from samenhier.queries import audit, groups, matching, meetings, privacy, progress, records, surveys

    filters = Filters()
    return {
        "audit.audit_events": ("denied", lambda e, sc: audit.audit_events(e, sc)),
        "audit.audit_options": ("denied", lambda e, sc: audit.audit_options(e, sc)),
        "groups.group_overview": ("scoped", lambda e, sc: groups.group_overview(e, sc, filters, as_of=AS_OF)),
        "groups.kpis": ("scoped", lambda e, sc: groups.kpis(e, sc, filters, as_of=AS_OF)),
        "groups.group_detail": ("denied", lambda e, sc: groups.group_detail(e, sc, s.group_code)),
        "groups.group_detail (own)": ("scoped", lambda e, sc: groups.group_detail(e, sc, s.own_code)),
        "groups.group_names": ("scoped", lambda e, sc: groups.group_names(e, sc, filters)),
        "groups.group_id_for_code": ("denied", lambda e, sc: groups.group_id_for_code(e, sc, s.group_code)),
        "matching.funnel": ("scoped", lambda e, sc: matching.funnel(e, sc, filters, start=dt.date(2015, 1, 1), end=AS_OF, as_of=AS_OF)),
        "matching.open_matches": ("scoped", lambda e, sc: matching.open_matches(e, sc, filters)),
        "matching.proposable_groups": ("scoped", lambda e, sc: matching.proposable_groups(e, sc, filters, as_of=AS_OF)),
        "matching.queue_summary": ("scoped", lambda e, sc: matching.queue_summary(e, sc, filters, as_of=AS_OF)),
        "matching.suggestions": ("denied", lambda e, sc: matching.suggestions(e, sc, filters, as_of=AS_OF, municipality=s.municipality)),
        "matching.waiting_groups": ("scoped", lambda e, sc: matching.waiting_groups(e, sc, filters, as_of=AS_OF)),
        "matching.waiting_newcomers": ("denied", lambda e, sc: matching.waiting_newcomers(e, sc, filters, as_of=AS_OF)),
        "meetings.cadence": ("scoped", lambda e, sc: meetings.cadence(e, sc, filters, as_of=AS_OF)),
        "meetings.group_meetings": ("denied", lambda e, sc: meetings.group_meetings(e, sc, s.group)),
        "meetings.group_meetings (own)": ("scoped", lambda e, sc: meetings.group_meetings(e, sc, s.own_group)),
        "meetings.loggable_groups": ("scoped", lambda e, sc: meetings.loggable_groups(e, sc, filters)),
        "meetings.meeting_years": ("scoped", lambda e, sc: meetings.meeting_years(e, sc, filters, as_of=AS_OF)),
        "meetings.monthly_counts": ("scoped", lambda e, sc: meetings.monthly_counts(e, sc, filters, year=2025, as_of=AS_OF)),
        "meetings.programme_heatmap": ("scoped", lambda e, sc: meetings.programme_heatmap(e, sc, filters, year=2025, as_of=AS_OF)),
        "meetings.programme_monthly_counts": ("scoped", lambda e, sc: meetings.programme_monthly_counts(e, sc, filters, year=2025, as_of=AS_OF)),
        "meetings.week_heatmap": ("scoped", lambda e, sc: meetings.week_heatmap(e, sc, filters, year=2025)),
        "meetings.week_heatmap_size": ("scoped", lambda e, sc: meetings.week_heatmap_size(e, sc, filters, year=2025)),
        "meetings.programme_heatmap_size": ("scoped", lambda e, sc: meetings.programme_heatmap_size(e, sc, filters, year=2025)),
        "privacy.people": ("denied", lambda e, sc: privacy.people(e, sc, kind="newcomer")),
        "privacy.retention_due": ("denied", lambda e, sc: privacy.retention_due(e, sc, as_of=AS_OF)),
        "privacy.erased_counts": ("denied", lambda e, sc: privacy.erased_counts(e, sc)),
        "progress.check_ins": ("denied", lambda e, sc: progress.check_ins(e, sc, s.group)),
        "progress.group_id_for": ("denied", lambda e, sc: progress.group_id_for(e, sc, s.group_code)),
        "progress.group_members": ("denied", lambda e, sc: progress.group_members(e, sc, s.group)),
        "progress.group_progress": ("scoped", lambda e, sc: progress.group_progress(e, sc, filters, as_of=AS_OF)),
        "progress.meeting_cadence": ("denied", lambda e, sc: progress.meeting_cadence(e, sc, s.group, as_of=AS_OF)),
        "records.account_municipality_options": ("denied", lambda e, sc: records.account_municipality_options(e, sc)),
        "records.builder_options": ("denied", lambda e, sc: records.builder_options(e, sc)),
        "records.builder_record": ("denied", lambda e, sc: records.builder_record(e, sc, s.other_builder)),
        "records.builders_table": ("denied", lambda e, sc: records.builders_table(e, sc)),
        "records.group_options": ("scoped", lambda e, sc: records.group_options(e, sc, filters)),
        "records.group_record": ("denied", lambda e, sc: records.group_record(e, sc, s.group)),
        "records.groups_table": ("scoped", lambda e, sc: records.groups_table(e, sc, filters, include_archived=True)),
        "records.member_record": ("denied", lambda e, sc: records.member_record(e, sc, s.member)),
        "records.members_table": ("scoped", lambda e, sc: records.members_table(e, sc, filters, include_archived=True)),
        "records.newcomer_record": ("denied", lambda e, sc: records.newcomer_record(e, sc, s.newcomer)),
        "records.newcomers_table": ("denied", lambda e, sc: records.newcomers_table(e, sc, filters)),
        "records.user_record": ("denied", lambda e, sc: records.user_record(e, sc, 1)),
        "records.users_table": ("denied", lambda e, sc: records.users_table(e, sc)),
        "surveys.end_of_year": ("scoped", lambda e, sc: surveys.end_of_year(e, sc, filters, as_of=AS_OF)),
        "surveys.loneliness_by_wave": ("scoped", lambda e, sc: surveys.loneliness_by_wave(e, sc, filters, as_of=AS_OF)),
        "surveys.paired_changes": ("scoped", lambda e, sc: surveys.paired_changes(e, sc, filters, as_of=AS_OF)),
        "surveys.respondents": ("denied", lambda e, sc: surveys.respondents(e, sc, s.group)),
        "surveys.response_rates": ("scoped", lambda e, sc: surveys.response_rates(e, sc, filters, as_of=AS_OF)),
        "surveys.survey_cohorts": ("scoped", lambda e, sc: surveys.survey_cohorts(e, sc, filters)),
        "surveys.survey_response": ("scoped", lambda e, sc: surveys.survey_response(
            e, sc, role="lid", person_id=s.respondent[0], wave=s.respondent[2])),
        "year_report.year_figures": ("denied", lambda e, sc: year_report.year_figures(e, sc, year=2026, as_of=AS_OF)),
    }


def _scoped_functions(package) -> set[str]:
    """``module.function`` of every public function of ``package`` called as ``f(engine, scope, …)``."""
    found = set()
    for module_info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if function.__module__ == module.__name__ and not name.startswith("_"):
                if list(inspect.signature(function).parameters)[:2] == ["engine", "scope"]:
                    found.add(f"{module_info.name}.{name}")
    return found


def test_every_query_module_function_has_a_scoping_case(scoped_store):
    import samenhier.queries

    cases = {name.split(" ")[0] for name in _query_cases(scoped_store)}
    assert _scoped_functions(samenhier.queries) == cases


def test_a_community_builder_receives_nothing_of_other_groups_from_any_query(scoped_store, sheets):
    foreign = _foreign_identifiers(sheets, BUILDER)
    assert len(foreign) > 500  # the other five builders' groups, members and newcomers, and the waiting queue
    coordinator = Scope.coordinator("anna")
    leaks, not_denied, aggregate_only = {}, [], []
    for name, (kind, call) in _query_cases(scoped_store).items():
        if kind == "denied":
            try:
                call(scoped_store.engine, scoped_store.scope)
            except AccessDenied:
                continue
            not_denied.append(name)
            continue
        shown = _text(call(scoped_store.engine, scoped_store.scope))
        leaked = _found(foreign, shown)
        if leaked:
            leaks[name] = leaked[:5]
        if "(own)" not in name and not _found(foreign, _text(call(scoped_store.engine, coordinator))):
            aggregate_only.append(name)
    assert leaks == {}
    assert not_denied == []
    # Every other case does show other groups' records to a coordinator: the builder's clean answer is
    # the scope's doing, not an empty query. These name nobody for anyone (counts, shares, years).
    assert set(aggregate_only) <= {
        "groups.kpis", "matching.funnel", "matching.queue_summary", "meetings.meeting_years", "meetings.monthly_counts",
        "meetings.programme_monthly_counts", "meetings.week_heatmap_size", "meetings.programme_heatmap_size", "surveys.end_of_year", "surveys.loneliness_by_wave", "surveys.paired_changes",
        "surveys.response_rates", "surveys.survey_cohorts", "surveys.survey_response",
    }, aggregate_only


def test_heatmap_sizes_count_only_the_builders_own_rows(scoped_store):
    from samenhier.queries import meetings

    for size, rows in ((meetings.week_heatmap_size, meetings.week_heatmap), (meetings.programme_heatmap_size, meetings.programme_heatmap)):
        kwargs = {"year": 2025} if rows is meetings.week_heatmap else {"year": 2025, "as_of": AS_OF}
        own = rows(scoped_store.engine, scoped_store.scope, Filters(), **kwargs)
        everyone = rows(scoped_store.engine, Scope.coordinator("anna"), Filters(), **kwargs)
        assert size(scoped_store.engine, scoped_store.scope, Filters(), year=2025) == own["group_id"].nunique() if "group_id" in own else True
        assert size(scoped_store.engine, scoped_store.scope, Filters(), year=2025) < size(scoped_store.engine, Scope.coordinator("anna"), Filters(), year=2025)
        assert len(everyone) > len(own)


def test_another_builders_survey_answer_is_not_returned(scoped_store):
    from samenhier.queries.surveys import survey_response

    member, _group, wave = scoped_store.respondent
    assert survey_response(scoped_store.engine, scoped_store.scope, role="lid", person_id=member, wave=wave) is None
    assert survey_response(scoped_store.engine, Scope.coordinator("anna"), role="lid", person_id=member, wave=wave) is not None


def _service_cases(s) -> dict[str, object]:
    """``module.function`` → a call that acts on the other builder's records with otherwise valid input."""
    import tempfile

    from samenhier.services import data, matches, meetings, privacy, progress, records, surveys

    scratch = Path(tempfile.mkdtemp(prefix="scope-"))

    day = AS_OF
    member_values = dict(code="", group_id=s.member_group, first_name="Test", last_name="Lid", email=None, phone=None,
                         role="lid", joined_date=day, vog_date=None)
    return {
        "matches.accept_match": lambda e, sc: matches.accept_match(e, sc, match_id=s.proposal, started_date=day, expected_version=1),
        "matches.decline_match": lambda e, sc: matches.decline_match(e, sc, match_id=s.proposal, declined_date=day, reason="x",
                                                                     expected_version=1),
        "matches.end_match": lambda e, sc: matches.end_match(e, sc, match_id=s.active_match, outcome="afgerond", ended_date=day,
                                                             expected_version=1),
        "matches.propose_match": lambda e, sc: matches.propose_match(e, sc, newcomer_id=s.waiting_newcomer, group_id=s.own_group,
                                                                     proposed_date=day, confirm_second=True,
                                                                     confirm_past_eligibility=True),
        "meetings.delete_meeting": lambda e, sc: meetings.delete_meeting(e, sc, meeting_id=s.meeting, expected_version=1),
        "meetings.log_meeting": lambda e, sc: meetings.log_meeting(e, sc, group_id=s.group, date=day, kind="groepsactiviteit",
                                                                   duration_minutes=60, members_present=1, newcomers_present=1),
        "meetings.update_meeting": lambda e, sc: meetings.update_meeting(e, sc, meeting_id=s.meeting, expected_version=1, date=day,
                                                                         kind="online", duration_minutes=30, members_present=1,
                                                                         newcomers_present=1),
        "privacy.anonymise_past_retention": lambda e, sc: privacy.anonymise_past_retention(e, sc, as_of=day, confirm=True),
        # Coordinator-only data actions: a community builder is refused before anything is read or written.
        "data.import_files": lambda e, sc: data.import_files(e, sc, paths=[WORKBOOK], dry_run=True),
        "data.export_store": lambda e, sc: data.export_store(e, sc, fmt="csv"),
        "data.export_to_disk": lambda e, sc: data.export_to_disk(e, sc, path=scratch / "export", fmt="csv"),
        "data.backup_now": lambda e, sc: data.backup_now(e, sc, folder=scratch),
        "data.restore": lambda e, sc: data.restore(e, sc, source=scratch / "none.db", safety_dir=scratch),
        "privacy.erase_person": lambda e, sc: privacy.erase_person(e, sc, kind="member", person_id=s.member, expected_version=1,
                                                                   confirm_code="x"),
        "privacy.export_person": lambda e, sc: privacy.export_person(e, sc, kind="member", person_id=s.member),
        "progress.add_check_in": lambda e, sc: progress.add_check_in(e, sc, group_id=s.group, date=day, assessment="goed"),
        "progress.change_group_status": lambda e, sc: progress.change_group_status(e, sc, group_id=s.waiting_group,
                                                                                   expected_version=2, status="actief"),
        "progress.record_training_completed": lambda e, sc: progress.record_training_completed(
            e, sc, group_id=s.group, expected_version=1, training_completed_date=day),
        "progress.record_vog": lambda e, sc: progress.record_vog(e, sc, member_id=s.member, expected_version=1, vog_date=day),
        "records.archive_builder": lambda e, sc: records.archive_builder(e, sc, builder_id=s.other_builder, expected_version=1),
        "records.archive_group": lambda e, sc: records.archive_group(e, sc, group_id=s.group, expected_version=1),
        "records.archive_member": lambda e, sc: records.archive_member(e, sc, member_id=s.member, expected_version=1),
        "records.archive_newcomer": lambda e, sc: records.archive_newcomer(e, sc, newcomer_id=s.newcomer, expected_version=1),
        "records.create_builder": lambda e, sc: records.create_builder(e, sc, values=dict(name="Nieuwe Builder", email=None,
                                                                                         municipality="Rotterdam", languages="")),
        "records.create_group": lambda e, sc: records.create_group(e, sc, values=dict(
            code="", name="Welkomgroep X", municipality="Rotterdam", variant="statushouders", status="werving",
            community_builder_id=s.other_builder, signup_date=day, training_completed_date=None, notes="")),
        "records.create_member": lambda e, sc: records.create_member(e, sc, values=member_values),
        "records.create_newcomer": lambda e, sc: records.create_newcomer(e, sc, values=dict(
            code="", first_name="Test", last_name="Nieuwkomer", municipality="Rotterdam", country_of_origin="", languages="",
            household_size=1, arrival_date=day, permit_date=None, registration_date=day, status="wacht", email=None, phone=None)),
        "records.create_user_account": lambda e, sc: records.create_user_account(e, sc, values=dict(
            username="indringer", password="een-lang-wachtwoord", role="coordinator", community_builder_id=None, active=True)),
        "records.delete_builder": lambda e, sc: records.delete_builder(e, sc, builder_id=s.other_builder, expected_version=1),
        "records.delete_group": lambda e, sc: records.delete_group(e, sc, group_id=s.group, expected_version=1),
        "records.delete_member": lambda e, sc: records.delete_member(e, sc, member_id=s.member, expected_version=1),
        "records.delete_newcomer": lambda e, sc: records.delete_newcomer(e, sc, newcomer_id=s.newcomer, expected_version=1),
        "records.record_history": lambda e, sc: records.record_history(e, sc, table="member", record_id=s.member),
        "records.reset_password": lambda e, sc: records.reset_password(e, sc, user_id=1, expected_version=1,
                                                                       new_password="een-lang-wachtwoord"),
        "records.restore_builder": lambda e, sc: records.restore_builder(e, sc, builder_id=s.other_builder, expected_version=1),
        "records.restore_group": lambda e, sc: records.restore_group(e, sc, group_id=s.group, expected_version=1),
        "records.restore_member": lambda e, sc: records.restore_member(e, sc, member_id=s.member, expected_version=1),
        "records.restore_newcomer": lambda e, sc: records.restore_newcomer(e, sc, newcomer_id=s.newcomer, expected_version=1),
        "records.update_builder": lambda e, sc: records.update_builder(e, sc, builder_id=s.other_builder, expected_version=1,
                                                                       changes={"languages": "Nederlands"}),
        "records.update_group": lambda e, sc: records.update_group(e, sc, group_id=s.group, expected_version=1,
                                                                   changes={"notes": "x"}),
        "records.update_member": lambda e, sc: records.update_member(e, sc, member_id=s.member, expected_version=1,
                                                                     changes={"phone": "06-12345678"}),
        "records.update_newcomer": lambda e, sc: records.update_newcomer(e, sc, newcomer_id=s.newcomer, expected_version=1,
                                                                         changes={"languages": "Nederlands"}),
        "records.update_user_account": lambda e, sc: records.update_user_account(e, sc, user_id=1, expected_version=1,
                                                                                 changes={"active": False}),
        "surveys.save_survey_response": lambda e, sc: surveys.save_survey_response(
            e, sc, group_id=s.respondent[1], role="lid", person_id=s.respondent[0], wave="tussenmeting", date=day,
            answers={}, feel_at_home=3),
    }


def test_every_write_service_has_a_scoping_case(scoped_store):
    import samenhier.services

    assert _scoped_functions(samenhier.services) == set(_service_cases(scoped_store))


def test_every_write_on_another_builders_records_is_denied_and_writes_nothing(scoped_store):
    from tests.conftest import dump_tables

    before = dump_tables(scoped_store.engine)
    allowed = []
    for name, call in _service_cases(scoped_store).items():
        try:
            call(scoped_store.engine, scoped_store.scope)
        except AccessDenied:
            continue
        except Exception as exc:  # noqa: BLE001 — any other answer means the access check did not come first
            allowed.append(f"{name}: {type(exc).__name__}")
        else:
            allowed.append(name)
    assert allowed == []
    assert dump_tables(scoped_store.engine) == before


# -- no personal data or secrets in logs ---------------------------------------------------------------


def test_logs_carry_no_passwords_or_personal_data(engine, workbook_frames, caplog):
    """A failed login, a refused import, a write and a database error — with SQL logging switched on
    (as someone debugging might) and an uncaught error logged the way Streamlit logs it."""
    import logging

    from sqlalchemy.exc import IntegrityError

    from samenhier.io.workbook import ImportFailed, import_frames
    from samenhier.models import Member
    from samenhier.services import records

    secret, name, email, phone = "Geheim-wachtwoord-4711", "Zoë Geheimnaam", "zoe.geheimnaam@voorbeeld.nl", "06-47114711"
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    create_user(engine, "anna", PASSWORD, "coordinator")
    with pytest.raises(LoginFailed):
        authenticate(engine, "anna", secret)
    frames = workbook_frames
    frames["leden"].loc[frames["leden"].index[0], ["voornaam", "achternaam", "e-mail", "telefoon", "lid_sinds"]] = [
        "Zoë", "Geheimnaam", email, phone, "31-02-2025"]
    with pytest.raises(ImportFailed):
        import_frames(engine, frames, username="anna")
    group = records.create_group(engine, Scope.coordinator("anna"), values=dict(
        code="", name="Welkomgroep Test", municipality="Den Haag", variant="statushouders", status="werving",
        community_builder_id=None, signup_date=AS_OF, training_completed_date=None, notes=""))
    member = dict(group_id=group.id, first_name="Zoë", last_name="Geheimnaam", email=email, phone=phone, role="lid",
                  joined_date=AS_OF)
    records.create_member(engine, Scope.coordinator("anna"), values={"code": "L9999", **member, "vog_date": None})
    with pytest.raises(IntegrityError) as failed, Session(engine) as session:
        session.add(Member(code="L9999", **member))  # the same code again: the database refuses
        session.commit()
    logging.getLogger("streamlit.error_util").error("Uncaught app exception", exc_info=failed.value)
    assert "INSERT INTO member" in caplog.text  # SQL logging was on, and the error was logged with its traceback
    for value in (secret, "Geheimnaam", email, phone, PASSWORD):
        assert value not in caplog.text, value
    assert name not in str(failed.value)


# -- SQL only with parameters ---------------------------------------------------------------------------


def _formatted(node: ast.AST) -> bool:
    """True for text built by f-string, ``%`` or ``+`` on strings, or ``.format(...)``."""
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format"


def test_sql_is_only_run_with_parameters():
    """No SQL text is built from values: text() and exec_driver_sql() get literals, execute() never gets
    formatted text. The two exceptions are db.py's connection settings, built from constants."""
    allowed = {("samenhier/db.py", 'f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"'), ("samenhier/db.py", 'f"BEGIN {mode}"'),
               # table names from the constant COUNTED_TABLES, never from input
               ("samenhier/backup.py", """f'SELECT count(*) FROM "{t}"'""")}
    offenders, calls = [], 0
    for path in [PROJECT_ROOT / "app.py", *PROJECT_ROOT.joinpath("views").glob("*.py"), *PROJECT_ROOT.joinpath("samenhier").rglob("*.py")]:
        source = path.read_text(encoding="utf-8")
        relative = str(path.relative_to(PROJECT_ROOT))
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            sql_text = name == "text" and isinstance(node.func, ast.Name)  # sqlalchemy.text, not st.text
            if not sql_text and name not in ("exec_driver_sql", "execute", "executescript"):
                continue
            calls += 1
            argument = node.args[0]
            literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
            bad = _formatted(argument) if name == "execute" else not literal
            if bad and (relative, ast.get_source_segment(source, argument)) not in allowed:
                offenders.append(f"{relative}:{node.lineno} {ast.get_source_segment(source, node)[:80]}")
    assert calls > 10  # the scan does look at the code
    assert offenders == []


@pytest.mark.parametrize(("expression", "formatted"), [
    ("f\"SELECT * FROM member WHERE code = '{code}'\"", True), ('"SELECT " + column', True),
    ('"DELETE FROM member WHERE id = %s" % i', True), ('"SELECT {}".format(x)', True),
    ('"SELECT * FROM member WHERE code = :code"', False), ("select(Member)", False),
])
def test_the_sql_check_recognises_formatted_text(expression, formatted):
    assert _formatted(ast.parse(expression, mode="eval").body) is formatted


# -- server settings, storage settings ----------------------------------------------------------------


def test_streamlit_production_settings(workbook_path):
    import tomllib

    config = tomllib.loads(PROJECT_ROOT.joinpath(".streamlit", "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] in ("none", False)  # no tracebacks for users
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    # Uploads: the shared workbook (a whole programme) fits many times over; far below Streamlit's 200 MB.
    size_mb = workbook_path.stat().st_size / 1e6
    assert 10 * size_mb < config["server"]["maxUploadSize"] <= 50


def test_every_connection_overwrites_deleted_content():
    """SQLite's secure_delete is switched on for every connection (some builds have it off by default)."""
    from samenhier.db import _sqlite_pragmas

    class Recorder:
        isolation_level = "DEFERRED"
        statements: list[str] = []

        def cursor(self):
            return self

        def execute(self, sql):
            self.statements.append(sql)

        def close(self):
            pass

    connection = Recorder()
    _sqlite_pragmas(connection, None)
    assert "PRAGMA secure_delete=ON" in connection.statements
    assert "PRAGMA foreign_keys=ON" in connection.statements


def test_script_and_img_in_names_render_as_text_on_the_privacy_page(workbook_engine):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    with workbook_engine.begin() as c:
        c.execute(text("UPDATE newcomer SET first_name = :x, code = 'N<b>1' WHERE code = 'N0035'"), {"x": XSS})
    at = run_app(Scope.coordinator("anna"), page="views/privacy.py")
    at.text_input(key="privacy_search").input("N<b>1").run()
    assert not at.exception
    assert all(not m.proto.allow_html for m in at.markdown)
    caption = next(c.value for c in at.caption if "N\\<b\\>1" in c.value)
    assert "<b>" not in caption
    retention = at.dataframe[0].value
    assert any(XSS in name for name in retention["name"])  # in a table: shown as typed, never as markup


def test_deactivating_an_account_ends_its_open_session(engine):
    from samenhier.scope import Scope as _Scope

    create_user(engine, "anna", PASSWORD, "coordinator")
    create_user(engine, "bert", PASSWORD, "coordinator")
    at = run_app(_Scope.coordinator("bert"))
    assert at.session_state["scope"].username == "bert"
    with engine.begin() as c:
        c.execute(text("UPDATE user_account SET active = 0 WHERE username = 'bert'"))
    at.run()
    assert "scope" not in at.session_state
    assert "gedeactiveerd" in " ".join(w.value for w in at.warning)


def test_a_write_elsewhere_is_seen_at_once_despite_the_cache(workbook_engine):
    # The CLI, a restore or another session writes; the next page run must not show cached figures.
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    at = run_app(Scope.coordinator("anna"))
    before = int(at.metric[0].value)
    from samenhier.services import audit

    with Session(workbook_engine) as session:  # as the CLI would: a status change, audited
        session.exec(text("UPDATE welcome_group SET status = 'actief' WHERE code = '0518-001'"))
        audit.record(session, "cli", "update", table_name="welcome_group", changes={"status": ["afgerond", "actief"]})
        session.commit()
    at.run()
    assert int(at.metric[0].value) == before + 1
