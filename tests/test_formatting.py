"""samenhier.formatting: how dates, numbers, empty values, booleans and counts read, in Dutch and English.

Expected texts are written out by hand from the Dutch and English conventions (CLDR: comma decimal and
dot grouping in Dutch; dd-mm-jjjj as the programme writes dates).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from samenhier import formatting as f


@pytest.mark.parametrize("value", [None, float("nan"), pd.NaT, pd.NA, "", "  ", math.nan])
def test_empty_values_show_as_a_dash(value):
    assert f.is_empty(value)
    assert f.value_text(value, "nl") == "–"
    assert f.date_text(value, "en") == "–"
    assert f.number_text(value, "nl") == "–"


def test_dates_in_tables_are_dd_mm_jjjj_in_dutch_and_iso_in_english():
    day = dt.date(2026, 3, 3)
    assert f.date_text(day, "nl") == "03-03-2026"
    assert f.date_text(day, "en") == "2026-03-03"
    assert f.date_text(pd.Timestamp("2026-11-15"), "nl") == "15-11-2026"
    assert f.date_text("2026-01-31", "nl") == "31-01-2026"  # as the audit trail stores dates
    assert f.date_input_format("nl") == "DD-MM-YYYY" and f.date_input_format("en") == "YYYY-MM-DD"
    assert f.datetime_input_format("nl") == "DD-MM-YYYY HH:mm"


def test_moments_and_long_dates():
    assert f.datetime_text(dt.datetime(2026, 3, 3, 14, 5), "nl") == "03-03-2026 14:05"
    assert f.value_text("2026-03-03T09:30:00+01:00", "nl") == "03-03-2026 09:30"
    assert f.format_date(dt.date(2026, 3, 3), "nl") == "3 maart 2026"
    assert f.format_date(dt.date(2026, 3, 3), "en") == "March 3, 2026"
    assert f.format_date(None, "nl") == ""


def test_numbers_in_dutch_format():
    assert f.format_number(3.3, "nl") == "3,3"
    assert f.format_number(3.3, "en") == "3.3"
    assert f.format_number(1234.5, "nl") == "1.234,5"
    assert f.format_number(2.0, "nl", decimals=1) == "2,0"
    assert f.value_text(2.3456, "nl") == "2,35"
    assert f.value_text(7, "nl") == "7"
    assert f.format_share(0.425, "nl", decimals=1) == "42,5%"


def test_booleans_read_yes_or_no():
    assert f.value_text(True, "nl") == "Ja" and f.value_text(False, "nl") == "Nee"
    assert f.value_text(True, "en") == "Yes" and f.yes_no(False, "en") == "No"


@pytest.mark.parametrize(
    ("n", "nl", "en"),
    [
        (0, "0 personen", "0 people"),
        (1, "1 persoon", "1 person"),
        (2, "2 personen", "2 people"),
        (1500, "1.500 personen", "1,500 people"),
    ],
)
def test_counts_take_the_right_plural(n, nl, en):
    assert f.count(n, "person", "nl") == nl
    assert f.count(n, "person", "en") == en


def test_readable_frame_leaves_no_none_nan_or_boolean_in_text_columns():
    frame = pd.DataFrame(
        {
            "name": ["Aya", None],
            "note": [float("nan"), "x"],
            "active": [True, False],
            "mixed": [True, None],
            "days": [3.0, float("nan")],
            "date": pd.to_datetime(["2026-01-02", None]),
        }
    )
    shown = f.readable_frame(frame, "nl")
    assert shown["name"].tolist() == ["Aya", "–"]
    assert shown["note"].tolist() == ["–", "x"]
    assert shown["active"].tolist() == ["Ja", "Nee"]
    assert shown["mixed"].tolist() == ["Ja", "–"]
    # typed columns stay typed (Streamlit sorts them and shows a gap as an empty cell)
    assert pd.api.types.is_float_dtype(shown["days"]) and pd.api.types.is_datetime64_any_dtype(shown["date"])
    assert frame["name"].isna().tolist() == [False, True]  # the input is not changed
