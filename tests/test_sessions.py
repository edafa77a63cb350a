"""Server-side sessions (issue 14 item 4): expiry, revocation, hashing, rights re-derived on every run, and the
login/logout routes that set and clear the HttpOnly cookie (called as ASGI, without a browser)."""

from __future__ import annotations

import datetime as dt
import hashlib
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from asgi_loop import run_in_own_loop
from sqlalchemy import text
from starlette.applications import Starlette

from samenhier import web
from samenhier.scope import Scope
from samenhier.services import sessions, users
from samenhier.services.users import create_user

PASSWORD = "een-lang-wachtwoord"


@pytest.fixture
def anna(engine) -> str:
    create_user(engine, "anna", PASSWORD, "coordinator")
    return users.log_in(engine, "anna", PASSWORD).token


def _later(monkeypatch, **delta):
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(**delta)
    monkeypatch.setattr(sessions, "now_utc", lambda: moment)


# -- the service --------------------------------------------------------------------------------------


@pytest.mark.both_backends
def test_a_session_gives_the_accounts_scope_as_stored_now(engine, anna):
    assert sessions.resume(engine, anna).scope == Scope.coordinator("anna")


@pytest.mark.both_backends
def test_unknown_and_missing_tokens_open_nothing(engine, anna):
    assert sessions.resume(engine, None).reason == "missing"
    assert sessions.resume(engine, anna + "x").reason == "missing"
    assert (
        sessions.resume(engine, hashlib.sha256(anna.encode()).hexdigest()).scope is None
    )  # the stored hash is no key


@pytest.mark.both_backends
def test_idle_timeout_ends_a_session(engine, anna, monkeypatch):
    _later(monkeypatch, minutes=29)  # the default timeout is 30 minutes without activity
    assert sessions.resume(engine, anna, touch=False).scope is not None
    _later(monkeypatch, minutes=31)
    assert sessions.resume(engine, anna).reason == "timeout"
    monkeypatch.undo()
    assert sessions.resume(engine, anna).reason == "timeout"  # it stays ended


@pytest.mark.both_backends
def test_activity_keeps_a_session_alive_until_its_absolute_end(engine, anna, monkeypatch):
    for minutes in range(20, 12 * 60, 20):  # a click every 20 minutes
        _later(monkeypatch, minutes=minutes)
        assert sessions.resume(engine, anna).scope is not None, minutes
    _later(monkeypatch, hours=12, minutes=5)  # session_max_hours: 12
    assert sessions.resume(engine, anna).reason == "expired"


@pytest.mark.both_backends
def test_the_idle_watcher_does_not_count_as_activity(engine, anna, monkeypatch):
    _later(monkeypatch, minutes=20)
    left = sessions.resume(engine, anna, touch=False).seconds_left
    assert 9 * 60 <= left <= 10 * 60  # 30 − 20 minutes
    _later(monkeypatch, minutes=31)
    assert sessions.resume(engine, anna, touch=False).scope is None


@pytest.mark.both_backends
def test_logout_ends_the_session_for_every_tab(engine, anna):
    other_browser = users.log_in(engine, "anna", PASSWORD).token
    sessions.revoke(engine, anna)
    assert sessions.resume(engine, anna).reason == "logout"  # every tab shares this token
    assert sessions.resume(engine, other_browser).scope is not None  # a login elsewhere is its own session


@pytest.mark.both_backends
def test_a_linked_builder_changed_in_the_store_ends_the_session(workbook_engine):
    with workbook_engine.connect() as c:
        first, second = c.execute(text("SELECT id, name FROM community_builder ORDER BY id LIMIT 2")).all()
    create_user(workbook_engine, "joris", PASSWORD, "community_builder", community_builder=first.name)
    token = users.log_in(workbook_engine, "joris", PASSWORD).token
    assert sessions.resume(workbook_engine, token).scope.community_builder_id == first.id
    with workbook_engine.begin() as c:
        c.execute(
            text("UPDATE user_account SET community_builder_id = :b WHERE username = 'joris'"),
            {"b": second.id},
        )
    assert sessions.resume(workbook_engine, token).reason == "rights"


def test_old_sessions_are_cleaned_up_at_a_later_login(engine, anna, monkeypatch):
    monkeypatch.setattr(sessions, "now_utc", lambda: dt.datetime.now(dt.UTC) + dt.timedelta(days=3))
    sessions.start(
        engine, "anna"
    )  # made "three days later": anna's first session ended more than a day before
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM user_session")).scalar() == 1


# -- the routes ---------------------------------------------------------------------------------------


def _request(
    method: str, path: str, *, form: dict | None = None, headers: dict | None = None
) -> tuple[int, dict, list[str]]:
    """One HTTP request to the login/logout routes (wrapped like serve.py does); returns status, headers
    (last value per name) and every Set-Cookie value."""
    app = Starlette(routes=web.routes(), middleware=web.middleware())
    body = urlencode(form or {}).encode()
    raw_headers = [
        (b"host", b"testserver"),
        (b"content-type", b"application/x-www-form-urlencoded"),
        (b"content-length", str(len(body)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": raw_headers,
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("198.51.100.7", 5000),
        "http_version": "1.1",
        "root_path": "",
    }
    sent, messages = [], [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    run_in_own_loop(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    names = [(k.decode().lower(), v.decode()) for k, v in start["headers"]]
    return start["status"], dict(names), [v for k, v in names if k == "set-cookie"]


def test_a_login_sets_an_httponly_strict_cookie_and_returns_to_the_page(engine, anna):
    status, headers, cookies = _request(
        "POST",
        web.LOGIN_PATH,
        form={"username": "anna", "password": PASSWORD, "next": "/groep?group=0518-001", "ui_language": "en"},
    )
    assert (status, headers["location"]) == (303, "/groep?group=0518-001")
    jar = SimpleCookie()
    for value in cookies:
        jar.load(value)
    session = jar[web.COOKIE]
    assert session["httponly"] and session["samesite"].lower() == "strict" and session["path"] == "/"
    assert not session["secure"] and not session["max-age"]  # plain http in this test; ends with the browser
    assert sessions.resume(engine, session.value).scope == Scope.coordinator("anna")
    # No language was chosen on the login page (no marker cookie): the account's own language (nl) wins and is
    # kept in the browser for its next login page; the form's language does not change the account.
    assert jar[web.LANG_COOKIE].value == "nl"
    assert users.account_language(engine, "anna") == "nl"


@pytest.mark.parametrize(
    ("form", "outcome"),
    [
        ({"username": "anna", "password": "fout-wachtwoord"}, "failed"),
        ({"username": "niemand", "password": PASSWORD}, "failed"),
    ],
)
def test_a_refused_login_sets_no_cookie_and_says_why_on_the_page(engine, anna, form, outcome):
    status, headers, cookies = _request(
        "POST", web.LOGIN_PATH, form={**form, "next": "/groep?group=0518-001"}
    )
    assert status == 303 and not cookies
    query = parse_qs(urlsplit(headers["location"]).query)
    assert query == {"group": ["0518-001"], "login": [outcome]}


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", ""]
)
def test_the_login_never_redirects_off_this_server(engine, anna, target):
    _, headers, _ = _request(
        "POST", web.LOGIN_PATH, form={"username": "anna", "password": PASSWORD, "next": target}
    )
    assert headers["location"] == "/"


def test_login_and_logout_from_another_site_are_refused(engine, anna):
    for path in (web.LOGIN_PATH, web.LOGOUT_PATH):
        status, _, cookies = _request(
            "POST",
            path,
            form={"username": "anna", "password": PASSWORD},
            headers={"Origin": "https://evil.example"},
        )
        assert status == 403 and not cookies
    assert sessions.resume(engine, anna).scope is not None


def test_the_logout_route_ends_the_session_and_clears_the_cookie(engine, anna):
    status, headers, cookies = _request(
        "POST",
        web.LOGOUT_PATH,
        form={"next": "/"},
        headers={"Cookie": f"{web.COOKIE}={anna}", "Origin": "http://testserver"},
    )
    assert status == 303 and any(c.startswith(f'{web.COOKIE}=""') or "Max-Age=0" in c for c in cookies)
    assert sessions.resume(engine, anna).reason == "logout"


def test_overzicht_is_redirected_to_the_default_page():
    status, headers, _ = _request("GET", "/overzicht")
    assert (status, headers["location"]) == (307, "/")
    assert headers["x-frame-options"] == "SAMEORIGIN"


# -- the language and the first account (issue 14 leftovers, items 1 and 2) -----------------------------


def _jar(cookies: list[str]) -> SimpleCookie:
    jar = SimpleCookie()
    for value in cookies:
        jar.load(value)
    return jar


def test_the_language_route_keeps_the_choice_in_an_httponly_cookie(engine):
    status, headers, cookies = _request(
        "POST", web.LANGUAGE_PATH, form={"ui_language": "en", "next": "/groep?group=0518-001"}
    )
    assert (status, headers["location"]) == (303, "/groep?group=0518-001")
    jar = _jar(cookies)
    assert jar[web.LANG_COOKIE].value == "en" and jar[web.LANG_COOKIE]["httponly"]
    assert int(jar[web.LANG_COOKIE]["max-age"]) == 365 * 24 * 3600  # a year: a new browser session keeps it
    assert jar[web.LANG_CHOSEN_COOKIE].value == "1" and not jar[web.LANG_CHOSEN_COOKIE]["max-age"]


@pytest.mark.parametrize("form", [{"ui_language": "de", "next": "/"}, {"next": "/"}])
def test_the_language_route_ignores_an_unknown_language(engine, form):
    status, _, cookies = _request("POST", web.LANGUAGE_PATH, form=form)
    assert status == 303 and not cookies


def test_the_language_route_refuses_another_site(engine):
    status, _, cookies = _request(
        "POST", web.LANGUAGE_PATH, form={"ui_language": "en"}, headers={"Origin": "https://evil.example"}
    )
    assert status == 403 and not cookies


def test_a_language_chosen_on_the_login_page_becomes_the_accounts(engine, anna):
    _, _, cookies = _request(
        "POST",
        web.LOGIN_PATH,
        headers={"Cookie": f"{web.LANG_CHOSEN_COOKIE}=1; {web.LANG_COOKIE}=en"},
        form={"username": "anna", "password": PASSWORD, "next": "/", "ui_language": "en"},
    )
    jar = _jar(cookies)
    assert jar[web.LANG_COOKIE].value == "en"
    assert jar[web.LANG_CHOSEN_COOKIE].value == ""  # the marker is used up
    assert users.account_language(engine, "anna") == "en"
    # The next login without a new choice keeps the account's language, whatever the page sent.
    _, _, cookies = _request(
        "POST",
        web.LOGIN_PATH,
        form={"username": "anna", "password": PASSWORD, "next": "/", "ui_language": "nl"},
    )
    assert _jar(cookies)[web.LANG_COOKIE].value == "en"
    assert users.account_language(engine, "anna") == "en"


def test_the_setup_route_makes_the_first_account_and_logs_it_in_by_cookie(engine):
    status, headers, cookies = _request(
        "POST",
        web.SETUP_PATH,
        form={"username": "anna", "password": PASSWORD, "repeat": PASSWORD, "ui_language": "en", "next": "/"},
    )
    assert (status, headers["location"]) == (303, "/")
    jar = _jar(cookies)
    session = jar[web.COOKIE]
    assert session["httponly"] and session["samesite"].lower() == "strict"
    assert sessions.resume(engine, session.value).scope == Scope.coordinator("anna")
    assert jar[web.LANG_COOKIE].value == "en" and users.account_language(engine, "anna") == "en"


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"username": "anna", "password": PASSWORD, "repeat": PASSWORD + "x"}, "mismatch"),
        ({"username": "anna", "password": "kort", "repeat": "kort"}, "password.too_short"),
        ({"username": "", "password": PASSWORD, "repeat": PASSWORD}, "username.required"),
    ],
)
def test_the_setup_route_refuses_bad_input_and_says_why(engine, form, reason):
    status, headers, cookies = _request("POST", web.SETUP_PATH, form={**form, "next": "/"})
    assert status == 303 and not cookies
    query = parse_qs(urlsplit(headers["location"]).query)
    assert query["setup"] == [reason]
    assert users.count_users(engine) == 0


def test_the_setup_route_makes_no_second_account(engine, anna):
    status, headers, cookies = _request(
        "POST",
        web.SETUP_PATH,
        form={"username": "mallory", "password": PASSWORD, "repeat": PASSWORD, "next": "/"},
    )
    assert status == 303 and not cookies
    assert parse_qs(urlsplit(headers["location"]).query)["setup"] == ["already_done"]
    assert users.count_users(engine) == 1


def test_the_setup_route_refuses_another_site(engine):
    status, _, cookies = _request(
        "POST",
        web.SETUP_PATH,
        headers={"Origin": "https://evil.example"},
        form={"username": "mallory", "password": PASSWORD, "repeat": PASSWORD},
    )
    assert status == 403 and not cookies and users.count_users(engine) == 0


@pytest.mark.both_backends
def test_set_language_keeps_the_accounts_language_and_audits_it(engine, anna):
    assert users.set_language(engine, "anna", "en") is True
    assert users.set_language(engine, "anna", "en") is False  # unchanged: no write
    assert sessions.resume(engine, anna).language == "en"
    with engine.connect() as c:
        changes = (
            c.execute(
                text("SELECT changes FROM audit_event WHERE action = 'update' AND record_code = 'anna'")
            )
            .scalars()
            .all()
        )
    assert len(changes) == 1 and '"en"' in changes[0]
    with pytest.raises(users.UserError):
        users.set_language(engine, "anna", "de")
