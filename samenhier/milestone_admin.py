"""Beheer → Mijlpalen (issue 19): a variant's milestones, and for national coordinators the editor — add,
rename, change the due offset, retire or reinstate. Nothing is deleted: a retired milestone keeps the
check-offs groups made. Streamlit drawing only; reads :mod:`samenhier.queries.milestones`, writes
:mod:`samenhier.services.milestones` through :mod:`samenhier.actions` (id and version carried, the
confirmation naming the milestone).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from samenhier import actions, formatting, i18n, ui
from samenhier.feedback import Shown
from samenhier.forms import FormField
from samenhier.milestone_checklist import offset_text
from samenhier.milestones import MAX_OFFSET_DAYS
from samenhier.models import Variant
from samenhier.queries.milestones import variant_milestones
from samenhier.services import milestones as service

PICK_KEY = "manage_milestones_open"
VARIANT_KEY = "manage_milestones_variant"


def _fields(values: dict | None = None) -> list[FormField]:
    values = values or {}
    return [
        FormField(
            "name", ui.t("milestones.col.name"), required=True, default=values.get("name"), max_chars=100
        ),
        FormField(
            "due_offset_days",
            ui.t("field.due_offset_days"),
            "int",
            required=True,
            default=values.get("due_offset_days"),
            min_value=-MAX_OFFSET_DAYS,
            max_value=MAX_OFFSET_DAYS,
            help=ui.t("milestones.admin.offset_help"),
        ),
    ]


def render(engine, scope) -> None:
    """The section: choose a variant, see its milestones (how many groups checked each off), and — national
    coordinators only — open one to edit, retire or reinstate it, or add a new one."""
    variants = [v.value for v in Variant]
    if VARIANT_KEY not in st.session_state:
        st.session_state[VARIANT_KEY] = Variant.HERVESTIGING.value  # the variant with an actieplan
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    variant = left.selectbox(
        ui.t("field.variant"), variants, key=VARIANT_KEY, format_func=lambda v: i18n.label("variant", v)
    )
    retired = right.checkbox(ui.t("milestones.admin.show_retired"), key="manage_milestones_retired")
    st.caption(ui.t("milestones.admin.intro"))
    table = ui.cached(variant_milestones)(scope, variant=variant, include_retired=retired)
    if table.empty:
        st.info(ui.t("milestones.admin.none", variant=i18n.label("variant", variant)))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "position": table["position"],
                    "name": table["name"],
                    "offset": [offset_text(d) for d in table["due_offset_days"]],
                    "due_offset_days": table["due_offset_days"],
                    "checked": table["checked"],
                    "retired": table["retired"].map(formatting.yes_no),
                }
            ),
            hide_index=True,
            width="stretch",
            placeholder=formatting.EMPTY,
            column_config={
                "position": "#",
                "name": ui.t("milestones.col.name"),
                "offset": ui.t("milestones.col.offset"),
                "due_offset_days": ui.t("field.due_offset_days"),
                "checked": ui.t("milestones.admin.col.checked"),
                "retired": ui.t("field.retired"),
            },
        )
    if not scope.is_national:
        st.info(ui.t("milestones.admin.national_only"))
        return
    label = i18n.label("variant", variant)
    choice = actions.pick(
        table,
        key=PICK_KEY,
        id_column="milestone_id",
        label=ui.t("milestones.admin.open"),
        format_row=lambda r: f"{r.position}. {r.name}",
        new_label=ui.t("milestones.admin.new"),
    )
    if choice is None:
        return
    if isinstance(choice, str):  # a new milestone for this variant
        actions.action_form(
            f"milestone-new-{variant}",
            Shown(0, None, label),
            fields=_fields(),
            slot=PICK_KEY,
            call=lambda _shown, v: service.add_milestone(
                engine,
                scope,
                variant=variant,
                name=v["name"],
                due_offset_days=v["due_offset_days"],
                confirm_effect=bool(v.get("confirm_effect")),
            ),
            confirm_flag="confirm_effect",  # "3 groepen krijgen een nieuwe to-do": asked before it is saved
            submit_label=ui.t("milestones.admin.add", variant=label),
            done_text=lambda v: ui.t("milestones.admin.added", name=ui.md(v["name"] or ""), variant=label),
            on_done=lambda saved: actions.choose_later(PICK_KEY, saved.id),
        )
        return
    name = str(choice["name"])
    milestone = Shown(int(choice["milestone_id"]), int(choice["version"]), name)
    if bool(choice["retired"]):
        st.info(ui.t("milestones.admin.is_retired", name=ui.md(name)))
        actions.action_form(  # a form without fields: it can ask first ("1 groep krijgt een nieuwe to-do")
            "milestone-reinstate",
            milestone,
            fields=[],
            slot=PICK_KEY,
            icon=":material/unarchive:",
            check_repeat=False,
            call=lambda shown, v: service.reinstate_milestone(
                engine,
                scope,
                milestone_id=shown.id,
                expected_version=shown.version,
                confirm_effect=bool(v.get("confirm_effect")),
            ),
            confirm_flag="confirm_effect",
            submit_label=ui.t("milestones.admin.reinstate", name=ui.md(name)),
            done_text=ui.t("milestones.admin.reinstated", name=ui.md(name)),
            border=False,
        )
        return
    actions.action_form(
        "milestone-edit",
        milestone,
        fields=_fields({"name": name, "due_offset_days": int(choice["due_offset_days"])}),
        slot=PICK_KEY,
        call=lambda shown, v: service.update_milestone(
            engine,
            scope,
            milestone_id=shown.id,
            expected_version=shown.version,
            name=v["name"],
            due_offset_days=v["due_offset_days"],
            confirm_effect=bool(v.get("confirm_effect")),
        ),
        confirm_flag="confirm_effect",
        submit_label=ui.t("milestones.admin.save", name=ui.md(name)),
        done_text=lambda v: ui.t("milestones.admin.saved", name=ui.md(v["name"] or name)),
        reload_on_conflict=True,
        check_repeat=False,
    )
    actions.action_button(
        "milestone-retire",
        milestone,
        slot=PICK_KEY,
        icon=":material/archive:",
        call=lambda shown, _: service.retire_milestone(
            engine, scope, milestone_id=shown.id, expected_version=shown.version
        ),
        label=ui.t("milestones.admin.retire", name=ui.md(name)),
        confirm_text=ui.t("milestones.admin.retire_confirm", name=ui.md(name)),
        done_text=ui.t("milestones.admin.retired", name=ui.md(name)),
        on_done=lambda _saved: None if retired else actions.drop_choice(PICK_KEY),
    )
