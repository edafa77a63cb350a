"""The login form: name and password, posted to the login route of :mod:`samenhier.web` (an HttpOnly
cookie) when ``serve.py`` serves it, else a Streamlit form in the tab. Part of the Streamlit glue; it draws,
and :func:`samenhier.ui_session.require_scope` keeps the session."""

from __future__ import annotations

import streamlit as st

from samenhier import web
from samenhier.ui_cache import engine
from samenhier.ui_language import current_language, t

_LOGIN_REASONS = {
    "timeout": ("info", "login.timed_out"),
    "account": ("warning", "login.account_ended"),
    "rights": ("warning", "login.rights_changed"),
    "expired": ("info", "login.expired"),
}


def _login_outcome() -> None:
    """The message of a refused login coming back from the login route (``?login=…``), then the parameter goes."""
    outcome = st.query_params.get(web.LOGIN_OUTCOME_PARAM)
    wait = st.query_params.get("wait", "")
    for key in (web.LOGIN_OUTCOME_PARAM, "wait"):
        if key in st.query_params:
            del st.query_params[key]
    if outcome == "failed":
        st.error(t("login.failed"))
    elif outcome == "throttled":
        st.error(t("login.throttled", seconds=wait if wait.isdigit() else "60"))
    elif outcome == "busy":
        st.info(t("login.busy"), icon=":material/hourglass_top:")


def current_path() -> str:
    """This page's path and query (the login returns here), e.g. ``/groep?group=0518-001``."""
    from urllib.parse import urlencode, urlsplit

    path = urlsplit(st.context.url or "/").path or "/"
    query = {k: v for k, v in st.query_params.to_dict().items() if k not in ("login", "wait")}
    return f"{path}?{urlencode(query)}" if query else path


def _cookie_login_form() -> None:
    # A plain HTML form (no JavaScript: st.html's default) posting to the login route of samenhier.web, which
    # sets the HttpOnly cookie and sends the browser back to this page. Only constant texts and the escaped
    # path go into the markup.
    from html import escape

    st.html(f"""
<form method="post" action="{web.LOGIN_PATH}" class="sh-login" autocomplete="on">
  <label for="sh-login-user">{escape(t("login.username"))}</label>
  <input id="sh-login-user" name="username" autocomplete="username" required autofocus maxlength="200">
  <label for="sh-login-password">{escape(t("login.password"))}</label>
  <input id="sh-login-password" name="password" type="password" autocomplete="current-password" required maxlength="1000">
  <input type="hidden" name="next" value="{escape(current_path())}">
  <input type="hidden" name="ui_language" value="{escape(current_language())}">
  <button type="submit">{escape(t("login.submit"))}</button>
</form>
<style>
.sh-login {{ display: flex; flex-direction: column; gap: .35rem; max-width: 28rem; }}
.sh-login label {{ font-size: .875rem; margin-top: .5rem; }}
.sh-login input {{ font: inherit; padding: .5rem .75rem; border: 1px solid rgba(49, 51, 63, .2); border-radius: .5rem; }}
.sh-login button {{ font: inherit; margin-top: 1rem; align-self: flex-start; padding: .4rem 1rem; color: #fff;
  background: #2a9d8f; border: 1px solid #2a9d8f; border-radius: .5rem; cursor: pointer; }}
</style>""")


def _tab_login_form() -> str | None:
    # Without the login route (AppTest, `streamlit run app.py`): a Streamlit form; returns the new session's
    # token, which the caller keeps in this tab's session state only.
    from samenhier.services.users import LoginBusy, LoginFailed, LoginThrottled, log_in

    with st.form("login"):
        username = st.text_input(t("login.username"), key="login_username")
        password = st.text_input(t("login.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("login.submit"), type="primary")
    if submitted:
        try:
            outcome = log_in(engine(), username, password, client=st.context.ip_address or "local")
        except LoginThrottled as exc:
            st.error(t("login.throttled", seconds=exc.retry_after))
        except LoginFailed:
            st.error(t("login.failed"))
        except LoginBusy:
            st.info(t("login.busy"), icon=":material/hourglass_top:")
        else:
            return outcome.token
    return None


def login_form(reason: str = "") -> str | None:
    """Name and password; one non-revealing message for every kind of failure, and first why the last session
    ended (``reason``: ``timeout``, ``account``, ``rights``, ``expired``). Posts to the login route when
    ``serve.py`` serves it (the session then lives in an HttpOnly cookie: it survives a reload and a new tab;
    returns None), else logs in within this tab and returns the new session's token (None until then)."""
    st.title(t("login.title"))
    kind, key = _LOGIN_REASONS.get(reason, (None, None))
    if kind:
        getattr(st, kind)(t(key))
    _login_outcome()
    if web.MOUNTED:
        _cookie_login_form()
        return None
    return _tab_login_form()
