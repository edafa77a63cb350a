"""Samen Hier dashboard: the entry point (`make run`). Login gate, navigation by role, sidebar.

Everything shown comes from samenhier.queries (reads) and samenhier.services (writes); this file
only decides which pages the logged-in user gets.
"""

import streamlit as st

from samenhier import PACKAGE_DIR, pages, ui
from samenhier.models import UserRole
from samenhier.services.users import count_users
from samenhier.widgets import language_switch, sidebar_filters

# The favicon is a file of the app: a material icon as page_icon makes every browser fetch it from a Google host.
st.set_page_config(
    page_title="Samen Hier", page_icon=str(PACKAGE_DIR / "static" / "favicon.png"), layout="wide"
)
# Phones (390 px): Streamlit leaves ~6rem above the title and draws it at 2.75rem, so a page's first content
# started a third of the screen down. Style-only HTML takes no space (st.html sends it to the event container).
st.html(
    "<style>@media (max-width: 640px) { [data-testid='stMainBlockContainer'] { padding-top: 3.5rem; } "
    "[data-testid='stMain'] h1 { font-size: 2rem; } }</style>"
)
scope = ui.current_scope()
ui.apply_language(scope)  # the account's language once logged in, else this browser's (see ui.apply_language)
engine = ui.engine()
ui.daily_backup()


def role_pages(role: UserRole) -> dict[str, list[st.Page]]:
    """The navigation of a role (from the page registry, samenhier/pages.py): sections of pages. Access is
    enforced again by every query and service."""
    return {
        ui.t(section): [
            st.Page(p.path, title=ui.t(p.title_key), icon=p.icon, url_path=p.url_path, default=p.default)
            for p in listed
        ]
        for section, listed in pages.sections_for(role).items()
    }


if count_users(engine) == 0:
    with st.sidebar:
        language_switch(logged_in=False)
    st.navigation(
        [
            st.Page(
                pages.SETUP.path,
                title=ui.t(pages.SETUP.title_key),
                icon=pages.SETUP.icon,
                url_path=pages.SETUP.url_path,
            )
        ]
    ).run()
    st.stop()
if scope is None:
    # Register every page (hidden), so that a deep link such as /groep?group=0518-001 keeps its address;
    # each page starts with ui.require_scope(), which shows the login form instead. After logging in,
    # the user is on the page the link pointed to.
    with st.sidebar:
        language_switch(logged_in=False)
    st.navigation(role_pages(UserRole.COORDINATOR), position="hidden").run()
    st.stop()

with st.sidebar:
    reach = f" · {ui.md(', '.join(scope.municipalities))}" if scope.municipalities else ""
    st.markdown(f"**{ui.md(scope.username)}** · {ui.t('user_role.' + scope.role.value)}{reach}")
    if st.button(ui.t("common.logout"), icon=":material/logout:", key="logout"):
        ui.logout()
        st.rerun()
    ui.end_session_when_idle()
    language_switch(logged_in=True)
    sidebar_filters(engine)

st.navigation(role_pages(scope.role)).run()
