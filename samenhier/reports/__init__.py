"""The year report as documents (issue 18): one content model (:mod:`samenhier.reports.content`) and a
renderer per format — text, Excel (every table one per sheet), Word (from a template coordinators can
restyle), PDF (pure Python: fpdf2 with the DejaVu font that matplotlib ships) — and the charts as
images (matplotlib). No browser and no system libraries are needed, so it also runs on a Windows laptop.
"""
