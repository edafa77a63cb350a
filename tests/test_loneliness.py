"""De Jong Gierveld scoring, checked against cases worked out by hand from the published rules.

The rules (shared/data/README.md, after De Jong Gierveld & Van Tilburg 2006):
emotional items (leegte, mis_mensen, in_de_steek): ja / min of meer → 1, nee → 0;
social items (terugvallen, vertrouwen, verbonden): nee / min of meer → 1, ja → 0;
total missing when more than one item is missing; a subscale missing when any of its items is;
bands 0–1 niet eenzaam, 2–4 matig, 5–6 ernstig; lonely = total ≥ 2.
"""

from __future__ import annotations

import itertools
import unicodedata

import pandas as pd
import pytest
from pydantic_core import PydanticCustomError

from samenhier.io.rows import parse_answer, parse_vocabulary
from samenhier.loneliness import Band, band, item_score, score, score_frame
from samenhier.models import MeetingKind

# Items by their column names in the store; the workbook's Dutch names in the comments.
EMOTIONAL = ("emptiness", "miss_people", "abandoned")  # leegte, mis_mensen, in_de_steek
SOCIAL = ("fall_back_on", "trust", "connected")  # terugvallen, vertrouwen, verbonden


def answers(emotional: tuple, social: tuple) -> dict[str, str | None]:
    return dict(zip(EMOTIONAL, emotional, strict=True)) | dict(zip(SOCIAL, social, strict=True))


def test_nobody_lonely_scores_zero():
    s = score(answers(("nee", "nee", "nee"), ("ja", "ja", "ja")))
    assert (s.emotional, s.social, s.total) == (0, 0, 0)
    assert s.band is Band.NOT_LONELY
    assert s.lonely is False


def test_all_lonely_answers_score_six():
    s = score(answers(("ja", "ja", "ja"), ("nee", "nee", "nee")))
    assert (s.emotional, s.social, s.total) == (3, 3, 6)
    assert s.band is Band.SEVERE
    assert s.lonely is True


@pytest.mark.parametrize("item", EMOTIONAL + SOCIAL)
def test_min_of_meer_scores_one_on_every_item(item):
    assert item_score(item, "min of meer") == 1


@pytest.mark.parametrize(
    ("item", "answer", "expected"),
    [
        ("emptiness", "ja", 1),
        ("emptiness", "nee", 0),
        ("abandoned", "ja", 1),
        ("abandoned", "nee", 0),
        ("trust", "ja", 0),
        ("trust", "nee", 1),
        ("connected", "ja", 0),
        ("connected", "nee", 1),
    ],
)
def test_item_direction(item, answer, expected):
    assert item_score(item, answer) == expected


def test_all_min_of_meer_is_six():
    s = score(answers(("min of meer",) * 3, ("min of meer",) * 3))
    assert (s.emotional, s.social, s.total) == (3, 3, 6)


def test_mixed_hand_case():
    # emotional: ja 1 + min of meer 1 + nee 0 = 2; social: ja 0 + nee 1 + min of meer 1 = 2; total 4.
    s = score(answers(("ja", "min of meer", "nee"), ("ja", "nee", "min of meer")))
    assert (s.emotional, s.social, s.total) == (2, 2, 4)
    assert s.band is Band.MODERATE


def test_one_missing_item_total_is_sum_of_the_other_five():
    # emotional: ja, ja, None → subscale missing, contributes 2; social: nee, min of meer, ja = 2; total 4.
    s = score(answers(("ja", "ja", None), ("nee", "min of meer", "ja")))
    assert s.emotional is None
    assert s.social == 2
    assert s.total == 4


def test_one_missing_social_item():
    # social item 'trust' left out of the dict entirely (a missing key is an unanswered item).
    given = answers(("nee", "min of meer", "nee"), ("nee", "ja", "ja"))
    del given["trust"]
    s = score(given)
    assert s.social is None
    assert s.emotional == 1
    assert s.total == 2  # emotional 1 + terugvallen 'nee' 1 + verbonden 'ja' 0


def test_two_missing_items_leave_the_total_missing():
    s = score(answers(("ja", None, "ja"), ("nee", None, "nee")))
    assert s.total is None
    assert s.emotional is None and s.social is None
    assert s.band is None and s.lonely is None
    # two missing on the same subscale: the other subscale still counts
    s = score(answers((None, None, "ja"), ("nee", "nee", "ja")))
    assert (s.emotional, s.social, s.total) == (None, 2, None)


def test_nothing_answered():
    s = score({})
    assert (s.emotional, s.social, s.total) == (None, None, None)


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (0, Band.NOT_LONELY),
        (1, Band.NOT_LONELY),
        (2, Band.MODERATE),
        (3, Band.MODERATE),
        (4, Band.MODERATE),
        (5, Band.SEVERE),
        (6, Band.SEVERE),
        (None, None),
    ],
)
def test_band_boundaries(total, expected):
    assert band(total) is expected


@pytest.mark.parametrize("total", [-1, 7])
def test_band_refuses_impossible_totals(total):
    with pytest.raises(ValueError):
        band(total)


@pytest.mark.parametrize("answer", ["misschien", "Ja", "yes", ""])
def test_invalid_answer_raises(answer):
    with pytest.raises(ValueError):
        score(answers(("ja", "ja", answer), ("nee", "nee", "nee")))


def test_unknown_item_raises():
    with pytest.raises(ValueError):
        item_score("leegte", "ja")  # the Dutch column name is not an item name of the store


def test_score_frame_matches_hand_cases():
    frame = pd.DataFrame(
        [
            answers(("nee", "nee", "nee"), ("ja", "ja", "ja")),  # 0
            answers(("ja", "min of meer", "nee"), ("ja", "nee", "min of meer")),  # 4
            answers(("ja", "ja", None), ("nee", "nee", "nee")),  # 5, emotional missing
            answers(("ja", None, None), ("nee", "nee", "nee")),  # total missing
        ]
    )
    out = score_frame(frame)
    assert out["total"].tolist() == [0, 4, 5, pd.NA]
    assert out["emotional"].tolist() == [0, 2, pd.NA, pd.NA]
    assert out["social"].tolist() == [0, 2, 3, 3]
    assert out["band"].tolist()[:3] == ["niet eenzaam", "matig eenzaam", "ernstig eenzaam"]
    assert pd.isna(out["band"].iloc[3])
    assert out["lonely"].tolist() == [False, True, True, pd.NA]


def test_score_frame_equals_score_row_by_row_for_every_answer_pattern():
    """The column-wise score_frame gives, for all 4^6 = 4096 patterns of ja / min of meer / nee / unanswered
    (in shuffled order, on a non-default index), exactly what score() gives for each row alone."""
    patterns = [
        dict(zip(EMOTIONAL + SOCIAL, p, strict=True))
        for p in itertools.product([None, "ja", "min of meer", "nee"], repeat=6)
    ]
    frame = pd.DataFrame(patterns[::-1], index=range(10_000, 10_000 + 2 * len(patterns), 2))
    out = score_frame(frame)
    expected = [score(p) for p in patterns[::-1]]
    assert out["emotional"].tolist() == [pd.NA if e.emotional is None else e.emotional for e in expected]
    assert out["social"].tolist() == [pd.NA if e.social is None else e.social for e in expected]
    assert out["total"].tolist() == [pd.NA if e.total is None else e.total for e in expected]
    assert [None if pd.isna(b) else b for b in out["band"]] == [
        None if e.band is None else e.band.value for e in expected
    ]
    assert out["lonely"].tolist() == [pd.NA if e.lonely is None else e.lonely for e in expected]
    assert out.index.equals(frame.index) and out[list(frame.columns)].equals(frame)


def test_score_frame_refuses_an_answer_that_is_not_canonical():
    frame = pd.DataFrame(
        [answers(("nee", "nee", "nee"), ("ja", "ja", "ja")), answers(("Ja",) * 3, ("ja",) * 3)]
    )
    with pytest.raises(ValueError, match="'Ja'"):
        score_frame(frame)


# ------------------------------------------------------------------------------------ answer spellings


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ja", "ja"),
        ("JA", "ja"),
        ("Ja ", "ja"),
        (" nee ", "nee"),
        ("NEE", "nee"),
        ("min of meer", "min of meer"),
        ("Min-of-meer", "min of meer"),
        ("MIN OF MEER", "min of meer"),
        ("min  of   meer", "min of meer"),
        ("min-of-meer\u00a0", "min of meer"),  # trailing no-break space, as Excel exports it
    ],
)
def test_parse_answer_spellings(raw, expected):
    assert parse_answer(raw) == expected


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan")])
def test_parse_answer_blank_is_unanswered(blank):
    assert parse_answer(blank) is None


@pytest.mark.parametrize("raw", ["misschien", "j", "neen", "0"])
def test_parse_answer_refuses_other_words(raw):
    with pytest.raises(PydanticCustomError) as info:
        parse_answer(raw)
    assert info.value.type == "vocabulary"


def test_nfd_text_gives_the_nfc_word():
    nfc = "\u00e9\u00e9n-op-\u00e9\u00e9n"  # één-op-één, precomposed
    nfd = "e\u0301e\u0301n-op-e\u0301e\u0301n"  # the same word with combining acute accents
    assert nfd != nfc and unicodedata.normalize("NFC", nfd) == nfc
    assert parse_vocabulary(nfd, MeetingKind) == nfc
    assert parse_vocabulary(nfd.upper(), MeetingKind) == nfc
    assert parse_answer(unicodedata.normalize("NFD", "Min-of-Meer")) == "min of meer"
