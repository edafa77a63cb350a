"""Beheer (coordinators): search, open, create, edit, archive and delete welcome groups, members,
newcomers, community builders and accounts. Each record type is one spec (samenhier.admin_records)
drawn by one section renderer (samenhier.admin)."""

from collections.abc import Callable
from functools import partial

import streamlit as st

from samenhier import actions, admin, milestone_admin, ui, variant_admin
from samenhier.admin_records import SPECS

scope = ui.require_scope()
if not scope.is_coordinator:
    ui.denied()
st.title(ui.t("manage.title"))

SECTIONS: dict[str, Callable[[admin.Context], None]] = {
    spec.name: partial(admin.render, spec) for spec in SPECS
}
# Other Beheer sections plug in here: slug → a function drawing the section for an admin.Context; the
# radio shows it as ui.t(f"manage.section.{slug}") and ?tab=<slug> opens it.
SECTIONS["milestones"] = lambda ctx: milestone_admin.render(
    ctx.engine, ctx.scope
)  # issue 19: a variant's milestones
if (
    scope.is_national
):  # issue 19: the variants' timelines (samenhier/variant_admin.py), national coordinators only
    SECTIONS["variants"] = lambda ctx: variant_admin.render()

follow_section = actions.link_section("manage_section", list(SECTIONS))  # ?tab=members opens that section
section = st.radio(
    ui.t("manage.section"),
    list(SECTIONS),
    horizontal=True,
    key="manage_section",
    format_func=lambda k: ui.t(f"manage.section.{k}"),
    label_visibility="collapsed",
)
follow_section(section)
SECTIONS[section](admin.Context(ui.engine(), scope, ui.current_filters()))
