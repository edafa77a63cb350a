"""Streamlit glue for editing records: a form that keeps what the user typed, shows each field's
error beside it, detects that the record changed since it was opened, and offers reload / re-apply.

How a form works (one ``prefix`` per record, built from its primary key, e.g. ``group-12``):

1. On first display the record's values are copied into the widgets' session state and kept as
   the *opened* snapshot (with ``version``). Later runs leave the widgets alone, so after a failed
   save the user's input stays.
2. On save only the fields that differ from the snapshot are sent (``changes``), with the snapshot's
   version as ``expected_version``. Field errors (:class:`ValidationFailed`) are shown under their
   fields; a :class:`VersionConflict` shows what changed meanwhile, with "reload" (forget my input)
   and "re-apply" (send my changes again on top of the current version).
3. After a successful save the form forgets its state and shows the record afresh.

Services raise, this module shows; it holds no business rules. Its messages go through the write path's
one message store (:func:`samenhier.actions.tell` / :func:`samenhier.actions.feedback`), like every page's.
:func:`edited_records` (no Streamlit) maps ``st.data_editor`` edits, reported by row position, to record
ids through the frame that was shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.exc import OperationalError

from samenhier import formatting, ui
from samenhier.actions import MAX_DATE, MIN_DATE, FormField, feedback, field_label, required_legend, tell
from samenhier.feedback import messages_by_field
from samenhier.scope import AccessDenied
from samenhier.services.common import ValidationFailed, VersionConflict

# -------------------------------------------------------------------------------------------- values


def _key(prefix: str, name: str) -> str:
    return f"{prefix}-{name}"


def _empty(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return not value
    return (
        value is None
        or value is pd.NaT
        or value == ""
        or (not isinstance(value, str | dt.date) and pd.isna(value))
    )


def same(a: Any, b: Any) -> bool:
    """Equal for a form: empty text and None are the same, text compared without outer spaces."""
    if _empty(a) and _empty(b):
        return True
    if isinstance(a, str) and isinstance(b, str):
        return a.strip() == b.strip()
    return a == b


def _to_widget(field: FormField, value: Any) -> Any:
    if field.kind in ("text", "textarea", "password"):
        return "" if _empty(value) else str(value)
    if field.kind == "checkbox":
        return bool(value)
    if field.kind == "multiselect":
        return list(value or [])
    if field.kind == "int":
        return None if _empty(value) else int(value)
    if field.kind == "date":
        return None if _empty(value) else pd.Timestamp(value).date()
    return None if _empty(value) else value


def show_value(field: FormField, value: Any) -> str:
    """A value as people read it: dates in the session's language, options by their label, empty as ``–``."""
    if field.kind == "checkbox":
        return "✓" if value else "✗"
    if field.kind == "multiselect":
        return ", ".join(map(str, value)) if value else "–"
    if _empty(value):
        return "–"
    if field.kind == "date":
        return ui.fmt_date(pd.Timestamp(value).date())
    if field.format_func is not None:
        return field.format_func(value)
    return str(value)


def forget(prefix: str, fields: Sequence[FormField]) -> None:
    """Drop a form's state (widgets, snapshot, errors, conflict): it shows the stored record again."""
    for name in [
        *(_key(prefix, f.name) for f in fields),
        _key(prefix, "opened"),
        _key(prefix, "errors"),
        _key(prefix, "conflict"),
        _key(prefix, "confirm_delete"),
    ]:
        st.session_state.pop(name, None)


def opened(prefix: str, fields: Sequence[FormField], values: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot the form was opened with; on first display (or after :func:`forget`, or when the
    widgets were not shown in the last run) take it from ``values`` and fill the widgets with it."""
    snapshot_key = _key(prefix, "opened")
    if snapshot_key not in st.session_state or any(
        _key(prefix, f.name) not in st.session_state for f in fields
    ):
        st.session_state[snapshot_key] = dict(values)
        st.session_state.pop(_key(prefix, "errors"), None)
        st.session_state.pop(_key(prefix, "conflict"), None)
        for field in fields:
            st.session_state[_key(prefix, field.name)] = _to_widget(field, values.get(field.name))
    return st.session_state[snapshot_key]


def _widget(prefix: str, field: FormField, *, disabled: bool = False) -> None:
    key = _key(prefix, field.name)
    label = field_label(field)
    common = dict(key=key, help=field.help, disabled=disabled)
    if field.kind == "text":
        st.text_input(label, **common)
    elif field.kind == "password":
        st.text_input(label, type="password", **common)
    elif field.kind == "textarea":
        st.text_area(label, **common)
    elif field.kind == "date":
        st.date_input(label, min_value=MIN_DATE, max_value=MAX_DATE, format=ui.date_format(), **common)
    elif field.kind == "select":
        options = list(field.options)
        current = st.session_state.get(key)
        if current not in options:  # e.g. a builder archived since: keep showing the stored value
            options = [current, *options]
        # A stored None reads as "no choice" to Streamlit, which then shows its English placeholder: show "–".
        st.selectbox(
            label, options, format_func=lambda v: show_value(field, v), placeholder=formatting.EMPTY, **common
        )
    elif field.kind == "multiselect":
        st.multiselect(
            label,
            list(field.options),
            format_func=lambda v: show_value(field, v) if field.format_func else str(v),
            placeholder=ui.t("common.choose_options"),
            select_all=False,
            **common,
        )  # "Select all": English only
    elif field.kind == "int":
        st.number_input(label, step=1, **common)
    elif field.kind == "checkbox":
        st.checkbox(label, **common)
    else:  # pragma: no cover - a programming error
        raise ValueError(f"unknown field kind {field.kind!r}")


def record_label(saved: Any, values: Mapping[str, Any]) -> str:
    """How the app names a record just written: its code (``Saved.code``: code, username or name) and its name
    from the form's ``values`` (``name``, or ``first_name last_name``), e.g. ``0518-023 Welkomgroep Mariahoeve``."""
    code = str(getattr(saved, "code", "") or "")
    name = values.get("name") or " ".join(
        str(values[k]).strip() for k in ("first_name", "last_name") if not _empty(values.get(k))
    )
    name = "" if _empty(name) else str(name).strip()
    return " ".join(part for part in (code, name if name != code else "") if part)


def _success_text(saved_text: str, saved: Any, values: Mapping[str, Any], is_new: bool) -> str:
    # Every success names the record (issue 14 leftovers, item 8): a new record's bare "Aangemaakt." becomes
    # "0518-023 Welkomgroep Mariahoeve is aangemaakt." when the text does not name it already.
    label = record_label(saved, values) if is_new else ""
    if not label or str(getattr(saved, "code", "") or label) in saved_text:
        return saved_text
    return ui.t("forms.created_named", name=ui.md(label))


def _attempt(
    prefix: str,
    fields: Sequence[FormField],
    save: Callable[[dict, dict], Any],
    changes: dict,
    snapshot: dict,
    on_saved: Callable[[Any], None] | None,
    saved_text: str,
    slot: str | None = None,
    is_new: bool = False,
) -> None:
    slot = slot or prefix
    try:
        saved = save(changes, snapshot)
    except ValidationFailed as exc:
        st.session_state[_key(prefix, "errors")] = messages_by_field(exc.errors, ui.current_language())
    except VersionConflict as exc:
        st.session_state[_key(prefix, "conflict")] = {
            "current": exc.current,
            "changed": exc.changed,
            "pending": changes,
        }
    except AccessDenied:
        forget(prefix, fields)
        tell(slot, "error", ui.t("common.not_found_or_denied"))
    except OperationalError:
        tell(slot, "error", ui.t("forms.busy"))
    else:
        forget(prefix, fields)
        _tell_saved(saved, _success_text(saved_text, saved, {**snapshot, **changes}, is_new), slot)
        if on_saved is not None:
            on_saved(saved)
    st.rerun()


def _tell_saved(saved: Any, text: str, slot: str) -> None:
    """A success message (also as a toast), plus one warning per warning of the write (e.g. group size)."""
    tell(slot, "success", text, toast=True)
    lang = ui.current_language()
    for warning in getattr(saved, "warnings", ()) or ():
        tell(slot, "warning", warning.message(lang))


def _conflict(
    prefix: str, fields: Sequence[FormField], conflict: dict, save, on_saved, saved_text: str, slot: str
) -> None:
    by_name = {f.name: f for f in fields}
    st.warning(ui.t("forms.conflict"))
    rows = []
    for name, (then, now) in conflict["changed"].items():
        field = by_name.get(name)
        if field is None:
            continue
        mine = conflict["pending"].get(name, then)
        rows.append(
            {
                "field": field.label,
                "then": show_value(field, then),
                "now": show_value(field, now),
                "mine": show_value(field, mine) if name in conflict["pending"] else "",
            }
        )
    for name, value in conflict["pending"].items():
        if name not in conflict["changed"] and name in by_name:
            field = by_name[name]
            rows.append(
                {
                    "field": field.label,
                    "then": "",
                    "now": show_value(field, conflict["current"].get(name)),
                    "mine": show_value(field, value),
                }
            )
    st.dataframe(
        pd.DataFrame(rows, columns=["field", "then", "now", "mine"]),
        hide_index=True,
        width="stretch",
        column_config={
            "field": ui.t("forms.col.field"),
            "then": ui.t("forms.col.then"),
            "now": ui.t("forms.col.now"),
            "mine": ui.t("forms.col.mine"),
        },
        placeholder=formatting.EMPTY,
    )
    reload_col, apply_col = st.columns(2)
    if reload_col.button(ui.t("forms.reload"), key=_key(prefix, "reload"), icon=":material/refresh:"):
        forget(prefix, fields)
        st.rerun()
    if apply_col.button(
        ui.t("forms.reapply"), key=_key(prefix, "reapply"), type="primary", icon=":material/redo:"
    ):
        current = conflict["current"]
        st.session_state[_key(prefix, "opened")] = dict(current)
        st.session_state.pop(_key(prefix, "conflict"), None)
        _attempt(prefix, fields, save, conflict["pending"], dict(current), on_saved, saved_text, slot)


def record_form(
    prefix: str,
    fields: Sequence[FormField],
    values: Mapping[str, Any],
    *,
    save: Callable[[dict, dict], Any],
    submit_label: str,
    saved_text: str,
    is_new: bool = False,
    on_saved: Callable[[Any], None] | None = None,
    read_only: bool = False,
    slot: str | None = None,
) -> None:
    """Draw the form for one record and handle its submission.

    ``save(changes, snapshot)`` calls the service: ``changes`` are the fields the user changed (all
    fields for a new record), ``snapshot`` the values (with ``version``) the form was opened with. It
    returns the service's result (e.g. :class:`~samenhier.services.records.Saved`, whose warnings are
    shown) and may raise ValidationFailed, VersionConflict or AccessDenied. Its messages (success also
    as a toast; ``saved_text`` should name the record: for a new record a text without its code becomes
    "<code name> is aangemaakt.", see :func:`record_label`) appear under the form, or in ``slot``
    (:func:`samenhier.actions.feedback`) — e.g. the record chooser, when a new record opens after saving.
    """
    snapshot = opened(prefix, fields, values)
    names = {f.name for f in fields}
    errors: dict[str, list[str]] = st.session_state.get(_key(prefix, "errors"), {})
    conflict = st.session_state.get(_key(prefix, "conflict"))
    if conflict:
        _conflict(prefix, fields, conflict, save, on_saved, saved_text, slot or prefix)
    for name, messages in errors.items():
        if name not in names:
            for message in messages:
                st.error(message)
    if errors:
        st.error(ui.t("forms.fix_errors"))
    with st.form(_key(prefix, "form"), enter_to_submit=False):  # no English "Press Enter to submit form"
        for field in fields:
            _widget(prefix, field, disabled=read_only)
            for message in errors.get(field.name, []):
                st.error(message)
        required_legend(fields)
        # keyed: the label names the record and may change (a rename); the key keeps the click
        submitted = st.form_submit_button(
            submit_label, type="primary", disabled=read_only, key=_key(prefix, "submit")
        )
    if submitted:
        current = {f.name: st.session_state.get(_key(prefix, f.name)) for f in fields}
        changes = current if is_new else {k: v for k, v in current.items() if not same(v, snapshot.get(k))}
        if not changes:
            st.info(ui.t("forms.nothing_changed"))
            return
        _attempt(prefix, fields, save, changes, snapshot, on_saved, saved_text, slot, is_new)
    feedback(slot or prefix)


# ---------------------------------------------------------------------------------------- bulk edits


def edited_records(
    shown: pd.DataFrame,
    edited_rows: Mapping[Any, Mapping[str, Any]],
    *,
    id_column: str,
    date_columns: Sequence[str] = (),
) -> list[tuple[int, int, dict[str, Any], dict[str, Any]]]:
    """``st.data_editor``'s ``edited_rows`` (row *position* → {column: new value}) as record edits.

    Positions are looked up in ``shown``, the exact frame the editor was given, so a sorted or
    filtered table never edits the wrong record. Returns ``(id, version, changes, original)`` per row
    that really changed: ``changes`` holds the new values (dates parsed from the editor's ISO text,
    blank text as None), ``original`` the row's values for those columns. ``shown`` needs ``id_column``
    and ``version``.
    """
    out = []
    for position, edits in sorted(edited_rows.items(), key=lambda kv: int(kv[0])):
        row = shown.iloc[int(position)]
        changes, original = {}, {}
        for column, value in edits.items():
            if column in date_columns and isinstance(value, str) and value:
                value = dt.date.fromisoformat(value[:10])
            if isinstance(value, str) and not value.strip():
                value = None
            before = row[column]
            before = None if _empty(before) else before
            if column in date_columns and before is not None:
                before = pd.Timestamp(before).date()
            if not same(value, before):
                changes[column], original[column] = value, before
        if changes:
            out.append((int(row[id_column]), int(row["version"]), changes, original))
    return out
