"""The server `make run` starts: app.py (the dashboard script) on Streamlit 1.67's Starlette app, plus the
login/logout routes that set the HttpOnly session cookie and the security headers (see samenhier/web.py).

Run it with `streamlit run serve.py` (Streamlit sees the `st.App` below and serves it, honouring the usual
`--server.*` options and `.streamlit/config.toml`). `streamlit run app.py` still works, but then a login lasts
only as long as its browser tab (no cookie, so no reload or new tab).
"""

import streamlit as st

from samenhier import web

web.MOUNTED = True  # the login form posts to the routes below (app.py runs in this process)
app = st.App("app.py", routes=web.routes(), middleware=web.middleware())
