"""Samen Hier dashboard: the entry point (`make run`). Login gate, navigation by role, sidebar.

Everything shown comes from samenhier.queries (reads) and samenhier.services (writes); this file
only decides which pages the logged-in user gets.
"""

import streamlit as st

from samenhier import PACKAGE_DIR, ui
from samenhier.models import UserRole
from samenhier.services.users import count_users
from samenhier.widgets import language_switch, sidebar_filters

# The favicon is a file of the app: a material icon as page_icon makes every browser fetch it from a Google host.
st.set_page_config(page_title="Samen Hier", page_icon=str(PACKAGE_DIR / "static" / "favicon.png"), layout="wide")
scope = ui.current_scope()
ui.apply_language(scope)  # the account's language once logged in, else this browser's (see ui.apply_language)
engine = ui.engine()
ui.daily_backup()


def role_pages(role: UserRole) -> dict[str, list[st.Page]]:
    """The navigation of a role: sections of pages. Access is enforced again by every query and service."""
    sections = {
        ui.t("nav.section.programme"): [
            st.Page("views/overview.py", title=ui.t("nav.overview"), icon=":material/dashboard:", url_path="overzicht", default=True),
            st.Page("views/group.py", title=ui.t("nav.group"), icon=":material/groups:", url_path="groep"),
            st.Page("views/meetings.py", title=ui.t("nav.meetings"), icon=":material/event:", url_path="bijeenkomsten"),
            st.Page("views/matching.py", title=ui.t("nav.matching"), icon=":material/handshake:", url_path="koppelen"),
            st.Page("views/surveys.py", title=ui.t("nav.surveys"), icon=":material/fact_check:", url_path="enquetes"),
            st.Page("views/my_groups.py", title=ui.t("nav.my_groups"), icon=":material/task_alt:", url_path="mijn-groepen"),
            st.Page("views/my_settings.py", title=ui.t("nav.settings"), icon=":material/settings:", url_path="instellingen"),
        ],
    }
    if role == UserRole.COORDINATOR:
        sections[ui.t("nav.section.admin")] = [
            st.Page("views/manage.py", title=ui.t("nav.manage"), icon=":material/edit_note:", url_path="beheer"),
            st.Page("views/data.py", title=ui.t("nav.data"), icon=":material/database:", url_path="gegevens"),
            st.Page("views/year_report.py", title=ui.t("nav.year_report"), icon=":material/summarize:", url_path="jaarverslag"),
            st.Page("views/audit.py", title=ui.t("nav.audit"), icon=":material/history:", url_path="audit"),
            st.Page("views/privacy.py", title=ui.t("nav.privacy"), icon=":material/shield_person:", url_path="privacy"),
        ]
    return sections


if count_users(engine) == 0:
    with st.sidebar:
        language_switch(logged_in=False)
    st.navigation([st.Page("views/setup.py", title=ui.t("nav.setup"), icon=":material/rocket_launch:", url_path="setup")]).run()
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
