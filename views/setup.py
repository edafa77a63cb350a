"""First run: no account exists yet, so the first coordinator account is created here."""

import streamlit as st

from samenhier import ui
from samenhier.models import UserRole
from samenhier.services.users import MIN_PASSWORD_LENGTH, UserError, count_users, create_user

st.title(ui.t("setup.title"))
st.write(ui.t("setup.intro"))
with st.form("setup"):
    username = st.text_input(ui.t("login.username"), key="setup_username")
    password = st.text_input(ui.t("login.password"), type="password", key="setup_password",
                             help=ui.t("setup.password_help", n=MIN_PASSWORD_LENGTH))
    repeat = st.text_input(ui.t("setup.repeat"), type="password", key="setup_repeat")
    submitted = st.form_submit_button(ui.t("setup.submit"), type="primary")
if submitted:
    engine = ui.engine()
    if password != repeat:
        st.error(ui.t("setup.mismatch"))
    elif count_users(engine):  # someone else finished the setup in the meantime
        st.error(ui.t("setup.already_done"))
    else:
        try:
            ui.login(create_user(engine, username, password, UserRole.COORDINATOR, actor="setup"))
        except UserError as exc:
            st.error(ui.t(f"user.error.{exc.field}.{exc.code}", n=MIN_PASSWORD_LENGTH))
        else:
            st.rerun()
