"""Nothing is loaded from third-party hosts (issue 14, item 10; SECURITY.md: nothing is sent to third
parties): every request the browser makes on the main pages goes to the app on 127.0.0.1, the favicon
included. Requests elsewhere are intercepted, recorded and aborted, so the test also works offline."""

from __future__ import annotations

from urllib.parse import urlsplit

from e2e.conftest import PASSWORD
from e2e_helpers import log_in, open_app, settle
from playwright.sync_api import Page

PAGES = [
    "Groep",
    "Bijeenkomsten",
    "Koppelen",
    "Enquêtes",
    "Mijn groepen",
    "Beheer",
    "Gegevens",
    "Audittrail",
    "Privacy",
]


def test_no_request_leaves_the_machine(page: Page, workbook_app):
    elsewhere: list[str] = []

    def route(request_route):
        url = request_route.request.url
        host = urlsplit(url).hostname
        if url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            request_route.continue_()
        else:
            elsewhere.append(url)
            request_route.abort()

    page.route("**/*", route)
    open_app(page, workbook_app.url)
    log_in(page, "coordinator", PASSWORD)
    for title in PAGES:
        page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title, exact=True).click()
        settle(page)
    assert not elsewhere, "requests to other hosts:\n" + "\n".join(sorted(set(elsewhere)))
    icon = page.evaluate(
        "() => Array.from(document.querySelectorAll('link[rel~=\"icon\"]')).map(l => l.href)"
    )
    assert icon and all(
        urlsplit(href).hostname == "127.0.0.1" or href.startswith("data:") for href in icon
    ), icon
