"""Security suite: role scoping, login limiting, password hashing, cache and session isolation, and
user data rendered as text (no HTML injection)."""

from __future__ import annotations

import ast
import datetime as dt
import re

import pandas as pd
import pytest
from apptest_helpers import clear_streamlit_caches, run_app
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlmodel import Session, select

from samenhier import PROJECT_ROOT
from samenhier.models import UserAccount
from samenhier.queries import groups as group_queries
from samenhier.scope import AccessDenied, Scope
from samenhier.services import users
from samenhier.services.users import LoginFailed, authenticate, create_user

AS_OF = dt.date(2026, 11, 15)
PASSWORD = "een-lang-wachtwoord"
XSS = "<script>alert('x')</script><img src=x onerror=alert(1)>[klik](javascript:alert(2))"


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_streamlit_caches()
    yield
    clear_streamlit_caches()


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
    codes = {link.split("group=")[1] for link in at.dataframe[0].value["link"]}
    assert codes == own_codes(sheets, "Nadia Rahimi")


def test_two_sessions_keep_their_own_user(workbook_engine):
    create_user(workbook_engine, "anna", PASSWORD, "coordinator")
    scope = builder(workbook_engine, "Nadia Rahimi")
    first, second = run_app(Scope.coordinator("anna")), run_app(scope)
    first.run()
    assert first.session_state["scope"].username == "anna"
    assert second.session_state["scope"].username == "nadia"


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
    assert "\\<script\\>" in at.title[0].value and "<script>" not in at.title[0].value
    # Notes (st.text) and tables carry the text itself, which Streamlit shows as plain text.
    assert XSS in [t.value for t in at.text]
    assert any(XSS in name for name in at.dataframe[0].value["name"])
