"""One current group across pages and in the address (``?group=CODE``), and same-tab links to the Groep page.

- :func:`current_group` reads or sets it. Reading: the address's ``?group=`` (a link or a typed URL)
  wins, else the one remembered in the session; setting writes both. Streamlit drops the query
  parameters when the user switches page in the sidebar, so the session keeps it between pages.
- :func:`group_picker` is the selectbox of every page that works on one group: it opens on the
  current group and makes the choice current (so the next page opens on it too).
- :func:`open_group` / :func:`group_link` / :func:`open_selected_group` (a row chosen in a table of
  groups) go to the Groep page in the same browser tab (a ``LinkColumn`` opens a new tab).

Pages call these instead of reading ``st.query_params["group"]`` themselves. Who may see which group
is decided by the queries (:mod:`samenhier.scope`), never here: a code in the address is only a wish.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from samenhier import actions

GROUP_PARAM = "group"
CURRENT_KEY = "current_group"
GROUP_PAGE = "views/group.py"


def current_group(code: str | None = None) -> str | None:
    """The current group's code (None when none was chosen yet); with ``code``, make that one current
    (kept in the session and written to the address)."""
    if code is not None:
        st.session_state[CURRENT_KEY] = code
        if st.query_params.get(GROUP_PARAM) != code:
            st.query_params[GROUP_PARAM] = code
        return code
    wanted = st.query_params.get(GROUP_PARAM)
    if wanted:
        st.session_state[CURRENT_KEY] = wanted
        return wanted
    return st.session_state.get(CURRENT_KEY)


def group_picker(label: str, choices: Mapping[str, str], *, key: str) -> str | None:
    """The picker of the Groep page over ``choices`` (code → text shown), opened on the current group; the
    choice becomes the current group. Returns the chosen code (None without choices).

    It is :func:`samenhier.actions.pick` (keyed by code, long lists get its search field), with one
    preselection, because a page about one group needs one: the current group, or, when there is none
    yet or it is not among ``choices`` (filtered out, or not the user's), the first one, which then
    becomes current. The address always names the group on screen.
    """
    if not choices:
        return None
    current = current_group()
    if current not in choices:
        current = next(iter(choices))
    if st.session_state.get(key) != current:
        st.session_state[key] = current  # before the widget exists: allowed, and no "default value" warning
    frame = pd.DataFrame({"code": list(choices), "text": list(choices.values())})
    row = actions.pick(
        frame,
        key=key,
        id_column="code",
        label=label,
        format_row=lambda r: r.text,
        on_change=lambda: current_group(st.session_state[key]),
    )
    chosen = None if row is None else str(row["code"])
    if chosen is not None and chosen != current_group():
        current_group(chosen)
    return chosen


def open_group(code: str, **params: str) -> None:
    """Go to the Groep page of ``code`` in this tab (and make it current); ``params`` are extra query
    parameters, e.g. ``action="meeting"`` to open that form. Ends the script run."""
    current_group(code)
    st.switch_page(GROUP_PAGE, query_params={GROUP_PARAM: code, **params})


def open_selected_group(event, shown, column: str = "code") -> None:
    """Open the group of the row chosen in a table: ``event`` is what ``st.dataframe(shown, on_select="rerun",
    selection_mode="single-row", key=…)`` returned, ``shown`` the exact frame drawn, ``column`` its group
    code column. Nothing happens without a chosen row. A table of groups uses this instead of a
    ``LinkColumn`` (which opens a new tab)."""
    from samenhier.hub import selected_value

    code = selected_value(event.selection.rows, shown, column)
    if code is not None:
        open_group(str(code))


def group_link(
    code: str, label: str, *, icon: str | None = None, action: str | None = None, **kwargs
) -> None:
    """A link to the Groep page of ``code`` that opens in this tab; ``action`` opens that hub action
    (see :data:`samenhier.hub.ACTIONS`)."""
    query = {GROUP_PARAM: code} if action is None else {GROUP_PARAM: code, "action": action}
    st.page_link(GROUP_PAGE, label=label, icon=icon, query_params=query, **kwargs)
