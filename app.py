"""Samen Hier dashboard: the entry point (`make run`). Login gate, navigation by role, sidebar.

Everything shown comes from samenhier.queries (reads) and samenhier.services (writes); this file
only decides which pages the logged-in user gets.
"""

import streamlit as st

from samenhier import ui
from samenhier.models import UserRole
from samenhier.services.users import count_users
from samenhier.widgets import language_switch, sidebar_filters

st.set_page_config(page_title="Samen Hier", page_icon=":material/diversity_3:", layout="wide")
ui.apply_language()
engine = ui.engine()
scope = ui.current_scope()

if count_users(engine) == 0:
    pages = [st.Page("pages/setup.py", title=ui.t("nav.setup"), icon=":material/rocket_launch:", url_path="setup")]
elif scope is None:
    pages = [st.Page("pages/login.py", title=ui.t("nav.login"), icon=":material/login:", url_path="login")]
else:
    common = [
        st.Page("pages/overview.py", title=ui.t("nav.overview"), icon=":material/dashboard:", url_path="overzicht", default=True),
        st.Page("pages/group.py", title=ui.t("nav.group"), icon=":material/groups:", url_path="groep"),
        st.Page("pages/my_groups.py", title=ui.t("nav.my_groups"), icon=":material/task_alt:", url_path="mijn-groepen"),
    ]
    pages = {ui.t("nav.section.programme"): common}
    if scope.role == UserRole.COORDINATOR:
        pass  # coordinator-only pages are added here by later features
        pages.setdefault(ui.t("nav.section.admin"), []).append(st.Page("pages/manage.py", title=ui.t("nav.manage"), icon=":material/edit_note:", url_path="beheer"))
        pages.setdefault(ui.t("nav.section.admin"), []).append(st.Page("pages/audit.py", title=ui.t("nav.audit"), icon=":material/history:", url_path="audit"))

if scope is not None:
    with st.sidebar:
        st.markdown(f"**{scope.username}** · {ui.t('user_role.' + scope.role.value)}")
        if st.button(ui.t("common.logout"), icon=":material/logout:", key="logout"):
            ui.logout()
            st.rerun()
        language_switch()
        sidebar_filters(engine)
else:
    with st.sidebar:
        language_switch()

st.navigation(pages).run()
