"""Browser test (issue 21.3): a "markup workbook" — group names, newcomers' names, languages and meeting notes
full of Markdown links, remote images, <a href>, <img> and autolinks — shown on the pages that print them.
The browser must make no request beyond the app itself, and show no link or image that came from user text.

The tracker is http://2130706433:8765/ (2130706433 is 127.0.0.1 written as one number): a request to it
would be recorded, and any link or image pointing at it found in the page.
"""

from __future__ import annotations

import shutil

import openpyxl
import pytest
from e2e.conftest import PASSWORD, AppServer
from e2e_helpers import main, nav, open_app, open_tab, settle
from playwright.sync_api import Page

TRACKER = "2130706433:8765"
LINK = f"[klik hier](http://{TRACKER}/link)"
IMAGE = f"![pixel](http://{TRACKER}/pixel.png)"
HTML = f'<a href="http://{TRACKER}/a">a</a><img src="http://{TRACKER}/img.png">'
AUTOLINK = f"http://{TRACKER}/auto"
LANGUAGE = f"[Tigrinya](http://{TRACKER}/taal)"
STREAMLIT_OWN = ("https://fonts.gstatic.com/s/i/short-term/release/materialsymbolsrounded/",)


def _markup_workbook(source, target) -> None:
    shutil.copy(source, target)
    book = openpyxl.load_workbook(target)

    def edit(sheet: str, column: str, change) -> None:
        rows = book[sheet].iter_rows()
        header = [c.value for c in next(rows)]
        index = header.index(column)
        for n, row in enumerate(rows):
            if row[index].value is not None or column in ("notities", "notitie"):
                row[index].value = change(row[index].value, n)

    # Names are at most 100 characters (samenhier.fields): one kind of markup per name, every kind in turn.
    kinds = (LINK, IMAGE, HTML, AUTOLINK)
    edit("groepen", "naam", lambda v, n: f"{kinds[n % 4]} {n}")
    edit("nieuwkomers", "voornaam", lambda v, n: (LINK, AUTOLINK)[n % 2])
    edit("nieuwkomers", "achternaam", lambda v, n: (IMAGE, HTML)[n % 2])
    edit("nieuwkomers", "talen", lambda v, n: f"{v}, {LANGUAGE}")
    edit("community_builders", "talen", lambda v, n: f"{v}, {LANGUAGE}")
    edit("bijeenkomsten", "notitie", lambda v, n: f"{HTML} {LINK} {IMAGE}")
    book.save(target)


@pytest.fixture(scope="module")
def markup_app(tmp_path_factory, workbook_path):
    folder = tmp_path_factory.mktemp("markup")
    workbook = folder / "markup.xlsx"
    _markup_workbook(workbook_path, workbook)
    server = AppServer(folder)
    server.cli("import", str(workbook))
    server.cli("create-user", "coordinator", "--role", "coordinator", input=PASSWORD + "\n")
    yield server.start()
    server.stop()


_FOUND = """() => [...document.querySelectorAll('a, img, image')].map(e =>
    e.getAttribute('href') || e.getAttribute('xlink:href') || e.getAttribute('src') || '').filter(u => u.includes('2130706433') && !u.startsWith('#'))"""


def test_markup_in_user_text_makes_no_request_and_no_link_or_image(page: Page, markup_app):
    outgoing = []
    page.on(
        "request",
        lambda r: (
            outgoing.append(r.url) if not r.url.startswith((markup_app.url, "data:", "blob:")) else None
        ),
    )
    open_app(page, markup_app.url)
    page.get_by_label("Gebruikersnaam").fill("coordinator")
    page.get_by_label("Wachtwoord", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    settle(page)

    seen = {}
    nav(page, "Mijn groepen")
    seen["Mijn groepen"] = page.evaluate(_FOUND)
    cards = main(page).inner_text()
    assert LINK in cards and AUTOLINK in cards  # the groups' names on their cards, shown as typed
    nav(page, "Koppelen")
    panel = open_tab(page, "Suggesties")
    assert (
        LINK in panel.inner_text() and LANGUAGE in panel.inner_text()
    )  # newcomer's name and the shared language
    seen["Koppelen → Suggesties"] = page.evaluate(_FOUND)
    nav(page, "Bijeenkomsten")
    page.wait_for_selector(".js-plotly-plot")
    # The axis names groups by code; their names go to the hover text, escaped for Plotly (which would
    # otherwise draw <a href> in a hover label as a link).
    hover_titles = page.evaluate(
        """() => { const plot = [...document.querySelectorAll('.js-plotly-plot')].find(p => p.data && p.data[0].type === 'heatmap');
                   return plot.data[0].customdata.map(row => row[0][2]); }"""
    )
    assert any(LINK in title for title in hover_titles)  # "[klik hier](…)": shown as typed
    assert not any("<a " in title or "<img" in title for title in hover_titles)
    assert any("&lt;a href" in title for title in hover_titles)  # the HTML name, as text
    seen["Bijeenkomsten"] = page.evaluate(_FOUND)
    page.wait_for_timeout(500)

    assert {name: links for name, links in seen.items() if links} == {}
    assert [url for url in outgoing if TRACKER in url or "2130706433" in url] == []
    # Streamlit itself fetches Material icons of the navigation from Google's font server: not user text.
    assert [url for url in outgoing if not url.startswith(STREAMLIT_OWN)] == []
