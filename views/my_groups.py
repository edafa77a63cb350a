"""Mijn groepen: one compact card per group (a community builder's own; a coordinator: every group) —
code, name, month of the year, days since the last meeting, to-dos — with one tap to log a meeting
or a check-in, or to open the group. The forms themselves are on the Groep page (the hub). Card
contents: samenhier.hub.group_cards over samenhier.queries.progress.group_progress.
"""

import streamlit as st

from samenhier import formatting, hub, i18n, ui
from samenhier.current_group import current_group, group_link
from samenhier.queries import progress as q
from samenhier.queries.records import search_frame
from samenhier.todos import message_key as todo_key
from samenhier.widgets import paginate

scope = ui.require_scope()
as_of = ui.as_of()
lang = ui.current_language()
st.title(ui.t("progress.title"))
st.caption(ui.t("common.as_of", date=ui.fmt_date(as_of)))
groups = ui.cached(q.group_progress)(scope, ui.current_filters(), as_of=as_of)
if groups.empty:
    st.info(ui.t("progress.none"))
    st.stop()

search_col, todo_col = st.columns([3, 2], vertical_alignment="bottom")
search = search_col.text_input(
    ui.t("cards.search"), key="cards_search", placeholder=ui.t("cards.search_hint")
)
only_todos = todo_col.toggle(ui.t("cards.only_todos"), key="cards_only_todos")
shown = search_frame(groups, search, ["code", "name"])
if only_todos:
    shown = shown[shown["todos"].map(len) > 0]
current = current_group()
if current in set(shown["code"]):  # the current group (from another page or the address) first
    shown = shown.iloc[(shown["code"] != current).argsort(kind="stable")]
st.caption(
    ui.t(
        "cards.count",
        shown=formatting.format_number(len(shown), lang),
        total=formatting.format_number(len(groups), lang),
    )
)


def days_text(card: hub.GroupCard) -> str:
    return hub.days_since_text(
        card.days_since_meeting, lang, status=card.status, last_meeting=card.last_meeting
    )


for card in hub.group_cards(paginate(shown, key="cards_page", page_size=25)):
    with st.container(border=True, key=f"card-{card.group_id}"):
        title = f"**{ui.md(card.code)}** · {ui.md(card.name)}"
        if card.code == current:
            title += f" · :blue-badge[{ui.t('cards.current')}]"
        st.markdown(title)
        facts = [i18n.label("group_status", card.status)]
        if card.month is not None:
            facts.append(
                ui.t("cards.month", month=hub.period_text(card.month, card.year_length, card.year_unit, lang))
            )
        facts.append(days_text(card))
        st.caption(" · ".join(facts))
        for todo in card.todos:
            params = {
                k: ui.md(v) if isinstance(v, str) else v for k, v in todo.params.items()
            }  # a step's name is typed text
            st.markdown(f":orange[:material/warning:] {ui.t(todo_key(todo), **params)}")
        with st.container(horizontal=True, gap="small"):
            if card.can_log_meeting:
                group_link(card.code, ui.t("cards.log_meeting"), icon=":material/event:", action="meeting")
            group_link(card.code, ui.t("cards.check_in"), icon=":material/fact_check:", action="check_in")
            group_link(card.code, ui.t("cards.open"), icon=":material/groups:")
