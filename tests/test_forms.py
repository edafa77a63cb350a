"""The form glue's pure parts: st.data_editor edits mapped to records through the frame that was shown."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from samenhier.forms import edited_records, same


def test_edits_map_positions_to_ids_through_the_shown_frame():
    # the table as shown: sorted by code, so positions are not ids
    shown = pd.DataFrame(
        {
            "member_id": [42, 7, 19],
            "version": [3, 1, 2],
            "code": ["L0001", "L0002", "L0003"],
            "email": ["a@voorbeeld.nl", None, "c@voorbeeld.nl"],
            "phone": ["06-11111111", "06-22222222", None],
            "vog_date": pd.to_datetime([None, "2026-02-03", None]),
        }
    )
    edited_rows = {
        1: {"email": "b@voorbeeld.nl", "vog_date": "2026-03-01T00:00:00"},  # position 1 is member 7
        "2": {"phone": "  "},  # blank text is no value: unchanged (was None)
        0: {"email": "a@voorbeeld.nl "},  # same after trimming: no change
    }
    assert edited_records(shown, edited_rows, id_column="member_id", date_columns=["vog_date"]) == [
        (
            7,
            1,
            {"email": "b@voorbeeld.nl", "vog_date": dt.date(2026, 3, 1)},
            {"email": None, "vog_date": dt.date(2026, 2, 3)},
        ),
    ]


def test_same_treats_empty_values_alike():
    assert same(None, "") and same("", None) and same(" x ", "x") and same(pd.NaT, None)
    assert not same("x", "y") and not same(dt.date(2026, 1, 1), None)
