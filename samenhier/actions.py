"""The one write-and-feedback path of every page: choose a record from what is shown, act on exactly
that record, and tell the user what happened next to the button.

Three pieces (the pure parts live in :mod:`samenhier.feedback`, unit-tested without Streamlit):

- :func:`pick` — a picker built from the frame the page shows, keyed by id. Nothing is preselected;
  a choice that the filters no longer show is dropped, so its action form goes away.
- :func:`action_form` — a form acting on one :class:`~samenhier.feedback.Shown` record. The submit
  button's callback is bound, when the form is drawn, to the record's id and the version that was
  rendered: the click writes that record or nothing (the service refuses another version).
  Field errors appear under their fields; success appears under the form (or in ``slot``) and as a
  toast, naming the record; the form is cleared after success; the same values sent twice in a row,
  a ``confirm_text`` (end, decline, delete, erase) or a service's ConfirmationNeeded ask first, with
  a button that names the record. :func:`action_button` is the same for a one-click write.
- :func:`tabs` — keyed tabs of which only the open one runs, with a ``?tab=`` deep link.

Usage (a page)::

    from samenhier import actions
    from samenhier.feedback import Shown
    from samenhier.actions import FormField

    row = actions.pick(here, key="match_pick", id_column="match_id", label=ui.t("matching.choose_match"),
                       format_row=lambda r: f"{r.group_code} ↔ {r.newcomer_code} {r.newcomer_name}")
    if row is not None:
        match = Shown(int(row["match_id"]), int(row["version"]), f"{row['group_code']} ↔ {row['newcomer_code']}")
        actions.action_form(
            "match_end", match,
            fields=[FormField("outcome", ui.t("matching.field.outcome"), "radio", options=["afgerond", "gestopt"]),
                    FormField("ended_date", ui.t("matching.field.ended_date"), "date", default=as_of)],
            call=lambda shown, values: services.end_match(ui.engine(), scope, match_id=shown.id,
                                                          expected_version=shown.version, **values),
            submit_label=ui.t("matching.end_named", name=match.name),
            done_text=ui.t("matching.ended_done", name=match.name),
            confirm_text=ui.t("matching.end_confirm", name=match.name),   # ask first, naming the record
            slot="match_pick",            # the match leaves the list once ended: say so under the picker
        )

``call(shown, values)`` gets the record bound at render time and ``{field name: widget value}``. It
runs inside a widget callback (before the page runs again), so it must not call ``st.*`` itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from samenhier import formatting, ui
from samenhier.feedback import (
    CONFIRM,
    CONFLICT,
    INVALID,
    SAVED,
    Outcome,
    Shown,
    attempt,
    fingerprint,
    is_repeat,
    outcome_text,
    split_errors,
)
from samenhier.io.rows import fold_vocabulary

FEEDBACK_KEY = "actions-feedback"
LAST_KEY = "actions-last"
MIN_DATE, MAX_DATE = dt.date(1950, 1, 1), dt.date(2100, 12, 31)
PICK_LIMIT = 300
NEW = "new"

__all__ = [
    "NEW",
    "FormField",
    "Outcome",
    "Shown",
    "action_button",
    "action_form",
    "choose_later",
    "drop_choice",
    "feedback",
    "field_label",
    "forget_form",
    "link_section",
    "pick",
    "refused",
    "required_legend",
    "tabs",
    "tell",
]


# -------------------------------------------------------------------------------------------- fields


@dataclass(frozen=True)
class FormField:
    """One input of a form: ``name`` (the service's field), ``label`` (shown text), ``kind`` (text,
    textarea, password, date, select, multiselect, radio, int, checkbox), ``options`` and ``format_func``
    for a (multi)select or radio.

    Used by :func:`action_form` and by :func:`samenhier.forms.record_form`; :func:`action_form` also reads
    ``default`` (the value a fresh form starts with; None leaves a select/radio unchosen),
    ``min_value``/``max_value``/``step`` (int, date), ``max_chars`` (text) and ``horizontal`` (radio).
    """

    name: str
    label: str
    kind: str = "text"
    options: Sequence[Any] = ()
    format_func: Callable[[Any], str] | None = None
    required: bool = False
    help: str | None = None
    default: Any = None
    min_value: Any = None
    max_value: Any = None
    step: Any = None
    max_chars: int | None = None
    horizontal: bool = True


REQUIRED_MARK = " *"
"""Appended to the label of a required field (:attr:`FormField.required`); :func:`required_legend` says what it means."""


def field_label(field: FormField) -> str:
    """The label a form shows for ``field``: marked with ``*`` when it is required."""
    return field.label + (REQUIRED_MARK if field.required else "")


def required_legend(fields: Sequence[FormField]) -> None:
    """Under a form with a required field: "* verplicht" (what the mark means), in the session's language."""
    if any(f.required for f in fields):
        st.caption(ui.t("forms.required_legend"))


# ------------------------------------------------------------------------------------------ feedback


def tell(slot: str, kind: str, text: str, *, toast: bool = False) -> None:
    """Leave a message (``success``, ``info``, ``warning``, ``error``) for :func:`feedback` ``(slot)``; with
    ``toast`` it is also shown as a toast when the slot is drawn."""
    st.session_state.setdefault(FEEDBACK_KEY, {}).setdefault(slot, []).append((kind, text, toast))


def feedback(slot: str) -> None:
    """Show, once, the messages left for ``slot`` (call it where the user's eyes are: under the button)."""
    for kind, text, toast in st.session_state.get(FEEDBACK_KEY, {}).pop(slot, []):
        getattr(st, kind)(text)
        if toast:
            st.toast(text, icon=":material/check_circle:" if kind == "success" else None)


def _told(outcome: Outcome, shown: Shown | None, slot: str, done_text: str) -> None:
    if outcome.status == SAVED:
        tell(slot, "success", done_text, toast=True)
        for warning in outcome.warnings:
            tell(slot, "warning", warning)
    elif (text := outcome_text(outcome, shown, ui.current_language())) is not None:
        tell(slot, "error" if outcome.status != CONFLICT else "warning", text)


# -------------------------------------------------------------------------------------------- choosing


def pick(
    frame: pd.DataFrame,
    *,
    key: str,
    id_column: str,
    label: str,
    format_row: Callable[[Any], str],
    help: str | None = None,
    placeholder: str | None = None,
    limit: int = PICK_LIMIT,
    new_label: str | None = None,
    on_change: Callable[[], None] | None = None,
) -> pd.Series | str | None:
    """Choose one record of ``frame`` (the rows the page shows), by id; returns its row or None.
    The one picker of the app: every page that chooses a record uses it.

    Nothing is chosen at first. When the chosen id is not in ``frame`` any more (a filter, the
    municipality, a write elsewhere), the choice is dropped and None comes back, so no action can
    reach a record that is not on screen. ``format_row`` gets a row as a named tuple. Messages left
    for ``key`` (see ``slot`` of :func:`action_form`) are shown under the picker. More than ``limit``
    rows (national scale) get a search field first; the list then offers the first ``limit`` rows
    whose text contains the search, and the current choice (a search does not drop it).
    ``new_label`` adds a first option "new record"; choosing it returns :data:`NEW`. :func:`choose_later`
    chooses a record (e.g. the one just created) from code that runs after the picker. Ids are whole
    numbers (primary keys) or text (a group code); the session state holds the id. ``on_change`` is the
    selectbox's callback (it runs before the page, e.g. to remember the choice elsewhere).
    """

    def labelled(rows: pd.DataFrame) -> dict[int | str, str]:
        # Plain Python values first: iterating Arrow-backed text columns goes value by value (25,000 members
        # took seconds); only the rows that are offered get a label, all of them only for a search.
        return {
            _id(getattr(r, id_column)): format_row(r) for r in rows.astype(object).itertuples(index=False)
        }

    ids = [_id(i) for i in frame[id_column].tolist()]
    positions = {record_id: position for position, record_id in enumerate(ids)}
    if len(ids) > limit:
        needle = fold_vocabulary(st.text_input(ui.t("picker.search"), key=f"{key}_search"))
        if needle:
            labels = labelled(frame)
            offered = [i for i in ids if needle in fold_vocabulary(labels[i])]
        else:
            labels, offered = labelled(frame.iloc[:limit]), ids
        total, offered = len(offered), offered[:limit]
        lang = ui.current_language()
        st.caption(
            ui.t(
                "picker.count",
                shown=formatting.format_number(len(offered), lang),
                total=formatting.format_number(total, lang),
            )
        )
    else:
        labels = labelled(frame)
        offered = list(labels)
    if f"{key}-pending" in st.session_state:
        st.session_state[key] = st.session_state.pop(f"{key}-pending")
    chosen = st.session_state.get(key)
    if (
        chosen is not None and chosen != NEW and chosen not in labels and chosen in positions
    ):  # shown, beyond the first rows
        labels |= labelled(frame.iloc[[positions[chosen]]])
    if new_label is not None:
        labels_all = {NEW: new_label, **labels}
        offered, labels = [NEW, *offered], labels_all
    if chosen is not None and chosen not in labels:
        st.session_state[key] = None  # set, not popped: the browser must be told to show nothing chosen
    elif chosen is not None:
        st.session_state[key] = (
            chosen  # re-assert: its label may have changed (proposed → active), keep it chosen
        )
    extra = {} if key in st.session_state else {"index": None}
    if chosen in labels and chosen not in offered:
        offered = [chosen, *offered]
    choice = st.selectbox(
        label,
        offered,
        format_func=labels.get,
        key=key,
        help=help,
        placeholder=placeholder or ui.t("actions.choose"),
        on_change=on_change,
        **extra,
    )
    feedback(key)
    if choice is None or choice == NEW:
        return choice
    return frame.iloc[positions[choice]]


def _id(value: Any) -> int | str:
    """A record id as the picker keeps it: a whole number as ``int`` (NumPy's too), text as is."""
    return value if isinstance(value, str) else int(value)


def choose_later(key: str, record_id: int | str | None) -> None:
    """Make ``record_id`` the choice of :func:`pick` ``(key=key)`` on the next run (e.g. the record just created)."""
    st.session_state[f"{key}-pending"] = record_id


def drop_choice(key: str) -> None:
    """Forget the choice of :func:`pick` ``(key=key)`` (e.g. after a write, so the next action is not offered)."""
    st.session_state[key] = None


# ---------------------------------------------------------------------------------------------- forms


@dataclass
class _Spec:
    key: str
    fields: Sequence[FormField]
    call: Callable[[Shown, dict], Any]
    done_text: str | Callable[[dict], str]
    slot: str
    confirm_text: str | None = None
    confirm_label: str | None = None
    confirm_flag: str | None = None
    check_repeat: bool = True
    clear_on_success: bool = True
    on_done: Callable[[Any], None] | None = None
    field_labels: Mapping[str, str] = field(default_factory=dict)
    reload_on_conflict: bool = False


def _base(key: str, shown: Shown) -> str:
    return f"{key}-{shown.id}"


def forget_form(key: str, shown: Shown, fields: Sequence[FormField] = ()) -> None:
    """Drop what the form ``key`` of ``shown`` holds (input, errors, a pending question)."""
    base = _base(key, shown)
    for name in [*(f"{base}-{f.name}" for f in fields), f"{base}-errors", f"{base}-pending"]:
        st.session_state.pop(name, None)


def refused(key: str, shown: Shown, field_name: str) -> bool:
    """True when the last submission of the form ``key`` for ``shown`` was refused for ``field_name`` (e.g. a
    confirmation the service wants): a page can then show a field that it otherwise leaves out."""
    return field_name in st.session_state.get(f"{_base(key, shown)}-errors", {})


def _values(spec: _Spec, shown: Shown) -> dict[str, Any]:
    base = _base(spec.key, shown)
    return {f.name: st.session_state.get(f"{base}-{f.name}") for f in spec.fields}


def _ask(spec: _Spec, shown: Shown, values: dict, reason: str, stage: str) -> None:
    st.session_state[f"{_base(spec.key, shown)}-pending"] = {
        "version": shown.version,
        "values": values,
        "reason": reason,
        "stage": stage,
    }


def _execute(spec: _Spec, shown: Shown, values: dict, *, confirmed: bool = False) -> None:
    base = _base(spec.key, shown)
    st.session_state.pop(f"{base}-pending", None)
    st.session_state.pop(f"{base}-errors", None)
    call_values = dict(values)
    if confirmed and spec.confirm_flag:
        call_values[spec.confirm_flag] = True
    outcome = attempt(lambda: spec.call(shown, call_values), ui.current_language())
    if outcome.status == CONFIRM:
        _ask(spec, shown, values, "\n\n".join(outcome.warnings), "service")
        return
    if outcome.status == INVALID:
        st.session_state[f"{base}-errors"] = outcome.errors
        return
    if outcome.status == SAVED:
        if spec.clear_on_success:
            forget_form(spec.key, shown, spec.fields)
        st.session_state.setdefault(LAST_KEY, {})[spec.key] = fingerprint(spec.key, shown.id, values)
    if outcome.status == CONFLICT and spec.reload_on_conflict:
        forget_form(spec.key, shown, spec.fields)  # the form shows the record as it is now
    done_text = spec.done_text(values) if callable(spec.done_text) else spec.done_text
    _told(outcome, shown, spec.slot, done_text)
    if outcome.ok and spec.on_done is not None:
        spec.on_done(outcome.result)


def _submitted(spec: _Spec, shown: Shown) -> None:
    """The submit button's callback: ``shown`` is the record as it was drawn when the user clicked."""
    values = _values(spec, shown)
    if spec.confirm_text:
        _ask(spec, shown, values, spec.confirm_text, "confirm")
    elif spec.check_repeat and is_repeat(
        st.session_state.get(LAST_KEY, {}).get(spec.key), spec.key, shown.id, values
    ):
        _ask(spec, shown, values, ui.t("actions.repeat", name=shown.name), "repeat")
    else:
        _execute(spec, shown, values)


def _confirmed(spec: _Spec, shown: Shown, values: dict, stage: str) -> None:
    _execute(spec, shown, values, confirmed=stage == "service")


def _cancelled(spec: _Spec, shown: Shown) -> None:
    st.session_state.pop(f"{_base(spec.key, shown)}-pending", None)


_EMPTY = {"text": "", "textarea": "", "password": "", "checkbox": False, "multiselect": []}
"""A fresh field's value when it has no default (None for the other kinds: nothing chosen, no number, no date)."""


def _widget(base: str, f: FormField) -> None:
    key = f"{base}-{f.name}"
    if key not in st.session_state:
        # A fresh form (first shown, or cleared after a save) gets its values through session state, even empty ones:
        # a value set there reaches the browser, whereas a widget drawn again with the same key and defaults keeps
        # what the browser still shows (a cleared number field showed the saved number; issue 14 leftovers, item 11).
        st.session_state[key] = f.default if f.default is not None else _EMPTY.get(f.kind)
    label = field_label(f)
    common: dict[str, Any] = {"key": key, "help": f.help}
    if f.kind in ("text", "textarea"):
        (st.text_input if f.kind == "text" else st.text_area)(label, max_chars=f.max_chars, **common)
    elif f.kind == "password":
        st.text_input(label, type="password", **common)
    elif f.kind == "date":
        st.date_input(
            label,
            min_value=f.min_value or MIN_DATE,
            max_value=f.max_value or MAX_DATE,
            format=ui.date_format(),
            **common,
        )
    elif f.kind == "int":
        st.number_input(label, min_value=f.min_value, max_value=f.max_value, step=f.step or 1, **common)
    elif f.kind in ("select", "radio"):
        fmt = f.format_func or str
        if f.kind == "select":
            st.selectbox(
                label, list(f.options), format_func=fmt, placeholder=ui.t("actions.choose"), **common
            )
        else:
            st.radio(label, list(f.options), format_func=fmt, horizontal=f.horizontal, **common)
    elif f.kind == "multiselect":
        st.multiselect(
            label,
            list(f.options),
            format_func=f.format_func or str,
            placeholder=ui.t("actions.choose"),
            select_all=False,
            **common,
        )  # Streamlit's "Select all" is English only
    elif f.kind == "checkbox":
        st.checkbox(label, **common)
    else:  # pragma: no cover - a programming error
        raise ValueError(f"unknown field kind {f.kind!r}")


def action_form(
    key: str,
    shown: Shown,
    *,
    fields: Sequence[FormField],
    call: Callable[[Shown, dict], Any],
    submit_label: str,
    done_text: str | Callable[[dict], str],
    confirm_text: str | None = None,
    confirm_label: str | None = None,
    confirm_flag: str | None = None,
    slot: str | None = None,
    icon: str | None = None,
    destructive: bool = False,
    title: str | None = None,
    intro: str | None = None,
    field_labels: Mapping[str, str] | None = None,
    check_repeat: bool = True,
    clear_on_success: bool = True,
    on_done: Callable[[Any], None] | None = None,
    border: bool = True,
    reload_on_conflict: bool = False,
) -> None:
    """Draw a form that writes ``shown`` and handle its submission (see the module docstring).

    ``fields`` are drawn in order (their state is kept per record: ``{key}-{id}-{name}``).
    ``confirm_text`` makes the button ask first (use it to end, decline, delete, erase), with a
    second button ``confirm_label`` (default: ``submit_label``, after "Ja, toch: " unless destructive). ``confirm_flag`` is the argument a
    service that raises ConfirmationNeeded wants set to True once the user confirmed. ``destructive``
    draws the button secondary with a warning icon unless ``icon`` is given (Streamlit has no red
    button). Messages go to ``slot`` (default ``key``), shown under the form. ``field_labels`` name
    fields that the form does not show when the service finds them wrong. ``done_text`` may be a
    function of the submitted values. ``reload_on_conflict`` (edit forms whose fields start from the
    record): after a version conflict the form forgets the input and shows the record as it is now.
    """
    spec = _Spec(
        key=key,
        fields=list(fields),
        call=call,
        done_text=done_text,
        slot=slot or key,
        confirm_text=confirm_text,
        confirm_label=confirm_label,
        confirm_flag=confirm_flag,
        check_repeat=check_repeat,
        clear_on_success=clear_on_success,
        on_done=on_done,
        field_labels=dict(field_labels or {}),
        reload_on_conflict=reload_on_conflict,
    )
    base = _base(key, shown)
    errors = st.session_state.get(f"{base}-errors", {})
    at_field, general = split_errors(errors, [f.name for f in fields], spec.field_labels)
    # enter_to_submit=False: a click submits, not Enter in a field, and Streamlit shows no English "Press Enter to submit form"
    with st.form(f"{base}-form", border=border, enter_to_submit=False):
        if title:
            st.markdown(f"**{title}**")
        if intro:
            st.caption(intro)
        for f in fields:
            _widget(base, f)
            for message in at_field.get(f.name, []):
                st.error(
                    message[:1].upper() + message[1:]
                )  # the rules' texts also end import lines: "rij 5, duur: …"
        for message in general:
            st.error(message)
        if errors:
            st.error(ui.t("forms.fix_errors"))
        required_legend(fields)
        st.form_submit_button(
            submit_label,
            type="secondary" if destructive else "primary",
            key=f"{base}-submit",
            icon=icon or (":material/warning:" if destructive else None),
            on_click=_submitted,
            args=(spec, shown),
        )
    _pending(spec, shown, submit_label, destructive)
    if spec.slot == key:
        feedback(key)


def _pending(spec: _Spec, shown: Shown, submit_label: str, destructive: bool) -> None:
    base = _base(spec.key, shown)
    pending = st.session_state.get(f"{base}-pending")
    if not pending:
        return
    if (
        pending["version"] != shown.version
    ):  # the record changed since the question: ask nothing about the old one
        st.session_state.pop(f"{base}-pending", None)
        return
    st.warning(pending["reason"])
    # Not the submit button's own text again: two buttons with one label (the form's and this) read as one.
    # A destructive action's confirmation is the action itself, named ("Gegevens van … definitief wissen").
    label = spec.confirm_label or (
        submit_label if destructive else ui.t("actions.confirm_anyway", action=submit_label)
    )
    if pending["stage"] == "repeat":
        label = ui.t("actions.save_again")
    yes, no = st.columns(2)
    yes.button(
        label,
        key=f"{base}-confirm",
        type="secondary" if destructive else "primary",
        icon=":material/warning:" if destructive else ":material/check:",
        on_click=_confirmed,
        args=(spec, shown, pending["values"], pending["stage"]),
    )
    no.button(ui.t("actions.cancel"), key=f"{base}-cancel", on_click=_cancelled, args=(spec, shown))


def action_button(
    key: str,
    shown: Shown,
    *,
    call: Callable[[Shown, dict], Any],
    label: str,
    done_text: str,
    confirm_text: str | None = None,
    confirm_label: str | None = None,
    slot: str | None = None,
    icon: str | None = None,
    destructive: bool = False,
    on_done: Callable[[Any], None] | None = None,
) -> None:
    """A one-click write on ``shown`` (archive, restore, delete, …), bound to the shown id and version
    like :func:`action_form`; with ``confirm_text`` it asks first, naming the record."""
    spec = _Spec(
        key=key,
        fields=[],
        call=call,
        done_text=done_text,
        slot=slot or key,
        confirm_text=confirm_text,
        confirm_label=confirm_label,
        check_repeat=False,
        on_done=on_done,
    )
    base = _base(key, shown)
    if not st.session_state.get(f"{base}-pending"):
        st.button(
            label,
            key=f"{base}-button",
            type="secondary",
            icon=icon or (":material/warning:" if destructive else None),
            on_click=_submitted,
            args=(spec, shown),
        )
    _pending(spec, shown, label, destructive)
    for message in split_errors(st.session_state.pop(f"{base}-errors", {}), [])[1]:
        st.error(message)
    if spec.slot == key:
        feedback(key)


# ----------------------------------------------------------------------------------------------- tabs


def tabs(key: str, sections: Mapping[str, str]) -> dict[str, Any]:
    """Tabs (``{slug: label}``) of which only the open one should run: returns ``{slug: container}``;
    each container's ``.open`` is True for the open tab only, so a page does ``if tab.open:`` before its
    work. The open tab is in the URL as ``?tab=<slug>`` (a deep link in any language) and opens from it.

    Built on Streamlit 1.67's keyed tabs (``on_change="rerun"``: switching reruns and ``.open`` tells
    which is open); the slug ↔ label mapping is ours because Streamlit's own query binding puts the
    translated label in the URL.
    """
    slugs = list(sections)
    labels = [sections[s] for s in slugs]
    state_key, slug_key = f"tabs-{key}", f"tabs-{key}-slug"
    wanted = st.query_params.get("tab")
    if wanted in sections and st.session_state.get(slug_key) != wanted:
        st.session_state[state_key] = sections[wanted]  # a link or a typed URL opens that section
    elif st.session_state.get(state_key) is not None and st.session_state[state_key] not in labels:
        st.session_state[state_key] = sections.get(
            st.session_state.get(slug_key), labels[0]
        )  # the language changed
    containers = st.tabs(labels, key=state_key, on_change="rerun")
    open_slug = next((s for s, c in zip(slugs, containers, strict=True) if c.open), slugs[0])
    st.session_state[slug_key] = open_slug
    if st.query_params.get("tab") != open_slug:
        st.query_params["tab"] = open_slug
    return dict(zip(slugs, containers, strict=True))


def link_section(key: str, slugs: Sequence[str]) -> Callable[[str], None]:
    """A ``?tab=`` deep link for a page whose sections are a keyed widget of slugs (e.g. Beheer's radio):
    call before drawing the widget ``key`` (a link or typed URL chooses the section), and call the
    returned function with the chosen slug after it (the URL follows the choice)."""
    wanted, url_key = st.query_params.get("tab"), f"{key}-url"
    if wanted in slugs and st.session_state.get(url_key) != wanted:
        st.session_state[key] = wanted

    def follow(chosen: str) -> None:
        st.session_state[url_key] = chosen
        if st.query_params.get("tab") != chosen:
            st.query_params["tab"] = chosen

    return follow
