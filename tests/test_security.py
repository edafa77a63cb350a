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
def test_a_guessing_client_waits_even_with_the_right_password(engine, monkeypatch):
    monkeypatch.setenv("SAMENHIER_LOGIN_MAX_FAILURES", "3")
    users.get_settings.cache_clear()
    create_user(engine, "anna", PASSWORD, "coordinator")
    for _ in range(3):
        with pytest.raises(LoginFailed):
            authenticate(engine, "anna", "fout-wachtwoord")
    with pytest.raises(LoginFailed):
        authenticate(engine, "anna", PASSWORD)  # this client must wait (another client would not)
    # After the wait (at most fifteen minutes, the default) the right password works again.
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
        "anna:1",
        "nadia:1",
        "anna:1",
        "nadia:1",
    ]
    assert calls == ["anna", "nadia"]


def test_built_objects_are_keyed_on_user_language_key_and_data(db_url):
    """``ui.cached_build`` (the meetings charts) builds once per user, language, key and data version: another
    user, language or key builds anew, and so does the same call after a write."""
    from samenhier import ui
    from samenhier.services import audit

    calls = []

    def build(name):
        def make():
            calls.append(name)
            return object()

        return make

    anna, nadia = Scope.coordinator("anna"), Scope.community_builder("nadia", 3)
    first = ui.cached_build("t", build("anna-nl"), scope=anna, lang="nl", key=(2026,))
    assert ui.cached_build("t", build("again"), scope=anna, lang="nl", key=(2026,)) is first
    ui.cached_build("t", build("nadia-nl"), scope=nadia, lang="nl", key=(2026,))
    ui.cached_build("t", build("anna-en"), scope=anna, lang="en", key=(2026,))
    ui.cached_build("t", build("anna-2025"), scope=anna, lang="nl", key=(2025,))
    with Session(ui.engine()) as session:  # any audited write changes the data version
        audit.record(session, "cli", "update", table_name="welcome_group", changes={})
        session.commit()
    ui.cached_build("t", build("after a write"), scope=anna, lang="nl", key=(2026,))
    assert calls == ["anna-nl", "nadia-nl", "anna-en", "anna-2025", "after a write"]


# -- user data is shown as text -----------------------------------------------------------------------


def test_no_code_allows_raw_html():
    offenders = []
    for path in [
        PROJECT_ROOT / "app.py",
        *PROJECT_ROOT.joinpath("views").glob("*.py"),
        *PROJECT_ROOT.joinpath("samenhier").rglob("*.py"),
    ]:
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
    groups, members, newcomers, matches = (
        sheets["groepen"],
        sheets["leden"],
        sheets["nieuwkomers"],
        sheets["koppelingen"],
    )
    own_groups = set(groups.loc[groups["community_builder"] == builder, "groep_code"])
    own_newcomers = set(matches.loc[matches["groep_code"].isin(own_groups), "nieuwkomer_code"])

    def ids(frame, code_column) -> list[tuple[str, set[str]]]:
        out = []
        for _, row in frame.iterrows():
            values = {_clean(row[code_column])}
            if "voornaam" in row:
                values |= {
                    f"{_clean(row['voornaam'])} {_clean(row['achternaam'])}",
                    _clean(row["e-mail"]),
                    _clean(row["telefoon"]),
                }
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
            b=other,
        )
        waiting_newcomer = first_row(
            "SELECT id FROM newcomer WHERE status = 'wacht' AND municipality_id = :m ORDER BY code",
            m=municipality,
        )[0]
    proposal = matches.propose_match(
        engine,
        anna,
        newcomer_id=waiting_newcomer,
        group_id=waiting_group,
        proposed_date=AS_OF,
        confirm_past_eligibility=True,
    )
    with engine.connect() as c:

        def first(sql):
            return c.execute(text(sql), {"b": other}).first()

        active_match, active_group = first(
            "SELECT m.id, m.group_id FROM match m JOIN welcome_group g ON g.id = m.group_id "
            "WHERE g.community_builder_id = :b AND m.status = 'actief' ORDER BY m.id"
        )
        progress.add_check_in(engine, anna, group_id=active_group, date=AS_OF, assessment="goed", text="")
        member_id, member_group = first(
            "SELECT m.id, m.group_id FROM member m JOIN welcome_group g ON g.id = m.group_id "
            "WHERE g.community_builder_id = :b ORDER BY m.id"
        )
        meeting = first(
            "SELECT m.id FROM meeting m JOIN welcome_group g ON g.id = m.group_id WHERE g.community_builder_id = :b "
            "ORDER BY m.id"
        )[0]
        respondent = first(
            "SELECT s.member_id, s.group_id, s.wave FROM survey_response s JOIN welcome_group g ON g.id = s.group_id "
            "WHERE g.community_builder_id = :b AND s.member_id IS NOT NULL ORDER BY s.id"
        )
        newcomer_id = first(
            "SELECT newcomer_id FROM match m JOIN welcome_group g ON g.id = m.group_id "
            "WHERE g.community_builder_id = :b ORDER BY m.id"
        )[0]
        own_group = c.execute(
            text("SELECT id, code FROM welcome_group WHERE community_builder_id = :b ORDER BY code"),
            {"b": builder_id},
        ).first()
        codes = dict(c.execute(text("SELECT id, code FROM welcome_group")).all())
    milestone, milestone_check = _milestone_with_check(engine, anna, active_group)
    yield SimpleNamespace(
        engine=engine,
        scope=Scope.community_builder("tekle", builder_id),
        other_builder=other,
        proposal=proposal,
        active_match=active_match,
        group=active_group,
        group_code=codes[active_group],
        waiting_group=waiting_group,
        member=member_id,
        member_group=member_group,
        meeting=meeting,
        respondent=respondent,
        newcomer=newcomer_id,
        waiting_newcomer=waiting_newcomer,
        own_group=own_group[0],
        own_code=own_group[1],
        municipality="Rotterdam",
        milestone=milestone,
        milestone_check=milestone_check,
    )
    engine.dispose()


def _milestone_with_check(engine, coordinator: Scope, group_id: int) -> tuple[int, int]:
    """A milestone of the group's variant, checked off for the group (ids of both): something for the
    milestone services to act on (issue 19)."""
    from samenhier.services import milestones

    with engine.connect() as c:
        variant = c.execute(
            text("SELECT variant FROM welcome_group WHERE id = :g"), {"g": group_id}
        ).scalar_one()
    milestone = milestones.add_milestone(
        engine, coordinator, variant=variant, name="Kennismaking", due_offset_days=14, confirm_effect=True
    )
    check = milestones.check_off_milestone(
        engine,
        coordinator,
        group_id=group_id,
        milestone_id=milestone.id,
        done_date=AS_OF,
        expected_version=None,
    )
    return milestone.id, check.id


def _query_cases(s) -> dict[str, tuple[str, object]]:
    """``module.function`` → (``scoped``: returns only the builder's own / ``denied``: AccessDenied, call)."""
    import samenhier.queries.digest as digest
    import samenhier.queries.milestones as milestones
    import samenhier.queries.timeline_preview as timeline_preview
    import samenhier.queries.timelines as timelines
    import samenhier.queries.year_report as year_report
    from samenhier.queries import audit, groups, matching, meetings, privacy, progress, records, surveys

    filters = Filters()
    return {
        "audit.audit_events": ("denied", lambda e, sc: audit.audit_events(e, sc)),
        "audit.audit_options": ("denied", lambda e, sc: audit.audit_options(e, sc)),
        "digest.builder_digest": ("scoped", lambda e, sc: digest.builder_digest(e, sc, as_of=AS_OF)),
        "digest.coordinator_digest": ("denied", lambda e, sc: digest.coordinator_digest(e, sc, as_of=AS_OF)),
        "groups.group_overview": ("scoped", lambda e, sc: groups.group_overview(e, sc, filters, as_of=AS_OF)),
        "groups.kpis": ("scoped", lambda e, sc: groups.kpis(e, sc, filters, as_of=AS_OF)),
        "groups.group_detail": ("denied", lambda e, sc: groups.group_detail(e, sc, s.group_code)),
        "groups.group_detail (own)": ("scoped", lambda e, sc: groups.group_detail(e, sc, s.own_code)),
        "groups.group_names": ("scoped", lambda e, sc: groups.group_names(e, sc, filters)),
        "groups.group_id_for_code": ("denied", lambda e, sc: groups.group_id_for_code(e, sc, s.group_code)),
        "matching.funnel": (
            "scoped",
            lambda e, sc: matching.funnel(e, sc, filters, start=dt.date(2015, 1, 1), end=AS_OF, as_of=AS_OF),
        ),
        "matching.open_matches": ("scoped", lambda e, sc: matching.open_matches(e, sc, filters)),
        "matching.proposable_groups": (
            "scoped",
            lambda e, sc: matching.proposable_groups(e, sc, filters, as_of=AS_OF),
        ),
        "matching.queue_summary": (
            "scoped",
            lambda e, sc: matching.queue_summary(e, sc, filters, as_of=AS_OF),
        ),
        "matching.suggestions": (
            "denied",
            lambda e, sc: matching.suggestions(e, sc, filters, as_of=AS_OF, municipality=s.municipality),
        ),
        "matching.waiting_groups": (
            "scoped",
            lambda e, sc: matching.waiting_groups(e, sc, filters, as_of=AS_OF),
        ),
        "matching.waiting_newcomers": (
            "denied",
            lambda e, sc: matching.waiting_newcomers(e, sc, filters, as_of=AS_OF),
        ),
        "meetings.cadence": ("scoped", lambda e, sc: meetings.cadence(e, sc, filters, as_of=AS_OF)),
        "meetings.group_meetings": ("denied", lambda e, sc: meetings.group_meetings(e, sc, s.group)),
        "meetings.group_meetings (own)": (
            "scoped",
            lambda e, sc: meetings.group_meetings(e, sc, s.own_group),
        ),
        "meetings.loggable_groups": ("scoped", lambda e, sc: meetings.loggable_groups(e, sc, filters)),
        "meetings.meeting_years": (
            "scoped",
            lambda e, sc: meetings.meeting_years(e, sc, filters, as_of=AS_OF),
        ),
        "meetings.monthly_counts": (
            "scoped",
            lambda e, sc: meetings.monthly_counts(e, sc, filters, year=2025, as_of=AS_OF),
        ),
        "meetings.programme_heatmap": (
            "scoped",
            lambda e, sc: meetings.programme_heatmap(e, sc, filters, year=2025, as_of=AS_OF),
        ),
        "meetings.programme_monthly_counts": (
            "scoped",
            lambda e, sc: meetings.programme_monthly_counts(e, sc, filters, year=2025, as_of=AS_OF),
        ),
        "meetings.week_heatmap": ("scoped", lambda e, sc: meetings.week_heatmap(e, sc, filters, year=2025)),
        "meetings.week_heatmap_size": (
            "scoped",
            lambda e, sc: meetings.week_heatmap_size(e, sc, filters, year=2025),
        ),
        "meetings.programme_heatmap_size": (
            "scoped",
            lambda e, sc: meetings.programme_heatmap_size(e, sc, filters, year=2025),
        ),
        "meetings.programme_groups_reached": (
            "scoped",
            lambda e, sc: meetings.programme_groups_reached(e, sc, filters, year=2025, as_of=AS_OF),
        ),
        "milestones.group_milestones": (
            "denied",
            lambda e, sc: milestones.group_milestones(e, sc, s.group, as_of=AS_OF),
        ),
        "milestones.group_milestones (own)": (
            "scoped",
            lambda e, sc: milestones.group_milestones(e, sc, s.own_group, as_of=AS_OF),
        ),
        "milestones.variant_milestones": ("denied", lambda e, sc: milestones.variant_milestones(e, sc)),
        "meetings.programme_units": (
            "scoped",
            lambda e, sc: meetings.programme_units(e, sc, filters, year=2025),
        ),
        "timelines.timeline_table": ("denied", lambda e, sc: timelines.timeline_table(e, sc)),
        "timeline_preview.timeline_change_preview": (
            "denied",
            lambda e, sc: timeline_preview.timeline_change_preview(
                e, sc, variant="studenten", changes={"duration": 8}, as_of=AS_OF
            ),
        ),
        "privacy.people": ("denied", lambda e, sc: privacy.people(e, sc, kind="newcomer")),
        "privacy.retention_due": ("denied", lambda e, sc: privacy.retention_due(e, sc, as_of=AS_OF)),
        "privacy.erased_counts": ("denied", lambda e, sc: privacy.erased_counts(e, sc)),
        "progress.check_ins": ("denied", lambda e, sc: progress.check_ins(e, sc, s.group)),
        "progress.group_id_for": ("denied", lambda e, sc: progress.group_id_for(e, sc, s.group_code)),
        "progress.group_members": ("denied", lambda e, sc: progress.group_members(e, sc, s.group)),
        "progress.group_progress": (
            "scoped",
            lambda e, sc: progress.group_progress(e, sc, filters, as_of=AS_OF),
        ),
        "progress.meeting_cadence": (
            "denied",
            lambda e, sc: progress.meeting_cadence(e, sc, s.group, as_of=AS_OF),
        ),
        "records.account_municipality_options": (
            "denied",
            lambda e, sc: records.account_municipality_options(e, sc),
        ),
        "records.builder_options": ("denied", lambda e, sc: records.builder_options(e, sc)),
        "records.builder_record": ("denied", lambda e, sc: records.builder_record(e, sc, s.other_builder)),
        "records.builders_table": ("denied", lambda e, sc: records.builders_table(e, sc)),
        "records.group_options": ("scoped", lambda e, sc: records.group_options(e, sc, filters)),
        "records.group_record": ("denied", lambda e, sc: records.group_record(e, sc, s.group)),
        "records.groups_table": (
            "scoped",
            lambda e, sc: records.groups_table(e, sc, filters, include_archived=True),
        ),
        "records.member_record": ("denied", lambda e, sc: records.member_record(e, sc, s.member)),
        "records.members_table": (
            "scoped",
            lambda e, sc: records.members_table(e, sc, filters, include_archived=True),
        ),
        "records.newcomer_record": ("denied", lambda e, sc: records.newcomer_record(e, sc, s.newcomer)),
        "records.newcomers_table": ("denied", lambda e, sc: records.newcomers_table(e, sc, filters)),
        # Only the caller's own account; the builder here has none (removed since the login): refused.
        "records.account_settings (no account)": ("denied", lambda e, sc: records.account_settings(e, sc)),
        "records.user_record": ("denied", lambda e, sc: records.user_record(e, sc, 1)),
        "records.users_table": ("denied", lambda e, sc: records.users_table(e, sc)),
        "surveys.end_of_year": ("scoped", lambda e, sc: surveys.end_of_year(e, sc, filters, as_of=AS_OF)),
        "surveys.loneliness_by_wave": (
            "scoped",
            lambda e, sc: surveys.loneliness_by_wave(e, sc, filters, as_of=AS_OF),
        ),
        "surveys.paired_changes": (
            "scoped",
            lambda e, sc: surveys.paired_changes(e, sc, filters, as_of=AS_OF),
        ),
        "surveys.respondents": ("denied", lambda e, sc: surveys.respondents(e, sc, s.group)),
        "surveys.response_rates": (
            "scoped",
            lambda e, sc: surveys.response_rates(e, sc, filters, as_of=AS_OF),
        ),
        "surveys.survey_cohorts": ("scoped", lambda e, sc: surveys.survey_cohorts(e, sc, filters)),
        "surveys.survey_response": (
            "scoped",
            lambda e, sc: surveys.survey_response(
                e, sc, role="lid", person_id=s.respondent[0], wave=s.respondent[2]
            ),
        ),
        "year_report.year_figures": (
            "denied",
            lambda e, sc: year_report.year_figures(e, sc, year=2026, as_of=AS_OF),
        ),
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
        "groups.kpis",
        "matching.funnel",
        "matching.queue_summary",
        "meetings.meeting_years",
        "meetings.monthly_counts",
        "meetings.programme_monthly_counts",
        "meetings.week_heatmap_size",
        "meetings.programme_heatmap_size",
        "meetings.programme_groups_reached",
        "meetings.programme_units",
        "surveys.end_of_year",
        "surveys.loneliness_by_wave",
        "surveys.paired_changes",
        "surveys.response_rates",
        "surveys.survey_cohorts",
        "surveys.survey_response",
    }, aggregate_only


def test_heatmap_sizes_count_only_the_builders_own_rows(scoped_store):
    from samenhier.queries import meetings

    for size, rows in (
        (meetings.week_heatmap_size, meetings.week_heatmap),
        (meetings.programme_heatmap_size, meetings.programme_heatmap),
    ):
        kwargs = {"year": 2025} if rows is meetings.week_heatmap else {"year": 2025, "as_of": AS_OF}
        own = rows(scoped_store.engine, scoped_store.scope, Filters(), **kwargs)
        everyone = rows(scoped_store.engine, Scope.coordinator("anna"), Filters(), **kwargs)
        assert (
            size(scoped_store.engine, scoped_store.scope, Filters(), year=2025) == own["group_id"].nunique()
            if "group_id" in own
            else True
        )
        assert size(scoped_store.engine, scoped_store.scope, Filters(), year=2025) < size(
            scoped_store.engine, Scope.coordinator("anna"), Filters(), year=2025
        )
        assert len(everyone) > len(own)


def test_another_builders_survey_answer_is_not_returned(scoped_store):
    from samenhier.queries.surveys import survey_response

    member, _group, wave = scoped_store.respondent
    assert (
        survey_response(scoped_store.engine, scoped_store.scope, role="lid", person_id=member, wave=wave)
        is None
    )
    assert (
        survey_response(
            scoped_store.engine, Scope.coordinator("anna"), role="lid", person_id=member, wave=wave
        )
        is not None
    )


def _service_cases(s) -> dict[str, object]:
    """``module.function`` → a call that acts on the other builder's records with otherwise valid input."""
    import tempfile

    from samenhier.services import bulk, data, matches, meetings, privacy, progress, records, surveys
    from samenhier.services import milestones as milestones
    from samenhier.services import variants as variants

    scratch = Path(tempfile.mkdtemp(prefix="scope-"))

    day = AS_OF
    member_values = dict(
        code="",
        group_id=s.member_group,
        first_name="Test",
        last_name="Lid",
        email=None,
        phone=None,
        role="lid",
        joined_date=day,
        vog_date=None,
    )
    return {
        "matches.accept_match": lambda e, sc: matches.accept_match(
            e, sc, match_id=s.proposal, started_date=day, expected_version=1
        ),
        "matches.decline_match": lambda e, sc: matches.decline_match(
            e, sc, match_id=s.proposal, declined_date=day, reason="x", expected_version=1
        ),
        "matches.end_match": lambda e, sc: matches.end_match(
            e, sc, match_id=s.active_match, outcome="afgerond", ended_date=day, expected_version=1
        ),
        "matches.propose_match": lambda e, sc: matches.propose_match(
            e,
            sc,
            newcomer_id=s.waiting_newcomer,
            group_id=s.own_group,
            proposed_date=day,
            confirm_second=True,
            confirm_past_eligibility=True,
        ),
        "meetings.delete_meeting": lambda e, sc: meetings.delete_meeting(
            e, sc, meeting_id=s.meeting, expected_version=1
        ),
        "meetings.log_meeting": lambda e, sc: meetings.log_meeting(
            e,
            sc,
            group_id=s.group,
            date=day,
            kind="groepsactiviteit",
            duration_minutes=60,
            members_present=1,
            newcomers_present=1,
        ),
        "meetings.update_meeting": lambda e, sc: meetings.update_meeting(
            e,
            sc,
            meeting_id=s.meeting,
            expected_version=1,
            date=day,
            kind="online",
            duration_minutes=30,
            members_present=1,
            newcomers_present=1,
        ),
        "privacy.anonymise_past_retention": lambda e, sc: privacy.anonymise_past_retention(
            e, sc, as_of=day, confirm=True
        ),
        # Milestones (issue 19): a check-off of the other group's first milestone (the group made hervestiging in the
        # fixture), the undo of its existing check-off, and the national coordinators' edits of a variant's list.
        "milestones.check_off_milestone": lambda e, sc: milestones.check_off_milestone(
            e, sc, group_id=s.group, milestone_id=s.milestone, done_date=day, expected_version=None
        ),
        "milestones.undo_milestone_check": lambda e, sc: milestones.undo_milestone_check(
            e, sc, check_id=s.milestone_check, expected_version=1
        ),
        "milestones.add_milestone": lambda e, sc: milestones.add_milestone(
            e, sc, variant="hervestiging", name="Nieuwe stap", due_offset_days=10
        ),
        "milestones.update_milestone": lambda e, sc: milestones.update_milestone(
            e, sc, milestone_id=s.milestone, expected_version=1, name="Andere naam", due_offset_days=3
        ),
        "milestones.retire_milestone": lambda e, sc: milestones.retire_milestone(
            e, sc, milestone_id=s.milestone, expected_version=1
        ),
        "milestones.reinstate_milestone": lambda e, sc: milestones.reinstate_milestone(
            e, sc, milestone_id=s.milestone, expected_version=1
        ),
        # Coordinator-only data actions: a community builder is refused before anything is read or written.
        "data.import_files": lambda e, sc: data.import_files(e, sc, paths=[WORKBOOK], dry_run=True),
        "data.export_store": lambda e, sc: data.export_store(e, sc, fmt="csv"),
        "data.export_to_disk": lambda e, sc: data.export_to_disk(e, sc, path=scratch / "export", fmt="csv"),
        "data.backup_now": lambda e, sc: data.backup_now(e, sc, folder=scratch),
        "data.restore": lambda e, sc: data.restore(e, sc, source=scratch / "none.db", safety_dir=scratch),
        "data.check_restore": lambda e, sc: data.check_restore(e, sc, source=scratch / "none.db"),
        "privacy.erase_person": lambda e, sc: privacy.erase_person(
            e, sc, kind="member", person_id=s.member, expected_version=1, confirm_code="x"
        ),
        "privacy.export_person": lambda e, sc: privacy.export_person(
            e, sc, kind="member", person_id=s.member
        ),
        "progress.add_check_in": lambda e, sc: progress.add_check_in(
            e, sc, group_id=s.group, date=day, assessment="goed"
        ),
        "progress.change_group_status": lambda e, sc: progress.change_group_status(
            e, sc, group_id=s.waiting_group, expected_version=2, status="actief"
        ),
        "progress.record_training_completed": lambda e, sc: progress.record_training_completed(
            e, sc, group_id=s.group, expected_version=1, training_completed_date=day
        ),
        "progress.record_vog": lambda e, sc: progress.record_vog(
            e, sc, member_id=s.member, expected_version=1, vog_date=day
        ),
        "records.archive_builder": lambda e, sc: records.archive_builder(
            e, sc, builder_id=s.other_builder, expected_version=1
        ),
        "records.archive_group": lambda e, sc: records.archive_group(
            e, sc, group_id=s.group, expected_version=1
        ),
        "records.archive_member": lambda e, sc: records.archive_member(
            e, sc, member_id=s.member, expected_version=1
        ),
        "records.archive_newcomer": lambda e, sc: records.archive_newcomer(
            e, sc, newcomer_id=s.newcomer, expected_version=1
        ),
        "records.create_builder": lambda e, sc: records.create_builder(
            e, sc, values=dict(name="Nieuwe Builder", email=None, municipality="Rotterdam", languages="")
        ),
        "records.create_group": lambda e, sc: records.create_group(
            e,
            sc,
            values=dict(
                code="",
                name="Welkomgroep X",
                municipality="Rotterdam",
                variant="statushouders",
                status="werving",
                community_builder_id=s.other_builder,
                signup_date=day,
                training_completed_date=None,
                notes="",
            ),
        ),
        "records.create_member": lambda e, sc: records.create_member(e, sc, values=member_values),
        "records.create_newcomer": lambda e, sc: records.create_newcomer(
            e,
            sc,
            values=dict(
                code="",
                first_name="Test",
                last_name="Nieuwkomer",
                municipality="Rotterdam",
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
        "records.create_user_account": lambda e, sc: records.create_user_account(
            e,
            sc,
            values=dict(
                username="indringer",
                password="een-lang-wachtwoord",
                role="coordinator",
                community_builder_id=None,
                active=True,
            ),
        ),
        "records.delete_builder": lambda e, sc: records.delete_builder(
            e, sc, builder_id=s.other_builder, expected_version=1
        ),
        "records.delete_group": lambda e, sc: records.delete_group(
            e, sc, group_id=s.group, expected_version=1
        ),
        "records.delete_member": lambda e, sc: records.delete_member(
            e, sc, member_id=s.member, expected_version=1
        ),
        "records.delete_newcomer": lambda e, sc: records.delete_newcomer(
            e, sc, newcomer_id=s.newcomer, expected_version=1
        ),
        "records.record_history": lambda e, sc: records.record_history(
            e, sc, table="member", record_id=s.member
        ),
        "records.reset_password": lambda e, sc: records.reset_password(
            e, sc, user_id=1, expected_version=1, new_password="een-lang-wachtwoord"
        ),
        "records.restore_builder": lambda e, sc: records.restore_builder(
            e, sc, builder_id=s.other_builder, expected_version=1
        ),
        "records.restore_group": lambda e, sc: records.restore_group(
            e, sc, group_id=s.group, expected_version=1
        ),
        "records.restore_member": lambda e, sc: records.restore_member(
            e, sc, member_id=s.member, expected_version=1
        ),
        "records.restore_newcomer": lambda e, sc: records.restore_newcomer(
            e, sc, newcomer_id=s.newcomer, expected_version=1
        ),
        "records.update_builder": lambda e, sc: records.update_builder(
            e, sc, builder_id=s.other_builder, expected_version=1, changes={"languages": "Nederlands"}
        ),
        "records.update_group": lambda e, sc: records.update_group(
            e, sc, group_id=s.group, expected_version=1, changes={"notes": "x"}
        ),
        "records.update_member": lambda e, sc: records.update_member(
            e, sc, member_id=s.member, expected_version=1, changes={"phone": "06-12345678"}
        ),
        "bulk.update_members": lambda e, sc: bulk.update_members(
            e, sc, edits=[bulk.RowEdit(s.member, 1, {"phone": "06-12345678"})]
        ),
        "records.update_newcomer": lambda e, sc: records.update_newcomer(
            e, sc, newcomer_id=s.newcomer, expected_version=1, changes={"languages": "Nederlands"}
        ),
        "records.update_account_settings": lambda e, sc: records.update_account_settings(
            e, sc, user_id=1, expected_version=1, changes={"weekly_digest": False}
        ),
        "records.update_user_account": lambda e, sc: records.update_user_account(
            e, sc, user_id=1, expected_version=1, changes={"active": False}
        ),
        "surveys.save_survey_response": lambda e, sc: surveys.save_survey_response(
            e,
            sc,
            group_id=s.respondent[1],
            role="lid",
            person_id=s.respondent[0],
            wave="tussenmeting",
            date=day,
            answers={},
            feel_at_home=3,
        ),
        "variants.update_variant_timeline": lambda e, sc: variants.update_variant_timeline(
            e, sc, timeline_id=1, expected_version=1, changes={"duration": 9}
        ),
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

    secret, name, email, phone = (
        "Geheim-wachtwoord-4711",
        "Zoë Geheimnaam",
        "zoe.geheimnaam@voorbeeld.nl",
        "06-47114711",
    )
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    create_user(engine, "anna", PASSWORD, "coordinator")
    with pytest.raises(LoginFailed):
        authenticate(engine, "anna", secret)
    frames = workbook_frames
    frames["leden"].loc[
        frames["leden"].index[0], ["voornaam", "achternaam", "e-mail", "telefoon", "lid_sinds"]
    ] = ["Zoë", "Geheimnaam", email, phone, "31-02-2025"]
    with pytest.raises(ImportFailed):
        import_frames(engine, frames, username="anna")
    group = records.create_group(
        engine,
        Scope.coordinator("anna"),
        values=dict(
            code="",
            name="Welkomgroep Test",
            municipality="Den Haag",
            variant="statushouders",
            status="werving",
            community_builder_id=None,
            signup_date=AS_OF,
            training_completed_date=None,
            notes="",
        ),
    )
    member = dict(
        group_id=group.id,
        first_name="Zoë",
        last_name="Geheimnaam",
        email=email,
        phone=phone,
        role="lid",
        joined_date=AS_OF,
    )
    records.create_member(
        engine, Scope.coordinator("anna"), values={"code": "L9999", **member, "vog_date": None}
    )
    with pytest.raises(IntegrityError) as failed, Session(engine) as session:
        session.add(Member(code="L9999", **member))  # the same code again: the database refuses
        session.commit()
    logging.getLogger("streamlit.error_util").error("Uncaught app exception", exc_info=failed.value)
    assert (
        "INSERT INTO member" in caplog.text
    )  # SQL logging was on, and the error was logged with its traceback
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
    allowed = {
        ("samenhier/db.py", 'f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"'),
        ("samenhier/db.py", 'f"BEGIN {mode}"'),
        # table names from the constant COUNTED_TABLES, never from input
        ("samenhier/backup.py", """f'SELECT count(*) FROM "{t}"'"""),
        # the login's shorter wait for the write lock: an int from the settings (PRAGMA takes no parameters)
        ("samenhier/services/users.py", 'f"PRAGMA busy_timeout={wait_ms}"'),
        ("samenhier/services/users.py", 'f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}"'),
    }
    offenders, calls = [], 0
    for path in [
        PROJECT_ROOT / "app.py",
        *PROJECT_ROOT.joinpath("views").glob("*.py"),
        *PROJECT_ROOT.joinpath("samenhier").rglob("*.py"),
    ]:
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


@pytest.mark.parametrize(
    ("expression", "formatted"),
    [
        ("f\"SELECT * FROM member WHERE code = '{code}'\"", True),
        ('"SELECT " + column', True),
        ('"DELETE FROM member WHERE id = %s" % i', True),
        ('"SELECT {}".format(x)', True),
        ('"SELECT * FROM member WHERE code = :code"', False),
        ("select(Member)", False),
    ],
)
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
        c.execute(
            text("UPDATE newcomer SET first_name = :x, code = 'N<b>1' WHERE code = 'N0035'"), {"x": XSS}
        )
    at = run_app(Scope.coordinator("anna"), page="views/privacy.py")
    at.text_input(key="privacy_search").input("N<b>1").run()
    with workbook_engine.connect() as c:
        person_id = c.execute(text("SELECT id FROM newcomer WHERE code = 'N<b>1'")).scalar_one()
    at.selectbox(key="privacy_person_newcomer").set_value(
        person_id
    ).run()  # nothing is chosen until the user does
    assert not at.exception
    assert all(not m.proto.allow_html for m in at.markdown)
    caption = next(c.value for c in at.caption if "N\\<b\\>1" in c.value)
    assert "<b>" not in caption
    at.session_state["tabs-privacy"] = (
        "Bewaartermijn"  # only the open tab runs: the retention list is on its own tab
    )
    at.run()
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
        audit.record(
            session, "cli", "update", table_name="welcome_group", changes={"status": ["afgerond", "actief"]}
        )
        session.commit()
    at.run()
    assert int(at.metric[0].value) == before + 1


# -- issue 21 items 4 and 5: bounded uploads, control characters, huge fields, exports of stored control characters ----


def _zip_of(tmp_path, name: str, data: bytes) -> Path:
    import zipfile

    path = tmp_path / "upload.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return path


def _no_parsing(monkeypatch):
    """Make any CSV parsing fail the test: the checks must come before it."""
    from samenhier.io import csv_files

    def parsed(*_args, **_kwargs):
        raise AssertionError("parsed before the size check")

    monkeypatch.setattr(csv_files, "decode", parsed)


def test_a_zip_bomb_is_refused_before_parsing(engine, tmp_path, monkeypatch):
    """137 KB of zip unpacking to 45 MB of CSV took the server from 321 MB to 2.8 GB (issue 21)."""
    from samenhier.io.csv_files import MAX_UNPACKED_BYTES
    from samenhier.io.workbook import ImportFailed, import_paths

    header = b"groep_code;datum;soort;duur_minuten;aanwezig_leden;aanwezig_nieuwkomers;notitie\n"
    bomb = _zip_of(tmp_path, "bijeenkomsten.csv", header + b"0" * (45 * 2**20))
    assert bomb.stat().st_size < 200_000 and 45 * 2**20 > MAX_UNPACKED_BYTES
    _no_parsing(monkeypatch)
    with pytest.raises(ImportFailed) as caught:
        import_paths(engine, [bomb], username="test", dry_run=True)
    assert [i.code for i in caught.value.issues] == ["too_large"]


def test_too_many_rows_are_refused_before_parsing(engine, tmp_path, monkeypatch):
    from samenhier.io.workbook import MAX_ROWS, ImportFailed, import_paths

    path = tmp_path / "bijeenkomsten.csv"
    path.write_bytes(b"groep_code;datum\n" + b";\n" * (MAX_ROWS + 2))
    _no_parsing(monkeypatch)
    with pytest.raises(ImportFailed) as caught:
        import_paths(engine, [path], username="test", dry_run=True)
    assert [(i.sheet, i.code) for i in caught.value.issues] == [("bijeenkomsten", "too_many_rows")]


def test_an_xlsx_that_unpacks_too_far_is_refused_before_parsing(engine, tmp_path):
    from samenhier.io.workbook import MAX_XLSX_UNPACKED_BYTES, ImportFailed, import_paths

    bomb = _zip_of(tmp_path, "xl/worksheets/sheet1.xml", b" " * (MAX_XLSX_UNPACKED_BYTES + 1))
    workbook = bomb.rename(tmp_path / "bom.xlsx")
    with pytest.raises(ImportFailed) as caught:
        import_paths(engine, [workbook], username="test", dry_run=True)
    assert [i.code for i in caught.value.issues] == ["too_large"]


_MEMORY_PROBE = """
import resource, sys, zipfile
from pathlib import Path
from samenhier.db import make_engine, migrate
from samenhier.io.csv_files import MAX_UNPACKED_BYTES
from samenhier.io.workbook import MAX_ROWS, ImportFailed, import_paths
folder = Path(sys.argv[1])
line = "0518-001;12-03-2026;groepsactiviteit;120;4;1;samen gekookt en gewandeld in het park, veel gelachen\\n"
rows = min(MAX_ROWS, (MAX_UNPACKED_BYTES - 200) // len(line))
with zipfile.ZipFile(folder / "upload.zip", "w", zipfile.ZIP_DEFLATED) as archive:
    archive.writestr("bijeenkomsten.csv", "groep_code;datum;soort;duur_minuten;aanwezig_leden;aanwezig_nieuwkomers;notitie\\n" + line * rows)
engine = make_engine(f"sqlite:///{folder / 'store.db'}")
migrate(engine)
try:
    import_paths(engine, [folder / "upload.zip"], username="probe", dry_run=True)  # every row refused: the worst case
except ImportFailed as failed:
    assert len(failed.issues) == rows, len(failed.issues)
print(rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def test_an_upload_at_the_limits_stays_under_1_gib(tmp_path):
    """The largest upload the limits let through (rows and bytes), every row refused (one problem per row): the
    whole process peaks under 1 GiB (ru_maxrss of a fresh interpreter, so nothing else is counted)."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**__import__("os").environ, "PYTHONPATH": str(PROJECT_ROOT)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows, peak = map(int, done.stdout.split())
    assert rows >= 100_000
    assert peak < 2**30, f"peak {peak / 2**20:.0f} MiB"


def _csv(sheet: str, frame: pd.DataFrame, *, bom: bool = False) -> bytes:
    data = frame.to_csv(sep=";", index=False).encode("utf-8")
    return (b"\xef\xbb\xbf" if bom else b"") + data


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1b", "\x07"])
def test_control_characters_in_notes_are_refused_with_a_location(imported_engine, workbook_sheets, char):
    """NUL passed when the CSV started with a BOM; \\x01, ESC and BEL were stored (issue 21)."""
    from samenhier.io.csv_files import read_csv_bytes
    from samenhier.io.workbook import ImportFailed, import_frames

    meetings = workbook_sheets["bijeenkomsten"].copy()
    meetings["notitie"] = meetings["notitie"].astype(object)
    meetings.loc[meetings.index[2], "notitie"] = f"samen{char}gekookt"
    meetings.loc[meetings.index[3], "notitie"] = "regel 1\nregel\t2"  # tab and line break are fine in notes
    sheet, frame = read_csv_bytes("bijeenkomsten.csv", _csv("bijeenkomsten", meetings, bom=True))
    with pytest.raises(ImportFailed) as caught:
        import_frames(imported_engine, {sheet: frame}, username="test")
    assert [(i.sheet, i.row, i.column, i.code) for i in caught.value.issues] == [
        ("bijeenkomsten", 4, "notitie", "control_character")
    ]
    assert f"U+{ord(char):04X}" in caught.value.issues[0].message("nl")


def test_forms_refuse_control_characters_and_direction_overrides(workbook_engine, sheets):
    from samenhier.services import records
    from samenhier.services.common import ValidationFailed

    group = sheets["groepen"].iloc[0]
    with Session(workbook_engine) as session:
        from samenhier.models import WelcomeGroup

        stored = session.exec(select(WelcomeGroup).where(WelcomeGroup.code == group["groep_code"])).one()
    coordinator = Scope.coordinator("coord")
    with pytest.raises(ValidationFailed) as caught:
        records.update_group(
            workbook_engine,
            coordinator,
            group_id=stored.id,
            expected_version=stored.version,
            changes={"notes": "bel\x07", "name": "Groep \u202eN0084"},
        )
    assert {(e.field, e.code) for e in caught.value.errors} == {
        ("notes", "control_character"),
        ("name", "bidi_override"),
    }


def test_rtl_override_is_refused_in_imported_names_and_codes(engine, workbook_frames):
    from samenhier.io.workbook import ImportFailed, import_frames

    newcomers = workbook_frames["nieuwkomers"]
    newcomers.loc[newcomers.index[0], "voornaam"] = "Rami\u202e"
    newcomers.loc[newcomers.index[1], "nieuwkomer_code"] = "N\u202e0002"
    with pytest.raises(ImportFailed) as caught:
        import_frames(engine, workbook_frames, username="test")
    found = {(i.sheet, i.row, i.column, i.code) for i in caught.value.issues}
    assert {
        ("nieuwkomers", 2, "voornaam", "bidi_override"),
        ("nieuwkomers", 3, "nieuwkomer_code", "bidi_override"),
    } <= found


def test_a_csv_field_over_the_csv_limit_gives_a_located_message(engine):
    import csv

    from samenhier.io.csv_files import read_csv_bytes
    from samenhier.io.workbook import ImportFailed

    huge = "x" * (csv.field_size_limit() + 1)
    data = f"groep_code;datum;soort;duur_minuten;aanwezig_leden;aanwezig_nieuwkomers;notitie\n0518-001;1-2-2026;online;60;1;1;kort\n0518-001;2-2-2026;online;60;1;1;{huge}\n"
    with pytest.raises(ImportFailed) as caught:
        read_csv_bytes("bijeenkomsten.csv", data.encode())
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row, issue.code) == ("bijeenkomsten", 3, "csv_field_too_large")
    assert str(csv.field_size_limit()) in issue.describe("nl")


def test_exports_never_crash_on_stored_control_characters(workbook_engine, sheets, caplog):
    """Stored before the checks existed: openpyxl's IllegalCharacterError stopped the export (and showed the
    person's name in the server log). Both exports now write the character as U+FFFD."""
    import io
    import logging

    from openpyxl import load_workbook

    from samenhier.io import export, subject_access
    from samenhier.models import Newcomer
    from samenhier.services.privacy import export_person

    caplog.set_level(logging.DEBUG)
    code = sheets["nieuwkomers"].iloc[0]["nieuwkomer_code"]
    with workbook_engine.begin() as c:  # bypassing every check, as an old version could have stored it
        c.execute(
            text("UPDATE newcomer SET first_name = :name WHERE code = :code"),
            {"name": "Zebu\x1blonia", "code": code},
        )
        c.execute(text("UPDATE welcome_group SET notes = :notes"), {"notes": "bel\x07 en \x01"})
    coordinator = Scope.coordinator("coord")
    book = load_workbook(io.BytesIO(export.xlsx_bytes(export.export_frames(workbook_engine, coordinator))))
    names = [row[1] for row in book["nieuwkomers"].iter_rows(values_only=True)]
    assert "Zebu\ufffdlonia" in names
    with Session(workbook_engine) as session:
        person = session.exec(select(Newcomer).where(Newcomer.code == code)).one()
    document = export_person(workbook_engine, coordinator, kind="newcomer", person_id=person.id)
    sheets_of_person = load_workbook(io.BytesIO(subject_access.to_xlsx(document, "nl")))
    cells = [
        v
        for ws in sheets_of_person.worksheets
        for row in ws.iter_rows(values_only=True)
        for v in row
        if isinstance(v, str)
    ]
    assert any("Zebu\ufffdlonia" in v for v in cells)
    assert "Zebu" not in caplog.text


# == issue 21: restores that cannot smuggle anything in (21.2) ===================================


#
# A backup is an SQLite file anyone can edit. Before the fix a backup carrying a trigger, a view, an extra
# table or a dropped column restored fine, and so did one with an extra coordinator account, unannounced.


def _tampered_backup(engine, tmp_path, sql: str, name: str = "kandidaat.db") -> Path:
    """A backup of ``engine``'s store with ``sql`` run on it afterwards (stdlib sqlite3, as an attacker would)."""
    import sqlite3
    from contextlib import closing

    from samenhier.backup import make_backup

    made = make_backup(engine, tmp_path / name)
    with closing(sqlite3.connect(made)) as db:
        db.executescript(sql)
        db.commit()
    return made


def _schema_objects(engine) -> set[tuple[str, str]]:
    with engine.connect() as c:
        return {
            tuple(r)
            for r in c.exec_driver_sql("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        }


TAMPERED = {
    # keeps an erased person's name, e-mail, phone and country in a table erasure does not know
    "shadow_table_trigger": """
        CREATE TABLE schaduw (first_name TEXT, last_name TEXT, email TEXT, phone TEXT, country TEXT);
        CREATE TRIGGER bewaar AFTER UPDATE ON newcomer BEGIN
            INSERT INTO schaduw VALUES (old.first_name, old.last_name, old.email, old.phone, old.country_of_origin);
        END;""",
    # cuts the audit trail to one row
    "audit_cutter": """
        CREATE TRIGGER knip AFTER INSERT ON audit_event BEGIN DELETE FROM audit_event WHERE id <> new.id; END;""",
    # blocks every write
    "write_blocker": """
        CREATE TRIGGER blokkeer BEFORE INSERT ON meeting BEGIN SELECT RAISE(ABORT, 'geblokkeerd'); END;""",
    "view": "CREATE VIEW namen AS SELECT first_name, last_name FROM newcomer;",
    "junk_table": "CREATE TABLE rommel (x BLOB); INSERT INTO rommel VALUES (randomblob(1000));",
    "dropped_column": "ALTER TABLE newcomer DROP COLUMN phone;",
    "extra_index": "CREATE INDEX ix_newcomer_first_name ON newcomer (first_name);",
}


@pytest.mark.parametrize("kind", list(TAMPERED))
def test_restore_refuses_a_backup_whose_schema_is_not_exactly_a_known_revision(
    workbook_engine, tmp_path, dump_tables, kind
):
    from samenhier.backup import BackupError
    from samenhier.services import data

    coordinator = Scope.coordinator("anna")
    candidate = _tampered_backup(workbook_engine, tmp_path, TAMPERED[kind])
    before, objects = dump_tables(workbook_engine), _schema_objects(workbook_engine)

    for attempt in (
        lambda: data.check_restore(workbook_engine, coordinator, source=candidate),
        lambda: data.restore(workbook_engine, coordinator, source=candidate, safety_dir=tmp_path / "veilig"),
    ):
        with pytest.raises(BackupError) as refused:
            attempt()
        expected = "schema_mismatch" if kind == "dropped_column" else "unexpected_object"
        assert refused.value.code == expected
        assert refused.value.message("nl") != f"backup.error.{expected}"

    assert dump_tables(workbook_engine) == before
    assert _schema_objects(workbook_engine) == objects
    assert not (tmp_path / "veilig").exists()  # refused before the safety copy


def test_after_a_refused_trigger_backup_erasure_leaves_the_name_nowhere(
    workbook_engine, tmp_path, workbook_sheets
):
    """The attack end to end: the shadow-table trigger must not be in the store when a person is erased."""
    from samenhier.backup import BackupError
    from samenhier.models import Newcomer
    from samenhier.services import data, privacy

    coordinator = Scope.coordinator("anna")
    candidate = _tampered_backup(workbook_engine, tmp_path, TAMPERED["shadow_table_trigger"])
    with pytest.raises(BackupError):
        data.restore(workbook_engine, coordinator, source=candidate, safety_dir=tmp_path / "veilig")
    row = workbook_sheets["nieuwkomers"].iloc[0]
    with Session(workbook_engine) as s:
        person = s.exec(select(Newcomer).where(Newcomer.code == row["nieuwkomer_code"])).one()
    privacy.erase_person(
        workbook_engine,
        coordinator,
        kind="newcomer",
        person_id=person.id,
        expected_version=person.version,
        confirm_code=person.code,
    )
    with workbook_engine.connect() as c:
        tables = [r[0] for r in c.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            for values in c.exec_driver_sql(f'SELECT * FROM "{table}"'):  # noqa: S608 — names from sqlite_master
                shown = " ".join(map(str, values))
                assert row["e-mail"] not in shown and f"{row['voornaam']} {row['achternaam']}" not in shown, (
                    table
                )


def test_restore_rebuilds_the_store_through_the_migrations(workbook_engine, tmp_path, dump_tables):
    """A sound backup is copied table by table into a fresh store: same rows, same schema objects as the store's own."""
    from samenhier.backup import make_backup
    from samenhier.services import data

    made = make_backup(workbook_engine, tmp_path / "goed.db")
    before, objects = dump_tables(workbook_engine), _schema_objects(workbook_engine)
    data.restore(workbook_engine, Scope.coordinator("anna"), source=made, safety_dir=tmp_path / "veilig")
    after = dump_tables(workbook_engine)
    assert _schema_objects(workbook_engine) == objects
    assert {t: rows for t, rows in after.items() if t != "audit_event"} == {
        t: rows for t, rows in before.items() if t != "audit_event"
    }


def test_restore_lists_account_changes_and_needs_them_confirmed(engine, tmp_path, dump_tables):
    from samenhier.backup import AccountChange, BackupError, make_backup
    from samenhier.services import data

    create_user(engine, "anna", PASSWORD, "coordinator")
    create_user(engine, "bram", PASSWORD, "coordinator")
    made = make_backup(engine, tmp_path / "backup.db")
    import sqlite3
    from contextlib import closing

    with closing(
        sqlite3.connect(made)
    ) as db:  # an extra coordinator, and bram deactivated, in the backup only
        hash_, created = db.execute(
            "SELECT password_hash, created_at FROM user_account WHERE username = 'anna'"
        ).fetchone()
        db.execute(
            "INSERT INTO user_account (username, password_hash, role, failed_logins, active, created_at, version) "
            "VALUES ('indringer', ?, 'coordinator', 0, 1, ?, 1)",
            (hash_, created),
        )
        db.execute("UPDATE user_account SET active = 0 WHERE username = 'bram'")
        db.commit()
    create_user(
        engine, "carla", PASSWORD, "coordinator"
    )  # made after the backup: the restore would remove it
    coordinator = Scope.coordinator("anna")

    info = data.check_restore(engine, coordinator, source=made)
    assert info.accounts == (
        AccountChange("bram", "changed", ("active",), role_before="coordinator", role_after="coordinator"),
        AccountChange("carla", "removed", role_before="coordinator"),
        AccountChange("indringer", "added", role_after="coordinator"),
    )
    assert info.accounts[2].describe("nl") == "indringer (coördinator) komt erbij"

    before = dump_tables(engine)
    for confirmed in ((), info.accounts[:2]):  # nothing confirmed, or not all of it
        with pytest.raises(BackupError) as refused:
            data.restore(
                engine, coordinator, source=made, safety_dir=tmp_path / "veilig", confirmed_accounts=confirmed
            )
        assert refused.value.code == "accounts_unconfirmed"
        assert dump_tables(engine) == before

    data.restore(
        engine, coordinator, source=made, safety_dir=tmp_path / "veilig", confirmed_accounts=info.accounts
    )
    with engine.connect() as c:
        assert sorted(r[0] for r in c.exec_driver_sql("SELECT username FROM user_account")) == [
            "anna",
            "bram",
            "indringer",
        ]
        changes = c.exec_driver_sql("SELECT changes FROM audit_event WHERE action = 'restore'").scalar_one()
    assert (
        '"added": ["indringer"]' in changes
        and '"removed": ["carla"]' in changes
        and '"changed": ["bram"]' in changes
    )


def test_restore_refuses_a_300_mb_backup_before_reading_it(workbook_engine, tmp_path, dump_tables):
    from samenhier.backup import BackupError
    from samenhier.services import data

    candidate = _tampered_backup(
        workbook_engine,
        tmp_path,
        "CREATE TABLE rommel (x BLOB); INSERT INTO rommel VALUES (zeroblob(300000000));",
    )
    assert candidate.stat().st_size > 300_000_000
    before = dump_tables(workbook_engine)
    with pytest.raises(BackupError) as refused:
        data.check_restore(workbook_engine, Scope.coordinator("anna"), source=candidate)
    assert refused.value.code == "too_large"
    assert "200 MB" in refused.value.message("nl")
    with pytest.raises(BackupError):
        data.restore(
            workbook_engine, Scope.coordinator("anna"), source=candidate, safety_dir=tmp_path / "veilig"
        )
    assert dump_tables(workbook_engine) == before


# == issue 21: erasure that reaches every note, and stays erased on import (21.6) =======================


def _active_matches(engine) -> list[tuple[int, int]]:
    """(newcomer id, group id) of every running match, by group id."""
    with engine.connect() as c:
        return [
            tuple(r)
            for r in c.exec_driver_sql(
                "SELECT newcomer_id, group_id FROM \"match\" WHERE status = 'actief' ORDER BY group_id"
            )
        ]


def _text_anywhere(engine, needles: tuple[str, ...]) -> list[str]:
    """``table: value`` for every stored text value (any table) holding one of ``needles``, ignoring case."""
    from sqlalchemy import inspect as sa_inspect

    found = []
    with engine.connect() as c:
        for table in sa_inspect(c).get_table_names():
            for row in c.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 — names from the schema
                for value in row:
                    if isinstance(value, str) and any(n.casefold() in value.casefold() for n in needles):
                        found.append(f"{table}: {value}")
    return found


@pytest.mark.both_backends
def test_erasure_reaches_notes_in_every_group_surnames_and_possessives_and_a_later_import(
    workbook_engine, tmp_path
):
    from samenhier.models import Newcomer
    from samenhier.services import data, meetings, privacy, progress, records

    anna = Scope.coordinator("anna")
    matches = _active_matches(workbook_engine)
    (newcomer_id, her_group), other_a, other_b = matches[0], matches[1][1], matches[2][1]
    records.update_newcomer(
        workbook_engine,
        anna,
        newcomer_id=newcomer_id,
        expected_version=1,
        changes={"first_name": "Zebulonia", "last_name": "Quagmirest"},
    )
    # The review's residues: a check-in in another group naming her, her surname alone in another group's
    # meeting note, and the Dutch genitive in her own group's note (and so in its audit copy).
    progress.add_check_in(
        workbook_engine,
        anna,
        group_id=other_a,
        date=AS_OF,
        assessment="goed",
        text="Samen met groep van Zebulonia Quagmirest gekookt",
    )
    meetings.log_meeting(
        workbook_engine,
        anna,
        group_id=other_b,
        date=AS_OF,
        kind="online",
        duration_minutes=30,
        members_present=1,
        newcomers_present=0,
        note="Quagmirest kwam langs",
    )
    meetings.log_meeting(
        workbook_engine,
        anna,
        group_id=her_group,
        date=AS_OF,
        kind="online",
        duration_minutes=30,
        members_present=1,
        newcomers_present=0,
        note="Zebulonias dochter speelde mee",
    )
    untouched = "Samen gekookt met de buren"
    meetings.log_meeting(
        workbook_engine,
        anna,
        group_id=other_a,
        date=AS_OF,
        kind="online",
        duration_minutes=30,
        members_present=1,
        newcomers_present=0,
        note=untouched,
    )
    export = tmp_path / "export-voor-het-wissen.xlsx"
    export.write_bytes(data.export_store(workbook_engine, anna, fmt="xlsx"))
    with Session(workbook_engine) as s:
        person = s.get(Newcomer, newcomer_id)

    privacy.erase_person(
        workbook_engine,
        anna,
        kind="newcomer",
        person_id=newcomer_id,
        expected_version=person.version,
        confirm_code=person.code,
    )
    assert _text_anywhere(workbook_engine, ("Zebulonia", "Quagmirest")) == []
    assert _text_anywhere(workbook_engine, (untouched,))  # a note naming nobody stays

    # Importing the export made before the erasure brings none of it back.
    data.import_files(workbook_engine, anna, paths=[export], dry_run=False)
    assert _text_anywhere(workbook_engine, ("Zebulonia", "Quagmirest")) == []
    with workbook_engine.connect() as c:
        register = c.exec_driver_sql("SELECT kind, code_hash, phrase_hashes FROM erasure_register").all()
    assert len(register) == 1 and register[0][0] == "newcomer"
    assert "zebulonia" not in str(register).casefold() and person.code not in str(register)  # hashes only


def test_the_register_recognises_names_without_holding_them():
    from samenhier.privacy import PersonMatcher

    person = SimpleNamespace(
        id=7, first_name="Daan", last_name="van der Berg", email="daan@voorbeeld.nl", phone="06-12345678"
    )
    plain = PersonMatcher.for_person(person, "member")
    hashed = PersonMatcher.from_hashes([(plain.hashes(), "L0007")], longest=plain.longest)
    for note in (
        "Berg kwam langs",
        "Daans fiets",
        "Daan's fiets",
        "familie Van der Berg",
        "belde 0612345678",
    ):
        assert plain.names(note) and hashed.names(note), note
    for note in ("Bergen op Zoom", "Daantje", "samen gekookt"):
        assert not plain.names(note) and not hashed.names(note), note
    assert not any("daan" in h or "berg" in h for h in plain.hashes())


# == issue 21.8: smaller points ========================================================================


@pytest.mark.both_backends
def test_a_rematched_newcomers_old_answers_cannot_be_read_or_overwritten_by_the_new_group(
    workbook_engine, sheets
):
    from samenhier.models import Newcomer, SurveyResponse
    from samenhier.services import surveys
    from samenhier.services.common import ValidationFailed, VersionConflict

    answers, groups = sheets["enquetes"], sheets["groepen"]
    old = answers[(answers["rol"] == "nieuwkomer") & (answers["meting"] == "nulmeting")].iloc[0]
    builder_of = dict(zip(groups["groep_code"], groups["community_builder"], strict=True))
    new_code = next(
        c for c, b in builder_of.items() if isinstance(b, str) and b != builder_of[old["groep_code"]]
    )
    with Session(workbook_engine) as s:
        newcomer = s.exec(select(Newcomer).where(Newcomer.code == old["respondent_code"])).one()
        response = s.exec(
            select(SurveyResponse).where(
                SurveyResponse.newcomer_id == newcomer.id, SurveyResponse.wave == "nulmeting"
            )
        ).one()
    with workbook_engine.begin() as c:  # re-matched with a group of another community builder
        new_group = c.execute(
            text("SELECT id FROM welcome_group WHERE code = :c"), {"c": new_code}
        ).scalar_one()
        c.execute(
            text(
                'INSERT INTO "match" (group_id, newcomer_id, proposed_date, started_date, status, end_reason, version) '
                "VALUES (:g, :n, :d, :d, 'actief', '', 1)"
            ),
            {"g": new_group, "n": newcomer.id, "d": dt.date(2026, 11, 1)},
        )
    new_builder = builder(workbook_engine, builder_of[new_code])
    args = dict(
        group_id=new_group,
        role="nieuwkomer",
        person_id=newcomer.id,
        wave="nulmeting",
        date=dt.date(2026, 11, 10),
        answers={"emptiness": "ja"},
    )

    for expected_version in (None, response.version):  # a conflict showing the old answers, or an overwrite
        with pytest.raises(AccessDenied) as denied:
            surveys.save_survey_response(
                workbook_engine, new_builder, **args, expected_version=expected_version
            )
        assert not isinstance(denied.value, VersionConflict)
    # an answer dated while the newcomer was in the old group does not belong to the new one
    with pytest.raises(ValidationFailed) as refused:
        surveys.save_survey_response(
            workbook_engine, new_builder, **{**args, "wave": "tussenmeting", "date": response.date}
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [("person", "survey_person")]
    with Session(workbook_engine) as s:
        assert s.get(SurveyResponse, response.id) == response  # untouched, still in the old group


@pytest.mark.both_backends
def test_audit_search_treats_percent_and_underscore_as_text_and_survives_a_huge_search(engine):
    from samenhier.queries.audit import audit_events

    coordinator = create_user(engine, "anna", PASSWORD, "coordinator")
    create_user(engine, "bram_x", PASSWORD, "coordinator")
    create_user(engine, "bramax", PASSWORD, "coordinator")

    def found(search: str) -> set[str]:
        events = audit_events(engine, coordinator, search=search).events
        return set(events["record_code"])

    assert {"bram_x", "bramax"} <= found("")
    assert found("%") == set()  # before: every event
    assert found("bram_x") == {"bram_x"}  # before: bramax too ("_" is any character)
    assert found("a" * 100_000) == set()  # before: "LIKE or GLOB pattern too complex" crashed the page


def test_the_store_and_its_wal_and_shm_files_are_private_whoever_creates_them(tmp_path):
    import os
    import stat

    from samenhier.db import get_engine

    path = tmp_path / "nieuw.db"
    before = os.umask(0o022)  # a usual login umask: new files readable by everyone
    try:
        engine = get_engine(f"sqlite:///{path}")
        with engine.connect() as reader:  # an open connection keeps -wal and -shm in place
            reader.exec_driver_sql("SELECT count(*) FROM welcome_group").all()
            with engine.begin() as writer:
                writer.exec_driver_sql(
                    "INSERT INTO municipality (name, cbs_code) VALUES ('Testdorp', 'GM9999')"
                )
            modes = {
                p.name: stat.S_IMODE(p.stat().st_mode)
                for p in tmp_path.iterdir()
                if p.name.startswith("nieuw.db")
            }
        engine.dispose()
        get_engine.cache_clear()
    finally:
        os.umask(before)
    assert set(modes) == {"nieuw.db", "nieuw.db-wal", "nieuw.db-shm"}
    assert modes == dict.fromkeys(modes, 0o600)


# -- sessions: rights from the store on every run (issue 21 item 1) -----------------------------------


def _second_coordinator(engine) -> Scope:
    return create_user(engine, "boris", PASSWORD, "coordinator")


def _builder_id(engine, name: str) -> int:
    from samenhier.models import CommunityBuilder

    with Session(engine) as s:
        return s.exec(select(CommunityBuilder.id).where(CommunityBuilder.name == name)).one()


def _user(engine, username: str) -> UserAccount:
    with Session(engine) as s:
        return s.exec(select(UserAccount).where(UserAccount.username == username)).one()


@pytest.mark.both_backends
def test_a_demoted_coordinator_loses_coordinator_access_in_the_open_session(workbook_engine):
    from samenhier.services import records, sessions

    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    boris = _second_coordinator(workbook_engine)
    token = users.log_in(workbook_engine, "anna", PASSWORD).token
    assert sessions.resume(workbook_engine, token).scope.is_coordinator
    anna = _user(workbook_engine, "anna")
    records.update_user_account(
        workbook_engine,
        boris,
        user_id=anna.id,
        expected_version=anna.version,
        changes={
            "role": "community_builder",
            "community_builder_id": _builder_id(workbook_engine, "Joris Kramer"),
        },
    )
    resumed = sessions.resume(workbook_engine, token)
    assert resumed.scope is None and resumed.reason == "rights"
    # The session stays ended; a new login gets the new, smaller rights.
    assert sessions.resume(workbook_engine, token).scope is None
    assert users.authenticate(workbook_engine, "anna", PASSWORD).role.value == "community_builder"


@pytest.mark.both_backends
def test_a_password_reset_ends_the_open_sessions(engine):
    from samenhier.services import records, sessions

    create_user(engine, "anna", PASSWORD, "coordinator")
    boris = _second_coordinator(engine)
    tabs = [users.log_in(engine, "anna", PASSWORD).token for _ in range(2)]  # two browsers
    anna = _user(engine, "anna")
    records.reset_password(
        engine, boris, user_id=anna.id, expected_version=anna.version, new_password="nieuw-lang-wachtwoord"
    )
    assert [sessions.resume(engine, t).scope for t in tabs] == [None, None]


@pytest.mark.both_backends
def test_a_role_changed_outside_the_app_ends_the_session_too(engine):
    """Rights are not remembered per session: a change made directly in the store (a script, another
    program) is seen on the next run."""
    from samenhier.services import sessions

    create_user(engine, "anna", PASSWORD, "coordinator")
    token = users.log_in(engine, "anna", PASSWORD).token
    with engine.begin() as c:
        c.execute(text("UPDATE user_account SET active = false WHERE username = 'anna'"))
    assert sessions.resume(engine, token).reason == "account"


def test_after_a_restore_that_lacks_the_account_its_session_ends(engine, tmp_path):
    from samenhier.backup import backup_into, check_backup, restore_backup
    from samenhier.services import sessions

    create_user(engine, "boris", PASSWORD, "coordinator")
    before = backup_into(engine, tmp_path / "backups")
    create_user(engine, "anna", PASSWORD, "coordinator")
    token = users.log_in(engine, "anna", PASSWORD).token
    boris = users.log_in(engine, "boris", PASSWORD).token
    assert sessions.resume(engine, token).scope == Scope.coordinator("anna")
    restore_backup(
        engine,
        before,
        safety_dir=tmp_path / "safety",
        confirmed_accounts=tuple(check_backup(before, engine).accounts),
    )
    assert sessions.resume(engine, boris).scope == Scope.coordinator(
        "boris"
    )  # unchanged in the backup: stays
    assert sessions.resume(engine, token).scope is None


def test_an_open_app_session_follows_a_demotion_on_its_next_run(workbook_engine):
    """The attack of 21.1 in the app: a coordinator's open page, demoted meanwhile, gets no coordinator page."""
    from samenhier.services import records

    boris = _second_coordinator(workbook_engine)
    at = run_app(Scope.coordinator("anna"))
    assert at.session_state["scope"].is_coordinator
    anna = _user(workbook_engine, "anna")
    records.update_user_account(
        workbook_engine,
        boris,
        user_id=anna.id,
        expected_version=anna.version,
        changes={
            "role": "community_builder",
            "community_builder_id": _builder_id(workbook_engine, "Joris Kramer"),
        },
    )
    at.run()
    assert "scope" not in at.session_state
    assert any("gewijzigd" in w.value for w in at.warning)
    assert at.text_input(key="login_password")  # the login form, not a page


@pytest.mark.both_backends
def test_session_tokens_are_stored_only_as_hashes(engine):
    create_user(engine, "anna", PASSWORD, "coordinator")
    token = users.log_in(engine, "anna", PASSWORD).token
    assert len(token) >= 43  # 32 random bytes, URL-safe
    with engine.connect() as c:
        stored = [str(v) for row in c.execute(text("SELECT * FROM user_session")).all() for v in row]
    assert not any(token in v for v in stored)
    import hashlib

    assert hashlib.sha256(token.encode()).hexdigest() in stored


# -- login throttling and a busy store (issue 21 item 7) ------------------------------------------------


@pytest.mark.both_backends
def test_a_stranger_cannot_lock_a_user_out_by_knowing_the_name(engine):
    create_user(engine, "anna", PASSWORD, "coordinator")
    for _ in range(20):
        with pytest.raises(LoginFailed):
            users.log_in(engine, "anna", "geraden-wachtwoord", client="203.0.113.9")
    # Anna, at her own computer, logs in at once.
    assert users.log_in(engine, "anna", PASSWORD, client="192.0.2.10").scope.username == "anna"
    # The guesser's computer waits, even with the right password, and is told so.
    with pytest.raises(users.LoginThrottled) as refused:
        users.log_in(engine, "anna", PASSWORD, client="203.0.113.9")
    assert refused.value.retry_after >= 20  # 30 s after the fifth failure


@pytest.mark.both_backends
def test_one_client_guessing_many_names_is_slowed_down(engine):
    create_user(engine, "anna", PASSWORD, "coordinator")
    with pytest.raises(users.LoginThrottled):
        for number in range(30):  # four times login_max_failures over any names, then a wait
            with pytest.raises(LoginFailed):
                users.log_in(engine, f"naam{number}", "geraden-wachtwoord", client="203.0.113.9")
            if number >= 19:
                users.log_in(engine, "anna", PASSWORD, client="203.0.113.9")


@pytest.mark.both_backends
def test_repeated_failed_logins_are_summarised_in_the_audit_trail(engine):
    create_user(engine, "anna", PASSWORD, "coordinator")
    for _ in range(200):
        with pytest.raises(LoginFailed):
            users.log_in(engine, "anna", "geraden-wachtwoord", client="203.0.113.9")
    with engine.connect() as c:
        rows = (
            c.execute(text("SELECT changes FROM audit_event WHERE action = 'login_failed'")).scalars().all()
        )
    assert 1 <= len(rows) <= 3  # was one row per attempt (200)
    assert '"attempts": 5' in rows[-1]  # the summary says how many


def _hold_write_lock(engine):
    """Another connection holding the store's write lock (as a long import does); returns it (roll back to free)."""
    from samenhier.db import write_engine

    connection = write_engine(engine).connect()
    connection.begin()
    connection.exec_driver_sql("SELECT 1")
    return connection


@pytest.mark.both_backends
def test_password_is_checked_outside_the_write_transaction(engine, monkeypatch):
    """Argon2 takes a noticeable time; under the old BEGIN IMMEDIATE every other write waited for it."""
    create_user(engine, "anna", PASSWORD, "coordinator")
    monkeypatch.setenv("SAMENHIER_LOGIN_BUSY_SECONDS", "0.3")
    users.get_settings.cache_clear()
    seen = []

    class Spy(PasswordHasher):
        def verify(self, hash, password):  # noqa: A002 (argon2's own parameter name)
            try:  # can another writer get the lock while the password is checked?
                with users._login_transaction(engine) as s:
                    s.exec(text("SELECT 1"))
                seen.append("free")
            except Exception as exc:  # noqa: BLE001
                seen.append(type(exc).__name__)
            return super().verify(hash, password)

    monkeypatch.setattr(users, "HASHER", Spy())
    users.log_in(engine, "anna", PASSWORD)
    with pytest.raises(LoginFailed):
        users.log_in(engine, "anna", "fout-wachtwoord-1")
    assert seen == ["free", "free"]


@pytest.mark.both_backends
def test_a_login_behind_a_long_write_says_busy_instead_of_crashing(engine, monkeypatch):
    import time as clock

    create_user(engine, "anna", PASSWORD, "coordinator")
    monkeypatch.setenv("SAMENHIER_LOGIN_BUSY_SECONDS", "0.5")
    users.get_settings.cache_clear()
    holder = _hold_write_lock(engine)
    try:
        started = clock.monotonic()
        with pytest.raises(users.LoginBusy):
            users.log_in(engine, "anna", PASSWORD)
        assert clock.monotonic() - started < 5  # not the store's 15 s busy timeout
    finally:
        holder.rollback()
        holder.close()
    assert users.log_in(engine, "anna", PASSWORD).scope.username == "anna"  # and then it works


def test_the_login_form_shows_busy_a_moment_please(engine, monkeypatch):
    create_user(engine, "anna", PASSWORD, "coordinator")
    monkeypatch.setenv("SAMENHIER_LOGIN_BUSY_SECONDS", "0.3")
    users.get_settings.cache_clear()
    at = run_app()
    holder = _hold_write_lock(engine)
    try:
        at.text_input(key="login_username").input("anna")
        at.text_input(key="login_password").input(PASSWORD)
        at.button[0].click()
        at.run()
    finally:
        holder.rollback()
        holder.close()
    assert not at.exception
    assert any("Bezig, een moment" in i.value for i in at.info)
    assert "scope" not in at.session_state


# -- account points (issue 21 item 8) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "weak", ["password123", "wachtwoord123", "welkom12345", "1234567890", "qwertyuiop12", "samenhier2026"]
)
def test_common_and_weak_passwords_are_refused(engine, weak):
    with pytest.raises(users.UserError) as refused:
        create_user(engine, "anna", weak, "coordinator")
    assert (refused.value.field, refused.value.code) == ("password", "weak")


def test_weak_passwords_are_refused_in_beheer_and_on_reset(engine):
    from samenhier.services import records
    from samenhier.services.common import ValidationFailed

    boris = _second_coordinator(engine)
    with pytest.raises(ValidationFailed) as refused:
        records.create_user_account(
            engine, boris, values={"username": "anna", "password": "welkom12345", "role": "coordinator"}
        )
    assert [e.code for e in refused.value.errors] == ["password_weak"]
    me = _user(engine, "boris")
    with pytest.raises(ValidationFailed):
        records.reset_password(
            engine, boris, user_id=me.id, expected_version=me.version, new_password="wachtwoord123"
        )


def test_user_names_are_nfkc_normalised_and_log_in_either_way(engine):
    assert create_user(engine, "ＡＮＮＡ", PASSWORD, "coordinator").username == "anna"  # full-width letters
    assert authenticate(engine, "ａｎｎａ", PASSWORD).username == "anna"


@pytest.mark.parametrize("name", ["аnna", "anna<script>", "an na", "anna\u202e", "ánna", "-anna", "x" * 41])
def test_user_names_outside_the_allowed_characters_are_refused(engine, name):
    with pytest.raises(users.UserError) as refused:
        create_user(engine, name, PASSWORD, "coordinator")
    assert refused.value.code == "invalid"


@pytest.mark.parametrize(
    ("existing", "lookalike"),
    [
        ("maria", "rnaria"),
        ("lisa", "l1sa"),
        ("j.devries", "jdevries"),
        ("anna", "anna."),
        ("boris", "b0ris"),
        ("willem", "wilIem"),
    ],
)
def test_user_names_confusable_with_an_existing_one_are_refused(engine, existing, lookalike):
    create_user(engine, existing, PASSWORD, "coordinator")
    with pytest.raises(users.UserError) as refused:
        create_user(engine, lookalike, PASSWORD, "coordinator")
    assert refused.value.code in ("confusable", "taken")


def test_confusable_names_are_refused_in_beheer(engine):
    from samenhier.services import records
    from samenhier.services.common import ValidationFailed

    boris = _second_coordinator(engine)
    with pytest.raises(ValidationFailed) as refused:
        records.create_user_account(
            engine, boris, values={"username": "b0ris", "password": PASSWORD, "role": "coordinator"}
        )
    assert [e.code for e in refused.value.errors] == ["username_confusable"]


def test_the_page_clears_itself_after_the_idle_timeout():
    """The app registers a watcher that reruns the whole app once the session has no time left, so an idle
    screen with personal data clears without a click (the browser journey checks it after a logout elsewhere)."""
    from samenhier import ui_session

    source = (PROJECT_ROOT / "app.py").read_text(encoding="utf-8")
    assert "ui.end_session_when_idle()" in source
    assert ui_session.IDLE_CHECK_SECONDS <= 60
    assert (
        "run_every"
        in inspect.getsource(ui_session).split("def end_session_when_idle")[0].rsplit("\n\n", 2)[-1]
    )
