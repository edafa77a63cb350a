"""The page registry: every page of the dashboard, once (issue 20, item 3).

``app.py`` builds its navigation from it (:func:`sections_for`), the benchmark times every page and tab
it lists, and the tests sweep the pages from it; nobody parses ``app.py``. No Streamlit here: a
:class:`Page` says what a page is, ``app.py`` turns it into an ``st.Page``.

Adding a page: a script in ``views/``, one :class:`Page` below (with its title in both catalogs), and
its AppTest tests. Access is still enforced by every query and service; ``roles`` only decides the
navigation.
"""

from __future__ import annotations

from dataclasses import dataclass

from samenhier.models import UserRole

BOTH = (UserRole.COORDINATOR, UserRole.COMMUNITY_BUILDER)
COORDINATOR = (UserRole.COORDINATOR,)


@dataclass(frozen=True)
class Page:
    """One page: its script, title (i18n key), icon, address and who gets it in the navigation.

    ``section`` is the i18n key of its navigation section. ``tabs`` are the slugs of its sections that
    open from ``?tab=<slug>`` (``actions.tabs`` or ``actions.link_section``), the first being the one a
    plain visit opens; ``coordinator_tabs`` are the ones only a coordinator gets.
    """

    path: str
    title_key: str
    icon: str
    url_path: str
    section: str
    roles: tuple[UserRole, ...] = BOTH
    default: bool = False
    tabs: tuple[str, ...] = ()
    coordinator_tabs: frozenset[str] = frozenset()

    def tabs_for(self, role: UserRole) -> tuple[str, ...]:
        """The tab slugs ``role`` sees on this page, in their order."""
        return tuple(t for t in self.tabs if role == UserRole.COORDINATOR or t not in self.coordinator_tabs)

    @property
    def name(self) -> str:
        """Short name of the page: its script's stem (``views/overview.py`` → ``overview``)."""
        return self.path.removeprefix("views/").removesuffix(".py")


PROGRAMME, ADMIN = "nav.section.programme", "nav.section.admin"
PAGES: tuple[Page, ...] = (
    Page("views/overview.py", "nav.overview", ":material/dashboard:", "overzicht", PROGRAMME, default=True),
    Page("views/group.py", "nav.group", ":material/groups:", "groep", PROGRAMME),
    Page(
        "views/meetings.py",
        "nav.meetings",
        ":material/event:",
        "bijeenkomsten",
        PROGRAMME,
        tabs=("year", "cadence", "log", "edit"),
    ),
    Page(
        "views/matching.py",
        "nav.matching",
        ":material/handshake:",
        "koppelen",
        PROGRAMME,
        tabs=("queue", "suggestions", "matches", "funnel"),
        coordinator_tabs=frozenset({"suggestions"}),
    ),
    Page(
        "views/surveys.py",
        "nav.surveys",
        ":material/fact_check:",
        "enquetes",
        PROGRAMME,
        tabs=("response", "waves", "paired", "end", "entry"),
    ),
    Page("views/my_groups.py", "nav.my_groups", ":material/task_alt:", "mijn-groepen", PROGRAMME),
    Page("views/my_settings.py", "nav.settings", ":material/settings:", "instellingen", PROGRAMME),
    Page(
        "views/manage.py",
        "nav.manage",
        ":material/edit_note:",
        "beheer",
        ADMIN,
        COORDINATOR,
        tabs=("groups", "members", "newcomers", "builders", "users"),
    ),
    Page(
        "views/data.py",
        "nav.data",
        ":material/database:",
        "gegevens",
        ADMIN,
        COORDINATOR,
        tabs=("import", "export", "backup"),
    ),
    Page(
        "views/year_report.py", "nav.year_report", ":material/summarize:", "jaarverslag", ADMIN, COORDINATOR
    ),
    Page("views/audit.py", "nav.audit", ":material/history:", "audit", ADMIN, COORDINATOR),
    Page(
        "views/privacy.py",
        "nav.privacy",
        ":material/shield_person:",
        "privacy",
        ADMIN,
        COORDINATOR,
        tabs=("person", "retention"),
    ),
)
"""Every page a logged-in user can have, in navigation order."""

SETUP = Page("views/setup.py", "nav.setup", ":material/rocket_launch:", "setup", PROGRAMME, roles=())
"""The first-run page: the only page while the store has no account."""


def pages_for(role: UserRole) -> list[Page]:
    """The pages ``role`` has, in navigation order."""
    return [p for p in PAGES if role in p.roles]


def sections_for(role: UserRole) -> dict[str, list[Page]]:
    """The navigation of ``role``: ``{section i18n key: [Page, …]}``, sections in order of first page."""
    sections: dict[str, list[Page]] = {}
    for page in pages_for(role):
        sections.setdefault(page.section, []).append(page)
    return sections


def by_path(path: str) -> Page:
    """The page whose script is ``path`` (``views/overview.py``); KeyError for a script that is no page."""
    for page in (*PAGES, SETUP):
        if page.path == path:
            return page
    raise KeyError(path)
