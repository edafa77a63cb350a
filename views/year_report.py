"""Jaarverslag (coordinators): the year report for funders and municipalities — headline figures, a preview
of the document and downloads (Word, PDF, Excel, JSON). Figures: samenhier.queries.year_report; the
document: samenhier.reports (the same content as ``python -m samenhier report --year``)."""

import json

import streamlit as st

from samenhier import ui
from samenhier.queries.meetings import meeting_years
from samenhier.queries.year_report import year_figures
from samenhier.reports import content
from samenhier.reports.render import to_docx, to_pdf, to_xlsx

scope = ui.require_scope()
if not scope.is_coordinator:
    ui.denied()
filters = ui.current_filters()
as_of = ui.as_of()
lang = ui.current_language()

st.title(ui.t("year.page.title"))
st.caption(ui.t("common.as_of", date=ui.fmt_date(as_of)) + " · " + ui.t("year.page.filters_hint"))
years = ui.cached(meeting_years)(scope, filters, as_of=as_of)
year = st.selectbox(ui.t("year.page.year"), years, key="yr_year")
figures = ui.cached(year_figures)(scope, year=year, as_of=as_of, filters=filters)


@st.cache_data(show_spinner=False, max_entries=16)
def _report(figures_json: str, lang: str) -> content.Report:
    return content.build(json.loads(figures_json), lang)


report = _report(json.dumps(figures, sort_keys=True), lang)
stem = f"jaarverslag-{year}"
buttons = st.columns(4)
for column, (fmt, mime, make) in zip(
    buttons,
    [
        (
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            lambda: to_docx(report),
        ),
        ("pdf", "application/pdf", lambda: to_pdf(report)),
        (
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            lambda: to_xlsx(report),
        ),
        (
            "json",
            "application/json",
            lambda: json.dumps({"as_of": as_of.isoformat(), "year": figures}, ensure_ascii=False).encode(),
        ),
    ],
    strict=True,
):
    column.download_button(
        ui.t(f"year.page.download.{fmt}"),
        data=make,
        file_name=f"{stem}.{fmt}",
        mime=mime,
        key=f"yr_download_{fmt}",
        on_click="ignore",
        icon=":material/download:",
    )

st.subheader(ui.t("year.page.preview"))
with st.container(border=True):
    for block in report.blocks:
        if isinstance(block, content.Heading):
            if block.level <= 1:
                (st.header if block.level == 0 else st.subheader)(ui.md(block.text))
            else:
                st.markdown(f"#### {ui.md(block.text)}")
        elif isinstance(block, content.Headline):
            tiles = st.columns(len(block.items))
            for tile, (label, value) in zip(tiles, block.items, strict=True):
                tile.metric(label, value)
        elif isinstance(block, content.Paragraph):
            if block.style == "warning":
                st.warning(block.text)
            elif block.style == "note":
                st.caption(block.text)
            else:
                st.markdown(ui.md(block.text))
        elif isinstance(block, content.Table):
            st.markdown(f"**{ui.md(block.title)}**")
            st.dataframe(block.text, hide_index=True, width="stretch", placeholder="–")
        elif isinstance(block, content.Chart):
            st.image(block.png, caption=block.title)
