"""Cell parsers (dates, whole numbers, municipalities) and the programme's date rules, on hand-worked cases."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from samenhier.io.rows import MeetingRow, NewcomerRow, clean_text, parse_date, parse_int, parse_municipality
from samenhier.municipalities import canonical_municipality
from samenhier.rules import days_left, eligibility_end, group_year_month, wait_days

D = dt.date

# ------------------------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (dt.datetime(2025, 3, 1, 0, 0), D(2025, 3, 1)),
        (dt.datetime(2025, 3, 1, 23, 59), D(2025, 3, 1)),  # a time of day is dropped, not rounded
        (D(2025, 3, 1), D(2025, 3, 1)),
        (pd.Timestamp("2025-03-01"), D(2025, 3, 1)),
        ("01-03-2025", D(2025, 3, 1)),  # dd-mm-jjjj: 1 March, not 3 January
        ("1-3-2025", D(2025, 3, 1)),
        ("31-12-2024", D(2024, 12, 31)),
        ("29-02-2024", D(2024, 2, 29)),
        ("2025-03-01", D(2025, 3, 1)),
        (" 2025-03-01 ", D(2025, 3, 1)),
    ],
)
def test_parse_date_accepts(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize("serial", [45000, 45000.0])
def test_parse_date_excel_serial(serial):
    # Excel's 1900 date system counts from 30-12-1899 for every date after 28-02-1900.
    assert parse_date(serial) == D(1899, 12, 30) + dt.timedelta(days=45000)
    # By hand: serial 44927 is 1 January 2023 (36526 = 1-1-2000, plus 23 * 365 + 6 leap days), and
    # 45000 - 44927 = 73 days later is 15 March 2023 (31 + 28 + 14). (Not 14 February, as once assumed.)
    assert parse_date(serial) == D(2023, 3, 15)


def test_parse_date_excel_serial_of_a_known_day():
    # 1 January 2000 is Excel serial 36526 (a standard reference value).
    assert parse_date(36526) == D(2000, 1, 1)


@pytest.mark.parametrize(
    "cell",
    [
        "31-02-2025",  # no 31 February
        "29-02-2025",  # 2025 is no leap year
        "2025-13-01",  # month 13
        "00-01-2025",
        "morgen",
        "1 maart 2025",
        "01/03/2025",
        1.5,  # a fraction of a day is no calendar date
        -1,
        True,
    ],
)
def test_parse_date_refuses(cell):
    with pytest.raises(PydanticCustomError) as info:
        parse_date(cell)
    assert info.value.type == "date"


# ------------------------------------------------------------------------------------------------ integers


@pytest.mark.parametrize(
    ("cell", "expected"), [(12, 12), (12.0, 12), ("12", 12), (" 12 ", 12), ("12,0", 12), ("-3", -3)]
)
def test_parse_int_accepts(cell, expected):
    assert parse_int(cell) == expected


@pytest.mark.parametrize("cell", ["twaalf", "1,5", "1.5", 1.5, "12 stuks", "", True])
def test_parse_int_refuses_non_integers(cell):
    with pytest.raises(PydanticCustomError) as info:
        parse_int(cell)
    assert info.value.type == "integer"


@pytest.mark.parametrize(
    ("cell", "minimum", "maximum"), [(0, 1, 15), (16, 1, 15), ("-30", 1, 1440), (1441, 1, 1440)]
)
def test_parse_int_refuses_out_of_range(cell, minimum, maximum):
    with pytest.raises(PydanticCustomError) as info:
        parse_int(cell, minimum=minimum, maximum=maximum)
    assert info.value.type == "range"


@pytest.mark.parametrize(("cell", "minimum", "maximum"), [(1, 1, 15), (15, 1, 15), (1440, 1, 1440)])
def test_parse_int_bounds_are_inclusive(cell, minimum, maximum):
    assert parse_int(cell, minimum=minimum, maximum=maximum) == cell


def test_household_size_limits_in_a_row():
    base = {
        "nieuwkomer_code": "N1",
        "voornaam": "Amal",
        "gemeente": "Almere",
        "huishoudgrootte": "4",
        "in_nederland_sinds": "01-03-2024",
        "aangemeld_op": "2025-01-15",
        "status": "wacht",
    }
    assert NewcomerRow.model_validate(base).household_size == 4
    for bad in (0, 16, "vier"):
        with pytest.raises(ValidationError) as info:
            NewcomerRow.model_validate(base | {"huishoudgrootte": bad})
        assert [e["loc"] for e in info.value.errors()] == [("huishoudgrootte",)]


def test_meeting_duration_zero_and_negative_refused():
    base = {
        "groep_code": "0518-001",
        "datum": "2026-02-01",
        "soort": "online",
        "duur_minuten": 60,
        "aanwezig_leden": 2,
        "aanwezig_nieuwkomers": 1,
    }
    assert MeetingRow.model_validate(base).duration_minutes == 60
    for bad in (0, -30):
        with pytest.raises(ValidationError) as info:
            MeetingRow.model_validate(base | {"duur_minuten": bad})
        assert info.value.errors()[0]["type"] == "range"


# ------------------------------------------------------------------------------------------------ text


def test_clean_text_trims_and_composes():
    assert clean_text("  Leyla Ayd\u0131n \u00a0") == "Leyla Ayd\u0131n"
    assert clean_text("Zoe\u0308") == "Zo\u00eb"  # NFD ë → NFC ë
    assert clean_text(None) == "" and clean_text(float("nan")) == ""
    assert clean_text(518.0) == "518"


# ------------------------------------------------------------------------------------------------ municipalities


@pytest.mark.parametrize(
    "spelling",
    [
        "Den Haag",
        "'s-Gravenhage",
        "  den haag ",
        "DEN HAAG",
        "den   haag",
        "\u2019s-Gravenhage",  # typographic apostrophe, as Word/Excel autocorrect types it
        "'S-GRAVENHAGE",
    ],
)
def test_den_haag_aliases(spelling):
    assert parse_municipality(spelling) == "Den Haag"
    assert canonical_municipality(spelling.strip()) == "Den Haag"


@pytest.mark.parametrize(
    ("spelling", "expected"), [("almere", "Almere"), (" Haarlem", "Haarlem"), ("ROTTERDAM ", "Rotterdam")]
)
def test_other_programme_cities(spelling, expected):
    assert parse_municipality(spelling) == expected


@pytest.mark.parametrize("spelling", ["Amsterdamm", "Haag", "Rotterdam-Zuid", ""])
def test_unknown_municipality_refused(spelling):
    assert canonical_municipality(spelling) is None
    with pytest.raises(PydanticCustomError) as info:
        parse_municipality(spelling)
    assert info.value.type == "municipality"


# ------------------------------------------------------------------------------------------------ date rules


@pytest.mark.parametrize(
    ("arrival", "expected"),
    [
        (D(2020, 2, 29), D(2023, 2, 28)),  # no 29 February in 2023: the last day of February
        (D(2021, 2, 28), D(2024, 2, 28)),
        (D(2023, 11, 15), D(2026, 11, 15)),
        (D(2023, 12, 31), D(2026, 12, 31)),
        (D(2024, 2, 29), D(2027, 2, 28)),
    ],
)
def test_eligibility_end(arrival, expected):
    assert eligibility_end(arrival) == expected


def test_eligibility_end_other_number_of_years():
    assert eligibility_end(D(2020, 2, 29), years=4) == D(2024, 2, 29)  # 2024 is a leap year
    assert eligibility_end(D(2022, 6, 1), years=1) == D(2023, 6, 1)


@pytest.mark.parametrize(
    ("arrival", "as_of", "expected"),
    [
        (D(2023, 11, 15), D(2026, 11, 15), 0),  # the last eligible day
        (D(2023, 11, 15), D(2026, 11, 14), 1),
        (D(2023, 11, 15), D(2026, 11, 16), -1),
        (D(2023, 11, 15), D(2026, 1, 1), 318),  # Jan–Oct 2026 are 304 days, then 14 more to 15 Nov
        (D(2020, 2, 29), D(2023, 2, 28), 0),
        (D(2020, 2, 29), D(2023, 3, 1), -1),
    ],
)
def test_days_left(arrival, as_of, expected):
    assert days_left(arrival, as_of) == expected


def test_wait_days():
    assert wait_days(D(2026, 11, 15), D(2026, 11, 15)) == 0
    assert wait_days(D(2026, 1, 1), D(2026, 3, 1)) == 31 + 28
    assert wait_days(D(2024, 1, 1), D(2025, 1, 1)) == 366  # 2024 is a leap year


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (D(2026, 1, 14), None),  # before the start
        (D(2026, 1, 15), 1),  # the first day
        (D(2026, 2, 14), 1),
        (D(2026, 2, 15), 2),
        (D(2026, 12, 14), 11),
        (D(2026, 12, 15), 12),
        (D(2027, 1, 14), 12),  # the last day of the year
        (D(2027, 1, 15), 13),  # the year is over
    ],
)
def test_group_year_month(as_of, expected):
    assert group_year_month(D(2026, 1, 15), as_of) == expected


@pytest.mark.parametrize(
    "value", [2023, "2023", 1.0, "45000", dt.date(1905, 7, 15), "01-01-1989", "2101-01-01"]
)
def test_parse_date_refuses_dates_outside_the_programmes_window(value):
    # A year typed alone is Excel serial day 2023 = 15-07-1905; no record of the programme is that old.
    # Text that is only digits is never read as a serial: Dutch Excel writes dates in CSV as dd-mm-jjjj.
    with pytest.raises(PydanticCustomError) as info:
        parse_date(value)
    assert info.value.type in ("date", "date_range")
