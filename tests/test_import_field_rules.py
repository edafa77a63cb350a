"""Every value the forms refuse is refused by the import too, with sheet, row, column and value (issue 15, item 5).

Each case alters one cell of the shared workbook (a copy of ``read_workbook``'s frames; frame index ``i`` is Excel
row ``i + 2``) and imports it into an empty store. The same value is given to the form's service where one
exists, which must refuse it as well: one set of rules (samenhier/fields.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from samenhier import fields
from samenhier.io.workbook import ImportFailed, import_frames

pytestmark = pytest.mark.both_backends

TODAY = dt.date(2026, 11, 15)  # SAMENHIER_TODAY in conftest
LONG_NAME = "x" * 5000

CASES = [
    # sheet, column, value, the problem's code
    ("leden", "e-mail", "geen-adres@", "email"),
    ("nieuwkomers", "e-mail", "iemand@@voorbeeld.nl", "email"),
    ("community_builders", "e-mail", "samira@", "email"),
    ("leden", "telefoon", "12345", "phone"),
    ("nieuwkomers", "telefoon", "+44 20 7946 0958", "phone"),
    ("leden", "telefoon", "06-1234567x", "phone"),
    ("nieuwkomers", "voornaam", LONG_NAME, "too_long"),
    ("leden", "achternaam", "y" * 101, "too_long"),
    ("groepen", "naam", "z" * 101, "too_long"),
    ("groepen", "notities", "n" * 2001, "too_long"),
    ("bijeenkomsten", "notitie", "n" * 2001, "too_long"),
    ("koppelingen", "reden_einde", "r" * 501, "too_long"),
    ("nieuwkomers", "talen", "t" * 201, "too_long"),
    ("nieuwkomers", "huishoudgrootte", 16, "range"),
    ("nieuwkomers", "huishoudgrootte", 0, "range"),
    ("bijeenkomsten", "duur_minuten", 0, "range"),
    ("bijeenkomsten", "datum", dt.datetime(2026, 12, 1), "future_date"),
    ("leden", "lid_sinds", "16-11-2026", "future_date"),
    ("nieuwkomers", "aangemeld_op", "2027-01-01", "future_date"),
    ("enquetes", "datum", dt.datetime(2026, 11, 16), "future_date"),
    ("koppelingen", "voorgesteld_op", dt.datetime(2030, 1, 1), "future_date"),
    ("leden", "lid_code", "L 0001", "code_format"),
    ("nieuwkomers", "nieuwkomer_code", "N0001!", "code_format"),
    ("nieuwkomers", "voornaam", "Ra\x01mi", "control_character"),
    ("groepen", "notities", "bel\x07", "control_character"),
    ("nieuwkomers", "achternaam", "Haddad\u202e", "bidi_override"),
    ("nieuwkomers", "aangemeld_op", "2000-01-01", "date_before"),  # before in_nederland_sinds
]


@pytest.mark.parametrize(
    ("sheet", "column", "value", "code"), CASES, ids=[f"{c[0]}-{c[1]}-{c[3]}" for c in CASES]
)
def test_the_import_refuses_what_the_forms_refuse(engine, workbook_frames, sheet, column, value, code):
    frame = workbook_frames[sheet]
    frame[column] = frame[column].astype(object)
    frame.at[frame.index[3], column] = value
    with pytest.raises(ImportFailed) as caught:
        import_frames(engine, workbook_frames, username="test")
    found = [(i.sheet, i.row, i.column, i.code) for i in caught.value.issues]
    assert (sheet, 3 + 2, column, code) in found
    issue = next(i for i in caught.value.issues if (i.sheet, i.row, i.column) == (sheet, 5, column))
    shown = value.strftime("%Y-%m-%d") if isinstance(value, dt.datetime) else str(value)
    assert issue.value == (shown if len(shown) <= 80 else shown[:80] + "…")
    assert issue.message("nl") != f"import.error.{code}"  # a sentence, not a missing catalog key


def test_members_present_beyond_the_group_size_is_refused_located(engine, workbook_frames, workbook_sheets):
    meetings = workbook_frames["bijeenkomsten"]
    group = meetings.at[meetings.index[3], "groep_code"]
    size = int((workbook_sheets["leden"]["groep_code"] == group).sum())
    meetings.at[meetings.index[3], "aanwezig_leden"] = size + 1
    with pytest.raises(ImportFailed) as caught:
        import_frames(engine, workbook_frames, username="test")
    [issue] = caught.value.issues
    assert (issue.sheet, issue.row, issue.column, issue.code) == (
        "bijeenkomsten",
        5,
        "aanwezig_leden",
        "consistency",
    )
    assert f"{size + 1} aanwezig, {size} leden" in issue.describe("nl")


@pytest.mark.parametrize(
    ("check", "value", "code"),
    [
        (fields.check_email, "geen-adres@", "email"),
        (fields.check_phone, "12345", "phone"),
        (fields.check_code, "L 0001", "code_format"),
        (fields.check_text, LONG_NAME, "too_long"),
        (fields.check_text, "a\x1bb", "control_character"),
        (fields.check_text, "N\u202e4800", "bidi_override"),
    ],
)
def test_the_shared_rules(check, value, code):
    kwargs = {"name": True} if check is fields.check_text else {}
    with pytest.raises(fields.FieldRuleError) as caught:
        check(value, **kwargs)
    assert caught.value.code == code


def test_free_text_keeps_tabs_and_line_breaks_but_names_do_not():
    assert fields.check_text("regel 1\n\tregel 2", max_len=2000, multiline=True) == "regel 1\n\tregel 2"
    with pytest.raises(fields.FieldRuleError):
        fields.check_text("Rami\nHaddad")


def test_a_midnight_time_is_a_date(engine, workbook_frames):
    frame = workbook_frames["bijeenkomsten"]
    original = frame.at[frame.index[0], "datum"]
    frame["datum"] = frame["datum"].astype(object)
    frame.at[frame.index[0], "datum"] = original.strftime("%Y-%m-%d 00:00:00")
    frame.at[frame.index[1], "datum"] = "12:30"  # not a date at all
    with pytest.raises(ImportFailed) as caught:
        import_frames(engine, workbook_frames, username="test")
    assert [(i.row, i.code) for i in caught.value.issues] == [(3, "date")]
