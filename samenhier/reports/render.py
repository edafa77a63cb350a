"""Renderers of the year report (:class:`samenhier.reports.content.Report`): text, xlsx, docx and pdf.

- **xlsx** (openpyxl): every table of the report, one per sheet (numbers as numbers, shares as
  percentages, ``<5`` where suppressed), plus a sheet with the definitions.
- **docx** (python-docx): built on a Word template, by default ``samenhier/reports/templates/
  jaarverslag.docx``, or the file in the setting ``SAMENHIER_REPORT_TEMPLATE``. Coordinators restyle
  it in Word: the report uses its styles *Title*, *Heading 1*, *Heading 2*, *Normal*, *Quote* (notes,
  definitions), *Intense Quote* (warnings), *Caption* and the table style *Table Grid*, and keeps its
  page setup, header and footer and anything already in its body (a logo, an introduction), after
  which the report follows.
- **pdf** (fpdf2, pure Python, with the DejaVu Sans font that matplotlib ships): A4, tables and charts.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import matplotlib
from docx import Document
from docx.shared import Cm, Pt
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from samenhier.reports.content import Chart, Heading, Headline, Paragraph, Report, Table

TEMPLATE = Path(__file__).parent / "templates" / "jaarverslag.docx"
"""The Word template shipped with the product (made by ``tools/make_report_template.py``)."""
FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def template_path() -> Path:
    """The Word template in use: ``SAMENHIER_REPORT_TEMPLATE`` when set, else :data:`TEMPLATE`.

    Raises:
        FileNotFoundError: the configured template does not exist (named in the message).
    """
    from samenhier.settings import get_settings

    configured = get_settings().report_template
    path = Path(configured) if configured else TEMPLATE
    if not path.is_file():
        raise FileNotFoundError(f"report template not found: {path} (setting SAMENHIER_REPORT_TEMPLATE)")
    return path


# Text ------------------------------------------------------------------------------------------------


def to_text(report: Report) -> str:
    """The report as plain text (charts left out): headings underlined, tables in aligned columns."""
    lines: list[str] = []
    for block in report.blocks:
        if isinstance(block, Heading):
            lines += ["", block.text, ("=" if block.level <= 1 else "-") * len(block.text)]
        elif isinstance(block, Paragraph):
            lines += [("! " if block.style == "warning" else "") + block.text]
        elif isinstance(block, Headline):
            width = max(len(label) for label, _ in block.items)
            lines += [""] + [f"  {label:<{width}}  {value:>10}" for label, value in block.items] + [""]
        elif isinstance(block, Table):
            frame = block.text
            widths = [max(len(str(c)), *(len(str(v)) for v in frame[c])) for c in frame.columns]
            lines += ["", block.title]
            lines.append(
                "  "
                + "  ".join(
                    f"{c:<{w}}" if i == 0 else f"{c:>{w}}"
                    for i, (c, w) in enumerate(zip(frame.columns, widths, strict=True))
                )
            )
            for row in frame.itertuples(index=False):
                lines.append(
                    "  "
                    + "  ".join(
                        f"{v:<{w}}" if i == 0 else f"{v:>{w}}"
                        for i, (v, w) in enumerate(zip(row, widths, strict=True))
                    )
                )
    return "\n".join(lines).lstrip("\n") + "\n"


# Excel -----------------------------------------------------------------------------------------------


def to_xlsx(report: Report) -> bytes:
    """Every table on its own sheet (named after :attr:`Table.key`), then a sheet ``toelichting`` with the
    notes and definitions. Shares (columns whose text ends in ``%``) get a percentage format."""
    book = Workbook()
    book.remove(book.active)
    for table in report.tables():
        sheet = book.create_sheet(table.key[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(list(table.values.columns))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for values, texts in zip(
            table.values.itertuples(index=False), table.text.itertuples(index=False), strict=True
        ):
            sheet.append([None if v is None else v for v in values])
            for column, text in enumerate(texts, start=1):
                cell = sheet.cell(row=sheet.max_row, column=column)
                if isinstance(cell.value, float) and str(text).endswith("%"):
                    cell.number_format = "0%"
                cell.alignment = Alignment(horizontal="left" if column == 1 else "right")
        for column in range(1, len(table.values.columns) + 1):
            width = max(len(str(c.value or "")) for c in sheet[get_column_letter(column)][1:]) + 2
            sheet.column_dimensions[get_column_letter(column)].width = min(max(width, 8), 60)
    notes = book.create_sheet("toelichting")
    for block in report.blocks:
        if isinstance(block, Paragraph):
            notes.append([block.text])
            notes.cell(row=notes.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    notes.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# Word ------------------------------------------------------------------------------------------------


def to_docx(report: Report, template: Path | None = None) -> bytes:
    """The report as a Word document on ``template`` (default :func:`template_path`); see the module notes."""
    document = Document(str(template or template_path()))
    styles = {s.name for s in document.styles}

    def style(name: str, fallback: str = "Normal") -> str:
        return name if name in styles else fallback

    for block in report.blocks:
        if isinstance(block, Heading):
            document.add_paragraph(
                block.text, style=style("Title" if block.level == 0 else f"Heading {block.level}")
            )
        elif isinstance(block, Paragraph):
            name = {"note": "Quote", "warning": "Intense Quote"}.get(block.style, "Normal")
            document.add_paragraph(block.text, style=style(name))
        elif isinstance(block, Headline):
            table = document.add_table(rows=2, cols=len(block.items))
            table.style = style("Table Grid", None) if "Table Grid" in styles else None
            for i, (label, value) in enumerate(block.items):
                table.cell(0, i).text = value
                table.cell(1, i).text = label
                for run in table.cell(0, i).paragraphs[0].runs:
                    run.bold, run.font.size = True, Pt(16)
        elif isinstance(block, Table):
            document.add_paragraph(block.title, style=style("Caption"))
            frame = block.text
            table = document.add_table(rows=1, cols=len(frame.columns))
            if "Table Grid" in styles:
                table.style = "Table Grid"
            for i, column in enumerate(frame.columns):
                table.cell(0, i).text = str(column)
                for run in table.cell(0, i).paragraphs[0].runs:
                    run.bold = True
            for row in frame.itertuples(index=False):
                cells = table.add_row().cells
                for i, value in enumerate(row):
                    cells[i].text = str(value)
        elif isinstance(block, Chart):
            document.add_paragraph(block.title, style=style("Caption"))
            document.add_picture(io.BytesIO(block.png), width=Cm(16))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# PDF -------------------------------------------------------------------------------------------------


class _Pdf(FPDF):
    footer_text = ""

    def footer(self):
        self.set_y(-12)
        self.set_font("DejaVu", size=7)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def to_pdf(report: Report) -> bytes:
    """The report as an A4 PDF (fpdf2; fonts: DejaVu Sans from matplotlib, so ë, é, –, − and ≥ print)."""
    pdf = _Pdf(format="A4")
    pdf.footer_text = report.title
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVu", "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.add_page()
    width = pdf.epw
    for block in report.blocks:
        if isinstance(block, Heading):
            size = {0: 20, 1: 14}.get(block.level, 12)
            if (
                block.level == 1 and pdf.get_y() > 200
            ) or pdf.get_y() > pdf.h - 60:  # no heading alone at a page's foot
                pdf.add_page()
            pdf.ln(3 if block.level else 0)
            pdf.set_font("DejaVu", "B", size)
            pdf.set_text_color(38, 70, 83)
            pdf.multi_cell(width, size * 0.5, block.text, new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(0)
            pdf.ln(1)
        elif isinstance(block, Paragraph):
            pdf.set_font(
                "DejaVu",
                "I" if block.style == "note" else "B" if block.style == "warning" else "",
                8 if block.style == "note" else 9.5,
            )
            if block.style == "warning":
                pdf.set_text_color(180, 60, 30)
            pdf.multi_cell(
                width, 4.4 if block.style == "note" else 5, block.text, new_x="LMARGIN", new_y="NEXT"
            )
            pdf.set_text_color(0)
            pdf.ln(1.5)
        elif isinstance(block, Headline):
            pdf.ln(2)
            cell = width / len(block.items)
            y = pdf.get_y()
            for i, (label, value) in enumerate(block.items):
                pdf.set_xy(pdf.l_margin + i * cell, y)
                pdf.set_fill_color(233, 241, 240)
                pdf.set_font("DejaVu", "B", 16)
                pdf.cell(cell - 2, 10, value, align="C", fill=True)
                pdf.set_xy(pdf.l_margin + i * cell, y + 10)
                pdf.set_font("DejaVu", "", 7)
                pdf.multi_cell(cell - 2, 3.5, label, align="C", fill=True)
            pdf.set_xy(pdf.l_margin, y + 19)
            pdf.ln(2)
        elif isinstance(block, Table):
            _pdf_table(pdf, block)
        elif isinstance(block, Chart):
            if pdf.get_y() > 200:
                pdf.add_page()
            pdf.set_font("DejaVu", "B", 9)
            pdf.cell(width, 6, block.title, new_x="LMARGIN", new_y="NEXT")
            pdf.image(io.BytesIO(block.png), w=width * 0.9)
            pdf.ln(2)
    return bytes(pdf.output())


def _pdf_table(pdf: FPDF, block: Table) -> None:
    frame = block.text
    columns = len(frame.columns)
    size = 8 if columns <= 6 else 6.5
    needed = 8 + 5 * (len(frame) + 1)
    if pdf.get_y() + needed > pdf.h - 20:
        pdf.add_page()
    pdf.set_font("DejaVu", "B", 9)
    pdf.multi_cell(pdf.epw, 5, block.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", size)
    # Column widths follow the longest text in each column (headings may wrap at a word: count their
    # longest word, plus a little for the full heading), the label column at least a fifth of the page.
    widths = []
    for column in frame.columns:
        cells = max([len(str(v)) for v in frame[column]] or [1])
        heading = math.ceil(1.3 * max(len(w) for w in str(column).split() or [""]))  # bold is wider
        widths.append(max(cells, heading, min(len(str(column)), 14), 4) + 2)
    widths[0] = max(widths[0], sum(widths) * (0.34 if columns <= 3 else 0.2))
    widths = [w / sum(widths) for w in widths]
    with pdf.table(
        col_widths=tuple(w * 100 for w in widths),
        text_align=("LEFT", *("RIGHT",) * (columns - 1)),
        headings_style=FontFace(emphasis="BOLD", fill_color=(233, 241, 240)),
        line_height=size * 0.55,
        borders_layout="HORIZONTAL_LINES",
        first_row_as_headings=True,
    ) as table:
        table.row([str(c) for c in frame.columns])
        for values in frame.itertuples(index=False):
            table.row([str(v) for v in values])
    pdf.ln(3)


def render(report: Report, fmt: str) -> bytes:
    """The report in ``fmt`` (``text``, ``xlsx``, ``docx``, ``pdf``) as bytes (text: UTF-8).

    Raises:
        ValueError: an unknown format.
    """
    if fmt == "text":
        return to_text(report).encode("utf-8")
    if fmt == "xlsx":
        return to_xlsx(report)
    if fmt == "docx":
        return to_docx(report)
    if fmt == "pdf":
        return to_pdf(report)
    raise ValueError(f"unknown format {fmt!r}")
