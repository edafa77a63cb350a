"""How values are shown to people, in one place: dates, numbers, shares, yes/no, "empty", plurals, table cells.

Every page and message formats through this module, so that nobody sees a raw ``None``, ``nan``,
``NaT``, ``True`` or ``False``, and a date or a number looks the same everywhere:

- dates: Dutch ``03-03-2026`` (dd-mm-jjjj), English ``2026-03-03``; written out (``3 maart 2026``) in
  sentences with :func:`format_date`; :func:`date_input_format` is the same pattern for Streamlit's
  ``date_input`` and ``DateColumn``;
- numbers with the language's separators (Babel/CLDR: ``3,3`` and ``1.234`` in Dutch);
- missing values as :data:`EMPTY` ("–"), booleans as Ja/Nee (Yes/No);
- counts with the right singular or plural (CLDR plural rules via Babel): ``1 persoon``, ``3 personen``.

Babel does the locale work; this module only chooses the patterns. Language defaults to the current
one (:func:`samenhier.i18n.get_language`).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache, lru_cache
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.numbers import format_decimal, format_percent

from samenhier import i18n
from samenhier.i18n import plural_form  # noqa: F401  (formatting.plural_form: used by the pages)

EMPTY = "–"
"""What an empty value (None, NaN, NaT, empty text) shows as."""

_NUMERIC_DATE = {"nl": "dd-MM-yyyy", "en": "yyyy-MM-dd"}
"""CLDR patterns of a date in tables and short texts, per language."""
_STREAMLIT_DATE = {"nl": "DD-MM-YYYY", "en": "YYYY-MM-DD"}
"""The same patterns in the notation of Streamlit's ``date_input`` and column ``format`` (moment.js)."""


def _lang(lang: str | None) -> str:
    if lang:
        return lang
    return i18n.get_language()


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def is_empty(value: Any) -> bool:
    """True for None, NaN, NaT, pandas' NA and text that is empty after trimming."""
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict | set):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _as_date(value: Any) -> dt.date | None:
    if is_empty(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


# --- dates --------------------------------------------------------------------------------------------------


def date_input_format(lang: str | None = None) -> str:
    """The date pattern for Streamlit widgets and columns: ``DD-MM-YYYY`` (nl) or ``YYYY-MM-DD`` (en)."""
    return _STREAMLIT_DATE.get(_lang(lang), _STREAMLIT_DATE["nl"])


def datetime_input_format(lang: str | None = None) -> str:
    """:func:`date_input_format` with the time: ``DD-MM-YYYY HH:mm``."""
    return date_input_format(lang) + " HH:mm"


def date_text(value: Any, lang: str | None = None) -> str:
    """A date as in the tables: ``03-03-2026`` (nl, dd-mm-jjjj) or ``2026-03-03`` (en); :data:`EMPTY` when
    missing. Takes a date, datetime, pandas Timestamp or ISO text (``2026-03-03…``); other text as is."""
    day = _as_date(value)
    if day is None:
        return EMPTY if is_empty(value) else str(value)
    lang = _lang(lang)
    return _format_date(day, lang, _NUMERIC_DATE.get(lang, _NUMERIC_DATE["nl"]))


def datetime_text(value: Any, lang: str | None = None) -> str:
    """A moment as ``03-03-2026 14:05`` (nl) / ``2026-03-03 14:05`` (en), in the moment's own time zone."""
    if is_empty(value):
        return EMPTY
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if not isinstance(value, dt.datetime):
        return date_text(value, lang)
    return f"{date_text(value, lang)} {value:%H:%M}"


def format_date(value: dt.date | None, lang: str | None = None, *, fmt: str = "long") -> str:
    """A date written out for sentences: ``3 maart 2026`` (nl) or ``March 3, 2026`` (en); empty for None.

    ``fmt`` is a Babel/CLDR format name (``short``, ``medium``, ``long``) or pattern.
    """
    day = _as_date(value)
    if day is None:
        return ""
    return _format_date(day, _lang(lang), fmt)


@lru_cache(maxsize=8192)
def _format_date(value: dt.date, lang: str, fmt: str) -> str:
    # Pages format the same few hundred dates thousands of times (heatmap hovers, tables): Babel's
    # pattern formatting is the slow part, so remember the text per date, language and format.
    return _babel_format_date(value, format=fmt, locale=_locale(lang))


# --- numbers ------------------------------------------------------------------------------------------------


def format_number(value: float | int | None, lang: str | None = None, *, decimals: int | None = None) -> str:
    """A number with the language's separators (``1.234,5`` in nl); empty for None/NaN.

    ``decimals``: exactly that many decimals; None: as many as the value has (Babel's default, at most 3).
    """
    if is_empty(value):
        return ""
    return _format_number(value, _lang(lang), decimals)


@lru_cache(maxsize=8192, typed=True)
def _format_number(value: float | int, lang: str, decimals: int | None) -> str:
    # Babel parses the number pattern on every call (about 0.3 ms); tables repeat the same few numbers.
    if decimals is not None:
        return format_decimal(
            value, format="#,##0." + "0" * decimals if decimals else "#,##0", locale=_locale(lang)
        )
    return format_decimal(value, locale=_locale(lang))


def format_share(value: float | None, lang: str | None = None, *, decimals: int = 0) -> str:
    """A fraction 0–1 as a percentage (``42%`` / ``42 %`` per locale); empty for None/NaN."""
    if is_empty(value):
        return ""
    return _format_share(value, _lang(lang), decimals)


@lru_cache(maxsize=4096, typed=True)
def _format_share(value: float, lang: str, decimals: int) -> str:
    return format_percent(
        value, format="#,##0." + "0" * decimals + "%" if decimals else "#,##0%", locale=_locale(lang)
    )


def number_text(value: Any, lang: str | None = None, *, decimals: int | None = None) -> str:
    """:func:`format_number`, but :data:`EMPTY` for a missing value."""
    return EMPTY if is_empty(value) else format_number(value, lang, decimals=decimals)


def count(n: int, noun: str, lang: str | None = None) -> str:
    """``n`` with its noun in the right number: ``count(1, "person")`` → ``1 persoon``, 3 → ``3 personen``.

    The catalog holds ``plural.<noun>.one`` and ``plural.<noun>.other``, each with ``{n}``; ``n`` is
    formatted with the language's separators.
    """
    lang = _lang(lang)
    return i18n.t(f"plural.{noun}.{plural_form(n, lang)}", lang, n=format_number(n, lang))


# --- any value ----------------------------------------------------------------------------------------------


def yes_no(value: Any, lang: str | None = None) -> str:
    """``Ja``/``Nee`` (``Yes``/``No``) for a truth value; :data:`EMPTY` when missing."""
    if is_empty(value):
        return EMPTY
    return i18n.t("common.yes", _lang(lang)) if bool(value) else i18n.t("common.no", _lang(lang))


def value_text(value: Any, lang: str | None = None) -> str:
    """Any stored value as text for people: :data:`EMPTY` for missing, Ja/Nee for booleans, dates as
    :func:`date_text`, moments as :func:`datetime_text`, numbers with the language's separators (at most
    two decimals), ISO dates in text as dates; anything else as its text."""
    if is_empty(value):
        return EMPTY
    if isinstance(value, bool):
        return yes_no(value, lang)
    if isinstance(value, dt.datetime | pd.Timestamp):
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if value.time() == dt.time() and value.tzinfo is None:
            return date_text(value, lang)
        return datetime_text(value, lang)
    if isinstance(value, dt.date):
        return date_text(value, lang)
    if isinstance(value, int):
        return format_number(value, lang)
    if isinstance(value, float):
        return format_number(round(value, 2), lang)
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10 and text[4] == "-" and text[7] == "-" and _as_date(text) is not None:
            return date_text(text, lang)
        if len(text) > 10 and text[10] == "T":
            try:
                return datetime_text(dt.datetime.fromisoformat(text), lang)
            except ValueError:
                return value
        return value
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v, lang) for v in value) or EMPTY
    return str(value)


def readable_frame(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """A copy of ``frame`` fit for ``st.dataframe``: in text (object) columns a missing value becomes
    :data:`EMPTY` and a boolean Ja/Nee; boolean columns become Ja/Nee. Number and date columns keep their
    type (Streamlit sorts them and shows a missing value as an empty cell)."""
    shown = frame.copy()
    lang = _lang(lang)
    for name in shown.columns:
        column = shown[name]
        if pd.api.types.is_bool_dtype(column):
            shown[name] = [yes_no(v, lang) for v in column]
        elif column.dtype == object or pd.api.types.is_string_dtype(column):
            shown[name] = pd.Series(
                [EMPTY if is_empty(v) else yes_no(v, lang) if isinstance(v, bool) else v for v in column],
                index=shown.index,
                dtype=object,
            )
    return shown
