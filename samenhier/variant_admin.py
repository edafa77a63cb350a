"""Beheer → Varianten (national coordinators): each programme variant's timeline, and changing one with a
preview of its effect before it is saved (issue 19, item 3).

Reads via :mod:`samenhier.queries.timelines`, writes via :func:`samenhier.services.variants.update_variant_timeline`
through the one write path (:mod:`samenhier.actions`: the shown id and version, audited). Municipality
coordinators and community builders do not get this section (the service refuses them too).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from samenhier import actions, formatting, hub, i18n, ui
from samenhier.feedback import Shown
from samenhier.queries import timelines as q
from samenhier.queries.timeline_preview import timeline_change_preview
from samenhier.services import variants as s
from samenhier.timeline import MONTHS, WEEKS

PROPOSED_KEY = "variants-proposed"


def _days_text(days, setting: int) -> str:
    if days is None or pd.isna(days):
        return ui.t("variants.from_setting", days=setting)
    return ui.t("variants.days", n=int(days))


def _period_text(period, lang: str) -> str:
    return formatting.EMPTY if period is None else hub.period_text(period[0], period[1], period[2], lang)


def render() -> None:
    """Draw the section: the table of timelines, the chosen variant's form, the preview and the save button."""
    scope = ui.require_scope()
    if not scope.is_national:
        ui.denied()
    engine = ui.engine()
    settings = ui.settings()
    lang = ui.current_language()
    as_of = ui.as_of()
    st.caption(ui.t("variants.intro"))
    table = q.timeline_table(engine, scope)
    shown = pd.DataFrame(
        {
            "variant": table["variant"].map(lambda v: i18n.label("variant", v)),
            "length": [
                hub.length_text(d, u, lang) for d, u in zip(table["duration"], table["unit"], strict=True)
            ],
            "midterm": [
                hub.length_text(m, u, lang) for m, u in zip(table["midterm_at"], table["unit"], strict=True)
            ],
            "quiet": [_days_text(d, settings.inactive_after_days) for d in table["quiet_after_days"]],
            "grace": [_days_text(d, settings.end_survey_grace_days) for d in table["end_grace_days"]],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        placeholder=formatting.EMPTY,
        column_config={
            "variant": ui.t("field.variant"),
            "length": ui.t("variants.col.length"),
            "midterm": ui.t("variants.col.midterm"),
            "quiet": ui.t("variants.col.quiet"),
            "grace": ui.t("variants.col.grace"),
        },
    )
    row = actions.pick(
        table,
        key="variants_pick",
        id_column="timeline_id",
        label=ui.t("variants.choose"),
        format_row=lambda r: i18n.label("variant", r.variant),
        placeholder=ui.t("manage.open_hint"),
    )
    if row is None:
        return
    timeline_id, variant = int(row["timeline_id"]), str(row["variant"])
    name = i18n.label("variant", variant)
    record = Shown(timeline_id, int(row["version"]), name)
    base = f"variants-{timeline_id}"

    def optional(value):
        return None if value is None or pd.isna(value) else int(value)

    with st.form(f"{base}-form"):
        st.markdown(f"**{ui.md(ui.t('variants.edit_named', name=name))}**")
        unit = st.radio(
            ui.t("variants.field.unit"),
            [MONTHS, WEEKS],
            horizontal=True,
            key=f"{base}-unit",
            index=[MONTHS, WEEKS].index(row["unit"]),
            format_func=lambda u: ui.t(f"variants.unit.{u}"),
        )
        left, right = st.columns(2)
        duration = left.number_input(
            ui.t("variants.field.duration"),
            min_value=1,
            step=1,
            value=int(row["duration"]),
            key=f"{base}-duration",
        )
        midterm = right.number_input(
            ui.t("variants.field.midterm_at"),
            min_value=1,
            step=1,
            value=int(row["midterm_at"]),
            key=f"{base}-midterm",
        )
        quiet = left.number_input(
            ui.t("variants.field.quiet_after_days"),
            min_value=1,
            step=1,
            value=optional(row["quiet_after_days"]),
            key=f"{base}-quiet",
            help=ui.t("variants.help.setting", days=settings.inactive_after_days),
            placeholder=ui.t("variants.from_setting", days=settings.inactive_after_days),
        )
        grace = right.number_input(
            ui.t("variants.field.end_grace_days"),
            min_value=0,
            step=1,
            value=optional(row["end_grace_days"]),
            key=f"{base}-grace",
            help=ui.t("variants.help.setting", days=settings.end_survey_grace_days),
            placeholder=ui.t("variants.from_setting", days=settings.end_survey_grace_days),
        )
        if st.form_submit_button(ui.t("variants.preview_button"), key=f"{base}-preview"):
            st.session_state[PROPOSED_KEY] = (
                timeline_id,
                record.version,
                {
                    "unit": unit,
                    "duration": duration,
                    "midterm_at": midterm,
                    "quiet_after_days": quiet,
                    "end_grace_days": grace,
                },
            )
    proposed = st.session_state.get(PROPOSED_KEY)
    if proposed is None or proposed[0] != timeline_id or proposed[1] != record.version:
        return  # nothing previewed for this version of this timeline (a save or a colleague's change starts over)
    values = proposed[2]
    clean, errors = s.validate_timeline(values)
    if errors:
        for error in errors:
            st.error(f"{ui.t(f'variants.field.{error.field}')}: {error.message(lang)}")
        return

    def stored(name):
        value = row[name]
        return None if value is None or pd.isna(value) else (str(value) if name == "unit" else int(value))

    changes = {k: v for k, v in clean.items() if stored(k) != v}
    if not changes:
        st.info(ui.t("variants.no_change"))
        return
    preview = timeline_change_preview(engine, scope, variant=variant, changes=changes, as_of=as_of)
    st.subheader(ui.t("variants.preview_title", name=name))
    new_todo = int((preview["todos_new"].map(len) > 0).sum())
    gone_todo = int((preview["todos_gone"].map(len) > 0).sum())
    moved = int((preview["period_before"] != preview["period_after"]).sum())
    st.markdown(
        "\n".join(
            f"- {line}"
            for line in [
                ui.t("variants.effect.new_todo", n=new_todo),
                ui.t("variants.effect.gone_todo", n=gone_todo),
                ui.t("variants.effect.period", n=moved),
            ]
        )
    )
    st.caption(ui.t("variants.history_kept"))
    if not preview.empty:

        def todo_texts(codes) -> str:
            return ", ".join(ui.t(f"hub.todo.{c}") for c in codes)

        st.dataframe(
            pd.DataFrame(
                {
                    "code": preview["code"],
                    "name": preview["name"],
                    "before": [_period_text(p, lang) for p in preview["period_before"]],
                    "after": [_period_text(p, lang) for p in preview["period_after"]],
                    "new": preview["todos_new"].map(todo_texts),
                    "gone": preview["todos_gone"].map(todo_texts),
                }
            ),
            hide_index=True,
            width="stretch",
            placeholder=formatting.EMPTY,
            column_config={
                "code": ui.t("col.code"),
                "name": ui.t("col.name"),
                "before": ui.t("variants.col.before"),
                "after": ui.t("variants.col.after"),
                "new": ui.t("variants.col.new_todos"),
                "gone": ui.t("variants.col.gone_todos"),
            },
        )

    def save(shown: Shown, _values: dict, changes: dict = changes):
        return s.update_variant_timeline(
            engine, scope, timeline_id=shown.id, expected_version=shown.version, changes=changes
        )

    actions.action_button(
        "variants-save",
        record,
        call=save,
        label=ui.t("variants.save_named", name=name),
        icon=":material/save:",
        done_text=ui.t("variants.saved_named", name=name),
        slot="variants_pick",
        on_done=lambda _: st.session_state.pop(PROPOSED_KEY, None),
    )
