"""AppTest tests of the small findings of the newcomer tester (issue 14 leftovers, items 3-13), each worked out
from the workbook or by hand."""

from __future__ import annotations

import pandas as pd
from apptest_helpers import run_app, texts

from samenhier.io.export import XLSX_MIME
from samenhier.scope import Scope
from samenhier.services.users import create_user

PASSWORD = "een-lang-wachtwoord"
ANNA = Scope.coordinator("anna")


def test_the_onboarding_import_shows_the_same_summary_as_gegevens(engine, workbook_path):
    """Item 10: after the first-run import the onboarding gives way to the overview, which shows the summary."""
    create_user(engine, "anna", PASSWORD, "coordinator")
    at = run_app(ANNA)
    assert "Welkom bij Samen Hier" in texts(at)
    at.file_uploader[0].set_value((workbook_path.name, workbook_path.read_bytes(), XLSX_MIME)).run()
    at.button(key="onboarding_import_confirm").click().run()
    assert not at.exception
    sheets = pd.read_excel(workbook_path, sheet_name=None)
    new = sum(len(frame.dropna(how="all")) for frame in sheets.values())
    shown = texts(at)
    assert f"De import is opgeslagen: {new:,} nieuw, 0 gewijzigd.".replace(",", ".") in shown or \
        f"De import is opgeslagen: {new} nieuw, 0 gewijzigd." in shown
    assert "Overzicht welkomgroepen" in shown and "Welkom bij Samen Hier" not in shown
    at.run()  # shown once
    assert "De import is opgeslagen" not in texts(at)
