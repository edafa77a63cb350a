"""The HTTP side of logging in: routes that set and clear the HttpOnly session cookie, and security headers.

Why here and not in the script: a Streamlit script talks to the browser over a WebSocket and cannot set a
cookie, and a cookie that JavaScript sets cannot be HttpOnly. Streamlit 1.67 runs on Starlette and lets an
app add its own routes and middleware (``st.App(script, routes=…, middleware=…)``, see ``serve.py``), so the
login form posts to ``/auth/login`` on the same server, which checks the password, starts a server-side
session (:mod:`samenhier.services.sessions`) and answers with ``Set-Cookie: samenhier_session=…; HttpOnly;
SameSite=Strict`` (``Secure`` over HTTPS) and a redirect back to the page. The script then reads the token
from ``st.context.cookies`` on every run (:func:`samenhier.ui.current_scope`). No third-party component and no
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
"""The language chosen on the login form, so the page after the login (a new browser session) keeps it."""
LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
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
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")


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
        outcome = await run_in_threadpool(log_in, _engine(), str(form.get("username") or ""),
                                          str(form.get("password") or ""), client=_client(request))
    except LoginThrottled as exc:
        return RedirectResponse(_with_params(target, **{LOGIN_OUTCOME_PARAM: "throttled", "wait": str(exc.retry_after)}), 303)
    except LoginFailed:
        return RedirectResponse(_with_params(target, **{LOGIN_OUTCOME_PARAM: "failed"}), 303)
    except LoginBusy:
        return RedirectResponse(_with_params(target, **{LOGIN_OUTCOME_PARAM: "busy"}), 303)
    response = RedirectResponse(target, 303)
    _set_cookie(response, request, outcome.token)
    lang = str(form.get("ui_language") or "")  # not "lang": DOMPurify drops names that shadow form properties
    if lang in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                            path="/", max_age=365 * 24 * 3600)
    return response


async def logout(request: Request) -> Response:
    """POST: end the session of the cookie (every tab) and clear the cookie; go to ``next`` (the login form)."""
    from starlette.concurrency import run_in_threadpool

    from samenhier.services.sessions import revoke

    if not _same_origin(request):
        return PlainTextResponse("Forbidden", status_code=403)
    form = await request.form()
    await run_in_threadpool(revoke, _engine(), request.cookies.get(COOKIE))
    response = RedirectResponse(safe_next(str(form.get("next") or "/")), 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


def routes() -> list[Route]:
    """The login and logout routes for ``st.App(routes=…)`` (``serve.py`` also sets :data:`MOUNTED`)."""
    return [Route(LOGIN_PATH, login, methods=["POST"]), Route(LOGOUT_PATH, logout, methods=["POST"])]


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
                extra = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items() if k.encode() not in present]
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
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["path"] in DEFAULT_PAGE_ALIASES:
            query = scope.get("query_string", b"").decode("latin-1")
            await RedirectResponse("/" + (f"?{query}" if query else ""), 307)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def middleware() -> list:
    """Middleware for ``st.App(middleware=…)``: security headers, and ``/overzicht`` redirected to ``/``."""
    from starlette.middleware import Middleware

    return [Middleware(SecurityHeadersMiddleware), Middleware(DefaultPageRedirectMiddleware)]
