"""Overview (group status): KPI tiles, groups by status per municipality, and the table of groups."""

import pandas as pd
import streamlit as st

from samenhier import formatting, hub, i18n, ui
from samenhier.charts import groups as group_charts
from samenhier.current_group import open_selected_group
from samenhier.queries import groups as group_queries
from samenhier.widgets import ONBOARDING_IMPORT, download_buttons, import_outcome, onboarding, paginate

scope = ui.require_scope()
filters = ui.current_filters()
as_of = ui.as_of()
overview = ui.cached(group_queries.group_overview)(scope, filters, as_of=as_of)
kpis = ui.cached(group_queries.kpis)(scope, filters, as_of=as_of)

st.title(ui.t("overview.title"))
st.caption(ui.t("common.as_of", date=ui.fmt_date(as_of)))
import_outcome(
    ONBOARDING_IMPORT
)  # the first-run import's summary, once the onboarding has made way for the groups

if overview.empty and not filters.municipalities and not filters.variants:
    if scope.is_coordinator:
        onboarding(ui.engine())
    else:
        st.info(ui.t("overview.no_groups_builder"))
    st.stop()

lang = ui.current_language()
threshold = ui.settings().inactive_after_days
# Tiles in a wrapping row: side by side on a desk, two or three to a row on a phone (columns would stack them
# one per row and push the charts a screen down).
with st.container(horizontal=True, wrap=True, gap="small"):
    tile = {"border": True, "width": "stretch"}
    st.metric(ui.t("overview.kpi.active_groups"), formatting.format_number(kpis.active_groups, lang), **tile)
    st.metric(
        ui.t("overview.kpi.groups_waiting"), formatting.format_number(kpis.groups_waiting, lang), **tile
    )
    st.metric(
        ui.t("overview.kpi.newcomers_waiting"),
        formatting.format_number(kpis.newcomers_waiting, lang) if scope.is_coordinator else "–",
        **tile,
    )
    st.metric(
        ui.t("overview.kpi.meetings_30"), formatting.format_number(kpis.meetings_last_30_days, lang), **tile
    )
    st.metric(
        ui.t("overview.kpi.met_recently"),
        "–" if kpis.share_met_recently is None else formatting.format_share(kpis.share_met_recently, lang),
        help=ui.t("overview.kpi.met_recently.help", days=threshold),
        **tile,
    )

st.subheader(ui.t("overview.by_status"))
st.plotly_chart(
    group_charts.groups_by_status(
        group_queries.status_counts(overview),
        label=lambda s: i18n.label("group_status", s),
        axis_title=ui.t("overview.axis_groups"),
    ),
    config={"displayModeBar": False},
)

st.subheader(ui.t("overview.groups"))
left, middle, right = st.columns([2, 2, 3])
statuses = left.multiselect(
    ui.t("overview.filter.status"),
    sorted(overview["status"].unique()),
    format_func=lambda s: i18n.label("group_status", s),
    placeholder=ui.t("filters.all"),
    key="ov_status",
    select_all=False,
)
builders = middle.multiselect(
    ui.t("overview.filter.builder"),
    sorted(overview["community_builder"].dropna().unique()),
    placeholder=ui.t("filters.all"),
    key="ov_builder",
    select_all=False,
)
search = right.text_input(
    ui.t("overview.filter.search"), key="ov_search", placeholder=ui.t("overview.filter.search_hint")
)
shown = group_queries.filter_overview(overview, statuses=statuses, builders=builders, search=search)

table = pd.DataFrame(
    {
        "code": shown["code"],
        "name": shown["name"],
        "municipality": shown["municipality"],
        "status": shown["status"].map({s: i18n.label("group_status", s) for s in shown["status"].unique()}),
        "community_builder": shown["community_builder"],
        "month": [
            hub.period_text(m, n, u, lang)
            for m, n, u in zip(shown["month"], shown["year_length"], shown["year_unit"], strict=True)
        ],
        "last_meeting": pd.to_datetime(shown["last_meeting"]),
        "days_since": shown["days_since_meeting"],
        "health": shown["health"].map(
            {h: ui.t(f"health.{h}") if h else "" for h in shown["health"].unique()}
        ),
    }
)
page = paginate(table, key="ov_page")
# Choosing a row opens the group in this tab (a link column would open a new tab: samenhier.current_group).
chosen = st.dataframe(
    page,
    hide_index=True,
    width="stretch",
    key="ov_table",
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "code": ui.t("col.code"),
        "name": ui.t("col.name"),
        "municipality": ui.t("col.municipality"),
        "status": ui.t("col.status"),
        "community_builder": ui.t("col.community_builder"),
        "month": ui.t("col.period"),
        "last_meeting": ui.date_column(ui.t("col.last_meeting")),
        "days_since": st.column_config.NumberColumn(ui.t("col.days_since"), format="%d"),
        "health": ui.t("col.health"),
    },
    placeholder=formatting.EMPTY,
)
open_selected_group(chosen, page)
st.caption(ui.t("overview.open_hint"))
st.caption(ui.t("overview.count", shown=len(shown), total=len(overview)))
download_buttons(
    table.rename(
        columns={
            "code": ui.t("col.code"),
            "name": ui.t("col.name"),
            "municipality": ui.t("col.municipality"),
            "status": ui.t("col.status"),
            "community_builder": ui.t("col.community_builder"),
            "month": ui.t("col.period"),
            "last_meeting": ui.t("col.last_meeting"),
            "days_since": ui.t("col.days_since"),
            "health": ui.t("col.health"),
        }
    ),
    "groepen",
)
