"""The page HTML carries the script that closes a phone's sidebar at every load (issue 14;
samenhier/web.py PhoneSidebarMiddleware), called as ASGI without a browser. The browser journey is
tests/e2e/test_sessions_browser.py (phone reload)."""

from __future__ import annotations

from asgi_loop import run_in_own_loop
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from samenhier import web

PAGE = "<!DOCTYPE html><html><head><title>Streamlit</title></head><body></body></html>"


def _echo_encoding(request):
    # What the app behind the middleware was asked: the page, and whether it may compress it.
    return HTMLResponse(PAGE, headers={"x-asked-encoding": request.headers.get("accept-encoding", "")})


def _app() -> Starlette:
    routes = [
        Route("/", _echo_encoding),
        Route("/api", lambda r: JSONResponse({"html": "<head>"})),
        Route("/text", lambda r: Response("<head>", media_type="text/plain")),
    ]
    return Starlette(routes=routes, middleware=web.middleware())


def _get(path: str, accept: str) -> tuple[int, dict, bytes]:
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"accept", accept.encode()), (b"accept-encoding", b"gzip")],
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("198.51.100.7", 5000),
        "http_version": "1.1",
        "root_path": "",
    }
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    run_in_own_loop(_app()(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_a_page_gets_the_script_first_in_its_head_with_the_right_length():
    status, headers, body = _get("/", BROWSER)
    script = web.PHONE_SIDEBAR_SCRIPT.encode()
    assert status == 200
    assert body == PAGE.encode().replace(b"<head>", b"<head>" + script)
    assert body.count(script) == 1
    assert int(headers["content-length"]) == len(PAGE) + len(script)
    assert headers["x-asked-encoding"] == ""  # asked uncompressed, so the script could be inserted
    assert headers["x-frame-options"] == "SAMEORIGIN"  # the other middleware still applies


def test_the_script_forgets_only_streamlits_sidebar_state_and_only_on_a_narrow_screen():
    script = web.PHONE_SIDEBAR_SCRIPT
    # Streamlit 1.67's "auto" collapses the sidebar up to its md breakpoint, 768 px; its key is
    # stSidebarCollapsed-<base path> (frontend bundle, read before initial_sidebar_state).
    # A phone's browser says innerWidth 980 before the viewport meta tag is read; screen.width is its own 390.
    assert "Math.min(screen.width,window.innerWidth)<=768" in script
    assert "k.startsWith('stSidebarCollapsed-')" in script and "localStorage.clear" not in script


def test_other_answers_are_left_alone():
    for path, accept in (("/api", "application/json"), ("/text", BROWSER), ("/", "application/json")):
        _, headers, body = _get(path, accept)
        assert web.PHONE_SIDEBAR_SCRIPT.encode() not in body, path
    _, headers, _ = _get("/", "application/json")
    assert headers["x-asked-encoding"] == "gzip"  # not a browser asking for a page: untouched
