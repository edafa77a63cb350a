"""Mijn instellingen: the logged-in user's own e-mail settings — the address of the weekly to-do digest,
whether it is sent, and its language (issue 17). Reads via samenhier.queries.records.account_settings,
writes via samenhier.services.records.update_account_settings; the digest itself is sent by
``python -m samenhier notify`` from the operating system's scheduler."""

import streamlit as st

from samenhier import i18n, ui
from samenhier.forms import FormField, record_form
from samenhier.queries.records import account_settings
from samenhier.services.records import update_account_settings

scope = ui.require_scope()
engine = ui.engine()
st.title(ui.t("settings.title"))
st.caption(ui.t("settings.intro"))
values = account_settings(engine, scope)
fields = [
    FormField("email", ui.t("field.email"), help=ui.t("settings.email_help")),
    FormField("weekly_digest", ui.t("field.weekly_digest"), "checkbox", help=ui.t("settings.digest_help")),
    FormField(
        "language",
        ui.t("field.language"),
        "select",
        options=list(i18n.LANGUAGE_NAMES),
        format_func=i18n.LANGUAGE_NAMES.get,
    ),
]
if not values["email"] and values["builder_email"]:
    st.info(ui.t("settings.builder_email", email=values["builder_email"]))
elif not values["email"]:
    st.warning(ui.t("settings.no_email"))


def save(changes: dict, snap: dict):
    saved = update_account_settings(
        engine,
        scope,
        user_id=values["user_id"],
        expected_version=snap["version"],
        changes=changes,
        original=snap,
    )
    if "language" in changes:  # the account's language is the dashboard's too: switch now
        ui.switch_language_next_run(changes["language"])
    return saved


record_form(
    f"settings-{values['user_id']}",
    fields,
    values,
    save=save,
    submit_label=ui.t("manage.save"),
    saved_text=ui.t("settings.saved"),
)
