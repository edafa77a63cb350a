"""The page registry (samenhier/pages.py, issue 20 item 3) is the one list of pages: every view script is in
it, its titles are translated, its tab slugs open the tab they name, and the app's navigation is built
from it for each role."""

from __future__ import annotations

import pytest
from apptest_helpers import run_app
from babel.messages.pofile import read_po

from samenhier import PROJECT_ROOT, i18n, pages
from samenhier.models import UserRole
from samenhier.scope import Scope


def test_every_view_script_is_a_registered_page_and_every_page_a_script():
    scripts = {f"views/{p.name}" for p in (PROJECT_ROOT / "views").glob("*.py")}
    registered = [p.path for p in (*pages.PAGES, pages.SETUP)]
    assert sorted(registered) == sorted(scripts)
    assert len(set(registered)) == len(registered)


def test_addresses_are_unique_and_exactly_one_page_is_the_default():
    paths = [p.url_path for p in (*pages.PAGES, pages.SETUP)]
    assert len(set(paths)) == len(paths)
    assert [p.path for p in pages.PAGES if p.default] == ["views/overview.py"]


def test_the_community_builder_gets_the_programme_pages_only():
    # by hand: the five admin pages are the coordinator's (README, "Rollen")
    builder = [p.name for p in pages.pages_for(UserRole.COMMUNITY_BUILDER)]
    assert builder == ["overview", "group", "meetings", "matching", "surveys", "my_groups", "my_settings"]
    assert [p.name for p in pages.pages_for(UserRole.COORDINATOR)] == builder + [
        "manage",
        "data",
        "year_report",
        "audit",
        "privacy",
    ]
    assert list(pages.sections_for(UserRole.COMMUNITY_BUILDER)) == ["nav.section.programme"]
    assert pages.by_path("views/matching.py").tabs_for(UserRole.COMMUNITY_BUILDER) == (
        "queue",
        "matches",
        "funnel",
    )


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_titles_and_sections_are_translated(lang):
    with i18n.catalog_path(lang).open("rb") as po:
        catalog = {m.id: m.string for m in read_po(po) if m.id}
    keys = {k for p in (*pages.PAGES, pages.SETUP) for k in (p.title_key, p.section)}
    assert not [k for k in sorted(keys) if not catalog.get(k)]


@pytest.mark.parametrize("page", [p for p in pages.PAGES if p.tabs], ids=lambda p: p.name)
def test_each_listed_tab_slug_is_one_the_page_opens(workbook_engine, page):
    """A slug the page does not know would fall back to its first tab and the bench would time that twice:
    every non-first slug must stay in the URL after a run that asked for it (``?tab=`` follows the open tab)."""
    for slug in page.tabs[1:]:
        at = run_app(Scope.coordinator("anna"), page=page.path, query={"tab": slug})
        assert not at.exception, (page.path, slug, [e.value for e in at.exception])
        assert at.query_params.get("tab") == [slug] or at.query_params.get("tab") == slug, (page.path, slug)


def test_the_navigation_is_built_from_the_registry(workbook_engine):
    """A community builder's navigation holds her pages and not the coordinator's (the app reads the registry)."""
    at = run_app(
        Scope.community_builder("samira-nav", _builder_id(workbook_engine)), page="views/my_groups.py"
    )
    assert not at.exception
    with pytest.raises(ValueError):
        at.switch_page("views/audit.py")


def _builder_id(engine) -> int:
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT id FROM community_builder ORDER BY id LIMIT 1").scalar_one()
