"""First run: no account exists yet, so the first coordinator account is created here. Under ``serve.py`` the
form posts to the setup route (samenhier.web), which also starts the session and sets its cookie, as a login
does: the new coordinator stays logged in across a reload. Without the routes (AppTest, ``streamlit run
app.py``) a Streamlit form logs in within this tab."""

import streamlit as st

from samenhier import ui
from samenhier.widgets import setup_form

st.title(ui.t("setup.title"))
st.write(ui.t("setup.intro"))
setup_form()
