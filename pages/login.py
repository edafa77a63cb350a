"""Login page: name and password; one non-revealing message for every kind of failure."""

import streamlit as st

from samenhier import ui
from samenhier.services.users import LoginFailed, authenticate

st.title(ui.t("login.title"))
reason = st.session_state.pop("logout_reason", "")
if reason == "timeout":
    st.info(ui.t("login.timed_out"))
with st.form("login"):
    username = st.text_input(ui.t("login.username"), key="login_username")
    password = st.text_input(ui.t("login.password"), type="password", key="login_password")
    submitted = st.form_submit_button(ui.t("login.submit"), type="primary")
if submitted:
    try:
        ui.login(authenticate(ui.engine(), username, password))
    except LoginFailed:
        st.error(ui.t("login.failed"))
    else:
        st.rerun()
