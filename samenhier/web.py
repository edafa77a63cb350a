"""The HTTP side of logging in: routes that set and clear the HttpOnly session cookie, and security headers.

Why here and not in the script: a Streamlit script talks to the browser over a WebSocket and cannot set a
cookie, and a cookie that JavaScript sets cannot be HttpOnly. Streamlit 1.67 runs on Starlette and lets an
app add its own routes and middleware (``st.App(script, routes=…, middleware=…)``, see ``serve.py``), so the
login form posts to ``/auth/login`` on the same server, which checks the password, starts a server-side
session (:mod:`samenhier.services.sessions`) and answers with ``Set-Cookie: samenhier_session=…; HttpOnly;
SameSite=Strict`` (``Secure`` over HTTPS) and a redirect back to the page. The script then reads the token
from ``st.context.cookies`` on every run (:func:`samenhier.ui_session.current_scope`). No third-party component and no
JavaScript are involved.

The form's ``Origin`` must be this server (a page elsewhere cannot log a browser in or out), and ``next`` must
be a path on this server (no open redirect).
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from samenhier.i18n import LANGUAGES

COOKIE = "samenhier_session"
LANG_COOKIE = "samenhier_lang"
"""This browser's language for pages shown without a user (the login and setup forms): set when it is chosen
there (:data:`LANGUAGE_PATH`) and at every login (to the account's language). A year long, HttpOnly."""
LANG_CHOSEN_COOKIE = "samenhier_lang_chosen"
"""Marks a language chosen on the login page since the last login (ends with the browser session): the next
login makes it the account's language. Without it the account's own language wins at login."""
LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
LANGUAGE_PATH = "/auth/language"
SETUP_PATH = "/auth/setup"
SETUP_ERROR_PARAM = "setup"
"""Query parameter the setup route adds to the setup page after a refused first account: the i18n key's tail
(``mismatch``, ``already_done``, ``username.taken``, ``password.weak``, …); the page shows the message."""
LOGIN_OUTCOME_PARAM = "login"
"""Query parameter the login route adds to the page it returns to after a refused login: ``failed``,
``throttled`` (with ``wait``, seconds) or ``busy``; the login form shows the message and removes it."""

MOUNTED = False
"""True in a process started through ``serve.py``: the routes exist, so the login form posts to them. Under
``streamlit run app.py`` (and AppTest) the form falls back to a Streamlit form whose session lives only in
that browser tab."""

SECURITY_HEADERS = {
    # Clickjacking: no other site may show the dashboard in a frame (same-origin frames — Streamlit's own
    # component iframes — stay allowed).
    "x-frame-options": "SAMEORIGIN",
    "content-security-policy": "frame-ancestors 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}

_log = logging.getLogger(__name__)


def _engine():
    from samenhier.db import database_url, get_engine

    return get_engine(database_url())


def safe_next(value: str | None) -> str:
    """``value`` if it is a path on this server (``/groep?group=0518-001``), else ``/``."""
    value = (value or "").strip()
    parts = urlsplit(value)
    if not value.startswith("/") or value.startswith("//") or "\\" in value or parts.scheme or parts.netloc:
        return "/"
    return value


def _with_params(path: str, **params: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}{urlencode(params)}"


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        # Browsers send Origin on every cross-site POST; its absence means a same-site or non-browser client.
        return origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _set_cookie(response: Response, request: Request, token: str) -> None:
    # No Max-Age: the cookie ends with the browser session; the store decides idle and absolute expiry.
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/"
    )


def _set_language_cookie(response: Response, request: Request, lang: str) -> None:
    response.set_cookie(
        LANG_COOKIE,
        lang,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
        max_age=365 * 24 * 3600,
    )


async def login(request: Request) -> Response:
    """POST ``username``, ``password``, ``next``: on success set the session cookie and go to ``next``; else go
    back to ``next`` with ``?login=failed|throttled|busy``."""
    from starlette.concurrency import run_in_threadpool

    from samenhier.services.users import LoginBusy, LoginFailed, LoginThrottled, log_in

    if not _same_origin(request):
        return PlainTextResponse("Forbidden", status_code=403)
    form = await request.form()
    target = safe_next(str(form.get("next") or "/"))
    try:
        outcome = await run_in_threadpool(
            log_in,
            _engine(),
            str(form.get("username") or ""),
            str(form.get("password") or ""),
            client=_client(request),
        )
    except LoginThrottled as exc:
        return RedirectResponse(
            _with_params(target, **{LOGIN_OUTCOME_PARAM: "throttled", "wait": str(exc.retry_after)}), 303
        )
    except LoginFailed:
        return RedirectResponse(_with_params(target, **{LOGIN_OUTCOME_PARAM: "failed"}), 303)
    except LoginBusy:
        return RedirectResponse(_with_params(target, **{LOGIN_OUTCOME_PARAM: "busy"}), 303)
    response = RedirectResponse(target, 303)
    _set_cookie(response, request, outcome.token)
    lang = str(form.get("ui_language") or "")  # not "lang": DOMPurify drops names that shadow form properties
    language = await run_in_threadpool(
        _login_language, outcome.scope.username, lang if request.cookies.get(LANG_CHOSEN_COOKIE) else ""
    )
    _set_language_cookie(response, request, language)
    response.delete_cookie(
        LANG_CHOSEN_COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


def _login_language(username: str, chosen: str) -> str:
    """The account's language after a login: ``chosen`` on the login page (kept as the account's language), else
    the account's own."""
    from samenhier.services.users import account_language, set_language

    engine = _engine()
    if chosen in LANGUAGES:
        set_language(engine, username, chosen)
        return chosen
    return account_language(engine, username)


async def language(request: Request) -> Response:
    """POST ``ui_language``, ``next``: the language chosen on the login or setup page. Kept in this browser (the
    :data:`LANG_COOKIE` cookie, marked :data:`LANG_CHOSEN_COOKIE` so the next login keeps it for the account);
    back to ``next``, which opens in it."""
    if not _same_origin(request):
        return PlainTextResponse("Forbidden", status_code=403)
    form = await request.form()
    lang = str(form.get("ui_language") or "")
    response = RedirectResponse(safe_next(str(form.get("next") or "/")), 303)
    if lang in LANGUAGES:
        _set_language_cookie(response, request, lang)
        response.set_cookie(
            LANG_CHOSEN_COOKIE,
            "1",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


async def setup(request: Request) -> Response:
    """POST ``username``, ``password``, ``repeat``, ``ui_language``, ``next``: the first-run setup. Only while the
    store has no account: creates the first (national) coordinator account in the language the page was shown
    in, starts its session and sets the session cookie, as a login does, so the new coordinator stays logged in
    across a reload. A refusal goes back to ``next`` with ``?setup=<reason>`` (and the username, not the
    password)."""
    from starlette.concurrency import run_in_threadpool

    if not _same_origin(request):
        return PlainTextResponse("Forbidden", status_code=403)
    form = await request.form()
    target = safe_next(str(form.get("next") or "/"))
    username = str(form.get("username") or "")
    lang = str(form.get("ui_language") or "")
    token, refused = await run_in_threadpool(
        _first_account,
        username,
        str(form.get("password") or ""),
        str(form.get("repeat") or ""),
        lang if lang in LANGUAGES else "nl",
    )
    if refused:
        return RedirectResponse(
            _with_params(target, **{SETUP_ERROR_PARAM: refused, "username": username[:200]}), 303
        )
    response = RedirectResponse(target, 303)
    _set_cookie(response, request, token)
    if lang in LANGUAGES:
        _set_language_cookie(response, request, lang)
    return response


def _first_account(username: str, password: str, repeat: str, lang: str) -> tuple[str, str]:
    """``(session token, "")`` of the first coordinator account, just made; ``("", reason)`` when refused."""
    from samenhier.models import UserRole
    from samenhier.services.sessions import start
    from samenhier.services.users import UserError, count_users, create_user

    engine = _engine()
    if password != repeat:
        return "", "mismatch"
    if count_users(engine):  # someone finished the setup already: this route makes no second account
        return "", "already_done"
    try:
        scope = create_user(engine, username, password, UserRole.COORDINATOR, actor="setup", language=lang)
    except UserError as exc:
        return "", f"{exc.field}.{exc.code}"
    return start(engine, scope.username), ""


async def logout(request: Request) -> Response:
    """POST: end the session of the cookie (every tab) and clear the cookie; go to ``next`` (the login form)."""
    from starlette.concurrency import run_in_threadpool

    from samenhier.services.sessions import revoke

    if not _same_origin(request):
        return PlainTextResponse("Forbidden", status_code=403)
    form = await request.form()
    await run_in_threadpool(revoke, _engine(), request.cookies.get(COOKIE))
    response = RedirectResponse(safe_next(str(form.get("next") or "/")), 303)
    response.delete_cookie(
        COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
    return response


def routes() -> list[Route]:
    """The login, logout, language and setup routes for ``st.App(routes=…)`` (``serve.py`` also sets :data:`MOUNTED`)."""
    return [
        Route(LOGIN_PATH, login, methods=["POST"]),
        Route(LOGOUT_PATH, logout, methods=["POST"]),
        Route(LANGUAGE_PATH, language, methods=["POST"]),
        Route(SETUP_PATH, setup, methods=["POST"]),
    ]


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding :data:`SECURITY_HEADERS` to every HTTP response (pages, static files, API)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


DEFAULT_PAGE_ALIASES = ("/overzicht", "/overzicht/")
"""Addresses of the default page (Overzicht). Streamlit serves the default page at ``/`` only; opened at its own
``url_path`` it answers with a "Page not found" dialog before showing it. These are redirected to ``/``."""


class DefaultPageRedirectMiddleware:
    """Redirect a browser's GET of :data:`DEFAULT_PAGE_ALIASES` to ``/`` (query kept), so a bookmark or typed
    ``/overzicht`` opens the overview without a "Page not found" dialog."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if (
            scope["type"] == "http"
            and scope["method"] in ("GET", "HEAD")
            and scope["path"] in DEFAULT_PAGE_ALIASES
        ):
            query = scope.get("query_string", b"").decode("latin-1")
            await RedirectResponse("/" + (f"?{query}" if query else ""), 307)(scope, receive, send)
            return
        await self.app(scope, receive, send)


PHONE_SIDEBAR_SCRIPT = (
    "<script>try{if(Math.min(screen.width,window.innerWidth)<=768){for(const k of Object.keys(localStorage)){"
    "if(k.startsWith('stSidebarCollapsed-'))localStorage.removeItem(k)}}}catch(e){}</script>"
)
"""Run first in the page's ``<head>``: on a narrow screen, forget the sidebar state Streamlit remembered.

A phone's browser reports ``innerWidth`` 980 at that moment (the page's ``<meta viewport>`` is not read yet),
so the screen's own width decides too: 390 on a phone, whatever the layout viewport; a narrow desktop window
is caught by ``innerWidth``."""


class PhoneSidebarMiddleware:
    """A phone opens every page with the sidebar closed (issue 14: "after F5 the sidebar reopens over the page").

    Streamlit 1.67 keeps the last time the user opened or closed the sidebar in the browser's localStorage
    (``stSidebarCollapsed-<base path>``) and prefers it over ``initial_sidebar_state`` ("auto": collapsed up to
    768 px wide) at every page load. On a phone the sidebar is the menu: it is opened to go to another page, and
    that is remembered as "open", so the next reload opened it over the page. A script option in
    ``set_page_config`` does not exist and a script the app sends runs after the sidebar is drawn, so this
    middleware adds :data:`PHONE_SIDEBAR_SCRIPT` (constant, no user data) to the HTML page itself, before
    Streamlit's own code runs: on a screen of at most 768 px it forgets that state, and "auto" closes the
    sidebar. Wider screens keep Streamlit's behaviour (expanded, and a user's own choice is remembered).

    Only a browser's GET of a page (``Accept: text/html``) is touched; its answer is asked uncompressed (the
    page is 2 kB) so the script can be inserted after ``<head>``.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", [])) if scope["type"] == "http" else {}
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or b"text/html" not in headers.get(b"accept", b"")
        ):
            await self.app(scope, receive, send)
            return
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k != b"accept-encoding"]}
        start: dict | None = None
        body = b""

        async def send_with_script(message):
            nonlocal start, body
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if not content_type.startswith(b"text/html"):
                    await send(message)
                    return
                start = message
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            body += message.get("body", b"")
            if message.get("more_body"):
                return
            body = body.replace(b"<head>", b"<head>" + PHONE_SIDEBAR_SCRIPT.encode(), 1)
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, send_with_script)


def middleware() -> list:
    """Middleware for ``st.App(middleware=…)``: security headers, ``/overzicht`` redirected to ``/``, and a phone's
    sidebar closed at every page load (:class:`PhoneSidebarMiddleware`)."""
    from starlette.middleware import Middleware

    return [
        Middleware(SecurityHeadersMiddleware),
        Middleware(DefaultPageRedirectMiddleware),
        Middleware(PhoneSidebarMiddleware),
    ]
