"""What a person does in the browser, as functions over a Playwright page."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

TIMEOUT = 30_000


IDLE = '[data-testid="stApp"][data-test-connection-state="CONNECTED"][data-test-script-state="notRunning"]'


def settle(page: Page) -> None:
    """Wait until Streamlit has finished the current script run, and any run that one started (``st.rerun``).

    The app root says ``data-test-script-state="notRunning"`` between runs (the status widget appears only
    after a delay, so its absence alone does not mean the run is over); the second look catches a rerun.
    """
    page.wait_for_load_state("networkidle")
    for _ in range(2):
        page.wait_for_selector(IDLE, timeout=TIMEOUT)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=TIMEOUT
        )
        page.wait_for_timeout(250)


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    settle(page)


def log_in(page: Page, username: str, password: str) -> None:
    page.get_by_label("Gebruikersnaam").fill(username)
    page.get_by_label("Wachtwoord", exact=True).fill(password)
    page.get_by_role("button", name="Inloggen").click()
    settle(page)


def nav(page: Page, title: str) -> None:
    """Click a page in the sidebar navigation."""
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=title).click()
    settle(page)


def expect_text(page: Page, text: str) -> None:
    expect(page.get_by_text(text, exact=False).first).to_be_visible(timeout=TIMEOUT)


def main(page: Page) -> Locator:
    """The page's main area (not the sidebar, whose filters have labels such as "Gemeente" too)."""
    return page.locator('[data-testid="stMain"]')


def open_tab(page: Page, name: str) -> Locator:
    """Click a tab of the main area and return its panel (Streamlit keeps every tab's widgets in the page)."""
    main(page).get_by_role("tab", name=name, exact=True).click()
    settle(page)
    return main(page).get_by_role("tabpanel", name=name, exact=True)


def choose(page: Page, where: Locator | Page, label: str, option: str) -> None:
    """Pick the option containing ``option`` in the select box labelled ``label`` inside ``where``."""
    box = where.get_by_role(
        "combobox", name=re.compile(rf"^{re.escape(label)}( \*)?$")
    )  # "*": a required field
    box.click()
    try:  # the first click on a select box sometimes only focuses it; the arrow key then opens the list
        page.get_by_role("listbox").wait_for(state="visible", timeout=1500)
    except PlaywrightTimeout:
        box.press("ArrowDown")
    box.fill(option)  # typing filters the list (a long list only renders the options in view)
    page.get_by_role("option").filter(has_text=option).first.click()
    settle(page)


def log_in_again(page: Page, url: str, username: str, password: str) -> None:
    """A fresh browser session: open the app and log in."""
    open_app(page, url)
    log_in(page, username, password)


HEATMAP_CELL = """([row, column]) => {
  const plot = Array.from(document.querySelectorAll('.js-plotly-plot')).find(p => p.data && p.data[0].type === 'heatmap');
  if (!plot) return undefined;
  const trace = plot.data[0], r = trace.y.indexOf(row), c = trace.x.indexOf(column);
  if (r < 0 || c < 0) return undefined;
  const v = trace.z[r][c];
  return v > 0 ? v : null;  // 0: no meeting, -1: outside the group's year — both drawn without a number
}"""


def heatmap_cell(page: Page, row: str, column: str, *, expected: int | None) -> int | None:
    """The number drawn in the heatmap's cell (``row`` label, ``column`` label) — None for an empty cell —
    once the chart shows ``expected`` there (plotly draws after Streamlit has settled); fails after the timeout."""
    try:
        page.wait_for_function(
            f"(args) => {{ const v = ({HEATMAP_CELL})(args); return v !== undefined && v === {json.dumps(expected)}; }}",
            arg=[row, column],
            timeout=TIMEOUT,
        )
    except PlaywrightTimeout:
        pass  # the assertion below shows what is drawn instead
    return page.evaluate(HEATMAP_CELL, [row, column])
