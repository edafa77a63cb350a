"""Beheer made declarative, as Django's admin: one :class:`RecordAdmin` spec per record type (list
columns, search fields, filters, form fields, services) and one section renderer, :func:`render`.
The specs themselves are in :mod:`samenhier.admin_records`; ``views/manage.py`` maps each section of the
page to its renderer (other modules plug their own section in there).

A section is drawn top to bottom as: search, filters and "show archived"; the list (one page of it, or
an editable table when the spec has ``list_editable``); the record chooser (:func:`samenhier.actions.pick`
over the rows shown, with "new" first); then the chosen record's form (:func:`samenhier.forms.record_form`:
kept input, field errors, conflicts), its archive / restore / delete buttons (delete only without
history) and its audit trail, or the form for a new record. Every message goes through
:mod:`samenhier.actions` (``tell`` / ``feedback``), under the chooser or the form.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from samenhier import actions, formatting, ui
from samenhier.actions import FormField, Shown
from samenhier.feedback import attempt, outcome_text
from samenhier.forms import edited_records, record_form
from samenhier.queries.audit import audit_events, readable_events
from samenhier.queries.records import search_frame
from samenhier.scope import Filters, Scope
from samenhier.services.bulk import RowEdit
from samenhier.services.records import record_history
from samenhier.widgets import paginate


@dataclass(frozen=True)
class Context:
    """What a section is drawn for: the store, the logged-in user and the sidebar filters."""

    engine: Engine
    scope: Scope
    filters: Filters


@dataclass(frozen=True)
class Column:
    """One list column: ``name`` in the list frame, ``label`` an i18n key, ``show`` maps a value to its
    text (e.g. a vocabulary label), ``date`` makes it a sortable date column."""

    name: str
    label: str
    show: Callable[[Any], str] | None = None
    date: bool = False


@dataclass(frozen=True)
class ListFilter:
    """A multiselect over ``options(ctx)`` (value → text shown) that keeps the rows whose ``column`` is
    among the chosen values; ``label`` an i18n key. With more options than the picker's limit the
    multiselect is left out (every option would be sent) and ``too_many`` (an i18n key) says to search."""

    name: str
    label: str
    column: str
    options: Callable[[Context], Mapping[Any, str]]
    too_many: str | None = None


@dataclass(frozen=True)
class RecordAdmin:
    """The Beheer spec of one record type.

    - ``name``: the section's slug (``?tab=``), the i18n keys ``manage.section.<name>`` / ``manage.new.<name>``
      and the widget keys' prefix; ``table``: the audit trail's table name.
    - ``id_column``: the id in the list frame, also the id argument of the services (``group_id=…``).
    - ``list_query(ctx, include_archived)`` → the list frame (with ``id_column``, ``version`` and the
      columns named here); ``columns``, ``search_fields`` and ``filters`` say what is shown and found.
      ``prepare`` adds derived columns before they are shown.
    - ``row_label(row)`` names a row (a named tuple) in the chooser; ``title(values)`` names an open record.
    - ``record_query(engine, scope, id)`` → the form values (with ``version`` and ``archived``/``active``).
    - ``fields(ctx, values)`` → the form fields (``values`` None for a new record); ``new_fields(ctx)``
      are shown only when creating (code, user name and password); ``new_values(ctx, chosen)`` the
      values a new record starts with (``chosen``: the filters' choices).
    - services, called as ``create(engine, scope, values=…)``, ``update(engine, scope, <id_column>=…,
      expected_version=…, changes=…, original=…)``, ``archive``/``restore``/``delete(engine, scope,
      <id_column>=…, expected_version=…)``; without ``archive`` there is no "show archived" and no
      archive, restore or delete.
    - ``list_editable`` (columns) and ``bulk_update(engine, scope, edits=[RowEdit…])``: the list is an
      editable table, saved with one click (see :mod:`samenhier.services.bulk`).
    - ``note(values)`` → an i18n key said above an open record (archived, inactive) or None;
      ``read_only(values)``: the form is shown but cannot be saved; ``record_actions(ctx, shown, values)``
      draws the record's own actions (an account's activation and password reset).
    """

    name: str
    table: str
    id_column: str
    list_query: Callable[[Context, bool], pd.DataFrame]
    columns: Sequence[Column]
    search_fields: Sequence[str]
    row_label: Callable[[Any], str]
    record_query: Callable[[Engine, Scope, int], dict[str, Any]]
    title: Callable[[Mapping[str, Any]], str]
    fields: Callable[[Context, Mapping[str, Any] | None], list[FormField]]
    create: Callable[..., Any]
    update: Callable[..., Any]
    new_fields: Callable[[Context], list[FormField]] = lambda ctx: []
    new_values: Callable[[Context, Mapping[str, list]], dict[str, Any]] = lambda ctx, chosen: {}
    archive: Callable[..., Any] | None = None
    restore: Callable[..., Any] | None = None
    delete: Callable[..., Any] | None = None
    filters: Sequence[ListFilter] = ()
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    list_editable: Sequence[str] = ()
    bulk_update: Callable[..., Any] | None = None
    note: Callable[[Mapping[str, Any]], str | None] = lambda values: (
        "manage.is_archived" if values.get("archived") else None
    )
    read_only: Callable[[Mapping[str, Any]], bool] = lambda values: bool(values.get("archived"))
    record_actions: Callable[[Context, Shown, Mapping[str, Any]], None] | None = None

    def open_key(self) -> str:
        """The chooser's widget key (and the slot of the section's messages)."""
        return f"manage_{self.name}_open"


def field_of(name: str, kind: str = "text", **kw: Any) -> FormField:
    """A form field labelled by the i18n key ``field.<name>``."""
    return FormField(name, ui.t(f"field.{name}"), kind, **kw)


# ------------------------------------------------------------------------------------------------ render


def render(spec: RecordAdmin, ctx: Context) -> None:
    """Draw the Beheer section of ``spec`` (see the module docstring)."""
    table, chosen = _listing(spec, ctx)
    page = paginate(table, key=f"manage_{spec.name}_page")
    if spec.list_editable:
        _editable_list(spec, ctx, page)
    else:
        st.dataframe(
            _shown(spec, page),
            hide_index=True,
            width="stretch",
            height=280,
            placeholder=formatting.EMPTY,
            column_config=_column_config(spec),
        )
    st.caption(ui.t("manage.count", n=len(table)))
    choice = actions.pick(
        table,
        key=spec.open_key(),
        id_column=spec.id_column,
        label=ui.t("manage.open"),
        format_row=spec.row_label,
        placeholder=ui.t("manage.open_hint"),
        new_label=ui.t(f"manage.new.{spec.name}"),
    )
    if choice is None:
        return
    if isinstance(choice, str):  # actions.NEW
        _new_record(spec, ctx, chosen)
    else:
        _edit_record(spec, ctx, int(choice[spec.id_column]))


def _listing(spec: RecordAdmin, ctx: Context) -> tuple[pd.DataFrame, dict[str, list]]:
    """The search box, filters and "show archived"; returns the rows they leave and each filter's choice."""
    widths = [3] + [2] * len(spec.filters) + ([1] if spec.archive else [])
    columns = iter(st.columns(widths))
    with next(columns):
        search = st.text_input(
            ui.t("manage.search"), key=f"manage_{spec.name}_search", placeholder=ui.t("manage.search_hint")
        )
    chosen: dict[str, list] = {}
    for list_filter in spec.filters:
        with next(columns):
            chosen[list_filter.name] = _filter_widget(spec, ctx, list_filter)
    archived = False
    if spec.archive:
        with next(columns):
            archived = st.checkbox(ui.t("manage.show_archived"), key=f"manage_{spec.name}_archived")
    table = spec.list_query(ctx, archived)
    for list_filter in spec.filters:
        if chosen[list_filter.name]:
            table = table[table[list_filter.column].isin(chosen[list_filter.name])]
    return search_frame(table, search, list(spec.search_fields)), chosen


def _filter_widget(spec: RecordAdmin, ctx: Context, list_filter: ListFilter) -> list:
    options = list_filter.options(ctx)
    if list_filter.too_many and len(options) > actions.PICK_LIMIT:
        st.caption(ui.t(list_filter.too_many))
        return []
    return st.multiselect(
        ui.t(list_filter.label),
        list(options),
        key=f"manage_{spec.name}_{list_filter.name}",
        format_func=lambda v: options.get(v, str(v)),
        placeholder=ui.t("filters.all"),
        select_all=False,  # Streamlit's "Select all" is English only
    )


def _shown(spec: RecordAdmin, page: pd.DataFrame) -> pd.DataFrame:
    """The list columns of ``page`` as people read them (labels, dates as dates, Ja/Nee, "–")."""
    frame = spec.prepare(page) if spec.prepare else page
    shown = frame[[c.name for c in spec.columns]].copy()
    for column in spec.columns:
        if column.show is not None:
            shown[column.name] = shown[column.name].map(column.show)
        if column.date:
            shown[column.name] = pd.to_datetime(shown[column.name])
    return formatting.readable_frame(shown)


def _column_config(spec: RecordAdmin) -> dict[str, Any]:
    return {c.name: ui.date_column(ui.t(c.label)) if c.date else ui.t(c.label) for c in spec.columns}


def _editable_list(spec: RecordAdmin, ctx: Context, page: pd.DataFrame) -> None:
    """The list as an editable table (columns ``list_editable``) and a button saving every changed row."""
    dates = [c.name for c in spec.columns if c.date]
    shown = page[[spec.id_column, "version", *(c.name for c in spec.columns)]].reset_index(drop=True)
    for name in dates:
        shown[name] = pd.to_datetime(shown[name])
    # Edits are reported by row position: the editor's key names the exact rows shown (page, search,
    # filter), so an edit can never land on another record when the rows change.
    editor_key = (
        f"manage_{spec.name}_editor_"
        + hashlib.sha1(shown[spec.id_column].to_numpy().tobytes()).hexdigest()[:12]
    )
    st.caption(ui.t("manage.bulk_hint"))
    st.data_editor(
        shown,
        key=editor_key,
        hide_index=True,
        width="stretch",
        height=280,
        disabled=[c for c in shown.columns if c not in spec.list_editable],
        column_order=[c.name for c in spec.columns],
        column_config=_column_config(spec),
        placeholder=formatting.EMPTY,
    )
    edits = edited_records(
        shown,
        st.session_state.get(editor_key, {}).get("edited_rows", {}),
        id_column=spec.id_column,
        date_columns=dates,
    )
    slot = f"manage_{spec.name}_bulk"
    if edits and st.button(ui.t("manage.bulk_save", n=len(edits)), key=slot + "_save", type="primary"):
        lang = ui.current_language()
        outcome = attempt(
            lambda: spec.bulk_update(ctx.engine, ctx.scope, edits=[RowEdit(*edit) for edit in edits]), lang
        )
        del st.session_state[editor_key]
        if outcome.ok:
            _tell_bulk(spec, slot, page, outcome.result, lang)
        else:  # nothing written: a row out of reach, or the store stayed busy
            actions.tell(slot, "error", outcome_text(outcome, None, lang) or ui.t("forms.fix_errors"))
        st.rerun()
    actions.feedback(slot)


def _tell_bulk(spec: RecordAdmin, slot: str, page: pd.DataFrame, result: Any, lang: str) -> None:
    """How many rows were saved, and per row not saved (named as in the chooser) why not."""
    names = {int(getattr(r, spec.id_column)): spec.row_label(r) for r in page.itertuples(index=False)}
    actions.tell(
        slot,
        "warning" if result.problems else "success",
        ui.t("manage.bulk_done", n=len(result.saved)),
        toast=not result.problems,
    )
    for problem in result.problems:
        for message in problem.messages(lang):
            actions.tell(slot, "error", f"{ui.md(names.get(problem.record_id, ''))}: {message}")
    for warning in result.warnings:
        actions.tell(slot, "warning", warning.message(lang))


def _new_record(spec: RecordAdmin, ctx: Context, chosen: Mapping[str, list]) -> None:
    record_form(
        f"{spec.name}-new",
        [*spec.new_fields(ctx), *spec.fields(ctx, None)],
        spec.new_values(ctx, chosen),
        save=lambda changes, _: spec.create(ctx.engine, ctx.scope, values=changes),
        submit_label=ui.t("manage.create"),
        saved_text=ui.t("manage.created"),
        is_new=True,
        slot=spec.open_key(),
        on_saved=lambda saved: actions.choose_later(spec.open_key(), saved.id),
    )


def _edit_record(spec: RecordAdmin, ctx: Context, record_id: int) -> None:
    """An existing record: its form, then its own actions, archive / restore / delete and its history."""
    try:
        values = spec.record_query(ctx.engine, ctx.scope, record_id)
    except ui.AccessDenied:
        ui.denied()
    title = spec.title(values)
    ids = {spec.id_column: record_id}
    st.subheader(ui.md(title))
    if (note_key := spec.note(values)) is not None:
        st.info(ui.t(note_key))
    prefix = f"{spec.name}-{record_id}"
    record_form(
        prefix,
        spec.fields(ctx, values),
        values,
        save=lambda changes, snap: spec.update(
            ctx.engine, ctx.scope, **ids, expected_version=snap["version"], changes=changes, original=snap
        ),
        submit_label=ui.t("manage.save_named", name=ui.md(title)),
        saved_text=ui.t("manage.saved_named", name=ui.md(title)),
        read_only=spec.read_only(values),
    )
    # the version the form was opened with: a write on a record someone changed since is refused
    record = Shown(record_id, int(st.session_state.get(f"{prefix}-opened", values)["version"]), title)
    if spec.record_actions is not None:
        spec.record_actions(ctx, record, values)
    if spec.archive is not None:
        _archive_and_delete(spec, ctx, record, values)
        _history(spec, ctx, record)


def _archive_and_delete(spec: RecordAdmin, ctx: Context, record: Shown, values: Mapping[str, Any]) -> None:
    """Archive or restore; delete only a record without history, after a confirmation naming it."""
    ids, slot, safe_name = {spec.id_column: record.id}, spec.open_key(), ui.md(record.name)
    left, right = st.columns(2)
    with left:
        if values["archived"]:
            actions.action_button(
                f"{spec.name}-restore",
                record,
                label=ui.t("manage.restore_named", name=safe_name),
                icon=":material/unarchive:",
                slot=slot,
                done_text=ui.t("manage.restored_named", name=safe_name),
                call=lambda shown, _: spec.restore(
                    ctx.engine, ctx.scope, **ids, expected_version=shown.version
                ),
            )
        else:
            actions.action_button(
                f"{spec.name}-archive",
                record,
                label=ui.t("manage.archive_named", name=safe_name),
                icon=":material/archive:",
                slot=slot,
                done_text=ui.t("manage.archived_named", name=safe_name),
                call=lambda shown, _: spec.archive(
                    ctx.engine, ctx.scope, **ids, expected_version=shown.version
                ),
            )
    if spec.delete is None:
        return
    history = record_history(ctx.engine, ctx.scope, table=spec.table, record_id=record.id)
    with right:
        if history:
            st.caption(
                ui.t(
                    "manage.has_history",
                    what=", ".join(ui.t(f"manage.history.{k}", n=n) for k, n in history.items()),
                )
            )
        else:
            actions.action_button(
                f"{spec.name}-delete",
                record,
                label=ui.t("manage.delete_named", name=safe_name),
                icon=":material/delete_forever:",
                destructive=True,
                slot=slot,
                confirm_text=ui.t("manage.delete_confirm_named", name=safe_name),
                done_text=ui.t("manage.deleted_named", name=safe_name),
                call=lambda shown, _: spec.delete(
                    ctx.engine, ctx.scope, **ids, expected_version=shown.version
                ),
                on_done=lambda _: actions.drop_choice(slot),
            )


def _history(spec: RecordAdmin, ctx: Context, record: Shown) -> None:
    with st.expander(ui.t("manage.history")):
        events = audit_events(ctx.engine, ctx.scope, record=(spec.table, record.id), limit=50).events
        if events.empty:
            st.caption(ui.t("manage.no_history"))
        for event in readable_events(ctx.engine, events, ui.current_language()).itertuples():
            st.markdown(
                f"**{formatting.datetime_text(event.at)}** · {ui.md(event.username)} · {event.action}"
            )
            if event.changes:
                st.text(event.changes)
