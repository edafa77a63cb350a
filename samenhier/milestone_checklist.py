"""The milestones on the Groep page (issue 19): the checklist, and the hub action that checks a milestone
off or undoes it. Streamlit drawing only; what is due and overdue is :mod:`samenhier.milestones`, the
reads :mod:`samenhier.queries.milestones`, the writes :mod:`samenhier.services.milestones` — through the
one write path, :mod:`samenhier.actions` (the milestone picked from the shown checklist, its check-off's
id and version carried, the confirmation naming the step).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from samenhier import actions, formatting, ui
from samenhier.feedback import Shown
from samenhier.forms import FormField
from samenhier.milestones import DONE, NO_DATE, OVERDUE
from samenhier.queries.milestones import GroupChecklist
from samenhier.services import milestones as service

_ICONS = {DONE: "✅", OVERDUE: "⚠️"}


def pick_key(group_id: int) -> str:
    """The key of the hub's milestone picker (a to-do's button preselects its milestone through it)."""
    return f"hub-milestone-{group_id}"


def offset_text(days: int) -> str:
    """A due offset for people: "14 dagen na de start", "7 dagen vóór de start", "op de startdag"."""
    if days == 0:
        return ui.t("milestones.offset.at")
    if days < 0:
        return ui.t("milestones.offset.before", n=-int(days))
    return ui.t("milestones.offset.after", n=int(days))


def state_text(row) -> str:
    """The state of a checklist row for people (done, overdue with its days, open)."""
    if row.state == DONE:
        return ui.t("milestones.state.done")
    if row.state == OVERDUE:
        return ui.t("milestones.state.overdue", n=int(row.days_overdue))
    return ui.t("milestones.state.open")


def _table(items: pd.DataFrame) -> None:
    shown = pd.DataFrame(
        {
            "name": [
                f"{_ICONS.get(s, '⬜')} {n}" for s, n in zip(items["state"], items["name"], strict=True)
            ],
            "due_date": pd.to_datetime(items["due_date"]),
            "offset": [offset_text(d) for d in items["due_offset_days"]],
            "state": [state_text(r) for r in items.itertuples(index=False)],
            "done_date": pd.to_datetime(items["done_date"]),
            "checked_by": items["checked_by"],
        }
    )
    st.dataframe(
        shown,
        hide_index=True,
        placeholder=formatting.EMPTY,
        width="stretch",
        column_config={
            "name": ui.t("milestones.col.name"),
            "due_date": ui.date_column(ui.t("milestones.col.due")),
            "offset": ui.t("milestones.col.offset"),
            "state": ui.t("milestones.col.state"),
            "done_date": ui.date_column(ui.t("milestones.col.done")),
            "checked_by": ui.t("milestones.col.by"),
        },
    )


def show(checklist: GroupChecklist) -> None:
    """The group's checklist: its variant's milestones with due date, state and who checked them off when;
    below, check-offs that are no longer on the list (a retired milestone, an earlier variant)."""
    items = checklist.items
    current, earlier = items[items["in_checklist"]], items[~items["in_checklist"]]
    if current.empty and earlier.empty:
        return
    st.subheader(ui.t("milestones.title"))
    if not current.empty:
        done = int((current["state"] == DONE).sum())
        start = (
            ui.t("milestones.start", date=ui.fmt_date(checklist.start))
            if checklist.start is not None
            else ui.t("milestones.no_start")
        )
        st.caption(f"{ui.t('milestones.progress', done=done, total=len(current))} · {start}")
        _table(current)
    if not earlier.empty:
        st.caption(ui.t("milestones.earlier"))
        _table(earlier)


def action(engine, scope, checklist: GroupChecklist, *, group_label: str, as_of: dt.date, slot: str) -> None:
    """The hub action ``milestones``: pick a step of the checklist; an open one is checked off (done on a
    date, today by default), a checked one can be undone (after a confirmation naming it)."""
    items = checklist.items[checklist.items["in_checklist"]]
    row = actions.pick(
        items,
        key=pick_key(checklist.group_id),
        id_column="milestone_id",
        label=ui.t("milestones.choose"),
        format_row=lambda r: f"{_ICONS.get(r.state, '⬜')} {r.name} · {state_text(r)}",
    )
    if row is None:
        return
    name = str(row["name"])
    if row["state"] == DONE:
        st.caption(
            ui.t("milestones.done_by", date=ui.fmt_date(row["done_date"]), user=ui.md(row["checked_by"]))
        )
        check = Shown(int(row["check_id"]), int(row["check_version"]), name)
        actions.action_button(
            "hub-milestone-undo",
            check,
            slot=slot,
            icon=":material/undo:",
            call=lambda shown, _: service.undo_milestone_check(
                engine, scope, check_id=shown.id, expected_version=shown.version
            ),
            label=ui.t("milestones.undo", name=ui.md(name)),
            confirm_text=ui.t("milestones.undo_confirm", name=ui.md(name)),
            done_text=ui.t("milestones.undone", name=ui.md(name), group=ui.md(group_label)),
        )
        return
    if row["state"] not in (NO_DATE,) and row["due_date"] is not None:
        st.caption(
            ui.t(
                "milestones.due",
                date=ui.fmt_date(row["due_date"]),
                offset=offset_text(int(row["due_offset_days"])),
            )
        )
    version = None if pd.isna(row["check_version"]) else int(row["check_version"])
    step = Shown(int(row["milestone_id"]), version, name)
    actions.action_form(
        "hub-milestone-check",
        step,
        slot=slot,
        fields=[
            FormField(
                "done_date",
                ui.t("milestones.col.done"),
                "date",
                default=as_of,
                max_value=as_of,
                required=True,
            )
        ],
        call=lambda shown, v: service.check_off_milestone(
            engine,
            scope,
            group_id=checklist.group_id,
            milestone_id=shown.id,
            done_date=v["done_date"],
            expected_version=shown.version,
        ),
        submit_label=ui.t("milestones.check", name=ui.md(name)),
        done_text=ui.t("milestones.checked", name=ui.md(name), group=ui.md(group_label)),
        field_labels={"milestone": ui.t("milestones.choose")},
    )
