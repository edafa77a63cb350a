"""Translations (gettext catalogs read with Babel) and locale-aware formatting of dates and numbers.

Messages are looked up by symbolic keys (``overview.title``) in ``samenhier/locales/<lang>/LC_MESSAGES/
messages.po``; Dutch (``nl``) is the default, English (``en``) the alternative. Both catalogs must hold
every key the code uses: ``tests/test_i18n.py`` extracts the keys with Babel and fails on a missing one.
Placeholders use ``str.format`` syntax: ``t("import.where.row", row=5)``.
"""

from __future__ import annotations

import datetime as dt
import io
from contextvars import ContextVar
from functools import cache, lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import Translations

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LOCALES_DIR = Path(__file__).parent / "locales"
_current: ContextVar[str] = ContextVar("samenhier_language", default=DEFAULT_LANGUAGE)


def set_language(lang: str) -> None:
    """Make ``lang`` the language of this thread/context (Streamlit: each script run sets it first).

    Raises:
        ValueError: ``lang`` is not one of :data:`LANGUAGES`.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; choose one of {', '.join(LANGUAGES)}")
    _current.set(lang)


def get_language() -> str:
    return _current.get()


def catalog_path(lang: str) -> Path:
    return LOCALES_DIR / lang / "LC_MESSAGES" / "messages.po"


@cache
def translations(lang: str) -> Translations:
    """The compiled catalog of ``lang``: the .po file compiled in memory (no build step needed)."""
    with catalog_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def t(key: str, lang: str | None = None, /, **params: object) -> str:
    """The text for ``key`` in ``lang`` (default: the current language), with ``params`` filled in.

    A key missing from the catalog comes back as the key itself, so a gap is visible, never a crash.
    """
    text = translations(lang or get_language()).gettext(key)
    if params:
        try:
            text = text.format(**params)
        except (KeyError, IndexError, ValueError):
            pass
    return text


def _locale(lang: str | None) -> Locale:
    return _parsed_locale(lang or get_language())


@cache
def _parsed_locale(lang: str) -> Locale:
    return Locale.parse(lang)


def format_date(value: dt.date | None, lang: str | None = None, *, fmt: str = "long") -> str:
    """A date for people: ``3 maart 2026`` (nl) or ``March 3, 2026`` (en); empty for None.

    ``fmt`` is a Babel/CLDR format name (``short``, ``medium``, ``long``) or pattern.
    """
    if value is None:
        return ""
    return _format_date(value, lang or get_language(), fmt)


@lru_cache(maxsize=8192)
def _format_date(value: dt.date, lang: str, fmt: str) -> str:
    # Pages format the same few hundred dates thousands of times (heatmap hovers, tables): Babel's
    # pattern formatting is the slow part, so remember the text per date, language and format.
    return _babel_format_date(value, format=fmt, locale=_locale(lang))


def format_number(value: float | int | None, lang: str | None = None, *, decimals: int | None = None) -> str:
    """A number with the language's separators (``1.234,5`` in nl); empty for None/NaN."""
    if value is None or value != value:
        return ""
    return _format_number(value, lang or get_language(), decimals)


@lru_cache(maxsize=8192, typed=True)
def _format_number(value: float | int, lang: str, decimals: int | None) -> str:
    # Babel parses the number pattern on every call (about 0.3 ms); tables repeat the same few numbers.
    if decimals is not None:
        return format_decimal(value, format="#,##0." + "0" * decimals if decimals else "#,##0", locale=_locale(lang))
    return format_decimal(value, locale=_locale(lang))


def format_share(value: float | None, lang: str | None = None, *, decimals: int = 0) -> str:
    """A fraction 0–1 as a percentage (``42%`` / ``42 %`` per locale); empty for None/NaN."""
    if value is None or value != value:
        return ""
    return _format_share(value, lang or get_language(), decimals)


@lru_cache(maxsize=4096, typed=True)
def _format_share(value: float, lang: str, decimals: int) -> str:
    return format_percent(value, format="#,##0." + "0" * decimals + "%" if decimals else "#,##0%", locale=_locale(lang))


def label(vocabulary: str, value: str | None, lang: str | None = None) -> str:
    """A stored vocabulary word (``wacht op match``) shown in ``lang``: key ``<vocabulary>.<value>``."""
    if value is None:
        return ""
    return t(f"{vocabulary}.{value}", lang)
