"""Make the Word template of the year report (samenhier/reports/templates/jaarverslag.docx).

Run once after changing the look here: ``.venv/bin/python tools/make_report_template.py``. Coordinators
restyle a copy in Word instead and point ``SAMENHIER_REPORT_TEMPLATE`` at it. The report uses the styles
Title, Heading 1, Heading 2, Normal, Quote, Intense Quote, Caption and Table Grid.
"""

from pathlib import Path

from docx import Document
from docx.shared import Cm, Pt, RGBColor

TARGET = Path(__file__).resolve().parent.parent / "samenhier" / "reports" / "templates" / "jaarverslag.docx"


def main() -> None:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.0)
    section.top_margin = section.bottom_margin = Cm(2.0)
    section.header.paragraphs[0].text = "Samen Hier"
    styles = document.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(10.5)
    for name, size in (("Title", 24), ("Heading 1", 16), ("Heading 2", 13)):
        styles[name].font.color.rgb = RGBColor(0x26, 0x46, 0x53)
        styles[name].font.size = Pt(size)
    styles["Quote"].font.size = Pt(9)
    styles["Caption"].font.size = Pt(9.5)
    document.core_properties.title = "Jaarverslag Samen Hier"
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    document.save(TARGET)
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
